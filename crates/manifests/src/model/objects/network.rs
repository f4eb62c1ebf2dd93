//! Services and Ingresses. A Service selects a workload by its handle and targets ports by
//! their handles, so its selector and target ports always match something declared. Each port
//! a Service declares ([`Service::port`]) gives a [`ServicePortRef`], and what routes to a
//! Service (an Ingress path here, a ServiceMonitor, a TCPRoute) takes that handle, which names
//! the Service and its port together:
//!
//! ```
//! use kforge::objects::*;
//! fn path(port: &ServicePortRef) -> IngressPath {
//!     IngressPath::new("/", "Prefix", port)
//! }
//! ```
//!
//! ```compile_fail,E0061
//! use kforge::objects::*;
//! // A backend does not take a Service and a port name: only the handle a Service gave.
//! fn path(web: &kforge::ObjectRef<Service>) -> IngressPath {
//!     IngressPath::new("/", "Prefix", web, "http")
//! }
//! ```
//!
//! ```compile_fail,E0451
//! use kforge::objects::*;
//! // Nor can a handle be made up, joining one Service's name with another's port.
//! fn port_of_other(web: &kforge::ObjectRef<Service>, other: &ServicePortRef) -> ServicePortRef {
//!     ServicePortRef { service: web.name(), component: None, name: "http".into(), port: other.port() }
//! }
//! ```

use std::borrow::Cow;

use serde_json::Value;
use typed_builder::TypedBuilder;

use crate::model::objects::object;
use crate::model::objects::workload::{PortRef, Workload, selector_labels};
use crate::model::{Build, Meta, Object, Referable, typed};
use crate::template::expr::{Expr, Knob};
use crate::template::tree::{List, Lower, Map, Node};

/// One port of a Service, forwarding to a declared container port.
#[derive(Clone, Debug)]
pub struct ServicePort {
    map: Map,
    name: Cow<'static, str>,
    port: Expr<i64>,
}

impl ServicePort {
    /// The port `name` (an IANA service name) on number `port`, forwarding to `target`.
    pub fn new(name: impl Into<Cow<'static, str>>, port: impl Into<Expr<i64>>, target: &PortRef) -> Self {
        let (name, port) = (name.into(), port.into());
        let map = Map::new().str("name", name.clone().into_owned()).int("port", port.clone()).str("targetPort", target.name()).str("protocol", "TCP");
        ServicePort { map, name, port }
    }

    /// A fixed node port, set only when `cond` holds (type NodePort) and the number is not 0.
    pub fn node_port_when(self, cond: impl Into<Expr<bool>>, node_port: impl Into<Expr<i64>>) -> Self {
        let node_port = node_port.into();
        ServicePort { map: self.map.when(cond.into().and(node_port.is_set()), Map::new().int("nodePort", node_port)), ..self }
    }
}

impl Lower for ServicePort {
    fn lower(&self) -> Node {
        self.map.lower()
    }
}

/// A port a Service declares, with the Service: the only way to get one is [`Service::port`],
/// so whatever takes it (an Ingress path, a ServiceMonitor, a TCPRoute) routes to a port that
/// Service has.
#[derive(Clone, Debug)]
pub struct ServicePortRef {
    service: Expr<String>,
    component: Option<&'static str>,
    name: Cow<'static, str>,
    port: Expr<i64>,
}

impl ServicePortRef {
    /// The Service's name.
    pub fn service(&self) -> Expr<String> {
        self.service.clone()
    }

    /// The component of the Service, whose selector labels a ServiceMonitor matches.
    pub fn component(&self) -> Option<&'static str> {
        self.component
    }

    /// The port's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The port's number.
    pub fn port(&self) -> Expr<i64> {
        self.port.clone()
    }
}

