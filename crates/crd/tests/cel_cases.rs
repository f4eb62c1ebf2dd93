//! Upstream's CEL test cases (`tests/cel-cases.yaml`, from kubernetes-sigs/gateway-api): each
//! object is refused with the messages upstream expects, or accepted where upstream accepts it.

use kforge_crd::{Crd, Schemas};
use serde_json::{Value, json};

#[test]
fn gateway_api_parent_ref_cases_agree_with_upstream() {
    let corpus: Value = serde_saphyr::from_str(include_str!("cel-cases.yaml")).expect("cel-cases.yaml reads");
    let cases = corpus["cases"].as_array().expect("cases");
    assert!(cases.len() >= 12, "the corpus lost cases");
    // TCPRoute's CRD lives beside the types generated from it, in the DSL crate.
    let crds = Crd::read_dir(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../manifests/src/model/objects/crds"))).expect("the emitted kinds' CRDs");
    let schemas = Schemas::new(&crds).expect("schemas");
    let mut wrong = Vec::new();
    for case in cases {
        let object = json!({"apiVersion": corpus["apiVersion"], "kind": corpus["kind"], "metadata": {"name": "r", "namespace": "default"},
                            "spec": {"parentRefs": case["parentRefs"], "rules": [{"backendRefs": [{"name": "svc", "port": 80}]}]}});
        let report = schemas.validate(&object).expect("TCPRoute is known");
        let messages: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
        let expected: Vec<&str> = case["errors"].as_array().expect("errors").iter().map(|e| e.as_str().expect("text")).collect();
        let agrees = if expected.is_empty() { messages.is_empty() } else { !messages.is_empty() && expected.iter().all(|e| messages.iter().any(|m| m.contains(e))) };
        if !agrees || !report.not_evaluated.is_empty() {
            wrong.push(format!("{}: expected {expected:?}, found {messages:?}, not evaluated {:?}", case["name"], report.not_evaluated));
        }
    }
    assert!(wrong.is_empty(), "cases that disagree with upstream:\n{}", wrong.join("\n"));
}
