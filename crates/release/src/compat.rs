//! Values compatibility: what a values file written for the base chart finds in this one.
//! Compares two `values.schema.json` documents (draft-07, self-contained, as emit writes them)
//! setting by setting: a removed setting or a narrower one (type, enum, bounds, length, pattern,
//! format, a map of the user's keys now closed to all but those it lists) is breaking; a new
//! setting is a minor change. Descriptions,
//! `writeOnly` and comments do not count, and neither does `required`: Helm validates the values
//! merged over values.yaml, whose defaults give every required key. Of `anyOf`, each alternative
//! the base took must be taken, no narrower, by one of the new alternatives.

use serde_json::Value;

use crate::version::Bump;

/// One difference between the schemas: the values path (`image.tag`, `hosts[]`), how much it
/// weighs and what changed.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaChange {
    pub path: String,
    pub bump: Bump,
    pub message: String,
}

fn types(s: &Value) -> Vec<String> {
    match s.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

/// Every difference from `base` to `now`, in path order.
pub fn compare(base: &Value, now: &Value) -> Vec<SchemaChange> {
    let mut out = Vec::new();
    walk(base, now, "", &mut out);
    out
}

fn walk(base: &Value, now: &Value, path: &str, out: &mut Vec<SchemaChange>) {
    let shown = if path.is_empty() { "the values" } else { path };
    let mut narrowed = |what: String| out.push(SchemaChange { path: shown.to_string(), bump: Bump::Breaking, message: what });

    let (tb, tn) = (types(base), types(now));
    if !tn.is_empty() {
        let lost: Vec<&String> = tb
            .iter()
            .filter(|t| {
                // A number takes every integer.
                let widened = t.as_str() == "integer" && tn.iter().any(|n| n == "number");
                !(tn.contains(t) || widened)
            })
            .collect();
        if tb.is_empty() || !lost.is_empty() {
            narrowed(format!("takes {} where it took {}", tn.join(" or "), if tb.is_empty() { "any type".to_string() } else { tb.join(" or ") }));
        }
    }
    match (base.get("enum").and_then(Value::as_array), now.get("enum").and_then(Value::as_array)) {
        (Some(b), Some(n)) => {
            let lost: Vec<String> = b.iter().filter(|v| !n.contains(v)).map(Value::to_string).collect();
            if !lost.is_empty() {
                narrowed(format!("no longer takes {}", lost.join(", ")));
            }
        }
        (None, Some(n)) => narrowed(format!("now takes only {}", n.iter().map(Value::to_string).collect::<Vec<_>>().join(", "))),
        _ => {}
    }
    let number = |s: &Value, k: &str| s.get(k).and_then(Value::as_f64);
    for (key, lower_is_wider) in [("minimum", true), ("minLength", true), ("minItems", true), ("maximum", false), ("maxLength", false), ("maxItems", false)] {
        match (number(base, key), number(now, key)) {
            (b, Some(n)) if b.is_none_or(|b| if lower_is_wider { n > b } else { n < b }) => {
                narrowed(format!("{key} {} where it was {}", n, b.map_or("unbounded".to_string(), |b| b.to_string())));
            }
            _ => {}
        }
    }
    let alternatives = |s: &Value| s.get("anyOf").and_then(Value::as_array).cloned();
    match (alternatives(base), alternatives(now)) {
        (None, None) => {}
        (b, n) => {
            // Every alternative the base took must be taken by one of now's, no narrower.
            let strip = |s: &Value| {
                let mut s = s.clone();
                if let Some(m) = s.as_object_mut() {
                    m.remove("anyOf");
                }
                s
            };
            let b = b.unwrap_or_else(|| vec![strip(base)]);
            let n = n.unwrap_or_else(|| vec![strip(now)]);
            let lost: Vec<String> = b.iter().filter(|alt| !n.iter().any(|m| compare(alt, m).iter().all(|c| c.bump != Bump::Breaking))).map(Value::to_string).collect();
            if !lost.is_empty() {
                narrowed(format!("no longer takes all it took: {}", lost.join(", ")));
            }
        }
    }
    for key in ["pattern", "format"] {
        if let Some(n) = now.get(key)
            && base.get(key) != Some(n)
        {
            narrowed(format!("{key} changed to {n}"));
        }
    }

    let props = |s: &Value| s.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    let (pb, pn) = (props(base), props(now));
    let closed = |s: &Value| s.get("additionalProperties") == Some(&Value::Bool(false));
    // A map that took keys of the user's own (free-form, or a map of some type) and is now
    // closed refuses a values file with a key it does not list; the keys it lists are what it
    // still takes, not new settings.
    let closed_now = closed(now) && !closed(base);
    if closed_now && pn.is_empty() {
        narrowed("no longer takes keys of its own".into());
    } else if closed_now {
        let listed: Vec<&str> = pn.keys().map(String::as_str).collect();
        let listed = match listed.len() {
            n if n > 6 => format!("{} and {} more", listed[..5].join(", "), n - 5),
            _ => listed.join(", "),
        };
        narrowed(format!("takes only the keys {listed} where it took keys of its own: a values file with another key is refused"));
    }
    for (key, sub) in &pb {
        match pn.get(key) {
            Some(n) => walk(sub, n, &join(path, key), out),
            None if closed(now) => out.push(SchemaChange { path: join(path, key), bump: Bump::Breaking, message: "was removed: a values file that sets it is refused".into() }),
            None => {}
        }
    }
    for key in pn.keys().filter(|k| !pb.contains_key(*k) && !closed_now) {
        out.push(SchemaChange { path: join(path, key), bump: Bump::Minor, message: "is a new setting".into() });
    }
    if let (Some(b), Some(n)) = (base.get("additionalProperties").filter(|a| a.is_object()), now.get("additionalProperties").filter(|a| a.is_object())) {
        walk(b, n, &format!("{path}.*"), out);
    }
    if let (Some(b), Some(n)) = (base.get("items"), now.get("items")) {
        walk(b, n, &format!("{path}[]"), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(base: Value, now: Value) -> Vec<(String, Bump)> {
        compare(&base, &now).into_iter().map(|c| (c.path, c.bump)).collect()
    }

    fn object(props: Value) -> Value {
        json!({"type": "object", "additionalProperties": false, "properties": props})
    }

    #[test]
    fn removed_and_narrowed_settings_break_new_ones_are_minor() {
        let base = object(json!({"a": {"type": "integer", "minimum": 0, "maximum": 10}, "b": {"type": "string", "enum": ["x", "y"]}, "c": {"type": "string"}}));
        assert!(changes(base.clone(), base.clone()).is_empty());
        let now = object(json!({"a": {"type": "integer", "minimum": 1, "maximum": 10}, "b": {"type": "string", "enum": ["x"]}, "d": {"type": "boolean"}}));
        assert_eq!(changes(base.clone(), now), [("a".into(), Bump::Breaking), ("b".into(), Bump::Breaking), ("c".into(), Bump::Breaking), ("d".into(), Bump::Minor)]);
        // Wider is fine: a bigger maximum, more enum values, integer to number.
        let wider = object(json!({"a": {"type": "number", "minimum": 0, "maximum": 20}, "b": {"type": "string", "enum": ["x", "y", "z"]}, "c": {"type": "string"}}));
        assert!(changes(base, wider).is_empty());
    }

    #[test]
    fn nested_lists_maps_and_patterns() {
        let base = object(
            json!({"hosts": {"type": "array", "items": object(json!({"host": {"type": "string"}}))}, "labels": {"type": "object", "additionalProperties": {"type": "string"}}}),
        );
        let now = object(
            json!({"hosts": {"type": "array", "items": object(json!({"host": {"type": "string", "pattern": "^[a-z]+$"}}))}, "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 63}}}),
        );
        assert_eq!(changes(base, now), [("hosts[].host".into(), Bump::Breaking), ("labels.*".into(), Bump::Breaking)]);
    }

    #[test]
    fn a_map_of_the_users_keys_that_is_closed_now_breaks() {
        let free = |now: Value| changes(object(json!({"affinity": {"type": "object"}})), object(json!({"affinity": now})));
        let typed = object(json!({"nodeAffinity": {"type": "object"}, "podAffinity": {"type": "object"}}));
        // Kubernetes' schema replaced a free-form map: one breaking change, no "new settings".
        assert_eq!(free(typed.clone()), [("affinity".into(), Bump::Breaking)]);
        assert_eq!(free(json!({"type": "object", "additionalProperties": false})), [("affinity".into(), Bump::Breaking)]);
        // A map of strings closed to its listed keys breaks too.
        let strings = object(json!({"labels": {"type": "object", "additionalProperties": {"type": "string"}}}));
        assert_eq!(changes(strings, object(json!({"labels": typed.clone()}))), [("labels".into(), Bump::Breaking)]);
        // Closed on both sides: keys added are new settings.
        let wider = object(json!({"nodeAffinity": {"type": "object"}, "podAffinity": {"type": "object"}, "podAntiAffinity": {"type": "object"}}));
        assert_eq!(changes(object(json!({"affinity": typed})), object(json!({"affinity": wider}))), [("affinity.podAntiAffinity".into(), Bump::Minor)]);
    }
}
