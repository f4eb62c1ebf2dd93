//! Bad values: `emit` fails with the file, the values path and what was expected, prints
//! nothing on stdout and writes nothing; Helm rejects the same file through values.schema.json.

use std::path::Path;

use crate::support::*;

struct Bad {
    what: &'static str,
    yaml: &'static str,
    /// Substrings the error must contain (besides the file name).
    expect: &'static [&'static str],
}

const BACKBONE: &[Bad] = &[
    Bad { what: "unknown key", yaml: "persistence:\n  enabeld: true\n", expect: &["persistence", "unknown field `enabeld`"] },
    Bad { what: "unknown top-level key", yaml: "replicas: 2\n", expect: &["unknown field `replicas`"] },
    Bad { what: "wrong type", yaml: "api:\n  enabled: \"yes\"\n", expect: &["api.enabled", "expected a boolean"] },
    Bad { what: "invalid quantity", yaml: "persistence:\n  size: 1GB\n", expect: &["persistence.size", "Kubernetes quantity"] },
    Bad { what: "invalid name", yaml: "fullnameOverride: Bad_Name\n", expect: &["fullnameOverride", "DNS-1123"] },
    Bad { what: "port out of range", yaml: "config:\n  httpPort: 70000\n", expect: &["config.httpPort", "1 to 65535"] },
    Bad { what: "integer out of its type's range", yaml: "replicaCount: 300\n", expect: &["replicaCount", "300"] },
    Bad { what: "port zero", yaml: "redis:\n  port: 0\n", expect: &["redis.port", "1 to 65535"] },
    Bad { what: "unknown enum value", yaml: "service:\n  http:\n    type: Ingress\n", expect: &["service.http.type", "unknown variant `Ingress`"] },
    Bad { what: "malformed YAML", yaml: "api: [enabled\n", expect: &["not valid YAML"] },
    Bad { what: "not a map", yaml: "- a\n- b\n", expect: &["expected a map of settings"] },
    Bad { what: "null deletes a required key", yaml: "config:\n  httpPort: null\n", expect: &["config", "missing field `httpPort`"] },
];

/// Over DBBat's minimal environment, so that only the bad part is wrong.
const DBBAT: &[Bad] = &[
    Bad { what: "wrong enum", yaml: "postgresql:\n  external:\n    sslMode: prefer\n", expect: &["postgresql.external.sslMode", "unknown variant `prefer`", "verify-full"] },
    Bad { what: "unknown key", yaml: "service:\n  proxy:\n    nodeport: 30432\n", expect: &["service.proxy", "unknown field `nodeport`"] },
    Bad { what: "wrong type", yaml: "autoscaling:\n  maxReplicas: ten\n", expect: &["autoscaling.maxReplicas", "ten"] },
    Bad {
        what: "maxUnavailable together with minAvailable",
        yaml: "podDisruptionBudget:\n  enabled: true\n  maxUnavailable: 1\n",
        expect: &["podDisruptionBudget.minAvailable", "podDisruptionBudget.maxUnavailable", "not both"],
    },
    Bad { what: "invalid percentage", yaml: "podDisruptionBudget:\n  minAvailable: 50 percent\n", expect: &["podDisruptionBudget.minAvailable", "percentage"] },
    Bad { what: "listen address without a port", yaml: "config:\n  listenApi: localhost\n", expect: &["config.listenApi", "[host]:port"] },
    Bad { what: "nodePort out of range", yaml: "service:\n  proxy:\n    nodePort: 70000\n", expect: &["service.proxy.nodePort", "1 to 65535"] },
    Bad { what: "no database", yaml: "postgresql:\n  external:\n    dsn: \"\"\nsecrets:\n  existingSecret: \"\"\n  encryptionKey: k\n", expect: &["postgresql.external.dsn", "postgresql.external.host"] },
    Bad { what: "probe on an undeclared port", yaml: "livenessProbe:\n  httpGet:\n    port: metrics\n", expect: &["livenessProbe.httpGet.port", "unknown variant `metrics`"] },
    Bad { what: "TCPRoute without parents", yaml: "gatewayAPI:\n  enabled: true\n", expect: &["gatewayAPI.parentRefs"] },
];

