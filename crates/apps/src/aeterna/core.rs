//! The Aeterna server: its settings (`aeterna`, `llm`, `observability`, `security`, `rbac`) and
//! the chart's `templates/aeterna/` objects: Deployment, Service, ConfigMap, ServiceAccount,
//! RBAC, Ingress, HorizontalPodAutoscaler, PodDisruptionBudget, NetworkPolicy, ServiceMonitor
//! and the database migration Job.

use kforge::SecretString;
use kforge::kit::{AutoscalingSettings, DisruptionBudgetSettings, Image, Resources, ServiceSettings, k8s};
use kforge::model::Hook;
use kforge::objects::{
    ConfigMap, Container, Deployment, EnvFrom, EnvVar, Job, NetworkPolicy, NetworkPolicyRule, Pod, PolicyRule, Probe, Role, RoleBinding, ServiceMonitor, ServicePort, Volume,
    Workload,
};
use kforge::{
    ConfigKey, DnsLabel, DnsName, Duration, Expr, Knobs, Line, List, Map, Meta, Model, ObjectRef, StringMap, checksum_of, fullname, fullname_with, release_namespace,
    service_account_name, string_enum,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::ValuesKnobs;
use super::dependencies::{self, Endpoints, VectorBackendType};
use super::opal::{self, Stack};
use super::secrets::{Consumer, Credentials, Store};

// ----- values ------------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Aeterna {
    /// Image of the server (and of the migration Job).
    pub image: Image,
    /// Pods (left to the autoscaler when `autoscaling.enabled`).
    pub replicas: u16,
    /// Resources.
    pub resources: Resources,
    /// Feature flags.
    pub features: Features,
    /// The server's Service.
    pub service: ServiceSettings,
    /// Autoscaling of the server.
    pub autoscaling: AutoscalingSettings,
    /// Disruption budget of the server.
    pub pdb: DisruptionBudgetSettings,
    /// Database migrations: a Job after every install and upgrade (a Helm hook in the chart),
    /// for images whose migration command works (0.8.0-rc.6 and later); `serve` creates its
    /// schema itself.
    pub migration: Migration,
    /// Annotations of the server's pods.
    pub pod_annotations: StringMap,
    /// Node labels the server's pods must match.
    pub node_selector: StringMap,
    /// Tolerations of the server's pods.
    pub tolerations: Vec<k8s::Toleration>,
    /// Affinity of the server's pods.
    pub affinity: k8s::Affinity,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Features {
    /// CCA agents (Context Architect, ...).
    pub cca: bool,
    /// A2A protocol (Radkit).
    pub radkit: bool,
    /// Recursive Language Model.
    pub rlm: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Migration {
    /// Run `aeterna admin migrate up` as a Job: in the chart a hook after every install and
    /// upgrade; in plain manifests a plain Job whose name changes with the image and the
    /// database, so a new version is a new Job. Refused with images before 0.8.0-rc.6, whose
    /// command fails on a fresh database; `aeterna serve` creates the schema it needs itself
    /// (see the chart README's "Database migrations").
    pub enabled: bool,
    /// Retries before the Job fails.
    pub backoff_limit: u16,
    /// Seconds the Job may run.
    pub active_deadline_seconds: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Llm {
    /// Provider of embeddings and chat: `openai`; `ollama`, through its OpenAI-compatible API
    /// (images 0.8.0-rc.9 and later); `none` configures it later. `anthropic` is refused: no
    /// Aeterna release reads Anthropic settings.
    pub provider: LlmProvider,
    /// OpenAI.
    pub openai: OpenAi,
    /// Anthropic: no Aeterna release reads these settings (`llm.provider: anthropic` is
    /// refused); kept for the design's values.
    pub anthropic: Anthropic,
    /// Ollama (local models, no API key), reached through its OpenAI-compatible API at
    /// `<host>/v1` by images 0.8.0-rc.9 and later.
    pub ollama: Ollama,
}

string_enum!(
    /// LLM provider.
    LlmProvider { Openai = "openai", Anthropic = "anthropic", Ollama = "ollama", None = "none" } default Openai
);

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpenAi {
    /// API key (stored in the chart's Secret; prefer existingSecret).
    pub api_key: SecretString,
    /// Existing Secret with the API key.
    pub existing_secret: DnsName,
    /// Key of the API key in existingSecret.
    pub existing_secret_key: ConfigKey,
    /// Embedding model.
    pub embedding_model: String,
    /// Chat model.
    pub chat_model: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Anthropic {
    /// API key (stored in the chart's Secret; prefer existingSecret).
    pub api_key: SecretString,
    /// Existing Secret with the API key.
    pub existing_secret: DnsName,
    /// Key of the API key in existingSecret.
    pub existing_secret_key: ConfigKey,
    /// Model.
    pub model: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ollama {
    /// Ollama URL without a trailing slash (`http://ollama.ollama.svc:11434`).
    pub host: String,
    /// Model (the server's chat model).
    pub model: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Observability {
    /// Prometheus Operator ServiceMonitor for the server's metrics.
    pub service_monitor: ServiceMonitorSettings,
    /// Tracing: no Aeterna release exports traces (none reads `OTEL_*`); `enabled` sets the
    /// `OB_TRACING_ENABLED` the server's configuration loader reads.
    pub tracing: Tracing,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceMonitorSettings {
    /// Render a ServiceMonitor (needs the Prometheus Operator's CRDs).
    pub enabled: bool,
    /// Scrape interval.
    pub interval: Duration,
    /// Path of the metrics on the server's metrics port (9090).
    pub path: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tracing {
    /// Tracing on (`OB_TRACING_ENABLED`).
    pub enabled: bool,
    /// OTLP endpoint (`http://otel-collector.observability:4317`): read by no Aeterna release;
    /// kept for the design's values.
    pub endpoint: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Security {
    /// Network policies: every pod of the chart accepts only the pods that use it.
    pub network_policy: NetworkPolicySettings,
    /// Security context of every pod (Pod Security Standard "restricted").
    pub pod_security_context: k8s::PodSecurityContext,
    /// Security context of every container.
    pub container_security_context: k8s::SecurityContext,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicySettings {
    /// Render the network policies.
    pub enabled: bool,
    /// Namespaces allowed to reach the server (the ingress controller's, Prometheus').
    pub allowed_namespaces: Vec<DnsLabel>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rbac {
    /// A Role for the server: read ConfigMaps (runtime settings) and hold Leases (one replica
    /// leads the CCA agents). The server's pods then mount their ServiceAccount token.
    pub create: bool,
}

impl Default for Aeterna {
    fn default() -> Self {
        Aeterna {
            // The chart's appVersion rather than the design's `latest`: with IfNotPresent, `latest`
            // runs whatever each node pulled first.
            image: Image::new("ghcr.io/kikokikok/aeterna"),
            replicas: 2,
            resources: Resources::cpu_memory(("250m", "512Mi"), ("1", "2Gi")),
            features: Features { cca: true, radkit: false, rlm: true },
            service: ServiceSettings::new(8080),
            autoscaling: AutoscalingSettings { enabled: false, min_replicas: 2, max_replicas: 10, target_cpu_utilization_percentage: 70, target_memory_utilization_percentage: 0 },
            pdb: DisruptionBudgetSettings::min_available(false, 1),
            migration: Migration { enabled: false, backoff_limit: 6, active_deadline_seconds: 600 },
            pod_annotations: StringMap::new(),
            node_selector: StringMap::new(),
            tolerations: Vec::new(),
            affinity: Default::default(),
        }
    }
}

impl Default for Llm {
    fn default() -> Self {
        Llm {
            provider: LlmProvider::Openai,
            openai: OpenAi {
                api_key: SecretString::default(),
                existing_secret: DnsName::default(),
                existing_secret_key: ConfigKey::new("api-key"),
                embedding_model: "text-embedding-3-small".into(),
                chat_model: "gpt-4o".into(),
            },
            anthropic: Anthropic {
                api_key: SecretString::default(),
                existing_secret: DnsName::default(),
                existing_secret_key: ConfigKey::new("api-key"),
                model: "claude-3-haiku-20240307".into(),
            },
            ollama: Ollama { host: String::new(), model: "llama3.2".into() },
        }
    }
}

impl Default for Observability {
    fn default() -> Self {
        Observability {
            service_monitor: ServiceMonitorSettings { enabled: false, interval: Duration::new("30s"), path: "/metrics".into() },
            tracing: Tracing { enabled: false, endpoint: String::new() },
        }
    }
}

impl Default for Security {
    fn default() -> Self {
        Security {
            network_policy: NetworkPolicySettings { enabled: false, allowed_namespaces: Vec::new() },
            pod_security_context: kforge::Kube::json(json!({
                "runAsNonRoot": true,
                "runAsUser": 1000,
                "fsGroup": 1000,
                "seccompProfile": {"type": "RuntimeDefault"}
            })),
            container_security_context: kforge::Kube::json(json!({
                "allowPrivilegeEscalation": false,
                "readOnlyRootFilesystem": true,
                "capabilities": {"drop": ["ALL"]}
            })),
        }
    }
}

// ----- objects -----------------------------------------------------------------------------

// What the server image needs, read at the chart's appVersion (kikokikok/aeterna v0.5.0) unless
// said otherwise; `crate::upstream` cites each file.

/// `aeterna serve` listens on `--port`, default 8080 (`cli/src/commands/serve.rs`).
const HTTP_PORT: i64 = 8080;
/// ... and serves `/metrics` on `--metrics-port`, default 9090, a listener of its own
/// (`cli/src/commands/serve.rs`, `cli/src/server/metrics.rs`); `/metrics` on 8080 is a 404.
pub const METRICS_PORT: i64 = 9090;
/// `serve` stops unless the directory `AETERNA_CONFIG_PATH` names exists; the image sets it to
/// `/app/config` (`Dockerfile`), which a read-only root cannot hold: an emptyDir.
pub const CONFIG_PATH: &str = "/app/config";
/// The knowledge repository is a git clone at `AETERNA_KNOWLEDGE_REPO_PATH`, default
/// `./knowledge-repo` under the read-only `/app` (`cli/src/server/bootstrap.rs`): under the
/// `/tmp` emptyDir instead, as upstream's own chart puts it.
pub const KNOWLEDGE_REPO_PATH: &str = "/tmp/knowledge-repo";
/// The first release whose LLM and embedding factories read `AETERNA_OPENAI_BASE_URL`
/// (`memory/src/llm/factory.rs`, `memory/src/embedding/factory.rs` at v0.8.0-rc.9), how
/// upstream runs Ollama (`e2e/llm/ollama.sh`).
pub const READS_OPENAI_BASE_URL: &str = "0.8.0-rc.9";
/// The first release whose `aeterna admin migrate up` applies every migration to a fresh
/// database (v0.8.0-rc.6: it creates `serve`'s schema first, `cli/src/commands/admin.rs`).
/// Before: 0.2.0 and 0.4.0 only print a simulated plan; 0.5.0 to 0.8.0-rc.4 stop at migration
/// 009 on a fresh database (`organizational_units`, which only `serve` creates) and at 006 after
/// `serve` ran; 0.8.0-rc.5 stops at 014.
pub const MIGRATES: &str = "0.8.0-rc.6";
/// The migration command (`cli/src/commands/admin.rs`); the image has no `aeterna migrate`.
pub const MIGRATE_COMMAND: [&str; 4] = ["aeterna", "admin", "migrate", "up"];

/// Why `llm.provider: anthropic` is refused, in the chart, emit and the setup wizard alike.
pub const ANTHROPIC_REFUSED: &str = "llm.provider: anthropic is read by no Aeterna release: its LLM and embedding factories know openai, google, bedrock and none, and stop the server at start on any other name; choose openai, ollama (images 0.8.0-rc.9 and later) or none";

/// Why `llm.provider: ollama` is refused with an older image.
pub const OLLAMA_TOO_OLD: &str = "llm.provider: ollama needs an Aeterna image that reads AETERNA_OPENAI_BASE_URL, 0.8.0-rc.9 or later (older ones stop at start on an unknown provider): set aeterna.image.tag to v0.8.0-rc.9 or later, or choose openai or none";

/// Why the migration Job is refused with an older image.
pub const MIGRATION_TOO_OLD: &str = "aeterna.migration.enabled: before 0.8.0-rc.6 the image's `aeterna admin migrate up` fails on a fresh database (it needs tables only `aeterna serve` creates), and `serve` creates its schema itself: set aeterna.migration.enabled: false, or aeterna.image.tag to v0.8.0-rc.6 or later";

pub fn add_to(m: &mut Model, v: &ValuesKnobs, deps: &Endpoints, stack: &Stack, credentials: &Credentials, store: &Store) -> ObjectRef<Deployment> {
    let a = &v.aeterna;
    let vb = &v.vector_backend;
    let llm = &v.llm;
    let obs = &v.observability;
    let is_vector = |t: VectorBackendType| vb.type_.is(t);
    let bool_str = |b: &kforge::Knob<bool>| b.string();
    // Settings of the design no Aeterna release reads (0.2.0 to 0.8.0-rc.12).
    let unread = "no Aeterna release reads it (0.2.0 to 0.8.0-rc.12); kept for the design's values";
    m.documentation_only(&obs.tracing.endpoint, &format!("{unread}: the server exports no traces and reads no OTEL_* variable"));
    let anthropic = &llm.anthropic;
    let why = format!("{unread}: llm.provider: anthropic is refused");
    m.documentation_only(&anthropic.api_key, &why);
    m.documentation_only(&anthropic.existing_secret, &why);
    m.documentation_only(&anthropic.existing_secret_key, &why);
    m.documentation_only(&anthropic.model, &why);

    // ----- aeterna/configmap.yaml: features, backend selection, endpoints of the dependencies
    let config = m.add(
        ConfigMap::builder()
            .meta(Meta::new(fullname()).component("server").template_file("aeterna/configmap.yaml"))
            .data(
                Map::new()
                    .str("AETERNA_FEATURE_CCA", bool_str(&a.features.cca))
                    .str("AETERNA_FEATURE_RADKIT", bool_str(&a.features.radkit))
                    .str("AETERNA_FEATURE_RLM", bool_str(&a.features.rlm))
                    .str("PG_HOST", deps.postgres_host.clone())
                    .str("PG_PORT", deps.postgres_port.clone())
                    .str("PG_DATABASE", deps.postgres_database.clone())
                    .when(v.postgresql.enabled.not(), Map::new().str("PG_USERNAME", &v.postgresql.external.username))
                    .str("RD_HOST", deps.redis_host.clone())
                    .str("RD_PORT", deps.redis_port.clone())
                    .str("VECTOR_BACKEND", &vb.type_)
                    .when(is_vector(VectorBackendType::Qdrant), Map::new().str("QD_HOST", deps.qdrant_host.clone()).str("QD_PORT", deps.qdrant_port.clone()))
                    .when(
                        is_vector(VectorBackendType::Pinecone),
                        Map::new().str("PINECONE_ENVIRONMENT", &vb.pinecone.environment).str("PINECONE_INDEX_NAME", &vb.pinecone.index_name),
                    )
                    .when(is_vector(VectorBackendType::Weaviate), Map::new().str("WEAVIATE_URL", &vb.weaviate.external.host))
                    .when(
                        is_vector(VectorBackendType::VertexAi),
                        Map::new()
                            .str("GCP_PROJECT_ID", &vb.vertex_ai.project_id)
                            .str("VERTEX_AI_LOCATION", &vb.vertex_ai.region)
                            .str("VERTEX_AI_INDEX_ENDPOINT", &vb.vertex_ai.index_endpoint),
                    )
                    .when(
                        is_vector(VectorBackendType::Databricks),
                        Map::new().str("DATABRICKS_HOST", &vb.databricks.workspace_url).str("DATABRICKS_CATALOG", &vb.databricks.catalog),
                    )
                    // Ollama is the `openai` provider pointed at Ollama's OpenAI-compatible API,
                    // with a placeholder key (upstream `e2e/llm/ollama.sh`); `anthropic` is refused.
                    .str("AETERNA_LLM_PROVIDER", llm.provider.is(LlmProvider::Ollama).then(Expr::from("openai"), llm.provider.expr()))
                    .when(
                        llm.provider.is(LlmProvider::Openai),
                        Map::new().str("AETERNA_OPENAI_EMBEDDING_MODEL", &llm.openai.embedding_model).str("AETERNA_OPENAI_MODEL", &llm.openai.chat_model),
                    )
                    .when(
                        llm.provider.is(LlmProvider::Ollama),
                        Map::new()
                            .str("AETERNA_OPENAI_BASE_URL", kforge::concat([llm.ollama.host.expr(), "/v1".into()]))
                            .str("AETERNA_OPENAI_MODEL", &llm.ollama.model)
                            .str("OPENAI_API_KEY", "ollama"),
                    )
                    .str("OB_TRACING_ENABLED", bool_str(&obs.tracing.enabled))
                    .str("AETERNA_CONFIG_PATH", CONFIG_PATH)
                    .str("AETERNA_KNOWLEDGE_REPO_PATH", KNOWLEDGE_REPO_PATH),
            )
            .build(),
    );

    // Credentials: the bundled database's from the operator's Secret, the rest by provider.
    let cluster_secret = deps.cluster.app_secret();
    let env = List::new()
        .when(
            &deps.bundled_postgres,
            List::new().push(EnvVar::secret("PG_USERNAME", &cluster_secret, "username", false)).push(EnvVar::secret("PG_PASSWORD", &cluster_secret, "password", false)),
        )
        .extend(credentials.env(store, Consumer::Server));
    let server_container = |name: &'static str| {
        Container::builder()
            .name(name)
            .image(a.image.reference_in(&v.global.image_registry))
            .image_pull_policy(&a.image.pull_policy)
            .env_from(List::new().push(EnvFrom::config_map(&config)))
            .env(env.clone())
            .resources(a.resources.whole().raw())
            .security_context(v.security.container_security_context.raw())
    };

    // ----- aeterna/deployment.yaml
    let mut server = server_container("aeterna").build();
    server.env = server.env.clone().extend(stack.server_env.clone());
    let http = server.port("http", HTTP_PORT);
    let metrics = server.port("metrics", METRICS_PORT);
    server.mount(&Volume::empty_dir("tmp"), "/tmp");
    server.mount(&Volume::empty_dir("config"), CONFIG_PATH);
    server.liveness(Probe::http("/health", &http).initial_delay(15).period(10).timeout(5));
    server.readiness(Probe::http("/ready", &http).initial_delay(5).period(5).timeout(3));
    let checksums = Map::new().str("checksum/config", checksum_of("aeterna/configmap.yaml")).str("checksum/secret", checksum_of("aeterna/secret.yaml"));
    let pod = Pod::builder()
        .containers(vec![server])
        .annotations(checksums.spread(&a.pod_annotations))
        .service_account_name(service_account_name())
        // The Role is for this token: creating it mounts the token.
        .automount_service_account_token(v.service_account.automount_service_account_token.or(&v.rbac.create))
        .security_context(v.security.pod_security_context.raw())
        .image_pull_secrets(v.global.image_pull_secrets.raw())
        .node_selector(a.node_selector.raw())
        .affinity(a.affinity.raw())
        .tolerations(List::new().extend_from(&a.tolerations))
        .build();
    let meta = |file: &str| Meta::new(fullname()).component("server").template_file(&format!("aeterna/{file}"));
    let deployment = m.add(Deployment::builder().meta(meta("deployment.yaml")).replicas(&a.replicas).replicas_unless(&a.autoscaling.enabled).pod(pod).build());

    // ----- aeterna/service.yaml, ingress.yaml, hpa.yaml, pdb.yaml
    let (mut service, service_http) = a.service.service(meta("service.yaml"), &deployment, "http", &http);
    let service_metrics = service.port(ServicePort::new("metrics", METRICS_PORT, &metrics));
    m.add(service);
    v.ingress.add_in(m, &service_http, "aeterna/ingress.yaml");
    a.autoscaling.add_as(m, meta("hpa.yaml"), &deployment);
    a.pdb.add_as(m, meta("pdb.yaml"), &deployment, true);

    // ----- aeterna/serviceaccount.yaml, rbac.yaml
    v.service_account.add_in(m, "aeterna/serviceaccount.yaml");
    let rbac = &v.rbac;
    let role = m.add_when(
        &rbac.create,
        Role::builder()
            .meta(meta("rbac.yaml"))
            .rules(vec![
                PolicyRule { api_groups: &[""], resources: &["configmaps"], verbs: &["get", "list", "watch"] },
                PolicyRule { api_groups: &["coordination.k8s.io"], resources: &["leases"], verbs: &["get", "create", "update"] },
            ])
            .build(),
    );
    m.add_when(&rbac.create, RoleBinding::builder().meta(meta("rbac.yaml")).role(&role).service_account(service_account_name()).build());

    // ----- aeterna/servicemonitor.yaml
    let sm = &obs.service_monitor;
    m.add_when(&sm.enabled, ServiceMonitor::builder().meta(meta("servicemonitor.yaml")).port(&service_metrics).path(&sm.path).interval(&sm.interval).build());

    // ----- aeterna/job-migration.yaml: `aeterna admin migrate up` after every install and
    // upgrade, in both outputs, for images whose command works (`MIGRATES`; the rule in
    // `validation.rs` refuses the Job with older ones).
    // - In the chart a hook after install and after upgrade, not before: only then do the
    //   release's ConfigMap and Secret say what this revision says, and does a bundled database
    //   exist (the Job's pod waits for the operator's `<cluster>-app` Secret, within the
    //   deadline). New server pods may start before it finishes: they must bear the old schema
    //   for that while, as during any rolling update.
    // - Its name ends in a digest of what it migrates (the image and the database) and of the
    //   chart version (its pod template carries the chart's label), so a new version, another
    //   database or a new chart is a new Job: re-applying the plain manifests never updates a
    //   Job's pod template, which the API server refuses, and applying the same ones again
    //   leaves the finished Job as it is.
    let mig = &a.migration;
    let migrates = kforge::concat([
        a.image.reference_in(&v.global.image_registry),
        "|".into(),
        deps.postgres_host.clone(),
        "|".into(),
        deps.postgres_database.clone(),
        "|".into(),
        kforge::chart_version(),
    ]);
    let mut migrate = server_container("migrate").command(MIGRATE_COMMAND).build();
    migrate.mount(&Volume::empty_dir("tmp"), "/tmp");
    let job_pod = Pod::builder()
        .containers(vec![migrate])
        .restart_policy("OnFailure")
        .service_account_name(service_account_name())
        .automount_service_account_token(false)
        .security_context(v.security.pod_security_context.raw())
        .image_pull_secrets(v.global.image_pull_secrets.raw())
        .build();
    m.add_when(
        &mig.enabled,
        Job::builder()
            .meta(Meta::new(kforge::concat([fullname_with("migrate"), "-".into(), migrates.digest()])).component("migration").template_file("aeterna/job-migration.yaml"))
            .backoff_limit(&mig.backoff_limit)
            .active_deadline_seconds(&mig.active_deadline_seconds)
            .hook(Hook { events: "post-install,post-upgrade", weight: 0, delete_policy: "before-hook-creation,hook-succeeded" })
            .pod(job_pod)
            .build(),
    );

    // ----- aeterna/networkpolicy.yaml
    let np = &v.security.network_policy;
    m.add_when(
        &np.enabled,
        NetworkPolicy::builder()
            .meta(meta("networkpolicy.yaml"))
            .selects(&deployment)
            .ingress(vec![NetworkPolicyRule::to(&[&http, &metrics]).from_namespaces(&np.allowed_namespaces)])
            .build(),
    );
    opal::isolate(m, v, stack, &deployment);
    let opal_server: &dyn Workload = &stack.server;
    dependencies::isolate(m, v, deps, &[(&deployment, Expr::from(true)), (opal_server, stack.on.clone())]);

    notes(m, v, &stack.on);
    deployment
}

fn notes(m: &mut Model, v: &ValuesKnobs, opal_on: &Expr<bool>) {
    let port = v.aeterna.service.port.string();
    m.notes(vec![
        Line::installed("Aeterna"),
        Line::text(""),
        Line::choose(
            &v.ingress.enabled,
            vec![Line::text("Aeterna: through the Ingress, on the hosts of ingress.hosts.")],
            vec![Line::port_forward("Aeterna", fullname(), port.clone(), port)],
        ),
        Line::when(
            &v.postgresql.enabled,
            vec![Line::of([
                "PostgreSQL: a CloudNativePG cluster; watch it with `kubectl get cluster -n ".into(),
                release_namespace(),
                " ".into(),
                fullname_with("postgresql"),
                "` (the operator must be installed).".into(),
            ])],
        ),
        Line::when(v.aeterna.migration.enabled.expr(), vec![Line::text("Database migrations (`aeterna admin migrate up`) run as a Job after every install and upgrade.")]),
        Line::choose(
            opal_on,
            vec![Line::text("Authorization: the OPAL stack (opal-server, cedar-agent, opal-fetcher) is on.")],
            vec![Line::text("Authorization: single-tenant mode (opal.enabled=false).")],
        ),
    ]);
}
