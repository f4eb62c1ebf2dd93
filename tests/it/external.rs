//! A team's own crate outside this workspace (`tests/external-crate/`): a Valkey application
//! written with nothing but the exported DSL, whose one-line `main` gets the whole command line
//! from `kforge-cli`. Built here with cargo, then run: `list`, `emit` and `emit --check` into
//! a temporary folder, `helm lint --strict` with Helm 4 and 3, and `helm template` against
//! `emit --stdout` for the defaults, the example environment and `--set` flags.

use std::path::PathBuf;
use std::process::Command;

use crate::support::*;

/// Builds the crate into the workspace's target folder (reusing what the workspace compiled)
/// and returns its binary. It takes the workspace's lock file, so it builds the same versions
/// the workspace does, offline.
fn build() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let dir = root().join("tests/external-crate");
    std::fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy the workspace's Cargo.lock");
    let out = run(Command::new(cargo).args(["build", "--quiet", "--offline", "--manifest-path"]).arg(dir.join("Cargo.toml")).env("CARGO_TARGET_DIR", root().join("target")));
    assert!(out.status.success(), "the external crate does not build:\n{}", text(&out.stderr));
    root().join("target/debug/acme-deploy")
}

#[test]
fn a_crate_of_its_own_gets_the_whole_command_line() {
    let bin = build();
    let acme = |args: &[&str]| run(Command::new(&bin).args(args).current_dir(root().join("tests/external-crate")));

    // Its own name, and examples over its own application, not kforge's.
    let help = text(&acme(&["--help"]).stdout) + &text(&acme(&["emit", "--help"]).stdout);
    assert!(help.contains("acme-deploy emit --app acme-valkey --stdout") && !help.contains("backbone"), "{help}");
    let version = text(&acme(&["--version"]).stdout);
    assert!(version.starts_with("acme-deploy (built with kforge "), "{version}");

    let list = acme(&["list"]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    assert_eq!(text(&list.stdout), "acme-valkey\tdefault,production\tsrc/main.rs\n");

    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("deploy");
    let out_arg = out.to_str().expect("a UTF-8 path");
    let emitted = acme(&["emit", "--out", out_arg]);
    assert!(emitted.status.success(), "{}", text(&emitted.stderr));
    let check = acme(&["emit", "--check", "--out", out_arg]);
    assert!(check.status.success(), "emit --check after emit: {}", text(&check.stderr));
    let chart = out.join("charts/acme-valkey");
    for helm in ["helm4", "helm3"] {
        let lint = run(Command::new(tool(helm)).args(["lint", "--strict"]).arg(&chart));
        assert!(lint.status.success(), "{helm} lint --strict: {}{}", text(&lint.stdout), text(&lint.stderr));
    }

    let production = chart.join("values-production.yaml");
    let production = production.to_str().expect("a UTF-8 path");
    let cases: [&[&str]; 5] = [
        &[],
        &["-f", production],
        &["--set", "debug=true,pdb.enabled=true,existingSecret=,password=s3cret", "--set", "maxMemory=2gb"],
        // The flattened pod settings, at the top level as `helm create` has them.
        &["--set", "podAnnotations.team=cache,nodeSelector.disktype=ssd,tolerations[0].key=cache,tolerations[0].effect=NoSchedule,serviceAccount.create=false"],
        // The cert-manager Certificate of the kind `kforge crd import` wrote, and its Secret mounted.
        &["--set", "tls.enabled=true,tls.issuerKind=Issuer,password=s3cret"],
    ];
    for args in cases {
        let ours = acme(&[&["emit", "--app", "acme-valkey", "--stdout", "--release", "cache", "--namespace", "acme"][..], args].concat());
        assert!(ours.status.success(), "{args:?}: {}", text(&ours.stderr));
        for helm in ["helm4", "helm3"] {
            let theirs = run(Command::new(tool(helm)).args(["template", "cache"]).arg(&chart).args(["--namespace", "acme"]).args(args));
            assert!(theirs.status.success(), "{helm} {args:?}: {}", text(&theirs.stderr));
            let n = compare_streams(&text(&theirs.stdout), &text(&ours.stdout)).unwrap_or_else(|e| panic!("{helm} {args:?}: {e}"));
            assert!(n >= 4, "{helm} {args:?}: only {n} objects");
        }
    }
    // The team's imported kind: what `kforge crd import` writes from the CRD kept beside it is
    // what the crate holds, and its object renders, with the Secret it makes mounted (the check
    // lets the mount land because the Certificate declares it makes that Secret).
    let import =
        run(kforge().current_dir(root().join("tests/external-crate")).args(["crd", "import", "../crds/cert-manager.io_certificates.yaml", "--out", "src/crds", "--check"]));
    assert!(import.status.success(), "the crate's imported types are stale: {}", text(&import.stderr));
    let ours = text(&acme(&["emit", "--app", "acme-valkey", "--stdout", "--set", "tls.enabled=true,password=x"]).stdout);
    assert!(ours.contains("kind: Certificate") && ours.contains("secretName: acme-valkey-tls") && ours.contains("- --tls-port"), "{ours}");
    assert!(ours.contains("secretName: acme-valkey-tls\n") && ours.contains("mountPath: /tls"), "{ours}");

    // The gated args and the password reach the pod as the application says.
    let ours = acme(&["emit", "--app", "acme-valkey", "--stdout", "--set", "debug=true"]);
    assert!(text(&ours.stdout).contains("- --loglevel"), "{}", text(&ours.stdout));

    // A typo inside the flattened section: both renderers refuse it, emit naming the setting.
    let typo = ["--set", "tolerations[0].key=cache,tolerations[0].efect=NoSchedule"];
    let refused = acme(&[&["emit", "--app", "acme-valkey", "--stdout"][..], &typo].concat());
    assert!(!refused.status.success() && text(&refused.stderr).contains("tolerations[0].efect"), "{}", text(&refused.stderr));
    for helm in ["helm4", "helm3"] {
        let theirs = run(Command::new(tool(helm)).args(["template", "cache"]).arg(&chart).args(typo));
        assert!(!theirs.status.success() && text(&theirs.stderr).contains("efect"), "{helm} took a typo in tolerations: {}", text(&theirs.stderr));
    }

    // The nightly CronJob: its pod is the application's, labelled with its own component.
    let ours = text(&acme(&["emit", "--app", "acme-valkey", "--stdout", "-f", production]).stdout);
    assert!(ours.contains("kind: CronJob") && ours.contains("timeZone: Europe/Paris") && ours.contains("app.kubernetes.io/component: bgsave"), "{ours}");
    // What the API server refuses of a CronJob, both renderers refuse: a time zone of `Local`
    // and a minute out of range (the types' schema and serde), a name over 52 characters (a
    // long release name).
    for (set, setting) in [("nightly.timeZone=Local", "timeZone"), ("nightly.schedule=61 2 * * *", "schedule")] {
        let refused = acme(&["emit", "--app", "acme-valkey", "--stdout", "--set", set]);
        assert!(!refused.status.success() && text(&refused.stderr).contains(&format!("nightly.{setting}")), "{set}: {}", text(&refused.stderr));
        for helm in ["helm4", "helm3"] {
            let theirs = run(Command::new(tool(helm)).args(["template", "cache"]).arg(&chart).args(["--set", set]));
            assert!(!theirs.status.success() && text(&theirs.stderr).contains(setting), "{helm} took {set}: {}", text(&theirs.stderr));
        }
    }
    let long = "c".repeat(40);
    let refused = acme(&["emit", "--app", "acme-valkey", "--stdout", "--release", &long]);
    let message = "over the 52 a CronJob name may have";
    assert!(!refused.status.success() && text(&refused.stderr).contains(message), "{}", text(&refused.stderr));
    for helm in ["helm4", "helm3"] {
        let theirs = run(Command::new(tool(helm)).args(["template", &long]).arg(&chart));
        assert!(!theirs.status.success() && text(&theirs.stderr).contains(message), "{helm} took a CronJob name over 52: {}", text(&theirs.stderr));
    }

    // A rule of the application, in its own binary: neither password nor existing Secret.
    let refused = acme(&["emit", "--app", "acme-valkey", "--stdout", "--set", "existingSecret="]);
    assert!(!refused.status.success() && text(&refused.stderr).contains("set password (at install time) or existingSecret"), "{}", text(&refused.stderr));
}
