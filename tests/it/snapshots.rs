//! insta snapshots of every file `emit` writes, so a change in output is reviewed
//! (`cargo insta review`) before it lands.

use std::collections::BTreeSet;

#[test]
fn every_emitted_file_is_snapshotted() {
    let mut expected = BTreeSet::new();
    // Every file is compared before the test fails, so one run leaves a `.snap.new` for each
    // changed file and one review takes them all.
    let mut differ = Vec::new();
    for app in apps::all() {
        let tree = kforge::output::emit_app(app.as_ref()).unwrap_or_else(|e| panic!("{e}"));
        assert!(tree.len() > 10, "{} emitted only {} files", app.chart().name, tree.len());
        for (path, text) in tree {
            let name = path.display().to_string().replace(['/', '\\'], "__");
            expected.insert(format!("{name}.snap"));
            let compared = std::panic::catch_unwind(|| {
                insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => false, description => path.display().to_string()}, {
                    insta::assert_snapshot!(name.as_str(), text);
                });
            });
            if compared.is_err() {
                differ.push(path.display().to_string());
            }
        }
    }
    assert!(
        differ.is_empty(),
        "{} emitted file(s) differ from their snapshots: {}\nreview them all with `cargo insta review`, or without cargo-insta: read each \
         tests/it/snapshots/*.snap.new and rename it over its .snap to accept it",
        differ.len(),
        differ.join(", ")
    );
    // A snapshot of a file emit no longer writes is a stale review record: remove it.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots");
    let stale: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/it/snapshots")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".snap") && !expected.contains(f))
        .collect();
    assert!(stale.is_empty(), "snapshots of files emit no longer writes, delete them: {stale:?}");
}
