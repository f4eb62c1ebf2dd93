//! The chart's side of each README's "Images" table (`apps::upstream::IMAGES`) against what the
//! chart renders: the container's ports, probe targets, writable mounts and user are exactly the
//! table's, and the variables the table names are set. Also the Kubernetes access each chart
//! gives the components that call the API.

use std::collections::BTreeSet;

use apps::upstream::{IMAGES, ImageNeeds};
use serde_json::Value;

use crate::support::*;

fn render(app: &str, environment: &str, set: &[&str]) -> Vec<Value> {
    render_with(app, environment, None, set)
}

fn render_with(app: &str, environment: &str, extra: Option<&std::path::Path>, set: &[&str]) -> Vec<Value> {
    let file = chart_dir(app).join(format!("values-{environment}.yaml"));
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    let files: Vec<&std::path::Path> = std::iter::once(file.as_path()).chain(extra).collect();
    let out = emit_stdout(app, app, app, &files, &set);
    assert!(out.status.success(), "{app} {environment}: {}", text(&out.stderr));
    parse_stream(&text(&out.stdout))
}

const WORKLOADS: [&str; 3] = ["Deployment", "StatefulSet", "DaemonSet"];

/// The pod spec and container running `image` as `container`.
fn find<'d>(docs: &'d [Value], image: &str, container: &str) -> Option<(&'d Value, &'d Value)> {
    docs.iter().filter(|d| WORKLOADS.contains(&d["kind"].as_str().unwrap_or(""))).find_map(|d| {
        let spec = &d["spec"]["template"]["spec"];
        let c = spec["containers"].as_array()?.iter().find(|c| c["name"] == container && c["image"].as_str().is_some_and(|i| i.starts_with(&format!("{image}:"))))?;
        Some((spec, c))
    })
}

/// What the chart gives one container, in the table's terms.
struct Given {
    ports: BTreeSet<(String, u16)>,
    probes: BTreeSet<String>,
    env: BTreeSet<String>,
    writable: BTreeSet<String>,
    uid: Option<u32>,
}

fn given(docs: &[Value], spec: &Value, c: &Value, claims: &[String]) -> Given {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let ports = c["ports"].as_array().into_iter().flatten().map(|p| (s(&p["name"]), p["containerPort"].as_u64().unwrap_or(0) as u16)).collect();
    let probes = ["livenessProbe", "readinessProbe", "startupProbe"]
        .iter()
        .filter_map(|k| c.get(*k))
        .map(|p| match (p.get("httpGet"), p.get("tcpSocket")) {
            (Some(h), _) => s(&h["path"]),
            (_, Some(t)) => format!("tcp:{}", s(&t["port"])),
            _ => format!("other: {p}"),
        })
        .collect();
    let mut env: BTreeSet<String> = c["env"].as_array().into_iter().flatten().map(|e| s(&e["name"])).collect();
    for from in c["envFrom"].as_array().into_iter().flatten() {
        let name = &from["configMapRef"]["name"];
        let cm = docs.iter().find(|d| d["kind"] == "ConfigMap" && &d["metadata"]["name"] == name).expect("the ConfigMap of envFrom");
        env.extend(cm["data"].as_object().into_iter().flatten().map(|(k, _)| k.clone()));
    }
    let volumes = spec["volumes"].as_array().cloned().unwrap_or_default();
    let writable_volume =
        |name: &str| claims.iter().any(|c| c == name) || volumes.iter().any(|v| v["name"] == name && (v.get("emptyDir").is_some() || v.get("persistentVolumeClaim").is_some()));
    let writable = c["volumeMounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["readOnly"] != true && writable_volume(m["name"].as_str().unwrap_or_default()))
        .map(|m| s(&m["mountPath"]))
        .collect();
    let uid = c["securityContext"]["runAsUser"].as_u64().or(spec["securityContext"]["runAsUser"].as_u64()).map(|u| u as u32);
    Given { ports, probes, env, writable, uid }
}

fn check(i: &ImageNeeds) {
    let label = format!("{} {}", i.app, i.component);
    let Some(r) = &i.rendered else {
        // An operator runs it: the chart renders what the operator reads.
        let docs = render(i.app, "production", &[]);
        let cluster = docs.iter().find(|d| d["kind"] == "Cluster").unwrap_or_else(|| panic!("{label}: no Cluster"));
        assert!(cluster["spec"]["storage"]["size"].is_string(), "{label}: no storage");
        assert_eq!(cluster["spec"]["bootstrap"]["initdb"]["database"], "aeterna", "{label}");
        return;
    };
    let docs = render(i.app, r.environment, r.set);
    let (spec, c) = find(&docs, i.image, r.container).unwrap_or_else(|| panic!("{label}: no container {} running {}", r.container, i.image));
    let claims: Vec<String> = docs
        .iter()
        .filter(|d| d["kind"] == "StatefulSet" && d["spec"]["template"]["spec"] == *spec)
        .flat_map(|d| d["spec"]["volumeClaimTemplates"].as_array().cloned().unwrap_or_default())
        .map(|t| t["metadata"]["name"].as_str().unwrap_or_default().to_string())
        .collect();
    let g = given(&docs, spec, c, &claims);
    // The default tag is the release the row was read at.
    let reference = c["image"].as_str().unwrap_or_default();
    let tag = reference.strip_prefix(&format!("{}:", i.image)).and_then(|t| t.split('@').next()).unwrap_or_default();
    match &i.release {
        Some(release) => assert_eq!(tag, release.image_tag, "{label}: the rendered tag is not the release the table was read at"),
        None => assert_eq!(i.app, "backend", "{label}: only the Todo backend has no public upstream to pin"),
    }
    let set = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(g.ports, i.ports.iter().map(|(n, p)| (n.to_string(), *p)).collect(), "{label}: ports");
    assert_eq!(g.probes, set(i.probes), "{label}: probes");
    assert_eq!(g.writable, set(i.writable), "{label}: writable paths");
    assert_eq!(g.uid, i.uid, "{label}: user");
    // The table says so of every container the chart runs.
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true, "{label}: read-only root filesystem");
    let missing: Vec<&&str> = i.env.iter().filter(|e| !g.env.contains(**e)).collect();
    assert!(missing.is_empty(), "{label}: the table names {missing:?}, which the chart does not set");
}

#[test]
fn every_image_gets_what_its_table_row_says() {
    for app in apps::all() {
        let name = &app.chart().name;
        assert!(IMAGES.iter().any(|i| i.app == name.as_str()), "{name}: no image in the table");
    }
    for i in IMAGES {
        check(i);
    }
}

#[test]
fn each_charts_app_version_is_its_own_images_release() {
    for app in apps::all() {
        let chart = app.chart();
        let own: Vec<&ImageNeeds> = IMAGES.iter().filter(|i| i.app == chart.name.as_str() && i.app_version).collect();
        assert_eq!(own.len(), 1, "{}: one row is the application's own image", chart.name);
        if let Some(release) = &own[0].release {
            assert_eq!(chart.app_version, release.image_tag, "{}: appVersion is not the release of {}", chart.name, own[0].image);
        }
        for i in IMAGES.iter().filter(|i| i.app == chart.name.as_str()) {
            assert!(!i.facts.is_empty(), "{} {}: no facts", i.app, i.component);
            assert!(i.facts.iter().all(|f| !f.file.trim().is_empty()), "{} {}: a fact without its file", i.app, i.component);
        }
    }
}

