//! Aeterna's OPAL stack, run: opal-server and the OPAL client with its Cedar agent (OPAL 0.9.6
//! from PyPI, cedar-agent 0.2.1 from crates.io) start from the objects the chart renders, in
//! secure mode with the keys and tokens made as the chart README says, the policies from a git
//! repository served on the node and the replicas' broadcast channel on Debian's redis-server as
//! the external cache.
//!
//! opal-fetcher is in no registry: a stand-in answers on its Service with an empty Cedar entity
//! list. (Upstream's `GET /v1/all` answers an object, `{"entities": [...]}`, which OPAL's Cedar
//! store puts to cedar-agent's `/v1/data` as it is and cedar-agent refuses: the book's table
//! says so.)

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use super::node::{Node, tail};
use crate::support;

const RELEASE: &str = "aeterna";
const NAMESPACE: &str = "ai";
const REDIS_PASSWORD: &str = "r3dis-Pass_word";
/// Seconds between opal-server's checks of the policy repository.
const POLLING: u64 = 2;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=kforge", "-c", "user.email=kforge@example.com", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        // A global file: only there is safe.directory read, also by the receive-pack a push runs
        // in the repository git daemon's user owns.
        .env("GIT_CONFIG_GLOBAL", dir.parent().expect("parent").join("gitconfig"))
        .env("HOME", dir)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {}", support::text(&out.stderr));
}

fn values() -> Value {
    json!({
        "postgresql": {"enabled": false, "external": {"host": "postgres.test", "database": "aeterna", "username": "aeterna", "password": "pg-pass"}},
        "cache": {"type": "external", "external": {"host": "redis.test", "password": REDIS_PASSWORD}},
        "llm": {"openai": {"apiKey": "sk-test"}},
        "opal": {
            "auth": {"existingSecret": "opal-auth"},
            "cedar": {"policy": "permit(principal, action, resource);", "schema": "{}"},
            "fetcher": {"image": {"repository": "registry.example.com/aeterna-opal-fetcher"}},
            "server": {"replicas": 1, "policyRepo": {"url": "git://git.test/policies.git", "branch": "main", "pollingInterval": POLLING}}
        }
    })
}

/// The key pair and master token as the chart README makes them (`ssh-keygen -m pem`, the
/// private key on one line with newlines as `_`).
fn auth_secret(dir: &Path) -> (Value, String) {
    let key = dir.join("opal-key");
    let out = Command::new("ssh-keygen").args(["-q", "-t", "rsa", "-b", "2048", "-m", "pem", "-N", "", "-f"]).arg(&key).output().expect("ssh-keygen");
    assert!(out.status.success(), "ssh-keygen: {}", support::text(&out.stderr));
    let private = fs::read_to_string(&key).expect("private key").trim_end().replace('\n', "_");
    let public = fs::read_to_string(key.with_extension("pub")).expect("public key").trim().to_string();
    let master = "0123456789abcdef0123456789abcdef".to_string();
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "opal-auth", "namespace": NAMESPACE},
        "stringData": {"master-token": master, "private-key": private, "public-key": public}
    });
    (secret, master)
}

struct Repo {
    work: std::path::PathBuf,
}

impl Repo {
    /// A bare repository `policies.git` under `dir/git` with one commit of `policy.cedar` on
    /// `main`, and a working copy to commit more from.
    fn new(dir: &Path, policy: &str) -> Repo {
        let served = dir.join("git");
        fs::create_dir_all(&served).expect("git folder");
        fs::write(dir.join("gitconfig"), "[safe]\n\tdirectory = *\n").expect("gitconfig");
        git(&served, &["init", "-q", "--bare", "policies.git"]);
        let work = dir.join("policies-work");
        fs::create_dir_all(&work).expect("work folder");
        git(&work, &["init", "-q"]);
        let repo = Repo { work };
        repo.commit(policy);
        // git daemon serves as nobody, who must own what it reads.
        let status = Command::new("chown").args(["-R", "65534:65534"]).arg(&served).status().expect("chown");
        assert!(status.success());
        repo
    }

    fn commit(&self, policy: &str) {
        fs::write(self.work.join("policy.cedar"), policy).expect("policy");
        fs::write(self.work.join("README.md"), "not a policy: OPAL serves only .cedar files\n").expect("readme");
        git(&self.work, &["add", "."]);
        git(&self.work, &["commit", "-q", "-m", "policy"]);
        git(&self.work, &["push", "-q", "../git/policies.git", "HEAD:main"]);
    }
}

