//! The answers to the wizard's questions (Q1 to Q8 of the seed's "CLI Wizard Flow"), the same
//! type whether they were typed at the prompts or read from a YAML file (`--answers FILE`).
//!
//! A file may leave out any key: it then takes the wizard's default. Sections with a type accept
//! the type alone as a shorthand (`cache: valkey` is `cache: {type: valkey}`). Unknown keys,
//! settings that do not apply to the chosen type or target, and missing settings that the chosen
//! type needs are errors naming the file and the key.

use std::fmt;

use apps::aeterna::core::LlmProvider;
use apps::aeterna::dependencies::{CacheType, VectorBackendType};
use apps::aeterna::opal::TenantId;
use kforge::{DnsName, Port};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Everything the wizard asks.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Answers {
    /// Q1: what to generate.
    pub target: Target,
    /// Q2: the vector database.
    pub vector_backend: VectorBackend,
    /// Q3: the Redis-compatible cache.
    pub cache: Cache,
    /// Q4: PostgreSQL.
    pub postgresql: Postgresql,
    /// Q5: the OPAL authorization stack (multi-tenant); `opal: false` is single-tenant mode.
    pub opal: Opal,
    /// Q6: the LLM provider.
    pub llm: Llm,
    /// Q7: write the OpenCode MCP entry.
    pub opencode: bool,
    /// Q8: Kubernetes extras, all off by default.
    pub advanced: Advanced,
}

impl Default for Answers {
    fn default() -> Self {
        Answers {
            target: Target::DockerCompose,
            vector_backend: VectorBackend::default(),
            cache: Cache::default(),
            postgresql: Postgresql::default(),
            opal: Opal::default(),
            llm: Llm::default(),
            opencode: true,
            advanced: Advanced::default(),
        }
    }
}

/// Q1: the deployment target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// Local development: docker-compose.yaml and .env.
    #[default]
    #[serde(rename = "docker-compose")]
    DockerCompose,
    /// The Helm chart: values.yaml (and secrets.values.yaml for typed secrets).
    #[serde(rename = "kubernetes", alias = "helm")]
    Kubernetes,
    /// Only the OpenCode MCP entry (and the server configuration it describes).
    #[serde(rename = "opencode-only")]
    OpencodeOnly,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::DockerCompose => "docker-compose",
            Target::Kubernetes => "kubernetes",
            Target::OpencodeOnly => "opencode-only",
        }
    }
}

/// A secret typed by the user (an API key, a password). Its `Debug` hides it, so an error or a
/// log line that prints answers never shows it.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl Secret {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "Secret(\"\")" } else { "Secret(***)" })
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // As a values file's secrets are read: a number or boolean given is named, never quoted.
        kforge::SecretString::deserialize(d).map(|s| Secret(s.0))
    }
}

/// Q2. The settings below `type` belong to one backend each; the others must stay empty.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct VectorBackend {
    #[serde(rename = "type")]
    pub type_: VectorBackendType,
    /// pinecone: the environment.
    pub environment: String,
    /// pinecone: the index.
    pub index_name: String,
    /// weaviate: its URL.
    pub host: String,
    /// pinecone, weaviate: the API key.
    pub api_key: Secret,
    /// mongodb: the connection URI (it holds credentials).
    pub uri: Secret,
    /// vertex-ai: the project, region and index endpoint.
    pub project_id: String,
    pub region: String,
    pub index_endpoint: String,
    /// vertex-ai: the service account key JSON.
    pub service_account_json: Secret,
    /// databricks: the workspace URL, catalog and token.
    pub workspace_url: String,
    pub catalog: String,
    pub token: Secret,
    /// pinecone, mongodb, vertex-ai, databricks: a Kubernetes Secret that holds the credential.
    pub existing_secret: DnsName,
}

/// Q3.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Cache {
    #[serde(rename = "type")]
    pub type_: CacheType,
    /// With `type: external`.
    pub external: Option<External>,
}

/// Q4.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Postgresql {
    #[serde(rename = "type")]
    pub type_: PostgresqlType,
    /// With `type: external`.
    pub external: Option<External>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PostgresqlType {
    /// A CloudNativePG cluster (Kubernetes) or a PostgreSQL container (compose).
    #[default]
    #[serde(rename = "cloudnative-pg")]
    CloudnativePg,
    #[serde(rename = "external")]
    External,
}

