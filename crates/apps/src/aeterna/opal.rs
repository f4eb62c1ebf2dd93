//! The OPAL authorization stack of the design, as OPAL 0.9.6 runs it for Cedar: opal-server
//! (replicated, with its disruption budget) tracks the git repository of the Cedar policies and
//! tells its clients about policy and data changes over a broadcast channel its replicas share;
//! on every node an OPAL client with Cedar inline (OPAL's `opal-client-cedar` image: the
//! "cedar-agent" DaemonSet) subscribes to opal-server, fetches the policies and opal-fetcher's
//! data and loads them into its Cedar agent, which other clients on that node ask.
//!
//! The Aeterna server does not ask the agents: every version read (v0.2.0 to v0.8.0-rc.12,
//! `cli/src/server/bootstrap.rs`) authorizes in process with `AETERNA_AUTH_BACKEND=cedar`, the
//! policy text of `AETERNA_CEDAR_POLICY_TEXT` (and `AETERNA_CEDAR_SCHEMA_TEXT`, which it must
//! find set but does not parse) and the entities it fetches itself from opal-fetcher
//! (`AETERNA_OPAL_FETCHER_URL`, `GET <url>/v1/all`, `adapters/src/auth/cedar.rs`): [`Stack`]
//! hands the server those variables.
//! Off (`opal.enabled: false`) means single-tenant mode: the server allows every caller.

