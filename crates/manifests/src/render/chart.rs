//! The Helm side's output: every file of the chart. Templates print the model's tree as Go
//! templates; Chart.yaml, values.yaml with its comments, values.schema.json, README.md with the
//! values table, NOTES.txt, `_helpers.tpl` and .helmignore come from the application.

use std::collections::BTreeMap;

/// The line of `templates/validate.yaml` after the application's own rules (`reject_when`) and
/// before the API server's, as the objects imply them.
pub const API_RULES_MARK: &str = "{{- /* The API server's rules, as the objects imply them. */}}";

use serde_json::{Value, json};

use super::error::{RenderError, RenderErrorKind};
use super::helm::{Ctx, Printer, cond};
use super::{helm, names, notes, yaml};
use crate::model::app::{self, Application};
use crate::model::chart_meta::ChartMeta;
use crate::model::{Model, Object};
use crate::template::expr::Ex;
use crate::template::tree::Map;

/// Chart.yaml of a chart, under the `header` comment.
pub(crate) fn chart_yaml(meta: &ChartMeta, header: &str) -> String {
    let mut doc = serde_json::Map::new();
    doc.insert("apiVersion".into(), json!("v2"));
    doc.insert("name".into(), json!(meta.name));
    doc.insert("description".into(), json!(meta.description));
    doc.insert("type".into(), json!("application"));
    doc.insert("version".into(), json!(meta.version));
    doc.insert("appVersion".into(), json!(meta.app_version));
    if !meta.keywords.is_empty() {
        doc.insert("keywords".into(), json!(meta.keywords));
    }
    if !meta.home.is_empty() {
        doc.insert("home".into(), json!(meta.home));
    }
    if !meta.sources.is_empty() {
        doc.insert("sources".into(), json!(meta.sources));
    }
    if !meta.maintainers.is_empty() {
        let list: Vec<Value> = meta
            .maintainers
            .iter()
            .map(|m| {
                let mut o = serde_json::Map::new();
                o.insert("name".into(), json!(m.name));
                if !m.email.is_empty() {
                    o.insert("email".into(), json!(m.email));
                }
                if !m.url.is_empty() {
                    o.insert("url".into(), json!(m.url));
                }
                Value::Object(o)
            })
            .collect();
        doc.insert("maintainers".into(), Value::Array(list));
    }
    format!("# {header}\n{}", yaml::to_block(&Value::Object(doc)))
}

/// values.yaml: the defaults, each key under the comment its doc comment gives. The first line
/// is the YAML language server's modeline, so that editors (VS Code's YAML extension, Helix,
/// Neovim with yamlls) check values.yaml, and a copy of it beside the chart, against the schema.
pub(crate) fn values_yaml(header: &str, defaults: &Value, schema: &Value) -> String {
    let mut out =
        format!("# yaml-language-server: $schema=values.schema.json\n# {header}\n#\n# Default values; every key is described in README.md and checked by values.schema.json.\n\n");
    yaml::write_block(&mut out, defaults, 0, Some(schema));
    out
}

/// Block YAML of part of a values tree (an overlay such as a values file), each key under the
/// comment its schema description gives, written as values.yaml is.
pub fn commented_yaml(values: &Value, schema: &Value) -> String {
    let mut out = String::new();
    yaml::write_block(&mut out, values, 0, Some(schema));
    out
}

fn type_name(schema: Option<&Value>, default: &Value) -> String {
    // A Kubernetes object by its kind (`Toleration`), a list of them as `list of Toleration`.
    let kind = |s: Option<&Value>| {
        let comment = s?.get("$comment")?.as_str()?.strip_prefix(crate::values::kube::KUBERNETES_COMMENT)?;
        Some(comment.rsplit('.').next().unwrap_or(comment).to_string())
    };
    if let Some(k) = kind(schema) {
        return k;
    }
    if let Some(k) = kind(schema.and_then(|s| s.get("items"))) {
        return format!("list of {k}");
    }
    if let Some(t) = schema.and_then(|s| s.get("type")) {
        match t {
            Value::String(s) => return s.clone(),
            Value::Array(list) => return list.iter().filter_map(Value::as_str).filter(|s| *s != "null").collect::<Vec<_>>().join(" or "),
            _ => {}
        }
    }
    if schema.and_then(|s| s.get("enum")).is_some() {
        return "string".into();
    }
    if let Some(Value::Array(alternatives)) = schema.and_then(|s| s.get("anyOf")) {
        let mut names: Vec<String> = Vec::new();
        for alt in alternatives {
            // `""` as the "not set" alternative reads better spelled out.
            let name = if alt.get("maxLength") == Some(&Value::from(0)) { "\"\"".to_string() } else { type_name(Some(alt), &Value::Null) };
            if !names.contains(&name) {
                names.push(name);
            }
        }
        return names.join(" or ");
    }
    match default {
        Value::Object(_) => "object",
        Value::Array(_) => "list",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::Null => "null",
    }
    .into()
}

