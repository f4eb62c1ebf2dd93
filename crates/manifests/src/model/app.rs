//! An application: chart metadata, a `Values` type, example environments and a build function.
//! [`Application`] erases the `Values` type so the CLI can hold every application in one list.

use std::marker::PhantomData;

use serde_json::Value;

use super::chart_meta::ChartMeta;
use super::pod_security::{Control, PssException};
use crate::model::Model;
use crate::template::expr::{Knobbed, Path};
use crate::values::{self, Values};

/// An example values file of an application, rendered as one environment.
#[derive(Clone, Debug)]
pub struct Environment {
    /// `production`: the chart gets `values-production.yaml`, the manifests `production/`.
    pub name: &'static str,
    /// Where the file lives in the repository, for messages and headers.
    pub path: &'static str,
    /// The file's YAML text.
    pub text: &'static str,
}

/// An application with its `Values` type erased: what the renderers, the check and the CLI
/// hold. [`App`] implements it, and [`WithChart`] puts another Chart.yaml on one.
pub trait Application: Sync {
    /// The chart's metadata.
    fn chart(&self) -> &ChartMeta;
    /// The Rust source the application is defined in (for "generated from" headers).
    fn source(&self) -> &'static str;
    /// The example values files, each rendered as an environment.
    fn environments(&self) -> &[Environment];
    /// What an operator must set before the chart renders (required values), or `None` when the
    /// defaults alone render. Such an application has no `default` environment.
    fn needs_values(&self) -> Option<&'static str>;
    /// Values that satisfy [`Application::needs_values`] with placeholder content (YAML), for
    /// tests that render the chart beyond its example environments. Never rendered to
    /// `charts-out`; must hold nothing secret.
    fn placeholder_values(&self) -> Option<&'static str> {
        None
    }
    /// Extra README sections (Markdown) after the generated values table.
    fn readme(&self) -> &'static str;
    /// The components that cannot meet a control of the restricted Pod Security Standard, each
    /// with its reason; `check` lets exactly these through and the chart README lists them.
    fn pss_exceptions(&self) -> &[PssException] {
        &[]
    }
    /// values.yaml: the defaults, as a tree.
    fn defaults(&self) -> Value;
    /// values.schema.json (draft-07, self-contained).
    fn schema(&self) -> Value;
    /// Checks a merged values tree and returns its canonical form, or the path and message.
    fn validate(&self, tree: &Value) -> Result<Value, (String, String)>;
    /// The model: the build function run over handles rooted at `.Values`.
    fn model(&self) -> Model;
}

/// The one implementation of [`Application`]: a `Values` type and a build function over its
/// handles.
pub struct App<V: Values> {
    /// The chart's metadata.
    pub chart: ChartMeta,
    /// The Rust source the application is defined in.
    pub source: &'static str,
    /// The example environments ([`App::environment`]).
    pub environments: Vec<Environment>,
    /// Extra README sections (Markdown).
    pub readme: &'static str,
    /// What must be set before the defaults render ([`App::needs_values`]).
    pub needs_values: Option<&'static str>,
    /// Placeholder values for tests ([`App::placeholder_values`]).
    pub placeholder_values: Option<&'static str>,
    /// Declared Pod Security exceptions ([`App::pss_exception`]).
    pub pss_exceptions: Vec<PssException>,
    /// The build function: handles in, model out.
    pub build: fn(&<V as Knobbed>::Handle) -> Model,
    /// Ties the `Values` type to the application.
    pub _values: PhantomData<fn() -> V>,
}

impl<V: Values> App<V> {
    /// An application of chart `chart`, defined in `source`, built by `build`.
    pub fn new(chart: ChartMeta, source: &'static str, build: fn(&<V as Knobbed>::Handle) -> Model) -> Self {
        App { chart, source, environments: Vec::new(), readme: "", needs_values: None, placeholder_values: None, pss_exceptions: Vec::new(), build, _values: PhantomData }
    }

    /// Adds an example environment: `name`, the file's `path` in the repository and its `text`
    /// (usually `include_str!`).
    pub fn environment(mut self, name: &'static str, path: &'static str, text: &'static str) -> Self {
        self.environments.push(Environment { name, path, text });
        self
    }

