//! A HorizontalPodAutoscaler whose target also sets `spec.replicas`. Kubernetes takes both, and
//! they fight: the autoscaler writes the target's scale subresource
//! (`pkg/controller/podautoscaler/horizontal.go` in kubernetes/kubernetes), and every
//! `helm upgrade` or `kubectl apply` of the chart writes the fixed count back, so the workload
//! drops to it until the autoscaler scales it up again.

use serde_json::Value;

use super::index::{Index, kind_of, namespace_of, str_at};

/// The finding for an autoscaler whose target has a fixed replica count.
pub(super) fn object(index: &Index, o: &Value, out: &mut Vec<String>) {
    if kind_of(o) != "HorizontalPodAutoscaler" {
        return;
    }
    let (Some(kind), Some(name)) = (str_at(o, "/spec/scaleTargetRef/kind"), str_at(o, "/spec/scaleTargetRef/name")) else { return };
    let Some(replicas) = index.rendered(kind, namespace_of(o), name).and_then(|t| t.pointer("/spec/replicas")) else { return };
    out.push(format!(
        "spec.scaleTargetRef: {kind} {name:?} also sets spec.replicas ({replicas}): every helm upgrade or kubectl apply puts that count back \
         over the autoscaler's; leave replicas out while the autoscaler is on (the builder's replicas_unless, given the autoscaler's \
         enabled setting)"
    ));
}
