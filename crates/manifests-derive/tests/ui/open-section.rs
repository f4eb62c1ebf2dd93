use kforge_derive::Knobs;
use serde::Deserialize;

// A typo in a values file would be taken and do nothing.
#[derive(Deserialize, Knobs)]
#[serde(rename_all = "camelCase")]
struct Values {
    replica_count: u32,
}

fn main() {}
