//! The DBBat chart against the program it runs: DBBat 0.25.2 (`fclairamb/dbbat` at `v0.25.2`,
//! commit 19a1c7e2). The facts are pinned here as read upstream, each with its file, so that a
//! chart that drifts from them fails: the image and its command, the variables the program reads
//! and those it needs, the ports its listen addresses give, and a composed DSN that its driver
//! parses back to the password it was given, whatever that password holds.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

use crate::support::*;

/// Every variable DBBat 0.25.2 reads under its own name, and the chart may therefore set:
/// `internal/config/config.go` loads the environment with the prefix `DBB_` into the `Config`
/// struct (`envTransform` maps `DBB_LISTEN_PG` to `listen_pg`), reads `DBB_CONFIG` for a config
/// file and `DBB_REDIRECTS` itself; `main.go` reads `DBB_LOG_LEVEL` for its flag too. The groups
/// under a prefix (`DBB_QUERY_STORAGE_*`, `DBB_RATE_LIMIT_*`, `DBB_OIDC_*`, `DBB_PG_TLS_*`, ...)
/// are left to `extraEnv`: the chart sets none of them.
const DBBAT_READS: &[&str] = &[
    "DBB_DSN",
    "DBB_KEY",
    "DBB_KEYFILE",
    "DBB_LISTEN_PG",
    "DBB_LISTEN_API",
    "DBB_LISTEN_ORA",
    "DBB_LISTEN_MYSQL",
    "DBB_LISTEN_MONGO",
    "DBB_LISTEN_MSSQL",
    "DBB_RUN_MODE",
    "DBB_BASE_URL",
    "DBB_INSTANCE_ID",
    "DBB_DEMO_TARGET_DB",
    "DBB_LOG_LEVEL",
    "DBB_PUBLIC_URL",
    "DBB_CONFIG",
    "DBB_REDIRECTS",
];

/// Variables the chart sets for Kubernetes alone: `DB_PASSWORD` is expanded into `DBB_DSN` as
/// `$(DB_PASSWORD)` when the password sits in an existing Secret, and DBBat never reads it.
const FOR_KUBERNETES: &[&str] = &["DB_PASSWORD"];

/// The run modes `internal/config/config.go` names: `RunModeDefault`, `RunModeTest`, `RunModeDemo`.
const RUN_MODES: &[&str] = &["", "test", "demo"];

/// The listeners DBBat 0.25.2 opens unless their address is empty (`defaultConfig`: `:1522`,
/// `:3307`, `:27018`, `:1434`; `main.go`: `startOracleProxy` and the rest return when empty).
const OTHER_LISTENERS: &[&str] = &["DBB_LISTEN_ORA", "DBB_LISTEN_MYSQL", "DBB_LISTEN_MONGO", "DBB_LISTEN_MSSQL"];

/// The image: `.github/workflows/release.yml` pushes `ghcr.io/fclairamb/dbbat:<tag without v>`;
/// the `Dockerfile` runs `./dbbat` (whose default action serves) as distroless `nonroot`, 65532.
const IMAGE: &str = "ghcr.io/fclairamb/dbbat:0.25.2";
const NONROOT: u64 = 65532;

/// What emit renders for these values files (YAML or JSON texts, in order) over the defaults.
fn rendered(layers: &[&str]) -> Vec<Value> {
    let app = apps::dbbat::app();
    let app: &dyn kforge::Application = &app;
    let names: Vec<String> = (0..layers.len()).map(|i| format!("layer{i}")).collect();
    let layers: Vec<kforge::values::Layer> = layers.iter().zip(&names).map(|(text, name)| kforge::values::Layer::File { name, text }).collect();
    let values = kforge::values::load(&app.defaults(), &layers, &|t| app.validate(t)).unwrap_or_else(|e| panic!("values load: {e:?}"));
    let release = kforge::render::Release { name: "dbbat", namespace: "dbbat" };
    kforge::render::render_objects(app, &app.model(), &values, release).expect("renders").into_iter().map(|o| o.value).collect()
}

