//! The Todo backend (FastAPI with MCP): the chart of `todo-backend-chart-contract.md`.
//!
//! The contract's values, names and defaults: `config` becomes a ConfigMap read as environment
//! variables, `secrets` a Secret. The three credentials (`secrets.databaseUrl`,
//! `secrets.betterAuthSecret`, `secrets.groqApiKey`) have no default and must be given at
//! install time, unless `secrets.existingSecret` names a Secret created beforehand, which is how
//! the committed environments keep every credential out of the repository. The container port
//! `http` is `service.port`; the probes name it while their `httpGet.port` is that port.

use kforge::SecretString;
use kforge::expr::chart_name;
use kforge::kit::{Image, Resources, ServiceAccountSettings, ServiceSettings, k8s};
use kforge::objects::{ConfigMap, Container, Deployment, EnvFrom, EnvVar, Pod, PortRef, Probe, Secret, SecretRef, Strategy};
use kforge::values::{IntOrPercent, MinLength, WholeNumber};
use kforge::{
    App, ChartMeta, DnsLabel, DnsName, Knobs, Line, List, Maintainer, Map, Meta, Model, Port, ServiceType, StringMap, checksum_of, fullname, release_name, release_namespace,
    service_account_name,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What an operator must set before the chart installs (the chart README's install section).
const NEEDS: &str = "`secrets.databaseUrl`, `secrets.betterAuthSecret` (at least 32 characters) and \
`secrets.groqApiKey`, or `secrets.existingSecret` (a Secret created beforehand that holds them)";

/// Stand-ins for the credentials, so that tests render the chart's own Secret. Nothing here is
/// a real credential.
const PLACEHOLDERS: &str = "\
secrets:
  databaseUrl: postgresql://placeholder:placeholder@postgres.invalid:5432/todo?sslmode=require
  betterAuthSecret: placeholder-signing-secret-of-48-characters-xx
  groqApiKey: placeholder-groq-api-key
";

/// What the `required` checks say when a credential is missing, after the values path.
const OR_EXISTING: &str = "or set secrets.existingSecret to a Secret that holds";

/// The hand-written README and the table of what each image needs ([`crate::upstream`]).
static README: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| crate::upstream::readme("backend", include_str!("backend/README.md")));

pub fn app() -> App<Values> {
    let url = "https://github.com/user/repo";
    let chart = ChartMeta {
        keywords: ["todo", "backend", "fastapi", "mcp", "ai"].map(String::from).to_vec(),
        home: url.into(),
        sources: vec![url.into()],
        maintainers: vec![Maintainer { name: "Todo App Team".into(), email: "team@example.com".into(), url: String::new() }],
        ..ChartMeta::new("backend", "2.0.0", "1.0.0", "Todo App Backend - FastAPI with MCP integration")
    }
    .upgrade_note(
        "2.0.0",
        &format!(
            "{}\n{}",
            "- `secrets.jwtExpirationDays` given as a string takes no leading zero: the chart read `\"010\"` as the octal 8, \
             emit as 10; write `10`. `config.maxTokens` is at most 4294967295, as the backend reads it.",
            kforge::kit::k8s::CHECKED_SETTINGS_NOTE
        ),
    )
    .upgrade_note("2.0.0", kforge::rules::UPGRADE_NOTE)
    .upgrade_note("2.0.0", kforge::rules::PARTS_UPGRADE_NOTE);
    environments!(
        App::new(chart, "crates/apps/src/backend.rs", build)
            .needs_values(NEEDS)
            .placeholder_values(PLACEHOLDERS),
        "backend": "prod", "replicas", "resources", "loadbalancer", "pod-annotations", "node-selector", "anti-affinity",
    )
    .readme(README.as_str())
}

// ----- values.yaml -------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Values {
    /// Backend pods. The backend keeps no state of its own, so any number works; 2 or more keep
    /// it available while a pod is replaced.
    pub replica_count: u16,
    /// Container image.
    pub image: Image,
    /// The Service in front of the pods. Its port is also the container port `http` the backend
    /// listens on.
    pub service: ServiceSettings,
    /// CPU and memory requests and limits.
    pub resources: Resources,
    /// Liveness probe: the kubelet restarts the container when `/health` keeps failing.
    pub liveness_probe: HttpProbe,
    /// Readiness probe: the Service sends traffic only to pods whose `/ready` answers.
    pub readiness_probe: HttpProbe,
    /// Application settings (not sensitive), stored in the ConfigMap.
    pub config: Config,
    /// Credentials and token settings, stored in the Secret.
    pub secrets: Secrets,
    /// Container security context. The defaults meet the restricted Pod Security Standard: UID
    /// and GID 1001, no privilege escalation, all capabilities dropped, the runtime's default
    /// seccomp profile; and the root filesystem is read-only (`/tmp` is an emptyDir).
    pub security_context: k8s::SecurityContext,
    /// Pod security context: the pod-wide part of the restricted Pod Security Standard, and
    /// group 1001 for the pod's volumes.
    pub pod_security_context: k8s::PodSecurityContext,
    /// How an upgrade replaces the pods.
    pub strategy: UpdateStrategy,
    /// Annotations of the backend pods (for example `prometheus.io/scrape`).
    pub pod_annotations: StringMap,
    /// Node labels the pods must match.
    pub node_selector: StringMap,
    /// Tolerations of the pods.
    pub tolerations: Vec<k8s::Toleration>,
    /// Affinity rules of the pods (for example anti-affinity to spread them over nodes).
    pub affinity: k8s::Affinity,
    /// The ServiceAccount the pods run as; none is created by default and the namespace's
    /// `default` one is used.
    pub service_account: ServiceAccountSettings,
    /// Replaces the chart name in object names.
    pub name_override: DnsLabel,
    /// Replaces the full object name (release and chart name).
    pub fullname_override: DnsLabel,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpProbe {
    /// The HTTP request the kubelet sends.
    pub http_get: HttpGet,
    /// Seconds after the container starts before the first check.
    pub initial_delay_seconds: u16,
    /// Seconds between checks.
    pub period_seconds: u16,
    /// Seconds a check may take before it counts as failed.
    pub timeout_seconds: u16,
    /// Failed checks in a row before the probe gives up on the container.
    pub failure_threshold: u16,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpGet {
    /// Path of the check.
    pub path: String,
    /// Port of the check. When it is `service.port` (the container port), the probe names the
    /// container port `http`; another number is probed as it is.
    pub port: Port,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// LLM provider the agent uses (LLM_PROVIDER).
    pub llm_provider: String,
    /// URL of the frontend, allowed to call the API (FRONTEND_URL).
    pub frontend_url: String,
    /// Base URL of the Groq API (GROQ_BASE_URL).
    pub groq_base_url: String,
    /// Groq model (GROQ_MODEL).
    pub groq_model: String,
    /// Name of the AI assistant (AGENT_NAME).
    pub agent_name: String,
    /// Instructions given to the AI assistant (AGENT_INSTRUCTIONS).
    pub agent_instructions: String,
    /// Most tokens in one model response (MAX_TOKENS).
    pub max_tokens: u32,
    /// Sampling temperature of the model (TEMPERATURE). Set fractions in a values file: Helm's
    /// `--set` reads `0.5` as text, which the schema rejects.
    pub temperature: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Secrets {
    /// PostgreSQL connection string (DATABASE_URL). Required unless `secrets.existingSecret` is
    /// set; give it with `--set` or a values file kept out of git.
    pub database_url: SecretString,
    /// Secret that signs the session tokens (BETTER_AUTH_SECRET), at least 32 characters.
    /// Required unless `secrets.existingSecret` is set.
    #[schemars(extend("writeOnly" = true))]
    pub better_auth_secret: MinLength<32>,
    /// Groq API key (GROQ_API_KEY). Required unless `secrets.existingSecret` is set.
    pub groq_api_key: SecretString,
    /// JWT signing algorithm (JWT_ALGORITHM).
    pub jwt_algorithm: JwtAlgorithm,
    /// Days a JWT stays valid (JWT_EXPIRATION_DAYS).
    pub jwt_expiration_days: WholeNumber,
    /// Name of a Secret created beforehand with the keys DATABASE_URL, BETTER_AUTH_SECRET and
    /// GROQ_API_KEY. When set, the chart renders no Secret, ignores `databaseUrl`,
    /// `betterAuthSecret` and `groqApiKey`, and passes `jwtAlgorithm` and `jwtExpirationDays` as
    /// plain environment variables.
    pub existing_secret: DnsName,
}

kforge::string_enum!(
    /// A JWT signing algorithm that works with a shared secret.
    JwtAlgorithm { Hs256 = "HS256", Hs384 = "HS384", Hs512 = "HS512" } default Hs256
);

kforge::string_enum!(
    /// How a Deployment replaces its pods.
    StrategyType { RollingUpdate = "RollingUpdate", Recreate = "Recreate" } default RollingUpdate
);

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateStrategy {
    /// `RollingUpdate` replaces pods a few at a time, without downtime; `Recreate` stops every
    /// old pod before starting new ones.
    #[serde(rename = "type")]
    pub type_: StrategyType,
    /// Pace of a rolling update (used with `RollingUpdate`).
    pub rolling_update: RollingUpdate,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RollingUpdate {
    /// Pods started above `replicaCount` during an update: a count or a percentage ("25%").
    pub max_surge: IntOrPercent,
    /// Pods that may be unavailable during an update: a count or a percentage up to 100%. 0
    /// keeps full capacity; `maxSurge` and `maxUnavailable` must not both be 0.
    pub max_unavailable: IntOrPercent,
}

impl Default for Values {
    fn default() -> Self {
        let probe = |path: &str, initial_delay_seconds, period_seconds| HttpProbe {
            http_get: HttpGet { path: path.into(), port: Port(8001) },
            initial_delay_seconds,
            period_seconds,
            timeout_seconds: 3,
            failure_threshold: 3,
        };
        Values {
            replica_count: 2,
            // The contract's `latest` would, with pullPolicy IfNotPresent, run whichever image
            // each node pulled first; the chart's appVersion names one image everywhere.
            image: Image::new("todo-backend"),
            service: ServiceSettings::new(8001),
            resources: Resources::cpu_memory(("200m", "256Mi"), ("1000m", "1Gi")),
            liveness_probe: probe("/health", 30, 10),
            readiness_probe: probe("/ready", 10, 5),
            config: Config {
                llm_provider: "GROQ".into(),
                frontend_url: "http://frontend-service:3000".into(),
                groq_base_url: "https://api.groq.com".into(),
                groq_model: "openai/gpt-oss-20b".into(),
                agent_name: "TodoAssistant".into(),
                agent_instructions: "You are a helpful AI assistant for managing todo tasks.".into(),
                max_tokens: 2000,
                temperature: 0.7,
            },
            secrets: Secrets {
                database_url: SecretString::default(),
                better_auth_secret: MinLength::default(),
                groq_api_key: SecretString::default(),
                jwt_algorithm: JwtAlgorithm::Hs256,
                jwt_expiration_days: WholeNumber::digits("7"),
                existing_secret: DnsName::default(),
            },
            security_context: kforge::Kube::json(json!({
                "runAsNonRoot": true,
                "runAsUser": 1001,
                "runAsGroup": 1001,
                "allowPrivilegeEscalation": false,
                "readOnlyRootFilesystem": true,
                "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"}
            })),
            pod_security_context: kforge::Kube::json(json!({
                "runAsNonRoot": true,
                "fsGroup": 1001,
                "seccompProfile": {"type": "RuntimeDefault"}
            })),
            strategy: UpdateStrategy {
                type_: StrategyType::RollingUpdate,
                rolling_update: RollingUpdate { max_surge: IntOrPercent::Count(1), max_unavailable: IntOrPercent::Count(0) },
            },
            pod_annotations: StringMap::new(),
            node_selector: StringMap::new(),
            tolerations: Vec::new(),
            affinity: Default::default(),
            service_account: ServiceAccountSettings { create: false, ..ServiceAccountSettings::default() },
            name_override: DnsLabel::default(),
            fullname_override: DnsLabel::default(),
        }
    }
}

// ----- objects -----------------------------------------------------------------------------

/// A probe from its settings: on the container port `http` when `httpGet.port` is the service
/// port (the default), on the number given otherwise.
fn probe(p: &HttpProbeKnobs, service_port: &kforge::Knob<Port>, http: &PortRef) -> Probe {
    let on_http = p.http_get.port.string().eq(service_port.string());
    Probe::choose(on_http, Probe::http(&p.http_get.path, http), Probe::http_number(&p.http_get.path, &p.http_get.port))
        .initial_delay(&p.initial_delay_seconds)
        .period(&p.period_seconds)
        .timeout(&p.timeout_seconds)
        .failure_threshold(&p.failure_threshold)
}

fn build(v: &ValuesKnobs) -> Model {
    let mut m = Model::new();

    let config = m.add(
        ConfigMap::builder()
            .meta(Meta::new(fullname()))
            .data(
                Map::new()
                    .str("LLM_PROVIDER", &v.config.llm_provider)
                    .str("FRONTEND_URL", &v.config.frontend_url)
                    .str("GROQ_BASE_URL", &v.config.groq_base_url)
                    .str("GROQ_MODEL", &v.config.groq_model)
                    .str("AGENT_NAME", &v.config.agent_name)
                    .str("AGENT_INSTRUCTIONS", &v.config.agent_instructions)
                    .str("MAX_TOKENS", v.config.max_tokens.string())
                    .str("TEMPERATURE", v.config.temperature.string()),
            )
            .build(),
    );

    // The credentials: required here, so both renderers stop with the operator's message when
    // one is missing and no existing Secret is named.
    let s = &v.secrets;
    let required = |path: &str, what: &str, key: &str| format!("{path} is required: {what} ({OR_EXISTING} {key})");
    let data = Map::new()
        .str("DATABASE_URL", s.database_url.required(&required("secrets.databaseUrl", "the PostgreSQL connection string", "DATABASE_URL")))
        .str("BETTER_AUTH_SECRET", s.better_auth_secret.required(&required("secrets.betterAuthSecret", "the token signing secret, at least 32 characters", "BETTER_AUTH_SECRET")))
        .str("GROQ_API_KEY", s.groq_api_key.required(&required("secrets.groqApiKey", "the Groq API key", "GROQ_API_KEY")))
        .str("JWT_ALGORITHM", &s.jwt_algorithm)
        .str("JWT_EXPIRATION_DAYS", s.jwt_expiration_days.string());
    let rendered = m.add_when(s.existing_secret.is_set().not(), Secret::builder().meta(Meta::new(fullname())).string_data(data).build());
    let secret = SecretRef::existing_or(&s.existing_secret, &rendered);
    m.external::<Secret>(&s.existing_secret);

    let credentials = ["DATABASE_URL", "BETTER_AUTH_SECRET", "GROQ_API_KEY"];
    let env = credentials.iter().fold(List::new(), |l, key| l.push(EnvVar::secret(*key, &secret, *key, false)));
    // The token settings are not credentials: an existing Secret need not hold them.
    let env = env.choose(
        s.existing_secret.is_set(),
        List::new().push(EnvVar::value("JWT_ALGORITHM", &s.jwt_algorithm)).push(EnvVar::value("JWT_EXPIRATION_DAYS", s.jwt_expiration_days.string())),
        List::new().push(EnvVar::secret("JWT_ALGORITHM", &secret, "JWT_ALGORITHM", false)).push(EnvVar::secret("JWT_EXPIRATION_DAYS", &secret, "JWT_EXPIRATION_DAYS", false)),
    );

    let mut backend = Container::builder()
        .name("backend")
        .image(v.image.reference())
        .image_pull_policy(&v.image.pull_policy)
        .env_from(List::new().push(EnvFrom::config_map(&config)))
        .env(env)
        .resources(v.resources.whole().raw())
        .security_context(v.security_context.raw())
        .build();
    let http = backend.port("http", &v.service.port);
    // The root filesystem is read-only; temporary files go here.
    backend.mount(&kforge::objects::Volume::empty_dir("tmp"), "/tmp");
    backend.liveness(probe(&v.liveness_probe, &v.service.port, &http));
    backend.readiness(probe(&v.readiness_probe, &v.service.port, &http));

    v.service_account.add_to(&mut m);

    let rolling = &v.strategy.rolling_update;
    let deployment = m.add(
        Deployment::builder()
            .meta(Meta::new(fullname()))
            .replicas(&v.replica_count)
            .strategy(Strategy::choose(
                v.strategy.type_.is(StrategyType::Recreate),
                Strategy::recreate(),
                Strategy::rolling(rolling.max_surge.raw(), rolling.max_unavailable.raw()),
            ))
            .pod(
                Pod::builder()
                    .containers(vec![backend])
                    .annotations(Map::new().str("checksum/config", checksum_of("configmap.yaml")).str("checksum/secret", checksum_of("secret.yaml")).spread(&v.pod_annotations))
                    .service_account_name(service_account_name())
                    .automount_service_account_token(&v.service_account.automount_service_account_token)
                    .security_context(v.pod_security_context.raw())
                    .node_selector(v.node_selector.raw())
                    .affinity(v.affinity.raw())
                    .tolerations(List::new().extend_from(&v.tolerations))
                    .build(),
            )
            .build(),
    );

    m.add(v.service.service(Meta::new(fullname()), &deployment, "http", &http).0);

    // The contract's NOTES.txt; the commands name the release's namespace so that they work
    // from any kubectl context.
    let port = v.service.port.string();
    let url = |before: &str, after: &str| Line::of([format!("{before}http://").into(), fullname(), ":".into(), port.clone(), after.into()]);
    m.notes(vec![
        Line::of(["Thank you for installing ".into(), chart_name(), ".".into()]),
        Line::text(""),
        Line::of(["Your release is named ".into(), release_name(), ".".into()]),
        Line::text(""),
        Line::text("To learn more about the release, try:"),
        Line::text(""),
        Line::of(["  $ helm status ".into(), release_name(), " -n ".into(), release_namespace()]),
        Line::of(["  $ helm get all ".into(), release_name(), " -n ".into(), release_namespace()]),
        Line::text(""),
        Line::text("Backend service is available at:"),
        Line::text(""),
        url("  ", ""),
        Line::when(
            v.service.type_.is(ServiceType::LoadBalancer),
            vec![
                Line::text(""),
                Line::of([
                    "From outside the cluster: http://EXTERNAL-IP:".into(),
                    port.clone(),
                    " (kubectl get service -n ".into(),
                    release_namespace(),
                    " ".into(),
                    fullname(),
                    " shows EXTERNAL-IP)".into(),
                ]),
            ],
        ),
        Line::text(""),
        Line::text("To test the backend:"),
        Line::text(""),
        Line::of(["  kubectl run test -n ".into(), release_namespace(), " --image=curlimages/curl --rm -it -- \\".into()]),
        url("    curl ", "/health"),
    ]);
    m
}
