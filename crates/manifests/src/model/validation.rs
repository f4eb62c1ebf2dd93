//! What both renderers refuse before they render: the model's own rules (`Model::reject_when`)
//! and the API server's rules the model's objects imply, found in the objects themselves:
//!
//! - every object name that values or the release can change is valid for its kind
//!   ([`crate::rules::name_rule`]), most constrained first, so that the message names the
//!   derived name furthest over its limit;
//! - every setting merged into `labels`, `matchLabels` or `nodeSelector`, or into `annotations`,
//!   every setting rendered as `resources`, `minAvailable` or `maxUnavailable`, the section
//!   whose settings are a `rollingUpdate`'s `maxSurge` and `maxUnavailable`, and the settings
//!   an Ingress's `rules` range over and its `tls` renders, pass [`crate::rules::ValuesRule`];
//! - every setting rendered whole as a part of an object (a toleration, an env var, a volume
//!   and its mount, an affinity, a security context, a Role's rule, a node port, a class name, a
//!   claim's size) passes that part's rules ([`crate::rules::parts`]), the restricted Pod
//!   Security Standard's included but for the controls the application's exceptions lift;
//! - the lists of a pod that settings add to (env vars, ports, volumes, mounts) keep their keys
//!   unique, and the mounts a setting adds name volumes of the pod.
//!
//! Each applies where its object renders: under the object's condition and the conditions of
//! the parts of it that hold the setting (a disabled budget, a `Recreate` strategy, a node port
//! of a ClusterIP Service are not judged).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::Object;
use crate::model::pod_security::PssException;
use crate::rules::{Lifted, NameRule, Part, Shape, Unique, ValuesRule, name_rule};
use crate::template::expr::{Ex, Helper, ReleaseField, Root};
use crate::template::tree::{Entry, Item, Node};

/// One validation: when `test` holds, rendering fails with `message`. Without a test, it fails
/// when `message` is not empty (the chart: `{{ with MESSAGE }}{{ fail . }}`), and only where
/// `gate` holds.
#[derive(Clone, Debug)]
pub(crate) struct Validation {
    pub(crate) test: Option<Ex>,
    pub(crate) gate: Option<Ex>,
    pub(crate) message: Ex,
}

/// A setting found under a rule: its value, and where it renders (`None`: always).
struct Found {
    value: Ex,
    gates: Option<Vec<Ex>>,
}

/// The settings found, by `(path, rule)`.
#[derive(Default)]
struct Settings(BTreeMap<(String, ValuesRule), Found>);

impl Settings {
    fn add(&mut self, key: String, rule: ValuesRule, value: Ex, gate: Option<Ex>) {
        match self.0.get_mut(&(key.clone(), rule)) {
            Some(found) => match (&mut found.gates, gate) {
                (Some(gates), Some(g)) => {
                    if !gates.iter().any(|x| format!("{x:?}") == format!("{g:?}")) {
                        gates.push(g)
                    }
                }
                (gates, _) => *gates = None,
            },
            None => {
                self.0.insert((key, rule), Found { value, gates: gate.map(|g| vec![g]) });
            }
        }
    }

    /// A setting of values.yaml (not a loop variable, which has no path of its own).
    /// A setting with a fallback (`default b a`, a component's storage class over
    /// `global.storageClass`) is two: the first where it renders, the fallback where the first
    /// is empty.
    fn setting(&mut self, ex: &Ex, rule: ValuesRule, gate: Option<Ex>) {
        match ex {
            Ex::Get(path) if path.root == Root::Values => self.add(path.dotted(), rule, ex.clone(), gate),
            Ex::Default(first, fallback) => {
                self.setting(first, rule, gate.clone());
                let unset = Ex::Not(Box::new(Ex::IsSet(first.clone())));
                let gate = Some(match gate {
                    Some(g) => Ex::And(vec![g, unset]),
                    None => unset,
                });
                self.setting(fallback, rule, gate);
            }
            _ => {}
        }
    }
}