/// Connection details of an existing server (PostgreSQL or Redis).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct External {
    pub host: String,
    /// Default: 5432 for PostgreSQL, 6379 for Redis.
    pub port: Option<Port>,
    /// PostgreSQL only; default `aeterna`.
    pub database: String,
    /// PostgreSQL only.
    pub username: String,
    pub password: Secret,
    /// A Kubernetes Secret with the password (instead of `password`).
    pub existing_secret: DnsName,
}

/// Q5. `opal: true` and `opal: false` stand for `{enabled: ...}`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Opal {
    pub enabled: bool,
    /// Git repository of the Cedar policies; empty takes OPAL's example ([`EXAMPLE_POLICY_REPO`]).
    pub policy_repo: String,
    /// Branch of `policyRepo`; empty keeps the chart's (`master`, OPAL's default).
    pub branch: String,
    /// kubernetes: the Secret with OPAL's keys and tokens; empty means `aeterna-opal`.
    pub existing_secret: DnsName,
    /// The repository of the opal-fetcher image built from `opal-fetcher/Dockerfile` of
    /// kikokikok/aeterna (no registry publishes one): needed for target kubernetes; elsewhere
    /// empty means a local build, [`LOCAL_FETCHER_IMAGE`].
    pub fetcher_image: String,
    /// kubernetes: the ConfigMap with the Aeterna server's Cedar policy (keys `policy` and
    /// `schema`); empty means `aeterna-cedar`. Elsewhere the server reads the two from
    /// `AETERNA_CEDAR_POLICY_TEXT` and `AETERNA_CEDAR_SCHEMA_TEXT` where it runs.
    pub cedar_config_map: DnsName,
    /// The tenant (a UUID) whose entities opal-fetcher serves: needed when the server runs
    /// v0.8.0-rc.4 or later (with `llm.provider: ollama`), whose fetcher serves one tenant.
    pub tenant: TenantId,
}

impl Default for Opal {
    fn default() -> Self {
        Opal {
            enabled: true,
            policy_repo: String::new(),
            branch: String::new(),
            existing_secret: DnsName::default(),
            fetcher_image: String::new(),
            cedar_config_map: DnsName::default(),
            tenant: TenantId::default(),
        }
    }
}

/// The opal-fetcher image outside Kubernetes unless told otherwise: a local build
/// (`docker build -f opal-fetcher/Dockerfile -t aeterna-opal-fetcher:<server version> .`).
pub const LOCAL_FETCHER_IMAGE: &str = "aeterna-opal-fetcher";

/// The ConfigMap the Kubernetes target names for the server's Cedar policy unless told otherwise.
pub const CEDAR_CONFIG_MAP: &str = "aeterna-cedar";

/// The policies OPAL's own Cedar example tracks (`docker/docker-compose-example-cedar.yml` of
/// permitio/opal), on its `master` branch: a start for local development, to replace with yours.
pub const EXAMPLE_POLICY_REPO: &str = "https://github.com/permitio/opal-example-policy-repo";

/// The Secret the Kubernetes target names for OPAL's keys and tokens unless told otherwise.
pub const OPAL_SECRET: &str = "aeterna-opal";

/// Q6.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Llm {
    pub provider: LlmProvider,
    /// openai.
    pub api_key: Secret,
    /// openai: a Kubernetes Secret with the key (instead of `apiKey`).
    pub existing_secret: DnsName,
    /// ollama: its URL.
    pub host: String,
    /// The chat model (openai) or the model (ollama); empty keeps the chart's.
    pub model: String,
}

/// Q8: Kubernetes extras.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Advanced {
    pub ingress: bool,
    pub service_monitor: bool,
    pub network_policy: bool,
    pub hpa: bool,
    pub pdb: bool,
    /// The host the Ingress routes (with `ingress: true`); empty keeps the chart's example host.
    #[serde(skip_serializing_if = "DnsName::is_empty")]
    pub ingress_host: DnsName,
}

impl Advanced {
    pub fn any(&self) -> bool {
        self.ingress || self.service_monitor || self.network_policy || self.hpa || self.pdb
    }
}

/// An answers file larger than this is refused before parsing.
const MAX_BYTES: usize = 1 << 20;

