//! No dead setting: every setting a chart declares is read by some object, rule or note, so that
//! changing it changes something in both outputs. A `Values` field that `build` reads as a
//! concrete Rust value (`if Values::default().pdb.enabled`) bakes one value into the chart and
//! leaves the setting doing nothing; this rule is how that mistake shows.

use serde_json::Value;

use crate::template::reads::Reads;

/// The settings of a values schema that `reads` does not cover, as dotted paths, in schema
/// order. A setting is a property whose schema declares no properties of its own (a scalar, a
/// list, a free-form map); reading a setting, anything under it or any section above it covers
/// it. A section nothing under it is read is named once, not setting by setting (a
/// `securityContext` put on no container is one finding, not one per Kubernetes field). `global`
/// is left out: Helm passes it to every subchart, and a chart need not read it.
pub fn unread_settings(schema: &Value, reads: &Reads) -> Vec<String> {
    fn walk(schema: &Value, keys: &mut Vec<String>, reads: &Reads, out: &mut Vec<String>) {
        let touched = reads.iter().any(|r| r.starts_with(keys) || keys.starts_with(r));
        match schema.get("properties") {
            Some(Value::Object(_)) if !keys.is_empty() && !touched => out.push(keys.join(".")),
            Some(Value::Object(props)) if !props.is_empty() => {
                for (k, sub) in props {
                    if keys.is_empty() && k == "global" {
                        continue;
                    }
                    keys.push(k.clone());
                    walk(sub, keys, reads, out);
                    keys.pop();
                }
            }
            _ => {
                if !touched {
                    out.push(keys.join("."));
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(schema, &mut Vec::new(), reads, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reads(paths: &[&str]) -> Reads {
        paths.iter().map(|p| p.split('.').map(str::to_string).collect()).collect()
    }

    #[test]
    fn a_setting_is_read_through_itself_a_section_above_or_a_key_below() {
        let schema = json!({"properties": {
            "global": {"type": "object"},
            "pdb": {"properties": {"enabled": {"type": "boolean"}, "minAvailable": {"type": "integer"}}},
            "podAnnotations": {"type": "object"},
            "ingress": {"properties": {"hosts": {"type": "array"}}},
            "image": {"properties": {"repository": {"type": "string"}}}
        }});
        let read = reads(&["pdb.minAvailable", "podAnnotations.example", "ingress", "image.repository"]);
        assert_eq!(unread_settings(&schema, &read), ["pdb.enabled"]);
        assert_eq!(unread_settings(&schema, &reads(&["pdb", "podAnnotations", "ingress", "image"])), Vec::<String>::new());
        // A section nothing reads is one finding.
        assert_eq!(unread_settings(&schema, &reads(&["podAnnotations", "ingress"])), ["pdb", "image"]);
    }
}
