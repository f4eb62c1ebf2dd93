//! The record of a generated folder (`.kforge-files`): any text reads, and a record emit writes
//! reads back to exactly the files and hashes it lists.
#![no_main]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kforge_record::{read_record, record};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = read_record(&text);
    // Paths from the input (one per line, no line breaks or leading '#'), each with some text.
    let mut tree: BTreeMap<PathBuf, String> = BTreeMap::new();
    for line in text.lines().take(32) {
        let name = line.trim_matches('/');
        if name.is_empty() || name.starts_with('#') || name.contains("  ") || name.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
            continue;
        }
        tree.insert(Path::new("charts/app").join(name), line.to_string());
    }
    let written = record(&tree, Path::new("charts/app"));
    let (folder, files) = read_record(&written);
    assert_eq!(folder.as_deref(), Some("charts/app"));
    assert_eq!(files.len(), tree.len(), "{written}");
});
