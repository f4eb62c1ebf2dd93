//! What the harness knows of each image it runs: the image's user, working directory,
//! variables, entrypoint and command, and the files it carries, each from the image's build file
//! at the release the chart pins; the programs themselves are the same releases installed from a
//! registry by `scripts/install-test-tools.sh`. An image or tag not in this table fails the test:
//! the harness never guesses how an image starts.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support;

pub struct ImageRun {
    pub repository: &'static str,
    pub tag: &'static str,
    /// The image's `USER`, as UID and GID from its `/etc/passwd`.
    pub user: (u32, u32),
    /// The image's `WORKDIR`.
    pub workdir: &'static str,
    kind: Kind,
}

enum Kind {
    OpalServer,
    OpalClientCedar,
    Clients,
}

/// OPAL 0.9.6 (permitio/opal at tag 0.9.6), `docker/Dockerfile`: both images start from
/// `common` (python:3.10-slim-bookworm; `useradd -m -b / opal` makes UID 1000 with home and
/// working directory `/opal`; `CMD ["./start.sh"]`), the server with target `server`, the
/// client with `client-cedar` (cedar-agent 0.2.1 at `/bin/cedar-agent`).
///
/// `kforge.test/clients` is the harness's own: the test tools' clients (psql, redis-cli) put in
/// the place of a program no registry here has, to use the environment and files that program
/// would get (`Node::client`).
pub const TABLE: [ImageRun; 3] = [
    ImageRun { repository: "docker.io/permitio/opal-server", tag: "0.9.6", user: (1000, 1000), workdir: "/opal", kind: Kind::OpalServer },
    ImageRun { repository: "docker.io/permitio/opal-client-cedar", tag: "0.9.6", user: (1000, 1000), workdir: "/opal", kind: Kind::OpalClientCedar },
    ImageRun { repository: CLIENTS, tag: "1", user: (65534, 65534), workdir: "/", kind: Kind::Clients },
];

/// The harness's image of clients, by reference.
pub const CLIENTS: &str = "kforge.test/clients";

/// The image `reference` names (`repository:tag`), from the table.
pub fn find(reference: &str) -> &'static ImageRun {
    let (repository, tag) = reference.rsplit_once(':').unwrap_or((reference, "latest"));
    TABLE.iter().find(|i| i.repository == repository && i.tag == tag).unwrap_or_else(|| {
        panic!(
            "the run harness has no entry for the image {reference}: add its user, variables, entrypoint and files to tests/it/run/images.rs from its build file, and install its program in scripts/install-test-tools.sh"
        )
    })
}

/// OPAL's `scripts/start.sh` at 0.9.6, the `CMD` of both images (Apache-2.0, permitio/opal).
const START_SH: &str = r#"#! /usr/bin/env bash
set -e

export GUNICORN_CONF=${GUNICORN_CONF:-./gunicorn_conf.py}
export GUNICORN_TIMEOUT=${GUNICORN_TIMEOUT:-30}
export GUNICORN_KEEP_ALIVE_TIMEOUT=${GUNICORN_KEEP_ALIVE_TIMEOUT:-5}

if [[ -z "${OPAL_BROADCAST_URI}" && "${UVICORN_NUM_WORKERS}" != "1" ]]; then
  echo "OPAL_BROADCAST_URI must be set when having multiple workers"
  exit 1
fi

prefix=""

# Start Gunicorn
# Enable ddtrace if OPAL_ENABLE_DATADOG_APM is set and empty or "true"; unset disables it
if [[ -n "${OPAL_ENABLE_DATADOG_APM+x}" && ( -z "${OPAL_ENABLE_DATADOG_APM}" || "${OPAL_ENABLE_DATADOG_APM}" = "true" ) ]]; then
	prefix=ddtrace-run
fi
(set -x; exec $prefix gunicorn -b 0.0.0.0:${UVICORN_PORT} -k uvicorn.workers.UvicornWorker --workers=${UVICORN_NUM_WORKERS} -c ${GUNICORN_CONF} ${UVICORN_ASGI_APP} -t ${GUNICORN_TIMEOUT} --keep-alive ${GUNICORN_KEEP_ALIVE_TIMEOUT})
"#;

/// OPAL's `scripts/gunicorn_conf.py` at 0.9.6 (Apache-2.0, permitio/opal).
const GUNICORN_CONF: &str = r#"from opal_common.logger import logger


def post_fork(server, worker):
    """This hook takes effect if we are using gunicorn to run OPAL."""
    pass


def when_ready(server):
    try:
        import opal_server.scopes.task
    except ImportError:
        # Not opal server
        return

    opal_server.scopes.task.ScopesPolicyWatcherTask.preload_scopes()
    logger.warning("Finished pre loading scopes...")
"#;

pub fn opal_venv() -> PathBuf {
    support::root().join(".tools/opal-venv")
}

pub fn cedar_agent() -> PathBuf {
    support::root().join(".tools/cedar-agent/cedar-agent")
}

