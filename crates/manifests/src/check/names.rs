//! Names and labels as the API server takes them: DNS-1123 object names (DNS-1035 labels for
//! Services), label keys and values, container, port and volume names, no object twice. The
//! rules are those of `k8s.io/apimachinery/pkg/util/validation` and
//! `pkg/apis/core/validation`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::index::{PodTemplate, kind_of, list_at, name_of, namespace_of, str_at};

// Hand-written rather than regular expressions: the check runs over every label of every
// object of every environment, and a regex engine made label keys a fifth of emit's time.

/// Non-empty, every character `inner`, the first `first` and the last `last`.
fn word(s: &str, first: fn(char) -> bool, inner: fn(char) -> bool, last: fn(char) -> bool) -> bool {
    let (Some(a), Some(z)) = (s.chars().next(), s.chars().last()) else { return false };
    first(a) && last(z) && s.chars().all(inner)
}

fn lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

fn lower_alnum_dash(c: char) -> bool {
    lower_alnum(c) || c == '-'
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
pub(super) fn dns_label_shape(s: &str) -> bool {
    word(s, lower_alnum, lower_alnum_dash, lower_alnum)
}

/// `[a-z]([-a-z0-9]*[a-z0-9])?`
fn dns_1035_shape(s: &str) -> bool {
    word(s, |c| c.is_ascii_lowercase(), lower_alnum_dash, lower_alnum)
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`: a label name or value.
fn label_part(s: &str) -> bool {
    word(s, |c| c.is_ascii_alphanumeric(), |c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'), |c| c.is_ascii_alphanumeric())
}

fn dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(dns_label_shape)
}

pub(super) fn dns_label(s: &str) -> bool {
    s.len() <= 63 && dns_label_shape(s)
}

/// What is wrong with an object name, if anything. Services are DNS-1035 labels (they become
/// DNS names and environment variables); RBAC objects may contain `:`; everything else, custom
/// resources included, is a DNS-1123 subdomain.
pub(super) fn name_problem(kind: &str, name: &str) -> Option<String> {
    match kind {
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => {
            (name.is_empty() || name.contains('/') || name.contains('%') || name == "." || name == "..").then(|| format!("name {name:?} is not a valid path segment"))
        }
        "Service" => (name.len() > 63 || !dns_1035_shape(name))
            .then(|| format!("name {name:?} is not a DNS-1035 label (lowercase letters, digits and '-', starting with a letter, at most 63 characters)")),
        "Namespace" => (!dns_label(name)).then(|| format!("name {name:?} is not a DNS-1123 label (at most 63 characters)")),
        _ => (!dns_subdomain(name)).then(|| format!("name {name:?} is not a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most 253 characters)")),
    }
}

/// A label or annotation key: an optional DNS subdomain prefix and `/`, then a name of at most
/// 63 characters.
fn key_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix
        && !dns_subdomain(p)
    {
        return Some(format!("key {key:?}: the prefix is not a DNS-1123 subdomain"));
    }
    if name.len() > 63 || !label_part(name) {
        return Some(format!("key {key:?}: the name part must be 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"));
    }
    None
}

fn label_value_problem(value: &str) -> Option<String> {
    if value.len() > 63 {
        return Some(format!("value of {} characters is over the 63 a label value may have", value.len()));
    }
    (!value.is_empty() && !label_part(value))
        .then(|| format!("value {value:?} is not a label value (letters, digits, '-', '_' and '.', starting and ending with a letter or digit)"))
}

pub(super) fn check_labels(labels: Option<&Value>, what: &str, out: &mut Vec<String>) {
    let Some(Value::Object(labels)) = labels else { return };
    for (k, v) in labels {
        if let Some(p) = key_problem(k) {
            out.push(format!("{what}: label {p}"));
        }
        match v {
            Value::String(s) => {
                if let Some(p) = label_value_problem(s) {
                    out.push(format!("{what}: label {k:?}: {p}"));
                }
            }
            other => out.push(format!("{what}: label {k:?}: the value {other} is not a string")),
        }
    }
}

pub(super) fn check_annotation_keys(annotations: Option<&Value>, what: &str, out: &mut Vec<String>) {
    let Some(Value::Object(annotations)) = annotations else { return };
    for k in annotations.keys() {
        if let Some(p) = key_problem(k) {
            out.push(format!("{what}: annotation {p}"));
        }
    }
}

/// No object twice: `seen` holds (kind, namespace, name) of the objects before this one.
pub(super) fn unique(o: &Value, i: usize, seen: &mut BTreeMap<(String, String, String), usize>, out: &mut Vec<String>) {
    let key = (kind_of(o).to_string(), namespace_of(o).to_string(), name_of(o).to_string());
    if seen.insert(key, i).is_some() {
        out.push("rendered twice: another object of this kind has the same name".to_string());
    }
}

/// An object's name, namespace, labels and annotation keys.
pub(super) fn object(o: &Value, out: &mut Vec<String>) {
    match o.get("metadata").and_then(|m| m.get("name")).and_then(Value::as_str) {
        Some(name) => out.extend(name_problem(kind_of(o), name)),
        None => out.push("has no name".into()),
    }
    if let Some(ns) = o.pointer("/metadata/namespace").and_then(Value::as_str)
        && !dns_label(ns)
    {
        out.push(format!("namespace {ns:?} is not a DNS-1123 label"));
    }
    check_labels(o.pointer("/metadata/labels"), "metadata.labels", out);
    check_annotation_keys(o.pointer("/metadata/annotations"), "metadata.annotations", out);
}

/// The labels and annotation keys of a pod template inside a workload.
pub(super) fn pod_metadata(pod: &PodTemplate, out: &mut Vec<String>) {
    let at = pod.at;
    check_labels(pod.meta.and_then(|m| m.get("labels")), &format!("{at}metadata.labels"), out);
    check_annotation_keys(pod.annotations, &format!("{at}metadata.annotations"), out);
}

/// A pod volume's name: a DNS-1123 label, once per pod (`names` holds those before it).
pub(super) fn volume<'v>(at: &str, i: usize, v: &'v Value, names: &mut BTreeSet<&'v str>, out: &mut Vec<String>) {
    let name = str_at(v, "/name").unwrap_or("");
    if !dns_label(name) {
        out.push(format!("{at}spec.volumes[{i}]: name {name:?} is not a DNS-1123 label"));
    }
    if !names.insert(name) {
        out.push(format!("{at}spec.volumes[{i}]: volume {name:?} is listed twice"));
    }
}

/// A container's name (once per pod, `names` holds those before it) and its port names (IANA
/// service names, once per container). Returns the port names it declares.
pub(super) fn container<'v>(here: &str, c: &'v Value, names: &mut BTreeSet<&'v str>, out: &mut Vec<String>) -> BTreeSet<&'v str> {
    let cname = str_at(c, "/name").unwrap_or("");
    if !dns_label(cname) {
        out.push(format!("{here}: name {cname:?} is not a DNS-1123 label"));
    }
    if !names.insert(cname) {
        out.push(format!("{here}: another container has the same name"));
    }
    let mut port_names = BTreeSet::new();
    for p in list_at(c, "/ports") {
        if let Some(pn) = str_at(p, "/name") {
            if pn.len() > 15 || !dns_label_shape(pn) || pn.contains("--") || !pn.chars().any(|ch| ch.is_ascii_lowercase()) {
                out.push(format!("{here}: port name {pn:?} is not an IANA service name (at most 15 lowercase letters, digits and single '-', with a letter)"));
            }
            if !port_names.insert(pn) {
                out.push(format!("{here}: port name {pn:?} is declared twice"));
            }
        }
    }
    port_names
}