#[test]
fn every_rendered_image_has_a_row() {
    // The images each chart renders in its environments, by repository, are in its table.
    for app in apps::all() {
        let name = app.chart().name.clone();
        for env in app.environments() {
            for d in render(&name, env.name, &[]) {
                if !WORKLOADS.contains(&d["kind"].as_str().unwrap_or("")) {
                    continue;
                }
                for c in d["spec"]["template"]["spec"]["containers"].as_array().into_iter().flatten() {
                    let image = c["image"].as_str().unwrap_or_default();
                    let repo = image.rsplit_once(':').map(|(r, _)| r).unwrap_or(image);
                    assert!(IMAGES.iter().any(|i| i.app == name && repo.ends_with(i.image)), "{name} {}: {image} has no row in the images table", env.name);
                }
            }
        }
    }
}

#[test]
fn the_readmes_carry_the_table() {
    for app in apps::all() {
        let name = &app.chart().name;
        let readme = std::fs::read_to_string(chart_dir(name).join("README.md")).expect("README");
        assert!(readme.contains(&apps::upstream::readme_section(name)), "{name}: README.md lacks its images table (run `cargo run -- emit`)");
    }
}

#[test]
fn a_drifting_row_fails() {
    // The check can fail: rows that say what the chart does not give.
    let row = *IMAGES.iter().find(|i| i.component == "opal-server").expect("row");
    let wrong = [
        ImageNeeds { ports: &[("http", 7003)], ..row },
        ImageNeeds { probes: &["/health"], ..row },
        ImageNeeds { writable: &["/tmp"], ..row },
        ImageNeeds { env: &["OPAL_NOT_SET"], ..row },
        ImageNeeds { uid: Some(0), ..row },
    ];
    for w in wrong {
        assert!(std::panic::catch_unwind(|| check(&w)).is_err(), "a wrong row passed");
    }
}

// ----- Backbone against its upstream (morten-olsen/backbone at 47a8dd9, `main`) ---------------

/// The chart's default objects for Backbone with `set`, release `backbone` in `namespace`; the
/// error output when the values are refused.
fn backbone_in(namespace: &str, set: &[&str]) -> Result<Vec<Value>, String> {
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    let out = emit_stdout("backbone", "backbone", namespace, &[], &set);
    if out.status.success() { Ok(parse_stream(&text(&out.stdout))) } else { Err(text(&out.stderr)) }
}

fn backbone(set: &[&str]) -> Vec<Value> {
    backbone_in("backbone", set).unwrap_or_else(|e| panic!("backbone {set:?}: {e}"))
}

fn backbone_container(docs: &[Value]) -> (Value, Value) {
    let (spec, c) = find(docs, "ghcr.io/morten-olsen/backbone", "backbone").expect("the broker's container");
    (spec.clone(), c.clone())
}

fn of_kind<'d>(docs: &'d [Value], kind: &str) -> Vec<&'d Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

