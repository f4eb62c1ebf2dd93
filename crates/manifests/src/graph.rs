//! Pictures of one environment: the objects its values render, grouped by component, and how
//! they connect, as Mermaid (for Markdown) or Graphviz DOT.
//!
//! An edge is drawn where Kubernetes connects two objects, resolved the way the API server and
//! the controllers resolve them (label selectors against pod templates, names of ConfigMaps,
//! Secrets, claims, Services and ServiceAccounts), over the objects the model renders for the
//! values, with the references the model declares external:
//!
//! | From | Edge | To |
//! | --- | --- | --- |
//! | Service | `selects` (with its ports, `http → http`) | the workloads whose pods it selects |
//! | workload | `mounts <volume>` | a ConfigMap, Secret or claim its pods mount |
//! | workload | `reads` | a ConfigMap or Secret its containers read (`env`, `envFrom`) |
//! | workload | `runs as` | its ServiceAccount |
//! | Ingress, TCPRoute | `routes to <port>` | a Service |
//! | ServiceMonitor | `scrapes <port>` | the Services it selects |
//! | HorizontalPodAutoscaler | `scales` | its target |
//! | PodDisruptionBudget | `limits disruption of` | the workloads whose pods it selects |
//! | NetworkPolicy | `guards` | the workloads whose pods it selects |
//! | NetworkPolicy | `admits traffic from` | the workloads its ingress rules admit (same namespace) |
//! | RoleBinding, ClusterRoleBinding | `binds` | its Role or ClusterRole and ServiceAccounts |
//! | ExternalSecret, CloudNativePG Cluster | `makes` | a Secret or Service it makes that something uses |
//! | Helm hook Job (`pre-*`) | `runs before` | every workload; a `post-*` hook runs after them |
//!
//! Objects that are referenced but neither rendered nor made (a Secret the operator creates) are
//! drawn dashed, as external.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde_json::Value;

use crate::check::Reference;
use crate::model::Model;
use crate::model::app::Application;
use crate::render::{self, Release, RenderError};

/// One object of the picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphNode {
    /// `Kind/name`, unique in the graph.
    pub id: String,
    /// The object's kind.
    pub kind: String,
    /// The object's name.
    pub name: String,
    /// The component it belongs to (`app.kubernetes.io/component`), or the application's name.
    pub group: String,
    /// Referenced but not rendered: made outside the chart.
    pub external: bool,
}

/// One connection: `from` does `label` to `to` (ids of [`GraphNode`]s).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct GraphEdge {
    /// The id of the object the edge starts at.
    pub from: String,
    /// The id of the object it points to.
    pub to: String,
    /// What the connection is (`selects`, `mounts data`, ...).
    pub label: String,
}

/// The objects of one environment and their connections, in a stable order (objects as
/// rendered, external ones after them by id; edges by object, then as found).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    /// The title (`aeterna (production)`).
    pub title: String,
    /// Every object drawn.
    pub nodes: Vec<GraphNode>,
    /// Every connection, each once.
    pub edges: Vec<GraphEdge>,
}

const WORKLOADS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet", "Pod"];

fn s<'v>(v: &'v Value, pointer: &str) -> &'v str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn list<'v>(v: &'v Value, pointer: &str) -> &'v [Value] {
    v.pointer(pointer).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

fn id(kind: &str, name: &str) -> String {
    format!("{kind}/{name}")
}

fn pod_spec(o: &Value) -> Option<&Value> {
    match s(o, "/kind") {
        "Pod" => o.get("spec"),
        "CronJob" => o.pointer("/spec/jobTemplate/spec/template/spec"),
        _ => o.pointer("/spec/template/spec"),
    }
}

fn pod_labels(o: &Value) -> BTreeMap<&str, &str> {
    let meta = match s(o, "/kind") {
        "Pod" => o.get("metadata"),
        "CronJob" => o.pointer("/spec/jobTemplate/spec/template/metadata"),
        _ => o.pointer("/spec/template/metadata"),
    };
    meta.and_then(|m| m.get("labels")).and_then(Value::as_object).map(|l| l.iter().filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))).collect()).unwrap_or_default()
}

