//! Prometheus Operator `ServiceMonitor` (monitoring.coreos.com/v1): scrape a port of a Service
//! the model declares. The renderer lowers it through the types generated from
//! the upstream CRD ([`crds::service_monitor`]), which reject unknown fields.

use typed_builder::TypedBuilder;

use crate::model::objects::network::ServicePortRef;
use crate::model::objects::workload::selector_labels;
use crate::model::objects::{crds, object};
use crate::model::{Build, Meta, Object, typed};
use crate::template::expr::Expr;
use crate::template::tree::{List, Map, Node};

/// Scrapes `path` on a port of a Service every `interval` (a duration such as `30s`).
/// The Service must carry the selector labels of its workload, as every Service here does.
#[derive(Clone, Debug, TypedBuilder)]
pub struct ServiceMonitor {
    /// Name and labels.
    pub meta: Meta,
    /// The Service port whose endpoints are scraped (the Service's selector labels, the port's
    /// name).
    #[builder(setter(transform = |p: &ServicePortRef| (p.component(), p.name().to_string())))]
    pub port: (Option<&'static str>, String),
    /// The HTTP path scraped (`/metrics`).
    #[builder(setter(into))]
    pub path: Expr<String>,
    /// How often (a duration such as `30s`).
    #[builder(setter(into))]
    pub interval: Expr<String>,
}

impl Build for ServiceMonitor {
    fn object(self) -> Object {
        let (service, port) = self.port;
        let endpoint = Map::new().str("port", port).str("path", self.path).str("interval", self.interval);
        let spec = Map::new().field("selector", Map::new().field("matchLabels", selector_labels(service))).field("endpoints", List::of([Node::from(endpoint)]).node());
        object("monitoring.coreos.com/v1", "ServiceMonitor", self.meta, Map::new().field("spec", spec), typed::<crds::service_monitor::v1::ServiceMonitorResource>)
            .crd(crds::service_monitor::CRD)
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
    fn a_service_monitor_selects_the_service_of_its_port_handle_and_scrapes_that_port() {
        let mut m = Model::new();
        let (deployment, http) = web(&mut m);
        let mut service = Service::builder().meta(Meta::new("web").component("server")).selects(&deployment).ports(List::new()).build();
        let port = service.port(ServicePort::new("metrics", 9090, &http));
        m.add(service);
        m.add(ServiceMonitor::builder().meta(Meta::new("web")).port(&port).path("/metrics").interval("30s").build());
        let objects = testing::objects(&m, json!({})).expect("renders");
        let monitor = objects.iter().find(|o| o["kind"] == "ServiceMonitor").expect("a ServiceMonitor");
        let service = objects.iter().find(|o| o["kind"] == "Service").expect("a Service");
        assert_eq!(monitor["spec"]["endpoints"], json!([{"port": "metrics", "path": "/metrics", "interval": "30s"}]));
        let labels = service["metadata"]["labels"].as_object().expect("labels");
        let selector = monitor["spec"]["selector"]["matchLabels"].as_object().expect("selector");
        assert!(selector.iter().all(|(k, v)| labels.get(k) == Some(v)) && selector.contains_key("app.kubernetes.io/component"), "{selector:?} / {labels:?}");
    }
}