const BACKEND: &[Bad] = &[
    Bad { what: "short signing secret", yaml: "secrets:\n  betterAuthSecret: too-short-to-sign\n", expect: &["secrets.betterAuthSecret", "17 characters", "at least 32 characters"] },
    Bad { what: "wrong type", yaml: "replicaCount: three\n", expect: &["replicaCount", "expected u16"] },
    Bad { what: "text for a number", yaml: "config:\n  temperature: warm\n", expect: &["config.temperature", "expected f64"] },
    Bad { what: "not a whole number", yaml: "secrets:\n  jwtExpirationDays: 7d\n", expect: &["secrets.jwtExpirationDays", "whole number"] },
    Bad { what: "algorithm without a shared secret", yaml: "secrets:\n  jwtAlgorithm: RS256\n", expect: &["secrets.jwtAlgorithm", "unknown variant `RS256`"] },
    Bad { what: "count as text", yaml: "strategy:\n  rollingUpdate:\n    maxSurge: \"25\"\n", expect: &["strategy.rollingUpdate.maxSurge", "percentage"] },
    Bad { what: "unknown strategy", yaml: "strategy:\n  type: BlueGreen\n", expect: &["strategy.type", "unknown variant `BlueGreen`"] },
    Bad { what: "probe port zero", yaml: "livenessProbe:\n  httpGet:\n    port: 0\n", expect: &["livenessProbe.httpGet.port", "1 to 65535"] },
    Bad { what: "invalid Secret name", yaml: "secrets:\n  existingSecret: Backend_Secrets\n", expect: &["secrets.existingSecret", "DNS-1123"] },
    Bad { what: "misspelled secret", yaml: "secrets:\n  databaseURL: postgresql://db\n", expect: &["secrets", "unknown field `databaseURL`"] },
];

#[test]
fn bad_values_are_rejected_by_both_renderers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let before = tree_digest(&root().join("charts-out"));
    let minimal = chart_dir("dbbat").join("values-minimal.yaml");
    let cases = BACKBONE
        .iter()
        .map(|b| ("backbone", None, b))
        .chain(DBBAT.iter().map(|b| ("dbbat", Some(minimal.as_path()), b)))
        .chain(BACKEND.iter().map(|b| ("backend", None, b)));
    for (i, (app, base, bad)) in cases.enumerate() {
        let file = tmp.path().join(format!("bad-{i}.yaml"));
        std::fs::write(&file, bad.yaml).expect("write");
        let files: Vec<&Path> = base.into_iter().chain([file.as_path()]).collect();
        let out = emit_stdout(app, app, "default", &files, &[]);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{}: emit accepted it", bad.what);
        assert!(out.stdout.is_empty(), "{}: emit printed to stdout", bad.what);
        assert!(stderr.contains(&file.display().to_string()), "{}: the error does not name the file:\n{stderr}", bad.what);
        for needle in bad.expect {
            assert!(stderr.contains(needle), "{}: the error lacks {needle:?}:\n{stderr}", bad.what);
        }
        assert!(!stderr.contains("panicked"), "{}: panic:\n{stderr}", bad.what);
        for helm in HELMS {
            let h = helm_template(helm, app, app, "default", &files, &[]);
            assert!(!h.status.success(), "{app}, {}: {helm} accepted it", bad.what);
        }
    }
    assert!(before == tree_digest(&root().join("charts-out")), "bad input changed charts-out");
}

#[test]
fn bad_set_and_release_are_rejected() {
    for (args, needle) in [
        (vec!["--set", "config.httpPort=http"], "config.httpPort"),
        (vec!["--set", "nodots"], "path=value"),
        (vec!["--release", "Bad_Release"], "invalid release name"),
        (vec!["--namespace", "no.dots"], "invalid namespace"),
    ] {
        let out = run(kforge().args(["emit", "--app", "backbone", "--stdout"]).args(&args));
        assert!(!out.status.success(), "{args:?} accepted");
        assert!(out.stdout.is_empty());
        assert!(text(&out.stderr).contains(needle), "{args:?}: {}", text(&out.stderr));
    }
    let h = helm_template("helm4", "backbone", "backbone", "default", &[], &["config.httpPort=http".into()]);
    assert!(!h.status.success(), "helm accepted a string port");
}

