//! The README's code: the "Your own crate" application is `examples/memcached.rs`, word for
//! word but for its paths, and it emits a chart Helm 4 and 3 lint.

use std::process::Command;

use crate::support::*;

/// The code blocks of `lang` in the README section `heading` (up to the next `## `).
fn blocks(heading: &str, lang: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("read README.md");
    let start = readme.find(&format!("\n{heading}\n")).unwrap_or_else(|| panic!("README.md has no section {heading:?}"));
    let section = &readme[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let fence = format!("```{lang}\n");
    section.split(&fence).skip(1).map(|b| b.split("```").next().unwrap_or_default().to_string()).collect()
}

#[test]
fn the_own_crate_example_is_the_example_that_builds() {
    let shown = blocks("## Your own crate", "rust");
    let shown = shown.iter().find(|b| b.contains("struct Values")).expect("the README shows an application");
    let example = std::fs::read_to_string(root().join("examples/memcached.rs")).expect("read the example");
    // The file's own doc comment, then the code; its paths are the repository's.
    let code: String = example.lines().skip_while(|l| l.starts_with("//!") || l.is_empty()).map(|l| format!("{l}\n")).collect();
    let as_in_a_crate = code
        .replace("\"examples/memcached.rs\"", "\"src/main.rs\"")
        .replace("\"examples/memcached/values-production.yaml\"", "\"src/values-production.yaml\"")
        .replace("include_str!(\"memcached/values-production.yaml\")", "include_str!(\"values-production.yaml\")");
    // rustfmt lays the file out for its longer paths: compare the code, not its layout.
    let code_of = |s: &str| s.split_whitespace().collect::<String>().replace(",)", ")");
    assert_eq!(code_of(shown), code_of(&as_in_a_crate), "the README's application and examples/memcached.rs differ:\n{shown}\n---\n{as_in_a_crate}");

    // `cargo test` builds the examples, `cargo test --test integration` does not: a no-op then.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = run(Command::new(cargo).args(["build", "--quiet", "--offline", "--example", "memcached"]).current_dir(root()));
    assert!(built.status.success(), "the example does not build:\n{}", text(&built.stderr));
    let bin = root().join("target/debug/examples/memcached");
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = run(Command::new(&bin).args(["emit", "--out"]).arg(tmp.path()).current_dir(root()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    for helm in ["helm4", "helm3"] {
        let lint = run(Command::new(tool(helm))
            .args(["lint", "--strict"])
            .arg(tmp.path().join("charts/memcached"))
            .args(["-f", "examples/memcached/values-production.yaml"])
            .current_dir(root()));
        assert!(lint.status.success(), "{helm} lint --strict: {}{}", text(&lint.stdout), text(&lint.stderr));
    }
}

#[test]
fn the_custom_resource_walk_through_is_the_external_crates_code() {
    let shown = blocks("## Your own crate", "rust");
    let shown = shown.iter().find(|b| b.contains("Certificate::new")).expect("the README shows the Certificate");
    let crate_main = std::fs::read_to_string(root().join("tests/external-crate/src/main.rs")).expect("read the external crate");
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words(&crate_main).contains(&words(shown)), "the README's Certificate code is not tests/external-crate/src/main.rs's:\n{shown}");
    // And the import command it shows is the one whose output the crate holds.
    let sh = blocks("## Your own crate", "sh");
    assert!(sh.iter().any(|b| b.contains("crd import") && b.contains("--out src/crds")), "{sh:?}");
    assert!(root().join("tests/external-crate/src/crds/certificate.rs").is_file());
}