/// A Service (`v1`) selecting a workload's pods.
#[derive(Clone, Debug, TypedBuilder)]
pub struct Service {
    /// Name and labels.
    pub meta: Meta,
    /// ClusterIP, NodePort or LoadBalancer.
    #[builder(default = Expr::from("ClusterIP"), setter(into))]
    pub type_: Expr<String>,
    /// The workload whose pods receive the traffic (its selector labels).
    #[builder(setter(transform = |w: &dyn Workload| w.component()))]
    pub selects: Option<&'static str>,
    /// The ports; [`Service::port`] adds one and returns its handle.
    pub ports: List<ServicePort>,
    /// `clusterIP`: not set, Kubernetes assigns one; the string `"None"` ([`Service::HEADLESS`],
    /// or [`Service::headless`]) makes a headless Service, whose DNS name resolves to each
    /// ready pod (what a StatefulSet's `serviceName` needs).
    #[builder(default, setter(strip_option, into))]
    pub cluster_ip: Option<Expr<String>>,
    /// More `spec` fields, merged as they are.
    #[builder(default, setter(strip_option, into))]
    pub extra: Option<Map>,
}

impl Service {
    /// The `clusterIP` of a headless Service.
    pub const HEADLESS: &'static str = "None";

    /// A headless Service (`clusterIP: None`) selecting `workload`'s pods, with no ports yet
    /// ([`Service::port`] adds them): the governing Service of a StatefulSet.
    pub fn headless(meta: Meta, workload: &dyn Workload) -> Service {
        Service::builder().meta(meta).selects(workload).ports(List::new()).cluster_ip(Service::HEADLESS).build()
    }

    /// Adds `port` to the Service and returns its handle.
    pub fn port(&mut self, port: ServicePort) -> ServicePortRef {
        let handle = ServicePortRef { service: self.meta.name.clone(), component: self.meta.component, name: port.name.clone(), port: port.port.clone() };
        self.ports = std::mem::take(&mut self.ports).push(port);
        handle
    }
}

impl Build for Service {
    fn object(self) -> Object {
        let mut spec = Map::new().str("type", self.type_);
        if let Some(ip) = self.cluster_ip {
            spec = spec.str("clusterIP", ip);
        }
        if let Some(extra) = self.extra {
            spec = spec.extend(extra);
        }
        spec = spec.field("ports", self.ports.node()).field("selector", selector_labels(self.selects));
        object("v1", "Service", self.meta, Map::new().field("spec", spec), typed::<k8s_openapi::api::core::v1::Service>)
    }
}

/// One path of an Ingress rule, routed to a Service port by name.
#[derive(Clone, Debug)]
pub struct IngressPath(Map);

impl IngressPath {
    /// `path` of type `path_type` (`Prefix`, `Exact`, `ImplementationSpecific`) to `port`.
    pub fn new(path: impl Into<Expr<String>>, path_type: impl Into<Expr<String>>, port: &ServicePortRef) -> Self {
        let backend = Map::new().field("service", Map::new().str("name", port.service()).field("port", Map::new().str("name", port.name().to_string())));
        IngressPath(Map::new().str("path", path).str("pathType", path_type).field("backend", backend))
    }
}

impl Lower for IngressPath {
    fn lower(&self) -> Node {
        self.0.lower()
    }
}

/// One host of an Ingress with its paths.
#[derive(Clone, Debug)]
pub struct IngressRule(Map);

impl IngressRule {
    /// `host` with its `paths`.
    pub fn new(host: impl Into<Expr<String>>, paths: List<IngressPath>) -> Self {
        IngressRule(Map::new().str("host", host).field("http", Map::new().field("paths", paths.node())))
    }
}

impl Lower for IngressRule {
    fn lower(&self) -> Node {
        self.0.lower()
    }
}

/// An Ingress (`networking.k8s.io/v1`).
#[derive(Clone, Debug, TypedBuilder)]
pub struct Ingress {
    /// Name, labels and annotations.
    pub meta: Meta,
    /// Left out when empty (the cluster's default IngressClass applies).
    #[builder(setter(into))]
    pub class_name: Expr<String>,
    /// Hosts with their paths.
    pub rules: List<IngressRule>,
    /// Free-form `tls` list.
    #[builder(setter(into))]
    pub tls: Expr<Value>,
}