/// `matchLabels` and `matchExpressions`, or a Service's plain map, against labels. An empty
/// selector selects nothing here: drawing an edge to every pod would say nothing.
fn selects(selector: &Value, labels: &BTreeMap<&str, &str>) -> bool {
    let plain = selector.as_object().filter(|m| !m.contains_key("matchLabels") && !m.contains_key("matchExpressions"));
    if let Some(map) = plain {
        return !map.is_empty() && map.iter().all(|(k, v)| v.as_str().is_some_and(|v| labels.get(k.as_str()) == Some(&v)));
    }
    let match_labels = selector.get("matchLabels").and_then(Value::as_object);
    let expressions = list(selector, "/matchExpressions");
    if match_labels.is_none_or(|m| m.is_empty()) && expressions.is_empty() {
        return false;
    }
    match_labels.is_none_or(|m| m.iter().all(|(k, v)| v.as_str().is_some_and(|v| labels.get(k.as_str()) == Some(&v))))
        && expressions.iter().all(|e| {
            let values: Vec<&str> = list(e, "/values").iter().filter_map(Value::as_str).collect();
            let have = labels.get(s(e, "/key"));
            match s(e, "/operator") {
                "In" => have.is_some_and(|h| values.contains(h)),
                "NotIn" => have.is_none_or(|h| !values.contains(h)),
                "Exists" => have.is_some(),
                "DoesNotExist" => have.is_none(),
                _ => false,
            }
        })
}

/// What a rendered object makes that others may refer to (kind, name).
fn made_by(o: &Value) -> Vec<(String, String)> {
    let name = s(o, "/metadata/name");
    match (s(o, "/apiVersion").split('/').next().unwrap_or(""), s(o, "/kind")) {
        ("external-secrets.io", "ExternalSecret") => {
            let target = s(o, "/spec/target/name");
            vec![("Secret".into(), if target.is_empty() { name } else { target }.to_string())]
        }
        ("cert-manager.io", "Certificate") => vec![("Secret".into(), s(o, "/spec/secretName").to_string())],
        ("postgresql.cnpg.io", "Cluster") => {
            let mut out: Vec<(String, String)> = ["rw", "ro", "r"].iter().map(|x| ("Service".to_string(), format!("{name}-{x}"))).collect();
            out.extend(["app", "superuser", "ca", "server", "replication"].iter().map(|x| ("Secret".to_string(), format!("{name}-{x}"))));
            out
        }
        _ => Vec::new(),
    }
}

struct Builder<'a> {
    app: &'a str,
    nodes: Vec<GraphNode>,
    known: BTreeSet<String>,
    /// (kind, name) made by a rendered object → that object's id.
    made: BTreeMap<(String, String), String>,
    external: BTreeSet<(String, String)>,
    extra: BTreeMap<String, GraphNode>,
    edges: Vec<GraphEdge>,
}

impl Builder<'_> {
    /// The id of the object `kind/name` refers to, adding a node for what is made by another
    /// object or external; `None` when it is nowhere (the check reports that).
    fn target(&mut self, kind: &str, name: &str, group: &str) -> Option<String> {
        let target = id(kind, name);
        if self.known.contains(&target) || self.extra.contains_key(&target) {
            return Some(target);
        }
        let key = (kind.to_string(), name.to_string());
        if let Some(maker) = self.made.get(&key).cloned() {
            let group = self.nodes.iter().find(|n| n.id == maker).map_or_else(|| group.to_string(), |n| n.group.clone());
            self.extra.insert(target.clone(), GraphNode { id: target.clone(), kind: kind.into(), name: name.into(), group, external: false });
            self.edge(&maker, &target, "makes");
            return Some(target);
        }
        if self.external.contains(&key) {
            self.extra.insert(target.clone(), GraphNode { id: target.clone(), kind: kind.into(), name: name.into(), group: "external".into(), external: true });
            return Some(target);
        }
        None
    }

    fn edge(&mut self, from: &str, to: &str, label: &str) {
        let e = GraphEdge { from: from.into(), to: to.into(), label: label.into() };
        if !self.edges.contains(&e) {
            self.edges.push(e);
        }
    }

    fn link(&mut self, from: &str, kind: &str, name: &str, group: &str, label: &str) {
        if name.is_empty() {
            return;
        }
        if let Some(to) = self.target(kind, name, group) {
            self.edge(from, &to, label);
        }
    }
}

