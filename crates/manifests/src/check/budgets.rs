//! A PodDisruptionBudget the API server accepts but that allows no voluntary eviction of its
//! pods (one replica and `minAvailable: 1`, `maxUnavailable: 0`): every node drain (`kubectl
//! drain`, a cluster upgrade) waits on it forever. The check says so; it refuses nothing.

use serde_json::Value;

use super::index::{Index, kind_of, name_of, namespace_of, str_at};

/// The pods the workload keeps: its autoscaler's `minReplicas` when one scales it, else its
/// `replicas` (1 when left out); `None` for a kind whose count is not its own (a DaemonSet's).
fn expected_pods(index: &Index, workload: &Value) -> Option<i64> {
    let kind = kind_of(workload);
    if !matches!(kind, "Deployment" | "StatefulSet" | "ReplicaSet") {
        return None;
    }
    let scaled = index.objects.iter().find(|o| {
        kind_of(o) == "HorizontalPodAutoscaler"
            && namespace_of(o) == namespace_of(workload)
            && str_at(o, "/spec/scaleTargetRef/kind") == Some(kind)
            && str_at(o, "/spec/scaleTargetRef/name") == Some(name_of(workload))
    });
    Some(match scaled {
        Some(hpa) => hpa.pointer("/spec/minReplicas").and_then(Value::as_i64).unwrap_or(1),
        None => workload.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1),
    })
}

/// `intstr.GetScaledValueFromIntOrPercent` rounding up, as the disruption controller reads a
/// budget: a count, or a percentage of `pods`.
fn scaled(v: &Value, pods: i64) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => {
            let percent: i64 = s.strip_suffix('%')?.parse().ok()?;
            Some((percent * pods + 99) / 100)
        }
        _ => None,
    }
}

/// The warning for a budget that allows no eviction of the pods it selects, or `None`.
pub(super) fn no_eviction(index: &Index, o: &Value) -> Option<String> {
    if kind_of(o) != "PodDisruptionBudget" {
        return None;
    }
    let selector = o.pointer("/spec/selector")?;
    let mut pods = 0;
    let mut workloads = Vec::new();
    for pod in index.pods_matching(namespace_of(o), selector) {
        let workload = &index.objects[pod.object];
        pods += expected_pods(index, workload)?;
        workloads.push(format!("{}/{}", kind_of(workload), name_of(workload)));
    }
    if pods == 0 {
        return None;
    }
    let (allowed, bound) = if let Some(min) = o.pointer("/spec/minAvailable") {
        (pods - scaled(min, pods)?, format!("minAvailable {}", min.as_str().map_or_else(|| min.to_string(), str::to_string)))
    } else {
        let max = o.pointer("/spec/maxUnavailable")?;
        (scaled(max, pods)?, format!("maxUnavailable {}", max.as_str().map_or_else(|| max.to_string(), str::to_string)))
    };
    (allowed <= 0).then(|| {
        format!(
            "allows no voluntary eviction: {bound} of {pods} pod(s) ({}): every node drain (kubectl drain, a cluster upgrade) would wait on it forever; run more replicas, lower minAvailable, or allow maxUnavailable: 1",
            workloads.join(", ")
        )
    })
}