impl ImageRun {
    /// The image's `ENV`. The image installs OPAL into `/usr/local`; here it is the venv the
    /// test command installs, first on `PATH` where the image has `/usr/local/bin`.
    pub fn env(&self) -> Vec<(String, String)> {
        if let Kind::Clients = self.kind {
            let path = format!("{}:/usr/local/bin:/usr/bin:/bin", support::root().join(".tools/bin").display());
            return vec![("PATH".into(), path), ("HOME".into(), "/".into())];
        }
        let venv = opal_venv();
        assert!(venv.join("bin/gunicorn").exists(), "{} is missing: run `bash scripts/install-test-tools.sh` (the README's test command does)", venv.display());
        let path = format!("/opal:/root/.local/bin:{}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", venv.display());
        let mut env: Vec<(&str, String)> = vec![("PATH", path), ("LANG", "C.UTF-8".into()), ("HOME", "/opal".into()), ("UVICORN_NUM_WORKERS", "1".into())];
        match self.kind {
            Kind::OpalServer => env.extend([
                ("UVICORN_ASGI_APP", "opal_server.main:app".into()),
                ("UVICORN_PORT", "7002".into()),
                ("OPAL_ALL_DATA_URL", "http://host.docker.internal:7002/policy-data".into()),
                ("OPAL_POLICY_REPO_REUSE_CLONE_PATH", "true".into()),
            ]),
            Kind::OpalClientCedar => env.extend([
                ("UVICORN_ASGI_APP", "opal_client.main:app".into()),
                ("UVICORN_PORT", "7000".into()),
                ("OPAL_INLINE_OPA_ENABLED", "false".into()),
                ("OPAL_POLICY_STORE_TYPE", "CEDAR".into()),
                ("OPAL_INLINE_CEDAR_ENABLED", "true".into()),
                ("OPAL_INLINE_CEDAR_EXEC_PATH", "/bin/cedar-agent".into()),
                ("OPAL_INLINE_CEDAR_CONFIG", r#"{"addr": "0.0.0.0:8180"}"#.into()),
                ("OPAL_POLICY_STORE_URL", "http://localhost:8180".into()),
            ]),
            Kind::Clients => {}
        }
        env.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    /// The image's `ENTRYPOINT` (none for both OPAL images).
    pub fn entrypoint(&self) -> Vec<String> {
        Vec::new()
    }

    /// The image's `CMD`.
    pub fn cmd(&self) -> Vec<String> {
        match self.kind {
            Kind::Clients => Vec::new(),
            _ => vec!["./start.sh".into()],
        }
    }

    /// Writes the image's own files under `dir`, as they lie in the image: the harness copies
    /// them over the container's root.
    pub fn prepare(&self, dir: &Path) {
        fs::create_dir_all(dir).expect("image folder");
        if let Kind::Clients = self.kind {
            return;
        }
        let (uid, gid) = self.user;
        let put = |rel: &str, content: &str, mode: u32, owner: (u32, u32)| {
            let path = dir.join(rel);
            fs::create_dir_all(path.parent().expect("parent")).expect("image folder");
            fs::write(&path, content).expect("image file");
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
            std::os::unix::fs::chown(&path, Some(owner.0), Some(owner.1)).expect("chown");
        };
        let own_dir = |rel: &str, owner: (u32, u32)| {
            let path = dir.join(rel);
            fs::create_dir_all(&path).expect("image folder");
            std::os::unix::fs::chown(&path, Some(owner.0), Some(owner.1)).expect("chown");
        };
        // `useradd -m -b / -s /bin/bash opal`: the user, its group and its home.
        let passwd = fs::read_to_string("/etc/passwd").expect("/etc/passwd");
        let group = fs::read_to_string("/etc/group").expect("/etc/group");
        let without = |text: &str, id: u32| -> String {
            text.lines().filter(|l| l.split(':').nth(2) != Some(&id.to_string()) && !l.starts_with("opal:")).map(|l| format!("{l}\n")).collect()
        };
        put("etc/passwd", &format!("{}opal:x:{uid}:{gid}::/opal:/bin/bash\n", without(&passwd, uid)), 0o644, (0, 0));
        put("etc/group", &format!("{}opal:x:{gid}:\n", without(&group, gid)), 0o644, (0, 0));
        own_dir("opal", (uid, gid));
        put("opal/start.sh", START_SH, 0o755, (0, 0));
        put("opal/gunicorn_conf.py", GUNICORN_CONF, 0o644, (0, 0));
        if let Kind::OpalClientCedar = self.kind {
            // `RUN mkdir -p /opal/backup` as opal; `COPY --from=cedar-extractor /agent/cedar-agent /bin/cedar-agent`.
            own_dir("opal/backup", (uid, gid));
            let agent = cedar_agent();
            assert!(agent.exists(), "{} is missing: run `bash scripts/install-test-tools.sh` (the README's test command does)", agent.display());
            // `/bin` is `usr/bin` on this machine (merged /usr), as on the image's Debian.
            fs::create_dir_all(dir.join("usr/bin")).expect("usr/bin");
            std::os::unix::fs::symlink(&agent, dir.join("usr/bin/cedar-agent")).expect("symlink cedar-agent");
        }
    }
}
