//! Every custom resource the applications emit (CloudNativePG Cluster and ScheduledBackup,
//! ServiceMonitor, ExternalSecret, Gateway API TCPRoute) validates against the upstream CRD
//! kept in the folders of [`CRD_DIRS`], with unknown fields rejected as the API server does for structural
//! schemas. `gitops.rs` validates the Argo CD and Flux definitions the same way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::support::*;

/// A CRD's schema as JSON Schema: `additionalProperties: false` wherever properties are listed
/// and unknown fields are not explicitly preserved.
fn structural(schema: &Value) -> Value {
    match schema {
        Value::Object(m) => {
            let mut out: serde_json::Map<String, Value> = m.iter().map(|(k, v)| (k.clone(), structural(v))).collect();
            let preserve = m.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
            if m.contains_key("properties") && !preserve && !m.contains_key("additionalProperties") {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(structural).collect()),
        other => other.clone(),
    }
}

/// Where the upstream CRDs are: those of the built-in custom resources beside the types
/// `kforge crd import` generated from them, the GitOps kinds' and cert-manager's in the crd crate.
pub const CRD_DIRS: [&str; 2] = ["crates/manifests/src/model/objects/crds", "crates/crd/crds"];

/// `apiVersion/kind` -> JSON Schema, from every CRD in [`CRD_DIRS`].
pub fn crd_schemas() -> BTreeMap<String, Value> {
    let mut schemas = BTreeMap::new();
    let entries = CRD_DIRS.iter().flat_map(|d| std::fs::read_dir(root().join(d)).unwrap_or_else(|e| panic!("{d}: {e}")));
    for entry in entries {
        let path = entry.expect("entry").path();
        // Upstream YAML, or the JSON `kforge crd import` keeps.
        if path.extension().is_none_or(|e| e != "yaml" && e != "json") {
            continue;
        }
        let crd: Value = serde_saphyr::from_str(&std::fs::read_to_string(&path).expect("crd")).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let group = crd["spec"]["group"].as_str().expect("group");
        let kind = crd["spec"]["names"]["kind"].as_str().expect("kind");
        for version in crd["spec"]["versions"].as_array().expect("versions") {
            let mut schema = structural(&version["schema"]["openAPIV3Schema"]);
            schema["$schema"] = json!("http://json-schema.org/draft-07/schema#");
            schemas.insert(format!("{group}/{}/{kind}", version["name"].as_str().expect("name")), schema);
        }
    }
    schemas
}

pub fn key(doc: &Value) -> String {
    format!("{}/{}", doc["apiVersion"].as_str().unwrap_or("?"), doc["kind"].as_str().unwrap_or("?"))
}

/// Validates `docs` with check-jsonschema, grouped by kind; returns the failures.
pub fn validate(docs: &[(String, Value)], schemas: &BTreeMap<String, Value>, dir: &Path) -> Vec<String> {
    let mut by_kind: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for (i, (label, doc)) in docs.iter().enumerate() {
        let file = dir.join(format!("{i}-{}.json", label.replace(['/', ' ', ','], "_")));
        std::fs::write(&file, serde_json::to_string_pretty(doc).expect("json")).expect("write");
        by_kind.entry(key(doc)).or_default().push(file);
    }
    let mut failures = Vec::new();
    for (kind, files) in by_kind {
        let schema_file = dir.join(format!("{}.schema.json", kind.replace('/', "_")));
        std::fs::write(&schema_file, serde_json::to_string(&schemas[&kind]).expect("json")).expect("write schema");
        let out = run(Command::new(tool("check-jsonschema")).arg("--schemafile").arg(&schema_file).args(&files));
        if !out.status.success() {
            failures.push(format!("{kind}:\n{}{}", text(&out.stdout), text(&out.stderr)));
        }
    }
    failures
}

/// Values that turn on every custom resource of Aeterna, each backup store among them.
const AETERNA_CASES: &[(&str, &str)] = &[
    ("s3 backups with keys, monitoring", "backup: {enabled: true, destination: {type: s3, bucket: b, path: p, existingSecret: s3-keys}}"),
    (
        "gcs backups with GKE workload identity",
        "backup: {enabled: true, destination: {type: gcs, bucket: b, path: p}, serviceAccountAnnotations: {iam.gke.io/gcp-service-account: backups@p.iam.gserviceaccount.com}}",
    ),
    (
        "s3 backups with an IAM role",
        "backup: {enabled: true, destination: {type: s3, bucket: b, path: p}, serviceAccountAnnotations: {eks.amazonaws.com/role-arn: \"arn:aws:iam::1:role/backups\"}}",
    ),
    ("azure backups with a connection string", "backup: {enabled: true, destination: {type: azure, bucket: acct.blob.core.windows.net/c, path: p, existingSecret: az}}"),
];

#[test]
fn custom_resources_validate_against_their_crds() {
    let schemas = crd_schemas();
    assert!(schemas.len() >= 4, "CRDs missing from {CRD_DIRS:?}: {:?}", schemas.keys().collect::<Vec<_>>());
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut docs: Vec<(String, Value)> = Vec::new();
    let mut collect = |label: &str, stream: &str| {
        for doc in parse_stream(stream) {
            if schemas.contains_key(&key(&doc)) {
                docs.push((format!("{label} {}", doc["metadata"]["name"].as_str().unwrap_or("?")), doc));
            }
        }
    };
    // The committed manifests of every application ...
    for app in apps::all() {
        for env in app.environments() {
            let name = &app.chart().name;
            collect(&format!("{name} {}", env.name), &committed_environment(&root().join("charts-out"), name, env.name));
        }
    }
    // ... and Aeterna with each backup store, over its production environment.
    let production = chart_dir("aeterna").join("values-production.yaml");
    for (label, postgresql) in AETERNA_CASES {
        let file = tmp.path().join(format!("{}.yaml", label.replace(' ', "-")));
        std::fs::write(&file, format!("postgresql:\n  {postgresql}\nobservability:\n  serviceMonitor: {{enabled: true, interval: 1m}}\n")).expect("write");
        let out = emit_stdout("aeterna", "rel", "ns", &[production.as_path(), file.as_path()], &[]);
        assert!(out.status.success(), "{label}: {}", text(&out.stderr));
        collect(label, &text(&out.stdout));
    }
    // ... and DBBat's TCPRoute (phase 3) ...
    let route = tmp.path().join("dbbat-route.yaml");
    std::fs::write(&route, "gatewayAPI:\n  enabled: true\n  parentRefs:\n    - {name: tcp-gateway, namespace: gateway-system, sectionName: postgres}\n    - name: other\n")
        .expect("write");
    let minimal = chart_dir("dbbat").join("values-minimal.yaml");
    let out = emit_stdout("dbbat", "rel", "ns", &[minimal.as_path(), route.as_path()], &[]);
    assert!(out.status.success(), "dbbat: {}", text(&out.stderr));
    collect("dbbat gateway api", &text(&out.stdout));
    // ... and DBBat's phase 4, the same builder.
    let dbbat = tmp.path().join("dbbat-cloudnativepg.yaml");
    std::fs::write(&dbbat, "cloudnativepg:\n  enabled: true\n  backup: {enabled: true, destination: {type: azure, bucket: acct.blob.core.windows.net/c, path: dbbat}, serviceAccountAnnotations: {azure.workload.identity/client-id: \"00000000-0000-0000-0000-000000000000\"}}\nsecrets:\n  existingSecret: dbbat-secrets\n").expect("write");
    let out = emit_stdout("dbbat", "rel", "ns", &[dbbat.as_path()], &[]);
    assert!(out.status.success(), "dbbat: {}", text(&out.stderr));
    collect("dbbat cloudnativepg", &text(&out.stdout));
    const KINDS: [&str; 5] = [
        "postgresql.cnpg.io/v1/Cluster",
        "postgresql.cnpg.io/v1/ScheduledBackup",
        "monitoring.coreos.com/v1/ServiceMonitor",
        "external-secrets.io/v1/ExternalSecret",
        "gateway.networking.k8s.io/v1alpha2/TCPRoute",
    ];
    for kind in KINDS {
        assert!(docs.iter().any(|(_, d)| key(d) == kind), "no {kind} emitted to validate");
    }
    let failures = validate(&docs, &schemas, tmp.path());
    assert!(failures.is_empty(), "custom resources the CRDs reject:\n{}", failures.join("\n"));
    eprintln!("{} custom resources validated against their CRDs", docs.len());

    // The check can fail: an unknown field in any of them is rejected.
    let failures = with_unknown_field(&docs, &schemas, tmp.path());
    assert_eq!(failures.len(), KINDS.len(), "every kind must reject spec.unknownField:\n{}", failures.join("\n"));
}

/// The failures of `docs`, each with `spec.unknownField` added, validated in `<dir>/bad`: one
/// per document when the validation can fail at all.
pub fn with_unknown_field(docs: &[(String, Value)], schemas: &BTreeMap<String, Value>, dir: &Path) -> Vec<String> {
    let bad: Vec<(String, Value)> = docs
        .iter()
        .map(|(label, doc)| {
            let mut doc = doc.clone();
            doc["spec"]["unknownField"] = json!(true);
            (format!("{label} with an unknown field"), doc)
        })
        .collect();
    let bad_dir = dir.join("bad");
    std::fs::create_dir_all(&bad_dir).expect("mkdir");
    validate(&bad, schemas, &bad_dir)
}

#[test]
fn backup_identity_annotates_the_cluster_service_account_in_both_renderers() {
    // CloudNativePG gives the pods the ServiceAccount of `spec.serviceAccountTemplate`; the cloud
    // identity of backups without a Secret comes from its annotations.
    let tmp = tempfile::tempdir().expect("tempdir");
    let production = chart_dir("aeterna").join("values-production.yaml");
    let with = tmp.path().join("with.yaml");
    std::fs::write(
        &with,
        "postgresql:\n  backup: {enabled: true, destination: {type: s3, bucket: b}, serviceAccountAnnotations: {eks.amazonaws.com/role-arn: \"arn:aws:iam::1:role/b\"}}\n",
    )
    .expect("write");
    let cluster = |stream: &str| parse_stream(stream).into_iter().find(|d| d["kind"] == "Cluster").expect("Cluster");
    let kforge = |files: &[&Path]| {
        let out = emit_stdout("aeterna", "rel", "ns", files, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        cluster(&text(&out.stdout))
    };
    let helm = |files: &[&Path]| {
        let out = helm_template("helm4", "aeterna", "rel", "ns", files, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        cluster(&text(&out.stdout))
    };
    for c in [kforge(&[production.as_path(), with.as_path()]), helm(&[production.as_path(), with.as_path()])] {
        assert_eq!(c["spec"]["serviceAccountTemplate"], json!({"metadata": {"annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/b"}}}));
        assert_eq!(c["spec"]["backup"]["barmanObjectStore"]["s3Credentials"], json!({"inheritFromIAMRole": true}));
    }
    for c in [kforge(&[production.as_path()]), helm(&[production.as_path()])] {
        assert!(c["spec"].get("serviceAccountTemplate").is_none(), "no annotations, no template: {}", c["spec"]);
    }
}

/// The node of `schema` at `path` (property names and `*` for list items), if the schema declares
/// one there.
fn node_at<'a>(schema: &'a kforge_crd::Node, path: &[String]) -> Option<&'a kforge_crd::Node> {
    let mut node = schema;
    for seg in path {
        node = if seg == "*" { node.items.as_deref()? } else { node.properties.get(seg)? };
    }
    Some(node)
}