/// The values table rows: one per leaf, with type, default and description. The schema is
/// walked beside the defaults (`node` describes `v`).
pub(crate) fn values_rows(defaults: &Value, schema: &Value) -> Vec<[String; 4]> {
    fn walk(v: &Value, path: &str, node: Option<&Value>, rows: &mut Vec<[String; 4]>) {
        // A Kubernetes object (`securityContext`) is one setting, whatever fields it has.
        let kubernetes = node.and_then(|n| n.get("$comment")).and_then(Value::as_str).is_some_and(|c| c.starts_with(crate::values::kube::KUBERNETES_COMMENT));
        let properties = node.and_then(|n| n.get("properties")).filter(|_| !kubernetes);
        match v {
            Value::Object(map) if properties.is_some() || path.is_empty() => {
                for (k, child) in map {
                    let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    walk(child, &p, properties.and_then(|props| props.get(k)), rows);
                }
            }
            _ => {
                let mut desc = node.and_then(|n| n.get("description")).and_then(Value::as_str).unwrap_or("").replace('\n', " ");
                if let Some(options) = node.and_then(|n| n.get("enum")).and_then(Value::as_array) {
                    let names: Vec<String> = options.iter().map(|o| format!("`{}`", o.as_str().unwrap_or_default())).collect();
                    desc = format!("{desc} One of {}.", names.join(", ")).trim().to_string();
                }
                rows.push([format!("`{path}`"), type_name(node, v), format!("`{}`", v).replace('|', "\\|"), desc.replace('|', "\\|")]);
            }
        }
    }
    let mut rows = Vec::new();
    walk(defaults, "", Some(schema), &mut rows);
    rows
}

pub(crate) fn helmignore(header: &str) -> String {
    format!(
        "# {header}\n# Patterns to ignore when building packages.\n.DS_Store\n.git/\n.gitignore\n.bzr/\n.bzrignore\n.hg/\n.hgignore\n.svn/\n*.swp\n*.bak\n*.tmp\n*.orig\n*~\n.project\n.idea/\n*.tmproj\n.vscode/\n# kforge's record of the files it generated here\n.kforge-files\n"
    )
}

/// The schema with what [`Model::fixed_settings`] says of a setting added to its description,
/// so that values.yaml, values.schema.json and the README's values table say it alike.
fn fixed_noted(mut schema: Value, fixed: &[(Vec<String>, &str)]) -> Value {
    for (path, note) in fixed {
        let Some(node) = path.iter().try_fold(&mut schema, |s, k| s.get_mut("properties").and_then(|p| p.get_mut(k))) else { continue };
        let Some(map) = node.as_object_mut() else { continue };
        let description = map.get("description").and_then(Value::as_str).unwrap_or("").trim_end().to_string();
        if !description.contains(note) {
            let joined = if description.is_empty() { note.to_string() } else { format!("{description}\n{note}") };
            map.insert("description".into(), Value::String(joined));
        }
    }
    schema
}

