//! The emitted tree: every file of every selected application, rendered in memory first, then
//! written so that each generated directory changes all at once or not at all, and nothing
//! emit did not write is lost.
//!
//! - this module renders and checks the applications into a [`Tree`];
//! - [`layout`]: an environment's manifests as a directory kustomize and GitOps engines take,
//!   stage by stage; [`gitops`]: the Argo CD and Flux definitions of each environment;
//! - [`no_follow`]: reading a generated folder's files without following links;
//! - [`ownership`]: the record in each generated directory of the files emit wrote there;
//! - [`write`](mod@write): swapping the changed directories in, refusing foreign files;
//! - [`fault`]: the fault-injection hook the tests of atomicity use.

pub mod fault;
pub mod gitops;
pub mod layout;
pub mod no_follow;
pub mod ownership;
pub mod write;

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::check::{self, Finding};
use crate::model::app::Application;
use crate::render::{self, Release};
use crate::values::{self, Layer, ValuesError};

pub use write::{DirChange, Options, Report, WriteError, write_atomic};

/// Files by path relative to the output directory (`charts/backbone/Chart.yaml`, ...).
pub type Tree = BTreeMap<PathBuf, String>;

/// Why an application could not be emitted.
#[derive(Debug)]
#[non_exhaustive]
pub enum EmitError {
    Values(ValuesError),
    Render {
        app: String,
        environment: String,
        message: String,
    },
    /// What the check found in the rendered environments (of every application emitted).
    Findings(Vec<Finding>),
    /// The rendered tree could not be written (see [`WriteError`]).
    Write(WriteError),
}

impl std::fmt::Display for EmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmitError::Values(e) => e.fmt(f),
            EmitError::Render { app, environment, message } => write!(f, "{app} ({environment}): {message}"),
            EmitError::Findings(findings) => {
                write!(f, "the check found {} problem(s):", findings.len())?;
                for finding in findings {
                    write!(f, "\n  {finding}")?;
                }
                Ok(())
            }
            EmitError::Write(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for EmitError {}

impl From<ValuesError> for EmitError {
    fn from(e: ValuesError) -> Self {
        EmitError::Values(e)
    }
}

/// The directories of the output tree an application owns.
pub fn owned_dirs(app: &dyn Application) -> [PathBuf; 3] {
    let name = &app.chart().name;
    TOPS.map(|top| PathBuf::from(top).join(name))
}

/// The folders of `<out>` that hold one generated folder per application.
pub const TOPS: [&str; 3] = ["charts", "manifests", "gitops"];

/// Every file one application emits and what the check found in its environments.
#[derive(Debug)]
pub struct RenderedApp {
    pub tree: Tree,
    pub findings: Vec<Finding>,
    /// What the check says without refusing it (a PodDisruptionBudget that allows no eviction).
    pub warnings: Vec<Finding>,
    /// How many environments were rendered and checked.
    pub environments: usize,
}

/// The committed environments are rendered as release `<app>` in the namespace `<app>`, the
/// namespace the chart README installs into: a namespace of its own, not `default`, where
/// everything else lands.
pub fn committed_release(app: &dyn Application) -> Release<'_> {
    let name = app.chart().name.as_str();
    Release { name, namespace: name }
}

/// Renders everything one application emits, its chart and its manifests for each environment
/// (`default`, unless the application needs values, plus one per example values file), and
/// checks each environment (see [`crate::check`]) and the values that reach `charts-out`: no
/// committed environment and no default may hold a secret setting (`writeOnly` in the schema).
pub fn render_app(app: &dyn Application) -> Result<RenderedApp, EmitError> {
    render_app_with(app, &gitops::Settings::default())
}