/// The conditions on the way to a part of an object, joined.
fn gate_of(conds: &[Ex]) -> Option<Ex> {
    match conds {
        [] => None,
        [one] => Some(one.clone()),
        many => Some(Ex::And(many.to_vec())),
    }
}

/// The validations the objects imply, in the order the renderers apply them: names, then
/// settings by path.
pub(crate) fn implied(objects: &[Object], exceptions: &[PssException]) -> Vec<Validation> {
    let mut out = names(objects);
    let mut settings = Settings::default();
    for o in objects {
        let mut w = Walk { kind: o.kind, conds: o.gate.iter().cloned().collect(), keys: Vec::new(), exceptions, out: &mut settings };
        let meta = o.meta.lower(o.namespaced, None);
        w.node(&meta, "");
        for e in &o.body {
            w.entry(e);
        }
        if o.kind == "Ingress" {
            ingress(&o.body, &mut w);
        }
    }
    for ((path, rule), found) in settings.0 {
        let gate = found.gates.map(|mut gates| if gates.len() == 1 { gates.remove(0) } else { Ex::Or(gates) });
        let at = if matches!(rule, ValuesRule::Unique(_) | ValuesRule::Mounts) { String::new() } else { path };
        out.push(Validation { test: None, gate, message: Ex::Problem(rule, Box::new(found.value), Arc::from(at)) });
    }
    out
}

/// Walks one object's tree with the conditions on the way and the keys above.
struct Walk<'a, 'o> {
    kind: &'static str,
    conds: Vec<Ex>,
    keys: Vec<String>,
    exceptions: &'a [PssException],
    out: &'o mut Settings,
}

impl Walk<'_, '_> {
    fn gate(&self) -> Option<Ex> {
        gate_of(&self.conds)
    }

    /// The controls the exceptions of these containers lift.
    fn lifted(&self, containers: &[&str]) -> Lifted {
        self.exceptions.iter().filter(|e| containers.contains(&e.container)).fold(Lifted::NONE, |l, e| l.with(e.control.title()))
    }

    fn entry(&mut self, e: &Entry) {
        match e {
            Entry::Field(k, node) => self.node(node, k),
            Entry::When(cond, then, otherwise) => {
                self.conds.push(cond.clone());
                then.iter().for_each(|e| self.entry(e));
                self.conds.pop();
                self.conds.push(Ex::Not(Box::new(cond.clone())));
                otherwise.iter().for_each(|e| self.entry(e));
                self.conds.pop();
            }
            Entry::Spread(_) | Entry::Labels(_) => {}
        }
    }

    fn item(&mut self, i: &Item) {
        match i {
            Item::One(node) => self.node(node, ""),
            Item::Range(_, _, node) => self.node(node, ""),
            Item::When(cond, then, otherwise) => {
                self.conds.push(cond.clone());
                then.iter().for_each(|i| self.item(i));
                self.conds.pop();
                self.conds.push(Ex::Not(Box::new(cond.clone())));
                otherwise.iter().for_each(|i| self.item(i));
                self.conds.pop();
            }
            Item::Spread(_) => {}
        }
    }

    /// The list settings spread into a list (`Item::Spread`), with their conditions.
    fn spreads(&mut self, items: &[Item], rule: ValuesRule) {
        for (ex, cond) in spread_items(items, &self.conds) {
            self.out.setting(&ex, rule, cond);
        }
    }

