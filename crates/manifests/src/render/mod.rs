//! The two renderers over one model: plain manifests for one values instance, and the Helm
//! chart that renders the same manifests for any values.
//!
//! - `concrete`: evaluates the template tree for one values instance, with Helm's semantics;
//! - `helm`: prints the same tree as Go template text;
//! - [`names`]: names and labels for both sides (the rules of `helm create`);
//! - `notes`: NOTES.txt; [`chart`]: the chart's static files; `yaml`: YAML printing.

pub mod chart;
pub(crate) mod concrete;
mod error;
pub(crate) mod helm;
pub mod names;
pub(crate) mod notes;
pub(crate) mod yaml;

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::app::{self, Application};
use crate::model::chart_meta::ChartMeta;
pub use self::error::{RenderError, RenderErrorKind};
use self::concrete::{Scope, eval, eval_entries, truthy};
use self::helm::{Ctx, Printer, cond};
use self::names::Names;
use crate::model::external::{External, Reference, volume_refs};
use crate::model::{Model, Object, install_rank};
use crate::template::tree::Map;

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
                    !part.is_empty()
                        && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                        && !part.starts_with('-')
                        && !part.ends_with('-')
                })
        };
        if !name_ok(self.name, 53) {
            return Err(format!(
                "invalid release name {:?}: expected lowercase letters, digits, '-' and '.', at most 53 characters",
                self.name
            ));
        }
        if !name_ok(self.namespace, 63) || self.namespace.contains('.') {
            return Err(format!("invalid namespace {:?}: expected a DNS-1123 label", self.namespace));
        }
        Ok(())
    }
}

/// One rendered object of the plain manifests.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The chart template file the object comes from, for `# Source:` lines.
    pub file: String,
    /// The object's kind.
    pub kind: String,
    /// The object's name.
    pub name: String,
    /// The object, as rendered.
    pub value: Value,
}

/// The object as evaluated for these values, before its typed check; `None` when its gate is
/// off.
fn eval_document(object: &Object, scope: &mut Scope) -> Result<Option<Value>, RenderError> {
    if let Some(gate) = &object.gate
        && !truthy(&eval(gate, scope)?)
    {
        return Ok(None);
    }
    let mut doc = serde_json::Map::new();
    doc.insert("apiVersion".into(), Value::String(object.api_version.into()));
    doc.insert("kind".into(), Value::String(object.kind.into()));
    let meta = object.meta.lower(object.namespaced, None);
    if let Some(m) = concrete::eval_node(&meta, scope).map_err(|e| e.in_field("metadata"))? {
        doc.insert("metadata".into(), m);
    }
    if let Err(e) = eval_entries(&object.body, scope, &mut doc) {
        return Err(e.in_object(|| format!("{}/{}", object.kind, doc.get("metadata").and_then(|m| m.get("name")).and_then(Value::as_str).unwrap_or(""))));
    }
    Ok(Some(Value::Object(doc)))
}

fn eval_object(object: &Object, scope: &mut Scope) -> Result<Option<Value>, RenderError> {
    let Some(doc) = eval_document(object, scope).map_err(|e| e.in_object(|| object.kind.to_string()))? else { return Ok(None) };
    let subject = format!("{}/{}", object.kind, doc.pointer("/metadata/name").and_then(Value::as_str).unwrap_or(""));
    (object.check)(doc, false).map(Some).map_err(|e| {
        // The check consumed the object: evaluating it again (it is pure) finds the field at fault.
        let path = eval_document(object, scope).ok().flatten().and_then(|doc| (object.check)(doc, true).err()).and_then(|e| e.path);
        RenderError { app: String::new(), object: subject, path: path.unwrap_or_default(), kind: RenderErrorKind::Lowering(e.message) }
    })
}

/// Renders the plain objects of a model for one values instance, in Helm's install order.
pub fn render_objects(app: &dyn Application, model: &Model, values: &Value, release: Release) -> Result<Vec<Rendered>, RenderError> {
    render_environment(app, model, values, release).map(|(objects, _)| objects)
}

/// [`render_objects`], with the objects the model declares external for these values (what
/// `check` accepts references to).
pub fn render_environment(app: &dyn Application, model: &Model, values: &Value, release: Release) -> Result<(Vec<Rendered>, Vec<Reference>), RenderError> {
    render_model(app.chart(), model, values, release).map_err(|e| e.in_app(&app.chart().name))
}

