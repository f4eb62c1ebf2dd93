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

fn tree_digest(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.display().to_string(), std::fs::read(&p).expect("read")));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn bad_values_are_rejected_by_both_renderers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let before = tree_digest(&root().join("charts-out"));
    let minimal = chart_dir("dbbat").join("values-minimal.yaml");
    let cases = BACKBONE.iter().map(|b| ("backbone", None, b)).chain(DBBAT.iter().map(|b| ("dbbat", Some(minimal.as_path()), b)));
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
