//! Version gates (`ImageKnobs::version_at_least`, `kforge::template::version`) decide alike
//! in both renderers: a small chart gates ConfigMap keys on its images' versions, and seeded tags
//! (versions with and without `v`, prereleases, build metadata, numbers at the 18-digit edge, and
//! tags that are not versions) render through Helm 4, Helm 3 and emit's own renderer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::support::*;

mod gated {
    use super::*;
    use kforge::kit::Image;
    use kforge::objects::ConfigMap;
    use kforge::{App, ChartMeta, Knobs, Map, Meta, Model, fullname_with};

    /// Eight images, so one render tests eight tags.
    #[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema, Knobs)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Values {
        /// An image.
        pub a: Image,
        /// An image.
        pub b: Image,
        /// An image.
        pub c: Image,
        /// An image.
        pub d: Image,
        /// An image.
        pub e: Image,
        /// An image.
        pub f: Image,
        /// An image.
        pub g: Image,
        /// An image.
        pub h: Image,
    }

    impl Default for Values {
        fn default() -> Self {
            let i = || Image::new("example.com/app");
            Values { a: i(), b: i(), c: i(), d: i(), e: i(), f: i(), g: i(), h: i() }
        }
    }

    pub const MINIMUMS: [&str; 6] = ["0.8.0", "0.8.0-rc.9", "0.5.0", "1.0.0-0", "0.8.0-rc.10", "2.1.3-beta.2.x"];
    const KEYS: [&str; 6] = ["atLeast0", "atLeast1", "atLeast2", "atLeast3", "atLeast4", "atLeast5"];

    fn build(v: &ValuesKnobs) -> Model {
        let mut m = Model::new();
        for (name, image) in [("a", &v.a), ("b", &v.b), ("c", &v.c), ("d", &v.d), ("e", &v.e), ("f", &v.f), ("g", &v.g), ("h", &v.h)] {
            let data = MINIMUMS.iter().zip(KEYS).fold(Map::new().str("image", image.reference()), |d, (min, key)| d.when(image.version_at_least(min), Map::new().str(key, *min)));
            m.add(ConfigMap::builder().meta(Meta::new(fullname_with(name))).data(data).build());
        }
        m
    }

    pub fn app() -> App<Values> {
        App::new(ChartMeta::new("gated", "0.1.0", "0.8.0-rc.9", "Keys gated on image versions"), "tests/it/version_gates.rs", build)
    }
}

/// A tag from parts that make versions, near-versions and names.
fn random_tag(rng: &mut Rng) -> String {
    let pick = |rng: &mut Rng, items: &[&str]| items[rng.below(items.len() as u64) as usize].to_string();
    if rng.below(6) == 0 {
        return pick(rng, &["main", "latest", "8.1", "1.2", "v1", "0.8", "stable-2024", "", "1.2.3.4", "v0.8.0-rc.", "0.8.0-"]);
    }
    let number = |rng: &mut Rng| pick(rng, &["0", "1", "2", "5", "8", "9", "10", "01", "999999999999999999", "1000000000000000000"]);
    let mut tag = format!("{}{}.{}.{}", pick(rng, &["", "", "v"]), number(rng), number(rng), number(rng));
    if rng.below(2) == 0 {
        let parts = 1 + rng.below(3);
        let ids: Vec<String> = (0..parts).map(|_| pick(rng, &["rc", "0", "1", "9", "10", "01", "alpha", "beta", "x-y", "2a", "-", "999999999999999999"])).collect();
        tag.push('-');
        tag.push_str(&ids.join("."));
    }
    // Build metadata (`+build.7`) is no part of an image tag: the container runtime refuses a
    // tag with `+`, and both renderers refuse it first. Written the way image tags carry it.
    if rng.below(4) == 0 {
        tag.push('_');
        tag.push_str(&pick(rng, &["build.7", "001", "sha.5114f85"]));
    }
    tag
}

fn data_of(stream: &str) -> BTreeMap<String, Value> {
    parse_stream(stream).into_iter().filter(|d| d["kind"] == "ConfigMap").map(|d| (d["metadata"]["name"].as_str().unwrap_or_default().to_string(), d["data"].clone())).collect()
}

#[test]
fn helm_and_emit_gate_on_the_same_versions() {
    let app = gated::app();
    let model = kforge::Application::model(&app);
    let tmp = tempfile::tempdir().expect("tempdir");
    let chart = tmp.path().join("gated");
    for (file, content) in kforge::render::chart_files(&app, &model).expect("chart") {
        let path = chart.join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }
    let names = ["a", "b", "c", "d", "e", "f", "g", "h"];
    let mut rng = Rng::new(0x5e4e_2027);
    let mut decided = [0usize; 2];
    for round in 0..6 {
        // The first round leaves every tag empty: the chart's appVersion, a prerelease, decides.
        let tags: Vec<String> = names.iter().map(|_| if round == 0 { String::new() } else { random_tag(&mut rng) }).collect();
        let overlay: serde_json::Map<String, Value> = names.iter().zip(&tags).map(|(n, t)| (n.to_string(), json!({"tag": t}))).collect();
        let mut values = kforge::Application::defaults(&app);
        merge_into(&mut values, Value::Object(overlay.clone()));
        let release = kforge::render::Release { name: "rel", namespace: "ns" };
        let ours = kforge::render::manifests_yaml(&app, &model, &values, release).unwrap_or_else(|e| panic!("{tags:?}: {e}"));
        let ours = data_of(&ours);
        let file = tmp.path().join(format!("tags-{round}.json"));
        std::fs::write(&file, serde_json::to_string(&Value::Object(overlay)).expect("json")).expect("write");
        for helm in HELMS {
            let out = run(std::process::Command::new(tool(helm)).arg("template").arg("rel").arg(&chart).args(["-n", "ns", "-f"]).arg(&file));
            assert!(out.status.success(), "{helm} {tags:?}: {}", text(&out.stderr));
            assert_eq!(data_of(&text(&out.stdout)), ours, "{helm} and emit disagree on {tags:?}");
        }
        for (name, tag) in names.iter().zip(&tags) {
            let data = &ours[&format!("rel-gated-{name}")];
            // Each decision agrees with the module's own rule, so a gate that is always open fails.
            for (n, min) in gated::MINIMUMS.iter().enumerate() {
                let version = if tag.is_empty() { "0.8.0-rc.9" } else { tag.as_str() };
                let open = data.get(format!("atLeast{n}")).is_some();
                assert_eq!(open, kforge::template::version::at_least(version, min), "{tag} >= {min}");
                decided[usize::from(open)] += 1;
            }
        }
    }
    assert!(decided[0] > 20 && decided[1] > 20, "the seeded tags open and close gates alike: {decided:?}");
}
