//! Bad values: `emit` fails with the file, the values path and what was expected, prints
//! nothing on stdout and writes nothing; Helm rejects the same file through values.schema.json.
//! The cases are files, one directory per application, in tests/bad-input/ (see its README).

use std::path::{Path, PathBuf};

use crate::support::*;

/// One file of the corpus in tests/bad-input/<app>/.
struct Case {
    app: String,
    file: PathBuf,
    what: String,
    /// Substrings the error must contain (besides the file name).
    expect: Vec<String>,
}

fn corpus() -> Vec<Case> {
    let dir = root().join("tests/bad-input");
    let mut cases = Vec::new();
    for app in apps::all() {
        let name = app.chart().name.clone();
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(&name))
            .unwrap_or_else(|e| panic!("tests/bad-input/{name}: {e}: every application has a bad-input corpus"))
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("case");
            let header = |key: &str| text.lines().take_while(|l| l.starts_with('#')).filter_map(|l| l.strip_prefix(&format!("# {key}: ")).map(str::to_string)).collect::<Vec<_>>();
            let what = header("what").pop().unwrap_or_else(|| panic!("{}: no `# what:` line", file.display()));
            let expect = header("expect");
            assert!(!expect.is_empty(), "{}: no `# expect:` line", file.display());
            cases.push(Case { app: name.clone(), file, what, expect });
        }
    }
    cases
}

/// The values file a case goes over: the application's first example environment when its
/// defaults need values, so that only the bad part is wrong.
fn base(app: &str) -> Option<PathBuf> {
    let app = apps::find(app).expect("application");
    match (app.needs_values(), app.environments().first()) {
        (Some(_), Some(env)) => Some(chart_dir(&app.chart().name).join(format!("values-{}.yaml", env.name))),
        _ => None,
    }
}

/// emit --stdout and check reject `file` with an error naming it and carrying `expect`, print
/// nothing on stdout, do not panic; Helm 4 and 3 reject it too. `Err` says what went wrong.
fn rejected_everywhere(app: &str, file: &Path, what: &str, expect: &[String]) -> Result<(), String> {
    let base = base(app);
    let files: Vec<&Path> = base.iter().map(PathBuf::as_path).chain([file]).collect();
    let shown = file.display().to_string();
    let mut check = kforge();
    check.args(["check", "--app", app]);
    for f in &files {
        check.arg("--values").arg(f);
    }
    for (how, out) in [("emit --stdout", emit_stdout(app, app, "default", &files, &[])), ("check", run(&mut check))] {
        let stderr = text(&out.stderr);
        if out.status.success() {
            return Err(format!("{app}, {what}: {how} accepted {shown}"));
        }
        if !out.stdout.is_empty() {
            return Err(format!("{app}, {what}: {how} printed to stdout"));
        }
        if stderr.contains("panicked") || !stderr.starts_with("error: ") {
            return Err(format!("{app}, {what}: {how} did not fail cleanly:\n{stderr}"));
        }
        if !stderr.contains(&shown) {
            return Err(format!("{app}, {what}: the error of {how} does not name {shown}:\n{stderr}"));
        }
        if let Some(missing) = expect.iter().find(|e| !stderr.contains(e.as_str())) {
            return Err(format!("{app}, {what}: the error of {how} lacks {missing:?}:\n{stderr}"));
        }
    }
    for helm in HELMS {
        if helm_template(helm, app, app, "default", &files, &[]).status.success() {
            return Err(format!("{app}, {what}: {helm} accepted {shown}, which emit rejects"));
        }
    }
    Ok(())
}

#[test]
fn the_bad_input_corpus_is_rejected_by_both_renderers() {
    let before = tree_digest(&root().join("charts-out"));
    let cases = corpus();
    let per_app = |app: &str| cases.iter().filter(|c| c.app == app).count();
    // What the book asks of a new application (docs/src/repository.md): a corpus directory with at least one case.
    // The generated oversized cases come on top.
    for app in apps::all() {
        let name = app.chart().name.clone();
        assert!(per_app(&name) >= 1, "{name}: no bad-input cases; add tests/bad-input/{name}/ with a values file per case (tests/bad-input/README.md)");
    }
    // Two workers: each case is two runs of ours and two of Helm.
    let failures: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = cases
            .chunks(cases.len().div_ceil(2))
            .map(|chunk| s.spawn(move || chunk.iter().filter_map(|c| rejected_everywhere(&c.app, &c.file, &c.what, &c.expect).err()).collect::<Vec<_>>()))
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("worker")).collect()
    });
    assert!(failures.is_empty(), "{} of {} bad-input cases failed:\n\n{}", failures.len(), cases.len(), failures.join("\n\n"));
    assert!(before == tree_digest(&root().join("charts-out")), "bad input changed charts-out");
    eprintln!("bad input: {} cases, each rejected by emit --stdout, check, Helm 4 and Helm 3", cases.len());
}

