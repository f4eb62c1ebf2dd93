//! Values files are read as Helm reads them: YAML 1.1, as go-yaml v2 resolves scalars and
//! sigs.k8s.io/yaml makes keys strings. Seeded values files put the spellings YAML 1.1 reads its
//! own way (octal, hexadecimal, binary, underscores, `y`/`no`/`on`, nulls, floats, timestamps,
//! sexagesimal, tags, quoted forms) in every position: keys and values, nested, in lists, block
//! and flow. Helm 4 and Helm 3 read them through a probe chart that prints `toJson .Values`;
//! emit reads them with `values::load`; the two trees must be equal. Then DBBat takes such
//! spellings in its chart settings and Kubernetes-typed sections (`replicaCount`,
//! `nodeSelector`, `extraVolumes[].secret.defaultMode`, ...) and Helm and emit must render the
//! same objects, or both refuse. Files Helm refuses (`.inf`, a null key, a tag its value does not
//! fit) are refused by emit too, with a line and column.
//!
//! Where Helm 3 and Helm 4 differ (Helm 3 reads a file's first document only), emit follows
//! Helm 4 and the test checks that difference is the only one.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::*;

// ----- spellings ---------------------------------------------------------------------------

/// What a spelling is meant to read as. The generator only needs it to keep maps free of two
/// keys Go would keep in an order of chance, and settings within their type; Helm's output, not
/// this, is what emit is compared with.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Class {
    Bool,
    Null,
    Int,
    Float,
    Str,
    /// Above int64 (a uint64 or a float to Helm): a value, never a key (Helm refuses it).
    Big,
    /// `.inf`, `.nan`: a key, never a value (JSON has no such numbers).
    NotFinite,
}

/// `text` with an underscore or two after its first character, which go-yaml removes from a
/// number before reading it.
fn with_underscores(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..=rng.below(2) {
        let at = 1 + rng.below(chars.len() as u64) as usize;
        chars.insert(at.min(chars.len()), '_');
    }
    chars.into_iter().collect()
}

fn random_case(rng: &mut Rng, s: &str) -> String {
    s.chars().map(|c| if rng.chance(50) { c.to_ascii_uppercase() } else { c }).collect()
}

/// A spelling of the integer `n`: decimal, octal with a leading `0` or `0o`, hexadecimal,
/// binary, a sign, underscores, a tag.
fn int_text(rng: &mut Rng, n: i64) -> String {
    let m = n.unsigned_abs();
    let sign = if n < 0 {
        "-"
    } else if rng.chance(10) {
        "+"
    } else {
        ""
    };
    let body = match rng.below(8) {
        0 | 1 => m.to_string(),
        2 | 3 => format!("0{m:o}"),
        4 => format!("0{}{m:o}", rng.pick(&["o", "O"])),
        5 => format!("0{}{}", rng.pick(&["x", "X"]), random_case(rng, &format!("{m:x}"))),
        6 => format!("0{}{m:b}", rng.pick(&["b", "B"])),
        _ => m.to_string(),
    };
    let body = if rng.chance(25) { with_underscores(rng, &body) } else { body };
    let text = format!("{sign}{body}");
    match rng.below(12) {
        0 => format!("!!int {text}"),
        1 => format!("!!int \"{text}\""),
        _ => text,
    }
}

fn digits(rng: &mut Rng, n: u64) -> String {
    (0..n).map(|_| char::from(b'0' + rng.below(10) as u8)).collect()
}

fn float_text(rng: &mut Rng) -> String {
    let sign = *rng.pick(&["", "", "", "-", "+"]);
    let (a, b, n) = (rng.below(1000), rng.below(80) as i64 - 40, 1 + rng.below(8));
    let d = digits(rng, n);
    let text = match rng.below(11) {
        0 => format!("{a}.{}", &d[..d.len().min(4)]),
        1 => format!("{}.", a % 100),
        2 => format!(".{}", &d[..d.len().min(3)]),
        3 => format!("{}{}{}", 1 + a % 9, rng.pick(&["e", "E", "e+", "E-", "e-"]), a % 30),
        4 => format!("{}.{d}e{}", 1 + a % 9, b / 2),
        // A leading zero with an 8 or 9: not octal, a decimal float.
        5 => format!("0{}{}", &d[..(a % 2) as usize], rng.pick(&["8", "9", "18", "09"])),
        6 => format!("{}.0", a % 100),
        7 => rng.pick(&["1e-400", "-0.0", "3.14159265358979", "16777217.0", "1234567.0", "0.00001", "0.0001", "1e6", "100000.0", "1.10"]).to_string(),
        8 => {
            let t = format!("{}.{}", 1 + a * 7, &d[..d.len().min(2)]);
            with_underscores(rng, &t)
        }
        9 => format!("{}.{d}{}e{b}", a % 10, digits(rng, 5)),
        _ => format!("{}.{}", a % 10, &d[..1]),
    };
    let text = if text.starts_with('-') { text } else { format!("{sign}{text}") };
    if rng.chance(8) { format!("!!float {text}") } else { text }
}