/// Every value under `spec`, as (path for `node_at`, JSON pointer).
fn leaves(v: &Value, path: &mut Vec<String>, pointer: String, out: &mut Vec<(Vec<String>, String)>) {
    out.push((path.clone(), pointer.clone()));
    match v {
        Value::Object(m) => {
            for (k, val) in m {
                path.push(k.clone());
                leaves(val, path, format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")), out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, val) in items.iter().enumerate() {
                path.push("*".into());
                leaves(val, path, format!("{pointer}/{i}"), out);
                path.pop();
            }
        }
        _ => {}
    }
}

#[test]
fn the_native_validator_agrees_with_check_jsonschema_on_mutated_custom_resources() {
    // The native validator (kforge-crd, which `emit` runs) and check-jsonschema over the CRDs as
    // JSON Schema are independent implementations; on custom resources mutated at random (a
    // fixed seed: the same cases on every run) they must accept and refuse the same ones. Formats
    // are left out of both (the API server's formats are Go's, check-jsonschema's are the JSON
    // Schema RFCs'), as are CEL rules, which JSON Schema has not.
    let schemas = crd_schemas();
    let crds: Vec<kforge_crd::Crd> = CRD_DIRS.iter().flat_map(|d| kforge_crd::Crd::read_dir(&root().join(d)).unwrap_or_else(|e| panic!("{e}"))).collect();
    let native = &kforge_crd::Schemas::new(&crds).expect("schemas");
    let mut bases: Vec<Value> = Vec::new();
    for app in apps::all() {
        for env in app.environments() {
            for doc in parse_stream(&committed_environment(&root().join("charts-out"), &app.chart().name, env.name)) {
                if schemas.contains_key(&key(&doc)) && doc.get("spec").is_some() && !bases.iter().any(|b| key(b) == key(&doc)) {
                    bases.push(doc);
                }
            }
        }
    }
    assert!(bases.len() >= 4, "too few kinds to mutate: {:?}", bases.iter().map(key).collect::<Vec<_>>());
    let mut seed: u64 = 0x5eed_c0de;
    let mut next = |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n.max(1)
    };
    let mut cases: Vec<(String, Value)> = Vec::new();
    for i in 0..240 {
        let mut doc = bases[next(bases.len())].clone();
        let schema = native.get(doc["apiVersion"].as_str().unwrap_or(""), doc["kind"].as_str().unwrap_or("")).expect("known kind");
        let mut all = Vec::new();
        leaves(&doc["spec"], &mut vec!["spec".to_string()], "/spec".into(), &mut all);
        let (path, pointer) = all[next(all.len())].clone();
        let Some(node) = node_at(schema, &path) else { continue };
        let target = doc.pointer_mut(&pointer).expect("pointer");
        let what = match (next(4), &*target) {
            // An unknown field where the schema lists properties (elsewhere the JSON Schema
            // conversion keeps objects open, as it does for preserved fields).
            (0, Value::Object(_)) if !node.properties.is_empty() && !node.preserve_unknown_fields && matches!(node.additional, kforge_crd::schema::Additional::Unset) => {
                target["unknownField"] = json!(1);
                "unknown field"
            }
            (1, Value::String(_)) => {
                *target = json!("NOT-in-ENUM-or-pattern!");
                "string changed"
            }
            (2, Value::Number(_)) => {
                *target = json!(if next(2) == 0 { 1_000_000_000 } else { -1 });
                "bound crossed"
            }
            (_, Value::String(_)) => {
                *target = json!(12345);
                "type flipped"
            }
            (_, Value::Number(_) | Value::Bool(_)) => {
                *target = json!("text");
                "type flipped"
            }
            (_, Value::Object(_) | Value::Array(_)) => {
                *target = json!(true);
                "type flipped"
            }
            _ => continue,
        };
        cases.push((format!("{i}: {} {pointer} {what}", key(&doc)), doc));
    }
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    // The oracle: one check-jsonschema run per kind, JSON output naming each failing file.
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut by_kind: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for (i, (_, doc)) in cases.iter().enumerate() {
        let file = tmp.path().join(format!("{i}.json"));
        std::fs::write(&file, serde_json::to_string(doc).expect("json")).expect("write");
        by_kind.entry(key(doc)).or_default().push(file);
    }
    let mut refused_by_oracle = std::collections::BTreeSet::new();
    for (kind, files) in &by_kind {
        let schema_file = tmp.path().join(format!("{}.schema.json", kind.replace('/', "_")));
        std::fs::write(&schema_file, serde_json::to_string(&schemas[kind]).expect("json")).expect("write schema");
        let out = run(Command::new(tool("check-jsonschema")).args(["--disable-formats", "*", "-o", "json", "--schemafile"]).arg(&schema_file).args(files));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("check-jsonschema output: {e}: {}", text(&out.stderr)));
        for e in report["errors"].as_array().expect("errors") {
            refused_by_oracle.insert(e["filename"].as_str().expect("filename").to_string());
        }
    }
    let mut disagree = Vec::new();
    let (mut refused, mut accepted) = (0, 0);
    for (i, (label, doc)) in cases.iter().enumerate() {
        let schema = native.get(doc["apiVersion"].as_str().unwrap_or(""), doc["kind"].as_str().unwrap_or("")).expect("known");
        let violations: Vec<_> =
            kforge_crd::validate::validate_structure(schema, doc).into_iter().filter(|v| !matches!(v.kind, kforge_crd::ViolationKind::Format { .. })).collect();
        let oracle = refused_by_oracle.contains(&tmp.path().join(format!("{i}.json")).display().to_string());
        if oracle == violations.is_empty() {
            disagree.push(format!("{label}: check-jsonschema refuses: {oracle}; native: {:?}", violations.iter().map(ToString::to_string).collect::<Vec<_>>()));
        }
        if oracle { refused += 1 } else { accepted += 1 }
    }
    assert!(disagree.is_empty(), "{} of {} cases disagree:\n{}", disagree.len(), cases.len(), disagree.join("\n"));
    // Both verdicts occur: the agreement is not that of two validators that refuse everything.
    assert!(refused >= 50 && accepted >= 10, "{refused} refused, {accepted} accepted");
}