impl Ingress {
    /// The `tls` list of a values setting.
    pub fn tls_from<T>(knob: &Knob<Vec<T>>) -> Expr<Value> {
        knob.raw()
    }
}

impl Build for Ingress {
    fn object(self) -> Object {
        let spec =
            Map::new().when(self.class_name.is_set(), Map::new().str("ingressClassName", self.class_name)).field("tls", Node::raw(self.tls)).field("rules", self.rules.node());
        object("networking.k8s.io/v1", "Ingress", self.meta, Map::new().field("spec", spec), typed::<k8s_openapi::api::networking::v1::Ingress>)
    }
}

/// One ingress rule of a NetworkPolicy: traffic from the listed peers to declared ports.
///
/// A rule whose peer list ends up empty is left out entirely, because Kubernetes reads a rule
/// without `from` as "from anywhere": with no allowed peers, the policy denies all ingress.
#[derive(Clone, Debug)]
pub struct NetworkPolicyRule {
    peers: List<Node>,
    ports: Vec<PortRef>,
}

impl NetworkPolicyRule {
    /// A rule for traffic to `ports`; add peers with the `from_*` methods.
    pub fn to(ports: &[&PortRef]) -> Self {
        NetworkPolicyRule { peers: List::new(), ports: ports.iter().map(|p| (*p).clone()).collect() }
    }

    /// Every pod of each namespace named in a list setting.
    pub fn from_namespaces<E>(mut self, names: &Knob<Vec<E>>) -> Self
    where
        E: crate::template::expr::Knobbed<Handle = Knob<E>> + crate::template::expr::Leaf<Out = String>,
    {
        self.peers = self.peers.each(names, "namespace", |ns: Knob<E>| {
            let selector = Map::new().field("matchLabels", Map::new().str("kubernetes.io/metadata.name", &ns));
            Map::new().field("namespaceSelector", selector).into()
        });
        self
    }

    /// Pods of the release's namespace with the labels of a map setting; none when it is empty.
    pub fn from_pods<T>(mut self, labels: &Knob<T>) -> Self {
        let peer: Node = Map::new().field("podSelector", Map::new().field("matchLabels", Node::raw(labels.raw()))).into();
        self.peers = self.peers.when(labels.raw().is_set(), List::new().push(peer));
        self
    }

    /// The pods of a workload the model declares, when `cond` holds (the workload is rendered).
    pub fn from_workload(mut self, workload: &dyn Workload, cond: impl Into<Expr<bool>>) -> Self {
        let peer: Node = Map::new().field("podSelector", Map::new().field("matchLabels", selector_labels(workload.component()))).into();
        self.peers = self.peers.when(cond, List::new().push(peer));
        self
    }

    fn item(&self) -> Option<crate::template::tree::Item> {
        use crate::template::tree::{Guard, Item, items_guard};
        let ports = self.ports.iter().fold(List::<Node>::new(), |l, p| l.push(Map::new().str("port", p.name()).str("protocol", "TCP").into()));
        let rule = Item::One(Map::new().field("from", self.peers.node()).field("ports", ports.node()).into());
        match items_guard(&self.peers.items) {
            Guard::Always => Some(rule),
            Guard::Never => None,
            Guard::When(cond) => Some(Item::When(cond, vec![rule], Vec::new())),
        }
    }
}

/// A NetworkPolicy (`networking.k8s.io/v1`) for a workload's pods: ingress only, from the
/// listed peers to declared ports.
#[derive(Clone, Debug, TypedBuilder)]
pub struct NetworkPolicy {
    /// Name and labels.
    pub meta: Meta,
    /// The workload whose pods the policy isolates.
    #[builder(setter(transform = |w: &dyn Workload| w.component()))]
    pub selects: Option<&'static str>,
    /// Allowed ingress; everything else to the selected pods is denied.
    pub ingress: Vec<NetworkPolicyRule>,
}

