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
        case(nested(&resources, json!({"requests": {"memory": "64Gi"}})), &format!("{resources}.requests.memory (64Gi) is more than {resources}.limits.memory"));
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

/// Runs one case through emit and both Helms: all render it.
fn accepted_alike(app: &str, base: &[PathBuf], values: &Value, dir: &Path, failures: &mut Vec<String>) {
    let file = dir.join(format!("{app}-ok-{}.yaml", failures.len()));
    std::fs::write(&file, serde_json::to_string(values).expect("json")).expect("write values");
    let files: Vec<&Path> = base.iter().map(PathBuf::as_path).chain([file.as_path()]).collect();
    let ours = emit_stdout(app, app, "ns", &files, &[]);
    if !ours.status.success() {
        failures.push(format!("{app}: emit should render {values}, said: {}", text(&ours.stderr)));
    }
    for helm in HELMS {
        let theirs = helm_template(helm, app, app, "ns", &files, &[]);
        if !theirs.status.success() {
            failures.push(format!("{app}, {helm}: should render {values}, said: {}", text(&theirs.stderr)));
        }
    }
}

/// The values an application's first environment needs to render, if any.
fn base_values(app: &dyn manifests::Application) -> Vec<PathBuf> {
    match (app.needs_values(), app.environments().first()) {
        (Some(_), Some(env)) => vec![chart_dir(&app.chart().name).join(format!("values-{}.yaml", env.name))],
        _ => Vec::new(),
    }
}

/// Every setting (dotted path) whose schema `matches`, depth first in schema order.
fn find_all(schema: &Value, at: &str, matches: &dyn Fn(&str, &Value) -> bool, out: &mut Vec<String>) {
    for (k, sub) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
        let path = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
        if matches(k, sub) {
            out.push(path.clone());
        }
        find_all(sub, &path, matches, out);
    }
}

/// `minAvailable` and `maxUnavailable` (a PodDisruptionBudget's, a rolling update's) above 100%,
/// wherever an application renders one from a setting: refused alike, while 100% renders.
#[test]
fn percentages_over_100_percent_are_refused_by_both_renderers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    let mut cases = 0;
    for app in apps::all() {
        let name = app.chart().name.clone();
        let base = base_values(app.as_ref());
        let schema = app.schema();
        let mut settings = Vec::new();
        find_all(&schema, "", &|k, _| k == "minAvailable" || k == "maxUnavailable", &mut settings);
        for setting in settings {
            // A budget takes one bound: clear `minAvailable` beside a `maxUnavailable`.
            let with = |percent: &str| {
                let mut v = nested(&setting, json!(percent));
                if let Some(parent) = setting.strip_suffix(".maxUnavailable")
                    && schema.pointer(&format!("/properties/{}/properties/minAvailable", parent.replace('.', "/properties/"))).is_some()
                {
                    v = nested(parent, json!({"minAvailable": "", "maxUnavailable": percent}));
                }
                v
            };
            cases += 1;
            refused_alike(&name, &base, &name, &with("150%"), &format!("{setting}: the percentage \"150%\" is more than 100%"), dir.path(), &mut failures);
            accepted_alike(&name, &base, &with("100%"), dir.path(), &mut failures);
        }
    }
    // dbbat's budget (2), Aeterna's two budgets (4), the backend's rolling update (1).
    assert!(cases >= 7, "{cases} cases");
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}

/// Ingress hosts, TLS hosts and paths Kubernetes refuses, for every application with an
/// Ingress: refused alike, while their valid neighbours render.
#[test]
fn ingress_hosts_and_paths_the_api_server_would_refuse_are_refused_by_both_renderers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    let mut apps_with_ingress = 0;
    for app in apps::all() {
        let name = app.chart().name.clone();
        let schema = app.schema();
        let Some(ingress) = find(&schema, "", &|_, s| s.pointer("/properties/hosts/items/properties/paths").is_some()) else { continue };
        apps_with_ingress += 1;
        let base = base_values(app.as_ref());
        let rule =
            |host: &str, path: &str, path_type: &str| nested(&ingress, json!({"enabled": true, "hosts": [{"host": host, "paths": [{"path": path, "pathType": path_type}]}]}));
        let hosts = format!("{ingress}.hosts[0]");
        let refused = [
            (rule("Todo.Example.com", "/", "Prefix"), format!("{hosts}.host: the host \"Todo.Example.com\" is not valid")),
            (rule("10.0.0.1", "/", "Prefix"), format!("{hosts}.host: the host \"10.0.0.1\" is an IP address")),
            (rule("a.*.example.com", "/", "Prefix"), format!("{hosts}.host: the host \"a.*.example.com\" is not valid")),
            (rule("todo.example.com", "api", "Prefix"), format!("{hosts}.paths[0].path: the path \"api\" is not absolute")),
            (rule("todo.example.com", "/api//v1", "Exact"), format!("{hosts}.paths[0].path: the path \"/api//v1\" contains '//'")),
            (rule("todo.example.com", "/api/..", "Prefix"), format!("{hosts}.paths[0].path: the path \"/api/..\" ends with '/..'")),
            (rule("todo.example.com", "api", "ImplementationSpecific"), format!("{hosts}.paths[0].path: the path \"api\" is not absolute")),
            (
                nested(&ingress, json!({"tls": [{"secretName": "todo-tls", "hosts": ["todo.example.com", "Todo.Example.com"]}]})),
                format!("{ingress}.tls[0].hosts[1]: the host \"Todo.Example.com\" is not valid"),
            ),
        ];
        for (values, expected) in refused {
            refused_alike(&name, &base, &name, &values, &expected, dir.path(), &mut failures);
        }
        let accepted = [
            rule("*.example.com", "/api", "Prefix"),
            rule("", "/api/v1", "Exact"),
            rule("todo.example.com", "", "ImplementationSpecific"),
            nested(&ingress, json!({"enabled": true, "tls": [{"secretName": "todo-tls", "hosts": ["*.example.com", "todo.example.com"]}]})),
        ];
        for values in accepted {
            accepted_alike(&name, &base, &values, dir.path(), &mut failures);
        }
    }
    assert!(apps_with_ingress >= 3, "{apps_with_ingress} applications with an Ingress");
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}
