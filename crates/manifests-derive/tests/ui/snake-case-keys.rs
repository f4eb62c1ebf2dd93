use kforge_derive::Knobs;
use serde::Deserialize;

// `replica_count` would be the key in values.yaml.
#[derive(Deserialize, Knobs)]
#[serde(deny_unknown_fields)]
struct Values {
    replica_count: u32,
}

fn main() {}
