//! No secret in `charts-out`: the settings a values schema marks `writeOnly`, which of them a
//! values tree sets, and that their values reach a Secret's data only. A plain string setting
//! whose name says it is a secret (`adminPassword`, `apiToken`, `clientSecret`) is one the
//! type forgot to mark: it must not reach a ConfigMap either, which anyone who may read the
//! namespace's configuration reads.

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
    secret_values_at(&secret_settings(schema), values)
}

/// [`secret_values`] for the paths [`secret_settings`] gave: an application's schema is walked
/// once, not once per environment (its Kubernetes sections are large).
pub fn secret_values_at<'v>(paths: &[String], values: &'v Value) -> Vec<(String, &'v Value)> {
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
    for path in paths {
        at(values, path, String::new(), &mut out);
    }
    out
}

/// The secret settings whose value some place other than a Secret's data can show (`places`
/// from `Model::value_reads`), as `(setting, place)`: a secret in a ConfigMap, an annotation, a
/// plain env `value` or NOTES.txt is readable by whoever may read that object, and lands in
/// `charts-out` when an example environment sets it. Reading a section that holds a secret
/// (`toYaml .Values.auth`) shows the secret too; a list item's setting (`users[].password`)
/// counts as its list.
pub fn secret_leaks(schema: &Value, places: &[(String, crate::template::reads::Reads)]) -> Vec<(String, String)> {
    leaks(secret_settings(schema), places)
}

/// The words of a setting's name that say its value is a secret, as the last word of its
/// camelCase name (`adminPassword`, `apiToken`, `clientSecret`); `existingSecret`, a
/// `passwordKey` or a `tokenFile` name where a secret is, and are not secrets.
const SECRET_WORDS: [&str; 4] = ["password", "passwd", "token", "secret"];

/// The plain string settings of a values schema whose names say they hold secrets, though the
/// schema does not mark them `writeOnly` (a `String` where a `SecretString` belongs). Dotted
/// paths, list items as `path[]`.
pub fn secret_named_settings(schema: &Value) -> Vec<String> {
    fn secret_name(key: &str) -> bool {
        let mut words: Vec<String> = Vec::new();
        for c in key.chars() {
            if c.is_ascii_uppercase() || words.is_empty() || c == '_' || c == '-' {
                words.push(String::new());
            }
            if c != '_' && c != '-' {
                words.last_mut().expect("a word").push(c.to_ascii_lowercase());
            }
        }
        words.retain(|w| !w.is_empty());
        words.last().is_some_and(|w| SECRET_WORDS.contains(&w.as_str())) && !words.iter().any(|w| w == "existing")
    }
    fn walk(schema: &Value, path: &str, key: &str, out: &mut Vec<String>) {
        if schema.get("writeOnly") == Some(&Value::Bool(true)) {
            return;
        }
        if schema.get("type") == Some(&Value::String("string".into())) && secret_name(key) {
            out.push(path.to_string());
        }
        if let Some(Value::Object(props)) = schema.get("properties") {
            for (k, sub) in props {
                let child = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                walk(sub, &child, k, out);
            }
        }
        if let Some(items) = schema.get("items") {
            walk(items, &format!("{path}[]"), key, out);
        }
    }
    let mut out = Vec::new();
    walk(schema, "", "", &mut out);
    out
}

/// The settings of [`secret_named_settings`] whose value reaches a ConfigMap (`places` from
/// `Model::value_reads`), as `(setting, place)`.
pub fn secret_named_leaks(schema: &Value, places: &[(String, crate::template::reads::Reads)]) -> Vec<(String, String)> {
    let config_maps: Vec<(String, crate::template::reads::Reads)> = places.iter().filter(|(place, _)| place.starts_with("ConfigMap ")).cloned().collect();
    leaks(secret_named_settings(schema), &config_maps)
}

/// The settings among `settings` whose value some place shows, as `(setting, place)`.
fn leaks(settings: Vec<String>, places: &[(String, crate::template::reads::Reads)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for setting in settings {
        let keys: Vec<String> = setting.split('[').next().unwrap_or_default().split('.').filter(|k| !k.is_empty()).map(str::to_string).collect();
        for (place, reads) in places {
            if reads.iter().any(|r| keys.starts_with(r) || (r.starts_with(&keys) && !setting.contains('['))) {
                out.push((setting.clone(), place.clone()));
            }
        }
    }
    out
}
