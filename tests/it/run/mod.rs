//! Run what the charts deploy: the rendered objects start the real programs, wherever a
//! registry here has them, and the programs do their jobs (`node` is the kubelet's part,
//! `images` what the harness knows of each image). The README's "What runs in the tests" table
//! lists every image the charts render: run here, or why not.

mod images;
mod node;
mod opal;
mod stores;

use std::path::Path;

use serde_json::Value;

use crate::support;

/// The objects `kforge emit` renders for `app` with the values in `values`, as release
/// `release` in `namespace`.
pub fn render(app: &str, release: &str, namespace: &str, values: &Value, dir: &Path) -> Vec<Value> {
    let file = dir.join(format!("{app}-values.yaml"));
    std::fs::write(&file, serde_json::to_string_pretty(values).expect("values as JSON")).expect("values file");
    let out = support::emit_stdout(app, release, namespace, &[&file], &[]);
    assert!(out.status.success(), "emit failed for {app}:\n{}", support::text(&out.stderr));
    support::parse_stream(&support::text(&out.stdout))
}

/// The README's table of what runs in the tests names every image a chart renders, once.
#[test]
fn the_readme_says_of_every_image_whether_it_runs() {
    let readme = std::fs::read_to_string(support::root().join("README.md")).expect("README.md");
    let section = readme.split("### What runs in the tests").nth(1).expect("the README's section \"What runs in the tests\"");
    let rows: Vec<&str> = section.lines().take_while(|l| !l.starts_with('#')).filter(|l| l.starts_with("| `")).collect();
    for image in apps::upstream::IMAGES {
        let named: Vec<_> = rows.iter().filter(|r| r.starts_with(&format!("| `{}`", image.image))).collect();
        assert_eq!(named.len(), 1, "the README's table of what runs in the tests must have one row for {} ({}), it has {}", image.image, image.component, named.len());
    }
    assert_eq!(rows.len(), apps::upstream::IMAGES.len(), "the README's table has a row for an image no chart renders");
}
