//! The external stores, run: Debian's PostgreSQL and redis-server take the credentials the
//! rendered objects give the programs that use them. The DBBat and Aeterna servers and
//! opal-fetcher are in no registry here, so a client of the same protocol (libpq's psql,
//! redis-cli) runs in their place with exactly the environment and files they get, `$(VAR)`
//! expanded by the kubelet's rules.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use super::node::Node;
use crate::support;

/// PostgreSQL's own superuser, the one the test makes roles with (over the socket).
const SUPERUSER: &str = "postgres";
/// Every character a URL reserves that the issue asks for, and a space.
const HARD_PASSWORD: &str = "p%#/?@: w";
const HOST: &str = "postgres.test";

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed:\n{}{}", support::text(&out.stdout), support::text(&out.stderr));
    support::text(&out.stdout)
}

/// A private CA and a server certificate for `HOST` signed by it, made with openssl.
fn certificates(dir: &Path) -> PathBuf {
    fs::create_dir_all(dir).expect("certificate folder");
    let o = |args: &[&str]| run(Command::new("openssl").current_dir(dir).args(args));
    o(&["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=kforge test CA"]);
    o(&["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", &format!("/CN={HOST}")]);
    fs::write(dir.join("san.ext"), format!("subjectAltName=DNS:{HOST}\n")).expect("san");
    o(&["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext"]);
    run(Command::new("chown").args(["65534:65534"]).arg(dir.join("server.key")));
    dir.join("ca.crt")
}

/// Starts PostgreSQL on `HOST` with TLS, passwords checked by SCRAM, and `roles` (user,
/// password, database) made. Returns the CA's certificate.
fn postgres(node: &mut Node, roles: &[(&str, &str, &str)]) -> PathBuf {
    let dir = node.path().join("postgres");
    let ca = certificates(&dir.join("tls"));
    let data = dir.join("data");
    let socket = dir.join("socket");
    fs::create_dir_all(&socket).expect("socket folder");
    run(Command::new("chown").args(["-R", "65534:65534"]).arg(&socket));
    run(Command::new("chown").args(["65534:65534"]).arg(&dir));
    let initdb = support::tool("pg-initdb");
    run(Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(&initdb)
        .args(["--no-sync", "-E", "UTF8", "--auth-local=trust", "--auth-host=scram-sha-256", "-U", SUPERUSER, "-D"])
        .arg(&data));
    // Connections over TCP with a password, TLS or not (sslmode=disable and the others).
    fs::write(data.join("pg_hba.conf"), "local all all trust\nhost all all 127.0.0.0/8 scram-sha-256\n").expect("pg_hba.conf");
    let address = node.address_for(&[HOST]).to_string();
    let tls = dir.join("tls");
    let settings = [
        format!("listen_addresses={address}"),
        "port=5432".into(),
        format!("unix_socket_directories={}", socket.display()),
        "ssl=on".into(),
        format!("ssl_cert_file={}", tls.join("server.crt").display()),
        format!("ssl_key_file={}", tls.join("server.key").display()),
        "fsync=off".into(),
        "password_encryption=scram-sha-256".into(),
    ];
    let mut args = vec!["-D".to_string(), data.display().to_string()];
    for s in settings {
        args.push("-c".into());
        args.push(s);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    node.program("postgres", (65534, 65534), &support::tool("pg-postgres"), &args, &[]);
    let psql = support::tool("psql");
    let socket_arg = socket.display().to_string();
    let superuser = |n: &Node, sql: &str| n.run(&psql, &["-X", "-q", "-h", &socket_arg, "-p", "5432", "-U", SUPERUSER, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql], &[]);
    node.wait_for("PostgreSQL accepting connections", Duration::from_secs(30), |n| superuser(n, "SELECT 1").status.success());
    for (user, password, database) in roles {
        for sql in [format!("CREATE ROLE \"{user}\" LOGIN PASSWORD '{}'", password.replace('\'', "''")), format!("CREATE DATABASE \"{database}\" OWNER \"{user}\"")] {
            let out = superuser(node, &sql);
            assert!(out.status.success(), "{sql}: {}", support::text(&out.stderr));
        }
    }
    ca
}

/// Applies a render of `app` to the node (replacing the objects of a render before).
fn apply(node: &mut Node, app: &str, release: &str, namespace: &str, values: &Value) {
    for o in super::render(app, release, namespace, values, node.path()) {
        node.add_object(o);
    }
}

/// `select current_user` through psql, as `container` of `kind`/`name`, with the connection
/// `target` (a URI or `$(VAR)` references the kubelet expands): the user that logged in.
fn login(node: &mut Node, kind: &str, name: &str, container: &str, target: &[&str]) -> String {
    let mut command = vec!["psql", "-X", "-tA"];
    command.extend_from_slice(target);
    command.extend(["-c", "SELECT current_user || ' ' || current_database() || ' ' || coalesce((SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()), '')"]);
    let (ok, log) = node.client(kind, name, container, &command);
    assert!(ok, "psql in the place of {name}/{container} could not log in:\n{log}\n{}", node.logs());
    log.trim().to_string()
}

#[test]
fn dbbat_logs_in_to_postgresql_with_the_dsn_it_composes_in_every_ssl_mode() {
    let mut node = Node::new("db", Vec::new());
    let ca = postgres(&mut node, &[("dbbat", HARD_PASSWORD, "dbbat")]);
    node.add_object(json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "pg-ca", "namespace": "db"},
        "stringData": {"ca.crt": fs::read_to_string(&ca).expect("CA")}
    }));
    let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    for (mode, ssl) in [("disable", "false"), ("require", "true"), ("verify-full", "true")] {
        let mut external = json!({"host": HOST, "database": "dbbat", "username": "dbbat", "password": HARD_PASSWORD, "sslMode": mode});
        if mode == "verify-full" {
            external["sslRootCert"] = json!({"existingSecret": "pg-ca"});
        }
        apply(&mut node, "dbbat", "dbbat", "db", &json!({"postgresql": {"external": external}, "secrets": {"encryptionKey": key}}));
        let who = login(&mut node, "Deployment", "dbbat", "dbbat", &["$(DBB_DSN)"]);
        assert_eq!(who, format!("dbbat dbbat {ssl}"), "sslMode {mode}");
    }
    // verify-full checks the name too: the same server by a name its certificate does not carry
    // is refused (a DSN that said `require` or `verify-ca` would log in).
    node.alias("postgres-alias.test", HOST);
    let external = json!({"host": "postgres-alias.test", "database": "dbbat", "username": "dbbat", "password": HARD_PASSWORD, "sslMode": "verify-full", "sslRootCert": {"existingSecret": "pg-ca"}});
    apply(&mut node, "dbbat", "dbbat", "db", &json!({"postgresql": {"external": external}, "secrets": {"encryptionKey": key}}));
    let (ok, log) = node.client("Deployment", "dbbat", "dbbat", &["psql", "-X", "-tA", "$(DBB_DSN)", "-c", "SELECT 1"]);
    assert!(!ok && log.contains("does not match host name"), "sslMode verify-full logged in to a server by a name its certificate does not carry:\n{log}");
    // The password kept in an existing Secret, percent-encoded as the chart README says: the
    // kubelet puts it into the DSN as it is.
    node.add_object(json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "dbbat-secrets", "namespace": "db"},
        "stringData": {"DBB_KEY": key, "DB_PASSWORD": "p%25%23%2F%3F%40%3A%20w"}
    }));
    let external = json!({"host": HOST, "database": "dbbat", "username": "dbbat", "sslMode": "verify-full", "sslRootCert": {"existingSecret": "pg-ca"}});
    apply(&mut node, "dbbat", "dbbat", "db", &json!({"postgresql": {"external": external}, "secrets": {"existingSecret": "dbbat-secrets"}}));
    assert_eq!(login(&mut node, "Deployment", "dbbat", "dbbat", &["$(DBB_DSN)"]), "dbbat dbbat true");
}

