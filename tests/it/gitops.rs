//! The committed output as GitOps engines take it: `kubectl kustomize` (kustomize v5.6.0, the
//! one in the package of our Helm 4) builds every environment directory into exactly that
//! environment's objects; the stages order what must exist first; and every Argo CD and Flux
//! definition under `charts-out/gitops/` validates against its upstream CRD and points at
//! files that are committed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::crds::{crd_schemas, key, validate, with_unknown_field};
use crate::support::*;

const WAVE: &str = "argocd.argoproj.io/sync-wave";

fn out() -> PathBuf {
    root().join("charts-out")
}

/// Every committed environment of every application: (app, environment, values file text).
fn environments() -> Vec<(String, String, Option<&'static str>)> {
    let mut envs = Vec::new();
    for app in apps::all() {
        let name = app.chart().name.clone();
        if app.needs_values().is_none() {
            envs.push((name.clone(), "default".to_string(), None));
        }
        for env in app.environments() {
            envs.push((name.clone(), env.name.to_string(), Some(env.text)));
        }
    }
    envs
}

/// The objects emit renders for one environment, as JSON.
fn rendered(app_name: &str, values_text: Option<&str>) -> Vec<Value> {
    let app = apps::all().into_iter().find(|a| a.chart().name == app_name).expect("app");
    let layers: Vec<kforge::values::Layer> = values_text.map(|text| kforge::values::Layer::File { name: "env", text }).into_iter().collect();
    let values = kforge::values::load(&app.defaults(), &layers, &|t| app.validate(t)).expect("environment loads");
    let release = kforge::render::Release { name: app_name, namespace: app_name };
    kforge::render::render_objects(app.as_ref(), &app.model(), &values, release).expect("renders").into_iter().map(|o| o.value).collect()
}

fn wave(o: &Value) -> i64 {
    o.pointer("/metadata/annotations").and_then(|a| a.get(WAVE)).and_then(Value::as_str).and_then(|w| w.parse().ok()).unwrap_or_else(|| panic!("no sync wave on {}", id(o)))
}

fn id(o: &Value) -> String {
    format!("{}/{}", o["kind"].as_str().unwrap_or("?"), o["metadata"]["name"].as_str().unwrap_or("?"))
}

/// The object without its sync wave, as emit --stdout renders it.
fn without_wave(mut o: Value) -> Value {
    if let Some(a) = o.pointer_mut("/metadata/annotations").and_then(Value::as_object_mut) {
        a.remove(WAVE);
        if a.is_empty() {
            o["metadata"].as_object_mut().expect("metadata").remove("annotations");
        }
    }
    o
}

/// The value with every map's keys in order, so that equal objects print alike.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), canonical(&m[k]))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

fn sorted(objects: impl IntoIterator<Item = Value>) -> Vec<String> {
    let mut v: Vec<String> = objects.into_iter().map(|o| canonical(&o).to_string()).collect();
    v.sort();
    v
}

/// Every file under `dir`, relative to it.
fn files_under(dir: &Path) -> BTreeSet<String> {
    tree_digest(dir).into_keys().map(|p| p.display().to_string()).filter(|p| p != ".kforge-files").collect()
}

fn resources(kustomization: &Path) -> Vec<String> {
    let k: Value = serde_saphyr::from_str(&std::fs::read_to_string(kustomization).unwrap_or_else(|e| panic!("{}: {e}", kustomization.display()))).expect("kustomization");
    k["resources"].as_array().expect("resources").iter().map(|r| r.as_str().expect("a path").to_string()).collect()
}

