//! The index of one environment: its rendered objects, their pod templates, and every object a
//! reference may land on (rendered, made by a rendered object, or declared external), with the
//! JSON accessors the rules share.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::model::external::Reference;

pub(super) fn str_at<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer).and_then(Value::as_str)
}

pub(super) fn list_at<'v>(v: &'v Value, pointer: &str) -> &'v [Value] {
    v.pointer(pointer).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

pub(super) fn kind_of(o: &Value) -> &str {
    str_at(o, "/kind").unwrap_or("")
}

pub(super) fn name_of(o: &Value) -> &str {
    str_at(o, "/metadata/name").unwrap_or("")
}

pub(super) fn namespace_of(o: &Value) -> &str {
    str_at(o, "/metadata/namespace").unwrap_or("")
}

pub(super) fn group_of(o: &Value) -> &str {
    str_at(o, "/apiVersion").and_then(|v| v.rsplit_once('/')).map(|(g, _)| g).unwrap_or("")
}

pub(super) fn subject(o: &Value) -> String {
    format!("{}/{}", kind_of(o), name_of(o))
}

/// A pod template inside a workload object, and where it is.
pub(super) struct PodTemplate<'v> {
    /// Index of the object in the environment.
    pub(super) object: usize,
    pub(super) namespace: &'v str,
    pub(super) labels: BTreeMap<&'v str, &'v str>,
    pub(super) meta: Option<&'v Value>,
    pub(super) annotations: Option<&'v Value>,
    pub(super) spec: &'v Value,
    /// JSON pointer of the template's metadata and spec, for messages.
    pub(super) at: &'static str,
}

/// The pod template of an object, wherever workloads keep it: a Pod itself, a CronJob's job
/// template, or `spec.template` (Deployment, StatefulSet, DaemonSet, Job, ReplicaSet, and custom
/// workloads shaped the same way).
pub(super) fn pod_template(index: usize, o: &Value) -> Option<PodTemplate<'_>> {
    let (meta, spec, at) = if kind_of(o) == "Pod" && o.pointer("/spec/containers").is_some() {
        (o.get("metadata"), o.get("spec")?, "")
    } else if let Some(spec) = o.pointer("/spec/jobTemplate/spec/template/spec").filter(|s| s.get("containers").is_some_and(Value::is_array)) {
        (o.pointer("/spec/jobTemplate/spec/template/metadata"), spec, "spec.jobTemplate.spec.template.")
    } else if let Some(spec) = o.pointer("/spec/template/spec").filter(|s| s.get("containers").is_some_and(Value::is_array)) {
        (o.pointer("/spec/template/metadata"), spec, "spec.template.")
    } else {
        return None;
    };
    let labels = meta.and_then(|m| m.get("labels")).and_then(Value::as_object).map(|l| l.iter().filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))).collect()).unwrap_or_default();
    Some(PodTemplate { object: index, namespace: namespace_of(o), labels, meta, annotations: meta.and_then(|m| m.get("annotations")), spec, at })
}

/// Every container of a pod: init, regular and ephemeral.
pub(super) fn containers(spec: &Value) -> impl Iterator<Item = (&'static str, &Value)> {
    ["initContainers", "containers", "ephemeralContainers"]
        .into_iter()
        .flat_map(move |field| spec.get(field).and_then(Value::as_array).into_iter().flatten().map(move |c| (field, c)))
}

pub(super) fn container_ports(spec: &Value) -> impl Iterator<Item = &Value> {
    containers(spec).flat_map(|(_, c)| c.get("ports").and_then(Value::as_array).into_iter().flatten())
}

/// A Kubernetes label selector (`matchLabels` and `matchExpressions`) against a set of labels.
pub(super) fn selector_matches(selector: &Value, labels: &BTreeMap<&str, &str>) -> bool {
    let labels_ok = selector.get("matchLabels").and_then(Value::as_object).is_none_or(|m| m.iter().all(|(k, v)| v.as_str().is_some_and(|v| labels.get(k.as_str()) == Some(&v))));
    let expressions_ok = list_at(selector, "/matchExpressions").iter().all(|e| {
        let key = str_at(e, "/key").unwrap_or("");
        let values: Vec<&str> = list_at(e, "/values").iter().filter_map(Value::as_str).collect();
        let have = labels.get(key);
        match str_at(e, "/operator").unwrap_or("") {
            "In" => have.is_some_and(|h| values.contains(h)),
            "NotIn" => have.is_none_or(|h| !values.contains(h)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        }
    });
    labels_ok && expressions_ok
}

pub(super) fn selector_text(selector: &Value) -> String {
    let mut parts: Vec<String> =
        selector.get("matchLabels").and_then(Value::as_object).map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("?"))).collect()).unwrap_or_default();
    for e in list_at(selector, "/matchExpressions") {
        parts.push(format!("{} {} {}", str_at(e, "/key").unwrap_or("?"), str_at(e, "/operator").unwrap_or("?"), e.get("values").map(Value::to_string).unwrap_or_default()));
    }
    if parts.is_empty() { "everything".into() } else { parts.join(", ") }
}

