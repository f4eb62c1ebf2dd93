//! Backbone, the MQTT broker: the chart of `backbone-chart-design.md`, fitted to the program
//! as upstream's source says it runs (`morten-olsen/backbone` at 47a8dd9, the commit CI
//! publishes as `ghcr.io/morten-olsen/backbone:main`; see [`upstream`](crate::upstream)).
//!
//! Every environment variable the broker reads (`src/config/config.ts`) is a value (sections
//! `config`, `k8s`, `ws`, `api`, `tcp`, `oidc`, `redis`); secrets go to a Secret unless
//! `existingSecret` names one; `/data` is a PersistentVolumeClaim when `persistence.enabled`
//! (this version writes nothing there); the HTTP API, WebSocket and TCP listeners are on, and
//! the probes check HTTP `/health`, or TCP when the API is off; the Kubernetes integration gets
//! the ClusterRole of exactly the calls it makes.

use kforge::SecretString;
use kforge::kit::{Image, IngressSettings, PodSettings, Resources, ServiceSettings, k8s};
use kforge::objects::{
    ClusterRole, ClusterRoleBinding, ConfigMap, Container, Deployment, EnvFrom, EnvVar, PersistentVolumeClaim, Probe, Secret, SecretRef, Strategy, Volume, VolumeSource,
};
use kforge::{AccessMode, App, ChartMeta, DnsLabel, DnsName, Knobs, Line, List, Map, Meta, Model, Node, Port, PullPolicy, Quantity, fullname, fullname_with, service_account_name};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub mod source;

/// The hand-written README and the table of what each image needs ([`crate::upstream`]).
static README: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| crate::upstream::readme("backbone", include_str!("backbone/README.md")));

pub fn app() -> App<Values> {
    environments!(
        App::new(
            ChartMeta::new("backbone", "0.4.0", source::TAG, "Backbone MQTT broker with WebSocket, HTTP API and Kubernetes integration")
            .upgrade_note("0.4.0", UPGRADE_0_4_0)
            .upgrade_note("0.4.0", kforge::rules::PARTS_UPGRADE_NOTE)
            .upgrade_note(
                "0.3.0",
                &format!("{}\n{}", "- `serviceAccount.automount` is now `serviceAccount.automountServiceAccountToken`: rename it in your values files.\n\
                 - `service.http.nodePort` and `service.mqtt.nodePort` take a port from 1 to 65535, or `\"\"` to let Kubernetes \
                 choose, instead of `0`.\n\
                 - The plain manifests of the example environments (`charts-out/manifests/backbone/`) are rendered into the \
                 namespace `backbone` instead of `default`: applying them creates new objects there. Copy the data of the claim \
                 `backbone-data` before you delete the old objects. Helm releases are not affected.", kforge::kit::k8s::CHECKED_SETTINGS_NOTE),
            )
            .upgrade_note("0.3.0", kforge::rules::UPGRADE_NOTE),
            "crates/apps/src/backbone.rs",
            build,
        ),
        "backbone": "production", "oidc",
    )
    .readme(README.as_str())
}

