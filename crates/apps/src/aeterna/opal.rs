//! The OPAL authorization stack of the design: opal-server (replicated, with its disruption
//! budget), the cedar-agent DaemonSet that evaluates Cedar policies on every node, and
//! opal-fetcher, which serves policy data to the server. Off (`opal.enabled: false`) means
//! single-tenant mode: the server runs without authorization.

use manifests::kit::{DisruptionBudgetSettings, FreeForm, Image, Resources};
use manifests::objects::{
    DaemonSet, Deployment, EnvVar, NetworkPolicy, NetworkPolicyRule, PortRef, Probe, Service, ServicePort, Workload,
};
use manifests::{Expr, IntOrPercent, Knobs, List, Map, Meta, Model, ObjectRef, OptionalIntOrPercent, concat, fullname_with};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{ValuesKnobs, container, pod};
use super::dependencies::Endpoints;

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Opal {
    /// Deploy the OPAL stack; false is single-tenant mode.
    pub enabled: bool,
    /// opal-server: distributes policies and data to the agents.
    pub server: OpalServer,
    /// cedar-agent: a DaemonSet evaluating Cedar policies on every node.
    pub cedar_agent: CedarAgent,
    /// opal-fetcher: serves policy data (tenants, roles) to opal-server.
    pub fetcher: Fetcher,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpalServer {
    /// Pods; they share updates through the cache (Redis broadcast channel).
    pub replicas: u16,
    /// Image.
    pub image: Image,
    /// Git repository of the Cedar policies; empty serves none until one is set.
    pub policy_repo_url: String,
    /// Resources.
    pub resources: Resources,
    /// Disruption budget of the opal-server pods.
    pub pdb: DisruptionBudgetSettings,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CedarAgent {
    /// Deploy the cedar-agent DaemonSet (with `opal.enabled`).
    pub enabled: bool,
    /// Image.
    pub image: Image,
    /// Resources.
    pub resources: Resources,
    /// Tolerations: by default it runs on control-plane nodes too.
    pub tolerations: Vec<FreeForm>,
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

impl Default for Opal {
    fn default() -> Self {
        let toleration = json!({"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"});
        Opal {
            enabled: true,
            server: OpalServer {
                replicas: 3,
                image: Image { tag: "0.7.5".into(), ..Image::new("docker.io/permitio/opal-server") },
                policy_repo_url: String::new(),
                resources: Resources::cpu_memory(("100m", "256Mi"), ("500m", "512Mi")),
                pdb: DisruptionBudgetSettings {
                    enabled: true,
                    min_available: OptionalIntOrPercent(Some(IntOrPercent::Count(2))),
                    max_unavailable: OptionalIntOrPercent(None),
                },
            },
            cedar_agent: CedarAgent {
                enabled: true,
                image: Image { tag: "0.2.0".into(), ..Image::new("docker.io/permitio/cedar-agent") },
                resources: Resources::cpu_memory(("50m", "64Mi"), ("200m", "128Mi")),
                tolerations: vec![manifests::kit::free_form(toleration)],
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

const SERVER_PORT: i64 = 7002;
const AGENT_PORT: i64 = 8180;
const FETCHER_PORT: i64 = 8080;

pub fn add_to(m: &mut Model, v: &ValuesKnobs, deps: &Endpoints) -> Stack {
    let o = &v.opal;
    let on = o.enabled.expr();

    // ----- opal/opal-fetcher.yaml
    let mut fetcher = container(v, "opal-fetcher", &o.fetcher.image, &o.fetcher.resources);
    let fetcher_port = fetcher.port("http", FETCHER_PORT);
    fetcher.liveness(Probe::http("/healthz", &fetcher_port).initial_delay(10).period(10));
    fetcher.readiness(Probe::http("/healthz", &fetcher_port).initial_delay(5).period(5));
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

    // ----- opal/opal-server.yaml: replicas share updates over the cache's pub/sub
    let data_sources = concat([
        r#"{"config":{"entries":[{"url":"http://"#.into(),
        fetcher_service.name(),
        format!(r#":{FETCHER_PORT}/data","topics":["policy_data"]}}]}}}}"#).into(),
    ]);
    let mut server = container(v, "opal-server", &o.server.image, &o.server.resources);
    server.env = List::new()
        .push(EnvVar::value("OPAL_BROADCAST_URI", concat(["redis://".into(), deps.redis_host.clone(), ":".into(), deps.redis_port.clone()])))
        .push(EnvVar::value("OPAL_DATA_CONFIG_SOURCES", data_sources))
        .push(EnvVar::value("UVICORN_NUM_WORKERS", "1"))
        .when(o.server.policy_repo_url.is_set(), List::new().push(EnvVar::value("OPAL_POLICY_REPO_URL", &o.server.policy_repo_url)));
    let server_port = server.port("http", SERVER_PORT);
    server.mount(&manifests::objects::Volume::empty_dir("tmp"), "/tmp");
    server.liveness(Probe::http("/healthcheck", &server_port).initial_delay(15).period(10));
    server.readiness(Probe::http("/healthcheck", &server_port).initial_delay(5).period(5));
    let file = "opal/opal-server.yaml";
    let meta = || Meta::new(fullname_with("opal-server")).component("opal-server").template_file(file);
    let server_deployment = m.add_when(&on, Deployment::builder().meta(meta()).replicas(&o.server.replicas).pod(pod(v, vec![server])).build());
    let server_service = m.add_when(
        &on,
        Service::builder().meta(meta()).selects(&server_deployment).ports(List::new().push(ServicePort::new("http", SERVER_PORT, &server_port))).build(),
    );
    o.server.pdb.add_as(m, meta(), &server_deployment, &on);

    // ----- opal/cedar-agent.yaml: one per node; the server's pods use the one on their node
    let agent_on = on.and(&o.cedar_agent.enabled);
    let mut agent = container(v, "cedar-agent", &o.cedar_agent.image, &o.cedar_agent.resources);
    let agent_port = agent.port("http", AGENT_PORT);
    agent.liveness(Probe::tcp(&agent_port).initial_delay(10).period(10));
    agent.readiness(Probe::tcp(&agent_port).initial_delay(5).period(5));
    let file = "opal/cedar-agent.yaml";
    let meta = || Meta::new(fullname_with("cedar-agent")).component("cedar-agent").template_file(file);
    let mut agent_pod = pod(v, vec![agent]);
    agent_pod.tolerations = List::new().extend_from(&o.cedar_agent.tolerations);
    let agent_set = m.add_when(agent_on.clone(), DaemonSet::builder().meta(meta()).pod(agent_pod).build());
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
        server_url: concat(["http://".into(), server_service.name(), format!(":{SERVER_PORT}").into()]),
        server: server_deployment,
        agent_url: concat(["http://".into(), agent_service.name(), format!(":{AGENT_PORT}").into()]),
        agent: agent_set,
        agent_on,
        on,
        fetcher: fetcher_deployment,
        ports: (server_port, agent_port, fetcher_port),
    }
}

/// With `security.networkPolicy.enabled`: opal-server accepts the Aeterna server and the
/// agents, the agents accept the Aeterna server, the fetcher accepts opal-server.
pub fn isolate(m: &mut Model, v: &ValuesKnobs, stack: &Stack, aeterna: &dyn Workload) {
    let enabled = v.security.network_policy.enabled.expr();
    let always = Expr::from(true);
    let (server_port, agent_port, fetcher_port) = &stack.ports;
    let policies: [(&str, &dyn Workload, &PortRef, Expr<bool>, Vec<(&dyn Workload, Expr<bool>)>); 3] = [
        ("opal-server", &stack.server, server_port, stack.on.clone(), vec![(aeterna, always.clone()), (&stack.agent, stack.agent_on.clone())]),
        ("cedar-agent", &stack.agent, agent_port, stack.agent_on.clone(), vec![(aeterna, always.clone()), (&stack.server, always.clone())]),
        ("opal-fetcher", &stack.fetcher, fetcher_port, stack.on.clone(), vec![(&stack.server, always.clone())]),
    ];
    for (name, workload, port, on, clients) in policies {
        let rule = clients.into_iter().fold(NetworkPolicyRule::to(&[port]), |r, (w, cond)| r.from_workload(w, cond));
        m.add_when(
            enabled.and(on),
            NetworkPolicy::builder()
                .meta(Meta::new(fullname_with(name)).component(name).template_file("aeterna/networkpolicy.yaml"))
                .selects(workload)
                .ingress(vec![rule])
                .build(),
        );
    }
}
