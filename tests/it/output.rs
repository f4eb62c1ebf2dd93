//! `emit` never loses a file it did not write, and each generated folder changes all at once:
//! hand-kept charts beside the generated ones, foreign files inside them, emit killed (SIGKILL)
//! at every step of a run but the middle of staging a folder, a disk that fills up (injected
//! at the same steps, and a real full tmpfs), and output folders that are links, files or
//! read-only.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::support::*;

fn emit(out: &Path, extra: &[&str]) -> Output {
    run(kforge().arg("emit").arg("--out").arg(out).args(extra))
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// Every entry directly in `dir`, by name.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir).expect("read_dir").map(|e| e.expect("entry").file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn hand_kept_charts_and_manifests_beside_the_generated_ones_are_never_touched() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let deploy = tmp.path().join("deploy");
    write(&deploy.join("charts/ingress-nginx/Chart.yaml"), "apiVersion: v2\n");
    write(&deploy.join("manifests/monitoring/dashboards.yaml"), "kind: ConfigMap\n");
    // A folder of the user's whose name looks like emit's staging folders.
    write(&deploy.join(".kforge-staging-notes/todo.txt"), "mine\n");
    for round in 0..2 {
        let out = emit(&deploy, &[]);
        assert!(out.status.success(), "round {round}: {}", text(&out.stderr));
        assert_eq!(std::fs::read_to_string(deploy.join("charts/ingress-nginx/Chart.yaml")).expect("kept"), "apiVersion: v2\n");
        assert_eq!(std::fs::read_to_string(deploy.join("manifests/monitoring/dashboards.yaml")).expect("kept"), "kind: ConfigMap\n");
        assert_eq!(std::fs::read_to_string(deploy.join(".kforge-staging-notes/todo.txt")).expect("kept"), "mine\n");
    }
    // The summary says what changed: everything the first time, nothing the second.
    let again = text(&emit(&deploy, &[]).stderr);
    assert!(again.contains("backbone: unchanged") && again.contains("aeterna: unchanged"), "{again}");
    // --check looks at the generated folders only.
    let check = emit(&deploy, &["--check"]);
    assert!(check.status.success(), "{}{}", text(&check.stdout), text(&check.stderr));
}

#[test]
fn a_file_added_to_a_generated_chart_stops_emit_until_moved_or_deleted_on_request() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    assert!(emit(&out, &[]).status.success());
    write(&out.join("charts/backbone/templates/extra.yaml"), "kind: ConfigMap\n");
    std::fs::create_dir_all(out.join("manifests/dbbat/notes")).expect("mkdir");
    let elsewhere = tmp.path().join("elsewhere");
    write(&elsewhere.join("keep.txt"), "mine\n");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&elsewhere, out.join("charts/backend/linked")).expect("symlink");
    // A change emit wants to write (an older emit's Chart.yaml), so that refusing is not just
    // "nothing to do".
    write_as_emitted(&out, "charts/backbone", "Chart.yaml", "older\n");
    let before = tree_digest(&out);

    for args in [&[][..], &["--app", "backbone"][..]] {
        let refused = emit(&out, args);
        let err = text(&refused.stderr);
        assert!(!refused.status.success(), "{args:?}: emit replaced a folder holding a foreign file");
        assert!(err.contains(&out.join("charts/backbone/templates/extra.yaml").display().to_string()), "{err}");
        assert!(err.contains("--delete-foreign") && err.contains("nothing was written"), "{err}");
        if args.is_empty() {
            assert!(err.contains("manifests/dbbat/notes (a folder with no generated file)"), "{err}");
            assert!(err.contains("charts/backend/linked (a symbolic link)"), "{err}");
        }
        assert!(before == tree_digest(&out), "{args:?}: a refused emit changed the output");
    }
    let check = emit(&out, &["--check"]);
    assert!(!check.status.success());
    assert!(text(&check.stdout).contains("templates/extra.yaml (foreign"), "{}", text(&check.stdout));

    let deleted = emit(&out, &["--delete-foreign"]);
    assert!(deleted.status.success(), "{}", text(&deleted.stderr));
    assert!(text(&deleted.stderr).contains("backbone: 2 written, 1 foreign deleted"), "{}", text(&deleted.stderr));
    assert!(!out.join("charts/backbone/templates/extra.yaml").exists() && !out.join("charts/backend/linked").exists());
    assert_eq!(std::fs::read_to_string(elsewhere.join("keep.txt")).expect("the link's target is kept"), "mine\n");
    assert_eq!(tree_digest(&out), tree_digest(&root().join("charts-out")));
}

