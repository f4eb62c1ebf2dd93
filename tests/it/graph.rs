//! `kforge graph`: for every application and environment, the DOT output rendered to SVG by
//! Graphviz, and every edge checked against the rendered objects with code of its own (a
//! Service edge against the selector, a mount against the pod's volumes, ...), so that the
//! picture cannot show a connection the objects do not make, nor miss one they do.

use std::io::Write;
use std::process::Stdio;

use kforge::graph::Graph;
use kforge::render::{self, Release};
use kforge::values::Layer;
use serde_json::Value;

use crate::support::*;

fn s<'v>(v: &'v Value, pointer: &str) -> &'v str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn arr<'v>(v: &'v Value, pointer: &str) -> Vec<&'v Value> {
    v.pointer(pointer).and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default()
}

fn pod(o: &Value) -> (&Value, &Value) {
    let at = if s(o, "/kind") == "CronJob" { "/spec/jobTemplate/spec/template" } else { "/spec/template" };
    (o.pointer(&format!("{at}/metadata/labels")).unwrap_or(&Value::Null), o.pointer(&format!("{at}/spec")).unwrap_or(&Value::Null))
}

fn find<'o>(objects: &'o [Value], id: &str) -> Option<&'o Value> {
    objects.iter().find(|o| format!("{}/{}", s(o, "/kind"), s(o, "/metadata/name")) == id)
}

/// The names of what a pod spec refers to, as `Kind/name`, by the field that names it.
fn pod_refs(spec: &Value) -> (Vec<(String, String)>, Vec<String>, String) {
    let mut mounts = Vec::new();
    for v in arr(spec, "/volumes") {
        let name = s(v, "/name").to_string();
        for (kind, at) in [("ConfigMap", "/configMap/name"), ("Secret", "/secret/secretName"), ("PersistentVolumeClaim", "/persistentVolumeClaim/claimName")] {
            if !s(v, at).is_empty() {
                mounts.push((name.clone(), format!("{kind}/{}", s(v, at))));
            }
        }
        for p in arr(v, "/projected/sources") {
            for (kind, at) in [("ConfigMap", "/configMap/name"), ("Secret", "/secret/name")] {
                if !s(p, at).is_empty() {
                    mounts.push((name.clone(), format!("{kind}/{}", s(p, at))));
                }
            }
        }
    }
    let mut reads = Vec::new();
    for c in arr(spec, "/containers").into_iter().chain(arr(spec, "/initContainers")) {
        for e in arr(c, "/env") {
            reads.push(format!("ConfigMap/{}", s(e, "/valueFrom/configMapKeyRef/name")));
            reads.push(format!("Secret/{}", s(e, "/valueFrom/secretKeyRef/name")));
        }
        for e in arr(c, "/envFrom") {
            reads.push(format!("ConfigMap/{}", s(e, "/configMapRef/name")));
            reads.push(format!("Secret/{}", s(e, "/secretRef/name")));
        }
    }
    (mounts, reads, s(spec, "/serviceAccountName").to_string())
}

