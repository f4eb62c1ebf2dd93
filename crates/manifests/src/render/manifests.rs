//! The concrete side's output: a model's objects for one values instance, through their
//! k8s-openapi types, as JSON and as the multi-document YAML of the plain manifests.

use std::cell::RefCell;

use serde_json::Value;

use super::Release;
use super::concrete::{self, Scope, eval, eval_entries, truthy};
use super::error::{RenderError, RenderErrorKind};
use super::names::Names;
use crate::model::app::{self, Application};
use crate::model::chart_meta::ChartMeta;
use crate::model::external::{External, Reference, env_refs, volume_refs};
use crate::model::{Model, Object, install_rank};

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
    /// A Helm hook in the chart (a one-shot task such as a migration), a plain object here.
    pub hook: bool,
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

pub(crate) fn render_model(chart: &ChartMeta, model: &Model, values: &Value, release: Release) -> Result<(Vec<Rendered>, Vec<Reference>), RenderError> {
    let names = Names { chart, release: release.name, namespace: release.namespace, values };
    // Checksums render another file of the chart; guard against a file that sums itself.
    let in_progress: RefCell<Vec<String>> = RefCell::new(Vec::new());
    let render_file = |file: &str| -> Result<String, RenderError> { render_file_text(model, &names, file, &in_progress) };
    let mut scope = Scope::new(&names, &render_file);

    for v in model.all_validations() {
        if !v.gate.as_ref().map_or(Ok(true), |g| eval(g, &scope).map(|g| truthy(&g)))? {
            continue;
        }
        if v.test.as_ref().map_or(Ok(true), |t| eval(t, &scope).map(|t| truthy(&t)))? {
            let message = eval(&v.message, &scope)?;
            if let Value::String(m) = message
                && !m.is_empty()
            {
                return Err(RenderError::new(RenderErrorKind::Rejected(m)));
            }
        }
    }
    let mut out = Vec::new();
    let mut external = Vec::new();
    for object in &model.objects {
        if let Some(value) = eval_object(object, &mut scope)? {
            // What it makes once applied exists for the check, as a declared external does.
            for (kind, name) in &object.makes {
                if let Value::String(name) = eval(&name.ex, &scope)?
                    && !name.is_empty()
                {
                    external.push(Reference { kind: kind.to_string(), name });
                }
            }
            let name = value["metadata"]["name"].as_str().unwrap_or_default().to_string();
            out.push(Rendered { file: object.file(), kind: object.kind.to_string(), name, value, hook: object.hook.is_some() });
        }
    }
    out.sort_by(|a, b| (install_rank(&a.kind), &a.name).cmp(&(install_rank(&b.kind), &b.name)));
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
            External::Env(list) => {
                for env in eval(list, &scope)?.as_array().into_iter().flatten() {
                    external.extend(env_refs(env).into_iter().map(|(kind, name)| Reference { kind, name }));
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
pub(crate) fn to_yaml(v: &Value) -> Result<String, RenderError> {
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

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use super::*;
    use crate::model::app::App;
    use crate::model::chart_meta::ChartMeta;
    use crate::model::objects::ConfigMap;
    use crate::template::tree::Map;
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
