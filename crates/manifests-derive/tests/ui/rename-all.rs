use kforge_derive::Knobs;
use serde::Deserialize;

#[derive(Deserialize, Knobs)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Values {
    replica_count: u32,
}

fn main() {}