impl Build for NetworkPolicy {
    fn object(self) -> Object {
        let rules: Vec<_> = self.ingress.iter().filter_map(NetworkPolicyRule::item).collect();
        let mut spec =
            Map::new().field("podSelector", Map::new().field("matchLabels", selector_labels(self.selects))).field("policyTypes", List::of([Node::str("Ingress")]).node());
        if !rules.is_empty() {
            spec = spec.field("ingress", Node::List(rules));
        }
        object("networking.k8s.io/v1", "NetworkPolicy", self.meta, Map::new().field("spec", spec), typed::<k8s_openapi::api::networking::v1::NetworkPolicy>)
    }
}

impl Referable for Service {
    const KIND: &'static str = "Service";
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::Model;
    use crate::model::objects::fixtures::web;
    use crate::render::testing;

    #[test]
    fn a_service_port_handle_routes_an_ingress_path_to_that_service_and_port() {
        let mut m = Model::new();
        let (deployment, http) = web(&mut m);
        let mut service = Service::builder().meta(Meta::new("web-svc")).selects(&deployment).ports(List::new()).build();
        let port = service.port(ServicePort::new("web", 80, &http));
        m.add(service);
        let rule = IngressRule::new("example.com", List::new().push(IngressPath::new("/", "Prefix", &port)));
        m.add(Ingress::builder().meta(Meta::new("web")).class_name("").rules(List::new().push(rule)).tls(crate::json(json!([]))).build());
        let objects = testing::objects(&m, json!({})).expect("renders");
        let of = |kind: &str| objects.iter().find(|o| o["kind"] == kind).unwrap_or_else(|| panic!("a {kind}"));

        assert_eq!(of("Service")["spec"]["ports"], json!([{"name": "web", "port": 80, "targetPort": "http", "protocol": "TCP"}]));
        assert_eq!(of("Service")["spec"]["selector"], json!({"app.kubernetes.io/name": "test", "app.kubernetes.io/instance": "rel"}));
        let ingress = of("Ingress");
        assert_eq!(ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"], json!({"service": {"name": "web-svc", "port": {"name": "web"}}}));
        // An empty class and an empty tls list are left out, not rendered empty.
        assert!(ingress["spec"].get("ingressClassName").is_none() && ingress["spec"].get("tls").is_none(), "{ingress}");
    }

    #[test]
    fn a_headless_service_has_cluster_ip_none() {
        let mut m = Model::new();
        let (deployment, http) = web(&mut m);
        let mut service = Service::headless(Meta::new("web-headless"), &deployment);
        service.port(ServicePort::new("web", 80, &http));
        m.add(service);
        let objects = testing::objects(&m, json!({})).expect("renders");
        let service = objects.iter().find(|o| o["kind"] == "Service").expect("a Service");
        assert_eq!((&service["spec"]["clusterIP"], &service["spec"]["type"]), (&json!("None"), &json!("ClusterIP")));
    }

    #[test]
    fn a_node_port_is_set_only_for_type_node_port_and_a_number() {
        let mut m = Model::new();
        let (deployment, http) = web(&mut m);
        let node_port: crate::Knob<i64> = crate::Knob::at(crate::Path::values().child("nodePort"));
        let type_: crate::Knob<String> = crate::Knob::at(crate::Path::values().child("type"));
        let port = ServicePort::new("web", 80, &http).node_port_when(type_.expr().eq("NodePort"), &node_port);
        m.add(Service::builder().meta(Meta::new("web")).type_(&type_).selects(&deployment).ports(List::new().push(port)).build());
        let service = |values| testing::objects(&m, values).expect("renders").into_iter().find(|o| o["kind"] == "Service").expect("a Service");
        assert_eq!(service(json!({"type": "NodePort", "nodePort": 30080}))["spec"]["ports"][0]["nodePort"], 30080);
        assert!(service(json!({"type": "NodePort", "nodePort": 0}))["spec"]["ports"][0].get("nodePort").is_none());
        assert!(service(json!({"type": "ClusterIP", "nodePort": 30080}))["spec"]["ports"][0].get("nodePort").is_none());
    }
}