// ----- faults --------------------------------------------------------------------------------

/// The output of an earlier version: every file as committed, except that the GitOps folders of
/// two applications differ (an edited file, a file emit no longer writes, a missing file), an
/// application's manifests are missing, and a retired application left two folders with their
/// records. A full emit swaps two folders in, creates one, removes two, and leaves the others
/// alone: every kind of step, in few operations (each file written is one: the smallest
/// folders).
fn old_output(out: &Path) {
    copy_dir(&root().join("charts-out"), out);
    for dir in ["gitops/backbone", "gitops/dbbat"] {
        let files = recorded_files(&out.join(dir));
        let text = std::fs::read_to_string(out.join(dir).join(&files[0])).expect("read") + "# from an older version\n";
        write_as_emitted(out, dir, &files[0], &text);
        std::fs::remove_file(out.join(dir).join(&files[files.len() - 1])).expect("remove");
        write_as_emitted(out, dir, "retired.yaml", "kind: ConfigMap\n");
    }
    std::fs::remove_dir_all(out.join("manifests/dbbat")).expect("remove");
    for dir in ["charts/retired", "manifests/retired"] {
        write_as_emitted(out, dir, "default.yaml", "kind: ConfigMap\n");
    }
}

/// The files of each generated folder (`charts/<app>`, `manifests/<app>`, `gitops/<app>`); anything else
/// under `<out>` under its own name.
fn by_folder(out: &Path) -> BTreeMap<PathBuf, BTreeMap<PathBuf, Vec<u8>>> {
    let mut folders: BTreeMap<PathBuf, BTreeMap<PathBuf, Vec<u8>>> = BTreeMap::new();
    for (path, bytes) in tree_digest(out) {
        let folder: PathBuf = path.components().take(2).collect();
        folders.entry(folder).or_default().insert(path, bytes);
    }
    folders
}

/// Runs a full emit into a fresh old output with `KFORGE_TEST_FAULT` set to `fault`; for
/// `stop@N`, kills it (SIGKILL) once it stopped there. Returns the output folder, whether the
/// run finished and its standard error.
fn faulted_emit(tmp: &Path, fault: &str) -> (PathBuf, Option<bool>, String) {
    let out = tmp.join("out");
    if out.exists() {
        std::fs::remove_dir_all(&out).expect("clean");
    }
    old_output(&out);
    let mut child = kforge().args(["emit", "--out"]).arg(&out).env("KFORGE_TEST_FAULT", fault).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("spawn kforge");
    let mut stderr = String::new();
    let mut lines = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    while lines.read_line(&mut line).expect("read stderr") > 0 {
        stderr.push_str(&line);
        if line.contains("test fault: stopped before operation") {
            child.kill().expect("SIGKILL");
            child.wait().expect("wait");
            return (out, None, stderr);
        }
        line.clear();
    }
    let status = child.wait().expect("wait");
    (out, Some(status.success()), stderr)
}

/// The operations of a full emit into the old output, by number: `(what, path)`.
fn operations() -> Vec<(usize, String)> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (_, done, stderr) = faulted_emit(tmp.path(), "count");
    assert_eq!(done, Some(true), "{stderr}");
    let count = stderr.lines().find_map(|l| l.strip_prefix("kforge: test fault: ")?.strip_suffix(" operations")?.parse().ok());
    let count: usize = count.unwrap_or_else(|| panic!("no operation count in {stderr}"));
    let ops: Vec<(usize, String)> = stderr
        .lines()
        .filter_map(|l| {
            let (n, what) = l.strip_prefix("kforge: test fault: operation ")?.split_once(": ")?;
            Some((n.parse().ok()?, what.to_string()))
        })
        .collect();
    assert_eq!(ops.iter().map(|(n, _)| *n).collect::<Vec<_>>(), (1..=count).collect::<Vec<_>>(), "operations are listed in order: {stderr}");
    // Three folders written and swapped in, two removed.
    assert!(count > 20, "only {count} operations");
    ops
}

