//! An image setting: repository, tag (the chart's appVersion when empty), an optional digest that
//! pins it, pull policy, and an optional registry mirror; and conditions on the image's version.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Knobs;
use crate::template::expr::{Expr, Knob, app_version, concat};
use crate::values::{ImageDigest, PullPolicy};

// A container image, optionally behind a registry mirror.
#[allow(missing_docs)] // A doc comment here would become the schema's description.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Image {
    /// Image repository.
    pub repository: String,
    /// Image tag; empty means the chart's appVersion.
    pub tag: String,
    /// Image digest (`sha256:...`); when set the kubelet pulls exactly this image, whatever the
    /// tag points at now (`repository:tag@digest`). Empty: the tag alone.
    pub digest: ImageDigest,
    /// When the kubelet pulls the image.
    pub pull_policy: PullPolicy,
}

impl Image {
    /// `repository` with no tag (the chart's appVersion applies) and no digest, pulled
    /// `IfNotPresent`.
    pub fn new(repository: &str) -> Self {
        Image { repository: repository.into(), tag: String::new(), digest: ImageDigest::default(), pull_policy: PullPolicy::IfNotPresent }
    }

    /// `repository` at `tag`, for an image whose release differs from the chart's appVersion.
    pub fn tagged(repository: &str, tag: &str) -> Self {
        Image { tag: tag.into(), ..Image::new(repository) }
    }
}

impl ImageKnobs {
    /// `repository:tag`, the tag defaulting to the chart's appVersion, then `@digest` when one
    /// is set.
    pub fn reference(&self) -> Expr<String> {
        self.reference_at(self.version())
    }

    /// `repository:version`, then `@digest` when one is set: for an image whose tag defaults to
    /// another image's rather than the appVersion (Aeterna's opal-fetcher follows its server).
    pub fn reference_at(&self, version: Expr<String>) -> Expr<String> {
        concat([self.repository.expr(), ":".into(), version, self.digest.is_set().then(concat(["@".into(), self.digest.expr()]), "")])
    }

    /// [`ImageKnobs::reference`] behind a registry (a mirror or pull-through cache) when
    /// `registry` is set: `<registry>/<repository>:<tag>`.
    pub fn reference_in(&self, registry: &Knob<String>) -> Expr<String> {
        behind(registry, self.reference())
    }

    /// [`ImageKnobs::reference_at`] behind a registry when `registry` is set.
    pub fn reference_at_in(&self, version: Expr<String>, registry: &Knob<String>) -> Expr<String> {
        behind(registry, self.reference_at(version))
    }

    /// The tag the image runs: `tag`, or the chart's appVersion when it is empty.
    pub fn version(&self) -> Expr<String> {
        self.tag.or_else(app_version())
    }

    /// True when the image is release `min` or later, or its tag is not a version (`main`,
    /// `latest` count as the newest): gates what only later releases read. The rule and its
    /// Helm rendering (`semverCompare`) are [`crate::template::version`]'s.
    ///
    /// ```
    /// # use kforge::{Knobbed, Path, kit::Image};
    /// let image = Image::handle(Path::values().child("image"));
    /// let reads_base_url = image.version_at_least("0.8.0-rc.9");
    /// # let _ = reads_base_url;
    /// ```
    pub fn version_at_least(&self, min: &str) -> Expr<bool> {
        self.version().version_at_least(min)
    }
}

/// `reference` behind `registry` when it is set: `<registry>/<reference>`.
fn behind(registry: &Knob<String>, reference: Expr<String>) -> Expr<String> {
    registry.is_set().then(concat([registry.expr(), "/".into(), reference.clone()]), reference)
}
