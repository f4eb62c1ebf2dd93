//! PodDisruptionBudgets. The selector comes from a workload handle, so a budget always covers
//! pods the model declares.

use serde_json::Value;
use typed_builder::TypedBuilder;

use crate::model::objects::object;
use crate::model::objects::workload::{Workload, selector_labels};
use crate::model::{Build, Meta, Object, typed};
use crate::template::expr::Expr;
use crate::template::tree::{Map, Node};

/// `min_available` and `max_unavailable` are counts or percentages; each is left out when it is
/// the empty string (see [`crate::IntOrPercent`]). Kubernetes accepts only one of them: an
/// application rejects values that set both (`Model::reject_when`).
#[derive(Clone, Debug, TypedBuilder)]
pub struct PodDisruptionBudget {
    /// Name and labels.
    pub meta: Meta,
    /// The workload whose pods the budget covers.
    #[builder(setter(transform = |w: &dyn Workload| w.component()))]
    pub selects: Option<&'static str>,
    /// `minAvailable`: a count or a percentage; left out when empty.
    #[builder(setter(into))]
    pub min_available: Expr<Value>,
    /// `maxUnavailable`: a count or a percentage; left out when empty.
    #[builder(setter(into))]
    pub max_unavailable: Expr<Value>,
}

impl Build for PodDisruptionBudget {
    fn object(self) -> Object {
        let spec = Map::new()
            .when(self.min_available.is_present(), Map::new().field("minAvailable", Node::any(self.min_available.clone())))
            .when(self.max_unavailable.is_present(), Map::new().field("maxUnavailable", Node::any(self.max_unavailable.clone())))
            .field("selector", Map::new().field("matchLabels", selector_labels(self.selects)));
        object("policy/v1", "PodDisruptionBudget", self.meta, Map::new().field("spec", spec), typed::<k8s_openapi::api::policy::v1::PodDisruptionBudget>)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::Model;
    use crate::model::objects::fixtures::web;
    use crate::render::testing;
    use crate::template::expr::{Knob, Path};

    #[test]
    fn a_budget_renders_only_the_bounds_that_are_set() {
        let mut m = Model::new();
        let (deployment, _) = web(&mut m);
        let (min, max): (Knob<Value>, Knob<Value>) = (Knob::at(Path::values().child("min")), Knob::at(Path::values().child("max")));
        m.add(PodDisruptionBudget::builder().meta(Meta::new("web")).selects(&deployment).min_available(min.raw()).max_unavailable(max.raw()).build());
        let pdb = |values| testing::objects(&m, values).expect("renders").into_iter().find(|o| o["kind"] == "PodDisruptionBudget").expect("a budget");
        let spec = pdb(json!({"min": 1, "max": ""}))["spec"].clone();
        assert_eq!((spec.get("minAvailable"), spec.get("maxUnavailable")), (Some(&json!(1)), None));
        let spec = pdb(json!({"min": "", "max": "25%"}))["spec"].clone();
        assert_eq!((spec.get("minAvailable"), spec.get("maxUnavailable")), (None, Some(&json!("25%"))));
        assert_eq!(spec["selector"]["matchLabels"], json!({"app.kubernetes.io/name": "test", "app.kubernetes.io/instance": "rel"}));
    }
}