use kforge::SecretString;
use kforge::kit::{DisruptionBudgetSettings, Image, Resources, k8s};
use kforge::objects::{ConfigMap, DaemonSet, Deployment, EnvVar, NetworkPolicy, NetworkPolicyRule, PortRef, Probe, Secret, SecretRef, Service, ServicePort, Volume, Workload};
use kforge::{ConfigKey, DnsName, Expr, Knobs, List, Map, Meta, Model, ObjectRef, concat, fullname_with};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::dependencies::Endpoints;
use super::secrets::{Consumer, Credentials, Store};
use super::{ValuesKnobs, container, pod};

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Opal {
    /// Deploy the OPAL stack; false is single-tenant mode.
    pub enabled: bool,
    /// OPAL's secure mode: opal-server signs and verifies the JWTs its clients present.
    pub auth: OpalAuth,
    /// The Cedar policy the Aeterna server evaluates itself (it asks no agent).
    pub cedar: Cedar,
    /// opal-server: tracks the policy repository and publishes policy and data updates.
    pub server: OpalServer,
    /// The Cedar agents: a DaemonSet of OPAL clients with Cedar inline, one per node.
    pub cedar_agent: CedarAgent,
    /// opal-fetcher: serves policy data (tenants, roles) to the OPAL clients.
    pub fetcher: Fetcher,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpalAuth {
    /// Secure mode (OPAL's advice for production): opal-server gets its key pair and master token
    /// (OPAL_AUTH_PRIVATE_KEY, OPAL_AUTH_PUBLIC_KEY, OPAL_AUTH_MASTER_TOKEN), each client its token
    /// (OPAL_CLIENT_TOKEN). Off, opal-server accepts any client: for development only.
    pub enabled: bool,
    /// Existing Secret with the keys `master-token`, `private-key`, `public-key` and
    /// `client-token` (the chart README says how to make them).
    pub existing_secret: DnsName,
    /// Master token (stored in the chart's Secret; prefer existingSecret).
    pub master_token: SecretString,
    /// Private key of opal-server, PEM on one line with newlines as `_` (stored in the chart's
    /// Secret; prefer existingSecret).
    pub private_key: SecretString,
    /// Public key of opal-server, on one line (stored in the chart's Secret).
    pub public_key: SecretString,
    /// The clients' JWT, issued by opal-server's `/token` with the master token (stored in the
    /// chart's Secret; prefer existingSecret).
    pub client_token: SecretString,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cedar {
    /// Cedar policy text of the Aeterna server (AETERNA_CEDAR_POLICY_TEXT; it does not start
    /// without one): your `.cedar` files, or upstream's `policies/cedar/*.cedar`, one after the
    /// other (`helm --set-file opal.cedar.policy=all.cedar`). Keep it the policy of
    /// `opal.server.policyRepo`, which the agents load.
    pub policy: String,
    /// Cedar schema text (AETERNA_CEDAR_SCHEMA_TEXT): the server needs the variable set but
    /// parses no schema from it; upstream's is `policies/cedar/aeterna.cedarschema`.
    pub schema: String,
    /// Existing ConfigMap with the keys `policy` and `schema`; when set, it is the source and the
    /// two above are not read (as an `existingSecret` wins over a value). The server reads it
    /// when it starts: restart it after a change.
    pub existing_config_map: DnsName,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpalServer {
    /// Pods; they share updates over the cache's Redis pub/sub (OPAL_BROADCAST_URI).
    pub replicas: u16,
    /// Image.
    pub image: Image,
    /// Where the Cedar policies come from.
    pub policy_repo: PolicyRepo,
    /// Resources.
    pub resources: Resources,
    /// Disruption budget of the opal-server pods.
    pub pdb: DisruptionBudgetSettings,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyRepo {
    /// Git repository of the Cedar policies (`.cedar` files), `https://...` or
    /// `git@host:org/repo.git` (OPAL_POLICY_REPO_URL); needed with `opal.enabled`.
    pub url: String,
    /// Branch to track (OPAL_POLICY_REPO_MAIN_BRANCH; OPAL's default is `master`).
    pub branch: String,
    /// Seconds between checks for new commits (OPAL_POLICY_REPO_POLLING_INTERVAL); 0 checks only
    /// when the webhook says so.
    pub polling_interval: u32,
    /// GitHub push webhook to opal-server's `/webhook` (route it there yourself).
    pub webhook: Webhook,
    /// SSH key of a private repository, from an existing Secret (OPAL_POLICY_REPO_SSH_KEY).
    pub ssh_key: SshKey,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Webhook {
    /// Check for new commits when the webhook calls (OPAL_POLICY_REPO_WEBHOOK_SECRET).
    pub enabled: bool,
    /// The webhook's secret (stored in the chart's Secret; prefer existingSecret).
    pub secret: SecretString,
    /// Existing Secret with the webhook's secret.
    pub existing_secret: DnsName,
    /// Key of the secret in existingSecret.
    pub existing_secret_key: ConfigKey,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SshKey {
    /// Existing Secret with the private key, on one line with newlines as `_`; empty for a
    /// public repository.
    pub existing_secret: DnsName,
    /// Key of the private key in existingSecret.
    pub existing_secret_key: ConfigKey,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CedarAgent {
    /// Deploy the DaemonSet (with `opal.enabled`).
    pub enabled: bool,
    /// Image: OPAL's client with Cedar inline (cedar-agent 0.2.1 on port 8180).
    pub image: Image,
    /// Resources.
    pub resources: Resources,
    /// Tolerations: by default it runs on control-plane nodes too. The Aeterna server asks the
    /// agent of its own node, so these must admit every node the server runs on.
    pub tolerations: Vec<k8s::Toleration>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fetcher {
    /// Pods.
    pub replicas: u16,
    /// Image. No registry publishes one: build it from `opal-fetcher/Dockerfile` of
    /// kikokikok/aeterna at the server's version and give its repository (needed with
    /// `opal.enabled`). An empty tag means the server's (`aeterna.image.tag`, else the chart's
    /// appVersion): the fetcher reads the views the server's migrations create.
    pub image: Image,
    /// Resources.
    pub resources: Resources,
    /// The tenant (a UUID of the server's database) whose entities the server and the agents
    /// fetch: opal-fetcher v0.8.0-rc.4 and later serve none without one, so the chart needs it
    /// from that version on (the fetcher's tag, else the server's).
    pub tenant: TenantId,
}

kforge::pattern_string!(
    /// A tenant's UUID as opal-fetcher's `tenant` query parameter takes it, or empty.
    TenantId,
    r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$",
    36,
    "a UUID such as 0b0e5a4c-8f4e-4a53-9c2a-4f3e2b1d0c9a, or empty"
);

/// OPAL's release, of the server and of the client images alike: the newest whose images
/// `.github/workflows/on_release.yml` publishes (the Cedar client since 0.7.8) and whose
/// packages are on PyPI (0.9.1 to 0.9.3 are not).
pub const OPAL_VERSION: &str = "0.9.6";

impl Default for Opal {
    fn default() -> Self {
        let toleration = json!({"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"});
        Opal {
            enabled: true,
            auth: OpalAuth {
                enabled: true,
                existing_secret: DnsName::default(),
                master_token: SecretString::default(),
                private_key: SecretString::default(),
                public_key: SecretString::default(),
                client_token: SecretString::default(),
            },
            cedar: Cedar { policy: String::new(), schema: String::new(), existing_config_map: DnsName::default() },
            server: OpalServer {
                replicas: 3,
                image: Image { tag: OPAL_VERSION.into(), ..Image::new("docker.io/permitio/opal-server") },
                policy_repo: PolicyRepo {
                    url: String::new(),
                    branch: "master".into(),
                    polling_interval: 30,
                    webhook: Webhook {
                        enabled: false,
                        secret: SecretString::default(),
                        existing_secret: DnsName::default(),
                        existing_secret_key: ConfigKey::new("webhook-secret"),
                    },
                    ssh_key: SshKey { existing_secret: DnsName::default(), existing_secret_key: ConfigKey::new("ssh-key") },
                },
                resources: Resources::cpu_memory(("100m", "256Mi"), ("500m", "512Mi")),
                pdb: DisruptionBudgetSettings::min_available(true, 2),
            },
            cedar_agent: CedarAgent {
                enabled: true,
                image: Image { tag: OPAL_VERSION.into(), ..Image::new("docker.io/permitio/opal-client-cedar") },
                // The OPAL client (Python) and the Cedar agent in one container.
                resources: Resources::cpu_memory(("50m", "128Mi"), ("500m", "256Mi")),
                tolerations: vec![kforge::Kube::json(toleration)],
            },
            fetcher: Fetcher { replicas: 2, image: Image::new(""), resources: Resources::cpu_memory(("50m", "64Mi"), ("200m", "128Mi")), tenant: TenantId::default() },
        }
    }
}

/// What to do before upgrading to the chart version that made the stack follow OPAL 0.9.6 and
/// the Aeterna server's own authorization.
pub const UPGRADE_NOTE: &str = "- OPAL runs its 0.9.6 images (`permitio/opal-server`, `permitio/opal-client-cedar`), both published by OPAL's \
     release workflow (0.7.5 had no Cedar client image).\n\
     - opal-fetcher has no default image any more: no registry publishes one. Build `opal-fetcher/Dockerfile` of kikokikok/aeterna at \
     the server's version, push it, and set `opal.fetcher.image.repository`; its tag now defaults to the server's (`aeterna.image.tag`, \
     else the appVersion). The chart refuses OPAL without it.\n\
     - With OPAL on, the Aeterna server authorizes with Cedar (`AETERNA_AUTH_BACKEND=cedar`) and does not start without its policy: \
     give it in `opal.cedar.policy` (and `opal.cedar.schema`) or in an existing ConfigMap (`opal.cedar.existingConfigMap`, keys \
     `policy` and `schema`); the chart refuses OPAL without one. It fetches its entities from opal-fetcher (`AETERNA_OPAL_FETCHER_URL`). \
     `AETERNA_OPAL_ENABLED`, `AETERNA_OPAL_SERVER_URL` and `AETERNA_CEDAR_AGENT_URL`, which no server version reads, are gone. \
     With OPAL off the server allows every caller, as before.\n\
     - opal-fetcher is registered with OPAL at the root of the Cedar store (`dst_path` empty; OPAL's Cedar store refused `/aeterna`). \
     With a fetcher of v0.8.0-rc.4 or later (the server's version unless `opal.fetcher.image.tag` is set), the chart refuses OPAL \
     without `opal.fetcher.tenant`, the UUID of the tenant the release authorizes.\n\
     - The agents are live while their client port answers (their `/healthcheck` failed while a data update did). With \
     `security.networkPolicy.enabled`, opal-fetcher admits the Aeterna server and the agents, opal-server only the agents.";

/// What the server and the network policies need of the stack.
pub struct Stack {
    pub server: ObjectRef<Deployment>,
    pub on: Expr<bool>,
    /// The Aeterna server's authorization variables (none with OPAL off: the server then allows
    /// every caller, and says so in its log).
    pub server_env: List<EnvVar>,
    agent: ObjectRef<DaemonSet>,
    agent_on: Expr<bool>,
    fetcher: ObjectRef<Deployment>,
    ports: (PortRef, PortRef, PortRef),
}

/// opal-server's port (`UVICORN_PORT` of its image).
pub const SERVER_PORT: i64 = 7002;
/// cedar-agent, inline in the client image (`OPAL_INLINE_CEDAR_CONFIG` binds 0.0.0.0:8180).
pub const AGENT_PORT: i64 = 8180;
/// The OPAL client's own API (`UVICORN_PORT` of the client image), with its health checks.
pub const CLIENT_PORT: i64 = 7000;
/// opal-fetcher's port (`PORT`, default 8080) and the route of all its data (upstream
/// `opal-fetcher/src/state.rs`, `opal-fetcher/src/routes.rs`).
pub const FETCHER_PORT: i64 = 8080;
pub const FETCHER_DATA_PATH: &str = "/v1/all";

/// Where opal-server writes: its clone of the policy repository (`OPAL_POLICY_REPO_CLONE_PATH`,
/// `regoclone` in its working directory `/opal`), the JWKS file it writes at start-up
/// (`OPAL_AUTH_JWKS_STATIC_DIR`, `jwks_dir`), and `/tmp` (gunicorn's worker heartbeats, the
/// leader lock, bundles, the SSH key).
pub const SERVER_WRITABLE: [&str; 3] = ["/tmp", "/opal/regoclone", "/opal/jwks_dir"];
/// Where the OPAL client writes: `/tmp` (gunicorn's worker heartbeats), and its offline backup
/// (`VOLUME /opal/backup`).
pub const CLIENT_WRITABLE: [&str; 2] = ["/tmp", "/opal/backup"];

/// The first opal-fetcher that serves no entity without `?tenant=<uuid>` (upstream
/// `opal-fetcher/src/handlers.rs` at v0.8.0-rc.4, b8fbcb19).
pub const FETCHER_TENANT_FROM: &str = "0.8.0-rc.4";

/// The message of the rule that asks for a tenant.
pub const TENANT_NEEDED: &str = "opal.fetcher.tenant: opal-fetcher v0.8.0-rc.4 and later (the server's version, aeterna.image.tag, unless \
     opal.fetcher.image.tag is set) serve no entity without a tenant: set opal.fetcher.tenant to the UUID of the tenant this release \
     authorizes, or opal.enabled: false";

/// The message of the rule that asks for the fetcher's image.
pub const FETCHER_IMAGE_NEEDED: &str = "opal.fetcher.image.repository: no registry publishes opal-fetcher: build it from opal-fetcher/Dockerfile of \
     kikokikok/aeterna at the server's version (docker build -f opal-fetcher/Dockerfile -t REGISTRY/aeterna-opal-fetcher:TAG . in a checkout), \
     push it where the cluster pulls from and set its repository (the tag defaults to the server's), or opal.enabled: false";

pub fn add_to(m: &mut Model, v: &ValuesKnobs, deps: &Endpoints, credentials: &Credentials, store: &Store) -> Stack {
    let o = &v.opal;
    let on = o.enabled.expr();
    let repo = &o.server.policy_repo;
    let cedar = &o.cedar;
    m.reject_when(
        on.and(repo.url.is_set().not()),
        "opal.enabled: set opal.server.policyRepo.url to the git repository of the Cedar policies (opal-server serves none without one), or opal.enabled: false for single-tenant mode",
    );
    m.reject_when(
        on.and(repo.polling_interval.is_set().not()).and(repo.webhook.enabled.not()),
        "opal.server.policyRepo: set pollingInterval (seconds) or webhook.enabled, or opal-server never sees a new commit",
    );
    // opal-fetcher's `DATABASE_URL` carries the external database's password as Kubernetes
    // expands `$(VAR)`, unencoded: one with a character a URL reserves would break it.
    let external_password = &v.postgresql.external.password;
    m.reject_when(
        on.and(v.postgresql.enabled.not())
            .and(v.postgresql.external.existing_secret.is_set().not())
            .and(external_password.is_set())
            .and(external_password.expr().percent_encoded().ne(external_password.expr())),
        "postgresql.external.password: with OPAL on, opal-fetcher reads it inside a URL (DATABASE_URL), where only letters, digits and - . _ ~ \
         stand for themselves: give a password of those, or store it percent-encoded in an existing Secret (postgresql.external.existingSecret)",
    );
    m.reject_when(
        on.and(o.cedar_agent.enabled.not()),
        "opal.enabled: opal.cedarAgent.enabled is false, so no OPAL client loads the policies and no node has a Cedar agent to ask; enable it, or opal.enabled: false for single-tenant mode",
    );
    m.reject_when(
        on.and(cedar.policy.is_set().not()).and(cedar.existing_config_map.is_set().not()),
        "opal.cedar.policy: with OPAL on the Aeterna server authorizes with Cedar and does not start without its policy text: set opal.cedar.policy \
         (and opal.cedar.schema) to your .cedar files (upstream's are policies/cedar/ of kikokikok/aeterna), or opal.cedar.existingConfigMap, \
         or opal.enabled: false",
    );
    m.reject_when(on.and(o.fetcher.image.repository.is_set().not()), FETCHER_IMAGE_NEEDED);
    m.external::<Secret>(&repo.ssh_key.existing_secret);
    m.external::<ConfigMap>(&cedar.existing_config_map);

    // ----- opal/opal-fetcher.yaml
    // opal-fetcher reads the organisation from the server's database and does not start without
    // `DATABASE_URL` (upstream `opal-fetcher/src/state.rs`, `FetcherConfig::from_env`); `HOST`,
    // `PORT` (8080), `ENABLE_LISTENER` and `MAX_CONNECTIONS` keep their defaults, and
    // `OPAL_SERVER_URL` stays unset: its listener would post updates for
    // `http://opal-fetcher:8080/v1/<type>` on topics no client subscribes to (`listener.rs`).
    // The URL is composed by Kubernetes from variables set before it (`$(VAR)`), so the password
    // stays in its Secret: the bundled cluster's `<cluster>-app` Secret, or the external
    // database's password as the Aeterna server reads it: that password must be URL-safe (a rule
    // below refuses one from values that is not); the external user name is percent-encoded.
    let mut fetcher = container(v, "opal-fetcher", &o.fetcher.image, &o.fetcher.resources);
    // The server's tag unless the fetcher has its own: the fetcher reads the views the server's
    // migrations create.
    let fetcher_image = &o.fetcher.image;
    let fetcher_version = fetcher_image.tag.or_else(v.aeterna.image.version());
    fetcher.image = fetcher_image.reference_at_in(fetcher_version.clone(), &v.global.image_registry);
    let cluster_secret = deps.cluster.app_secret();
    let (external_password, external_with_password, external_password_var) = credentials.shared(store, "postgres-password");
    let bundled = &deps.bundled_postgres;
    let with_password = bundled.or(&external_with_password);
    let database_url = concat([
        "postgres://$(PG_USERNAME)".into(),
        with_password.then(Expr::from(format!(":$({external_password_var})")), ""),
        "@".into(),
        deps.postgres_host.clone(),
        ":".into(),
        deps.postgres_port.clone(),
        "/".into(),
        deps.postgres_database.clone(),
    ]);
    fetcher.env = List::new()
        .when(
            bundled,
            List::new().push(EnvVar::secret("PG_USERNAME", &cluster_secret, "username", false)).push(EnvVar::secret(external_password_var, &cluster_secret, "password", false)),
        )
        // The user name from values, percent-encoded for the URL (the password cannot be: it is
        // a Secret's, expanded by Kubernetes; a password from values must be URL-safe, below).
        .when(bundled.not(), List::new().push(EnvVar::value("PG_USERNAME", v.postgresql.external.username.expr().percent_encoded())).extend(external_password))
        .push(EnvVar::value("DATABASE_URL", database_url));
    let fetcher_port = fetcher.port("http", FETCHER_PORT);
    // Its routes: `/health` (200 while the database answers), `/metrics` and the data under `/v1`
    // (upstream `opal-fetcher/src/routes.rs`, `handlers.rs`).
    fetcher.liveness(Probe::http("/health", &fetcher_port).initial_delay(10).period(10));
    fetcher.readiness(Probe::http("/health", &fetcher_port).initial_delay(5).period(5));
    let file = "opal/opal-fetcher.yaml";
    let fetcher_deployment = m.add_when(
        &on,
        Deployment::builder()
            .meta(Meta::new(fullname_with("opal-fetcher")).component("opal-fetcher").template_file(file))
            .replicas(&o.fetcher.replicas)
            .pod(pod(v, vec![fetcher]))
            .build(),
    );
    let fetcher_service = m.add_when(
        &on,
        Service::builder()
            .meta(Meta::new(fullname_with("opal-fetcher")).component("opal-fetcher").template_file(file))
            .selects(&fetcher_deployment)
            .ports(List::new().push(ServicePort::new("http", FETCHER_PORT, &fetcher_port)))
            .build(),
    );
    // Every entity, of one tenant when one is given: from v0.8.0-rc.4 `/v1/all` answers 400
    // without `?tenant=<uuid>` (`handlers.rs`, `TenantQuery`); earlier versions ignore it. The
    // fetcher's version decides: the server's unless the fetcher has a tag of its own.
    let tenant = &o.fetcher.tenant;
    m.reject_when(on.and(fetcher_version.version_at_least(FETCHER_TENANT_FROM)).and(tenant.is_set().not()), TENANT_NEEDED);
    let fetcher_base = kforge::text!("http://{}:{}", fetcher_service.name(), FETCHER_PORT.to_string());
    let data_url = concat([fetcher_base.clone(), FETCHER_DATA_PATH.into(), tenant.is_set().then(concat(["?tenant=".into(), tenant.expr()]), "")]);

    // ----- the Aeterna server's variables (`cli/src/server/bootstrap.rs`,
    // `build_anyhow_auth_service`): Cedar in process, the entities from opal-fetcher. The server
    // appends `/v1/all` to `AETERNA_OPAL_FETCHER_URL` and has no setting for a tenant: with one,
    // the URL is the whole data URL ending in `#`, so what the server appends becomes a fragment,
    // which HTTP clients do not send.
    let from_config_map = cedar.existing_config_map.is_set();
    let server_env = List::new().when(
        &on,
        List::new()
            .push(EnvVar::value("AETERNA_AUTH_BACKEND", "cedar"))
            .choose(
                from_config_map,
                List::new().push(EnvVar::config_map_external("AETERNA_CEDAR_POLICY_TEXT", &cedar.existing_config_map, "policy")).push(EnvVar::config_map_external(
                    "AETERNA_CEDAR_SCHEMA_TEXT",
                    &cedar.existing_config_map,
                    "schema",
                )),
                List::new().push(EnvVar::value("AETERNA_CEDAR_POLICY_TEXT", &cedar.policy)).push(EnvVar::value("AETERNA_CEDAR_SCHEMA_TEXT", &cedar.schema)),
            )
            .push(EnvVar::value("AETERNA_OPAL_FETCHER_URL", tenant.is_set().then(concat([data_url.clone(), "#".into()]), fetcher_base))),
    );

    // ----- opal/opal-server.yaml
    // opal-fetcher registered as the data source the clients fetch: every entity at `/v1/all`,
    // topic `policy_data` (the clients' default `OPAL_DATA_TOPICS`), at the root of the store:
    // OPAL's Cedar store takes no other `dst_path` ("Cedar can only change the entire data
    // structure at once", `opal_client/policy_store/cedar_client.py`).
    let data_sources = concat([r#"{"config":{"entries":[{"url":""#.into(), data_url, r#"","topics":["policy_data"],"dst_path":""}]}}"#.into()]);
    // The replicas share updates over the cache's pub/sub; an external cache's password comes
    // from where the Aeterna server reads it, into a variable the URI refers to (Kubernetes
    // expands `$(VAR)` of a variable set before; the password must be URL-safe).
    let (password, with_password, password_var) = credentials.shared(store, "redis-password");
    let broadcast = concat(["redis://".into(), with_password.then(Expr::from(format!(":$({password_var})@")), ""), deps.redis_host.clone(), ":".into(), deps.redis_port.clone()]);
    let ssh_key = SecretRef::external(&repo.ssh_key.existing_secret);
    let mut server = container(v, "opal-server", &o.server.image, &o.server.resources);
    server.env = password
        .push(EnvVar::value("OPAL_BROADCAST_URI", broadcast))
        // A channel of this release's own: releases sharing one Redis must not hear each other.
        .push(EnvVar::value("OPAL_BROADCAST_CHANNEL_NAME", fullname_with("opal")))
        // One worker per pod: the replicas are the scaling unit.
        .push(EnvVar::value("UVICORN_NUM_WORKERS", "1"))
        .push(EnvVar::value("OPAL_POLICY_REPO_URL", &repo.url))
        .push(EnvVar::value("OPAL_POLICY_REPO_MAIN_BRANCH", &repo.branch))
        .push(EnvVar::value("OPAL_POLICY_REPO_POLLING_INTERVAL", repo.polling_interval.string()))
        // OPAL looks for Rego by default; these make it serve the repository's Cedar files.
        .push(EnvVar::value("OPAL_FILTER_FILE_EXTENSIONS", ".cedar"))
        .push(EnvVar::value("OPAL_POLICY_REPO_POLICY_EXTENSIONS", ".cedar"))
        .push(EnvVar::value("OPAL_DATA_CONFIG_SOURCES", data_sources))
        .when(
            repo.ssh_key.existing_secret.is_set(),
            List::new()
                .push(EnvVar::secret("OPAL_POLICY_REPO_SSH_KEY", &ssh_key, &repo.ssh_key.existing_secret_key, false))
                // OPAL writes the key to a file (`~/.ssh` by default); the root filesystem is read-only.
                .push(EnvVar::value("OPAL_GIT_SSH_KEY_FILE", "/tmp/opal_repo_ssh_key")),
        )
        .extend(credentials.env(store, Consumer::OpalServer));
    let server_port = server.port("http", SERVER_PORT);
    for (volume, path) in [("tmp", SERVER_WRITABLE[0]), ("policy-repo", SERVER_WRITABLE[1]), ("jwks", SERVER_WRITABLE[2])] {
        server.mount(&Volume::empty_dir(volume), path);
    }
    server.liveness(Probe::http("/healthcheck", &server_port).initial_delay(15).period(10));
    server.readiness(Probe::http("/healthcheck", &server_port).initial_delay(5).period(5));
    let file = "opal/opal-server.yaml";
    let meta = || Meta::new(fullname_with("opal-server")).component("opal-server").template_file(file);
    let server_deployment = m.add_when(&on, Deployment::builder().meta(meta()).replicas(&o.server.replicas).pod(pod(v, vec![server])).build());
    let server_service =
        m.add_when(&on, Service::builder().meta(meta()).selects(&server_deployment).ports(List::new().push(ServicePort::new("http", SERVER_PORT, &server_port))).build());
    o.server.pdb.add_as(m, meta(), &server_deployment, &on);
    let server_url = kforge::text!("http://{}:{}", server_service.name(), SERVER_PORT.to_string());

    // ----- opal/cedar-agent.yaml: an OPAL client with Cedar inline on every node, subscribed
    // to opal-server; clients on a node ask the agent of that node.
    let agent_on = on.and(&o.cedar_agent.enabled);
    let mut agent = container(v, "cedar-agent", &o.cedar_agent.image, &o.cedar_agent.resources);
    agent.env =
        List::new().push(EnvVar::value("OPAL_SERVER_URL", server_url)).push(EnvVar::value("OPAL_POLICY_STORE_TYPE", "CEDAR")).extend(credentials.env(store, Consumer::OpalClient));
    let agent_port = agent.port("http", AGENT_PORT);
    let client_port = agent.port("client", CLIENT_PORT);
    for (volume, path) in [("tmp", CLIENT_WRITABLE[0]), ("backup", CLIENT_WRITABLE[1])] {
        agent.mount(&Volume::empty_dir(volume), path);
    }
    // Ready once a policy and a data update were stored in Cedar (`/ready`). Live while the
    // client answers at all: its `/healthcheck` turns 503 when the last update failed to store,
    // which a restart does not mend (a data source Cedar refuses would restart every agent in a
    // loop).
    agent.liveness(Probe::tcp(&client_port).initial_delay(15).period(10).failure_threshold(6));
    agent.readiness(Probe::http("/ready", &client_port).initial_delay(5).period(5));
    let file = "opal/cedar-agent.yaml";
    let meta = || Meta::new(fullname_with("cedar-agent")).component("cedar-agent").template_file(file);
    let mut agent_pod = pod(v, vec![agent]);
    agent_pod.tolerations = List::new().extend_from(&o.cedar_agent.tolerations);
    // A new agent starts beside the old one: a node's clients are never without one.
    let agent_set = m.add_when(agent_on.clone(), DaemonSet::builder().meta(meta()).pod(agent_pod).surge(true).build());
    m.add_when(
        agent_on.clone(),
        Service::builder()
            .meta(meta())
            .selects(&agent_set)
            .ports(List::new().push(ServicePort::new("http", AGENT_PORT, &agent_port)))
            // Traffic stays on the caller's node, where the DaemonSet runs an agent.
            .extra(Map::new().str("internalTrafficPolicy", "Local"))
            .build(),
    );

    Stack { server: server_deployment, on, server_env, agent: agent_set, agent_on, fetcher: fetcher_deployment, ports: (server_port, agent_port, fetcher_port) }
}

/// With `security.networkPolicy.enabled`: opal-server accepts the OPAL clients, opal-fetcher
/// the OPAL clients and the Aeterna server (each fetches the data itself), and the agents the
/// Aeterna server (the design's client of theirs; other clients need a NetworkPolicy of their
/// own).
pub fn isolate(m: &mut Model, v: &ValuesKnobs, stack: &Stack, aeterna: &dyn Workload) {
    let enabled = v.security.network_policy.enabled.expr();
    let always = Expr::from(true);
    let (server_port, agent_port, fetcher_port) = &stack.ports;
    let policies: [(&str, &dyn Workload, &PortRef, Expr<bool>, Vec<(&dyn Workload, Expr<bool>)>); 3] = [
        ("opal-server", &stack.server, server_port, stack.on.clone(), vec![(&stack.agent, stack.agent_on.clone())]),
        ("cedar-agent", &stack.agent, agent_port, stack.agent_on.clone(), vec![(aeterna, always.clone())]),
        ("opal-fetcher", &stack.fetcher, fetcher_port, stack.on.clone(), vec![(&stack.agent, stack.agent_on.clone()), (aeterna, always.clone())]),
    ];
    for (name, workload, port, on, clients) in policies {
        let rule = clients.into_iter().fold(NetworkPolicyRule::to(&[port]), |r, (w, cond)| r.from_workload(w, cond));
        m.add_when(
            enabled.and(on),
            NetworkPolicy::builder().meta(Meta::new(fullname_with(name)).component(name).template_file("aeterna/networkpolicy.yaml")).selects(workload).ingress(vec![rule]).build(),
        );
    }
}