fn bool_text(rng: &mut Rng, b: bool) -> String {
    let words: &[&str] =
        if b { &["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"] } else { &["n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"] };
    let w = rng.pick(words).to_string();
    if rng.chance(8) { format!("!!bool {w}") } else { w }
}

/// Plain texts that stay strings, though many look like something else.
const STRINGS: &[&str] = &[
    "abc",
    "x1",
    "web",
    "yEs",
    "oN",
    "tRUE",
    "nULL",
    "Nil",
    "None",
    "ye",
    "offf",
    "190:20:30",
    "1:30",
    "-1:30",
    "2001-12-14",
    "2001-1-2",
    "2001-12-14 21:59:43.10",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14T21:59:43Z",
    "1e400",
    "-1e400",
    ".1e400",
    "0x",
    "0b",
    "0o",
    "0b2",
    "0x1G",
    "0x10000000000000000",
    "_1",
    "1a",
    "inf",
    "nan",
    "Infinity",
    ".",
    "1e",
    "+",
    "0x1p-2",
    "=",
    "1.2.3",
    "v1.10",
    "<<",
    "12:30:00",
    "0.1.0",
    ".inf_",
    "1__",
    "~x",
];

fn str_text(rng: &mut Rng) -> String {
    let s = rng.pick(STRINGS).to_string();
    if s == "<<" && rng.chance(50) { "abc".into() } else { s }
}

/// Any text, single- or double-quoted: a string whatever it says.
fn quoted(rng: &mut Rng, text: &str) -> String {
    if rng.chance(50) { format!("'{}'", text.replace('\'', "''")) } else { serde_json::to_string(text).expect("json") }
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() { char::from(A[(n >> (18 - 6 * i) & 63) as usize]) } else { '=' });
        }
    }
    out
}

/// A string spelled with a tag: `!!str`, `!`, a custom tag, `!!binary`, `!!timestamp`.
fn tagged_string(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => format!("!!str {}", any_plain(rng)),
        1 => format!("! {}", any_plain(rng)),
        2 => format!("!custom {}", any_plain(rng)),
        3 => {
            let bytes: Vec<u8> = (0..1 + rng.below(7)).map(|_| if rng.chance(70) { b'a' + rng.below(26) as u8 } else { rng.next() as u8 }).collect();
            format!("!!binary {}", base64(&bytes))
        }
        4 => format!("!!timestamp {}", rng.pick(&["2001-12-14", "2001-12-14T21:59:43Z", "2000-02-29 1:2:3"])),
        _ => format!("!!str \"{}\"", any_plain(rng)),
    }
}

/// A plain spelling of any class but the refused ones, without tags (to put a tag before).
fn any_plain(rng: &mut Rng) -> String {
    let text = match rng.below(4) {
        0 => {
            let n = rng.below(600) as i64 - 100;
            int_text(rng, n)
        }
        1 => float_text(rng),
        2 => {
            let b = rng.chance(50);
            bool_text(rng, b)
        }
        _ => str_text(rng),
    };
    if text.starts_with('!') || text.contains(": ") || text.contains(" ") { "0644".into() } else { text }
}

/// A spelling of `class`, as a value or a key.
fn spelling(rng: &mut Rng, class: Class) -> String {
    match class {
        Class::Bool => {
            let b = rng.chance(50);
            bool_text(rng, b)
        }
        Class::Null => rng.pick(&["~", "null", "Null", "NULL", "!!null ~"]).to_string(),
        Class::Int => {
            let n = rng.below(2000) as i64 - 500;
            int_text(rng, n)
        }
        Class::Float => float_text(rng),
        Class::Str => match rng.below(4) {
            0 => {
                let t = any_plain(rng);
                quoted(rng, &t)
            }
            1 => tagged_string(rng),
            _ => str_text(rng),
        },
        Class::Big => rng
            .pick(&[
                "9223372036854775807",
                "9223372036854775808",
                "18446744073709551615",
                "18446744073709551616",
                "99999999999999999999",
                "-9223372036854775809",
                "07777777777777777777777",
            ])
            .to_string(),
        Class::NotFinite => rng.pick(&[".inf", ".Inf", ".INF", "+.inf", "-.inf", "-.INF", ".nan", ".NaN", ".NAN"]).to_string(),
    }
}

