//! `kforge setup`, the Aeterna setup wizard: answers files for each target, the generated values
//! against Helm 4 and 3 and `emit`, the compose file against the Compose schema and against what
//! Helm renders for the same answers, config.toml and opencode.json, overwrite protection,
//! secrets, bad answers, and the interactive wizard driven through a real pseudo-terminal.
//!
//! Every run points `--opencode-config`, `HOME` and `XDG_CONFIG_HOME` into its temporary
//! directory: no test reads or writes the real home.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::support::*;

fn setup_cmd(dir: &Path) -> Command {
    let mut cmd = kforge();
    cmd.arg("setup").arg("--out").arg(dir.join("out")).arg("--opencode-config").arg(dir.join("opencode.json"));
    cmd.env("HOME", dir.join("home")).env("XDG_CONFIG_HOME", dir.join("home/.config"));
    cmd
}

/// `kforge setup --answers` with `answers` as the file's text.
fn setup(dir: &Path, answers: &str, extra: &[&str]) -> Output {
    let file = dir.join("answers.yaml");
    std::fs::write(&file, answers).expect("write answers");
    run(setup_cmd(dir).arg("--answers").arg(&file).args(extra))
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "setup failed:\n{}", text(&out.stderr));
    text(&out.stderr)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Files under `dir`, relative, recursively.
fn files_in(dir: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(p.strip_prefix(root).expect("under root").display().to_string());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

fn yaml(path: &Path) -> Value {
    serde_saphyr::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

// ----- answers mode, each target -------------------------------------------------------------

#[test]
fn each_target_writes_its_files() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("docker-compose", "target: docker-compose\nllm: {apiKey: sk-compose}\n", &["docker-compose.yaml", ".env", ".aeterna/config.toml"]),
        (
            "kubernetes",
            "target: kubernetes\nllm: {apiKey: sk-kube}\nopal: {fetcherImage: registry.example/aeterna-opal-fetcher}\n",
            &["values.yaml", "secrets.values.yaml", ".aeterna/config.toml"],
        ),
        (
            "kubernetes, existing Secret",
            "target: kubernetes\nllm: {existingSecret: openai}\nopal: {fetcherImage: registry.example/aeterna-opal-fetcher}\n",
            &["values.yaml", ".aeterna/config.toml"],
        ),
        ("opencode-only", "target: opencode-only\n", &[".aeterna/config.toml"]),
    ];
    for (label, answers, expected) in cases {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        let stderr = ok(&setup(dir, answers, &[]));
        assert!(stderr.contains("Generating configuration files...") && stderr.contains("All files generated successfully!"), "{label}: {stderr}");
        let out = dir.join("out");
        assert_eq!(files_in(&out), set(expected), "{label}");
        for f in *expected {
            assert!(stderr.contains(&format!("✓ {}", out.join(f).display())), "{label}: no check mark for {f}:\n{stderr}");
        }
        #[cfg(unix)]
        for secret in [".env", "secrets.values.yaml"] {
            if expected.contains(&secret) {
                assert_eq!(mode(&out.join(secret)), 0o600, "{label}: {secret}");
            }
        }
        // config.toml is TOML; opencode.json is JSON with the entry; the home was not touched.
        let config: toml::Table = toml::from_str(&read(&out.join(".aeterna/config.toml"))).unwrap_or_else(|e| panic!("{label}: config.toml: {e}"));
        assert_eq!(config["llm"]["provider"].as_str(), Some("openai"), "{label}");
        let oc: Value = serde_json::from_str(&read(&dir.join("opencode.json"))).expect("opencode.json is JSON");
        assert_eq!(oc["mcp"]["aeterna"]["type"], "remote", "{label}");
        assert!(!dir.join("home").exists(), "{label}: wrote into HOME");
        // Rerunning changes nothing.
        let again = ok(&setup(dir, answers, &[]));
        assert!(again.matches("(unchanged)").count() == expected.len() + 1, "{label}: {again}");
    }
}

#[test]
fn secrets_go_only_to_the_files_to_keep_out_of_git() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let answers = "target: kubernetes\nllm: {apiKey: sk-typed-1}\ncache: {type: external, external: {host: redis.example, password: redis-typed-2}}\nopal: {fetcherImage: registry.example/aeterna-opal-fetcher}\n";
    ok(&setup(dir, answers, &[]));
    let out = dir.join("out");
    for f in ["values.yaml", ".aeterna/config.toml"] {
        let t = read(&out.join(f));
        assert!(!t.contains("sk-typed-1") && !t.contains("redis-typed-2"), "{f} holds a secret:\n{t}");
    }
    let secrets = yaml(&out.join("secrets.values.yaml"));
    assert_eq!(secrets, json!({"cache": {"external": {"password": "redis-typed-2"}}, "llm": {"openai": {"apiKey": "sk-typed-1"}}}));
    assert!(!read(&dir.join("opencode.json")).contains("typed"));

    // An existing Secret: its name in values.yaml, no secret file at all.
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    ok(&setup(dir, "target: kubernetes\nllm: {existingSecret: my-openai}\nopal: {fetcherImage: registry.example/aeterna-opal-fetcher}\n", &[]));
    assert!(!dir.join("out/secrets.values.yaml").exists());
    assert_eq!(yaml(&dir.join("out/values.yaml"))["llm"], json!({"openai": {"existingSecret": "my-openai"}}));

    // Compose: the key only in .env, read through interpolation.
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    ok(&setup(dir, "llm: {apiKey: sk-typed-3}\n", &[]));
    let out = dir.join("out");
    assert!(read(&out.join(".env")).contains("OPENAI_API_KEY='sk-typed-3'\n"));
    for f in ["docker-compose.yaml", ".aeterna/config.toml"] {
        assert!(!read(&out.join(f)).contains("sk-typed-3"), "{f} holds the key");
    }
    let compose = yaml(&out.join("docker-compose.yaml"));
    assert_eq!(compose["services"]["aeterna"]["environment"]["OPENAI_API_KEY"], "${OPENAI_API_KEY:?set OPENAI_API_KEY in .env}");
}