fn render_model(chart: &ChartMeta, model: &Model, values: &Value, release: Release) -> Result<(Vec<Rendered>, Vec<Reference>), RenderError> {
    let names = Names { chart, release: release.name, namespace: release.namespace, values };
    // Checksums render another file of the chart; guard against a file that sums itself.
    let in_progress: RefCell<Vec<String>> = RefCell::new(Vec::new());
    let render_file = |file: &str| -> Result<String, RenderError> { render_file_text(model, &names, file, &in_progress) };
    let mut scope = Scope::new(&names, &render_file);

    for (test, message) in &model.validations {
        if truthy(&eval(test, &scope)?) {
            return Err(RenderError::new(RenderErrorKind::Rejected(message.clone())));
        }
    }
    let mut out = Vec::new();
    for object in &model.objects {
        if let Some(value) = eval_object(object, &mut scope)? {
            let name = value["metadata"]["name"].as_str().unwrap_or_default().to_string();
            out.push(Rendered { file: object.file(), kind: object.kind.to_string(), name, value });
        }
    }
    out.sort_by(|a, b| (install_rank(&a.kind), &a.name).cmp(&(install_rank(&b.kind), &b.name)));
    let mut external = Vec::new();
    for declared in &model.externals {
        match declared {
            External::Named(kind, name) => {
                if let Value::String(name) = eval(name, &scope)?
                    && !name.is_empty()
                {
                    external.push(Reference { kind: kind.to_string(), name });
                }
            }
            External::Volumes(list) => {
                for volume in eval(list, &scope)?.as_array().into_iter().flatten() {
                    external.extend(volume_refs(volume).into_iter().map(|(kind, name)| Reference { kind, name }));
                }
            }
        }
    }
    Ok((out, external))
}

fn render_file_text(model: &Model, names: &Names, file: &str, in_progress: &RefCell<Vec<String>>) -> Result<String, RenderError> {
    if in_progress.borrow().iter().any(|f| f == file) {
        return Err(RenderError::new(RenderErrorKind::ChecksumCycle(file.to_string())));
    }
    in_progress.borrow_mut().push(file.to_string());
    let render_file = |f: &str| render_file_text(model, names, f, in_progress);
    let mut scope = Scope::new(names, &render_file);
    let mut text = String::new();
    for object in model.objects.iter().filter(|o| o.file() == file) {
        if let Some(v) = eval_object(object, &mut scope)? {
            text.push_str(&to_yaml(&v).map_err(|e| e.in_object(|| object.kind.to_string()))?);
        }
    }
    in_progress.borrow_mut().pop();
    Ok(text)
}

/// YAML of one object, `apiVersion`, `kind` and `metadata` first as kubectl prints them.
fn to_yaml(v: &Value) -> Result<String, RenderError> {
    let mut text = match v {
        Value::Object(map) => serde_saphyr::to_string(&HeadFirst(map)),
        other => serde_saphyr::to_string(other),
    }
    .map_err(|e| RenderError::new(RenderErrorKind::Print(e.to_string())))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// The keys kubectl prints first.
const HEAD: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// Serializes an object with the [`HEAD`] keys first, borrowing it: copying every rendered
/// object into a reordered map cost as much as the serialization (scale benchmark profile).
struct HeadFirst<'a>(&'a serde_json::Map<String, Value>);

impl serde::Serialize for HeadFirst<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let map = self.0;
        let mut out = s.serialize_map(Some(map.len()))?;
        for key in HEAD {
            if let Some(x) = map.get(key) {
                out.serialize_entry(key, x)?;
            }
        }
        for (k, x) in map {
            if !HEAD.contains(&k.as_str()) {
                out.serialize_entry(k, x)?;
            }
        }
        out.end()
    }
}

/// The plain manifests as one multi-document YAML stream.
pub fn manifests_yaml(app: &dyn Application, model: &Model, values: &Value, release: Release) -> Result<String, RenderError> {
    objects_yaml(app, &render_objects(app, model, values, release)?)
}

/// Rendered objects as one multi-document YAML stream, each with the template it comes from.
pub fn objects_yaml(app: &dyn Application, objects: &[Rendered]) -> Result<String, RenderError> {
    let mut out = format!("# {}\n", app::header(app.source()));
    for o in objects {
        out.push_str(&format!("---\n# Source: {}/templates/{}\n", app.chart().name, o.file));
        out.push_str(&to_yaml(&o.value).map_err(|e| e.in_object(|| format!("{}/{}", o.kind, o.name)).in_app(&app.chart().name))?);
    }
    Ok(out)
}