/// [`render_app`], with the GitOps definitions pointing where `settings` say.
pub fn render_app_with(app: &dyn Application, settings: &gitops::Settings) -> Result<RenderedApp, EmitError> {
    let name = app.chart().name.clone();
    let model = app.model();
    let mut tree = Tree::new();
    let chart_dir = PathBuf::from("charts").join(&name);
    let files = render::chart_files(app, &model).map_err(|message| EmitError::Render { app: name.clone(), environment: "chart".into(), message: message.to_string() })?;
    for (path, text) in files {
        tree.insert(chart_dir.join(path), text);
    }
    let release = committed_release(app);
    let defaults = app.defaults();
    let schema = app.schema();
    let mut findings = Vec::new();
    let mut warnings = Vec::new();
    let secret = |environment: &str, path: String| Finding {
        app: name.clone(),
        environment: environment.to_string(),
        subject: format!("values {path}"),
        message: "is a secret setting (writeOnly in values.schema.json) and would be written to charts-out: reference an existing \
                  Secret instead, and give inline secrets at install time (--set, or a values file kept out of git)"
            .into(),
    };
    let secret_paths = check::secret_settings(&schema);
    for (path, _) in check::secret_values_at(&secret_paths, &defaults) {
        findings.push(secret("values.yaml", path));
    }
    for (path, place) in check::secret_leaks(&schema, &model.value_reads()) {
        findings.push(Finding {
            app: name.clone(),
            environment: "every environment".into(),
            subject: format!("values {path}"),
            message: format!(
                "is a secret setting (writeOnly) and its value reaches {place}: only a Secret's stringData may hold it; give it to a \
                 container as an env var from that Secret (secretKeyRef)"
            ),
        });
    }
    for (path, place) in check::secret_named_leaks(&schema, &model.value_reads()) {
        findings.push(Finding {
            app: name.clone(),
            environment: "every environment".into(),
            subject: format!("values {path}"),
            message: format!(
                "is named as a secret but is a plain string, and its value reaches {place}, which anyone who may read the namespace's \
                 configuration reads: make it a SecretString, put it in a Secret's stringData and give it to the container from there \
                 (secretKeyRef), or reference an existing Secret"
            ),
        });
    }
    for path in check::unread_settings(&schema, &model.reads()) {
        findings.push(Finding {
            app: name.clone(),
            environment: "every environment".into(),
            subject: format!("values {path}"),
            message: "is read by no object, rule or note of the chart, so setting it changes nothing in either output: read it through \
                      its handle in `build` (a Rust `if` on a concrete value bakes that value in), remove it, or mark it with \
                      `Model::documentation_only`"
                .into(),
        });
    }
    for path in model.stale_documentation_marks() {
        findings.push(Finding {
            app: name.clone(),
            environment: "every environment".into(),
            subject: format!("values {path}"),
            message: "is marked with `Model::documentation_only` but the chart reads it: remove the mark, so that the setting \
                      is refused again should nothing read it"
                .into(),
        });
    }
    let mut envs: Vec<(&str, &str, Vec<Layer>)> = Vec::new();
    if app.needs_values().is_none() {
        envs.push(("default", "the defaults", Vec::new()));
    }
    for env in app.environments() {
        envs.push((env.name, env.path, vec![Layer::File { name: env.path, text: env.text }]));
    }
    let header = crate::model::app::header(app.source());
    let environments = envs.len();
    let mut used = std::collections::BTreeSet::new();
    let mut pictures = String::new();
    for (env, source, layers) in envs {
        let values = values::load(&defaults, &layers, &|t| app.validate(t))?;
        let render_err = |message: render::RenderError| EmitError::Render { app: name.clone(), environment: format!("values from {source}"), message: message.to_string() };
        let (objects, external) = render::render_environment(app, &model, &values, release).map_err(render_err)?;
        let values_only: Vec<serde_json::Value> = objects.iter().map(|o| o.value.clone()).collect();
        let picture = crate::graph::of_rendered(&format!("{name} ({env})"), app, &model, &objects, &external);
        pictures.push_str(&format!("\n### {env}\n\n```mermaid\n{}```\n", picture.mermaid()));
        let report =
            check::run(&check::Environment { app: &name, environment: env, objects: &values_only, external: &external, exceptions: app.pss_exceptions(), crds: &model.crds() });
        findings.extend(report.findings);
        warnings.extend(report.warnings);
        used.extend(report.used_exceptions);
        // The default values are checked above; an environment's file adds what it sets.
        if !layers.is_empty() {
            // A value the defaults gave is reported once, at values.yaml.
            let from_defaults = check::secret_values_at(&secret_paths, &defaults);
            let own = check::secret_values_at(&secret_paths, &values).into_iter().filter(|set| !from_defaults.contains(set));
            findings.extend(own.map(|(path, _)| secret(env, path)));
        }
        layout::add_environment(&mut tree, &PathBuf::from("manifests").join(&name).join(env), &header, &name, env, &objects).map_err(render_err)?;
        let values = layers.first().map(|l| match l {
            Layer::File { text, .. } => *text,
            _ => "",
        });
        gitops::add_environment(&mut tree, app, settings, &gitops::Environment { name: env, values }, &layout::stages(&objects)).map_err(render_err)?;
    }
    for (i, e) in app.pss_exceptions().iter().enumerate() {
        if !used.contains(&i) {
            findings.push(Finding {
                app: name.clone(),
                environment: "every environment".into(),
                subject: format!("pss_exception({:?}, {})", e.container, e.control.title()),
                message: "no environment needs this exception: remove it".into(),
            });
        }
    }
    findings.dedup();
    if let Some(readme) = tree.get_mut(&chart_dir.join("README.md")) {
        readme.push_str(&format!("\n## Objects\n\nWhat each example environment renders, grouped by component, and how the objects connect\n(`kforge graph --app {name}` draws other values; dashed: made outside the chart).\n{pictures}"));
    }
    ownership::add_records(&mut tree, &owned_dirs(app));
    Ok(RenderedApp { tree, findings, warnings, environments })
}

