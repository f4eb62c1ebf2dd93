//! Helm's value flags (`-f`, `--set`, `--set-string`, `--set-json`, `--set-file`,
//! `--set-literal`, `--show-only`) on `emit --stdout`: the examples of issue 13 with the values
//! Helm gives, and a differential test of seeded random arguments against Helm 4 and Helm 3.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::*;

/// Values files an application renders over: its first environment when its defaults need
/// values (as the contract's random cases do), none otherwise.
fn base_args(app: &str) -> Vec<String> {
    let a = apps::find(app).expect("known application");
    match (a.needs_values(), a.environments().first()) {
        (Some(_), Some(env)) => vec!["-f".into(), chart_dir(app).join(format!("values-{}.yaml", env.name)).display().to_string()],
        _ => Vec::new(),
    }
}

fn args(app: &str, extra: &[&str]) -> Vec<String> {
    base_args(app).into_iter().chain(extra.iter().map(|s| s.to_string())).collect()
}

/// What Helm 4, Helm 3 and emit made of the same arguments: all three render the same objects
/// (returned, emit's), or all three reject (emit's message returned).
fn three(app: &str, args: &[String], stdin: Option<&str>) -> Result<Result<Vec<Value>, String>, String> {
    let ours = emit_stdout_args(app, app, app, args, stdin);
    let mut verdict = None;
    for helm in HELMS {
        let theirs = helm_template_args(helm, app, app, app, args, stdin);
        match (theirs.status.success(), ours.status.success()) {
            (true, true) => {
                compare_streams(&text(&theirs.stdout), &text(&ours.stdout)).map_err(|e| format!("{helm}: {e}"))?;
                verdict = Some(Ok(parse_stream(&text(&ours.stdout))));
            }
            (false, false) => {
                if !ours.stdout.is_empty() {
                    return Err(format!("emit rejected and still wrote: {}", text(&ours.stdout)));
                }
                verdict = Some(Err(text(&ours.stderr)));
            }
            (h, o) => {
                return Err(format!(
                    "{helm} {} but emit {}\n{helm}: {}\nemit: {}",
                    if h { "rendered" } else { "rejected" },
                    if o { "rendered" } else { "rejected" },
                    text(&theirs.stderr).trim(),
                    text(&ours.stderr).trim()
                ));
            }
        }
    }
    Ok(verdict.expect("two Helm versions ran"))
}

fn rendered(app: &str, extra: &[&str]) -> Vec<Value> {
    match three(app, &args(app, extra), None) {
        Ok(Ok(objects)) => objects,
        Ok(Err(e)) => panic!("{extra:?}: all three rejected: {e}"),
        Err(e) => panic!("{extra:?}: {e}"),
    }
}

fn rejected(app: &str, extra: &[&str]) -> String {
    match three(app, &args(app, extra), None) {
        Ok(Err(message)) => message,
        Ok(Ok(_)) => panic!("{extra:?}: all three rendered"),
        Err(e) => panic!("{extra:?}: {e}"),
    }
}

fn object<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    objects.iter().find(|o| o["kind"] == kind).unwrap_or_else(|| panic!("no {kind} rendered"))
}

fn pod(objects: &[Value]) -> &Value {
    let workload = objects.iter().find(|o| ["Deployment", "StatefulSet"].contains(&o["kind"].as_str().unwrap_or(""))).expect("a workload");
    &workload["spec"]["template"]
}

fn image(objects: &[Value]) -> String {
    pod(objects)["spec"]["containers"][0]["image"].as_str().expect("an image").to_string()
}

#[test]
fn a_tag_with_a_leading_zero_stays_a_string() {
    assert!(image(&rendered("backbone", &["--set", "image.tag=0755"])).ends_with(":0755"));
}

