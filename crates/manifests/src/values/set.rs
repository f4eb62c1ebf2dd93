//! `--set` and its family, read as Helm's `pkg/strvals` reads them.

use serde_json::Value;

use super::load::ValuesError;


/// `--set` the way Helm reads it: `a.b=1,c=x`; `true`/`false` are booleans, whole numbers are
/// integers, `null` deletes, `{a,b}` is a list, and anything else is a string.
pub fn parse_set(assignments: &[String]) -> Result<Value, ValuesError> {
    let mut out = Value::Object(Default::default());
    for assignment in assignments {
        for part in split_unescaped(assignment, ',', true) {
            let err = |message: String| ValuesError { source: "--set".into(), path: String::new(), message };
            let Some((key, raw)) = part.split_once('=') else {
                return Err(err(format!("{part:?} is not of the form path=value")));
            };
            if key.contains('[') {
                return Err(err(format!("{key:?}: list indices are not supported in --set; use a values file")));
            }
            let keys: Vec<String> = split_unescaped(key, '.', false).into_iter().map(|k| k.replace("\\.", ".")).collect();
            if keys.iter().any(String::is_empty) {
                return Err(err(format!("{key:?} is not a values path")));
            }
            let value = if raw.starts_with('{') && raw.ends_with('}') {
                let inner = &raw[1..raw.len() - 1];
                Value::Array(if inner.is_empty() { Vec::new() } else { inner.split(',').map(typed_scalar).collect() })
            } else {
                typed_scalar(raw)
            };
            let mut overlay = value;
            for k in keys.iter().rev() {
                let mut m = serde_json::Map::new();
                m.insert(k.clone(), overlay);
                overlay = Value::Object(m);
            }
            merge_keep_null(&mut out, overlay);
        }
    }
    Ok(out)
}

/// Like [`merge`], but a `null` stays so the later merge into the values deletes the key.
fn merge_keep_null(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match (b.get_mut(&k), v) {
                    (Some(existing @ Value::Object(_)), v @ Value::Object(_)) => merge_keep_null(existing, v),
                    (_, v) => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

fn typed_scalar(raw: &str) -> Value {
    match raw {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => raw.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(raw.to_string())),
    }
}

/// Splits at `sep` unless escaped with a backslash (and, for commas, unless inside `{...}`).
fn split_unescaped(s: &str, sep: char, braces: bool) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&sep) => {
                current.push('\\');
                current.push(chars.next().expect("peeked"));
            }
            '{' if braces => {
                depth += 1;
                current.push(c);
            }
            '}' if braces => {
                depth -= 1;
                current.push(c);
            }
            c if c == sep && depth == 0 => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    if sep == ',' {
        parts.into_iter().map(|p| p.replace("\\,", ",")).collect()
    } else {
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_types_values_like_helm() {
        let v = parse_set(&["a.b=1,c=true,d=x,e=null,f={x,y},g=0755".into()]).unwrap();
        assert_eq!(v, serde_json::json!({"a": {"b": 1}, "c": true, "d": "x", "e": null, "f": ["x", "y"], "g": 755}));
        let esc = parse_set(&["ann.kubernetes\\.io/x=a\\,b".into()]).unwrap();
        assert_eq!(esc, serde_json::json!({"ann": {"kubernetes.io/x": "a,b"}}));
        assert!(parse_set(&["a[0]=1".into()]).is_err());
        assert!(parse_set(&["novalue".into()]).is_err());
    }

}
