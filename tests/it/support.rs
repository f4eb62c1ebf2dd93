//! Shared by the integration tests: the external tools, running the CLI and Helm, comparing
//! rendered streams object by object, and seeded random values generated from a chart's schema.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Map, Value, json};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A tool installed by `scripts/install-test-tools.sh`. A missing tool fails the test: the
/// README's test command installs them, and nothing here is skipped silently.
pub fn tool(name: &str) -> PathBuf {
    let path = root().join(".tools/bin").join(name);
    assert!(path.exists(), "{} is missing: run `bash scripts/install-test-tools.sh` (the README's test command does)", path.display());
    path
}

/// The CLI, run from the workspace root, with none of the `KFORGE_*` variables of the shell
/// that runs the tests (a developer's `KFORGE_REPO_URL` would change the GitOps output).
pub fn kforge() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kforge"));
    cmd.current_dir(root());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("KFORGE_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Every file under `dir` with its bytes, by path relative to `dir`.
pub fn tree_digest(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).expect("read");
                out.insert(p.strip_prefix(dir).expect("under dir").to_path_buf(), bytes);
            }
        }
    }
    out
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub const HELMS: [&str; 2] = ["helm4", "helm3"];

pub fn chart_dir(app: &str) -> PathBuf {
    root().join("charts-out/charts").join(app)
}

/// `helm template REL chart -f V... -n NS [--set ...]`.
pub fn helm_template(helm: &str, app: &str, release: &str, namespace: &str, files: &[&Path], set: &[String]) -> Output {
    let mut cmd = Command::new(tool(helm));
    cmd.arg("template").arg(release).arg(chart_dir(app)).arg("-n").arg(namespace);
    for f in files {
        cmd.arg("-f").arg(f);
    }
    for s in set {
        cmd.arg("--set").arg(s);
    }
    run(&mut cmd)
}

/// `kforge emit --app APP --values V... --release REL --namespace NS --stdout`.
pub fn emit_stdout(app: &str, release: &str, namespace: &str, files: &[&Path], set: &[String]) -> Output {
    let mut cmd = kforge();
    cmd.args(["emit", "--app", app, "--stdout", "--release", release, "--namespace", namespace]);
    for f in files {
        cmd.arg("--values").arg(f);
    }
    for s in set {
        cmd.arg("--set").arg(s);
    }
    run(&mut cmd)
}

/// The objects of a rendered stream as the cluster reads them (YAML 1.1, as `kubectl` and Helm
/// read manifests): `oN` is a string there, `0644` 420. An unparseable stream fails the test.
pub fn parse_stream(yaml: &str) -> Vec<Value> {
    kforge_cli::compare::parse_stream("stream", yaml).unwrap_or_else(|e| panic!("unparseable YAML stream: {e}\n{yaml}"))
}

/// Compares two rendered streams object by object as the contract does, with the comparison
/// `kforge compare` makes (`kforge_cli::compare`); `Err` describes the first difference.
pub fn compare_streams(helm: &str, ours: &str) -> Result<usize, String> {
    let c = kforge_cli::compare::compare_objects(parse_stream(helm), parse_stream(ours))?;
    if c.helm_keys != c.emit_keys {
        let names = |keys: &[kforge_cli::compare::ObjectKey]| keys.iter().map(|k| k.to_string()).collect::<Vec<_>>();
        return Err(format!("different objects:\n  helm: {:?}\n  emit: {:?}", names(&c.helm_keys), names(&c.emit_keys)));
    }
    if let Some(d) = c.differing.first() {
        let fields: String = d.fields.iter().map(|f| format!("  {}: helm {:?}, emit {:?}\n", f.path, f.helm, f.emit)).collect();
        return Err(format!(
            "{} differs\n{fields}--- helm\n{}\n--- emit\n{}",
            d.key,
            serde_json::to_string_pretty(&d.helm).unwrap_or_default(),
            serde_json::to_string_pretty(&d.emit).unwrap_or_default()
        ));
    }
    Ok(c.agreeing)
}

// ----- random values from a schema ---------------------------------------------------------

/// The seed of a seeded differential test: `$var` when set, `ci` under `CI=true` (so CI runs the
/// same cases every time), else the clock; printed, so a failing run can be repeated.
pub fn seed(var: &str, ci: u64, what: &str) -> u64 {
    let seed = std::env::var(var).ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        if std::env::var("CI").is_ok_and(|v| v == "true") { ci } else { std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(1) }
    });
    eprintln!("{what}: seed {seed} ({var}={seed} reruns these cases)");
    seed
}

