//! DBBat, the PostgreSQL access proxy: the chart of `dbbat-chart-design.md`.
//!
//! One Deployment runs the REST API (`http`) and the PostgreSQL proxy (`postgres`), each port
//! taken from its listen address. DBBat keeps its own state in an external PostgreSQL database
//! reached by `postgresql.external.dsn`, or by a DSN composed from the individual settings.
//! Secrets go to a Secret unless `secrets.existingSecret` names one. The proxy has a Service of
//! its own (`service-pg.yaml`) and, in phase 3 of the design, a Gateway API TCPRoute.
//!
//! What the program reads is DBBat 0.25.2's (`fclairamb/dbbat` at `v0.25.2`): its configuration
//! loader (`internal/config/config.go`), `main.go`, the `Dockerfile`; see [`crate::upstream`] and
//! `tests/it/dbbat.rs`, which pin the chart to them.

use kforge::SecretString;
use kforge::kit::{
    AutoscalingSettings, ClusterBackupSettings, DisruptionBudgetSettings, HttpProbeSettings, Image, IngressSettings, PodSettings, Resources, ServiceSettings, StorageSettings, k8s,
};
use kforge::objects::{
    Cluster, ConfigMap, Container, Deployment, EnvVar, NetworkPolicy, NetworkPolicyRule, Secret, SecretRef, Service, ServicePort, TcpRoute, Volume, VolumeSource,
};
use kforge::text;
use kforge::{
    App, ChartMeta, ConfigKey, DnsLabel, DnsName, Expr, Knobs, Line, List, ListenAddress, Map, Meta, Model, OptionalPort, Port, ServiceType, StringMap, concat, fullname,
    fullname_with, string_enum,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The hand-written README and the table of what each image needs ([`crate::upstream`]).
static README: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| crate::upstream::readme("dbbat", include_str!("dbbat/README.md")));

pub fn app() -> App<Values> {
    environments!(
        App::new(
            ChartMeta {
                keywords: ["postgresql", "proxy", "database", "audit", "access-control"].map(String::from).to_vec(),
                home: "https://github.com/fclairamb/dbbat".into(),
                sources: vec!["https://github.com/fclairamb/dbbat".into()],
                ..ChartMeta::new("dbbat", "3.0.0", "0.25.2", "DBBat: a PostgreSQL proxy that grants, audits and records database access")
            }
            .upgrade_note("3.0.0", UPGRADE_3)
            .upgrade_note("3.0.0", kforge::rules::PARTS_UPGRADE_NOTE)
            .upgrade_note(
                "3.0.0",
                "- `gatewayAPI.parentRefs[].name` may no longer be empty: the Gateway API CRD refuses a TCPRoute whose parent has \
                 no name, so an install with one failed at the API server; emit and the chart's schema now refuse it first.",
            )
            .upgrade_note(
                "2.0.0",
                &format!(
                    "{}\n{}",
                    "- `podDisruptionBudget.minAvailable` and `podDisruptionBudget.maxUnavailable` take what Kubernetes takes: a count \
                     up to 2147483647 or a percentage of at most 9 digits (`\"50%\"`). Values inside those bounds need no change.\n\
                     - New: `cloudnativepg.backup.serviceAccountAnnotations` annotates the ServiceAccount CloudNativePG makes for the \
                     cluster's pods, for backups through the cloud's identity (an IAM role, GKE or Azure AD workload identity) \
                     instead of a credentials Secret. Nothing changes without it.",
                    kforge::kit::k8s::CHECKED_SETTINGS_NOTE
                ),
            )
            .upgrade_note("2.0.0", kforge::rules::UPGRADE_NOTE),
            "crates/apps/src/dbbat.rs",
            build,
        )
        .needs_values(
            "`postgresql.external.dsn` or `postgresql.external.host` (or `secrets.existingSecret` holding the DSN), and the \
             encryption key (`secrets.existingSecret`, `secrets.encryptionKey` or `config.keyFile`)",
        ),
        "dbbat": "minimal", "production",
    )
    .readme(README.as_str())
}

/// What to do before `helm upgrade` to 3.0.0, one item per change an installed release may feel.
const UPGRADE_3: &str = "\
- `secrets.encryptionKey` must be standard base64 of exactly 32 bytes (44 characters ending in `=`, as \
  `openssl rand -base64 32` prints), which DBBat requires at start: both renderers now refuse another.
- The image is DBBat's published release `ghcr.io/fclairamb/dbbat:0.25.2` (appVersion `0.25.2`): the \
  `1.0.0` the chart named before was never published, so a release without `image.tag` could not start. A \
  release that sets `image.tag` keeps its tag.
