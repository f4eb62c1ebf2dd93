//! Secret management (`secrets.provider`): where every credential the server needs comes from.
//!
//! Each credential is an API key, password or token of the backend it belongs to, and is used
//! only while that backend is selected. It comes from, in order:
//! 1. the operator's existing Secret, when the backend's `existingSecret` is set;
//! 2. with `provider: helm` (or `sops`: the same chart, with the values file encrypted), the
//!    value in values.yaml, which the chart writes into its own Secret;
//! 3. with `provider: external-secrets`, an ExternalSecret that makes the External Secrets
//!    Operator write that same Secret from the store of `externalSecrets.secretStoreRef`, so
//!    no secret value passes through the chart.

use kforge::objects::{EnvVar, ExternalKey, ExternalSecret, Secret, SecretRef};
use kforge::{DnsName, Duration, Expr, Knob, Knobs, List, Map, Meta, Model, ObjectRef, SecretString, fullname, string_enum};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ValuesKnobs;
use super::core::LlmProvider;
use super::dependencies::{CacheType, VectorBackendType};

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Secrets {
    /// Where credentials come from: values (`helm`; `sops` is the same with the values file
    /// encrypted by helm-secrets), or the External Secrets Operator (`external-secrets`).
    pub provider: SecretsProvider,
    /// External Secrets Operator settings (with `provider: external-secrets`).
    pub external_secrets: ExternalSecrets,
}

string_enum!(
    /// Where credentials come from.
    SecretsProvider { Helm = "helm", Sops = "sops", ExternalSecrets = "external-secrets" } default Helm
);

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalSecrets {
    /// Render an ExternalSecret instead of a Secret: the same as `provider: external-secrets`.
    pub enabled: bool,
    /// The store the operator reads.
    pub secret_store_ref: SecretStoreRef,
    /// Entry in the store holding the credentials, one property per key of the Secret (the keys
    /// are listed in the chart README).
    pub remote_key: String,
    /// How often the operator refreshes the Secret.
    pub refresh_interval: Duration,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretStoreRef {
    /// Name of the store.
    pub name: DnsName,
    /// `ClusterSecretStore` or `SecretStore`.
    pub kind: StoreKind,
}

string_enum!(
    /// Kind of secret store.
    StoreKind { ClusterSecretStore = "ClusterSecretStore", SecretStore = "SecretStore" } default ClusterSecretStore
);

impl Default for Secrets {
    fn default() -> Self {
        Secrets {
            provider: SecretsProvider::Helm,
            external_secrets: ExternalSecrets {
                enabled: false,
                secret_store_ref: SecretStoreRef { name: DnsName::default(), kind: StoreKind::ClusterSecretStore },
                remote_key: "aeterna".into(),
                refresh_interval: Duration::new("1h"),
            },
        }
    }
}

/// The container a credential is given to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consumer {
    /// The Aeterna server (and its migration Job).
    Server,
    /// opal-server.
    OpalServer,
    /// The OPAL client beside each Cedar agent.
    OpalClient,
}

/// One credential: an environment variable of one container, read from a Secret.
pub struct Credential<'a> {
    /// Key in the chart's Secret (and property in the external store).
    pub key: &'static str,
    /// Environment variable of the container.
    pub env: &'static str,
    /// The container that reads it.
    pub consumer: Consumer,
    /// The credential's backend is selected.
    pub used: Expr<bool>,
    /// The value in values.yaml.
    pub value: &'a Knob<SecretString>,
    /// The operator's Secret, and the key in it.
    pub existing: Option<(&'a Knob<DnsName>, Expr<String>)>,
    /// Without it the backend cannot work (an API key), as opposed to an optional password.
    pub required: bool,
}

/// Every credential of the server.
pub struct Credentials<'a> {
    pub list: Vec<Credential<'a>>,
}

