//! `kforge upgrade-check`: what an installed release meets when it upgrades to what emit writes
//! now, against what a git revision committed under the output directory. Per chart:
//!
//! 1. every object of every committed environment against the same object now: a field the API
//!    server will not change ([`crate::immutable`]) is breaking, and so is an object that holds
//!    data and disappears, and an environment no longer emitted. The manifests are the chart
//!    rendered with each environment's values (the contract, docs/src/contract.md), so this covers the
//!    chart too;
//! 2. values: the base's default values and every base environment file must still load, and
//!    the schemas are compared setting by setting ([`crate::compat`]);
//! 3. any other change of the chart's files needs a patch version.
//!
//! The chart's version must then have grown at least as much as the weightiest change needs
//! ([`crate::version`]), and a breaking change needs an upgrade note for the new version
//! ([`kforge::ChartMeta::upgrade_note`]), which the chart README lists.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use kforge::Application;
use kforge::output::Tree;
use kforge::values::{self, Layer};
use serde_json::Value;

use crate::compat;
use crate::git::{self, Files};
use crate::immutable;
use crate::version::{self, Bump};

/// One difference between the base and now, with what it weighs.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub bump: Bump,
    /// The environment whose objects differ, for object changes.
    pub environment: Option<String>,
    /// `StatefulSet/aeterna-qdrant`, for object changes.
    pub object: Option<String>,
    /// The field or values path.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let weight = match self.bump {
            Bump::Breaking => "breaking",
            Bump::Minor => "new",
            Bump::Patch => "changed",
            Bump::None => "same",
        };
        write!(f, "[{weight}]")?;
        if let Some(e) = &self.environment {
            write!(f, " {e}:")?;
        }
        if let Some(o) = &self.object {
            write!(f, " {o}")?;
        }
        if let Some(field) = &self.field {
            write!(f, " {field}")?;
        }
        write!(f, " {}", self.message)
    }
}

/// The check of one chart.
#[derive(Debug)]
pub struct Report {
    pub app: String,
    /// The revision compared with, `None` for a chart git has never seen.
    pub base: Option<String>,
    pub base_version: Option<String>,
    pub version: String,
    pub changes: Vec<Change>,
    /// What fails the check: a version that did not grow enough, a breaking change without an
    /// upgrade note.
    pub problems: Vec<String>,
}

impl Report {
    /// The weightiest change.
    pub fn needed(&self) -> Bump {
        self.changes.iter().map(|c| c.bump).max().unwrap_or(Bump::None)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(base) = &self.base else {
            return writeln!(f, "{}: a new chart at {}, nothing to compare", self.app, self.version);
        };
        let short = &base[..base.len().min(12)];
        let from = self.base_version.as_deref().unwrap_or("?");
        let status = if self.problems.is_empty() { "ok" } else { "FAILED" };
        writeln!(f, "{}: {} at {short} -> {} now, needs {}: {status}", self.app, from, self.version, self.needed())?;
        for c in &self.changes {
            writeln!(f, "  {c}")?;
        }
        for p in &self.problems {
            writeln!(f, "  error: {p}")?;
        }
        Ok(())
    }
}

fn parse_stream(name: &str, text: &str) -> Result<Vec<Value>, String> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| format!("{name}: not YAML: {e}"))?;
    Ok(docs.into_iter().filter(|d| d.is_object()).collect())
}

/// `Kind/name` (with the group for custom resources, the namespace when it has one).
fn identity(o: &Value) -> (String, String) {
    let api = o.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let group = api.rsplit_once('/').map_or("", |(g, _)| g);
    let kind = o.get("kind").and_then(Value::as_str).unwrap_or("?");
    let meta = o.get("metadata");
    let name = meta.and_then(|m| m.get("name")).and_then(Value::as_str).unwrap_or("?");
    let namespace = meta.and_then(|m| m.get("namespace")).and_then(Value::as_str).unwrap_or("");
    let kind = if group.is_empty() || ["apps", "batch", "rbac.authorization.k8s.io", "networking.k8s.io", "policy", "autoscaling"].contains(&group) {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    };
    (format!("{group}/{kind}/{namespace}/{name}"), format!("{kind}/{name}"))
}

fn under<'a>(files: &'a Files, dir: &'a Path) -> impl Iterator<Item = (&'a PathBuf, &'a String)> + 'a {
    files.iter().filter(move |(p, _)| p.starts_with(dir) && !p.ends_with(kforge::output::ownership::RECORD))
}