fn environment(name: &str) -> String {
    std::fs::read_to_string(root().join(format!("crates/apps/src/dbbat/values-{name}.yaml"))).expect("environment")
}

/// The DBBat container and the variables it gets: its own `env` in order, then the ConfigMap
/// of its `envFrom` (which `env` overrides).
fn container(docs: &[Value]) -> (Value, Vec<Value>, serde_json::Map<String, Value>) {
    let d = docs.iter().find(|d| d["kind"] == "Deployment").expect("the Deployment");
    let c = d["spec"]["template"]["spec"]["containers"].as_array().expect("containers").iter().find(|c| c["name"] == "dbbat").expect("the dbbat container").clone();
    let env = c["env"].as_array().cloned().unwrap_or_default();
    let mut from = serde_json::Map::new();
    for f in c["envFrom"].as_array().into_iter().flatten() {
        let cm = docs.iter().find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == f["configMapRef"]["name"]).expect("the ConfigMap of envFrom");
        from.extend(cm["data"].as_object().cloned().unwrap_or_default());
    }
    (c, env, from)
}

fn names(env: &[Value], from: &serde_json::Map<String, Value>) -> BTreeSet<String> {
    env.iter().map(|e| e["name"].as_str().expect("a name").to_string()).chain(from.keys().cloned()).collect()
}

const KEY: &str = "secrets:\n  encryptionKey: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n";

/// Values that between them reach every way the chart gives DBBat its DSN, key and mode.
fn cases() -> Vec<(&'static str, Vec<String>)> {
    let by_host = "postgresql:\n  external:\n    host: db.example.com\n    password: s3cret\n";
    vec![
        ("minimal", vec![environment("minimal")]),
        ("production", vec![environment("production")]),
        ("dsn", vec![KEY.into(), "postgresql:\n  external:\n    dsn: postgres://u:p@db:5432/dbbat\n".into()]),
        ("dsn with existing secret", vec![environment("minimal"), "postgresql:\n  external:\n    dsn: postgres://u:p@db:5432/dbbat\n".into()]),
        ("host", vec![KEY.into(), by_host.into()]),
        ("host with CA", vec![KEY.into(), by_host.into(), "postgresql:\n  external:\n    sslMode: verify-ca\n    sslRootCert: {existingSecret: ca}\n".into()]),
        ("key file", vec![by_host.into(), "config:\n  keyFile: /keys/dbbat\n".into()]),
        ("cloudnativepg", vec![KEY.into(), "cloudnativepg:\n  enabled: true\n".into()]),
        ("demo", vec![environment("minimal"), "config:\n  runMode: demo\n".into()]),
        ("test", vec![environment("minimal"), "config:\n  runMode: test\n".into()]),
    ]
}

#[test]
fn the_chart_runs_the_published_image_with_its_own_command_as_its_user() {
    for (label, layers) in cases() {
        let layers: Vec<&str> = layers.iter().map(String::as_str).collect();
        let docs = rendered(&layers);
        let (c, _, _) = container(&docs);
        assert_eq!(c["image"], IMAGE, "{label}");
        // No command or args: the image's CMD `./dbbat` serves.
        assert!(c.get("command").is_none() && c.get("args").is_none(), "{label}: {c}");
        let d = docs.iter().find(|d| d["kind"] == "Deployment").expect("Deployment");
        let spec = &d["spec"]["template"]["spec"];
        assert_eq!(spec["securityContext"]["runAsUser"], NONROOT, "{label}");
        assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true, "{label}");
    }
    assert_eq!(apps::dbbat::app().chart.app_version, "0.25.2");
}

