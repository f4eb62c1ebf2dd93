//! The NOTES.txt warning of a PodDisruptionBudget that allows no voluntary eviction of its
//! workload's pods with the values given: the API server takes it, and every node drain
//! (`kubectl drain`, a cluster upgrade) then waits on it forever. `kforge check` says the same
//! of the rendered objects with the disruption controller's arithmetic; the note covers the
//! settings alone: `maxUnavailable` 0, `minAvailable` at least the pods (a count, or 100%), or
//! any `minAvailable` but 0 with one pod.

use serde_json::Value;

use super::Object;
use crate::model::notes::Line;
use crate::template::expr::Ex;
use crate::template::tree::{Entry, Node};

/// A budget the kit added: when it renders, its bounds, and the workload it guards.
#[derive(Clone, Debug)]
pub(crate) struct Budget {
    pub(crate) gate: Ex,
    pub(crate) min: Ex,
    pub(crate) max: Ex,
    pub(crate) min_path: String,
    pub(crate) max_path: String,
    /// The workload's kind and name.
    pub(crate) workload: (&'static str, Ex),
}

/// The scalar at `spec.<key>` of an object, and the conditions of the parts on the way.
fn spec_field<'o>(o: &'o Object, key: &str) -> Option<(&'o Ex, Vec<Ex>)> {
    fn find<'n>(entries: &'n [Entry], key: &str, conds: &mut Vec<Ex>) -> Option<&'n Ex> {
        for e in entries {
            match e {
                Entry::Field(k, Node::Scalar(ex, _)) if k == key => return Some(ex),
                Entry::When(cond, then, otherwise) => {
                    conds.push(cond.clone());
                    if let Some(found) = find(then, key, conds) {
                        return Some(found);
                    }
                    conds.pop();
                    conds.push(Ex::Not(Box::new(cond.clone())));
                    if let Some(found) = find(otherwise, key, conds) {
                        return Some(found);
                    }
                    conds.pop();
                }
                _ => {}
            }
        }
        None
    }
    o.body.iter().find_map(|e| match e {
        Entry::Field(k, Node::Map(spec)) if k == "spec" => {
            let mut conds = Vec::new();
            find(spec, key, &mut conds).map(|ex| (ex, conds))
        }
        _ => None,
    })
}

fn same(a: &Ex, b: &Ex) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

/// The pods the workload runs, as an expression: its autoscaler's `minReplicas` where one
/// renders, else its `replicas` (1 when it has none).
fn pods(objects: &[Object], budget: &Budget) -> Ex {
    let (kind, name) = &budget.workload;
    let one = Ex::Lit(Value::from(1));
    let Some(workload) = objects.iter().find(|o| o.kind == *kind && same(&o.meta.name.ex, name)) else { return one };
    let replicas = spec_field(workload, "replicas").map_or(one.clone(), |(ex, _)| ex.clone());
    let scaler = objects.iter().find(|o| {
        o.kind == "HorizontalPodAutoscaler"
            && o.body.iter().any(|e| matches!(e, Entry::Field(k, Node::Map(spec)) if k == "spec" && spec.iter().any(|f| matches!(f, Entry::Field(t, Node::Map(target)) if t == "scaleTargetRef" && target.iter().any(|n| matches!(n, Entry::Field(nk, Node::Scalar(ex, _)) if nk == "name" && same(ex, name)))))))
    });
    match scaler.and_then(|hpa| Some((hpa, spec_field(hpa, "minReplicas")?.0.clone()))) {
        Some((hpa, min)) => match &hpa.gate {
            Some(gate) => Ex::Ternary(Box::new(gate.clone()), Box::new(min), Box::new(replicas)),
            None => min,
        },
        None => replicas,
    }
}

/// The warning lines of the budgets, each shown when its budget allows no eviction.
pub(crate) fn notes(objects: &[Object], budgets: &[Budget]) -> Vec<Line> {
    budgets
        .iter()
        .map(|b| {
            let pods = pods(objects, b);
            let matches = |ex: &Ex, pattern: &'static str| Ex::Matches(Box::new(ex.clone()), pattern);
            let blocked = Ex::And(vec![
                b.gate.clone(),
                Ex::Or(vec![
                    Ex::And(vec![Ex::Present(Box::new(b.max.clone())), matches(&b.max, "^0+%?$")]),
                    Ex::And(vec![matches(&b.min, "^[0-9]+$"), Ex::Not(Box::new(Ex::Lt(Box::new(b.min.clone()), Box::new(pods.clone()))))]),
                    matches(&b.min, "^0*100%$"),
                    Ex::And(vec![Ex::Lt(Box::new(pods), Box::new(Ex::Lit(Value::from(2)))), matches(&b.min, "^0*[1-9][0-9]*%?$")]),
                ]),
            ]);
            let (min, max) = (&b.min_path, &b.max_path);
            let text = |s: String| Ex::Lit(Value::String(s));
            Line::When(
                blocked,
                vec![
                    Line::text(""),
                    Line::Text(vec![
                        text(format!("WARNING: with these values the PodDisruptionBudget of {} ", b.workload.0)),
                        b.workload.1.clone(),
                        text(format!(
                            " allows no voluntary eviction ({min} or {max} against its replicas): every node drain (kubectl drain, a cluster upgrade) would wait on it forever. Run more replicas, lower {min}, or set {max}: 1 with {min}: \"\"."
                        )),
                    ]),
                ],
                Vec::new(),
            )
        })
        .collect()
}