/// Reads an answers file: `name` is how errors name it.
pub fn parse(name: &str, text: &str) -> Result<Answers, String> {
    if text.len() > MAX_BYTES {
        return Err(format!("{name}: larger than {} KiB; an answers file is a few lines", MAX_BYTES >> 10));
    }
    let mut tree: Value = if text.trim().is_empty() {
        Value::Object(Default::default())
    } else {
        serde_saphyr::from_str(text).map_err(|e| format!("{name}: not valid YAML: {}", kforge::values::yaml_message(name, &e.to_string())))?
    };
    if tree.is_null() {
        tree = Value::Object(Default::default());
    }
    let Value::Object(map) = &mut tree else {
        return Err(format!("{name}: expected a map of answers (target, vectorBackend, cache, postgresql, opal, llm, opencode, advanced)"));
    };
    // The shorthand `opal: false` for `opal: {enabled: false}`.
    if let Some(Value::Bool(b)) = map.get("opal") {
        let enabled = *b;
        map.insert("opal".into(), serde_json::json!({ "enabled": enabled }));
    }
    // The shorthand `cache: valkey` for `cache: {type: valkey}`.
    for (key, tag) in [("vectorBackend", "type"), ("cache", "type"), ("postgresql", "type"), ("llm", "provider")] {
        if let Some(Value::String(s)) = map.get(key) {
            let short = s.clone();
            map.insert(key.into(), serde_json::json!({ tag: short }));
        }
    }
    let answers: Answers = serde_path_to_error::deserialize(tree).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path == "." { format!("{name}: {inner}") } else { format!("{name}: {path}: {inner}") }
    })?;
    answers.check().map_err(|(path, message)| format!("{name}: {path}: {message}"))?;
    Ok(answers)
}

/// One error: the answers key and what is wrong with it.
type Problem = (String, String);

fn problem(path: &str, message: impl Into<String>) -> Problem {
    (path.to_string(), message.into())
}

impl Answers {
    /// What serde cannot see: settings needed or out of place for the chosen types and target.
    pub fn check(&self) -> Result<(), Problem> {
        if self.target != Target::Kubernetes && self.advanced.any() {
            return Err(problem(
                "advanced",
                format!("the advanced options are Kubernetes settings; target {} has none of them (set them false, or target: kubernetes)", self.target.name()),
            ));
        }
        if !self.advanced.ingress_host.is_empty() && !self.advanced.ingress {
            return Err(problem("advanced.ingressHost", "is the host of the Ingress, which is off (add ingress: true, or leave ingressHost out)"));
        }
        if self.target == Target::OpencodeOnly && !self.opencode {
            return Err(problem("opencode", "target opencode-only writes the OpenCode entry: opencode: false leaves nothing to do (choose another target, or opencode: true)"));
        }
        self.check_opal()?;
        self.check_vector_backend()?;
        self.check_external("cache", self.cache.type_ == CacheType::External, self.cache.external.as_ref(), false)?;
        self.check_external("postgresql", self.postgresql.type_ == PostgresqlType::External, self.postgresql.external.as_ref(), true)?;
        self.check_llm()?;
        self.check_tenant()
    }

    /// After the LLM: the Ollama answer decides the server's release, and with it whether its
    /// opal-fetcher needs a tenant.
    fn check_tenant(&self) -> Result<(), Problem> {
        let o = &self.opal;
        if o.enabled && o.tenant.is_empty() && self.fetcher_wants_a_tenant() {
            return Err(problem(
                "opal.tenant",
                format!(
                    "needed with llm.provider ollama: the server runs {}, whose opal-fetcher serves the entities of one tenant only (from v{} on): the UUID of yours",
                    crate::model::ollama_image_tag(),
                    apps::aeterna::opal::FETCHER_TENANT_FROM
                ),
            ));
        }
        Ok(())
    }

    /// A credential: typed, an existing Secret, or (outside Kubernetes) left for the user to
    /// supply; never both. `needed` says the backend cannot work without it.
    fn check_credential(&self, path: &str, secret: &Secret, existing: &DnsName, existing_path: &str, needed: bool) -> Result<(), Problem> {
        if !secret.is_empty() && !existing.is_empty() {
            return Err(problem(path, format!("give {path} or {existing_path}, not both")));
        }
        if !secret.is_empty() && self.target == Target::OpencodeOnly {
            return Err(problem(
                path,
                "target opencode-only writes no secret file: the key belongs to the server's own deployment (leave it out, or use existingSecret to name where it lives)",
            ));
        }
        if needed && self.target == Target::Kubernetes && secret.is_empty() && existing.is_empty() {
            return Err(problem(path, format!("needed for target kubernetes: give {path} (it goes to secrets.values.yaml) or {existing_path} (a Secret in the cluster)")));
        }
        Ok(())
    }