// ----- trees of spellings --------------------------------------------------------------------

/// A values tree as text pieces: scalars are spellings.
enum Tree {
    Leaf(String),
    Seq(Vec<Tree>, bool),
    /// Entries, and whether the map is written in flow style.
    Map(Vec<(String, Tree)>, bool),
}

/// Whether `text` may stand in a flow collection (no `:`, no empty null).
fn fits_flow(text: &str) -> bool {
    !text.contains(':') && !text.is_empty()
}

fn leaf(rng: &mut Rng, flow: bool, stats: &mut Stats) -> Tree {
    loop {
        let class = *rng.pick(&[Class::Bool, Class::Null, Class::Int, Class::Int, Class::Float, Class::Str, Class::Str, Class::Big]);
        let text = if class == Class::Null && !flow && rng.chance(20) { String::new() } else { spelling(rng, class) };
        if !flow || fits_flow(&text) {
            stats.values += 1;
            return Tree::Leaf(text);
        }
    }
}

fn key(rng: &mut Rng, class: Class, flow: bool, stats: &mut Stats) -> String {
    loop {
        let text = spelling(rng, class);
        // `<<` is the merge key; a `null` tag is a null key, which Helm refuses.
        let refused = text.starts_with("!!null") || text == "<<" || text == "!!str" || text.ends_with(" <<");
        if !refused && (!flow || fits_flow(&text)) {
            stats.keys += 1;
            return text;
        }
    }
}

fn tree(rng: &mut Rng, depth: u32, flow: bool, stats: &mut Stats) -> Tree {
    if depth >= 3 || rng.chance(45) {
        return leaf(rng, flow, stats);
    }
    let flow = flow || rng.chance(40);
    if rng.chance(40) {
        let n = rng.below(4);
        return Tree::Seq((0..n).map(|_| tree(rng, depth + 1, flow, stats)).collect(), flow);
    }
    // Keys of one class, or plain names beside one key of any class: no two keys Go tells apart
    // that JSON does not (`1` and `"1"`), whose order in Helm is chance.
    let keys: Vec<String> = match rng.below(5) {
        0 => (0..2 + rng.below(3)).map(|_| key(rng, Class::Int, flow, stats)).collect(),
        1 => (0..2 + rng.below(2)).map(|_| key(rng, Class::Bool, flow, stats)).collect(),
        2 => (0..2 + rng.below(3)).map(|_| key(rng, Class::Str, flow, stats)).collect(),
        _ => {
            let mut keys: Vec<String> = (0..rng.below(3)).map(|i| format!("k{i}")).collect();
            let class = *rng.pick(&[Class::Int, Class::Float, Class::Float, Class::Bool, Class::Str, Class::NotFinite]);
            let at = rng.below(keys.len() as u64 + 1) as usize;
            keys.insert(at, key(rng, class, flow, stats));
            keys
        }
    };
    Tree::Map(keys.into_iter().map(|k| (k, tree(rng, depth + 1, flow, stats))).collect(), flow)
}

fn flow_text(t: &Tree) -> String {
    match t {
        Tree::Leaf(s) => s.clone(),
        Tree::Seq(items, _) => format!("[{}]", items.iter().map(flow_text).collect::<Vec<_>>().join(", ")),
        Tree::Map(entries, _) => format!("{{{}}}", entries.iter().map(|(k, v)| format!("{k}: {}", flow_text(v))).collect::<Vec<_>>().join(", ")),
    }
}

/// Writes the entries of a map at `indent`, in block style where the tree says so.
fn write_map(out: &mut String, entries: &[(String, Tree)], indent: usize) {
    for (k, v) in entries {
        out.push_str(&" ".repeat(indent));
        out.push_str(k);
        out.push(':');
        write_after(out, v, indent);
    }
}

/// What follows a `key:` or a `-`.
fn write_after(out: &mut String, v: &Tree, indent: usize) {
    match v {
        Tree::Leaf(s) if s.is_empty() => out.push('\n'),
        Tree::Leaf(s) => out.push_str(&format!(" {s}\n")),
        Tree::Seq(items, flow) if *flow || items.is_empty() => out.push_str(&format!(" {}\n", flow_text(v))),
        Tree::Map(entries, flow) if *flow || entries.is_empty() => out.push_str(&format!(" {}\n", flow_text(v))),
        Tree::Seq(items, _) => {
            out.push('\n');
            for item in items {
                out.push_str(&" ".repeat(indent + 2));
                out.push('-');
                write_after(out, item, indent + 2);
            }
        }
        Tree::Map(entries, _) => {
            out.push('\n');
            write_map(out, entries, indent + 2);
        }
    }
}