#[test]
fn the_books_example_answers_work() {
    let chapter = read(&root().join("docs/src/wizard.md"));
    let start = chapter.find("```yaml\n# answers.yaml").expect("the answers example of docs/src/wizard.md") + "```yaml\n".len();
    let example = &chapter[start..start + chapter[start..].find("```").expect("end of the example")];
    let tmp = tempfile::tempdir().expect("tempdir");
    let stderr = ok(&setup(tmp.path(), example, &[]));
    // The example names its Ingress host, so the hint to set one is not given.
    assert!(!stderr.contains("set ingress.hosts"), "{stderr}");
    let values = yaml(&tmp.path().join("out/values.yaml"));
    assert_eq!(values["cache"]["external"]["existingSecret"], "aeterna-redis");
    assert_eq!(values["ingress"]["hosts"][0]["host"], "aeterna.example.com");
}

// ----- the generated values against the chart ------------------------------------------------

/// Kubernetes answers; each must render with Helm exactly as `emit` does.
const KUBERNETES: &[(&str, &str)] = &[
    ("defaults, existing Secret", "target: kubernetes\nllm: {existingSecret: aeterna-openai}\nopal: {fetcherImage: registry.example/aeterna-opal-fetcher}"),
    (
        "typed key, every advanced option",
        "target: kubernetes\nllm: {apiKey: sk-abc}\nadvanced: {ingress: true, serviceMonitor: true, networkPolicy: true, hpa: true, pdb: true}\nopal: {fetcherImage: registry.example/aeterna-opal-fetcher}",
    ),
    (
        "external everything",
        "target: kubernetes\nvectorBackend: {type: vertex-ai, projectId: p, region: europe-west1, indexEndpoint: e, existingSecret: gcp}\n\
         cache: {type: external, external: {host: redis.example, port: 6380, existingSecret: redis}}\n\
         postgresql: {type: external, external: {host: pg.example, database: mem, username: mem, existingSecret: pg}}\nopal: false\n\
         llm: {provider: openai, existingSecret: openai, model: gpt-x}",
    ),
    (
        // OPAL off: opal-fetcher takes only a URL-safe password, and this one tests quoting.
        "ollama, valkey, pgvector, typed database password",
        "target: kubernetes\nvectorBackend: pgvector\ncache: valkey\npostgresql: {type: external, external: {host: pg.example, username: u, password: \"p@ss: 'x'\"}}\n\
         llm: {provider: ollama, host: \"http://ollama.ollama.svc:11434\", model: llama3.1}\nopal: false",
    ),
    (
        "pinecone, mongodb-free, no llm",
        "target: kubernetes\nvectorBackend: {type: pinecone, environment: us-east-1, indexName: mem, apiKey: pc-key}\nllm: none\nopal: {fetcherImage: registry.example/aeterna-opal-fetcher}",
    ),
    (
        "own policy repository and OPAL Secret",
        "target: kubernetes\nllm: {existingSecret: openai}\nopal: {policyRepo: \"git@github.com:acme/policies.git\", branch: main, existingSecret: acme-opal, \
         fetcherImage: registry.example/aeterna-opal-fetcher, cedarConfigMap: acme-cedar}",
    ),
];

