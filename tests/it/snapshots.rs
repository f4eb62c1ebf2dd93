//! insta snapshots of every file `emit` writes, so a change in output is reviewed
//! (`cargo insta review`) before it lands.

#[test]
fn every_emitted_file_is_snapshotted() {
    for app in apps::all() {
        let tree = manifests::output::emit_app(app.as_ref()).unwrap_or_else(|e| panic!("{e}"));
        assert!(tree.len() > 10, "{} emitted only {} files", app.chart().name, tree.len());
        for (path, text) in tree {
            let name = path.display().to_string().replace(['/', '\\'], "__");
            insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => false, description => path.display().to_string()}, {
                insta::assert_snapshot!(name, text);
            });
        }
    }
}
