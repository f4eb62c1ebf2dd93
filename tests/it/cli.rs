//! The CLI: `emit --check` keeps charts-out honest, output is deterministic and atomic, and the
//! informational commands print what the chart contains.

use crate::support::*;

#[test]
fn committed_charts_out_is_up_to_date() {
    let out = run(kforge().args(["emit", "--check"]));
    assert!(out.status.success(), "charts-out is stale; run `cargo run -- emit`:\n{}{}", text(&out.stdout), text(&out.stderr));
}

#[test]
fn check_reports_changed_missing_and_stale_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out_dir = tmp.path().join("out");
    copy_dir(&root().join("charts-out"), &out_dir);
    // Differs: what an older emit wrote there (the record says so).
    write_as_emitted(&out_dir, "charts/backbone", "Chart.yaml", "edited\n");
    std::fs::remove_file(out_dir.join("manifests/backbone/default/kustomization.yaml")).expect("remove");
    // Stale: emit wrote it (the record lists it) and no longer does. Foreign: not in the record.
    write_as_emitted(&out_dir, "charts/backbone", "templates/leftover.yaml", "old\n");
    std::fs::write(out_dir.join("charts/backbone/templates/mine.yaml"), "kind: ConfigMap\n").expect("foreign");
    // Edited since emit wrote it: foreign too.
    let values = out_dir.join("charts/backbone/values.yaml");
    std::fs::write(&values, std::fs::read_to_string(&values).expect("read") + "# mine\n").expect("edit");
    let out = run(kforge().args(["emit", "--check", "--repo-url", "https://git.example.com/team/deploy.git", "--out"]).arg(&out_dir));
    let diff = text(&out.stdout);
    assert!(!out.status.success());
    // The fix is this very command without --check, flags and all.
    let fix = format!("run `kforge emit --repo-url https://git.example.com/team/deploy.git --out {}`", out_dir.display());
    assert!(text(&out.stderr).contains(&fix), "{}", text(&out.stderr));
    assert!(diff.contains("Chart.yaml (differs)") && diff.contains("-edited"), "{diff}");
    assert!(diff.contains("default/kustomization.yaml (missing)"), "{diff}");
    assert!(diff.contains("leftover.yaml (stale)"), "{diff}");
    assert!(diff.contains("templates/mine.yaml (foreign"), "{diff}");
    // An edited file is the edit, once: not "missing" and "foreign".
    assert!(diff.contains("values.yaml (edited since emit wrote it") && diff.contains("\n-# mine\n"), "{diff}");
    assert!(!diff.contains("values.yaml (missing)") && !diff.contains("values.yaml (foreign"), "{diff}");
    // Content first, records (a hash per file) after every file's diff.
    let first_record = diff.find(".kforge-files (").expect("the record differs too");
    for file in ["Chart.yaml (differs)", "kustomization.yaml (missing)", "leftover.yaml (stale)"] {
        assert!(diff.find(file).is_some_and(|i| i < first_record), "{file} after the records:\n{diff}");
    }
    // --check wrote nothing.
    assert_eq!(std::fs::read_to_string(out_dir.join("charts/backbone/Chart.yaml")).expect("read"), "edited\n");
}

