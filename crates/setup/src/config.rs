//! `.aeterna/config.toml`: the Aeterna server's runtime configuration as a file, for running the
//! server outside a container. It is the server's environment as the chart renders it (its
//! ConfigMap and the credentials it reads), one table per subject: `PG_HOST`
//! becomes `host` in `[pg]`, `OTEL_SERVICE_NAME` `service_name` in `[otel]`. Credentials
//! are never written: `api_key_env = "OPENAI_API_KEY"` names the variable that holds one.

use std::collections::BTreeMap;

use crate::runtime::{EnvValue, Service};

/// Subjects named by two words (`AETERNA_VERTEX_AI_PROJECT` is `project` of `[vertex_ai]`).
const TWO_WORD: &[&str] = &["VERTEX_AI"];

/// `PG_HOST` to (`pg`, `host`), `AETERNA_OPENAI_MODEL` to (`openai`, `model`).
fn place(var: &str) -> (String, String) {
    let name = var.strip_prefix("AETERNA_").unwrap_or(var);
    let split = TWO_WORD.iter().find(|p| name.strip_prefix(**p).is_some_and(|rest| rest.starts_with('_'))).map(|p| p.len()).or_else(|| name.find('_')).unwrap_or(name.len());
    let (section, key) = name.split_at(split);
    let key = key.trim_start_matches('_');
    let key = if key.is_empty() { "value" } else { key };
    (section.to_ascii_lowercase(), key.to_ascii_lowercase())
}

/// The typed TOML value of an environment value: booleans and port numbers as such.
fn typed(var: &str, text: &str) -> toml::Value {
    match text {
        "true" => toml::Value::Boolean(true),
        "false" => toml::Value::Boolean(false),
        _ if var.ends_with("_PORT") => text.parse::<u16>().map(|n| toml::Value::Integer(n.into())).unwrap_or_else(|_| toml::Value::String(text.into())),
        _ => toml::Value::String(text.into()),
    }
}

/// The TOML text of the server's configuration.
pub fn toml_of(server: &Service) -> Result<String, String> {
    let mut tables: BTreeMap<String, toml::Table> = BTreeMap::new();
    for (var, value) in &server.env {
        let (section, key) = place(var);
        let (key, v) = match value {
            EnvValue::Text(t) => (key, typed(var, t)),
            EnvValue::Secret(name) => (format!("{key}_env"), toml::Value::String(name.clone())),
            // The credentials stay out: `${VAR}` names where each comes from.
            EnvValue::Composed(pieces) => {
                let text = pieces.iter().map(|p| match p {
                    crate::runtime::Piece::Text(t) => t.clone(),
                    crate::runtime::Piece::Secret(var) => format!("${{{var}}}"),
                });
                (key, toml::Value::String(text.collect()))
            }
        };
        let table = tables.entry(section.clone()).or_default();
        if table.insert(key.clone(), v).is_some() {
            return Err(format!("two settings of the server become {key} in [{section}] of config.toml"));
        }
    }
    let mut root = toml::Table::new();
    for (section, table) in tables {
        root.insert(section, toml::Value::Table(table));
    }
    toml::to_string(&root).map_err(|e| format!("cannot write config.toml: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_become_keys_of_their_subject() {
        assert_eq!(place("PG_HOST"), ("pg".into(), "host".into()));
        assert_eq!(place("AETERNA_OPENAI_MODEL"), ("openai".into(), "model".into()));
        assert_eq!(place("AETERNA_VERTEX_AI_INDEX_ENDPOINT"), ("vertex_ai".into(), "index_endpoint".into()));
        assert_eq!(place("OTEL_EXPORTER_OTLP_ENDPOINT"), ("otel".into(), "exporter_otlp_endpoint".into()));
        assert_eq!(typed("PG_PORT", "5432"), toml::Value::Integer(5432));
        assert_eq!(typed("PG_DATABASE", "8080"), toml::Value::String("8080".into()));
    }
}
