//! Builders: one typed builder per Kubernetes kind, each lowering to the template tree and
//! checked through its k8s-openapi type by the concrete renderer.

pub mod autoscaling;
pub mod batch;
pub mod cnpg;
pub mod config;
pub mod external_secrets;
pub mod gateway;
pub mod monitoring;
pub mod network;
pub mod policy;
pub mod rbac;
pub mod storage;
pub mod workload;

pub use autoscaling::{HorizontalPodAutoscaler, Metric, ScaleTarget};
pub use batch::CronJob;
pub use cnpg::{Cluster, ObjectStore, ScheduledBackup};
pub use config::{ConfigMap, Secret, SecretRef};
pub use external_secrets::{ExternalKey, ExternalSecret};
pub use gateway::TcpRoute;
pub use monitoring::ServiceMonitor;
pub use network::{Ingress, IngressPath, IngressRule, NetworkPolicy, NetworkPolicyRule, Service, ServicePort, ServicePortRef};
pub use policy::PodDisruptionBudget;
pub use rbac::{ClusterRole, ClusterRoleBinding, NamedPolicyRule, PolicyRule, Role, RoleBinding, ServiceAccount};
pub use storage::PersistentVolumeClaim;
pub use workload::{Args, ClaimTemplate, Container, DaemonSet, Deployment, EnvFrom, EnvVar, Job, Pod, PortRef, Probe, StatefulSet, Strategy, Volume, VolumeSource, Workload};

pub(crate) fn object(
    api_version: &'static str,
    kind: &'static str,
    meta: crate::model::Meta,
    body: crate::template::tree::Map,
    check: crate::model::TypeCheck,
) -> crate::model::Object {
    crate::model::Object { api_version, kind, namespaced: true, gate: None, meta, body: body.entries, check, hook: None }
}

/// What the builders' unit tests build on.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use crate::model::{Meta, Model, ObjectRef};

    /// A Deployment `web` of one container `web` with port `http` (8080) and a liveness probe
    /// on it, added to `m`.
    pub(crate) fn web(m: &mut Model) -> (ObjectRef<Deployment>, PortRef) {
        let mut c = Container::builder().name("web").image("web:1").build();
        let http = c.port("http", 8080);
        c.liveness(Probe::http("/healthz", &http));
        let deployment = m.add(Deployment::builder().meta(Meta::new("web")).pod(Pod::builder().containers(vec![c]).build()).build());
        (deployment, http)
    }
}