pub(super) fn is_empty_selector(selector: &Value) -> bool {
    selector.get("matchLabels").and_then(Value::as_object).is_none_or(Map::is_empty) && list_at(selector, "/matchExpressions").is_empty()
}

/// Objects that other objects make: an ExternalSecret makes a Secret, a cert-manager
/// Certificate the Secret of its key pair, a CloudNativePG Cluster its Services and Secrets. A
/// reference to what they make lands as if it were rendered.
pub(crate) fn made_by(o: &Value) -> Vec<(String, String)> {
    let name = name_of(o).to_string();
    match (group_of(o), kind_of(o)) {
        ("external-secrets.io", "ExternalSecret") => {
            vec![("Secret".into(), str_at(o, "/spec/target/name").filter(|n| !n.is_empty()).unwrap_or(&name).to_string())]
        }
        ("cert-manager.io", "Certificate") => str_at(o, "/spec/secretName").map(|s| vec![("Secret".to_string(), s.to_string())]).unwrap_or_default(),
        ("postgresql.cnpg.io", "Cluster") => {
            let mut out: Vec<(String, String)> = ["rw", "ro", "r"].iter().map(|s| ("Service".to_string(), format!("{name}-{s}"))).collect();
            out.extend(["app", "superuser", "ca", "server", "replication"].iter().map(|s| ("Secret".to_string(), format!("{name}-{s}"))));
            out
        }
        _ => Vec::new(),
    }
}

pub(super) struct Index<'v> {
    pub(super) objects: &'v [Value],
    pub(super) pods: Vec<PodTemplate<'v>>,
    /// (kind, namespace, name) of every object rendered, made by another or declared external.
    present: BTreeSet<(String, String, String)>,
    external: BTreeSet<(String, String)>,
}

impl<'v> Index<'v> {
    pub(super) fn new(objects: &'v [Value], external: &[Reference]) -> Self {
        let pods = objects.iter().enumerate().filter_map(|(i, o)| pod_template(i, o)).collect();
        let mut present = BTreeSet::new();
        for o in objects {
            present.insert((kind_of(o).to_string(), namespace_of(o).to_string(), name_of(o).to_string()));
            for (kind, name) in made_by(o) {
                present.insert((kind, namespace_of(o).to_string(), name));
            }
        }
        let external = external.iter().map(|r| (r.kind.clone(), r.name.clone())).collect();
        Index { objects, pods, present, external }
    }

    /// Rendered, made by a rendered object, or declared external.
    pub(super) fn exists(&self, kind: &str, namespace: &str, name: &str) -> bool {
        self.present.contains(&(kind.to_string(), namespace.to_string(), name.to_string())) || self.external.contains(&(kind.to_string(), name.to_string()))
    }

    pub(super) fn rendered(&self, kind: &str, namespace: &str, name: &str) -> Option<&'v Value> {
        self.objects.iter().find(|o| kind_of(o) == kind && namespace_of(o) == namespace && name_of(o) == name)
    }

    /// The object the chart itself renders, when nothing else may provide it: not declared
    /// external, not made by another object (whose keys the chart cannot know).
    pub(super) fn chart_owned(&self, kind: &str, namespace: &str, name: &str) -> Option<&'v Value> {
        let provided = self.external.contains(&(kind.to_string(), name.to_string()))
            || self.objects.iter().any(|o| namespace_of(o) == namespace && made_by(o).iter().any(|(k, n)| k == kind && n == name));
        if provided { None } else { self.rendered(kind, namespace, name) }
    }

    pub(super) fn pods_matching<'s>(&'s self, namespace: &'s str, selector: &'s Value) -> impl Iterator<Item = &'s PodTemplate<'v>> + 's {
        self.pods.iter().filter(move |p| p.namespace == namespace && selector_matches(selector, &p.labels))
    }
}
