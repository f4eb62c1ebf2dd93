//! Safety of what `emit` writes: checkov passes on every committed manifest (but for the checks
//! tests/checkov-skips.yaml documents), no secret value reaches charts-out, `kforge check` and
//! `emit` stop on what the check finds, and a failing emit leaves charts-out byte-identical.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::support::*;

// ----- checkov -------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Skip {
    id: String,
    check: String,
    reason: String,
}

#[test]
fn checkov_finds_nothing_in_the_committed_manifests_but_the_documented_exceptions() {
    let skips: Vec<Skip> = serde_saphyr::from_str(&std::fs::read_to_string(root().join("tests/checkov-skips.yaml")).expect("tests/checkov-skips.yaml")).expect("skips parse");
    for s in &skips {
        assert!(s.id.starts_with("CKV") && !s.check.is_empty() && s.reason.len() > 40, "{}: each skip names its check and says why", s.id);
    }
    let skipped: BTreeSet<&str> = skips.iter().map(|s| s.id.as_str()).collect();

    // Everything checkov is given must be read: count the objects it should see.
    let dir = root().join("charts-out/manifests");
    let mut objects = 0;
    for app in apps::all() {
        let name = &app.chart().name;
        let envs = std::fs::read_dir(dir.join(name)).expect("app dir").map(|e| e.expect("entry").path()).filter(|p| p.is_dir());
        for env in envs {
            objects += parse_stream(&committed_environment(&root().join("charts-out"), name, &env.file_name().expect("name").to_string_lossy())).len();
        }
    }
    assert!(objects > 0);

    // Without --skip-check, so that a skip no longer needed shows up as stale.
    let out = run(Command::new(tool("checkov"))
        .env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true")
        .args(["--framework", "kubernetes", "--quiet", "--compact", "--skip-download", "-o", "json", "-d"])
        .arg(&dir));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("checkov output is not JSON ({e}):\n{}\n{}", text(&out.stdout), text(&out.stderr)));
    let reports = match report {
        Value::Array(r) => r,
        single => vec![single],
    };
    let k8s = reports.iter().find(|r| r["check_type"] == "kubernetes").unwrap_or_else(|| panic!("no kubernetes report from checkov:\n{reports:#?}"));
    let summary = &k8s["summary"];
    let scanned = summary["resource_count"].as_u64().unwrap_or(0) as usize;
    assert_eq!(summary["parsing_errors"].as_u64(), Some(0), "checkov could not parse some manifests: {summary}");
    assert!(scanned >= objects, "checkov scanned {scanned} resources of the {objects} objects in {}: {summary}", dir.display());
    assert!(summary["passed"].as_u64().unwrap_or(0) > 0, "checkov passed nothing: {summary}");

    let mut failed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in k8s["results"]["failed_checks"].as_array().into_iter().flatten() {
        let id = f["check_id"].as_str().unwrap_or("?").to_string();
        failed.entry(id).or_default().insert(format!(
            "{} in {}: {}",
            f["resource"].as_str().unwrap_or("?"),
            f["file_path"].as_str().unwrap_or("?"),
            f["check_name"].as_str().unwrap_or("?")
        ));
    }
    let unexpected: Vec<String> = failed.iter().filter(|(id, _)| !skipped.contains(id.as_str())).flat_map(|(id, at)| at.iter().map(move |a| format!("{id} {a}"))).collect();
    assert!(unexpected.is_empty(), "checkov found {} problem(s) not documented in tests/checkov-skips.yaml:\n{}", unexpected.len(), unexpected.join("\n"));
    let stale: Vec<&&str> = skipped.iter().filter(|id| !failed.contains_key(**id)).collect();
    assert!(stale.is_empty(), "tests/checkov-skips.yaml lists checks that no longer fail anywhere; remove them: {stale:?}");
    eprintln!("checkov: {scanned} resources scanned, {} checks passed, {} skipped as documented", summary["passed"], skipped.len());
}

// ----- secrets -------------------------------------------------------------------------------

