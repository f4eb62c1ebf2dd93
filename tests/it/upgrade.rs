//! `kforge upgrade-check` on scratch repositories: today's charts-out as the base passes; a
//! selector changed, a base values file refused, a released version changed, and a breaking
//! change without a bump or an upgrade note each fail with what to do.

use std::path::Path;
use std::process::{Command, Output};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::support::*;

fn git(repo: &Path, args: &[&str]) -> String {
    let out = run(Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com"));
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
}

/// A repository whose one commit holds today's charts-out, changed by `edit` first.
fn scratch(edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let repo = tempfile::tempdir().expect("tempdir");
    git(repo.path(), &["init", "-q"]);
    copy_dir(&root().join("charts-out"), &repo.path().join("charts-out"));
    edit(&repo.path().join("charts-out"));
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-qm", "base"]);
    repo
}

fn upgrade_check(repo: &Path, extra: &[&str]) -> Output {
    run(kforge().args(["upgrade-check", "--out"]).arg(repo.join("charts-out")).args(extra))
}

/// Rewrites every object of a manifests file through `edit`.
fn edit_objects(file: &Path, edit: impl Fn(&mut Value)) {
    let mut docs = parse_stream(&std::fs::read_to_string(file).expect("read"));
    docs.iter_mut().for_each(edit);
    let text: Vec<String> = docs.iter().map(|d| serde_saphyr::to_string(d).expect("yaml")).collect();
    std::fs::write(file, format!("---\n{}", text.join("---\n"))).expect("write");
}

#[test]
fn todays_output_as_the_base_passes() {
    let repo = scratch(|_| {});
    let out = upgrade_check(repo.path(), &["--base", "HEAD"]);
    // The report on standard output, for a file or a pager.
    let said = text(&out.stdout);
    assert!(out.status.success(), "{said}{}", text(&out.stderr));
    for app in apps::all() {
        assert!(said.contains(&format!("{}: {} at", app.chart().name, app.chart().version)) && !said.contains("[breaking]"), "{said}");
    }
}

#[test]
fn a_changed_selector_fails_with_the_field_and_the_version_to_use() {
    // The base's Deployment selected other labels: the same as changing today's selector.
    let repo = scratch(|out| {
        edit_objects(&out.join("manifests/backbone/production/3-workloads/deployment-backbone.yaml"), |o| {
            if o["kind"] == "Deployment" {
                o["spec"]["selector"]["matchLabels"]["tier"] = Value::String("broker".into());
            }
        })
    });
    let base = git(repo.path(), &["rev-parse", "HEAD"]);
    let out = upgrade_check(repo.path(), &["--base", "HEAD", "--app", "backbone"]);
    let said = text(&out.stdout) + &text(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("production: Deployment/backbone spec.selector cannot change in an installed release"), "{said}");
    assert!(said.contains(&base[..12]), "the finding names the base revision: {said}");
    let version = apps::backbone::app().chart.version.clone();
    assert!(said.contains(&format!("version {version} does not follow {version} far enough")) && said.contains("set the version to"), "{said}");
}

/// Rewrites the manifests as output committed before environment directories held them:
/// `manifests/<app>/<env>.yaml`, every object of the environment in one file.
fn to_single_files(out: &Path) {
    for app in apps::all() {
        let name = &app.chart().name;
        let dir = out.join("manifests").join(name);
        for env in std::fs::read_dir(&dir).expect("manifests dir").map(|e| e.expect("entry").path()).filter(|p| p.is_dir()).collect::<Vec<_>>() {
            let env_name = env.file_name().expect("name").to_string_lossy().into_owned();
            let text = committed_environment(out, name, &env_name);
            std::fs::remove_dir_all(&env).expect("remove");
            std::fs::write(dir.join(format!("{env_name}.yaml")), text).expect("write");
        }
    }
}

#[test]
fn a_base_in_the_single_file_layout_is_read_environment_by_environment() {
    // Today's output in the old layout passes: every environment is found, none is "gone" ...
    let repo = scratch(to_single_files);
    let out = upgrade_check(repo.path(), &["--base", "HEAD"]);
    let said = text(&out.stdout) + &text(&out.stderr);
    assert!(out.status.success() && !said.contains("[breaking]"), "{said}");
    // ... and an immutable field changed in an old-layout file is found in its environment.
    let repo = scratch(|out| {
        to_single_files(out);
        edit_objects(&out.join("manifests/backbone/production.yaml"), |o| {
            if o["kind"] == "Deployment" {
                o["spec"]["selector"]["matchLabels"]["tier"] = Value::String("broker".into());
            }
        });
        std::fs::remove_file(out.join("manifests/backbone/oidc.yaml")).expect("remove");
        std::fs::write(out.join("manifests/backbone/retired.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n").expect("write");
    });
    let out = upgrade_check(repo.path(), &["--base", "HEAD", "--app", "backbone"]);
    let said = text(&out.stdout) + &text(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("production: Deployment/backbone spec.selector cannot change in an installed release"), "{said}");
    assert!(said.contains("retired: is no longer emitted"), "{said}");
    assert!(!said.contains("oidc"), "{said}");
}

#[test]
fn a_base_values_file_the_chart_refuses_now_is_breaking() {
    let repo = scratch(|out| {
        let file = out.join("charts/dbbat/values-production.yaml");
        let text = std::fs::read_to_string(&file).expect("read") + "retiredSetting: true\n";
        std::fs::write(file, text).expect("write");
    });
    let out = upgrade_check(repo.path(), &["--base", "HEAD", "--app", "dbbat"]);
    let said = text(&out.stdout) + &text(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("[breaking] a values file of the base is refused now") && said.contains("values-production.yaml: retiredSetting"), "{said}");
}

#[test]
fn a_released_version_must_not_change() {
    // Tagged as released, with a README that differs from today's.
    let repo = scratch(|out| {
        let file = out.join("charts/backend/README.md");
        let text = std::fs::read_to_string(&file).expect("read") + "\nAn older paragraph.\n";
        std::fs::write(file, text).expect("write");
    });
    let version = apps::backend::app().chart.version.clone();
    git(repo.path(), &["tag", &format!("backend-{version}")]);
    let out = upgrade_check(repo.path(), &["--app", "backend"]);
    let said = text(&out.stdout) + &text(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains(&format!("version {version} was released (tag backend-{version}) and the chart changed since")), "{said}");
}

#[test]
fn a_base_that_is_not_a_commit_is_a_clear_error() {
    let repo = scratch(|_| {});
    let out = upgrade_check(repo.path(), &["--base", "no-such-revision"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("\"no-such-revision\" is not a commit"), "{}", text(&out.stderr));
    let out = run(kforge().args(["upgrade-check", "--out"]).arg(repo.path().join("no-such-folder")));
    assert!(!out.status.success() && text(&out.stderr).contains("no such directory"), "{}", text(&out.stderr));
    let outside = tempfile::tempdir().expect("tempdir");
    let out = run(kforge().args(["upgrade-check", "--out"]).arg(outside.path()));
    assert!(!out.status.success() && text(&out.stderr).contains("is not inside a git repository"), "{}", text(&out.stderr));
}

// ----- versions and notes, on an application of the test's own ----------------------------

mod v1 {
    use super::*;
    use kforge::objects::{Container, Deployment, Pod};
    use kforge::{App, ChartMeta, Knobs, Meta, Model, fullname};

    #[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema, Knobs)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Values {
        /// Number of pods.
        pub replica_count: u8,
        /// A setting the next version removes.
        pub color: String,
    }

    fn build(v: &ValuesKnobs) -> Model {
        let mut m = Model::new();
        let c = Container::builder().name("app").image("busybox:1.37").build();
        m.add(Deployment::builder().meta(Meta::new(fullname())).replicas(&v.replica_count).pod(Pod::builder().containers(vec![c]).build()).build());
        m
    }

    pub fn app() -> App<Values> {
        App::new(ChartMeta::new("evolving", "0.1.0", "1.0.0", "Version one"), "tests/it/upgrade.rs", build)
    }
}

/// Version two: v1 without `color`, which is the smallest application of the safety tests.
mod v2 {
    use crate::safety::careless::{Values, build};
    use kforge::{App, ChartMeta};

    pub fn app(version: &str, note: bool) -> App<Values> {
        let mut chart = ChartMeta::new("evolving", version, "1.0.0", "Version two");
        if note {
            chart = chart.upgrade_note(version, "`color` is gone: remove it from your values files.");
        }
        App::new(chart, "tests/it/upgrade.rs", build)
    }
}

#[test]
fn a_breaking_change_needs_a_bump_and_an_upgrade_note_and_the_readme_lists_it() {
    let repo = tempfile::tempdir().expect("tempdir");
    git(repo.path(), &["init", "-q"]);
    let v1 = v1::app();
    for (path, text) in kforge::output::render_app(&v1).expect("renders").tree {
        let full = repo.path().join("out").join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    }
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-qm", "0.1.0"]);

    let check = |app: &dyn kforge::Application| {
        let tree = kforge::output::render_app(app).expect("renders").tree;
        release::upgrade::check(repo.path(), "out", app, &tree, None).expect("check runs")
    };
    // Without --base: compared with the commit that introduced 0.1.0.
    let same_version = check(&v2::app("0.1.0", false));
    assert!(same_version.changes.iter().any(|c| c.field.as_deref() == Some("values color") && c.bump == release::version::Bump::Breaking), "{same_version}");
    assert!(same_version.problems.iter().any(|p| p.contains("set the version to 0.2.0")), "{same_version}");
    // Both messages name the version the check asks for, not the one the chart has.
    assert!(same_version.problems.iter().any(|p| p.contains("upgrade_note(\"0.2.0\"")), "{same_version}");
    assert!(!same_version.problems.iter().any(|p| p.contains("0.1.0\"")), "{same_version}");
    let no_note = check(&v2::app("0.2.0", false));
    assert_eq!(no_note.problems.len(), 1, "{no_note}");
    assert!(no_note.problems[0].contains("upgrade note for version 0.2.0"), "{no_note}");
    let v2 = v2::app("0.2.0", true);
    let good = check(&v2);
    assert!(good.problems.is_empty(), "{good}");
    let readme = &kforge::output::render_app(&v2).expect("renders").tree[&std::path::PathBuf::from("charts/evolving/README.md")];
    assert!(readme.contains("## Upgrading") && readme.contains("### To 0.2.0") && readme.contains("`color` is gone"), "{readme}");
}

// ----- the next application version, installed over this one ---------------------------------

/// Objects by kind, namespace and name.
fn by_identity(yaml: &str) -> std::collections::BTreeMap<String, Value> {
    parse_stream(yaml).into_iter().map(|o| (format!("{}/{}/{}/{}", o["apiVersion"], o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]), o)).collect()
}

#[test]
fn a_new_app_version_upgrades_without_touching_an_immutable_field() {
    // What `helm upgrade` applies when a release job publishes the next version: the chart
    // packaged with another appVersion (the default image tag), over the chart as committed,
    // with each application's committed environments.
    let tmp = tempfile::tempdir().expect("tempdir");
    for app in apps::all() {
        let name = app.chart().name.clone();
        let out = run(kforge().args(["package", "--app", &name, "--version", "99.0.0", "--app-version", "9.9.9", "--out"]).arg(tmp.path()));
        assert!(out.status.success(), "{}", text(&out.stderr));
        // Every committed environment (an example may pin its own tag; one at least runs the
        // appVersion).
        let mut reached = false;
        for env in app.environments() {
            let values = chart_dir(&name).join(format!("values-{}.yaml", env.name));
            let render = |chart: &Path| {
                let out = run(Command::new(tool("helm4")).args(["template", &name]).arg(chart).args(["-n", &name, "-f"]).arg(&values));
                assert!(out.status.success(), "{name} {}: {}", env.name, text(&out.stderr));
                by_identity(&text(&out.stdout))
            };
            let (before, after) = (render(&chart_dir(&name)), render(&tmp.path().join(format!("{name}-99.0.0.tgz"))));
            reached |= after.values().any(|o| o.to_string().contains(":9.9.9\""));
            for (id, old) in &before {
                if let Some(new) = after.get(id) {
                    let refused = release::immutable::refused(old, new);
                    assert!(refused.is_empty(), "{name} {}: {id} cannot be upgraded: {refused:?}", env.name);
                }
            }
        }
        assert!(reached, "{name}: the new appVersion reached no image");
    }
    // Aeterna's migration Job is a new one for the new version, not an update of the old: two
    // releases that have a working migration command (0.8.0-rc.6 on), with migrations on.
    let render = |version: &str| {
        let dir = tmp.path().join(version);
        let out = run(kforge().args(["package", "--app", "aeterna", "--version", "99.0.0", "--app-version", version, "--out"]).arg(&dir));
        assert!(out.status.success(), "{}", text(&out.stderr));
        let out = run(Command::new(tool("helm4"))
            .args(["template", "aeterna"])
            .arg(dir.join("aeterna-99.0.0.tgz"))
            .args(["-n", "aeterna", "-f"])
            .arg(chart_dir("aeterna").join("values-production.yaml"))
            .args(["--set", "aeterna.migration.enabled=true", "--set", "aeterna.image.tag=", "--set", "opal.fetcher.tenant=00000000-0000-4000-8000-000000000001"]));
        assert!(out.status.success(), "aeterna {version}: {}", text(&out.stderr));
        by_identity(&text(&out.stdout))
    };
    let jobs = |m: &std::collections::BTreeMap<String, Value>| m.values().filter(|o| o["kind"] == "Job").map(|o| o["metadata"]["name"].to_string()).collect::<Vec<_>>();
    let (old_jobs, new_jobs) = (jobs(&render("0.8.0-rc.6")), jobs(&render("0.8.0-rc.9")));
    assert!(!old_jobs.is_empty() && old_jobs.iter().all(|j| !new_jobs.contains(j)), "{old_jobs:?} {new_jobs:?}");
}

/// A rule of the chart's own (`reject_when`) that the base did not have may refuse the values of
/// an installed release: breaking. A rule of the API server's (a name too long) refuses nothing
/// that installed, and is not.
#[test]
fn a_new_rule_of_the_charts_own_is_breaking() {
    let own = "{{- fail \"replicaCount: at most 1 with persistence.enabled";
    let repo = scratch(|out| {
        let file = out.join("charts/backbone/templates/validate.yaml");
        let text = std::fs::read_to_string(&file).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        let at = lines.iter().position(|l| l.starts_with(own)).expect("backbone's own rule");
        // The base without that rule's if / fail / end.
        let without: Vec<&str> = lines.iter().enumerate().filter(|(i, _)| !(at - 1..=at + 1).contains(i)).map(|(_, l)| *l).collect();
        std::fs::write(file, without.join("\n") + "\n").expect("write");
    });
    let out = upgrade_check(repo.path(), &["--base", "HEAD", "--app", "backbone"]);
    let said = text(&out.stdout) + &text(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("[breaking] a rule of the chart's own may refuse values the base took: replicaCount: at most 1 with persistence.enabled"), "{said}");
}
