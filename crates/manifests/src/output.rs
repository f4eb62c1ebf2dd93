//! The emitted tree: every file of every selected application, rendered in memory first, then
//! written so that `charts-out` changes all at once or not at all.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::app::Application;
use crate::render::{self, Release};
use crate::values::{self, Layer, ValuesError};

/// Files by path relative to the output directory (`charts/backbone/Chart.yaml`, ...).
pub type Tree = BTreeMap<PathBuf, String>;

/// Why an application could not be emitted.
#[derive(Debug)]
pub enum EmitError {
    Values(ValuesError),
    Render { app: String, environment: String, message: String },
}

impl std::fmt::Display for EmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmitError::Values(e) => e.fmt(f),
            EmitError::Render { app, environment, message } => write!(f, "{app} ({environment}): {message}"),
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
pub fn owned_dirs(app: &dyn Application) -> [PathBuf; 2] {
    let name = &app.chart().name;
    [PathBuf::from("charts").join(name), PathBuf::from("manifests").join(name)]
}

/// Every file one application emits: its chart and its manifests for each environment
/// (`default`, unless the application needs values, plus one per example values file), as
/// release `<app>` in namespace `default`.
pub fn emit_app(app: &dyn Application) -> Result<Tree, EmitError> {
    let name = app.chart().name.clone();
    let model = app.model();
    let mut tree = Tree::new();
    let chart_dir = PathBuf::from("charts").join(&name);
    let files = render::chart_files(app, &model).map_err(|message| EmitError::Render { app: name.clone(), environment: "chart".into(), message })?;
    for (path, text) in files {
        tree.insert(chart_dir.join(path), text);
    }
    let release = Release { name: &name, namespace: "default" };
    let defaults = app.defaults();
    let mut envs: Vec<(&str, &str, Vec<Layer>)> = Vec::new();
    if app.needs_values().is_none() {
        envs.push(("default", "the defaults", Vec::new()));
    }
    for env in app.environments() {
        envs.push((env.name, env.path, vec![Layer::File { name: env.path, text: env.text }]));
    }
    for (env, source, layers) in envs {
        let values = values::load(&defaults, &layers, &|t| app.check(t))?;
        let text = render::manifests_yaml(app, &model, &values, release)
            .map_err(|message| EmitError::Render { app: name.clone(), environment: format!("values from {source}"), message })?;
        tree.insert(PathBuf::from("manifests").join(&name).join(format!("{env}.yaml")), text);
    }
    Ok(tree)
}

/// [`emit_app`] for each application, on threads, merged into one tree. Rendering is most of
/// `emit`'s own time and the applications are independent; an error is the first
/// application's in `apps` order, as a loop would give.
pub fn emit_apps(apps: &[Box<dyn Application>]) -> Result<Tree, EmitError> {
    // One thread per application, up to four per core: applications differ in size, and with
    // as many threads as cores three applications on two cores leave one core idle while the
    // other renders two; the scheduler shares the cores more evenly than a fixed split can.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = apps.len().min(4 * cores).max(1);
    let trees: Vec<Result<Tree, EmitError>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || apps.iter().enumerate().skip(t).step_by(threads).map(|(i, app)| (i, emit_app(app.as_ref()))).collect::<Vec<_>>())
            })
            .collect();
        let mut done: Vec<(usize, Result<Tree, EmitError>)> = workers.into_iter().flat_map(|w| w.join().expect("a render thread panicked")).collect();
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, tree)| tree).collect()
    });
    let mut out = Tree::new();
    for tree in trees {
        out.extend(tree?);
    }
    Ok(out)
}

fn write_tree(root: &Path, tree: &Tree) -> io::Result<()> {
    // Files come in path order, so a directory is created once, before its first file; asking
    // create_dir_all again for every file cost a stat and a failed mkdir each.
    let mut made: Option<PathBuf> = None;
    for (path, text) in tree {
        let full = root.join(path);
        if let Some(parent) = full.parent()
            && made.as_deref() != Some(parent)
        {
            fs::create_dir_all(parent)?;
            made = Some(parent.to_path_buf());
        }
        fs::write(full, text)?;
    }
    Ok(())
}

/// Writes `tree` under `out`, replacing exactly the directories in `owned` (and removing files
/// they no longer contain). Everything is written to a temporary directory beside `out` first;
/// only when that succeeded are the owned directories swapped in, each with one rename.
pub fn write_atomic(out: &Path, tree: &Tree, owned: &[PathBuf]) -> io::Result<()> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent)?;
    let staging = tempfile::Builder::new().prefix(".kforge-staging-").tempdir_in(parent)?;
    write_tree(staging.path(), tree)?;
    fs::create_dir_all(out)?;
    let trash = tempfile::Builder::new().prefix(".kforge-old-").tempdir_in(parent)?;
    for (i, dir) in owned.iter().enumerate() {
        let target = out.join(dir);
        let fresh = staging.path().join(dir);
        if let Some(p) = target.parent() {
            fs::create_dir_all(p)?;
        }
        if target.exists() {
            fs::rename(&target, trash.path().join(i.to_string()))?;
        }
        if fresh.exists() {
            fs::rename(&fresh, &target)?;
        }
    }
    Ok(())
}

/// Compares `tree` with what is on disk in the owned directories: a unified diff per file that
/// differs, is missing, or is stale (on disk but no longer emitted).
pub fn check(out: &Path, tree: &Tree, owned: &[PathBuf]) -> io::Result<Vec<String>> {
    let mut on_disk = Tree::new();
    for dir in owned {
        collect(out, &out.join(dir), &mut on_disk)?;
    }
    let mut diffs = Vec::new();
    let paths: std::collections::BTreeSet<&PathBuf> = tree.keys().chain(on_disk.keys()).collect();
    for path in paths {
        let want = tree.get(path).map(String::as_str).unwrap_or("");
        let have = on_disk.get(path).map(String::as_str).unwrap_or("");
        if want != have || tree.contains_key(path) != on_disk.contains_key(path) {
            let shown = out.join(path).display().to_string();
            let diff = similar::TextDiff::from_lines(have, want);
            let label = match (on_disk.contains_key(path), tree.contains_key(path)) {
                (false, _) => "missing",
                (_, false) => "stale",
                _ => "differs",
            };
            diffs.push(format!("{shown} ({label})\n{}", diff.unified_diff().header(&format!("a/{shown}"), &format!("b/{shown}"))));
        }
    }
    Ok(diffs)
}

fn collect(root: &Path, dir: &Path, into: &mut Tree) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            collect(root, &path, into)?;
        } else {
            let rel = path.strip_prefix(root).expect("under root").to_path_buf();
            into.insert(rel, fs::read_to_string(&path).unwrap_or_else(|_| String::from("<unreadable>")));
        }
    }
    Ok(())
}
