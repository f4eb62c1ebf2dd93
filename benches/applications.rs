//! Build and render of each application, so a regression in the DSL or in one module shows up
//! as a change against criterion's saved baseline (`cargo bench --bench applications`).
//!
//! Per application, every module of `apps::all()`: `build` (the model from the handles),
//! `chart` (every file of the Helm chart), `values` (loading and checking each environment's
//! values), `manifests` (rendering each environment from loaded values) and `emit` (all of it,
//! as `kforge emit` does for that application, without writing).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use kforge::output;
use kforge::render::{self, Release};
use kforge::values::{self, Layer};

fn applications(c: &mut Criterion) {
    for app in apps::all() {
        let app = app.as_ref();
        let name = app.chart().name.clone();
        let model = app.model();
        let defaults = app.defaults();
        // The environments `emit` renders: the defaults unless they need values, and each file.
        let mut envs: Vec<Vec<Layer>> = Vec::new();
        if app.needs_values().is_none() {
            envs.push(Vec::new());
        }
        for env in app.environments() {
            envs.push(vec![Layer::File { name: env.path, text: env.text }]);
        }
        let release = Release { name: &name, namespace: "default" };
        let load = || -> Vec<serde_json::Value> { envs.iter().map(|layers| values::load(&defaults, layers, &|t| app.validate(t)).expect("example values load")).collect() };
        let loaded = load();

        let mut g = c.benchmark_group(&name);
        g.bench_function("build", |b| b.iter(|| black_box(app.model())));
        g.bench_function("chart", |b| b.iter(|| black_box(render::chart_files(app, &model).expect("chart renders"))));
        g.bench_function("values", |b| b.iter(|| black_box(load())));
        g.bench_function("manifests", |b| {
            b.iter(|| {
                for v in &loaded {
                    black_box(render::manifests_yaml(app, &model, v, release).expect("manifests render"));
                }
            })
        });
        g.bench_function("emit", |b| b.iter(|| black_box(output::emit_app(app).expect("emits"))));
        g.finish();
    }
}

criterion_group! {
    name = benches;
    // Each step takes microseconds to a few milliseconds: short windows keep the whole run near
    // a minute and still give criterion enough samples for its confidence intervals.
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = applications
}
criterion_main!(benches);
