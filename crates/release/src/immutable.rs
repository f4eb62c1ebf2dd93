//! What the API server refuses to change in an object that exists, and which objects hold data:
//! the rules of `ValidateXUpdate` in Kubernetes' `pkg/apis/*/validation` (1.33) for the kinds
//! the charts render. A change these rules refuse makes `helm upgrade` and `kubectl apply`
//! fail with "field is immutable" (or "Forbidden: updates to statefulset spec ...") on every
//! installed release.
//!
//! | Kind | Immutable once created |
//! | --- | --- |
//! | Deployment, ReplicaSet, DaemonSet | `spec.selector` |
//! | StatefulSet | every `spec` field but `replicas`, `ordinals`, `template`, `updateStrategy`, `revisionHistoryLimit`, `persistentVolumeClaimRetentionPolicy`, `minReadySeconds` (so `volumeClaimTemplates`, `serviceName`, `selector`, `podManagementPolicy`) |
//! | Job | `spec.selector`, `spec.template`, `spec.completionMode` |
//! | PersistentVolumeClaim | `spec`, but a growing `resources.requests.storage` and `volumeAttributesClassName` |
//! | Service | `spec.clusterIP`, `spec.clusterIPs`, the primary of `spec.ipFamilies` |
//! | RoleBinding, ClusterRoleBinding | `roleRef` |
//! | ConfigMap, Secret with `immutable: true` | `data`, `binaryData`, `stringData`, `immutable`; a Secret's `type` always |
//!
//! Objects that hold data, flagged when they disappear or are renamed: PersistentVolumeClaims,
//! StatefulSets with claim templates (new claims, the old ones orphaned), CloudNativePG
//! Clusters.

use serde_json::{Map, Value};

/// A field the API server would refuse to change: its path in the object and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub field: String,
    pub message: String,
}

fn group_kind(o: &Value) -> (String, String) {
    let api = o.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let group = api.rsplit_once('/').map_or("", |(g, _)| g).to_string();
    (group, o.get("kind").and_then(Value::as_str).unwrap_or("").to_string())
}

fn at<'a>(o: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(o, |v, k| v.get(k))
}

fn changed(base: &Value, now: &Value, path: &str, why: &str, out: &mut Vec<Refused>) {
    let (a, b) = (at(base, path), at(now, path));
    if a != b {
        out.push(Refused { field: path.to_string(), message: format!("{why}: {} -> {}", shown(a), shown(b)) });
    }
}

fn shown(v: Option<&Value>) -> String {
    match v {
        None => "(not set)".into(),
        Some(v) => {
            let s = v.to_string();
            if s.len() > 120 { format!("{}...", &s[..s.floor_char_boundary(117)]) } else { s }
        }
    }
}

/// A quantity in its base unit (`10Gi` = 10737418240), for comparing sizes.
pub fn quantity(q: &Value) -> Option<f64> {
    let s = match q {
        Value::Number(n) => return n.as_f64(),
        Value::String(s) => s.trim(),
        _ => return None,
    };
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-')).unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        e if e.starts_with(['e', 'E']) => 10f64.powi(e[1..].parse().ok()?),
        _ => return None,
    };
    Some(number * factor)
}

/// What the API server refuses in the update from `base` to `now` (the same object, by kind,
/// namespace and name).
pub fn refused(base: &Value, now: &Value) -> Vec<Refused> {
    let mut out = Vec::new();
    let (group, kind) = group_kind(now);
    match (group.as_str(), kind.as_str()) {
        ("apps", "Deployment" | "ReplicaSet" | "DaemonSet") => changed(base, now, "spec.selector", "the selector of a workload is immutable", &mut out),
        ("apps", "StatefulSet") => {
            const UPDATABLE: [&str; 7] = ["replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"];
            let empty = Map::new();
            let (a, b) = (base.get("spec").and_then(Value::as_object).unwrap_or(&empty), now.get("spec").and_then(Value::as_object).unwrap_or(&empty));
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).filter(|k| !UPDATABLE.contains(&k.as_str())).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                changed(
                    base,
                    now,
                    &format!("spec.{k}"),
                    "a StatefulSet may change only replicas, ordinals, template, updateStrategy, revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds",
                    &mut out,
                );
            }
        }
        ("batch", "Job") => {
            for field in ["spec.selector", "spec.template", "spec.completionMode"] {
                changed(base, now, field, "a Job's selector, pod template and completion mode are immutable", &mut out);
            }
        }
        ("", "PersistentVolumeClaim") => {
            let strip = |o: &Value| {
                let mut spec = o.get("spec").cloned().unwrap_or(Value::Null);
                if let Some(s) = spec.as_object_mut() {
                    s.remove("volumeAttributesClassName");
                    if let Some(Value::Object(requests)) = s.get_mut("resources").and_then(|r| r.get_mut("requests")) {
                        requests.remove("storage");
                    }
                }
                spec
            };
            if strip(base) != strip(now) {
                out.push(Refused {
                    field: "spec".into(),
                    message: format!("a claim's spec is immutable but for a growing storage request: {} -> {}", shown(base.get("spec")), shown(now.get("spec"))),
                });
            }
            let size = |o: &Value| at(o, "spec.resources.requests.storage").and_then(quantity);
            if let (Some(a), Some(b)) = (size(base), size(now))
                && b < a
            {
                changed(base, now, "spec.resources.requests.storage", "a claim's storage request can grow, never shrink", &mut out);
            }
        }
        ("", "Service") => {
            changed(base, now, "spec.clusterIP", "a Service's cluster IP is immutable (\"None\" makes it headless)", &mut out);
            changed(base, now, "spec.clusterIPs", "a Service's cluster IPs are immutable", &mut out);
            let primary = |o: &Value| at(o, "spec.ipFamilies").and_then(|f| f.get(0)).cloned();
            if primary(base).is_some() && primary(base) != primary(now) {
                out.push(Refused {
                    field: "spec.ipFamilies[0]".into(),
                    message: format!("a Service's primary IP family is immutable: {} -> {}", shown(primary(base).as_ref()), shown(primary(now).as_ref())),
                });
            }
        }
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => changed(base, now, "roleRef", "a binding's roleRef is immutable", &mut out),
        ("", "ConfigMap" | "Secret") => {
            if base.get("immutable") == Some(&Value::Bool(true)) {
                for field in ["data", "binaryData", "stringData", "immutable"] {
                    changed(base, now, field, "an immutable ConfigMap or Secret cannot change", &mut out);
                }
            }
            if kind == "Secret" {
                changed(base, now, "type", "a Secret's type is immutable", &mut out);
            }
        }
        _ => {}
    }
    out
}

