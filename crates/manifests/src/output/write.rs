//! Writing the emitted tree: each generated directory changes all at once or not at all, and
//! nothing emit did not write is replaced or removed unless the caller asks.
//!
//! The steps, each change on disk counted by [`fault::op`] for the fault-injection tests:
//! 1. refuse an output directory, `charts/`, `manifests/` or `gitops/` that is a symbolic link
//!    or a file (writing through a link would write outside `--out`);
//! 2. lock the output directory (a second emit into it waits), and remove the staging
//!    directories a killed emit left in it;
//! 3. sort every generated directory's entries into emit's and foreign ones
//!    ([`ownership`]); foreign entries stop the write unless [`Options::delete_foreign`];
//! 4. write the directories that change into a staging directory inside the output directory;
//! 5. swap each changed directory in with one `renameat2(RENAME_EXCHANGE)`, so that at every
//!    instant the directory is entirely the old one or entirely the new one. A failure undoes
//!    the swaps made so far, so a failed write leaves the output as it was;
//! 6. remove the staging directory, which now holds the old directories.
//!
//! The guarantee is against the process dying (a kill, a full disk), not against power loss:
//! nothing is synced to disk.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::Tree;
use super::fault;
use super::ownership::{self, Existing};

/// Prefix of the staging directory inside the output directory; one left by a killed emit is
/// removed by the next.
const STAGING_PREFIX: &str = ".kforge-staging-";

/// The file that marks a staging directory as emit's (written first thing): a folder of the
/// user's that happens to have the prefix is never removed.
const STAGING_MARKER: &str = ".kforge-staging";

/// How [`write_atomic`] treats what it did not write.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Delete foreign entries under the generated directories instead of refusing to write.
    pub delete_foreign: bool,
}

/// Why the output could not be written. Nothing was changed, except where a message says an
/// undo failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum WriteError {
    /// Entries under generated directories that emit did not write, relative to `out`.
    Foreign { out: PathBuf, entries: Vec<PathBuf> },
    /// `path` is a symbolic link or a file where emit needs a directory of its own.
    NotADirectory { path: PathBuf, found: &'static str },
    /// A file system operation failed.
    Io { path: PathBuf, action: &'static str, error: io::Error },
    /// A swap failed and undoing the swaps before it failed too: the directories listed in
    /// `undo` are the new ones, the others the old ones, until the next emit.
    Mixed { path: PathBuf, error: io::Error, undo: Vec<String> },
}

impl WriteError {
    /// Whether the output is as it was before the write (always, but after [`WriteError::Mixed`]).
    pub fn output_unchanged(&self) -> bool {
        !matches!(self, WriteError::Mixed { .. })
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Foreign { out, entries } => {
                write!(f, "{} holds {} file(s) or folder(s) that emit did not write (or that were edited since), in folders it generates:", out.display(), entries.len())?;
                for entry in entries {
                    let full = out.join(entry);
                    let kind = match fs::symlink_metadata(&full) {
                        Ok(m) if m.is_symlink() => " (a symbolic link)",
                        Ok(m) if m.is_dir() => " (a folder with no generated file)",
                        Ok(m) if !m.is_file() => " (not a regular file)",
                        _ => "",
                    };
                    // Escaped, so that a name with a line break cannot pass for two entries.
                    write!(f, "\n  {}{kind}", full.display().to_string().escape_debug())?;
                }
                write!(
                    f,
                    "\nemit replaces these folders whole and would lose them. Move them out of the generated folders (a chart of your own \
                     belongs in a folder of its own under charts/), or run emit with --delete-foreign to delete them"
                )
            }
            WriteError::NotADirectory { path, found } => {
                write!(f, "{} is {found}: emit writes only into a real directory, so that nothing outside the output directory changes", path.display())
            }
            WriteError::Io { path, action, error } => write!(f, "{}: cannot {action}: {error}", path.display()),
            WriteError::Mixed { path, error, undo } => {
                write!(f, "{}: cannot swap in the new directory: {error}; undoing the swaps before it failed too ({}): run emit again", path.display(), undo.join("; "))
            }
        }
    }
}

impl std::error::Error for WriteError {}

/// What a write changed in one generated directory (relative to the output directory).
#[derive(Debug, Clone, PartialEq)]
pub struct DirChange {
    pub dir: PathBuf,
    /// Files new or different.
    pub written: usize,
    /// Files of emit's that it no longer writes.
    pub removed: usize,
    /// Foreign entries deleted (with [`Options::delete_foreign`] only).
    pub deleted_foreign: usize,
}

