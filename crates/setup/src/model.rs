//! Answers to the one typed model: the Aeterna chart's `Values`. Every output file is derived
//! from what this returns, so none of them can say something the chart would not run.

use apps::aeterna::Values;
use apps::aeterna::core::LlmProvider;
use apps::aeterna::dependencies::{CacheType, VectorBackendType};
use apps::aeterna::secrets::Credentials;
use kforge::{DnsName, Knobbed, Path, Port};
use serde_json::Value;

use crate::answers::{Answers, CEDAR_CONFIG_MAP, EXAMPLE_POLICY_REPO, External, LOCAL_FETCHER_IMAGE, OPAL_SECRET, PostgresqlType, Secret, Target};

/// The chart's values for these answers. Typed secrets are in it too, at their values paths;
/// [`secret_paths`] says which paths those are, so each output can keep them where they belong.
pub fn values_of(a: &Answers) -> Values {
    let mut v = Values::default();
    // Outside Kubernetes a credential nobody typed is supplied where the server runs (.env or
    // the shell for compose, the server's own deployment for opencode-only). The chart still
    // needs a source for it to render: a Secret name, which those targets never write out.
    let untyped = |name: &str, secret: &Secret, existing: &DnsName| -> DnsName {
        if secret.is_empty() && existing.is_empty() && a.target != Target::Kubernetes { DnsName::new(name) } else { existing.clone() }
    };

    // ----- Q2: vector backend
    let vb = &a.vector_backend;
    let out = &mut v.vector_backend;
    out.type_ = vb.type_;
    if vb.type_ != VectorBackendType::Qdrant {
        out.qdrant.enabled = false;
    }
    match vb.type_ {
        VectorBackendType::Qdrant => {}
        VectorBackendType::Pgvector => out.pgvector.enabled = true,
        VectorBackendType::Pinecone => {
            out.pinecone.enabled = true;
            out.pinecone.environment = vb.environment.clone();
            out.pinecone.index_name = vb.index_name.clone();
            out.pinecone.api_key = kforge::SecretString(vb.api_key.0.clone());
            out.pinecone.existing_secret = untyped("aeterna-pinecone", &vb.api_key, &vb.existing_secret);
        }
        VectorBackendType::Weaviate => {
            out.weaviate.enabled = true;
            out.weaviate.external.host = vb.host.clone();
            out.weaviate.external.api_key = kforge::SecretString(vb.api_key.0.clone());
        }
        VectorBackendType::Mongodb => {
            out.mongodb.enabled = true;
            out.mongodb.uri = kforge::SecretString(vb.uri.0.clone());
            out.mongodb.existing_secret = untyped("aeterna-mongodb", &vb.uri, &vb.existing_secret);
        }
        VectorBackendType::VertexAi => {
            out.vertex_ai.enabled = true;
            out.vertex_ai.project_id = vb.project_id.clone();
            out.vertex_ai.region = vb.region.clone();
            out.vertex_ai.index_endpoint = vb.index_endpoint.clone();
            out.vertex_ai.service_account_json = kforge::SecretString(vb.service_account_json.0.clone());
            out.vertex_ai.existing_secret = untyped("aeterna-vertex-ai", &vb.service_account_json, &vb.existing_secret);
        }
        VectorBackendType::Databricks => {
            out.databricks.enabled = true;
            out.databricks.workspace_url = vb.workspace_url.clone();
            out.databricks.catalog = vb.catalog.clone();
            out.databricks.token = kforge::SecretString(vb.token.0.clone());
            out.databricks.existing_secret = untyped("aeterna-databricks", &vb.token, &vb.existing_secret);
        }
    }

    // ----- Q3: cache
    let cache = &mut v.cache;
    cache.type_ = a.cache.type_;
    cache.dragonfly.enabled = a.cache.type_ == CacheType::Dragonfly;
    cache.valkey.enabled = a.cache.type_ == CacheType::Valkey;
    if let Some(e) = &a.cache.external {
        cache.external.host = e.host.trim().to_string();
        cache.external.port = e.port.unwrap_or(cache.external.port);
        cache.external.password = kforge::SecretString(e.password.0.clone());
        cache.external.existing_secret = e.existing_secret.clone();
    }

    // ----- Q4: PostgreSQL
    let pg = &mut v.postgresql;
    pg.enabled = a.postgresql.type_ == PostgresqlType::CloudnativePg;
    if let Some(External { host, port, database, username, password, existing_secret }) = &a.postgresql.external {
        pg.external.host = host.trim().to_string();
        pg.external.port = port.unwrap_or(Port(5432));
        if !database.is_empty() {
            pg.external.database = database.clone();
        }
        pg.external.username = username.clone();
        pg.external.password = kforge::SecretString(password.0.clone());
        pg.external.existing_secret = existing_secret.clone();
    }

    // ----- Q5: OPAL, with a policy repository (OPAL's Cedar example unless one is given) and the
    // opal-fetcher image the user built. On Kubernetes in secure mode with its keys and tokens
    // in a Secret and the server's Cedar policy in a ConfigMap; elsewhere in OPAL's development
    // mode, whose clients need no token (compose publishes only the server), with the policy
    // read where the server runs (the ConfigMap's name is never written out).
    let o = &a.opal;
    v.opal.enabled = o.enabled;
    if o.enabled {
        let repo = &mut v.opal.server.policy_repo;
        repo.url = if o.policy_repo.is_empty() { EXAMPLE_POLICY_REPO.into() } else { o.policy_repo.trim().to_string() };
        if !o.branch.is_empty() {
            repo.branch = o.branch.trim().to_string();
        }
        v.opal.fetcher.image.repository = if o.fetcher_image.trim().is_empty() { LOCAL_FETCHER_IMAGE.into() } else { o.fetcher_image.trim().to_string() };
        v.opal.cedar.existing_config_map = if o.cedar_config_map.is_empty() { DnsName::new(CEDAR_CONFIG_MAP) } else { o.cedar_config_map.clone() };
        v.opal.fetcher.tenant = o.tenant.clone();
        if a.target == Target::Kubernetes {
            v.opal.auth.existing_secret = if o.existing_secret.is_empty() { DnsName::new(OPAL_SECRET) } else { o.existing_secret.clone() };
        } else {
            v.opal.auth.enabled = false;
        }
    }

    // ----- Q6: LLM
    let l = &a.llm;
    let llm = &mut v.llm;
    llm.provider = l.provider;
    match l.provider {
        LlmProvider::Openai => {
            llm.openai.api_key = kforge::SecretString(l.api_key.0.clone());
            llm.openai.existing_secret = untyped("aeterna-openai", &l.api_key, &l.existing_secret);
            if !l.model.is_empty() {
                llm.openai.chat_model = l.model.clone();
            }
        }
        LlmProvider::Ollama => {
            llm.ollama.host = l.host.trim().to_string();
            if !l.model.is_empty() {
                llm.ollama.model = l.model.clone();
            }
            // Only releases from 0.8.0-rc.9 on read the OpenAI-compatible URL Ollama is reached by.
            v.aeterna.image.tag = ollama_image_tag();
        }
        // `Answers::check` refuses anthropic: no release reads its settings.
        LlmProvider::Anthropic | LlmProvider::None => {}
    }

    // ----- Q8: advanced (Kubernetes only; `Answers::check` refuses them elsewhere)
    let adv = &a.advanced;
    v.ingress.enabled = adv.ingress;
    if !adv.ingress_host.is_empty()
        && let Some(first) = v.ingress.hosts.first_mut()
    {
        first.host = adv.ingress_host.0.clone();
    }
    v.observability.service_monitor.enabled = adv.service_monitor;
    v.security.network_policy.enabled = adv.network_policy;
    v.aeterna.autoscaling.enabled = adv.hpa;
    v.aeterna.pdb.enabled = adv.pdb;
    v
}

