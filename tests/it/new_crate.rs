//! `kforge new`: the crate it makes builds against this checkout (reusing the workspace's
//! compiled dependencies), emits a chart Helm 4 and 3 lint strictly and render as emit does,
//! and passes its own test; a bad name or a folder in the way is refused with nothing written.

use std::process::Command;
use std::time::Instant;

use crate::support::*;

#[test]
fn a_new_crate_builds_emits_lints_and_tests_out_of_the_box() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let made = run(kforge().args(["new", "demo", "--out"]).arg(tmp.path()));
    assert!(made.status.success(), "{}", text(&made.stderr));
    let dir = tmp.path().join("demo");
    for file in ["Cargo.toml", "Cargo.lock", ".gitignore", "src/main.rs", "src/values-staging.yaml", "src/values-production.yaml"] {
        assert!(dir.join(file).is_file(), "{file} is missing");
    }
    // The checkout's lock file, so that it builds offline the versions the workspace built.
    assert_eq!(std::fs::read(dir.join("Cargo.lock")).expect("read"), std::fs::read(root().join("Cargo.lock")).expect("read"));
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("read");
    let cli = root().join("crates/cli").canonicalize().expect("canonical");
    assert!(manifest.contains(&format!("kforge-cli = {{ path = \"{}\" }}", cli.display())), "{manifest}");

    let cargo = || {
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.current_dir(&dir).env("CARGO_TARGET_DIR", root().join("target"));
        cmd
    };
    let start = Instant::now();
    let built = run(cargo().args(["build", "--quiet", "--offline"]));
    assert!(built.status.success(), "the new crate does not build:\n{}", text(&built.stderr));
    eprintln!("kforge new: the crate built in {:.1} s", start.elapsed().as_secs_f64());
    let bin = root().join("target/debug/demo");
    let demo = |args: &[&str]| run(Command::new(&bin).args(args).current_dir(&dir));

    let list = demo(&["list"]);
    assert_eq!(text(&list.stdout), "demo\tdefault,staging,production\tsrc/main.rs\n", "{}", text(&list.stderr));
    let emitted = demo(&["emit"]);
    assert!(emitted.status.success(), "{}", text(&emitted.stderr));
    let check = demo(&["emit", "--check"]);
    assert!(check.status.success(), "emit --check after emit: {}", text(&check.stderr));
    let chart = dir.join("charts-out/charts/demo");
    for helm in HELMS {
        for values in [None, Some("values-staging.yaml"), Some("values-production.yaml")] {
            let mut lint = Command::new(tool(helm));
            lint.args(["lint", "--strict"]).arg(&chart);
            if let Some(v) = values {
                lint.arg("-f").arg(chart.join(v));
            }
            let lint = run(&mut lint);
            assert!(lint.status.success(), "{helm} lint --strict {values:?}: {}{}", text(&lint.stdout), text(&lint.stderr));
        }
        // The team's binary has compare too: its chart renders as its emit does.
        for args in [&[][..], &["-f", "src/values-production.yaml", "--release", "web", "--namespace", "shop"]] {
            let helm_path = tool(helm);
            let out = demo(&[&["compare", "--app", "demo", "--helm", helm_path.to_str().expect("UTF-8")][..], args].concat());
            assert!(out.status.success(), "{helm} {args:?}: {}{}", text(&out.stdout), text(&out.stderr));
            let expected = if args.is_empty() { 3 } else { 4 };
            assert!(text(&out.stdout).contains(&format!("agree on {expected} object(s)")), "{helm} {args:?}: {}", text(&out.stdout));
        }
    }
    let production = text(&demo(&["emit", "--app", "demo", "--stdout", "-f", "src/values-production.yaml"]).stdout);
    assert!(production.contains("kind: PodDisruptionBudget") && production.contains("replicas: 3") && production.contains("app.kubernetes.io/component: web"), "{production}");

    let start = Instant::now();
    let tested = run(cargo().args(["test", "--quiet", "--offline"]));
    assert!(tested.status.success(), "the new crate's tests fail:\n{}{}", text(&tested.stdout), text(&tested.stderr));
    assert!(text(&tested.stdout).contains("3 passed"), "{}", text(&tested.stdout));
    eprintln!("kforge new: its tests built and ran in {:.1} s", start.elapsed().as_secs_f64());
}

#[test]
fn a_bad_name_or_a_folder_in_the_way_is_refused_and_nothing_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let listing = || tree_digest(tmp.path());
    for name in ["Demo", "my_app", "1app", "app-", "fn", "kforge", &"a".repeat(54)] {
        let out = run(kforge().args(["new", name, "--out"]).arg(tmp.path()));
        assert_eq!(out.status.code(), Some(1), "{name}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(&format!("NAME {name:?}")) && (stderr.contains("expected a DNS-1123 label") || stderr.contains("choose another name")), "{name}: {stderr}");
        assert!(std::fs::read_dir(tmp.path()).expect("read").next().is_none(), "{name}: something was written");
    }
    std::fs::create_dir(tmp.path().join("taken")).expect("mkdir");
    std::fs::write(tmp.path().join("taken/notes.txt"), "mine").expect("write");
    let before = listing();
    let out = run(kforge().args(["new", "taken", "--out"]).arg(tmp.path()));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("taken exists and is not empty; nothing was written"), "{}", text(&out.stderr));
    assert_eq!(listing(), before);
    // A link where the crate would go: not followed.
    std::fs::create_dir(tmp.path().join("elsewhere")).expect("mkdir");
    std::os::unix::fs::symlink(tmp.path().join("elsewhere"), tmp.path().join("linked")).expect("symlink");
    let out = run(kforge().args(["new", "linked", "--out"]).arg(tmp.path()));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("is a symbolic link"), "{}", text(&out.stderr));
    assert!(std::fs::read_dir(tmp.path().join("elsewhere")).expect("read").next().is_none());
    let out = run(kforge().args(["new", "demo", "--out"]).arg(tmp.path().join("missing")));
    assert!(out.status.code() == Some(1) && text(&out.stderr).contains("no such folder"), "{}", text(&out.stderr));
}