/// Every file of the chart, by path inside the chart directory.
pub fn chart_files(app: &dyn Application, model: &Model) -> Result<BTreeMap<String, String>, RenderError> {
    let meta = app.chart();
    let name = meta.name.as_str();
    let head = app::header(app.source());
    let defaults = app.defaults();
    let schema = fixed_noted(app.schema(), &model.fixed_settings());
    let mut files = BTreeMap::new();

    files.insert("Chart.yaml".into(), chart_yaml(meta, &head));
    files.insert(".helmignore".into(), helmignore(&head));
    files.insert("values.yaml".into(), values_yaml(&head, &defaults, &schema));
    files
        .insert("values.schema.json".into(), serde_json::to_string_pretty(&schema).map_err(|e| RenderError::new(RenderErrorKind::Print(e.to_string())).in_app(&meta.name))? + "\n");
    let mut helpers_tpl = format!("{{{{/* {head} */}}}}\n\n{}", names::helpers_tpl(name));
    if !model.conditions.is_empty() {
        helpers_tpl.push_str("\n{{/* Conditions the templates share: \"true\" or nothing. */}}\n");
        for (cond_name, ex) in &model.conditions {
            helpers_tpl.push_str(&helm::condition_define(name, cond_name, ex));
        }
    }
    if model.all_validations().any(|v| v.test.is_none()) {
        let used = model.all_validations().filter_map(|v| if let Ex::Problem(rule, ..) = &v.message { Some(*rule) } else { None }).collect();
        helpers_tpl.push_str(&super::rules_tpl::helpers_tpl(name, &used));
    }
    files.insert("templates/_helpers.tpl".into(), helpers_tpl);
    for env in app.environments() {
        files.insert(
            format!("values-{}.yaml", env.name),
            format!("# yaml-language-server: $schema=values.schema.json\n# generated by kforge from {}; do not edit\n{}", env.path, env.text),
        );
    }

    // Templates: one file per kind and component, objects in declaration order.
    let mut templates: BTreeMap<String, String> = BTreeMap::new();
    for object in &model.objects {
        let file = object.file();
        let text = templates.entry(file).or_insert_with(|| format!("{{{{- /* {head} */}}}}\n"));
        text.push_str(&template_text(object, name));
    }
    let mut validations = model.all_validations().peekable();
    if validations.peek().is_some() {
        let mut text =
            format!("{{{{- /* {head} */}}}}\n{{{{- /* Rejects impossible combinations of values, and values the API server would refuse, before anything renders. */}}}}\n");
        let c = Ctx { chart: name, in_range: false };
        let own = model.validations.len();
        for (i, v) in validations.enumerate() {
            // The application's own rules (`reject_when`) come first; the upgrade check reads
            // them apart from the API server's by this line.
            if i == own {
                text.push_str(API_RULES_MARK);
                text.push('\n');
            }
            let message = helm::op_text(&v.message, c);
            if let Some(gate) = &v.gate {
                text.push_str(&format!("{{{{- if {} }}}}\n", cond(gate, c)));
            }
            match &v.test {
                Some(test) => text.push_str(&format!("{{{{- if {} }}}}\n{{{{- fail {message} }}}}\n{{{{- end }}}}\n", cond(test, c))),
                None => text.push_str(&format!("{{{{- with {message} }}}}\n{{{{- fail . }}}}\n{{{{- end }}}}\n")),
            }
            if v.gate.is_some() {
                text.push_str("{{- end }}\n");
            }
        }
        if own == model.all_validations().count() {
            text.push_str(API_RULES_MARK);
            text.push('\n');
        }
        templates.insert("validate.yaml".into(), text);
    }
    for (file, text) in templates {
        files.insert(format!("templates/{file}"), text);
    }
    let mut notes = format!("{{{{- /* {head} */}}}}\n");
    notes::render(&model.all_notes(), name, &mut notes);
    files.insert("templates/NOTES.txt".into(), notes);
    files.insert("README.md".into(), readme(app, &defaults, &schema));
    Ok(files)
}

pub(crate) fn template_text(object: &Object, chart: &str) -> String {
    let c = Ctx { chart, in_range: false };
    let mut p = Printer { out: String::new(), chart, guards: Vec::new() };
    let indent = 0;
    if let Some(gate) = &object.gate {
        p.directive(indent, &format!("if {}", cond(gate, c)));
    }
    p.out.push_str("---\n");
    let head = Map::new().str("apiVersion", object.api_version).str("kind", object.kind).field("metadata", object.meta.lower(object.namespaced, object.hook.as_ref()));
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
    // The environments emit writes manifests and GitOps definitions for, as `output` picks them.
    let mut envs: Vec<String> = app.needs_values().is_none().then(|| "`default`".to_string()).into_iter().collect();
    envs.extend(app.environments().iter().map(|e| format!("`{}`", e.name)));
    out.push_str(&format!(
        "\nThe same objects as plain manifests, one folder per environment ({}): `charts-out/manifests/{name}/<env>/` holds a file per \
         object in numbered stage folders (`0-config/` to `4-attached/`, which Argo CD and Flux apply in order) and a `kustomization.yaml` \
         (`kubectl apply -k`). The Argo CD and Flux definitions that deploy each environment from Git are in \
         `charts-out/gitops/{name}/<env>/`.\n",
        envs.join(", ")
    ));
    if !app.environments().is_empty() {
        out.push_str("\nExample values files:\n\n");
        for env in app.environments() {
            out.push_str(&format!(
                "- `values-{}.yaml`: `helm install {} charts-out/charts/{} -f charts-out/charts/{}/values-{}.yaml`\n",
                env.name, meta.name, meta.name, meta.name, env.name
            ));
        }
    }
    out.push_str("\n## Values\n\n| Key | Type | Default | Description |\n| --- | --- | --- | --- |\n");
    for [key, ty, default, desc] in values_rows(defaults, schema) {
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
    if !meta.upgrade_notes.is_empty() {
        out.push_str("\n## Upgrading\n\n`kforge upgrade-check` compares each version with the previous release; these versions break something an\ninstalled release or a values file relied on:\n");
        for n in &meta.upgrade_notes {
            out.push_str(&format!("\n### To {}\n\n{}\n", n.version, n.note.trim_end()));
        }
    }
    out
}
