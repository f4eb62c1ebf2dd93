//! `Expr::percent_encoded` on both sides: the chart's `replace "+" "%20" (urlquery ...)` through
//! Helm 4 and Helm 3, and emit's own encoding, over seeded random strings of the characters that
//! break a URL (`% # / ? @ : +`, spaces, quotes, non-ASCII). Both must print the same bytes, and
//! those bytes must be the string with only RFC 3986's unreserved characters left as they are.

use serde_json::{Value, json};

use crate::support::*;

/// The smallest application that encodes: one container whose arguments are `texts`, each
/// percent-encoded.
mod encoder {
    use kforge::objects::{Args, Container, Deployment, Pod};
    use kforge::{App, ChartMeta, Knob, Knobs, Meta, Model, fullname};
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema, Knobs)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Values {
        /// The strings to encode.
        pub texts: Vec<String>,
    }

    fn build(v: &ValuesKnobs) -> Model {
        let mut m = Model::new();
        let args = Args::new().each(&v.texts, "text", |t: Knob<String>| t.expr().percent_encoded());
        let c = Container::builder().name("app").image("busybox:1.37").args(args).build();
        m.add(Deployment::builder().meta(Meta::new(fullname())).replicas(1u8).pod(Pod::builder().containers(vec![c]).build()).build());
        m
    }

    pub fn app() -> App<Values> {
        App::new(ChartMeta::new("encoder", "0.1.0", "1.0.0", "Percent-encodes its settings"), "tests/it/percent_encoding.rs", build)
    }
}

/// The strings of the issue that made the chart encode, and some more.
const FIXED: &[&str] = &["", "p@ss:w/rd?#%", "100%", "a b", "a+b", "%41", "user@example.com", "[::1]", "$(DB_PASSWORD)", "é漢😀", "\t"];

/// A random string: mostly printable ASCII (all of its punctuation), now and then a non-ASCII
/// character or a tab.
fn random_text(rng: &mut Rng) -> String {
    let extra = ['é', 'ß', '漢', '😀', '\t', '\u{a0}'];
    let len = rng.below(24) as usize;
    (0..len).map(|_| if rng.chance(8) { *rng.pick(&extra) } else { char::from(0x20 + rng.below(0x7f - 0x20) as u8) }).collect()
}

/// Percent-encoding written here again, from RFC 3986 rather than from Go's code.
fn reference(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).expect("two hex digits"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

fn args_of(docs: &[Value]) -> Vec<String> {
    let d = docs.iter().find(|d| d["kind"] == "Deployment").expect("the Deployment");
    let args = d["spec"]["template"]["spec"]["containers"][0]["args"].as_array().cloned().unwrap_or_default();
    args.iter().map(|a| a.as_str().expect("a string").to_string()).collect()
}

#[test]
fn percent_encoding_agrees_with_helm_on_random_strings() {
    let seed = seed("KFORGE_PERCENT_SEED", 29, "percent-encoding");
    let mut rng = Rng::new(seed);
    let mut texts: Vec<String> = FIXED.iter().map(|s| s.to_string()).collect();
    texts.extend((0..300).map(|_| random_text(&mut rng)));

    let app = encoder::app();
    let tmp = tempfile::tempdir().expect("tempdir");
    for (path, text) in kforge::output::render_app(&app).expect("renders").tree {
        let full = tmp.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    }
    // JSON is YAML: every character escaped as JSON escapes it.
    let values = json!({ "texts": texts });
    let file = tmp.path().join("values.json");
    let values_text = serde_json::to_string(&values).expect("json");
    let loaded = kforge::values::load(&kforge::Application::defaults(&app), &[kforge::values::Layer::File { name: "values.json", text: &values_text }], &|t| {
        kforge::Application::validate(&app, t)
    })
    .expect("the values load");
    std::fs::write(&file, &values_text).expect("write");
    let release = kforge::render::Release { name: "rel", namespace: "ns" };
    let model = kforge::Application::model(&app);
    let ours: Vec<Value> = kforge::render::render_objects(&app, &model, &loaded, release).expect("renders").into_iter().map(|o| o.value).collect();
    let ours = args_of(&ours);
    assert_eq!(ours.len(), texts.len());
    for (raw, encoded) in texts.iter().zip(&ours) {
        assert_eq!(encoded, &reference(raw), "seed {seed}: emit encodes {raw:?} as {encoded:?}");
        assert_eq!(&decode(encoded), raw, "seed {seed}: {encoded:?} does not decode to {raw:?}");
    }

    let chart = tmp.path().join("charts/encoder");
    for helm in HELMS {
        let out = run(std::process::Command::new(tool(helm)).args(["template", "rel"]).arg(&chart).args(["-n", "ns", "-f"]).arg(&file));
        assert!(out.status.success(), "{helm}: {}", text(&out.stderr));
        let theirs = args_of(&parse_stream(&text(&out.stdout)));
        assert_eq!(theirs.len(), texts.len(), "{helm}");
        for ((raw, mine), helms) in texts.iter().zip(&ours).zip(&theirs) {
            assert_eq!(helms, mine, "seed {seed}: {helm} encodes {raw:?} as {helms:?}, emit as {mine:?}");
        }
    }
}