/// What [`write_atomic`] did.
#[derive(Debug, Default)]
pub struct Report {
    /// Directories swapped in or removed, in path order.
    pub changed: Vec<DirChange>,
    /// Directories that already held exactly the tree's files.
    pub unchanged: Vec<PathBuf>,
    /// What went wrong after the output was complete (the staging directory could not be
    /// removed); the next emit retries.
    pub warnings: Vec<String>,
}

fn io_err(path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> WriteError + use<> {
    let path = path.to_path_buf();
    move |error| WriteError::Io { path, action, error }
}

/// Refuses a symbolic link or a file at `path`; `Ok(false)`: nothing there.
fn real_dir(path: &Path) -> Result<bool, WriteError> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_err(path, "read")(e)),
        Ok(m) if m.is_symlink() => Err(WriteError::NotADirectory { path: path.to_path_buf(), found: "a symbolic link" }),
        Ok(m) if !m.is_dir() => Err(WriteError::NotADirectory { path: path.to_path_buf(), found: "a file, not a directory" }),
        Ok(_) => Ok(true),
    }
}

/// Holds an exclusive lock on the output directory while it lives (advisory, `flock`).
struct Lock(#[allow(dead_code)] Option<fs::File>);

fn lock(out: &Path) -> Lock {
    // Where directories cannot be opened or locked, emits are not serialized; nothing else
    // depends on the lock.
    let file = fs::File::open(out).ok().filter(|f| f.lock().is_ok());
    Lock(file)
}

/// Staging directories of killed emits: a directory with the prefix that holds the marker, or
/// nothing at all (killed before the marker was written).
fn leftovers(out: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(out) else { return Vec::new() };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(STAGING_PREFIX) && e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .filter(|p| p.join(STAGING_MARKER).is_file() || fs::read_dir(p).is_ok_and(|mut d| d.next().is_none()))
        .collect();
    found.sort();
    found
}

/// Removes a staging directory, its marker last: killed at any point, what is left still holds
/// the marker (or nothing), so the next emit knows it for its own and removes it.
fn remove_all(path: &Path) -> io::Result<()> {
    fault::op("remove", path)?;
    let marker = path.join(STAGING_MARKER);
    for entry in fs::read_dir(path)? {
        let entry = entry?;
        if entry.path() == marker {
            continue;
        }
        // A point of its own for the tests that kill emit at every step: killed here, the
        // folder is half removed and still marked.
        fault::op("remove", &entry.path())?;
        if entry.file_type()?.is_dir() {
            fs::remove_dir_all(entry.path())?;
        } else {
            fs::remove_file(entry.path())?;
        }
    }
    match fs::remove_file(&marker) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    fs::remove_dir(path)
}

/// Reads what emit wrote under one directory.
fn read_ours(out: &Path, existing: &Existing) -> Result<Tree, WriteError> {
    let mut files = Tree::new();
    for path in &existing.ours {
        let full = out.join(path);
        // Not UTF-8 text: never equal to what emit writes, so the directory is rewritten.
        let text = super::no_follow::read_regular(&full).map_err(io_err(&full, "read"))?.unwrap_or_default();
        files.insert(path.clone(), String::from_utf8(text).unwrap_or_default());
    }
    Ok(files)
}

/// One generated directory and what happens to it.
struct Plan {
    dir: PathBuf,
    exists: bool,
    /// The tree has files for it; otherwise it is removed (a retired application's).
    wanted: bool,
    change: DirChange,
}

/// Writes `tree` under `out`, where `owned` are the generated directories (relative to `out`)
/// emit may replace: each one the tree has files for is replaced by them when its files differ;
/// each one the tree has nothing for is removed if it holds an emit record, and otherwise (a
/// folder of another chart) left alone. See the module documentation for the steps.
///
/// Errors: [`WriteError::Foreign`] when a generated directory holds entries emit did not write
/// (unless `options.delete_foreign`), [`WriteError::NotADirectory`] for an output directory,
/// `charts/`, `manifests/` or `gitops/` that is a link or a file, [`WriteError::Io`] with the
/// path for anything the file system refuses. On any error the output is as it was.
pub fn write_atomic(out: &Path, tree: &Tree, owned: &[PathBuf], options: Options) -> Result<Report, WriteError> {
    // `link/` and `link/.` name the directory a link points to: checked as `link`, they are
    // refused as links are.
    // As spelled: `link/charts/..` is `link`, refused below, not the link's target.
    let out: PathBuf = super::no_follow::lexical(out);
    let result = write(&out, tree, owned, options);
    fault::report();
    result
}

fn write(out: &Path, tree: &Tree, owned: &[PathBuf], options: Options) -> Result<Report, WriteError> {
    let out_exists = real_dir(out)?;
    let tops: BTreeSet<PathBuf> = owned.iter().filter_map(|d| d.components().next()).map(|c| out.join(c)).collect();
    for top in &tops {
        real_dir(top)?;
    }
    let mut _lock = if out_exists { lock(out) } else { Lock(None) };
    let mut report = Report::default();
    for old in leftovers(out) {
        if let Err(e) = remove_all(&old) {
            report.warnings.push(format!("{}: cannot remove what an interrupted emit left: {e}", old.display()));
        }
    }

    let mut foreign = Vec::new();
    let mut plans = Vec::new();
    for dir in owned {
        let wanted: Tree = tree.range(dir.clone()..).take_while(|(p, _)| p.starts_with(dir)).map(|(p, t)| (p.clone(), t.clone())).collect();
        let existing = ownership::inspect(out, dir, tree).map_err(io_err(&out.join(dir), "read"))?;
        let Some(existing) = existing else {
            if !wanted.is_empty() {
                let change = DirChange { dir: dir.clone(), written: wanted.len(), removed: 0, deleted_foreign: 0 };
                plans.push(Plan { dir: dir.clone(), exists: false, wanted: true, change });
            }
            continue;
        };
        if wanted.is_empty() && !existing.recorded {
            // A folder emit did not generate (another chart, kept by hand): never touched.
            continue;
        }
        let on_disk = read_ours(out, &existing)?;
        let deleted_foreign = existing.foreign.len();
        foreign.extend(existing.foreign);
        if deleted_foreign == 0 && on_disk == wanted {
            report.unchanged.push(dir.clone());
            continue;
        }
        let written = wanted.iter().filter(|(p, t)| on_disk.get(*p) != Some(*t)).count();
        let removed = on_disk.keys().filter(|p| !wanted.contains_key(*p)).count();
        let change = DirChange { dir: dir.clone(), written, removed, deleted_foreign };
        plans.push(Plan { dir: dir.clone(), exists: true, wanted: !wanted.is_empty(), change });
    }
    if !foreign.is_empty() && !options.delete_foreign {
        return Err(WriteError::Foreign { out: out.to_path_buf(), entries: foreign });
    }
    if plans.is_empty() {
        return Ok(report);
    }

    if !out_exists {
        fault::op("create", out).map_err(io_err(out, "create the directory"))?;
        fs::create_dir_all(out).map_err(io_err(out, "create the directory"))?;
        _lock = lock(out);
    }
    let result = stage(out, tree, &plans).and_then(|staging| {
        let swapped = swap(out, staging.path(), &plans);
        // The staging directory now holds the old directories (or, after a failure, the new
        // ones).
        let staging = staging.keep();
        if let Err(e) = remove_all(&staging) {
            report.warnings.push(format!("{}: cannot remove the staging directory: {e}; the next emit removes it", staging.display()));
        }
        swapped
    });
    if result.is_err() && !out_exists {
        // Created for this write: leave no empty directory behind.
        let _ = fs::remove_dir(out);
    }
    result?;
    report.changed = plans.into_iter().map(|p| p.change).collect();
    Ok(report)
}

/// Writes the new content of every planned directory into a fresh staging directory in `out`:
/// `new/<dir>/...`, with `old/` for the directories swapped out.
fn stage(out: &Path, tree: &Tree, plans: &[Plan]) -> Result<tempfile::TempDir, WriteError> {
    fault::op("create", out).map_err(io_err(out, "create a staging directory"))?;
    let staging = tempfile::Builder::new().prefix(STAGING_PREFIX).tempdir_in(out).map_err(io_err(out, "create a staging directory"))?;
    let result = (|| {
        let marker = staging.path().join(STAGING_MARKER);
        fault::op("write", &marker).map_err(io_err(&marker, "write"))?;
        fs::write(&marker, "a staging directory of kforge emit; the next emit removes it if it is left\n").map_err(io_err(&marker, "write"))?;
        let old = staging.path().join("old");
        fault::op("create", &old).map_err(io_err(&old, "create the directory"))?;
        fs::create_dir(&old).map_err(io_err(&old, "create the directory"))?;
        // Files come in path order, so a directory is created once, before its first file.
        let mut made: Option<PathBuf> = None;
        for plan in plans.iter().filter(|p| p.wanted) {
            for (path, text) in tree.range(plan.dir.clone()..).take_while(|(p, _)| p.starts_with(&plan.dir)) {
                let full = staging.path().join("new").join(path);
                if let Some(parent) = full.parent()
                    && made.as_deref() != Some(parent)
                {
                    fault::op("create", parent).map_err(io_err(parent, "create the directory"))?;
                    fs::create_dir_all(parent).map_err(io_err(parent, "create the directory"))?;
                    made = Some(parent.to_path_buf());
                }
                fault::op("write", &full).map_err(io_err(&full, "write"))?;
                fs::write(&full, text).map_err(io_err(&full, "write"))?;
            }
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(staging),
        Err(e) => {
            // The half-written staging directory goes, its marker last; a kill leaves it to the
            // next emit.
            let _ = remove_all(&staging.keep());
            Err(e)
        }
    }
}

/// A swap made, for undoing it.
enum Done {
    /// `target` and `fresh` were exchanged.
    Exchanged { target: PathBuf, fresh: PathBuf },
    /// `from` was renamed to `to`.
    Renamed { from: PathBuf, to: PathBuf },
    /// A directory was created (the parent of a new application directory).
    Created(PathBuf),
}

/// Swaps every planned directory in; on a failure undoes the swaps made so far.
fn swap(out: &Path, staging: &Path, plans: &[Plan]) -> Result<(), WriteError> {
    let mut done: Vec<Done> = Vec::new();
    let mut result = Ok(());
    for (i, plan) in plans.iter().enumerate() {
        if let Err(e) = swap_one(out, staging, i, plan, &mut done) {
            result = Err(e);
            break;
        }
    }
    if let Err(e) = result {
        let mut failed_undo = Vec::new();
        for step in done.into_iter().rev() {
            let undone = match &step {
                Done::Exchanged { target, fresh } => exchange(target, fresh).map(|_| ()),
                Done::Renamed { from, to } => fs::rename(to, from),
                Done::Created(dir) => fs::remove_dir(dir),
            };
            if let Err(undo) = undone {
                failed_undo.push(match step {
                    Done::Exchanged { target, .. } | Done::Renamed { to: target, .. } | Done::Created(target) => format!("{}: {undo}", target.display()),
                });
            }
        }
        if failed_undo.is_empty() {
            return Err(e);
        }
        let (path, error) = match e {
            WriteError::Io { path, error, .. } => (path, error),
            other => (out.to_path_buf(), io::Error::other(other.to_string())),
        };
        return Err(WriteError::Mixed { path, error, undo: failed_undo });
    }
    Ok(())
}

fn swap_one(out: &Path, staging: &Path, i: usize, plan: &Plan, done: &mut Vec<Done>) -> Result<(), WriteError> {
    let target = out.join(&plan.dir);
    let fresh = staging.join("new").join(&plan.dir);
    let old = staging.join("old").join(i.to_string());
    let rename = |from: &Path, to: &Path, done: &mut Vec<Done>| {
        fault::op("rename", to).map_err(io_err(to, "rename into place"))?;
        fs::rename(from, to).map_err(io_err(to, "rename into place"))?;
        done.push(Done::Renamed { from: from.to_path_buf(), to: to.to_path_buf() });
        Ok::<_, WriteError>(())
    };
    match (plan.exists, plan.wanted) {
        (true, true) => {
            fault::op("exchange", &target).map_err(io_err(&target, "swap in the new directory"))?;
            if exchange(&target, &fresh).map_err(io_err(&target, "swap in the new directory"))? {
                done.push(Done::Exchanged { target, fresh });
            } else {
                // No atomic exchange here: two renames, and a kill between them leaves the
                // directory missing until the next emit.
                rename(&target, &old, done)?;
                rename(&fresh, &target, done)?;
            }
        }
        (true, false) => rename(&target, &old, done)?,
        (false, _) => {
            let mut missing = Vec::new();
            let mut parent = target.parent();
            while let Some(p) = parent.filter(|p| !p.exists()) {
                missing.push(p.to_path_buf());
                parent = p.parent();
            }
            for dir in missing.into_iter().rev() {
                fault::op("create", &dir).map_err(io_err(&dir, "create the directory"))?;
                fs::create_dir(&dir).map_err(io_err(&dir, "create the directory"))?;
                done.push(Done::Created(dir));
            }
            rename(&fresh, &target, done)?;
        }
    }
    Ok(())
}

/// Exchanges two directories atomically. `Ok(false)`: this system or file system cannot, and
/// nothing was changed.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS || e == rustix::io::Errno::NOTSUP => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<bool> {
    Ok(false)
}
