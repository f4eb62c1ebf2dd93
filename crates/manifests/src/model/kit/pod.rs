//! The pod settings `helm create` keeps at the top level of values.yaml, and [`NameRef`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ServiceAccountSettingsKnobs, k8s};
use crate::Knobs;
use crate::model::objects::{Container, Pod};
use crate::template::expr::{Knob, checksum_of, service_account_name};
use crate::template::tree::{List, Map};
use crate::values::{DnsName, StringMap};

/// A reference to a Secret by name (`imagePullSecrets` entries).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NameRef {
    /// Name of the Secret.
    pub name: DnsName,
}

/// The pod settings `helm create` keeps at the top level of values.yaml (they cannot live in a
/// section of their own without renaming them), gathered so every chart reads them alike.
pub struct PodSettings<'a> {
    /// Annotations of the pod template.
    pub annotations: &'a Knob<StringMap>,
    /// Extra labels of the pod template.
    pub labels: &'a Knob<StringMap>,
    /// The pod's `securityContext`.
    pub security_context: &'a Knob<k8s::PodSecurityContext>,
    /// Secrets to pull images with.
    pub image_pull_secrets: &'a Knob<Vec<NameRef>>,
    /// `nodeSelector`: node labels the pod must match.
    pub node_selector: &'a Knob<StringMap>,
    /// `tolerations`.
    pub tolerations: &'a Knob<Vec<k8s::Toleration>>,
    /// `affinity`.
    pub affinity: &'a Knob<k8s::Affinity>,
    /// Which ServiceAccount the pods run as.
    pub service_account: &'a ServiceAccountSettingsKnobs,
}

impl PodSettings<'_> {
    /// A pod running `containers` under the chart's ServiceAccount. It carries a
    /// `checksum/<name>` annotation per `(name, template file)` of `rolled_by`
    /// (`("config", "configmap.yaml")`), so a change in that file rolls the pods.
    pub fn pod(&self, containers: Vec<Container>, rolled_by: &[(&str, &str)]) -> Pod {
        let checksums = rolled_by.iter().fold(Map::new(), |m, (name, file)| m.str(format!("checksum/{name}"), checksum_of(file)));
        Pod::builder()
            .containers(containers)
            .annotations(checksums.spread(self.annotations))
            .labels(Map::new().spread(self.labels))
            .service_account_name(service_account_name())
            .automount_service_account_token(&self.service_account.automount_service_account_token)
            .security_context(self.security_context.raw())
            .image_pull_secrets(self.image_pull_secrets.raw())
            .node_selector(self.node_selector.raw())
            .affinity(self.affinity.raw())
            .tolerations(List::new().extend_from(self.tolerations))
            .build()
    }
}

/// The [`PodSettings`] of a values handle whose top-level fields have the conventional names
/// (`pod_annotations`, `pod_labels`, `pod_security_context`, `image_pull_secrets`,
/// `node_selector`, `tolerations`, `affinity`, `service_account`).
#[macro_export]
macro_rules! pod_settings {
    ($v:expr) => {
        $crate::model::kit::PodSettings {
            annotations: &$v.pod_annotations,
            labels: &$v.pod_labels,
            security_context: &$v.pod_security_context,
            image_pull_secrets: &$v.image_pull_secrets,
            node_selector: &$v.node_selector,
            tolerations: &$v.tolerations,
            affinity: &$v.affinity,
            service_account: &$v.service_account,
        }
    };
}
