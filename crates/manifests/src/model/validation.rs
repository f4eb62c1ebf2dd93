//! What both renderers refuse before they render: the model's own rules (`Model::reject_when`)
//! and the API server's rules the model's objects imply, found in the objects themselves:
//!
//! - every object name that values or the release can change is valid for its kind
//!   ([`crate::rules::name_rule`]), most constrained first, so that the message names the
//!   derived name furthest over its limit;
//! - every setting merged into `labels`, `matchLabels` or `nodeSelector`, or into `annotations`,
//!   every setting rendered as `resources`, `minAvailable` or `maxUnavailable`, the section
//!   whose settings are a `rollingUpdate`'s `maxSurge` and `maxUnavailable`, and the settings
//!   an Ingress's `rules` range over and its `tls` renders, pass [`crate::rules::ValuesRule`].

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::Object;
use crate::rules::{NameRule, Shape, ValuesRule, name_rule};
use crate::template::expr::{Ex, Helper, ReleaseField, Root};
use crate::template::tree::{Entry, Item, Node};

/// One validation: when `test` holds, rendering fails with `message`. Without a test, it fails
/// when `message` is not empty (the chart: `{{ with MESSAGE }}{{ fail . }}`).
#[derive(Clone, Debug)]
pub(crate) struct Validation {
    pub(crate) test: Option<Ex>,
    pub(crate) message: Ex,
}

/// The validations the objects imply, in the order the renderers apply them: names, then
/// settings by path.
pub(crate) fn implied(objects: &[Object]) -> Vec<Validation> {
    let mut out = names(objects);
    let mut settings: BTreeMap<(String, ValuesRule), Ex> = BTreeMap::new();
    for o in objects {
        let meta = o.meta.lower(o.namespaced, None);
        walk(&meta, "", &mut settings);
        for e in &o.body {
            walk_entry(e, &mut settings);
        }
        if o.kind == "Ingress" {
            ingress(&o.body, &mut settings);
        }
    }
    for ((path, rule), value) in settings {
        out.push(Validation { test: None, message: Ex::Problem(rule, Box::new(value), Arc::from(path)) });
    }
    out
}

fn walk(node: &Node, key: &str, out: &mut BTreeMap<(String, ValuesRule), Ex>) {
    match node {
        Node::Map(entries) if key == "rollingUpdate" => {
            rolling_update(entries, out);
            entries.iter().for_each(|e| walk_entry(e, out));
        }
        Node::Map(entries) => {
            let rule = match key {
                "labels" => Some(ValuesRule::Labels { own: true }),
                "matchLabels" => Some(ValuesRule::Labels { own: false }),
                "annotations" => Some(ValuesRule::Annotations),
                _ => None,
            };
            for e in entries {
                if let (Some(rule), Entry::Spread(ex)) = (rule, e) {
                    setting(ex, rule, out);
                }
                walk_entry(e, out);
            }
        }
        Node::Raw(ex) => match key {
            "resources" => setting(ex, ValuesRule::Resources, out),
            "nodeSelector" => setting(ex, ValuesRule::Labels { own: false }, out),
            _ => {}
        },
        Node::List(items) => items.iter().for_each(|i| walk_item(i, out)),
        // A PodDisruptionBudget's bounds and a rolling update's `maxUnavailable` alike: the API
        // server caps both at 100% (`maxSurge` may go above).
        Node::Scalar(ex, _) if matches!(key, "minAvailable" | "maxUnavailable") => setting(ex, ValuesRule::Percent, out),
        Node::Scalar(..) => {}
    }
}

/// A `rollingUpdate` whose `maxSurge` and `maxUnavailable` are two settings of one section
/// (`strategy.rollingUpdate.maxSurge`, `...maxUnavailable`): that section, for
/// [`ValuesRule::RollingUpdate`].
fn rolling_update(entries: &[Entry], out: &mut BTreeMap<(String, ValuesRule), Ex>) {
    let get = |key: &str| {
        let mut found = Vec::new();
        fields(entries, key, &mut found);
        match found.as_slice() {
            [Node::Scalar(Ex::Get(p), _)] if p.root == Root::Values && p.keys.last().is_some_and(|k| k == key) => Some(p.clone()),
            _ => None,
        }
    };
    if let (Some(surge), Some(unavailable)) = (get("maxSurge"), get("maxUnavailable"))
        && surge.keys[..surge.keys.len() - 1] == unavailable.keys[..unavailable.keys.len() - 1]
    {
        let section = crate::template::expr::Path { root: Root::Values, keys: surge.keys[..surge.keys.len() - 1].to_vec() };
        setting(&Ex::Get(section), ValuesRule::RollingUpdate, out);
    }
}

