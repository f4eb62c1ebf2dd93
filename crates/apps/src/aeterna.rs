//! Aeterna, the memory and context server for coding agents: the chart of
//! `aeterna-chart-and-setup-wizard-design.md` (and the earlier `aeterna-chart-design.md` where
//! the later one is silent).
//!
//! The application is split the way the design is:
//! - [`core`]: the Aeterna server (Deployment, Service, ConfigMap, RBAC, Ingress, autoscaling,
//!   disruption budget, NetworkPolicy, ServiceMonitor, tracing, the migration Job) and its LLM
//!   provider;
//! - [`opal`]: the OPAL authorization stack (opal-server and its policy repository, the
//!   cedar-agent DaemonSet of OPAL clients with Cedar, opal-fetcher);
//! - [`dependencies`]: the vector backend, the cache and PostgreSQL, each bundled (rendered
//!   here as typed objects: a CloudNativePG Cluster, Dragonfly or Valkey, Qdrant) or external,
//!   behind the same connection settings;
//! - [`secrets`]: where credentials come from (values, existing Secrets, or External Secrets);
//! - [`validation`]: the pre-flight checks that reject impossible combinations.
//!
//! Three deployment modes come from values alone: self-contained (every dependency bundled),
//! external (every dependency an existing service) and hybrid (any mix).

pub mod core;
pub mod dependencies;
pub mod opal;
pub mod secrets;
pub mod validation;

use kforge::kit::{ImageKnobs, IngressSettings, NameRef, ResourcesKnobs, ServiceAccountSettings};
use kforge::objects::{Container, Pod};
use kforge::{App, ChartMeta, DnsLabel, Knobs, Model};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The hand-written README and the table of what each image needs ([`crate::upstream`]).
static README: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| crate::upstream::readme("aeterna", include_str!("aeterna/README.md")));

