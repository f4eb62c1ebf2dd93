//! Backbone, the MQTT broker: the chart of `backbone-chart-design.md`.
//!
//! Every environment variable of the broker is a value (sections `config`, `k8s`, `ws`, `api`,
//! `tcp`, `oidc`, `redis`); secrets go to a Secret unless `existingSecret` names one; `/data` is
//! a PersistentVolumeClaim when `persistence.enabled`; probes check HTTP `/health` when the API is
//! on and fall back to TCP otherwise.

use manifests::SecretString;
use manifests::kit::{Image, IngressSettings, PodSettings, Resources, ServiceSettings, k8s};
use manifests::objects::{ConfigMap, Container, Deployment, EnvFrom, EnvVar, PersistentVolumeClaim, Probe, Role, RoleBinding, Secret, SecretRef, Strategy, Volume, VolumeSource};
use manifests::{AccessMode, App, ChartMeta, DnsLabel, DnsName, Knobs, Line, List, Map, Meta, Model, Node, Port, Quantity, fullname, fullname_with, service_account_name};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The hand-written README and the table of what each image needs ([`crate::upstream`]).
static README: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| crate::upstream::readme("backbone", include_str!("backbone/README.md")));

pub fn app() -> App<Values> {
    environments!(
        App::new(
            ChartMeta::new("backbone", "0.3.0", "1.0.0", "Backbone MQTT broker with WebSocket, HTTP API and Kubernetes integration").upgrade_note(
                "0.3.0",
                &format!("{}\n{}", "- `serviceAccount.automount` is now `serviceAccount.automountServiceAccountToken`: rename it in your values files.\n\
                 - `service.http.nodePort` and `service.mqtt.nodePort` take a port from 1 to 65535, or `\"\"` to let Kubernetes \
                 choose, instead of `0`.\n\
                 - The plain manifests of the example environments (`charts-out/manifests/backbone/`) are rendered into the \
                 namespace `backbone` instead of `default`: applying them creates new objects there. Copy the data of the claim \
                 `backbone-data` before you delete the old objects. Helm releases are not affected.", manifests::kit::k8s::CHECKED_SETTINGS_NOTE),
            )
            .upgrade_note("0.3.0", manifests::rules::UPGRADE_NOTE),
            "crates/apps/src/backbone.rs",
            build,
        ),
        "backbone": "production", "oidc",
    )
    .readme(README.as_str())
}

