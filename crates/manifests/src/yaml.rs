//! Small YAML text helpers shared by the generated files: safe scalars and keys, and a
//! deterministic block-style writer for plain data (values.yaml, Chart.yaml).

use serde_json::Value;

/// Words that YAML 1.1 readers (Kubernetes' among them) take for booleans or null.
const AMBIGUOUS: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"];

/// A string that can stand unquoted and still reads back as the same string.
pub(crate) fn is_plain(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else { return false };
    (first.is_ascii_alphabetic() || first == '/')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-'))
        && !is_ambiguous(s)
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

pub(crate) fn key(k: &str) -> String {
    if is_plain(k) || (k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !k.is_empty() && !k.chars().all(|c| c.is_ascii_digit())) {
        if is_ambiguous(k) {
            return quoted(k);
        }
        k.to_string()
    } else {
        quoted(k)
    }
}

/// Writes `v` as block YAML at `indent`, calling `comment` for the comment lines to put above
/// each map key (by its dotted path).
pub(crate) fn write_block(out: &mut String, v: &Value, indent: usize, path: &str, comment: &dyn Fn(&str) -> Vec<String>) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(map) => {
            for (i, (k, child)) in map.iter().enumerate() {
                let child_path = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                let lines = comment(&child_path);
                if !lines.is_empty() && i > 0 && indent == 0 {
                    out.push('\n');
                }
                for line in lines {
                    if line.is_empty() {
                        out.push_str(&format!("{pad}#\n"));
                    } else {
                        out.push_str(&format!("{pad}# {line}\n"));
                    }
                }
                match child {
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str(&format!("{pad}{}:\n", key(k)));
                        write_block(out, child, indent + 2, &child_path, comment);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{}:\n", key(k)));
                        write_block(out, child, indent + 2, &child_path, comment);
                    }
                    _ => out.push_str(&format!("{pad}{}: {}\n", key(k), inline(child))),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        let mut nested = String::new();
                        write_block(&mut nested, item, indent + 2, path, &|_| Vec::new());
                        let nested = nested.replacen(&format!("{pad}  "), &format!("{pad}- "), 1);
                        out.push_str(&nested);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}-\n"));
                        write_block(out, item, indent + 2, path, &|_| Vec::new());
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", inline(item))),
                }
            }
        }
        scalar_value => out.push_str(&format!("{pad}{}\n", inline(scalar_value))),
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
    write_block(&mut out, v, 0, "", &|_| Vec::new());
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
        assert_eq!(scalar(&Value::String("ClusterIP".into())), "ClusterIP");
        assert_eq!(scalar(&Value::String("/health".into())), "/health");
    }

    #[test]
    fn block_lists_of_maps() {
        let v = serde_json::json!({"hosts": [{"host": "a.example", "paths": [{"path": "/"}]}], "x": []});
        assert_eq!(to_block(&v), "hosts:\n  - host: a.example\n    paths:\n      - path: /\nx: []\n");
    }
}
