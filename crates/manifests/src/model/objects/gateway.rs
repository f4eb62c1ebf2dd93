//! Gateway API routes (gateway.networking.k8s.io). These are custom resources: the concrete
//! renderer lowers them through the types `kforge crd import` generated from the upstream CRD
//! ([`crds::tcp_route`]), which reject unknown fields the way its structural schema does.

use typed_builder::TypedBuilder;

use crate::model::objects::network::ServicePortRef;
use crate::model::objects::{crds, object};
use crate::model::{Build, Meta, Object, typed};
use crate::template::expr::Expr;
use crate::template::tree::{List, Map, Node};

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
        object("gateway.networking.k8s.io/v1alpha2", "TCPRoute", self.meta, Map::new().field("spec", spec), typed::<crds::tcp_route::v1alpha2::TCPRouteResource>)
            .crd(crds::tcp_route::CRD)
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