#[derive(Default)]
struct Stats {
    keys: usize,
    values: usize,
}

/// A float for a key, which Helm writes as the float32 nearest it in the fewest digits: powers
/// of two (whose lower gap is half the upper), ties between two shortest forms, the edges of
/// float32's range.
fn float_key(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => float_text(rng),
        1 => format!("{:e}", 2f64.powi(rng.below(277) as i32 - 149)),
        _ => {
            let (lead, n, exp) = (1 + rng.below(9), 4 + rng.below(9), rng.below(100) as i64 - 50);
            format!("{lead}.{}e{exp}", digits(rng, n))
        }
    }
}

// ----- the probe chart -----------------------------------------------------------------------

/// Spellings the issue names and the corners of go-yaml's resolver, at fixed places.
const FIXED: &str = r#"issue:
  defaultMode: 0400
  mode: 0644
  replicaCount: 010
  nodeSelector: {1.10: "x", no: "z"}
booleans: [y, Y, yes, Yes, YES, n, N, no, No, NO, on, On, ON, off, Off, OFF, true, True, TRUE, false, False, FALSE, yEs, oN, tRUE, nO]
nulls: [~, null, Null, NULL, nULL, !!null "", !!null ~]
empty:
numbers: [0o17, 0O17, 0x1F, 0X1f, 0b101, 0B101, -0b101, 1_000, 0x_1F, 08, 09, 0_9, -0, -0.0, +1, 1., .5, +.5, 1e3, 1e-400, 1e400, 9223372036854775807, 9223372036854775808, 18446744073709551615, 18446744073709551616, -9223372036854775809, 0x10000000000000000, 07777777777777777777777]
strings:
  - 190:20:30
  - 2001-12-14
  - 2001-12-14 21:59:43.10
  - 2001-12-14t21:59:43.10-05:00
  - 2001-12-14 21:59:43.10 -5
  - 0x
  - _1
  - <<
tags: {a: !!str 0644, b: !!int "0644", c: !!float 1, d: !!bool yes, e: !!null ~, f: ! 0644, g: !custom 0644, h: !!binary aGVsbG8=, i: !!binary 8J+Y, j: !!timestamp 2001-12-14, k: !!str "", l: !<tag:yaml.org,2002:int> 0x10, m: !!float 0x10, n: !!set {a: 1}, o: !!map [1], p: "!!int 1"}
keys: {0644: a, 0x1F: b, 1e3: c, yes: d, 3.14159265358979: e, 1e6: f, 100000: g, 0.00001: h, -.inf: i, -0.0: j, 16777217.0: k, 1234567.0: l, 0.0001: m, .nan: n, !!binary aGVsbG8=: p, 99999999999999999999: q, 1e39: r, "0645": s, !!str 0646: t, 1e-50: u}
sameKeys:
  ints: {1: a, 0x1: b, 01: c, 0b1: d}
  bools: {yes: a, on: b, y: c, no: d, off: e}
  floats: {1.10: a, 1.1: b, 0.0: c, -0.0: d}
anchors:
  base: &base {a: 0644, b: no}
  list: &list [y, 0x10]
  copy: *base
  merged: {<<: *base, b: yes, c: 1}
  before: {b: yes, <<: *base}
  several: {<<: [*base, {a: 1, d: 2}]}
  inline: {<<: {x: on}, y: off}
  tagged: {!!merge <<: *base}
  quotedMergeKey: {"<<": 1}
  again: [*list, *list]
  ? &k 0644
  : a
  aliasKey: {*k : b}
"#;

fn probe_chart(dir: &Path) -> PathBuf {
    let chart = dir.join("probe");
    std::fs::create_dir_all(chart.join("templates")).expect("mkdir");
    std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: probe\nversion: 0.1.0\n").expect("write");
    // In base64: Helm reads the rendered text as YAML, which takes no control characters.
    std::fs::write(chart.join("templates/values.yaml"), "v: {{ toJson .Values | b64enc }}\n").expect("write");
    chart
}

/// `.Values` as `helm` reads `file`, or its error.
fn helm_reads(helm: &str, chart: &Path, file: &Path) -> Result<Value, String> {
    let out = run(std::process::Command::new(tool(helm)).args(["template", "probe"]).arg(chart).arg("-f").arg(file));
    if !out.status.success() {
        return Err(text(&out.stderr));
    }
    let stdout = text(&out.stdout);
    let encoded = stdout.lines().skip_while(|l| !l.starts_with("# Source: probe/templates/values.yaml")).nth(1).unwrap_or_else(|| panic!("{helm}: no output:\n{stdout}"));
    let json = String::from_utf8(unbase64(encoded.trim_start_matches("v: "))).expect("JSON is UTF-8");
    Ok(serde_json::from_str(&json).unwrap_or_else(|e| panic!("{helm}: {e}: {json}")))
}

