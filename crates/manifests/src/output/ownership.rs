//! Which files under an application directory `emit` wrote, so that it replaces and removes
//! only those.
//!
//! Every generated directory (`charts/<app>/`, `manifests/<app>/`) carries a record,
//! [`RECORD`], listing the files emit wrote there with the SHA-256 of each (the format of
//! `sha256sum`, so `sha256sum -c .kforge-files` checks it) and the directory it was written for.
//! The record is emitted like any other file, so it is swapped in with its directory in one
//! rename: the directory and its record never disagree, even when emit is killed. A file is
//! emit's when the record lists it with its current content: a file edited since, a file the
//! record does not list, and every file of a record copied to another directory (a chart forked
//! by copying its folder) are foreign. A generated header alone could not tell: JSON
//! (`values.schema.json`) has no comments, and a header is copied along with a file.
//!
//! A directory without a record (written before records existed) holds only what is
//! byte-identical to what emit writes now at that path as emit's; the rest is foreign, for the
//! user to move away or delete with `--delete-foreign` once.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use kforge_record::{Record, parse_record, sha256, slashed};

use super::Tree;

pub use kforge_record::{RECORD, read_record, record};

/// Adds the record of each of `dirs` to `tree`.
pub fn add_records(tree: &mut Tree, dirs: &[PathBuf]) {
    for dir in dirs {
        let text = record(tree, dir);
        tree.insert(dir.join(RECORD), text);
    }
}

/// What is in an existing generated directory.
#[derive(Debug, Default)]
pub struct Existing {
    /// Whether the directory has a record (emit wrote it since records exist).
    pub recorded: bool,
    /// Files emit wrote (paths relative to the output directory).
    pub ours: BTreeSet<PathBuf>,
    /// Everything else: files emit did not write, symbolic links, other entries and
    /// directories that hold none of emit's files (relative to the output directory).
    pub foreign: Vec<PathBuf>,
}

/// Sorts the entries of `out/dir` into emit's and foreign ones. `tree` is what emit writes now:
/// in a directory without a record, a file identical to the one emit writes at its path is
/// emit's. A record written for another directory counts as none (`recorded` is false). Never
/// follows a symbolic link. `Ok(None)`: the directory does not exist.
pub fn inspect(out: &Path, dir: &Path, tree: &Tree) -> io::Result<Option<Existing>> {
    let full = out.join(dir);
    match fs::symlink_metadata(&full) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
        Ok(m) if !m.is_dir() => {
            return Ok(Some(Existing { recorded: false, ours: BTreeSet::new(), foreign: vec![dir.to_path_buf()] }));
        }
        Ok(_) => {}
    }
    // A record that is a link, a FIFO or a device is no record (and a foreign entry, below).
    let record = match super::no_follow::read_regular(&full.join(RECORD))? {
        Some(bytes) => Some(parse_record(&String::from_utf8_lossy(&bytes))).filter(|r| r.folder.as_deref() == Some(slashed(dir).as_str())),
        None => None,
    };
    let mut existing = Existing { recorded: record.is_some(), ..Existing::default() };
    // The record emit writes now holds the hash of every file it writes: a file on disk that is
    // byte for byte what emit writes has that hash, so it need not be hashed again.
    let fresh = tree.get(&dir.join(RECORD)).map(|t| parse_record(t));
    walk(out, dir, dir, record.as_ref(), fresh.as_ref(), tree, &mut existing)?;
    Ok(Some(existing))
}

/// The bytes of a regular file under `out`; `None` for anything else or what cannot be read.
fn read(out: &Path, path: &Path) -> Option<Vec<u8>> {
    super::no_follow::read_regular(&out.join(path)).ok().flatten()
}