/// The graph of one environment: `objects` as rendered, `external` as the model declares them,
/// `hooks` the Helm hook events of objects by id (`Job/x` → `pre-install,pre-upgrade`).
pub fn of(title: &str, app: &str, objects: &[Value], external: &[Reference], hooks: &BTreeMap<String, String>) -> Graph {
    let mut b = Builder { app, nodes: Vec::new(), known: BTreeSet::new(), made: BTreeMap::new(), external: BTreeSet::new(), extra: BTreeMap::new(), edges: Vec::new() };
    for o in objects {
        let (kind, name) = (s(o, "/kind"), s(o, "/metadata/name"));
        let component = s(o, "/metadata/labels/app.kubernetes.io~1component");
        let node =
            GraphNode { id: id(kind, name), kind: kind.into(), name: name.into(), group: if component.is_empty() { b.app.to_string() } else { component.into() }, external: false };
        b.known.insert(node.id.clone());
        b.nodes.push(node);
        for made in made_by(o) {
            b.made.insert(made, id(kind, name));
        }
    }
    b.external = external.iter().map(|r| (r.kind.clone(), r.name.clone())).collect();
    let workloads: Vec<(String, BTreeMap<&str, &str>, &Value)> =
        objects.iter().filter(|o| WORKLOADS.contains(&s(o, "/kind"))).map(|o| (id(s(o, "/kind"), s(o, "/metadata/name")), pod_labels(o), o)).collect();
    let selected = |selector: &Value| -> Vec<String> { workloads.iter().filter(|(_, labels, _)| selects(selector, labels)).map(|(w, _, _)| w.clone()).collect() };

    for o in objects {
        let (kind, name) = (s(o, "/kind"), s(o, "/metadata/name"));
        let me = id(kind, name);
        let group = b.nodes.iter().find(|n| n.id == me).map(|n| n.group.clone()).unwrap_or_default();
        match kind {
            "Service" => {
                let ports: Vec<String> = list(o, "/spec/ports")
                    .iter()
                    .map(|p| {
                        let port = p.get("name").and_then(Value::as_str).map_or_else(|| p.get("port").map(Value::to_string).unwrap_or_default(), str::to_string);
                        let target = p.get("targetPort").map(|t| t.as_str().map_or_else(|| t.to_string(), str::to_string)).unwrap_or_else(|| port.clone());
                        format!("{port} → {target}")
                    })
                    .collect();
                let label = if ports.is_empty() { "selects".to_string() } else { format!("selects ({})", ports.join(", ")) };
                for w in selected(o.pointer("/spec/selector").unwrap_or(&Value::Null)) {
                    b.edge(&me, &w, &label);
                }
            }
            "Ingress" => {
                for rule in list(o, "/spec/rules") {
                    for path in list(rule, "/http/paths") {
                        let port = path
                            .pointer("/backend/service/port/name")
                            .and_then(Value::as_str)
                            .map_or_else(|| path.pointer("/backend/service/port/number").map(Value::to_string).unwrap_or_default(), str::to_string);
                        b.link(&me, "Service", s(path, "/backend/service/name"), &group, &format!("routes to {port}"));
                    }
                }
            }
            "TCPRoute" | "HTTPRoute" | "GRPCRoute" | "TLSRoute" => {
                for rule in list(o, "/spec/rules") {
                    for backend in list(rule, "/backendRefs") {
                        let port = backend.get("port").map(Value::to_string).unwrap_or_default();
                        b.link(&me, "Service", s(backend, "/name"), &group, &format!("routes to {port}"));
                    }
                }
            }
            "ServiceMonitor" => {
                let ports: Vec<&str> = list(o, "/spec/endpoints").iter().map(|e| s(e, "/port")).filter(|p| !p.is_empty()).collect();
                let selector = o.pointer("/spec/selector").unwrap_or(&Value::Null);
                for svc in objects.iter().filter(|x| s(x, "/kind") == "Service") {
                    let labels: BTreeMap<&str, &str> = svc
                        .pointer("/metadata/labels")
                        .and_then(Value::as_object)
                        .map(|l| l.iter().filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))).collect())
                        .unwrap_or_default();
                    if selects(selector, &labels) {
                        b.edge(&me, &id("Service", s(svc, "/metadata/name")), &format!("scrapes {}", ports.join(", ")));
                    }
                }
            }
            // CloudNativePG's backups name their Cluster.
            "ScheduledBackup" | "Backup" => {
                b.link(&me, "Cluster", s(o, "/spec/cluster/name"), &group, "backs up");
            }
            "HorizontalPodAutoscaler" => {
                b.link(&me, s(o, "/spec/scaleTargetRef/kind"), s(o, "/spec/scaleTargetRef/name"), &group, "scales");
            }
            "PodDisruptionBudget" => {
                for w in selected(o.pointer("/spec/selector").unwrap_or(&Value::Null)) {
                    b.edge(&me, &w, "limits disruption of");
                }
            }
            "NetworkPolicy" => {
                for w in selected(o.pointer("/spec/podSelector").unwrap_or(&Value::Null)) {
                    b.edge(&me, &w, "guards");
                }
                // Peers in the policy's own namespace: a namespaceSelector reaches elsewhere.
                for rule in list(o, "/spec/ingress") {
                    for peer in list(rule, "/from").iter().filter(|p| p.get("namespaceSelector").is_none()) {
                        for w in selected(peer.get("podSelector").unwrap_or(&Value::Null)) {
                            b.edge(&me, &w, "admits traffic from");
                        }
                    }
                }
            }
            "RoleBinding" | "ClusterRoleBinding" => {
                b.link(&me, s(o, "/roleRef/kind"), s(o, "/roleRef/name"), &group, "binds");
                for subject in list(o, "/subjects") {
                    if s(subject, "/kind") == "ServiceAccount" {
                        b.link(&me, "ServiceAccount", s(subject, "/name"), &group, "binds");
                    }
                }
            }
            _ => {}
        }
        if let Some(spec) = pod_spec(o).filter(|_| WORKLOADS.contains(&kind)) {
            b.link(&me, "ServiceAccount", s(spec, "/serviceAccountName"), &group, "runs as");
            for v in list(spec, "/volumes") {
                let label = format!("mounts {}", s(v, "/name"));
                b.link(&me, "ConfigMap", s(v, "/configMap/name"), &group, &label);
                b.link(&me, "Secret", s(v, "/secret/secretName"), &group, &label);
                b.link(&me, "PersistentVolumeClaim", s(v, "/persistentVolumeClaim/claimName"), &group, &label);
                for source in list(v, "/projected/sources") {
                    b.link(&me, "ConfigMap", s(source, "/configMap/name"), &group, &label);
                    b.link(&me, "Secret", s(source, "/secret/name"), &group, &label);
                }
            }
            for field in ["initContainers", "containers"] {
                for c in list(spec, &format!("/{field}")) {
                    for e in list(c, "/env") {
                        b.link(&me, "ConfigMap", s(e, "/valueFrom/configMapKeyRef/name"), &group, "reads");
                        b.link(&me, "Secret", s(e, "/valueFrom/secretKeyRef/name"), &group, "reads");
                    }
                    for e in list(c, "/envFrom") {
                        b.link(&me, "ConfigMap", s(e, "/configMapRef/name"), &group, "reads");
                        b.link(&me, "Secret", s(e, "/secretRef/name"), &group, "reads");
                    }
                }
            }
        }
    }
    // Hooks: a pre-* hook runs before the workloads, a post-* hook after them.
    let long_running: Vec<String> = workloads.iter().filter(|(w, _, _)| !w.starts_with("Job/") && !w.starts_with("Pod/")).map(|(w, _, _)| w.clone()).collect();
    for (job, events) in hooks {
        if !b.known.contains(job) {
            continue;
        }
        let pre = events.split(',').any(|e| e.trim().starts_with("pre-"));
        let post = events.split(',').any(|e| e.trim().starts_with("post-"));
        for w in &long_running {
            if pre {
                b.edge(job, w, "runs before");
            } else if post {
                b.edge(w, job, "runs before");
            }
        }
    }
    let mut nodes = b.nodes;
    nodes.extend(b.extra.into_values());
    Graph { title: title.to_string(), nodes, edges: b.edges }
}