/// Starts the node's outside world: git on `git.test`, Redis on `redis.test`, the stand-in
/// opal-fetcher on its Service.
fn outside(node: &mut Node) -> String {
    let served = node.path().join("git");
    let address = node.address_for(&["git.test"]).to_string();
    let git_daemon = Path::new("/usr/lib/git-core/git-daemon");
    let base = format!("--base-path={}", served.display());
    let listen = format!("--listen={address}");
    node.program("git-daemon", (65534, 65534), git_daemon, &["--reuseaddr", "--export-all", &base, &listen, "--port=9418", "--informative-errors"], &[]);

    let redis_address = node.address_for(&["redis.test"]).to_string();
    let address = redis_address.clone();
    let redis_dir = node.path().join("redis");
    fs::create_dir_all(&redis_dir).expect("redis folder");
    Command::new("chown").args(["65534:65534"]).arg(&redis_dir).status().expect("chown");
    let redis_dir = redis_dir.display().to_string();
    let redis = support::tool("redis-server");
    node.program(
        "redis",
        (65534, 65534),
        &redis,
        &["--bind", &address, "--port", "6379", "--requirepass", REDIS_PASSWORD, "--save", "", "--appendonly", "no", "--dir", &redis_dir],
        &[],
    );

    let fetcher = format!("{RELEASE}-opal-fetcher");
    let names = [fetcher.clone(), format!("{fetcher}.{NAMESPACE}"), format!("{fetcher}.{NAMESPACE}.svc"), format!("{fetcher}.{NAMESPACE}.svc.cluster.local")];
    let address = node.address_for(&names.iter().map(String::as_str).collect::<Vec<_>>()).to_string();
    let script = node.path().join("fetcher.py");
    fs::write(
        &script,
        "import http.server, sys\n\
         class H(http.server.BaseHTTPRequestHandler):\n\
         \x20   def do_GET(self):\n\
         \x20       body = b'[]' if self.path.startswith('/v1/') else b'ok'\n\
         \x20       self.send_response(200); self.send_header('Content-Type', 'application/json')\n\
         \x20       self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)\n\
         http.server.HTTPServer((sys.argv[1], 8080), H).serve_forever()\n",
    )
    .expect("stand-in");
    let python = super::images::opal_venv().join("bin/python");
    node.program("opal-fetcher (stand-in)", (0, 0), &python, &[&script.display().to_string(), &address], &[]);
    redis_address
}

#[test]
fn opal_serves_the_repositorys_policy_to_the_cedar_agent_in_secure_mode() {
    let first = "permit(principal == User::\"alice\", action, resource);\n";
    let second = "forbid(principal == User::\"mallory\", action, resource);\n";
    let mut node = Node::new(NAMESPACE, Vec::new());
    let objects = super::render("aeterna", RELEASE, NAMESPACE, &values(), node.path());
    for o in objects {
        node.add_object(o);
    }
    let (secret, master) = auth_secret(node.path());
    node.add_object(secret.clone());
    let repo = Repo::new(node.path(), first);
    let redis = outside(&mut node);

    let server = node.start("Deployment", "aeterna-opal-server");
    node.wait_ready(&server);

    // The broadcast channel: opal-server listens on the release's channel of the external cache,
    // with the password the chart's Secret gives it.
    let redis_cli = support::tool("redis-cli");
    node.wait_for("opal-server subscribed to its broadcast channel on Redis", Duration::from_secs(30), |n| {
        let out = n.run(&redis_cli, &["-h", &redis, "-p", "6379", "--no-auth-warning", "-a", REDIS_PASSWORD, "PUBSUB", "CHANNELS"], &[]);
        support::text(&out.stdout).lines().any(|l| l.trim() == "aeterna-opal")
    });

    // Secure mode: no token, no policy; the client token comes from the master token, and the
    // Secret gets it as the README's `kubectl patch` does.
    let refused = node.http("GET", server.address, 7002, "/policy", &[], None).expect("opal-server answers");
    assert!(matches!(refused.status, 401 | 403), "opal-server served its policy to a client without a token: HTTP {} {}", refused.status, refused.body);
    let bearer = format!("Bearer {master}");
    let token = node
        .http("POST", server.address, 7002, "/token", &[("Authorization", &bearer), ("Content-Type", "application/json")], Some(r#"{"type": "client"}"#))
        .expect("opal-server issues a client token");
    assert_eq!(token.status, 200, "POST /token with the master token: {}", token.body);
    let token: Value = serde_json::from_str(&token.body).expect("token JSON");
    let token = token["token"].as_str().expect("token").to_string();
    let mut patched = secret;
    patched["stringData"]["client-token"] = json!(token);
    node.add_object(patched);
    let bearer = format!("Bearer {token}");
    // 503 ("policy repo is not ready") until its first clone: ready is not the same as done.
    node.wait_for("opal-server serving its policy to the client token", Duration::from_secs(60), |n| {
        let r = n.http("GET", server.address, 7002, "/policy", &[("Authorization", &bearer)], None).expect("opal-server answers");
        assert!(!matches!(r.status, 401 | 403), "opal-server refused its own client token: HTTP {} {}", r.status, r.body);
        r.status == 200
    });

    let agent = node.start("DaemonSet", "aeterna-cedar-agent");
    node.wait_ready(&agent);
    let policies = |n: &Node| n.http("GET", agent.address, 8180, "/v1/policies", &[], None).map(|r| r.body).unwrap_or_default();
    let served = policies(&node);
    assert!(served.contains("User::\\\"alice\\\""), "the Cedar agent does not serve the repository's policy:\n{served}\n{}", node.logs());
    assert!(!served.contains("README"), "the Cedar agent got a file that is no policy:\n{served}");

    // A new commit reaches the agent within the polling interval (and the time to pass it on).
    repo.commit(second);
    // The interval, and time to fetch, pass on and store on a machine that is busy with other tests.
    let budget = Duration::from_secs(POLLING + 30);
    node.wait_for("the new commit reaching the Cedar agent", budget, |n| policies(n).contains("mallory"));
    let served = policies(&node);
    assert!(!served.contains("alice"), "the old policy is still served beside the new one:\n{served}");
    let log = node.log(&format!("{}/cedar-agent", agent.name));
    assert!(!log.contains("Traceback"), "the client logged an exception:\n{}", tail(&log, 40));
}