/// What changes for an installed release in 0.4.0, which makes the chart start the program
/// upstream publishes (`crates/apps/src/backbone/README.md`, "Where the program wins").
const UPGRADE_0_4_0: &str = "\
- With `api.enabled: false` the chart renders no `http` container port and no HTTP Service (nothing listens there), and \
`ingress.enabled` needs `api.enabled`: both renderers refuse an Ingress to a port nothing serves.
- The image is `ghcr.io/morten-olsen/backbone:main` (appVersion `main`), the only one upstream publishes, instead of \
`ghcr.io/backbone/backbone:1.0.0`, which does not exist. `main` moves with every upstream push, so the pull policy is now \
`Always`; set `image.digest` to pin one build. A values file that sets `image.repository` or `image.tag` keeps them.
- `api.enabled`, `ws.enabled` and `tcp.enabled` default to `true`: the broker now serves the HTTP API and `/health` and \
MQTT over WebSocket on the HTTP port, and MQTT over TCP on 1883 with the Service `<fullname>-mqtt`. Values that turn \
every listener off, or the WebSocket on without the API, are refused: the broker then listens on nothing or fails at start.
- With `k8s.enabled` and `rbac.create`, the Role and RoleBinding `<fullname>` are replaced by the ClusterRole and \
ClusterRoleBinding `<fullname>.<namespace>` with the rules the broker's calls need (its CRDs; Secrets, Clients and \
Topics in every namespace). Installing needs the right to create cluster-scoped RBAC. `rbac.rules` now add to that \
ClusterRole and so apply in every namespace: review them.
- `oidc.discovery` is passed as `OIDC_DISCOVERY_URL`, the variable the broker reads, instead of `OIDC_DISCOVERY`.";

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
    /// Kubernetes integration (K8S_ENABLED). On by default: the chart runs in Kubernetes. Before
    /// it listens, the broker creates (or updates) the CRDs `clients.backbone.mortenolsen.pro` and
    /// `topics.backbone.mortenolsen.pro`, lists and watches Secrets, Clients and Topics in every
    /// namespace, and creates the Secret `<client>-secret` of a Client that has none. The pod
    /// mounts its ServiceAccount token, and `rbac` grants those calls.
    pub k8s: Toggle,
    /// Kubernetes API access of the broker, with `k8s.enabled`: a ClusterRole of exactly the
    /// calls above, bound to the broker's ServiceAccount.
    pub rbac: Rbac,
    /// MQTT over WebSocket at `/ws` on the HTTP port (WS_ENABLED). Needs `api.enabled`: this
    /// version's HTTP server starts only with the API.
    pub ws: Toggle,
    /// HTTP API (`/api`, its reference at `/docs`) and `/health` on the HTTP port (API_ENABLED).
    /// The probes check `/health`; without the API they check the MQTT TCP port.
    pub api: Toggle,
    /// MQTT over plain TCP on `config.tcpPort` (TCP_ENABLED); adds the MQTT Service. With
    /// `api.enabled` false this is the only listener, and it must be on.
    pub tcp: Toggle,
    /// OpenID Connect authentication.
    pub oidc: Oidc,
    /// Redis for shared sessions and retained messages.
    pub redis: Redis,
    /// A PersistentVolumeClaim for `/data`. This version of the broker writes nothing there
    /// (sessions and retained messages are in memory, or in Redis with `redis.enabled`).
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
    /// Render the ClusterRole and its ClusterRoleBinding (only with `k8s.enabled`). Off, grant
    /// the calls otherwise: without them the broker exits at start.
    pub create: bool,
    /// Rules added to the ClusterRole after the broker's own, as in a Kubernetes ClusterRole
    /// (they apply in every namespace); empty adds nothing.
    pub rules: Vec<k8s::PolicyRule>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Oidc {
    /// Authenticate clients with OpenID Connect (OIDC_ENABLED).
    pub enabled: bool,
    /// Discovery URL of the provider (OIDC_DISCOVERY_URL). This version reads it but does not
    /// use it yet (see the README).
    pub discovery: String,
    /// Client ID (OIDC_CLIENT_ID); read, not used yet.
    pub client_id: String,
    /// Client secret (OIDC_CLIENT_SECRET); stored in the Secret; read, not used yet.
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
            // `main` is the only tag upstream publishes and it moves: pull it every time.
            image: Image { pull_policy: PullPolicy::Always, ..Image::new(source::IMAGE) },
            name_override: DnsLabel::default(),
            fullname_override: DnsLabel::default(),
            config: Config { admin_token: SecretString::default(), jwt_secret: SecretString::default(), http_port: Port(source::HTTP_PORT), tcp_port: Port(source::TCP_PORT) },
            existing_secret: DnsName::default(),
            k8s: Toggle { enabled: true },
            rbac: Rbac { create: true, rules: Vec::new() },
            // On, unlike the design's literal values: with all three off the broker listens on
            // nothing and no probe can pass (README, "Where the program wins").
            ws: Toggle { enabled: true },
            api: Toggle { enabled: true },
            tcp: Toggle { enabled: true },
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
            service: Services { http: ServiceSettings::new(source::HTTP_PORT), mqtt: ServiceSettings::new(source::TCP_PORT) },
            pod: PodSettings::restricted(i64::from(source::UID)),
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
        v.persistence.enabled.and(kforge::Expr::from(1).lt(&v.replica_count)),
        "replicaCount: at most 1 with persistence.enabled (the broker keeps its state in one process, on one claim)",
    );

    // `src/backbone.ts` starts the HTTP server (API, WebSocket, /health) with API_ENABLED or
    // WS_ENABLED, but without the API its setup calls `swagger()`, which only the API registers,
    // and the start fails (`src/server/server.ts`); with no listener the probes cannot pass.
    m.reject_when(
        v.ws.enabled.and(v.api.enabled.not()),
        "ws.enabled needs api.enabled: this version of the broker starts its HTTP server (and with it the WebSocket) only with the API",
    );
    m.reject_when(v.api.enabled.not().and(v.tcp.enabled.not()), "api.enabled or tcp.enabled must be on: without either the broker listens on nothing and its probes never pass");
    m.reject_when(v.ingress.enabled.and(v.api.enabled.not()), "ingress.enabled needs api.enabled: the Ingress routes to the HTTP port, where the broker listens only with the API");

    // The broker's plain settings, one environment variable each (`src/config/config.ts`).
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
                            .str("OIDC_DISCOVERY_URL", &v.oidc.discovery)
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
    // The HTTP server listens only with the API (`src/backbone.ts`; WS needs the API, above).
    let http = broker.port_when(&v.api.enabled, "http", &v.config.http_port);
    let mqtt = broker.port_when(&v.tcp.enabled, "mqtt", &v.config.tcp_port);
    broker.mount(&data_volume, "/data");
    // The root filesystem is read-only. The broker writes no file, but Node and its libraries
    // may want a temporary directory.
    broker.mount(&Volume::empty_dir("tmp"), "/tmp");
    // HTTP /health is served with the API; without it the MQTT TCP port is the one that listens
    // (the rules above keep one of them on).
    let check = || Probe::choose(&v.api.enabled, Probe::http(source::HEALTH, &http), Probe::tcp(&mqtt));
    broker.liveness(check().initial_delay(10).period(10).timeout(5).failure_threshold(3));
    broker.readiness(check().initial_delay(5).period(5).timeout(3).failure_threshold(3));

    v.pod.service_account.add_to(&mut m);

    // The Kubernetes integration calls the API server with the pod's token, for CRDs (cluster
    // objects) and in every namespace: a ClusterRole of exactly those calls (`source::RULES`),
    // then what `rbac.rules` adds. Its name is the cluster's: `<fullname>.<namespace>` is one
    // per release, since neither part can hold a dot (the fullname is a Service's name).
    let rbac_on = v.k8s.enabled.and(&v.rbac.create);
    let cluster_name = || kforge::concat([fullname(), ".".into(), kforge::release_namespace()]);
    let role = m.add_when(
        rbac_on.clone(),
        ClusterRole::builder()
            .meta(Meta::new(cluster_name()).template_file("rbac.yaml"))
            .rules(source::RULES.to_vec())
            .named_rules(source::NAMED_RULES.to_vec())
            .free_rules(List::new().extend_from(&v.rbac.rules))
            .build(),
    );
    m.add_when(rbac_on, ClusterRoleBinding::builder().meta(Meta::new(cluster_name()).template_file("rbac.yaml")).role(&role).service_account(service_account_name()).build());

    let mut pod = v.pod.pod(vec![broker], &[("config", "configmap.yaml"), ("secret", "secret.yaml")]);
    // The integration needs the token; without it the pod mounts none unless asked to.
    pod.automount_service_account_token = Some(v.pod.service_account.automount_service_account_token.or(&v.k8s.enabled));
    let deployment = m.add(
        Deployment::builder()
            .meta(Meta::new(fullname()))
            .replicas(&v.replica_count)
            // A ReadWriteOnce claim cannot follow a rolling update onto another node.
            .strategy(Strategy::choose(&v.persistence.enabled, Strategy::recreate(), Strategy::rolling(kforge::json(json!("25%")), kforge::json(json!("25%")))))
            .pod(pod)
            .build(),
    );

    let (http_service, http_port) = v.service.http.service(Meta::new(fullname()), &deployment, "http", &http);
    m.add_when(&v.api.enabled, http_service);
    m.add_when(&v.tcp.enabled, v.service.mqtt.service(Meta::new(fullname_with("mqtt")), &deployment, "mqtt", &mqtt).0);
    v.ingress.add_to(&mut m, &http_port);

    m.notes(vec![
        Line::installed("Backbone"),
        Line::text(""),
        Line::when(&v.api.enabled, vec![Line::port_forward("HTTP (API and WebSocket)", fullname(), v.service.http.port.string(), v.service.http.port.string())]),
        Line::when(&v.tcp.enabled, vec![Line::port_forward("MQTT over TCP", fullname_with("mqtt"), v.service.mqtt.port.string(), v.service.mqtt.port.string())]),
        Line::when(&v.persistence.enabled, vec![Line::of(["Data is kept on the claim ".into(), fullname_with("data"), ".".into()])]),
        Line::when(v.persistence.enabled.not(), vec![Line::text("Persistence is off: /data is an emptyDir and is lost when the pod goes.")]),
        Line::when(v.api.enabled.not(), vec![Line::text("The HTTP API is off (api.enabled=false): the probes check the MQTT TCP port instead of /health.")]),
        Line::when(
            &v.k8s.enabled,
            vec![Line::text(
                "The Kubernetes integration is on: the broker installs the CRDs clients.backbone.mortenolsen.pro and topics.backbone.mortenolsen.pro and watches Secrets, Clients and Topics in every namespace.",
            )],
        ),
    ]);
    m
}
