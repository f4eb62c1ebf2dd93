//! Loading values the way Helm does: values files parsed as YAML, merged over the defaults in
//! order with the `--set` layers, and the merged values validated once against the
//! application's `Values` type (which is what its schema says too).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use regex_lite::Regex;
use serde_json::Value;

use super::Values;
use super::set::parse_set;


/// A values error: the source (file or `--set`), the values path, and what was expected.
#[derive(Clone, Debug, PartialEq)]
pub struct ValuesError {
    pub source: String,
    pub path: String,
    pub message: String,
}

impl fmt::Display for ValuesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.source, self.message)
        } else {
            write!(f, "{}: {}: {}", self.source, self.path, self.message)
        }
    }
}

impl std::error::Error for ValuesError {}

/// One layer of values: a file's text, or `--set` assignments.
pub enum Layer<'a> {
    File { name: &'a str, text: &'a str },
    Set(&'a [String]),
}

/// Values files can be large or deep; beyond these they are refused before parsing.
const MAX_VALUES_BYTES: usize = 4 << 20;
const MAX_DEPTH: usize = 64;

fn depth(v: &Value) -> usize {
    match v {
        Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

pub fn parse_yaml(name: &str, text: &str) -> Result<Value, ValuesError> {
    let err = |message: String| ValuesError { source: name.to_string(), path: String::new(), message };
    if text.len() > MAX_VALUES_BYTES {
        return Err(err(format!("file is larger than {} MiB", MAX_VALUES_BYTES >> 20)));
    }
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    // A repeated key replaces the earlier one, as Helm reads values files: emit must not refuse
    // a file Helm takes (yamllint finds such keys where they matter, in rendered output).
    let options = serde_saphyr::options! { duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins };
    let v: Value = serde_saphyr::from_str_with_options(text, options).map_err(|e| err(format!("not valid YAML: {}", yaml_message(name, &e.to_string()))))?;
    match v {
        Value::Null => Ok(Value::Object(Default::default())),
        Value::Object(_) if depth(&v) > MAX_DEPTH => Err(err(format!("nested deeper than {MAX_DEPTH} levels"))),
        Value::Object(_) => Ok(v),
        other => Err(err(format!("expected a map of settings at the top, found {}", kind_of(&other)))),
    }
}

/// The YAML parser's message in a values file's terms: the file's name in the excerpt, and
/// what its limits mean rather than the library's settings that set them.
fn yaml_message(name: &str, message: &str) -> String {
    static DEPTH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"budget breached: Depth \{ depth: \d+ \}|recursion limit exceeded").expect("valid pattern"));
    static NODES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"budget breached: (\w+) \{[^}]*\}").expect("valid pattern"));
    let text = message.replace("<input>", name).replace("error: line ", "line ");
    let text = DEPTH.replace_all(&text, format!("nested deeper than {MAX_DEPTH} levels").as_str()).into_owned();
    let text = NODES.replace_all(&text, "too large once its aliases are expanded ($1)").into_owned();
    text.replace("; use from_str_multiple or from_str_multiple_with_options", ": a values file holds one")
        .replace(" rejected by the configured policy", ": values are finite numbers")
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Helm's coalescing: maps merge key by key, anything else replaces, and `null` deletes.
pub fn merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(&k);
                } else if let (Some(existing @ Value::Object(_)), Value::Object(_)) = (b.get_mut(&k), &v) {
                    merge(existing, v);
                } else {
                    b.insert(k, v);
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Checks a merged values tree against the typed `V` and returns its canonical form.
pub fn validate<V: Values>(tree: &Value) -> Result<Value, (String, String)> {
    // Helm passes a `global` map to every chart; it is no setting of ours unless `V` declares
    // it. Only then is the tree copied: deserializing from the borrowed tree saves a copy of
    // every values tree checked.
    let schema = schema_of::<V>();
    let without_global;
    let tree = match tree {
        Value::Object(m) if m.contains_key("global") && schema["properties"].get("global").is_none() => {
            let mut m = m.clone();
            m.remove("global");
            without_global = Value::Object(m);
            &without_global
        }
        other => other,
    };
    // serde reads a struct from a list too (field by field), and then complains about the
    // first field's type: say what is wrong instead.
    sections_are_maps(&schema, tree, "")?;
    let typed: V = serde_path_to_error::deserialize(tree).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        (path, e.into_inner().to_string())
    })?;
    serde_json::to_value(&typed).map_err(|e| (String::new(), e.to_string()))
}

