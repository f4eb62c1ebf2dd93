//! What each container image the charts render needs, read in its upstream source at a pinned
//! release, next to what the chart gives it. One list feeds both the "Images" table of each chart
//! README and the tests that check the chart's side against the rendered objects
//! (`tests/it/upstream.rs`): the default image tag is the row's release, and the ports, probes,
//! variables, writable paths and user are the row's, so a chart that drifts from its table fails.

/// One image: what its documentation asks for, and the chart's side, which the test checks.
#[derive(Clone, Copy)]
pub struct ImageNeeds {
    pub app: &'static str,
    /// What the README calls it.
    pub component: &'static str,
    /// Repository of the chart's default image.
    pub image: &'static str,
    /// Where it renders: the example environment (and `--set` values) of the check, and the
    /// container's name. `None`: an operator runs the image (CloudNativePG's PostgreSQL).
    pub rendered: Option<Rendered>,
    /// The release the facts were read at, and the image tag upstream publishes for it. `None`
    /// only for an image with no public upstream (the Todo backend, built by its team).
    pub release: Option<Release>,
    /// What the program needs to start and do its job, each fact with the upstream file it was
    /// read in (a path in `release.repository` at `release.commit`).
    pub facts: &'static [Fact],
    /// The chart's side, checked: container ports by name and number, probe targets (HTTP
    /// paths, or `tcp:<port name>`), variables it sets, writable mounts (emptyDir or claim), the
    /// UID it runs as.
    pub ports: &'static [(&'static str, u16)],
    pub probes: &'static [&'static str],
    pub env: &'static [&'static str],
    pub writable: &'static [&'static str],
    pub uid: Option<u32>,
    /// Anything else the chart does for it.
    pub note: &'static str,
    /// The application's own image: the chart's appVersion is `release.image_tag`.
    pub app_version: bool,
}

/// Where an image's facts were read: the repository, the release (a tag, or the branch of a
/// program that tags no releases) at its commit, and the tag its registry serves for it.
#[derive(Clone, Copy)]
pub struct Release {
    /// `owner/name` on GitHub.
    pub repository: &'static str,
    /// The git tag read (`v0.25.2`), or the branch for a program without tags (`main`).
    pub tag: &'static str,
    /// The commit of that tag or branch, abbreviated.
    pub commit: &'static str,
    /// The image tag upstream's release workflow publishes for it: the chart's default tag (and,
    /// for an application's own image, its appVersion).
    pub image_tag: &'static str,
    /// The workflow (or document) that publishes the image under that tag.
    pub published_by: &'static str,
}

/// One fact about a program, and the file it was read in.
#[derive(Clone, Copy)]
pub struct Fact {
    pub fact: &'static str,
    pub file: &'static str,
}

/// A fact read in `file`.
pub const fn fact(fact: &'static str, file: &'static str) -> Fact {
    Fact { fact, file }
}

#[derive(Clone, Copy)]
pub struct Rendered {
    pub environment: &'static str,
    pub set: &'static [&'static str],
    pub container: &'static str,
}

const fn at(environment: &'static str, container: &'static str) -> Option<Rendered> {
    Some(Rendered { environment, set: &[], container })
}

/// OPAL's release of the server and Cedar client images (`crate::aeterna::opal::OPAL_VERSION`):
/// 0.9.6, the newest tag of permitio/opal whose release workflow publishes both images and whose
/// packages are on PyPI (`pip index versions opal-server`: no 0.9.1, 0.9.2, 0.9.3).
pub const OPAL_RELEASE: Release = Release {
    repository: "permitio/opal",
    tag: "0.9.6",
    commit: "76f898ec",
    image_tag: "0.9.6",
    published_by: "`.github/workflows/on_release.yml` (job `publish_docker_images`, target `server`)",
};

/// Aeterna's opal-fetcher at the server's release: no workflow of kikokikok/aeterna builds it
/// (`.github/workflows/docker.yml` builds the root `Dockerfile` only), so the operator does, and
/// the chart runs it with the server's tag (`docker/metadata-action`'s `{{version}}`: `0.5.0`).
pub const FETCHER_RELEASE: Release = Release {
    repository: "kikokikok/aeterna",
    tag: "v0.5.0",
    commit: "7d3e6b12",
    image_tag: "0.5.0",
    published_by: "no workflow publishes it (`.github/workflows/docker.yml` builds only `ghcr.io/kikokikok/aeterna`): the operator builds `opal-fetcher/Dockerfile` and tags it like the server",
};

