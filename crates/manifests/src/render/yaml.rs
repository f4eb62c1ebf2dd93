//! Small YAML text helpers shared by the generated files: safe scalars and keys, and a
//! deterministic block-style writer for plain data (values.yaml, Chart.yaml).

use serde_json::Value;

/// Words that YAML 1.1 readers (Kubernetes' among them) take for booleans or null.
const AMBIGUOUS: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"];

/// A string that can stand unquoted and still reads back as the same string, to Helm too
/// (YAML 1.1, [`crate::values::yaml11`]).
pub(crate) fn is_plain(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else { return false };
    (first.is_ascii_alphabetic() || first == '/')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-'))
        && !is_ambiguous(s)
        && crate::values::yaml11::reads_as_itself(s)
}

/// Compared without lowercasing into a new string: every key and scalar of every chart passes
/// here, and the allocation was a visible part of printing templates.
fn is_ambiguous(s: &str) -> bool {
    AMBIGUOUS.iter().any(|a| a.eq_ignore_ascii_case(s))
}

/// `s` as a JSON string, which is a YAML double-quoted scalar.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// A scalar as YAML text: plain where that is unambiguous, JSON-quoted otherwise (a JSON string
/// is a valid YAML double-quoted scalar with complete escaping).
pub(crate) fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) if is_plain(s) => s.clone(),
        Value::String(s) => quoted(s),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// A map key as YAML text: plain where Helm reads it back as the same string (`1_000`, `0x1F`
/// and `1e3` are numbers to it, and their keys `"1000"`, `"31"`, `"1000"`), quoted otherwise.
pub(crate) fn key(k: &str) -> String {
    let simple = is_plain(k) || (k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !k.is_empty() && !k.chars().all(|c| c.is_ascii_digit()));
    if simple && !is_ambiguous(k) && crate::values::yaml11::reads_as_itself(k) { k.to_string() } else { quoted(k) }
}

/// Writes `v` as block YAML at `indent`. `schema` is the JSON schema node that describes `v`:
/// each map key gets the `description` of its property as comment lines above it. (The schema
/// is walked beside the values rather than looked up by dotted path for every key, and lines
/// are appended in place: values.yaml is written for every chart, and both showed in profiles.)
pub(crate) fn write_block(out: &mut String, v: &Value, indent: usize, schema: Option<&Value>) {
    let pad = |out: &mut String, n: usize| out.extend(std::iter::repeat_n(' ', n));
    match v {
        Value::Object(map) => {
            let properties = schema.and_then(|s| s.get("properties"));
            for (i, (k, child)) in map.iter().enumerate() {
                let child_schema = properties.and_then(|p| p.get(k));
                let description = child_schema.and_then(|s| s.get("description")).and_then(Value::as_str).unwrap_or("");
                if description.lines().next().is_some() && i > 0 && indent == 0 {
                    out.push('\n');
                }
                for line in description.lines() {
                    pad(out, indent);
                    out.push('#');
                    if !line.is_empty() {
                        out.push(' ');
                        out.push_str(line);
                    }
                    out.push('\n');
                }
                pad(out, indent);
                out.push_str(&key(k));
                match child {
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str(":\n");
                        write_block(out, child, indent + 2, child_schema);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(":\n");
                        write_block(out, child, indent + 2, child_schema);
                    }
                    _ => {
                        out.push_str(": ");
                        out.push_str(&inline(child));
                        out.push('\n');
                    }
                }
            }
        }
        Value::Array(items) => {
            // Items carry no comments.
            for item in items {
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        // The item's first key takes the dash in place of its indentation.
                        let start = out.len();
                        write_block(out, item, indent + 2, None);
                        out.replace_range(start + indent..start + indent + 2, "- ");
                    }
                    Value::Array(a) if !a.is_empty() => {
                        pad(out, indent);
                        out.push_str("-\n");
                        write_block(out, item, indent + 2, None);
                    }
                    _ => {
                        pad(out, indent);
                        out.push_str("- ");
                        out.push_str(&inline(item));
                        out.push('\n');
                    }
                }
            }
        }
        scalar_value => {
            pad(out, indent);
            out.push_str(&inline(scalar_value));
            out.push('\n');
        }
    }
}

fn inline(v: &Value) -> String {
    match v {
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Object(_) | Value::Array(_) => v.to_string(),
        other => scalar(other),
    }
}

/// Plain block YAML of a value, no comments.
pub(crate) fn to_block(v: &Value) -> String {
    let mut out = String::new();
    write_block(&mut out, v, 0, None);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in ["on", "yes", "0755", "12:30", "1e3", "", "true", " x", "a: b", "#x"] {
            assert!(scalar(&Value::String(s.into())).starts_with('"'), "{s} must be quoted");
        }
        for k in ["0x1F", "1_000", "1e3", "0b1", "0o7", "08", "y", "N", "1E5", "123"] {
            assert!(key(k).starts_with('"'), "the key {k} must be quoted");
        }
        assert_eq!(key("2fa"), "2fa");
        assert_eq!(key("app_1"), "app_1");
        assert_eq!(scalar(&Value::String("ClusterIP".into())), "ClusterIP");
        assert_eq!(scalar(&Value::String("/health".into())), "/health");
    }

    #[test]
    fn block_lists_of_maps() {
        let v = serde_json::json!({"hosts": [{"host": "a.example", "paths": [{"path": "/"}]}], "x": []});
        assert_eq!(to_block(&v), "hosts:\n  - host: a.example\n    paths:\n      - path: /\nx: []\n");
    }
}
