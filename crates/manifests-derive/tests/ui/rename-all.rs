use manifests_derive::Knobs;
use serde::Deserialize;

#[derive(Deserialize, Knobs)]
#[serde(rename_all = "kebab-case")]
struct Values {
    replica_count: u32,
}

fn main() {}
