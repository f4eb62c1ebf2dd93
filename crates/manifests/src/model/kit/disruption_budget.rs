//! The PodDisruptionBudget section: `minAvailable` or `maxUnavailable`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Knobs;
use crate::model::objects::{PodDisruptionBudget, Workload};
use crate::model::{Meta, Model, ObjectRef};
use crate::template::expr::{Expr, fullname};
use crate::values::{IntOrPercent, OptionalIntOrPercent};

/// A PodDisruptionBudget for one workload: `minAvailable` or `maxUnavailable`, never both.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DisruptionBudgetSettings {
    /// Render a PodDisruptionBudget.
    pub enabled: bool,
    /// Pods that must stay available during a voluntary disruption (a count or a percentage
    /// up to 100%); "" for none.
    pub min_available: OptionalIntOrPercent,
    /// Pods that may be unavailable during a voluntary disruption (a count or a percentage up
    /// to 100%), as an alternative to `minAvailable`: set `minAvailable: ""` to use it.
    pub max_unavailable: OptionalIntOrPercent,
}

impl DisruptionBudgetSettings {
    /// A budget keeping `count` pods available (`minAvailable`), rendered when `enabled`.
    pub fn min_available(enabled: bool, count: i64) -> Self {
        DisruptionBudgetSettings { enabled, min_available: OptionalIntOrPercent(Some(IntOrPercent::Count(count))), max_unavailable: OptionalIntOrPercent(None) }
    }
}

impl DisruptionBudgetSettingsKnobs {
    /// The budget of `workload`, rendered when `enabled`; rejects setting both bounds or none.
    pub fn add_to(&self, model: &mut Model, workload: &dyn Workload) -> ObjectRef<PodDisruptionBudget> {
        self.add_as(model, Meta::new(fullname()), workload, true)
    }

    /// [`DisruptionBudgetSettingsKnobs::add_to`] with the budget's own name and labels, for a
    /// workload that exists only when `exists` holds.
    pub fn add_as(&self, model: &mut Model, meta: Meta, workload: &dyn Workload, exists: impl Into<Expr<bool>>) -> ObjectRef<PodDisruptionBudget> {
        let enabled = self.enabled.and(exists);
        let (min, max) = (self.min_available.is_present(), self.max_unavailable.is_present());
        let (min_path, max_path) = (self.min_available.path(), self.max_unavailable.path());
        model.reject_when(enabled.and(min.and(&max)), &format!("set {min_path} or {max_path}, not both: Kubernetes accepts only one (set the other to \"\")"));
        model.reject_when(enabled.and(min.or(&max).not()), &format!("set {min_path} or {max_path}: a PodDisruptionBudget needs one of them"));
        let pdb = PodDisruptionBudget::builder().meta(meta).selects(workload).min_available(self.min_available.raw()).max_unavailable(self.max_unavailable.raw()).build();
        let (kind, name) = {
            let (_, kind, name) = workload.target();
            (kind, name)
        };
        model.budgets.push(crate::model::budgets::Budget {
            gate: enabled.clone().ex,
            min: self.min_available.expr().ex,
            max: self.max_unavailable.expr().ex,
            min_path: min_path.dotted(),
            max_path: max_path.dotted(),
            workload: (kind, name.ex),
        });
        model.add_when(enabled, pdb)
    }
}