/// A small deterministic generator (xorshift), so every case is reproducible from its seed.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// A generator of its own, from this one's state without advancing it: the shapes drawn
    /// from it leave the draws of every other setting as they were.
    fn side(&self, salt: u64) -> Rng {
        Rng::new(self.0 ^ salt)
    }
}

/// Strings that trip YAML and template quoting: booleans and numbers in disguise, quotes,
/// colons, non-ASCII, HTML characters that Go's JSON escapes.
const TRICKY: &[&str] =
    &["on", "yes", "0755", "12:30", "1e3", "null", "~", "x: y", "a \"quoted\" b", "#hash", "ünïcødé", "<b>&amp;</b>", "plain", "", "true", "-dash", "multi\nline"];
/// Numbers whose text differs between notations: whole floats, tiny and huge exponents.
const NUMBERS: &[f64] = &[0.0, 0.7, 1.0, 2.0, 0.05, -0.5, 1e-7, 0.0000123, 12345678.9, 1e21, 1.5e22];
const QUANTITIES: &[&str] = &["1Gi", "500Mi", "250m", "2", "0.5", "10G", "1e3", "128974848"];

fn label(rng: &mut Rng, max: usize) -> String {
    let len = 1 + rng.below(max.min(12) as u64) as usize;
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut s: String = (0..len).map(|_| *rng.pick(alphabet) as char).collect();
    if len > 2 && rng.chance(30) {
        s.insert(len / 2, '-');
    }
    s
}

/// A values overlay that the schema accepts: each setting is changed with some probability.
/// Free-form maps (no declared properties) keep their defaults, since their content is
/// Kubernetes' to validate.
pub fn random_values(schema: &Value, defaults: &Value, rng: &mut Rng) -> Value {
    generate(schema, defaults, rng, false)
}

/// [`random_values`] whose label, annotation, resources, host and path settings break one of
/// the API server's rules now and then (one label or annotation map in four, one `requests`,
/// host or path in five): values both renderers must refuse alike.
pub fn random_values_breaking(schema: &Value, defaults: &Value, rng: &mut Rng) -> Value {
    generate(schema, defaults, rng, true)
}

/// What one random case draws from: `rng` for the settings it changes and their values, as
/// always; `side` for what labels, annotations and resources hold, so that the cases' other
/// settings do not depend on it; and whether to break the API server's rules.
struct Gen<'r> {
    rng: &'r mut Rng,
    side: Rng,
    breaking: bool,
}

fn generate(schema: &Value, defaults: &Value, rng: &mut Rng, breaking: bool) -> Value {
    // About 25 changed settings per case, however many an application has: with more, nearly
    // every case of a large chart breaks some rule across settings and tests nothing else.
    let chance = (25 * 100 / leaves(schema).max(1)).clamp(10, 45) as u64;
    let side = Rng::new(rng.clone().next());
    let mut values = random_map(schema, defaults, &mut Gen { rng, side, breaking }, chance);
    distinct_keys(schema, &mut values);
    values
}

/// The Kubernetes type a setting's schema names (`Toleration`), or a list's items'.
fn kubernetes_type(schema: &Value) -> Option<&str> {
    let comment = schema.get("$comment").or_else(|| schema.pointer("/items/$comment"))?.as_str()?;
    comment.strip_prefix("Kubernetes ").map(|name| name.rsplit('.').next().unwrap_or(name))
}

/// The rules (`rules::parts`) of a Kubernetes type a setting can be.
fn part_of_type(name: &str) -> Option<kforge::rules::Part> {
    use kforge::rules::Part;
    Some(match name {
        "Toleration" => Part::Toleration,
        "EnvVar" => Part::EnvVar,
        "Volume" => Part::Volume,
        "VolumeMount" => Part::VolumeMount,
        "Affinity" => Part::Affinity,
        "PodSecurityContext" => Part::PodSecurityContext,
        "SecurityContext" => Part::SecurityContext,
        // The stricter of a Role's and a ClusterRole's.
        "PolicyRule" => Part::RoleRule,
        _ => return None,
    })
}

