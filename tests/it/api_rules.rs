//! The examples of values the API server would refuse, per application: each is refused by
//! emit, Helm 4 and Helm 3 with the same message, which names the setting and the rule.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::{HELMS, chart_dir, emit_stdout, helm_template, text};

/// The first setting (dotted path) whose schema `matches`, depth first in schema order.
fn find(schema: &Value, at: &str, matches: &dyn Fn(&str, &Value) -> bool) -> Option<String> {
    for (k, sub) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
        let path = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
        if matches(k, sub) {
            return Some(path);
        }
        if let Some(p) = find(sub, &path, matches) {
            return Some(p);
        }
    }
    None
}

/// `{a: {b: value}}` for `a.b`.
fn nested(path: &str, value: Value) -> Value {
    path.rsplit('.').fold(value, |v, k| json!({ k: v }))
}

fn string_map(s: &Value) -> bool {
    s.get("additionalProperties").and_then(|a| a.get("type")).and_then(Value::as_str) == Some("string")
}

/// Runs one case through emit and both Helms: all refuse, and say `expected`.
fn refused_alike(app: &str, base: &[PathBuf], release: &str, values: &Value, expected: &str, dir: &Path, failures: &mut Vec<String>) {
    let file = dir.join(format!("{app}-{}.yaml", failures.len() + expected.len()));
    std::fs::write(&file, serde_json::to_string(values).expect("json")).expect("write values");
    let files: Vec<&Path> = base.iter().map(PathBuf::as_path).chain([file.as_path()]).collect();
    let ours = emit_stdout(app, release, "ns", &files, &[]);
    let said = text(&ours.stderr);
    if ours.status.success() || !said.contains(expected) {
        failures.push(format!("{app}: emit should refuse {values} with {expected:?}, said: {said}"));
        return;
    }
    let message = said.trim().lines().next().unwrap_or_default().splitn(3, ": ").nth(2).unwrap_or_default().to_string();
    for helm in HELMS {
        let theirs = helm_template(helm, app, release, "ns", &files, &[]);
        if theirs.status.success() || !text(&theirs.stderr).contains(&message) {
            failures.push(format!("{app}, {helm}: should refuse {values} with {message:?}, said: {}", text(&theirs.stderr)));
        }
    }
}

#[test]
fn values_the_api_server_would_refuse_are_refused_by_both_renderers_per_application() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    let mut cases = 0;
    for app in apps::all() {
        let name = app.chart().name.clone();
        let schema = app.schema();
        let base: Vec<PathBuf> = match (app.needs_values(), app.environments().first()) {
            (Some(_), Some(env)) => vec![chart_dir(&name).join(format!("values-{}.yaml", env.name))],
            _ => Vec::new(),
        };
        let mut case = |values: Value, expected: &str| {
            cases += 1;
            refused_alike(&name, &base, &name, &values, expected, dir.path(), &mut failures);
        };
        // Requests above the default limit they are merged with.
        let resources = find(&schema, "", &|k, s| k == "resources" && s.pointer("/properties/requests").is_some()).expect("a resources setting");
        case(nested(&resources, json!({"requests": {"memory": "64Gi"}})), &format!("{resources}.requests.memory is more than {resources}.limits.memory"));
        // A label value of 70 characters, a key with a space, a selector label replaced.
        let labels =
            find(&schema, "", &|k, s| k == "podLabels" && string_map(s)).or_else(|| find(&schema, "", &|k, s| k == "nodeSelector" && string_map(s))).expect("a label setting");
        case(nested(&labels, json!({"team": "v".repeat(70)})), &format!("{labels}: the value of label \"team\" is not valid"));
        case(nested(&labels, json!({"a b": "x"})), &format!("{labels}: the label key \"a b\" is not valid"));
        if labels.ends_with("podLabels") {
            case(nested(&labels, json!({"app.kubernetes.io/name": "other"})), &format!("{labels}: the label \"app.kubernetes.io/name\" is set by the chart"));
        }
        // Annotations over the size the API server takes.
        let annotations = find(&schema, "", &|k, s| k == "podAnnotations" && string_map(s)).expect("a podAnnotations setting");
        case(nested(&annotations, json!({"example.com/big": "x".repeat(200 * 1024), "example.com/more": "y".repeat(60 * 1024)})), &format!("{annotations}: the annotations take"));
    }
    assert!(cases >= 4 * 4, "{cases} cases");
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}

/// The example of the issue that started these rules: Backbone with its MQTT Service and a
/// release name of 53 characters, Helm's longest.
#[test]
fn a_long_release_name_is_refused_naming_the_derived_name_and_the_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    let release = "r".repeat(53);
    let expected = format!("the Service name \"{release}-backbone-mqtt\" has 67 characters, over the 63 a Service name may have");
    refused_alike("backbone", &[], &release, &json!({"tcp": {"enabled": true}}), &expected, dir.path(), &mut failures);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