/// The schema of `V`, generated once per type: loading checks every layer against it.
pub(crate) fn schema_of<V: Values>() -> std::sync::Arc<Value> {
    static SCHEMAS: LazyLock<std::sync::Mutex<BTreeMap<std::any::TypeId, std::sync::Arc<Value>>>> = LazyLock::new(Default::default);
    let mut schemas = SCHEMAS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    schemas
        .entry(std::any::TypeId::of::<V>())
        .or_insert_with(|| {
            let mut settings = schemars::generate::SchemaSettings::draft07();
            settings.inline_subschemas = true;
            std::sync::Arc::new(settings.into_generator().into_root_schema_for::<V>().to_value())
        })
        .clone()
}

/// Every section of settings (a struct: a schema with properties) is given as a map.
fn sections_are_maps(schema: &Value, v: &Value, path: &str) -> Result<(), (String, String)> {
    let Some(Value::Object(props)) = schema.get("properties") else {
        if let (Some(items), Value::Array(list)) = (schema.get("items"), v) {
            for (i, item) in list.iter().enumerate() {
                sections_are_maps(items, item, &format!("{path}[{i}]"))?;
            }
        }
        return Ok(());
    };
    match v {
        Value::Object(m) => {
            for (k, sub) in props {
                if let Some(x) = m.get(k) {
                    sections_are_maps(sub, x, &if path.is_empty() { k.clone() } else { format!("{path}.{k}") })?;
                }
            }
            Ok(())
        }
        other => Err((path.to_string(), format!("expected a map of settings, found {}", kind_of(other)))),
    }
}

/// Loads values the way Helm does: the defaults, then each layer merged in order, checked once
/// merged (Helm validates the merged values against the schema once, too). When the merged
/// values fail, the layers are checked one by one so the error names the file that brought the
/// wrong value in.
pub fn load(
    defaults: &Value,
    layers: &[Layer],
    check: &dyn Fn(&Value) -> Result<Value, (String, String)>,
) -> Result<Value, ValuesError> {
    let mut overlays = Vec::with_capacity(layers.len());
    for layer in layers {
        overlays.push(match layer {
            Layer::File { name, text } => (name.to_string(), parse_yaml(name, text)?),
            Layer::Set(assignments) => ("--set".to_string(), parse_set(assignments)?),
        });
    }
    let mut tree = defaults.clone();
    for (_, overlay) in &overlays {
        merge(&mut tree, overlay.clone());
    }
    if let Ok(canonical) = check(&tree) {
        return Ok(canonical);
    }
    // Only to name the source: check the defaults, then after each layer, and report the first
    // that fails. (A check per layer on every load doubled the cost of loading values.)
    let mut tree = defaults.clone();
    check(&tree).map_err(|(path, message)| ValuesError { source: "defaults".into(), path, message })?;
    let mut canonical = Value::Null;
    for (name, overlay) in overlays {
        merge(&mut tree, overlay);
        canonical = check(&tree).map_err(|(path, message)| ValuesError { source: name, path, message })?;
    }
    // Not reached while `check` gives the same answer twice; if it did, that answer stands.
    Ok(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_checks_the_merged_values_and_names_the_file_that_broke_them() {
        // Stands in for a typed check: `port` must be a number.
        let check = |t: &Value| -> Result<Value, (String, String)> {
            if t["port"].is_number() { Ok(t.clone()) } else { Err(("port".into(), "expected a number".into())) }
        };
        let defaults = serde_json::json!({"port": 80, "name": "x"});
        let bad = Layer::File { name: "a.yaml", text: "port: http" };
        let fix = ["port=8080".to_string()];
        // As with Helm, which validates the merged values once: a later layer may correct an
        // earlier one.
        let v = load(&defaults, &[bad, Layer::Set(&fix)], &check).expect("the merged values are valid");
        assert_eq!(v["port"], 8080);
        let other = Layer::File { name: "b.yaml", text: "name: y" };
        let bad = Layer::File { name: "a.yaml", text: "port: http" };
        let e = load(&defaults, &[other, bad], &check).unwrap_err();
        assert_eq!((e.source.as_str(), e.path.as_str()), ("a.yaml", "port"));
    }

    #[test]
    fn merge_replaces_lists_merges_maps_and_null_deletes() {
        let mut base = serde_json::json!({"a": {"x": 1, "y": 2}, "l": [1, 2], "z": 3});
        merge(&mut base, serde_json::json!({"a": {"y": 5}, "l": [9], "z": null}));
        assert_eq!(base, serde_json::json!({"a": {"x": 1, "y": 5}, "l": [9]}));
    }

}