#[test]
fn every_variable_the_chart_sets_is_one_dbbat_reads_and_the_required_ones_are_set() {
    for (label, layers) in cases() {
        let layers: Vec<&str> = layers.iter().map(String::as_str).collect();
        let (c, env, from) = container(&rendered(&layers));
        let set = names(&env, &from);
        let unknown: Vec<&String> = set.iter().filter(|n| !DBBAT_READS.contains(&n.as_str()) && !FOR_KUBERNETES.contains(&n.as_str())).collect();
        assert!(unknown.is_empty(), "{label}: variables DBBat 0.25.2 does not read: {unknown:?}");
        // `validate`: no DSN, no start. `loadEncryptionKey`: without a key DBBat writes one to
        // ~/.dbbat/key, which the read-only root filesystem refuses.
        assert!(set.contains("DBB_DSN"), "{label}: no DBB_DSN");
        assert!(set.contains("DBB_KEY") || set.contains("DBB_KEYFILE"), "{label}: no encryption key");
        // The listen addresses are set: DBBat's own defaults (:5433, :4200) are not the ports the
        // chart declares, and its container ports are taken from them.
        let port_of = |name: &str| -> u64 { from[name].as_str().expect("an address").rsplit(':').next().expect("a port").parse().expect("a number") };
        let ports: Vec<(String, u64)> =
            c["ports"].as_array().expect("ports").iter().map(|p| (p["name"].as_str().expect("name").to_string(), p["containerPort"].as_u64().expect("port"))).collect();
        assert_eq!(ports, vec![("http".to_string(), port_of("DBB_LISTEN_API")), ("postgres".to_string(), port_of("DBB_LISTEN_PG"))], "{label}");
        // The listeners the chart gives no port are off.
        for l in OTHER_LISTENERS {
            assert_eq!(from.get(*l), Some(&json!("")), "{label}: {l}");
        }
        // Every variable once: a second one would silently win.
        let all: Vec<&str> = env.iter().map(|e| e["name"].as_str().expect("name")).collect();
        assert_eq!(all.len(), all.iter().collect::<BTreeSet<_>>().len(), "{label}: a variable twice: {all:?}");
        if let Some(mode) = from.get("DBB_RUN_MODE") {
            assert!(RUN_MODES.contains(&mode.as_str().expect("a string")), "{label}: {mode}");
        }
        // DB_PASSWORD only where Kubernetes expands it, and before the DSN that uses it.
        let at = |n: &str| all.iter().position(|e| *e == n);
        if let Some(p) = at("DB_PASSWORD") {
            let dsn = env[at("DBB_DSN").expect("DBB_DSN")]["value"].as_str().expect("a composed DSN");
            assert!(dsn.contains(":$(DB_PASSWORD)@") && p < at("DBB_DSN").expect("DBB_DSN"), "{label}: {dsn}");
        }
    }
}

#[test]
fn the_run_modes_are_dbbats() {
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(chart_dir("dbbat").join("values.schema.json")).expect("schema")).expect("JSON");
    let modes: BTreeSet<&str> =
        schema["properties"]["config"]["properties"]["runMode"]["enum"].as_array().expect("an enum").iter().map(|m| m.as_str().expect("a string")).collect();
    assert_eq!(modes, RUN_MODES.iter().copied().collect(), "config.runMode");
}

#[test]
fn the_variable_check_can_fail() {
    // A ConfigMap key DBBat does not read (the chart's old DB_HOST) is caught.
    let docs = rendered(&[&environment("minimal")]);
    let (_, env, mut from) = container(&docs);
    from.insert("DB_HOST".into(), json!("db"));
    assert!(names(&env, &from).iter().any(|n| !DBBAT_READS.contains(&n.as_str()) && !FOR_KUBERNETES.contains(&n.as_str())));
}

// ----- the DSN as DBBat's driver reads it -------------------------------------------------

/// A URL as Go's `net/url.Parse` (Go 1.26, `Dockerfile`'s `golang:1.26.6`) splits it, as far as
/// uptrace/bun's `pgdriver` (v1.2.18, `driver/pgdriver/config.go`, `parseDSN`) reads it: the
/// scheme, the user and password (`parseAuthority`: the userinfo before the last `@` of the
/// authority, cut at its first `:`, checked by `validUserinfo`, each part `unescape`d), the host,
/// the database (the unescaped path without its `/`) and the query (`ParseQuery`, the last value
/// of each key). `Err` where Go returns an error, on which `pgdriver.WithDSN` panics. Checked
/// once against Go 1.19's own `net/url` (the cases of the test below, and 20000 random
/// passwords, users and databases composed as the chart composes them).
#[derive(Debug, PartialEq)]
struct Dsn {
    user: String,
    password: Option<String>,
    host: String,
    database: String,
    query: std::collections::BTreeMap<String, String>,
}

