//! Scale: renders N generated applications to plain manifests and charts and reports the cost
//! per application and the peak memory (issue 7).
//!
//! A generated application is an instance of a real application module from `apps::all()`
//! (so a module added there is included without touching this file) under its own chart name,
//! with its own release, namespace and values: one of the module's environments plus a `--set`
//! overlay that varies with the instance. Each instance is built, its chart and its manifests
//! are rendered, and the files go to a sink (or to disk with `--write DIR`) before the next one
//! starts, so memory stays flat as N grows.
//!
//! `cargo bench --bench scale` runs N = 10, 100, 1000, each in a fresh child process so the peak
//! memory (VmHWM) is that N's own, and prints medians, spread and the cost per application.
//! `cargo bench --bench scale -- 1000 --repeat 5 --threads 1 --write /tmp/scale` picks N and the
//! rest. Under `cargo test` (no `--bench` argument) it renders a few instances once, untimed,
//! to prove the benchmark still works.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use kforge::render::{self, Release};
use kforge::values::{self, Layer, SetFlag};
use kforge::{Application, ChartMeta, WithChart};

/// Instance `i`: which module, under which names, with which values.
struct Instance {
    /// A real application, rendered under another chart name (`chart`).
    base: Box<dyn Application>,
    chart: ChartMeta,
    release: String,
    namespace: String,
    /// The environment's values file (name, text), if any.
    file: Option<(&'static str, &'static str)>,
    set: Vec<String>,
}

fn instance(i: usize) -> Instance {
    let mut bases = apps::all();
    let k = i / bases.len();
    let base = bases.swap_remove(i % bases.len());
    let chart = ChartMeta { name: format!("{}-g{k}", base.chart().name), ..base.chart().clone() };
    // The three ways a release name meets the chart name in `fullname`.
    let release = match k % 3 {
        0 => chart.name.clone(),
        1 => format!("r{k}"),
        _ => format!("prod-{}", chart.name),
    };
    // The environments `emit` renders for this module; the placeholders when it has none.
    let mut files: Vec<Option<(&'static str, &'static str)>> = Vec::new();
    if base.needs_values().is_none() {
        files.push(None);
    }
    files.extend(base.environments().iter().map(|e| Some((e.path, e.text))));
    if files.is_empty() {
        files.push(base.placeholder_values().map(|text| ("placeholder values", text)));
    }
    let file = files[k % files.len()];
    // Settings most charts share, varied per instance where this module has them.
    let defaults = base.defaults();
    let mut set = Vec::new();
    // More than one pod only where the values allow it: a chart may keep its state in one pod
    // when persistence is on (Backbone rejects more).
    let layers: Vec<Layer> = file.map(|(name, text)| Layer::File { name, text }).into_iter().collect();
    let persistent =
        values::load(&defaults, &layers, &|t| base.validate(t)).ok().and_then(|v| v.pointer("/persistence/enabled").and_then(serde_json::Value::as_bool)).unwrap_or(false);
    if defaults.get("replicaCount").is_some() && !persistent {
        set.push(format!("replicaCount={}", 1 + k % 3));
    }
    if defaults.get("podAnnotations").is_some() {
        set.push(format!("podAnnotations.example\\.com/generation=g{k}"));
    }
    if defaults.get("podLabels").is_some() {
        set.push(format!("podLabels.team=team{}", k % 7));
    }
    if defaults.get("image").and_then(|m| m.get("tag")).is_some() {
        set.push(format!("image.tag=1.{k}.0"));
    }
    if defaults.get("nodeSelector").is_some() && k % 2 == 1 {
        set.push("nodeSelector.kubernetes\\.io/arch=arm64".into());
    }
    Instance { base, chart, release, namespace: format!("team-{}", k % 10), file, set }
}

/// Time spent in each phase, summed over instances.
#[derive(Default, Clone, Copy)]
struct Phases {
    build: Duration,
    chart: Duration,
    values: Duration,
    manifests: Duration,
    write: Duration,
    bytes: usize,
    files: usize,
}

impl Phases {
    fn add(&mut self, o: &Phases) {
        self.build += o.build;
        self.chart += o.chart;
        self.values += o.values;
        self.manifests += o.manifests;
        self.write += o.write;
        self.bytes += o.bytes;
        self.files += o.files;
    }
}

/// Builds and renders instance `i`, hands each file to `sink`, and keeps nothing.
fn render_one(i: usize, out: Option<&Path>, phases: &mut Phases) {
    let t = Instant::now();
    let inst = instance(i);
    let app = &WithChart { base: inst.base.as_ref(), chart: inst.chart.clone() };
    let model = app.model();
    let t1 = Instant::now();
    let chart = render::chart_files(app, &model).unwrap_or_else(|e| panic!("instance {i}: chart: {e}"));
    let t2 = Instant::now();
    let mut layers = Vec::new();
    if let Some((name, text)) = inst.file {
        layers.push(Layer::File { name, text });
    }
    layers.extend(inst.set.iter().map(|arg| Layer::Set { flag: SetFlag::Set, arg }));
    let values = values::load(&app.defaults(), &layers, &|t| app.validate(t)).unwrap_or_else(|e| panic!("instance {i}: values: {e}"));
    let t3 = Instant::now();
    let release = Release { name: &inst.release, namespace: &inst.namespace };
    let manifests = render::manifests_yaml(app, &model, &values, release).unwrap_or_else(|e| panic!("instance {i}: manifests: {e}"));
    let t4 = Instant::now();
    assert!(manifests.contains(&format!("namespace: {}", inst.namespace)), "instance {i}: the manifests ignore the namespace");
    phases.build += t1 - t;
    phases.chart += t2 - t1;
    phases.values += t3 - t2;
    phases.manifests += t4 - t3;
    phases.files += chart.len() + 1;
    phases.bytes += manifests.len() + chart.values().map(String::len).sum::<usize>();
    if let Some(out) = out {
        let name = &app.chart.name;
        let chart_dir = out.join("charts").join(name);
        for (path, text) in &chart {
            let full = chart_dir.join(path);
            std::fs::create_dir_all(full.parent().expect("a file in the chart")).expect("create chart dir");
            std::fs::write(full, text).expect("write chart file");
        }
        let dir = out.join("manifests").join(name);
        std::fs::create_dir_all(&dir).expect("create manifests dir");
        std::fs::write(dir.join(format!("{}.yaml", inst.release)), &manifests).expect("write manifests");
        phases.write += t4.elapsed();
    }
}

