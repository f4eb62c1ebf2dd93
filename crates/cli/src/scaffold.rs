//! `kforge new NAME`: a team's own crate, ready to `cargo run -- emit`. Every file is made in
//! memory first, then written into a fresh folder beside the target and renamed into place in
//! one step: either the whole crate is there, or nothing is.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

const CARGO_TOML: &str = include_str!("new/Cargo.toml.in");
const MAIN_RS: &str = include_str!("new/main.rs.in");
const STAGING: &str = include_str!("new/values-staging.yaml");
const PRODUCTION: &str = include_str!("new/values-production.yaml");
const GITIGNORE: &str = include_str!("new/gitignore");

/// Names a crate cannot take whatever their shape: Rust's keywords (2024 edition, strict and
/// reserved), the built-in crates, and the crates the new one depends on.
const RESERVED: &[&str] = &[
    "abstract",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "const",
    "continue",
    "crate",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
    "alloc",
    "core",
    "proc-macro",
    "std",
    "test",
    "kforge",
    "kforge-derive",
    "kforge-cli",
    "kforge-crd",
    "kforge-release",
    "k8s-openapi",
    "schemars",
    "serde",
];

/// `Ok` when `name` can be the crate's, binary's, application's and chart's name: a DNS-1123
/// label (the chart's name is the default release's, which is a Service's name too: a DNS-1035
/// label, starting with a letter) of at most 53 characters (Helm's limit for a release name).
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    let expected = "expected a DNS-1123 label of at most 53 characters (Helm's limit for the release name, which defaults to the chart's): \
                    lowercase letters, digits and '-', starting with a letter and ending with a letter or digit, such as web-shop";
    let shape = !name.is_empty()
        && name.len() <= 53
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !shape {
        return Err(format!("NAME {name:?}: {expected}"));
    }
    if RESERVED.contains(&name) {
        return Err(format!("NAME {name:?}: a Rust keyword, a built-in crate or a crate the new one depends on; choose another name"));
    }
    Ok(())
}

/// The kforge checkout this binary was built from, when it is still there: its crates are the
/// new crate's path dependencies.
fn checkout() -> Option<PathBuf> {
    let cli = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = cli.parent()?.parent()?.canonicalize().ok()?;
    let ours = ["crates/cli/Cargo.toml", "crates/manifests/Cargo.toml", "Cargo.lock"].iter().all(|f| root.join(f).is_file());
    ours.then_some(root)
}

/// A TOML basic string (its escapes are JSON's for what a path holds).
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// Every file of the crate `name`, by path inside its folder. From a checkout, the kforge crates
/// are path dependencies on it and the checkout's Cargo.lock comes along (the versions kforge is
/// tested with, and what its target folder has compiled).
pub(crate) fn files(name: &str, checkout: Option<&Path>) -> Result<Vec<(&'static str, String)>, String> {
    let version = env!("CARGO_PKG_VERSION");
    let registry = format!("kforge-cli = \"{version}\"\nkforge = \"{version}\"");
    let kforge = match checkout {
        Some(root) => {
            let path = |sub: &str| {
                let dir = root.join(sub);
                dir.to_str().map(toml_string).ok_or_else(|| format!("{}: the checkout's path is not UTF-8, which Cargo.toml cannot name", dir.display()))
            };
            let commented: String = registry.lines().map(|l| format!("#   {l}\n")).collect();
            format!(
                "# kforge from the checkout this crate was made with; from a published release instead:\n{commented}kforge-cli = {{ path = {} }}\nkforge = {{ path = {} }}",
                path("crates/cli")?,
                path("crates/manifests")?
            )
        }
        None => format!("# kforge {version}, from its registry (or a git dependency on its repository).\n{registry}"),
    };
    let fill = |template: &str| template.replace("{{name}}", name).replace("{{kforge}}", &kforge);
    let mut out = vec![
        ("Cargo.toml", fill(CARGO_TOML)),
        (".gitignore", GITIGNORE.to_string()),
        ("src/main.rs", fill(MAIN_RS)),
        ("src/values-staging.yaml", STAGING.to_string()),
        ("src/values-production.yaml", PRODUCTION.to_string()),
    ];
    if let Some(root) = checkout {
        let lock = root.join("Cargo.lock");
        out.push(("Cargo.lock", fs::read_to_string(&lock).map_err(|e| format!("{}: {e}", lock.display()))?));
    }
    Ok(out)
}

/// Writes the crate `name` into `out/name` and returns that folder. Refuses, writing nothing, an
/// invalid name, an `out` that is not a folder, and a target that exists and is not an empty
/// folder (a symbolic link included: the user gave `out`, not what is inside it).
pub(crate) fn new(name: &str, out: &Path) -> Result<PathBuf, String> {
    check_name(name)?;
    if !out.is_dir() {
        return Err(format!("--out {}: no such folder; create it first, or give the folder to create the crate in", out.display()));
    }
    let target = out.join(name);
    match fs::symlink_metadata(&target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{}: {e}", target.display())),
        Ok(m) if m.file_type().is_symlink() => {
            return Err(format!("{} is a symbolic link; kforge new writes through none it was not given: remove it, or give --out the folder it points to", target.display()));
        }
        Ok(m) if !m.is_dir() => return Err(format!("{} exists and is not a folder; nothing was written", target.display())),
        Ok(_) => {
            let mut entries = fs::read_dir(&target).map_err(|e| format!("{}: {e}", target.display()))?;
            if entries.next().is_some() {
                return Err(format!("{} exists and is not empty; nothing was written (choose another NAME or --out)", target.display()));
            }
        }
    }
    let files = files(name, checkout().as_deref())?;
    // A folder of our own beside the target, renamed onto it once complete.
    let staging = out.join(format!(".{name}.kforge-new-{}", std::process::id()));
    fs::create_dir(&staging).map_err(|e| format!("{}: {e}; nothing was written", staging.display()))?;
    let written = write_all(&staging, &files).and_then(|()| fs::rename(&staging, &target).map_err(|e| format!("{}: {e}", target.display())));
    if let Err(e) = written {
        // std's remove_dir_all follows no symbolic link.
        let _ = fs::remove_dir_all(&staging);
        return Err(format!("{e}; nothing was written"));
    }
    Ok(target)
}