- A DSN composed from `postgresql.external.host` now percent-encodes the username, the database and a \
  password from values (`secrets.databasePassword`, `postgresql.external.password`), so that any password \
  reaches DBBat intact: give those passwords as they are. One you had percent-encoded yourself would now \
  be encoded twice.
- The composed DSN goes whole into the chart's Secret (key `DBB_DSN`, no longer `DB_PASSWORD`), and the \
  ConfigMap no longer holds `DB_HOST`, `DB_PORT`, `DB_NAME`, `DB_USER` and `DB_SSLMODE`, which DBBat never \
  read. An `extraEnv` entry that expanded `$(DB_HOST)` and the like must name the values instead. With \
  `secrets.existingSecret`, the password under `secrets.keys.databasePassword` is still inserted as it \
  is: it must be percent-encoded, or hold the whole DSN under `secrets.keys.dsn` instead (see the README).
- DBBat 0.25.2 also listens for Oracle (`:1522`), MySQL (`:3307`), MongoDB (`:27018`) and SQL Server \
  (`:1434`) unless told not to; the chart declares no port, Service or NetworkPolicy rule for them and \
  now turns them off (`DBB_LISTEN_ORA`, `DBB_LISTEN_MYSQL`, `DBB_LISTEN_MONGO`, `DBB_LISTEN_MSSQL` empty). \
  `extraEnv` turns one on again.
- New rule: `postgresql.external.sslRootCert.existingSecret` with `sslMode: disable` is refused (the CA \
  would verify nothing).
- New: `postgresql.external.sslRootCert` (a private CA for `verify-ca` and `verify-full`) and \
  `config.runMode: demo`. At its first start DBBat creates the account `admin` with the password \
  `admin`: the notes `helm install` prints and the README say how to change it.";