// ----- values.yaml -------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Values {
    /// Broker pods. Backbone keeps its state in one process: keep 1 (0 stops the broker).
    pub replica_count: u8,
    /// Container image.
    pub image: Image,
    /// Replaces the chart name in object names.
    pub name_override: DnsLabel,
    /// Replaces the full object name (release and chart name).
    pub fullname_override: DnsLabel,
    /// Broker settings.
    pub config: Config,
    /// Name of an existing Secret with the keys ADMIN_TOKEN, JWT_SECRET, OIDC_CLIENT_SECRET and
    /// REDIS_PASSWORD (each optional). When set, the chart renders no Secret and ignores
    /// `config.adminToken`, `config.jwtSecret`, `oidc.clientSecret` and `redis.password`.
    pub existing_secret: DnsName,
    /// Kubernetes integration (K8S_ENABLED). On by default: the chart runs in Kubernetes. The
    /// broker's pod then mounts its ServiceAccount token, and `rbac` says what the token may do.
    pub k8s: Toggle,
    /// Kubernetes API access of the broker, with `k8s.enabled`: a Role in the release's namespace
    /// bound to the broker's ServiceAccount.
    pub rbac: Rbac,
    /// MQTT over WebSocket on the HTTP port (WS_ENABLED).
    pub ws: Toggle,
    /// HTTP API on the HTTP port (API_ENABLED); also turns the probes into HTTP `/health` checks.
    pub api: Toggle,
    /// MQTT over plain TCP on `config.tcpPort` (TCP_ENABLED); adds the MQTT Service.
    pub tcp: Toggle,
    /// OpenID Connect authentication.
    pub oidc: Oidc,
    /// Redis for shared sessions and retained messages.
    pub redis: Redis,
    /// A PersistentVolumeClaim for `/data` (SQLite database and session data).
    pub persistence: Persistence,
    /// How the broker is exposed inside the cluster.
    pub service: Services,
    /// An Ingress for the HTTP API and WebSocket endpoint.
    pub ingress: IngressSettings,
    /// The pod settings `helm create` keeps at the top level: `imagePullSecrets`,
    /// `serviceAccount`, `podAnnotations`, `podLabels`, `podSecurityContext`, `securityContext`
    /// (the restricted Pod Security Standard, as UID and GID 1000), `nodeSelector`, `tolerations`,
    /// `affinity`.
    #[serde(flatten)]
    pub pod: PodSettings,
    /// CPU and memory requests and limits.
    pub resources: Resources,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Admin token (ADMIN_TOKEN); stored in the Secret.
    pub admin_token: SecretString,
    /// Secret for signing JWTs (JWT_SECRET); stored in the Secret.
    pub jwt_secret: SecretString,
    /// HTTP port for the API and WebSocket (HTTP_PORT).
    pub http_port: Port,
    /// MQTT TCP port (TCP_PORT).
    pub tcp_port: Port,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Toggle {
    /// Turn the feature on.
    pub enabled: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rbac {
    /// Render the Role and its RoleBinding (only with `k8s.enabled`).
    pub create: bool,
    /// Rules of the Role, as in a Kubernetes Role: empty grants nothing. The design does not
    /// list what the broker's Kubernetes client calls; grant what your broker version needs,
    /// for example `[{apiGroups: [""], resources: [configmaps, secrets], verbs: [get, list, watch]}]`.
    pub rules: Vec<k8s::PolicyRule>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Oidc {
    /// Authenticate clients with OpenID Connect (OIDC_ENABLED).
    pub enabled: bool,
    /// Discovery URL of the provider (OIDC_DISCOVERY).
    pub discovery: String,
    /// Client ID (OIDC_CLIENT_ID).
    pub client_id: String,
    /// Client secret (OIDC_CLIENT_SECRET); stored in the Secret.
    pub client_secret: SecretString,
    /// Token claim that lists the user's groups (OIDC_GROUP_FIELD).
    pub group_field: String,
    /// Group granted admin rights (OIDC_ADMIN_GROUP).
    pub admin_group: String,
    /// Group granted publish rights (OIDC_WRITER_GROUP).
    pub writer_group: String,
    /// Group granted subscribe rights (OIDC_READER_GROUP).
    pub reader_group: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Redis {
    /// Use Redis (REDIS_ENABLED).
    pub enabled: bool,
    /// Redis host (REDIS_HOST).
    pub host: String,
    /// Redis port (REDIS_PORT).
    pub port: Port,
    /// Redis password (REDIS_PASSWORD); stored in the Secret.
    pub password: SecretString,
    /// Redis database number (REDIS_DB).
    pub db: u8,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Persistence {
    /// Keep `/data` on a PersistentVolumeClaim; off means an emptyDir that is lost with the pod.
    pub enabled: bool,
    /// StorageClass of the claim; empty means the cluster's default class (for example
    /// `standard` on GKE, `gp3` on EKS, `managed-csi` on AKS).
    pub storage_class: String,
    /// Size of the claim.
    pub size: Quantity,
    /// Access mode of the claim.
    pub access_mode: AccessMode,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Services {
    /// The HTTP Service: API and MQTT over WebSocket, on `config.httpPort`.
    pub http: ServiceSettings,
    /// The MQTT Service, on `config.tcpPort`; rendered when `tcp.enabled`.
    pub mqtt: ServiceSettings,
}

impl Default for Values {
    fn default() -> Self {
        Values {
            replica_count: 1,
            image: Image::new("ghcr.io/backbone/backbone"),
            name_override: DnsLabel::default(),
            fullname_override: DnsLabel::default(),
            config: Config { admin_token: SecretString::default(), jwt_secret: SecretString::default(), http_port: Port(8883), tcp_port: Port(1883) },
            existing_secret: DnsName::default(),
            k8s: Toggle { enabled: true },
            rbac: Rbac { create: true, rules: Vec::new() },
            ws: Toggle { enabled: false },
            api: Toggle { enabled: false },
            tcp: Toggle { enabled: false },
            oidc: Oidc {
                enabled: false,
                discovery: String::new(),
                client_id: String::new(),
                client_secret: SecretString::default(),
                group_field: "groups".into(),
                admin_group: String::new(),
                writer_group: String::new(),
                reader_group: String::new(),
            },
            redis: Redis { enabled: false, host: "localhost".into(), port: Port(6379), password: SecretString::default(), db: 0 },
            persistence: Persistence { enabled: false, storage_class: String::new(), size: Quantity::new("1Gi"), access_mode: AccessMode::ReadWriteOnce },
            service: Services { http: ServiceSettings::new(8883), mqtt: ServiceSettings::new(1883) },
            pod: PodSettings::restricted(1000),
            ingress: IngressSettings::example("backbone.example.com"),
            // Bounds for one broker with a modest number of clients; a scheduler that knows
            // nothing of the pod's needs overcommits the node.
            resources: Resources::cpu_memory(("100m", "128Mi"), ("1", "512Mi")),
        }
    }
}

// ----- objects -----------------------------------------------------------------------------

fn build(v: &ValuesKnobs) -> Model {
    let mut m = Model::new();

    // Two brokers would each keep their own state, and a ReadWriteOnce claim cannot follow
    // both (the Recreate strategy below assumes one pod).
    m.reject_when(
        v.persistence.enabled.and(manifests::Expr::from(1).lt(&v.replica_count)),
        "replicaCount: at most 1 with persistence.enabled (the broker keeps its state in one process, on one claim)",
    );

    // The broker's plain settings, one environment variable each.
    let config = m.add(
        ConfigMap::builder()
            .meta(Meta::new(fullname()))
            .data(
                Map::new()
                    .str("HTTP_PORT", v.config.http_port.string())
                    .str("TCP_PORT", v.config.tcp_port.string())
                    .str("K8S_ENABLED", v.k8s.enabled.string())
                    .str("WS_ENABLED", v.ws.enabled.string())
                    .str("API_ENABLED", v.api.enabled.string())
                    .str("TCP_ENABLED", v.tcp.enabled.string())
                    .str("OIDC_ENABLED", v.oidc.enabled.string())
                    .when(
                        &v.oidc.enabled,
                        Map::new()
                            .str("OIDC_DISCOVERY", &v.oidc.discovery)
                            .str("OIDC_CLIENT_ID", &v.oidc.client_id)
                            .str("OIDC_GROUP_FIELD", &v.oidc.group_field)
                            .str("OIDC_ADMIN_GROUP", &v.oidc.admin_group)
                            .str("OIDC_WRITER_GROUP", &v.oidc.writer_group)
                            .str("OIDC_READER_GROUP", &v.oidc.reader_group),
                    )
                    .str("REDIS_ENABLED", v.redis.enabled.string())
                    .when(&v.redis.enabled, Map::new().str("REDIS_HOST", &v.redis.host).str("REDIS_PORT", v.redis.port.string()).str("REDIS_DB", v.redis.db.string())),
            )
            .build(),
    );

    // Secrets: rendered only when no existing Secret is named, holding only the keys given.
    let secret_keys =
        [("ADMIN_TOKEN", &v.config.admin_token), ("JWT_SECRET", &v.config.jwt_secret), ("OIDC_CLIENT_SECRET", &v.oidc.client_secret), ("REDIS_PASSWORD", &v.redis.password)];
    let data = secret_keys.iter().fold(Map::new(), |d, (key, knob)| d.when(knob.is_set(), Map::new().str(*key, *knob)));
    let rendered = m.add_when(v.existing_secret.is_set().not(), Secret::builder().meta(Meta::new(fullname())).string_data(data).build());
    let secret = SecretRef::existing_or(&v.existing_secret, &rendered);
    m.external::<Secret>(&v.existing_secret);

    // /data: a claim when persistence is on, an emptyDir otherwise.
    let claim = m.add_when(
        &v.persistence.enabled,
        PersistentVolumeClaim::builder()
            .meta(Meta::new(fullname_with("data")))
            .access_modes(List::new().push(Node::str(&v.persistence.access_mode)))
            .size(v.persistence.size.raw())
            .storage_class(&v.persistence.storage_class)
            .build(),
    );
    let data_volume = Volume::new("data", VolumeSource::choose(&v.persistence.enabled, VolumeSource::claim(&claim), VolumeSource::EmptyDir));

    let env = secret_keys.iter().fold(List::new(), |l, (key, _)| l.push(EnvVar::secret(*key, &secret, *key, true)));
    let mut broker = Container::builder()
        .name("backbone")
        .image(v.image.reference())
        .image_pull_policy(&v.image.pull_policy)
        .env_from(List::new().push(EnvFrom::config_map(&config)))
        .env(env)
        .resources(v.resources.whole().raw())
        .security_context(v.pod.security_context.raw())
        .build();
    let http = broker.port("http", &v.config.http_port);
    let mqtt = broker.port_when(&v.tcp.enabled, "mqtt", &v.config.tcp_port);
    broker.mount(&data_volume, "/data");
    // The root filesystem is read-only: SQLite's temporary files and the like go here. (/data
    // was never on the root filesystem: it is a volume, writable either way.)
    broker.mount(&Volume::empty_dir("tmp"), "/tmp");
    // HTTP /health needs the API; without it, the broker's open port is the best signal.
    let check = || Probe::choose(&v.api.enabled, Probe::http("/health", &http), Probe::choose(&v.tcp.enabled, Probe::tcp(&mqtt), Probe::tcp(&http)));
    broker.liveness(check().initial_delay(10).period(10).timeout(5).failure_threshold(3));
    broker.readiness(check().initial_delay(5).period(5).timeout(3).failure_threshold(3));

    v.pod.service_account.add_to(&mut m);

    // The Kubernetes integration calls the API server with the pod's token: a Role in the
    // release's namespace grants what `rbac.rules` lists.
    let rbac_on = v.k8s.enabled.and(&v.rbac.create);
    let role = m.add_when(
        rbac_on.clone(),
        Role::builder().meta(Meta::new(fullname()).template_file("rbac.yaml")).rules(Vec::new()).free_rules(List::new().extend_from(&v.rbac.rules)).build(),
    );
    m.add_when(rbac_on, RoleBinding::builder().meta(Meta::new(fullname()).template_file("rbac.yaml")).role(&role).service_account(service_account_name()).build());

    let mut pod = v.pod.pod(vec![broker], &[("config", "configmap.yaml"), ("secret", "secret.yaml")]);
    // The integration needs the token; without it the pod mounts none unless asked to.
    pod.automount_service_account_token = Some(v.pod.service_account.automount_service_account_token.or(&v.k8s.enabled));
    let deployment = m.add(
        Deployment::builder()
            .meta(Meta::new(fullname()))
            .replicas(&v.replica_count)
            // A ReadWriteOnce claim cannot follow a rolling update onto another node.
            .strategy(Strategy::choose(&v.persistence.enabled, Strategy::recreate(), Strategy::rolling(manifests::json(json!("25%")), manifests::json(json!("25%")))))
            .pod(pod)
            .build(),
    );

    let (http_service, http_port) = v.service.http.service(Meta::new(fullname()), &deployment, "http", &http);
    m.add(http_service);
    m.add_when(&v.tcp.enabled, v.service.mqtt.service(Meta::new(fullname_with("mqtt")), &deployment, "mqtt", &mqtt).0);
    v.ingress.add_to(&mut m, &http_port);

    m.notes(vec![
        Line::installed("Backbone"),
        Line::text(""),
        Line::port_forward("HTTP (API and WebSocket)", fullname(), v.service.http.port.string(), v.service.http.port.string()),
        Line::when(&v.tcp.enabled, vec![Line::port_forward("MQTT over TCP", fullname_with("mqtt"), v.service.mqtt.port.string(), v.service.mqtt.port.string())]),
        Line::when(&v.persistence.enabled, vec![Line::of(["Data is kept on the claim ".into(), fullname_with("data"), ".".into()])]),
        Line::when(v.persistence.enabled.not(), vec![Line::text("Persistence is off: /data is an emptyDir and is lost when the pod goes.")]),
        Line::when(v.api.enabled.not(), vec![Line::text("The HTTP API is off (api.enabled=false): the probes check TCP ports instead of /health.")]),
    ]);
    m
}
