//! Names as the API server takes them: object names by kind (the lengths operators and
//! controllers need too, [`crate::rules::name_rule`]), container, port and volume names, no
//! object twice. The rules are those of `k8s.io/apimachinery/pkg/util/validation` and
//! `pkg/apis/core/validation`; labels and annotations are `labels`'.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::index::{kind_of, list_at, name_of, namespace_of, str_at};
use crate::rules::{dns_1035_shape, dns_label, dns_label_shape, dns_subdomain, name_rule};

/// What is wrong with an object name, if anything. Services are DNS-1035 labels (they become
/// DNS names and environment variables); RBAC objects may contain `:`; StatefulSets, Jobs,
/// CronJobs and CloudNativePG Clusters have the shorter limits of [`name_rule`]; everything
/// else, custom resources included, is a DNS-1123 subdomain.
pub(super) fn name_problem(kind: &str, name: &str) -> Option<String> {
    match kind {
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => {
            (name.is_empty() || name.contains('/') || name.contains('%') || name == "." || name == "..").then(|| format!("name {name:?} is not a valid path segment"))
        }
        "Service" => (name.len() > 63 || !dns_1035_shape(name))
            .then(|| format!("name {name:?} is not a DNS-1035 label (lowercase letters, digits and '-', starting with a letter, at most 63 characters)")),
        "Namespace" => (!dns_label(name)).then(|| format!("name {name:?} is not a DNS-1123 label (at most 63 characters)")),
        _ => {
            if !dns_subdomain(name) {
                return Some(format!("name {name:?} is not a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most 253 characters)"));
            }
            let rule = name_rule(kind)?;
            (name.len() > rule.max || !rule.shape.matches(name))
                .then(|| format!("name {name:?} is not {} of at most {} characters ({})", rule.shape.describe(), rule.max, rule.why))
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

/// An object's name and namespace.
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
}

/// A pod volume's name, once per pod (`names` holds those before it); its shape is the volume
/// rules' (`parts`).
pub(super) fn volume<'v>(at: &str, i: usize, v: &'v Value, names: &mut BTreeSet<&'v str>, out: &mut Vec<String>) {
    let name = str_at(v, "/name").unwrap_or("");
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
