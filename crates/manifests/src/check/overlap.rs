//! A Service or PodDisruptionBudget whose selector matches the pods of more than one workload.
//! Kubernetes takes it: a Service's endpoints are every ready pod its selector matches, whoever
//! made it (`syncService` in `pkg/controller/endpointslice/endpointslice_controller.go` in
//! kubernetes/kubernetes lists the pods by the selector alone), and the disruption controller
//! counts every pod a budget selects (`getPodsForPdb` in `pkg/controller/disruption/disruption.go`).
//! So a Service
//! meant for an API also sends traffic to a CronJob's pods, and a budget counts them, when the
//! workloads share their selector labels: the common labels without a component.

use serde_json::Value;

use super::index::{Index, group_of, kind_of, name_of, namespace_of, selector_text};

/// The finding for a Service or budget that selects the pods of several workloads.
pub(super) fn object(index: &Index, o: &Value, out: &mut Vec<String>) {
    let (selector, effect) = match (group_of(o), kind_of(o)) {
        ("", "Service") if o.pointer("/spec/type").and_then(Value::as_str) != Some("ExternalName") => {
            // A Service without a selector has its endpoints managed by hand.
            let Some(Value::Object(labels)) = o.pointer("/spec/selector") else { return };
            if labels.is_empty() {
                return;
            }
            (serde_json::json!({ "matchLabels": labels }), "it would send traffic to the pods of each")
        }
        ("policy", "PodDisruptionBudget") => match o.pointer("/spec/selector") {
            Some(selector) => (selector.clone(), "it would count the pods of each as one set"),
            None => return,
        },
        _ => return,
    };
    let mut workloads: Vec<usize> = index.pods_matching(namespace_of(o), &selector).map(|p| p.object).collect();
    workloads.dedup();
    if workloads.len() < 2 {
        return;
    }
    let names: Vec<String> = workloads.iter().map(|&i| format!("{}/{}", kind_of(&index.objects[i]), name_of(&index.objects[i]))).collect();
    out.push(format!(
        "spec.selector ({}) matches the pods of {}: {effect}; give each workload a component of its own (Meta::component) and select by it",
        selector_text(&selector),
        names.join(" and ")
    ));
}