/// The nodes of the fields `key` among `entries`, gated ones included.
fn fields<'n>(entries: &'n [Entry], key: &str, out: &mut Vec<&'n Node>) {
    for e in entries {
        match e {
            Entry::Field(k, node) if k == key => out.push(node),
            Entry::When(_, then, otherwise) => {
                fields(then, key, out);
                fields(otherwise, key, out);
            }
            _ => {}
        }
    }
}

/// The one node at `keys` below `node`, through maps.
fn at<'n>(node: &'n Node, keys: &[&str]) -> Option<&'n Node> {
    let Some((first, rest)) = keys.split_first() else { return Some(node) };
    let Node::Map(entries) = node else { return None };
    let mut found = Vec::new();
    fields(entries, first, &mut found);
    match found.as_slice() {
        [one] => at(one, rest),
        _ => None,
    }
}

/// True when `node` reads the field `key` of the loop variable `var`.
fn reads(node: Option<&Node>, var: &str, key: &str) -> bool {
    matches!(node, Some(Node::Scalar(Ex::Get(p), _)) if matches!(p.root, Root::Var(v) if v == var) && p.keys == [key])
}

/// An Ingress's settings: the list setting its `rules` range over, when each item has the kit's
/// shape (`host`, and `paths` of `path` and `pathType`, [`crate::kit::IngressHost`]), and the
/// setting rendered as its `tls`. An Ingress built otherwise is `kforge check`'s to judge.
fn ingress(body: &[Entry], out: &mut BTreeMap<(String, ValuesRule), Ex>) {
    let mut specs = Vec::new();
    fields(body, "spec", &mut specs);
    for spec in specs {
        let Node::Map(spec) = spec else { continue };
        let mut found = Vec::new();
        fields(spec, "tls", &mut found);
        for node in found.drain(..) {
            if let Node::Raw(ex) = node {
                setting(ex, ValuesRule::IngressTls, out);
            }
        }
        fields(spec, "rules", &mut found);
        for node in found {
            let Node::List(items) = node else { continue };
            for item in items {
                if let Item::Range(var, source, rule) = item
                    && reads(at(rule, &["host"]), var, "host")
                    && let Some(Node::List(paths)) = at(rule, &["http", "paths"])
                    && let [Item::Range(path_var, Ex::Get(paths_source), path)] = paths.as_slice()
                    && matches!(paths_source.root, Root::Var(v) if v == *var)
                    && paths_source.keys == ["paths"]
                    && reads(at(path, &["path"]), path_var, "path")
                    && reads(at(path, &["pathType"]), path_var, "pathType")
                {
                    setting(source, ValuesRule::IngressRules, out);
                }
            }
        }
    }
}

fn walk_entry(e: &Entry, out: &mut BTreeMap<(String, ValuesRule), Ex>) {
    match e {
        Entry::Field(k, node) => walk(node, k, out),
        Entry::When(_, then, otherwise) => then.iter().chain(otherwise).for_each(|e| walk_entry(e, out)),
        Entry::Spread(_) | Entry::Labels(_) => {}
    }
}

fn walk_item(i: &Item, out: &mut BTreeMap<(String, ValuesRule), Ex>) {
    match i {
        Item::One(node) => walk(node, "", out),
        Item::Range(_, _, node) => walk(node, "", out),
        Item::When(_, then, otherwise) => then.iter().chain(otherwise).for_each(|i| walk_item(i, out)),
        Item::Spread(_) => {}
    }
}

/// A setting of values.yaml (not a loop variable, which has no path of its own).
fn setting(ex: &Ex, rule: ValuesRule, out: &mut BTreeMap<(String, ValuesRule), Ex>) {
    if let Ex::Get(path) = ex
        && path.root == Root::Values
    {
        out.entry((path.dotted(), rule)).or_insert_with(|| ex.clone());
    }
}

