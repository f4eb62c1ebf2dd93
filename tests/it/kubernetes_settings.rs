//! Settings typed by what Kubernetes accepts, read alike by both renderers: the values that
//! Kubernetes takes render the same with Helm 4, Helm 3 and emit (whole floats as integers,
//! numeric strings as written, an open `global`), and two charts install as dependencies of an
//! umbrella chart sharing one `global`. What they refuse is in tests/bad-input/.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::support::*;

/// The values file a case goes over: the application's first example environment when its
/// defaults need values.
fn base(app: &str) -> Option<PathBuf> {
    let app = apps::find(app).expect("application");
    match (app.needs_values(), app.environments().first()) {
        (Some(_), Some(env)) => Some(chart_dir(&app.chart().name).join(format!("values-{}.yaml", env.name))),
        _ => None,
    }
}

/// The objects `yaml` renders for `app`, after checking that Helm 4, Helm 3 and emit agree.
fn rendered_alike(app: &str, yaml: &str) -> Vec<Value> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("values.yaml");
    std::fs::write(&file, yaml).expect("write");
    let base = base(app);
    let files: Vec<&Path> = base.iter().map(PathBuf::as_path).chain([file.as_path()]).collect();
    let ours = emit_stdout(app, app, "default", &files, &[]);
    assert!(ours.status.success(), "{app}, {yaml}: emit refused it: {}", text(&ours.stderr));
    for helm in HELMS {
        let theirs = helm_template(helm, app, app, "default", &files, &[]);
        assert!(theirs.status.success(), "{app}, {yaml}: {helm} refused it: {}", text(&theirs.stderr));
        compare_streams(&text(&theirs.stdout), &text(&ours.stdout)).unwrap_or_else(|e| panic!("{app}, {yaml}, {helm}: {e}"));
    }
    parse_stream(&text(&ours.stdout))
}

fn deployment(objects: &[Value]) -> &Value {
    objects.iter().find(|o| o["kind"] == "Deployment").expect("a Deployment")
}

fn env_of<'a>(objects: &'a [Value], name: &str) -> &'a Value {
    let env = deployment(objects)["spec"]["template"]["spec"]["containers"][0]["env"].as_array().expect("env");
    env.iter().find(|e| e["name"] == name).unwrap_or_else(|| panic!("no {name} in {env:?}"))
}

#[test]
fn whole_floats_are_integers_on_both_sides() {
    // JSON Schema counts 1.0 as an integer and Helm renders 1: so does emit.
    let objects = rendered_alike("backend", "replicaCount: 1.0\n");
    assert_eq!(deployment(&objects)["spec"]["replicas"], json!(1));
    let objects = rendered_alike("backend", "replicaCount: 1e1\ntolerations: [{key: k, operator: Exists, effect: NoExecute, tolerationSeconds: 3.0e2}]\n");
    assert_eq!(deployment(&objects)["spec"]["replicas"], json!(10));
    assert_eq!(deployment(&objects)["spec"]["template"]["spec"]["tolerations"][0]["tolerationSeconds"], json!(300));
}

#[test]
fn an_environment_variable_takes_a_string_value_as_kubernetes_does() {
    // `value: 8080` is refused (tests/bad-input/dbbat/extra-env-integer-value.yaml); the string
    // is what the API server takes, and both render it as a string.
    let objects = rendered_alike("dbbat", "extraEnv: [{name: PORT, value: \"8080\"}, {name: FROM, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]\n");
    assert_eq!(env_of(&objects, "PORT")["value"], json!("8080"));
    assert_eq!(env_of(&objects, "FROM")["valueFrom"]["fieldRef"]["fieldPath"], json!("metadata.name"));
}

#[test]
fn a_numeric_string_keeps_its_decimal_meaning() {
    // "10" is ten days on both sides; "010" is refused rather than read as octal 8 by the chart.
    // With an existing Secret (the example environment), it is a plain environment variable.
    let objects = rendered_alike("backend", "secrets: {jwtExpirationDays: \"10\"}\n");
    assert_eq!(env_of(&objects, "JWT_EXPIRATION_DAYS")["value"], json!("10"));
}