fn unhex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Go's `unescape`: `%XX` to its byte, an invalid escape an error; `+` is a space only in a query.
fn go_unescape(s: &str, query: bool) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let (Some(h), Some(l)) = (b.get(i + 1).and_then(|c| unhex(*c)), b.get(i + 2).and_then(|c| unhex(*c))) else {
                    return Err(format!("invalid URL escape {:?}", &s[i..(i + 3).min(s.len())]));
                };
                out.push(h << 4 | l);
                i += 3;
            }
            b'+' if query => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|e| e.to_string())
}

fn go_parse(url: &str) -> Result<Dsn, String> {
    let (url, _fragment) = url.split_once('#').unwrap_or((url, ""));
    if url.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("invalid control character in URL".into());
    }
    let (scheme, rest) = url.split_once(':').ok_or("missing protocol scheme")?;
    if !matches!(scheme.to_ascii_lowercase().as_str(), "postgres" | "postgresql") {
        return Err(format!("pgdriver: invalid scheme: {scheme}"));
    }
    let (rest, raw_query) = rest.split_once('?').unwrap_or((rest, ""));
    let rest = rest.strip_prefix("//").ok_or("no authority")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (userinfo, host) = authority.rsplit_once('@').ok_or("no userinfo")?;
    // `parseHost`: what follows the last `:` of a host not in brackets is a port, digits only.
    if !host.starts_with('[')
        && let Some(i) = host.rfind(':')
        && !host[i + 1..].bytes().all(|b| b.is_ascii_digit())
    {
        return Err(format!("invalid port {:?} after host", &host[i..]));
    }
    let valid = userinfo.chars().all(|c| c.is_ascii_alphanumeric() || "-._:~!$&'()*+,;=%@".contains(c));
    if !valid {
        return Err("net/url: invalid userinfo".into());
    }
    let (user, password) = match userinfo.split_once(':') {
        Some((u, p)) => (go_unescape(u, false)?, Some(go_unescape(p, false)?)),
        None => (go_unescape(userinfo, false)?, None),
    };
    let database = go_unescape(path, false)?.get(1..).unwrap_or_default().to_string();
    let mut query = std::collections::BTreeMap::new();
    // `Query` ignores the pairs `ParseQuery` refuses (a `;`, an invalid escape).
    for pair in raw_query.split('&').filter(|p| !p.is_empty() && !p.contains(';')) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if let (Ok(k), Ok(v)) = (go_unescape(k, true), go_unescape(v, true)) {
            query.insert(k, v);
        }
    }
    Ok(Dsn { user, password, host: host.to_string(), database, query })
}

#[test]
fn the_go_url_reading_finds_what_breaks_a_raw_password() {
    // The check can fail: passwords put into a DSN unencoded, as the chart did before 3.0.0.
    let raw = |p: &str| format!("postgres://dbbat:{p}@db:5432/dbbat?sslmode=require");
    assert!(go_parse(&raw("100%")).is_err(), "a raw % is an invalid escape: DBBat panics");
    assert!(go_parse(&raw("a b")).is_err(), "a raw space is no valid userinfo");
    let cut = go_parse(&raw("ab#cd")).err();
    assert!(cut.is_some(), "a raw # cuts the URL short");
    let slash = go_parse(&raw("ab/cd"));
    assert!(slash.as_ref().map_or(true, |d| d.password.as_deref() != Some("ab/cd")), "{slash:?}");
    let question = go_parse(&raw("ab?cd"));
    assert!(question.as_ref().map_or(true, |d| d.password.as_deref() != Some("ab?cd")), "{question:?}");
    // And reads a well-formed one as Go does.
    let d = go_parse("postgres://us%40er:p%25w%2Bd+@db.example.com:5432/my%2Fdb?sslmode=verify-full&sslrootcert=/etc/ca.crt").expect("parses");
    assert_eq!((d.user.as_str(), d.password.as_deref(), d.host.as_str(), d.database.as_str()), ("us@er", Some("p%w+d+"), "db.example.com:5432", "my/db"));
    assert_eq!(d.query["sslmode"], "verify-full");
    assert_eq!(d.query["sslrootcert"], "/etc/ca.crt");
}