    fn node(&mut self, node: &Node, key: &str) {
        self.keys.push(key.to_string());
        let gate = self.gate();
        let parent = self.keys.iter().rev().nth(1).cloned().unwrap_or_default();
        match node {
            Node::Map(entries) if key == "rollingUpdate" => {
                rolling_update(entries, self.out, gate);
                entries.iter().for_each(|e| self.entry(e));
            }
            Node::Map(entries) => {
                if has_field(entries, "containers") {
                    self.pod(entries);
                }
                let rule = match key {
                    "labels" => Some(ValuesRule::Labels { own: true }),
                    "matchLabels" => Some(ValuesRule::Labels { own: false }),
                    "annotations" => Some(ValuesRule::Annotations),
                    _ => None,
                };
                for e in entries {
                    if let (Some(rule), Entry::Spread(ex)) = (rule, e) {
                        self.out.setting(ex, rule, gate.clone());
                    }
                    self.entry(e);
                }
            }
            Node::Raw(ex) => match key {
                "resources" => self.out.setting(ex, ValuesRule::Resources, gate),
                "nodeSelector" => self.out.setting(ex, ValuesRule::Labels { own: false }, gate),
                "affinity" => self.out.setting(ex, ValuesRule::Part { part: Part::Affinity, list: false, lifted: Lifted::NONE }, gate),
                "tolerations" => self.out.setting(ex, ValuesRule::Part { part: Part::Toleration, list: true, lifted: Lifted::NONE }, gate),
                "rules" if matches!(self.kind, "Role" | "ClusterRole") => {
                    self.out.setting(ex, ValuesRule::Part { part: role_rule(self.kind), list: true, lifted: Lifted::NONE }, gate)
                }
                _ => {}
            },
            Node::List(items) => {
                match key {
                    "tolerations" => self.spreads(items, ValuesRule::Part { part: Part::Toleration, list: true, lifted: Lifted::NONE }),
                    "rules" if matches!(self.kind, "Role" | "ClusterRole") => {
                        self.spreads(items, ValuesRule::Part { part: role_rule(self.kind), list: true, lifted: Lifted::NONE })
                    }
                    _ => {}
                }
                items.iter().for_each(|i| self.item(i));
            }
            // A PodDisruptionBudget's bounds and a rolling update's `maxUnavailable` alike: the API
            // server caps both at 100% (`maxSurge` may go above).
            Node::Scalar(ex, _) => {
                let part = match key {
                    "minAvailable" | "maxUnavailable" => {
                        self.out.setting(ex, ValuesRule::Percent, gate.clone());
                        None
                    }
                    "nodePort" if self.kind == "Service" => Some(Part::NodePort),
                    "ingressClassName" if self.kind == "Ingress" => Some(Part::IngressClassName),
                    "storageClassName" => Some(Part::StorageClassName),
                    "storage" if parent == "requests" => Some(Part::StorageRequest),
                    "image" => {
                        let mut found = Vec::new();
                        image_parts(ex, &mut found);
                        for (setting, part) in found {
                            self.out.setting(&setting, ValuesRule::Part { part, list: false, lifted: Lifted::NONE }, gate.clone());
                        }
                        None
                    }
                    _ => None,
                };
                if let Some(part) = part {
                    self.out.setting(ex, ValuesRule::Part { part, list: false, lifted: Lifted::NONE }, gate);
                }
            }
        }
        self.keys.pop();
    }

