//! The HorizontalPodAutoscaler section: replicas bounds and CPU and memory targets.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Knobs;
use crate::model::objects::{HorizontalPodAutoscaler, Metric, Workload};
use crate::model::{Meta, Model, ObjectRef};
use crate::template::expr::fullname;
use crate::template::tree::List;

/// A HorizontalPodAutoscaler for one workload (autoscaling/v2), in the settings `helm create`
/// uses.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutoscalingSettings {
    /// Scale the pods with a HorizontalPodAutoscaler; the Deployment then leaves its replica
    /// count to the autoscaler.
    pub enabled: bool,
    /// Fewest pods (at least 1).
    pub min_replicas: u16,
    /// Most pods (at least `minReplicas`).
    pub max_replicas: u16,
    /// Average CPU utilization to keep, in percent of the CPU request; 0 leaves CPU out.
    #[serde(rename = "targetCPUUtilizationPercentage")]
    pub target_cpu_utilization_percentage: u16,
    /// Average memory utilization to keep, in percent of the memory request; 0 leaves memory
    /// out.
    pub target_memory_utilization_percentage: u16,
}

/// `helm create`'s defaults: off, 1 to 100 pods, 80% of the CPU request, memory left out.
impl Default for AutoscalingSettings {
    fn default() -> Self {
        AutoscalingSettings::cpu(false, 1, 100, 80)
    }
}

impl AutoscalingSettings {
    /// An autoscaler on CPU alone: `enabled`, between `min` and `max` pods, keeping the average
    /// CPU utilization at `percent` of the request.
    pub fn cpu(enabled: bool, min: u16, max: u16, percent: u16) -> Self {
        AutoscalingSettings { enabled, min_replicas: min, max_replicas: max, target_cpu_utilization_percentage: percent, target_memory_utilization_percentage: 0 }
    }
}

impl AutoscalingSettingsKnobs {
    /// The autoscaler of `workload`, rendered when `enabled`; rejects replica bounds Kubernetes
    /// would refuse.
    pub fn add_to(&self, model: &mut Model, workload: &dyn Workload) -> ObjectRef<HorizontalPodAutoscaler> {
        self.add_as(model, Meta::new(fullname()), workload)
    }

    /// [`AutoscalingSettingsKnobs::add_to`] with the autoscaler's own name and labels.
    pub fn add_as(&self, model: &mut Model, meta: Meta, workload: &dyn Workload) -> ObjectRef<HorizontalPodAutoscaler> {
        let min = self.min_replicas.expr();
        let max = self.max_replicas.expr();
        model.reject_when(self.enabled.and(min.lt(1)), &format!("{} must be at least 1", self.min_replicas.path()));
        model.reject_when(self.enabled.and(max.lt(min.clone())), &format!("{} must be at least {}", self.max_replicas.path(), self.min_replicas.path()));
        let metrics = List::new()
            .when(self.target_cpu_utilization_percentage.is_set(), List::new().push(Metric::utilization("cpu", &self.target_cpu_utilization_percentage)))
            .when(self.target_memory_utilization_percentage.is_set(), List::new().push(Metric::utilization("memory", &self.target_memory_utilization_percentage)));
        let hpa = HorizontalPodAutoscaler::builder().meta(meta).scales(workload).min_replicas(min).max_replicas(max).metrics(metrics).build();
        model.add_when(&self.enabled, hpa)
    }
}