#[test]
fn kustomize_builds_each_environment_directory_into_exactly_its_objects() {
    let envs = environments();
    assert!(envs.len() >= 10, "only {} environments", envs.len());
    for app in apps::all() {
        // Nothing in an application's folder outside its environments' directories: an engine
        // pointed there finds no objects of its own, and no kustomization that mixes them.
        let dir = out().join("manifests").join(&app.chart().name);
        for entry in std::fs::read_dir(&dir).expect("manifests dir") {
            let path = entry.expect("entry").path();
            assert!(path.is_dir() || path.file_name().is_some_and(|f| f == ".kforge-files"), "{} is not an environment directory", path.display());
        }
    }
    for (app, env, values) in &envs {
        let dir = out().join("manifests").join(app).join(env);
        let built = run(Command::new(tool("kubectl")).arg("kustomize").arg(&dir));
        assert!(built.status.success(), "kubectl kustomize {}: {}", dir.display(), text(&built.stderr));
        let built = parse_stream(&text(&built.stdout));
        let expected = rendered(app, *values);
        assert!(!expected.is_empty(), "{app} {env}: no objects");
        // Exactly the environment's objects, each with its stage as a sync wave.
        assert_eq!(sorted(built.iter().cloned().map(without_wave)), sorted(expected), "{app} {env}: kustomize's build is not the environment's objects");
        // Namespaced objects in the application's namespace; cluster-scoped ones (Backbone's
        // ClusterRole and its binding) in none.
        for o in &built {
            let namespace = if ["ClusterRole", "ClusterRoleBinding"].contains(&o["kind"].as_str().unwrap_or("")) { Value::Null } else { json!(app) };
            assert!(o["metadata"]["namespace"] == namespace, "{app} {env}: {} is not in namespace {namespace}", id(o));
        }
        // Each file is listed once, by the environment's kustomization and by its stage's;
        // nothing else is in the directory.
        let listed = resources(&dir.join("kustomization.yaml"));
        let mut by_stage: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for file in &listed {
            let (stage, name) = file.split_once('/').unwrap_or_else(|| panic!("{app} {env}: {file} is not in a stage directory"));
            by_stage.entry(stage.to_string()).or_default().push(name.to_string());
        }
        let mut present: BTreeSet<String> = listed.iter().cloned().collect();
        assert_eq!(present.len(), listed.len(), "{app} {env}: a file listed twice");
        for (stage, names) in &by_stage {
            let mut theirs = resources(&dir.join(stage).join("kustomization.yaml"));
            theirs.sort();
            let mut ours = names.clone();
            ours.sort();
            assert_eq!(theirs, ours, "{app} {env}: {stage}/kustomization.yaml lists other objects than the environment's");
            present.insert(format!("{stage}/kustomization.yaml"));
        }
        present.insert("kustomization.yaml".into());
        assert_eq!(files_under(&dir), present, "{app} {env}: files no kustomization lists");
        // Stages are applied in the order of their directories; the sync waves say the same.
        for file in &listed {
            let o: Value = serde_saphyr::from_str(&std::fs::read_to_string(dir.join(file)).expect("object")).expect("yaml");
            let stage: i64 = file[..1].parse().expect("a numbered stage");
            assert_eq!(wave(&o), stage, "{app} {env}: {file}");
        }
    }
}

/// What a pod template reads by name: Secrets and ConfigMaps (volumes, env, envFrom).
fn reads(pod: &Value, out: &mut BTreeSet<(String, String)>) {
    match pod {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("secretKeyRef" | "secretRef", Value::Object(r)) | ("secret", Value::Object(r)) => {
                        if let Some(n) = r.get("name").or_else(|| r.get("secretName")).and_then(Value::as_str) {
                            out.insert(("Secret".into(), n.into()));
                        }
                    }
                    ("configMapKeyRef" | "configMapRef" | "configMap", Value::Object(r)) => {
                        if let Some(n) = r.get("name").and_then(Value::as_str) {
                            out.insert(("ConfigMap".into(), n.into()));
                        }
                    }
                    _ => {}
                }
                reads(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| reads(i, out)),
        _ => {}
    }
}