/// The operations worth stopping or failing at: every one but those in the middle of staging a
/// generated folder. Staging writes into `<staging>/new/<kind>/<app>/`, a folder not yet in
/// place, each step like its neighbours: the first and last step of each such folder stay, and
/// so does every step outside staging (the marker, the swaps, renames and removals).
fn fault_points(ops: &[(usize, String)]) -> Vec<usize> {
    let staged_folder = |i: usize| -> Option<String> {
        let (_, what) = ops.get(i)?;
        let (_, inside) = what.split_once(".kforge-staging-")?;
        let (_, below) = inside.split_once("/new/")?;
        Some(below.split('/').take(2).collect::<Vec<_>>().join("/"))
    };
    let points: Vec<usize> = (0..ops.len())
        .filter(|&i| {
            let folder = staged_folder(i);
            folder.is_none() || i == 0 || staged_folder(i - 1) != folder || staged_folder(i + 1) != folder
        })
        .map(|i| ops[i].0)
        .collect();
    eprintln!("{} operations, {} of them fault points", ops.len(), points.len());
    points
}

/// Runs `each` for every operation number of `points` on two threads, each in its own
/// temporary folder.
fn for_every_operation(points: &[usize], each: impl Fn(&Path, usize) + Sync) {
    std::thread::scope(|s| {
        for t in 0..2 {
            let each = &each;
            s.spawn(move || {
                let tmp = tempfile::tempdir().expect("tempdir");
                for &k in points.iter().skip(t).step_by(2) {
                    each(tmp.path(), k);
                }
            });
        }
    });
}

/// After an interrupted or failed emit: nothing beside the output folder, and the next emit
/// leaves exactly the new output with no staging folder.
fn repaired(tmp: &Path, out: &Path, new: &BTreeMap<PathBuf, Vec<u8>>, k: usize) {
    assert_eq!(names(tmp), ["out"], "operation {k}: something was written beside the output folder");
    let again = emit(out, &[]);
    assert!(again.status.success(), "operation {k}: the next emit failed: {}", text(&again.stderr));
    assert!(tree_digest(out) == *new, "operation {k}: the next emit did not repair the output");
    assert_eq!(names(out), ["charts", "gitops", "manifests"], "operation {k}: a staging folder is left behind");
}

#[test]
fn emit_killed_at_every_operation_leaves_each_folder_old_or_new_and_the_next_emit_repairs() {
    let points = fault_points(&operations());
    let n = points.len();
    let tmp = tempfile::tempdir().expect("tempdir");
    old_output(&tmp.path().join("old"));
    let old = by_folder(&tmp.path().join("old"));
    let new = tree_digest(&root().join("charts-out"));
    let new_folders = by_folder(&root().join("charts-out"));
    let killed = std::sync::atomic::AtomicUsize::new(0);
    for_every_operation(&points, |tmp, k| {
        let (out, done, stderr) = faulted_emit(tmp, &format!("stop@{k}"));
        assert_eq!(done, None, "operation {k}: emit finished without reaching it: {stderr}");
        killed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let now = by_folder(&out);
        for folder in old.keys().chain(new_folders.keys()) {
            let is = now.get(folder);
            assert!(is == old.get(folder) || is == new_folders.get(folder), "killed before operation {k}: {} is neither the old nor the new one", folder.display());
        }
        repaired(tmp, &out, &new, k);
    });
    assert_eq!(killed.into_inner(), n, "every fault point is a kill point");
}

#[test]
fn a_write_that_fails_at_any_operation_leaves_the_old_output_and_says_where() {
    let points = fault_points(&operations());
    let tmp = tempfile::tempdir().expect("tempdir");
    old_output(&tmp.path().join("old"));
    let old = tree_digest(&tmp.path().join("old"));
    let new = tree_digest(&root().join("charts-out"));
    for_every_operation(&points, |tmp, k| {
        let (out, done, stderr) = faulted_emit(tmp, &format!("fail@{k}"));
        match done {
            Some(false) => {
                assert!(stderr.contains("No space left on device") && stderr.contains(&out.display().to_string()), "operation {k}: {stderr}");
                assert!(stderr.contains("nothing was written"), "operation {k}: {stderr}");
                assert!(tree_digest(&out) == old, "a write that failed at operation {k} changed the output");
                assert_eq!(names(&out), ["charts", "gitops", "manifests"], "operation {k}: a failed write left a staging folder");
            }
            // Only removing the staging folder may fail once the output is complete: a warning.
            Some(true) => assert!(stderr.contains("warning:") && stderr.contains("the next emit removes it"), "operation {k}: {stderr}"),
            None => panic!("operation {k}: killed?"),
        }
        repaired(tmp, &out, &new, k);
    });
}

