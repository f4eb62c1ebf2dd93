//! acme-deploy: a team's own application, Valkey as a cache, in a crate of its own. `main` is
//! one line; the command line is kforge's.
//!
//! The objects: a StatefulSet with a claim per pod behind a headless Service, a ClusterIP
//! Service for clients, a ConfigMap with `valkey.conf` built from the values, an optional
//! PodDisruptionBudget, a nightly CronJob that has Valkey save its data set, the password
//! from the chart's Secret or an existing one, and, with `tls.enabled`, a TLS port whose key pair
//! a cert-manager `Certificate` makes (its types imported with `kforge crd import` into
//! `src/crds/`). The pod
//! settings `helm create` keeps at the top level (`podAnnotations`, `nodeSelector`,
//! `tolerations`, ...) are the kit's section, flattened.

mod crds;

use std::process::ExitCode;

use crds::certificate::v1::Certificate;

use kforge::kit::{DisruptionBudgetSettings, Image, PodSettings, Resources, ServiceSettings, StorageSettings};
use kforge::objects::{Args, ClaimTemplate, ConfigMap, Container, CronJob, EnvVar, Probe, Secret, SecretRef, ServicePort, StatefulSet, Volume, VolumeSource};
use kforge::{
    App, ChartMeta, ConcurrencyPolicy, CronSchedule, DnsName, Knobs, List, Map, Meta, Model, Node, SecretString, TimeZone, concat, fullname, fullname_with, pattern_string, release_namespace, text,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pattern_string!(
    /// A memory size as Valkey writes it: `256mb`, `1gb`.
    ValkeyMemory,
    r"^[0-9]+(kb|mb|gb)$",
    16,
    "a size such as 256mb or 1gb"
);

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Values {
    /// Number of Valkey pods.
    pub replicas: u8,
    /// The Valkey image.
    pub image: Image,
    /// The most memory Valkey uses for data (`maxmemory`).
    pub max_memory: ValkeyMemory,
    /// The password clients give (`requirepass`); set it at install time, or use
    /// `existingSecret`.
    pub password: SecretString,
    /// A Secret created beforehand, holding the password under the key `password`.
    pub existing_secret: DnsName,
    /// Log every command (Valkey's `--loglevel debug`).
    pub debug: bool,
    /// The client Service.
    pub service: ServiceSettings,
    /// Each pod's volume.
    pub storage: StorageSettings,
    /// A PodDisruptionBudget for the pods.
    pub pdb: DisruptionBudgetSettings,
    /// The nightly snapshot of the data set to disk (a CronJob running `BGSAVE`).
    pub nightly: Nightly,
    /// A TLS port beside the plain one, with a certificate from cert-manager.
    pub tls: Tls,
    /// CPU and memory requests and limits.
    pub resources: Resources,
    /// `imagePullSecrets`, `serviceAccount`, `podAnnotations`, `podLabels`, the security
    /// contexts, `nodeSelector`, `tolerations` and `affinity`.
    #[serde(flatten)]
    pub pod: PodSettings,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Nightly {
    /// When it runs, in cron's five fields.
    pub schedule: CronSchedule,
    /// The IANA time zone of the schedule (`Europe/Paris`); empty for the cluster's.
    pub time_zone: TimeZone,
    /// No new runs while true.
    pub suspend: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tls {
    /// Serve TLS on port 6380 with a key pair a cert-manager `Certificate` makes (cert-manager
    /// must be installed).
    pub enabled: bool,
    /// The issuer that signs it.
    pub issuer: DnsName,
    /// Its kind: `Issuer` (in the release's namespace) or `ClusterIssuer`.
    pub issuer_kind: IssuerKind,
}

kforge::string_enum!(
    /// The kinds of cert-manager issuer a `Certificate` names.
    IssuerKind {
        /// An issuer in the release's namespace.
        Issuer = "Issuer",
        /// An issuer of the whole cluster.
        ClusterIssuer = "ClusterIssuer"
    } default ClusterIssuer
);

impl Default for Values {
    fn default() -> Self {
        Values {
            replicas: 1,
            image: Image::new("valkey/valkey"),
            max_memory: ValkeyMemory::new("256mb"),
            password: SecretString::default(),
            existing_secret: DnsName::new("acme-valkey"),
            debug: false,
            service: ServiceSettings::new(6379),
            storage: StorageSettings { size: kforge::Size::new("1Gi"), storage_class: String::new() },
            pdb: DisruptionBudgetSettings::min_available(false, 1),
            nightly: Nightly { schedule: CronSchedule::new("30 2 * * *"), time_zone: TimeZone::new("Etc/UTC"), suspend: false },
            tls: Tls { enabled: false, issuer: DnsName::new("acme-ca"), issuer_kind: IssuerKind::ClusterIssuer },
            resources: Resources::cpu_memory(("50m", "128Mi"), ("1", "512Mi")),
            // The valkey user of the image.
            pod: PodSettings::restricted(999),
        }
    }
}

fn build(v: &ValuesKnobs) -> Model {
    let mut m = Model::new();
    let config = m.add(
        ConfigMap::builder()
            .meta(Meta::new(fullname()))
            .data(Map::new().str("valkey.conf", text!("port 6379\ndir /data\nmaxmemory {}\nmaxmemory-policy allkeys-lru\n", &v.max_memory)))
            .build(),
    );
    let rendered = m.add_when(v.existing_secret.is_set().not(), Secret::builder().meta(Meta::new(fullname())).string_data(Map::new().str("password", &v.password)).build());
    m.external::<Secret>(&v.existing_secret);
    m.reject_when(v.existing_secret.is_set().not().and(v.password.is_set().not()), "set password (at install time) or existingSecret");
    let secret = SecretRef::existing_or(&v.existing_secret, &rendered);

    // The key pair cert-manager writes into the Secret `<fullname>-tls`, for the service's names.
    let tls_secret = fullname_with("tls");
    let dns_names = List::of([Node::str(fullname()), Node::str(concat([fullname(), ".".into(), release_namespace(), ".svc".into()]))]);
    let spec = Map::new()
        .str("secretName", tls_secret.clone())
        .field("dnsNames", dns_names.node())
        .field("issuerRef", Map::new().str("name", &v.tls.issuer).str("kind", &v.tls.issuer_kind).str("group", "cert-manager.io"));
    let certificate = m.add_when(&v.tls.enabled, Certificate::new(Meta::new(fullname_with("tls")).component("valkey"), spec).makes::<Secret>(tls_secret.clone()));
    let tls = Volume::new("tls", VolumeSource::secret(&SecretRef::made_by(&certificate, tls_secret)));

    let data = ClaimTemplate::new("data", &v.storage.size, &v.storage.storage_class);
    let conf = Volume::new("config", VolumeSource::config_map(&config));
    let mut valkey = Container::builder()
        .name("valkey")
        .image(v.image.reference())
        .image_pull_policy(&v.image.pull_policy)
        .command(["valkey-server"])
        .args(Args::from(["/etc/valkey/valkey.conf", "--requirepass", "$(VALKEY_PASSWORD)"]).when(&v.debug, ["--loglevel", "debug"])
                .when(&v.tls.enabled, ["--tls-port", "6380", "--tls-cert-file", "/tls/tls.crt", "--tls-key-file", "/tls/tls.key", "--tls-ca-cert-file", "/tls/ca.crt"]),
        )
        .env(kforge::List::new().push(EnvVar::secret("VALKEY_PASSWORD", &secret, "password", false)))
        .resources(v.resources.whole().raw())
        .security_context(v.pod.security_context.raw())
        .build();
    let port = valkey.port("valkey", 6379);
    valkey.mount(&data.volume(), "/data");
    valkey.mount(&conf, "/etc/valkey");
    valkey.mount_when(&v.tls.enabled, &tls, "/tls");
    valkey.liveness(Probe::tcp(&port).period(10));
    valkey.readiness(Probe::tcp(&port).period(5));

    let headless = Meta::new(fullname_with("headless")).component("valkey").template_file("service-headless.yaml");
    let (set, _) = m.add_governed(headless, vec![ServicePort::new("valkey", &v.service.port, &port)], |headless| {
        StatefulSet::builder()
            .meta(Meta::new(fullname()).component("valkey"))
            .replicas(&v.replicas)
            .service_name(headless)
            .claim_templates(vec![data])
            .pod(v.pod.pod(vec![valkey], &[("config", "configmap.yaml")]))
            .build()
    });
    let (service, _) = v.service.service(Meta::new(fullname()), &set, "valkey", &port);
    m.add(service);
    v.pdb.add_to(&mut m, &set);
    v.pod.service_account.add_to(&mut m);

    // Every night, a snapshot of the data set to disk (BGSAVE), through the client Service.
    let save = Container::builder()
        .name("bgsave")
        .image(v.image.reference())
        .image_pull_policy(&v.image.pull_policy)
        .command(["valkey-cli"])
        .args(["-h", "$(VALKEY_HOST)", "--no-auth-warning", "-a", "$(VALKEY_PASSWORD)", "BGSAVE"])
        .env(kforge::List::new().push(EnvVar::value("VALKEY_HOST", fullname())).push(EnvVar::secret("VALKEY_PASSWORD", &secret, "password", false)))
        .security_context(v.pod.security_context.raw())
        .build();
    let mut pod = v.pod.pod(vec![save], &[]);
    pod.restart_policy = Some("OnFailure");
    m.add(
        CronJob::builder()
            .meta(Meta::new(fullname_with("bgsave")).component("bgsave"))
            .schedule(&v.nightly.schedule)
            .time_zone(&v.nightly.time_zone)
            .concurrency_policy(ConcurrencyPolicy::Forbid)
            .successful_jobs_history_limit(1u8)
            .suspend(&v.nightly.suspend)
            .pod(pod)
            .build(),
    );
    m
}

fn app() -> App<Values> {
    App::new(ChartMeta::new("acme-valkey", "0.1.0", "8.1.1", "Valkey as a cache for the acme services"), "src/main.rs", build).environment(
        "production",
        "src/values-production.yaml",
        include_str!("values-production.yaml"),
    )
}

fn main() -> ExitCode {
    kforge_cli::main(|| vec![Box::new(app())])
}