#[test]
fn huge_values_files_are_rejected_by_both_renderers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for app in apps::all() {
        let name = app.chart().name.clone();
        // Over the limit: refused before parsing.
        let over = tmp.path().join(format!("{name}-over-4-mib.yaml"));
        let line = format!("  - \"{}\"\n", "x".repeat(100));
        let mut big = String::from("unknownHugeList:\n");
        while big.len() <= 4 << 20 {
            big.push_str(&line);
        }
        std::fs::write(&over, &big).expect("write");
        rejected_everywhere(&name, &over, "over 4 MiB", &["file is larger than 4 MiB".into()]).unwrap_or_else(|e| panic!("{e}"));
        // Just under it: parsed, and the setting it names is not the chart's.
        let under = tmp.path().join(format!("{name}-under-4-mib.yaml"));
        big.truncate((4 << 20) - line.len() * 2);
        big.truncate(big.rfind('\n').expect("lines") + 1);
        std::fs::write(&under, &big).expect("write");
        rejected_everywhere(&name, &under, "just under 4 MiB", &["unknown setting `unknownHugeList`".into()]).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn a_repeated_key_means_the_last_one_as_in_helm() {
    // Helm reads the last of two equal keys; emit must not refuse what Helm takes.
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("twice.yaml");
    std::fs::write(&file, "ws:\n  enabled: true\nws:\n  enabled: false\nreplicaCount: 0\nreplicaCount: 1\n").expect("write");
    let ours = emit_stdout("backbone", "backbone", "default", &[file.as_path()], &[]);
    assert!(ours.status.success(), "{}", text(&ours.stderr));
    assert!(text(&ours.stdout).contains("WS_ENABLED: \"false\""));
    for helm in HELMS {
        let theirs = helm_template(helm, "backbone", "backbone", "default", &[file.as_path()], &[]);
        assert!(theirs.status.success(), "{helm}: {}", text(&theirs.stderr));
        compare_streams(&text(&theirs.stdout), &text(&ours.stdout)).unwrap_or_else(|e| panic!("{helm}: {e}"));
    }
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
    for (files, set) in
        [(vec![file.as_path()], vec![]), (vec![], vec![format!("secrets.betterAuthSecret={secret}")]), (vec![], vec![format!("secrets.betterAuthSecret={one_short}")])]
    {
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

/// `emit` with these arguments, under a 60 s limit: its exit status and standard error.
fn bounded_emit(args: &[String]) -> (bool, String) {
    let mut child =
        kforge().args(["emit", "--app", "backbone", "--stdout"]).args(args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().expect("spawn");
    let started = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().ok();
            panic!("emit ran past 60 s with {} arguments", args.len());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    (out.status.success(), text(&out.stderr))
}

#[test]
fn set_paths_deep_in_list_indices_are_refused_not_a_crash() {
    // 5000 indices once overflowed the stack (the depth limit counted dots only).
    let deep = format!("imagePullSecrets{}=x", "[0]".repeat(5000));
    for flag in ["--set", "--set-string", "--set-json", "--set-literal", "--set-file"] {
        let (ok, stderr) = bounded_emit(&[flag.to_string(), deep.clone()]);
        assert!(!ok && stderr.contains("nested more than 100 levels of keys and list indices"), "{flag}: {stderr}");
    }
    let out = run(kforge().args(["check", "--app", "backbone", "--set"]).arg(&deep));
    assert!(!out.status.success() && text(&out.stderr).contains("nested more than 100 levels"), "{}", text(&out.stderr));
    // Within the limit, Helm's reading holds: the setting is a list of maps, not of lists.
    let (ok, stderr) = bounded_emit(&["--set".into(), format!("imagePullSecrets{}=x", "[0]".repeat(90))]);
    assert!(!ok && stderr.contains("imagePullSecrets[0]: expected a map of settings, found a list"), "{stderr}");
}

#[test]
fn set_lists_grown_by_many_flags_stop_at_a_bound_not_at_the_memory() {
    // 40 such flags once took 4 GB; the lists all --set flags grow share one bound.
    let args: Vec<String> = (1..=40).flat_map(|i| ["--set".to_string(), format!("x{i}[65536]=1")]).collect();
    let (ok, stderr) = bounded_emit(&args);
    assert!(!ok && stderr.contains("x17[65536]: index 65536: the lists the --set arguments grow would hold more than 1048592 items together"), "{stderr}");
    // 16 are within it: refused for the unknown setting, as Helm refuses them.
    let (ok, stderr) = bounded_emit(&args[..32]);
    assert!(!ok && stderr.contains("unknown setting `x1`"), "{stderr}");
}

#[test]
fn values_and_set_files_are_read_up_to_the_cap_only() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sparse = tmp.path().join("sparse");
    std::fs::File::create(&sparse).and_then(|f| f.set_len(1 << 30)).expect("a sparse file of 1 GiB");
    for (flag, value) in [("--set-file", format!("image.tag={}", sparse.display())), ("--set-file", "image.tag=/dev/zero".to_string()), ("-f", "/dev/zero".to_string())] {
        let (ok, stderr) = bounded_emit(&[flag.to_string(), value.clone()]);
        assert!(!ok && stderr.contains("file is larger than 4 MiB"), "{flag} {value}: {stderr}");
    }
}

#[test]
fn errors_never_quote_a_secret() {
    // A number given for a password is still the password.
    let (ok, stderr) = bounded_emit(&["--set".into(), "config.adminToken=987654321".into()]);
    assert!(!ok && stderr.contains("config.adminToken: invalid type: a number (not shown: a secret)") && !stderr.contains("987654321"), "{stderr}");
    // A syntax error names its line and column, and quotes no line of the file.
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("broken.yaml");
    std::fs::write(&file, "config:\n  adminToken: s3cr3t-value\n  jwtSecret: [unclosed\nreplicaCount: 1\n").expect("write");
    let (ok, stderr) = bounded_emit(&["-f".into(), file.display().to_string()]);
    assert!(!ok && stderr.contains("not valid YAML: line 4 column 13") && !stderr.contains("s3cr3t-value"), "{stderr}");
}