/// Every file of the chart, by path inside the chart directory.
pub fn chart_files(app: &dyn Application, model: &Model) -> Result<BTreeMap<String, String>, RenderError> {
    let meta = app.chart();
    let name = meta.name.as_str();
    let head = app::header(app.source());
    let defaults = app.defaults();
    let schema = app.schema();
    let mut files = BTreeMap::new();

    files.insert("Chart.yaml".into(), chart::chart_yaml(meta, &head));
    files.insert(".helmignore".into(), chart::helmignore(&head));
    files.insert("values.yaml".into(), chart::values_yaml(&head, &defaults, &schema));
    files.insert("values.schema.json".into(), serde_json::to_string_pretty(&schema).map_err(|e| RenderError::new(RenderErrorKind::Print(e.to_string())).in_app(&meta.name))? + "\n");
    let mut helpers_tpl = format!("{{{{/* {head} */}}}}\n\n{}", names::helpers_tpl(name));
    if !model.conditions.is_empty() {
        helpers_tpl.push_str("\n{{/* Conditions the templates share: \"true\" or nothing. */}}\n");
        for (cond_name, ex) in &model.conditions {
            helpers_tpl.push_str(&helm::condition_define(name, cond_name, ex));
        }
    }
    files.insert("templates/_helpers.tpl".into(), helpers_tpl);
    for env in app.environments() {
        files.insert(format!("values-{}.yaml", env.name), format!("# generated by kforge from {}; do not edit\n{}", env.path, env.text));
    }

    // Templates: one file per kind and component, objects in declaration order.
    let mut templates: BTreeMap<String, String> = BTreeMap::new();
    for object in &model.objects {
        let file = object.file();
        let text = templates.entry(file).or_insert_with(|| format!("{{{{- /* {head} */}}}}\n"));
        text.push_str(&template_text(object, name));
    }
    if !model.validations.is_empty() {
        let mut text = format!("{{{{- /* {head} */}}}}\n{{{{- /* Rejects impossible combinations of values before anything renders. */}}}}\n");
        let c = Ctx { chart: name, in_range: false };
        for (test, message) in &model.validations {
            text.push_str(&format!("{{{{- if {} }}}}\n{{{{- fail {} }}}}\n{{{{- end }}}}\n", cond(test, c), Value::String(message.clone())));
        }
        templates.insert("validate.yaml".into(), text);
    }
    for (file, text) in templates {
        files.insert(format!("templates/{file}"), text);
    }
    let mut notes = format!("{{{{- /* {head} */}}}}\n");
    notes::render(&model.notes, name, &mut notes);
    files.insert("templates/NOTES.txt".into(), notes);
    files.insert("README.md".into(), readme(app, &defaults, &schema));
    Ok(files)
}

fn template_text(object: &Object, chart: &str) -> String {
    let c = Ctx { chart, in_range: false };
    let mut p = Printer { out: String::new(), chart, guards: Vec::new() };
    let indent = 0;
    if let Some(gate) = &object.gate {
        p.directive(indent, &format!("if {}", cond(gate, c)));
    }
    p.out.push_str("---\n");
    let head = Map::new()
        .str("apiVersion", object.api_version)
        .str("kind", object.kind)
        .field("metadata", object.meta.lower(object.namespaced, object.hook.as_ref()));
    // Printed in two runs rather than one merged map: the body is the largest part of the tree,
    // and cloning it for every template showed up in the scale benchmark's profile.
    p.entries(&head.entries, indent, c);
    p.entries(&object.body, indent, c);
    if object.gate.is_some() {
        p.directive(indent, "end");
    }
    p.out
}