/// The example host of the chart's Ingress, which an empty `advanced.ingressHost` keeps.
pub fn chart_ingress_host() -> String {
    Values::default().ingress.hosts.first().map(|h| h.host.clone()).unwrap_or_default()
}

/// One credential of the chart: where its value sits in values.yaml and which environment
/// variable of the server carries it. Read from the chart's own list
/// (`apps::aeterna::secrets::Credentials`), so a credential added to the chart is a secret here
/// too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretPath {
    pub keys: Vec<String>,
    pub env: &'static str,
}

pub fn secret_paths() -> Vec<SecretPath> {
    let handle = <Values as Knobbed>::handle(Path::values());
    let credentials = Credentials::of(&handle);
    credentials.list.iter().map(|c| SecretPath { keys: c.value.path().dotted().split('.').map(str::to_string).collect(), env: c.env }).collect()
}

/// The key an operator's existing Secret must hold for the credential the server reads as
/// `env` (`api-key`, or the default of the chart's `existingSecretKey` setting), from the chart's
/// own list of credentials.
pub fn existing_secret_key(env: &str) -> Option<String> {
    let handle = <Values as Knobbed>::handle(Path::values());
    let defaults = serde_json::to_value(Values::default()).ok()?;
    let credentials = Credentials::of(&handle);
    let (_, key) = credentials.list.iter().find(|c| c.env == env)?.existing.as_ref()?;
    key.plain_value(&defaults)?.as_str().map(str::to_string)
}

