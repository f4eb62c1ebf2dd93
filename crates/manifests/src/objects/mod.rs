//! Builders: one typed builder per Kubernetes kind, each lowering to the template tree and
//! checked through its k8s-openapi type by the concrete renderer.

pub mod config;
pub mod network;
pub mod rbac;
pub mod storage;
pub mod workload;

pub use config::{ConfigMap, Secret, SecretRef};
pub use network::{Ingress, IngressPath, IngressRule, Service, ServicePort};
pub use rbac::ServiceAccount;
pub use storage::PersistentVolumeClaim;
pub use workload::{Container, Deployment, EnvFrom, EnvVar, Pod, PortRef, Probe, Strategy, Volume, VolumeSource, Workload};

pub(crate) fn object(
    api_version: &'static str,
    kind: &'static str,
    meta: crate::model::Meta,
    body: crate::tree::Map,
    check: crate::model::TypeCheck,
) -> crate::model::Object {
    crate::model::Object {
        api_version,
        kind,
        namespaced: true,
        file: String::new(),
        gate: None,
        meta,
        body: body.entries,
        check,
        hook: None,
    }
}