#[test]
fn stages_put_what_pods_read_and_migrations_before_the_workloads() {
    let (mut made, mut tasks) = (0, 0);
    for (app, env, _) in environments() {
        let objects = parse_stream(&committed_environment(&out(), &app, &env));
        let pods: Vec<&Value> = objects.iter().filter(|o| o.pointer("/spec/template/spec/containers").is_some()).collect();
        for maker in &objects {
            for (kind, name) in kforge::check::made_by(maker) {
                for pod in &pods {
                    let mut read = BTreeSet::new();
                    reads(pod, &mut read);
                    if read.contains(&(kind.clone(), name.clone())) {
                        assert!(wave(maker) < wave(pod), "{app} {env}: {} reads {kind}/{name} that {} makes, in a wave not before it", id(pod), id(maker));
                        made += 1;
                    }
                }
            }
        }
        // A one-shot Job (the chart's hook) runs before every long-running workload, and
        // after every object that makes what it reads.
        for job in objects.iter().filter(|o| o["kind"] == "Job") {
            tasks += 1;
            for o in &pods {
                if o["kind"] != "Job" {
                    assert!(wave(job) < wave(o), "{app} {env}: {} is not before {}", id(job), id(o));
                }
            }
            for o in objects.iter().filter(|o| ["ConfigMap", "Secret", "ServiceAccount", "Service"].contains(&o["kind"].as_str().unwrap_or(""))) {
                assert!(wave(o) < wave(job), "{app} {env}: {} is not before {}", id(o), id(job));
            }
        }
    }
    // The orderings the tests must see at least once: Aeterna's database Cluster before the
    // server that reads its Secret, its ExternalSecret before the server, the migration (of the
    // external example, the one that runs it: no release before 0.8.0-rc.6 has a working one).
    assert!(made >= 3, "only {made} pods read what another object makes");
    assert!(tasks >= 1, "only {tasks} one-shot Jobs");
}

/// Every document of every GitOps definition file, with its file.
fn definitions() -> Vec<(PathBuf, Value)> {
    let dir = out().join("gitops");
    let mut docs = Vec::new();
    for path in tree_digest(&dir).into_keys().filter(|p| p.extension().is_some_and(|e| e == "yaml")) {
        for doc in parse_stream(&std::fs::read_to_string(dir.join(&path)).expect("read")) {
            docs.push((path.clone(), doc));
        }
    }
    docs
}