#[test]
fn opal_answers_reach_the_chart() {
    // Kubernetes: secure mode with the named Secret, the repository and branch given.
    let tmp = tempfile::tempdir().expect("tempdir");
    let answers = "target: kubernetes\nllm: {existingSecret: openai}\nopal: {policyRepo: \"https://git.example/p.git\", branch: main, existingSecret: acme-opal, \
                   fetcherImage: registry.example/aeterna-opal-fetcher}";
    let stderr = ok(&setup(tmp.path(), answers, &[]));
    assert!(stderr.contains("Create the Secret acme-opal"), "{stderr}");
    assert!(stderr.contains("Create the ConfigMap aeterna-cedar with the Aeterna server's Cedar policy"), "{stderr}");
    let version = apps::find("aeterna").expect("aeterna").chart().app_version.clone();
    let build = format!("docker build -f opal-fetcher/Dockerfile -t registry.example/aeterna-opal-fetcher:{version} . and push it");
    assert!(stderr.contains(&build), "{stderr}");
    assert_eq!(
        yaml(&tmp.path().join("out/values.yaml"))["opal"],
        json!({
            "auth": {"existingSecret": "acme-opal"},
            "cedar": {"existingConfigMap": "aeterna-cedar"},
            "fetcher": {"image": {"repository": "registry.example/aeterna-opal-fetcher"}},
            "server": {"policyRepo": {"url": "https://git.example/p.git", "branch": "main"}}
        })
    );
    // Compose: OPAL's development mode (no token anywhere), OPAL's Cedar example by default.
    let tmp = tempfile::tempdir().expect("tempdir");
    ok(&setup(tmp.path(), "llm: {apiKey: sk-1}", &[]));
    let compose = yaml(&tmp.path().join("out/docker-compose.yaml"));
    let server = &compose["services"]["aeterna-opal-server"]["environment"];
    assert_eq!(server["OPAL_POLICY_REPO_URL"], "https://github.com/permitio/opal-example-policy-repo");
    assert!(server.get("OPAL_AUTH_MASTER_TOKEN").is_none());
    let client = &compose["services"]["aeterna-cedar-agent"]["environment"];
    assert_eq!(client["OPAL_SERVER_URL"], "http://aeterna-opal-server:7002");
    assert!(client.get("OPAL_CLIENT_TOKEN").is_none());
    let env = read(&tmp.path().join("out/.env"));
    assert!(!env.contains("OPAL"), "{env}");
    // The fetcher is a local build at the server's version; the server's Cedar policy is read
    // where compose runs, as the server's image needs it.
    let version = apps::find("aeterna").expect("aeterna").chart().app_version.clone();
    assert_eq!(compose["services"]["aeterna-opal-fetcher"]["image"], format!("aeterna-opal-fetcher:{version}").as_str());
    let server = &compose["services"]["aeterna"]["environment"];
    assert_eq!(server["AETERNA_AUTH_BACKEND"], "cedar");
    assert_eq!(server["AETERNA_OPAL_FETCHER_URL"], "http://aeterna-opal-fetcher:8080");
    for var in ["AETERNA_CEDAR_POLICY_TEXT", "AETERNA_CEDAR_SCHEMA_TEXT"] {
        assert_eq!(server[var], format!("${{{var}:?set {var} in .env}}").as_str());
        assert!(env.contains(&format!("# {var}=''")), "{env}");
    }
    let config: toml::Table = toml::from_str(&read(&tmp.path().join("out/.aeterna/config.toml"))).expect("config.toml");
    assert_eq!(config["cedar"]["policy_text_env"].as_str(), Some("AETERNA_CEDAR_POLICY_TEXT"));
    assert_eq!(config["opal"]["fetcher_url"].as_str(), Some("http://aeterna-opal-fetcher:8080"));
}

#[test]
fn llm_answers_follow_what_the_server_reads() {
    // Ollama is reached through its OpenAI-compatible API, which releases read from 0.8.0-rc.9
    // on: the values and the compose file run that release, with the OpenAI-compatible settings.
    let tmp = tempfile::tempdir().expect("tempdir");
    let opal = "opal: {fetcherImage: registry.example/aeterna-opal-fetcher, tenant: 0b0e5a4c-8f4e-4a53-9c2a-4f3e2b1d0c9a}";
    ok(&setup(tmp.path(), &format!("target: kubernetes\nllm: {{provider: ollama, host: \"http://ollama.ollama.svc:11434\"}}\n{opal}"), &[]));
    let values = yaml(&tmp.path().join("out/values.yaml"));
    assert_eq!(values["aeterna"]["image"]["tag"], "v0.8.0-rc.9");
    assert_eq!(values["llm"]["provider"], "ollama");
    // That release's opal-fetcher serves one tenant: the answers' tenant reaches it.
    assert_eq!(values["opal"]["fetcher"]["tenant"], "0b0e5a4c-8f4e-4a53-9c2a-4f3e2b1d0c9a");
    let tmp = tempfile::tempdir().expect("tempdir");
    ok(&setup(tmp.path(), "llm: {provider: ollama, host: \"http://host.docker.internal:11434\"}\nopal: {tenant: 0b0e5a4c-8f4e-4a53-9c2a-4f3e2b1d0c9a}", &[]));
    let compose = yaml(&tmp.path().join("out/docker-compose.yaml"));
    let server = &compose["services"]["aeterna"];
    assert_eq!(server["image"], "ghcr.io/kikokikok/aeterna:v0.8.0-rc.9");
    assert_eq!(server["environment"]["AETERNA_LLM_PROVIDER"], "openai");
    assert_eq!(server["environment"]["AETERNA_OPENAI_BASE_URL"], "http://host.docker.internal:11434/v1");
    // Anthropic: refused with the chart's own reason, and nothing written.
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = setup(tmp.path(), "llm: {provider: anthropic, apiKey: sk-ant}", &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(apps::aeterna::core::ANTHROPIC_REFUSED.trim_start_matches("llm.provider: ")), "{stderr}");
    assert!(!tmp.path().join("out").exists());
}

/// No setting in `values` equals its default: values.yaml holds only differences.
fn only_differences(values: &Value, defaults: &Value, path: &str) {
    match values {
        Value::Object(m) if defaults.is_object() => {
            for (k, v) in m {
                only_differences(v, &defaults[k.as_str()], &format!("{path}.{k}"));
            }
        }
        _ => assert_ne!(values, defaults, "values.yaml sets {path} to its default"),
    }
}