fn readme(app: &dyn Application, defaults: &Value, schema: &Value) -> String {
    let meta = app.chart();
    let mut out = format!("<!-- {} -->\n\n# {}\n\n{}\n\n", app::header(app.source()), meta.name, meta.description);
    out.push_str(&format!("Chart version `{}`, application version `{}`.\n\n## Installing\n\n", meta.version, meta.app_version));
    let name = &meta.name;
    match (app.needs_values(), app.environments().first()) {
        (Some(what), Some(env)) => out.push_str(&format!(
            "The defaults alone do not install: set {what}. For example, with the `{}` values file:\n\n```sh\nhelm install {name} charts-out/charts/{name} --namespace {name} --create-namespace \\\n  -f charts-out/charts/{name}/values-{}.yaml\n```\n",
            env.name, env.name
        )),
        (Some(what), None) => out.push_str(&format!("The defaults alone do not install: set {what}.\n")),
        (None, _) => out.push_str(&format!("```sh\nhelm install {name} charts-out/charts/{name} --namespace {name} --create-namespace\n```\n")),
    }
    out.push_str(&format!("\nThe same objects as plain manifests: `charts-out/manifests/{name}/`.\n"));
    if !app.environments().is_empty() {
        out.push_str("\nExample values files:\n\n");
        for env in app.environments() {
            out.push_str(&format!("- `values-{}.yaml`: `helm install {} charts-out/charts/{} -f charts-out/charts/{}/values-{}.yaml`\n", env.name, meta.name, meta.name, meta.name, env.name));
        }
    }
    out.push_str("\n## Values\n\n| Key | Type | Default | Description |\n| --- | --- | --- | --- |\n");
    for [key, ty, default, desc] in chart::values_rows(defaults, schema) {
        out.push_str(&format!("| {key} | {ty} | {default} | {desc} |\n"));
    }
    out.push_str("\n## Pod Security\n\n");
    if app.pss_exceptions().is_empty() {
        out.push_str("Every pod meets the restricted Pod Security Standard with the default values; `kforge emit` checks\nit for every example environment.\n");
    } else {
        out.push_str("Every pod meets the restricted Pod Security Standard with the default values, except:\n\n");
        for e in app.pss_exceptions() {
            out.push_str(&format!("- container `{}`, {}: {}\n", e.container, e.control.title(), e.reason));
        }
    }
    if !app.readme().is_empty() {
        out.push('\n');
        out.push_str(app.readme().trim_end());
        out.push('\n');
    }
    out
}

/// Rendering a model without an application, for the builders' unit tests beside them.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// The chart every test model renders as: `test`, release `rel` in namespace `ns`.
    fn chart() -> ChartMeta {
        ChartMeta::new("test", "0.1.0", "1.0.0", "a model under test")
    }

    /// The objects `model` renders for `values`, as JSON after the typed check.
    pub(crate) fn objects(model: &Model, values: Value) -> Result<Vec<Value>, RenderError> {
        let (objects, _) = render_model(&chart(), model, &values, Release { name: "rel", namespace: "ns" })?;
        Ok(objects.into_iter().map(|o| o.value).collect())
    }

    /// The one object `model` renders for `values`.
    pub(crate) fn object(model: &Model, values: Value) -> Value {
        let mut objects = objects(model, values).unwrap_or_else(|e| panic!("the model renders: {e}"));
        assert_eq!(objects.len(), 1, "one object");
        objects.remove(0)
    }

    /// The chart templates of the model's objects, in declaration order.
    pub(crate) fn templates(model: &Model) -> String {
        model.objects.iter().map(|o| template_text(o, "test")).collect()
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use super::*;
    use crate::model::app::App;
    use crate::model::chart_meta::ChartMeta;
    use crate::model::objects::ConfigMap;
    use crate::template::tree::Node;
    use crate::{Knobs, Meta};

    #[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema, Knobs)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Values {
        /// An image tag nobody set.
        tag: String,
        /// Refuse to render.
        refuse: bool,
    }

    fn build(v: &ValuesKnobs) -> Model {
        let mut m = Model::new();
        m.reject_when(&v.refuse, "refuse is set");
        m.add(ConfigMap::builder().meta(Meta::new("settings")).data(Map::new().str("tag", v.tag.required("set tag"))).build());
        // A number where ConfigMap data holds strings: k8s-openapi refuses it.
        m.add(ConfigMap::builder().meta(Meta::new("numbers")).data(Map::new().field("count", Node::lit(json!(3)))).build());
        m
    }

    fn render(values: Value) -> RenderError {
        let app = App::<Values>::new(ChartMeta::new("errors", "0.1.0", "1.0.0", "render errors"), "render/mod.rs", build);
        let model = app.model();
        render_objects(&app, &model, &values, Release { name: "r", namespace: "ns" }).expect_err("the model cannot render")
    }

    #[test]
    fn errors_name_the_application_object_and_field() {
        let e = render(json!({"tag": "", "refuse": false}));
        assert_eq!((e.app.as_str(), e.object.as_str(), e.path.as_str()), ("errors", "ConfigMap/settings", "data.tag"));
        assert_eq!(e.kind, RenderErrorKind::Required("set tag".into()));
        assert_eq!(e.to_string(), "set tag\n  in ConfigMap/settings, at data.tag");

        let e = render(json!({"tag": "1.0", "refuse": false}));
        assert_eq!((e.object.as_str(), e.path.as_str()), ("ConfigMap/numbers", "data.count"));
        assert!(matches!(&e.kind, RenderErrorKind::Lowering(m) if m.contains("expected a string")), "{e}");

        let e = render(json!({"tag": "1.0", "refuse": true}));
        assert_eq!((e.object.as_str(), e.path.as_str(), e.to_string().as_str()), ("", "", "refuse is set"));
    }
}
