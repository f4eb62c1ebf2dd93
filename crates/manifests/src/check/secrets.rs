//! No secret in `charts-out`: the settings a values schema marks `writeOnly`, and which of them
//! a values tree sets.

use serde_json::Value;

/// The values paths of the secret settings of a values schema: those marked `writeOnly` (JSON
/// Schema's mark for passwords and keys, which Helm ignores). Items of lists are `path[]`.
pub fn secret_settings(schema: &Value) -> Vec<String> {
    fn walk(schema: &Value, path: &str, out: &mut Vec<String>) {
        if schema.get("writeOnly") == Some(&Value::Bool(true)) {
            out.push(path.to_string());
            return;
        }
        if let Some(Value::Object(props)) = schema.get("properties") {
            for (k, sub) in props {
                let child = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                walk(sub, &child, out);
            }
        }
        if let Some(items) = schema.get("items") {
            walk(items, &format!("{path}[]"), out);
        }
    }
    let mut out = Vec::new();
    walk(schema, "", &mut out);
    out
}

/// The secret settings that `values` sets (to anything but an empty string, `null`, or an
/// empty list or map), with what they are set to. Items of lists are named by index.
pub fn secret_values<'v>(schema: &Value, values: &'v Value) -> Vec<(String, &'v Value)> {
    fn at<'v>(v: &'v Value, path: &str, shown: String, out: &mut Vec<(String, &'v Value)>) {
        if path.is_empty() {
            let set = match v {
                Value::Null => false,
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                Value::Object(m) => !m.is_empty(),
                _ => true,
            };
            if set {
                out.push((shown, v));
            }
            return;
        }
        let (head, rest) = match path.find(['.', '[']) {
            Some(0) if path.starts_with("[]") => {
                let rest = path[2..].strip_prefix('.').unwrap_or(&path[2..]);
                for (i, item) in v.as_array().into_iter().flatten().enumerate() {
                    at(item, rest, format!("{shown}[{i}]"), out);
                }
                return;
            }
            Some(i) => (&path[..i], path[i..].strip_prefix('.').unwrap_or(&path[i..])),
            None => (path, ""),
        };
        if let Some(next) = v.get(head) {
            let shown = if shown.is_empty() { head.to_string() } else { format!("{shown}.{head}") };
            at(next, rest, shown, out);
        }
    }
    let mut out = Vec::new();
    for path in secret_settings(schema) {
        at(values, &path, String::new(), &mut out);
    }
    out
}
