//! The Ingress section: class, annotations, hosts with paths and TLS, routed to one Service port.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::in_file;
use crate::Knobs;
use crate::model::objects::{Ingress, IngressPath, IngressRule, ServicePortRef};
use crate::model::{Meta, Model, ObjectRef};
use crate::template::expr::fullname;
use crate::template::tree::{List, Map};
use crate::values::{DnsName, PathType, StringMap};

// One path of an Ingress host.
#[allow(missing_docs)] // A doc comment here would become the schema's description.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressPathSetting {
    /// URL path, starting with `/` (ImplementationSpecific also takes an empty one).
    pub path: String,
    /// How the path matches.
    pub path_type: PathType,
}

// One host of an Ingress, with its paths.
#[allow(missing_docs)] // A doc comment here would become the schema's description.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressHost {
    /// Host name: a lowercase DNS name, `*.` allowed at the start; empty for any host.
    pub host: String,
    /// Paths routed to the service.
    pub paths: Vec<IngressPathSetting>,
}

// A TLS certificate (a Secret) for some hosts of an Ingress.
#[allow(missing_docs)] // A doc comment here would become the schema's description.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressTls {
    /// Secret holding the certificate.
    pub secret_name: DnsName,
    /// Hosts the certificate covers.
    pub hosts: Vec<String>,
}

// An Ingress to the application's Service: off by default, routes every host and path to
// one Service port ([`IngressSettingsKnobs::add_to`]).
#[allow(missing_docs)] // A doc comment here would become the schema's description.
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
    /// The Ingress, rendered when `enabled`, routing every host and path to `port`; `enabled`
    /// with no host is refused in both renderers.
    pub fn add_to(&self, model: &mut Model, port: &ServicePortRef) -> ObjectRef<Ingress> {
        self.add(model, port, None)
    }

    /// [`IngressSettingsKnobs::add_to`], into the chart template `file`.
    pub fn add_in(&self, model: &mut Model, port: &ServicePortRef, file: &str) -> ObjectRef<Ingress> {
        self.add(model, port, Some(file))
    }

    fn add(&self, model: &mut Model, port: &ServicePortRef, file: Option<&str>) -> ObjectRef<Ingress> {
        let rules = List::new().each(&self.hosts, "host", |host: IngressHostKnobs| {
            let paths = List::new().each(&host.paths, "path", |p: IngressPathSettingKnobs| IngressPath::new(&p.path, &p.path_type, port));
            IngressRule::new(&host.host, paths)
        });
        let ingress = Ingress::builder()
            .meta(in_file(Meta::new(fullname()).annotations(Map::new().spread(&self.annotations)), file))
            .class_name(&self.class_name)
            .rules(rules)
            .tls(self.tls.raw())
            .build();
        // ValidateIngressSpec: an Ingress needs rules or a default backend, and this one has
        // only the hosts' rules.
        let hosts = self.hosts.path().dotted();
        let enabled = self.enabled.path().dotted();
        model.reject_when(
            self.enabled.and(self.hosts.is_set().not()),
            &format!("{hosts} is empty with {enabled}: Kubernetes refuses an Ingress without rules; give a host (\"\" for any) with a path"),
        );
        model.add_when(&self.enabled, ingress)
    }
}
