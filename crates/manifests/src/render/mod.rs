//! The two renderers over one model: plain manifests for one values instance, and the Helm
//! chart that renders the same manifests for any values.
//!
//! - `concrete`: evaluates the template tree for one values instance, with Helm's semantics,
//!   and `manifests` lowers each object through its k8s-openapi type and prints the plain
//!   manifests;
//! - `helm`: prints the same tree as Go template text, and [`chart`] writes every file of the
//!   chart, with `notes` (NOTES.txt);
//! - [`names`]: names and labels for both sides (the rules of `helm create`); `yaml`: YAML
//!   printing for both; `error`: [`RenderError`].

pub mod chart;
pub(crate) mod concrete;
mod error;
pub(crate) mod helm;
mod manifests;
pub mod names;
pub(crate) mod notes;
mod rules_tpl;
pub(crate) mod yaml;

pub use self::chart::chart_files;
pub use self::error::{RenderError, RenderErrorKind};
pub(crate) use self::manifests::to_yaml as yaml_of;
pub use self::manifests::{Rendered, manifests_yaml, objects_yaml, render_environment, render_objects};

/// A release: what `helm install NAME -n NAMESPACE` would be.
#[derive(Clone, Copy, Debug)]
pub struct Release<'a> {
    /// The release name (DNS-1123 subdomain, at most 53 characters).
    pub name: &'a str,
    /// The namespace (DNS-1123 label).
    pub namespace: &'a str,
}

impl Release<'_> {
    /// Helm's rules for a release: the name a DNS-1123 subdomain of at most 53 characters, the
    /// namespace a DNS-1123 label. The error names what is wrong and what was expected.
    pub fn validate(&self) -> Result<(), String> {
        let name_ok = |s: &str, max: usize| {
            !s.is_empty()
                && s.len() <= max
                && s.split('.').all(|part| {
                    !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') && !part.starts_with('-') && !part.ends_with('-')
                })
        };
        if !name_ok(self.name, 53) {
            return Err(format!("invalid release name {:?}: expected lowercase letters, digits, '-' and '.', at most 53 characters", self.name));
        }
        if !name_ok(self.namespace, 63) || self.namespace.contains('.') {
            return Err(format!("invalid namespace {:?}: expected a DNS-1123 label", self.namespace));
        }
        Ok(())
    }
}

/// Rendering a model without an application, for the builders' unit tests beside them.
#[cfg(test)]
pub(crate) mod testing {
    use serde_json::Value;

    use super::manifests::render_model;
    use super::{Release, RenderError};
    use crate::model::Model;
    use crate::model::chart_meta::ChartMeta;

    /// The chart every test model renders as: `test`, release `rel` in namespace `ns`.
    fn chart() -> ChartMeta {
        ChartMeta::new("test", "0.1.0", "1.0.0", "a model under test")
    }

    /// The objects `model` renders for `values`, as JSON after the typed check.
    pub(crate) fn objects(model: &Model, values: Value) -> Result<Vec<Value>, RenderError> {
        let (objects, _) = render_model(&chart(), model, &values, Release { name: "rel", namespace: "ns" })?;
        Ok(objects.into_iter().map(|o| o.value).collect())
    }

    /// The check's findings on what `model` renders for `values`, as `Kind/name: message`.
    pub(crate) fn findings(model: &Model, values: Value) -> Vec<String> {
        let (objects, external) = render_model(&chart(), model, &values, Release { name: "rel", namespace: "ns" }).unwrap_or_else(|e| panic!("the model renders: {e}"));
        let objects: Vec<Value> = objects.into_iter().map(|o| o.value).collect();
        let env = crate::check::Environment { app: "test", environment: "test", objects: &objects, external: &external, exceptions: &[], crds: &model.crds() };
        crate::check::run(&env).findings.iter().map(|f| format!("{}: {}", f.subject, f.message)).collect()
    }

    /// The one object `model` renders for `values`.
    pub(crate) fn object(model: &Model, values: Value) -> Value {
        let mut objects = objects(model, values).unwrap_or_else(|e| panic!("the model renders: {e}"));
        assert_eq!(objects.len(), 1, "one object");
        objects.remove(0)
    }

    /// The chart templates of the model's objects, in declaration order.
    pub(crate) fn templates(model: &Model) -> String {
        model.objects.iter().map(|o| super::chart::template_text(o, "test")).collect()
    }
}