/// A real full disk: the old output on a small tmpfs (in a mount namespace of its own) with
/// a few pages free, so that emit fails while staging.
#[test]
fn a_full_disk_fails_with_a_clear_error_and_the_old_output_intact() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let old = tmp.path().join("old");
    old_output(&old);
    let (mnt, after) = (tmp.path().join("mnt"), tmp.path().join("after"));
    std::fs::create_dir(&mnt).expect("mkdir");
    let script = r#"set -u
mount -t tmpfs -o size=4m tmpfs "$MNT" || exit 90
cp -a "$OLD" "$MNT/out"
dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null
truncate -s -32K "$MNT/filler"
"$KFORGE" emit --out "$MNT/out" 2>"$ERR"
echo "rc=$?"
cat "$ERR"
rm "$MNT/filler"
cp -a "$MNT/out" "$AFTER"
"#;
    let root_user = run(Command::new("id").arg("-u")).stdout == b"0\n";
    let unshare: &[&str] = if root_user { &["--mount"] } else { &["--mount", "--map-root-user"] };
    let out = run(Command::new("unshare")
        .args(unshare)
        .args(["sh", "-c", script])
        .env("MNT", &mnt)
        .env("OLD", &old)
        .env("AFTER", &after)
        .env("ERR", tmp.path().join("stderr"))
        .env("KFORGE", env!("CARGO_BIN_EXE_kforge"))
        .current_dir(root()));
    let said = text(&out.stdout);
    assert_ne!(out.status.code(), Some(90), "cannot mount a tmpfs here (needs root or user namespaces): {}", text(&out.stderr));
    assert!(said.starts_with("rc=1\n"), "emit did not fail on a full disk: {said}{}", text(&out.stderr));
    assert!(said.contains("No space left on device") && said.contains("/out/.kforge-staging-"), "{said}");
    assert!(said.contains("nothing was written"), "{said}");
    assert!(tree_digest(&after) == tree_digest(&old), "a full disk changed the output");
    assert_eq!(names(&after), ["charts", "gitops", "manifests"], "a staging folder was left on the full disk");
}

// ----- the output folder ---------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn output_folders_that_are_links_or_files_are_refused_and_nothing_outside_changes() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().expect("tempdir");
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).expect("mkdir");
    write(&elsewhere.join("keep.txt"), "mine\n");
    type Make = fn(&Path, &Path);
    let cases: [(&str, Make, &str); 4] = [
        ("out is a link", |out, target| symlink(target, out).expect("symlink"), "is a symbolic link"),
        (
            "charts is a link",
            |out, target| {
                std::fs::create_dir(out).expect("mkdir");
                symlink(target, out.join("charts")).expect("symlink")
            },
            "is a symbolic link",
        ),
        ("manifests is a file", |out, _| write(&out.join("manifests"), "a file\n"), "is a file, not a directory"),
        ("out is a file", |out, _| std::fs::write(out, "a file\n").expect("write"), "is a file, not a directory"),
    ];
    for (what, make, expect) in cases {
        let out = tmp.path().join(what.replace(' ', "-"));
        make(&out, &elsewhere);
        let before = (std::fs::symlink_metadata(&out).map(|m| m.is_file()).ok(), tree_digest(&elsewhere));
        let refused = emit(&out, &[]);
        let err = text(&refused.stderr);
        assert!(!refused.status.success(), "{what}: emit wrote");
        assert!(err.contains(expect) && err.contains("nothing was written"), "{what}: {err}");
        assert_eq!(before, (std::fs::symlink_metadata(&out).map(|m| m.is_file()).ok(), tree_digest(&elsewhere)), "{what}: something changed");
    }
    // `link/` and `link/.` name what the link points to: refused the same way.
    let link = tmp.path().join("out-is-a-link");
    for spelled in [format!("{}/", link.display()), format!("{}/.", link.display())] {
        let refused = emit(Path::new(&spelled), &["--app", "dbbat"]);
        assert!(!refused.status.success() && text(&refused.stderr).contains("is a symbolic link"), "{spelled}: {}", text(&refused.stderr));
    }
    assert_eq!(tree_digest(&elsewhere).len(), 1, "written through the link");
    // A generated folder that is a link is foreign: listed, and with --delete-foreign the link
    // goes, never what it points to.
    let out = tmp.path().join("app-link");
    std::fs::create_dir_all(out.join("charts")).expect("mkdir");
    symlink(&elsewhere, out.join("charts/backbone")).expect("symlink");
    let refused = emit(&out, &[]);
    assert!(!refused.status.success() && text(&refused.stderr).contains("charts/backbone (a symbolic link)"), "{}", text(&refused.stderr));
    assert!(emit(&out, &["--delete-foreign"]).status.success());
    assert!(!std::fs::symlink_metadata(out.join("charts/backbone")).expect("replaced").is_symlink());
    assert_eq!(tree_digest(&elsewhere).len(), 1, "the link's target changed");
}

