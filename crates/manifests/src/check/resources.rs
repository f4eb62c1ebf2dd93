//! Container resources as the API server takes them (`ValidateResourceRequirements` in
//! `pkg/apis/core/validation`): quantities not negative, and no request above the limit of the
//! same resource. Quantities compare as [`crate::rules::quantity`] reads them, as the renderers
//! compare them when they refuse values.

use serde_json::Value;

use crate::rules::quantity;

/// The `resources` of the container at `here`.
pub(super) fn container(here: &str, c: &Value, out: &mut Vec<String>) {
    let Some(resources) = c.get("resources") else { return };
    let limits = resources.get("limits").and_then(Value::as_object);
    for part in ["requests", "limits"] {
        for (k, q) in resources.get(part).and_then(Value::as_object).into_iter().flatten() {
            if quantity(q) < 0.0 {
                out.push(format!("{here}: resources.{part}.{k} {q} is negative"));
            }
        }
    }
    for (k, request) in resources.get("requests").and_then(Value::as_object).into_iter().flatten() {
        if let Some(limit) = limits.and_then(|l| l.get(k))
            && quantity(request) > quantity(limit)
        {
            out.push(format!("{here}: resources.requests.{k} {request} is more than resources.limits.{k} {limit}"));
        }
    }
}