pub const IMAGES: &[ImageNeeds] = &[
    // ----- aeterna
    ImageNeeds {
        app: "aeterna",
        component: "Aeterna server",
        image: "ghcr.io/kikokikok/aeterna",
        rendered: at("production", "aeterna"),
        release: Some(Release { repository: "kikokikok/aeterna", tag: "v0.5.0", commit: "7d3e6b12", image_tag: "0.5.0", published_by: "`.github/workflows/docker.yml`" }),
        facts: &[
            fact(
                "The newest release that is not a prerelease (v0.2.0, v0.4.0, v0.5.0; then v0.7.0-rc to v0.8.0-rc.12); a `v*` tag publishes `ghcr.io/kikokikok/aeterna` as `{{version}}` of docker/metadata-action, `0.5.0` for `v0.5.0` (from v0.8.0-rc.1 `release.yml` publishes `v{version}`)",
                ".github/workflows/docker.yml",
            ),
            fact(
                "`ENTRYPOINT [\"/usr/local/bin/aeterna\"]`, `CMD [\"serve\"]`; user `aeterna`, UID 1000 (`useradd -m -u 1000`); `ENV AETERNA_CONFIG_PATH=/app/config`; exposes 8080 and 9090; health check `curl http://localhost:8080/health`",
                "Dockerfile",
            ),
            fact(
                "`serve` listens on `--port` 8080 and serves metrics on `--metrics-port` 9090; it stops with `Configuration directory not found` unless the directory `AETERNA_CONFIG_PATH` names exists",
                "cli/src/commands/serve.rs",
            ),
            fact("The metrics listener's one route is `/metrics`", "cli/src/server/metrics.rs"),
            fact("`/health` and `/live` answer 200; `/ready` checks PostgreSQL and the vector store", "cli/src/server/health.rs"),
            fact(
                "Refuses to start without `PG_HOST` (or `AETERNA_POSTGRESQL_HOST`), `PG_DATABASE` (or `AETERNA_POSTGRESQL_DATABASE`) and `RD_HOST` (or `AETERNA_REDIS_HOST`); creates its schema at every start (`initialize_schema`); opens the knowledge repository at `AETERNA_KNOWLEDGE_REPO_PATH`, default `./knowledge-repo` in the working directory `/app`; reads `AETERNA_FEATURE_CCA`, `AETERNA_FEATURE_RADKIT`, `AETERNA_FEATURE_RLM`; connects to no cache (from v0.7.0-rc on it does, with `RD_HOST`, `RD_PORT` and no password)",
                "cli/src/server/bootstrap.rs",
            ),
            fact(
                "The configuration from `PG_HOST`, `PG_PORT`, `PG_DATABASE`, `PG_USERNAME`, `PG_PASSWORD`, `RD_HOST`, `RD_PORT`, `QD_HOST`, `QD_PORT` and `OB_TRACING_ENABLED`; no server code reads the Qdrant part or the tracing flag, and nothing reads `OTEL_*`",
                "config/src/loader.rs",
            ),
            fact(
                "`AETERNA_LLM_PROVIDER`: `openai`, `google`, `bedrock` or `none`, any other name an error that stops the server; `openai` reads `OPENAI_API_KEY` and `AETERNA_OPENAI_MODEL`",
                "memory/src/llm/factory.rs",
            ),
            fact("Embeddings: the same provider names; `openai` reads `OPENAI_API_KEY` and `AETERNA_OPENAI_EMBEDDING_MODEL`", "memory/src/embedding/factory.rs"),
            fact(
                "`VECTOR_BACKEND` and the managed backends' variables are read only by `BackendConfig::from_env`, which `serve` does not call (nor does any later release)",
                "memory/src/backends/factory.rs",
            ),
            fact(
                "The migration command is `aeterna admin migrate up` (there is no `aeterna migrate`); it applies migrations 003 to 016, and on a fresh database stops at 009, which needs `organizational_units` from `serve`'s schema (after `serve` ran, at 006)",
                "cli/src/commands/admin.rs",
            ),
            fact(
                "v0.8.0-rc.6 (`bd62042b`): the command, which creates `serve`'s schema first since v0.8.0-rc.5, applies every migration to a fresh database when the role may create roles (migration 025); v0.8.0-rc.10 to rc.12 stop at 009 on a fresh database",
                "cli/src/commands/admin.rs, storage/migrations/025_add_app_roles.sql at v0.8.0-rc.6",
            ),
            fact(
                "v0.8.0-rc.9 (`6537a5a1`): `AETERNA_OPENAI_BASE_URL` sends the `openai` provider's chat and embeddings to an OpenAI-compatible endpoint; upstream runs Ollama as provider `openai`, base URL `<host>/v1`, key `ollama`",
                "memory/src/llm/factory.rs, memory/src/embedding/factory.rs, e2e/llm/ollama.sh at v0.8.0-rc.9",
            ),
        ],
        ports: &[("http", 8080), ("metrics", 9090)],
        probes: &["/health", "/ready"],
        env: &[
            "PG_HOST",
            "PG_PORT",
            "PG_DATABASE",
            "PG_USERNAME",
            "PG_PASSWORD",
            "RD_HOST",
            "RD_PORT",
            "QD_HOST",
            "QD_PORT",
            "AETERNA_LLM_PROVIDER",
            "OPENAI_API_KEY",
            "AETERNA_OPENAI_MODEL",
            "AETERNA_OPENAI_EMBEDDING_MODEL",
            "AETERNA_FEATURE_CCA",
            "AETERNA_FEATURE_RADKIT",
            "AETERNA_FEATURE_RLM",
            "OB_TRACING_ENABLED",
            "AETERNA_CONFIG_PATH",
            "AETERNA_KNOWLEDGE_REPO_PATH",
        ],
        writable: &["/tmp", "/app/config"],
        uid: Some(1000),
        note: "The Cedar agent through a Service with `internalTrafficPolicy: Local` (its own node's agent); the knowledge repository in `/tmp/knowledge-repo`; the migration Job (off by default; images 0.8.0-rc.6 and later) runs the same image with `aeterna admin migrate up`.",
        app_version: true,
    },
    ImageNeeds {
        app: "aeterna",
        component: "opal-server",
        image: "docker.io/permitio/opal-server",
        rendered: at("production", "opal-server"),
        release: Some(OPAL_RELEASE),
        facts: &[
            fact(
                "Target `server`: listens on 7002 (`UVICORN_PORT`); runs as the user `opal` (UID 1000, the first user `useradd` makes on `python:3.10-slim-bookworm`) with the working directory `/opal`; sets `OPAL_POLICY_REPO_REUSE_CLONE_PATH=true`",
                "docker/Dockerfile",
            ),
            fact(
                "Runs gunicorn with `UVICORN_NUM_WORKERS` uvicorn workers (gunicorn keeps its workers' heartbeat files in `/tmp`) and refuses more than one without `OPAL_BROADCAST_URI`",
                "scripts/start.sh",
            ),
            fact("Health on `/healthcheck` and `/`", "packages/opal-server/opal_server/server.py"),
            fact(
                "Reads `OPAL_POLICY_REPO_URL` (no default), `OPAL_POLICY_REPO_MAIN_BRANCH` (`master`), `OPAL_POLICY_REPO_POLLING_INTERVAL` (0: only the webhook's `OPAL_POLICY_REPO_WEBHOOK_SECRET`), `OPAL_POLICY_REPO_SSH_KEY`, `OPAL_BROADCAST_URI`, `OPAL_BROADCAST_CHANNEL_NAME` (`EventNotifier`), `OPAL_DATA_CONFIG_SOURCES`, `OPAL_FILTER_FILE_EXTENSIONS` (`.rego`, `.json`) and, in secure mode, `OPAL_AUTH_PRIVATE_KEY` and `OPAL_AUTH_MASTER_TOKEN`; writes its clone to `OPAL_POLICY_REPO_CLONE_PATH` (`regoclone` in the working directory), its JWKS to `OPAL_AUTH_JWKS_STATIC_DIR` (`jwks_dir` there), its leader lock and bundles to `/tmp`",
                "packages/opal-server/opal_server/config.py",
            ),
            fact(
                "Reads `OPAL_POLICY_REPO_POLICY_EXTENSIONS` (`.rego`: which files are policies), `OPAL_AUTH_PUBLIC_KEY` and `OPAL_GIT_SSH_KEY_FILE` (`~/.ssh/opal_repo_ssh_key`)",
                "packages/opal-common/opal_common/config.py",
            ),
            fact("Writes the SSH key to `OPAL_GIT_SSH_KEY_FILE` and runs ssh with `StrictHostKeyChecking=no`", "packages/opal-common/opal_common/git_utils/env.py"),
            fact("OPAL's Cedar setup sets both extension lists to `.cedar` and registers its data with an empty `dst_path`", "docker/docker-compose-example-cedar.yml"),
        ],
        ports: &[("http", 7002)],
        probes: &["/healthcheck"],
        env: &[
            "OPAL_POLICY_REPO_URL",
            "OPAL_POLICY_REPO_MAIN_BRANCH",
            "OPAL_POLICY_REPO_POLLING_INTERVAL",
            "OPAL_POLICY_REPO_SSH_KEY",
            "OPAL_GIT_SSH_KEY_FILE",
            "OPAL_BROADCAST_URI",
            "OPAL_BROADCAST_CHANNEL_NAME",
            "UVICORN_NUM_WORKERS",
            "OPAL_DATA_CONFIG_SOURCES",
            "OPAL_FILTER_FILE_EXTENSIONS",
            "OPAL_POLICY_REPO_POLICY_EXTENSIONS",
            "OPAL_AUTH_PRIVATE_KEY",
            "OPAL_AUTH_PUBLIC_KEY",
            "OPAL_AUTH_MASTER_TOKEN",
        ],
        writable: &["/tmp", "/opal/regoclone", "/opal/jwks_dir"],
        uid: Some(1000),
        note: "The broadcast channel is the cache's Redis pub/sub, on a channel of the release's own; one uvicorn worker per pod, 3 replicas; the SSH key goes to `/tmp/opal_repo_ssh_key`.",
        app_version: false,
    },
    ImageNeeds {
        app: "aeterna",
        component: "OPAL client with Cedar (cedar-agent)",
        image: "docker.io/permitio/opal-client-cedar",
        rendered: at("production", "cedar-agent"),
        release: Some(Release { published_by: "`.github/workflows/on_release.yml` (job `publish_docker_images`, target `client-cedar`, pushed from 0.7.8 on)", ..OPAL_RELEASE }),
        facts: &[
            fact(
                "Target `client-cedar`: the client (`UVICORN_PORT` 7000) with cedar-agent 0.2.1 (from `permitio/cedar-agent:0.2.1`) run inline: `OPAL_POLICY_STORE_TYPE=CEDAR`, `OPAL_INLINE_CEDAR_CONFIG` binds 0.0.0.0:8180, `OPAL_POLICY_STORE_URL=http://localhost:8180`; `VOLUME /opal/backup`; user `opal` (UID 1000)",
                "docker/Dockerfile",
            ),
            fact(
                "Reads `OPAL_SERVER_URL` (`http://localhost:7002`), `OPAL_CLIENT_TOKEN` (presented to a server in secure mode), `OPAL_POLICY_STORE_TYPE`, and subscribes to `OPAL_DATA_TOPICS` (`policy_data`)",
                "packages/opal-client/opal_client/config.py",
            ),
            fact(
                "`/ready` answers 200 once a policy and a data update were stored; `/healthcheck` (also `/`, `/healthy`) only while the last ones were stored and the agent answers",
                "packages/opal-client/opal_client/client.py",
            ),
            fact(
                "Cedar takes data only at the root (another `dst_path`: \"Cedar can only change the entire data structure at once\") and as a list of entities, PUT to the agent's `/v1/data`",
                "packages/opal-client/opal_client/policy_store/cedar_client.py",
            ),
            fact("cedar-agent's `PUT /v1/data` takes a JSON array of entities (`Entities(Vec<Entity>)`)", "permitio/cedar-agent 0.2.1 (`aec5db9`): `src/schemas/data.rs`"),
        ],
        ports: &[("http", 8180), ("client", 7000)],
        probes: &["tcp:client", "/ready"],
        env: &["OPAL_SERVER_URL", "OPAL_CLIENT_TOKEN", "OPAL_POLICY_STORE_TYPE"],
        writable: &["/tmp", "/opal/backup"],
        uid: Some(1000),
        note: "A DaemonSet (one per node) tolerating control-plane nodes, behind a Service with `internalTrafficPolicy: Local`; ready on `/ready`, live while the client port answers (a `/healthcheck` liveness would restart every agent while a data source fails). Fetches opal-fetcher's data directly.",
        app_version: false,
    },
    ImageNeeds {
        app: "aeterna",
        component: "opal-fetcher (the operator's build; the examples' repository)",
        image: "ghcr.io/acme/aeterna-opal-fetcher",
        // The server's tag, which the fetcher's follows, as the release's.
        rendered: Some(Rendered { environment: "production", set: &["aeterna.image.tag=0.5.0"], container: "opal-fetcher" }),
        release: Some(FETCHER_RELEASE),
        facts: &[
            fact(
                "Does not start without `DATABASE_URL` (a PostgreSQL URL: it reads the organisation from the server's database); reads `HOST` (0.0.0.0), `PORT` (8080), `ENABLE_LISTENER` (LISTEN/NOTIFY, on), `MAX_CONNECTIONS` (10), `OPAL_SERVER_URL` (optional)",
                "opal-fetcher/src/state.rs",
            ),
            fact("Routes `/health` (200 while the database answers), `/metrics`, `/v1/hierarchy`, `/v1/users`, `/v1/agents`, `/v1/all`", "opal-fetcher/src/routes.rs"),
            fact("`/v1/all` answers an object, `{\"entities\": [...], \"timestamp\", \"count\"}`", "opal-fetcher/src/entities.rs"),
            fact(
                "With `OPAL_SERVER_URL` its listener posts updates for `http://opal-fetcher:8080/v1/<type>` on the topics `hierarchy`, `users`, `agents`",
                "opal-fetcher/src/listener.rs",
            ),
            fact(
                "`debian:bookworm-slim` with the binary in `/usr/local/bin` and no `USER`; its `OPAL_FETCHER_HOST` and `OPAL_FETCHER_PORT` are read by nothing, its HEALTHCHECK calls curl, which it lacks",
                "opal-fetcher/Dockerfile",
            ),
            fact(
                "The Aeterna server fetches `GET <AETERNA_OPAL_FETCHER_URL>/v1/all` (every version from v0.2.0 to v0.8.0-rc.12) and reads its `entities`",
                "adapters/src/auth/cedar.rs",
            ),
            fact("From v0.8.0-rc.4 (`b8fbcb19`) every entity route answers 400 without `?tenant=<uuid>`", "opal-fetcher/src/handlers.rs at v0.8.0-rc.4"),
        ],
        ports: &[("http", 8080)],
        probes: &["/health"],
        env: &["DATABASE_URL"],
        writable: &[],
        uid: Some(1000),
        note: "No default repository: the chart refuses OPAL without `opal.fetcher.image.repository`; the tag is the server's unless set. `DATABASE_URL` is composed from `$(PG_USERNAME)` and `$(PG_PASSWORD)`, read from the bundled cluster's `<cluster>-app` Secret or the external database's password Secret (the password must be URL-safe: one from values is refused otherwise; the external user name is percent-encoded); registered in opal-server's `OPAL_DATA_CONFIG_SOURCES` as `http://<fullname>-opal-fetcher:8080/v1/all` (`?tenant=` with `opal.fetcher.tenant`), topic `policy_data`, `dst_path` empty; `OPAL_SERVER_URL` stays unset.",
        app_version: false,
    },
    ImageNeeds {
        app: "aeterna",
        component: "Dragonfly",
        image: "docker.dragonflydb.io/dragonflydb/dragonfly",
        rendered: at("production", "dragonfly"),
        release: Some(Release {
            repository: "dragonflydb/dragonfly",
            tag: "v1.30.3",
            commit: "a8c40e34",
            image_tag: "v1.30.3",
            published_by: "`.github/workflows/docker-release2.yml`",
        }),
        facts: &[
            fact(
                "A published release pushes `ghcr.io/dragonflydb/dragonfly:<release tag>` (`v1.30.3`, with its `v`), built from `tools/packaging/Dockerfile.ubuntu-prod`, and the same to Google Artifact Registry; upstream's own chart pulls `docker.dragonflydb.io/dragonflydb/dragonfly` (`contrib/charts/dragonfly/values.yaml`): no workflow pushes to that name, and the source does not say how it serves ghcr.io's images",
                ".github/workflows/docker-release2.yml",
            ),
            fact(
                "Ubuntu 22.04; user `dfly`, UID and GID 999 (`groupadd -r -g 999 dfly && useradd -r -g dfly -u 999 dfly`), owner of `/data`, the `VOLUME` and working directory; `ENTRYPOINT [\"entrypoint.sh\"]`, `CMD [\"dragonfly\", \"--logtostderr\"]`; exposes 6379; `HEALTHCHECK` runs `healthcheck.sh`",
                "tools/packaging/Dockerfile.ubuntu-prod",
            ),
            fact(
                "Arguments that begin with `-` get `dragonfly --logtostderr` before them; as root it chowns the working directory to `dfly` and drops to it (`setpriv`), as any other user it runs the server directly; `ulimit -l 65000` fails silently without the privilege",
                "tools/docker/entrypoint.sh",
            ),
            fact(
                "Health is `PING` over TCP to the server's port; its comment runs the image unprivileged (`--user 999 --group-add 999 --cap-drop=ALL`)",
                "tools/docker/healthcheck.sh",
            ),
            fact("`--port` defaults to 6379", "src/server/main_service.cc"),
            fact(
                "`--dir` is the working directory and `--dbfilename` (`dump-{timestamp}`) the snapshot's name: the newest snapshot there is loaded at start (a failed load stops the server) and one is saved at shutdown",
                "src/server/server_family.cc",
            ),
            fact("`--cache_mode`: evict entries when close to `maxmemory`", "src/server/engine_shard_set.cc"),
            fact(
                "Threads follow the cgroup's CPU limit and `maxmemory` defaults to 80% of its memory limit; fewer than 256 MiB of `maxmemory` per thread stops the server; without enough locked memory for io_uring (the Docker guide's `--ulimit memlock=-1`) it warns and runs on epoll",
                "src/server/dfly_main.cc",
            ),
            fact(
                "Upstream's chart suggests `runAsNonRoot`, `runAsUser: 1000`, `readOnlyRootFilesystem: true` and dropping every capability",
                "contrib/charts/dragonfly/values.yaml",
            ),
        ],
        ports: &[("redis", 6379)],
        probes: &["tcp:redis"],
        env: &[],
        writable: &["/data"],
        uid: Some(1000),
        note: "`--dir=/data --cache_mode=true --port=6379`, after which the entrypoint puts `dragonfly --logtostderr` (no log files on the read-only root); /data is a claim per pod, group-writable through `fsGroup`. The default limits (1 CPU, 1Gi) give one thread and about 820 MiB of `maxmemory`: a higher CPU limit needs 320Mi of memory limit per CPU. Kubernetes sets no memlock limit per pod: where the node's is too small, Dragonfly runs on epoll.",
        app_version: false,
    },
    ImageNeeds {
        app: "aeterna",
        component: "Valkey",
        image: "docker.io/valkey/valkey",
        rendered: Some(Rendered { environment: "local", set: &["cache.type=valkey", "cache.valkey.enabled=true", "cache.dragonfly.enabled=false"], container: "valkey" }),
        release: Some(Release {
            repository: "valkey-io/valkey-container",
            tag: "mainline (no tags; the `8.1` directory)",
            commit: "00a2b211",
            image_tag: "8.1",
            published_by: "`.github/workflows/ci.yml` (at `08880084`)",
        }),
        facts: &[
            fact(
                "The `8.1` directory builds Valkey 8.1.8 on `debian:trixie-slim` (the newest 8.1 read; the `8.1` tag follows later ones); its tags are the full version and each shorter one down to the directory's name (`8.1.8`, `8.1`), with their `-trixie` and `-alpine` variants",
                "versions.json, generate-stackbrew-library.sh at 0586ccf8",
            ),
            fact(
                "A push to `mainline` that changes a version's directory builds it and pushes those tags to Docker Hub (`valkey/valkey`, the README's \"Official Image\") and `ghcr.io/valkey-io/valkey`",
                ".github/workflows/ci.yml at 08880084, README.md at ae6141ea",
            ),
            fact(
                "User `valkey`, UID and GID 999; `/data` owned by it with mode 1777, the working directory (no `VOLUME`); `ENTRYPOINT [\"docker-entrypoint.sh\"]`, `CMD [\"valkey-server\"]`; exposes 6379; protected mode off (patched in the source)",
                "8.1/debian/Dockerfile",
            ),
            fact(
                "Arguments that begin with `-` (or name a `.conf` file) get `valkey-server` before them; as root it chowns the working directory to `valkey` and drops to it (`setpriv`), as any other user it runs the server directly (later versions first check that the working directory is writable); `$VALKEY_EXTRA_FLAGS` is appended. `apply-templates.sh` copies the script into each version's directory; its `8.1` copy was not at hand, but every version read (the script at 2a80026d, the 9.2 copy, the 8.0 copy at ae6141ea) does this",
                "docker-entrypoint.sh at 2a80026d, 9.2/debian/docker-entrypoint.sh at aa1603cd, 8.0/debian/docker-entrypoint.sh at ae6141ea",
            ),
            fact("CI runs the image as `--user 1000:1000` and writes a key", ".test/tests/valkey-user-flag/run.sh at 1a7ef668"),
            fact(
                "`--save \"3600 1\"`: an option of several arguments given as one is split at its spaces; `port` defaults to 6379 (read at 8.0.1: the copy of the server's repository at hand has no 8.1 tag)",
                "valkey-io/valkey src/config.c, src/server.c at 8.0.1 (4fbab574)",
            ),
        ],
        ports: &[("redis", 6379)],
        probes: &["tcp:redis"],
        env: &[],
        writable: &["/data"],
        uid: Some(1000),
        note: "`--dir /data --save \"3600 1\" --port 6379`, after which the entrypoint puts `valkey-server`; /data is a claim per pod, group-writable through `fsGroup`.",
        app_version: false,
    },
    ImageNeeds {
        app: "aeterna",
        component: "Qdrant",
        image: "docker.io/qdrant/qdrant",
        rendered: at("production", "qdrant"),
        release: Some(Release {
            repository: "qdrant/qdrant",
            tag: "v1.13.6",
            commit: "4db98ecd",
            image_tag: "v1.13.6-unprivileged",
            published_by: "`.github/workflows/docker-image.yml`",
        }),
        facts: &[
            fact(
                "A tag push builds `qdrant/qdrant:<tag>` (`v1.13.6`, with its `v`) and `qdrant/qdrant:<tag>-unprivileged` with `--build-arg USER_ID=1000`, and copies both to `docker.pkg.github.com/qdrant/qdrant/qdrant`",
                ".github/workflows/docker-image.yml",
            ),
            fact(
                "`ARG USER_ID=0`, `USER \"$USER_ID:$USER_ID\"`: the standard image runs as root; with `USER_ID` set it makes user and group `qdrant` with that ID and gives them `/qdrant`, `/qdrant/storage` and `/qdrant/snapshots`. Working directory `/qdrant`; `CMD [\"./entrypoint.sh\"]`; `RUN_MODE=production`; exposes 6333 and 6334",
                "Dockerfile",
            ),
            fact(
                "Runs `./qdrant`, passing on SIGTERM; only with `QDRANT_ALLOW_RECOVERY_MODE=true` does it read `QDRANT_INIT_FILE_PATH` (default `.qdrant-initialized`), to restart a server killed while starting in recovery mode",
                "tools/entrypoint.sh",
            ),
            fact(
                "The server removes the marker at start and writes it once started, at `QDRANT_INIT_FILE_PATH`, else `.qdrant-initialized` in the working directory (a failed write is a warning)",
                "src/startup.rs, src/main.rs",
            ),
            fact(
                "`storage_path: ./storage`, `snapshots_path: ./snapshots`, temporary files in `tmp` under each unless `temp_path` is set; HTTP on `http_port` 6333, gRPC on `grpc_port` 6334, host 0.0.0.0",
                "config/config.yaml, lib/storage/src/content_manager/toc/temp_directories.rs",
            ),
            fact(
                "`/healthz` and `/livez` answer 200; `/readyz` answers 503 while shards are not ready (checked only in a distributed deployment); the three need no API key",
                "src/actix/api/service_api.rs, src/actix/mod.rs, src/main.rs",
            ),
        ],
        ports: &[("http", 6333), ("grpc", 6334)],
        probes: &["/healthz", "/readyz"],
        env: &["QDRANT_INIT_FILE_PATH"],
        writable: &["/qdrant/storage", "/qdrant/snapshots", "/qdrant/init", "/tmp"],
        uid: Some(1000),
        note: "The `-unprivileged` image, whose user is UID 1000; the claim is group-writable through `fsGroup`; the marker in `/qdrant/init` (the root filesystem is read-only).",
        app_version: false,
    },
    ImageNeeds {
        app: "aeterna",
        component: "PostgreSQL (CloudNativePG)",
        image: "ghcr.io/cloudnative-pg/postgresql",
        rendered: None,
        release: Some(Release {
            repository: "cloudnative-pg/cloudnative-pg",
            tag: "v1.30.0",
            commit: "4b5e244a",
            image_tag: "18.4-system-trixie",
            published_by: "the operator's `DefaultImageName`; cloudnative-pg/postgres-containers `.github/workflows/bake.yml` pushes it",
        }),
        facts: &[
            fact(
                "`DefaultImageName` is `ghcr.io/cloudnative-pg/postgresql:18.4-system-trixie`, run unless the `Cluster` names an `imageName` (`18.6-system-trixie` on `main` at `a95a534`, whose CRDs `crates/manifests/src/model/objects/crds/` holds: v1.30.0's with fields added)",
                "pkg/versions/versions.go",
            ),
            fact(
                "Pods run as UID and GID 26 (`DefaultPostgresUID`, `DefaultPostgresGID`), with `fsGroup` 26 and `runAsNonRoot`, unless the `Cluster` sets `postgresUID`, `postgresGID` or a pod security context",
                "api/v1/cluster_types.go, pkg/specs/pods.go",
            ),
            fact(
                "The read-write Service is `<cluster>-rw`; the application Secret `<cluster>-app` (unless the bootstrap names another), with `username`, `password`, `dbname`, `host`, `port` and `uri`",
                "api/v1/cluster_types.go, api/v1/cluster_funcs.go, pkg/specs/secrets.go",
            ),
            fact(
                "In-tree Barman Cloud backups (`spec.backup.barmanObjectStore`) are deprecated: the webhook warns that 1.31.0 removes them in favour of the Barman Cloud plugin",
                "internal/webhook/v1/cluster_webhook.go",
            ),
            fact(
                "Images `minimal` (PGDG's PostgreSQL, `usermod -u 26 postgres`, `USER 26`), `standard` (adds pgaudit, pgvector, pg-failover-slots, every locale) and `system` (`standard` and the Barman Cloud binaries in-tree backups run; deprecated with them), tagged `<version>-<flavour>-<debian>` on `ghcr.io/cloudnative-pg/postgresql`",
                "cloudnative-pg/postgres-containers Dockerfile, docker-bake.hcl, README.md, .github/workflows/bake_targets.yml at a949ae58",
            ),
        ],
        ports: &[],
        probes: &[],
        env: &[],
        writable: &[],
        uid: None,
        note: "A `Cluster` with `postgresql.instances`, storage, database and owner `aeterna`, pgvector's `CREATE EXTENSION` after init; the server reads `<cluster>-rw` and the `username` and `password` of `<cluster>-app`. `postgresql.imageName` overrides the operator's default image: a `standard` or `system` one for pgvector, a `system` one for `postgresql.backup` (in-tree Barman Cloud, which needs an operator older than 1.31).",
        app_version: false,
    },
    // ----- backbone
    ImageNeeds {
        app: "backbone",
        component: "Backbone",
        image: "ghcr.io/morten-olsen/backbone",
        rendered: at("production", "backbone"),
        release: Some(Release { repository: "morten-olsen/backbone", tag: "main", commit: "47a8dd9", image_tag: "main", published_by: ".github/workflows/pipeline-default.yaml" }),
        facts: &[
            fact(
                "CI pushes `ghcr.io/morten-olsen/backbone` from every push to `main`, tagged by `docker/metadata-action`'s defaults: the one tag `main`, which moves; the repository has no release tags",
                ".github/workflows/pipeline-default.yaml",
            ),
            fact(
                "`FROM node:23-slim` with no `USER` (root, unless the pod sets one; UID 1000 is the base image's `node` user); `CMD [\"/app/bin/start.js\"]`, Node running `src/start.ts`",
                "Dockerfile",
            ),
            fact(
                "Reads `HTTP_PORT` (default 8883), `TCP_PORT` (1883), `API_ENABLED`, `WS_ENABLED`, `TCP_ENABLED`, `K8S_ENABLED`, `OIDC_ENABLED`, `REDIS_ENABLED` (each on only when `true`), `ADMIN_TOKEN`, `JWT_SECRET`, `OIDC_DISCOVERY_URL`, `OIDC_CLIENT_ID`, `OIDC_CLIENT_SECRET`, `OIDC_GROUP_FIELD` (`groups`), `OIDC_ADMIN_GROUP`, `OIDC_WRITER_GROUP`, `OIDC_READER_GROUP`, `REDIS_HOST`, `REDIS_PORT` (6379), `REDIS_PASSWORD`, `REDIS_DB` (0); no other variable",
                "src/config/config.ts",
            ),
            fact(
                "With `K8S_ENABLED`, sets up Kubernetes before any listener; then the HTTP server on 0.0.0.0:`HTTP_PORT` with `API_ENABLED` or `WS_ENABLED`, MQTT on `TCP_PORT` with `TCP_ENABLED`: with none of them nothing listens",
                "src/backbone.ts",
            ),
            fact(
                "The HTTP server serves `GET /health`, `/ws`, `/docs` and `/api` (no metrics); its setup calls `swagger()`, which only the API registers, so it starts only with `API_ENABLED`. Sessions and retained messages are in memory, or in Redis with `REDIS_ENABLED`; no file is written",
                "src/server/server.ts",
            ),
            fact(
                "Creates the CRDs `clients.backbone.mortenolsen.pro` and `topics.backbone.mortenolsen.pro`, and patches them by name when they exist",
                "src/services/k8s/k8s.crd.ts",
            ),
            fact("Lists and watches Secrets, Clients and Topics in every namespace", "src/services/k8s/k8s.watcher.ts"),
            fact("Creates the Secret `<client>-secret` in a Client's namespace when it has none", "src/auth/auth.k8s.ts"),
        ],
        ports: &[("http", 8883), ("mqtt", 1883)],
        probes: &["/health"],
        env: &[
            "HTTP_PORT",
            "TCP_PORT",
            "K8S_ENABLED",
            "WS_ENABLED",
            "API_ENABLED",
            "TCP_ENABLED",
            "OIDC_ENABLED",
            "REDIS_ENABLED",
            "REDIS_HOST",
            "REDIS_PORT",
            "REDIS_DB",
            "ADMIN_TOKEN",
            "JWT_SECRET",
            "OIDC_CLIENT_SECRET",
            "REDIS_PASSWORD",
        ],
        writable: &["/data", "/tmp"],
        uid: Some(1000),
        note: "With `k8s.enabled`, the pod's ServiceAccount token and a ClusterRole `<fullname>.<namespace>` of exactly those Kubernetes calls; pull policy `Always` (a moving tag); \
               `/data` is a claim for later versions (this one writes nothing there); without the API the probes check TCP on `mqtt`.",
        app_version: true,
    },
    // ----- dbbat
    ImageNeeds {
        app: "dbbat",
        component: "DBBat",
        image: "ghcr.io/fclairamb/dbbat",
        rendered: at("production", "dbbat"),
        release: Some(Release { repository: "fclairamb/dbbat", tag: "v0.25.2", commit: "19a1c7e2", image_tag: "0.25.2", published_by: ".github/workflows/release.yml" }),
        facts: &[
            fact("Each `v*` tag publishes `ghcr.io/fclairamb/dbbat:<tag without v>` and `latest`; the tags end at `v0.25.2`, there is no `1.0.0`", ".github/workflows/release.yml"),
            fact("Runs `./dbbat` in `/app` (serving is the default command) on `gcr.io/distroless/base-debian13:nonroot`, UID 65532; `EXPOSE 5432 8080`", "Dockerfile"),
            fact(
                "Reads `DBB_*` variables: `DBB_DSN` (required), `DBB_KEY` (base64 of 32 bytes) or `DBB_KEYFILE` (32 raw bytes), else it writes a new key to `~/.dbbat/key`; \
                 `DBB_LISTEN_PG` (default `:5433`), `DBB_LISTEN_API` (`:4200`), and `DBB_LISTEN_ORA`, `DBB_LISTEN_MYSQL`, `DBB_LISTEN_MONGO`, `DBB_LISTEN_MSSQL` \
                 (`:1522`, `:3307`, `:27018`, `:1434`, each off when empty); `DBB_BASE_URL` (`/app`); `DBB_RUN_MODE` (`\"\"`, `test`, `demo`)",
                "internal/config/config.go",
            ),
            fact(
                "At each start: migrates its database (dropping every table first in `test` and `demo`), creates `admin` with the password `admin` when it has no user, \
                 then starts the API and the proxies whose address is set",
                "main.go",
            ),
            fact("`GET /api/v1/health` answers 200 while the database answers a ping, 503 otherwise; no metrics route", "internal/api/server.go"),
            fact(
                "Hands `DBB_DSN` to uptrace/bun's `pgdriver.WithDSN` (v1.2.18, `go.mod`), which parses it with Go's `net/url`, panics when it cannot, and reads a CA file \
                 from `sslrootcert` (`driver/pgdriver/config.go` of uptrace/bun)",
                "internal/store/store.go",
            ),
            fact(
                "The proxy's TLS certificate is made in memory: with its key given, DBBat writes no file (packet dumps only under `DBB_DUMP_DIR`, unset)",
                "internal/proxy/postgresql/tls.go",
            ),
        ],
        ports: &[("http", 8080), ("postgres", 5432)],
        probes: &["/api/v1/health"],
        env: &["DBB_LISTEN_PG", "DBB_LISTEN_API", "DBB_LISTEN_ORA", "DBB_LISTEN_MYSQL", "DBB_LISTEN_MONGO", "DBB_LISTEN_MSSQL", "DBB_BASE_URL", "DBB_KEY", "DBB_DSN"],
        writable: &["/tmp"],
        uid: Some(65532),
        note: "The DSN composed from `postgresql.external.*` percent-encodes the password and names the CA of `sslRootCert` (a Secret mounted at `/etc/dbbat/postgresql-ca`) in `sslrootcert`; the Oracle, MySQL, MongoDB and SQL Server listeners are off; NOTES.txt warns of the `admin` account.",
        app_version: true,
    },
    // ----- backend
    ImageNeeds {
        app: "backend",
        component: "Todo backend",
        image: "todo-backend",
        rendered: at("prod", "backend"),
        release: None,
        facts: &[fact(
            "HTTP on 8001, `/health` (liveness) and `/ready` (readiness); needs `DATABASE_URL`, `BETTER_AUTH_SECRET`, `GROQ_API_KEY`; runs as UID 1001.",
            "`todo-backend-chart-contract.md`",
        )],
        ports: &[("http", 8001)],
        probes: &["/health", "/ready"],
        env: &["DATABASE_URL", "BETTER_AUTH_SECRET", "GROQ_API_KEY", "LLM_PROVIDER", "FRONTEND_URL"],
        writable: &["/tmp"],
        uid: Some(1001),
        note: "",
        app_version: true,
    },
];