/// The ClusterRole's rules, read in the source, each with the call it allows.
fn backbone_rules() -> Value {
    serde_json::json!([
        // `src/services/k8s/k8s.watcher.ts`: an informer per kind lists and watches
        // `/api/v1/secrets` (every namespace); `src/auth/auth.k8s.ts` creates `<client>-secret`.
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list", "watch", "create"]},
        // `src/services/k8s/k8s.watcher.ts`: the informers of Client and Topic
        // (`src/services/k8s/k8s.resources.ts`, API version `backbone.mortenolsen.pro/v1`).
        {"apiGroups": ["backbone.mortenolsen.pro"], "resources": ["clients", "topics"], "verbs": ["list", "watch"]},
        // `src/services/k8s/k8s.crd.ts`: `createCustomResourceDefinition`, and on 409
        // `patchCustomResourceDefinition` by name, for Client and Topic (`src/services/k8s/k8s.ts`).
        {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"], "verbs": ["create"]},
        {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"], "verbs": ["patch"],
         "resourceNames": ["clients.backbone.mortenolsen.pro", "topics.backbone.mortenolsen.pro"]},
    ])
}

#[test]
fn backbone_has_kubernetes_credentials_only_with_its_integration() {
    let rbac_of = |docs: &[Value]| docs.iter().filter(|d| ["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"].contains(&d["kind"].as_str().unwrap_or(""))).count();
    let token = |docs: &[Value]| {
        let d = docs.iter().find(|d| d["kind"] == "Deployment").expect("deployment");
        d["spec"]["template"]["spec"]["automountServiceAccountToken"].clone()
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let rules = tmp.path().join("rules.yaml");
    std::fs::write(&rules, "rbac:\n  rules:\n    - {apiGroups: [\"\"], resources: [configmaps], verbs: [get]}\n").expect("write");
    let on = render_with("backbone", "production", Some(&rules), &[]);
    assert_eq!(rbac_of(&on), 2);
    assert_eq!(token(&on), true);
    let (role, binding) = (of_kind(&on, "ClusterRole")[0], of_kind(&on, "ClusterRoleBinding")[0]);
    // Exactly the broker's calls, then what `rbac.rules` adds.
    let mut expected = backbone_rules();
    expected.as_array_mut().expect("a list").push(serde_json::json!({"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}));
    assert_eq!(role["rules"], expected);
    // Cluster-scoped, one name per release and namespace, bound to the broker's account.
    for o in [role, binding] {
        assert_eq!(o["metadata"]["name"], "backbone.backbone");
        assert_eq!(o["metadata"].get("namespace"), None);
    }
    assert_eq!(binding["roleRef"], serde_json::json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "backbone.backbone"}));
    let (spec, _) = backbone_container(&on);
    assert_eq!(binding["subjects"], serde_json::json!([{"kind": "ServiceAccount", "name": spec["serviceAccountName"], "namespace": "backbone"}]));
    // The defaults grant the calls and nothing more.
    assert_eq!(of_kind(&backbone(&[]), "ClusterRole")[0]["rules"], backbone_rules());
    // The same release in another namespace names other cluster objects.
    let elsewhere = backbone_in("iot", &[]).expect("renders");
    assert_eq!(of_kind(&elsewhere, "ClusterRole")[0]["metadata"]["name"], "backbone.iot");
    assert_eq!(of_kind(&elsewhere, "ClusterRoleBinding")[0]["subjects"][0]["namespace"], "iot");
    let off = render("backbone", "production", &["k8s.enabled=false"]);
    assert_eq!(rbac_of(&off), 0);
    assert_eq!(token(&off), false);
    let no_rbac = render("backbone", "production", &["rbac.create=false"]);
    assert_eq!((rbac_of(&no_rbac), token(&no_rbac)), (0, Value::Bool(true)));
}

#[test]
fn backbone_sets_only_variables_its_program_reads() {
    // `apps::backbone::source::READS`: every `process.env` read of `src/config/config.ts`.
    let reads = apps::backbone::source::READS;
    let cases: [(&str, &[&str]); 5] = [
        ("production", &[]),
        ("oidc", &[]),
        ("oidc", &["redis.enabled=true", "redis.password=x", "config.adminToken=a", "config.jwtSecret=j", "oidc.clientSecret=s"]),
        ("production", &["k8s.enabled=false"]),
        ("production", &["api.enabled=false", "ws.enabled=false", "ingress.enabled=false"]),
    ];
    for (environment, set) in cases {
        let docs = render("backbone", environment, set);
        let (spec, c) = backbone_container(&docs);
        let env = given(&docs, &spec, &c, &[]).env;
        let unread: Vec<&String> = env.iter().filter(|e| !reads.contains(&e.as_str())).collect();
        assert!(unread.is_empty(), "backbone {environment} {set:?}: the program reads no {unread:?}");
        if environment == "oidc" {
            assert!(env.contains("OIDC_DISCOVERY_URL"), "backbone {environment}: the discovery URL");
        }
    }
    // The check can fail: a variable the program does not read.
    assert!(!reads.contains(&"OIDC_DISCOVERY"), "config.ts reads OIDC_DISCOVERY_URL");
}

#[test]
fn backbone_runs_the_image_upstream_publishes_with_its_own_command() {
    let docs = backbone(&[]);
    let (spec, c) = backbone_container(&docs);
    // `.github/workflows/pipeline-default.yaml` publishes `main` only; it moves.
    assert_eq!(c["image"], "ghcr.io/morten-olsen/backbone:main");
    assert_eq!(c["imagePullPolicy"], "Always");
    // `image.digest` pins one build of the moving tag.
    let digest = format!("sha256:{}", "0123456789abcdef".repeat(4));
    let (_, pinned) = backbone_container(&backbone(&[&format!("image.digest={digest}")]));
    assert_eq!(pinned["image"], format!("ghcr.io/morten-olsen/backbone:main@{digest}"));
    // `Dockerfile`: `CMD ["/app/bin/start.js"]` is the program; the chart adds nothing to it.
    assert_eq!((c.get("command"), c.get("args")), (None, None));
    // The base image's `node` user; the program writes no file.
    assert_eq!(c["securityContext"]["runAsUser"].as_u64().or(spec["securityContext"]["runAsUser"].as_u64()), Some(1000));
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    let apps = apps::all();
    let app = apps.iter().find(|a| a.chart().name == "backbone").expect("backbone");
    assert_eq!(app.chart().app_version, "main");
}

#[test]
fn backbone_listens_where_its_probes_check() {
    let config_of = |docs: &[Value]| of_kind(docs, "ConfigMap")[0]["data"].clone();
    let port_of = |c: &Value, name: &str| c["ports"].as_array().expect("ports").iter().find(|p| p["name"] == name).map(|p| p["containerPort"].clone());
    // `src/backbone.ts` opens the HTTP server with API_ENABLED (or WS_ENABLED) and MQTT over TCP
    // with TCP_ENABLED, on HTTP_PORT and TCP_PORT (`src/config/config.ts`: 8883, 1883).
    let docs = backbone(&[]);
    let (data, (_, c)) = (config_of(&docs), backbone_container(&docs));
    for flag in ["API_ENABLED", "WS_ENABLED", "TCP_ENABLED"] {
        assert_eq!(data[flag], "true", "{flag}");
    }
    assert_eq!((data["HTTP_PORT"].clone(), port_of(&c, "http")), (Value::from("8883"), Some(Value::from(8883))));
    assert_eq!((data["TCP_PORT"].clone(), port_of(&c, "mqtt")), (Value::from("1883"), Some(Value::from(1883))));
    // `src/server/server.ts`: `GET /health` on the HTTP server.
    for probe in ["livenessProbe", "readinessProbe"] {
        assert_eq!(c[probe]["httpGet"], serde_json::json!({"path": "/health", "port": "http"}), "{probe}");
    }
    // Without the API the HTTP server does not start: the probes check MQTT over TCP.
    let docs = backbone(&["api.enabled=false", "ws.enabled=false"]);
    let (_, c) = backbone_container(&docs);
    for probe in ["livenessProbe", "readinessProbe"] {
        assert_eq!(c[probe]["tcpSocket"], serde_json::json!({"port": "mqtt"}), "{probe}");
    }
    // Nor does anything point at its port: no `http` container port, no HTTP Service.
    assert_eq!(port_of(&c, "http"), None);
    let services: Vec<&str> = docs.iter().filter(|d| d["kind"] == "Service").filter_map(|d| d["metadata"]["name"].as_str()).collect();
    assert_eq!(services, ["backbone-mqtt"]);
    // Values with which the broker fails at start, or listens on nothing, are refused.
    for (set, message) in [
        (&["api.enabled=false"][..], "ws.enabled needs api.enabled"),
        (&["api.enabled=false", "ws.enabled=false", "tcp.enabled=false"][..], "api.enabled or tcp.enabled must be on"),
        (&["api.enabled=false", "ws.enabled=false", "ingress.enabled=true"][..], "ingress.enabled needs api.enabled"),
    ] {
        let err = backbone_in("backbone", set).expect_err("refused");
        assert!(err.contains(message), "{set:?}: {err}");
    }
}

// ----- Aeterna against its upstream (kikokikok/aeterna at v0.5.0, 7d3e6b12, the appVersion) ----

/// Every variable the chart gives the Aeterna server that the 0.5.0 server reads, by upstream file
/// at v0.5.0: `config/src/loader.rs` (`PG_*`, `RD_*`, `QD_*`, `OB_TRACING_ENABLED`),
/// `cli/src/server/bootstrap.rs` (the features, the knowledge repository),
/// `cli/src/commands/serve.rs` (`AETERNA_CONFIG_PATH`, clap's `env`), `memory/src/llm/factory.rs`
/// and `memory/src/embedding/factory.rs` (the LLM).
const SERVER_READS: &[&str] = &[
    "PG_HOST",
    "PG_PORT",
    "PG_DATABASE",
    "PG_USERNAME",
    "PG_PASSWORD",
    "RD_HOST",
    "RD_PORT",
    "QD_HOST",
    "QD_PORT",
    "OB_TRACING_ENABLED",
    "AETERNA_FEATURE_CCA",
    "AETERNA_FEATURE_RADKIT",
    "AETERNA_FEATURE_RLM",
    "AETERNA_KNOWLEDGE_REPO_PATH",
    "AETERNA_CONFIG_PATH",
    "AETERNA_LLM_PROVIDER",
    "OPENAI_API_KEY",
    "AETERNA_OPENAI_MODEL",
    "AETERNA_OPENAI_EMBEDDING_MODEL",
];

/// Read by later releases only, with the first: `AETERNA_OPENAI_BASE_URL` from v0.8.0-rc.9
/// (`memory/src/llm/factory.rs`, `memory/src/embedding/factory.rs`), for `llm.provider: ollama`,
/// which the chart refuses with older images.
const SERVER_READS_LATER: &[&str] = &["AETERNA_OPENAI_BASE_URL"];

/// Read only by the image's vector-backend factory (`memory/src/backends/factory.rs`,
/// `BackendConfig::from_env`), which no release's `serve` calls (v0.2.0 to v0.8.0-rc.12): the
/// design's backends, passed on under the factory's names.
const FACTORY_ONLY: &[&str] = &[
    "VECTOR_BACKEND",
    "QDRANT_API_KEY",
    "PINECONE_API_KEY",
    "PINECONE_ENVIRONMENT",
    "PINECONE_INDEX_NAME",
    "WEAVIATE_URL",
    "WEAVIATE_API_KEY",
    "MONGODB_URI",
    "GCP_PROJECT_ID",
    "VERTEX_AI_LOCATION",
    "VERTEX_AI_INDEX_ENDPOINT",
    "DATABRICKS_HOST",
    "DATABRICKS_CATALOG",
    "DATABRICKS_TOKEN",
];

/// Read by no server release, each with why the chart sets it: the external cache's password,
/// which opal-server's broadcast URI reads through this variable (no release's server sends a
/// Redis password); the Vertex AI key, which the factory does not read either (it takes
/// `GOOGLE_ACCESS_TOKEN`).
const SERVER_UNREAD: &[&str] = &["AETERNA_REDIS_PASSWORD", "AETERNA_VERTEX_AI_CREDENTIALS_JSON"];

/// The variables of every container running the server image (the server and its migration Job).
fn server_env(docs: &[Value]) -> Vec<(String, BTreeSet<String>)> {
    server_containers(docs).into_iter().map(|(label, spec, c)| (label, given(docs, &spec, &c, &[]).env)).collect()
}

/// Every container running the server image, with its pod spec.
fn server_containers(docs: &[Value]) -> Vec<(String, Value, Value)> {
    let kinds = ["Deployment", "Job"];
    docs.iter()
        .filter(|d| kinds.contains(&d["kind"].as_str().unwrap_or("")))
        .flat_map(|d| {
            let spec = d["spec"]["template"]["spec"].clone();
            let containers = spec["containers"].as_array().cloned().unwrap_or_default();
            let kind = d["kind"].as_str().unwrap_or("").to_string();
            containers
                .into_iter()
                .filter(|c| c["image"].as_str().is_some_and(|i| i.starts_with("ghcr.io/kikokikok/aeterna:")))
                .map(move |c| (format!("{kind} {}", c["name"].as_str().unwrap_or("")), spec.clone(), c))
        })
        .collect()
}

#[test]
fn the_aeterna_server_gets_the_variables_its_image_reads() {
    for (environment, set) in [
        ("local", &[][..]),
        ("production", &[]),
        ("external", &[]),
        ("hybrid", &[]),
        ("production", &["vectorBackend.type=weaviate", "vectorBackend.weaviate.external.host=https://weaviate.example"][..]),
        ("local", &["aeterna.migration.enabled=true"][..]),
    ] {
        let docs = render("aeterna", environment, set);
        let containers = server_env(&docs);
        assert!(!containers.is_empty(), "{environment}: the server");
        for (name, env) in containers {
            let label = format!("aeterna {environment} {set:?} {name}");
            // `bootstrap.rs` refuses to start without these.
            for required in ["PG_HOST", "PG_DATABASE", "RD_HOST"] {
                assert!(env.contains(required), "{label}: no {required}");
            }
            let known = |e: &str| [SERVER_READS, SERVER_READS_LATER, FACTORY_ONLY, SERVER_UNREAD, AUTHORIZATION_READS].iter().any(|l| l.contains(&e));
            let unknown: Vec<&String> = env.iter().filter(|e| !known(e)).collect();
            assert!(unknown.is_empty(), "{label}: variables no Aeterna release reads: {unknown:?}");
        }
    }
}

/// The decisive facts of the pinned release, each from the file that says it (kikokikok/aeterna
/// at v0.5.0 unless named): the image and tag CI publishes, the command `serve` runs as, where it
/// writes, its ports, and the migration command.
mod pinned {
    /// `.github/workflows/docker.yml`: `ghcr.io/${{ github.repository }}`, `type=semver,pattern={{version}}`.
    pub const IMAGE: &str = "ghcr.io/kikokikok/aeterna:0.5.0";
    /// `Dockerfile`: `ENV AETERNA_CONFIG_PATH=/app/config`, which `cli/src/commands/serve.rs`
    /// requires to exist.
    pub const CONFIG_PATH: &str = "/app/config";
    /// `cli/src/commands/serve.rs`: `--port` 8080, `--metrics-port` 9090; `cli/src/server/metrics.rs`: `/metrics`.
    pub const HTTP_PORT: u64 = 8080;
    pub const METRICS_PORT: u64 = 9090;
    /// `cli/src/commands/admin.rs` (`AdminCommand::Migrate`, direction `up`); `cli/src/commands/mod.rs` has no `migrate`.
    pub const MIGRATE: [&str; 4] = ["aeterna", "admin", "migrate", "up"];
    /// `Dockerfile`: `useradd -m -u 1000`, `USER aeterna`.
    pub const UID: u64 = 1000;
}

/// Checks one render of the server against the pinned facts; an error names the first that fails.
fn server_follows_upstream(docs: &[Value]) -> Result<(), String> {
    let server = docs.iter().find(|d| d["kind"] == "Deployment" && d["metadata"]["labels"]["app.kubernetes.io/component"] == "server").ok_or("no server Deployment")?;
    let spec = &server["spec"]["template"]["spec"];
    let c = &spec["containers"][0];
    if c["image"] != pinned::IMAGE {
        return Err(format!("image {}", c["image"]));
    }
    // The image's entrypoint and `CMD ["serve"]` run the server: no command of the chart's.
    if c.get("command").is_some() || c.get("args").is_some() {
        return Err("the server overrides the image's command".into());
    }
    let g = given(docs, spec, c, &[]);
    if !g.ports.contains(&("http".into(), pinned::HTTP_PORT as u16)) || !g.ports.contains(&("metrics".into(), pinned::METRICS_PORT as u16)) {
        return Err(format!("ports {:?}", g.ports));
    }
    if !g.writable.contains(pinned::CONFIG_PATH) {
        return Err(format!("no writable {}", pinned::CONFIG_PATH));
    }
    let config = docs.iter().find(|d| d["kind"] == "ConfigMap" && d["metadata"]["labels"]["app.kubernetes.io/component"] == "server").ok_or("no server ConfigMap")?;
    if config["data"]["AETERNA_CONFIG_PATH"] != pinned::CONFIG_PATH {
        return Err(format!("AETERNA_CONFIG_PATH {}", config["data"]["AETERNA_CONFIG_PATH"]));
    }
    let repo = config["data"]["AETERNA_KNOWLEDGE_REPO_PATH"].as_str().unwrap_or_default();
    if !g.writable.iter().any(|w| repo.starts_with(&format!("{w}/"))) {
        return Err(format!("the knowledge repository {repo:?} is not under a writable mount"));
    }
    if g.uid != Some(pinned::UID as u32) {
        return Err(format!("user {:?}", g.uid));
    }
    for d in docs.iter().filter(|d| d["kind"] == "Job") {
        let command = &d["spec"]["template"]["spec"]["containers"][0]["command"];
        if *command != serde_json::json!(pinned::MIGRATE) {
            return Err(format!("the migration Job runs {command}"));
        }
    }
    if let Some(sm) = docs.iter().find(|d| d["kind"] == "ServiceMonitor") {
        let endpoint = &sm["spec"]["endpoints"][0];
        let service = docs.iter().find(|d| d["kind"] == "Service" && d["metadata"]["name"] == server["metadata"]["name"]).ok_or("no server Service")?;
        let port = service["spec"]["ports"].as_array().into_iter().flatten().find(|p| p["name"] == endpoint["port"]).ok_or("the ServiceMonitor's port is not the Service's")?;
        if port["targetPort"] != "metrics" || endpoint["path"] != "/metrics" {
            return Err(format!("the ServiceMonitor scrapes {} {}", port["targetPort"], endpoint["path"]));
        }
    }
    if let Some(np) = docs.iter().find(|d| d["kind"] == "NetworkPolicy" && d["metadata"]["name"] == server["metadata"]["name"]) {
        let ports: Vec<&Value> = np["spec"]["ingress"][0]["ports"].as_array().into_iter().flatten().map(|p| &p["port"]).collect();
        if !ports.iter().any(|p| **p == "metrics" || **p == pinned::METRICS_PORT) {
            return Err(format!("the NetworkPolicy admits {ports:?}, not the metrics port"));
        }
    }
    Ok(())
}

#[test]
fn the_aeterna_server_runs_as_its_pinned_release_says() {
    // production: ServiceMonitor and NetworkPolicy on; no migration Job (0.5.0 has none that works).
    let docs = render("aeterna", "production", &[]);
    server_follows_upstream(&docs).unwrap_or_else(|e| panic!("production: {e}"));
    assert!(!docs.iter().any(|d| d["kind"] == "Job"), "production: a migration Job with 0.5.0");
    // The pinned release is the row's, and the chart's appVersion.
    let row = IMAGES.iter().find(|i| i.component == "Aeterna server").expect("row");
    assert_eq!(format!("{}:{}", row.image, row.release.expect("release").image_tag), pinned::IMAGE);
    // A migration Job with 0.5.0 is refused: its `admin migrate up` fails on a fresh database.
    let file = chart_dir("aeterna").join("values-local.yaml");
    let set = ["aeterna.migration.enabled=true", "aeterna.image.tag=0.5.0", "llm.provider=none"].map(String::from);
    let out = emit_stdout("aeterna", "aeterna", "aeterna", &[file.as_path()], &set);
    assert!(!out.status.success() && text(&out.stderr).contains("aeterna.migration.enabled: before 0.8.0-rc.6"), "{}", text(&out.stderr));
    // With a release whose command works, the Job runs the pinned command.
    let docs = render("aeterna", "local", &["aeterna.migration.enabled=true", "aeterna.image.tag=v0.8.0-rc.6", "llm.provider=none"]);
    assert!(docs.iter().any(|d| d["kind"] == "Job"), "no migration Job with v0.8.0-rc.6");
    for d in docs.iter().filter(|d| d["kind"] == "Job") {
        assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["command"], serde_json::json!(pinned::MIGRATE));
    }
}

#[test]
fn a_server_that_drifts_from_its_release_fails() {
    // The check can fail: each change breaks one pinned fact.
    let docs = render("aeterna", "production", &[]);
    let edit = |f: &dyn Fn(&mut Vec<Value>)| {
        let mut d = docs.clone();
        f(&mut d);
        server_follows_upstream(&d)
    };
    let server =
        |d: &mut Vec<Value>| -> usize { d.iter().position(|d| d["kind"] == "Deployment" && d["metadata"]["labels"]["app.kubernetes.io/component"] == "server").expect("server") };
    let cases: Vec<(&str, Box<dyn Fn(&mut Vec<Value>)>)> = vec![
        (
            "image",
            Box::new(move |d| {
                let i = server(d);
                d[i]["spec"]["template"]["spec"]["containers"][0]["image"] = "ghcr.io/kikokikok/aeterna:0.1.0".into()
            }),
        ),
        (
            "command",
            Box::new(move |d| {
                let i = server(d);
                d[i]["spec"]["template"]["spec"]["containers"][0]["command"] = serde_json::json!(["aeterna", "migrate"])
            }),
        ),
        (
            "metrics port",
            Box::new(move |d| {
                let i = server(d);
                d[i]["spec"]["template"]["spec"]["containers"][0]["ports"][1]["containerPort"] = 9091.into()
            }),
        ),
        (
            "config volume",
            Box::new(move |d| {
                let i = server(d);
                d[i]["spec"]["template"]["spec"]["volumes"] = serde_json::json!([])
            }),
        ),
        ("migration command", Box::new(|d| d.push(serde_json::json!({"kind": "Job", "spec": {"template": {"spec": {"containers": [{"command": ["aeterna", "migrate"]}]}}}})))),
    ];
    for (label, f) in cases {
        assert!(edit(&*f).is_err(), "{label}: a drifted server passed");
    }
}

// ----- The bundled dependencies against their upstream releases (their rows in the table) ------

/// The decisive facts of each bundled dependency, each from the file that says it, in the
/// repository and at the release its row names.
mod bundled {
    /// The rows these facts are read for.
    pub const COMPONENTS: [&str; 4] = ["Dragonfly", "Valkey", "Qdrant", "PostgreSQL (CloudNativePG)"];
    /// dragonflydb/dragonfly v1.30.3: `tools/docker/entrypoint.sh` puts `dragonfly --logtostderr`
    /// before arguments that begin with `-` (no log files on the read-only root) and runs a user
    /// other than root directly; `src/server/server_family.cc` (`--dir`),
    /// `src/server/engine_shard_set.cc` (`--cache_mode`), `src/server/main_service.cc` (`--port`).
    pub const DRAGONFLY: (&str, &str, &[&str]) = ("docker.dragonflydb.io/dragonflydb/dragonfly", "dragonfly", &["--dir=/data", "--cache_mode=true", "--port=6379"]);
    /// valkey-io/valkey-container `docker-entrypoint.sh`: `valkey-server` before arguments that
    /// begin with `-`, a user other than root runs it directly; valkey-io/valkey `src/config.c`
    /// splits `"3600 1"` into the two arguments of `save`.
    pub const VALKEY: (&str, &str, &[&str]) = ("docker.io/valkey/valkey", "valkey", &["--dir", "/data", "--save", "3600 1", "--port", "6379"]);
    /// Where both write their snapshots (`--dir`).
    pub const CACHE_DATA: &str = "/data";
    /// qdrant/qdrant v1.13.6 `.github/workflows/docker-image.yml`: the `-unprivileged` tag is
    /// built with `USER_ID=1000`; `Dockerfile`: `USER "$USER_ID:$USER_ID"`, root's by default.
    pub const QDRANT_IMAGE: &str = "docker.io/qdrant/qdrant:v1.13.6-unprivileged";
    pub const QDRANT_UID: u32 = 1000;
    /// `config/config.yaml`: `./storage` and `./snapshots` in the working directory `/qdrant`.
    pub const QDRANT_PATHS: [&str; 2] = ["/qdrant/storage", "/qdrant/snapshots"];
    /// cloudnative-pg/cloudnative-pg v1.30.0 `api/v1/cluster_types.go`: `ServiceReadWriteSuffix`,
    /// `ApplicationUserSecretSuffix`; `pkg/specs/secrets.go`: the Secret's keys.
    pub const READ_WRITE_SUFFIX: &str = "-rw";
    pub const APP_SECRET_SUFFIX: &str = "-app";
    pub const APP_SECRET_KEYS: [(&str, &str); 2] = [("PG_USERNAME", "username"), ("PG_PASSWORD", "password")];
}

/// The claim templates of the StatefulSet whose pod spec is `spec`.
fn claims_of(docs: &[Value], spec: &Value) -> Vec<String> {
    docs.iter()
        .filter(|d| d["kind"] == "StatefulSet" && d["spec"]["template"]["spec"] == *spec)
        .flat_map(|d| d["spec"]["volumeClaimTemplates"].as_array().cloned().unwrap_or_default())
        .map(|t| t["metadata"]["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Checks the bundled servers of one render against the pinned facts; an error names the first
/// that fails. Returns how many of Dragonfly, Valkey, Qdrant and the Cluster it found.
fn dependencies_follow_upstream(docs: &[Value]) -> Result<usize, String> {
    let mut found = 0;
    for (image, name, args) in [bundled::DRAGONFLY, bundled::VALKEY] {
        let Some((spec, c)) = find(docs, image, name) else { continue };
        found += 1;
        // The image's entrypoint starts the server: arguments only, the first an option.
        if c.get("command").is_some() {
            return Err(format!("{name} overrides the image's entrypoint"));
        }
        let given_args: Vec<&str> = c["args"].as_array().into_iter().flatten().filter_map(|a| a.as_str()).collect();
        if given_args != args {
            return Err(format!("{name} runs {given_args:?}"));
        }
        if !given(docs, spec, c, &claims_of(docs, spec)).writable.contains(bundled::CACHE_DATA) {
            return Err(format!("{name}: {} is not writable", bundled::CACHE_DATA));
        }
    }
    if let Some((spec, c)) = find(docs, "docker.io/qdrant/qdrant", "qdrant") {
        found += 1;
        if c["image"] != bundled::QDRANT_IMAGE {
            return Err(format!("qdrant runs {}", c["image"]));
        }
        let g = given(docs, spec, c, &claims_of(docs, spec));
        if g.uid != Some(bundled::QDRANT_UID) {
            return Err(format!("qdrant runs as {:?}", g.uid));
        }
        if let Some(path) = bundled::QDRANT_PATHS.iter().find(|p| !g.writable.contains(**p)) {
            return Err(format!("qdrant: {path} is not writable"));
        }
        // `src/startup.rs`: the marker is written where QDRANT_INIT_FILE_PATH says, else in the
        // working directory, on the read-only root.
        let env = c["env"].as_array().into_iter().flatten();
        let marker = env.clone().find(|e| e["name"] == "QDRANT_INIT_FILE_PATH").and_then(|e| e["value"].as_str()).ok_or("qdrant: no QDRANT_INIT_FILE_PATH")?;
        if !g.writable.iter().any(|w| marker.starts_with(&format!("{w}/"))) {
            return Err(format!("qdrant: the marker {marker} is not under a writable mount"));
        }
    }
    if let Some(cluster) = docs.iter().find(|d| d["kind"] == "Cluster") {
        found += 1;
        let name = cluster["metadata"]["name"].as_str().unwrap_or_default();
        let config = docs.iter().find(|d| d["kind"] == "ConfigMap" && d["metadata"]["labels"]["app.kubernetes.io/component"] == "server").ok_or("no server ConfigMap")?;
        if config["data"]["PG_HOST"] != format!("{name}{}", bundled::READ_WRITE_SUFFIX) {
            return Err(format!("the server's PG_HOST is {}", config["data"]["PG_HOST"]));
        }
        for (label, _, c) in server_containers(docs) {
            for (variable, key) in bundled::APP_SECRET_KEYS {
                let env = c["env"].as_array().into_iter().flatten().find(|e| e["name"] == variable).ok_or(format!("{label}: no {variable}"))?;
                let from = &env["valueFrom"]["secretKeyRef"];
                if from["name"] != format!("{name}{}", bundled::APP_SECRET_SUFFIX) || from["key"] != key {
                    return Err(format!("{label}: {variable} from {from}"));
                }
            }
        }
    }
    Ok(found)
}

/// The render of `environment` with Valkey as the cache.
fn with_valkey(environment: &str) -> Vec<Value> {
    render("aeterna", environment, &["cache.type=valkey", "cache.valkey.enabled=true", "cache.dragonfly.enabled=false"])
}

#[test]
fn the_bundled_dependencies_run_as_their_releases_say() {
    // Their rows, checked against the chart whatever the state of the table's other rows.
    for component in bundled::COMPONENTS {
        let row = IMAGES.iter().find(|i| i.app == "aeterna" && i.component == component).unwrap_or_else(|| panic!("no row {component}"));
        let release = row.release.unwrap_or_else(|| panic!("{component}: no release"));
        assert!(release.commit.len() >= 7 && release.commit.chars().all(|c| c.is_ascii_hexdigit()), "{component}: the commit read is {:?}", release.commit);
        check(row);
    }
    let qdrant = IMAGES.iter().find(|i| i.component == "Qdrant").expect("row");
    assert_eq!(format!("{}:{}", qdrant.image, qdrant.release.expect("release").image_tag), bundled::QDRANT_IMAGE);
    // production: Dragonfly, Qdrant and the Cluster; local with Valkey: Valkey, Qdrant and the Cluster.
    for (label, docs) in [("production", render("aeterna", "production", &[])), ("local with valkey", with_valkey("local"))] {
        let found = dependencies_follow_upstream(&docs).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(found, 3, "{label}: a cache, Qdrant and the Cluster");
    }
}

#[test]
fn dependencies_that_drift_from_their_releases_fail() {
    // The check can fail: each change breaks one pinned fact.
    let docs = render("aeterna", "production", &[]);
    let container = |d: &mut Vec<Value>, name: &str| -> usize {
        d.iter().position(|d| d["kind"] == "StatefulSet" && d["spec"]["template"]["spec"]["containers"][0]["name"] == name).expect("StatefulSet")
    };
    let cases: Vec<(&str, Box<dyn Fn(&mut Vec<Value>)>)> = vec![
        (
            "dragonfly's command",
            Box::new(move |d| {
                let i = container(d, "dragonfly");
                d[i]["spec"]["template"]["spec"]["containers"][0]["args"] = serde_json::json!(["dragonfly", "--dir=/data", "--cache_mode=true", "--port=6379"])
            }),
        ),
        (
            "dragonfly's directory",
            Box::new(move |d| {
                let i = container(d, "dragonfly");
                d[i]["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]["mountPath"] = "/var/lib/dragonfly".into()
            }),
        ),
        (
            "qdrant's standard image",
            Box::new(move |d| {
                let i = container(d, "qdrant");
                d[i]["spec"]["template"]["spec"]["containers"][0]["image"] = "docker.io/qdrant/qdrant:v1.13.6".into()
            }),
        ),
        (
            "qdrant's marker",
            Box::new(move |d| {
                let i = container(d, "qdrant");
                d[i]["spec"]["template"]["spec"]["containers"][0]["env"] = serde_json::json!([{"name": "QDRANT_INIT_FILE_PATH", "value": "/qdrant/.qdrant-initialized"}])
            }),
        ),
        (
            "the read-write Service",
            Box::new(|d| {
                let i = d.iter().position(|d| d["kind"] == "ConfigMap" && d["metadata"]["labels"]["app.kubernetes.io/component"] == "server").expect("ConfigMap");
                d[i]["data"]["PG_HOST"] = "aeterna-postgresql-r".into()
            }),
        ),
        (
            "the application Secret's key",
            Box::new(|d| {
                let i = d.iter().position(|d| d["kind"] == "Deployment" && d["metadata"]["labels"]["app.kubernetes.io/component"] == "server").expect("server");
                let env = d[i]["spec"]["template"]["spec"]["containers"][0]["env"].as_array_mut().expect("env");
                let e = env.iter_mut().find(|e| e["name"] == "PG_USERNAME").expect("PG_USERNAME");
                e["valueFrom"]["secretKeyRef"]["key"] = "user".into()
            }),
        ),
    ];
    for (label, f) in cases {
        let mut d = docs.clone();
        f(&mut d);
        assert!(dependencies_follow_upstream(&d).is_err(), "{label}: a drifted dependency passed");
    }
    // Valkey's arguments, in the render that has it.
    let mut d = with_valkey("local");
    let i = d.iter().position(|d| d["kind"] == "StatefulSet" && d["spec"]["template"]["spec"]["containers"][0]["name"] == "valkey").expect("valkey");
    d[i]["spec"]["template"]["spec"]["containers"][0]["args"] = serde_json::json!(["--dir", "/data", "--save", "3600", "1", "--port", "6380"]);
    assert!(dependencies_follow_upstream(&d).is_err(), "valkey's port: a drifted dependency passed");
}

/// opal-fetcher's container and opal-server's data sources, in one render.
fn fetcher_of(docs: &[Value]) -> (Value, Value) {
    let (_, fetcher) = find(docs, "ghcr.io/acme/aeterna-opal-fetcher", "opal-fetcher").expect("opal-fetcher");
    let (_, server) = find(docs, "docker.io/permitio/opal-server", "opal-server").expect("opal-server");
    let sources = server["env"].as_array().expect("env").iter().find(|e| e["name"] == "OPAL_DATA_CONFIG_SOURCES").expect("OPAL_DATA_CONFIG_SOURCES");
    (fetcher.clone(), serde_json::from_str(sources["value"].as_str().expect("value")).expect("JSON"))
}

#[test]
fn opal_fetcher_gets_its_database_and_is_registered_at_its_route() {
    let external = "postgresql.enabled=false";
    for (label, set, host) in [
        ("bundled", &[][..], "aeterna-postgresql-rw"),
        ("external", &[external, "postgresql.backup.enabled=false", "postgresql.external.host=db.example", "postgresql.external.existingSecret=pg"][..], "db.example"),
    ] {
        let docs = render("aeterna", "production", set);
        let (fetcher, sources) = fetcher_of(&docs);
        let env = fetcher["env"].as_array().expect("env");
        let at = |name: &str| env.iter().position(|e| e["name"] == name).unwrap_or_else(|| panic!("{label}: no {name}"));
        // `FetcherConfig::from_env` fails without DATABASE_URL; the password is expanded from a
        // variable set before it, read from a Secret, never written into the URL.
        let url = env[at("DATABASE_URL")]["value"].as_str().expect("a composed value");
        assert!(url.starts_with("postgres://$(PG_USERNAME):$(PG_PASSWORD)@"), "{label}: {url}");
        assert!(url.contains(&format!("@{host}:5432/")), "{label}: {url}");
        assert!(at("PG_PASSWORD") < at("DATABASE_URL") && at("PG_USERNAME") < at("DATABASE_URL"), "{label}: expanded before they are set");
        assert!(env[at("PG_PASSWORD")]["valueFrom"]["secretKeyRef"]["name"].is_string(), "{label}: the password from a Secret");
        // `routes.rs`: `/health`, and every entity at `/v1/all`.
        for probe in ["livenessProbe", "readinessProbe"] {
            assert_eq!(fetcher[probe]["httpGet"]["path"], "/health", "{label}: {probe}");
        }
        let entry = &sources["config"]["entries"][0];
        assert_eq!(entry["url"], "http://aeterna-opal-fetcher:8080/v1/all", "{label}");
        assert_eq!(entry["topics"], serde_json::json!(["policy_data"]), "{label}");
        // OPAL's Cedar store refuses any other path (`cedar_client.py`).
        assert_eq!(entry["dst_path"], "", "{label}");
    }
}

// ----- The OPAL stack against its upstreams ---------------------------------------------------
// permitio/opal at 0.9.6 (76f898ec), kikokikok/aeterna at v0.5.0 (7d3e6b12) and v0.8.0-rc.4
// (b8fbcb19), permitio/cedar-agent at 0.2.1 (aec5db9).

/// The OPAL release both images run, by `.github/workflows/on_release.yml`: it pushes
/// `permitio/opal-client-cedar` from 0.7.8 on (the `client-cedar` entry of the
/// `publish_docker_images` matrix appears there) and `permitio/opal-server` at every release.
const OPAL_CEDAR_CLIENT_FROM: (u64, u64, u64) = (0, 7, 8);
/// OPAL releases with no package on PyPI (`pip index versions opal-server` and `opal-client`
/// list 0.9.0, then 0.9.4): a release we run must be installable from PyPI too.
const OPAL_NOT_ON_PYPI: &[&str] = &["0.9.1", "0.9.2", "0.9.3"];

/// What the Aeterna server reads to authorize (`cli/src/server/bootstrap.rs`,
/// `build_anyhow_auth_service`, the same from v0.2.0 to v0.8.0-rc.12): the backend, and with
/// `cedar` the policy and schema text (it refuses to start without either) and the fetcher's URL.
const AUTHORIZATION_READS: &[&str] = &["AETERNA_AUTH_BACKEND", "AETERNA_CEDAR_POLICY_TEXT", "AETERNA_CEDAR_SCHEMA_TEXT", "AETERNA_OPAL_FETCHER_URL"];

fn version(tag: &str) -> (u64, u64, u64) {
    let mut parts = tag.split(['.', '-']).map(|p| p.parse::<u64>().expect("a numeric version"));
    (parts.next().expect("major"), parts.next().expect("minor"), parts.next().expect("patch"))
}

fn row(component: &str) -> &'static ImageNeeds {
    IMAGES.iter().find(|i| i.app == "aeterna" && i.component.starts_with(component)).unwrap_or_else(|| panic!("no row {component}"))
}

#[test]
fn the_opal_rows_are_what_the_chart_renders() {
    // The rows of the stack on their own, so each is checked whatever the other rows say.
    let rows: Vec<&ImageNeeds> = ["opal-server", "OPAL client with Cedar", "opal-fetcher"].iter().map(|c| row(c)).collect();
    for i in rows {
        assert!(i.release.is_some() && i.facts.len() >= 3, "{}: a release and the facts read there", i.component);
        check(i);
    }
}

#[test]
fn opal_server_and_cedar_client_are_one_published_release() {
    let server = row("opal-server").release.expect("opal-server release");
    let client = row("OPAL client with Cedar").release.expect("client release");
    assert_eq!((server.repository, server.tag, server.commit), ("permitio/opal", "0.9.6", "76f898ec"));
    assert_eq!((client.repository, client.tag, client.commit, client.image_tag), (server.repository, server.tag, server.commit, server.image_tag), "one release for both");
    assert!(version(server.tag) >= OPAL_CEDAR_CLIENT_FROM, "no Cedar client image before 0.7.8");
    assert!(!OPAL_NOT_ON_PYPI.contains(&server.tag), "{} is not on PyPI", server.tag);
    assert_eq!(server.image_tag, apps::aeterna::opal::OPAL_VERSION);
    // The images the chart renders (the rows' check compares each rendered tag to its row).
    let docs = render("aeterna", "production", &[]);
    for (image, container) in [("docker.io/permitio/opal-server", "opal-server"), ("docker.io/permitio/opal-client-cedar", "cedar-agent")] {
        let (_, c) = find(&docs, image, container).unwrap_or_else(|| panic!("{container}"));
        assert_eq!(c["image"], format!("{image}:0.9.6"));
    }
}

/// The server container's variables by name: a plain value as `Some(text)`, another source as
/// its `valueFrom`.
fn env_of(c: &Value) -> std::collections::BTreeMap<String, Value> {
    c["env"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (e["name"].as_str().unwrap_or_default().to_string(), e.get("value").cloned().unwrap_or_else(|| e["valueFrom"].clone())))
        .collect()
}

fn aeterna_server(docs: &[Value]) -> Value {
    let d = docs.iter().find(|d| d["kind"] == "Deployment" && d["metadata"]["labels"]["app.kubernetes.io/component"] == "server").expect("the server");
    d["spec"]["template"]["spec"]["containers"][0].clone()
}

#[test]
fn the_aeterna_server_authorizes_as_its_image_reads() {
    // OPAL on, the policy from a ConfigMap (production) or values (local).
    let docs = render("aeterna", "production", &[]);
    let env = env_of(&aeterna_server(&docs));
    assert_eq!(env["AETERNA_AUTH_BACKEND"], "cedar");
    assert_eq!(env["AETERNA_CEDAR_POLICY_TEXT"]["configMapKeyRef"], serde_json::json!({"name": "aeterna-cedar", "key": "policy"}));
    assert_eq!(env["AETERNA_CEDAR_SCHEMA_TEXT"]["configMapKeyRef"], serde_json::json!({"name": "aeterna-cedar", "key": "schema"}));
    // `GET <url>/v1/all` (`adapters/src/auth/cedar.rs`).
    assert_eq!(env["AETERNA_OPAL_FETCHER_URL"], "http://aeterna-opal-fetcher:8080");
    let local = env_of(&aeterna_server(&render("aeterna", "local", &[])));
    assert!(local["AETERNA_CEDAR_POLICY_TEXT"].as_str().is_some_and(|p| p.contains("permit(principal, action, resource);")), "{local:?}");
    assert_eq!(local["AETERNA_CEDAR_SCHEMA_TEXT"], "");
    // Variables no version of the server reads are not given.
    for (name, docs) in [("production", &docs), ("local", &render("aeterna", "local", &[]))] {
        let text = serde_json::to_string(docs).expect("json");
        for unread in ["AETERNA_OPAL_ENABLED", "AETERNA_OPAL_SERVER_URL", "AETERNA_CEDAR_AGENT_URL", "CEDAR_AGENT_HOST"] {
            assert!(!text.contains(unread), "{name}: {unread}");
        }
    }
    // OPAL off: no authorization variable (the server allows every caller), nothing of OPAL.
    let off = render("aeterna", "hybrid", &[]);
    let env = env_of(&aeterna_server(&off));
    assert!(AUTHORIZATION_READS.iter().all(|v| !env.contains_key(*v)), "{env:?}");
    // Only the server authorizes: the migration Job (0.8.0-rc.6 and later) does not get them.
    let with_job = render("aeterna", "local", &["aeterna.migration.enabled=true"]);
    let job = with_job.iter().find(|d| d["kind"] == "Job").expect("migration");
    let job_env = env_of(&job["spec"]["template"]["spec"]["containers"][0]);
    assert!(AUTHORIZATION_READS.iter().all(|v| !job_env.contains_key(*v)), "{job_env:?}");
}

#[test]
fn a_tenant_reaches_the_fetcher_from_the_server_and_the_agents() {
    let tenant = "0b0e5a4c-8f4e-4a53-9c2a-4f3e2b1d0c9a";
    let set = format!("opal.fetcher.tenant={tenant}");
    let docs = render("aeterna", "production", &[&set]);
    let url = env_of(&aeterna_server(&docs))["AETERNA_OPAL_FETCHER_URL"].as_str().expect("a value").to_string();
    // The server requests `format!("{url}/v1/all")`; what follows `#` is a fragment, which an
    // HTTP client does not send.
    let called = format!("{url}/v1/all");
    let sent = called.split('#').next().expect("the request");
    let data = format!("http://aeterna-opal-fetcher:8080/v1/all?tenant={tenant}");
    assert_eq!(sent, data);
    let (_, sources) = fetcher_of(&docs);
    assert_eq!(sources["config"]["entries"][0]["url"], data.as_str());
    // Whether one is needed follows the fetcher's version (the server's unless it has its own),
    // by `handlers.rs`: none before v0.8.0-rc.4.
    let file = chart_dir("aeterna").join("values-production.yaml");
    for (set, needed) in [
        (&["aeterna.image.tag=0.7.1-rc"][..], false),
        (&["aeterna.image.tag=v0.8.0-rc.3"], false),
        (&["aeterna.image.tag=0.8.0-rc.4"], true),
        (&["aeterna.image.tag=v0.8.0-rc.12"], true),
        (&["aeterna.image.tag=0.8.0"], true),
        (&["aeterna.image.tag=latest"], true),
        (&["aeterna.image.tag=0.8.0-rc.12", "opal.fetcher.image.tag=0.5.0"], false),
        (&["aeterna.image.tag=0.5.0", "opal.fetcher.image.tag=0.8.0-rc.4"], true),
    ] {
        let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        let out = emit_stdout("aeterna", "aeterna", "aeterna", &[file.as_path()], &set);
        let refused = !out.status.success() && text(&out.stderr).contains(apps::aeterna::opal::TENANT_NEEDED);
        assert_eq!(refused, needed, "{set:?}: {}", text(&out.stderr));
    }
    // A tenant that is no UUID is refused (the fetcher's `Query<TenantQuery>` parses a UUID).
    let out = emit_stdout("aeterna", "aeterna", "aeterna", &[file.as_path()], &["opal.fetcher.tenant=acme".to_string()]);
    assert!(!out.status.success() && text(&out.stderr).contains("opal.fetcher.tenant"), "{}", text(&out.stderr));
}

#[test]
fn the_fetcher_runs_the_servers_version_unless_told() {
    // Production pins the server's tag; an empty one is the chart's appVersion.
    let tag_of = |set: &[&str]| -> String {
        let docs = render("aeterna", "production", set);
        let (_, c) = find(&docs, "ghcr.io/acme/aeterna-opal-fetcher", "opal-fetcher").expect("opal-fetcher");
        c["image"].as_str().expect("image").rsplit_once(':').expect("a tag").1.to_string()
    };
    let app_version = apps::aeterna::app().chart.app_version.clone();
    assert_eq!(tag_of(&["aeterna.image.tag="]), app_version, "the chart's appVersion, as the server's");
    assert_eq!(tag_of(&["aeterna.image.tag=0.4.0"]), "0.4.0", "the server's tag");
    assert_eq!(tag_of(&["aeterna.image.tag=0.4.0", "opal.fetcher.image.tag=0.4.1"]), "0.4.1", "its own");
    let docs = render("aeterna", "production", &["global.imageRegistry=mirror.example", "aeterna.image.tag="]);
    assert!(docs.iter().any(|d| d.to_string().contains(&format!("mirror.example/ghcr.io/acme/aeterna-opal-fetcher:{app_version}"))), "behind the mirror");
}

#[test]
fn opal_without_a_fetcher_image_names_upstreams_dockerfile() {
    let file = chart_dir("aeterna").join("values-production.yaml");
    let out = emit_stdout("aeterna", "aeterna", "aeterna", &[file.as_path()], &["opal.fetcher.image.repository=".to_string()]);
    assert!(!out.status.success(), "rendered without a fetcher image");
    assert!(text(&out.stderr).contains(apps::aeterna::opal::FETCHER_IMAGE_NEEDED), "{}", text(&out.stderr));
    assert!(apps::aeterna::opal::FETCHER_IMAGE_NEEDED.contains("opal-fetcher/Dockerfile of kikokikok/aeterna"));
}