/// Every file one application emits, or the findings of the check that stop it.
pub fn emit_app(app: &dyn Application) -> Result<Tree, EmitError> {
    let rendered = render_app(app)?;
    if rendered.findings.is_empty() { Ok(rendered.tree) } else { Err(EmitError::Findings(rendered.findings)) }
}

/// Renders and checks every application in `apps` and returns the whole tree with the
/// directories it may replace: those of each application, and with `prune` every directory
/// under `<out>/charts` and `<out>/manifests` (a full emit removes what retired applications
/// left; [`write_atomic`] touches only those with an emit record). Nothing is written; the
/// findings of all applications come together in one error.
pub fn render_all(apps: &[&dyn Application], out: &Path, prune: bool, settings: &gitops::Settings) -> Result<(Tree, Vec<PathBuf>), EmitError> {
    let mut tree = Tree::new();
    let mut owned: std::collections::BTreeSet<PathBuf> = std::collections::BTreeSet::new();
    let mut findings = Vec::new();
    for (app, rendered) in apps.iter().zip(render_apps(apps, settings)) {
        let rendered = rendered?;
        tree.extend(rendered.tree);
        findings.extend(rendered.findings);
        owned.extend(owned_dirs(*app));
    }
    if !findings.is_empty() {
        return Err(EmitError::Findings(findings));
    }
    if prune {
        owned.extend(existing_app_dirs(out));
    }
    Ok((tree, owned.into_iter().collect()))
}

/// `emit`: renders and checks every application of `apps` in memory, then writes them (see
/// [`write_atomic`]). Any error, a finding of the check or a foreign file among them, leaves
/// `out` as it was.
pub fn emit(apps: &[&dyn Application], out: &Path, prune: bool, settings: &gitops::Settings, options: Options) -> Result<Report, EmitError> {
    let (tree, owned) = render_all(apps, out, prune, settings)?;
    write_atomic(out, &tree, &owned, options).map_err(EmitError::Write)
}

/// Subdirectories of `<out>/charts`, `<out>/manifests` and `<out>/gitops` that exist now.
fn existing_app_dirs(out: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for top in TOPS {
        if let Ok(entries) = fs::read_dir(out.join(top)) {
            for entry in entries.flatten() {
                if entry.path().is_dir() {
                    dirs.push(PathBuf::from(top).join(entry.file_name()));
                }
            }
        }
    }
    dirs
}

/// [`render_app`] for each application, on threads, in `apps` order. Rendering is most of
/// `emit`'s own time and the applications are independent.
fn render_apps(apps: &[&dyn Application], settings: &gitops::Settings) -> Vec<Result<RenderedApp, EmitError>> {
    // One thread per application, up to four per core: applications differ in size, and with
    // as many threads as cores three applications on two cores leave one core idle while the
    // other renders two; the scheduler shares the cores more evenly than a fixed split can.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = apps.len().min(4 * cores).max(1);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| s.spawn(move || apps.iter().enumerate().skip(t).step_by(threads).map(|(i, app)| (i, render_app_with(*app, settings))).collect::<Vec<_>>()))
            .collect();
        let mut done: Vec<(usize, Result<RenderedApp, EmitError>)> = workers.into_iter().flat_map(|w| w.join().expect("a render thread panicked")).collect();
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, rendered)| rendered).collect()
    })
}