fn write_all(dir: &Path, files: &[(&str, String)]) -> Result<(), String> {
    for (path, text) in files {
        let file = dir.join(path);
        if let Some(parent) = file.parent().filter(|p| !p.exists()) {
            fs::create_dir(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        // A new file, never one already there (nor a link in its place).
        let mut f = fs::OpenOptions::new().write(true).create_new(true).open(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        f.write_all(text.as_bytes()).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_labels_that_a_crate_can_take() {
        for good in ["web", "web-shop", "a1", &"a".repeat(53)] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "Web", "web_shop", "1web", "web-", "-web", "web.shop", "wéb", &"a".repeat(54), "web shop"] {
            let e = check_name(bad).expect_err(bad);
            assert!(e.contains("expected a DNS-1123 label"), "{e}");
        }
        for reserved in ["fn", "test", "kforge", "serde"] {
            assert!(check_name(reserved).is_err_and(|e| e.contains("choose another name")), "{reserved}");
        }
    }

    /// The table headers and settings of a Cargo.toml from its first `[profile` table on, without
    /// comments and blank lines.
    fn profiles(text: &str) -> Vec<String> {
        let start = text.find("\n[profile").expect("profile blocks");
        text[start..].lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect()
    }

    #[test]
    fn the_profile_and_versions_are_those_of_the_external_crate_test() {
        let root = checkout().expect("the tests run in a checkout");
        let external = fs::read_to_string(root.join("tests/external-crate/Cargo.toml")).expect("read the external crate's Cargo.toml");
        let generated = files("web", Some(&root)).expect("files");
        let cargo = &generated.iter().find(|(p, _)| *p == "Cargo.toml").expect("a Cargo.toml").1;
        // The same profile: a crate built into kforge's target folder reuses what kforge compiled.
        assert_eq!(profiles(cargo), profiles(&external));
        for dependency in ["k8s-openapi = ", "schemars = ", "serde = "] {
            let line = |text: &str| text.lines().find(|l| l.starts_with(dependency)).map(str::to_string);
            assert_eq!(line(cargo), line(&external), "{dependency}");
        }
        let path = |sub: &str| format!("{{ path = {} }}", toml_string(root.join(sub).to_str().expect("UTF-8")));
        assert!(cargo.contains(&format!("kforge-cli = {}", path("crates/cli"))), "{cargo}");
        assert!(cargo.contains(&format!("#   kforge-cli = \"{}\"", env!("CARGO_PKG_VERSION"))), "{cargo}");
        assert!(generated.iter().any(|(p, _)| *p == "Cargo.lock"));
        // Without a checkout: the registry form, and no lock file of kforge's.
        let alone = files("web", None).expect("files");
        assert!(alone[0].1.contains("\nkforge-cli = \"") && !alone.iter().any(|(p, _)| *p == "Cargo.lock"));
    }

    #[test]
    fn nothing_is_written_over_a_folder_with_files_or_through_a_link() {
        let tmp = tempfile::tempdir().expect("tempdir");
        fs::create_dir(tmp.path().join("taken")).expect("mkdir");
        fs::write(tmp.path().join("taken/keep.txt"), "mine").expect("write");
        assert!(new("taken", tmp.path()).is_err_and(|e| e.contains("exists and is not empty")));
        #[cfg(unix)]
        {
            fs::create_dir(tmp.path().join("elsewhere")).expect("mkdir");
            std::os::unix::fs::symlink(tmp.path().join("elsewhere"), tmp.path().join("linked")).expect("symlink");
            assert!(new("linked", tmp.path()).is_err_and(|e| e.contains("symbolic link")));
            assert_eq!(fs::read_dir(tmp.path().join("elsewhere")).expect("read").count(), 0);
        }
        assert!(new("web", &tmp.path().join("missing")).is_err_and(|e| e.contains("no such folder")));
        // An empty folder is taken, and every file lands.
        fs::create_dir(tmp.path().join("empty")).expect("mkdir");
        let dir = new("empty", tmp.path()).expect("an empty folder is fine");
        for (path, text) in files("empty", checkout().as_deref()).expect("files") {
            assert_eq!(fs::read_to_string(dir.join(path)).expect("written"), text);
        }
        let staged: Vec<_> = fs::read_dir(tmp.path()).expect("read").filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().starts_with('.')).collect();
        assert!(staged.is_empty(), "a staging folder was left behind: {staged:?}");
    }
}
