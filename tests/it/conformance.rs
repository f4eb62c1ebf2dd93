//! The contract of DESIGN.md: `helm template` of the generated chart and `emit --stdout` agree
//! object by object, for the defaults, every example values file and seeded random values, with
//! Helm 4 and Helm 3; and what they render passes kubernetes-validate (strict, 1.33), yamllint
//! (duplicate keys) and `helm lint --strict`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::*;

/// Random cases per application (each run with both Helm versions). With the seeds fixed, a
/// run compares the same cases every time; set_flags, bad_input and the API-rule tests cover
/// the shapes the random cases draw rarely. Kept so that the whole CI run stays within ten
/// minutes on two cores.
const RANDOM_CASES: u64 = 40;
/// Random cases per application with one Kubernetes-shaped setting broken, which both sides
/// must reject.
const BROKEN_CASES: u64 = 6;
const BROKEN: &str = "broken Kubernetes setting, seed";
/// Random cases per application that must render (not be rejected) on both sides.
const MIN_RENDERED: usize = 16;
const BREAKING_CASES: u64 = 10;
// The longest is as long as every chart's derived names allow (Aeterna's CloudNativePG Cluster); longer
// ones are `release_names`' to test.
const RELEASES: &[&str] = &["backbone", "prod", "edge-backbone-eu", "r", "a-long-release-name-of-31-chars"];

struct Case {
    name: String,
    files: Vec<PathBuf>,
    release: String,
    namespace: String,
}

fn cases(app: &dyn kforge::Application, dir: &Path) -> Vec<Case> {
    let name = &app.chart().name;
    let mut cases = vec![Case { name: "defaults".into(), files: vec![], release: name.clone(), namespace: "default".into() }];
    for env in app.environments() {
        cases.push(Case {
            name: format!("environment {}", env.name),
            files: vec![chart_dir(name).join(format!("values-{}.yaml", env.name))],
            release: name.clone(),
            namespace: "apps".into(),
        });
    }
    let schema = app.schema();
    // Random values vary the defaults; for an application that needs values, they vary its first
    // example environment instead (that file, then the random one), so that most cases render.
    let base = random_base(app);
    let env_file: Vec<PathBuf> = match (app.needs_values(), app.environments().first()) {
        (Some(_), Some(env)) => vec![chart_dir(name).join(format!("values-{}.yaml", env.name))],
        _ => Vec::new(),
    };
    // With placeholders for the required values, half of the cases vary those alone, so that
    // what the environments leave out (a Secret of the chart's own, say) is varied too.
    let placeholders: Vec<PathBuf> = app
        .placeholder_values()
        .map(|yaml| {
            let file = dir.join(format!("{name}-placeholders.yaml"));
            std::fs::write(&file, yaml).expect("write placeholders");
            file
        })
        .into_iter()
        .collect();
    // The cases after RANDOM_CASES break the API server's rules on labels, annotations and
    // resources now and then, on purpose; they do not count towards MIN_RENDERED.
    for seed in 0..RANDOM_CASES + BREAKING_CASES {
        let base_files: Vec<PathBuf> = match (placeholders.is_empty(), seed % 2) {
            (false, 0) => placeholders.clone(),
            _ => placeholders.iter().chain(&env_file).cloned().collect(),
        };
        let mut rng = Rng::new(seed + 1);
        let breaking = seed >= RANDOM_CASES;
        let values = if breaking { random_values_breaking(&schema, &base, &mut rng) } else { random_values(&schema, &base, &mut rng) };
        let file = dir.join(format!("{name}-random-{seed}.yaml"));
        std::fs::write(&file, serde_json::to_string_pretty(&values).expect("json")).expect("write values");
        cases.push(Case {
            name: format!("random seed {seed}{} ({})", if breaking { ", breaking API rules" } else { "" }, file.display()),
            files: base_files.iter().cloned().chain([file]).collect(),
            release: rng.pick(RELEASES).to_string(),
            namespace: format!("ns-{}", rng.below(3)),
        });
    }
    // Values that break one Kubernetes-shaped setting: both sides must refuse them.
    for seed in 0..BROKEN_CASES {
        let mut rng = Rng::new(seed + 1000);
        let Some(values) = random_broken_values(&schema, &base, &mut rng) else { break };
        let file = dir.join(format!("{name}-broken-{seed}.yaml"));
        std::fs::write(&file, serde_json::to_string_pretty(&values).expect("json")).expect("write values");
        cases.push(Case {
            name: format!("{BROKEN} {seed} ({})", file.display()),
            files: placeholders.iter().chain(&env_file).cloned().chain([file]).collect(),
            release: name.clone(),
            namespace: "apps".into(),
        });
    }
    cases
}