#[test]
fn generated_values_render_with_helm_as_emit_does() {
    let defaults = apps::find("aeterna").expect("aeterna").defaults();
    for (label, answers) in KUBERNETES {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        ok(&setup(dir, answers, &[]));
        let out = dir.join("out");
        let values = out.join("values.yaml");
        only_differences(&yaml(&values), &defaults, "");
        let secrets = out.join("secrets.values.yaml");
        let mut files = vec![values.as_path()];
        if secrets.exists() {
            files.push(secrets.as_path());
        }
        let ours = emit_stdout("aeterna", "aeterna", "aeterna", &files, &[]);
        assert!(ours.status.success(), "{label}: emit: {}", text(&ours.stderr));
        for helm in HELMS {
            let theirs = helm_template(helm, "aeterna", "aeterna", "aeterna", &files, &[]);
            assert!(theirs.status.success(), "{label}: {helm}: {}", text(&theirs.stderr));
            compare_streams(&text(&theirs.stdout), &text(&ours.stdout)).unwrap_or_else(|e| panic!("{label}, {helm}: {e}"));
        }
    }
}

// ----- the compose file against the schema and the chart -------------------------------------

/// Compose answers, each also valid as Kubernetes answers (the twin the chart renders, which
/// needs the fetcher image named: the local build compose defaults to).
const COMPOSE: &[(&str, &str)] = &[
    ("defaults", "llm: {apiKey: sk-1}\nopal: {fetcherImage: aeterna-opal-fetcher}"),
    ("valkey, pgvector, no OPAL, ollama on the host", "vectorBackend: pgvector\ncache: valkey\nopal: false\nllm: {provider: ollama, host: \"http://host.docker.internal:11434\"}"),
    (
        // OPAL off: opal-fetcher takes only a URL-safe password, and `$` tests compose's escaping.
        "external database and cache, weaviate, openai",
        "postgresql: {type: external, external: {host: db.example, username: u, password: pw$1}}\ncache: {type: external, external: {host: redis.example, password: rpw}}\n\
         vectorBackend: {type: weaviate, host: \"https://weaviate.example\", apiKey: wv}\nllm: {provider: openai, apiKey: sk-x}\nopal: false",
    ),
    ("mongodb, no llm", "vectorBackend: {type: mongodb, uri: \"mongodb+srv://u:p@c.example/db\"}\nllm: none\nopal: {fetcherImage: aeterna-opal-fetcher}"),
];

fn container(doc: &Value) -> &Value {
    &doc["spec"]["template"]["spec"]["containers"][0]
}

/// The compose services are the chart's workloads (and a PostgreSQL for its cluster), with the
/// same images, commands and environment: literal values equal, credentials read from `.env`.
fn compose_agrees_with_chart(label: &str, compose: &Value, chart: &[Value]) {
    let services = compose["services"].as_object().unwrap_or_else(|| panic!("{label}: no services"));
    let kinds = ["Deployment", "StatefulSet", "DaemonSet", "Job"];
    let workloads: Vec<&Value> = chart.iter().filter(|d| kinds.contains(&d["kind"].as_str().unwrap_or(""))).collect();
    let clusters: Vec<&Value> = chart.iter().filter(|d| d["kind"] == "Cluster").collect();
    let name = |d: &Value| d["metadata"]["name"].as_str().unwrap_or("").to_string();
    let expected: BTreeSet<String> = workloads.iter().chain(&clusters).map(|d| name(d)).collect();
    assert_eq!(services.keys().cloned().collect::<BTreeSet<_>>(), expected, "{label}: services");
    let config_maps: Vec<&Value> = chart.iter().filter(|d| d["kind"] == "ConfigMap").collect();
    for w in &workloads {
        let s = &services[name(w).as_str()];
        let c = container(w);
        assert_eq!(s["image"], c["image"], "{label}: {} image", name(w));
        assert_eq!(s.get("entrypoint"), c.get("command"), "{label}: {} command", name(w));
        assert_eq!(s.get("command"), c.get("args"), "{label}: {} args", name(w));
        let mut want: Vec<(String, Option<String>)> = Vec::new();
        for from in c["envFrom"].as_array().into_iter().flatten() {
            let cm = config_maps.iter().find(|m| m["metadata"]["name"] == from["configMapRef"]["name"]).expect("the ConfigMap");
            for (k, v) in cm["data"].as_object().into_iter().flatten() {
                want.push((k.clone(), Some(v.as_str().expect("string").to_string())));
            }
        }
        for e in c["env"].as_array().into_iter().flatten() {
            let value = e.get("value").map(|v| v.as_str().expect("string").to_string());
            want.push((e["name"].as_str().expect("name").to_string(), value));
        }
        let env = s["environment"].as_object().cloned().unwrap_or_default();
        let want_keys: BTreeSet<&String> = want.iter().map(|(k, _)| k).collect();
        assert_eq!(env.keys().collect::<BTreeSet<_>>(), want_keys, "{label}: {} environment", name(w));
        let owner = || clusters[0]["spec"]["bootstrap"]["initdb"]["owner"].as_str().expect("owner").to_string();
        for (i, (k, v)) in want.iter().enumerate() {
            let got = env[k.as_str()].as_str().expect("string");
            let got = kubernetes_references(got);
            match v {
                Some(v) => assert_eq!(got, plain_references(v, &want[..i], &owner), "{label}: {} {k}", name(w)),
                None if k.ends_with("_USER") || k.ends_with("_USERNAME") => assert_eq!(got, owner(), "{label}: {} {k}", name(w)),
                None => assert!(env[k.as_str()].as_str().expect("string").starts_with(&format!("${{{k}:?")), "{label}: {} {k} = {got}", name(w)),
            }
        }
    }
    for c in &clusters {
        assert_eq!(services[name(c).as_str()]["environment"]["POSTGRES_DB"], c["spec"]["bootstrap"]["initdb"]["database"], "{label}");
    }
}