pub fn app() -> App<Values> {
    environments!(
        App::new(
            ChartMeta {
                keywords: ["memory", "mcp", "agents", "opal", "cedar", "vector-search"].map(String::from).to_vec(),
                home: "https://github.com/kikokikok/aeterna".into(),
                sources: vec!["https://github.com/kikokikok/aeterna".into()],
                ..ChartMeta::new("aeterna", "0.3.0", "0.5.0", "Aeterna: memory and context for coding agents, with its OPAL authorization stack and bundled dependencies")
            }
            .upgrade_note(
                "0.2.0",
                &format!("{}\n{}", "- OPAL now runs as its documentation describes for Cedar: `opal.server.policyRepoUrl` became the section \
                 `opal.server.policyRepo` (`url`, `branch`, polling or webhook, an SSH key Secret), and with `opal.enabled` the \
                 URL is required. Secure mode is on: give the OPAL tokens in an existing Secret (`opal.auth.existingSecret`), \
                 through External Secrets, or set `opal.auth.enabled: false`. The cedar-agent DaemonSet runs OPAL's Cedar client image, \
                 which subscribes to opal-server; turning it off with OPAL on is refused.\n\
                 - The default image is Aeterna 0.5.0 (`ghcr.io/kikokikok/aeterna:0.5.0`, the newest release that is not a \
                 prerelease; 0.1.0 was never published), and the chart's appVersion with it. The server gets an emptyDir at \
                 `/app/config` (`serve` stops without the directory `AETERNA_CONFIG_PATH` names) and keeps its knowledge \
                 repository in `/tmp/knowledge-repo`; its metrics are scraped on their own port, 9090 (`metrics` on the \
                 container and the Service, admitted by the NetworkPolicy): a ServiceMonitor scraping 8080 got a 404.\n\
                 - The migration Job runs `aeterna admin migrate up` (the image has no `aeterna migrate`) and is off by \
                 default (`aeterna.migration.enabled: false`): `serve` creates its schema itself, and before 0.8.0-rc.6 the \
                 command fails on a fresh database, so enabling it with an older image is refused. Where it runs, it runs \
                 after every install and upgrade, and its name ends in a digest of the image and the database, so a new \
                 version is a new Job in the plain manifests too. Delete the old `aeterna-migrate` Job of a plain-manifests install.\n\
                 - `llm.provider: anthropic` is refused (no Aeterna release reads Anthropic settings: the server stopped at \
                 start), and `ollama` is rendered as the OpenAI-compatible settings (`AETERNA_OPENAI_BASE_URL` = \
                 `llm.ollama.host` + `/v1`) and needs an image 0.8.0-rc.9 or later: choose `openai` or `none`, or set \
                 `aeterna.image.tag`. `ANTHROPIC_API_KEY`, `AETERNA_ANTHROPIC_MODEL`, `AETERNA_OLLAMA_*` and `OTEL_*`, which no \
                 release reads, are gone, and `observability.tracing.endpoint` is no longer required with tracing on.\n\
                 - `cache.dragonfly.replicas` and `cache.valkey.replicas` must be 1: several standalone servers behind one \
                 Service split the cache and OPAL's broadcast.\n\
                 - The plain manifests of the example environments (`charts-out/manifests/aeterna/`) are rendered into the \
                 namespace `aeterna` instead of `default`: applying them creates a new PostgreSQL Cluster, Dragonfly and Qdrant \
                 there. Back up the old ones' data (a CloudNativePG backup, a Qdrant snapshot) and restore it into the new ones \
                 before you delete the old objects. Helm releases are not affected.\n\
                 - The Aeterna server and its migration Job get the variables the image reads (its `config/src/loader.rs` \
                 and LLM and vector-backend factories): `PG_HOST`, `PG_PORT`, `PG_DATABASE`, `PG_USERNAME`, `PG_PASSWORD`, `RD_HOST`, \
                 `RD_PORT`, `QD_HOST`, `QD_PORT`, `OB_TRACING_ENABLED`, `OPENAI_API_KEY`, `AETERNA_OPENAI_MODEL`, `VECTOR_BACKEND` and \
                 the backends' own names (`PINECONE_API_KEY`, `WEAVIATE_URL`, `MONGODB_URI`, `DATABRICKS_TOKEN`...) replace the \
                 `AETERNA_POSTGRES_*`, `AETERNA_REDIS_HOST`/`PORT`, `AETERNA_QDRANT_URL`, `AETERNA_*_API_KEY` ones; `AETERNA_HTTP_PORT` and \
                 `AETERNA_CACHE_TYPE`, which it never read, are gone. Existing Secrets keep their keys; only a setup reading the old \
                 names (a sidecar, a `.env` of the wizard) must follow. opal-fetcher now gets `DATABASE_URL` (the server's database; \
                 the user name and password must be URL-safe), is probed on `/health` and is registered at `/v1/all`.\n\
                 - The bundled Qdrant runs `docker.io/qdrant/qdrant:v1.13.6-unprivileged`, the image Qdrant builds for UID 1000, \
                 the user the chart's pods run as (the standard image's user is root). A `vectorBackend.qdrant.image.tag` you set \
                 is kept: give it the release's `-unprivileged` tag.\n\
                 - New: `postgresql.backup.serviceAccountAnnotations` annotates the ServiceAccount CloudNativePG makes for the \
                 cluster's pods, for backups through the cloud's identity (an IAM role, GKE or Azure AD workload identity).", kforge::kit::k8s::CHECKED_SETTINGS_NOTE),
            )
            .upgrade_note("0.2.0", kforge::rules::UPGRADE_NOTE)
            .upgrade_note(
                "0.2.0",
                "- The bundled Dragonfly, Valkey and Qdrant StatefulSets are governed by headless Services of their own \
                 (`aeterna-dragonfly-headless` and so on, for a release named `aeterna`), which give their pods DNS names; the Services clients use keep their \
                 names. A StatefulSet's `serviceName` cannot change in place: before `helm upgrade`, delete those StatefulSets \
                 with `kubectl delete statefulset <name> --cascade=orphan` (the pods and volumes stay, and the upgrade adopts them).",
            )
            .upgrade_note("0.3.0", opal::UPGRADE_NOTE)
            .upgrade_note("0.3.0", kforge::rules::PARTS_UPGRADE_NOTE)
            .upgrade_note(
                "0.3.0",
                "- `postgresql.instances` must be at least 1: CloudNativePG's Cluster CRD refuses 0, so such an install failed at the \
                 API server; emit and the chart's schema now refuse it first.",
            )
            .upgrade_note(
                "0.3.0",
                "- The migration Job's name also digests the chart version (its pod template carries the chart's label, which a Job \
                 cannot change): each chart release is a new Job in the plain manifests, where one of an earlier chart version stays \
                 finished. Delete old `aeterna-migrate-*` Jobs of a plain-manifests install at will.\n\
                 - With OPAL on and an external database, `postgresql.external.password` given in values must be URL-safe \
                 (letters, digits, `-`, `.`, `_`, `~`): opal-fetcher reads it inside `DATABASE_URL`, which another character \
                 broke. Store such a password percent-encoded in an existing Secret instead. The user name is now percent-encoded \
                 for the URL.",
            ),
            "crates/apps/src/aeterna.rs",
            build,
        )
        .needs_values(
            "the LLM provider's credentials (`llm.openai.apiKey` or `llm.openai.existingSecret` for the default provider), \
             or `llm.provider: ollama` with `llm.ollama.host` and an image 0.8.0-rc.9 or later, or `llm.provider: none`; and, with OPAL on (the default), \
             the policy repository (`opal.server.policyRepo.url`), OPAL's tokens (`opal.auth.existingSecret`), the Aeterna server's Cedar policy \
             (`opal.cedar.policy` or `opal.cedar.existingConfigMap`) and the opal-fetcher image you built (`opal.fetcher.image.repository`), \
             or `opal.enabled: false`",
        ),
        "aeterna": "local", "production", "external", "hybrid",
    )
    .placeholder_values(PLACEHOLDERS)
    .readme(README.as_str())
}