/// Secret-looking setting names: what a reader would take for a credential, by the words of
/// the camelCase name (`groqApiKey`: groq, api, key).
fn looks_secret(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    let mut words: Vec<String> = Vec::new();
    for c in last.chars() {
        if c.is_uppercase() || words.is_empty() {
            words.push(String::new());
        }
        words.last_mut().expect("a word").push(c.to_ascii_lowercase());
    }
    let has = |w: &str| words.iter().any(|x| x == w);
    let pair = |a: &str, b: &str| words.windows(2).any(|p| p[0] == a && p[1] == b);
    let secret = ["password", "passwd", "secret", "token", "dsn", "credential", "credentials"].iter().any(|w| has(w))
        || pair("api", "key")
        || pair("encryption", "key")
        || pair("private", "key")
        || pair("database", "url");
    // Names of Secrets and of keys in them are references, not secrets.
    let reference =
        ["existingSecret", "existingSecretKey", "secretName", "imagePullSecrets", "automountServiceAccountToken"].contains(&last) || path.split('.').any(|p| p == "keys");
    secret && !reference
}

fn leaves(schema: &Value, path: &str, out: &mut Vec<(String, Value)>) {
    match schema.get("properties").and_then(Value::as_object) {
        // A Kubernetes object's fields (`secretName`, `serviceAccountToken`) name Secrets, they
        // hold none: the object is one setting.
        Some(props) if !is_kubernetes(schema) => {
            for (k, sub) in props {
                leaves(sub, &if path.is_empty() { k.clone() } else { format!("{path}.{k}") }, out);
            }
        }
        _ => out.push((path.to_string(), schema.clone())),
    }
}

#[test]
fn every_secret_looking_setting_is_marked_write_only() {
    let mut marked = 0;
    for app in apps::all() {
        let mut all = Vec::new();
        leaves(&app.schema(), "", &mut all);
        for (path, schema) in all {
            if looks_secret(&path) {
                assert_eq!(schema.get("writeOnly"), Some(&Value::Bool(true)), "{}: {path} looks like a secret but is not writeOnly in the schema", app.chart().name);
                marked += 1;
            }
        }
    }
    assert!(marked >= 10, "only {marked} secret settings found");
}

/// Sets `value` at a dotted path, creating maps on the way.
fn set_path(tree: &mut Value, path: &str, value: Value) {
    let mut at = tree;
    let keys: Vec<&str> = path.split('.').collect();
    for key in &keys[..keys.len() - 1] {
        if !at.get(*key).is_some_and(Value::is_object) {
            at[*key] = Value::Object(Default::default());
        }
        at = &mut at[*key];
    }
    at[keys[keys.len() - 1]] = value;
}

/// Random values per application, with a canary in every secret setting.
const CANARY_CASES: u64 = 40;