/// Compares `app` as emitted now (`now`, the tree emit writes) with `base`, the files `rev`
/// committed under the output directory.
pub fn compare(app: &dyn Application, base: &Files, now: &Tree, rev: &str) -> Vec<Change> {
    let name = &app.chart().name;
    let chart_dir = PathBuf::from("charts").join(name);
    let manifests_dir = PathBuf::from("manifests").join(name);
    let mut changes = Vec::new();
    let change = |bump, environment: Option<&str>, object: Option<String>, field: Option<String>, message: String| Change {
        bump,
        environment: environment.map(str::to_string),
        object,
        field,
        message,
    };

    // 1. Objects, environment by environment: `<env>/<stage>/<object>.yaml` now, `<env>.yaml`
    //    in output committed before environment directories.
    let before_envs = kforge::output::layout::environment_files(under(base, &manifests_dir), &manifests_dir);
    let now_envs = kforge::output::layout::environment_files(now.iter(), &manifests_dir);
    for (env, base_files) in &before_envs {
        let env = env.as_str();
        let Some(now_files) = now_envs.get(env) else {
            let shown = base_files.first().map(|(p, _)| p.display().to_string()).unwrap_or_default();
            changes.push(change(Bump::Breaking, Some(env), None, None, format!("is no longer emitted ({shown} is gone)")));
            continue;
        };
        let parse_all = |files: &[(PathBuf, &str)], prefix: &str| -> Result<Vec<Value>, String> {
            let mut all = Vec::new();
            for (path, text) in files {
                all.extend(parse_stream(&format!("{prefix}{}", path.display()), text)?);
            }
            Ok(all)
        };
        let (before, after) = match (parse_all(base_files, &format!("{rev}:")), parse_all(now_files, "")) {
            (Ok(b), Ok(a)) => (b, a),
            (Err(e), _) | (_, Err(e)) => {
                changes.push(change(Bump::Breaking, Some(env), None, None, format!("cannot be compared: {e}")));
                continue;
            }
        };
        let after: BTreeMap<String, &Value> = after.iter().map(|o| (identity(o).0, o)).collect();
        for old in &before {
            let (key, shown) = identity(old);
            match after.get(&key) {
                Some(new) => {
                    for r in immutable::refused(old, new) {
                        changes.push(change(Bump::Breaking, Some(env), Some(shown.clone()), Some(r.field), format!("cannot change in an installed release ({})", r.message)));
                    }
                }
                None if immutable::holds_data(old) => {
                    let namespace = |o: &Value| o.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("").to_string();
                    let moved = after.values().find(|o| identity(o).1 == shown && namespace(o) != namespace(old));
                    let message = match moved {
                        Some(new) => format!(
                            "holds data and moved from namespace {:?} to {:?}: applying creates a new one, and the data stays with the old one",
                            namespace(old),
                            namespace(new)
                        ),
                        None => "holds data and is no longer rendered (removed or renamed): an upgrade leaves its data behind".into(),
                    };
                    changes.push(change(Bump::Breaking, Some(env), Some(shown), None, message));
                }
                None => {}
            }
        }
    }

    // 2. Values: the base's defaults and environment files still load; the schema did not
    //    narrow.
    for (path, text) in under(base, &chart_dir) {
        let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
        if file == "values.yaml" || (file.starts_with("values-") && file.ends_with(".yaml")) {
            let shown = format!("{rev}:{}", path.display());
            if let Err(e) = values::load(&app.defaults(), &[Layer::File { name: &shown, text }], &|t| app.validate(t)) {
                changes.push(change(Bump::Breaking, None, None, None, format!("a values file of the base is refused now: {e}")));
            }
        }
    }
    let schema_path = chart_dir.join("values.schema.json");
    match base.get(&schema_path).map(|t| serde_json::from_str::<Value>(t)) {
        Some(Ok(old)) => {
            for c in compat::compare(&old, &app.schema()) {
                changes.push(change(c.bump, None, None, Some(format!("values {}", c.path)), c.message));
            }
        }
        Some(Err(e)) => changes.push(change(Bump::Breaking, None, None, None, format!("the base's values.schema.json is not JSON: {e}"))),
        None => {}
    }

    // 2b. The chart's own rules (`reject_when`): one the base did not have may refuse values an
    //     installed release was given. (The API server's rules refuse nothing that installed.)
    let validate = chart_dir.join("templates/validate.yaml");
    if let (Some(Some(before)), Some(Some(after))) = (base.get(&validate).map(|t| own_rules(t)), now.get(&validate).map(|t| own_rules(t))) {
        for (_, message) in after.iter().filter(|(test, _)| !before.iter().any(|(b, _)| b == test)) {
            changes.push(change(Bump::Breaking, None, None, None, format!("a rule of the chart's own may refuse values the base took: {message}")));
        }
    }

    // 3. Any other change of the chart's files.
    let before: BTreeMap<&PathBuf, &String> = under(base, &chart_dir).collect();
    let after: BTreeMap<&PathBuf, &String> = now.iter().filter(|(p, _)| p.starts_with(&chart_dir) && !p.ends_with(kforge::output::ownership::RECORD)).collect();
    let mut differ: Vec<String> =
        before.keys().chain(after.keys()).filter(|p| before.get(*p) != after.get(*p)).map(|p| p.strip_prefix(&chart_dir).unwrap_or(p).display().to_string()).collect();
    differ.sort();
    differ.dedup();
    if !differ.is_empty() {
        let more = differ.len().saturating_sub(6);
        let mut list = differ.iter().take(6).cloned().collect::<Vec<_>>().join(", ");
        if more > 0 {
            list.push_str(&format!(" and {more} more"));
        }
        changes.push(change(Bump::Patch, None, None, None, format!("chart files differ: {list}")));
    }
    changes
}