#[test]
fn booleans_match_in_any_case() {
    let objects = rendered("backbone", &["--set", "api.enabled=True"]);
    assert_eq!(object(&objects, "ConfigMap")["data"]["API_ENABLED"], "true");
    // Backbone's WebSocket needs its API: both off.
    let objects = rendered("backbone", &["--set", "api.enabled=fALSE,ws.enabled=False"]);
    assert_eq!(object(&objects, "ConfigMap")["data"]["API_ENABLED"], "false");
    assert_eq!(object(&objects, "ConfigMap")["data"]["WS_ENABLED"], "false");
}

#[test]
fn a_backslash_escapes_the_next_character() {
    let objects = rendered("backend", &["--set", r"podAnnotations.e=C:\temp"]);
    assert_eq!(pod(&objects)["metadata"]["annotations"]["e"], "C:temp");
    let objects = rendered("backend", &["--set", r"podAnnotations.e=C:\\temp,podAnnotations.f=a\,b"]);
    assert_eq!(pod(&objects)["metadata"]["annotations"]["e"], r"C:\temp");
    assert_eq!(pod(&objects)["metadata"]["annotations"]["f"], "a,b");
}

#[test]
fn list_indices_set_list_items() {
    let objects = rendered("backbone", &["--set", "imagePullSecrets[0].name=regcred"]);
    assert_eq!(pod(&objects)["spec"]["imagePullSecrets"], json!([{"name": "regcred"}]));
    // A list given by index replaces the default list, as in Helm: the item needs all its
    // settings, and one without its paths is refused by all three.
    let objects =
        rendered("dbbat", &["--set", "ingress.enabled=true", "--set", "ingress.hosts[0].host=x,ingress.hosts[0].paths[0].path=/,ingress.hosts[0].paths[0].pathType=Prefix"]);
    assert_eq!(object(&objects, "Ingress")["spec"]["rules"][0]["host"], "x");
    let e = rejected("dbbat", &["--set", "ingress.enabled=true", "--set", "ingress.hosts[0].host=x"]);
    assert!(e.contains("--set: ingress.hosts[0]: `paths` is required here"), "{e}");
    let e = rejected("backbone", &["--set", "imagePullSecrets[65537].name=x"]);
    assert!(e.contains("--set: imagePullSecrets[65537]: index 65537: expected a list index from 0 to 65536"), "{e}");
}

#[test]
fn set_string_keeps_digits_and_booleans_as_strings() {
    assert!(image(&rendered("backbone", &["--set-string", "image.tag=20161216"])).ends_with(":20161216"));
    let e = rejected("backbone", &["--set", "image.tag=20161216"]);
    assert!(e.contains("--set: image.tag: invalid type: the integer 20161216, expected a string"), "{e}");
    let objects = rendered("dbbat", &["--set-string", r"podAnnotations.prometheus\.io/scrape=true"]);
    assert_eq!(pod(&objects)["metadata"]["annotations"]["prometheus.io/scrape"], "true");
}