    /// A pod spec: the parts its settings give (volumes, each container's env vars, mounts and
    /// security context, the pod's), and the lists whose keys must stay unique.
    fn pod(&mut self, spec: &[Entry]) {
        let conds = self.conds.clone();
        let containers: Vec<(&Node, Vec<Ex>)> = gated_fields(spec, "containers", &conds)
            .into_iter()
            .chain(gated_fields(spec, "initContainers", &conds))
            .flat_map(|(list, conds)| match list {
                Node::List(items) => gated_items(items, &conds),
                _ => Vec::new(),
            })
            .filter_map(|(item, conds)| match item {
                GatedItem::One(node) => Some((node, conds)),
                GatedItem::Spread(..) => None,
            })
            .collect();
        let names: Vec<&str> = containers.iter().filter_map(|(c, _)| literal(field(c, "name")?)).collect();
        let lifted_pod = self.lifted(&names);
        let place_pod = format!("the pod of the {}", self.kind);

        // Volumes: the spread settings' parts, then the names the pod's own and theirs share.
        let mut own_volumes: Vec<(Ex, Vec<Ex>)> = Vec::new();
        let mut volume_lists: Vec<(Ex, Vec<Ex>)> = Vec::new();
        for (list, conds) in gated_fields(spec, "volumes", &conds) {
            let Node::List(items) = list else { continue };
            for (item, c) in gated_items(items, &conds) {
                match item {
                    GatedItem::One(v) => {
                        if let Some(name) = field(v, "name") {
                            own_volumes.push((name.clone(), c));
                        }
                    }
                    GatedItem::Spread(ex) => {
                        self.out.setting(ex, ValuesRule::Part { part: Part::Volume, list: true, lifted: lifted_pod }, gate_of(&c));
                        if is_setting(ex) {
                            volume_lists.push((ex.clone(), c));
                        }
                    }
                }
            }
        }
        if !volume_lists.is_empty() {
            let own = own_volumes.iter().map(|(name, c)| keyed(name.clone(), None, c)).collect();
            self.unique(Unique::VolumeName, &place_pod, own, &volume_lists, format!("{place_pod}/volumes"));
        }

        // The pod's security context.
        let pod_context = gated_fields(spec, "securityContext", &conds).into_iter().find_map(|(n, c)| match n {
            Node::Raw(ex) => Some((ex.clone(), c)),
            _ => None,
        });
        if let Some((ex, c)) = &pod_context {
            self.out.setting(ex, ValuesRule::Part { part: Part::PodSecurityContext, list: false, lifted: lifted_pod }, gate_of(c));
        }

        for (container, conds) in containers {
            let Node::Map(entries) = container else { continue };
            let name = field(container, "name").and_then(literal).unwrap_or("");
            let place = format!("container {name}");
            let lifted = self.lifted(&[name]);

            // Env vars.
            let mut own_env = Vec::new();
            let mut env_lists = Vec::new();
            for (list, conds) in gated_fields(entries, "env", &conds) {
                let Node::List(items) = list else { continue };
                for (item, c) in gated_items(items, &conds) {
                    match item {
                        GatedItem::One(v) => {
                            if let Some(key) = field(v, "name") {
                                own_env.push(keyed(key.clone(), who(key), &c));
                            }
                        }
                        GatedItem::Spread(ex) => {
                            self.out.setting(ex, ValuesRule::Part { part: Part::EnvVar, list: true, lifted: Lifted::NONE }, gate_of(&c));
                            if is_setting(ex) {
                                env_lists.push((ex.clone(), c));
                            }
                        }
                    }
                }
            }
            if !env_lists.is_empty() || own_env.iter().any(|o| o.from_setting) {
                self.unique(Unique::EnvName, &place, own_env, &env_lists, format!("{place}/env"));
            }

            // Ports, keyed by port and protocol.
            let mut own_ports = Vec::new();
            for (list, conds) in gated_fields(entries, "ports", &conds) {
                let Node::List(items) = list else { continue };
                for (item, c) in gated_items(items, &conds) {
                    if let GatedItem::One(p) = item
                        && let Some(port) = field(p, "containerPort")
                    {
                        let protocol = field(p, "protocol").cloned().unwrap_or(Ex::Lit(Value::String("TCP".into())));
                        let key = Ex::Concat(vec![Ex::IntStr(Box::new(port.clone())), Ex::Lit(Value::String("/".into())), protocol]);
                        own_ports.push(keyed(key, who(port), &c));
                    }
                }
            }
            if own_ports.iter().any(|o| o.from_setting) {
                self.unique(Unique::Port, &place, own_ports, &[], format!("{place}/ports"));
            }

            // Mounts: the spread settings' parts, unique paths, and volumes of the pod.
            let mut own_paths = Vec::new();
            let mut mount_lists = Vec::new();
            for (list, conds) in gated_fields(entries, "volumeMounts", &conds) {
                let Node::List(items) = list else { continue };
                for (item, c) in gated_items(items, &conds) {
                    match item {
                        GatedItem::One(m) => {
                            if let Some(path) = field(m, "mountPath") {
                                own_paths.push(keyed(path.clone(), who(path), &c));
                            }
                        }
                        GatedItem::Spread(ex) => {
                            self.out.setting(ex, ValuesRule::Part { part: Part::VolumeMount, list: true, lifted: Lifted::NONE }, gate_of(&c));
                            if is_setting(ex) {
                                mount_lists.push((ex.clone(), c));
                            }
                        }
                    }
                }
            }
            if !mount_lists.is_empty() || own_paths.iter().any(|o| o.from_setting) {
                self.unique(Unique::MountPath, &place, own_paths, &mount_lists, format!("{place}/mountPath"));
            }
            if !mount_lists.is_empty() {
                let own = Ex::List(own_volumes.iter().map(|(name, c)| when(c, name.clone(), Ex::Lit(Value::String(String::new())))).collect());
                let value = Ex::List(vec![Ex::Lit(Value::String(place.clone())), own, settings_list(&volume_lists), settings_list(&mount_lists)]);
                self.out.add(format!("{place}/mounts"), ValuesRule::Mounts, value, gate_of(&conds));
            }

            // The container's security context, alone and with the pod's.
            let context = gated_fields(entries, "securityContext", &conds).into_iter().find_map(|(n, c)| match n {
                Node::Raw(ex) => Some((ex.clone(), c)),
                _ => None,
            });
            if let Some((ex, c)) = &context {
                self.out.setting(ex, ValuesRule::Part { part: Part::SecurityContext, list: false, lifted }, gate_of(c));
            }
            let container_setting = context.as_ref().filter(|(ex, _)| is_setting(ex));
            let pod_setting = pod_context.as_ref().filter(|(ex, _)| is_setting(ex));
            if container_setting.is_some() || pod_setting.is_some() {
                let empty = || Ex::Lit(Value::Object(Default::default()));
                let pod_value = pod_context.as_ref().map_or_else(empty, |(ex, _)| ex.clone());
                let container_value = context.as_ref().map_or_else(empty, |(ex, _)| ex.clone());
                let (path, pod_path) = match (container_setting, pod_setting) {
                    (Some((ex, _)), Some((pod, _))) => (dotted(ex), dotted(pod)),
                    (Some((ex, _)), None) => (dotted(ex), "the pod's securityContext".to_string()),
                    (None, _) => (dotted(pod_setting.map(|(e, _)| e).unwrap_or(&pod_value)), format!("the securityContext of container {name}")),
                };
                let value = Ex::Dict(vec![("pod".into(), pod_value), ("container".into(), container_value), ("podPath".into(), Ex::Lit(Value::String(pod_path)))]);
                let mut all = conds.clone();
                if let Some((_, c)) = &context {
                    all.extend(c.iter().skip(conds.len()).cloned());
                }
                self.out.add(path, ValuesRule::Part { part: Part::SecurityContexts, list: false, lifted }, value, gate_of(&all));
            }
        }
    }

