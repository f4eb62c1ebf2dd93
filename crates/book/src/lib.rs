//! The Rust code of the book (`docs/src`) and of the README, compiled by `cargo test --doc`:
//! each chapter is the documentation of a module here, so every ```rust block in it is a
//! doctest (hidden `# ` lines give a fragment what it needs around it; `no_run` compiles a
//! `main` that would start the command line). mdBook only renders the chapters; this crate is
//! what proves their code builds against today's DSL. A new chapter gets its line below.

/// The types `kforge crd import` wrote for cert-manager's `Certificate` into the external
/// crate (`tests/external-crate/src/crds/`), for the walk-through of `docs/src/own-crate.md`,
/// which shows code of that crate.
#[doc(hidden)]
#[path = "../../../tests/external-crate/src/crds/mod.rs"]
pub mod crds;

macro_rules! chapters {
    ($($module:ident = $path:literal),* $(,)?) => {
        $(
            #[cfg(doctest)]
            #[doc = include_str!($path)]
            mod $module {}
        )*
    };
}

chapters! {
    readme = "../../../README.md",
    introduction = "../../../docs/src/introduction.md",
    test_command = "../../../docs/src/test-command.md",
    own_crate = "../../../docs/src/own-crate.md",
    commands = "../../../docs/src/commands.md",
    dsl_tasks = "../../../docs/src/dsl-tasks.md",
    dsl = "../../../docs/src/dsl.md",
    emit = "../../../docs/src/emit.md",
    value_flags = "../../../docs/src/value-flags.md",
    contract = "../../../docs/src/contract.md",
    check = "../../../docs/src/check.md",
    pictures = "../../../docs/src/pictures.md",
    security = "../../../docs/src/security.md",
    gitops = "../../../docs/src/gitops.md",
    upgrades = "../../../docs/src/upgrades.md",
    wizard = "../../../docs/src/wizard.md",
    repository = "../../../docs/src/repository.md",
    applications = "../../../docs/src/applications.md",
    // The chapter is `{{#include}}` of BENCHMARKS.md: both, so that code in either is compiled.
    benchmarks = "../../../docs/src/benchmarks.md",
    benchmarks_md = "../../../BENCHMARKS.md",
}

/// Every chapter of `docs/src/SUMMARY.md` is one of the modules above: a chapter left out
/// would have its code go unchecked.
#[cfg(test)]
mod tests {
    #[test]
    fn every_chapter_is_compiled() {
        let lib = include_str!("lib.rs");
        let summary = include_str!("../../../docs/src/SUMMARY.md");
        for line in summary.lines() {
            let Some(file) = line.split("](").nth(1).and_then(|rest| rest.split(')').next()) else { continue };
            assert!(lib.contains(&format!("\"../../../docs/src/{file}\"")), "docs/src/{file} is in SUMMARY.md but not compiled by crates/book/src/lib.rs");
        }
    }
}
