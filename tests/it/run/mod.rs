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
