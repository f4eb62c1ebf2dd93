//! The render error: what went wrong, and in which application, object and field.

use std::fmt;

/// An error of the concrete renderer, with where it happened.
///
/// `app` is the chart name. `object` is `Kind/name` of the object being rendered (`Kind` alone
/// while its name is not rendered yet), empty for a rule of the whole model
/// ([`crate::Model::reject_when`]) or a file of the chart. `path` is the field inside the
/// object, dotted with list indexes (`spec.template.spec.containers[0].image`), empty for the
/// object as a whole.
///
/// Displayed as the message, then, when it has an object, a second line naming the object and
/// field; the application is left to the caller, which names it with the values it rendered.
/// The first line of a [`RenderErrorKind::Rejected`] or [`RenderErrorKind::Required`] error is the
/// message the chart's `fail` and `required` give too.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RenderError {
    /// The application (chart name).
    pub app: String,
    /// `Kind/name` of the object, or empty.
    pub object: String,
    /// The field inside the object, or empty.
    pub path: String,
    /// What went wrong.
    pub kind: RenderErrorKind,
}

/// What went wrong while rendering.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenderErrorKind {
    /// A rule of the model ([`crate::Model::reject_when`]) holds for these values: its message.
    Rejected(String),
    /// A required value is missing (`Expr::required`): its message.
    Required(String),
    /// The object does not deserialize as its k8s-openapi type (or typed custom resource): serde's
    /// message.
    Lowering(String),
    /// A free-form setting has the wrong shape, such as a list where a map is merged.
    Shape(String),
    /// A checksum annotation sums the template file it is in: the file, under `templates/`.
    ChecksumCycle(String),
    /// A loop variable read outside its range: the variable (a bug of the model, not of values).
    UnboundVariable(&'static str),
    /// An object or file did not print (as YAML or JSON): the serializer's message.
    Print(String),
}

impl RenderError {
    pub(crate) fn new(kind: RenderErrorKind) -> Self {
        RenderError { app: String::new(), object: String::new(), path: String::new(), kind }
    }

    /// The error one field further out: `key` holds the field where it happened. An error that
    /// already names its object (one of another file, met through a checksum) keeps its path.
    pub(crate) fn in_field(mut self, key: &str) -> Self {
        if self.object.is_empty() {
            self.path = match self.path.chars().next() {
                None => key.to_string(),
                Some('[') => format!("{key}{}", self.path),
                Some(_) => format!("{key}.{}", self.path),
            };
        }
        self
    }

    /// The error one list further out: item `index` holds the place where it happened.
    pub(crate) fn in_item(mut self, index: usize) -> Self {
        if self.object.is_empty() {
            self.path = match self.path.chars().next() {
                None | Some('[') => format!("[{index}]{}", self.path),
                Some(_) => format!("[{index}].{}", self.path),
            };
        }
        self
    }

    /// The error inside `object` (`Kind/name`), unless it names its own.
    pub(crate) fn in_object(mut self, object: impl FnOnce() -> String) -> Self {
        if self.object.is_empty() {
            self.object = object();
        }
        self
    }

    /// The error in application `app`.
    pub(crate) fn in_app(mut self, app: &str) -> Self {
        if self.app.is_empty() {
            self.app = app.to_string();
        }
        self
    }
}

impl fmt::Display for RenderErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderErrorKind::Rejected(message) | RenderErrorKind::Required(message) | RenderErrorKind::Shape(message) => f.write_str(message),
            RenderErrorKind::Lowering(message) => write!(f, "does not lower to a Kubernetes object: {message}"),
            RenderErrorKind::ChecksumCycle(file) => write!(f, "templates/{file} takes a checksum of itself"),
            RenderErrorKind::UnboundVariable(name) => write!(f, "loop variable ${name} used outside its range"),
            RenderErrorKind::Print(message) => write!(f, "does not print: {message}"),
        }
    }
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        match (self.object.as_str(), self.path.as_str()) {
            ("", _) => Ok(()),
            (object, "") => write!(f, "\n  in {object}"),
            (object, path) => write!(f, "\n  in {object}, at {path}"),
        }
    }
}

impl std::error::Error for RenderError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_grow_outward_and_stop_at_an_object() {
        let e = RenderError::new(RenderErrorKind::Required("set image.tag".into())).in_field("image").in_item(0).in_field("containers").in_field("spec");
        assert_eq!(e.path, "spec.containers[0].image");
        let e = e.in_object(|| "Deployment/web".into()).in_field("annotations").in_app("web");
        assert_eq!((e.app.as_str(), e.object.as_str(), e.path.as_str()), ("web", "Deployment/web", "spec.containers[0].image"));
        assert_eq!(e.to_string(), "set image.tag\n  in Deployment/web, at spec.containers[0].image");
        let nested = RenderError::new(RenderErrorKind::Shape("expected a list".into())).in_item(2).in_item(1);
        assert_eq!(nested.path, "[1][2]");
    }

    #[test]
    fn a_rule_of_the_model_shows_its_message_alone() {
        let e = RenderError::new(RenderErrorKind::Rejected("set either minAvailable or maxUnavailable".into())).in_app("dbbat");
        assert_eq!(e.to_string(), "set either minAvailable or maxUnavailable");
    }
}
