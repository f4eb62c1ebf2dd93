//! `kforge package`: a chart as the `.tgz` Helm installs and pushes, the same bytes on every run.
//!
//! The archive is what `helm package` writes: a gzip'd tar of `<name>/` holding the chart's
//! files (emit's record of them, `.kforge-files`, left out as the chart's `.helmignore` says).
//! Unlike `helm package`, nothing depends on the clock, the user or the file system: entries in
//! path order, mode 0644, owner 0, modification time 0, gzip header without a time. A
//! `--version`/`--app-version` renders the chart with that Chart.yaml (and README) rather than
//! rewriting text.
//!
//! The gzip header's comment says `kforge`: that is how `package` knows a `.tgz` in its output
//! folder is its own, and it never replaces one that is not.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use kforge::{Application, WithChart, render};

/// The comment in the gzip header of every package kforge writes.
const GZIP_COMMENT: &str = "kforge";

/// A packaged chart.
#[derive(Debug)]
pub struct Package {
    /// `<name>-<version>.tgz`, the name `helm package` gives it.
    pub file_name: String,
    pub version: String,
    pub bytes: Vec<u8>,
}

/// Packages `app`'s chart, with `version` and `app_version` in place of its own when given.
/// Errors: a version that is not SemVer 2 (Helm refuses it), a chart that does not render.
pub fn package(app: &dyn Application, version: Option<&str>, app_version: Option<&str>) -> Result<Package, String> {
    let mut chart = app.chart().clone();
    if let Some(v) = version {
        crate::version::parse(v).map_err(|e| format!("--version: {e}"))?;
        chart.version = v.to_string();
    }
    if let Some(v) = app_version {
        // It becomes the `app.kubernetes.io/version` label and the default image tag: both
        // rules at once (a label value: 63 characters, alphanumeric at both ends; a tag:
        // letters, digits, `_`, `.`, `-`).
        let inner_ok = v.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        let ends_ok = v.starts_with(|c: char| c.is_ascii_alphanumeric()) && v.ends_with(|c: char| c.is_ascii_alphanumeric());
        if v.len() > 63 || !inner_ok || !ends_ok {
            return Err(format!(
                "--app-version {v:?}: it becomes the app.kubernetes.io/version label and the default image tag, so give at most 63 letters, \
                 digits, '.', '_' or '-', beginning and ending with a letter or digit (such as 1.2.3)"
            ));
        }
        chart.app_version = v.to_string();
    }
    let versioned = WithChart { base: app, chart };
    let files = render::chart_files(&versioned, &versioned.model()).map_err(|e| format!("{}: the chart does not render: {e}", app.chart().name))?;
    let name = &versioned.chart.name;
    let bytes = archive(name, &files).map_err(|e| format!("{name}: cannot build the archive: {e}"))?;
    Ok(Package { file_name: format!("{name}-{}.tgz", versioned.chart.version), version: versioned.chart.version.clone(), bytes })
}

fn archive(name: &str, files: &BTreeMap<String, String>) -> std::io::Result<Vec<u8>> {
    let gz = flate2::GzBuilder::new().comment(GZIP_COMMENT).operating_system(255).write(Vec::new(), flate2::Compression::best());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    for (path, text) in files {
        if path.ends_with(kforge::output::ownership::RECORD) {
            continue;
        }
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, format!("{name}/{path}"), text.as_bytes())?;
    }
    let mut gz = tar.into_inner()?;
    gz.flush()?;
    gz.finish()
}

/// Whether `bytes` is a package kforge wrote (its gzip header's comment).
pub fn is_ours(bytes: &[u8]) -> bool {
    let decoder = flate2::read::GzDecoder::new(bytes);
    decoder.header().and_then(|h| h.comment()) == Some(GZIP_COMMENT.as_bytes())
}

/// Writes `packages` into `out` (created when missing). A file of the same name is replaced only
/// when kforge wrote it; anything else there is left alone. Errors name the file; nothing is
/// written when one would replace a file that is not ours. Returns the paths written.
pub fn write(out: &Path, packages: &[Package]) -> Result<Vec<PathBuf>, String> {
    // As spelled: `link/.` is `link`, refused below as the link it is.
    let out = &kforge::output::no_follow::lexical(out);
    let mut foreign = Vec::new();
    for p in packages {
        let path = out.join(&p.file_name);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_symlink() || !m.is_file() => foreign.push(path),
            Ok(_) => match kforge::output::no_follow::read_regular(&path).map_err(|e| format!("{}: cannot read: {e}", path.display()))? {
                Some(existing) if is_ours(&existing) => {}
                _ => foreign.push(path),
            },
            Err(_) => {}
        }
    }
    if std::fs::symlink_metadata(out).is_ok_and(|m| !m.is_dir()) {
        return Err(format!("--out {}: is a file (or a link), not a directory", out.display()));
    }
    if !foreign.is_empty() {
        let list: Vec<String> = foreign.iter().map(|p| format!("  {}", p.display())).collect();
        return Err(format!("these files exist and kforge did not write them; move them away, nothing was written:\n{}", list.join("\n")));
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: cannot create the directory: {e}", out.display()))?;
    let mut written = Vec::new();
    for p in packages {
        let path = out.join(&p.file_name);
        // Written beside, then renamed over: a reader never sees half a package. The temporary
        // file is new (O_EXCL, a random name), so nothing planted there is written through.
        let prefix = format!(".{}.", p.file_name);
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".partial");
        // Readable by all, as `helm package` writes a package (a temporary file is 0600).
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
        let mut tmp = builder.tempfile_in(out).map_err(|e| format!("{}: cannot create a temporary file: {e}", out.display()))?;
        std::io::Write::write_all(&mut tmp, &p.bytes).map_err(|e| format!("{}: cannot write: {e}", tmp.path().display()))?;
        tmp.persist(&path).map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
