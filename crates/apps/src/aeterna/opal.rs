//! The OPAL authorization stack of the design, as OPAL documents it for Cedar: opal-server
//! (replicated, with its disruption budget) tracks the git repository of the Cedar policies and
//! tells its clients about policy and data changes over a broadcast channel its replicas share;
//! on every node an OPAL client with Cedar inline (OPAL's `opal-client-cedar` image: the
//! "cedar-agent" DaemonSet) subscribes to opal-server, fetches the policies and opal-fetcher's
//! data and loads them into its Cedar agent, which the Aeterna servers on that node ask.
//! Off (`opal.enabled: false`) means single-tenant mode: the server runs without authorization.

use manifests::SecretString;
use manifests::kit::{DisruptionBudgetSettings, Image, Resources, k8s};
use manifests::objects::{DaemonSet, Deployment, EnvVar, NetworkPolicy, NetworkPolicyRule, PortRef, Probe, Secret, SecretRef, Service, ServicePort, Volume, Workload};
use manifests::{ConfigKey, DnsName, Expr, Knobs, List, Map, Meta, Model, ObjectRef, concat, fullname_with};
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
    /// Image: OPAL's client with Cedar inline (cedar-agent on port 8180).
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
    /// Image; an empty tag means the chart's appVersion.
    pub image: Image,
    /// Resources.
    pub resources: Resources,
}

/// OPAL's release, of the server and of the client images alike.
const OPAL_VERSION: &str = "0.7.5";

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
                tolerations: vec![manifests::Kube::json(toleration)],
            },
            fetcher: Fetcher { replicas: 2, image: Image::new("ghcr.io/kikokikok/aeterna-opal-fetcher"), resources: Resources::cpu_memory(("50m", "64Mi"), ("200m", "128Mi")) },
        }
    }
}

/// What the server and the network policies need of the stack.
pub struct Stack {
    pub server: ObjectRef<Deployment>,
    pub server_url: Expr<String>,
    pub agent: ObjectRef<DaemonSet>,
    pub agent_url: Expr<String>,
    pub agent_on: Expr<bool>,
    pub on: Expr<bool>,
    fetcher: ObjectRef<Deployment>,
    ports: (PortRef, PortRef, PortRef),
}

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
/// (`OPAL_AUTH_JWKS_STATIC_DIR`), and `/tmp` (leader lock, bundles, the SSH key).
pub const SERVER_WRITABLE: [&str; 3] = ["/tmp", "/opal/regoclone", "/opal/jwks_dir"];
/// Where the OPAL client writes: `/tmp`, and its offline backup (`VOLUME /opal/backup`).
pub const CLIENT_WRITABLE: [&str; 2] = ["/tmp", "/opal/backup"];