#[test]
fn secret_values_reach_only_secrets_and_never_charts_out() {
    let charts_out: Vec<(PathBuf, String)> = tree_digest(&root().join("charts-out")).into_iter().map(|(p, b)| (p, String::from_utf8_lossy(&b).into_owned())).collect();
    let mut scanned = Vec::new();

    for app in apps::all() {
        let name = app.chart().name.clone();
        let schema = app.schema();
        let secrets = kforge::check::secret_settings(&schema);
        let defaults = app.defaults();
        let model = app.model();

        // The committed environments and the defaults set no secret at all (emit refuses them).
        for env in app.environments() {
            let values = kforge::values::load(&defaults, &[kforge::values::Layer::File { name: env.path, text: env.text }], &|t| app.validate(t)).expect("environment loads");
            let set = kforge::check::secret_values(&schema, &values);
            assert!(set.is_empty(), "{name} {}: sets the secret settings {:?}", env.name, set.iter().map(|(p, _)| p).collect::<Vec<_>>());
        }
        assert!(kforge::check::secret_values(&schema, &defaults).is_empty(), "{name}: a default holds a secret");

        // Random values with a canary in each secret setting: rendered (what --stdout prints), a
        // canary may be in a Secret, nowhere else.
        let base = match (app.placeholder_values(), app.needs_values(), app.environments().first()) {
            (Some(p), _, _) => vec![("placeholders", p.to_string())],
            (None, Some(_), Some(env)) => vec![(env.path, env.text.to_string())],
            _ => vec![],
        };
        let mut in_secrets = 0;
        let mut rendered = 0;
        for seed in 0..CANARY_CASES {
            let mut rng = Rng::new(1000 + seed);
            let mut values = random_values(&schema, &defaults, &mut rng);
            let mut canaries = Vec::new();
            for (i, path) in secrets.iter().enumerate().filter(|(_, p)| !p.contains("[]")) {
                // Long enough for the settings with a minimum length.
                let canary = format!("canary-{name}-{seed}-{i}-{}", "x".repeat(32));
                set_path(&mut values, path, Value::String(canary.clone()));
                canaries.push(canary);
            }
            let random = serde_json::to_string(&values).expect("json");
            let mut layers: Vec<kforge::values::Layer> = base.iter().map(|(n, t)| kforge::values::Layer::File { name: n, text: t }).collect();
            layers.push(kforge::values::Layer::File { name: "random", text: &random });
            let Ok(loaded) = kforge::values::load(&defaults, &layers, &|t| app.validate(t)) else { continue };
            let release = kforge::render::Release { name: &name, namespace: "ns" };
            let Ok(objects) = kforge::render::render_objects(app.as_ref(), &model, &loaded, release) else { continue };
            rendered += 1;
            for o in &objects {
                let text = serde_json::to_string(&o.value).expect("json");
                for c in &canaries {
                    if text.contains(c.as_str()) {
                        assert_eq!(o.kind, "Secret", "{name} seed {seed}: a secret value reached {} {}:\n{text}", o.kind, o.name);
                        in_secrets += 1;
                    }
                }
            }
            scanned.extend(canaries);
        }
        // A third is enough for the scan to mean something: a large chart (Aeterna) rejects more
        // random combinations across its settings than a small one.
        assert!(rendered >= CANARY_CASES as usize / 3, "{name}: only {rendered} of {CANARY_CASES} canary cases rendered");
        // Not vacuous: an application with secret settings had its canaries in the rendered
        // Secrets. (One without secret settings has nothing to leak here.)
        assert!(secrets.is_empty() || in_secrets > 0, "{name}: no canary reached a Secret; is the test still looking at the right settings?");
    }

    for (path, text) in &charts_out {
        for c in &scanned {
            assert!(!text.contains(c.as_str()), "charts-out/{} holds the secret value {c}", path.display());
        }
    }
    // Today's applications have about 40 secret settings between them.
    assert!(scanned.len() > 100, "only {} secret values scanned", scanned.len());
    eprintln!("secrets: {} secret values of {} files scanned for in charts-out ({} files)", scanned.len(), CANARY_CASES * apps::all().len() as u64, charts_out.len());
}

// ----- the check through the CLI -------------------------------------------------------------

#[test]
fn check_command_checks_every_environment_and_writes_nothing() {
    let before = tree_digest(&root().join("charts-out"));
    let out = run(kforge().arg("check"));
    let stderr = text(&out.stderr);
    let environments: usize = apps::all().iter().map(|a| a.environments().len() + usize::from(a.needs_values().is_none())).sum();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("checked {environments} environments of {} application(s): no problems", apps::all().len())), "{stderr}");

    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("root.yaml");
    std::fs::write(&file, "podSecurityContext:\n  runAsNonRoot: false\nsecurityContext:\n  privileged: true\n").expect("write");
    let out = run(kforge().args(["check", "--app", "backbone", "--values"]).arg(&file));
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    for needle in ["backbone (values from", "root.yaml", "podSecurityContext.runAsNonRoot: must not be false", "Pod Security Standard restricted: Running as Non-root"] {
        assert!(stderr.contains(needle), "lacks {needle:?}:\n{stderr}");
    }
    // The restricted standard's rules hold in both renderers: --stdout refuses the same values
    // with the same message, as helm template does (tests/it/api_rules.rs runs Helm).
    let out = run(kforge().args(["emit", "--app", "backbone", "--stdout", "--values"]).arg(&file));
    assert!(!out.status.success() && text(&out.stderr) == stderr, "{}", text(&out.stderr));
    assert_eq!(before, tree_digest(&root().join("charts-out")), "check wrote into charts-out");
}

// ----- atomic output -------------------------------------------------------------------------