/// Every file of `apps`, rendered and checked on threads, merged into one tree; nothing is
/// written. The benchmarks' entry point.
pub fn emit_apps(apps: &[Box<dyn Application>]) -> Result<Tree, EmitError> {
    let apps: Vec<&dyn Application> = apps.iter().map(|a| a.as_ref()).collect();
    let mut out = Tree::new();
    for rendered in render_apps(&apps, &gitops::Settings::default()) {
        let rendered = rendered?;
        if !rendered.findings.is_empty() {
            return Err(EmitError::Findings(rendered.findings));
        }
        out.extend(rendered.tree);
    }
    Ok(out)
}

/// A file's text for a diff; `<not UTF-8>` for bytes that are no text. A link or special file
/// is never followed or read: its target is not emit's to show.
fn read_text(path: &Path) -> io::Result<String> {
    Ok(match no_follow::read_regular(path)? {
        Some(bytes) => String::from_utf8(bytes).unwrap_or_else(|_| String::from("<not UTF-8>")),
        None => String::from("<not a regular file: a link or special file, not read>"),
    })
}

/// What `emit --check` reports: a unified diff per file of the owned directories that differs,
/// is missing, or is stale (emit wrote it and no longer does), and each foreign entry (emit
/// did not write it and would refuse to replace its folder). Empty: `out` is what emit writes.
pub fn stale_files(out: &Path, tree: &Tree, owned: &[PathBuf]) -> io::Result<Vec<String>> {
    let mut on_disk = Tree::new();
    let mut foreign = Vec::new();
    let mut compared = Tree::new();
    for dir in owned {
        let wanted = tree.range(dir.clone()..).take_while(|(p, _)| p.starts_with(dir));
        let Some(existing) = ownership::inspect(out, dir, tree)? else {
            compared.extend(wanted.map(|(p, t)| (p.clone(), t.clone())));
            continue;
        };
        if !existing.recorded && wanted.clone().next().is_none() {
            continue; // a folder emit did not generate
        }
        compared.extend(wanted.map(|(p, t)| (p.clone(), t.clone())));
        for path in existing.ours {
            let text = read_text(&out.join(&path))?;
            on_disk.insert(path, text);
        }
        foreign.extend(existing.foreign);
    }
    // A file emit writes, edited by hand since (its record no longer matches): the edit, as a
    // diff, rather than "missing" and "foreign".
    let mut edited = Tree::new();
    for path in foreign.iter().filter(|p| compared.contains_key(*p)) {
        if let Ok(text) = read_text(&out.join(path)) {
            edited.insert(path.clone(), text);
        }
    }
    let mut diffs = Vec::new();
    // Content first, the records (`.kforge-files`, a hash per file) last: a reviewer reads what
    // changed before the lines that only say that it did.
    let mut paths: Vec<&PathBuf> = compared.keys().chain(on_disk.keys()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    paths.sort_by_key(|p| (p.file_name().is_some_and(|n| n == ownership::RECORD), *p));
    for path in paths {
        let want = compared.get(path).map(String::as_str).unwrap_or("");
        let have = on_disk.get(path).or_else(|| edited.get(path)).map(String::as_str).unwrap_or("");
        let there = on_disk.contains_key(path) || edited.contains_key(path);
        if want != have || compared.contains_key(path) != there {
            let shown = out.join(path).display().to_string();
            let diff = similar::TextDiff::from_lines(have, want);
            let label = match (there, compared.contains_key(path)) {
                _ if edited.contains_key(path) => "edited since emit wrote it: emit refuses to replace its folder while it is there",
                (false, _) => "missing",
                (_, false) => "stale",
                _ => "differs",
            };
            // git's a/ and b/ prefixes, once, before a relative or an absolute path.
            let (a, b) = if shown.starts_with('/') { (format!("a{shown}"), format!("b{shown}")) } else { (format!("a/{shown}"), format!("b/{shown}")) };
            diffs.push(format!("{shown} ({label})\n{}", diff.unified_diff().header(&a, &b)));
        }
    }
    for path in foreign.iter().filter(|p| !edited.contains_key(*p)) {
        diffs.push(format!("{} (foreign: emit did not write it, and refuses to replace its folder while it is there)\n", out.join(path).display()));
    }
    Ok(diffs)
}
