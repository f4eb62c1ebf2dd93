//! Custom resources against their CRD (the CRD an object carries, [`crate::model::Object::crd`],
//! which every built-in custom resource and every kind `kforge crd import` wrote carries, and
//! `kforge_crd::Schemas::builtin` for the GitOps kinds and cert-manager's Certificate): the
//! structural schema (types, unknown fields, enums, formats,
//! bounds, list keys) and the `x-kubernetes-validations` CEL rules, each problem with the API
//! server's field path and the rule's own message. What the API server would refuse, emit
//! refuses first; an unknown field, which the API server would drop silently, is refused too.
//!
//! Rules kforge cannot evaluate (a function it does not know, a cost over the API server's
//! limit) are said as warnings, never passed in silence; transition rules (`oldSelf`) are left
//! out, as the API server evaluates them only on updates and kforge renders new objects.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use kforge_crd::{Crd, Schemas};
use serde_json::Value;

/// The schemas of one CRD text, read and compiled once per process: every environment of every
/// application checks against the same few CRDs, the largest (CloudNativePG's Cluster) 400 kB.
fn compiled(text: &'static str) -> Arc<Result<Schemas, String>> {
    static CACHE: OnceLock<Mutex<HashMap<(usize, usize), Arc<Result<Schemas, String>>>>> = OnceLock::new();
    let key = (text.as_ptr() as usize, text.len());
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    cache.entry(key).or_insert_with(|| Arc::new(Crd::parse("the CRD given with Object::crd", text).and_then(|crds| Schemas::new(&crds)).map_err(|e| e.to_string()))).clone()
}

/// The kinds a CRD text may declare, found once per process without reading it: the values
/// after `kind: ` (YAML) and `"kind": "` (the JSON `kforge crd import` keeps). Reading a CRD
/// that declares another kind is wasted work; scanning every CRD's text for every object cost
/// more than the check itself (the largest CRD is 480 kB, and a chart has dozens of objects).
fn kinds_named(text: &'static str) -> Arc<BTreeSet<&'static str>> {
    static CACHE: OnceLock<Mutex<HashMap<(usize, usize), Arc<BTreeSet<&'static str>>>>> = OnceLock::new();
    let key = (text.as_ptr() as usize, text.len());
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(key)
        .or_insert_with(|| {
            let after = |marker: &'static str, end: &'static [char]| {
                text.match_indices(marker).map(move |(i, _)| {
                    let rest = &text[i + marker.len()..];
                    rest[..rest.find(end).unwrap_or(rest.len())].trim_matches(['"', '\''])
                })
            };
            Arc::new(after("kind: ", &['\n', '\r', ' ']).chain(after("\"kind\": \"", &['"'])).collect())
        })
        .clone()
}

/// The problems of `o`, and the rules that could not be evaluated on it, when its kind has a
/// known CRD: one of `crds` (the model's), else a built-in one.
pub(super) fn object(o: &Value, crds: &[&'static str], out: &mut Vec<String>, warnings: &mut Vec<String>) {
    let (api_version, kind) = (o.get("apiVersion").and_then(Value::as_str).unwrap_or(""), o.get("kind").and_then(Value::as_str).unwrap_or(""));
    let mut report = None;
    for text in crds {
        if !kinds_named(text).contains(kind) {
            continue;
        }
        match &*compiled(text) {
            Ok(schemas) if schemas.get(api_version, kind).is_some() => {
                report = schemas.validate(o);
                break;
            }
            Ok(_) => {}
            // Only the objects that carry it are refused for it.
            Err(e) => {
                out.push(format!("its CRD does not read: {e}"));
                return;
            }
        }
    }
    // The built-in CRDs are read (once) only for an object of their kinds.
    let Some(report) = report.or_else(|| if Schemas::is_builtin(api_version, kind) { Schemas::builtin().validate(o) } else { None }) else { return };
    for v in &report.violations {
        out.push(format!("{v} (refused by the CRD's schema)"));
    }
    for n in &report.not_evaluated {
        warnings.push(format!("{n}"));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::check::{Environment, run};

    fn findings(objects: &[Value]) -> (Vec<String>, Vec<String>) {
        let crds = [include_str!("../model/objects/crds/tcp_route.crd.json")];
        let report = run(&Environment { app: "app", environment: "env", objects, external: &[], exceptions: &[], crds: &crds });
        (report.findings.iter().map(ToString::to_string).collect(), report.warnings.iter().map(ToString::to_string).collect())
    }

    use super::Value;

    fn route(parent_refs: Value) -> Value {
        json!({"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TCPRoute",
               "metadata": {"name": "db", "namespace": "ns", "labels": {"app.kubernetes.io/name": "db"}},
               "spec": {"parentRefs": parent_refs, "rules": [{"backendRefs": [{"name": "db", "port": 5432}]}]}})
    }

    fn service() -> Value {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "ns"}, "spec": {"ports": [{"name": "pg", "port": 5432}]}})
    }

    #[test]
    fn a_rule_of_the_crd_is_a_finding_with_its_message_and_path() {
        let (found, _) = findings(&[service(), route(json!([{"name": "gw"}, {"name": "gw"}]))]);
        assert_eq!(
            found,
            [
                "app (env): TCPRoute/db: spec.parentRefs: Invalid value: sectionName or port must be unique when parentRefs includes 2 or more references to the same parent (refused by the CRD's schema)"
            ]
        );
        let (found, _) = findings(&[service(), route(json!([{"name": "gw", "sectionName": "a"}, {"name": "gw", "sectionName": "b"}]))]);
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn an_unknown_field_and_a_bound_are_findings() {
        let mut r = route(json!([{"name": "gw", "port": 70000, "sectionNam": "a"}]));
        r["spec"]["parentRefs"][0]["port"] = json!(70000);
        let (found, _) = findings(&[service(), r]);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].contains("spec.parentRefs[0].port: Invalid value: 70000: spec.parentRefs[0].port in body should be less than or equal to 65535"), "{found:#?}");
        assert!(found[1].contains("spec.parentRefs[0].sectionNam: Unknown field"), "{found:#?}");
    }
}