/// An application whose pod runs as the image likes (root, privileged escalation allowed): the
/// check refuses it. The smallest application there is, also the second version of the upgrade
/// check's test application.
pub(crate) mod careless {
    use super::*;
    use kforge::objects::{Container, Deployment, Pod};
    use kforge::{App, ChartMeta, Knobs, Meta, Model, fullname};

    #[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema, Knobs)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Values {
        /// Number of pods.
        pub replica_count: u8,
    }

    pub fn build(v: &ValuesKnobs) -> Model {
        let mut m = Model::new();
        let c = Container::builder().name("app").image("busybox:1.37").build();
        m.add(Deployment::builder().meta(Meta::new(fullname())).replicas(&v.replica_count).pod(Pod::builder().containers(vec![c]).build()).build());
        m
    }

    pub fn app() -> App<Values> {
        App::new(ChartMeta::new("careless", "0.1.0", "1.0.0", "A pod without a security context"), "tests/it/safety.rs", build)
    }

    /// The same application with an example environment that does not load.
    pub fn with_bad_environment() -> App<Values> {
        App::new(ChartMeta::new("bad-env", "0.1.0", "1.0.0", "An environment with a wrong type"), "tests/it/safety.rs", build).environment(
            "bad",
            "tests/it/safety/bad-env/values-bad.yaml",
            "replicaCount: lots\n",
        )
    }
}

#[test]
fn a_failing_emit_leaves_charts_out_byte_identical() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("charts-out");
    copy_dir(&root().join("charts-out"), &out);
    // Stale files too, which a successful full emit would remove (emit's own: in the record).
    write_as_emitted(&out, "manifests/backbone", "old.yaml", "old\n");
    let before = tree_digest(&out);
    let real = apps::all();
    let careless = careless::app();
    let bad_env = careless::with_bad_environment();
    for (broken, expect) in [(&careless as &dyn kforge::Application, "Pod Security Standard restricted"), (&bad_env, "values-bad.yaml: replicaCount")] {
        // The broken application comes last: the others have rendered when it fails.
        let mut apps: Vec<&dyn kforge::Application> = real.iter().map(|a| a.as_ref()).collect();
        apps.push(broken);
        let err = kforge::output::emit(&apps, &out, true, &Default::default(), Default::default()).expect_err("emit accepted a broken application").to_string();
        assert!(err.contains(expect) && err.contains(&broken.chart().name), "{err}");
        assert!(before == tree_digest(&out), "a failed emit changed {}", out.display());
        let leftovers: Vec<String> =
            std::fs::read_dir(tmp.path()).expect("read").map(|e| e.expect("entry").file_name().to_string_lossy().into_owned()).filter(|n| n != "charts-out").collect();
        assert!(leftovers.is_empty(), "a failed emit left {leftovers:?} beside the output");
    }
    // The same applications without the broken one write, and remove the stale file.
    let apps: Vec<&dyn kforge::Application> = real.iter().map(|a| a.as_ref()).collect();
    kforge::output::emit(&apps, &out, true, &Default::default(), Default::default()).expect("emit");
    assert!(!out.join("manifests/backbone/old.yaml").exists());
    assert_eq!(tree_digest(&out), tree_digest(&root().join("charts-out")));
}

#[test]
fn emit_refuses_what_the_check_finds_with_every_finding() {
    let careless = careless::app();
    let err = kforge::output::emit_app(&careless).expect_err("emitted a pod without a security context").to_string();
    for needle in
        ["careless (default): Deployment/careless", "allowPrivilegeEscalation must be false", "runAsNonRoot must be true", "capabilities.drop must include ALL", "seccompProfile"]
    {
        assert!(err.contains(needle), "lacks {needle:?}:\n{err}");
    }
    // With an exception for each control it breaks, it passes; an exception nothing needs is stale.
    use kforge::check::Control;
    let excused = careless::app()
        .pss_exception("app", Control::PrivilegeEscalation, "test")
        .pss_exception("app", Control::RunningAsNonRoot, "test")
        .pss_exception("app", Control::Capabilities, "test")
        .pss_exception("app", Control::Seccomp, "test");
    kforge::output::emit_app(&excused).unwrap_or_else(|e| panic!("{e}"));
    let stale = careless::app().pss_exception("app", Control::HostPorts, "test");
    let err = kforge::output::emit_app(&stale).expect_err("a stale exception passed").to_string();
    assert!(err.contains("no environment needs this exception"), "{err}");
}

