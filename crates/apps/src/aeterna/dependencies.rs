//! The dependencies of the design's "Dependency Management" section: the vector backend, the
//! Redis-compatible cache and PostgreSQL. Each is bundled (rendered by the chart itself as typed
//! objects, so nothing is downloaded at install time) or external, and the server reaches
//! either through the same connection settings ([`Endpoints`]).

use kforge::SecretString;
use kforge::kit::{ClusterBackupSettings, Image, Resources, StorageSettings, StorageSettingsKnobs};
use kforge::objects::{ClaimTemplate, Cluster, EnvVar, NetworkPolicy, NetworkPolicyRule, PortRef, Probe, Service, ServicePort, StatefulSet, Volume, Workload};
use kforge::{ConfigKey, DnsName, Expr, Knobs, List, Meta, Model, Node, ObjectRef, Port, concat, fullname_with, string_enum};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ValuesKnobs, container, pod};

// ----- vectorBackend -----------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VectorBackend {
    /// The primary backend. Only it may be `enabled` among the managed ones: one primary.
    #[serde(rename = "type")]
    pub type_: VectorBackendType,
    /// Qdrant: bundled (a StatefulSet) or external.
    pub qdrant: Qdrant,
    /// pgvector: vectors in the PostgreSQL database (the bundled cluster gets the extension
    /// when `postgresql.pgvector.enabled`).
    pub pgvector: Toggle,
    /// Pinecone (managed cloud).
    pub pinecone: Pinecone,
    /// Weaviate (hybrid search), external.
    pub weaviate: Weaviate,
    /// MongoDB Atlas (managed).
    pub mongodb: MongoDb,
    /// Vertex AI Vector Search (Google Cloud).
    pub vertex_ai: VertexAi,
    /// Databricks Vector Search (Unity Catalog).
    pub databricks: Databricks,
}

string_enum!(
    /// The primary vector backend.
    VectorBackendType {
        Qdrant = "qdrant",
        Pgvector = "pgvector",
        Pinecone = "pinecone",
        Weaviate = "weaviate",
        Mongodb = "mongodb",
        VertexAi = "vertex-ai",
        Databricks = "databricks",
    } default Qdrant
);