/// The valid values of each part in the upstream corpus (tests/api-rules/corpus.yaml) that
/// the restricted standard takes too.
fn valid_parts() -> &'static BTreeMap<String, Vec<Value>> {
    static PARTS: std::sync::LazyLock<BTreeMap<String, Vec<Value>>> = std::sync::LazyLock::new(|| {
        let text = std::fs::read_to_string(root().join("tests/api-rules/corpus.yaml")).expect("the corpus");
        let corpus: Value = serde_saphyr::from_str(&text).expect("the corpus parses");
        let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for case in corpus["cases"].as_array().into_iter().flatten() {
            let (Some(part), Some(true)) = (case["part"].as_str(), case["valid"].as_bool()) else { continue };
            let Some(p) = kforge::rules::Part::ALL.into_iter().find(|p| format!("{p:?}") == part) else { continue };
            if p.problem("", &case["value"], kforge::rules::Lifted::NONE).is_none() {
                out.entry(part.to_string()).or_default().push(case["value"].clone());
            }
        }
        out
    });
    &PARTS
}

/// `candidate`, or when the part's rules refuse it (merged over `default`, as Helm merges a
/// map setting), a valid value of the corpus or the default: random Kubernetes objects are
/// rarely what the API server takes, and the contract's cases are to render mostly.
fn valid_or_replaced(schema: &Value, candidate: Value, default: &Value, rng: &mut Rng) -> Option<Value> {
    let Some(part) = kubernetes_type(schema).and_then(part_of_type) else { return Some(candidate) };
    let mut merged = default.clone();
    if merged.is_object() && candidate.is_object() {
        merge_into(&mut merged, candidate.clone());
    } else {
        merged = candidate.clone();
    }
    if part.problem("", &merged, kforge::rules::Lifted::NONE).is_none() {
        return Some(candidate);
    }
    let pool: Vec<&Value> = valid_parts()
        .get(&format!("{part:?}"))
        .into_iter()
        .flatten()
        .filter(|v| {
            let mut m = default.clone();
            if m.is_object() {
                merge_into(&mut m, (*v).clone());
            } else {
                m = (*v).clone();
            }
            part.problem("", &m, kforge::rules::Lifted::NONE).is_none()
        })
        .collect();
    if pool.is_empty() { None } else { Some((*rng.pick(&pool)).clone()) }
}

/// The items of list settings Kubernetes keys (env var names, volume names, mount paths) made
/// distinct, and the mounts of a list setting pointed at the volumes of its sibling list
/// setting (dropped when it has none): random items break those rules at once.
fn distinct_keys(schema: &Value, values: &mut Value) {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else { return };
    let Some(map) = values.as_object_mut() else { return };
    let mut volumes: Option<Vec<String>> = None;
    let mut mounts_key = None;
    for (k, sub) in props {
        let key_field = match kubernetes_type(sub) {
            Some("EnvVar") | Some("Volume") if sub.get("items").is_some() => "name",
            Some("VolumeMount") if sub.get("items").is_some() => "mountPath",
            _ => {
                if let Some(v) = map.get_mut(k) {
                    distinct_keys(sub, v);
                }
                continue;
            }
        };
        let Some(Value::Array(items)) = map.get_mut(k) else { continue };
        let mut seen = Vec::new();
        for (i, item) in items.iter_mut().enumerate() {
            if let Some(key) = item.get(key_field).and_then(Value::as_str).map(str::to_string) {
                let key = if seen.contains(&key) { format!("{key}{i}") } else { key };
                item[key_field] = json!(key);
                seen.push(key);
            }
        }
        match kubernetes_type(sub) {
            Some("Volume") => volumes = Some(seen),
            Some("VolumeMount") => mounts_key = Some(k.clone()),
            _ => {}
        }
    }
    if let Some(k) = mounts_key {
        let names = volumes.unwrap_or_default();
        if names.is_empty() {
            map.remove(&k);
        } else if let Some(Value::Array(items)) = map.get_mut(&k) {
            for (i, item) in items.iter_mut().enumerate() {
                item["name"] = json!(names[i % names.len()]);
            }
        }
    }
}

fn leaves(schema: &Value) -> usize {
    match schema.get("properties").and_then(Value::as_object) {
        Some(props) if !is_kubernetes(schema) => props.values().map(leaves).sum(),
        _ => 1,
    }
}

/// A setting that is a Kubernetes object (`affinity`, a security context): its schema is
/// Kubernetes' own, marked with a `$comment` that names the type.
pub fn is_kubernetes(schema: &Value) -> bool {
    schema.get("$comment").and_then(Value::as_str).is_some_and(|c| c.starts_with("Kubernetes "))
}

