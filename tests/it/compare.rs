//! `kforge compare`: helm template against emit for one application's values, with Helm 4 and 3.
//! Agreement on the defaults and an environment, a difference named by object and field when
//! the chart on disk is edited, refusals judged as the contract judges them, and clear errors
//! (exit 2) when Helm is missing or fails.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::*;

fn compare(args: &[&str]) -> Output {
    run(kforge().arg("compare").args(args))
}

fn helm_arg(helm: &str) -> String {
    tool(helm).to_str().expect("a UTF-8 path").to_string()
}

/// A copy of the committed chart of `app` to edit, in `tmp`.
fn chart_copy(tmp: &Path, app: &str) -> PathBuf {
    let dir = tmp.join(app);
    copy_dir(&chart_dir(app), &dir);
    dir
}

#[test]
fn helm_and_emit_agree_on_the_defaults_and_an_environment() {
    let production = root().join("crates/apps/src/dbbat/values-production.yaml");
    let production = production.to_str().expect("a UTF-8 path");
    for helm in HELMS {
        let h = helm_arg(helm);
        let out = compare(&["--app", "backbone", "--helm", &h]);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{helm}: {stdout}{}", text(&out.stderr));
        assert!(stdout.starts_with("helm template and emit agree on 8 object(s): backbone, release backbone in namespace default"), "{helm}: {stdout}");
        let out = compare(&["--app", "dbbat", "--helm", &h, "-f", production, "--release", "db", "--namespace", "prod", "--set", "replicaCount=2"]);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{helm}: {stdout}{}", text(&out.stderr));
        assert!(stdout.contains("agree on") && stdout.contains("release db in namespace prod") && stdout.contains(&format!("values from {production}, --set")), "{stdout}");
    }
    // The helm on PATH when --helm is not given.
    let bin = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink(tool("helm4"), bin.path().join("helm")).expect("symlink");
    let out = run(kforge().args(["compare", "--app", "backbone"]).env("PATH", bin.path()));
    assert!(out.status.success() && text(&out.stdout).contains("(v4."), "{}{}", text(&out.stdout), text(&out.stderr));
}

#[test]
fn an_edited_chart_differs_by_object_and_field() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let chart = chart_copy(tmp.path(), "backbone");
    let deployment = chart.join("templates/deployment.yaml");
    let template = std::fs::read_to_string(&deployment).expect("read");
    let replicas = "replicas: {{ .Values.replicaCount | int64 }}";
    assert!(template.contains(replicas), "the template no longer sets replicas so: update this test");
    std::fs::write(&deployment, template.replace(replicas, "replicas: {{ add 1 .Values.replicaCount | int64 }}")).expect("edit");
    std::fs::write(chart.join("templates/extra.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: b\n").expect("add");
    let chart = chart.to_str().expect("a UTF-8 path");
    for helm in HELMS {
        let out = compare(&["--app", "backbone", "--helm", &helm_arg(helm), "--chart", chart]);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{helm}: {stdout}{}", text(&out.stderr));
        assert_eq!(
            stdout, "ConfigMap/extra: only helm template renders it\nDeployment/backbone in namespace default: 1 field(s) differ\n  spec.replicas\n    helm: 2\n    emit: 1\n",
            "{helm}"
        );
        assert!(text(&out.stderr).contains("error: 2 object(s) differ between helm template and emit") && text(&out.stderr).contains("7 agree"), "{}", text(&out.stderr));
    }
    // Unedited, the committed chart agrees.
    let out = compare(&["--app", "backbone", "--helm", &helm_arg("helm4"), "--chart", chart_dir("backbone").to_str().expect("UTF-8")]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
}

#[test]
fn refusals_are_compared_as_the_contract_compares_them() {
    let h = helm_arg("helm4");
    // DBBat's defaults: both refuse, with the same message (exit 0).
    let out = compare(&["--app", "dbbat", "--helm", &h]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.starts_with("helm template and emit both refuse these values") && stdout.contains("DBBat needs its PostgreSQL database"), "{stdout}");
    // A chart whose own rules were taken out renders what emit refuses (exit 1).
    let tmp = tempfile::tempdir().expect("tempdir");
    let chart = chart_copy(tmp.path(), "dbbat");
    std::fs::write(chart.join("templates/validate.yaml"), "").expect("empty the rules");
    let out = compare(&["--app", "dbbat", "--helm", &h, "--chart", chart.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(1), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).starts_with("emit refuses these values, helm template renders"), "{}", text(&out.stdout));
    // A value out of the schema: Helm's schema and emit's type both refuse it.
    let out = compare(&["--app", "backbone", "--helm", &h, "--set", "replicaCount=-1"]);
    assert!(out.status.success() && text(&out.stdout).contains("both refuse") && text(&out.stdout).contains("replicaCount"), "{}{}", text(&out.stdout), text(&out.stderr));
}

#[test]
fn helm_missing_or_failing_is_a_clear_error() {
    let empty = tempfile::tempdir().expect("tempdir");
    let out = run(kforge().args(["compare", "--app", "backbone"]).env("PATH", empty.path()));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("error: helm is not on PATH: install Helm 3 or 4") && text(&out.stderr).contains("--helm"), "{}", text(&out.stderr));
    let out = compare(&["--app", "backbone", "--helm", "/nonexistent/helm"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--helm /nonexistent/helm: no such file"), "{}", text(&out.stderr));

    let h = helm_arg("helm4");
    // A template Helm cannot parse: its stderr, exit 2.
    let tmp = tempfile::tempdir().expect("tempdir");
    let chart = chart_copy(tmp.path(), "backbone");
    std::fs::write(chart.join("templates/broken.yaml"), "{{ oops\n").expect("break");
    let out = compare(&["--app", "backbone", "--helm", &h, "--chart", chart.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(2), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stderr).contains("template failed") && text(&out.stderr).contains("broken.yaml"), "{}", text(&out.stderr));
    // Flags and files: named, exit 2, Helm not run.
    for (args, message) in [
        (&["--app", "nope"][..], "unknown application \"nope\""),
        (&["--app", "backbone", "-f", "missing.yaml"][..], "missing.yaml: cannot read"),
        (&["--app", "backbone", "--chart", "/nonexistent"][..], "--chart /nonexistent: no Chart.yaml there"),
        (&["--app", "backbone", "--release", "Bad_Name"][..], "Bad_Name"),
    ] {
        let out = compare(&[args, &["--helm", &h]].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(message), "{args:?}: {}", text(&out.stderr));
    }
}