#[cfg(unix)]
#[test]
fn a_read_only_output_folder_fails_with_its_path_and_stays_as_it_was() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let out = tmp.path().join("out");
    old_output(&out);
    let mode = |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).expect("chmod");
    mode(&out, 0o555);
    let before = tree_digest(&out);
    // Root writes anywhere: run emit as an unprivileged user.
    let root_user = run(Command::new("id").arg("-u")).stdout == b"0\n";
    let mut cmd = if root_user {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_kforge")]);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_kforge"))
    };
    let refused = run(cmd.current_dir(root()).args(["emit", "--out"]).arg(&out));
    mode(&out, 0o755);
    let err = text(&refused.stderr);
    assert!(!refused.status.success(), "emit wrote into a read-only folder");
    assert!(err.contains(&out.display().to_string()) && err.contains("Permission denied") && err.contains("nothing was written"), "{err}");
    assert!(tree_digest(&out) == before, "a refused emit changed the output");
}

#[cfg(unix)]
#[test]
fn planted_links_and_fifos_in_generated_folders_are_never_read() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    assert!(emit(&out, &["--app", "dbbat"]).status.success());
    let secret = tmp.path().join("environ");
    std::fs::write(&secret, "CI_TOKEN=planted-secret-value\n").expect("write");
    // A generated file replaced by a link to a secret: emit --check lists it, never shows it.
    let values = out.join("charts/dbbat/values.yaml");
    std::fs::remove_file(&values).expect("remove");
    symlink(&secret, &values).expect("symlink");
    let check = emit(&out, &["--app", "dbbat", "--check"]);
    let shown = format!("{}{}", text(&check.stdout), text(&check.stderr));
    assert!(!check.status.success(), "{shown}");
    assert!(shown.contains("charts/dbbat/values.yaml") && !shown.contains("planted-secret-value"), "the link's target was shown:\n{shown}");
    std::fs::remove_file(&values).expect("remove");
    // The record as a link to /dev/zero or as a FIFO: read as no record, within a time limit
    // (a FIFO would block a plain read forever, /dev/zero fill the memory).
    for (what, plant) in [
        ("a link to /dev/zero", Box::new(|p: &Path| symlink("/dev/zero", p).expect("symlink")) as Box<dyn Fn(&Path)>),
        ("a FIFO", Box::new(|p: &Path| assert!(Command::new("mkfifo").arg(p).status().expect("mkfifo").success()))),
    ] {
        let record = out.join("charts/dbbat/.kforge-files");
        if std::fs::symlink_metadata(&record).is_ok() {
            std::fs::remove_file(&record).expect("remove");
        }
        plant(&record);
        let mut child = kforge().args(["emit", "--app", "dbbat", "--check", "--out"]).arg(&out).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
        let started = std::time::Instant::now();
        while child.try_wait().expect("wait").is_none() {
            if started.elapsed() > std::time::Duration::from_secs(30) {
                child.kill().ok();
                panic!("emit --check hung on a record that is {what}");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let output = child.wait_with_output().expect("output");
        let shown = text(&output.stdout);
        assert!(!output.status.success() && shown.contains(".kforge-files"), "{what}: {shown}{}", text(&output.stderr));
        let refused = emit(&out, &["--app", "dbbat"]);
        assert!(!refused.status.success() && text(&refused.stderr).contains(".kforge-files"), "{what}: {}", text(&refused.stderr));
        std::fs::remove_file(&record).expect("remove");
    }
    // Deleted as foreign, emit writes the folder anew.
    assert!(emit(&out, &["--app", "dbbat", "--delete-foreign"]).status.success());
    assert!(emit(&out, &["--app", "dbbat", "--check"]).status.success());
}
