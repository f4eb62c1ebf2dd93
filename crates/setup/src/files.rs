//! Writing the outputs without losing anyone's edits.
//!
//! Every file the wizard owns starts with a comment line that carries the SHA-256 of the rest of
//! the file as written. On a rerun a file whose content still matches its stamp is the wizard's
//! own and is replaced; one that does not (edited since, or never written by the wizard) is
//! replaced only when the user says so: `--force` with an answers file, a yes at the prompt in
//! the wizard. A replaced edited file is first copied to `<name>.bak`. Files are written to a
//! temporary file in the same directory and renamed over the old one, so a failure leaves the
//! old file whole; secret files get mode 0600.
//!
//! Nothing is read or written through a symbolic link the user did not give: an output, the
//! folders between `--out` and it (`.aeterna`), and `opencode.json` are refused when they are
//! links ([`no_links`]), and a backup is a new file (`O_EXCL`), never one a dangling link names.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const STAMP: &str = "kforge-setup-sha256:";

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// `body` under a first comment line with `note` and the stamp.
pub fn stamped(note: &str, body: &str) -> String {
    format!("# {note} ({STAMP} {})\n{body}", sha256(body))
}

/// True when `text` is a stamped file whose content matches its stamp.
pub fn intact(text: &str) -> bool {
    let Some((first, rest)) = text.split_once('\n') else { return false };
    let Some(at) = first.find(STAMP) else { return false };
    let hash = first[at + STAMP.len()..].trim_start().get(..64).unwrap_or_default();
    hash == sha256(rest)
}

/// A file to write.
#[derive(Clone, Debug)]
pub struct Planned {
    pub path: PathBuf,
    /// How the summary names it.
    pub shown: String,
    pub text: String,
    /// Holds credentials: mode 0600, and the summary says to keep it out of version control.
    pub secret: bool,
    /// Owned by the wizard and stamped (opencode.json is the user's own file).
    pub owned: bool,
    /// The folder the user gave (`--out`): `path` and the folders below it must not be links.
    pub base: PathBuf,
}

/// Refuses `path` when it, or a folder between `base` and it, is a symbolic link: the wizard
/// would write through it (or, renaming over it, silently turn a dotfiles link into a file).
pub fn no_links(base: &Path, path: &Path) -> Result<(), String> {
    for at in path.ancestors().take_while(|a| *a != base && !a.as_os_str().is_empty() && *a != Path::new(".")) {
        if fs::symlink_metadata(at).is_ok_and(|m| m.is_symlink()) {
            let target = fs::read_link(at).map(|t| format!(" (to {})", t.display())).unwrap_or_default();
            return Err(format!("{}: is a symbolic link{target}; kforge setup writes no file through a link: remove the link, or give the real path instead", at.display()));
        }
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Not there yet.
    New,
    /// There with exactly this content.
    Same,
    /// The wizard's own earlier output: replaced.
    Update,
    /// Changed by someone since the wizard wrote it (or not the wizard's): replaced only on a yes.
    Changed,
}

impl Planned {
    pub fn state(&self) -> Result<State, String> {
        no_links(&self.base, &self.path)?;
        let old = match fs::read(&self.path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::New),
            Err(e) => return Err(format!("{}: cannot read: {e}", self.path.display())),
        };
        Ok(if old == self.text {
            State::Same
        } else if self.owned && intact(&old) {
            State::Update
        } else {
            State::Changed
        })
    }
}

/// `<path>.bak`, or `<path>.bak.N` with the first free N, so no backup overwrites another.
fn backup_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut candidate = path.with_file_name(format!("{name}.bak"));
    let mut n = 1;
    // A dangling link counts as taken: `exists` would follow it and call the name free.
    while fs::symlink_metadata(&candidate).is_ok() {
        candidate = path.with_file_name(format!("{name}.bak.{n}"));
        n += 1;
    }
    candidate
}

/// Copies the current file aside, to a new file with the same permissions; returns where.
pub fn back_up(path: &Path) -> Result<PathBuf, String> {
    let to = backup_path(path);
    let err = |e: std::io::Error| format!("{}: cannot back up to {}: {e}", path.display(), to.display());
    let bytes = fs::read(path).map_err(err)?;
    let mut options = fs::OpenOptions::new();
    // A new file only: a link planted at the name since is not written through.
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(fs::metadata(path).map_err(err)?.permissions().mode() & 0o777);
    }
    options.open(&to).and_then(|mut f| f.write_all(&bytes)).map_err(err)?;
    Ok(to)
}

/// Writes `text` to `path` atomically; `secret` files get mode 0600 (a backup of one too).
pub fn write(path: &Path, text: &str, secret: bool) -> Result<(), String> {
    let err = |e: std::io::Error| format!("{}: cannot write: {e}", path.display());
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create the directory: {e}", dir.display()))?;
    let existing_mode = fs::metadata(path).ok().map(|m| m.permissions());
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    tmp.write_all(text.as_bytes()).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // A temporary file is 0600; other files get what the old one had, or 0644.
        let mode = if secret { fs::Permissions::from_mode(0o600) } else { existing_mode.unwrap_or_else(|| fs::Permissions::from_mode(0o644)) };
        fs::set_permissions(tmp.path(), mode).map_err(err)?;
    }
    #[cfg(not(unix))]
    let _ = (secret, existing_mode);
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_detect_edits() {
        let text = stamped("written by kforge setup", "a: 1\n");
        assert!(intact(&text));
        assert!(!intact(&text.replace("a: 1", "a: 2")));
        assert!(!intact("a: 1\n"));
        assert!(!intact(&format!("# x ({STAMP} short)\na\n")));
    }

    #[test]
    fn secret_files_are_private_and_backups_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/.env");
        write(&p, "K=v\n", true).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(back_up(&p).unwrap(), dir.path().join("sub/.env.bak"));
        assert_eq!(back_up(&p).unwrap(), dir.path().join("sub/.env.bak.1"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(dir.path().join("sub/.env.bak")).unwrap().permissions().mode() & 0o777, 0o600, "a backup of a secret is private");
            // A dangling link where the next backup would go: skipped, its target never made.
            let outside = dir.path().join("outside.env");
            std::os::unix::fs::symlink(&outside, dir.path().join("sub/.env.bak.2")).unwrap();
            assert_eq!(back_up(&p).unwrap(), dir.path().join("sub/.env.bak.3"));
            assert!(!outside.exists(), "written through a dangling link");
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_below_the_output_folder_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        std::os::unix::fs::symlink(&elsewhere, out.join(".aeterna")).unwrap();
        let err = no_links(&out, &out.join(".aeterna/config.toml")).unwrap_err();
        assert!(err.contains(".aeterna: is a symbolic link (to ") && err.contains("writes no file through a link"), "{err}");
        std::os::unix::fs::symlink(elsewhere.join("x"), out.join("opencode.json")).unwrap();
        assert!(no_links(&out, &out.join("opencode.json")).is_err());
        // The folder the user gave may itself be a link.
        let linked_out = dir.path().join("linked-out");
        std::os::unix::fs::symlink(&elsewhere, &linked_out).unwrap();
        no_links(&linked_out, &linked_out.join(".env")).unwrap();
    }
}