fn unbase64(text: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sextets: Vec<u32> = text.trim().bytes().filter(|b| *b != b'=').map(|b| A.iter().position(|a| *a == b).expect("base64") as u32).collect();
    let mut out = Vec::new();
    for chunk in sextets.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, s)| n | s << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// `.Values` as emit reads `text` (values files are read, then coalesced over the chart's
/// defaults, here none).
fn emit_reads(name: &str, text: &str) -> Result<Value, String> {
    kforge::values::load(&json!({}), &[kforge::values::Layer::File { name, text }], &|t| Ok(t.clone())).map_err(|e| e.to_string())
}

/// The first place where `a` and `b` differ, numbers compared as the float64 Helm holds.
fn difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            (x.to_bits() != y.to_bits()).then(|| format!("{path}: {x:?} and {y:?}"))
        }
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(v), Some(w)) => difference(v, w, &format!("{path}.{k}")),
                (v, w) => Some(format!("{path}.{k:?}: {} and {}", v.map_or("missing".into(), Value::to_string), w.map_or("missing".into(), Value::to_string))),
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x.iter().zip(y).enumerate().find_map(|(i, (v, w))| difference(v, w, &format!("{path}[{i}]"))),
        _ => (a != b).then(|| format!("{path}: {a} and {b}")),
    }
}

/// Files Helm refuses, each for one reason: emit refuses them too, naming line and column.
const REFUSED: &[(&str, &str)] = &[
    ("an infinite value", "a: [1, .inf]\n"),
    ("NaN", "a: {b: .NaN}\n"),
    ("a null key", "a: {~: x}\n"),
    ("an empty key", "a:\n  ? \n  : x\n"),
    ("a key above int64", "a: {18446744073709551615: x}\n"),
    ("a tag its value does not fit", "a: !!int abc\n"),
    ("a float tagged int", "a: [!!int 1.5]\n"),
    ("a date that is none, tagged", "a: !!timestamp 2001-02-30\n"),
    ("bad base64", "a: !!binary \"!!!\"\n"),
    ("a list as a key", "a: {? [x]: y}\n"),
    ("an alias in its own anchor", "a: &x [*x]\n"),
    ("a merge of a scalar", "a: {<<: 1}\n"),
];

#[test]
fn values_files_read_as_helm_reads_them() {
    let started = std::time::Instant::now();
    let seed = seed("KFORGE_YAML11_SEED", 29, "yaml11");
    let mut rng = Rng::new(seed);
    // The cases stay on disk after the run, to rerun by hand.
    let dir = root().join("target/yaml11-cases/probe");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let chart = probe_chart(&dir);

    let mut stats = Stats::default();
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    for f in 0..3 {
        let mut text = if f == 0 { FIXED.to_string() } else { String::new() };
        for i in 0..150 {
            let t = tree(&mut rng, 0, false, &mut stats);
            write_map(&mut text, &[(format!("c{i}"), t)], 0);
        }
        // Keys of every class, one a map, so that no two meet: floats above all.
        text.push_str("singleKeys:\n");
        for i in 0..100 {
            let class = *rng.pick(&[Class::Int, Class::Float, Class::Bool, Class::Str, Class::NotFinite]);
            let k = if class == Class::Float || rng.chance(30) {
                stats.keys += 1;
                float_key(&mut rng)
            } else {
                key(&mut rng, class, true, &mut stats)
            };
            text.push_str(&format!("  - {{{k}: {i}}}\n"));
        }
        let path = dir.join(format!("values-{f}.yaml"));
        std::fs::write(&path, &text).expect("write");
        files.push((path, text));
    }
    let mut failures = Vec::new();
    let mut invocations = 0;
    for (path, text) in &files {
        let ours = emit_reads(&path.display().to_string(), text).unwrap_or_else(|e| panic!("seed {seed}: emit refuses {}: {e}", path.display()));
        for helm in HELMS {
            invocations += 1;
            match helm_reads(helm, &chart, path) {
                Ok(theirs) => {
                    if let Some(d) = difference(&theirs, &ours, "") {
                        failures.push(format!("{helm} and emit read {} differently at {d}", path.display()));
                    }
                }
                Err(e) => failures.push(format!("{helm} refuses {}: {e}", path.display())),
            }
        }
    }

    // Several documents: Helm 4 merges them, Helm 3 reads the first; emit follows Helm 4.
    let multi = dir.join("documents.yaml");
    let multi_text = "a: 0644\nb: {c: yes}\n---\nb: {d: no}\n---\n";
    std::fs::write(&multi, multi_text).expect("write");
    let ours = emit_reads("documents.yaml", multi_text).expect("emit reads the documents");
    assert_eq!(ours, json!({"a": 420, "b": {"c": true, "d": false}}));
    invocations += 2;
    assert_eq!(helm_reads("helm4", &chart, &multi).as_ref().ok(), Some(&ours), "helm4 merges the documents");
    let first = emit_reads("first.yaml", multi_text.split("---").next().unwrap_or_default()).expect("first document");
    assert_eq!(helm_reads("helm3", &chart, &multi).as_ref().ok(), Some(&first), "helm3 reads the first document only");

    for (what, text) in REFUSED {
        let path = dir.join(format!("refused-{}.yaml", what.replace(' ', "-")));
        std::fs::write(&path, text).expect("write");
        match emit_reads(&path.display().to_string(), text) {
            Ok(v) => failures.push(format!("emit reads {what} ({text:?}) as {v}")),
            Err(e) if !e.contains("not valid YAML: line ") => failures.push(format!("emit refuses {what} without a line: {e}")),
            Err(_) => {}
        }
        for helm in HELMS {
            invocations += 1;
            if let Ok(v) = helm_reads(helm, &chart, &path) {
                failures.push(format!("{helm} reads {what} ({text:?}) as {v}"));
            }
        }
    }
    assert!(failures.is_empty(), "seed {seed} ({}): {} differences:\n{}", dir.display(), failures.len(), failures.join("\n"));
    eprintln!(
        "yaml11: {} generated cases ({} keys, {} values) and the fixed ones read alike by emit, Helm 4 and Helm 3; {} refused files; {invocations} helm runs in {:.1?}",
        3 * 250,
        stats.keys,
        stats.values,
        REFUSED.len(),
        started.elapsed()
    );
}

