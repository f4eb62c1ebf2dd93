//! Gateway API routes (gateway.networking.k8s.io). These are custom resources: the concrete
//! renderer checks them through the typed structs here, which reject unknown fields the way the
//! upstream CRD's structural schema does.

use serde::{Deserialize, Serialize};
use typed_builder::TypedBuilder;

use crate::model::objects::network::ServicePortRef;
use crate::model::objects::object;
use crate::model::{Build, Meta, Object, typed};
use crate::template::expr::Expr;
use crate::template::tree::{List, Map, Node};

/// A `TCPRoute` (`gateway.networking.k8s.io/v1alpha2`) as its CRD defines it.
#[allow(missing_docs)] // Fields as the CRD names them; its schema (crates/crd/crds/) documents each.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TcpRouteResource {
    pub api_version: String,
    pub kind: String,
    pub metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    pub spec: TcpRouteSpec,
}

/// `TcpRouteSpec` of the Gateway API CRD.
#[allow(missing_docs)] // Fields as the CRD names them; its schema (crates/crd/crds/) documents each.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TcpRouteSpec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parent_refs: Vec<ParentReference>,
    pub rules: Vec<TcpRouteRule>,
}

/// A Gateway (or listener of one) the route attaches to.
#[allow(missing_docs)] // Fields as the CRD names them; its schema (crates/crd/crds/) documents each.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ParentReference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
}

/// `TcpRouteRule` of the Gateway API CRD.
#[allow(missing_docs)] // Fields as the CRD names them; its schema (crates/crd/crds/) documents each.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TcpRouteRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub backend_refs: Vec<BackendRef>,
}

/// `BackendRef` of the Gateway API CRD.
#[allow(missing_docs)] // Fields as the CRD names them; its schema (crates/crd/crds/) documents each.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackendRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
}

/// Routes a Gateway's TCP listener to a port of a Service the model declares.
#[derive(Clone, Debug, TypedBuilder)]
pub struct TcpRoute {
    /// Name and labels.
    pub meta: Meta,
    /// The `parentRefs` list (`List::each` over a list setting).
    pub parent_refs: List<Node>,
    /// The Service port that receives the traffic.
    #[builder(setter(transform = |p: &ServicePortRef| (p.service(), p.port())))]
    pub backend: (Expr<String>, Expr<i64>),
}

impl Build for TcpRoute {
    fn object(self) -> Object {
        let (service, port) = self.backend;
        let backend = Map::new().str("name", service).int("port", port);
        let rule = Map::new().field("backendRefs", List::of([Node::from(backend)]).node());
        let spec = Map::new().field("parentRefs", self.parent_refs.node()).field("rules", List::of([Node::from(rule)]).node());
        object("gateway.networking.k8s.io/v1alpha2", "TCPRoute", self.meta, Map::new().field("spec", spec), typed::<TcpRouteResource>)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::Model;
    use crate::model::objects::fixtures::web;
    use crate::model::objects::{Service, ServicePort};
    use crate::render::testing;

    #[test]
    fn a_tcp_route_sends_to_the_service_and_number_of_its_port_handle() {
        let mut m = Model::new();
        let (deployment, http) = web(&mut m);
        let mut service = Service::builder().meta(Meta::new("web-tcp")).selects(&deployment).ports(List::new()).build();
        let port = service.port(ServicePort::new("tcp", 9000, &http));
        m.add(service);
        m.add(TcpRoute::builder().meta(Meta::new("web")).parent_refs(List::of([Node::lit(json!({"name": "gw"}))])).backend(&port).build());
        let objects = testing::objects(&m, json!({})).expect("renders");
        let route = objects.iter().find(|o| o["kind"] == "TCPRoute").expect("a TCPRoute");
        assert_eq!(route["spec"]["rules"], json!([{"backendRefs": [{"name": "web-tcp", "port": 9000}]}]));
        assert_eq!(route["spec"]["parentRefs"], json!([{"name": "gw"}]));
    }
}