// ----- values.yaml -------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Values {
    /// Number of replicas (left to the autoscaler when `autoscaling.enabled`).
    pub replica_count: u16,
    /// Container image.
    pub image: Image,
    /// Override the chart name.
    pub name_override: DnsLabel,
    /// Override the full resource name.
    pub fullname_override: DnsLabel,
    /// Database configuration.
    pub postgresql: Postgresql,
    /// Secrets.
    pub secrets: Secrets,
    /// Application configuration.
    pub config: Config,
    /// Services.
    pub service: Services,
    /// Ingress (HTTP only: API and Web UI).
    pub ingress: IngressSettings,
    /// The pod settings `helm create` keeps at the top level: `imagePullSecrets`,
    /// `serviceAccount`, `podAnnotations`, `podLabels`, `podSecurityContext`, `securityContext`
    /// (the restricted Pod Security Standard, as UID and GID 65532), `nodeSelector`, `tolerations`,
    /// `affinity`.
    #[serde(flatten)]
    pub pod: PodSettings,
    /// Resources.
    pub resources: Resources,
    /// Liveness probe.
    pub liveness_probe: HttpProbeSettings<ProbePort>,
    /// Readiness probe.
    pub readiness_probe: HttpProbeSettings<ProbePort>,
    /// Autoscaling.
    pub autoscaling: AutoscalingSettings,
    /// Pod Disruption Budget.
    pub pod_disruption_budget: DisruptionBudgetSettings,
    /// Network Policy.
    pub network_policy: NetworkPolicySettings,
    /// Additional environment variables (`name` and `value` or `valueFrom`).
    pub extra_env: Vec<k8s::EnvVar>,
    /// Additional volume mounts.
    pub extra_volume_mounts: Vec<k8s::VolumeMount>,
    /// Additional volumes.
    pub extra_volumes: Vec<k8s::Volume>,
    /// CloudNativePG (phase 4): DBBat's own database as a `Cluster` of the operator (installed
    /// separately), instead of `postgresql.external`.
    pub cloudnativepg: CloudNativePg,
    /// Gateway API: a TCPRoute for the PostgreSQL proxy (needs the Gateway API's experimental
    /// TCPRoute CRD and a Gateway with a TCP listener).
    #[serde(rename = "gatewayAPI")]
    pub gateway_api: GatewayApi,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Postgresql {
    /// External PostgreSQL connection settings: DBBat's own storage.
    pub external: ExternalPostgresql,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalPostgresql {
    /// Full DSN (takes precedence over individual settings), stored in the Secret and given to
    /// DBBat whole. Example: postgres://user:pass@host:5432/dbbat?sslmode=require. It is a URL:
    /// percent-encode the password's characters other than letters, digits and `-._~`
    /// (`p@ss` is `p%40ss`), or use `host` and a password from values, which the chart encodes.
    pub dsn: SecretString,
    /// PostgreSQL host (used if dsn is empty): the chart composes
    /// postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=SSLMODE, percent-encoding the username,
    /// the database and a password from values.
    pub host: String,
    /// PostgreSQL port.
    pub port: Port,
    /// Database name.
    pub database: String,
    /// Database username.
    pub username: String,
    /// Database password (use secrets.databasePassword for production), as it is: the chart
    /// percent-encodes it into the DSN.
    pub password: SecretString,
    /// SSL mode: disable, require, verify-ca, verify-full.
    pub ssl_mode: SslMode,
    /// A CA certificate to verify the database's server certificate with (a private CA, for
    /// `verify-ca` and `verify-full`; without one DBBat trusts the image's system CAs). Mounted
    /// at /etc/dbbat/postgresql-ca/KEY and named by `sslrootcert` in the composed DSN; a DSN
    /// given whole (`dsn`, or `secrets.keys.dsn`) must name that path itself.
    pub ssl_root_cert: SslRootCert,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SslRootCert {
    /// Secret holding the CA certificate (PEM); none when empty.
    pub existing_secret: DnsName,
    /// Key of the certificate in that Secret.
    pub key: ConfigKey,
}

/// Where the CA certificate of `postgresql.external.sslRootCert` is mounted.
pub const SSL_ROOT_CERT_DIR: &str = "/etc/dbbat/postgresql-ca";

string_enum!(
    /// How DBBat's connection to its database uses TLS (libpq `sslmode`).
    SslMode { Disable = "disable", Require = "require", VerifyCa = "verify-ca", VerifyFull = "verify-full" } default Require
);

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Secrets {
    /// AES-256 encryption key (base64-encoded, 32 bytes raw). Generate with: openssl rand -base64 32
    pub encryption_key: SecretString,
    /// Database password (if not in DSN or external.password), as it is: the chart
    /// percent-encodes it into the DSN.
    pub database_password: SecretString,
    /// Use existing secret instead of creating one (takes precedence). The secret must contain
    /// the keys named in secrets.keys: the encryption key, and the database password when
    /// `postgresql.external.host` is used, or the whole DSN when neither dsn nor host is set
    /// (the way for any password: the chart cannot encode what it does not see).
    pub existing_secret: DnsName,
    /// Key names in existingSecret.
    pub keys: SecretKeys,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretKeys {
    /// Key of the encryption key (DBB_KEY).
    pub encryption_key: ConfigKey,
    /// Key of the database password, with `postgresql.external.host`: Kubernetes inserts it
    /// into the DSN as it is, so it must be percent-encoded (a password of letters, digits and
    /// `-._~` needs nothing). For any other password, put the whole DSN under `dsn` and leave
    /// `postgresql.external.host` empty.
    pub database_password: ConfigKey,
    /// Key of the whole DSN (DBB_DSN), used when neither postgresql.external.dsn nor
    /// postgresql.external.host is set.
    pub dsn: ConfigKey,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// PostgreSQL proxy listen address (DBB_LISTEN_PG); its port is the `postgres` container port.
    pub listen_pg: ListenAddress,
    /// REST API listen address (DBB_LISTEN_API); its port is the `http` container port.
    pub listen_api: ListenAddress,
    /// Base URL for frontend (DBB_BASE_URL, default: /app).
    pub base_url: String,
    /// Run mode (DBB_RUN_MODE): "" (default), "test" or "demo". Both "test" and "demo" drop
    /// every table of DBBat's database at each start and seed accounts with known passwords:
    /// never point them at a database that matters.
    pub run_mode: RunMode,
    /// Path to encryption key file (DBB_KEYFILE), alternative to secrets.encryptionKey: a file of
    /// exactly 32 raw bytes (`openssl rand 32`, not base64). Mount a secret as a volume
    /// (extraVolumes, extraVolumeMounts) and reference the path here.
    pub key_file: String,
}

string_enum!(
    /// The container ports a probe can check.
    ProbePort { Http = "http", Postgres = "postgres" } default Http
);

string_enum!(
    /// How DBBat runs (`internal/config/config.go`: `RunModeDefault`, `RunModeTest`, `RunModeDemo`).
    RunMode { Normal = "", Test = "test", Demo = "demo" } default Normal
);

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Services {
    /// The API Service (REST API and Web UI).
    pub api: ServiceSettings,
    /// The PostgreSQL proxy Service (`<fullname>-pg`).
    pub proxy: ProxyService,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProxyService {
    /// Enable PostgreSQL proxy service.
    pub enabled: bool,
    /// Proxy service type (ClusterIP, NodePort, LoadBalancer).
    #[serde(rename = "type")]
    pub type_: ServiceType,
    /// Proxy service port.
    pub port: Port,
    /// Fixed NodePort (optional, only for type: NodePort).
    pub node_port: OptionalPort,
    /// Proxy service annotations (e.g., cloud LB configuration; for an internal AWS NLB:
    /// `service.beta.kubernetes.io/aws-load-balancer-type: nlb` and
    /// `service.beta.kubernetes.io/aws-load-balancer-scheme: internal`).
    pub annotations: StringMap,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicySettings {
    /// Render a NetworkPolicy: only the sources below reach the API and proxy ports; with none
    /// listed, all ingress to the pods is denied.
    pub enabled: bool,
    /// Allow ingress from these namespaces (for example the ingress controller's).
    pub allowed_namespaces: Vec<DnsLabel>,
    /// Allow ingress from pods of the release's namespace with these labels.
    pub allowed_pod_labels: StringMap,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CloudNativePg {
    /// Render a CloudNativePG cluster with the database `dbbat`; DBBat reads its DSN from the
    /// operator's `<fullname>-postgresql-app` Secret (key `uri`).
    pub enabled: bool,
    /// PostgreSQL instances (one primary, the rest replicas).
    pub instances: u16,
    /// Volume of each instance.
    pub storage: StorageSettings,
    /// Backups to object storage (off until a bucket is named).
    pub backup: ClusterBackupSettings,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayApi {
    /// Render a TCPRoute (gateway.networking.k8s.io/v1alpha2) to the proxy Service.
    pub enabled: bool,
    /// Gateways (or their listeners) the route attaches to.
    pub parent_refs: Vec<ParentRef>,
}

kforge::pattern_string!(
    /// The name of a Gateway: a DNS-1123 subdomain, never empty (the Gateway API CRD's
    /// `ObjectName` has `minLength: 1`; the API server refuses a TCPRoute with an empty one).
    GatewayName,
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
    253,
    "the name of a Gateway: a DNS-1123 name (lowercase letters, digits, '-' and '.', at most 253 characters), not empty"
);

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ParentRef {
    /// Name of the Gateway.
    pub name: GatewayName,
    /// Namespace of the Gateway; the release's namespace when left out.
    #[serde(default, skip_serializing_if = "DnsLabel::is_empty")]
    pub namespace: DnsLabel,
    /// Listener of the Gateway; all of its TCP listeners when left out.
    #[serde(default, skip_serializing_if = "DnsLabel::is_empty")]
    pub section_name: DnsLabel,
}

impl Default for Values {
    fn default() -> Self {
        Values {
            replica_count: 1,
            image: Image::new("ghcr.io/fclairamb/dbbat"),
            name_override: DnsLabel::default(),
            fullname_override: DnsLabel::default(),
            postgresql: Postgresql {
                external: ExternalPostgresql {
                    dsn: SecretString::default(),
                    host: String::new(),
                    port: Port(5432),
                    database: "dbbat".into(),
                    username: "dbbat".into(),
                    password: SecretString::default(),
                    ssl_mode: SslMode::Require,
                    ssl_root_cert: SslRootCert { existing_secret: DnsName::default(), key: ConfigKey::new("ca.crt") },
                },
            },
            secrets: Secrets {
                encryption_key: SecretString::default(),
                database_password: SecretString::default(),
                existing_secret: DnsName::default(),
                keys: SecretKeys { encryption_key: ConfigKey::new("DBB_KEY"), database_password: ConfigKey::new("DB_PASSWORD"), dsn: ConfigKey::new("DBB_DSN") },
            },
            config: Config {
                listen_pg: ListenAddress::new(":5432"),
                listen_api: ListenAddress::new(":8080"),
                base_url: "/app".into(),
                run_mode: RunMode::Normal,
                key_file: String::new(),
            },
            service: Services {
                api: ServiceSettings::new(8080),
                proxy: ProxyService { enabled: true, type_: ServiceType::ClusterIp, port: Port(5432), node_port: OptionalPort(None), annotations: StringMap::new() },
            },
            pod: PodSettings::restricted(65532),
            ingress: IngressSettings::example("dbbat.example.com"),
            resources: Resources::cpu_memory(("100m", "128Mi"), ("500m", "256Mi")),
            liveness_probe: HttpProbeSettings::new("/api/v1/health", ProbePort::Http, 5, 10, 5, 3),
            readiness_probe: HttpProbeSettings::new("/api/v1/health", ProbePort::Http, 5, 5, 3, 3),
            autoscaling: AutoscalingSettings { enabled: false, min_replicas: 2, max_replicas: 10, target_cpu_utilization_percentage: 70, target_memory_utilization_percentage: 80 },
            pod_disruption_budget: DisruptionBudgetSettings::min_available(false, 1),
            network_policy: NetworkPolicySettings { enabled: false, allowed_namespaces: Vec::new(), allowed_pod_labels: StringMap::new() },
            extra_env: Vec::new(),
            extra_volume_mounts: Vec::new(),
            extra_volumes: Vec::new(),
            cloudnativepg: CloudNativePg { enabled: false, instances: 3, storage: StorageSettings::new("10Gi"), backup: ClusterBackupSettings::new("0 0 * * *") },
            gateway_api: GatewayApi { enabled: false, parent_refs: Vec::new() },
        }
    }
}

// ----- objects -----------------------------------------------------------------------------

fn build(v: &ValuesKnobs) -> Model {
    let mut m = Model::new();
    let db = &v.postgresql.external;
    let secrets = &v.secrets;
    let existing = secrets.existing_secret.is_set();
    // Where the DSN comes from: the `dsn` setting, one composed from `host` and the rest, or
    // (neither set) the existing Secret.
    let (by_dsn, by_host) = (db.dsn.is_set(), db.dsn.is_set().not().and(db.host.is_set()));
    let cnpg = &v.cloudnativepg;
    let bundled = cnpg.enabled.expr();

    // ----- pre-flight
    m.reject_when(
        by_dsn.or(&by_host).or(&existing).or(&bundled).not(),
        "DBBat needs its PostgreSQL database: set postgresql.external.dsn, or postgresql.external.host (with database, \
         username and a password), or secrets.existingSecret with the DSN under secrets.keys.dsn, or cloudnativepg.enabled",
    );
    m.reject_when(bundled.and(by_dsn.or(&by_host)), "cloudnativepg.enabled gives DBBat its own database: leave postgresql.external.dsn and postgresql.external.host empty");
    m.reject_when(
        secrets.encryption_key.is_set().or(&existing).or(v.config.key_file.is_set()).not(),
        "DBBat needs its encryption key: set secrets.existingSecret (a Secret with the key under secrets.keys.encryptionKey), \
         secrets.encryptionKey (openssl rand -base64 32) or config.keyFile",
    );
    // `loadEncryptionKey` (upstream internal/config/config.go) decodes standard base64 and wants
    // exactly 32 bytes, or DBBat stops at start.
    m.reject_when(
        existing.not().and(secrets.encryption_key.is_set()).and(secrets.encryption_key.expr().matches(r"^[A-Za-z0-9+/]{43}=$").not()),
        "secrets.encryptionKey: DBBat reads it as standard base64 of exactly 32 bytes and stops at start otherwise: 44 characters \
         ending in '=', as `openssl rand -base64 32` prints",
    );
    let root_cert = &db.ssl_root_cert;
    m.reject_when(
        root_cert.existing_secret.is_set().and(db.ssl_mode.is(SslMode::Disable)),
        "postgresql.external.sslRootCert verifies the database's certificate, which sslMode disable never asks for: set sslMode \
         verify-full (or verify-ca), or leave sslRootCert.existingSecret empty",
    );
    m.reject_when(v.gateway_api.enabled.and(v.service.proxy.enabled.not()), "gatewayAPI.enabled routes to the proxy Service: set service.proxy.enabled too");
    m.reject_when(v.gateway_api.enabled.and(v.gateway_api.parent_refs.raw().is_set().not()), "gatewayAPI.parentRefs: name at least one Gateway");

    // ----- cloudnativepg.yaml (phase 4): the database as a CloudNativePG cluster, and its backups
    let meta = || Meta::new(fullname_with("postgresql")).component("postgresql").template_file("cloudnativepg.yaml");
    let cluster = m.add_when(
        &bundled,
        Cluster::builder()
            .meta(meta())
            .instances(&cnpg.instances)
            .image_name("")
            .storage_size(&cnpg.storage.size)
            .storage_class(&cnpg.storage.storage_class)
            .database("dbbat")
            .image_pull_secrets(v.pod.image_pull_secrets.raw())
            .backup(cnpg.backup.store())
            .service_account_annotations(cnpg.backup.service_account_annotations())
            .build(),
    );
    cnpg.backup.add_schedule(&mut m, meta(), &cluster, &bundled, "cloudnativepg.enabled");

    // ----- configmap.yaml: plain settings, one environment variable each, every one a variable
    // DBBat reads (`internal/config/config.go`, prefix DBB_)
    let config = m.add(
        ConfigMap::builder()
            .meta(Meta::new(fullname()))
            .data(
                Map::new()
                    .str("DBB_LISTEN_PG", &v.config.listen_pg)
                    .str("DBB_LISTEN_API", &v.config.listen_api)
                    // The other proxies listen by default (`defaultConfig`); an empty address
                    // turns one off (`startOracleProxy` and the rest). The chart gives them no
                    // port, Service or NetworkPolicy rule.
                    .str("DBB_LISTEN_ORA", "")
                    .str("DBB_LISTEN_MYSQL", "")
                    .str("DBB_LISTEN_MONGO", "")
                    .str("DBB_LISTEN_MSSQL", "")
                    .str("DBB_BASE_URL", &v.config.base_url)
                    .when(v.config.run_mode.is_set(), Map::new().str("DBB_RUN_MODE", &v.config.run_mode))
                    .when(v.config.key_file.is_set(), Map::new().str("DBB_KEYFILE", &v.config.key_file)),
            )
            .build(),
    );

    // The DSN composed from `host`: the driver (uptrace/bun's pgdriver) parses it with Go's
    // `net/url`, so every part a setting gives is percent-encoded but the host; `sslrootcert`
    // names the mounted CA certificate.
    let root_cert_path = concat([format!("{SSL_ROOT_CERT_DIR}/").into(), root_cert.key.expr()]);
    let composed = |password: Expr<String>| {
        text!(
            "postgres://{}:{}@{}:{}/{}?sslmode={}{}",
            db.username.expr().percent_encoded(),
            password,
            &db.host,
            &db.port,
            db.database.expr().percent_encoded(),
            &db.ssl_mode,
            root_cert.existing_secret.is_set().then(concat(["&sslrootcert=".into(), root_cert_path.clone()]), "")
        )
    };

    // ----- secret.yaml: only without secrets.existingSecret, under the default key names
    let password = secrets.database_password.or_else(&db.password);
    let rendered = m.add_when(
        existing.not(),
        Secret::builder()
            .meta(Meta::new(fullname()))
            .string_data(
                Map::new()
                    .when(secrets.encryption_key.is_set(), Map::new().str("DBB_KEY", &secrets.encryption_key))
                    .when(&by_dsn, Map::new().str("DBB_DSN", &db.dsn))
                    .when(&by_host, Map::new().str("DBB_DSN", composed(password.percent_encoded()))),
            )
            .build(),
    );
    // A DSN from values carries a password: it goes to a Secret even when an existing Secret
    // holds the rest, into the same template file so that `checksum/secret` covers it.
    let dsn_only = m.add_when(
        existing.and(&by_dsn),
        Secret::builder().meta(Meta::new(fullname_with("dsn")).template_file("secret.yaml")).string_data(Map::new().str("DBB_DSN", &db.dsn)).build(),
    );
    let dsn_secret = SecretRef::choose(&existing, &dsn_only, &rendered);
    let secret = SecretRef::existing_or(&secrets.existing_secret, &rendered);
    m.external::<Secret>(&secrets.existing_secret);
    // Key names: the operator's in an existing Secret, the chart's own otherwise.
    let key = |custom: &kforge::Knob<ConfigKey>, own: &str| existing.then(custom, own);

    // ----- deployment.yaml
    let env = List::new()
        .when(v.config.key_file.is_set().not(), List::new().push(EnvVar::secret("DBB_KEY", &secret, key(&secrets.keys.encryption_key, "DBB_KEY"), false)))
        // The chart's own DSN: `dsn` as given, or composed from `host` with the password encoded.
        .when(by_dsn.or(by_host.and(existing.not())), List::new().push(EnvVar::secret("DBB_DSN", &dsn_secret, "DBB_DSN", false)))
        // `host` with the password in the existing Secret, which the chart never sees: Kubernetes
        // expands $(DB_PASSWORD), defined before, as it is (percent-encoded by the operator).
        .when(
            by_host.and(&existing),
            List::new().push(EnvVar::secret("DB_PASSWORD", &secret, &secrets.keys.database_password, false)).push(EnvVar::value("DBB_DSN", composed("$(DB_PASSWORD)".into()))),
        )
        .when(by_dsn.or(&by_host).or(&bundled).not(), List::new().push(EnvVar::secret("DBB_DSN", &secret, &secrets.keys.dsn, false)))
        .when(&bundled, List::new().push(EnvVar::secret("DBB_DSN", &cluster.app_secret(), "uri", false)))
        .extend_from(&v.extra_env);

    let mut dbbat = Container::builder()
        .name("dbbat")
        .image(v.image.reference())
        .image_pull_policy(&v.image.pull_policy)
        .env_from(List::new().push(kforge::objects::EnvFrom::config_map(&config)))
        .env(env)
        .resources(v.resources.whole().raw())
        .security_context(v.pod.security_context.raw())
        .build();
    let http = dbbat.port("http", v.config.listen_api.port());
    let postgres = dbbat.port("postgres", v.config.listen_pg.port());
    // The root filesystem is read-only: with its key given, DBBat 0.25.2 writes no file (dumps,
    // off unless DBB_DUMP_DIR is set, would need a volume of their own). /tmp stays writable.
    dbbat.mount(&Volume::empty_dir("tmp"), "/tmp");
    dbbat.mount_when(root_cert.existing_secret.is_set(), &Volume::new("postgresql-ca", VolumeSource::Secret(root_cert.existing_secret.expr())), SSL_ROOT_CERT_DIR);
    m.external::<Secret>(&root_cert.existing_secret);
    dbbat.mounts_from(v.extra_volume_mounts.raw());
    let liveness = v.liveness_probe.probe(&mut m, &[&http, &postgres]);
    let readiness = v.readiness_probe.probe(&mut m, &[&http, &postgres]);
    dbbat.liveness(liveness);
    dbbat.readiness(readiness);

    v.pod.service_account.add_to(&mut m);

    let mut pod = v.pod.pod(vec![dbbat], &[("config", "configmap.yaml"), ("secret", "secret.yaml")]);
    pod.extra_volumes = Some(v.extra_volumes.raw());
    // What extraVolumes name (a Secret with the key file, say) is the operator's to provide.
    m.external_volumes(v.extra_volumes.raw());
    m.external_env(v.extra_env.raw());
    let deployment = m.add(Deployment::builder().meta(Meta::new(fullname())).replicas(&v.replica_count).replicas_unless(&v.autoscaling.enabled).pod(pod).build());

    // ----- service.yaml, service-pg.yaml
    let (api, api_http) = v.service.api.service(Meta::new(fullname()), &deployment, "http", &http);
    m.add(api);
    let proxy = &v.service.proxy;
    let mut pg = Service::builder()
        .meta(Meta::new(fullname_with("pg")).component("proxy").template_file("service-pg.yaml").annotations(Map::new().spread(&proxy.annotations)))
        .type_(&proxy.type_)
        .selects(&deployment)
        .ports(List::new())
        .build();
    let pg_port = pg.port(ServicePort::new("postgres", &proxy.port, &postgres).node_port_when(proxy.type_.is(ServiceType::NodePort), &proxy.node_port));
    m.add_when(&proxy.enabled, pg);

    // ----- ingress.yaml, serviceaccount.yaml (above), hpa.yaml, pdb.yaml, networkpolicy.yaml
    v.ingress.add_to(&mut m, &api_http);
    v.autoscaling.add_to(&mut m, &deployment);
    v.pod_disruption_budget.add_to(&mut m, &deployment);
    let policy = &v.network_policy;
    m.add_when(
        &policy.enabled,
        NetworkPolicy::builder()
            .meta(Meta::new(fullname()))
            .selects(&deployment)
            .ingress(vec![NetworkPolicyRule::to(&[&http, &postgres]).from_namespaces(&policy.allowed_namespaces).from_pods(&policy.allowed_pod_labels)])
            .build(),
    );

    // ----- tcproute.yaml (phase 3): the proxy through a Gateway's TCP listener
    m.add_when(
        v.gateway_api.enabled.and(&proxy.enabled),
        TcpRoute::builder()
            .meta(Meta::new(fullname_with("pg")).component("proxy").template_file("tcproute.yaml"))
            .parent_refs(List::new().each(&v.gateway_api.parent_refs, "parent", |p: ParentRefKnobs| {
                Map::new()
                    .str("name", &p.name)
                    .when(p.namespace.is_set(), Map::new().str("namespace", &p.namespace))
                    .when(p.section_name.is_set(), Map::new().str("sectionName", &p.section_name))
                    .into()
            }))
            .backend(&pg_port)
            .build(),
    );

    // ----- NOTES.txt
    let api_port = v.service.api.port.string();
    let pg_port = proxy.port.string();
    m.notes(vec![
        Line::installed("DBBat"),
        Line::text(""),
        Line::choose(
            &v.ingress.enabled,
            vec![Line::text("REST API and Web UI: through the Ingress, on the hosts of ingress.hosts (Web UI under config.baseUrl).")],
            vec![
                Line::choose(
                    v.service.api.type_.is(ServiceType::LoadBalancer),
                    vec![Line::of([
                        "REST API and Web UI: http://<EXTERNAL-IP>:".into(),
                        api_port.clone(),
                        " once `kubectl get svc -n ".into(),
                        kforge::release_namespace(),
                        " ".into(),
                        fullname(),
                        "` shows the load balancer's address.".into(),
                    ])],
                    vec![Line::port_forward("REST API and Web UI", fullname(), api_port.clone(), api_port.clone())],
                ),
                Line::when(
                    v.service.api.type_.is(ServiceType::NodePort),
                    vec![Line::of([
                        "  or on any node: kubectl get svc -n ".into(),
                        kforge::release_namespace(),
                        " ".into(),
                        fullname(),
                        " -o jsonpath='{.spec.ports[0].nodePort}'".into(),
                    ])],
                ),
            ],
        ),
        Line::choose(
            &proxy.enabled,
            vec![
                Line::choose(
                    proxy.type_.is(ServiceType::LoadBalancer),
                    vec![Line::of([
                        "PostgreSQL proxy: psql -h <EXTERNAL-IP> -p ".into(),
                        pg_port.clone(),
                        " once `kubectl get svc -n ".into(),
                        kforge::release_namespace(),
                        " ".into(),
                        fullname_with("pg"),
                        "` shows the load balancer's address.".into(),
                    ])],
                    vec![
                        Line::port_forward("PostgreSQL proxy", fullname_with("pg"), pg_port.clone(), pg_port.clone()),
                        Line::of(["  then: psql -h 127.0.0.1 -p ".into(), pg_port.clone(), " -U <user> <database>".into()]),
                    ],
                ),
                Line::when(
                    proxy.type_.is(ServiceType::NodePort),
                    vec![Line::of([
                        "  or on any node: kubectl get svc -n ".into(),
                        kforge::release_namespace(),
                        " ".into(),
                        fullname_with("pg"),
                        " -o jsonpath='{.spec.ports[0].nodePort}'".into(),
                    ])],
                ),
                Line::when(&v.gateway_api.enabled, vec![Line::text("  The proxy is also routed through the Gateways of gatewayAPI.parentRefs (TCPRoute).")]),
                Line::of(["  Inside the cluster: ".into(), concat([fullname_with("pg"), ".".into(), kforge::release_namespace(), ".svc:".into(), pg_port.clone()])]),
            ],
            vec![Line::text("The PostgreSQL proxy Service is off (service.proxy.enabled=false).")],
        ),
        Line::when(existing.not(), vec![Line::text(""), Line::text("Secrets are stored from values: prefer secrets.existingSecret in production.")]),
        Line::text(""),
        Line::choose(
            v.config.run_mode.is(RunMode::Demo),
            vec![
                Line::text("runMode demo: every start drops DBBat's tables and seeds its demo data again, with the accounts admin/admin,"),
                Line::text("viewer/viewer and connector/connector; the admin password cannot be changed in this mode. Keep it away from data that matters."),
            ],
            vec![Line::choose(
                v.config.run_mode.is(RunMode::Test),
                vec![
                    Line::text("runMode test: every start drops DBBat's tables and creates the accounts admin/admintest, viewer/viewer,"),
                    Line::text("connector/connector and the API keys dbb_admin_key, dbb_connector_key, dbb_viewer_key: for tests only."),
                ],
                vec![
                    Line::text("WARNING: at its first start, on an empty database, DBBat creates the account admin with the password admin."),
                    Line::text("Until that password is changed the Web UI refuses admin a session, but the REST API accepts admin:admin (HTTP Basic)."),
                    Line::when(
                        &v.ingress.enabled,
                        vec![Line::text("The Ingress exposes the REST API on the hosts of ingress.hosts now: change the password before anything else.")],
                    ),
                    Line::text("Change it in the Web UI (log in as admin/admin: it asks for a new password), or:"),
                    Line::of([
                        "  kubectl port-forward -n ".into(),
                        kforge::release_namespace(),
                        " svc/".into(),
                        fullname(),
                        " ".into(),
                        api_port.clone(),
                        ":".into(),
                        api_port.clone(),
                        " &".into(),
                    ]),
                    Line::of(["  curl -X PUT http://127.0.0.1:".into(), api_port.clone(), "/api/v1/auth/password -H 'Content-Type: application/json' \\".into()]),
                    Line::text("    -d '{\"username\":\"admin\",\"current_password\":\"admin\",\"new_password\":\"<8 characters or more>\"}'"),
                ],
            )],
        ),
    ]);
    m
}