/// Every edge against the objects; and every Service selecting a workload, and every volume
/// and env reference of a pod, has its edge.
fn check_edges(label: &str, graph: &Graph, objects: &[Value]) {
    let ids: Vec<&str> = graph.nodes.iter().map(|n| n.id.as_str()).collect();
    for o in objects {
        let id = format!("{}/{}", s(o, "/kind"), s(o, "/metadata/name"));
        assert!(ids.contains(&id.as_str()), "{label}: {id} is rendered but not drawn");
    }
    let has = |from: &str, to: &str, label_start: &str| graph.edges.iter().any(|e| e.from == from && e.to == to && e.label.starts_with(label_start));
    for e in &graph.edges {
        assert!(ids.contains(&e.from.as_str()) && ids.contains(&e.to.as_str()), "{label}: an edge between undrawn objects: {e:?}");
        let from = find(objects, &e.from);
        let ok = match (e.label.split(' ').next().unwrap_or(""), from) {
            ("selects", Some(svc)) => {
                let target = find(objects, &e.to).expect("a selected workload is rendered");
                let selector = svc.pointer("/spec/selector").and_then(Value::as_object).expect("a selector");
                let (labels, _) = pod(target);
                !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
            }
            ("mounts", Some(w)) => pod_refs(pod(w).1).0.contains(&(e.label["mounts ".len()..].to_string(), e.to.clone())),
            ("reads", Some(w)) => pod_refs(pod(w).1).1.contains(&e.to),
            ("runs", Some(w)) if e.label == "runs as" => e.to == format!("ServiceAccount/{}", pod_refs(pod(w).1).2),
            ("runs", _) => {
                // A hook Job and a long-running workload, one on each side.
                let jobs = [&e.from, &e.to].iter().filter(|id| id.starts_with("Job/")).count();
                jobs == 1
            }
            ("scales", Some(h)) => e.to == format!("{}/{}", s(h, "/spec/scaleTargetRef/kind"), s(h, "/spec/scaleTargetRef/name")),
            ("routes", Some(r)) => r.to_string().contains(&format!("\"{}\"", e.to.trim_start_matches("Service/"))),
            ("makes", Some(maker)) => {
                let made = e.to.split_once('/').map(|(_, n)| n).unwrap_or("");
                // A Cluster's `<name>-rw`, `<name>-app`, ...; an ExternalSecret's target.
                made.starts_with(&format!("{}-", s(maker, "/metadata/name"))) || s(maker, "/spec/target/name") == made || s(maker, "/metadata/name") == made
            }
            ("binds", Some(rb)) => rb.to_string().contains(&format!("\"{}\"", e.to.split_once('/').map(|(_, n)| n).unwrap_or(""))),
            ("limits" | "guards", Some(p)) => {
                let selector = p.pointer("/spec/selector").or_else(|| p.pointer("/spec/podSelector")).and_then(|x| x.get("matchLabels")).and_then(Value::as_object);
                let (labels, _) = pod(find(objects, &e.to).expect("a selected workload is rendered"));
                selector.is_some_and(|m| !m.is_empty() && m.iter().all(|(k, v)| labels.get(k) == Some(v)))
            }
            ("admits", Some(p)) => {
                let (labels, _) = pod(find(objects, &e.to).expect("an admitted workload is rendered"));
                arr(p, "/spec/ingress").iter().flat_map(|r| arr(r, "/from")).any(|peer| {
                    let m = peer.pointer("/podSelector/matchLabels").and_then(Value::as_object);
                    peer.get("namespaceSelector").is_none() && m.is_some_and(|m| !m.is_empty() && m.iter().all(|(k, v)| labels.get(k) == Some(v)))
                })
            }
            ("scrapes", Some(_)) => e.to.starts_with("Service/"),
            ("backs", Some(b)) => e.to == format!("Cluster/{}", s(b, "/spec/cluster/name")),
            _ => false,
        };
        assert!(ok, "{label}: the objects do not make the edge {e:?}");
    }
    // Completeness: what the objects connect is drawn.
    for b in objects.iter().filter(|o| ["ScheduledBackup", "Backup"].contains(&s(o, "/kind"))) {
        let (id, cluster) = (format!("{}/{}", s(b, "/kind"), s(b, "/metadata/name")), format!("Cluster/{}", s(b, "/spec/cluster/name")));
        assert!(has(&id, &cluster, "backs up"), "{label}: {id} backs up {cluster}, and the graph has no edge");
    }
    for w in objects.iter().filter(|o| ["Deployment", "StatefulSet", "DaemonSet", "Job"].contains(&s(o, "/kind"))) {
        let id = format!("{}/{}", s(w, "/kind"), s(w, "/metadata/name"));
        let (labels, spec) = pod(w);
        for svc in objects.iter().filter(|o| s(o, "/kind") == "Service") {
            let selector = svc.pointer("/spec/selector").and_then(Value::as_object);
            if selector.is_some_and(|m| !m.is_empty() && m.iter().all(|(k, v)| labels.get(k) == Some(v))) {
                let sid = format!("Service/{}", s(svc, "/metadata/name"));
                assert!(has(&sid, &id, "selects"), "{label}: {sid} selects {id}'s pods, and the graph has no edge");
            }
        }
        let (mounts, _, account) = pod_refs(spec);
        for (volume, target) in mounts {
            // Drawn unless nothing renders, makes or declares it (the check refuses that).
            if ids.contains(&target.as_str()) {
                assert!(has(&id, &target, &format!("mounts {volume}")), "{label}: {id} mounts {target} as {volume}, and the graph has no edge");
            }
        }
        if !account.is_empty() && ids.contains(&format!("ServiceAccount/{account}").as_str()) {
            assert!(has(&id, &format!("ServiceAccount/{account}"), "runs as"), "{label}: {id} runs as {account}, not drawn");
        }
    }
}

fn dot_to_svg(label: &str, dot: &str) -> String {
    let mut child = std::process::Command::new(tool("dot")).arg("-Tsvg").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run dot");
    child.stdin.take().expect("stdin").write_all(dot.as_bytes()).expect("write the graph");
    let out = child.wait_with_output().expect("dot finishes");
    assert!(out.status.success() && out.stderr.is_empty(), "{label}: Graphviz refused the graph: {}\n{dot}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("SVG is UTF-8")
}

#[test]
fn every_environment_draws_what_its_objects_connect() {
    for app in apps::all() {
        let app = app.as_ref();
        let model = app.model();
        let name = &app.chart().name;
        let mut envs: Vec<(&str, Vec<Layer>)> = Vec::new();
        if app.needs_values().is_none() {
            envs.push(("default", Vec::new()));
        }
        envs.extend(app.environments().iter().map(|e| (e.name, vec![Layer::File { name: e.path, text: e.text }])));
        for (env, layers) in envs {
            let label = format!("{name} ({env})");
            let values = kforge::values::load(&app.defaults(), &layers, &|t| app.validate(t)).unwrap_or_else(|e| panic!("{label}: {e}"));
            let release = Release { name, namespace: name };
            let graph = kforge::graph::of_values(app, &model, &values, release, &label).unwrap_or_else(|e| panic!("{label}: {e}"));
            let (rendered, _) = render::render_environment(app, &model, &values, Release { name, namespace: name }).expect("renders");
            let objects: Vec<Value> = rendered.into_iter().map(|r| r.value).collect();
            assert!(!graph.edges.is_empty(), "{label}: no edges at all");
            check_edges(&label, &graph, &objects);
            let readme = std::fs::read_to_string(root().join(format!("charts-out/charts/{name}/README.md"))).expect("the chart README");
            assert!(readme.contains(&format!("### {env}\n\n```mermaid\n{}```\n", graph.mermaid())), "{label}: the chart README's picture is not the graph's");
            let svg = dot_to_svg(&label, &graph.dot());
            for n in &graph.nodes {
                assert!(svg.contains(&n.name.replace('-', "&#45;")), "{label}: the SVG lacks {}", n.id);
            }
        }
    }
}

#[test]
fn graphviz_refuses_a_broken_graph() {
    // The SVG test would pass a Graphviz that accepts anything.
    let mut child = std::process::Command::new(tool("dot")).arg("-Tsvg").stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("run dot");
    child.stdin.take().expect("stdin").write_all(b"digraph { a -> }").expect("write");
    assert!(!child.wait().expect("dot finishes").success());
}