    fn check_opal(&self) -> Result<(), Problem> {
        let o = &self.opal;
        let set = [
            ("opal.policyRepo", !o.policy_repo.is_empty()),
            ("opal.branch", !o.branch.is_empty()),
            ("opal.existingSecret", !o.existing_secret.is_empty()),
            ("opal.fetcherImage", !o.fetcher_image.is_empty()),
            ("opal.cedarConfigMap", !o.cedar_config_map.is_empty()),
            ("opal.tenant", !o.tenant.is_empty()),
        ];
        if let Some((path, _)) = set.iter().find(|(_, s)| *s).filter(|_| !o.enabled) {
            return Err(problem(path, "OPAL is off (opal.enabled: false): leave it out, or turn OPAL on"));
        }
        if !o.existing_secret.is_empty() && self.target != Target::Kubernetes {
            return Err(problem(
                "opal.existingSecret",
                format!("target {} runs OPAL in development mode, without keys or tokens (OPAL's secure mode is for target kubernetes)", self.target.name()),
            ));
        }
        if !o.cedar_config_map.is_empty() && self.target != Target::Kubernetes {
            return Err(problem(
                "opal.cedarConfigMap",
                format!(
                    "a ConfigMap is a Kubernetes object: with target {} the server reads its policy from AETERNA_CEDAR_POLICY_TEXT (and AETERNA_CEDAR_SCHEMA_TEXT) where it runs",
                    self.target.name()
                ),
            ));
        }
        if o.enabled && o.fetcher_image.trim().is_empty() && self.target == Target::Kubernetes {
            return Err(problem(
                "opal.fetcherImage",
                "needed for target kubernetes with OPAL on: the repository of the opal-fetcher image you built from opal-fetcher/Dockerfile of kikokikok/aeterna and pushed where the cluster pulls from (no registry publishes one)",
            ));
        }
        Ok(())
    }

    /// Whether the server these answers run (the chart's appVersion, or the Ollama release) has an
    /// opal-fetcher that serves one tenant only, by the chart's own gate.
    pub fn fetcher_wants_a_tenant(&self) -> bool {
        let app_version = kforge::Application::chart(&apps::aeterna::app()).app_version.clone();
        let tag = if self.llm.provider == LlmProvider::Ollama { crate::model::ollama_image_tag() } else { app_version };
        kforge::template::version::at_least(&tag, apps::aeterna::opal::FETCHER_TENANT_FROM)
    }

    fn check_vector_backend(&self) -> Result<(), Problem> {
        use VectorBackendType as T;
        let vb = &self.vector_backend;
        let t = vb.type_;
        let name = vector_type_name(t);
        let set: [(&str, bool, &[T]); 13] = [
            ("environment", !vb.environment.is_empty(), &[T::Pinecone]),
            ("indexName", !vb.index_name.is_empty(), &[T::Pinecone]),
            ("host", !vb.host.is_empty(), &[T::Weaviate]),
            ("apiKey", !vb.api_key.is_empty(), &[T::Pinecone, T::Weaviate]),
            ("uri", !vb.uri.is_empty(), &[T::Mongodb]),
            ("projectId", !vb.project_id.is_empty(), &[T::VertexAi]),
            ("region", !vb.region.is_empty(), &[T::VertexAi]),
            ("indexEndpoint", !vb.index_endpoint.is_empty(), &[T::VertexAi]),
            ("serviceAccountJson", !vb.service_account_json.is_empty(), &[T::VertexAi]),
            ("workspaceUrl", !vb.workspace_url.is_empty(), &[T::Databricks]),
            ("catalog", !vb.catalog.is_empty(), &[T::Databricks]),
            ("token", !vb.token.is_empty(), &[T::Databricks]),
            ("existingSecret", !vb.existing_secret.is_empty(), &[T::Pinecone, T::Mongodb, T::VertexAi, T::Databricks]),
        ];
        for (key, is_set, types) in set {
            if is_set && !types.contains(&t) {
                return Err(problem(&format!("vectorBackend.{key}"), format!("does not apply to type {name}")));
            }
        }
        let required: &[(&str, bool)] = match t {
            T::Pinecone => &[("environment", vb.environment.is_empty()), ("indexName", vb.index_name.is_empty())],
            T::Weaviate => &[("host", vb.host.is_empty())],
            T::VertexAi => &[("projectId", vb.project_id.is_empty()), ("region", vb.region.is_empty()), ("indexEndpoint", vb.index_endpoint.is_empty())],
            T::Databricks => &[("workspaceUrl", vb.workspace_url.is_empty()), ("catalog", vb.catalog.is_empty())],
            _ => &[],
        };
        if let Some((key, _)) = required.iter().find(|(_, missing)| *missing) {
            return Err(problem(&format!("vectorBackend.{key}"), format!("needed with type {name}")));
        }
        let existing = "vectorBackend.existingSecret";
        match t {
            T::Pinecone => self.check_credential("vectorBackend.apiKey", &vb.api_key, &vb.existing_secret, existing, true),
            T::Weaviate => self.check_credential("vectorBackend.apiKey", &vb.api_key, &DnsName::default(), existing, false),
            T::Mongodb => self.check_credential("vectorBackend.uri", &vb.uri, &vb.existing_secret, existing, true),
            T::VertexAi => self.check_credential("vectorBackend.serviceAccountJson", &vb.service_account_json, &vb.existing_secret, existing, true),
            T::Databricks => self.check_credential("vectorBackend.token", &vb.token, &vb.existing_secret, existing, true),
            _ => Ok(()),
        }
    }