/// A newcomer's mistake: a setting `build` reads as a concrete Rust value, so the chart never
/// reads it and it does nothing.
mod dead_setting {
    use super::*;
    use kforge::check::Control;
    use kforge::objects::{Container, Deployment, Pod};
    use kforge::{App, ChartMeta, Knobs, Meta, Model, fullname};

    #[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema, Knobs)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Values {
        /// Number of pods.
        pub replica_count: u8,
        /// Say that the pods have a disruption budget.
        pub pdb_enabled: bool,
    }

    fn deployment(v: &ValuesKnobs, m: &mut Model) {
        let c = Container::builder().name("app").image("busybox:1.37").build();
        m.add(Deployment::builder().meta(Meta::new(fullname())).replicas(&v.replica_count).pod(Pod::builder().containers(vec![c]).build()).build());
    }

    fn baked_in(v: &ValuesKnobs) -> Model {
        let mut m = Model::new();
        deployment(v, &mut m);
        if Values::default().pdb_enabled {
            m.notes(vec![kforge::Line::text("The pods have a disruption budget.")]);
        }
        m
    }

    fn documented(v: &ValuesKnobs) -> Model {
        let mut m = baked_in(v);
        m.documentation_only(&v.pdb_enabled, "a later version renders the budget");
        m
    }

    pub fn app(build: fn(&ValuesKnobs) -> Model) -> App<Values> {
        App::new(ChartMeta::new("dead", "0.1.0", "1.0.0", "A setting nothing reads"), "tests/it/safety.rs", build)
            .pss_exception("app", Control::PrivilegeEscalation, "test")
            .pss_exception("app", Control::RunningAsNonRoot, "test")
            .pss_exception("app", Control::Capabilities, "test")
            .pss_exception("app", Control::Seccomp, "test")
    }

    #[test]
    fn emit_refuses_a_setting_nothing_reads() {
        let err = kforge::output::emit_app(&app(baked_in)).expect_err("a dead setting passed").to_string();
        assert!(err.contains("values pdbEnabled: is read by no object, rule or note"), "{err}");
        assert!(!err.contains("replicaCount"), "{err}");
        kforge::output::emit_app(&app(documented)).unwrap_or_else(|e| panic!("a documented setting was refused: {e}"));
    }

    /// A mark left behind once `build` reads the setting.
    fn read_and_marked(v: &ValuesKnobs) -> Model {
        let mut m = Model::new();
        deployment(v, &mut m);
        m.notes(vec![kforge::Line::when(&v.pdb_enabled, vec![kforge::Line::text("The pods have a disruption budget.")])]);
        m.documentation_only(&v.pdb_enabled, "a later version renders the budget");
        m
    }

    #[test]
    fn emit_refuses_a_documentation_mark_on_a_setting_the_chart_reads() {
        let err = kforge::output::emit_app(&app(read_and_marked)).expect_err("a stale mark passed").to_string();
        assert!(err.contains("values pdbEnabled: is marked with `Model::documentation_only` but the chart reads it"), "{err}");
    }

    /// The rule means something only where no template reads the values as a whole.
    #[test]
    fn no_application_reads_all_its_values_at_once() {
        for app in apps::all() {
            assert!(!app.model().reads().contains(&Vec::new()), "{} reads .Values whole: every setting counts as read", app.chart().name);
        }
    }
}

/// A newcomer's mistake: a password put where anyone who may read the object reads it.
mod secret_outside_a_secret {
    use super::*;
    use kforge::objects::{ConfigMap, Secret};
    use kforge::{App, ChartMeta, Knobs, Map, Meta, Model, fullname};