#[test]
fn emit_is_deterministic_and_replaces_stale_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for dir in [&a, &b] {
        let out = run(kforge().args(["emit", "--out"]).arg(dir));
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let listing = |d: &std::path::Path| {
        let out = run(std::process::Command::new("diff").arg("-r").arg(d).arg(&a));
        (out.status.success(), text(&out.stdout))
    };
    assert_eq!(listing(&b), (true, String::new()), "two runs differ");
    // A file the generator wrote and no longer produces disappears on the next emit; so does the
    // folder of an application that no longer exists (its record says emit wrote it), while a
    // folder without a record is another chart's and stays.
    write_as_emitted(&a, "charts/backbone", "templates/leftover.yaml", "old");
    write_as_emitted(&a, "charts/retired-app", "Chart.yaml", "name: retired-app\n");
    // A generated folder copied by hand under another name is the user's: its record is not for it.
    copy_dir(&a.join("charts/dbbat"), &a.join("charts/my-dbbat"));
    std::fs::create_dir_all(a.join("charts/kept-by-hand")).expect("mkdir");
    std::fs::write(a.join("charts/kept-by-hand/Chart.yaml"), "name: kept-by-hand\n").expect("write");
    // Only what changed is rewritten: an application whose files are as emitted stays as it is.
    use std::os::unix::fs::MetadataExt;
    let inode = |p: &str| std::fs::metadata(a.join(p)).expect("metadata").ino();
    let (dbbat, backbone) = (inode("charts/dbbat/Chart.yaml"), inode("charts/backbone/Chart.yaml"));
    let out = run(kforge().args(["emit", "--out"]).arg(&a));
    assert!(out.status.success());
    assert!(!a.join("charts/backbone/templates/leftover.yaml").exists());
    assert!(!a.join("charts/retired-app").exists());
    assert_eq!(std::fs::read_to_string(a.join("charts/kept-by-hand/Chart.yaml")).expect("kept"), "name: kept-by-hand\n");
    std::fs::remove_dir_all(a.join("charts/kept-by-hand")).expect("remove");
    assert!(a.join("charts/my-dbbat/Chart.yaml").exists(), "a copied chart folder was removed");
    std::fs::remove_dir_all(a.join("charts/my-dbbat")).expect("remove");
    assert_eq!(inode("charts/dbbat/Chart.yaml"), dbbat, "an unchanged application was rewritten");
    assert_ne!(inode("charts/backbone/Chart.yaml"), backbone, "the changed application was not swapped in");
    assert_eq!(listing(&b), (true, String::new()));
}

#[test]
fn failed_emit_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out_dir = tmp.path().join("out");
    for args in [vec!["emit", "--app", "no-such-app"], vec!["emit", "--values", "x.yaml"], vec!["emit", "--app", "backbone", "--stdout", "--set", "persistence.size=1GB"]] {
        let out = run(kforge().args(&args).arg("--out").arg(&out_dir));
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(text(&out.stderr).starts_with("error: "), "{args:?}: {}", text(&out.stderr));
        assert!(!out_dir.exists(), "{args:?} wrote into {}", out_dir.display());
    }
}

#[test]
fn stdout_needs_exactly_one_app() {
    let out = run(kforge().args(["emit", "--stdout"]));
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("exactly one --app"));
}

#[test]
fn info_commands_match_the_chart() {
    let values = run(kforge().args(["values", "--app", "backbone"]));
    assert_eq!(text(&values.stdout), std::fs::read_to_string(chart_dir("backbone").join("values.yaml")).expect("values.yaml"));
    let schema = run(kforge().args(["schema", "--app", "backbone"]));
    assert_eq!(text(&schema.stdout), std::fs::read_to_string(chart_dir("backbone").join("values.schema.json")).expect("schema"));
    let list = text(&run(kforge().arg("list")).stdout);
    assert!(list.starts_with("backbone\tdefault,production,oidc\t"), "{list}");
    let help = text(&run(kforge().args(["emit", "--help"])).stdout);
    for flag in ["--app", "--values", "--set", "--release", "--namespace", "--out", "--stdout", "--check", "Examples:"] {
        assert!(help.contains(flag), "emit --help lacks {flag}");
    }
}

#[test]
fn values_yaml_equals_the_defaults() {
    for app in apps::all() {
        let text = std::fs::read_to_string(chart_dir(&app.chart().name).join("values.yaml")).expect("values.yaml");
        let parsed: serde_json::Value = serde_saphyr::from_str(&text).expect("values.yaml parses");
        assert_eq!(parsed, app.defaults(), "{}: values.yaml is not the defaults", app.chart().name);
        // Every top-level setting carries its doc comment.
        let schema = app.schema();
        for (key, sub) in schema["properties"].as_object().expect("properties") {
            let Some(last) = sub["description"].as_str().and_then(|d| d.lines().last()).filter(|_| key != "global") else { continue };
            assert!(text.contains(&format!("# {last}\n{key}:")), "{}: values.yaml lacks the comment of {key}", app.chart().name);
        }
    }
}

/// An application that needs values, given none, says which example environment to start from.
#[test]
fn an_application_that_needs_values_points_at_an_example() {
    for command in [&["graph", "--app", "dbbat"][..], &["emit", "--app", "dbbat", "--stdout"][..]] {
        let out = run(kforge().args(command));
        assert!(!out.status.success(), "{command:?}");
        assert!(
            text(&out.stderr).contains("dbbat needs values of yours; start from an example environment: -f crates/apps/src/dbbat/values-minimal.yaml"),
            "{command:?}: {}",
            text(&out.stderr)
        );
    }
}