    /// Extra README sections (Markdown), after the generated values table.
    pub fn readme(mut self, markdown: &'static str) -> Self {
        self.readme = markdown;
        self
    }

    /// The defaults do not render: `what` says which values the operator must set (shown in the
    /// chart README). Only the example environments are rendered to manifests.
    pub fn needs_values(mut self, what: &'static str) -> Self {
        self.needs_values = Some(what);
        self
    }

    /// Declares that the pods running `container` cannot meet `control` of the restricted Pod
    /// Security Standard, and why. The check lets the finding through; the chart README lists
    /// it; an exception that no environment needs fails `emit` as stale.
    pub fn pss_exception(mut self, container: &'static str, control: Control, reason: &'static str) -> Self {
        self.pss_exceptions.push(PssException { container, control, reason });
        self
    }

    /// Placeholder values (YAML) that satisfy what [`App::needs_values`] asks, for tests; see
    /// [`Application::placeholder_values`].
    pub fn placeholder_values(mut self, yaml: &'static str) -> Self {
        self.placeholder_values = Some(yaml);
        self
    }
}

/// The "generated, do not edit" line every emitted file carries where its format allows.
pub fn header(source: &str) -> String {
    format!("generated by kforge from {source}; do not edit")
}

pub(crate) fn schema_of<V: Values>(header: &str) -> Value {
    // Generated once per type (emit asks for it several times per application).
    let mut v = (*values::schema_of::<V>()).clone();
    if let Value::Object(m) = &mut v {
        m.remove("title");
        m.insert("$comment".into(), Value::String(header.to_string()));
        if let Some(Value::Object(props)) = m.get_mut("properties") {
            // Helm hands every chart a `global` map; accept it unless the chart declares its own.
            props.entry("global").or_insert(serde_json::json!({"type": "object", "description": "Helm's global values (unused by this chart)."}));
        }
    }
    v
}

impl<V: Values> Application for App<V> {
    fn chart(&self) -> &ChartMeta {
        &self.chart
    }
    fn source(&self) -> &'static str {
        self.source
    }
    fn environments(&self) -> &[Environment] {
        &self.environments
    }
    fn readme(&self) -> &'static str {
        self.readme
    }
    fn needs_values(&self) -> Option<&'static str> {
        self.needs_values
    }
    fn placeholder_values(&self) -> Option<&'static str> {
        self.placeholder_values
    }
    fn pss_exceptions(&self) -> &[PssException] {
        &self.pss_exceptions
    }
    fn defaults(&self) -> Value {
        serde_json::to_value(V::default()).expect("defaults serialize")
    }
    fn schema(&self) -> Value {
        schema_of::<V>(&header(self.source))
    }
    fn validate(&self, tree: &Value) -> Result<Value, (String, String)> {
        values::validate::<V>(tree)
    }
    fn model(&self) -> Model {
        let mut model = (self.build)(&V::handle(Path::values()));
        model.pss_exceptions = self.pss_exceptions.clone();
        model
    }
}

/// An application under another Chart.yaml (name, version, appVersion, ...), everything else
/// its own: a release job's `package --version`, or many instances of one module in a
/// benchmark.
pub struct WithChart<'a> {
    /// The application.
    pub base: &'a dyn Application,
    /// The Chart.yaml it is rendered with.
    pub chart: ChartMeta,
}

impl Application for WithChart<'_> {
    fn chart(&self) -> &ChartMeta {
        &self.chart
    }
    fn source(&self) -> &'static str {
        self.base.source()
    }
    fn environments(&self) -> &[Environment] {
        self.base.environments()
    }
    fn needs_values(&self) -> Option<&'static str> {
        self.base.needs_values()
    }
    fn placeholder_values(&self) -> Option<&'static str> {
        self.base.placeholder_values()
    }
    fn readme(&self) -> &'static str {
        self.base.readme()
    }
    fn pss_exceptions(&self) -> &[PssException] {
        self.base.pss_exceptions()
    }
    fn defaults(&self) -> Value {
        self.base.defaults()
    }
    fn schema(&self) -> Value {
        self.base.schema()
    }
    fn validate(&self, tree: &Value) -> Result<Value, (String, String)> {
        self.base.validate(tree)
    }
    fn model(&self) -> Model {
        self.base.model()
    }
}