/// A password of the characters that break URLs, now and then one that is not ASCII.
fn random_password(rng: &mut Rng) -> String {
    let extra = ['é', '漢', '😀', '\t'];
    let len = 1 + rng.below(20) as usize;
    (0..len).map(|_| if rng.chance(6) { *rng.pick(&extra) } else { char::from(0x20 + rng.below(0x7f - 0x20) as u8) }).collect()
}

fn secret_dsn(docs: &[Value]) -> String {
    let s = docs.iter().find(|d| d["kind"] == "Secret" && d["stringData"]["DBB_DSN"].is_string()).expect("a Secret with DBB_DSN");
    s["stringData"]["DBB_DSN"].as_str().expect("DSN").to_string()
}

#[test]
fn a_composed_dsn_carries_any_password_and_helm_composes_the_same() {
    let seed = seed("KFORGE_DSN_SEED", 31, "dbbat DSN");
    let mut rng = Rng::new(seed);
    let mut cases: Vec<(String, String, String)> =
        ["p@ss:w/rd?#%", "100%", "a b+c", "%41%", "$(DB_PASSWORD)", "é漢😀", "'\"\\", "x"].iter().map(|p| (p.to_string(), "dbbat".to_string(), "dbbat".to_string())).collect();
    for _ in 0..16 {
        let (p, u, d) = (random_password(&mut rng), random_password(&mut rng), random_password(&mut rng));
        cases.push((p, u, d));
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    for (i, (password, user, database)) in cases.iter().enumerate() {
        let with_ca = i % 2 == 0;
        let mut external = json!({"host": "db.example.com", "port": 6432, "username": user, "database": database, "sslMode": "verify-full"});
        if with_ca {
            external["sslRootCert"] = json!({"existingSecret": "db-ca", "key": "root.pem"});
        }
        // The password from either setting; `secrets.databasePassword` wins.
        let values = if i % 3 == 0 {
            json!({"postgresql": {"external": merge(external, json!({"password": password}))}, "secrets": {"encryptionKey": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}})
        } else {
            json!({"postgresql": {"external": merge(external, json!({"password": "not this one"}))}, "secrets": {"encryptionKey": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "databasePassword": password}})
        };
        let values_text = serde_json::to_string(&values).expect("json");
        let label = format!("seed {seed} case {i}: password {password:?}, user {user:?}, database {database:?}");
        let ours = rendered(&[&values_text]);
        let dsn = secret_dsn(&ours);
        let parsed = go_parse(&dsn).unwrap_or_else(|e| panic!("{label}: DBBat cannot read {dsn:?}: {e}"));
        assert_eq!(parsed.password.as_deref(), Some(password.as_str()), "{label}: {dsn}");
        assert_eq!(parsed.user, *user, "{label}: {dsn}");
        assert_eq!(parsed.database, *database, "{label}: {dsn}");
        assert_eq!(parsed.host, "db.example.com:6432", "{label}");
        assert_eq!(parsed.query.get("sslmode").map(String::as_str), Some("verify-full"), "{label}");
        let root_cert = format!("{}/root.pem", apps::dbbat::SSL_ROOT_CERT_DIR);
        assert_eq!(parsed.query.get("sslrootcert"), with_ca.then_some(&root_cert), "{label}");
        assert_eq!(parsed.query.len(), 1 + usize::from(with_ca), "{label}: pgdriver would SET the other parameters: {dsn}");

        // Helm 4 and 3 compose the same bytes, and the same objects.
        let file = tmp.path().join(format!("case-{i}.json"));
        std::fs::write(&file, &values_text).expect("write");
        let ours_text = emit_stdout("dbbat", "dbbat", "dbbat", &[file.as_path()], &[]);
        assert!(ours_text.status.success(), "{label}: {}", text(&ours_text.stderr));
        for helm in HELMS {
            let theirs = helm_template(helm, "dbbat", "dbbat", "dbbat", &[file.as_path()], &[]);
            assert!(theirs.status.success(), "{label}: {helm}: {}", text(&theirs.stderr));
            let theirs_text = text(&theirs.stdout);
            assert_eq!(secret_dsn(&parse_stream(&theirs_text)), dsn, "{label}: {helm}");
            compare_streams(&theirs_text, &text(&ours_text.stdout)).unwrap_or_else(|e| panic!("{label}: {helm}: {e}"));
        }
    }
}

fn merge(mut a: Value, b: Value) -> Value {
    merge_into(&mut a, b);
    a
}

#[test]
fn a_password_in_an_existing_secret_is_expanded_into_the_dsn_and_the_ca_is_mounted() {
    let docs = rendered(&[&environment("production")]);
    let (c, env, _) = container(&docs);
    let find = |n: &str| env.iter().find(|e| e["name"] == n).unwrap_or_else(|| panic!("no {n}")).clone();
    let password = find("DB_PASSWORD");
    assert_eq!(password["valueFrom"]["secretKeyRef"], json!({"name": "dbbat-secrets", "key": "DB_PASSWORD"}));
    let dsn = find("DBB_DSN")["value"].as_str().expect("a composed DSN").to_string();
    let ca = format!("{}/ca.crt", apps::dbbat::SSL_ROOT_CERT_DIR);
    assert_eq!(dsn, format!("postgres://dbbat:$(DB_PASSWORD)@postgres.internal.example.com:5432/dbbat?sslmode=verify-full&sslrootcert={ca}"));
    // Kubernetes expands the Secret's value as it is: a percent-encoded password reads back.
    let expanded = dsn.replace("$(DB_PASSWORD)", "p%40ss%3Aw%2Frd%25");
    assert_eq!(go_parse(&expanded).expect("parses").password.as_deref(), Some("p@ss:w/rd%"));
    // The CA: the Secret dbbat-postgresql-ca, mounted where sslrootcert looks.
    let mount = c["volumeMounts"].as_array().expect("mounts").iter().find(|m| m["mountPath"] == apps::dbbat::SSL_ROOT_CERT_DIR).expect("the CA mount").clone();
    let d = docs.iter().find(|d| d["kind"] == "Deployment").expect("Deployment");
    let volume = d["spec"]["template"]["spec"]["volumes"].as_array().expect("volumes").iter().find(|v| v["name"] == mount["name"]).expect("the CA volume").clone();
    assert_eq!(volume["secret"]["secretName"], "dbbat-postgresql-ca");
}

#[test]
fn the_notes_and_the_readme_warn_of_the_admin_account() {
    // `main.go` creates admin/admin on an empty database; `internal/api/middleware.go` accepts
    // it by Basic auth before the password is changed.
    let notes = std::fs::read_to_string(chart_dir("dbbat").join("templates/NOTES.txt")).expect("NOTES.txt");
    assert!(notes.contains("DBBat creates the account admin with the password admin"), "{notes}");
    assert!(notes.contains("/api/v1/auth/password"), "{notes}");
    let readme = std::fs::read_to_string(chart_dir("dbbat").join("README.md")).expect("README");
    assert!(readme.contains("## The admin account: change its password first"));
}

#[test]
fn a_ca_without_tls_is_refused_by_both_renderers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("values.yaml");
    std::fs::write(&file, format!("{KEY}postgresql:\n  external:\n    host: db\n    sslMode: disable\n    sslRootCert: {{existingSecret: ca}}\n")).expect("write");
    let message = "sslMode disable never asks for";
    let ours = emit_stdout("dbbat", "dbbat", "dbbat", &[file.as_path()], &[]);
    assert!(!ours.status.success() && text(&ours.stderr).contains(message), "{}", text(&ours.stderr));
    for helm in HELMS {
        let theirs = helm_template(helm, "dbbat", "dbbat", "dbbat", &[Path::new(&file)], &[]);
        assert!(!theirs.status.success() && text(&theirs.stderr).contains(message), "{helm}: {}", text(&theirs.stderr));
    }
}
