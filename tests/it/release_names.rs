//! Every release name Helm accepts, 1 to 53 characters, for every application and environment:
//! every name the chart renders is valid for its kind (with the shorter limits of StatefulSets,
//! Jobs and CloudNativePG Clusters, whose controllers derive names and labels from them), or
//! both renderers refuse the release with the same message, naming the derived name and its
//! limit. emit renders every length in process; Helm 4 and 3 render the lengths around the
//! boundary and the longest, where the two could part.

use std::path::{Path, PathBuf};

use kforge::render::{Release, RenderErrorKind, render_environment};
use kforge::rules::{Shape, name_rule};
use serde_json::Value;

use crate::support::{HELMS, chart_dir, compare_streams, helm_template, text};

/// A release name of `len` characters that does not contain the chart's name (the fullname is
/// then `<release>-<chart>`, the longest), of letters and digits.
fn release(len: usize) -> String {
    (0..len).map(|i| if i % 7 == 6 { '7' } else { 'r' }).collect()
}

/// What is wrong with a rendered object's name for its kind, if anything.
fn name_problem(kind: &str, name: &str) -> Option<String> {
    let rule = name_rule(kind)?;
    let shaped = rule.shape.matches(name) && (rule.shape != Shape::Dns1123Subdomain || name.len() <= 253);
    (name.len() > rule.max || !shaped).then(|| format!("{kind} {name:?} is not {} of at most {}", rule.shape.describe(), rule.max))
}

struct Setup {
    label: String,
    values: Value,
    files: Vec<PathBuf>,
}

fn setups(app: &dyn kforge::Application) -> Vec<Setup> {
    let name = &app.chart().name;
    let defaults = app.defaults();
    let mut out = Vec::new();
    if app.needs_values().is_none() {
        out.push(Setup { label: "defaults".into(), values: defaults.clone(), files: Vec::new() });
    }
    for env in app.environments() {
        let layers = [kforge::values::Layer::File { name: env.path, text: env.text }];
        let values = kforge::values::load(&defaults, &layers, &|t| app.validate(t)).unwrap_or_else(|e| panic!("{e}"));
        out.push(Setup { label: format!("environment {}", env.name), values, files: vec![chart_dir(name).join(format!("values-{}.yaml", env.name))] });
    }
    out
}

#[test]
fn every_release_name_renders_valid_names_or_is_refused_alike() {
    let mut failures = Vec::new();
    let mut helm_runs = 0;
    for app in apps::all() {
        let app = app.as_ref();
        let name = app.chart().name.clone();
        let model = app.model();
        for setup in setups(app) {
            // emit, every length: the longest that renders, and the message above it.
            let mut longest = 0;
            let mut refusal: Option<(usize, String)> = None;
            for len in 1..=53 {
                let rel = release(len);
                match render_environment(app, &model, &setup.values, Release { name: &rel, namespace: "ns" }) {
                    Ok((objects, _)) => {
                        if let Some((at, _)) = &refusal {
                            failures.push(format!("{name}, {}: refused at {at} characters but rendered at {len}", setup.label));
                        }
                        longest = len;
                        for o in &objects {
                            if let Some(p) = name_problem(&o.kind, &o.name) {
                                failures.push(format!("{name}, {}, release of {len} characters: {p}", setup.label));
                            }
                        }
                    }
                    Err(e) => match e.kind {
                        RenderErrorKind::Rejected(m) if m.contains(" name \"") && m.contains(" characters, over the ") => {
                            refusal.get_or_insert((len, m));
                        }
                        other => failures.push(format!("{name}, {}, release of {len} characters: refused, but not for a name: {other:?}", setup.label)),
                    },
                }
            }
            // Helm at the boundary and at 53: the same verdict, the same objects or message.
            let files: Vec<&Path> = setup.files.iter().map(PathBuf::as_path).collect();
            let mut lengths = vec![longest, longest + 1, 53];
            lengths.retain(|l| (1..=53).contains(l));
            lengths.dedup();
            for len in lengths {
                let rel = release(len);
                let ours = render_environment(app, &model, &setup.values, Release { name: &rel, namespace: "ns" });
                for helm in HELMS {
                    helm_runs += 1;
                    let theirs = helm_template(helm, &name, &rel, "ns", &files, &[]);
                    let label = format!("{name}, {}, {helm}, release of {len} characters", setup.label);
                    match (&ours, theirs.status.success()) {
                        (Ok((objects, _)), true) => {
                            let emitted = kforge::render::objects_yaml(app, objects).unwrap_or_else(|e| panic!("{e}"));
                            if let Err(e) = compare_streams(&text(&theirs.stdout), &emitted) {
                                failures.push(format!("{label}: {e}"));
                            }
                        }
                        (Err(e), false) => {
                            let RenderErrorKind::Rejected(m) = &e.kind else { continue };
                            if !text(&theirs.stderr).contains(m.as_str()) {
                                failures.push(format!("{label}: both refuse, with different messages\nhelm: {}\nemit: {m}", text(&theirs.stderr)));
                            }
                        }
                        (Ok(_), false) => failures.push(format!("{label}: emit renders, helm refuses: {}", text(&theirs.stderr))),
                        (Err(e), true) => failures.push(format!("{label}: helm renders, emit refuses: {e}")),
                    }
                }
            }
        }
    }
    assert!(helm_runs > 0);
    assert!(failures.is_empty(), "{} problems; the first ones:\n{}", failures.len(), failures.iter().take(5).cloned().collect::<Vec<_>>().join("\n"));
}

/// A release name that starts with a digit is a valid release but not a valid Service name
/// (a DNS-1035 label): both renderers refuse it, naming the Service.
#[test]
fn a_release_name_that_starts_with_a_digit_is_refused_for_its_services() {
    let rel = "1st";
    let ours = crate::support::emit_stdout("backbone", rel, "ns", &[], &[]);
    assert!(!ours.status.success());
    // Backbone's defaults render two Services; the rules run most constrained first, so the one
    // with more fixed characters (`-mqtt`) is named.
    let message = "the Service name \"1st-backbone-mqtt\" is not a DNS-1035 label";
    assert!(text(&ours.stderr).contains(message), "{}", text(&ours.stderr));
    for helm in HELMS {
        let theirs = helm_template(helm, "backbone", rel, "ns", &[], &[]);
        assert!(!theirs.status.success() && text(&theirs.stderr).contains(message), "{helm}: {}", text(&theirs.stderr));
    }
}