/// A chart value with each `$(VAR)` of a plain variable set before it (a text, or the bundled
/// cluster's user name) expanded, as Kubernetes expands it and compose writes it.
fn plain_references(value: &str, before: &[(String, Option<String>)], owner: &dyn Fn() -> String) -> String {
    let mut out = value.to_string();
    for (k, v) in before {
        let reference = format!("$({k})");
        match v {
            Some(text) => out = out.replace(&reference, text),
            None if k.ends_with("_USERNAME") || k.ends_with("_USER") => out = out.replace(&reference, &owner()),
            None => {}
        }
    }
    out
}

/// A compose value as Kubernetes writes it: `$$` is `$`, and a reference to `.env`
/// (`${VAR:?message}`) is the `$(VAR)` of a credential variable.
fn kubernetes_references(compose: &str) -> String {
    let mut out = String::new();
    let mut rest = compose;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("$$") {
            out.push('$');
            rest = after;
        } else if let (Some(body), Some(end)) = (tail.strip_prefix("${"), tail.find('}')) {
            let var = body.split(":?").next().unwrap_or(body);
            out.push_str(&format!("$({})", &var[..var.len().min(end - 2)]));
            rest = &tail[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out + rest
}

#[test]
fn compose_validates_and_runs_what_the_chart_runs() {
    for (label, answers) in COMPOSE {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        ok(&setup(dir, answers, &[]));
        let file = dir.join("out/docker-compose.yaml");
        let check = run(Command::new(tool("check-jsonschema")).arg("--schemafile").arg(root().join("tests/schemas/compose-spec.json")).arg(&file));
        assert!(check.status.success(), "{label}: compose schema:\n{}{}", text(&check.stdout), text(&check.stderr));
        let compose = yaml(&file);

        // The same answers for Kubernetes, rendered by Helm for the release compose mirrors.
        let twin = tempfile::tempdir().expect("tempdir");
        ok(&setup(twin.path(), &format!("{answers}\ntarget: kubernetes\nopencode: false\n"), &[]));
        let mut files: Vec<PathBuf> = vec![twin.path().join("out/values.yaml")];
        if twin.path().join("out/secrets.values.yaml").exists() {
            files.push(twin.path().join("out/secrets.values.yaml"));
        }
        let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        // Compose runs OPAL in its development mode, without keys or tokens.
        let helm = helm_template("helm4", "aeterna", "aeterna", "default", &refs, &["opal.auth.enabled=false".to_string()]);
        assert!(helm.status.success(), "{label}: {}", text(&helm.stderr));
        compose_agrees_with_chart(label, &compose, &parse_stream(&text(&helm.stdout)));

        // Every host the server is configured with is a compose service, or one of the answers'.
        let server = &compose["services"]["aeterna"]["environment"];
        for key in ["PG_HOST", "RD_HOST"] {
            let host = server[key].as_str().expect("host");
            let known = compose["services"]
                .as_object()
                .expect("services")
                .iter()
                .any(|(n, s)| n == host || s["networks"]["default"]["aliases"].as_array().is_some_and(|a| a.iter().any(|x| x == host)));
            assert!(known || answers.contains(host), "{label}: {key}={host} resolves to nothing");
        }
        // The server publishes its Service's ports (the API, and the metrics on their own port)
        // on loopback only, and OpenCode is pointed at it.
        assert_eq!(
            compose["services"]["aeterna"]["ports"],
            json!([
                {"target": 8080, "published": "8080", "host_ip": "127.0.0.1", "protocol": "tcp"},
                {"target": 9090, "published": "9090", "host_ip": "127.0.0.1", "protocol": "tcp"}
            ]),
            "{label}"
        );
        let oc: Value = serde_json::from_str(&read(&dir.join("opencode.json"))).expect("json");
        assert_eq!(oc["mcp"]["aeterna"]["url"], "http://localhost:8080/mcp", "{label}");
        // A literal `$` is escaped from interpolation; `.env` holds what compose interpolates.
        let env = read(&dir.join("out/.env"));
        for var in ["PG_PASSWORD", "AETERNA_REDIS_PASSWORD"] {
            if read(&file).contains(&format!("${{{var}:?")) {
                assert!(env.lines().any(|l| l.starts_with(&format!("{var}='"))), "{label}: .env lacks {var}:\n{env}");
            }
        }
    }
}

// ----- opencode.json and overwrite protection ------------------------------------------------

#[test]
fn an_existing_opencode_json_keeps_its_other_entries() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let old = "{\n  \"theme\": \"tokyonight\",\n  \"mcp\": {\n    \"github\": {\"type\": \"local\", \"command\": [\"gh-mcp\", \"--stdio\"]}\n  },\n  \"model\": \"anthropic/claude\"\n}\n";
    let oc = dir.join("opencode.json");
    std::fs::write(&oc, old).expect("write");
    ok(&setup(dir, "llm: none", &[]));
    let merged: Value = serde_json::from_str(&read(&oc)).expect("json");
    assert_eq!(merged["theme"], "tokyonight");
    assert_eq!(merged["model"], "anthropic/claude");
    assert_eq!(merged["mcp"]["github"], json!({"type": "local", "command": ["gh-mcp", "--stdio"]}));
    assert_eq!(merged["mcp"]["aeterna"], json!({"type": "remote", "url": "http://localhost:8080/mcp", "enabled": true}));
    assert_eq!(read(&dir.join("opencode.json.bak")), old, "the old file is backed up first");

    // Unchanged on a rerun: no second backup.
    ok(&setup(dir, "llm: none", &[]));
    assert!(!dir.join("opencode.json.bak.1").exists());

    // An aeterna entry edited by hand is replaced only with --force.
    let edited = read(&oc).replace("http://localhost:8080/mcp", "https://mine.example/mcp");
    std::fs::write(&oc, &edited).expect("write");
    let refused = setup(dir, "llm: none", &[]);
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains(&format!("the \"aeterna\" entry of {}", oc.display())), "{}", text(&refused.stderr));
    assert_eq!(read(&oc), edited);
    ok(&setup(dir, "llm: none", &["--force"]));
    assert_eq!(read(&dir.join("opencode.json.bak.1")), edited);

    // A file with comments is left alone, with the entry to add by hand.
    std::fs::write(&oc, "{\n  // mine\n}\n").expect("write");
    let refused = setup(dir, "llm: none", &["--force"]);
    assert!(!refused.status.success() && text(&refused.stderr).contains("not plain JSON"), "{}", text(&refused.stderr));
    assert_eq!(read(&oc), "{\n  // mine\n}\n");
}

