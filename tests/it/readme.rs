//! The book's code: the application of its chapter "Your own crate" (`docs/src/own-crate.md`) is
//! `examples/memcached.rs`, word for word but for its paths, and it emits a chart Helm 4 and 3
//! lint. (The doctests of `crates/book` compile every Rust block of the book.)

use std::process::Command;

use crate::support::*;

/// The code blocks of `lang` (its fence's info string up to the first comma: `rust,no_run` is
/// `rust`) in the book's chapter `chapter` (`docs/src/<chapter>`), without the lines rustdoc
/// hides (`# ` and a lone `#`), which the page does not show.
fn blocks(chapter: &str, lang: &str) -> Vec<String> {
    let path = root().join("docs/src").join(chapter);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) if info.split(',').next() == Some(lang) => current = Some(String::new()),
            (Some(_), Some("")) => blocks.push(current.take().unwrap_or_default()),
            (Some(block), _) if !(lang == "rust" && (line.starts_with("# ") || line == "#")) => {
                block.push_str(line);
                block.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

#[test]
fn the_own_crate_example_is_the_example_that_builds() {
    let shown = blocks("own-crate.md", "rust");
    let shown = shown.iter().find(|b| b.contains("struct Values")).expect("the chapter shows an application");
    let example = std::fs::read_to_string(root().join("examples/memcached.rs")).expect("read the example");
    // The file's own doc comment, then the code; its paths are the repository's.
    let code: String = example.lines().skip_while(|l| l.starts_with("//!") || l.is_empty()).map(|l| format!("{l}\n")).collect();
    let as_in_a_crate = code
        .replace("\"examples/memcached.rs\"", "\"src/main.rs\"")
        .replace("\"examples/memcached/values-production.yaml\"", "\"src/values-production.yaml\"")
        .replace("include_str!(\"memcached/values-production.yaml\")", "include_str!(\"values-production.yaml\")");
    // rustfmt lays the file out for its longer paths: compare the code, not its layout.
    let code_of = |s: &str| s.split_whitespace().collect::<String>().replace(",)", ")");
    assert_eq!(code_of(shown), code_of(&as_in_a_crate), "the application of docs/src/own-crate.md and examples/memcached.rs differ:\n{shown}\n---\n{as_in_a_crate}");

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
    let shown = blocks("own-crate.md", "rust");
    let shown = shown.iter().find(|b| b.contains("Certificate::new")).expect("the chapter shows the Certificate");
    let crate_main = std::fs::read_to_string(root().join("tests/external-crate/src/main.rs")).expect("read the external crate");
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words(&crate_main).contains(&words(shown)), "the Certificate code of docs/src/own-crate.md is not tests/external-crate/src/main.rs's:\n{shown}");
    // And the import command it shows is the one whose output the crate holds.
    let sh = blocks("own-crate.md", "sh");
    assert!(sh.iter().any(|b| b.contains("crd import") && b.contains("--out src/crds")), "{sh:?}");
    assert!(root().join("tests/external-crate/src/crds/certificate.rs").is_file());
}