pub fn add_to(m: &mut Model, v: &ValuesKnobs, deps: &Endpoints, credentials: &Credentials, store: &Store) -> Stack {
    let o = &v.opal;
    let on = o.enabled.expr();
    let repo = &o.server.policy_repo;
    m.reject_when(
        on.and(repo.url.is_set().not()),
        "opal.enabled: set opal.server.policyRepo.url to the git repository of the Cedar policies (opal-server serves none without one), or opal.enabled: false for single-tenant mode",
    );
    m.reject_when(
        on.and(repo.polling_interval.is_set().not()).and(repo.webhook.enabled.not()),
        "opal.server.policyRepo: set pollingInterval (seconds) or webhook.enabled, or opal-server never sees a new commit",
    );
    m.reject_when(
        on.and(o.cedar_agent.enabled.not()),
        "opal.enabled: opal.cedarAgent.enabled is false, so no OPAL client loads the policies and nothing answers the Aeterna server; enable it, or opal.enabled: false for single-tenant mode",
    );
    m.external::<Secret>(&repo.ssh_key.existing_secret);

    // ----- opal/opal-fetcher.yaml
    // opal-fetcher reads the organisation from the server's database and does not start without
    // `DATABASE_URL` (upstream `opal-fetcher/src/state.rs`, `FetcherConfig::from_env`); `HOST`,
    // `PORT` (8080), `ENABLE_LISTENER` and `MAX_CONNECTIONS` keep their defaults. The URL is
    // composed by Kubernetes from variables set before it (`$(VAR)`), so the password stays in
    // its Secret: the bundled cluster's `<cluster>-app` Secret, or the external database's
    // password as the Aeterna server reads it. The user name and password must be URL-safe.
    let mut fetcher = container(v, "opal-fetcher", &o.fetcher.image, &o.fetcher.resources);
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
        .when(bundled.not(), List::new().push(EnvVar::value("PG_USERNAME", &v.postgresql.external.username)).extend(external_password))
        .push(EnvVar::value("DATABASE_URL", database_url));
    let fetcher_port = fetcher.port("http", FETCHER_PORT);
    // Its routes: `/health`, `/metrics` and the data under `/v1` (upstream `opal-fetcher/src/routes.rs`).
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

    // ----- opal/opal-server.yaml
    // opal-fetcher registered as the data source the clients fetch: every entity at `/v1/all`,
    // topic `policy_data`, under `/aeterna` (upstream `deploy/helm/aeterna-opal/templates/configmap.yaml`
    // and `docker-compose.yml`).
    let data_sources = concat([
        r#"{"config":{"entries":[{"url":"http://"#.into(),
        fetcher_service.name(),
        format!(r#":{FETCHER_PORT}{FETCHER_DATA_PATH}","topics":["policy_data"],"dst_path":"/aeterna","config":{{"fetcher":"HttpFetchProvider"}}}}]}}}}"#).into(),
    ]);
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
                // OPAL writes the key to a file; the root filesystem is read-only.
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
    let server_url = manifests::text!("http://{}:{}", server_service.name(), SERVER_PORT.to_string());

    // ----- opal/cedar-agent.yaml: an OPAL client with Cedar inline on every node, subscribed
    // to opal-server; the Aeterna server's pods ask the one on their node.
    let agent_on = on.and(&o.cedar_agent.enabled);
    let mut agent = container(v, "cedar-agent", &o.cedar_agent.image, &o.cedar_agent.resources);
    agent.env = List::new()
        .push(EnvVar::value("OPAL_SERVER_URL", server_url.clone()))
        .push(EnvVar::value("OPAL_POLICY_STORE_TYPE", "CEDAR"))
        .extend(credentials.env(store, Consumer::OpalClient));
    let agent_port = agent.port("http", AGENT_PORT);
    let client_port = agent.port("client", CLIENT_PORT);
    for (volume, path) in [("tmp", CLIENT_WRITABLE[0]), ("backup", CLIENT_WRITABLE[1])] {
        agent.mount(&Volume::empty_dir(volume), path);
    }
    // OPAL's client health: ready once policy and data were loaded into Cedar, live while the
    // last loads succeeded (a few failures in a row before a restart).
    agent.liveness(Probe::http("/healthcheck", &client_port).initial_delay(15).period(10).failure_threshold(6));
    agent.readiness(Probe::http("/ready", &client_port).initial_delay(5).period(5));
    let file = "opal/cedar-agent.yaml";
    let meta = || Meta::new(fullname_with("cedar-agent")).component("cedar-agent").template_file(file);
    let mut agent_pod = pod(v, vec![agent]);
    agent_pod.tolerations = List::new().extend_from(&o.cedar_agent.tolerations);
    // A new agent starts beside the old one: the node's Aeterna pods are never without one.
    let agent_set = m.add_when(agent_on.clone(), DaemonSet::builder().meta(meta()).pod(agent_pod).surge(true).build());
    let agent_service = m.add_when(
        agent_on.clone(),
        Service::builder()
            .meta(meta())
            .selects(&agent_set)
            .ports(List::new().push(ServicePort::new("http", AGENT_PORT, &agent_port)))
            // Traffic stays on the caller's node, where the DaemonSet runs an agent.
            .extra(Map::new().str("internalTrafficPolicy", "Local"))
            .build(),
    );

    Stack {
        server_url,
        server: server_deployment,
        agent_url: manifests::text!("http://{}:{}", agent_service.name(), AGENT_PORT.to_string()),
        agent: agent_set,
        agent_on,
        on,
        fetcher: fetcher_deployment,
        ports: (server_port, agent_port, fetcher_port),
    }
}

/// With `security.networkPolicy.enabled`: opal-server accepts the Aeterna server and the OPAL
/// clients, the agents accept the Aeterna server, opal-fetcher accepts the OPAL clients (which
/// fetch the data themselves) and opal-server.
pub fn isolate(m: &mut Model, v: &ValuesKnobs, stack: &Stack, aeterna: &dyn Workload) {
    let enabled = v.security.network_policy.enabled.expr();
    let always = Expr::from(true);
    let (server_port, agent_port, fetcher_port) = &stack.ports;
    let policies: [(&str, &dyn Workload, &PortRef, Expr<bool>, Vec<(&dyn Workload, Expr<bool>)>); 3] = [
        ("opal-server", &stack.server, server_port, stack.on.clone(), vec![(aeterna, always.clone()), (&stack.agent, stack.agent_on.clone())]),
        ("cedar-agent", &stack.agent, agent_port, stack.agent_on.clone(), vec![(aeterna, always.clone())]),
        ("opal-fetcher", &stack.fetcher, fetcher_port, stack.on.clone(), vec![(&stack.agent, stack.agent_on.clone()), (&stack.server, always.clone())]),
    ];
    for (name, workload, port, on, clients) in policies {
        let rule = clients.into_iter().fold(NetworkPolicyRule::to(&[port]), |r, (w, cond)| r.from_workload(w, cond));
        m.add_when(
            enabled.and(on),
            NetworkPolicy::builder().meta(Meta::new(fullname_with(name)).component(name).template_file("aeterna/networkpolicy.yaml")).selects(workload).ingress(vec![rule]).build(),
        );
    }
}