#[test]
fn edited_files_are_replaced_only_with_force() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let answers = "target: kubernetes\nllm: {existingSecret: openai}\nopal: {fetcherImage: registry.example/aeterna-opal-fetcher}\n";
    ok(&setup(dir, answers, &[]));
    let out = dir.join("out");
    let values = out.join("values.yaml");
    let edited = read(&values) + "# my note\n";
    std::fs::write(&values, &edited).expect("edit");
    std::fs::remove_file(out.join(".aeterna/config.toml")).expect("remove");

    // Other answers, so every file would change: nothing is written.
    let other = "target: kubernetes\nllm: {existingSecret: openai}\nopal: false\n";
    let refused = setup(dir, other, &[]);
    let stderr = text(&refused.stderr);
    assert!(!refused.status.success());
    assert!(stderr.starts_with(&format!("error: {} changed since `kforge setup` wrote it", values.display())) && stderr.contains("--force"), "{stderr}");
    assert_eq!(read(&values), edited);
    assert!(!out.join(".aeterna/config.toml").exists(), "a refused run wrote config.toml");

    // The wizard's own files are replaced freely; an edited one with --force, after a backup.
    ok(&setup(dir, other, &["--force"]));
    assert_eq!(read(&out.join("values.yaml.bak")), edited);
    assert_eq!(yaml(&values)["opal"], json!({"enabled": false}));
    ok(&setup(dir, answers, &[]));
    assert!(yaml(&values)["opal"].get("enabled").is_none());
    assert_eq!(yaml(&values)["opal"]["auth"], json!({"existingSecret": "aeterna-opal"}));
}

#[test]
fn bad_answers_are_rejected_naming_the_file_and_key() {
    let cases = [
        ("target: nomad", "target: unknown variant `nomad`"),
        ("llm: {provider: openai, key: x}", "llm.key: unknown field `key`"),
        ("cache: {type: external}", "cache.external: needed with type external"),
        ("target: kubernetes\nllm: openai\nopal: false", "llm.apiKey: needed for target kubernetes"),
        ("target: kubernetes\nllm: {existingSecret: o}", "opal.fetcherImage: needed for target kubernetes with OPAL on"),
        ("opal: {enabled: false, fetcherImage: x}", "opal.fetcherImage: OPAL is off"),
        ("opal: {cedarConfigMap: cedar}", "opal.cedarConfigMap: a ConfigMap is a Kubernetes object"),
        ("llm: {provider: ollama, host: \"http://h:11434\"}", "opal.tenant: needed with llm.provider ollama"),
        ("opal: {tenant: acme}", "opal.tenant: invalid value \"acme\""),
        ("postgresql: {type: external, external: {host: h, port: 70000}}", "postgresql.external.port: invalid port 70000"),
        ("vectorBackend: {type: pinecone}", "vectorBackend.environment: needed with type pinecone"),
        ("advanced: {ingress: true}", "advanced: the advanced options are Kubernetes settings"),
        ("llm: {existingSecret: UPPER}", "llm.existingSecret: invalid value \"UPPER\""),
        ("[1, 2]", "expected a map of answers"),
    ];
    for (answers, message) in cases {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        let out = setup(dir, answers, &[]);
        let stderr = text(&out.stderr);
        let file = dir.join("answers.yaml");
        assert!(!out.status.success(), "{answers}: accepted");
        assert!(stderr.starts_with(&format!("error: {}: ", file.display())) && stderr.contains(message), "{answers}:\n{stderr}");
        assert!(!dir.join("out").exists() && !dir.join("opencode.json").exists(), "{answers}: wrote files");
    }
    let missing = run(setup_cmd(Path::new("/nonexistent")).args(["--answers", "/nonexistent/answers.yaml"]));
    assert!(text(&missing.stderr).starts_with("error: /nonexistent/answers.yaml: cannot read"), "{}", text(&missing.stderr));
    // Without a terminal and without answers, the wizard says what to do instead of hanging.
    let tmp = tempfile::tempdir().expect("tempdir");
    let no_tty = run(setup_cmd(tmp.path()).stdin(std::process::Stdio::null()));
    assert!(!no_tty.status.success() && text(&no_tty.stderr).contains("--answers FILE"), "{}", text(&no_tty.stderr));
    let help = text(&run(kforge().args(["setup", "--help"])).stdout);
    for flag in ["--answers", "--out", "--opencode-config", "--force", "secrets.values.yaml", ".env"] {
        assert!(help.contains(flag), "setup --help lacks {flag}");
    }
}