#[test]
fn gitops_definitions_validate_against_their_crds_and_point_at_committed_files() {
    let schemas = crd_schemas();
    let docs = definitions();
    let envs = environments();
    // Every environment has its five files.
    for (app, env, _) in &envs {
        for file in ["argocd-manifests.yaml", "argocd-chart.yaml", "flux-manifests.yaml", "flux-chart.yaml", "flux-chart-oci.yaml"] {
            let path = PathBuf::from(app).join(env).join(file);
            assert!(docs.iter().any(|(p, _)| *p == path), "no gitops/{}", path.display());
        }
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let custom: Vec<(String, Value)> = docs.iter().filter(|(_, d)| d["kind"] != "Namespace").map(|(p, d)| (format!("{} {}", p.display(), id(d)), d.clone())).collect();
    for (label, doc) in &custom {
        assert!(schemas.contains_key(&key(doc)), "{label}: no CRD in {:?} for {}", crate::crds::CRD_DIRS, key(doc));
    }
    let kinds: BTreeSet<String> = custom.iter().map(|(_, d)| key(d)).collect();
    let expected = [
        "argoproj.io/v1alpha1/Application",
        "helm.toolkit.fluxcd.io/v2/HelmRelease",
        "kustomize.toolkit.fluxcd.io/v1/Kustomization",
        "source.toolkit.fluxcd.io/v1/GitRepository",
        "source.toolkit.fluxcd.io/v1/OCIRepository",
    ];
    assert_eq!(kinds, expected.iter().map(|k| k.to_string()).collect(), "the kinds of the definitions");
    let failures = validate(&custom, &schemas, tmp.path());
    assert!(failures.is_empty(), "definitions their CRDs reject:\n{}", failures.join("\n"));
    // The validation can fail: an unknown field in each kind is rejected.
    let one_of_each: Vec<(String, Value)> = expected.iter().map(|k| custom.iter().find(|(_, d)| key(d) == *k).expect("one of each").clone()).collect();
    assert_eq!(with_unknown_field(&one_of_each, &schemas, tmp.path()).len(), expected.len(), "every kind must reject spec.unknownField");
    // The Namespace of the Flux files is valid Kubernetes.
    let namespaces: Vec<PathBuf> = docs.iter().filter(|(_, d)| d["kind"] == "Namespace").map(|(p, _)| out().join("gitops").join(p)).collect::<BTreeSet<_>>().into_iter().collect();
    let checked = run(Command::new(tool("kubernetes-validate")).args(["--strict", "-k", "1.33", "--quiet"]).args(&namespaces));
    assert!(checked.status.success(), "{}{}", text(&checked.stdout), text(&checked.stderr));

    // Every path a definition names is committed (the repository path is charts-out by
    // default), and every environment's stages are chained in order.
    let committed = |path: &str| root().join(path.trim_start_matches("./"));
    for (file, d) in &docs {
        let shown = format!("gitops/{} {}", file.display(), id(d));
        match d["kind"].as_str().unwrap_or("") {
            "Application" => {
                let source = &d["spec"]["source"];
                let path = source["path"].as_str().expect("path");
                assert!(committed(path).join(if source.get("helm").is_some() { "Chart.yaml" } else { "kustomization.yaml" }).is_file(), "{shown}: {path}");
                for v in source.pointer("/helm/valueFiles").and_then(Value::as_array).into_iter().flatten() {
                    assert!(committed(path).join(v.as_str().expect("file")).is_file(), "{shown}: {v}");
                }
                assert_eq!(source["repoURL"], kforge::output::gitops::PLACEHOLDER_REPO, "{shown}");
            }
            "Kustomization" => {
                let path = d["spec"]["path"].as_str().expect("path");
                assert!(committed(path).join("kustomization.yaml").is_file(), "{shown}: {path}");
                assert_eq!(d["spec"]["wait"], true, "{shown}");
            }
            "HelmRelease" => {
                // The release and its records in the application's namespace, as `helm install -n` has them.
                assert!(d["spec"]["targetNamespace"].is_string() && d["spec"]["storageNamespace"] == d["spec"]["targetNamespace"], "{shown}");
                if let Some(spec) = d.pointer("/spec/chart/spec") {
                    assert!(committed(spec["chart"].as_str().expect("chart")).join("Chart.yaml").is_file(), "{shown}");
                    for v in spec["valuesFiles"].as_array().expect("valuesFiles") {
                        assert!(committed(v.as_str().expect("file")).is_file(), "{shown}: {v}");
                    }
                }
            }
            _ => {}
        }
    }
    // One source, named after the (placeholder) repository, that every Flux object from Git
    // refers to; no credentials unless emit is given a Secret's name.
    let labelled: Vec<(String, Value)> = docs.iter().map(|(p, d)| (format!("gitops/{} {}", p.display(), id(d)), d.clone())).collect();
    let (sources, refs) = git_sources(&labelled);
    let source = kforge::output::gitops::source_name(kforge::output::gitops::PLACEHOLDER_REPO);
    assert_eq!(sources, BTreeSet::from([source.clone()]), "the GitRepositories");
    assert!(refs.len() >= envs.len() && refs.iter().all(|r| *r == source), "{refs:?}");
    for (label, d) in &labelled {
        assert!(d.pointer("/spec/secretRef").is_none(), "{label}: a secretRef nobody asked for");
    }
    for (app, env, _) in &envs {
        let file = PathBuf::from(app).join(env).join("flux-manifests.yaml");
        let chain: Vec<&Value> = docs.iter().filter(|(p, d)| *p == file && d["kind"] == "Kustomization").map(|(_, d)| d).collect();
        let mut stages: Vec<String> = std::fs::read_dir(out().join("manifests").join(app).join(env))
            .expect("env dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.is_dir())
            .map(|p| format!("./charts-out/manifests/{app}/{env}/{}", p.file_name().expect("name").to_string_lossy()))
            .collect();
        stages.sort();
        assert_eq!(chain.iter().map(|k| k["spec"]["path"].as_str().expect("path").to_string()).collect::<Vec<_>>(), stages, "{app} {env}: a Kustomization per stage, in order");
        for pair in chain.windows(2) {
            assert_eq!(pair[1]["spec"]["dependsOn"], json!([{"name": pair[0]["metadata"]["name"]}]), "{app} {env}: each stage waits for the one before");
        }
        assert!(chain[0]["spec"].get("dependsOn").is_none(), "{app} {env}");
    }
}

#[test]
fn the_repository_the_definitions_point_at_is_a_setting() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = run(kforge()
        .args(["emit", "--app", "dbbat", "--repo-url", "https://git.example.com/team/deploy.git", "--repo-revision", "release", "--repo-path", "./deploy/out/"])
        .args(["--chart-registry", "oci://registry.example.com/charts", "--out"])
        .arg(tmp.path()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let read = |f: &str| std::fs::read_to_string(tmp.path().join("gitops/dbbat/production").join(f)).expect("read");
    let argo = read("argocd-manifests.yaml");
    assert!(
        argo.contains("repoURL: https://git.example.com/team/deploy.git")
            && argo.contains("targetRevision: release")
            && argo.contains("path: deploy/out/manifests/dbbat/production"),
        "{argo}"
    );
    let flux = read("flux-manifests.yaml");
    assert!(flux.contains("branch: release") && flux.contains("path: ./deploy/out/manifests/dbbat/production/0-config"), "{flux}");
    let oci = read("flux-chart-oci.yaml");
    assert!(oci.contains("url: oci://registry.example.com/charts/dbbat"), "{oci}");
    // A path outside the repository, a registry that is not OCI, a URL without a host or with
    // credentials (they would be committed) are refused, naming the flag, and nothing is written.
    let refused = [
        ("--repo-path", "../elsewhere", "expected a relative path"),
        ("--repo-path", "/abs", "expected a relative path"),
        ("--repo-path", "a/../../b", "expected a relative path"),
        ("--chart-registry", "https://registry.example.com", "expected an oci:// URL"),
        ("--chart-registry", "oci://", "names no host"),
        ("--chart-registry", "oci://Registry.example.com/Charts", "lowercase"),
        ("--chart-registry", "oci://robot:secret@registry.example.com/charts", "credentials"),
        ("--repo-url", "https://", "names no host"),
        ("--repo-url", "https://user:pass@git.example.com/a.git", "credentials"),
        ("--repo-url", "https://ghp_token@github.com/a.git", "credentials"),
        ("--repo-url", "ssh://git:pass@git.example.com/a.git", "credentials"),
    ];
    for (flag, value, why) in refused {
        let out = run(kforge().args(["emit", "--app", "dbbat", &format!("{flag}={value}"), "--out"]).arg(tmp.path().join("refused")));
        let said = text(&out.stderr);
        assert!(!out.status.success() && said.contains(flag) && said.contains(why), "{flag} {value}: {said}");
        assert!(!tmp.path().join("refused").exists(), "{flag} {value}: something was written");
    }
    // An ssh:// user is no credential; an http:// server is a server.
    for url in ["ssh://git@git.example.com:2222/team/deploy.git", "http://git.internal/team/deploy.git"] {
        let out = run(kforge().args(["emit", "--app", "dbbat", "--repo-url", url, "--out"]).arg(tmp.path().join("taken")));
        assert!(out.status.success(), "{url}: {}", text(&out.stderr));
    }
    // Run from elsewhere, an --out that climbs out of the folder names no place in the repository.
    let out = run(kforge().current_dir(tmp.path().join("taken")).args(["emit", "--app", "dbbat", "--out", "../elsewhere"]));
    assert!(!out.status.success() && text(&out.stderr).contains("--out \"../elsewhere\" is not below the folder emit runs in"), "{}", text(&out.stderr));
}

/// `kforge emit --app dbbat` into `out` with `args` (`kforge()` runs without the shell's
/// `KFORGE_*` variables).
fn emit_dbbat(out: &Path, args: &[&str]) -> std::process::Output {
    run(kforge().args(["emit", "--app", "dbbat"]).args(args).arg("--out").arg(out))
}

/// Every document of the GitOps files under `out`, labelled with its file.
fn emitted_definitions(out: &Path) -> Vec<(String, Value)> {
    let dir = out.join("gitops");
    let mut docs = Vec::new();
    for path in tree_digest(&dir).into_keys().filter(|p| p.extension().is_some_and(|e| e == "yaml")) {
        for doc in parse_stream(&std::fs::read_to_string(dir.join(&path)).expect("read")) {
            docs.push((format!("{} {}", path.display(), id(&doc)), doc));
        }
    }
    assert!(!docs.is_empty(), "no definitions under {}", dir.display());
    docs
}

/// The names of the GitRepositories in `docs`, and every name a Kustomization's or a
/// HelmRelease's `sourceRef` of kind GitRepository gives.
fn git_sources(docs: &[(String, Value)]) -> (BTreeSet<String>, Vec<String>) {
    let names = docs.iter().filter(|(_, d)| d["kind"] == "GitRepository").map(|(_, d)| d["metadata"]["name"].as_str().expect("name").to_string()).collect();
    let refs: Vec<String> = docs
        .iter()
        .filter_map(|(_, d)| d.pointer("/spec/sourceRef").or_else(|| d.pointer("/spec/chart/spec/sourceRef")))
        .inspect(|r| assert_eq!(r["kind"], "GitRepository", "{r}"))
        .map(|r| r["name"].as_str().expect("name").to_string())
        .collect();
    (names, refs)
}

fn sha256_prefix(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())[..4].iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_flux_source_is_named_after_the_repository_and_every_reference_follows_it() {
    use kforge::output::gitops::source_name;
    // The rule: the last path element, lowercased, other characters made `-`, and 8 hex digits
    // of the SHA-256 of the URL.
    let url = "ssh://git@git.example.com:2222/Team/My_Deploy..Repo.git/";
    assert_eq!(source_name(url), format!("my-deploy-repo-{}", sha256_prefix(url)));
    // Two repositories with the same last element get two names.
    let (a, b) = ("https://git.example.com/team-a/deploy.git", "https://git.example.com/team-b/deploy.git");
    assert_ne!(source_name(a), source_name(b));
    for url in
        [a, b, "https://git.example.com/", "https://git.example.com/_.git", "https://h/a/Déploiement", "https://h/a/deploy.git?ref=x#y", &format!("https://h/{}", "x-".repeat(200))]
    {
        let name = source_name(url);
        assert!(kforge::rules::dns_label(&name), "{url}: {name:?} is not a DNS-1123 label");
    }
    assert!(source_name("https://h/a/deploy.git?ref=x#y").starts_with("deploy-"));
    assert!(source_name("https://git.example.com/_.git").starts_with("kforge-"));

    // Through emit: each repository's definitions name their own source, and every Kustomization
    // and HelmRelease from Git refers to it.
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut seen = BTreeSet::new();
    for (dir, url) in [("a", a), ("b", b)] {
        let out = emit_dbbat(&tmp.path().join(dir), &["--repo-url", url]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let (names, refs) = git_sources(&emitted_definitions(&tmp.path().join(dir)));
        assert_eq!(names, BTreeSet::from([source_name(url)]), "{url}");
        assert!(refs.len() >= 4 && refs.iter().all(|r| *r == source_name(url)), "{url}: {refs:?}");
        seen.extend(names);
    }
    assert_eq!(seen.len(), 2, "two repositories share a source: {seen:?}");

    // The flag names it instead, everywhere.
    let out = emit_dbbat(&tmp.path().join("named"), &["--repo-url", a, "--repo-source-name", "deploy.prod"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let docs = emitted_definitions(&tmp.path().join("named"));
    let (names, refs) = git_sources(&docs);
    assert_eq!(names, BTreeSet::from(["deploy.prod".to_string()]));
    assert!(!refs.is_empty() && refs.iter().all(|r| r == "deploy.prod"), "{refs:?}");
    let derived = source_name(a);
    for (path, bytes) in tree_digest(&tmp.path().join("named/gitops")) {
        assert!(!String::from_utf8_lossy(&bytes).contains(&derived), "{}: still names {derived}", path.display());
    }
}

#[test]
fn credentials_for_private_sources_are_named_for_flux_only_when_given() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (plain, private, registry_only) = (tmp.path().join("plain"), tmp.path().join("private"), tmp.path().join("registry-only"));
    for (out, args) in [
        (&plain, &[][..]),
        (&private, &["--repo-secret", "git-creds", "--chart-registry-secret", "registry.creds"][..]),
        (&registry_only, &["--chart-registry-secret", "registry.creds"][..]),
    ] {
        let run = emit_dbbat(out, args);
        assert!(run.status.success(), "{args:?}: {}", text(&run.stderr));
    }
    // Without the flags, no secretRef anywhere.
    for (path, bytes) in tree_digest(&plain.join("gitops")) {
        assert!(!String::from_utf8_lossy(&bytes).contains("secretRef"), "{}: a secretRef nobody asked for", path.display());
    }
    // With them: on every GitRepository and OCIRepository, and nothing else changes. Argo CD's
    // Applications have no place for credentials, so their files are the same.
    let docs = emitted_definitions(&private);
    let plain_docs = emitted_definitions(&plain);
    assert_eq!(docs.len(), plain_docs.len());
    let (mut git, mut oci) = (0, 0);
    for ((label, doc), (plain_label, plain_doc)) in docs.iter().zip(&plain_docs) {
        assert_eq!(label, plain_label);
        let mut without = doc.clone();
        match doc["kind"].as_str().unwrap_or("") {
            "GitRepository" => {
                assert_eq!(doc["spec"]["secretRef"], json!({"name": "git-creds"}), "{label}");
                git += 1;
            }
            "OCIRepository" => {
                assert_eq!(doc["spec"]["secretRef"], json!({"name": "registry.creds"}), "{label}");
                oci += 1;
            }
            _ => {}
        }
        if let Some(spec) = without.get_mut("spec").and_then(Value::as_object_mut) {
            spec.remove("secretRef");
        }
        assert_eq!(without, *plain_doc, "{label}: more than the secretRef changed");
    }
    assert!(git >= 4 && oci >= 2, "{git} GitRepositories, {oci} OCIRepositories");
    for (path, bytes) in tree_digest(&private.join("gitops")).into_iter().filter(|(p, _)| p.to_string_lossy().contains("argocd-")) {
        assert_eq!(bytes, std::fs::read(plain.join("gitops").join(&path)).expect("read"), "{}", path.display());
    }
    // Each flag alone gives its own secretRef only.
    for (label, doc) in emitted_definitions(&registry_only) {
        let expected = if doc["kind"] == "OCIRepository" { json!({"name": "registry.creds"}) } else { Value::Null };
        assert_eq!(doc.pointer("/spec/secretRef").cloned().unwrap_or(Value::Null), expected, "{label}");
    }
    // What the flags add is what the upstream CRDs take.
    let custom: Vec<(String, Value)> = docs.into_iter().filter(|(_, d)| d["kind"] != "Namespace").collect();
    let failures = validate(&custom, &crd_schemas(), tmp.path());
    assert!(failures.is_empty(), "definitions their CRDs reject:\n{}", failures.join("\n"));
}

#[test]
fn a_name_kubernetes_would_refuse_is_refused_by_its_flag_and_nothing_is_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    assert!(emit_dbbat(&out, &[]).status.success());
    let before = tree_digest(&out);
    let too_long = "a".repeat(254);
    for (flag, value) in [
        ("--repo-secret", "Git_Creds"),
        ("--repo-secret", "-creds"),
        ("--repo-secret", "git..creds"),
        ("--repo-secret", ""),
        ("--repo-secret", too_long.as_str()),
        ("--chart-registry-secret", "registry creds"),
        ("--chart-registry-secret", "creds."),
        ("--repo-source-name", "Deploy"),
    ] {
        // `--flag=value`: a value starting with `-` is a value, not another flag.
        let refused = emit_dbbat(&out, &[&format!("{flag}={value}")]);
        let err = text(&refused.stderr);
        assert!(!refused.status.success(), "{flag} {value:?} was accepted");
        assert!(err.starts_with(&format!("error: {flag} {value:?}: expected the name of ")) && err.contains("a DNS-1123 subdomain"), "{flag} {value:?}: {err}");
        let what = if flag == "--repo-source-name" { "a GitRepository" } else { "a Secret" };
        assert!(err.contains(what), "{flag}: {err}");
        assert!(before == tree_digest(&out), "{flag} {value:?}: a refused emit changed the output");
    }
    // The environment variable is checked as the flag is.
    let mut cmd = kforge();
    let refused = run(cmd.env("KFORGE_REPO_SECRET", "Git_Creds").args(["emit", "--app", "dbbat", "--out"]).arg(&out));
    assert!(!refused.status.success() && text(&refused.stderr).contains("--repo-secret \"Git_Creds\""), "{}", text(&refused.stderr));
    assert!(before == tree_digest(&out), "a refused emit changed the output");
    // The longest name Kubernetes takes is taken.
    let longest = "a".repeat(253);
    let taken = emit_dbbat(&tmp.path().join("longest"), &["--repo-secret", &longest, "--chart-registry-secret", "a.b-c"]);
    assert!(taken.status.success(), "{}", text(&taken.stderr));
}

#[test]
fn each_chart_registry_gets_its_own_flux_source_and_a_malformed_one_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // One chart from two registries, applied into one flux-system, must not share a source.
    let mut names = BTreeSet::new();
    for (n, registry) in ["oci://ghcr.io/acme/charts", "oci://registry.staging.example:5000/charts", "oci://localhost:5000"].iter().enumerate() {
        let out = tmp.path().join(format!("out-{n}"));
        let made = emit_dbbat(&out, &["--chart-registry", registry]);
        assert!(made.status.success(), "{registry}: {}", text(&made.stderr));
        let docs = emitted_definitions(&out);
        let sources: Vec<&Value> = docs.iter().map(|(_, d)| d).filter(|d| d["kind"] == "OCIRepository").collect();
        assert!(!sources.is_empty());
        for source in sources {
            let name = source["metadata"]["name"].as_str().expect("name").to_string();
            assert_eq!(name, format!("dbbat-chart-{}", sha256_prefix(registry)), "{registry}");
            assert_eq!(source["spec"]["url"], format!("{registry}/dbbat"));
            names.insert(name);
        }
        for (_, release) in docs.iter().filter(|(f, d)| f.contains("flux-chart-oci") && d["kind"] == "HelmRelease") {
            assert_eq!(release["spec"]["chartRef"]["name"], format!("dbbat-chart-{}", sha256_prefix(registry)), "{registry}");
        }
    }
    assert_eq!(names.len(), 3, "{names:?}");
    // Hosts and repository paths by the distribution spec's grammar; nothing is written.
    let out = tmp.path().join("out-0");
    let before = tree_digest(&out);
    for (registry, expected) in [
        ("oci://exa mple.com/charts", "is not a registry host"),
        ("oci://-bad-.example/charts", "is not a registry host"),
        ("oci://registry.example:99999/charts", "is not a registry host"),
        ("oci://ghcr.io/acme//charts", "is not a repository path component"),
        ("oci://ghcr.io/acme/charts..x", "is not a repository path component"),
    ] {
        let refused = emit_dbbat(&out, &["--chart-registry", registry]);
        let err = text(&refused.stderr);
        assert!(!refused.status.success() && err.contains(expected) && err.contains(registry), "{registry}: {err}");
        assert!(before == tree_digest(&out), "{registry}: a refused emit changed the output");
    }
}
