//! Fuzzing values loading, bounded so that it runs with every test: proptest feeds each
//! application YAML-like text made of YAML's own syntax, the chart's setting names and odd
//! scalars, and random trees of settings. Loading must never panic and every error must name the
//! file; what loads must render (or fail with an error) and pass through the check, again
//! without a panic. The cases come from a fixed seed, so a run is reproducible; set
//! KFORGE_FUZZ_CASES to run more.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde_json::Value;

/// Cases per application and strategy.
const CASES: u32 = 1000;
/// What all cases of one application may take together: far above what they need (about a
/// second), low enough to notice input that makes loading slow.
const BUDGET: Duration = Duration::from_secs(120);

fn cases() -> u32 {
    std::env::var("KFORGE_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(CASES)
}

fn runner() -> TestRunner {
    let config = Config { cases: cases(), failure_persistence: None, max_shrink_iters: 200, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

/// Every setting name of a schema, at any depth.
fn keys(schema: &Value, out: &mut Vec<String>) {
    for (k, sub) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
        out.push(k.clone());
        keys(sub, out);
        if let Some(items) = sub.get("items") {
            keys(items, out);
        }
    }
}

/// Text made of YAML syntax, the chart's keys and scalars that trip parsers.
fn yamlish(names: Vec<String>) -> impl Strategy<Value = String> {
    let syntax = prop::sample::select(vec![
        ": ",
        ":",
        "\n",
        "\n  ",
        "\n    ",
        "  ",
        "- ",
        "[",
        "]",
        "{",
        "}",
        ", ",
        "\"",
        "'",
        "&a ",
        "*a",
        "<<: ",
        "!!str ",
        "!!binary ",
        "!!int ",
        "? ",
        "| \n",
        "> \n",
        "# c\n",
        "---\n",
        "...\n",
        "\t",
        "~",
        "null",
        "true",
        "no",
        ".nan",
        ".inf",
        "-.inf",
        "1e400",
        "0x1F",
        "0o17",
        "99999999999999999999",
        "-1",
        "0",
        "65536",
        "1Gi",
        "1 GiB",
        "25%",
        "\\u0000",
        "\u{feff}",
        "é",
        "\r\n",
    ]);
    let word = prop::sample::select(names);
    let piece = prop_oneof![
        3 => syntax.prop_map(str::to_string),
        3 => word,
        1 => "[a-zA-Z0-9_.-]{1,12}",
        1 => "\\PC{1,6}",
    ];
    prop::collection::vec(piece, 0..80).prop_map(|pieces| pieces.concat())
}

/// Random trees of settings: mostly the chart's names, with scalars of every type.
fn tree(names: Vec<String>) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        prop::sample::select(vec!["", "1Gi", "500m", "25%", ":8080", "http", "ClusterIP", "RuntimeDefault", "Bad_Name", "a".repeat(300).leak()]).prop_map(|s: &str| Value::from(s)),
        "\\PC{0,20}".prop_map(Value::from),
    ];
    let key = prop_oneof![4 => prop::sample::select(names), 1 => "[a-zA-Z]{1,10}"];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Loads `text` as the file `name` over the application's base, and when it loads, renders and
/// checks it. Panics are the failures proptest reports; errors must name the file.
fn load_render_check(app: &dyn kforge::Application, name: &str, text: &str) -> Result<bool, TestCaseError> {
    let defaults = app.defaults();
    let layers = [kforge::values::Layer::File { name, text }];
    match kforge::values::load(&defaults, &layers, &|t| app.validate(t)) {
        Err(e) => {
            let message = e.to_string();
            prop_assert!(message.starts_with(name), "the error does not name the file: {message}");
            Ok(false)
        }
        Ok(values) => {
            let chart = app.chart().name.clone();
            let release = kforge::render::Release { name: &chart, namespace: "fuzz" };
            let model = app.model();
            if let Ok((objects, external)) = kforge::render::render_environment(app, &model, &values, release) {
                let objects: Vec<Value> = objects.into_iter().map(|o| o.value).collect();
                let env =
                    kforge::check::Environment { app: &chart, environment: name, objects: &objects, external: &external, exceptions: app.pss_exceptions(), crds: &model.crds() };
                let _ = kforge::check::run(&env);
            }
            Ok(true)
        }
    }
}

#[test]
fn values_loading_survives_random_input() {
    for app in apps::all() {
        let chart = app.chart().name.clone();
        let mut names = Vec::new();
        keys(&app.schema(), &mut names);
        names.sort();
        names.dedup();
        let start = Instant::now();

        let loaded = std::cell::Cell::new(0);
        let file = format!("fuzz/{chart}/text.yaml");
        runner()
            .run(&yamlish(names.clone()), |text| {
                loaded.set(loaded.get() + usize::from(load_render_check(app.as_ref(), &file, &text)?));
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{chart}, YAML-like text: {e}"));

        let rendered = std::cell::Cell::new(0);
        let file = format!("fuzz/{chart}/tree.yaml");
        runner()
            .run(&tree(names), |tree| {
                // As a values file would hold it: YAML text, through the same parser.
                let text = serde_saphyr::to_string(&tree).map_err(|e| TestCaseError::reject(e.to_string()))?;
                rendered.set(rendered.get() + usize::from(load_render_check(app.as_ref(), &file, &text)?));
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{chart}, random settings: {e}"));

        let (loaded, rendered) = (loaded.get(), rendered.get());
        let took = start.elapsed();
        assert!(took < BUDGET, "{chart}: {} fuzz cases took {took:?}", 2 * cases());
        // Not vacuous: some random input gets past parsing and typing to rendering.
        assert!(loaded + rendered > 0, "{chart}: no fuzz case loaded");
        eprintln!("fuzz {chart}: {} cases in {took:.1?}; {loaded} texts and {rendered} trees loaded and were rendered", 2 * cases());
    }
}
