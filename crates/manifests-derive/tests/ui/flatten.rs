use manifests_derive::Knobs;
use serde::Deserialize;

#[derive(Deserialize)]
struct Common {
    name: String,
}

#[derive(Deserialize, Knobs)]
struct Values {
    #[serde(flatten)]
    common: Common,
}

fn main() {}