    fn unique(&mut self, unique: Unique, place: &str, mut own: Vec<Keyed>, lists: &[(Ex, Vec<Ex>)], key: String) {
        // One key alone cannot clash.
        if own.len() + lists.len() < 2 {
            return;
        }
        // The chart's own literal keys first, so that a clash names the setting.
        own.sort_by_key(|o| o.from_setting);
        let own = Ex::List(own.into_iter().map(|o| Ex::List(vec![o.key, Ex::Lit(Value::String(o.who))])).collect());
        let value = Ex::List(vec![Ex::Lit(Value::String(place.to_string())), own, settings_list(lists)]);
        self.out.add(key, ValuesRule::Unique(unique), value, self.gate());
    }
}

/// The settings an image reference is made of, by the part they are: the setting before a `:`
/// is the repository, the one after it the tag, the one before a `/` the registry
/// (`[registry/]repository:tag[@digest]`, as the kit's `Image` builds it).
fn image_parts(ex: &Ex, out: &mut Vec<(Ex, Part)>) {
    let setting = |e: &Ex| match e {
        Ex::Get(p) if p.root == Root::Values => Some(e.clone()),
        Ex::Default(a, _) => match a.as_ref() {
            Ex::Get(p) if p.root == Root::Values => Some(a.as_ref().clone()),
            _ => None,
        },
        _ => None,
    };
    let lit = |e: Option<&Ex>| match e {
        Some(Ex::Lit(Value::String(s))) => Some(s.clone()),
        _ => None,
    };
    match ex {
        Ex::Concat(parts) => {
            for (i, part) in parts.iter().enumerate() {
                if let Some(s) = setting(part) {
                    let (before, after) = (if i == 0 { None } else { lit(parts.get(i - 1)) }, lit(parts.get(i + 1)));
                    if after.as_deref().is_some_and(|a| a.starts_with(':')) {
                        out.push((s, Part::ImageRepository));
                    } else if after.as_deref() == Some("/") {
                        out.push((s, Part::ImageRegistry));
                    } else if before.as_deref().is_some_and(|b| b.ends_with(':')) {
                        out.push((s, Part::ImageTag));
                    }
                }
                image_parts(part, out);
            }
        }
        Ex::Ternary(_, a, b) | Ex::Default(a, b) => {
            image_parts(a, out);
            image_parts(b, out);
        }
        _ => {}
    }
}

