//! The Service section: type, port, node port and annotations, and the Service with its port handle.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Knobs;
use crate::model::Meta;
use crate::model::objects::{PortRef, Service, ServicePort, ServicePortRef, Workload};
use crate::template::tree::{List, Map};
use crate::values::{OptionalPort, Port, ServiceType, StringMap};

// A Service: type, port, optional node port and annotations.
#[allow(missing_docs)] // A doc comment here would become the schema's description.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceSettings {
    /// Service type.
    #[serde(rename = "type")]
    pub type_: ServiceType,
    /// Port the Service listens on.
    pub port: Port,
    /// Fixed node port, used only with type NodePort; empty lets Kubernetes choose.
    pub node_port: OptionalPort,
    /// Annotations of the Service (for example cloud load balancer settings).
    pub annotations: StringMap,
}

impl ServiceSettings {
    /// A ClusterIP Service on `port`.
    pub fn new(port: u16) -> Self {
        ServiceSettings { type_: ServiceType::ClusterIp, port: Port(port), node_port: OptionalPort(None), annotations: StringMap::new() }
    }
}

impl ServiceSettingsKnobs {
    /// The Service port `name` on `port`, forwarding to `target`, with the fixed node port when
    /// the type is NodePort and one is set.
    pub fn port(&self, name: &'static str, target: &PortRef) -> ServicePort {
        ServicePort::new(name, &self.port, target).node_port_when(self.type_.is(ServiceType::NodePort), &self.node_port)
    }

    /// The Service of these settings: `meta` with the settings' annotations, their type, and one
    /// port `name` forwarding to `target` of `workload`'s pods; with the handle of that port.
    pub fn service(&self, meta: Meta, workload: &dyn Workload, name: &'static str, target: &PortRef) -> (Service, ServicePortRef) {
        let mut service = Service::builder().meta(meta.annotations(Map::new().spread(&self.annotations))).type_(&self.type_).selects(workload).ports(List::new()).build();
        let port = service.port(self.port(name, target));
        (service, port)
    }

    /// The headless Service beside [`ServiceSettingsKnobs::service`] (a StatefulSet's governing
    /// Service): `meta`, `clusterIP: None`, the same port `name` to `target`. Neither the type
    /// nor the annotations apply (they are the load balancer's): it is always ClusterIP.
    pub fn headless_service(&self, meta: Meta, workload: &dyn Workload, name: &'static str, target: &PortRef) -> (Service, ServicePortRef) {
        let mut service = Service::headless(meta, workload);
        let port = service.port(ServicePort::new(name, &self.port, target));
        (service, port)
    }
}