/// For tests: a source for everything any backend or option needs (hosts, existing Secrets, a
/// store), so that varying the rest mostly renders. No secret value.
const PLACEHOLDERS: &str = "\
llm:
  openai: {existingSecret: placeholder-openai}
  anthropic: {existingSecret: placeholder-anthropic}
  ollama: {host: \"http://ollama.invalid:11434\"}
vectorBackend:
  qdrant: {external: {host: qdrant.invalid}}
  pinecone: {existingSecret: placeholder-pinecone}
  weaviate: {external: {host: \"https://weaviate.invalid\"}}
  mongodb: {existingSecret: placeholder-mongodb}
  vertexAi: {existingSecret: placeholder-vertex-ai}
  databricks: {existingSecret: placeholder-databricks}
postgresql:
  external: {host: postgres.invalid, existingSecret: placeholder-postgres}
  backup: {destination: {bucket: placeholder-bucket}}
cache:
  external: {host: redis.invalid}
secrets:
  externalSecrets: {secretStoreRef: {name: placeholder-store}}
observability:
  tracing: {endpoint: \"http://otel.invalid:4317\"}
opal:
  auth: {existingSecret: placeholder-opal}
  cedar: {policy: \"permit(principal, action, resource);\"}
  fetcher: {image: {repository: registry.invalid/aeterna-opal-fetcher}, tenant: 00000000-0000-4000-8000-000000000000}
  server:
    policyRepo:
      url: \"https://git.invalid/policies.git\"
      webhook: {existingSecret: placeholder-opal-webhook}
";

// ----- values.yaml -------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Values {
    /// Settings every component shares.
    pub global: Global,
    /// Override the chart name.
    pub name_override: DnsLabel,
    /// Override the full resource name.
    pub fullname_override: DnsLabel,
    /// The Aeterna server.
    pub aeterna: core::Aeterna,
    /// Vector backend: exactly one primary backend, chosen by `type`.
    pub vector_backend: dependencies::VectorBackend,
    /// Redis-compatible cache: bundled Dragonfly or Valkey, or an external Redis.
    pub cache: dependencies::Cache,
    /// PostgreSQL: a bundled CloudNativePG cluster (the operator must be installed), or external.
    pub postgresql: dependencies::Postgresql,
    /// OPAL authorization stack (multi-tenant); off means single-tenant mode.
    pub opal: opal::Opal,
    /// LLM provider for embeddings and chat.
    pub llm: core::Llm,
    /// Ingress to the Aeterna server.
    pub ingress: IngressSettings,
    /// Metrics and tracing.
    pub observability: core::Observability,
    /// Network policies and security contexts of every pod.
    pub security: core::Security,
    /// Where credentials come from.
    pub secrets: secrets::Secrets,
    /// The Aeterna server's ServiceAccount.
    pub service_account: ServiceAccountSettings,
    /// Kubernetes access of the Aeterna server.
    pub rbac: core::Rbac,
}

/// Helm hands one `global` map to a chart and all its subcharts, so an umbrella chart's
/// `global` carries keys of other charts: the section is open to keys it does not know, and
/// only the keys below are read (and typed).
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase")]
#[knobs(open)]
pub struct Global {
    /// Storage class of every bundled volume (PostgreSQL, cache, Qdrant) unless a component sets
    /// its own; empty means the cluster's default class.
    pub storage_class: String,
    /// Registry prefixed to every image (a mirror or pull-through cache):
    /// `<imageRegistry>/<repository>:<tag>`; empty pulls from the images' own registries.
    pub image_registry: String,
    /// Image pull secrets of every pod.
    pub image_pull_secrets: Vec<NameRef>,
}

impl Default for Values {
    fn default() -> Self {
        Values {
            global: Global::default(),
            name_override: DnsLabel::default(),
            fullname_override: DnsLabel::default(),
            aeterna: Default::default(),
            vector_backend: Default::default(),
            cache: Default::default(),
            postgresql: Default::default(),
            opal: Default::default(),
            llm: Default::default(),
            ingress: IngressSettings::example("aeterna.local"),
            observability: Default::default(),
            security: Default::default(),
            secrets: Default::default(),
            service_account: ServiceAccountSettings::default(),
            rbac: Default::default(),
        }
    }
}

// ----- what every component's pods share -------------------------------------------------

/// A container of one of the chart's components: its image behind `global.imageRegistry`, its
/// resources, and the chart's container security context.
fn container(v: &ValuesKnobs, name: &'static str, image: &ImageKnobs, resources: &ResourcesKnobs) -> Container {
    Container::builder()
        .name(name)
        .image(image.reference_in(&v.global.image_registry))
        .image_pull_policy(&image.pull_policy)
        .resources(resources.whole().raw())
        .security_context(v.security.container_security_context.raw())
        .build()
}

/// A pod of a component that does not call the Kubernetes API: no token, the chart's pod
/// security context and pull secrets.
fn pod(v: &ValuesKnobs, containers: Vec<Container>) -> Pod {
    Pod::builder()
        .containers(containers)
        .automount_service_account_token(false)
        .security_context(v.security.pod_security_context.raw())
        .image_pull_secrets(v.global.image_pull_secrets.raw())
        .build()
}

// ----- objects -----------------------------------------------------------------------------

fn build(v: &ValuesKnobs) -> Model {
    let mut m = Model::new();
    let external = m.condition("externalSecrets", v.secrets.external());
    validation::preflight(&mut m, v, &external);
    let credentials = secrets::Credentials::of(v);
    let store = credentials.add_to(&mut m, &v.secrets, &external);
    let deps = dependencies::add_to(&mut m, v);
    let opal = opal::add_to(&mut m, v, &deps, &credentials, &store);
    core::add_to(&mut m, v, &deps, &opal, &credentials, &store);
    m
}
