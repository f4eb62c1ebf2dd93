//! Run what the charts deploy: the rendered objects start the real programs, wherever a
//! registry here has them, and the programs do their jobs (`node` is the kubelet's part,
//! `images` what the harness knows of each image). The table "What runs in the tests" of the
//! book's chapter `docs/src/applications.md` lists every image the charts render: run here, or
//! why not.

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

/// The book's table of what runs in the tests names every image a chart renders, once.
#[test]
fn the_book_says_of_every_image_whether_it_runs() {
    let chapter = std::fs::read_to_string(support::root().join("docs/src/applications.md")).expect("docs/src/applications.md");
    let section = chapter.split("\n## What runs in the tests\n").nth(1).expect("the section \"What runs in the tests\" of docs/src/applications.md");
    let rows: Vec<&str> = section.lines().take_while(|l| !l.starts_with('#')).filter(|l| l.starts_with("| `")).collect();
    for image in apps::upstream::IMAGES {
        let named: Vec<_> = rows.iter().filter(|r| r.starts_with(&format!("| `{}`", image.image))).collect();
        assert_eq!(
            named.len(),
            1,
            "the table of what runs in the tests (docs/src/applications.md) must have one row for {} ({}), it has {}",
            image.image,
            image.component,
            named.len()
        );
    }
    assert_eq!(rows.len(), apps::upstream::IMAGES.len(), "the table of what runs in the tests (docs/src/applications.md) has a row for an image no chart renders");
}