/// The graph of what `app`'s `model` renders for `values` as `release`, titled `title`: the
/// objects and external references the concrete renderer gives, and the model's Helm hooks.
///
/// # Errors
///
/// What rendering these values fails with (a rule of the chart, a missing required value).
pub fn of_values(app: &dyn Application, model: &Model, values: &Value, release: Release, title: &str) -> Result<Graph, RenderError> {
    let (rendered, external) = render::render_environment(app, model, values, release)?;
    Ok(of_rendered(title, app, model, &rendered, &external))
}

/// The graph of objects already rendered from `model` (as `emit` has them).
pub fn of_rendered(title: &str, app: &dyn Application, model: &Model, rendered: &[render::Rendered], external: &[Reference]) -> Graph {
    let hook_of_file: BTreeMap<String, &str> = model.objects().iter().filter_map(|o| Some((o.file(), o.hook.as_ref()?.events))).collect();
    let hooks = rendered.iter().filter_map(|r| Some((id(&r.kind, &r.name), hook_of_file.get(&r.file)?.to_string()))).collect();
    let objects: Vec<Value> = rendered.iter().map(|r| r.value.clone()).collect();
    of(title, &app.chart().name, &objects, external, &hooks)
}

impl Graph {
    fn groups(&self) -> Vec<(&str, Vec<(usize, &GraphNode)>)> {
        let mut groups: Vec<(&str, Vec<(usize, &GraphNode)>)> = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            match groups.iter_mut().find(|(g, _)| *g == n.group) {
                Some((_, members)) => members.push((i, n)),
                None => groups.push((&n.group, vec![(i, n)])),
            }
        }
        groups
    }

    fn index(&self, id: &str) -> usize {
        self.nodes.iter().position(|n| n.id == id).unwrap_or(usize::MAX)
    }

    /// A Mermaid flowchart: one subgraph per component, external objects dashed.
    pub fn mermaid(&self) -> String {
        // Mermaid's labels take HTML entities; quotes would end them.
        let text = |t: &str| t.replace('"', "#quot;");
        let mut out = String::from("flowchart LR\n");
        for (g, members) in self.groups() {
            let _ = writeln!(out, "  subgraph g_{} [\"{}\"]", g.replace(|c: char| !c.is_ascii_alphanumeric(), "_"), text(g));
            for (i, n) in members {
                let _ = writeln!(out, "    n{i}[\"{}<br/>{}\"]", text(&n.kind), text(&n.name));
            }
            out.push_str("  end\n");
        }
        for e in &self.edges {
            let _ = writeln!(out, "  n{} -->|\"{}\"| n{}", self.index(&e.from), text(&e.label), self.index(&e.to));
        }
        let external: Vec<String> = self.nodes.iter().enumerate().filter(|(_, n)| n.external).map(|(i, _)| format!("n{i}")).collect();
        if !external.is_empty() {
            out.push_str("  classDef external stroke-dasharray: 4 3\n");
            let _ = writeln!(out, "  class {} external", external.join(","));
        }
        out
    }

    /// Graphviz DOT: one cluster per component, external objects dashed.
    pub fn dot(&self) -> String {
        let quoted = |t: &str| format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\\\""));
        let mut out = format!("digraph {} {{\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n", quoted(&self.title));
        for (n, (g, members)) in self.groups().into_iter().enumerate() {
            let _ = writeln!(out, "  subgraph cluster_{n} {{\n    label={};", quoted(g));
            for (i, node) in members {
                let style = if node.external { ", style=dashed" } else { "" };
                let _ = writeln!(out, "    n{i} [label={}{style}];", quoted(&format!("{}\n{}", node.kind, node.name)));
            }
            out.push_str("  }\n");
        }
        for e in &self.edges {
            let _ = writeln!(out, "  n{} -> n{} [label={}];", self.index(&e.from), self.index(&e.to), quoted(&e.label));
        }
        out.push_str("}\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn objects() -> Vec<Value> {
        let pod = json!({"metadata": {"labels": {"app": "web"}}, "spec": {
            "serviceAccountName": "web",
            "volumes": [{"name": "config", "configMap": {"name": "web"}}, {"name": "tls", "secret": {"secretName": "web-tls"}}],
            "containers": [{"name": "web", "envFrom": [{"secretRef": {"name": "db-app"}}]}]}});
        vec![
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "web"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web"}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app.kubernetes.io/component": "server"}}, "spec": {"template": pod}}),
            json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": "db", "labels": {"app.kubernetes.io/component": "database"}}}),
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate"}, "spec": {"template": {"spec": {"containers": [{"name": "m"}]}}}}),
            json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "ScheduledBackup", "metadata": {"name": "db-daily"}, "spec": {"cluster": {"name": "db"}}}),
        ]
    }

    #[test]
    fn edges_follow_selectors_names_makers_and_hooks() {
        let external = [Reference { kind: "Secret".into(), name: "web-tls".into() }];
        let hooks = BTreeMap::from([("Job/migrate".to_string(), "pre-install,pre-upgrade".to_string())]);
        let g = of("web (default)", "web", &objects(), &external, &hooks);
        let edges: Vec<String> = g.edges.iter().map(|e| format!("{} {} {}", e.from, e.label, e.to)).collect();
        assert_eq!(
            edges,
            [
                "Service/web selects (http → http) Deployment/web",
                "Deployment/web runs as ServiceAccount/web",
                "Deployment/web mounts config ConfigMap/web",
                "Deployment/web mounts tls Secret/web-tls",
                "Cluster/db makes Secret/db-app",
                "Deployment/web reads Secret/db-app",
                "ScheduledBackup/db-daily backs up Cluster/db",
                "Job/migrate runs before Deployment/web",
            ]
        );
        let external: Vec<&str> = g.nodes.iter().filter(|n| n.external).map(|n| n.id.as_str()).collect();
        assert_eq!(external, ["Secret/web-tls"]);
        let made = g.nodes.iter().find(|n| n.id == "Secret/db-app").expect("the made Secret");
        assert_eq!(made.group, "database");
        assert!(g.mermaid().contains("subgraph g_server [\"server\"]") && g.mermaid().contains("class n8 external"), "{}", g.mermaid());
        assert!(g.dot().starts_with("digraph \"web (default)\" {"));
    }
}