/// The application's own rules of a `templates/validate.yaml`: `(condition, fail message)` of
/// each `if` block before [`kforge::render::chart::API_RULES_MARK`]. `None` for a file written
/// before the mark, where the two kinds cannot be told apart.
fn own_rules(text: &str) -> Option<Vec<(String, String)>> {
    let (own, _) = text.split_once(kforge::render::chart::API_RULES_MARK)?;
    let lines: Vec<&str> = own.lines().map(str::trim).collect();
    Some(
        lines
            .windows(2)
            .filter_map(|w| {
                let test = w[0].strip_prefix("{{- if ")?.strip_suffix(" }}")?;
                let message = w[1].strip_prefix("{{- fail ")?.strip_suffix(" }}")?;
                Some((test.to_string(), message.trim_matches('"').to_string()))
            })
            .collect(),
    )
}

/// The upgrade check of one chart against `base` (a revision), or, without one, against the
/// commit that introduced the chart's previous version ([`git::previous_release`]). `repo` is
/// the repository, `out_dir` the output directory relative to it (`charts-out`), `now` what
/// emit writes. Errors: git fails or the revision does not exist.
pub fn check(repo: &Path, out_dir: &str, app: &dyn Application, now: &Tree, base: Option<&str>) -> Result<Report, String> {
    let meta = app.chart();
    let name = &meta.name;
    let chart_yaml = format!("{out_dir}/charts/{name}/Chart.yaml");
    let rev = match base {
        Some(rev) => Some(git::resolve(repo, rev)?),
        None if git::is_shallow(repo)? => {
            return Err(format!("{} is a shallow clone: the previous releases are not in its history; run `git fetch --unshallow`, or give --base", repo.display()));
        }
        None => git::previous_release(repo, &chart_yaml, &meta.version)?,
    };
    let mut report = Report { app: name.clone(), base: None, base_version: None, version: meta.version.clone(), changes: Vec::new(), problems: Vec::new() };
    let Some(rev) = rev else { return Ok(report) };
    let files = git::committed(repo, &rev, out_dir, &[format!("charts/{name}"), format!("manifests/{name}")])?;
    let Some(base_version) = files.get(&PathBuf::from("charts").join(name).join("Chart.yaml")).and_then(|t| git::chart_version(t)) else {
        return Ok(report);
    };
    report.base = Some(rev.clone());
    report.base_version = Some(base_version.clone());
    report.changes = compare(app, &files, now, &rev[..rev.len().min(12)]);
    let needed = report.needed();
    let (from, to) = (version::parse(&base_version).map_err(|e| format!("{name} at {rev}: {e}"))?, version::parse(&meta.version).map_err(|e| format!("{name}: {e}"))?);
    // The version the notes must be written for: the one this check asks for when the chart's
    // own is not enough yet, so that both messages name the same version.
    let mut wanted = meta.version.clone();
    if !version::is_enough(&from, &to, needed) {
        wanted = version::next(&from, needed).to_string();
        report.problems.push(format!(
            "version {} does not follow {base_version} far enough: the changes need {needed}; set the version to {} (ChartMeta in {})",
            meta.version,
            version::next(&from, needed),
            app.source()
        ));
    }
    // A version that was released (tagged `<name>-<version>`, as chart-releaser and the book's
    // release workflow tag it) must not change any more.
    let tag = format!("{name}-{}", meta.version);
    if git::resolve(repo, &format!("refs/tags/{tag}")).is_ok() {
        let released = git::committed(repo, &format!("refs/tags/{tag}"), out_dir, &[format!("charts/{name}")])?;
        let at_tag = compare(app, &released, now, &tag);
        if let Some(c) = at_tag.iter().find(|c| c.bump != Bump::None) {
            report.problems.push(format!("version {} was released (tag {tag}) and the chart changed since ({c}): give it a new version", meta.version));
        }
    }
    if needed == Bump::Breaking && !meta.upgrade_notes.iter().any(|n| n.version == wanted) {
        report.problems.push(format!(
            "breaking changes need an upgrade note for version {wanted}: what an operator must do before `helm upgrade` (ChartMeta::upgrade_note(\"{wanted}\", \"...\") in {})",
            app.source()
        ));
    }
    Ok(report)
}