#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Toggle {
    /// Use this backend (it must then be `vectorBackend.type`).
    pub enabled: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Qdrant {
    /// Deploy Qdrant with the chart; false uses `external`.
    pub enabled: bool,
    /// The bundled Qdrant's image.
    pub image: Image,
    /// The bundled Qdrant's volume.
    pub storage: StorageSettings,
    /// The bundled Qdrant's resources.
    pub resources: Resources,
    /// An existing Qdrant.
    pub external: ExternalQdrant,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalQdrant {
    /// Host name of the Qdrant HTTP API.
    pub host: String,
    /// Port of the Qdrant HTTP API.
    pub port: Port,
    /// API key (stored in the chart's Secret; prefer existingSecret).
    pub api_key: SecretString,
    /// Existing Secret with the API key.
    pub existing_secret: DnsName,
    /// Key of the API key in existingSecret.
    pub existing_secret_key: ConfigKey,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pinecone {
    /// Use Pinecone (it must then be `vectorBackend.type`).
    pub enabled: bool,
    /// API key (stored in the chart's Secret; prefer existingSecret).
    pub api_key: SecretString,
    /// Pinecone environment.
    pub environment: String,
    /// Index name.
    pub index_name: String,
    /// Existing Secret with the API key under `api-key`.
    pub existing_secret: DnsName,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Weaviate {
    /// Use Weaviate (it must then be `vectorBackend.type`).
    pub enabled: bool,
    /// An existing Weaviate.
    pub external: ExternalWeaviate,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalWeaviate {
    /// Weaviate URL (`https://weaviate.example.com`).
    pub host: String,
    /// API key, if the instance requires one (stored in the chart's Secret).
    pub api_key: SecretString,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MongoDb {
    /// Use MongoDB Atlas Vector Search (it must then be `vectorBackend.type`).
    pub enabled: bool,
    /// Connection URI with credentials (stored in the chart's Secret; prefer existingSecret).
    pub uri: SecretString,
    /// Existing Secret with the URI under `uri`.
    pub existing_secret: DnsName,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VertexAi {
    /// Use Vertex AI Vector Search (it must then be `vectorBackend.type`).
    pub enabled: bool,
    /// Google Cloud project.
    pub project_id: String,
    /// Region of the index.
    pub region: String,
    /// Index endpoint.
    pub index_endpoint: String,
    /// Service account key JSON (stored in the chart's Secret; prefer existingSecret).
    pub service_account_json: SecretString,
    /// Existing Secret with the key JSON under `service-account.json`.
    pub existing_secret: DnsName,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Databricks {
    /// Use Databricks Vector Search (it must then be `vectorBackend.type`).
    pub enabled: bool,
    /// Workspace URL.
    pub workspace_url: String,
    /// Access token (stored in the chart's Secret; prefer existingSecret).
    pub token: SecretString,
    /// Unity Catalog name.
    pub catalog: String,
    /// Existing Secret with the token under `token`.
    pub existing_secret: DnsName,
}

// ----- cache -------------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cache {
    /// Which cache: bundled Dragonfly or Valkey, or an external Redis-compatible server.
    #[serde(rename = "type")]
    pub type_: CacheType,
    /// Dragonfly (Apache-2.0, Redis-compatible), a StatefulSet.
    pub dragonfly: BundledCache,
    /// Valkey (BSD-3, the Redis fork), a StatefulSet.
    pub valkey: BundledCache,
    /// An existing Redis-compatible server.
    pub external: ExternalCache,
}

string_enum!(
    /// The cache.
    CacheType { Dragonfly = "dragonfly", Valkey = "valkey", External = "external" } default Dragonfly
);

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BundledCache {
    /// Deploy it (needed when `cache.type` names it).
    pub enabled: bool,
    /// Pods: 1. Each would be a standalone server behind one Service (no replication: Sentinel
    /// and cluster modes are out of scope), which splits the cache and OPAL's broadcast.
    #[schemars(range(max = 1))]
    pub replicas: u16,
    /// Image.
    pub image: Image,
    /// Resources.
    pub resources: Resources,
    /// Volume for snapshots.
    pub storage: StorageSettings,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalCache {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: Port,
    /// Password (stored in the chart's Secret; prefer existingSecret).
    pub password: SecretString,
    /// Existing Secret with the password.
    pub existing_secret: DnsName,
    /// Key of the password in existingSecret.
    pub existing_secret_key: ConfigKey,
}

// ----- postgresql --------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Postgresql {
    /// Deploy a CloudNativePG cluster (the operator must be installed); false uses `external`.
    pub enabled: bool,
    /// PostgreSQL image of the cluster; empty leaves the operator's default (a `system` image).
    /// `pgvector.enabled` needs the pgvector extension (CloudNativePG's `standard` and `system`
    /// images, not `minimal`); `backup.enabled` the Barman Cloud binaries (`system` images only).
    pub image_name: String,
    /// PostgreSQL instances (one primary, the rest replicas); at least 1, as the Cluster CRD asks.
    pub instances: std::num::NonZeroU16,
    /// Volume of each instance.
    pub storage: StorageSettings,
    /// The pgvector extension in the application database.
    pub pgvector: Toggle,
    /// Backups of the cluster to object storage.
    pub backup: ClusterBackupSettings,
    /// An existing PostgreSQL.
    pub external: ExternalPostgresql,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalPostgresql {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: Port,
    /// Database.
    pub database: String,
    /// User name.
    pub username: String,
    /// Password (stored in the chart's Secret; prefer existingSecret).
    pub password: SecretString,
    /// Existing Secret with the password.
    pub existing_secret: DnsName,
    /// Key of the password in existingSecret.
    pub existing_secret_key: ConfigKey,
}

impl Default for VectorBackend {
    fn default() -> Self {
        let off = || DnsName::default();
        VectorBackend {
            type_: VectorBackendType::Qdrant,
            qdrant: Qdrant {
                enabled: true,
                // The image upstream builds with `USER_ID=1000` (its `.github/workflows/docker-image.yml`):
                // the standard one runs as root, and the pods run as UID 1000.
                image: Image { tag: "v1.13.6-unprivileged".into(), ..Image::new("docker.io/qdrant/qdrant") },
                storage: StorageSettings::new("10Gi"),
                resources: Resources::cpu_memory(("250m", "512Mi"), ("2", "2Gi")),
                external: ExternalQdrant {
                    host: String::new(),
                    port: Port(6333),
                    api_key: SecretString::default(),
                    existing_secret: off(),
                    existing_secret_key: ConfigKey::new("api-key"),
                },
            },
            pgvector: Toggle { enabled: false },
            pinecone: Pinecone { enabled: false, api_key: SecretString::default(), environment: String::new(), index_name: String::new(), existing_secret: off() },
            weaviate: Weaviate { enabled: false, external: ExternalWeaviate { host: String::new(), api_key: SecretString::default() } },
            mongodb: MongoDb { enabled: false, uri: SecretString::default(), existing_secret: off() },
            vertex_ai: VertexAi {
                enabled: false,
                project_id: String::new(),
                region: String::new(),
                index_endpoint: String::new(),
                service_account_json: SecretString::default(),
                existing_secret: off(),
            },
            databricks: Databricks { enabled: false, workspace_url: String::new(), token: SecretString::default(), catalog: String::new(), existing_secret: off() },
        }
    }
}

impl Default for Cache {
    fn default() -> Self {
        Cache {
            type_: CacheType::Dragonfly,
            dragonfly: BundledCache {
                enabled: true,
                replicas: 1,
                image: Image { tag: "v1.30.3".into(), ..Image::new("docker.dragonflydb.io/dragonflydb/dragonfly") },
                resources: Resources::cpu_memory(("100m", "256Mi"), ("1", "1Gi")),
                storage: StorageSettings::new("1Gi"),
            },
            valkey: BundledCache {
                enabled: false,
                replicas: 1,
                image: Image { tag: "8.1".into(), ..Image::new("docker.io/valkey/valkey") },
                resources: Resources::cpu_memory(("100m", "128Mi"), ("1", "512Mi")),
                storage: StorageSettings::new("1Gi"),
            },
            external: ExternalCache {
                host: String::new(),
                port: Port(6379),
                password: SecretString::default(),
                existing_secret: DnsName::default(),
                existing_secret_key: ConfigKey::new("redis-password"),
            },
        }
    }
}

impl Default for Postgresql {
    fn default() -> Self {
        Postgresql {
            enabled: true,
            image_name: String::new(),
            instances: std::num::NonZeroU16::new(3).unwrap_or(std::num::NonZeroU16::MIN),
            storage: StorageSettings::new("10Gi"),
            pgvector: Toggle { enabled: true },
            backup: ClusterBackupSettings::new("0 2 * * *"),
            external: ExternalPostgresql {
                host: String::new(),
                port: Port(5432),
                database: "aeterna".into(),
                username: String::new(),
                password: SecretString::default(),
                existing_secret: DnsName::default(),
                existing_secret_key: ConfigKey::new("password"),
            },
        }
    }
}

// ----- objects -----------------------------------------------------------------------------

/// How the server reaches each dependency, bundled or external alike.
pub struct Endpoints {
    /// PostgreSQL host, port and database.
    pub postgres_host: Expr<String>,
    pub postgres_port: Expr<String>,
    pub postgres_database: Expr<String>,
    /// The bundled cluster, whose operator-made Secret holds the user and password.
    pub cluster: ObjectRef<Cluster>,
    pub bundled_postgres: Expr<bool>,
    /// Redis host and port.
    pub redis_host: Expr<String>,
    pub redis_port: Expr<String>,
    /// Qdrant's HTTP API, host and port.
    pub qdrant_host: Expr<String>,
    pub qdrant_port: Expr<String>,
    /// The bundled workloads, for network policies.
    workloads: Vec<(ObjectRef<StatefulSet>, Expr<bool>, Vec<PortRef>)>,
}

/// The database name and owner of the bundled cluster.
const DATABASE: &str = "aeterna";

pub fn add_to(m: &mut Model, v: &ValuesKnobs) -> Endpoints {
    let pg = &v.postgresql;
    let storage_class = |s: &StorageSettingsKnobs| s.storage_class.or_else(&v.global.storage_class);

    // ----- dependencies/postgresql.yaml: a CloudNativePG Cluster, and its ScheduledBackup
    let file = "dependencies/postgresql.yaml";
    let cluster = m.add_when(
        &pg.enabled,
        Cluster::builder()
            .meta(Meta::new(fullname_with("postgresql")).component("postgresql").template_file(file))
            .instances(&pg.instances)
            .image_name(with_registry(v, &pg.image_name))
            .storage_size(&pg.storage.size)
            .storage_class(storage_class(&pg.storage))
            .database(DATABASE)
            .post_init_sql(List::new().when(&pg.pgvector.enabled, List::new().push(Node::str("CREATE EXTENSION IF NOT EXISTS vector;"))))
            .image_pull_secrets(v.global.image_pull_secrets.raw())
            .backup(pg.backup.store())
            .service_account_annotations(pg.backup.service_account_annotations())
            .build(),
    );
    let meta = Meta::new(fullname_with("postgresql")).component("postgresql").template_file(file);
    pg.backup.add_schedule(m, meta, &cluster, &pg.enabled, "postgresql.enabled");

    // ----- dependencies/dragonfly.yaml, dependencies/valkey.yaml, dependencies/qdrant.yaml
    let cache = &v.cache;
    let dragonfly_on = cache.type_.is(CacheType::Dragonfly).and(&cache.dragonfly.enabled);
    let valkey_on = cache.type_.is(CacheType::Valkey).and(&cache.valkey.enabled);
    let dragonfly = bundled_server(
        m,
        v,
        Server {
            name: "dragonfly",
            knobs: &cache.dragonfly,
            on: dragonfly_on.clone(),
            // Snapshots to the volume; `--cache_mode` evicts like a cache instead of refusing writes.
            args: &["--dir=/data", "--cache_mode=true", "--port=6379"],
            port: ("redis", 6379),
            data: "/data",
        },
    );
    let valkey = bundled_server(
        m,
        v,
        Server {
            name: "valkey",
            knobs: &cache.valkey,
            on: valkey_on.clone(),
            args: &["--dir", "/data", "--save", "3600 1", "--port", "6379"],
            port: ("redis", 6379),
            data: "/data",
        },
    );
    let vb = &v.vector_backend;
    let qdrant_on = vb.type_.is(VectorBackendType::Qdrant).and(&vb.qdrant.enabled);
    let qdrant = qdrant_server(m, v, qdrant_on.clone());

    let redis_host = cache.type_.is(CacheType::External).then(&cache.external.host, dragonfly_on.then(dragonfly.0.name(), valkey.0.name()));
    let redis_port = cache.type_.is(CacheType::External).then(cache.external.port.string(), Expr::from("6379"));
    let qdrant_host = qdrant_on.then(qdrant.0.name(), &vb.qdrant.external.host);
    let qdrant_port = qdrant_on.then(Expr::from("6333"), vb.qdrant.external.port.string());
    Endpoints {
        postgres_host: pg.enabled.then(cluster.read_write_service(), &pg.external.host),
        postgres_port: pg.enabled.then(Expr::from("5432"), pg.external.port.string()),
        postgres_database: pg.enabled.then(Expr::from(DATABASE), &pg.external.database),
        cluster,
        bundled_postgres: pg.enabled.expr(),
        redis_host,
        redis_port,
        qdrant_host,
        qdrant_port,
        workloads: vec![(dragonfly.0, dragonfly_on, dragonfly.1), (valkey.0, valkey_on, valkey.1), (qdrant.0, qdrant_on, qdrant.1)],
    }
}

/// An image reference behind `global.imageRegistry` when both are set.
fn with_registry(v: &ValuesKnobs, image: &kforge::Knob<String>) -> Expr<String> {
    let registry = &v.global.image_registry;
    registry.is_set().and(image.is_set()).then(concat([registry.expr(), "/".into(), image.expr()]), image.expr())
}

struct Server<'a> {
    name: &'static str,
    knobs: &'a BundledCacheKnobs,
    on: Expr<bool>,
    args: &'static [&'static str],
    port: (&'static str, i64),
    data: &'static str,
}

/// A standalone Redis-compatible server: a StatefulSet with one volume, its governing headless
/// Service (the pods' DNS names) and the Service clients use.
fn bundled_server(m: &mut Model, v: &ValuesKnobs, s: Server) -> (ObjectRef<StatefulSet>, Vec<PortRef>) {
    let file = format!("dependencies/{}.yaml", s.name);
    let k = s.knobs;
    let data = ClaimTemplate::new("data", &k.storage.size, k.storage.storage_class.or_else(&v.global.storage_class));
    let mut c = container(v, s.name, &k.image, &k.resources);
    c.args = s.args.iter().map(|a| Expr::from(*a)).collect();
    let port = c.port(s.port.0, s.port.1);
    c.mount(&data.volume(), s.data);
    c.liveness(Probe::tcp(&port).initial_delay(10).period(10));
    c.readiness(Probe::tcp(&port).initial_delay(5).period(5));
    let headless = Meta::new(fullname_with(&format!("{}-headless", s.name))).component(s.name).template_file(&file);
    let (set, _) = m.add_governed_when(s.on.clone(), headless, vec![ServicePort::new(s.port.0, s.port.1, &port)], |headless| {
        StatefulSet::builder()
            .meta(Meta::new(fullname_with(s.name)).component(s.name).template_file(&file))
            .replicas(&k.replicas)
            .service_name(headless)
            .claim_templates(vec![data])
            .pod(pod(v, vec![c]))
            .build()
    });
    m.add_when(
        s.on,
        Service::builder()
            .meta(Meta::new(fullname_with(s.name)).component(s.name).template_file(&file))
            .selects(&set)
            .ports(List::new().push(ServicePort::new(s.port.0, s.port.1, &port)))
            .build(),
    );
    (set, vec![port])
}

fn qdrant_server(m: &mut Model, v: &ValuesKnobs, on: Expr<bool>) -> (ObjectRef<StatefulSet>, Vec<PortRef>) {
    let q = &v.vector_backend.qdrant;
    let file = "dependencies/qdrant.yaml";
    let storage = ClaimTemplate::new("storage", &q.storage.size, q.storage.storage_class.or_else(&v.global.storage_class));
    let mut c = container(v, "qdrant", &q.image, &q.resources);
    let http = c.port("http", 6333);
    let grpc = c.port("grpc", 6334);
    c.mount(&storage.volume(), "/qdrant/storage");
    // Snapshots, temporary files and the marker Qdrant writes once started (in its working
    // directory unless QDRANT_INIT_FILE_PATH moves it, as Qdrant's own Helm chart does): the root
    // filesystem is read-only.
    c.env = List::new().push(EnvVar::value("QDRANT_INIT_FILE_PATH", "/qdrant/init/.qdrant-initialized"));
    c.mount(&Volume::empty_dir("snapshots"), "/qdrant/snapshots");
    c.mount(&Volume::empty_dir("init"), "/qdrant/init");
    c.mount(&Volume::empty_dir("tmp"), "/tmp");
    c.liveness(Probe::http("/healthz", &http).initial_delay(10).period(10));
    c.readiness(Probe::http("/readyz", &http).initial_delay(5).period(5));
    let headless = Meta::new(fullname_with("qdrant-headless")).component("qdrant").template_file(file);
    let ports = vec![ServicePort::new("http", 6333, &http), ServicePort::new("grpc", 6334, &grpc)];
    let (set, _) = m.add_governed_when(on.clone(), headless, ports, |headless| {
        StatefulSet::builder()
            .meta(Meta::new(fullname_with("qdrant")).component("qdrant").template_file(file))
            .replicas(1)
            .service_name(headless)
            .claim_templates(vec![storage])
            .pod(pod(v, vec![c]))
            .build()
    });
    m.add_when(
        on,
        Service::builder()
            .meta(Meta::new(fullname_with("qdrant")).component("qdrant").template_file(file))
            .selects(&set)
            .ports(List::new().push(ServicePort::new("http", 6333, &http)).push(ServicePort::new("grpc", 6334, &grpc)))
            .build(),
    );
    (set, vec![http, grpc])
}

/// With `security.networkPolicy.enabled`, each bundled server accepts connections only from
/// the workloads that use it.
pub fn isolate(m: &mut Model, v: &ValuesKnobs, endpoints: &Endpoints, clients: &[(&dyn Workload, Expr<bool>)]) {
    for (set, on, ports) in &endpoints.workloads {
        let component = set.component().unwrap_or_default();
        let rule = clients.iter().fold(NetworkPolicyRule::to(&ports.iter().collect::<Vec<_>>()), |r, (w, cond)| r.from_workload(*w, cond.clone()));
        m.add_when(
            v.security.network_policy.enabled.and(on.clone()),
            NetworkPolicy::builder()
                .meta(Meta::new(fullname_with(component)).component(component).template_file("aeterna/networkpolicy.yaml"))
                .selects(set)
                .ingress(vec![rule])
                .build(),
        );
    }
}
