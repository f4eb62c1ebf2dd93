//! An image setting: repository, tag (the chart's appVersion when empty), pull policy, and an optional registry mirror.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Knobs;
use crate::template::expr::{Expr, Knob, app_version, concat};
use crate::values::PullPolicy;

// A container image, optionally behind a registry mirror.
#[allow(missing_docs)] // A doc comment here would become the schema's description.
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
    /// `repository` with no tag (the chart's appVersion applies), pulled `IfNotPresent`.
    pub fn new(repository: &str) -> Self {
        Image { repository: repository.into(), tag: String::new(), pull_policy: PullPolicy::IfNotPresent }
    }
}

impl ImageKnobs {
    /// `repository:tag`, the tag defaulting to the chart's appVersion.
    pub fn reference(&self) -> Expr<String> {
        concat([self.repository.expr(), ":".into(), self.tag.or_else(app_version())])
    }

    /// [`ImageKnobs::reference`] behind a registry (a mirror or pull-through cache) when
    /// `registry` is set: `<registry>/<repository>:<tag>`.
    pub fn reference_in(&self, registry: &Knob<String>) -> Expr<String> {
        registry.is_set().then(concat([registry.expr(), "/".into(), self.reference()]), self.reference())
    }
}