fn random_base(app: &dyn kforge::Application) -> Value {
    let defaults = app.defaults();
    match (app.needs_values(), app.environments().first()) {
        (Some(_), Some(env)) => {
            let layers = [kforge::values::Layer::File { name: env.path, text: env.text }];
            kforge::values::load(&defaults, &layers, &|t| app.validate(t)).unwrap_or_else(|e| panic!("{e}"))
        }
        _ => defaults,
    }
}

#[test]
fn helm_and_emit_agree() {
    // Cases stay on disk after the run, so a failing one can be rerun by hand.
    let cases_dir = root().join("target/contract-cases");
    let _ = std::fs::remove_dir_all(&cases_dir);
    let rendered_dir = cases_dir.join("rendered");
    std::fs::create_dir_all(&rendered_dir).expect("mkdir");
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut objects = 0;
    for app in apps::all() {
        let name = app.chart().name.clone();
        let all = cases(app.as_ref(), &cases_dir);
        let needs_values = app.needs_values().is_some();
        // Two workers: the machine has two cores, and each case is two Helm processes and one of ours.
        let chunks: Vec<&[Case]> = all.chunks(all.len().div_ceil(2)).collect();
        let results: Vec<Vec<Result<(String, usize, Option<String>), String>>> = std::thread::scope(|s| {
            let handles: Vec<_> = chunks
                .iter()
                .enumerate()
                .map(|(worker, chunk)| {
                    let name = name.clone();
                    let rendered_dir = rendered_dir.clone();
                    s.spawn(move || {
                        let mut out = Vec::new();
                        for case in chunk.iter() {
                            let files: Vec<&Path> = case.files.iter().map(PathBuf::as_path).collect();
                            let ours = emit_stdout(&name, &case.release, &case.namespace, &files, &[]);
                            for helm in HELMS {
                                let theirs = helm_template(helm, &name, &case.release, &case.namespace, &files, &[]);
                                let label = format!("{name}, {}, {helm}", case.name);
                                out.push(match (theirs.status.success(), ours.status.success()) {
                                    (true, true) if case.name == "defaults" && needs_values => Err(format!("{label}: the application needs values, but the defaults rendered")),
                                    (true, true) if case.name.starts_with(BROKEN) => Err(format!("{label}: both rendered values that Kubernetes refuses")),
                                    (true, true) => {
                                        let file = rendered_dir.join(format!("{name}-{worker}-{}.yaml", out.len()));
                                        std::fs::write(&file, &theirs.stdout).expect("write rendered");
                                        compare_streams(&text(&theirs.stdout), &text(&ours.stdout)).map(|n| (label, n, None)).map_err(|e| format!("{} / {e}", case.name))
                                    }
                                    (false, false) => {
                                        // A `fail` of the chart's validation says what emit says.
                                        let (h, o) = (text(&theirs.stderr), text(&ours.stderr));
                                        // The message is the first line; a second one names the object and field.
                                        let first = o.trim().lines().next().unwrap_or_default();
                                        let message = first.splitn(3, ": ").nth(2).unwrap_or_default().to_string();
                                        if h.contains("execution error") && !h.contains(&message) {
                                            Err(format!("{label}: both reject, with different messages\nhelm: {h}\nemit: {o}"))
                                        } else {
                                            Ok((label, 0, Some(o)))
                                        }
                                    }
                                    (h, o) => Err(format!(
                                        "{label}: helm {} but emit {}\nhelm stderr: {}\nemit stderr: {}",
                                        if h { "rendered" } else { "rejected" },
                                        if o { "rendered" } else { "rejected" },
                                        text(&theirs.stderr),
                                        text(&ours.stderr)
                                    )),
                                });
                            }
                        }
                        out
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("worker")).collect()
        });
        let mut rendered = 0;
        let mut broken = 0;
        for r in results.into_iter().flatten() {
            match r {
                Ok((label, n, None)) => {
                    compared += 1;
                    objects += n;
                    rendered += usize::from(label.contains("random seed") && !label.contains("breaking"));
                }
                Ok((label, _, Some(_))) if label.contains("defaults") && app.needs_values().is_some() => {}
                Ok((label, _, Some(_))) if label.contains(BROKEN) => broken += 1,
                Ok((label, _, Some(e))) if !label.contains("random seed") => failures.push(format!("{label}: rejected by both sides: {e}")),
                Ok(_) => {}
                Err(e) => failures.push(e),
            }
        }
        // Random values pass the schema by construction; some break a cross-field rule (both
        // sides must then reject them alike), but most must render.
        assert!(rendered >= 2 * MIN_RENDERED, "{name}: only {} of {RANDOM_CASES} random cases rendered", rendered / 2);
        // Every chart has Kubernetes-shaped settings; each broken case was rejected by both.
        assert_eq!(broken, 2 * BROKEN_CASES as usize, "{name}: not every broken case was rejected by both sides");
    }
    assert!(failures.is_empty(), "{} disagreements; first:\n{}", failures.len(), failures[0]);
    assert!(compared >= 2 * MIN_RENDERED * apps::all().len(), "only {compared} cases compared");
    eprintln!("contract: {compared} helm/emit comparisons, {objects} objects");

    // Everything Helm rendered is valid Kubernetes 1.33 (strict: no unknown fields) and has no
    // duplicate keys.
    let files: Vec<PathBuf> = std::fs::read_dir(&rendered_dir).expect("rendered").map(|e| e.expect("entry").path()).collect();
    let out = run(Command::new(tool("kubernetes-validate")).args(["--strict", "-k", "1.33", "--quiet"]).args(&files));
    assert!(out.status.success(), "kubernetes-validate rejected rendered output:\n{}{}", text(&out.stdout), text(&out.stderr));
    // kubernetes-validate knows no Gateway API kinds: TCPRoutes go through the typed struct,
    // which rejects unknown fields as the CRD's structural schema does.
    let mut routes = 0;
    for file in &files {
        for doc in parse_stream(&std::fs::read_to_string(file).expect("rendered")) {
            if doc["kind"] == "TCPRoute" {
                let route: Result<kforge::objects::crds::tcp_route::v1alpha2::TCPRouteResource, _> = serde_json::from_value(doc.clone());
                assert!(route.is_ok(), "{}: invalid TCPRoute: {:?}\n{doc:#}", file.display(), route.err());
                routes += 1;
            }
        }
    }
    eprintln!("{routes} rendered TCPRoutes checked");
    let out = run(Command::new(tool("yamllint"))
        .args(["-f", "parsable", "-d", "{extends: relaxed, rules: {key-duplicates: enable, line-length: disable, trailing-spaces: disable, empty-lines: disable}}"])
        .args(&files));
    assert!(out.status.success(), "yamllint found problems:\n{}", text(&out.stdout));
}

#[test]
fn tcp_routes_render_alike_and_match_their_resource() {
    // Random cases render a TCPRoute only now and then: this one always does.
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("route.yaml");
    std::fs::write(
        &file,
        "gatewayAPI:\n  enabled: true\n  parentRefs:\n    - name: tcp-gateway\n      namespace: gateway-system\n      sectionName: postgres\n    - name: other\n",
    )
    .expect("write");
    let files = [chart_dir("dbbat").join("values-minimal.yaml"), file];
    let files: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let ours = emit_stdout("dbbat", "rel", "db", &files, &[]);
    assert!(ours.status.success(), "{}", text(&ours.stderr));
    for helm in HELMS {
        let theirs = helm_template(helm, "dbbat", "rel", "db", &files, &[]);
        assert!(theirs.status.success(), "{helm}: {}", text(&theirs.stderr));
        compare_streams(&text(&theirs.stdout), &text(&ours.stdout)).unwrap_or_else(|e| panic!("{helm}: {e}"));
    }
    let routes: Vec<Value> = parse_stream(&text(&ours.stdout)).into_iter().filter(|d| d["kind"] == "TCPRoute").collect();
    assert_eq!(routes.len(), 1);
    let route: kforge::objects::crds::tcp_route::v1alpha2::TCPRouteResource = serde_json::from_value(routes[0].clone()).expect("a valid TCPRoute");
    assert_eq!(route.spec.parent_refs.as_ref().map(Vec::len), Some(2));
}

#[test]
fn committed_manifests_validate_strictly() {
    let dir = root().join("charts-out/manifests");
    // Every object file of every environment directory, as its kustomization lists them.
    let mut files = Vec::new();
    for app in std::fs::read_dir(&dir).expect("charts-out/manifests") {
        for env in std::fs::read_dir(app.expect("entry").path()).expect("app dir") {
            let env = env.expect("entry").path();
            if !env.is_dir() {
                continue; // emit's record of the folder (.kforge-files)
            }
            let kustomization: Value = serde_saphyr::from_str(&std::fs::read_to_string(env.join("kustomization.yaml")).expect("kustomization")).expect("yaml");
            files.extend(kustomization["resources"].as_array().expect("resources").iter().map(|r| env.join(r.as_str().expect("a path"))));
        }
    }
    assert!(!files.is_empty());
    let out = run(Command::new(tool("kubernetes-validate")).args(["--strict", "-k", "1.33"]).args(&files));
    let report = text(&out.stdout);
    assert!(out.status.success(), "kubernetes-validate:\n{report}{}", text(&out.stderr));
    // One object per file: each passed, or is a custom resource kubernetes-validate has no
    // schema for (crds.rs validates those against their CRDs).
    let custom = files
        .iter()
        .filter(|f| {
            parse_stream(&std::fs::read_to_string(f).expect("object"))
                .iter()
                .any(|o| o["apiVersion"].as_str().and_then(|a| a.split_once('/')).is_some_and(|(g, _)| g.contains('.') && !g.ends_with(".k8s.io")))
        })
        .count();
    assert!(report.matches(" passed ").count() + custom >= files.len() && custom < files.len(), "too few objects validated:\n{report}");
}

#[test]
fn helm_lint_strict_passes_for_every_environment() {
    for app in apps::all() {
        let name = &app.chart().name;
        // An application that needs values is linted with its example environments only.
        let mut value_sets: Vec<Option<PathBuf>> = if app.needs_values().is_some() { vec![] } else { vec![None] };
        value_sets.extend(app.environments().iter().map(|e| Some(chart_dir(name).join(format!("values-{}.yaml", e.name)))));
        // ... and with its placeholders for the required values, which render what the
        // environments may leave out.
        let tmp = tempfile::tempdir().expect("tempdir");
        if let Some(yaml) = app.placeholder_values() {
            let file = tmp.path().join("placeholders.yaml");
            std::fs::write(&file, yaml).expect("write placeholders");
            value_sets.push(Some(file));
        }
        for helm in HELMS {
            for values in &value_sets {
                let mut cmd = Command::new(tool(helm));
                cmd.arg("lint").arg("--strict").arg(chart_dir(name));
                if let Some(v) = values {
                    cmd.arg("-f").arg(v);
                }
                let out = run(&mut cmd);
                assert!(out.status.success(), "{helm} lint --strict {name} {values:?}:\n{}{}", text(&out.stdout), text(&out.stderr));
            }
        }
    }
}

#[test]
fn helm_lint_strict_passes_with_the_backend_credentials_set() {
    let credentials = "secrets.databaseUrl=postgresql://todo:pw@db.invalid:5432/todo,secrets.betterAuthSecret=0123456789abcdef0123456789abcdef,secrets.groqApiKey=gsk-placeholder";
    for helm in HELMS {
        let lint = |set: Option<&str>| {
            let mut cmd = Command::new(tool(helm));
            cmd.arg("lint").arg("--strict").arg(chart_dir("backend"));
            if let Some(s) = set {
                cmd.arg("--set").arg(s);
            }
            run(&mut cmd)
        };
        let out = lint(Some(credentials));
        assert!(out.status.success(), "{helm} lint --strict backend --set <credentials>:\n{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!text(&out.stderr).contains("is required"), "{helm} still misses a value:\n{}", text(&out.stderr));
        // Without them, lint (where Helm's `required` only warns) names each missing credential.
        let out = lint(None);
        let warnings = text(&out.stderr);
        for path in ["secrets.databaseUrl", "secrets.betterAuthSecret", "secrets.groqApiKey"] {
            assert!(warnings.contains(&format!("{path} is required")), "{helm} lint without credentials:\n{warnings}");
        }
    }
}

#[test]
fn set_flags_agree_with_helm() {
    // --set is typed the same way on both sides (booleans, integers, strings).
    let set = vec![
        "api.enabled=true,tcp.enabled=true".to_string(),
        "persistence.enabled=true".into(),
        "config.httpPort=9000".into(),
        "service.mqtt.type=NodePort".into(),
        "service.mqtt.nodePort=31883".into(),
    ];
    let ours = emit_stdout("backbone", "edge", "iot", &[], &set);
    assert!(ours.status.success(), "{}", text(&ours.stderr));
    for helm in HELMS {
        let theirs = helm_template(helm, "backbone", "edge", "iot", &[], &set);
        assert!(theirs.status.success(), "{}", text(&theirs.stderr));
        compare_streams(&text(&theirs.stdout), &text(&ours.stdout)).unwrap_or_else(|e| panic!("{helm}: {e}"));
    }
    let docs = parse_stream(&text(&ours.stdout));
    let deployment = docs.iter().find(|d| d["kind"] == "Deployment").expect("deployment");
    assert_eq!(deployment["spec"]["strategy"]["type"], Value::from("Recreate"));
    assert_eq!(deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["path"], Value::from("/health"));
}

#[test]
fn notes_render_for_every_environment() {
    // Helm 3 needs a cluster even for a client-side dry run; Helm 4 renders NOTES.txt offline.
    for app in apps::all() {
        let name = &app.chart().name;
        for env in app.environments() {
            let values = chart_dir(name).join(format!("values-{}.yaml", env.name));
            let out = run(Command::new(tool("helm4")).args(["install", "rel", "--dry-run=client", "-n", "ns"]).arg(chart_dir(name)).arg("-f").arg(&values));
            let stdout = text(&out.stdout);
            assert!(out.status.success(), "{name} {}: {}", env.name, text(&out.stderr));
            let notes = stdout.split("NOTES:\n").nth(1).unwrap_or_else(|| panic!("{name} {}: no NOTES in\n{stdout}", env.name));
            // Every chart's NOTES open with one line and a blank line: blank lines survive.
            assert!(notes.lines().count() > 2 && notes.lines().nth(1) == Some(""), "{name} {}: no blank line after the first:\n{notes}", env.name);
            assert!(!notes.contains("<no value>"), "{name} {}: a value is missing:\n{notes}", env.name);
        }
    }
}

#[test]
fn every_chart_packages() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for app in apps::all() {
        let meta = app.chart();
        for helm in HELMS {
            let out = run(Command::new(tool(helm)).arg("package").arg(chart_dir(&meta.name)).arg("-d").arg(tmp.path()));
            assert!(out.status.success(), "{helm} package {}: {}", meta.name, text(&out.stderr));
            let archive = tmp.path().join(format!("{}-{}.tgz", meta.name, meta.version));
            assert!(archive.metadata().is_ok_and(|m| m.len() > 1000), "{helm} wrote no {}", archive.display());
            std::fs::remove_file(&archive).expect("remove archive");
        }
    }
}
