//! The chart's static files: Chart.yaml, values.yaml with its comments,
//! values.schema.json, README.md with the values table, .helmignore.

use serde_json::{Value, json};

use super::yaml;
use crate::model::chart_meta::ChartMeta;

/// Chart.yaml of a chart, under the `header` comment.
pub(crate) fn chart_yaml(meta: &ChartMeta, header: &str) -> String {
    let mut doc = serde_json::Map::new();
    doc.insert("apiVersion".into(), json!("v2"));
    doc.insert("name".into(), json!(meta.name));
    doc.insert("description".into(), json!(meta.description));
    doc.insert("type".into(), json!("application"));
    doc.insert("version".into(), json!(meta.version));
    doc.insert("appVersion".into(), json!(meta.app_version));
    if !meta.keywords.is_empty() {
        doc.insert("keywords".into(), json!(meta.keywords));
    }
    if !meta.home.is_empty() {
        doc.insert("home".into(), json!(meta.home));
    }
    if !meta.sources.is_empty() {
        doc.insert("sources".into(), json!(meta.sources));
    }
    if !meta.maintainers.is_empty() {
        let list: Vec<Value> = meta
            .maintainers
            .iter()
            .map(|m| {
                let mut o = serde_json::Map::new();
                o.insert("name".into(), json!(m.name));
                if !m.email.is_empty() {
                    o.insert("email".into(), json!(m.email));
                }
                if !m.url.is_empty() {
                    o.insert("url".into(), json!(m.url));
                }
                Value::Object(o)
            })
            .collect();
        doc.insert("maintainers".into(), Value::Array(list));
    }
    format!("# {header}\n{}", yaml::to_block(&Value::Object(doc)))
}

/// values.yaml: the defaults, each key under the comment its doc comment gives.
pub(crate) fn values_yaml(header: &str, defaults: &Value, schema: &Value) -> String {
    let mut out = format!("# {header}\n#\n# Default values; every key is described in README.md and checked by values.schema.json.\n\n");
    yaml::write_block(&mut out, defaults, 0, Some(schema));
    out
}

/// Block YAML of part of a values tree (an overlay such as a values file), each key under the
/// comment its schema description gives, written as values.yaml is.
pub fn commented_yaml(values: &Value, schema: &Value) -> String {
    let mut out = String::new();
    yaml::write_block(&mut out, values, 0, Some(schema));
    out
}

fn type_name(schema: Option<&Value>, default: &Value) -> String {
    if let Some(t) = schema.and_then(|s| s.get("type")) {
        match t {
            Value::String(s) => return s.clone(),
            Value::Array(list) => return list.iter().filter_map(Value::as_str).filter(|s| *s != "null").collect::<Vec<_>>().join(" or "),
            _ => {}
        }
    }
    if schema.and_then(|s| s.get("enum")).is_some() {
        return "string".into();
    }
    if let Some(Value::Array(alternatives)) = schema.and_then(|s| s.get("anyOf")) {
        let mut names: Vec<String> = Vec::new();
        for alt in alternatives {
            // `""` as the "not set" alternative reads better spelled out.
            let name = if alt.get("maxLength") == Some(&Value::from(0)) { "\"\"".to_string() } else { type_name(Some(alt), &Value::Null) };
            if !names.contains(&name) {
                names.push(name);
            }
        }
        return names.join(" or ");
    }
    match default {
        Value::Object(_) => "object",
        Value::Array(_) => "list",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::Null => "null",
    }
    .into()
}

/// The values table rows: one per leaf, with type, default and description. The schema is
/// walked beside the defaults (`node` describes `v`).
pub(crate) fn values_rows(defaults: &Value, schema: &Value) -> Vec<[String; 4]> {
    fn walk(v: &Value, path: &str, node: Option<&Value>, rows: &mut Vec<[String; 4]>) {
        let properties = node.and_then(|n| n.get("properties"));
        match v {
            Value::Object(map) if properties.is_some() || path.is_empty() => {
                for (k, child) in map {
                    let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    walk(child, &p, properties.and_then(|props| props.get(k)), rows);
                }
            }
            _ => {
                let mut desc = node.and_then(|n| n.get("description")).and_then(Value::as_str).unwrap_or("").replace('\n', " ");
                if let Some(options) = node.and_then(|n| n.get("enum")).and_then(Value::as_array) {
                    let names: Vec<String> = options.iter().map(|o| format!("`{}`", o.as_str().unwrap_or_default())).collect();
                    desc = format!("{desc} One of {}.", names.join(", ")).trim().to_string();
                }
                rows.push([format!("`{path}`"), type_name(node, v), format!("`{}`", v).replace('|', "\\|"), desc.replace('|', "\\|")]);
            }
        }
    }
    let mut rows = Vec::new();
    walk(defaults, "", Some(schema), &mut rows);
    rows
}

pub(crate) fn helmignore(header: &str) -> String {
    format!(
        "# {header}\n# Patterns to ignore when building packages.\n.DS_Store\n.git/\n.gitignore\n.bzr/\n.bzrignore\n.hg/\n.hgignore\n.svn/\n*.swp\n*.bak\n*.tmp\n*.orig\n*~\n.project\n.idea/\n*.tmproj\n.vscode/\n"
    )
}