// ----- DBBat: chart settings and Kubernetes-typed sections -------------------------------------

/// Whether the next setting gets a spelling of another type than it takes: at most once a
/// file, so that most files render and the rest test one refusal each.
struct Spoil(bool);

impl Spoil {
    fn now(&mut self, rng: &mut Rng) -> bool {
        let now = self.0 && rng.chance(25);
        self.0 &= !now;
        now
    }
}

/// Texts that are valid label values however YAML 1.1 reads them, when they stay strings.
const LABEL_TEXTS: &[&str] = &["0644", "0x1F", "1.10", "yes", "no", "on", "Off", "y", "N", "1_000", "08", "1e3", "null", "true", "0b101", "1e400", "2001-12-14", "190.20"];

/// A label or annotation key spelled as YAML 1.1 reads it its own way.
fn label_key(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => {
            let n = rng.below(600) as i64;
            int_text(rng, n)
        }
        1 => {
            let b = rng.chance(50);
            bool_text(rng, b)
        }
        2 => rng.pick(&["1.10", "2.0", "0.5", "1e3", "3.25", "100000.0"]).to_string(),
        3 => rng.pick(&["disktype", "zone", "example.com/tier", "2001-12-14", "yEs", "v1.10"]).to_string(),
        _ => {
            let t = rng.pick(LABEL_TEXTS).to_string();
            quoted(rng, &t)
        }
    }
}

/// A string that is a valid label value, spelled so that it stays a string.
fn label_value(rng: &mut Rng) -> String {
    let t = rng.pick(LABEL_TEXTS).to_string();
    match rng.below(6) {
        0 | 1 => quoted(rng, &t),
        2 => format!("!!str {t}"),
        3 => format!("{} {t}", rng.pick(&["!", "!custom"])),
        4 => format!("!!binary {}", base64(t.as_bytes())),
        _ => rng.pick(&["ssd", "fast", "x1", "yEs", "v1.10", "1.2.3", "1e400", "0x", "2001-12-14", "oN", "0x1G", "1e"]).to_string(),
    }
}

/// A value of another type than a setting takes.
fn wrong(rng: &mut Rng, setting_is_string: bool) -> String {
    if setting_is_string {
        let class = *rng.pick(&[Class::Bool, Class::Int, Class::Float, Class::Null]);
        spelling(rng, class)
    } else {
        rng.pick(&["yes", "+", "0x", "1e400", "'1'", "!!str 5", "2001-12-14", "1:30"]).to_string()
    }
}

/// A value for a setting that takes any string.
fn string_setting(rng: &mut Rng, spoil: &mut Spoil) -> String {
    if spoil.now(rng) {
        return wrong(rng, true);
    }
    match rng.below(4) {
        0 => {
            let t = any_plain(rng);
            quoted(rng, &t)
        }
        1 => tagged_string(rng),
        2 => str_text(rng),
        _ => label_value(rng),
    }
}