    fn check_external(&self, section: &str, external: bool, block: Option<&External>, postgres: bool) -> Result<(), Problem> {
        match (external, block) {
            (false, Some(_)) => Err(problem(&format!("{section}.external"), format!("only with {section}.type: external"))),
            (true, None) => Err(problem(
                &format!("{section}.external"),
                "needed with type external: the connection details (host, and port, password or existingSecret where they differ from the defaults)",
            )),
            (true, Some(e)) => {
                let path = |key: &str| format!("{section}.external.{key}");
                if e.host.trim().is_empty() {
                    return Err(problem(&path("host"), "needed with type external"));
                }
                if !postgres {
                    for (key, set) in [("database", !e.database.is_empty()), ("username", !e.username.is_empty())] {
                        if set {
                            return Err(problem(&path(key), "applies to PostgreSQL only"));
                        }
                    }
                }
                self.check_credential(&path("password"), &e.password, &e.existing_secret, &path("existingSecret"), false)
            }
            (false, None) => Ok(()),
        }
    }

    fn check_llm(&self) -> Result<(), Problem> {
        let l = &self.llm;
        let provider = provider_name(l.provider);
        if l.provider == LlmProvider::Anthropic {
            // The chart's own reason, word for word.
            return Err(problem("llm.provider", apps::aeterna::core::ANTHROPIC_REFUSED.trim_start_matches("llm.provider: ")));
        }
        let keyed = l.provider == LlmProvider::Openai;
        for (key, set, applies) in [
            ("apiKey", !l.api_key.is_empty(), keyed),
            ("existingSecret", !l.existing_secret.is_empty(), keyed),
            ("host", !l.host.is_empty(), l.provider == LlmProvider::Ollama),
            ("model", !l.model.is_empty(), l.provider != LlmProvider::None),
        ] {
            if set && !applies {
                return Err(problem(&format!("llm.{key}"), format!("does not apply to provider {provider}")));
            }
        }
        if l.provider == LlmProvider::Ollama && l.host.trim().is_empty() {
            return Err(problem("llm.host", "needed with provider ollama: the Ollama URL, such as http://ollama.ollama.svc:11434"));
        }
        if keyed {
            self.check_credential("llm.apiKey", &l.api_key, &l.existing_secret, "llm.existingSecret", true)?;
        }
        Ok(())
    }
}

pub fn vector_type_name(t: VectorBackendType) -> &'static str {
    match t {
        VectorBackendType::Qdrant => "qdrant",
        VectorBackendType::Pgvector => "pgvector",
        VectorBackendType::Pinecone => "pinecone",
        VectorBackendType::Weaviate => "weaviate",
        VectorBackendType::Mongodb => "mongodb",
        VectorBackendType::VertexAi => "vertex-ai",
        VectorBackendType::Databricks => "databricks",
    }
}