/// Whether losing this object loses data: a claim, a StatefulSet with claim templates, a
/// CloudNativePG Cluster.
pub fn holds_data(o: &Value) -> bool {
    let (group, kind) = group_kind(o);
    match (group.as_str(), kind.as_str()) {
        ("", "PersistentVolumeClaim") => true,
        ("apps", "StatefulSet") => at(o, "spec.volumeClaimTemplates").and_then(Value::as_array).is_some_and(|t| !t.is_empty()),
        ("postgresql.cnpg.io", "Cluster") => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(base: Value, now: Value) -> Vec<String> {
        refused(&base, &now).into_iter().map(|r| r.field).collect()
    }

    #[test]
    fn workload_selectors_are_immutable_templates_are_not() {
        let d = |app: &str, image: &str| json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"selector": {"matchLabels": {"app": app}}, "template": {"spec": {"image": image}}}});
        assert_eq!(fields(d("a", "x:1"), d("b", "x:1")), ["spec.selector"]);
        assert!(fields(d("a", "x:1"), d("a", "x:2")).is_empty());
    }

    #[test]
    fn statefulsets_change_only_what_kubernetes_lets_them() {
        let s = |storage: &str, replicas: u32| json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "spec": {"replicas": replicas, "serviceName": "q", "volumeClaimTemplates": [{"spec": {"resources": {"requests": {"storage": storage}}}}]}});
        assert_eq!(fields(s("1Gi", 1), s("2Gi", 1)), ["spec.volumeClaimTemplates"]);
        assert!(fields(s("1Gi", 1), s("1Gi", 3)).is_empty());
        assert!(holds_data(&s("1Gi", 1)));
    }

    #[test]
    fn claims_may_grow_and_nothing_else() {
        let c = |storage: &str, class: &str| json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "spec": {"storageClassName": class, "resources": {"requests": {"storage": storage}}}});
        assert!(fields(c("1Gi", "fast"), c("2Gi", "fast")).is_empty());
        assert_eq!(fields(c("2Gi", "fast"), c("1500Mi", "fast")), ["spec.resources.requests.storage"]);
        assert_eq!(fields(c("1Gi", "fast"), c("1Gi", "slow")), ["spec"]);
        assert_eq!(quantity(&json!("1Gi")), Some(1073741824.0));
        assert_eq!(quantity(&json!("500m")), Some(0.5));
        assert_eq!(quantity(&json!("1e3")), Some(1000.0));
        assert_eq!(quantity(&json!("1Xi")), None);
    }

    #[test]
    fn services_bindings_jobs_and_immutable_config() {
        let svc = |ip: Value| json!({"apiVersion": "v1", "kind": "Service", "spec": {"clusterIP": ip}});
        assert_eq!(fields(svc(json!("None")), svc(Value::Null)), ["spec.clusterIP"]);
        let rb = |role: &str| json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "roleRef": {"name": role}});
        assert_eq!(fields(rb("a"), rb("b")), ["roleRef"]);
        let job = |image: &str| json!({"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": {"image": image}}}});
        assert_eq!(fields(job("x:1"), job("x:2")), ["spec.template"]);
        let cm = |immutable: bool, v: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "immutable": immutable, "data": {"k": v}});
        assert_eq!(fields(cm(true, "a"), cm(true, "b")), ["data"]);
        assert!(fields(cm(false, "a"), cm(false, "b")).is_empty());
        let secret = |t: &str| json!({"apiVersion": "v1", "kind": "Secret", "type": t});
        assert_eq!(fields(secret("Opaque"), secret("kubernetes.io/tls")), ["type"]);
        let cluster = json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster"});
        assert!(holds_data(&cluster) && !holds_data(&svc(Value::Null)));
    }
}
