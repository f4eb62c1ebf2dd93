//! HorizontalPodAutoscalers (autoscaling/v2). The target is a workload handle, so an autoscaler
//! cannot scale a Deployment the model does not declare.

use typed_builder::TypedBuilder;

use crate::model::objects::object;
use crate::model::objects::workload::Workload;
use crate::model::{Build, Meta, Object, typed};
use crate::template::expr::Expr;
use crate::template::tree::{List, Lower, Map, Node};

/// One metric the autoscaler follows.
#[derive(Clone, Debug)]
pub struct Metric(Map);

impl Metric {
    /// Average utilization of a resource (`cpu`, `memory`) in percent of the pods' requests.
    pub fn utilization(resource: &'static str, percent: impl Into<Expr<i64>>) -> Self {
        let target = Map::new().str("type", "Utilization").int("averageUtilization", percent);
        Metric(Map::new().str("type", "Resource").field("resource", Map::new().str("name", resource).field("target", target)))
    }
}

impl Lower for Metric {
    fn lower(&self) -> Node {
        self.0.lower()
    }
}

/// Where an autoscaler points.
#[derive(Clone, Debug)]
pub struct ScaleTarget(Map);

impl ScaleTarget {
    /// The Deployment or StatefulSet `workload` as the scale target.
    pub fn of(workload: &dyn Workload) -> Self {
        let (api_version, kind, name) = workload.target();
        ScaleTarget(Map::new().str("apiVersion", api_version).str("kind", kind).str("name", name))
    }
}

/// A HorizontalPodAutoscaler (`autoscaling/v2`) on a workload the model declares.
#[derive(Clone, Debug, TypedBuilder)]
pub struct HorizontalPodAutoscaler {
    /// Name and labels.
    pub meta: Meta,
    /// The workload it scales.
    #[builder(setter(transform = |w: &dyn Workload| ScaleTarget::of(w)))]
    pub scales: ScaleTarget,
    /// The fewest replicas.
    #[builder(setter(into))]
    pub min_replicas: Expr<i64>,
    /// The most replicas.
    #[builder(setter(into))]
    pub max_replicas: Expr<i64>,
    /// What it scales on; items that render empty are left out.
    pub metrics: List<Metric>,
}

impl Build for HorizontalPodAutoscaler {
    fn object(self) -> Object {
        let spec =
            Map::new().field("scaleTargetRef", self.scales.0).int("minReplicas", self.min_replicas).int("maxReplicas", self.max_replicas).field("metrics", self.metrics.node());
        object("autoscaling/v2", "HorizontalPodAutoscaler", self.meta, Map::new().field("spec", spec), typed::<k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler>)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::Model;
    use crate::model::objects::fixtures::web;
    use crate::render::testing;

    #[test]
    fn an_autoscaler_targets_its_workload_by_kind_and_name() {
        let mut m = Model::new();
        let (deployment, _) = web(&mut m);
        m.add(
            HorizontalPodAutoscaler::builder()
                .meta(Meta::new("web"))
                .scales(&deployment)
                .min_replicas(2)
                .max_replicas(5)
                .metrics(List::new().push(Metric::utilization("cpu", 70)))
                .build(),
        );
        let objects = testing::objects(&m, json!({})).expect("renders");
        let hpa = objects.iter().find(|o| o["kind"] == "HorizontalPodAutoscaler").expect("an autoscaler");
        assert_eq!(hpa["spec"]["scaleTargetRef"], json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}));
        assert_eq!((hpa["spec"]["minReplicas"].as_i64(), hpa["spec"]["maxReplicas"].as_i64()), (Some(2), Some(5)));
        assert_eq!(hpa["spec"]["metrics"][0]["resource"], json!({"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}));
    }
}