#[test]
fn unreadable_values_file_is_named() {
    let out = emit_stdout("backbone", "backbone", "default", &[Path::new("does/not/exist.yaml")], &[]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("does/not/exist.yaml: cannot read"), "{}", text(&out.stderr));
}

/// A signing secret of 32 characters exactly, the shortest the chart takes.
const SIGNING_SECRET_32: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn missing_credentials_stop_both_renderers_with_the_same_message() {
    let db = "secrets.databaseUrl=postgresql://todo@db.invalid/todo".to_string();
    let auth = format!("secrets.betterAuthSecret={SIGNING_SECRET_32}");
    let groq = "secrets.groqApiKey=gsk-placeholder".to_string();
    for (set, missing) in [
        (vec![], "secrets.databaseUrl is required"),
        (vec![db.clone()], "secrets.betterAuthSecret is required"),
        (vec![db.clone(), auth.clone()], "secrets.groqApiKey is required"),
        (vec![auth.clone(), groq.clone()], "secrets.databaseUrl is required"),
        (vec![db.clone(), auth.clone(), "secrets.groqApiKey=".into()], "secrets.groqApiKey is required"),
    ] {
        let out = emit_stdout("backend", "backend", "default", &[], &set);
        let stderr = text(&out.stderr);
        assert!(!out.status.success() && out.stdout.is_empty(), "{set:?}: emit rendered");
        assert!(stderr.contains(missing) && stderr.contains("secrets.existingSecret"), "{set:?}: emit says:\n{stderr}");
        for helm in HELMS {
            let h = helm_template(helm, "backend", "backend", "default", &[], &set);
            assert!(!h.status.success(), "{set:?}: {helm} rendered");
            assert!(text(&h.stderr).contains(missing), "{set:?}: {helm} says:\n{}", text(&h.stderr));
        }
    }
    // All three given, or an existing Secret named: both render.
    for set in [vec![db, auth, groq], vec!["secrets.existingSecret=todo-credentials".to_string()]] {
        let ours = emit_stdout("backend", "backend", "default", &[], &set);
        assert!(ours.status.success(), "{set:?}: {}", text(&ours.stderr));
        for helm in HELMS {
            let theirs = helm_template(helm, "backend", "backend", "default", &[], &set);
            assert!(theirs.status.success(), "{set:?}: {helm}: {}", text(&theirs.stderr));
            compare_streams(&text(&theirs.stdout), &text(&ours.stdout)).unwrap_or_else(|e| panic!("{set:?}, {helm}: {e}"));
        }
    }
}

#[test]
fn a_short_signing_secret_is_rejected_without_showing_it() {
    let secret = "short-but-secret-value";
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("secrets.yaml");
    std::fs::write(&file, format!("secrets:\n  betterAuthSecret: {secret}\n")).expect("write");
    let one_short = &SIGNING_SECRET_32[1..];
    for (files, set) in [(vec![file.as_path()], vec![]), (vec![], vec![format!("secrets.betterAuthSecret={secret}")]), (vec![], vec![format!("secrets.betterAuthSecret={one_short}")])] {
        let out = emit_stdout("backend", "backend", "default", &files, &set);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{set:?}: emit accepted it");
        assert!(stderr.contains("secrets.betterAuthSecret") && stderr.contains("at least 32 characters"), "{stderr}");
        assert!(!stderr.contains(secret) && !stderr.contains(one_short), "emit shows the secret:\n{stderr}");
        for helm in HELMS {
            let h = helm_template(helm, "backend", "backend", "default", &files, &set);
            let helm_err = text(&h.stderr);
            assert!(!h.status.success(), "{helm} accepted it");
            assert!(helm_err.contains("betterAuthSecret") && helm_err.contains("32"), "{helm}:\n{helm_err}");
            assert!(!helm_err.contains(secret) && !helm_err.contains(one_short), "{helm} shows the secret:\n{helm_err}");
        }
    }
}