#[test]
fn integer_bounds_are_the_fields_bounds() {
    // The largest token count the backend reads (u32) and the largest int32 weight render alike.
    let objects = rendered_alike(
        "backend",
        "config: {maxTokens: 4294967295}\naffinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 100, podAffinityTerm: {topologyKey: zone}}]}}\n",
    );
    let config = objects.iter().find(|o| o["kind"] == "ConfigMap").expect("a ConfigMap");
    assert_eq!(config["data"]["MAX_TOKENS"], json!("4294967295"), "{config}");
    let affinity = &deployment(&objects)["spec"]["template"]["spec"]["affinity"];
    assert_eq!(affinity["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["weight"], json!(100));
}

#[test]
fn an_annotation_removed_with_null_over_a_default_is_gone_on_both_sides() {
    // A null over a default deletes it (Helm's coalescing), inside a Kubernetes object too.
    let objects = rendered_alike("backend", "podSecurityContext: {fsGroup: null}\n");
    let context = &deployment(&objects)["spec"]["template"]["spec"]["securityContext"];
    assert!(context.get("fsGroup").is_none() && context["runAsNonRoot"] == json!(true), "{context}");
}

#[test]
fn every_chart_takes_any_global() {
    for app in apps::all() {
        rendered_alike(&app.chart().name, "global: {environment: prod, imageRegistry: \"\", other: {nested: [1, 2]}}\n");
    }
}

/// An umbrella chart with two of ours as `file://` dependencies, built offline with
/// `helm dependency build`, renders with one `global` shared by both and each chart's values
/// under its name; Helm 4 and 3 agree on the objects, and each subchart's objects are those emit
/// renders from the same values.
#[test]
fn two_charts_install_as_dependencies_of_an_umbrella_chart() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let umbrella = tmp.path().join("platform");
    std::fs::create_dir_all(&umbrella).expect("mkdir");
    let (backbone, aeterna) = (chart_dir("backbone"), chart_dir("aeterna"));
    let version = |dir: &Path| {
        let chart: Value = serde_saphyr::from_str(&std::fs::read_to_string(dir.join("Chart.yaml")).expect("Chart.yaml")).expect("yaml");
        chart["version"].as_str().expect("version").to_string()
    };
    std::fs::write(
        umbrella.join("Chart.yaml"),
        format!(
            "apiVersion: v2\nname: platform\nversion: 0.1.0\ndependencies:\n  - name: backbone\n    version: \"{}\"\n    repository: \"file://{}\"\n  - name: aeterna\n    version: \"{}\"\n    repository: \"file://{}\"\n",
            version(&backbone),
            backbone.display(),
            version(&aeterna),
            aeterna.display()
        ),
    )
    .expect("Chart.yaml");
    // Aeterna needs values (its first example environment), given under its name.
    let app = apps::find("aeterna").expect("aeterna");
    let env = app.environments().first().expect("an environment");
    let aeterna_values: Value = serde_saphyr::from_str(env.text).expect("environment values");
    let global = json!({"environment": "prod", "imageRegistry": "mirror.example.com", "storageClass": "fast"});
    let values = json!({"global": global, "backbone": {"replicaCount": 1}, "aeterna": aeterna_values});
    std::fs::write(umbrella.join("values.yaml"), serde_json::to_string_pretty(&values).expect("json")).expect("values.yaml");

    let mut streams = Vec::new();
    for helm in HELMS {
        let home = tmp.path().join(format!("{helm}-home"));
        let with_home = |cmd: &mut Command| {
            cmd.env("HELM_CACHE_HOME", home.join("cache")).env("HELM_CONFIG_HOME", home.join("config")).env("HELM_DATA_HOME", home.join("data"));
        };
        let _ = std::fs::remove_dir_all(umbrella.join("charts"));
        let _ = std::fs::remove_file(umbrella.join("Chart.lock"));
        let mut build = Command::new(tool(helm));
        build.args(["dependency", "build", "--skip-refresh"]).arg(&umbrella);
        with_home(&mut build);
        let out = run(&mut build);
        assert!(out.status.success(), "{helm} dependency build: {}{}", text(&out.stdout), text(&out.stderr));
        let mut template = Command::new(tool(helm));
        template.args(["template", "platform"]).arg(&umbrella).args(["-n", "platform"]);
        with_home(&mut template);
        let out = run(&mut template);
        assert!(out.status.success(), "{helm} template of the umbrella chart: {}", text(&out.stderr));
        streams.push(text(&out.stdout));
    }
    compare_streams(&streams[0], &streams[1]).unwrap_or_else(|e| panic!("Helm 4 and Helm 3 differ on the umbrella chart: {e}"));

    // Each subchart renders what emit renders from its part of the values and the shared global.
    let objects = parse_stream(&streams[0]);
    for (name, own) in [("backbone", &values["backbone"]), ("aeterna", &values["aeterna"])] {
        let mut sub = own.clone();
        sub["global"] = global.clone();
        let file = tmp.path().join(format!("{name}-values.yaml"));
        std::fs::write(&file, serde_json::to_string_pretty(&sub).expect("json")).expect("write");
        let ours = emit_stdout(name, "platform", "platform", &[file.as_path()], &[]);
        assert!(ours.status.success(), "{name}: emit refused the umbrella's values: {}", text(&ours.stderr));
        let ours = parse_stream(&text(&ours.stdout));
        let theirs: Vec<&Value> = objects.iter().filter(|o| o["metadata"]["labels"]["app.kubernetes.io/name"] == json!(name)).collect();
        assert_eq!(theirs.len(), ours.len(), "{name}: the umbrella renders {} objects of the chart, emit {}", theirs.len(), ours.len());
        let yaml = |docs: Vec<&Value>| docs.iter().map(|d| format!("---\n{}\n", serde_json::to_string(d).expect("json"))).collect::<String>();
        compare_streams(&yaml(theirs), &yaml(ours.iter().collect())).unwrap_or_else(|e| panic!("{name} in the umbrella chart and emit differ: {e}"));
    }
    // The shared registry reached Aeterna's images.
    assert!(streams[0].contains("mirror.example.com/"), "global.imageRegistry was not applied");
}

#[test]
fn extra_env_may_read_a_secret_of_the_operators_own() {
    // An env var from an existing Secret (as the chart README documents `extraEnv`) is the
    // operator's to provide: the check must not refuse it as a dangling reference.
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("extra-env.yaml");
    std::fs::write(&file, "extraEnv:\n  - name: API_TOKEN\n    valueFrom:\n      secretKeyRef: {name: my-team-secret, key: token}\n").expect("write");
    let out = run(kforge().args(["check", "--app", "dbbat", "--values", "crates/apps/src/dbbat/values-production.yaml", "--values"]).arg(&file));
    assert!(out.status.success(), "{}", text(&out.stderr));
}