fn random_map(schema: &Value, defaults: &Value, g: &mut Gen, chance: u64) -> Value {
    let mut out = Map::new();
    let Some(props) = schema.get("properties").and_then(Value::as_object) else { return json!({}) };
    for (k, sub) in props {
        // Helm's own `global` map, unless the chart declares its settings.
        if k == "global" && sub.get("properties").is_none() {
            continue;
        }
        let default = defaults.get(k).cloned().unwrap_or(Value::Null);
        if sub.get("properties").is_some() && !is_kubernetes(sub) {
            let nested = random_map(sub, &default, g, chance);
            if nested.as_object().is_some_and(|m| !m.is_empty()) {
                out.insert(k.clone(), nested);
            }
        } else if g.rng.chance(chance)
            && let Some(v) = random_leaf(k, sub, &default, g)
        {
            out.insert(k.clone(), v);
        }
    }
    Value::Object(out)
}

/// A random value for the setting `key` (its last path segment) of this schema.
fn random_leaf(key: &str, schema: &Value, default: &Value, g: &mut Gen) -> Option<Value> {
    if is_kubernetes(schema) {
        let mut side = g.rng.side(0x6b75_6265);
        let candidate = random_kubernetes(schema, schema, &mut side);
        return valid_or_replaced(schema, candidate, default, &mut side);
    }
    let rng = &mut *g.rng;
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        return Some(rng.pick(options).clone());
    }
    if let Some(options) = schema.get("oneOf").or_else(|| schema.get("anyOf")).and_then(Value::as_array) {
        let consts: Vec<Value> = options.iter().filter_map(|o| o.get("const").or_else(|| o.get("enum").and_then(|e| e.get(0))).cloned()).collect();
        if !consts.is_empty() && consts.len() == options.len() {
            return Some(rng.pick(&consts).clone());
        }
        // Alternatives with constraints (`maxLength: 0` or `minLength: 32`): generate from one
        // of them, together with the rest of the schema.
        if !options.is_empty() {
            // The empty alternative (a secret left for an existing Secret to provide) is what
            // the defaults hold already: pick it one time in ten.
            let empty = |o: &Value| o.get("maxLength").and_then(Value::as_u64) == Some(0) || o.get("const") == Some(&json!(""));
            let (empties, others): (Vec<&Value>, Vec<&Value>) = options.iter().partition(|o| empty(o));
            let option = if others.is_empty() || (!empties.is_empty() && rng.chance(10)) { *rng.pick(&empties) } else { *rng.pick(&others) };
            if let Some(c) = option.get("const") {
                return Some(c.clone());
            }
            let mut merged = schema.as_object().cloned().unwrap_or_default();
            merged.remove("oneOf");
            merged.remove("anyOf");
            merged.extend(option.as_object().cloned().unwrap_or_default());
            return random_leaf(key, &Value::Object(merged), default, g);
        }
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return None,
    };
    let pattern = schema.get("pattern").and_then(Value::as_str).unwrap_or("");
    let max_len = schema.get("maxLength").and_then(Value::as_u64).unwrap_or(40) as usize;
    // Hosts and paths (an Ingress's, a probe's) take what the API server takes
    // (`validateIngressRules`, `validateHTTPIngressPath`); a breaking case puts in one it refuses
    // now and then. Drawn on the side, after the one draw any other string takes, so the
    // other settings' draws stay as they were.
    if matches!(key, "host" | "path") && types.first() == Some(&"string") && pattern.is_empty() {
        let _ = rng.pick(TRICKY);
        let side = &mut g.side;
        let bad = g.breaking && side.chance(20);
        return Some(json!(match (key, bad) {
            ("host", true) => (*side.pick(&["Todo.Example.com", "10.0.0.1", "a.*.example.com"])).to_string(),
            ("host", false) if side.chance(10) => String::new(),
            ("host", false) if side.chance(20) => format!("*.{}.example.com", label(side, 12)),
            ("host", false) => format!("{}.example.com", label(side, 12)),
            (_, true) => (*side.pick(&["api", "/api//v1", "/api/.."])).to_string(),
            _ => format!("/{}", if side.chance(25) { String::new() } else { label(side, 12) }),
        }));
    }
    // Image references, class names and node ports take what the API server and the container
    // runtime take (`rules::parts`); a breaking case puts in one they refuse now and then.
    // Drawn on the side, after the one draw any other setting takes.
    if matches!(key, "repository" | "tag" | "imageRegistry" | "registry" | "className" | "storageClass" | "nodePort") {
        let _ = rng.pick(TRICKY);
        let side = &mut g.side;
        let bad = g.breaking && side.chance(20);
        return Some(match (key, bad) {
            ("nodePort", true) => json!(80),
            ("nodePort", false) if side.chance(30) => json!(""),
            ("nodePort", false) => json!(30000 + side.below(2768)),
            ("repository", true) => json!("x/y:1.0"),
            ("repository", false) => json!(format!("registry.example.com/{}/{}", label(side, 12), label(side, 12))),
            ("tag", true) => json!("1.0:1"),
            ("tag", false) if side.chance(30) => json!(""),
            ("tag", false) => json!(format!("{}.{}", side.below(10), label(side, 12))),
            ("className", true) => json!("Nginx"),
            (_, true) => json!("-invalid-"),
            (_, false) if side.chance(30) => json!(""),
            ("imageRegistry" | "registry", false) => json!(format!("{}.example.com:5000", label(side, 12))),
            _ => json!(label(side, 12)),
        });
    }
    match types.first().copied() {
        Some("boolean") => Some(Value::Bool(rng.chance(50))),
        // Whole numbers as strings (`"7"`), where the schema takes them: now and then with a
        // leading zero, which Helm's `int64` would read as octal and both sides refuse.
        Some("integer") if types.contains(&"string") && pattern.starts_with("^(0|[1-9]") && rng.side(0x6469).chance(40) => {
            let mut side = rng.side(0x6469_6769);
            let digits = side.below(1000).to_string();
            Some(json!(if side.chance(25) { format!("0{digits}") } else { digits }))
        }
        Some("integer") => {
            let min = schema.get("minimum").and_then(Value::as_i64).unwrap_or(0);
            let max = schema.get("maximum").and_then(Value::as_i64).unwrap_or(min + 100_000).min(min + 2_000_000);
            let pick = match rng.below(4) {
                0 => min,
                1 => max,
                _ => min + rng.below((max - min + 1) as u64) as i64,
            };
            Some(whole(pick, rng))
        }
        Some("string") if max_len == 0 => Some(json!("")),
        Some("string") if pattern.contains("numkMGTPE") => Some(json!(rng.pick(QUANTITIES))),
        Some("string") if pattern.ends_with("%$") => Some(json!(format!("{}%", rng.below(101)))),
        // Listen addresses: `[host]:port`.
        Some("string") if pattern.starts_with(r"^[^\s]*:") => {
            let host = *rng.pick(&["", "0.0.0.0", "[::]", "127.0.0.1"]);
            Some(json!(format!("{host}:{}", 1 + rng.below(65535))))
        }
        Some("string") if pattern.contains("[a-z0-9]") => Some(if rng.chance(20) {
            json!("")
        } else {
            let mut name = label(rng, max_len);
            // An override the chart derives object names from starts with a letter: a digit is
            // valid for the setting but not for a Service or a CloudNativePG Cluster, which both
            // renderers refuse (`release_names` tests that).
            if key.ends_with("Override") && name.starts_with(|c: char| c.is_ascii_digit()) {
                name.replace_range(..1, "x");
            }
            json!(name)
        }),
        Some("string") if pattern.is_empty() => {
            let min_len = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
            if schema.get("maxLength").and_then(Value::as_u64) == Some(0) {
                return Some(json!(""));
            }
            // Tricky pieces, joined until the string is long enough.
            let mut s = (*rng.pick(TRICKY)).to_string();
            while s.chars().count() < min_len {
                s.push('.');
                let piece = *rng.pick(TRICKY);
                s.push_str(piece);
            }
            Some(json!(s))
        }
        Some("number") => Some(json!(rng.pick(NUMBERS))),
        Some("object") => {
            let additional = schema.get("additionalProperties");
            if additional.and_then(|a| a.get("pattern")).and_then(Value::as_str).is_some_and(|p| p.contains("numkMGTPE")) {
                return Some(random_resources(key, &mut g.side, g.breaking));
            }
            if additional.and_then(|a| a.get("type")).and_then(Value::as_str) == Some("string") {
                // Labels (and selectors) take label values; annotations any text, the trickier the better.
                let labels = key.to_ascii_lowercase().contains("label") || key == "nodeSelector";
                let mut m = Map::new();
                for _ in 0..rng.below(3) {
                    let tricky = json!(rng.pick(TRICKY));
                    let value = if labels { json!(label(&mut g.side, 10)) } else { tricky };
                    m.insert(format!("example.com/{}", label(rng, 10)), value);
                }
                if g.breaking && g.side.chance(25) {
                    let (k, v) = if labels { bad_label(&mut g.side) } else { bad_annotation(&mut g.side) };
                    m.insert(k, json!(v));
                }
                Some(Value::Object(m))
            } else {
                None
            }
        }
        Some("array") => {
            let items = schema.get("items")?;
            if is_kubernetes(items) {
                let mut side = rng.side(0x6c69_7374);
                let mut list = Vec::new();
                for _ in 0..side.below(3) {
                    let candidate = random_kubernetes(items, items, &mut side);
                    list.extend(valid_or_replaced(items, candidate, &Value::Null, &mut side));
                }
                Some(Value::Array(list))
            } else if items.get("properties").is_some() {
                let mut list = Vec::new();
                let template = default.get(0).cloned().unwrap_or(json!({}));
                // An Ingress host's paths: at least one, as Kubernetes wants
                // (`validateHTTPIngressRuleValue`), but now and then in a breaking case.
                let at_least = usize::from(key == "paths" && !(g.breaking && g.side.chance(20)));
                for _ in 0..(g.rng.below(3) as usize).max(at_least) {
                    let mut item = template.clone();
                    super::support::merge_into(&mut item, random_item(items, &template, g));
                    list.push(item);
                }
                Some(Value::Array(list))
            } else if items.get("type").and_then(Value::as_str) == Some("string") {
                Some(Value::Array((0..rng.below(3)).map(|_| json!(label(rng, 20))).collect()))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// An integer, one time in ten written as a whole float (`3.0`), which JSON Schema and Helm
/// read as the integer.
fn whole(n: i64, rng: &mut Rng) -> Value {
    if rng.side(0x7768).chance(10) { json!(n as f64) } else { json!(n) }
}

/// A Kubernetes object its schema accepts: required fields always set, others now and then, at
/// most three levels deep (with int32 and ±(2^53 - 1) bounds, whole floats, quantities); volumes
/// and mounts get their required fields only. [`random_broken_values`] breaks them.
fn random_kubernetes(top: &Value, schema: &Value, rng: &mut Rng) -> Value {
    let kind = top.get("$comment").and_then(Value::as_str).unwrap_or_default().rsplit('.').next().unwrap_or_default().to_string();
    // Required fields only for volumes and mounts: a volume of one source is all Kubernetes takes.
    let depth = if matches!(kind.as_str(), "Volume" | "VolumeMount") { 3 } else { 0 };
    random_object(schema, rng, depth)
}

/// Values that break one Kubernetes-shaped setting in one of the ways values files get it
/// wrong (a key Kubernetes does not know, a scalar of the wrong type, a `null`), and nothing
/// else: both renderers must refuse them. `None` when the chart has no such setting.
pub fn random_broken_values(schema: &Value, defaults: &Value, rng: &mut Rng) -> Option<Value> {
    let mut targets = Vec::new();
    kubernetes_settings(schema, &mut Vec::new(), &mut targets);
    if targets.is_empty() {
        return None;
    }
    // Nothing else changed, so that the broken setting is what both sides refuse.
    let mut values = json!({});
    let (path, target) = rng.pick(&targets).clone();
    let (object, list) = match target.get("items") {
        Some(items) => (items.clone(), true),
        None => (target.clone(), false),
    };
    let mut broken = random_kubernetes(&object, &object, rng);
    let props = object.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    match rng.below(3) {
        0 => {
            broken["valeu"] = json!("x");
        }
        1 => {
            // A number where Kubernetes wants a string, a string where it wants anything else.
            let (k, sub) = props.iter().find(|(_, s)| s.get("type").is_some_and(Value::is_string)).expect("a typed field");
            broken[k.as_str()] = if sub["type"] == "string" { json!(8080) } else { json!("8080") };
        }
        _ => {
            // A null over a default deletes it (and is then valid): a field without one.
            let default = if list { &Value::Null } else { path.iter().fold(defaults, |d, k| &d[k.as_str()]) };
            let k = props.keys().find(|k| default.get(k.as_str()).is_none()).expect("a field without a default");
            broken[k.as_str()] = Value::Null;
        }
    }
    let broken = if list { json!([broken]) } else { broken };
    let mut at = &mut values;
    for key in &path[..path.len() - 1] {
        if !at.get(key).is_some_and(Value::is_object) {
            at[key.as_str()] = json!({});
        }
        at = &mut at[key.as_str()];
    }
    at[path[path.len() - 1].as_str()] = broken;
    Some(values)
}

/// `values` without its Kubernetes-shaped settings (and lists of them).
pub fn without_kubernetes(schema: &Value, mut values: Value) -> Value {
    let mut targets = Vec::new();
    kubernetes_settings(schema, &mut Vec::new(), &mut targets);
    for (path, _) in targets {
        let (last, parents) = path.split_last().expect("a path");
        if let Some(Value::Object(m)) = parents.iter().try_fold(&mut values, |v, k| v.get_mut(k.as_str())) {
            m.remove(last);
        }
    }
    values
}

/// The paths and schemas of the Kubernetes-shaped settings (and lists of them).
fn kubernetes_settings(schema: &Value, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, Value)>) {
    if is_kubernetes(schema) || schema.get("items").is_some_and(is_kubernetes) {
        out.push((path.clone(), schema.clone()));
        return;
    }
    for (k, sub) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
        path.push(k.clone());
        kubernetes_settings(sub, path, out);
        path.pop();
    }
}

fn random_object(schema: &Value, rng: &mut Rng, depth: usize) -> Value {
    let required: Vec<&str> = schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    let mut out = Map::new();
    for (k, sub) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
        if required.contains(&k.as_str()) || (depth < 3 && rng.chance(if depth == 0 { 30 } else { 15 })) {
            out.insert(k.clone(), random_kubernetes_value(sub, rng, depth + 1));
        }
    }
    Value::Object(out)
}