/// The rule of a Role's or a ClusterRole's rules.
fn role_rule(kind: &str) -> Part {
    if kind == "Role" { Part::RoleRule } else { Part::ClusterRoleRule }
}

/// A key of one item of a list the chart renders: its expression (`""` when its condition
/// leaves it out), and who gives it.
struct Keyed {
    key: Ex,
    who: String,
    from_setting: bool,
}

fn keyed(key: Ex, who: Option<String>, conds: &[Ex]) -> Keyed {
    Keyed { key: when(conds, key, Ex::Lit(Value::String(String::new()))), from_setting: who.is_some(), who: who.unwrap_or_else(|| "the chart".into()) }
}

/// `then` where the conditions hold, else `otherwise`.
fn when(conds: &[Ex], then: Ex, otherwise: Ex) -> Ex {
    match gate_of(conds) {
        None => then,
        Some(c) => Ex::Ternary(Box::new(c), Box::new(then), Box::new(otherwise)),
    }
}

/// The settings of list settings, as `(list (list PATH ITEMS) ...)`, each empty where its
/// condition leaves it out.
fn settings_list(lists: &[(Ex, Vec<Ex>)]) -> Ex {
    Ex::List(lists.iter().map(|(ex, c)| Ex::List(vec![Ex::Lit(Value::String(dotted(ex))), when(c, ex.clone(), Ex::List(Vec::new()))])).collect())
}

/// The setting an expression reads, when it is one setting (a key, a listen address's port).
fn who(ex: &Ex) -> Option<String> {
    match ex {
        Ex::Get(p) if p.root == Root::Values => Some(p.dotted()),
        Ex::PortOf(a) | Ex::IntStr(a) | Ex::NumStr(a) => who(a),
        _ => None,
    }
}

fn is_setting(ex: &Ex) -> bool {
    matches!(ex, Ex::Get(p) if p.root == Root::Values)
}

fn dotted(ex: &Ex) -> String {
    match ex {
        Ex::Get(p) => p.dotted(),
        _ => String::new(),
    }
}