fn label_setting(rng: &mut Rng, spoil: &mut Spoil) -> String {
    if spoil.now(rng) { wrong(rng, true) } else { label_value(rng) }
}

fn bool_setting(rng: &mut Rng, spoil: &mut Spoil) -> String {
    if spoil.now(rng) {
        return wrong(rng, false);
    }
    let b = rng.chance(50);
    bool_text(rng, b)
}

/// An integer setting from `low` to `high`, now and then spelled as a whole float.
fn int_setting(rng: &mut Rng, low: i64, high: i64, spoil: &mut Spoil) -> String {
    if spoil.now(rng) {
        return wrong(rng, false);
    }
    let n = low + rng.below((high - low + 1) as u64) as i64;
    if rng.chance(10) { format!("{n}.0") } else { int_text(rng, n) }
}

/// One key spelled YAML 1.1's way beside plain names: two such keys may be two Go keys with one
/// JSON key (`on` and `"true"`), which Helm keeps in an order of chance.
fn keys(rng: &mut Rng) -> Vec<String> {
    let mut keys: Vec<String> = ["disktype", "tier"].iter().filter(|_| rng.chance(40)).map(|k| k.to_string()).collect();
    let at = rng.below(keys.len() as u64 + 1) as usize;
    keys.insert(at, label_key(rng));
    keys
}

fn map_setting(rng: &mut Rng, indent: usize, spoil: &mut Spoil) -> String {
    let pad = " ".repeat(indent);
    keys(rng).into_iter().map(|k| format!("{pad}{k}: {}\n", label_setting(rng, spoil))).collect()
}

fn dbbat_values(rng: &mut Rng) -> String {
    let spoil = &mut Spoil(rng.chance(25));
    let mut out = String::new();
    if rng.chance(70) {
        out.push_str(&format!("replicaCount: {}\n", int_setting(rng, 0, 4, spoil)));
    }
    if rng.chance(60) {
        out.push_str(&format!("nodeSelector:\n{}", map_setting(rng, 2, spoil)));
    }
    if rng.chance(40) {
        out.push_str(&format!("podLabels:\n{}", map_setting(rng, 2, spoil)));
    }
    if rng.chance(50) {
        let pad = "  ";
        let annotations: String = keys(rng).into_iter().map(|k| format!("{pad}{k}: {}\n", string_setting(rng, spoil))).collect();
        out.push_str(&format!("podAnnotations:\n{annotations}"));
    }
    if rng.chance(70) {
        out.push_str("extraVolumes:\n");
        for i in 0..1 + rng.below(2) {
            out.push_str(&format!("  - name: extra-{i}\n    secret:\n      secretName: secret-{i}\n      defaultMode: {}\n", int_setting(rng, 0, 0o777, spoil)));
            if rng.chance(40) {
                out.push_str(&format!("      items:\n        - key: k\n          path: p\n          mode: {}\n", int_setting(rng, 0, 0o777, spoil)));
            }
        }
    }
    if rng.chance(40) {
        out.push_str(&format!(
            "tolerations:\n  - key: {}\n    operator: Equal\n    value: {}\n    effect: NoExecute\n    tolerationSeconds: {}\n",
            rng.pick(&["dedicated", "example.com/gpu"]),
            label_setting(rng, spoil),
            int_setting(rng, 0, 3600, spoil)
        ));
    }
    if rng.chance(40) {
        out.push_str(&format!("extraEnv:\n  - name: EXTRA\n    value: {}\n", string_setting(rng, spoil)));
    }
    if rng.chance(40) {
        out.push_str(&format!("serviceAccount:\n  create: {}\n", bool_setting(rng, spoil)));
    }
    if rng.chance(40) {
        out.push_str(&format!("networkPolicy:\n  enabled: {}\n", bool_setting(rng, spoil)));
    }
    if rng.chance(40) {
        let enabled = bool_setting(rng, spoil);
        let (min, max) = (int_setting(rng, 1, 3, spoil), int_setting(rng, 3, 10, spoil));
        out.push_str(&format!("autoscaling:\n  enabled: {enabled}\n  minReplicas: {min}\n  maxReplicas: {max}\n"));
    }
    if rng.chance(40) {
        out.push_str(&format!("livenessProbe:\n  periodSeconds: {}\n", int_setting(rng, 1, 60, spoil)));
    }
    if rng.chance(40) {
        // At most the minimal environment's limit, 500m.
        let cpu = match rng.below(3) {
            0 => rng.pick(&["0.5", ".5", "5e-1", "0.25", "1e-1", "!!float .5", "0.0_5", "0"]).to_string(),
            _ => quoted(rng, "250m"),
        };
        out.push_str(&format!("resources:\n  requests:\n    cpu: {cpu}\n"));
    }
    if rng.chance(30) {
        out.push_str(&format!("service:\n  api:\n    port: {}\n", int_setting(rng, 1024, 9000, spoil)));
    }
    out
}

