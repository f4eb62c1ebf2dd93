//! [`PodSettings`]: the pod settings `helm create` keeps at the top level of values.yaml, as a
//! section to flatten; and [`NameRef`].
//!
//! An application flattens [`PodSettings`] into its `Values`, so every chart reads these
//! settings alike:
//!
//! ```
//! use kforge::Knobs;
//! use kforge::kit::PodSettings;
//!
//! #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, Knobs)]
//! #[serde(rename_all = "camelCase", deny_unknown_fields)]
//! pub struct Values {
//!     /// Number of pods.
//!     pub replica_count: u8,
//!     /// The pod settings, at the top level of values.yaml.
//!     #[serde(flatten)]
//!     pub pod: PodSettings,
//! }
//!
//! let v = serde_json::to_value(Values { replica_count: 1, pod: PodSettings::restricted(1000) }).unwrap();
//! assert!(v.get("nodeSelector").is_some() && v.get("pod").is_none());
//! ```
//!
//! The keys stay where Helm users look for them (`podAnnotations`, `nodeSelector`, ...), in
//! this order at the place of the field. The Kubernetes-shaped ones are checked against
//! Kubernetes' own schema ([`k8s`]). Build the pod with [`PodSettingsKnobs::pod`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ServiceAccountSettings, k8s};
use crate::Knobs;
use crate::model::objects::{Container, Pod};
use crate::template::expr::{checksum_of, service_account_name};
use crate::template::tree::{List, Map};
use crate::values::{DnsName, StringMap};

/// A reference to a Secret by name (`imagePullSecrets` entries).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NameRef {
    /// Name of the Secret.
    pub name: DnsName,
}

// The pod settings `helm create` keeps at the top level of values.yaml, as a section to flatten
// (the module's docs show how). No doc comment: a flattened struct's would become the
// description of the whole values.schema.json.
#[allow(missing_docs)]
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSettings {
    /// Secrets to pull the images with, for private registries (`[{name: regcred}]`).
    pub image_pull_secrets: Vec<NameRef>,
    /// Which ServiceAccount the pods run as, and whether the chart makes it.
    pub service_account: ServiceAccountSettings,
    /// Annotations of the pods (for example Prometheus scraping: `prometheus.io/scrape: "true"`).
    pub pod_annotations: StringMap,
    /// Extra labels of the pods.
    pub pod_labels: StringMap,
    /// The pods' `securityContext` (for example `runAsUser`, `fsGroup`, `seccompProfile`).
    pub pod_security_context: k8s::PodSecurityContext,
    /// The containers' `securityContext` (for example `readOnlyRootFilesystem`,
    /// `capabilities`).
    pub security_context: k8s::SecurityContext,
    /// Node labels the pods must match (`nodeSelector`).
    pub node_selector: StringMap,
    /// Tolerations of the pods.
    pub tolerations: Vec<k8s::Toleration>,
    /// Affinity rules of the pods (for example a `podAntiAffinity` to spread them over nodes).
    pub affinity: k8s::Affinity,
}

impl PodSettings {
    /// Settings that meet the restricted Pod Security Standard: the pods run as `uid` (user,
    /// group and the volumes' `fsGroup`), never as root, with the runtime's default seccomp
    /// profile; the containers cannot gain privileges, hold no capabilities and have a read-only
    /// root filesystem. The chart makes a ServiceAccount of its own ([`ServiceAccountSettings`]'s
    /// default); everything else is empty.
    pub fn restricted(uid: i64) -> Self {
        PodSettings {
            image_pull_secrets: Vec::new(),
            service_account: ServiceAccountSettings::default(),
            pod_annotations: StringMap::new(),
            pod_labels: StringMap::new(),
            pod_security_context: k8s::PodSecurityContext::json(serde_json::json!({
                "runAsNonRoot": true,
                "runAsUser": uid,
                "runAsGroup": uid,
                "fsGroup": uid,
                "seccompProfile": {"type": "RuntimeDefault"}
            })),
            security_context: k8s::SecurityContext::json(serde_json::json!({
                "allowPrivilegeEscalation": false,
                "readOnlyRootFilesystem": true,
                "capabilities": {"drop": ["ALL"]}
            })),
            node_selector: StringMap::new(),
            tolerations: Vec::new(),
            affinity: k8s::Affinity::default(),
        }
    }
}

impl PodSettingsKnobs {
    /// A pod running `containers` under the chart's ServiceAccount, with every setting of the
    /// section. It carries a `checksum/<name>` annotation per `(name, template file)` of
    /// `rolled_by` (`("config", "configmap.yaml")`), so a change in that file rolls the pods.
    /// The ServiceAccount itself is `self.service_account.add_to(&mut m)`; the containers'
    /// `securityContext` is `self.security_context` on each container.
    pub fn pod(&self, containers: Vec<Container>, rolled_by: &[(&str, &str)]) -> Pod {
        let checksums = rolled_by.iter().fold(Map::new(), |m, (name, file)| m.str(format!("checksum/{name}"), checksum_of(file)));
        Pod::builder()
            .containers(containers)
            .annotations(checksums.spread(&self.pod_annotations))
            .labels(Map::new().spread(&self.pod_labels))
            .service_account_name(service_account_name())
            .automount_service_account_token(&self.service_account.automount_service_account_token)
            .security_context(self.pod_security_context.raw())
            .image_pull_secrets(self.image_pull_secrets.raw())
            .node_selector(self.node_selector.raw())
            .affinity(self.affinity.raw())
            .tolerations(List::new().extend_from(&self.tolerations))
            .build()
    }
}