fn literal(ex: &Ex) -> Option<&str> {
    match ex {
        Ex::Lit(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// The scalar expression of a map node's field `key` (the first, ungated or not).
fn field<'n>(node: &'n Node, key: &str) -> Option<&'n Ex> {
    let Node::Map(entries) = node else { return None };
    let mut found = Vec::new();
    fields(entries, key, &mut found);
    found.into_iter().find_map(|n| match n {
        Node::Scalar(ex, _) => Some(ex),
        _ => None,
    })
}

fn has_field(entries: &[Entry], key: &str) -> bool {
    let mut found = Vec::new();
    fields(entries, key, &mut found);
    !found.is_empty()
}

/// The nodes of the fields `key` among `entries`, with the conditions on the way.
fn gated_fields<'n>(entries: &'n [Entry], key: &str, conds: &[Ex]) -> Vec<(&'n Node, Vec<Ex>)> {
    let mut out = Vec::new();
    for e in entries {
        match e {
            Entry::Field(k, node) if k == key => out.push((node, conds.to_vec())),
            Entry::When(cond, then, otherwise) => {
                let mut yes = conds.to_vec();
                yes.push(cond.clone());
                out.extend(gated_fields(then, key, &yes));
                let mut no = conds.to_vec();
                no.push(Ex::Not(Box::new(cond.clone())));
                out.extend(gated_fields(otherwise, key, &no));
            }
            _ => {}
        }
    }
    out
}

enum GatedItem<'n> {
    One(&'n Node),
    Spread(&'n Ex),
}

/// The items of a list, with the conditions on the way (ranges are left out: their items are
/// loop variables, with no path of their own).
fn gated_items<'n>(items: &'n [Item], conds: &[Ex]) -> Vec<(GatedItem<'n>, Vec<Ex>)> {
    let mut out = Vec::new();
    for i in items {
        match i {
            Item::One(node) => out.push((GatedItem::One(node), conds.to_vec())),
            Item::Spread(ex) => out.push((GatedItem::Spread(ex), conds.to_vec())),
            Item::When(cond, then, otherwise) => {
                let mut yes = conds.to_vec();
                yes.push(cond.clone());
                out.extend(gated_items(then, &yes));
                let mut no = conds.to_vec();
                no.push(Ex::Not(Box::new(cond.clone())));
                out.extend(gated_items(otherwise, &no));
            }
            Item::Range(..) => {}
        }
    }
    out
}

fn spread_items(items: &[Item], conds: &[Ex]) -> Vec<(Ex, Option<Ex>)> {
    gated_items(items, conds)
        .into_iter()
        .filter_map(|(i, c)| match i {
            GatedItem::Spread(ex) => Some((ex.clone(), gate_of(&c))),
            GatedItem::One(_) => None,
        })
        .collect()
}

/// A `rollingUpdate` whose `maxSurge` and `maxUnavailable` are two settings of one section
/// (`strategy.rollingUpdate.maxSurge`, `...maxUnavailable`): that section, for
/// [`ValuesRule::RollingUpdate`].
fn rolling_update(entries: &[Entry], out: &mut Settings, gate: Option<Ex>) {
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
        out.setting(&Ex::Get(section), ValuesRule::RollingUpdate, gate);
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
fn ingress(body: &[Entry], w: &mut Walk) {
    for (spec, conds) in gated_fields(body, "spec", &w.conds) {
        let Node::Map(spec) = spec else { continue };
        for (node, c) in gated_fields(spec, "tls", &conds) {
            if let Node::Raw(ex) = node {
                w.out.setting(ex, ValuesRule::IngressTls, gate_of(&c));
            }
        }
        for (node, c) in gated_fields(spec, "rules", &conds) {
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
                    w.out.setting(source, ValuesRule::IngressRules, gate_of(&c));
                }
            }
        }
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
            Validation { test: Some(test), gate: None, message: message(f.kind, f.name, f.rule) }
        })
        .collect()
}