impl<'a> Credentials<'a> {
    pub fn of(v: &'a ValuesKnobs) -> Self {
        let vb = &v.vector_backend;
        let vector = |t: VectorBackendType| vb.type_.is(t);
        let existing = |secret: &'a Knob<DnsName>, key: Expr<String>| Some((secret, key));
        let fixed = |key: &str| Expr::from(key);
        let llm = |p: LlmProvider| v.llm.provider.is(p);
        let o = &v.opal;
        // OPAL's secure mode: opal-server signs and verifies the clients' JWTs.
        let secure = o.enabled.and(&o.auth.enabled);
        let opal_auth = |key: &'static str, env: &'static str, consumer: Consumer, value: &'a Knob<SecretString>, existing_key: &'static str| Credential {
            key,
            env,
            consumer,
            used: secure.clone(),
            value,
            existing: existing(&o.auth.existing_secret, fixed(existing_key)),
            required: true,
        };
        let webhook = &o.server.policy_repo.webhook;
        Credentials {
            list: vec![
                opal_auth("opal-auth-master-token", "OPAL_AUTH_MASTER_TOKEN", Consumer::OpalServer, &o.auth.master_token, "master-token"),
                opal_auth("opal-auth-private-key", "OPAL_AUTH_PRIVATE_KEY", Consumer::OpalServer, &o.auth.private_key, "private-key"),
                opal_auth("opal-auth-public-key", "OPAL_AUTH_PUBLIC_KEY", Consumer::OpalServer, &o.auth.public_key, "public-key"),
                opal_auth("opal-client-token", "OPAL_CLIENT_TOKEN", Consumer::OpalClient, &o.auth.client_token, "client-token"),
                Credential {
                    key: "opal-policy-repo-webhook-secret",
                    env: "OPAL_POLICY_REPO_WEBHOOK_SECRET",
                    consumer: Consumer::OpalServer,
                    used: o.enabled.and(&webhook.enabled),
                    value: &webhook.secret,
                    existing: existing(&webhook.existing_secret, webhook.existing_secret_key.expr()),
                    required: true,
                },
                Credential {
                    key: "postgres-password",
                    consumer: Consumer::Server,
                    env: "PG_PASSWORD",
                    used: v.postgresql.enabled.not(),
                    value: &v.postgresql.external.password,
                    existing: existing(&v.postgresql.external.existing_secret, v.postgresql.external.existing_secret_key.expr()),
                    required: false,
                },
                Credential {
                    key: "redis-password",
                    consumer: Consumer::Server,
                    env: "AETERNA_REDIS_PASSWORD",
                    used: v.cache.type_.is(CacheType::External),
                    value: &v.cache.external.password,
                    existing: existing(&v.cache.external.existing_secret, v.cache.external.existing_secret_key.expr()),
                    required: false,
                },
                Credential {
                    key: "qdrant-api-key",
                    consumer: Consumer::Server,
                    env: "QDRANT_API_KEY",
                    used: vector(VectorBackendType::Qdrant).and(vb.qdrant.enabled.not()),
                    value: &vb.qdrant.external.api_key,
                    existing: existing(&vb.qdrant.external.existing_secret, vb.qdrant.external.existing_secret_key.expr()),
                    required: false,
                },
                Credential {
                    key: "pinecone-api-key",
                    consumer: Consumer::Server,
                    env: "PINECONE_API_KEY",
                    used: vector(VectorBackendType::Pinecone),
                    value: &vb.pinecone.api_key,
                    existing: existing(&vb.pinecone.existing_secret, fixed("api-key")),
                    required: true,
                },
                Credential {
                    key: "weaviate-api-key",
                    consumer: Consumer::Server,
                    env: "WEAVIATE_API_KEY",
                    used: vector(VectorBackendType::Weaviate),
                    value: &vb.weaviate.external.api_key,
                    existing: None,
                    required: false,
                },
                Credential {
                    key: "mongodb-uri",
                    consumer: Consumer::Server,
                    env: "MONGODB_URI",
                    used: vector(VectorBackendType::Mongodb),
                    value: &vb.mongodb.uri,
                    existing: existing(&vb.mongodb.existing_secret, fixed("uri")),
                    required: true,
                },
                Credential {
                    key: "vertex-ai-service-account.json",
                    consumer: Consumer::Server,
                    env: "AETERNA_VERTEX_AI_CREDENTIALS_JSON",
                    used: vector(VectorBackendType::VertexAi),
                    value: &vb.vertex_ai.service_account_json,
                    existing: existing(&vb.vertex_ai.existing_secret, fixed("service-account.json")),
                    required: true,
                },
                Credential {
                    key: "databricks-token",
                    consumer: Consumer::Server,
                    env: "DATABRICKS_TOKEN",
                    used: vector(VectorBackendType::Databricks),
                    value: &vb.databricks.token,
                    existing: existing(&vb.databricks.existing_secret, fixed("token")),
                    required: true,
                },
                Credential {
                    key: "openai-api-key",
                    consumer: Consumer::Server,
                    env: "OPENAI_API_KEY",
                    used: llm(LlmProvider::Openai),
                    value: &v.llm.openai.api_key,
                    existing: existing(&v.llm.openai.existing_secret, v.llm.openai.existing_secret_key.expr()),
                    required: true,
                },
            ],
        }
    }