#[test]
fn values_from_standard_input() {
    let a = args("backbone", &["-f", "-"]);
    match three("backbone", &a, Some("image:\n  tag: from-stdin\n")) {
        Ok(Ok(objects)) => assert!(image(&objects).ends_with(":from-stdin")),
        other => panic!("{other:?}"),
    }
    match three("backbone", &a, Some("image: [\n")) {
        Ok(Err(e)) => assert!(e.contains("standard input (-f -)"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn set_file_set_literal_and_set_json() {
    // Not `target/set-cases`, which the seeded test removes and refills while this one runs.
    let dir = root().join("target/set-file-case");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let file = dir.join("annotation.txt");
    std::fs::write(&file, "line one\nline two, with a comma\n").expect("write");
    let objects = rendered(
        "backend",
        &["--set-file", &format!("podAnnotations.file={}", file.display()), "--set-literal", r"podAnnotations.literal=a,b=\c{}", "--set-json", r#"podAnnotations={"json":"0755"}"#],
    );
    let annotations = &pod(&objects)["metadata"]["annotations"];
    assert_eq!(annotations["file"], "line one\nline two, with a comma\n");
    assert_eq!(annotations["literal"], r"a,b=\c{}");
    assert_eq!(annotations["json"], "0755");
    // Go's JSON reads numbers as floats: negative zero prints as -0.
    let objects = rendered("backend", &["--set-json", "config.temperature=-0"]);
    assert_eq!(object(&objects, "ConfigMap")["data"]["TEMPERATURE"], "-0");
    let e = rejected("backend", &["--set-file", "podAnnotations.x=target/set-cases/missing.txt"]);
    assert!(e.contains("--set-file: podAnnotations.x: cannot read the file \"target/set-cases/missing.txt\""), "{e}");
}

#[test]
fn flags_apply_in_helms_order_whatever_their_order_on_the_command_line() {
    let tag = |extra: &[&str]| image(&rendered("backbone", extra)).rsplit(':').next().unwrap_or_default().to_string();
    assert_eq!(tag(&["--set-literal", "image.tag=literal", "--set-string", "image.tag=string", "--set", "image.tag=set"]), "literal");
    assert_eq!(tag(&["--set", "image.tag=set", "--set-json", r#"image.tag="json""#]), "set");
    assert_eq!(tag(&["--set-string", "image.tag=string", "--set", "image.tag=set"]), "string");
    assert_eq!(tag(&["--set", "image.tag=first", "--set", "image.tag=second"]), "second");
}

/// The one difference of the value flags between the two Helm versions: Helm 4 takes a whole
/// JSON object in `--set-json`, Helm 3.18 refuses it. emit follows Helm 4.
#[test]
fn a_whole_json_object_in_set_json_follows_helm_4() {
    let a = args("backbone", &["--set-json", r#"{"image":{"tag":"from-json"}}"#]);
    let ours = emit_stdout_args("backbone", "backbone", "backbone", &a, None);
    let helm4 = helm_template_args("helm4", "backbone", "backbone", "backbone", &a, None);
    let helm3 = helm_template_args("helm3", "backbone", "backbone", "backbone", &a, None);
    assert!(ours.status.success() && helm4.status.success(), "{}{}", text(&ours.stderr), text(&helm4.stderr));
    compare_streams(&text(&helm4.stdout), &text(&ours.stdout)).unwrap_or_else(|e| panic!("{e}"));
    assert!(image(&parse_stream(&text(&ours.stdout))).ends_with(":from-json"));
    assert!(!helm3.status.success(), "Helm 3 took a JSON object: the note on Helm 3 in docs/src/value-flags.md is stale");
}

/// A values file of several YAML documents: Helm 4 merges them in order, Helm 3.18 reads the
/// first. emit follows Helm 4.
#[test]
fn several_documents_in_a_values_file_follow_helm_4() {
    let stdin = "image:\n  tag: first\n---\nimage:\n  tag: second\n";
    let a = args("backbone", &["-f", "-"]);
    let ours = emit_stdout_args("backbone", "backbone", "backbone", &a, Some(stdin));
    let helm4 = helm_template_args("helm4", "backbone", "backbone", "backbone", &a, Some(stdin));
    let helm3 = helm_template_args("helm3", "backbone", "backbone", "backbone", &a, Some(stdin));
    assert!(ours.status.success() && helm4.status.success() && helm3.status.success(), "{}{}", text(&ours.stderr), text(&helm4.stderr));
    compare_streams(&text(&helm4.stdout), &text(&ours.stdout)).unwrap_or_else(|e| panic!("{e}"));
    assert!(image(&parse_stream(&text(&ours.stdout))).ends_with(":second"));
    assert!(image(&parse_stream(&text(&helm3.stdout))).ends_with(":first"), "Helm 3 merged the documents: the note on Helm 3 in docs/src/value-flags.md is stale");
}

#[test]
fn errors_name_the_flag_the_path_and_what_was_expected() {
    for (extra, expected) in [
        (vec!["--set", "replicaCount=300"], "--set: replicaCount: invalid value: the integer 300, expected an integer from 0 to 255"),
        (vec!["--set-json", "replicaCount=1.5"], "--set-json: replicaCount: invalid type: the number 1.5, expected an integer from 0 to 255"),
        (vec!["--set", "image=x", "--set", "image.tag=1"], "--set: image: is a string already"),
        (vec!["--set", "image.tag"], "--set: image.tag: no value: expected path=value"),
        (vec!["--set-json", "image.tag=tru"], "--set-json: image.tag: not valid JSON"),
        (vec!["--set", "api.enabled=yes"], "--set: api.enabled: invalid type: string \"yes\", expected a boolean"),
    ] {
        let e = rejected("backbone", &extra);
        assert!(e.contains(expected), "{extra:?}: {e}");
        assert!(!e.contains("panicked"), "{e}");
    }
}

#[test]
fn check_takes_the_same_flags() {
    let out = run(kforge().args(["check", "--app", "backbone", "--set-string", "image.tag=20161216", "--set", "imagePullSecrets[0].name=regcred"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(kforge().args(["check", "--app", "backbone", "--set-json", "replicaCount=300"]));
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--set-json: replicaCount: invalid value: the integer 300, expected an integer from 0 to 255"), "{}", text(&out.stderr));
}

#[test]
fn show_only_renders_the_objects_of_one_template() {
    let objects = rendered("backbone", &["--show-only", "templates/service.yaml"]);
    assert!(!objects.is_empty() && objects.iter().all(|o| o["kind"] == "Service"), "{objects:?}");
    let objects = rendered("backbone", &["-s", "templates/service.yaml", "-s", "templates/configmap.yaml"]);
    assert_eq!(objects.iter().map(|o| o["kind"].as_str().unwrap_or("")).collect::<Vec<_>>(), ["Service", "Service", "ConfigMap"]);
    let e = rejected("backbone", &["--show-only", "templates/nothing.yaml"]);
    assert!(e.contains("could not find template templates/nothing.yaml"), "{e}");
}

// ----- the differential test ---------------------------------------------------------------

/// Random cases per application (120 in all); `KFORGE_SET_CASES` for more.
const CASES_PER_APP: u64 = 30;

#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Index(usize),
}

/// Every setting the schema declares, with its current value and schema: sections, leaves,
/// lists and their items, maps of strings and their entries. Kubernetes objects (a security
/// context, tolerations) are left out: the contract's random values vary them as a whole.
fn settings(schema: &Value, v: &Value, prefix: &mut Vec<Seg>, out: &mut Vec<(Vec<Seg>, Value, Value)>) {
    let free_form = |s: &Value| {
        is_kubernetes(s) || (s.get("properties").is_none() && s.get("type") == Some(&json!("object")) && s.get("additionalProperties").is_none_or(|a| a.get("type").is_none()))
    };
    if free_form(schema) || schema.get("items").is_some_and(free_form) {
        return;
    }
    if !prefix.is_empty() {
        out.push((prefix.clone(), v.clone(), schema.clone()));
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, sub) in props {
            if k == "global" && sub.get("properties").is_none() {
                continue;
            }
            prefix.push(Seg::Key(k.clone()));
            settings(sub, v.get(k).unwrap_or(&Value::Null), prefix, out);
            prefix.pop();
        }
    } else if let (Some(entry), Value::Object(m)) = (schema.get("additionalProperties"), v) {
        for (k, child) in m {
            prefix.push(Seg::Key(k.clone()));
            settings(entry, child, prefix, out);
            prefix.pop();
        }
    } else if let (Some(item), Value::Array(items)) = (schema.get("items"), v) {
        for (i, child) in items.iter().enumerate() {
            prefix.push(Seg::Index(i));
            settings(item, child, prefix, out);
            prefix.pop();
        }
    }
}

fn path_text(segs: &[Seg]) -> String {
    let mut out = String::new();
    for s in segs {
        match s {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                for c in k.chars() {
                    if matches!(c, '.' | ',' | '=' | '[' | '\\') {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// A `--set` value text escaped as an operator would type it.
fn escaped(s: &str) -> String {
    s.replace('\\', "\\\\").replace(',', "\\,")
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Set,
    String,
    Json,
    Literal,
    File,
}

fn scalar_for(current: &Value, kind: Kind, rng: &mut Rng) -> String {
    let pick = |rng: &mut Rng, items: &[&str]| rng.pick(items).to_string();
    if kind == Kind::Json {
        return match current {
            _ if rng.chance(15) => pick(rng, &["null", "", "-0", "1e3", "\"\"", "[]", "{}", "true", "\"0755\"", "tru", "01"]),
            Value::Bool(_) => pick(rng, &["true", "false", "null", "\"true\"", "1", ""]),
            Value::Number(_) if rng.chance(30) => current.to_string(),
            Value::Number(_) => pick(rng, &["0", "1", "3", "1.0", "2.5", "1e3", "8e1", "-1", "\"5\"", "65536", "0.5", "65535", "1E2"]),
            Value::String(_) if rng.chance(40) => current.to_string(),
            Value::String(_) => pick(rng, &["\"0755\"", "\"x,y\"", r#""C:\\temp""#, "1", "true", "\"latest\"", "\"1Gi\"", "[\"a\"]", "\"500m\"", "\":8080\""]),
            Value::Array(_) => pick(rng, &["[]", "[\"a\"]", "[{\"name\":\"x\"}]", "null", "{}"]),
            _ => pick(rng, &["{}", "{\"a\":\"b\"}", "{\"prometheus.io/scrape\":\"true\"}", "null", "[]"]),
        };
    }
    match current {
        _ if rng.chance(15) => pick(rng, &["null", "NULL", "", "True", "false", "0", "00", "0755", "-0", "+5", "1e3", "{a,b}", "{}", "x"]),
        Value::Bool(_) => pick(rng, &["true", "false", "True", "FALSE", "tRUE", "fAlse", "null", "Null", "yes", "on", "1", "0"]),
        Value::Number(_) if rng.chance(30) => current.to_string(),
        Value::Number(_) => pick(
            rng,
            &["0", "1", "2", "3", "007", "0755", "+5", "-1", "-0", "1e3", "1E2", "1.0", "2.5", "65535", "65536", "80", "8080", "9223372036854775807", "9223372036854775808", "-05"],
        ),
        Value::String(s) if rng.chance(40) && kind != Kind::Literal => escaped(s),
        Value::String(s) if rng.chance(40) => s.clone(),
        Value::String(_) => pick(
            rng,
            &["0755", "20161216", "true", "True", "x", r"C:\temp", r"a\,b", "{a,b}", "1e3", "-5", "x y", "ünï", "latest", "v1.2.3", "1Gi", "500m", "0.5", ":8080", "25%", "a=b"],
        ),
        Value::Array(_) => pick(rng, &["{a,b}", "{}", "", "x", "{1,2}"]),
        _ => pick(rng, &["{a,b}", "", "x"]),
    }
}

/// A valid value of a setting as `kind` takes it, or `None` when `kind` cannot say it.
fn valid_text(v: &Value, kind: Kind, rng: &mut Rng) -> Option<String> {
    match (kind, v) {
        (Kind::Json, _) => Some(v.to_string()),
        (Kind::Set, Value::Bool(b)) => Some(rng.pick(if *b { &["true", "True", "TRUE", "tRuE"] } else { &["false", "False", "FALSE", "fAlSe"] }).to_string()),
        (Kind::Set, Value::Number(n)) if n.is_i64() => Some(if rng.chance(20) && n.as_i64().is_some_and(|i| i >= 0) { format!("+{n}") } else { n.to_string() }),
        (Kind::Set | Kind::String, Value::String(s)) => {
            let text = escaped(s);
            let typed = kforge::values::typed_value(s, false);
            (kind == Kind::String || typed.is_string()).then_some(if s.starts_with('{') { format!("\\{}", &text) } else { text })
        }
        (Kind::Literal | Kind::File, Value::String(s)) => Some(s.clone()),
        (Kind::Set, Value::Null) => Some("null".into()),
        _ => None,
    }
}

/// One assignment `path=value` for `kind`, on a setting of the application: mostly a value its
/// schema accepts, otherwise a perturbed path or a value from a pool of look-alikes.
fn assignment(all: &[(Vec<Seg>, Value, Value)], kind: Kind, rng: &mut Rng, dir: &Path, case: &str, n: usize) -> String {
    let (mut path, mut current, mut schema) = rng.pick(all).clone();
    let mut text = None;
    if rng.chance(70) {
        // A setting this flag can give a valid value to: not a whole section, and for the
        // string flags a string.
        for _ in 0..10 {
            let (p, c, s) = rng.pick(all).clone();
            if s.get("properties").is_some() {
                continue;
            }
            let key = p.iter().rev().find_map(|seg| if let Seg::Key(k) = seg { Some(k.as_str()) } else { None }).unwrap_or("");
            let v = random_setting(key, &s, &c, rng).unwrap_or_else(|| c.clone());
            if let Some(t) = valid_text(&v, kind, rng) {
                (path, current, schema, text) = (p, c, s, Some(t));
                break;
            }
        }
    }
    if text.is_none() {
        let string_map = schema.get("additionalProperties").is_some_and(|a| a.get("type").is_some());
        match rng.below(100) {
            // A new key in a map of strings (annotations, labels, selectors: keys with dots).
            0..=29 if string_map => {
                path.push(Seg::Key(rng.pick(&["prometheus.io/scrape", "example.com/team", "a", "x-y", "app.kubernetes.io/part-of"]).to_string()));
                current = json!("");
            }
            // An item of a list, or past its end.
            0..=29 if current.is_array() => {
                let i = *rng.pick(&[0, 0, 1, 2, 65537]);
                path.push(Seg::Index(i));
                if rng.chance(50) {
                    path.push(Seg::Key(rng.pick(&["name", "host", "key", "value"]).to_string()));
                }
                current = json!("");
            }
            // A misspelt key.
            30..=33 => {
                if let Some(Seg::Key(k)) = path.last_mut() {
                    k.push('x');
                }
            }
            // A key under a scalar.
            34..=36 if !current.is_object() => path.push(Seg::Key("sub".into())),
            _ => {}
        }
    }
    let key = path_text(&path);
    let key = if kind == Kind::Literal { key.replace('\\', "") } else { key };
    let text = text.unwrap_or_else(|| scalar_for(&current, kind, rng));
    match kind {
        Kind::File => {
            let file = dir.join(format!("{case}-{n}.txt"));
            std::fs::write(&file, text).expect("write --set-file file");
            format!("{key}={}", file.display())
        }
        _ => format!("{key}={text}"),
    }
}

fn random_args(all: &[(Vec<Seg>, Value, Value)], rng: &mut Rng, dir: &Path, case: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut n = 0;
    for _ in 0..1 + rng.below(2) {
        let kind = match rng.below(100) {
            0..=44 => Kind::Set,
            45..=64 => Kind::String,
            65..=84 => Kind::Json,
            85..=92 => Kind::Literal,
            _ => Kind::File,
        };
        let count = if kind == Kind::Literal { 1 } else { 1 + rng.below(2) };
        let parts: Vec<String> = (0..count)
            .map(|_| {
                n += 1;
                assignment(all, kind, rng, dir, case, n)
            })
            .collect();
        let flag = match kind {
            Kind::Set => "--set",
            Kind::String => "--set-string",
            Kind::Json => "--set-json",
            Kind::Literal => "--set-literal",
            Kind::File => "--set-file",
        };
        out.push(flag.to_string());
        out.push(parts.join(","));
    }
    out
}

fn shell_quote(args: &[String]) -> String {
    args.iter().map(|a| format!("'{}'", a.replace('\'', r"'\''"))).collect::<Vec<_>>().join(" ")
}

struct Case {
    app: String,
    args: Vec<String>,
}

#[test]
fn random_value_flags_agree_with_helm() {
    // CI runs the same cases every time, so that a red run is the change's doing; a developer's
    // run tries new ones (the clock), and a failure prints the seed that reruns it.
    let seed = seed("KFORGE_SET_SEED", 13, "value flags");
    let per_app: u64 = std::env::var("KFORGE_SET_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(CASES_PER_APP);
    let dir: PathBuf = root().join("target/set-cases");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut cases = Vec::new();
    for app in apps::all() {
        let name = app.chart().name.clone();
        let defaults = app.defaults();
        let base = match (app.needs_values(), app.environments().first()) {
            (Some(_), Some(env)) => {
                kforge::values::load(&defaults, &[kforge::values::Layer::File { name: env.path, text: env.text }], &|t| app.validate(t)).expect("environment loads")
            }
            _ => defaults,
        };
        let mut all = Vec::new();
        settings(&app.schema(), &base, &mut Vec::new(), &mut all);
        for i in 0..per_app {
            let mut rng = Rng::new(seed.wrapping_mul(1000).wrapping_add(i).wrapping_add(name.len() as u64 * 7919));
            let extra = random_args(&all, &mut rng, &dir, &format!("{name}-{i}"));
            cases.push(Case { args: base_args(&name).into_iter().chain(extra).collect(), app: name.clone() });
        }
    }
    let start = std::time::Instant::now();
    let chunks: Vec<&[Case]> = cases.chunks(cases.len().div_ceil(2)).collect();
    let results: Vec<(usize, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                s.spawn(move || {
                    let mut rendered = 0;
                    let mut failures = Vec::new();
                    for case in chunk.iter() {
                        match three(&case.app, &case.args, None) {
                            Ok(Ok(_)) => rendered += 1,
                            Ok(Err(e)) if std::env::var_os("KFORGE_SET_VERBOSE").is_some() => eprintln!("rejected: {} {}: {}", case.app, shell_quote(&case.args), e.trim()),
                            Ok(Err(_)) => {}
                            Err(e) => failures.push(format!("{}: kforge emit --app {0} --stdout --release {0} --namespace {0} {}\n{e}", case.app, shell_quote(&case.args))),
                        }
                    }
                    (rendered, failures)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("worker")).collect()
    });
    let rendered: usize = results.iter().map(|r| r.0).sum();
    let failures: Vec<&String> = results.iter().flat_map(|r| &r.1).collect();
    eprintln!("value flags: {} cases ({rendered} rendered by all three, the rest rejected by all three) in {:.0?}, seed {seed}", cases.len(), start.elapsed());
    assert!(failures.is_empty(), "seed {seed}: {} of {} cases differ:\n\n{}", failures.len(), cases.len(), failures.iter().map(|f| f.as_str()).collect::<Vec<_>>().join("\n\n"));
    assert!(rendered * 3 >= cases.len(), "seed {seed}: only {rendered} of {} cases rendered; the cases test rejection more than rendering", cases.len());
}

/// A decimal with more digits than a float holds rounds to the float Helm's JSON reader picks
/// (Go's `strconv.ParseFloat`, correctly rounded), from --set-json as from a values file.
#[test]
fn long_decimals_round_as_helm_rounds_them() {
    for decimal in ["0.66712768426846563212", "0.10000000000000000555", "123.45678901234567890123"] {
        let objects = rendered("backend", &["--set-json", &format!("config.temperature={decimal}")]);
        let config = object(&objects, "ConfigMap");
        assert!(config["data"]["TEMPERATURE"].is_string(), "{config}");
    }
}
