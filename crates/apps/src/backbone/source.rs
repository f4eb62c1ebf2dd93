//! What Backbone's upstream source says, read in `morten-olsen/backbone` at 47a8dd9 (the head
//! of `main`, which `.github/workflows/pipeline-default.yaml` publishes as
//! `ghcr.io/morten-olsen/backbone:main`; the repository has no tags). The chart is built from
//! these constants and `tests/it/upstream.rs` pins what it renders to them, each with the file
//! it was read in.

use kforge::objects::{NamedPolicyRule, PolicyRule};

/// The repository on GitHub.
pub const REPOSITORY: &str = "morten-olsen/backbone";
/// The commit read (`main`).
pub const COMMIT: &str = "47a8dd9";
/// The image CI publishes: `pipeline-default.yaml` pushes `${{ github.repository }}` to ghcr.io
/// with `docker/metadata-action`'s default tags, which on a push to `main` is the branch name,
/// `main`, only (no release tags, no `latest`).
pub const IMAGE: &str = "ghcr.io/morten-olsen/backbone";
/// The only tag published: mutable, it moves with every push to `main`.
pub const TAG: &str = "main";
/// The image runs its own program: `Dockerfile` ends in `CMD ["/app/bin/start.js"]`, whose
/// shebang is `/usr/local/bin/node --no-warnings` and which imports `src/start.ts`. The chart
/// sets no command or arguments.
pub const CMD: &str = "/app/bin/start.js";
/// `Dockerfile`: `FROM node:23-slim`, no `USER`, so the image runs as root; the base image's
/// user `node` is UID 1000, which the chart runs it as. The files under `/app` are root's and
/// world-readable; the program opens no file for writing (no `fs` write, no SQLite: `knex`,
/// `better-sqlite3` and `pg` are in `package.json` but no file of `src/` imports them), so the
/// root filesystem can be read-only.
pub const UID: u32 = 1000;

/// Every environment variable the program reads, all in `src/config/config.ts` (no other file of
/// `src/` or `bin/` reads `process.env`; `src/dev.ts` sets some for `pnpm dev` only).
pub const READS: &[&str] = &[
    "JWT_SECRET",
    "ADMIN_TOKEN",
    "OIDC_ENABLED",
    "OIDC_DISCOVERY_URL",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_GROUP_FIELD",
    "OIDC_ADMIN_GROUP",
    "OIDC_WRITER_GROUP",
    "OIDC_READER_GROUP",
    "REDIS_ENABLED",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_PASSWORD",
    "REDIS_DB",
    "K8S_ENABLED",
    "HTTP_PORT",
    "API_ENABLED",
    "WS_ENABLED",
    "TCP_ENABLED",
    "TCP_PORT",
];

/// `HTTP_PORT` unset (`src/config/config.ts`): the HTTP server (API, WebSocket, `/health`)
/// listens on 0.0.0.0:8883 (`src/backbone.ts`).
pub const HTTP_PORT: u16 = 8883;
/// `TCP_PORT` unset (`src/config/config.ts`): MQTT over TCP on 1883.
pub const TCP_PORT: u16 = 1883;
/// `src/server/server.ts` registers `GET /health` (`{"status": "ok"}`) on the HTTP server, which
/// `src/backbone.ts` starts when `API_ENABLED` or `WS_ENABLED`. Without `API_ENABLED` the
/// server's setup calls `http.swagger()`, which only the API registers, and the start fails: in
/// effect the HTTP server, `/health` and the WebSocket need the API.
pub const HEALTH: &str = "/health";

/// The group and plural names of the CRDs the broker installs at start (`src/utils/consts.ts`
/// `API_VERSION`, `src/services/k8s/k8s.ts` kinds `Client` and `Topic`, plural
/// `kind.toLowerCase() + 's'` in `src/services/k8s/k8s.crd.ts`).
pub const CRDS: &[&str] = &["clients.backbone.mortenolsen.pro", "topics.backbone.mortenolsen.pro"];

/// The calls of the Kubernetes integration (`K8S_ENABLED`), as rules, all made before the
/// broker opens a listener (`src/backbone.ts` awaits `K8sService.setup`):
///
/// - `src/services/k8s/k8s.crd.ts`: `createCustomResourceDefinition` of each CRD, and on 409
///   `patchCustomResourceDefinition` of it by name (the `patch` rule is [`NAMED_RULES`]);
/// - `src/services/k8s/k8s.watcher.ts` (for `src/services/k8s/k8s.resources.ts`): an informer
///   per kind, `KubernetesObjectApi.list` without a namespace and a watch of
///   `/api/v1/secrets`, `/apis/backbone.mortenolsen.pro/v1/clients` and `.../topics`: every
///   namespace;
/// - `src/auth/auth.k8s.ts`: `KubernetesObjectApi.create` of the Secret `<client>-secret` in a
///   Client's namespace when it has none.
///
/// The client's API discovery (`/api/v1`, `/apis/<group>/<version>`) is open to every
/// authenticated account (`system:discovery`). Nothing gets, updates or deletes.
pub const RULES: &[PolicyRule] = &[
    PolicyRule { api_groups: &[""], resources: &["secrets"], verbs: &["list", "watch", "create"] },
    PolicyRule { api_groups: &["backbone.mortenolsen.pro"], resources: &["clients", "topics"], verbs: &["list", "watch"] },
    PolicyRule { api_groups: &["apiextensions.k8s.io"], resources: &["customresourcedefinitions"], verbs: &["create"] },
];

/// The calls on named objects: the `patch` of its own CRDs when they exist
/// (`src/services/k8s/k8s.crd.ts`).
pub const NAMED_RULES: &[NamedPolicyRule] =
    &[NamedPolicyRule { rule: PolicyRule { api_groups: &["apiextensions.k8s.io"], resources: &["customresourcedefinitions"], verbs: &["patch"] }, resource_names: CRDS }];