    /// Everything about the credentials, with `external` the (named) External Secrets switch:
    /// declares the operator's Secrets as existing outside the chart, rejects a required
    /// credential with no source and a values-file secret External Secrets would ignore, and adds
    /// the chart's Secret (values-file credentials) or the ExternalSecret that writes it. Each
    /// credential's conditions are named, so the templates test them by name.
    pub fn add_to(&self, m: &mut Model, s: &SecretsKnobs, external: &Expr<bool>) -> Store {
        let mut from_values = Vec::new();
        let mut from_store = Vec::new();
        let mut in_env = Vec::new();
        for c in &self.list {
            if let Some((secret, _)) = &c.existing {
                m.external::<Secret>(*secret);
            }
            let path = c.value.path();
            let existing = c.existing_set();
            if c.required {
                let alternative = match &c.existing {
                    Some((secret, _)) => format!(" or {}", secret.path()),
                    None => String::new(),
                };
                m.reject_when(
                    c.used.and(existing.not()).and(c.value.is_set().not()).and(external.not()),
                    &format!("{path} is needed: set it{alternative}, or use secrets.provider: external-secrets"),
                );
            }
            m.reject_when(
                c.used.and(external).and(c.value.is_set()),
                &format!(
                    "{path} is set but External Secrets are on (secrets.provider or secrets.externalSecrets.enabled): put the value in the secret store under {} instead",
                    c.key
                ),
            );
            let name = c.name();
            let unsourced = c.used.and(existing.not());
            from_values.push(m.condition(format!("{name}FromValues"), unsourced.and(external.not()).and(c.value.is_set())));
            from_store.push(m.condition(format!("{name}FromStore"), if c.required { unsourced.and(external) } else { Expr::from(false) }));
            let sourced = existing.or(c.value.is_set().and(external.not())).or(if c.required { external.clone() } else { Expr::from(false) });
            in_env.push(m.condition(format!("{name}InEnv"), c.used.and(sourced)));
        }
        let any = |conds: &[Expr<bool>]| conds.iter().cloned().reduce(|a, b| a.or(b)).unwrap_or_else(|| Expr::from(false));

        let data = self.list.iter().zip(&from_values).fold(Map::new(), |d, (c, cond)| d.when(cond, Map::new().str(c.key, c.value)));
        let secret = m.add_when(any(&from_values), Secret::builder().meta(Meta::new(fullname()).template_file("aeterna/secret.yaml")).string_data(data).build());

        let es = &s.external_secrets;
        let keys = self.list.iter().zip(&from_store).fold(List::new(), |l, (c, cond)| l.when(cond, List::new().push(ExternalKey::new(c.key, &es.remote_key, c.key))));
        m.add_when(
            any(&from_store),
            ExternalSecret::builder()
                .meta(Meta::new(fullname()).template_file("aeterna/externalsecret.yaml"))
                .store_name(&es.secret_store_ref.name)
                .store_kind(&es.secret_store_ref.kind)
                .refresh_interval(&es.refresh_interval)
                .target(fullname())
                .data(keys)
                .build(),
        );
        Store { secret, in_env }
    }

    /// The environment variables of `consumer`'s credentials in use.
    pub fn env(&self, store: &Store, consumer: Consumer) -> List<EnvVar> {
        let own = SecretRef::from(&store.secret);
        self.list.iter().zip(&store.in_env).filter(|(c, _)| c.consumer == consumer).fold(List::new(), |l, (c, in_env)| l.when(in_env, List::new().push(c.var(c.env, &own))))
    }
}

impl Credentials<'_> {
    /// The credential stored under `key` for another container too: its variable (the same name
    /// and source as for its own consumer), the condition under which it is set, and the name.
    pub fn shared(&self, store: &Store, key: &str) -> (List<EnvVar>, Expr<bool>, &'static str) {
        let own = SecretRef::from(&store.secret);
        let (c, in_env) = self.list.iter().zip(&store.in_env).find(|(c, _)| c.key == key).expect("a credential of the chart");
        (List::new().when(in_env, List::new().push(c.var(c.env, &own))), in_env.clone(), c.env)
    }
}

impl SecretsKnobs {
    /// Credentials come from the External Secrets Operator: `provider: external-secrets`, or
    /// `externalSecrets.enabled` (the design has both switches; either turns it on).
    pub fn external(&self) -> Expr<bool> {
        self.provider.is(SecretsProvider::ExternalSecrets).or(&self.external_secrets.enabled)
    }
}

impl Credential<'_> {
    /// The credential's name in the chart's conditions: its variable in camel case
    /// (`OPENAI_API_KEY`: `openaiApiKey`, `OPAL_CLIENT_TOKEN`: `opalClientToken`).
    fn name(&self) -> String {
        let words = self.env.trim_start_matches("AETERNA_").split('_').map(str::to_lowercase);
        words.enumerate().map(|(i, w)| if i == 0 { w } else { w[..1].to_uppercase() + &w[1..] }).collect()
    }

    /// The variable `env` read from where the credential is: the existing Secret when set, else
    /// the chart's.
    fn var(&self, env: &'static str, own: &SecretRef) -> EnvVar {
        match &self.existing {
            Some((secret, key)) => {
                EnvVar::secret(env, &SecretRef::choose(secret.is_set(), SecretRef::external(*secret), own.clone()), secret.is_set().then(key.clone(), self.key), false)
            }
            None => EnvVar::secret(env, own, self.key, false),
        }
    }

    fn existing_set(&self) -> Expr<bool> {
        match &self.existing {
            Some((secret, _)) => secret.is_set(),
            None => Expr::from(false),
        }
    }
}

/// The Secret the chart or the External Secrets Operator writes (the same name either way).
pub struct Store {
    pub secret: ObjectRef<Secret>,
    /// Per credential, in list order: its variable is set.
    in_env: Vec<Expr<bool>>,
}