/// The value at `keys`, if any.
pub fn get<'v>(tree: &'v Value, keys: &[String]) -> Option<&'v Value> {
    keys.iter().try_fold(tree, |node, k| node.get(k))
}

/// Removes the value at `keys` and returns it; empty parent maps go too.
pub fn take(tree: &mut Value, keys: &[String]) -> Option<Value> {
    let (last, parents) = keys.split_last()?;
    fn walk(node: &mut Value, parents: &[String], last: &str) -> Option<Value> {
        let map = node.as_object_mut()?;
        match parents.split_first() {
            None => map.remove(last),
            Some((first, rest)) => {
                let child = map.get_mut(first.as_str())?;
                let taken = walk(child, rest, last);
                if child.as_object().is_some_and(|m| m.is_empty()) {
                    map.remove(first.as_str());
                }
                taken
            }
        }
    }
    walk(tree, parents, last)
}

/// Sets the value at `keys`, creating maps on the way.
pub fn put(tree: &mut Value, keys: &[String], value: Value) {
    let mut node = tree;
    for k in keys {
        if !node.is_object() {
            *node = Value::Object(Default::default());
        }
        node = node.as_object_mut().expect("made a map").entry(k.clone()).or_insert(Value::Null);
    }
    *node = value;
}

/// What `values` sets differently from `defaults`: maps compared key by key, anything else
/// (lists, scalars) whole, as Helm merges values files.
pub fn diff(values: &Value, defaults: &Value) -> Option<Value> {
    match (values, defaults) {
        (Value::Object(v), Value::Object(d)) => {
            let mut out = serde_json::Map::new();
            for (k, child) in v {
                match d.get(k) {
                    Some(default) => {
                        if let Some(changed) = diff(child, default) {
                            out.insert(k.clone(), changed);
                        }
                    }
                    None => {
                        out.insert(k.clone(), child.clone());
                    }
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        _ => (values != defaults).then(|| values.clone()),
    }
}

/// The server image the Ollama answer runs: the first release that reads `AETERNA_OPENAI_BASE_URL`,
/// under the tag its release workflow publishes (`v` and the version in the 0.8.0-rc series).
pub fn ollama_image_tag() -> String {
    format!("v{}", apps::aeterna::core::READS_OPENAI_BASE_URL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn existing_secrets_name_their_key() {
        assert_eq!(existing_secret_key("PINECONE_API_KEY").as_deref(), Some("api-key"));
        let openai = Values::default().llm.openai.existing_secret_key;
        assert_eq!(existing_secret_key("OPENAI_API_KEY"), Some(openai.0));
        assert_eq!(existing_secret_key("NO_SUCH_VARIABLE"), None);
    }

    #[test]
    fn the_chart_credentials_are_the_secret_paths() {
        let paths = secret_paths();
        let llm = paths.iter().find(|p| p.env == "OPENAI_API_KEY").expect("openai key");
        assert_eq!(llm.keys, ["llm", "openai", "apiKey"]);
        assert!(paths.iter().any(|p| p.keys == ["postgresql", "external", "password"]));
    }

    #[test]
    fn diff_keeps_only_changes() {
        let d = json!({"a": {"x": 1, "y": [1]}, "b": true});
        assert_eq!(diff(&json!({"a": {"x": 1, "y": [2]}, "b": true}), &d), Some(json!({"a": {"y": [2]}})));
        assert_eq!(diff(&d, &d), None);
        let mut t = json!({"llm": {"openai": {"apiKey": "k"}}, "x": 1});
        assert_eq!(take(&mut t, &["llm".into(), "openai".into(), "apiKey".into()]), Some(json!("k")));
        assert_eq!(t, json!({"x": 1}));
    }

    #[test]
    fn defaults_answers_give_the_chart_defaults_but_the_key_source() {
        let v = serde_json::to_value(values_of(&Answers::default())).unwrap();
        let d = serde_json::to_value(Values::default()).unwrap();
        assert_eq!(
            diff(&v, &d),
            Some(json!({
                "llm": {"openai": {"existingSecret": "aeterna-openai"}},
                "opal": {
                    "auth": {"enabled": false},
                    "cedar": {"existingConfigMap": CEDAR_CONFIG_MAP},
                    "fetcher": {"image": {"repository": LOCAL_FETCHER_IMAGE}},
                    "server": {"policyRepo": {"url": EXAMPLE_POLICY_REPO}}
                }
            }))
        );
    }
}