/// Renders instances `0..n` on `threads` threads (instance `i` on thread `i % threads`).
fn render_all(n: usize, threads: usize, out: Option<&Path>) -> Phases {
    let mut total = Phases::default();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let mut p = Phases::default();
                    for i in (t..n).step_by(threads) {
                        render_one(i, out, &mut p);
                    }
                    p
                })
            })
            .collect();
        for h in handles {
            total.add(&h.join().expect("a render thread panicked"));
        }
    });
    total
}

/// Peak resident memory of this process in KiB (Linux), from /proc/self/status.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct Options {
    ns: Vec<usize>,
    repeat: usize,
    threads: usize,
    write: Option<PathBuf>,
    /// Run one N in this process and print one machine-readable line (the parent's child mode).
    child: bool,
}

fn parse(args: &[String]) -> Options {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut o = Options { ns: Vec::new(), repeat: 7, threads, write: None, child: false };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |flag: &str| it.next().unwrap_or_else(|| panic!("{flag} needs a value")).clone();
        match a.as_str() {
            "--bench" => {}
            "--child" => o.child = true,
            "--repeat" => o.repeat = value(a).parse().expect("--repeat takes a count"),
            "--threads" => o.threads = value(a).parse().expect("--threads takes a count"),
            "--write" => o.write = Some(PathBuf::from(value(a))),
            n if n.parse::<usize>().is_ok() => o.ns.push(n.parse().expect("checked")),
            // cargo bench passes filters and flags meant for libtest harnesses; none apply.
            _ => {}
        }
    }
    if o.ns.is_empty() {
        o.ns = vec![10, 100, 1000];
    }
    o.threads = o.threads.max(1);
    o
}

fn median(sorted: &[f64]) -> f64 {
    let m = sorted.len() / 2;
    if sorted.len() % 2 == 1 { sorted[m] } else { (sorted[m - 1] + sorted[m]) / 2.0 }
}

/// One N in this process: `repeat` runs after one warm-up, then one line of figures.
fn child(o: &Options) {
    let n = o.ns[0];
    let out = o.write.as_deref();
    render_all(n.min(apps::all().len()), 1, None);
    let mut times = Vec::new();
    let mut phases = Phases::default();
    for _ in 0..o.repeat {
        if let Some(dir) = out {
            let _ = std::fs::remove_dir_all(dir);
        }
        let t = Instant::now();
        phases = render_all(n, o.threads, out);
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "N={n} threads={} runs={} median_ms={:.2} min_ms={:.2} max_ms={:.2} per_app_us={:.1} peak_rss_mib={:.1} files={} bytes={} cpu_ms_build={:.1} chart={:.1} values={:.1} manifests={:.1} write={:.1}",
        o.threads,
        times.len(),
        median(&times) * 1e3,
        times[0] * 1e3,
        times[times.len() - 1] * 1e3,
        median(&times) * 1e6 / n as f64,
        peak_rss_kib().map_or(f64::NAN, |k| k as f64 / 1024.0),
        phases.files,
        phases.bytes,
        ms(phases.build),
        ms(phases.chart),
        ms(phases.values),
        ms(phases.manifests),
        ms(phases.write),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let o = parse(&args);
    if !args.iter().any(|a| a == "--bench" || a == "--child") {
        // `cargo test`: prove every module still renders as generated instances; time nothing.
        let n = 2 * apps::all().len();
        let p = render_all(n, 1, None);
        println!("scale: rendered {n} generated applications ({} files), untimed; `cargo bench --bench scale` measures", p.files);
        return;
    }
    if o.child {
        child(&o);
        return;
    }
    let exe = std::env::current_exe().expect("own path");
    let mut report = String::new();
    let _ = writeln!(
        report,
        "apps: {}; threads: {}; runs per N: {}; output: {}",
        apps::all().iter().map(|a| a.chart().name.clone()).collect::<Vec<_>>().join(", "),
        o.threads,
        o.repeat,
        o.write.as_ref().map_or("in memory".into(), |p| p.display().to_string())
    );
    println!("{report}");
    for n in &o.ns {
        let mut cmd = Command::new(&exe);
        cmd.args(["--child", &n.to_string(), "--repeat", &o.repeat.to_string(), "--threads", &o.threads.to_string()]);
        if let Some(w) = &o.write {
            cmd.args(["--write".as_ref(), w.as_os_str()]);
        }
        let out = cmd.output().expect("run the child");
        assert!(out.status.success(), "N={n} failed: {}", String::from_utf8_lossy(&out.stderr));
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
}