// ----- the interactive wizard in a pseudo-terminal -------------------------------------------

const ENTER: &str = "\r";
const DOWN: &str = "\x1b[B";

struct Pty(rexpect::session::PtySession);

impl Pty {
    fn start(dir: &Path) -> Pty {
        let mut cmd = setup_cmd(dir);
        cmd.env("TERM", "xterm-256color").env_remove("CI").env_remove("NO_COLOR");
        let options = rexpect::reader::Options::new().timeout_ms(Some(60_000)).strip_ansi_escape_codes(true);
        Pty(rexpect::session::spawn_with_options(cmd, options).expect("spawn in a pty"))
    }
    /// Waits for `prompt`, then types `keys`.
    fn answer(&mut self, prompt: &str, keys: &[&str]) {
        self.0.exp_string(prompt).unwrap_or_else(|e| panic!("waiting for {prompt:?}: {e}"));
        // The prompt is printed just before the terminal is switched to raw mode (and, for a
        // hidden prompt, echo off): keys typed in between would be echoed by the terminal.
        std::thread::sleep(std::time::Duration::from_millis(150));
        for k in keys {
            self.0.send(k).expect("send");
            self.0.flush().expect("flush");
        }
    }
    /// What the wizard prints up to `text`, which it consumes.
    fn until(&mut self, text: &str) -> String {
        self.0.exp_string(text).unwrap_or_else(|e| panic!("waiting for {text:?}: {e}"))
    }
    fn finish(mut self) -> String {
        self.0.exp_eof().expect("the wizard ends")
    }
}

/// Q1 to Q7 with every default (Docker Compose), typing the OpenAI key at the hidden prompt.
fn default_path(p: &mut Pty) {
    default_path_until_the_key(p);
    p.answer("OpenAI API key", &["sk-typed-in-pty", ENTER]);
    p.answer("Repeat it", &["sk-typed-in-pty", ENTER]);
    p.answer("Chat model", &[ENTER]);
    p.answer("OpenCode integration", &[ENTER]);
}

fn default_path_until_the_key(p: &mut Pty) {
    defaults_until_the_provider(p);
    p.answer("LLM provider", &[ENTER]);
}

/// Q1 to Q5 with every default, up to the LLM provider question.
fn defaults_until_the_provider(p: &mut Pty) {
    p.answer("Deployment target", &[ENTER]);
    p.answer("Vector database backend", &[ENTER]);
    p.answer("Redis-compatible cache", &[ENTER]);
    p.answer("PostgreSQL deployment", &[ENTER]);
    p.answer("OPAL authorization stack", &[ENTER]);
    p.answer("Git repository of the Cedar policies", &[ENTER]);
    p.answer("Branch to track", &[ENTER]);
    p.answer("Image repository of opal-fetcher", &[ENTER]);
}

#[test]
fn wizard_defaults_in_a_terminal() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let mut p = Pty::start(dir);
    default_path_until_the_key(&mut p);
    // A newcomer's slip at a hidden prompt: a typo in the repetition.
    p.answer("OpenAI API key", &["sk-typed-in-pty", ENTER]);
    p.answer("Repeat it", &["sk-typed-in-tpy", ENTER]);
    p.answer("The two entries differ; type it again.", &[]);
    p.answer("OpenAI API key", &["sk-typed-in-pty", ENTER]);
    p.answer("Repeat it", &["sk-typed-in-pty", ENTER]);
    p.answer("Chat model", &[ENTER]);
    p.answer("OpenCode integration", &[ENTER]);
    let screen = p.finish();
    assert!(screen.contains("Q8: Advanced Options") && screen.contains("All files generated successfully!"), "{screen}");
    assert!(!screen.contains("sk-typed-in-pty"), "the hidden input was echoed:\n{screen}");
    let out = dir.join("out");
    assert_eq!(files_in(&out), set(&["docker-compose.yaml", ".env", ".aeterna/config.toml"]));
    assert!(read(&out.join(".env")).contains("OPENAI_API_KEY='sk-typed-in-pty'"));
    // The chart's image, at its appVersion by default.
    let version = apps::find("aeterna").expect("aeterna").chart().app_version.clone();
    assert_eq!(yaml(&out.join("docker-compose.yaml"))["services"]["aeterna"]["image"], format!("ghcr.io/kikokikok/aeterna:{version}").as_str());

    // The same answers from a file write the same files (the database password is kept).
    let file_run = dir.join("from-file");
    std::fs::create_dir_all(&file_run).expect("mkdir");
    std::fs::copy(out.join(".env"), file_run.join(".env")).expect("copy");
    let answers = dir.join("answers.yaml");
    std::fs::write(&answers, "llm: {apiKey: sk-typed-in-pty}\n").expect("write");
    ok(&run(kforge().args(["setup", "--out"]).arg(&file_run).arg("--opencode-config").arg(dir.join("opencode.json")).arg("--answers").arg(&answers)));
    for f in ["docker-compose.yaml", ".env", ".aeterna/config.toml"] {
        assert_eq!(read(&out.join(f)), read(&file_run.join(f)), "{f}");
    }

    // Edited since: the wizard asks, and no keeps the user's file.
    let compose = out.join("docker-compose.yaml");
    let edited = read(&compose) + "# mine\n";
    std::fs::write(&compose, &edited).expect("edit");
    let mut p = Pty::start(dir);
    default_path(&mut p);
    p.answer("Replace it?", &["n", ENTER]);
    let screen = p.finish();
    assert!(screen.contains("(kept as you edited it)"), "{screen}");
    assert_eq!(read(&compose), edited);
}