pub fn provider_name(p: LlmProvider) -> &'static str {
    match p {
        LlmProvider::Openai => "openai",
        LlmProvider::Anthropic => "anthropic",
        LlmProvider::Ollama => "ollama",
        LlmProvider::None => "none",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(yaml: &str) -> String {
        parse("a.yaml", yaml).expect_err("rejected")
    }

    #[test]
    fn empty_file_is_the_wizard_defaults_and_shorthands_expand() {
        assert_eq!(parse("a.yaml", "").unwrap(), Answers::default());
        let a = parse("a.yaml", "cache: valkey\nllm: none\npostgresql: cloudnative-pg\nvectorBackend: pgvector\n").unwrap();
        assert_eq!(a.cache.type_, CacheType::Valkey);
        assert_eq!(a.llm.provider, LlmProvider::None);
        assert_eq!(a.vector_backend.type_, VectorBackendType::Pgvector);
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        assert_eq!(
            err("targt: kubernetes"),
            "a.yaml: targt: unknown field `targt`, expected one of `target`, `vectorBackend`, `cache`, `postgresql`, `opal`, `llm`, `opencode`, `advanced`"
        );
        assert_eq!(err("opal: {enabled: false, policyRepo: x}"), "a.yaml: opal.policyRepo: OPAL is off (opal.enabled: false): leave it out, or turn OPAL on");
        assert!(err("opal: {existingSecret: s}").starts_with("a.yaml: opal.existingSecret: target docker-compose runs OPAL in development mode"));
        assert!(err("opal: {repo: x}").contains("unknown field `repo`"));
        assert!(err("target: nomad").starts_with("a.yaml: target: unknown variant `nomad`"), "{}", err("target: nomad"));
        assert!(err("cache: {type: external, external: {host: r, port: 0}}").starts_with("a.yaml: cache.external.port: invalid port 0"));
        assert_eq!(
            err("cache: external"),
            "a.yaml: cache.external: needed with type external: the connection details (host, and port, password or existingSecret where they differ from the defaults)"
        );
        assert_eq!(err("postgresql: {type: external, external: {port: 5433}}"), "a.yaml: postgresql.external.host: needed with type external");
        assert_eq!(err("vectorBackend: {type: pinecone, indexName: i}"), "a.yaml: vectorBackend.environment: needed with type pinecone");
        assert_eq!(err("vectorBackend: {type: qdrant, host: x}"), "a.yaml: vectorBackend.host: does not apply to type qdrant");
        // The chart's reason, word for word.
        assert_eq!(err("llm: {provider: anthropic}"), format!("a.yaml: {}", apps::aeterna::core::ANTHROPIC_REFUSED));
        assert_eq!(err("llm: {provider: ollama}"), "a.yaml: llm.host: needed with provider ollama: the Ollama URL, such as http://ollama.ollama.svc:11434");
        assert!(err("target: kubernetes\nllm: openai\nopal: false").starts_with("a.yaml: llm.apiKey: needed for target kubernetes"));
        assert!(err("target: kubernetes\nllm: {existingSecret: o}").starts_with("a.yaml: opal.fetcherImage: needed for target kubernetes with OPAL on"));
        assert!(err("opal: {cedarConfigMap: c}").starts_with("a.yaml: opal.cedarConfigMap: a ConfigMap is a Kubernetes object"));
        assert_eq!(err("llm: {apiKey: k, existingSecret: s}"), "a.yaml: llm.apiKey: give llm.apiKey or llm.existingSecret, not both");
        assert!(err("llm: {existingSecret: Not_A_Name}").starts_with("a.yaml: llm.existingSecret: invalid value"));
        assert!(err("advanced: {hpa: true}").starts_with("a.yaml: advanced: the advanced options are Kubernetes settings"));
        assert!(err("target: opencode-only\nllm: {apiKey: sk-1}").starts_with("a.yaml: llm.apiKey: target opencode-only writes no secret file"));
        assert!(err("- a\n- b").starts_with("a.yaml: expected a map of answers"));
        assert!(err("target: [").starts_with("a.yaml: not valid YAML"));
        // The parser's excerpt and its option names stay out of the message.
        assert_eq!(err("target: kubernetes\ntarget: kubernetes"), "a.yaml: not valid YAML: line 2 column 1: duplicate mapping key: target (given twice)");
        assert!(!err("llm:\n  apiKey: sk-secret\n  model: [\n").contains("sk-secret"));
        let number = err("llm: {provider: openai, apiKey: 1234567890}");
        assert!(number.contains("llm.apiKey: invalid type: a number (not shown: a secret)") && !number.contains("1234567890"), "{number}");
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let a = parse("a.yaml", "llm: {apiKey: sk-very-secret}").unwrap();
        assert!(!format!("{a:?}").contains("sk-very-secret"));
    }
}
