//! Settings sections most charts share, with the objects they drive: image, service account,
//! ingress, resources. An application embeds the section in its `Values` and calls the builder
//! here, so every chart reads these settings the same way.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::expr::{Expr, app_version, concat, fullname, service_account_name};
use crate::model::{Meta, Model, ObjectRef};
use crate::objects::{Ingress, IngressPath, IngressRule, PortRef, Service, ServiceAccount, ServicePort};
use crate::tree::{List, Map};
use crate::values::{DnsName, PathType, Port, PullPolicy, Quantity, ServiceType, StringMap};
use crate::Knobs;

/// Free-form map settings (`securityContext`, `affinity`, ...).
pub type Object = serde_json::Map<String, Value>;

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Image {
    /// Image repository.
    pub repository: String,
    /// Image tag; empty means the chart's appVersion.
    pub tag: String,
    /// When the kubelet pulls the image.
    pub pull_policy: PullPolicy,
}

impl Image {
    pub fn new(repository: &str) -> Self {
        Image { repository: repository.into(), tag: String::new(), pull_policy: PullPolicy::IfNotPresent }
    }
}

impl ImageKnobs {
    /// `repository:tag`, the tag defaulting to the chart's appVersion.
    pub fn reference(&self) -> Expr<String> {
        concat([self.repository.expr(), ":".into(), self.tag.or_else(app_version())])
    }
}

/// A reference to a Secret by name (`imagePullSecrets` entries).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NameRef {
    /// Name of the Secret.
    pub name: DnsName,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceAccountSettings {
    /// Create a ServiceAccount for the pods.
    pub create: bool,
    /// Name of the ServiceAccount; empty means the release's full name when `create` is true,
    /// `default` otherwise.
    pub name: DnsName,
    /// Annotations of the ServiceAccount (for example a cloud IAM role binding).
    pub annotations: StringMap,
    /// Mount the ServiceAccount's API token into the pods.
    pub automount: bool,
}

impl Default for ServiceAccountSettings {
    fn default() -> Self {
        ServiceAccountSettings { create: true, name: DnsName::default(), annotations: StringMap::new(), automount: false }
    }
}

impl ServiceAccountSettingsKnobs {
    /// The ServiceAccount, rendered when `create` is set; the pods name it through
    /// [`service_account_name`].
    pub fn add_to(&self, model: &mut Model) -> ObjectRef<ServiceAccount> {
        let sa = ServiceAccount::builder()
            .meta(Meta::new(service_account_name()).annotations(Map::new().spread(&self.annotations)))
            .automount_token(&self.automount)
            .build();
        model.add_when(&self.create, sa)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressPathSetting {
    /// URL path.
    pub path: String,
    /// How the path matches.
    pub path_type: PathType,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressHost {
    /// Host name.
    pub host: String,
    /// Paths routed to the service.
    pub paths: Vec<IngressPathSetting>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressTls {
    /// Secret holding the certificate.
    pub secret_name: DnsName,
    /// Hosts the certificate covers.
    pub hosts: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressSettings {
    /// Create an Ingress.
    pub enabled: bool,
    /// IngressClass to use; empty means the cluster's default class.
    pub class_name: String,
    /// Annotations of the Ingress (for example cert-manager or controller settings).
    pub annotations: StringMap,
    /// Hosts and paths routed to the service.
    pub hosts: Vec<IngressHost>,
    /// TLS certificates by host.
    pub tls: Vec<IngressTls>,
}

impl IngressSettings {
    /// Disabled, with one example host.
    pub fn example(host: &str) -> Self {
        IngressSettings {
            enabled: false,
            class_name: String::new(),
            annotations: StringMap::new(),
            hosts: vec![IngressHost { host: host.into(), paths: vec![IngressPathSetting { path: "/".into(), path_type: PathType::Prefix }] }],
            tls: Vec::new(),
        }
    }
}

impl IngressSettingsKnobs {
    /// The Ingress, rendered when `enabled`, routing every host and path to `port` of `service`.
    pub fn add_to(&self, model: &mut Model, service: &ObjectRef<Service>, port: &str) -> ObjectRef<Ingress> {
        let rules = List::new().each(&self.hosts, "host", |host: IngressHostKnobs| {
            let paths = List::new().each(&host.paths, "path", |p: IngressPathSettingKnobs| IngressPath::new(&p.path, &p.path_type, service, port));
            IngressRule::new(&host.host, paths)
        });
        let ingress = Ingress::builder()
            .meta(Meta::new(fullname()).annotations(Map::new().spread(&self.annotations)))
            .class_name(&self.class_name)
            .rules(rules)
            .tls(self.tls.raw())
            .build();
        model.add_when(&self.enabled, ingress)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceSettings {
    /// Service type.
    #[serde(rename = "type")]
    pub type_: ServiceType,
    /// Port the Service listens on.
    pub port: Port,
    /// Fixed node port for type NodePort; 0 lets Kubernetes choose.
    pub node_port: u16,
    /// Annotations of the Service (for example cloud load balancer settings).
    pub annotations: StringMap,
}

impl ServiceSettings {
    pub fn new(port: u16) -> Self {
        ServiceSettings { type_: ServiceType::ClusterIp, port: Port(port), node_port: 0, annotations: StringMap::new() }
    }
}

impl ServiceSettingsKnobs {
    /// The Service port `name` on `port`, forwarding to `target`, with the fixed node port when
    /// the type is NodePort and one is set.
    pub fn port(&self, name: &'static str, target: &PortRef) -> ServicePort {
        ServicePort::new(name, &self.port, target).node_port_when(self.type_.is(ServiceType::NodePort), &self.node_port)
    }
}

/// Requests and limits of a container.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    /// Upper bounds (`cpu`, `memory`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, Quantity>,
    /// What the scheduler reserves (`cpu`, `memory`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: BTreeMap<String, Quantity>,
}