    #[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema, Knobs)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Values {
        /// The server's password.
        #[schemars(extend("writeOnly" = true))]
        pub requirepass: String,
    }

    fn in_config_map(v: &ValuesKnobs) -> Model {
        let mut m = Model::new();
        let conf = kforge::concat(["requirepass ".into(), v.requirepass.expr()]);
        m.add(ConfigMap::builder().meta(Meta::new(fullname())).data(Map::new().str("valkey.conf", conf)).build());
        m
    }

    fn in_an_annotation(v: &ValuesKnobs) -> Model {
        let mut m = Model::new();
        let meta = Meta::new(fullname()).annotations(Map::new().str("example.com/password", &v.requirepass));
        m.add(Secret::builder().meta(meta).string_data(Map::new().str("password", &v.requirepass)).build());
        m
    }

    fn in_a_secret(v: &ValuesKnobs) -> Model {
        let mut m = Model::new();
        m.add_when(v.requirepass.is_set(), Secret::builder().meta(Meta::new(fullname())).string_data(Map::new().str("password", &v.requirepass)).build());
        m
    }

    fn app(build: fn(&ValuesKnobs) -> Model) -> App<Values> {
        App::new(ChartMeta::new("leaky", "0.1.0", "1.0.0", "A password in the open"), "tests/it/safety.rs", build)
    }

    #[test]
    fn emit_refuses_a_secret_setting_outside_a_secrets_data() {
        for (build, place) in [(in_config_map as fn(&ValuesKnobs) -> Model, "ConfigMap in templates/configmap.yaml"), (in_an_annotation, "Secret in templates/secret.yaml")] {
            let err = kforge::output::emit_app(&app(build)).expect_err("a leaked secret passed").to_string();
            assert!(err.contains(&format!("values requirepass: is a secret setting (writeOnly) and its value reaches {place}")), "{err}");
        }
        kforge::output::emit_app(&app(in_a_secret)).unwrap_or_else(|e| panic!("a secret in a Secret's data was refused: {e}"));
    }
}

/// Random values per application for the check.
const CHECK_CASES: u64 = 200;

#[test]
fn values_both_renderers_accept_pass_the_check() {
    // Values that both renderers accept render nothing the check refuses: the two gaps it once
    // had to allow (pod label values as free text, names starting with a digit for a Service)
    // are the renderers' rules now.
    let mut checked = 0;
    for app in apps::all() {
        let name = app.chart().name.clone();
        let (schema, defaults, model) = (app.schema(), app.defaults(), app.model());
        let base = match (app.placeholder_values(), app.needs_values(), app.environments().first()) {
            (Some(p), _, _) => vec![("placeholders", p.to_string())],
            (None, Some(_), Some(env)) => vec![(env.path, env.text.to_string())],
            _ => vec![],
        };
        for seed in 0..CHECK_CASES {
            let mut rng = Rng::new(5000 + seed);
            // Kubernetes objects (a security context) may break the Pod Security Standard as
            // Kubernetes allows them to: the check is there to flag that, so they keep their defaults.
            let random = serde_json::to_string(&without_kubernetes(&schema, random_values(&schema, &defaults, &mut rng))).expect("json");
            let mut layers: Vec<kforge::values::Layer> = base.iter().map(|(n, t)| kforge::values::Layer::File { name: n, text: t }).collect();
            layers.push(kforge::values::Layer::File { name: "random", text: &random });
            let Ok(loaded) = kforge::values::load(&defaults, &layers, &|t| app.validate(t)) else { continue };
            let release = kforge::render::Release { name: &name, namespace: "ns" };
            let Ok((objects, external)) = kforge::render::render_environment(app.as_ref(), &model, &loaded, release) else { continue };
            let objects: Vec<Value> = objects.into_iter().map(|o| o.value).collect();
            let environment = format!("random seed {seed}");
            let env =
                kforge::check::Environment { app: &name, environment: &environment, objects: &objects, external: &external, exceptions: app.pss_exceptions(), crds: &model.crds() };
            let findings = kforge::check::run(&env).findings;
            let found: Vec<String> = findings.iter().map(ToString::to_string).collect();
            assert!(found.is_empty(), "the check found, in values both renderers accept:\n{}\nvalues: {random}", found.join("\n"));
            checked += 1;
        }
    }
    assert!(checked >= CHECK_CASES as usize * apps::all().len() / 2, "only {checked} random cases rendered");
    eprintln!("check: {checked} random environments, no findings");
}