/// Returns whether `rel` (a directory) holds at least one of emit's files.
fn walk(out: &Path, dir: &Path, rel: &Path, record: Option<&Record>, fresh: Option<&Record>, tree: &Tree, into: &mut Existing) -> io::Result<bool> {
    let mut entries: Vec<_> = fs::read_dir(out.join(rel))?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    let mut holds_ours = false;
    for entry in entries {
        let path = rel.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            let listed = into.foreign.len();
            if walk(out, dir, &path, record, fresh, tree, into)? {
                holds_ours = true;
            } else {
                // A folder with nothing of emit's is named once, not file by file.
                into.foreign.truncate(listed);
                into.foreign.push(path);
            }
            continue;
        }
        let in_dir = path.strip_prefix(dir).expect("under its directory");
        let ours = kind.is_file()
            && match record {
                // A record is emit's to replace, in any format it ever wrote (the first had no
                // hashes), even one copied from another folder.
                _ if in_dir == Path::new(RECORD) => read(out, &path).is_some_and(|b| b.starts_with(b"# generated by kforge")),
                Some(r) => r.files.get(in_dir).is_some_and(|hash| {
                    read(out, &path).is_some_and(|b| match (tree.get(&path), fresh.and_then(|f| f.files.get(in_dir))) {
                        (Some(now), Some(now_hash)) if b == now.as_bytes() => now_hash == hash,
                        _ => sha256(&b) == *hash,
                    })
                }),
                None => tree.get(&path).is_some_and(|t| read(out, &path).is_some_and(|b| b == t.as_bytes())),
            };
        if ours {
            into.ours.insert(path);
            holds_ours = true;
        } else {
            into.foreign.push(path);
        }
    }
    Ok(holds_ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_paths_ending_in_a_carriage_return() {
        let mut tree = Tree::new();
        tree.insert(PathBuf::from("charts/app/a\r"), "x".into());
        tree.insert(PathBuf::from("charts/app/a"), "y".into());
        let (folder, files) = read_record(&record(&tree, Path::new("charts/app")));
        assert_eq!(folder.as_deref(), Some("charts/app"));
        assert_eq!(files.keys().cloned().collect::<Vec<_>>(), vec![PathBuf::from("a"), PathBuf::from("a\r")]);
    }

    fn tree(files: &[(&str, &str)]) -> Tree {
        files.iter().map(|(p, t)| (PathBuf::from(p), t.to_string())).collect()
    }

    #[test]
    fn a_record_lists_the_files_of_its_directory_only_with_their_hashes() {
        let t = tree(&[("charts/a/Chart.yaml", ""), ("charts/a/templates/x.yaml", "x"), ("charts/ab/Chart.yaml", ""), ("manifests/a/default.yaml", "")]);
        let text = record(&t, Path::new("charts/a"));
        let r = parse_record(&text);
        assert_eq!(r.folder.as_deref(), Some("charts/a"));
        assert_eq!(r.files.keys().cloned().collect::<Vec<_>>(), [PathBuf::from("Chart.yaml"), PathBuf::from("templates/x.yaml")]);
        // sha256sum's format and values.
        assert!(text.contains("2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  templates/x.yaml"), "{text}");
    }

    fn write(out: &Path, p: &str, t: &str) {
        let p = out.join(p);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, t).unwrap();
    }

    #[test]
    fn files_are_emits_only_as_the_record_lists_them() {
        let out = tempfile::tempdir().unwrap();
        let o = out.path();
        let wrote = tree(&[("charts/a/Chart.yaml", "name: a\n"), ("charts/a/values.yaml", "x: 1\n")]);
        write(o, "charts/a/.kforge-files", &record(&wrote, Path::new("charts/a")));
        write(o, "charts/a/Chart.yaml", "name: a\n");
        write(o, "charts/a/values.yaml", "x: 2\n"); // edited since
        write(o, "charts/a/templates/extra.yaml", "# generated by kforge from x; do not edit\n");
        fs::create_dir_all(o.join("charts/a/empty")).unwrap();
        let e = inspect(o, Path::new("charts/a"), &Tree::new()).unwrap().unwrap();
        assert!(e.recorded);
        assert_eq!(e.ours, ["charts/a/.kforge-files", "charts/a/Chart.yaml"].iter().map(PathBuf::from).collect());
        assert_eq!(e.foreign, [PathBuf::from("charts/a/empty"), PathBuf::from("charts/a/templates"), PathBuf::from("charts/a/values.yaml")]);
        // Without a record: only the bytes emit writes now; a copied header does not count.
        write(o, "charts/b/Chart.yaml", "# generated by kforge from x; do not edit\n");
        write(o, "charts/b/values.schema.json", "{}");
        let now = tree(&[("charts/b/values.schema.json", "{}")]);
        let e = inspect(o, Path::new("charts/b"), &now).unwrap().unwrap();
        assert!(!e.recorded);
        assert_eq!(e.foreign, [PathBuf::from("charts/b/Chart.yaml")]);
        assert!(inspect(o, Path::new("charts/none"), &now).unwrap().is_none());
        // A generated folder copied under another name: its record is not for it, so its files
        // are the user's (the copied record itself is emit's to replace).
        let copy = tree(&[("charts/c/Chart.yaml", "name: a\n")]);
        write(o, "charts/fork/.kforge-files", &record(&copy, Path::new("charts/c")));
        write(o, "charts/fork/Chart.yaml", "name: a\n");
        let e = inspect(o, Path::new("charts/fork"), &Tree::new()).unwrap().unwrap();
        assert!(!e.recorded);
        assert_eq!(e.ours, [PathBuf::from("charts/fork/.kforge-files")].into_iter().collect());
        assert_eq!(e.foreign, [PathBuf::from("charts/fork/Chart.yaml")]);
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_are_foreign_and_never_followed() {
        let out = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        fs::write(elsewhere.path().join("Chart.yaml"), "# generated by kforge from x; do not edit\n").unwrap();
        fs::create_dir_all(out.path().join("charts/a")).unwrap();
        fs::write(out.path().join("charts/a/.kforge-files"), record(&Tree::new(), Path::new("charts/a"))).unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), out.path().join("charts/a/linked")).unwrap();
        let e = inspect(out.path(), Path::new("charts/a"), &Tree::new()).unwrap().unwrap();
        assert_eq!(e.foreign, [PathBuf::from("charts/a/linked")]);
        std::os::unix::fs::symlink(elsewhere.path(), out.path().join("charts/b")).unwrap();
        let e = inspect(out.path(), Path::new("charts/b"), &Tree::new()).unwrap().unwrap();
        assert_eq!(e.foreign, [PathBuf::from("charts/b")]);
    }
}
