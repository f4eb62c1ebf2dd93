//! `kforge package` and publishing for real: packages are byte-identical from run to run, never
//! replace a file kforge did not write, render with Helm 4 and 3 as the chart folder does, and
//! go through an OCI registry (Debian's docker-registry on 127.0.0.1) and a classic chart
//! repository index.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

fn package(out: &Path, extra: &[&str]) -> std::process::Output {
    run(kforge().args(["package", "--out"]).arg(out).args(extra))
}

fn packages(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir).expect("read_dir").map(|e| e.expect("entry").path()).filter(|p| p.extension().is_some_and(|e| e == "tgz")).collect();
    found.sort();
    found
}

/// `helm template` of the chart `source` (a folder, a .tgz or an oci:// reference) with the
/// application's first example values file, when it needs values.
fn render(helm: &str, app: &dyn kforge::Application, source: &str, extra: &[&str]) -> String {
    let name = &app.chart().name;
    let mut cmd = Command::new(tool(helm));
    cmd.args(["template", name, source, "-n", name]).args(extra);
    if let Some(env) = app.environments().first().filter(|_| app.needs_values().is_some()) {
        cmd.arg("-f").arg(chart_dir(name).join(format!("values-{}.yaml", env.name)));
    }
    let out = run(&mut cmd);
    assert!(out.status.success(), "{helm} template {source}: {}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn packages_are_reproducible_render_like_the_chart_and_never_replace_foreign_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for dir in [&a, &b] {
        let out = package(dir, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let (first, second) = (packages(&a), packages(&b));
    assert_eq!(first.len(), apps::all().len());
    for (x, y) in first.iter().zip(&second) {
        assert_eq!(std::fs::read(x).expect("read"), std::fs::read(y).expect("read"), "{} differs between two runs", x.display());
    }
    // Run again into the same folder: its own files are replaced, identical.
    assert!(package(&a, &[]).status.success());
    for app in apps::all() {
        let name = &app.chart().name;
        let tgz = a.join(format!("{name}-{}.tgz", app.chart().version));
        assert!(tgz.exists(), "{} missing", tgz.display());
        // The record of emitted files stays out, as .helmignore says.
        let mut listing = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&tgz).expect("open")).read_to_end(&mut listing).expect("a gzip archive");
        let listing = String::from_utf8_lossy(&listing);
        assert!(listing.contains(&format!("{name}/Chart.yaml")) && !listing.contains(&format!("{name}/.kforge-files")), "{name}: the record was packaged");
        for helm in HELMS {
            let lint = run(Command::new(tool(helm)).args(["lint", "--strict"]).arg(&tgz).args(if app.needs_values().is_some() {
                vec!["-f".to_string(), chart_dir(name).join(format!("values-{}.yaml", app.environments()[0].name)).display().to_string()]
            } else {
                vec![]
            }));
            assert!(lint.status.success(), "{helm} lint {name}: {}{}", text(&lint.stdout), text(&lint.stderr));
            assert_eq!(
                render(helm, app.as_ref(), &tgz.display().to_string(), &[]),
                render(helm, app.as_ref(), &chart_dir(name).display().to_string(), &[]),
                "{helm}: {name}'s package renders differently"
            );
        }
    }
    // A file of the same name that kforge did not write stays; nothing is written.
    let foreign = a.join(format!("dbbat-{}.tgz", apps::dbbat::app().chart.version));
    std::fs::write(&foreign, "not a package of ours").expect("write");
    let refused = package(&a, &[]);
    assert!(!refused.status.success() && text(&refused.stderr).contains(&foreign.display().to_string()), "{}", text(&refused.stderr));
    assert_eq!(std::fs::read_to_string(&foreign).expect("kept"), "not a package of ours");
}

