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
fn base_values(app: &dyn kforge::Application) -> Vec<PathBuf> {
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
            // A budget takes one bound: clear `minAvailable` beside a `maxUnavailable`; a section
            // with `enabled` is turned on, since a rule applies only where its object renders.
            let with = |percent: &str| {
                let (parent, key) = setting.rsplit_once('.').expect("a nested setting");
                let section = schema.pointer(&format!("/properties/{}", parent.replace('.', "/properties/"))).expect("the section");
                let mut v = json!({key: percent});
                if key == "maxUnavailable" && section.pointer("/properties/minAvailable").is_some() {
                    v["minAvailable"] = json!("");
                }
                if section.pointer("/properties/enabled").is_some() {
                    v["enabled"] = json!(true);
                }
                nested(parent, v)
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
                nested(&ingress, json!({"enabled": true, "tls": [{"secretName": "todo-tls", "hosts": ["todo.example.com", "Todo.Example.com"]}]})),
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

/// A rule applies only where its object renders: a disabled budget, a disabled Ingress, a
/// `Recreate` strategy and a node port of a ClusterIP Service are not judged, and render alike.
#[test]
fn rules_apply_only_where_their_object_renders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    let mut cases = 0;
    for app in apps::all() {
        let name = app.chart().name.clone();
        let base = base_values(app.as_ref());
        let schema = app.schema();
        let mut off = Vec::new();
        let mut budgets = Vec::new();
        find_all(&schema, "", &|k, _| k == "minAvailable", &mut budgets);
        for setting in budgets {
            let parent = setting.rsplit_once('.').expect("nested").0.to_string();
            off.push(nested(&parent, json!({"enabled": false, "minAvailable": "150%"})));
        }
        if let Some(ingress) = find(&schema, "", &|_, s| s.pointer("/properties/hosts/items/properties/paths").is_some()) {
            off.push(nested(&ingress, json!({"enabled": false, "className": "Nginx", "hosts": [{"host": "Todo.Example.com", "paths": [{"path": "api", "pathType": "Prefix"}]}]})));
        }
        let mut strategies = Vec::new();
        find_all(&schema, "", &|k, s| k == "strategy" && s.pointer("/properties/rollingUpdate").is_some(), &mut strategies);
        for strategy in strategies {
            off.push(nested(&strategy, json!({"type": "Recreate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}})));
        }
        let mut services = Vec::new();
        find_all(&schema, "", &|_, s| s.pointer("/properties/nodePort").is_some() && s.pointer("/properties/type").is_some(), &mut services);
        for service in services {
            off.push(nested(&service, json!({"type": "ClusterIP", "nodePort": 80})));
        }
        for values in off {
            cases += 1;
            accepted_alike(&name, &base, &values, dir.path(), &mut failures);
        }
    }
    // Budgets (dbbat 1, Aeterna 2), Ingresses (3), the backend's strategy, Services (6 or more).
    assert!(cases >= 12, "{cases} cases");
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}

/// One case of `tests/api-rules/corpus.yaml`: a value of a part Kubernetes judges, from its own
/// validation tests.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CorpusCase {
    part: String,
    upstream: String,
    valid: bool,
    value: Value,
    #[serde(default)]
    says: Option<String>,
    /// Valid to the API server, refused by the restricted Pod Security Standard.
    #[serde(default)]
    restricted: bool,
    /// Refused by the values schema (Kubernetes' own schema requires the field), which Helm
    /// words its own way.
    #[serde(default)]
    schema: bool,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
struct Corpus {
    parts: serde_json::Map<String, Value>,
    cases: Vec<CorpusCase>,
}

fn corpus() -> Corpus {
    let text = std::fs::read_to_string(crate::support::root().join("tests/api-rules/corpus.yaml")).expect("the corpus");
    serde_saphyr::from_str(&text).expect("the corpus parses")
}

fn part_of(name: &str) -> kforge::rules::Part {
    kforge::rules::Part::ALL.into_iter().find(|p| format!("{p:?}") == name).unwrap_or_else(|| panic!("no part {name}"))
}

/// Every case of the corpus, judged by the rules the check applies to rendered objects (the
/// API server's, without the restricted standard) and with the standard: a valid case passes,
/// an invalid one is refused with its message.
#[test]
fn the_upstream_corpus_is_judged_as_kubernetes_judges_it() {
    use kforge::rules::Lifted;
    let corpus = corpus();
    let mut failures = Vec::new();
    for case in &corpus.cases {
        assert!(corpus.parts.contains_key(&case.part), "{}: the part is not in the header", case.upstream);
        let part = part_of(&case.part);
        let api = part.problem("x", &case.value, Lifted::ALL);
        match (&api, case.valid) {
            (None, true) | (Some(_), false) => {}
            (found, _) => failures.push(format!("{} ({}): expected {}, got {found:?}", case.upstream, case.part, if case.valid { "valid" } else { "invalid" })),
        }
        if let (Some(says), Some(message)) = (&case.says, &api)
            && !message.contains(says.as_str())
        {
            failures.push(format!("{}: the message {message:?} lacks {says:?}", case.upstream));
        }
        let full = part.problem("x", &case.value, Lifted::NONE);
        if case.restricted && !full.as_deref().is_some_and(|m| m.contains("Pod Security Standard restricted")) {
            failures.push(format!("{}: the restricted standard should refuse it, got {full:?}", case.upstream));
        }
    }
    let upstream: std::collections::BTreeSet<&str> = corpus.cases.iter().map(|c| c.upstream.split(':').next().unwrap_or("")).collect();
    eprintln!("corpus: {} cases of {} upstream tests and functions", corpus.cases.len(), upstream.len());
    assert!(corpus.cases.len() >= 200, "{} cases", corpus.cases.len());
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}

/// Where each part is set in an application: the application, the setting, whether it is a list
/// of parts, and the values that make the object render.
fn corpus_setting(part: &str) -> Option<(&'static str, &'static str, bool, Value)> {
    Some(match part {
        "Toleration" => ("backbone", "tolerations", true, json!({})),
        "Affinity" => ("backbone", "affinity", false, json!({})),
        "PodSecurityContext" => ("backbone", "podSecurityContext", false, json!({})),
        "SecurityContext" => ("backbone", "securityContext", false, json!({})),
        "EnvVar" => ("dbbat", "extraEnv", true, json!({})),
        "Volume" => ("dbbat", "extraVolumes", true, json!({})),
        "VolumeMount" => ("dbbat", "extraVolumeMounts", true, json!({})),
        "ClusterRoleRule" => ("backbone", "rbac.rules", true, json!({"k8s": {"enabled": true}, "rbac": {"create": true}})),
        "NodePort" => ("backend", "service.nodePort", false, json!({"service": {"type": "NodePort"}})),
        "IngressClassName" => ("dbbat", "ingress.className", false, json!({"ingress": {"enabled": true}})),
        "StorageClassName" => ("backbone", "persistence.storageClass", false, json!({"persistence": {"enabled": true}})),
        "StorageRequest" => ("backbone", "persistence.size", false, json!({"persistence": {"enabled": true}})),
        "ImageRepository" => ("backbone", "image.repository", false, json!({})),
        // No application gives a namespaced Role's rules from values.
        _ => return None,
    })
}

/// Every case of the corpus through emit, Helm 4 and Helm 3, in the setting of an application
/// that renders that part: an invalid case is refused by all three with the same message (its
/// `says`), a valid one renders, or is refused by all three for the restricted standard only.
#[test]
fn the_upstream_corpus_is_refused_alike_by_both_renderers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = corpus();
    let runs: Vec<(usize, &CorpusCase, &'static str, Vec<PathBuf>, Value, String)> = corpus
        .cases
        .iter()
        .enumerate()
        .filter_map(|(i, case)| {
            let (app, setting, list, mut values) = corpus_setting(&case.part)?;
            let base = base_values(apps::find(app).expect("application").as_ref());
            let value = if list { json!([case.value]) } else { case.value.clone() };
            let mut value = value;
            // A security context replaces the default one whole: the default keys the case
            // leaves out are deleted (a null deletes what it meets).
            if !list && case.value.is_object() {
                let defaults = apps::find(app).expect("application").defaults();
                if let Some(Value::Object(default)) = setting.split('.').try_fold(&defaults, |v, k| v.get(k)) {
                    for k in default.keys() {
                        if case.value.get(k).is_none() {
                            value[k.as_str()] = Value::Null;
                        }
                    }
                }
            }
            crate::support::merge_into(&mut values, nested(setting, value));
            // A mount needs its volume.
            if case.part == "VolumeMount"
                && let Some(name) = case.value.get("name").and_then(Value::as_str).filter(|n| !n.is_empty())
            {
                crate::support::merge_into(&mut values, json!({"extraVolumes": [{"name": name, "emptyDir": {}}]}));
            }
            let path = if list { format!("{setting}[0]") } else { setting.to_string() };
            Some((i, case, app, base, values, path))
        })
        .collect();
    let dir = dir.path();
    let failures: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = runs
            .chunks(runs.len().div_ceil(2))
            .map(|chunk| {
                s.spawn(move || {
                    let mut failures = Vec::new();
                    for (i, case, app, base, values, path) in chunk {
                        let file = dir.join(format!("corpus-{i}.yaml"));
                        std::fs::write(&file, serde_json::to_string(values).expect("json")).expect("write values");
                        let files: Vec<&Path> = base.iter().map(PathBuf::as_path).chain([file.as_path()]).collect();
                        let ours = emit_stdout(app, app, "ns", &files, &[]);
                        let said = text(&ours.stderr);
                        let message = said.lines().find(|l| l.starts_with("error: ")).and_then(|l| l.splitn(3, ": ").nth(2)).unwrap_or_default().to_string();
                        let note = case.note.as_deref().map_or(String::new(), |n| format!("; {n}"));
                        let label = format!("{} ({}, {app} {path}{note})", case.upstream, case.part);
                        let restricted_only = message.contains("Pod Security Standard restricted");
                        if case.valid && !ours.status.success() && !restricted_only {
                            failures.push(format!("{label}: emit should render {values}, said: {said}"));
                            continue;
                        }
                        if case.schema {
                            // Both refuse it through the schema: emit names the setting.
                            if ours.status.success() || !said.contains(path.as_str()) {
                                failures.push(format!("{label}: emit should refuse {values} through the schema at {path}, said: {said}"));
                            }
                            for helm in HELMS {
                                if helm_template(helm, app, app, "ns", &files, &[]).status.success() {
                                    failures.push(format!("{label}, {helm}: should refuse {values}"));
                                }
                            }
                            continue;
                        }
                        if !case.valid {
                            let wanted = path.to_string();
                            if ours.status.success() || !message.starts_with(&wanted) || case.says.as_ref().is_some_and(|s| !message.contains(s.as_str())) {
                                failures.push(format!("{label}: emit should refuse {values} at {wanted} with {:?}, said: {said}", case.says));
                                continue;
                            }
                        }
                        for helm in HELMS {
                            let theirs = helm_template(helm, app, app, "ns", &files, &[]);
                            match (ours.status.success(), theirs.status.success()) {
                                (true, true) => {}
                                (false, false) if text(&theirs.stderr).contains(&message) => {}
                                _ => failures.push(format!("{label}, {helm}: emit said {message:?}, {helm} said: {}", text(&theirs.stderr))),
                            }
                        }
                    }
                    failures
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("worker")).collect()
    });
    eprintln!("corpus: {} of {} cases run through emit, Helm 4 and Helm 3", runs.len(), corpus.cases.len());
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}

/// The examples that started these rules, each refused by emit, Helm 4 and Helm 3 with the same
/// message: a list setting that repeats a key the chart sets, two settings that give one key, a
/// mount of a volume nobody declares.
#[test]
fn keys_the_chart_sets_and_mounts_of_undeclared_volumes_are_refused_alike() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    let base = base_values(apps::find("dbbat").expect("dbbat").as_ref());
    let cases = [
        (
            json!({"extraEnv": [{"name": "DBB_DSN", "value": "postgres://elsewhere/db"}]}),
            "extraEnv[0].name: the environment variable DBB_DSN is given by the chart already, in container dbbat",
        ),
        (json!({"extraEnv": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]}), "extraEnv[1].name: the environment variable A is given by extraEnv[0].name already"),
        (json!({"config": {"listenApi": ":5432"}}), "config.listenPg: the container port 5432/TCP is given by config.listenApi already, in container dbbat"),
        (json!({"extraVolumeMounts": [{"name": "keys", "mountPath": "/keys"}]}), "extraVolumeMounts[0].name: the pod has no volume \"keys\" to mount"),
        (
            json!({"extraVolumes": [{"name": "keys", "emptyDir": {}}], "extraVolumeMounts": [{"name": "keys", "mountPath": "/tmp"}]}),
            "extraVolumeMounts[0].mountPath: the mount path /tmp is given by the chart already",
        ),
        (json!({"extraVolumes": [{"name": "tmp", "emptyDir": {}}]}), "extraVolumes[0].name: the volume tmp is given by the chart already"),
    ];
    for (values, expected) in cases {
        refused_alike("dbbat", &base, "dbbat", &values, expected, dir.path(), &mut failures);
    }
    // Valid neighbours render: the mount of a declared volume, another port, another name.
    for values in [
        json!({"extraVolumes": [{"name": "keys", "emptyDir": {}}], "extraVolumeMounts": [{"name": "keys", "mountPath": "/keys"}]}),
        json!({"config": {"listenApi": ":8081"}}),
        json!({"extraEnv": [{"name": "DBB_EXTRA", "value": "1"}]}),
    ] {
        accepted_alike("dbbat", &base, &values, dir.path(), &mut failures);
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}

/// emit --stdout runs the check: a budget that allows no eviction is rendered, with the check's
/// warning on standard error, and NOTES.txt says the same in Helm's output.
#[test]
fn a_budget_that_allows_no_eviction_is_warned_of_by_emit_stdout_and_in_the_notes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = base_values(apps::find("dbbat").expect("dbbat").as_ref());
    let warned = |values: Value| {
        let file = dir.path().join("budget.yaml");
        std::fs::write(&file, serde_json::to_string(&values).expect("json")).expect("write values");
        let files: Vec<&Path> = base.iter().map(PathBuf::as_path).chain([file.as_path()]).collect();
        let ours = emit_stdout("dbbat", "dbbat", "ns", &files, &[]);
        assert!(ours.status.success(), "{}", text(&ours.stderr));
        let mut helm = std::process::Command::new(crate::support::tool("helm4"));
        helm.args(["install", "dbbat", "--dry-run=client", "-n", "ns"]).arg(chart_dir("dbbat"));
        for f in &files {
            helm.arg("-f").arg(f);
        }
        let out = crate::support::run(&mut helm);
        assert!(out.status.success(), "{}", text(&out.stderr));
        (text(&ours.stderr).contains("warning: ") && text(&ours.stderr).contains("allows no voluntary eviction"), text(&out.stdout).contains("allows no voluntary eviction"))
    };
    assert_eq!(warned(json!({"podDisruptionBudget": {"enabled": true}})), (true, true), "replicas 1, minAvailable 1");
    assert_eq!(warned(json!({"podDisruptionBudget": {"enabled": true, "minAvailable": "", "maxUnavailable": 0}, "replicaCount": 3})), (true, true), "maxUnavailable 0");
    assert_eq!(warned(json!({"podDisruptionBudget": {"enabled": true}, "replicaCount": 2})), (false, false), "one of two pods may go");
    assert_eq!(warned(json!({"podDisruptionBudget": {"enabled": false}})), (false, false), "no budget");
}