#[test]
fn wizard_kubernetes_path_in_a_terminal() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let mut p = Pty::start(dir);
    p.answer("Deployment target", &[DOWN, ENTER]); // Kubernetes
    p.answer("Vector database backend", &[DOWN, ENTER]); // pgvector
    p.answer("Redis-compatible cache", &[DOWN, DOWN, ENTER]); // external
    p.answer("Redis host", &["redis.shared", ENTER]);
    p.answer("Redis port", &[ENTER]);
    p.answer("Redis password: where does Aeterna get it?", &[ENTER]); // typed
    // Enter alone at a hidden prompt that needs an answer says so.
    p.answer("Redis password", &[ENTER]);
    p.answer("needed: type or paste it", &["redis-typed-in-pty", ENTER]);
    p.answer("Repeat it", &["redis-typed-in-pty", ENTER]);
    p.answer("PostgreSQL deployment", &[ENTER]); // CloudNativePG
    p.answer("OPAL authorization stack", &[DOWN, ENTER]); // single-tenant
    // No Anthropic among the providers: no Aeterna release reads its settings.
    p.answer("LLM provider", &[]);
    let menu = p.until("Skip (configure later)");
    assert!(menu.contains("OpenAI") && menu.contains("Ollama") && !menu.contains("Anthropic"), "{menu}");
    p.answer("", &[ENTER]); // OpenAI
    p.answer("OpenAI API key: where does Aeterna get it?", &[DOWN, ENTER]); // existing Secret
    let key = apps::aeterna::Values::default().llm.openai.existing_secret_key.0;
    p.answer(&format!("Name of the Secret with the OpenAI API key (under the key {key})"), &["Not_A_Name", ENTER]);
    p.answer("\"Not_A_Name\" is not a Secret's name: lowercase letters", &[]);
    p.answer("(Enter alone takes aeterna-openai)", &[]);
    // The error leaves the typed text in place: erase it, then take the default.
    p.answer("Name of the Secret", &[&"\x7f".repeat(10), ENTER]);
    p.answer("Chat model", &[ENTER]);
    p.answer("OpenCode integration", &[DOWN, ENTER]); // no
    // `y` alone does not answer (no prompt takes a key without Enter).
    p.answer("Show the advanced options?", &["y"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    p.answer("", &[ENTER]);
    p.answer("Advanced options", &[" ", DOWN, DOWN, DOWN, " ", ENTER]); // Ingress, HPA
    p.answer("Host name the Ingress routes", &["aeterna.example.com", ENTER]);
    let screen = p.finish();
    assert!(screen.contains("All files generated successfully!"), "{screen}");
    let out = dir.join("out");
    assert_eq!(files_in(&out), set(&["values.yaml", "secrets.values.yaml", ".aeterna/config.toml"]));
    assert!(!dir.join("opencode.json").exists());
    assert_eq!(yaml(&out.join("secrets.values.yaml"))["cache"]["external"]["password"], "redis-typed-in-pty");
    assert_eq!(
        yaml(&out.join("values.yaml")),
        json!({
            "aeterna": {"autoscaling": {"enabled": true}},
            "vectorBackend": {"type": "pgvector", "qdrant": {"enabled": false}, "pgvector": {"enabled": true}},
            "cache": {"type": "external", "dragonfly": {"enabled": false}, "external": {"host": "redis.shared"}},
            "opal": {"enabled": false},
            "llm": {"openai": {"existingSecret": "aeterna-openai"}},
            "ingress": {"enabled": true, "hosts": [{"host": "aeterna.example.com", "paths": [{"path": "/", "pathType": "Prefix"}]}]}
        })
    );
}

#[test]
fn wizard_asks_the_tenant_the_ollama_release_needs() {
    // Ollama runs a release whose opal-fetcher serves one tenant: with OPAL on, the wizard asks
    // for it, refuses what is no UUID, and the compose file's agents and server get it.
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let mut p = Pty::start(dir);
    defaults_until_the_provider(&mut p);
    p.answer("LLM provider", &[DOWN, ENTER]); // Ollama
    p.answer("Ollama URL", &[ENTER]);
    p.answer("Model", &[ENTER]);
    p.answer("Tenant (a UUID)", &["acme", ENTER]);
    p.answer("\"acme\" is not a UUID", &[]);
    p.answer("Tenant (a UUID)", &[&"\x7f".repeat(4), "0b0e5a4c-8f4e-4a53-9c2a-4f3e2b1d0c9a", ENTER]);
    p.answer("OpenCode integration", &[ENTER]);
    let screen = p.finish();
    assert!(screen.contains("All files generated successfully!"), "{screen}");
    let compose = yaml(&dir.join("out/docker-compose.yaml"));
    let url = compose["services"]["aeterna"]["environment"]["AETERNA_OPAL_FETCHER_URL"].as_str().expect("url").to_string();
    assert_eq!(url, "http://aeterna-opal-fetcher:8080/v1/all?tenant=0b0e5a4c-8f4e-4a53-9c2a-4f3e2b1d0c9a#");
}