/// The images of `app`.
pub fn of(app: &str) -> impl Iterator<Item = &'static ImageNeeds> + '_ {
    IMAGES.iter().filter(move |i| i.app == app)
}

fn code_list(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().collect();
    if items.is_empty() { "none".into() } else { items.join(", ") }
}

/// The chart README's "Images" section of `app`.
pub fn readme_section(app: &str) -> String {
    let mut out = String::from(
        "## Images\n\nWhat each image needs to start and do its job, read in its upstream source at the release named, and \
         what the chart gives it (`tests/it/upstream.rs` checks the chart's side and the default tag against the rendered \
         objects).\n\n\
         | Image | Release read | What the program needs (file) | The chart gives |\n| --- | --- | --- | --- |\n",
    );
    for i in of(app) {
        let gives = if i.rendered.is_none() {
            i.note.to_string()
        } else {
            let ports = code_list(i.ports.iter().map(|(n, p)| format!("`{p}` ({n})")));
            let probes = code_list(i.probes.iter().map(|p| match p.strip_prefix("tcp:") {
                Some(port) => format!("TCP on {port}"),
                None => format!("`{p}`"),
            }));
            let env = code_list(i.env.iter().map(|e| format!("`{e}`")));
            let writable = code_list(i.writable.iter().map(|w| format!("`{w}`")));
            let uid = i.uid.map(|u| format!(" UID {u}, read-only root filesystem.")).unwrap_or_default();
            let note = if i.note.is_empty() { String::new() } else { format!(" {}", i.note) };
            format!("Ports {ports}; probes {probes}; sets {env}; writable {writable}.{uid}{note}")
        };
        let release = match &i.release {
            Some(r) => format!("`{}` {} (`{}`); image tag `{}` ({})", r.repository, r.tag, r.commit, r.image_tag, r.published_by),
            None => "no public upstream".to_string(),
        };
        let facts = i.facts.iter().map(|f| format!("{} (`{}`)", f.fact.trim_end_matches('.'), f.file)).collect::<Vec<_>>().join(". ");
        out.push_str(&format!("| {} (`{}`) | {} | {}. | {} |\n", i.component, i.image, release, facts, gives));
    }
    out
}

/// The README of `app`: its hand-written part and the images table.
pub fn readme(app: &str, written: &str) -> String {
    format!("{}\n\n{}", written.trim_end(), readme_section(app))
}