#[test]
fn a_cel_rule_a_values_file_breaks_is_refused_by_emit_and_the_check_and_helm_leaves_it_to_the_api_server() {
    // DBBat's TCPRoute with two parentRefs to the same Gateway and neither sectionName nor port:
    // the Gateway API CRD's rule refuses it. Helm's templates cannot evaluate CEL, so Helm
    // renders it and the API server refuses it at install (the book, docs/src/contract.md).
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("routes.yaml");
    std::fs::write(&file, "gatewayAPI:\n  enabled: true\n  parentRefs:\n    - name: tcp-gateway\n    - name: tcp-gateway\n").expect("write");
    let minimal = chart_dir("dbbat").join("values-minimal.yaml");
    let message = "TCPRoute/dbbat-pg: spec.parentRefs: Invalid value: sectionName or port must be unique when parentRefs includes 2 or more references to the same parent";
    let ours = emit_stdout("dbbat", "dbbat", "db", &[minimal.as_path(), file.as_path()], &[]);
    assert!(!ours.status.success() && text(&ours.stderr).contains(message), "emit --stdout: {}", text(&ours.stderr));
    let check = run(kforge().args(["check", "--app", "dbbat", "-f"]).arg(&minimal).arg("-f").arg(&file));
    assert!(!check.status.success() && text(&check.stderr).contains(message), "check: {}{}", text(&check.stdout), text(&check.stderr));
    // Helm renders it: the difference the book's chapter "The contract" (docs/src/contract.md) names.
    for helm in HELMS {
        let theirs = helm_template(helm, "dbbat", "dbbat", "db", &[minimal.as_path(), file.as_path()], &[]);
        assert!(theirs.status.success() && text(&theirs.stdout).contains("kind: TCPRoute"), "{helm}: {}", text(&theirs.stderr));
    }
    // With a sectionName each, both accept it.
    std::fs::write(&file, "gatewayAPI:\n  enabled: true\n  parentRefs:\n    - {name: tcp-gateway, sectionName: a}\n    - {name: tcp-gateway, sectionName: b}\n").expect("write");
    let ours = emit_stdout("dbbat", "dbbat", "db", &[minimal.as_path(), file.as_path()], &[]);
    assert!(ours.status.success(), "{}", text(&ours.stderr));
    for helm in HELMS {
        let theirs = helm_template(helm, "dbbat", "dbbat", "db", &[minimal.as_path(), file.as_path()], &[]);
        assert!(theirs.status.success(), "{helm}: {}", text(&theirs.stderr));
    }
}