fn random_kubernetes_value(schema: &Value, rng: &mut Rng, depth: usize) -> Value {
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    match *rng.pick(if types.is_empty() { &["string"] } else { types.as_slice() }) {
        "object" if schema.get("properties").is_some() => random_object(schema, rng, depth),
        "object" => {
            let entry = schema.get("additionalProperties").cloned().unwrap_or(json!({"type": "string"}));
            Value::Object((0..rng.below(3)).map(|_| (format!("example.com/{}", label(rng, 8)), random_kubernetes_value(&entry, rng, depth + 1))).collect())
        }
        "array" => {
            let items = schema.get("items").cloned().unwrap_or(json!({"type": "string"}));
            Value::Array((0..rng.below(3)).map(|_| random_kubernetes_value(&items, rng, depth + 1)).collect())
        }
        "boolean" => json!(rng.chance(50)),
        "integer" => {
            // The bounds themselves (int32's, or the ±(2^53 - 1) Helm holds exactly), or small.
            let (min, max) = (schema.get("minimum").and_then(Value::as_i64).unwrap_or(0), schema.get("maximum").and_then(Value::as_i64).unwrap_or(100));
            let n = match rng.below(4) {
                0 => min,
                1 => max,
                _ => rng.below(100) as i64,
            };
            whole(n, rng)
        }
        "number" => json!(rng.pick(QUANTITIES)),
        "string" if schema.get("pattern").is_some() => json!(rng.pick(QUANTITIES)),
        _ => json!(label(rng, 12)),
    }
}

