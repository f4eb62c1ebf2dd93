//! The crate's layers depend one way: a module names (`crate::<module>`) only its own layer and
//! the layers below it, in the order `lib.rs` gives them. Unit tests (after `#[cfg(test)]`) may
//! name any layer.

use std::fs;
use std::path::Path;

/// Bottom to top. Modules of the same rank do not depend on each other.
const LAYERS: &[(&str, usize)] =
    &[("rules", 0), ("template", 1), ("expr", 1), ("values", 2), ("model", 3), ("objects", 3), ("kit", 3), ("extend", 3), ("render", 4), ("check", 4), ("graph", 5), ("output", 6)];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((path.display().to_string(), fs::read_to_string(&path).expect("source is text")));
        }
    }
}

/// The modules a source names through `crate::`, leaving out `$crate::` (a macro's call site).
fn named(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        if text[..i].ends_with('$') {
            continue;
        }
        let rest = &text[i + "crate::".len()..];
        let name: String = rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
        if !name.is_empty() {
            out.push(name);
        }
    }
    out
}

#[test]
fn modules_depend_only_on_their_layer_and_those_below() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong = Vec::new();
    for (path, text) in &files {
        let relative = path.strip_prefix(&src.display().to_string()).unwrap_or(path).trim_start_matches('/');
        let own = relative.split(['/', '.']).next().unwrap_or("");
        if own == "lib" {
            continue;
        }
        let own_rank = rank(own).unwrap_or_else(|| panic!("{relative}: module {own:?} has no layer; add it to lib.rs and LAYERS"));
        // Unit tests may use any layer: a builder's test renders what it built.
        let code = text.split("#[cfg(test)]").next().unwrap_or(text);
        for module in named(code) {
            let Some(r) = rank(&module) else { continue };
            if module != own && r >= own_rank && !(own == "model" && matches!(module.as_str(), "objects" | "kit")) {
                wrong.push(format!("{relative} names crate::{module}"));
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "dependencies against the layers:\n{}", wrong.join("\n"));
}

#[test]
fn lib_places_every_module() {
    let lib = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).expect("lib.rs");
    let docs: String = lib.lines().filter(|l| l.starts_with("//!")).collect::<Vec<_>>().join("\n");
    for line in lib.lines() {
        if let Some(module) = line.strip_prefix("pub mod ").or_else(|| line.strip_prefix("mod ")) {
            let module = module.trim_end_matches(';').trim_end_matches(" {");
            assert!(docs.contains(&format!("[`{module}`]")), "lib.rs docs do not place module {module}");
            assert!(rank(module).is_some(), "module {module} has no layer in this test");
        }
    }
}