#[test]
fn dbbat_reads_its_settings_as_helm_does() {
    let started = std::time::Instant::now();
    let seed = seed("KFORGE_YAML11_SEED", 29, "yaml11 dbbat");
    let mut rng = Rng::new(seed);
    let dir = root().join("target/yaml11-cases/dbbat");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let base = chart_dir("dbbat").join("values-minimal.yaml");
    // The issue's own case first (read from standard input), then seeded ones.
    let mut texts = vec![
        "replicaCount: 010\nnodeSelector: {1.10: \"x\", no: \"z\"}\nextraVolumes:\n  - name: key\n    secret: {secretName: dbbat-key, defaultMode: 0400}\n  - name: conf\n    secret: {secretName: dbbat-conf, defaultMode: 0644}\n"
            .to_string(),
    ];
    texts.extend((0..11).map(|_| dbbat_values(&mut rng)));
    let cases: Vec<(PathBuf, String)> = texts
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let path = dir.join(format!("case-{i}.yaml"));
            std::fs::write(&path, &t).expect("write");
            (path, t)
        })
        .collect();
    let outcomes: Vec<Result<bool, String>> = std::thread::scope(|s| {
        let workers: Vec<_> = cases
            .chunks(cases.len().div_ceil(2))
            .map(|chunk| {
                let base = &base;
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|(path, t)| {
                            // The issue's case comes on standard input (`-f -`).
                            let stdin = path.ends_with("case-0.yaml").then_some(t.as_str());
                            let file = if stdin.is_some() { "-".to_string() } else { path.display().to_string() };
                            let args = ["-f".to_string(), base.display().to_string(), "-f".to_string(), file];
                            let ours = emit_stdout_args("dbbat", "rel", "ns", &args, stdin);
                            let mut rendered = ours.status.success();
                            for helm in HELMS {
                                let theirs = helm_template_args(helm, "dbbat", "rel", "ns", &args, stdin);
                                match (theirs.status.success(), ours.status.success()) {
                                    (true, true) => compare_streams(&text(&theirs.stdout), &text(&ours.stdout))
                                        .map_err(|e| format!("{}: {helm} and emit render differently: {e}\n--- values\n{t}", path.display()))?,
                                    (false, false) => {
                                        rendered = false;
                                        0
                                    }
                                    (h, _) => {
                                        return Err(format!(
                                            "{}: {helm} {}, emit {}:\n{}{}\n--- values\n{t}",
                                            path.display(),
                                            if h { "renders" } else { "refuses" },
                                            if h { "refuses" } else { "renders" },
                                            text(&theirs.stderr),
                                            text(&ours.stderr)
                                        ));
                                    }
                                };
                            }
                            Ok(rendered)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("worker")).collect()
    });
    let failures: Vec<&String> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert!(
        failures.is_empty(),
        "seed {seed}: {} of {} DBBat cases differ:\n\n{}",
        failures.len(),
        cases.len(),
        failures.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n\n")
    );
    let rendered = outcomes.iter().filter(|o| matches!(o, Ok(true))).count();
    // The first case is the issue's, which must render: 0400 is 256, 1.10 the label key "1.1".
    assert!(matches!(outcomes[0], Ok(true)), "the issue's case does not render");
    let issue = emit_stdout_args("dbbat", "rel", "ns", &["-f".into(), base.display().to_string(), "-f".into(), "-".into()], Some(&cases[0].1));
    let deployment = parse_stream(&text(&issue.stdout)).into_iter().find(|o| o["kind"] == "Deployment").expect("a Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["replicas"], Value::Null);
    assert_eq!(deployment["spec"]["replicas"], json!(8));
    assert_eq!(pod["nodeSelector"], json!({"1.1": "x", "false": "z"}));
    let modes: Vec<&Value> = pod["volumes"].as_array().expect("volumes").iter().filter_map(|v| v["secret"].get("defaultMode")).collect();
    assert_eq!(modes, [&json!(256), &json!(420)]);
    assert!(rendered * 2 >= cases.len(), "seed {seed}: only {rendered} of {} DBBat cases render: the generator should mostly make valid values", cases.len());
    eprintln!("yaml11 dbbat: {} cases, {rendered} rendered alike and the rest refused by Helm 4, Helm 3 and emit, in {:.1?}", cases.len(), started.elapsed());
}