/// A complete list item: every declared property set (lists of items replace, not merge).
fn random_item(schema: &Value, template: &Value, g: &mut Gen) -> Value {
    let mut out = Map::new();
    for (k, sub) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
        let default = template.get(k).cloned().unwrap_or(Value::Null);
        let v = if sub.get("properties").is_some() { Some(random_item(sub, &default, g)) } else { random_leaf(k, sub, &default, g) };
        out.insert(k.clone(), v.unwrap_or(default));
    }
    Value::Object(out)
}

/// A label the API server refuses: a value too long or badly shaped, a key with a space or two
/// slashes, or a key the chart sets itself.
fn bad_label(rng: &mut Rng) -> (String, String) {
    match rng.below(5) {
        0 => ("example.com/team".into(), "v".repeat(64)),
        1 => ("example.com/tier".into(), "-edge".into()),
        2 => ("a b".into(), "x".into()),
        3 => ("example.com/a/b".into(), "x".into()),
        _ => ("app.kubernetes.io/name".into(), "other".into()),
    }
}

/// An annotation the API server refuses: a key it does not take, or more than the chart's
/// share of the 256 KiB an object's annotations may have (one case in five of these).
fn bad_annotation(rng: &mut Rng) -> (String, String) {
    match rng.below(5) {
        0 => ("example.com/big".into(), "x".repeat(kforge::rules::ANNOTATIONS_VALUES_MAX)),
        1 => ("Not A Key".into(), "x".into()),
        2 => (format!("{}/x", "a".repeat(254)), "x".into()),
        3 => ("example.com/".into(), "x".into()),
        _ => (format!("example.com/{}", "k".repeat(64)), "x".into()),
    }
}

