//! Settings sections most charts share, with the objects they drive: image, service account,
//! ingress, service, resources, HTTP probes, autoscaling and disruption budgets. An application embeds the section in its `Values` and calls the builder
//! here, so every chart reads these settings the same way.
//!
//! One file per section: `image`, `service_account`, `ingress`, `service`, `resources`,
//! `probes`, `autoscaling`, `disruption_budget`, `pod`, `storage`, `backup`; each is re-exported
//! here with its derived handles.

mod autoscaling;
mod backup;
mod disruption_budget;
mod image;
mod ingress;
mod pod;
mod probes;
mod resources;
mod service;
mod service_account;
mod storage;

use crate::model::Meta;

pub use self::autoscaling::*;
pub use self::backup::*;
pub use self::disruption_budget::*;
pub use self::image::*;
pub use self::ingress::*;
pub use self::pod::*;
pub use self::probes::*;
pub use self::resources::*;
pub use self::service::*;
pub use self::service_account::*;
pub use self::storage::*;

/// Settings that are pieces of a pod's Kubernetes objects, each checked against Kubernetes' own
/// schema of that object ([`crate::values::Kube`]): a typo such as `tolerations: [{efect: ...}]`
/// is refused by the chart's schema and by emit. A default is written as JSON:
/// `k8s::SecurityContext::json(json!({"runAsNonRoot": true}))`.
pub mod k8s {
    use k8s_openapi::api::core::v1 as core;

    /// The upgrade note of the first chart version whose Kubernetes-shaped settings are checked
    /// (a Markdown list item), for the charts' `ChartMeta::upgrade_note`.
    pub const CHECKED_SETTINGS_NOTE: &str = "- Settings that are pieces of Kubernetes objects (`affinity`, `tolerations`, the security contexts, \
         extra environment variables, volumes and mounts, Role rules) are checked against Kubernetes' own schema: a key Kubernetes \
         does not know (a typo it would drop), a value of the wrong type or a `null` is refused by `helm install` and `helm upgrade`, \
         naming the setting. Every integer setting is bounded by what its field holds. Fix what the error names.";
    use k8s_openapi::api::rbac::v1 as rbac;

    use crate::values::Kube;

    /// A pod's `securityContext` (Kubernetes `PodSecurityContext`).
    pub type PodSecurityContext = Kube<core::PodSecurityContext>;
    /// A container's `securityContext` (Kubernetes `SecurityContext`).
    pub type SecurityContext = Kube<core::SecurityContext>;
    /// A pod's `affinity` (Kubernetes `Affinity`).
    pub type Affinity = Kube<core::Affinity>;
    /// One of a pod's `tolerations` (Kubernetes `Toleration`).
    pub type Toleration = Kube<core::Toleration>;
    /// One of a pod's `topologySpreadConstraints` (Kubernetes `TopologySpreadConstraint`).
    pub type TopologySpreadConstraint = Kube<core::TopologySpreadConstraint>;
    /// An environment variable of a container (Kubernetes `EnvVar`).
    pub type EnvVar = Kube<core::EnvVar>;
    /// A volume of a pod (Kubernetes `Volume`).
    pub type Volume = Kube<core::Volume>;
    /// A volume mount of a container (Kubernetes `VolumeMount`).
    pub type VolumeMount = Kube<core::VolumeMount>;
    /// A rule of a Role (Kubernetes `PolicyRule`).
    pub type PolicyRule = Kube<rbac::PolicyRule>;
}

/// `meta` going to the chart template `file` when one is given.
fn in_file(meta: Meta, file: Option<&str>) -> Meta {
    match file {
        Some(f) => meta.template_file(f),
        None => meta,
    }
}