/// The longest the string can be, when the expression bounds it: the release name (53, Helm's
/// limit), the name helpers (63, they truncate), literals. `None`: a setting decides.
fn max_len(ex: &Ex) -> Option<usize> {
    match ex {
        Ex::Lit(Value::String(s)) => Some(s.len()),
        Ex::Release(ReleaseField::Name) => Some(53),
        Ex::Helper(Helper::Name | Helper::Fullname | Helper::Chart) => Some(63),
        Ex::Digest(_) => Some(10),
        Ex::Concat(parts) => parts.iter().map(max_len).sum(),
        Ex::Default(a, b) | Ex::Ternary(_, a, b) => Some(max_len(a)?.max(max_len(b)?)),
        _ => None,
    }
}

/// The characters of the literal parts, which no setting changes.
fn fixed_len(ex: &Ex) -> usize {
    match ex {
        Ex::Lit(Value::String(s)) => s.len(),
        Ex::Concat(parts) => parts.iter().map(fixed_len).sum(),
        _ => 0,
    }
}

fn lit(s: String) -> Ex {
    Ex::Lit(Value::String(s))
}

/// The message of [`crate::rules::name_message`], as an expression over the name.
fn message(kind: &str, name: &Ex, rule: NameRule) -> Ex {
    let len = Ex::Len(Box::new(name.clone()));
    let long = Ex::Concat(vec![
        lit(format!("the {kind} name \"")),
        name.clone(),
        lit("\" has ".into()),
        Ex::IntStr(Box::new(len.clone())),
        lit(format!(" characters, over the {} a {kind} name may have ({}): use a shorter release name or fullnameOverride", rule.max, rule.why)),
    ]);
    if rule.shape == Shape::Dns1123Subdomain {
        return long;
    }
    let shape =
        Ex::Concat(vec![lit(format!("the {kind} name \"")), name.clone(), lit(format!("\" is not {}: use another release name or fullnameOverride", rule.shape.describe()))]);
    Ex::Ternary(Box::new(Ex::Lt(Box::new(Ex::Lit(Value::from(rule.max))), Box::new(len))), Box::new(long), Box::new(shape))
}

fn names(objects: &[Object]) -> Vec<Validation> {
    // Objects that share a name expression and a rule share one validation, gated by any of
    // their gates (none when one of them is always rendered).
    struct Found<'o> {
        kind: &'static str,
        name: &'o Ex,
        rule: NameRule,
        gates: Option<Vec<Ex>>,
        order: usize,
    }
    let mut found: Vec<Found> = Vec::new();
    for (order, o) in objects.iter().enumerate() {
        let Some(rule) = name_rule(o.kind) else { continue };
        let name = &o.meta.name.ex;
        let bounded = max_len(name);
        // A literal name is the developer's, and the check's to judge; a subdomain no setting
        // can make too long cannot break its rule (the release and the overrides are
        // subdomains already).
        if matches!(name, Ex::Lit(_)) || (rule.shape == Shape::Dns1123Subdomain && bounded.is_some_and(|n| n <= rule.max)) {
            continue;
        }
        let key = format!("{name:?}");
        match found.iter_mut().find(|f| f.rule == rule && format!("{:?}", f.name) == key) {
            Some(f) => match (&mut f.gates, &o.gate) {
                (Some(gates), Some(g)) => gates.push(g.clone()),
                (gates, _) => *gates = None,
            },
            None => found.push(Found { kind: o.kind, name, rule, gates: o.gate.clone().map(|g| vec![g]), order }),
        }
    }
    // Most constrained first: the least room left once the fixed characters are counted.
    found.sort_by_key(|f| (f.rule.max.saturating_sub(fixed_len(f.name)), f.order));
    found
        .into_iter()
        .map(|f| {
            let len = Ex::Len(Box::new(f.name.clone()));
            let mut broken = Ex::Lt(Box::new(Ex::Lit(Value::from(f.rule.max))), Box::new(len));
            if f.rule.shape != Shape::Dns1123Subdomain {
                broken = Ex::Or(vec![broken, Ex::Not(Box::new(Ex::Shaped(Box::new(f.name.clone()), f.rule.shape)))]);
            }
            let test = match f.gates {
                Some(mut gates) => {
                    let gate = if gates.len() == 1 { gates.remove(0) } else { Ex::Or(gates) };
                    Ex::And(vec![gate, broken])
                }
                None => broken,
            };
            Validation { test: Some(test), message: message(f.kind, f.name, f.rule) }
        })
        .collect()
}