#[test]
fn a_release_job_sets_the_version_and_app_version() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = package(tmp.path(), &["--app", "dbbat", "--version", "7.8.9", "--app-version", "2.0.1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tgz = tmp.path().join("dbbat-7.8.9.tgz");
    for helm in HELMS {
        let chart = run(Command::new(tool(helm)).args(["show", "chart"]).arg(&tgz));
        let said = text(&chart.stdout);
        assert!(said.contains("version: 7.8.9") && said.contains("appVersion: 2.0.1"), "{helm}: {said}");
    }
    // The default image tag is the appVersion.
    let dbbat = apps::dbbat::app();
    assert!(render("helm4", &dbbat, &tgz.display().to_string(), &[]).contains("dbbat:2.0.1\""), "the image does not follow --app-version");
    for (args, expect) in [
        (vec!["--app", "dbbat", "--version", "1.0"], "not SemVer 2"),
        (vec!["--app", "dbbat", "--app", "backbone", "--version", "1.0.0"], "exactly one --app"),
        (vec!["--app", "dbbat", "--app-version", "1.0\""], "app.kubernetes.io/version label"),
    ] {
        let out = run(kforge().args(["package", "--out"]).arg(tmp.path()).args(&args));
        assert!(!out.status.success() && text(&out.stderr).contains(expect), "{args:?}: {}", text(&out.stderr));
    }
}

/// The reference registry on a free port of 127.0.0.1, stopped when dropped.
struct Registry {
    child: Child,
    port: u16,
    _root: tempfile::TempDir,
}

impl Registry {
    fn start() -> Registry {
        let root = tempfile::tempdir().expect("tempdir");
        let port = TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        let config = root.path().join("config.yml");
        std::fs::write(
            &config,
            format!("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n", root.path().join("data").display()),
        )
        .expect("config");
        let child = Command::new(tool("docker-registry")).arg("serve").arg(&config).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("start docker-registry");
        let registry = Registry { child, port, _root: root };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "docker-registry did not listen on 127.0.0.1:{port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        registry
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn charts_round_trip_through_an_oci_registry_and_a_chart_repository_index() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dist = tmp.path().join("dist");
    assert!(package(&dist, &[]).status.success());
    let registry = Registry::start();
    for helm in HELMS {
        // Each Helm pushes into its own repository path, so each pull reads what it pushed.
        let base = format!("oci://127.0.0.1:{}/{helm}", registry.port);
        for app in apps::all() {
            let name = &app.chart().name;
            let version = &app.chart().version;
            let tgz = dist.join(format!("{name}-{version}.tgz"));
            let push = run(Command::new(tool(helm)).arg("push").arg(&tgz).arg(&base).arg("--plain-http"));
            assert!(push.status.success(), "{helm} push {name}: {}", text(&push.stderr));
            let reference = format!("{base}/{name}");
            let pulled = render(helm, app.as_ref(), &reference, &["--version", version, "--plain-http"]);
            assert_eq!(pulled, render(helm, app.as_ref(), &chart_dir(name).display().to_string(), &[]), "{helm}: {name} from the registry renders differently");
            let values = run(Command::new(tool(helm)).args(["show", "values", &reference, "--version", version, "--plain-http"]));
            assert!(values.status.success(), "{helm} show values {name}: {}", text(&values.stderr));
            assert_eq!(text(&values.stdout).trim_end(), std::fs::read_to_string(chart_dir(name).join("values.yaml")).expect("values.yaml").trim_end(), "{helm}: {name}'s values");
        }
    }
    // A classic chart repository: index.yaml lists every package with its digest.
    let index = run(Command::new(tool("helm4")).args(["repo", "index"]).arg(&dist).args(["--url", "https://charts.example.com"]));
    assert!(index.status.success(), "{}", text(&index.stderr));
    let index: serde_json::Value = serde_saphyr::from_str(&std::fs::read_to_string(dist.join("index.yaml")).expect("index.yaml")).expect("index parses");
    for app in apps::all() {
        let name = &app.chart().name;
        let entry = &index["entries"][name][0];
        assert_eq!(entry["version"], serde_json::json!(app.chart().version), "{name}: {entry}");
        let tgz = std::fs::read(dist.join(format!("{name}-{}.tgz", app.chart().version))).expect("read");
        use sha2::Digest;
        assert_eq!(entry["digest"].as_str(), Some(format!("{:x}", sha2::Sha256::digest(&tgz)).as_str()), "{name}'s digest");
    }
}

#[cfg(unix)]
#[test]
fn package_and_emit_write_nothing_through_planted_or_spelled_links() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().expect("tempdir");
    let target = tmp.path().join("target");
    std::fs::write(&target, "precious\n").expect("write");
    // A link planted where a fixed temporary name once was: packages are written to new files.
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    for app in apps::all() {
        let meta = app.chart();
        symlink(&target, out.join(format!(".{}-{}.tgz.partial", meta.name, meta.version))).expect("symlink");
    }
    let made = package(&out, &[]);
    assert!(made.status.success(), "{}", text(&made.stderr));
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "precious\n", "a package was written through a planted link");
    assert_eq!(packages(&out).len(), apps::all().len());
    for p in packages(&out) {
        assert!(!std::fs::symlink_metadata(&p).expect("stat").is_symlink());
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&p).expect("stat").permissions()) & 0o777, 0o644, "{}", p.display());
    }
    // An output folder spelled through a link (`link/.`, `link/x/..`) is the link: refused.
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(elsewhere.join("charts")).expect("mkdir");
    let link = tmp.path().join("link");
    symlink(&elsewhere, &link).expect("symlink");
    for spelled in [format!("{}/.", link.display()), format!("{}/charts/..", link.display())] {
        let refused = package(Path::new(&spelled), &[]);
        assert!(!refused.status.success() && text(&refused.stderr).contains("not a directory"), "package {spelled}: {}", text(&refused.stderr));
        let refused = run(kforge().args(["emit", "--app", "dbbat", "--out"]).arg(&spelled));
        assert!(!refused.status.success() && text(&refused.stderr).contains("is a symbolic link"), "emit {spelled}: {}", text(&refused.stderr));
    }
    assert_eq!(tree_digest(&elsewhere).len(), 0, "written through the link");
}