#[test]
fn aeterna_and_its_fetcher_log_in_to_postgresql_with_what_their_environment_says() {
    const PASSWORD: &str = "Aeterna-pg_pass.1~";
    let mut node = Node::new("ai", Vec::new());
    postgres(&mut node, &[("aeterna", PASSWORD, "aeterna"), ("memory", HARD_PASSWORD, "memory")]);
    let values = json!({
        "postgresql": {"enabled": false, "external": {"host": HOST, "database": "aeterna", "username": "aeterna", "password": PASSWORD}},
        "cache": {"type": "external", "external": {"host": "redis.test"}},
        "llm": {"openai": {"apiKey": "sk-test"}},
        "opal": {
            "auth": {"existingSecret": "opal-auth"},
            "cedar": {"policy": "permit(principal, action, resource);", "schema": "{}"},
            "fetcher": {"image": {"repository": "registry.example.com/aeterna-opal-fetcher"}},
            "server": {"policyRepo": {"url": "git://git.test/policies.git"}}
        }
    });
    apply(&mut node, "aeterna", "aeterna", "ai", &values);
    // opal-fetcher reads one URL (upstream `opal-fetcher/src/state.rs`). No `sslmode`: libpq's
    // default and sqlx's alike is `prefer`, so TLS where the server offers it, as here.
    assert_eq!(login(&mut node, "Deployment", "aeterna-opal-fetcher", "opal-fetcher", &["$(DATABASE_URL)"]), "aeterna aeterna true");
    // The Aeterna server reads the parts (`config/src/loader.rs`, `PG_*`) and joins them into a
    // URL as they are (`cli/src/server/bootstrap.rs`, `postgres_connection_url`).
    let server_url = "postgres://$(PG_USERNAME):$(PG_PASSWORD)@$(PG_HOST):$(PG_PORT)/$(PG_DATABASE)";
    assert_eq!(login(&mut node, "Deployment", "aeterna", "aeterna", &[server_url]), "aeterna aeterna true");
    // A password with characters a URL reserves, kept percent-encoded in an existing Secret as
    // the chart README says (with OPAL off: opal-fetcher's rule is about values).
    node.add_object(json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "memory-db", "namespace": "ai"},
        "stringData": {"password": "p%25%23%2F%3F%40%3A%20w"}
    }));
    let values = json!({
        "postgresql": {"enabled": false, "external": {"host": HOST, "database": "memory", "username": "memory", "existingSecret": "memory-db"}},
        "cache": {"type": "external", "external": {"host": "redis.test"}},
        "llm": {"openai": {"apiKey": "sk-test"}},
        "opal": {"enabled": false}
    });
    apply(&mut node, "aeterna", "aeterna", "ai", &values);
    assert_eq!(login(&mut node, "Deployment", "aeterna", "aeterna", &[server_url]), "memory memory true");
}
