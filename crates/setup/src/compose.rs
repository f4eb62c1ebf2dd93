//! docker-compose.yaml, printed from the [`Runtime`] the chart renders: the same services
//! (named as their Kubernetes objects, so the hosts in the server's configuration resolve
//! unchanged), images, commands and environment.
//!
//! What compose cannot take from the chart is decided here and documented: the services' start
//! order (from the hosts each one's environment names, and the migration Job before the server
//! it migrates for), one container per workload whatever its replicas, the server published on
//! 127.0.0.1 only, and no Kubernetes security contexts (`runAsUser` and `fsGroup` have no
//! compose counterpart for named volumes, so the images run as their own users).

use std::sync::LazyLock;

use regex_lite::Regex;
use serde_json::{Map, Value, json};

use crate::runtime::{EnvValue, Piece, Runtime, Service};

/// A host that containers reach the machine they run on through (Docker Desktop names it;
/// on Linux the `host-gateway` mapping below makes it resolve).
const DOCKER_HOST: &str = "host.docker.internal";

/// Compose interpolates `$` in every string; a literal one is written `$$`.
fn literal(s: &str) -> Value {
    Value::String(s.replace('$', "$$"))
}

/// A credential, read from `.env` (or the shell) when compose starts; a missing one stops
/// `docker compose up` with this message rather than starting the server without it.
pub fn reference(var: &str) -> String {
    format!("${{{var}:?set {var} in .env}}")
}

/// The hosts a service's environment names: values of `*_HOST` variables and the hosts of URLs
/// (after any user and password).
pub fn hosts(s: &Service) -> Vec<String> {
    static URL_HOST: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"://(?:[^@/]*@)?([A-Za-z0-9][A-Za-z0-9.-]*)").expect("valid pattern"));
    let mut out = Vec::new();
    for (k, v) in &s.env {
        let v = match v {
            EnvValue::Text(t) => t.clone(),
            EnvValue::Composed(pieces) => pieces.iter().filter_map(|p| if let Piece::Text(t) = p { Some(t.as_str()) } else { None }).collect(),
            EnvValue::Secret(_) => continue,
        };
        if k.ends_with("_HOST") && !v.contains("://") && !v.is_empty() {
            out.push(v.clone());
        }
        for c in URL_HOST.captures_iter(&v) {
            out.push(c[1].to_string());
        }
    }
    out
}

/// Who starts before whom, and on what condition.
fn depends_on(rt: &Runtime, s: &Service) -> Map<String, Value> {
    let mut deps = Map::new();
    let named = |host: &str| rt.services.iter().find(|o| o.name == host || o.aliases.iter().any(|a| a == host));
    let condition = |o: &Service| {
        if o.one_shot {
            "service_completed_successfully"
        } else if o.healthcheck.is_some() {
            "service_healthy"
        } else {
            "service_started"
        }
    };
    let mut add = |o: &Service| {
        if o.name != s.name && !deps.contains_key(&o.name) {
            deps.insert(o.name.clone(), json!({"condition": condition(o)}));
        }
    };
    for host in hosts(s) {
        if let Some(o) = named(&host) {
            add(o);
        }
    }
    // The chart runs the migration Job before the pods of a new version start (a hook after
    // install and before every upgrade): a Job's image migrates before that image serves.
    if !s.one_shot {
        for job in rt.services.iter().filter(|o| o.one_shot && o.image == s.image) {
            add(job);
        }
    }
    deps
}

fn service(rt: &Runtime, s: &Service) -> Value {
    let mut m = Map::new();
    m.insert("image".into(), literal(&s.image));
    if !s.entrypoint.is_empty() {
        m.insert("entrypoint".into(), Value::Array(s.entrypoint.iter().map(|a| literal(a)).collect()));
    }
    if !s.args.is_empty() {
        m.insert("command".into(), Value::Array(s.args.iter().map(|a| literal(a)).collect()));
    }
    if !s.env.is_empty() {
        let env: Map<String, Value> = s
            .env
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    EnvValue::Text(t) => literal(t),
                    EnvValue::Secret(var) => Value::String(reference(var)),
                    EnvValue::Composed(pieces) => Value::String(
                        pieces
                            .iter()
                            .map(|p| match p {
                                Piece::Text(t) => t.replace('$', "$$"),
                                Piece::Secret(var) => reference(var),
                            })
                            .collect(),
                    ),
                };
                (k.clone(), value)
            })
            .collect();
        m.insert("environment".into(), Value::Object(env));
    }
    if !s.ports.is_empty() {
        let ports = s.ports.iter().map(|(published, target)| json!({"target": target, "published": published.to_string(), "host_ip": "127.0.0.1", "protocol": "tcp"}));
        m.insert("ports".into(), Value::Array(ports.collect()));
    }
    if !s.volumes.is_empty() {
        m.insert("volumes".into(), Value::Array(s.volumes.iter().map(|(v, p)| json!({"type": "volume", "source": v, "target": p})).collect()));
    }
    if !s.tmpfs.is_empty() {
        m.insert("tmpfs".into(), json!(s.tmpfs));
    }
    if !s.configs.is_empty() {
        m.insert("configs".into(), Value::Array(s.configs.iter().map(|(c, t)| json!({"source": c, "target": t})).collect()));
    }
    if let Some(test) = &s.healthcheck {
        m.insert("healthcheck".into(), json!({"test": test, "interval": "5s", "timeout": "5s", "retries": 12}));
    }
    if !s.aliases.is_empty() {
        m.insert("networks".into(), json!({"default": {"aliases": s.aliases}}));
    }
    if hosts(s).iter().any(|h| h == DOCKER_HOST) {
        m.insert("extra_hosts".into(), json!([format!("{DOCKER_HOST}:host-gateway")]));
    }
    let deps = depends_on(rt, s);
    if !deps.is_empty() {
        m.insert("depends_on".into(), Value::Object(deps));
    }
    m.insert("restart".into(), json!(if s.one_shot { "no" } else { "unless-stopped" }));
    Value::Object(m)
}

/// The compose document of project `project`.
pub fn document(rt: &Runtime, project: &str) -> Value {
    let mut doc = Map::new();
    doc.insert("name".into(), json!(project));
    let services: Map<String, Value> = rt.services.iter().map(|s| (s.name.clone(), service(rt, s))).collect();
    doc.insert("services".into(), Value::Object(services));
    if !rt.volumes.is_empty() {
        doc.insert("volumes".into(), Value::Object(rt.volumes.iter().map(|v| (v.clone(), json!({}))).collect()));
    }
    if !rt.configs.is_empty() {
        doc.insert("configs".into(), Value::Object(rt.configs.iter().map(|(n, c)| (n.clone(), json!({"content": c.replace('$', "$$")}))).collect()));
    }
    Value::Object(doc)
}

/// The document as YAML.
pub fn yaml(doc: &Value) -> Result<String, String> {
    serde_saphyr::to_string(doc).map_err(|e| format!("cannot write the compose file: {e}"))
}