/// Requests or limits: requests under every chart's default limits and limits over every
/// default request (numbers and every suffix style among them), so that a case puts requests
/// above limits only when it means to (`breaking`), one `requests` in five.
fn random_resources(key: &str, rng: &mut Rng, breaking: bool) -> Value {
    let (cpu, memory): (&[Value], &[Value]) = if key == "requests" {
        (&[json!("10m"), json!("0.05"), json!("50m"), json!(0.01)], &[json!("32Mi"), json!("64Mi"), json!("67108864"), json!("0.0625Gi")])
    } else {
        (&[json!("1"), json!("1000m"), json!(2), json!("1.5")], &[json!("1Gi"), json!("0.5Gi"), json!("536870912"), json!("1e9")])
    };
    let mut m = Map::new();
    if rng.chance(70) {
        m.insert("cpu".into(), rng.pick(cpu).clone());
    }
    if rng.chance(70) {
        m.insert("memory".into(), rng.pick(memory).clone());
    }
    if breaking && key == "requests" && rng.chance(20) {
        m.insert("memory".into(), json!("64Gi"));
    }
    Value::Object(m)
}

pub fn merge_into(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing @ Value::Object(_)) if v.is_object() => merge_into(existing, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

// ----- value flags (--set and its family) --------------------------------------------------

/// `helm template REL chart -n NS ARGS...`, with `stdin` on standard input.
pub fn helm_template_args(helm: &str, app: &str, release: &str, namespace: &str, args: &[String], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(tool(helm));
    cmd.arg("template").arg(release).arg(chart_dir(app)).arg("-n").arg(namespace).args(args);
    run_with_stdin(&mut cmd, stdin)
}

/// `kforge emit --app APP --stdout --release REL --namespace NS ARGS...`, with `stdin` on
/// standard input.
pub fn emit_stdout_args(app: &str, release: &str, namespace: &str, args: &[String], stdin: Option<&str>) -> Output {
    let mut cmd = kforge();
    cmd.args(["emit", "--app", app, "--stdout", "--release", release, "--namespace", namespace]).args(args);
    run_with_stdin(&mut cmd, stdin)
}

fn run_with_stdin(cmd: &mut Command, stdin: Option<&str>) -> Output {
    use std::io::Write;
    cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut pipe = child.stdin.take().expect("stdin is piped");
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(pipe);
    child.wait_with_output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// A value for one setting that its schema accepts (`None` for what the generator leaves
/// alone), as the random values files of the contract test choose them; `key` is the setting's
/// last path segment (labels and annotations get values of their own kind).
pub fn random_setting(key: &str, schema: &Value, default: &Value, rng: &mut Rng) -> Option<Value> {
    let side = Rng::new(rng.clone().next());
    random_leaf(key, schema, default, &mut Gen { rng, side, breaking: false })
}

/// Writes `content` at `rel` in the generated folder `out/folder` as emit would have: the file
/// and its line in the folder's record (`.kforge-files`, made when missing).
pub fn write_as_emitted(out: &Path, folder: &str, rel: &str, content: &str) {
    use sha2::Digest;
    let dir = out.join(folder);
    let file = dir.join(rel);
    std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    std::fs::write(&file, content).expect("write");
    let record = dir.join(".kforge-files");
    let old = std::fs::read_to_string(&record).unwrap_or_else(|_| format!("# generated by kforge\n# folder: {folder}\n"));
    let mut lines: Vec<String> = old.lines().filter(|l| l.split_once("  ").is_none_or(|(_, p)| p != rel)).map(str::to_string).collect();
    lines.push(format!("{:x}  {rel}", sha2::Sha256::digest(content.as_bytes())));
    std::fs::write(&record, lines.join("\n") + "\n").expect("record");
}

/// The files a generated folder's record lists, in its order.
pub fn recorded_files(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join(".kforge-files")).expect("record");
    text.lines().filter_map(|l| l.split_once("  ")).map(|(_, p)| p.to_string()).collect()
}

/// The objects of one committed environment directory (`<out>/manifests/<app>/<env>/`), as one
/// YAML stream in the order its `kustomization.yaml` lists them.
pub fn committed_environment(out: &Path, app: &str, env: &str) -> String {
    let dir = out.join("manifests").join(app).join(env);
    let kustomization: Value = serde_saphyr::from_str(&std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap_or_else(|e| panic!("{}: {e}", dir.display())))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut text = String::new();
    for file in kustomization["resources"].as_array().expect("resources") {
        let file = dir.join(file.as_str().expect("a path"));
        text.push_str("---\n");
        text.push_str(&std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())));
    }
    text
}
