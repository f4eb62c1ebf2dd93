//! The library crates are ready for a registry: `cargo package` (without the verify build, which
//! would compile them all again) takes each, with the metadata a registry asks for, and the
//! binary, the applications, the wizard and the book crate are marked unpublished.

use std::process::Command;

use crate::support::*;

/// What a team depends on, and what those depend on.
const LIBRARIES: [&str; 7] = ["kforge", "kforge-derive", "kforge-values", "kforge-record", "kforge-crd", "kforge-cli", "kforge-release"];

#[test]
fn every_library_crate_packages_with_registry_metadata() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new(&cargo);
    cmd.args(["package", "--no-verify", "--allow-dirty", "--offline", "--quiet"]).current_dir(root()).env("CARGO_TARGET_DIR", target.path());
    for krate in LIBRARIES {
        cmd.args(["-p", krate]);
    }
    let out = run(&mut cmd);
    assert!(out.status.success(), "cargo package: {}", text(&out.stderr));
    for krate in LIBRARIES {
        let file = target.path().join(format!("package/{krate}-0.1.0.crate"));
        assert!(file.is_file(), "{} was not written", file.display());
    }
    // The metadata, read as cargo reads it.
    let meta = run(Command::new(&cargo).args(["metadata", "--no-deps", "--format-version", "1", "--offline"]).current_dir(root()));
    assert!(meta.status.success(), "{}", text(&meta.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&meta.stdout).expect("cargo metadata is JSON");
    let packages = meta["packages"].as_array().expect("packages");
    for p in packages {
        let name = p["name"].as_str().unwrap_or("");
        let published = p["publish"].is_null();
        assert_eq!(published, LIBRARIES.contains(&name), "{name}: publish is {}", p["publish"]);
        if published {
            for field in ["description", "license", "readme", "documentation", "rust_version"] {
                assert!(p[field].as_str().is_some_and(|s| !s.is_empty()), "{name}: no {field}");
            }
            assert!(p["keywords"].as_array().is_some_and(|k| !k.is_empty() && k.len() <= 5), "{name}: keywords {}", p["keywords"]);
        }
    }
}
