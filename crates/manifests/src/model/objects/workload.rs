//! Pods and the workloads that run them: containers with their ports, mounts, environment and
//! probes; Deployments.
//!
//! References are handles. A [`PortRef`] comes only from [`Container::port`], so a Service or a
//! probe can only target a port some container declares. A mount takes a [`Volume`], and the
//! pod's volume list is built from the mounts, so a mount cannot name a volume the pod lacks:
//!
//! ```compile_fail
//! use kforge::objects::*;
//! // A port handle cannot be made up from a name: there is no such constructor.
//! let ghost = PortRef { name: "http" };
//! ```
//!
//! ```compile_fail
//! use kforge::objects::*;
//! // Nor does a probe take a bare port name.
//! let probe = Probe::http("/health", "http");
//! ```
//!
//! ```compile_fail
//! use kforge::objects::*;
//! // A StatefulSet names its governing Service by reference, never by a name that could miss it.
//! let set = StatefulSet::builder().service_name(kforge::fullname_with("db-headless"));
//! ```

use std::borrow::Cow;

use serde_json::Value;
use typed_builder::TypedBuilder;

use crate::model::Model;
use crate::model::objects::config::{ConfigMap, SecretRef};
use crate::model::objects::network::{Service, ServicePort};
use crate::model::objects::storage::PersistentVolumeClaim;
use crate::model::{Build, Meta, Object, ObjectRef, typed};
use crate::template::expr::{Ex, Expr, Knob, Leaf};
use crate::template::tree::{Entry, Item, LabelSet, List, Lower, Map, Node};

/// A port a container declares; the only way to get one is [`Container::port`].
#[derive(Clone, Debug)]
pub struct PortRef {
    pub(crate) name: &'static str,
}

impl PortRef {
    /// The container port's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// A volume of a pod. Mount it in a container; the pod lists every volume its containers mount.
#[derive(Clone, Debug)]
pub struct Volume {
    name: &'static str,
    source: VolumeSource,
}

/// Where a volume's content comes from.
#[derive(Clone, Debug)]
pub enum VolumeSource {
    /// A PersistentVolumeClaim, by name.
    Claim(Expr<String>),
    /// An empty directory that lives as long as the pod.
    EmptyDir,
    /// A ConfigMap, by name.
    ConfigMap(Expr<String>),
    /// A Secret, by name.
    Secret(Expr<String>),
    /// The first source when the condition holds, the second otherwise.
    Choose(Ex, Box<VolumeSource>, Box<VolumeSource>),
    /// A StatefulSet's claim template: the StatefulSet makes the claim, the pod lists nothing.
    Template,
}

impl VolumeSource {
    /// The claim `claim`.
    pub fn claim(claim: &ObjectRef<PersistentVolumeClaim>) -> Self {
        VolumeSource::Claim(claim.name())
    }
    /// A claim that exists outside the chart, named by a setting.
    pub fn existing_claim(name: impl Into<Expr<String>>) -> Self {
        VolumeSource::Claim(name.into())
    }
    /// The ConfigMap `cm`.
    pub fn config_map(cm: &ObjectRef<ConfigMap>) -> Self {
        VolumeSource::ConfigMap(cm.name())
    }
    /// The Secret `secret`.
    pub fn secret(secret: &SecretRef) -> Self {
        VolumeSource::Secret(secret.name())
    }
    /// One source when `cond` holds, another otherwise.
    pub fn choose(cond: impl Into<Expr<bool>>, then: VolumeSource, otherwise: VolumeSource) -> Self {
        VolumeSource::Choose(cond.into().ex, Box::new(then), Box::new(otherwise))
    }

    fn entries(&self) -> Vec<Entry> {
        match self {
            VolumeSource::Claim(name) => Map::new().field("persistentVolumeClaim", Map::new().str("claimName", name.clone())).entries,
            VolumeSource::EmptyDir => Map::new().field("emptyDir", Map::new()).entries,
            VolumeSource::ConfigMap(name) => Map::new().field("configMap", Map::new().str("name", name.clone())).entries,
            VolumeSource::Secret(name) => Map::new().field("secret", Map::new().str("secretName", name.clone())).entries,
            VolumeSource::Choose(cond, a, b) => vec![Entry::When(cond.clone(), a.entries(), b.entries())],
            VolumeSource::Template => Vec::new(),
        }
    }
}

impl Volume {
    /// A volume `name` (DNS-1123 label) from `source`.
    pub fn new(name: &'static str, source: VolumeSource) -> Self {
        Volume { name, source }
    }
    /// An `emptyDir` volume `name`.
    pub fn empty_dir(name: &'static str) -> Self {
        Volume::new(name, VolumeSource::EmptyDir)
    }
    /// The volume's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl Lower for Volume {
    fn lower(&self) -> Node {
        let mut entries = Map::new().str("name", self.name).entries;
        entries.extend(self.source.entries());
        Node::Map(entries)
    }
}

#[derive(Clone, Debug)]
struct Mount {
    volume: Volume,
    path: Expr<String>,
    sub_path: Option<Expr<String>>,
    read_only: bool,
}

/// An environment variable of a container.
#[derive(Clone, Debug)]
pub struct EnvVar(Map);

impl EnvVar {
    /// Variable `name` set to `value`.
    pub fn value(name: impl Into<Cow<'static, str>>, value: impl Into<Expr<String>>) -> Self {
        EnvVar(Map::new().str("name", name.into().into_owned()).str("value", value))
    }

    /// From a key of a Secret. `optional`: a missing key leaves the variable unset.
    pub fn secret(name: impl Into<Cow<'static, str>>, secret: &SecretRef, key: impl Into<Expr<String>>, optional: bool) -> Self {
        let mut selector = Map::new().str("name", secret.name()).str("key", key);
        if optional {
            selector = selector.bool("optional", true);
        }
        EnvVar(Map::new().str("name", name.into().into_owned()).field("valueFrom", Map::new().field("secretKeyRef", selector)))
    }

    /// Variable `name` from `key` of the ConfigMap `cm`.
    pub fn config_map(name: impl Into<Cow<'static, str>>, cm: &ObjectRef<ConfigMap>, key: impl Into<Expr<String>>) -> Self {
        let selector = Map::new().str("name", cm.name()).str("key", key);
        EnvVar(Map::new().str("name", name.into().into_owned()).field("valueFrom", Map::new().field("configMapKeyRef", selector)))
    }

    /// Variable `name` from `key` of a ConfigMap that exists outside the chart, named by a
    /// setting (declare it with [`crate::Model::external`]), as [`SecretRef::external`] does
    /// for Secrets.
    pub fn config_map_external<T: Leaf<Out = String>>(name: impl Into<Cow<'static, str>>, config_map: &Knob<T>, key: impl Into<Expr<String>>) -> Self {
        let selector = Map::new().str("name", config_map.expr()).str("key", key);
        EnvVar(Map::new().str("name", name.into().into_owned()).field("valueFrom", Map::new().field("configMapKeyRef", selector)))
    }

    /// From a field of the pod (`metadata.namespace`, `status.podIP`, ...).
    pub fn field(name: impl Into<Cow<'static, str>>, field_path: &'static str) -> Self {
        EnvVar(Map::new().str("name", name.into().into_owned()).field("valueFrom", Map::new().field("fieldRef", Map::new().str("fieldPath", field_path))))
    }
}

impl Lower for EnvVar {
    fn lower(&self) -> Node {
        self.0.lower()
    }
}

/// All keys of a ConfigMap or Secret as environment variables.
#[derive(Clone, Debug)]
pub struct EnvFrom(Map);

impl EnvFrom {
    /// Every key of the ConfigMap `cm`.
    pub fn config_map(cm: &ObjectRef<ConfigMap>) -> Self {
        EnvFrom(Map::new().field("configMapRef", Map::new().str("name", cm.name())))
    }
    /// Every key of the Secret `secret`.
    pub fn secret(secret: &SecretRef) -> Self {
        EnvFrom(Map::new().field("secretRef", Map::new().str("name", secret.name())))
    }
}

impl Lower for EnvFrom {
    fn lower(&self) -> Node {
        self.0.lower()
    }
}

#[derive(Clone, Debug)]
enum Action {
    Http {
        path: Expr<String>,
        port: PortRef,
    },
    /// A port named by a setting; whoever builds it rejects names no container declares.
    HttpNamed {
        path: Expr<String>,
        port: Expr<String>,
    },
    HttpNumber {
        path: Expr<String>,
        port: Expr<i64>,
    },
    Tcp(PortRef),
    Exec(Vec<Expr<String>>),
    Choose(Ex, Box<Action>, Box<Action>),
}

impl Action {
    fn entries(&self) -> Vec<Entry> {
        match self {
            Action::Http { path, port } => Map::new().field("httpGet", Map::new().str("path", path.clone()).str("port", port.name)).entries,
            Action::HttpNamed { path, port } => Map::new().field("httpGet", Map::new().str("path", path.clone()).str("port", port.clone())).entries,
            Action::HttpNumber { path, port } => Map::new().field("httpGet", Map::new().str("path", path.clone()).int("port", port.clone())).entries,
            Action::Tcp(port) => Map::new().field("tcpSocket", Map::new().str("port", port.name)).entries,
            Action::Exec(command) => {
                let list = command.iter().fold(List::<Node>::new(), |l, c| l.push(Node::str(c.clone())));
                Map::new().field("exec", Map::new().field("command", list.node())).entries
            }
            Action::Choose(cond, a, b) => vec![Entry::When(cond.clone(), a.entries(), b.entries())],
        }
    }
}

/// A liveness, readiness or startup probe on a declared port.
#[derive(Clone, Debug)]
pub struct Probe {
    action: Action,
    timing: Map,
}

impl Probe {
    /// An HTTP GET of `path` on `port`.
    pub fn http(path: impl Into<Expr<String>>, port: &PortRef) -> Self {
        Probe { action: Action::Http { path: path.into(), port: port.clone() }, timing: Map::new() }
    }
    /// An HTTP check on the port a setting names, which must be one of `declared`: the build
    /// function rejects any other name (see `kit::HttpProbeSettings`).
    pub(crate) fn http_named(path: impl Into<Expr<String>>, port: Expr<String>) -> Self {
        Probe { action: Action::HttpNamed { path: path.into(), port }, timing: Map::new() }
    }
    /// An HTTP probe on a port number taken from a setting, for charts whose values give the
    /// probe's port. Prefer [`Probe::http`]: a `PortRef` can only name a port the container
    /// declares, a number can be any port.
    pub fn http_number(path: impl Into<Expr<String>>, port: impl Into<Expr<i64>>) -> Self {
        Probe { action: Action::HttpNumber { path: path.into(), port: port.into() }, timing: Map::new() }
    }
    /// A TCP connection to `port`.
    pub fn tcp(port: &PortRef) -> Self {
        Probe { action: Action::Tcp(port.clone()), timing: Map::new() }
    }
    /// `command` run in the container; exit status 0 is success.
    pub fn exec(command: impl IntoIterator<Item = Expr<String>>) -> Self {
        Probe { action: Action::Exec(command.into_iter().collect()), timing: Map::new() }
    }
    /// One check when `cond` holds, another otherwise; the timings are this probe's.
    pub fn choose(cond: impl Into<Expr<bool>>, then: Probe, otherwise: Probe) -> Self {
        Probe { action: Action::Choose(cond.into().ex, Box::new(then.action), Box::new(otherwise.action)), timing: Map::new() }
    }
    /// `initialDelaySeconds`.
    pub fn initial_delay(mut self, seconds: impl Into<Expr<i64>>) -> Self {
        self.timing = self.timing.int("initialDelaySeconds", seconds);
        self
    }
    /// `periodSeconds`.
    pub fn period(mut self, seconds: impl Into<Expr<i64>>) -> Self {
        self.timing = self.timing.int("periodSeconds", seconds);
        self
    }
    /// `timeoutSeconds`.
    pub fn timeout(mut self, seconds: impl Into<Expr<i64>>) -> Self {
        self.timing = self.timing.int("timeoutSeconds", seconds);
        self
    }
    /// `failureThreshold`: failures in a row before the probe fails.
    pub fn failure_threshold(mut self, n: impl Into<Expr<i64>>) -> Self {
        self.timing = self.timing.int("failureThreshold", n);
        self
    }
    /// `successThreshold`: successes in a row before the probe passes again.
    pub fn success_threshold(mut self, n: impl Into<Expr<i64>>) -> Self {
        self.timing = self.timing.int("successThreshold", n);
        self
    }
}

impl Lower for Probe {
    fn lower(&self) -> Node {
        let mut entries = self.action.entries();
        entries.extend(self.timing.entries.clone());
        Node::Map(entries)
    }
}

/// A container's `command` or `args`: strings, some present only under a condition
/// ([`List::when`]), some from a list setting ([`List::extend_from`]).
pub type Args = List<Expr<String>>;

/// A container. Declare its ports with [`Container::port`] and its mounts with
/// [`Container::mount`] after building it.
#[derive(Clone, Debug, TypedBuilder)]
pub struct Container {
    /// The container's name (DNS-1123 label).
    pub name: &'static str,
    /// The image reference.
    #[builder(setter(into))]
    pub image: Expr<String>,
    /// `imagePullPolicy`; left out when `None`.
    #[builder(default, setter(strip_option, into))]
    pub image_pull_policy: Option<Expr<String>>,
    /// `command`, replacing the image's entrypoint; left out when empty.
    /// `.command(["aeterna", "migrate"])`.
    #[builder(default, setter(into))]
    pub command: Args,
    /// `args`; left out when empty. `.args(List::from(["serve"]).when(&v.debug, ["--verbose"]))`.
    #[builder(default, setter(into))]
    pub args: Args,
    /// Environment variables.
    #[builder(default)]
    pub env: List<EnvVar>,
    /// Whole ConfigMaps and Secrets as environment variables.
    #[builder(default)]
    pub env_from: List<EnvFrom>,
    /// Free-form `resources` (requests and limits).
    #[builder(default, setter(strip_option, into))]
    pub resources: Option<Expr<Value>>,
    /// Free-form container `securityContext`.
    #[builder(default, setter(strip_option, into))]
    pub security_context: Option<Expr<Value>>,
    #[builder(default, setter(skip))]
    ports: Vec<(Map, Option<Ex>)>,
    #[builder(default, setter(skip))]
    mounts: Vec<(Mount, Option<Ex>)>,
    #[builder(default, setter(skip))]
    extra_mounts: Option<Ex>,
    #[builder(default, setter(skip))]
    liveness: Option<Probe>,
    #[builder(default, setter(skip))]
    readiness: Option<Probe>,
    #[builder(default, setter(skip))]
    startup: Option<Probe>,
}

impl Container {
    /// Declares a TCP port and returns the handle Services and probes target.
    pub fn port(&mut self, name: &'static str, number: impl Into<Expr<i64>>) -> PortRef {
        self.ports.push((Map::new().str("name", name).int("containerPort", number).str("protocol", "TCP"), None));
        PortRef { name }
    }

    /// Declares a port that exists only when `cond` holds.
    pub fn port_when(&mut self, cond: impl Into<Expr<bool>>, name: &'static str, number: impl Into<Expr<i64>>) -> PortRef {
        let port = self.port(name, number);
        if let Some(last) = self.ports.last_mut() {
            last.1 = Some(cond.into().ex);
        }
        port
    }

    /// Mounts `volume` at `path`, writable; the pod lists the volume.
    pub fn mount(&mut self, volume: &Volume, path: impl Into<Expr<String>>) -> &mut Self {
        self.mounts.push((Mount { volume: volume.clone(), path: path.into(), sub_path: None, read_only: false }, None));
        self
    }

    /// Mounts `volume` at `path`, read-only; the pod lists the volume.
    pub fn mount_read_only(&mut self, volume: &Volume, path: impl Into<Expr<String>>) -> &mut Self {
        self.mounts.push((Mount { volume: volume.clone(), path: path.into(), sub_path: None, read_only: true }, None));
        self
    }

    /// Mounts one key (`sub_path`) of a volume at `path`.
    pub fn mount_sub_path(&mut self, volume: &Volume, path: impl Into<Expr<String>>, sub_path: impl Into<Expr<String>>) -> &mut Self {
        self.mounts.push((Mount { volume: volume.clone(), path: path.into(), sub_path: Some(sub_path.into()), read_only: true }, None));
        self
    }

    /// Mounts a volume only when `cond` holds (the pod lists the volume under the same gate).
    pub fn mount_when(&mut self, cond: impl Into<Expr<bool>>, volume: &Volume, path: impl Into<Expr<String>>) -> &mut Self {
        self.mounts.push((Mount { volume: volume.clone(), path: path.into(), sub_path: None, read_only: false }, Some(cond.into().ex)));
        self
    }

    /// Appends the mounts of a free-form list setting (`extraVolumeMounts`).
    pub fn mounts_from(&mut self, extra: Expr<Value>) -> &mut Self {
        self.extra_mounts = Some(extra.ex);
        self
    }

    /// The liveness probe.
    pub fn liveness(&mut self, probe: Probe) -> &mut Self {
        self.liveness = Some(probe);
        self
    }
    /// The readiness probe.
    pub fn readiness(&mut self, probe: Probe) -> &mut Self {
        self.readiness = Some(probe);
        self
    }
    /// The startup probe.
    pub fn startup(&mut self, probe: Probe) -> &mut Self {
        self.startup = Some(probe);
        self
    }

    fn volumes(&self) -> Vec<(Volume, Option<Ex>)> {
        self.mounts.iter().map(|(m, gate)| (m.volume.clone(), gate.clone())).collect()
    }
}

fn gated_items(items: impl IntoIterator<Item = (Node, Option<Ex>)>) -> Vec<Item> {
    items
        .into_iter()
        .map(|(node, gate)| match gate {
            None => Item::One(node),
            Some(cond) => Item::When(cond, vec![Item::One(node)], Vec::new()),
        })
        .collect()
}

impl Lower for Container {
    fn lower(&self) -> Node {
        let mut m = Map::new().str("name", self.name).str("image", self.image.clone());
        if let Some(policy) = &self.image_pull_policy {
            m = m.str("imagePullPolicy", policy.clone());
        }
        if !self.command.is_empty() {
            m = m.field("command", self.command.node());
        }
        if !self.args.is_empty() {
            m = m.field("args", self.args.node());
        }
        if !self.ports.is_empty() {
            m = m.field("ports", Node::List(gated_items(self.ports.iter().map(|(p, g)| (p.lower(), g.clone())))));
        }
        if !self.env_from.is_empty() {
            m = m.field("envFrom", self.env_from.node());
        }
        if !self.env.is_empty() {
            m = m.field("env", self.env.node());
        }
        let mut mounts = gated_items(self.mounts.iter().map(|(mount, gate)| {
            let mut mm = Map::new().str("name", mount.volume.name).str("mountPath", mount.path.clone());
            if let Some(sub) = &mount.sub_path {
                mm = mm.str("subPath", sub.clone());
            }
            if mount.read_only {
                mm = mm.bool("readOnly", true);
            }
            (mm.lower(), gate.clone())
        }));
        if let Some(extra) = &self.extra_mounts {
            mounts.push(Item::Spread(extra.clone()));
        }
        if !mounts.is_empty() {
            m = m.field("volumeMounts", Node::List(mounts));
        }
        for (key, probe) in [("livenessProbe", &self.liveness), ("readinessProbe", &self.readiness), ("startupProbe", &self.startup)] {
            if let Some(p) = probe {
                m = m.field(key, p.lower());
            }
        }
        if let Some(r) = &self.resources {
            m = m.field("resources", Node::raw(r.clone()));
        }
        if let Some(sc) = &self.security_context {
            m = m.field("securityContext", Node::raw(sc.clone()));
        }
        m.lower()
    }
}

/// A pod template: containers plus the pod-level settings.
#[derive(Clone, Debug, TypedBuilder)]
pub struct Pod {
    /// The containers.
    pub containers: Vec<Container>,
    /// Containers that run to completion, in order, before the others start.
    #[builder(default)]
    pub init_containers: Vec<Container>,
    /// Extra pod labels (the common labels are always there).
    #[builder(default)]
    pub labels: Map,
    /// Annotations of the pod template.
    #[builder(default)]
    pub annotations: Map,
    /// `serviceAccountName`; left out when `None`.
    #[builder(default, setter(strip_option, into))]
    pub service_account_name: Option<Expr<String>>,
    /// `automountServiceAccountToken`; left out when `None`.
    #[builder(default, setter(strip_option, into))]
    pub automount_service_account_token: Option<Expr<bool>>,
    /// The pod's free-form `securityContext`.
    #[builder(default, setter(strip_option, into))]
    pub security_context: Option<Expr<Value>>,
    /// Free-form `imagePullSecrets`.
    #[builder(default, setter(strip_option, into))]
    pub image_pull_secrets: Option<Expr<Value>>,
    /// Free-form `nodeSelector`.
    #[builder(default, setter(strip_option, into))]
    pub node_selector: Option<Expr<Value>>,
    /// Free-form `affinity`.
    #[builder(default, setter(strip_option, into))]
    pub affinity: Option<Expr<Value>>,
    /// `tolerations`.
    #[builder(default)]
    pub tolerations: List<Node>,
    /// Free-form volumes appended to those the mounts need (`extraVolumes`).
    #[builder(default, setter(strip_option, into))]
    pub extra_volumes: Option<Expr<Value>>,
    /// `restartPolicy` (`Never`, `OnFailure`); left out when `None`.
    #[builder(default, setter(strip_option))]
    pub restart_policy: Option<&'static str>,
    /// `terminationGracePeriodSeconds`; left out when `None`.
    #[builder(default, setter(strip_option, into))]
    pub termination_grace_period: Option<Expr<i64>>,
}

impl Pod {
    pub(crate) fn lower_with(&self, component: Option<&'static str>) -> Node {
        let labels = Map::new().labels(LabelSet::All(component)).extend(self.labels.clone());
        let mut metadata = Map::new();
        if !self.annotations.is_empty() {
            metadata = metadata.field("annotations", self.annotations.clone());
        }
        metadata = metadata.field("labels", labels);

        let mut spec = Map::new();
        if let Some(ips) = &self.image_pull_secrets {
            spec = spec.field("imagePullSecrets", Node::raw(ips.clone()));
        }
        if let Some(sa) = &self.service_account_name {
            spec = spec.str("serviceAccountName", sa.clone());
        }
        if let Some(auto) = &self.automount_service_account_token {
            spec = spec.bool("automountServiceAccountToken", auto.clone());
        }
        if let Some(sc) = &self.security_context {
            spec = spec.field("securityContext", Node::raw(sc.clone()));
        }
        if let Some(policy) = self.restart_policy {
            spec = spec.str("restartPolicy", policy);
        }
        if let Some(grace) = &self.termination_grace_period {
            spec = spec.int("terminationGracePeriodSeconds", grace.clone());
        }
        if !self.init_containers.is_empty() {
            spec = spec.field("initContainers", List::of(self.init_containers.iter().cloned()).node());
        }
        spec = spec.field("containers", List::of(self.containers.iter().cloned()).node());

        // Every volume a container mounts, once, in first-mount order.
        let mut seen: Vec<&'static str> = Vec::new();
        let mut volumes = Vec::new();
        for c in self.init_containers.iter().chain(&self.containers) {
            for (v, gate) in c.volumes() {
                if !seen.contains(&v.name) && !matches!(v.source, VolumeSource::Template) {
                    seen.push(v.name);
                    volumes.push((v.lower(), gate));
                }
            }
        }
        let mut volumes = gated_items(volumes);
        if let Some(extra) = &self.extra_volumes {
            volumes.push(Item::Spread(extra.ex.clone()));
        }
        if !volumes.is_empty() {
            spec = spec.field("volumes", Node::List(volumes));
        }
        if let Some(ns) = &self.node_selector {
            spec = spec.field("nodeSelector", Node::raw(ns.clone()));
        }
        if let Some(aff) = &self.affinity {
            spec = spec.field("affinity", Node::raw(aff.clone()));
        }
        if !self.tolerations.is_empty() {
            spec = spec.field("tolerations", self.tolerations.node());
        }
        Map::new().field("metadata", metadata).field("spec", spec).into()
    }
}

/// How a Deployment replaces its pods.
#[derive(Clone, Debug)]
pub struct Strategy(Vec<Entry>);

impl Strategy {
    /// Stop every old pod before starting new ones.
    pub fn recreate() -> Self {
        Strategy(Map::new().str("type", "Recreate").entries)
    }
    /// `max_surge` and `max_unavailable`: a count or a percentage (`"25%"`).
    pub fn rolling(max_surge: Expr<Value>, max_unavailable: Expr<Value>) -> Self {
        let rolling = Map::new().field("maxSurge", Node::any(max_surge)).field("maxUnavailable", Node::any(max_unavailable));
        Strategy(Map::new().str("type", "RollingUpdate").field("rollingUpdate", rolling).entries)
    }
    /// `then` when `cond` holds, `otherwise` when it does not.
    pub fn choose(cond: impl Into<Expr<bool>>, then: Strategy, otherwise: Strategy) -> Self {
        Strategy(vec![Entry::When(cond.into().ex, then.0, otherwise.0)])
    }
}

/// Something a Service, a PodDisruptionBudget, a NetworkPolicy or an autoscaler can point at:
/// a workload the model declares.
pub trait Workload {
    /// The component of its pods' selector labels.
    fn component(&self) -> Option<&'static str>;
    /// `apiVersion`, `kind` and name, for `scaleTargetRef`.
    fn target(&self) -> (&'static str, &'static str, Expr<String>);
}

impl Workload for ObjectRef<Deployment> {
    fn component(&self) -> Option<&'static str> {
        self.component
    }
    fn target(&self) -> (&'static str, &'static str, Expr<String>) {
        ("apps/v1", "Deployment", self.name())
    }
}

/// The labels that select a workload's pods (`app.kubernetes.io/name`, `instance`, and
/// `component` when the workload has one), as a map for a selector field: what a kind outside
/// this crate that selects pods (a `PodMonitor`'s `selector.matchLabels`) puts in its body. The
/// chart renders them through its `selectorLabels` helper.
pub fn selector(workload: &dyn Workload) -> Map {
    selector_labels(workload.component())
}

pub(crate) fn selector_labels(component: Option<&'static str>) -> Map {
    Map::new().labels(LabelSet::Selector(component))
}

/// A Deployment (`apps/v1`).
#[derive(Clone, Debug, TypedBuilder)]
pub struct Deployment {
    /// Name and labels.
    pub meta: Meta,
    /// Left out when `None`, or when `replicas_unless` holds (an autoscaler owns the count).
    #[builder(default, setter(strip_option, into))]
    pub replicas: Option<Expr<i64>>,
    /// Leaves `replicas` out when this holds (an autoscaler owns the count).
    #[builder(default, setter(strip_option, into))]
    pub replicas_unless: Option<Expr<bool>>,
    /// How pods are replaced; the API server's default when `None`.
    #[builder(default, setter(strip_option))]
    pub strategy: Option<Strategy>,
    /// `revisionHistoryLimit`; left out when `None`.
    #[builder(default, setter(strip_option, into))]
    pub revision_history_limit: Option<Expr<i64>>,
    /// The pod template.
    pub pod: Pod,
}

impl Build for Deployment {
    fn object(self) -> Object {
        let mut spec = Map::new();
        if let Some(r) = &self.replicas {
            let field = Map::new().int("replicas", r.clone());
            spec = match &self.replicas_unless {
                Some(cond) => spec.when(cond.not(), field),
                None => spec.extend(field),
            };
        }
        if let Some(limit) = &self.revision_history_limit {
            spec = spec.int("revisionHistoryLimit", limit.clone());
        }
        if let Some(s) = &self.strategy {
            spec = spec.field("strategy", Node::Map(s.0.clone()));
        }
        spec = spec.field("selector", Map::new().field("matchLabels", selector_labels(self.meta.component))).field("template", self.pod.lower_with(self.meta.component));
        Object::new("apps/v1", "Deployment", self.meta, Map::new().field("spec", spec)).checked_as::<k8s_openapi::api::apps::v1::Deployment>()
    }
}

/// A claim each pod of a StatefulSet gets for itself (`volumeClaimTemplates`). Mount its
/// [`ClaimTemplate::volume`] in a container and list the template on the StatefulSet.
#[derive(Clone, Debug)]
pub struct ClaimTemplate {
    name: &'static str,
    size: Expr<String>,
    storage_class: Expr<String>,
}

impl ClaimTemplate {
    /// `size` is a quantity; an empty `storage_class` leaves the cluster's default class.
    pub fn new(name: &'static str, size: impl Into<Expr<String>>, storage_class: impl Into<Expr<String>>) -> Self {
        ClaimTemplate { name, size: size.into(), storage_class: storage_class.into() }
    }
    /// The volume a container mounts; the pod does not list it, the StatefulSet makes it.
    pub fn volume(&self) -> Volume {
        Volume::new(self.name, VolumeSource::Template)
    }
}

impl Lower for ClaimTemplate {
    fn lower(&self) -> Node {
        let spec = Map::new()
            .field("accessModes", List::of([Node::str("ReadWriteOnce")]).node())
            .when(self.storage_class.is_set(), Map::new().str("storageClassName", self.storage_class.clone()))
            .field("resources", Map::new().field("requests", Map::new().str("storage", self.size.clone())));
        // k8s-openapi writes a claim's apiVersion and kind wherever it serializes one: the chart
        // says them too, so both renderers print the same template.
        Map::new().str("apiVersion", "v1").str("kind", "PersistentVolumeClaim").field("metadata", Map::new().str("name", self.name)).field("spec", spec).lower()
    }
}

/// A StatefulSet: pods with stable names and a claim each, behind a headless Service.
#[derive(Clone, Debug, TypedBuilder)]
pub struct StatefulSet {
    /// Name and labels.
    pub meta: Meta,
    /// The number of pods.
    #[builder(setter(into))]
    pub replicas: Expr<i64>,
    /// The headless Service that gives the pods their DNS names, by its reference: a name could
    /// miss it, and Kubernetes would take the miss and leave the pods without DNS names.
    /// [`Model::add_governed`] adds a StatefulSet with its governing Service.
    #[builder(setter(transform = |service: &ObjectRef<Service>| service.name()))]
    pub service_name: Expr<String>,
    /// Claims made per pod, mounted by name.
    #[builder(default)]
    pub claim_templates: Vec<ClaimTemplate>,
    /// The pod template.
    pub pod: Pod,
}

impl Build for StatefulSet {
    fn object(self) -> Object {
        let mut spec = Map::new()
            .int("replicas", self.replicas.clone())
            .str("serviceName", self.service_name.clone())
            .field("selector", Map::new().field("matchLabels", selector_labels(self.meta.component)))
            .field("template", self.pod.lower_with(self.meta.component));
        if !self.claim_templates.is_empty() {
            spec = spec.field("volumeClaimTemplates", List::of(self.claim_templates.iter().cloned()).node());
        }
        workload_object("StatefulSet", self.meta, spec, typed::<k8s_openapi::api::apps::v1::StatefulSet>)
    }
}

impl Model {
    /// Adds the StatefulSet `set` makes and, after it, its governing headless Service, named
    /// and labelled by `headless`, selecting the set's pods, with `ports`. `set` gets the
    /// Service's reference for [`StatefulSet::service_name`]: the Service is declared by this
    /// call, so the name cannot miss it. Returns both references.
    pub fn add_governed(&mut self, headless: Meta, ports: Vec<ServicePort>, set: impl FnOnce(&ObjectRef<Service>) -> StatefulSet) -> (ObjectRef<StatefulSet>, ObjectRef<Service>) {
        self.governed(None, headless, ports, set)
    }

    /// [`Model::add_governed`], both objects rendered only when `cond` holds.
    pub fn add_governed_when(
        &mut self,
        cond: impl Into<Expr<bool>>,
        headless: Meta,
        ports: Vec<ServicePort>,
        set: impl FnOnce(&ObjectRef<Service>) -> StatefulSet,
    ) -> (ObjectRef<StatefulSet>, ObjectRef<Service>) {
        self.governed(Some(cond.into()), headless, ports, set)
    }

    fn governed(
        &mut self,
        cond: Option<Expr<bool>>,
        headless: Meta,
        ports: Vec<ServicePort>,
        set: impl FnOnce(&ObjectRef<Service>) -> StatefulSet,
    ) -> (ObjectRef<StatefulSet>, ObjectRef<Service>) {
        // The Service's reference before the Service: this function adds it below, whatever
        // `set` does.
        let service_ref = ObjectRef::new(headless.name.clone(), headless.component);
        let set = set(&service_ref);
        let set_ref = match &cond {
            Some(c) => self.add_when(c.clone(), set),
            None => self.add(set),
        };
        let mut service = Service::headless(headless, &set_ref);
        for port in ports {
            service.port(port);
        }
        match cond {
            Some(c) => self.add_when(c, service),
            None => self.add(service),
        };
        (set_ref, service_ref)
    }
}

/// A DaemonSet: one pod on every node its tolerations and selectors admit.
#[derive(Clone, Debug, TypedBuilder)]
pub struct DaemonSet {
    /// Name and labels.
    pub meta: Meta,
    /// The pod template.
    pub pod: Pod,
    /// Start the new pod on a node before the old one stops (`maxSurge: 1, maxUnavailable: 0`),
    /// instead of Kubernetes' default of stopping first. For a node-local service (reached
    /// through a Service with `internalTrafficPolicy: Local`), whose callers on that node have no
    /// other endpoint while it restarts.
    #[builder(default)]
    pub surge: bool,
}

impl Build for DaemonSet {
    fn object(self) -> Object {
        let mut spec = Map::new().field("selector", Map::new().field("matchLabels", selector_labels(self.meta.component)));
        if self.surge {
            spec = spec.field("updateStrategy", Map::new().str("type", "RollingUpdate").field("rollingUpdate", Map::new().int("maxSurge", 1).int("maxUnavailable", 0)));
        }
        let spec = spec.field("template", self.pod.lower_with(self.meta.component));
        workload_object("DaemonSet", self.meta, spec, typed::<k8s_openapi::api::apps::v1::DaemonSet>)
    }
}

/// A Job. With a [`Hook`](crate::model::Hook) it runs as a Helm hook in the chart; plain manifests carry it as a
/// plain Job (hook annotations belong to Helm alone).
#[derive(Clone, Debug, TypedBuilder)]
pub struct Job {
    /// Name and labels.
    pub meta: Meta,
    /// `backoffLimit`: retries before the Job fails; left out when `None`.
    #[builder(default, setter(strip_option, into))]
    pub backoff_limit: Option<Expr<i64>>,
    /// `activeDeadlineSeconds`; left out when `None`.
    #[builder(default, setter(strip_option, into))]
    pub active_deadline_seconds: Option<Expr<i64>>,
    /// Runs as this Helm hook in the chart; a plain Job in the manifests.
    #[builder(default, setter(strip_option))]
    pub hook: Option<crate::model::Hook>,
    /// Its restart policy must be `Never` or `OnFailure`.
    pub pod: Pod,
}

impl Build for Job {
    fn object(self) -> Object {
        let mut spec = Map::new();
        if let Some(limit) = &self.backoff_limit {
            spec = spec.int("backoffLimit", limit.clone());
        }
        if let Some(deadline) = &self.active_deadline_seconds {
            spec = spec.int("activeDeadlineSeconds", deadline.clone());
        }
        spec = spec.field("template", self.pod.lower_with(self.meta.component));
        let mut object = workload_object("Job", self.meta, spec, typed::<k8s_openapi::api::batch::v1::Job>);
        object.api_version = "batch/v1";
        object.hook = self.hook;
        object
    }
}

fn workload_object(kind: &'static str, meta: Meta, spec: Map, check: crate::model::TypeCheck) -> Object {
    Object { check, ..Object::new("apps/v1", kind, meta, Map::new().field("spec", spec)) }
}

macro_rules! workloads {
    ($($kind:ident),+) => {$(
        impl Workload for ObjectRef<$kind> {
            fn component(&self) -> Option<&'static str> {
                self.component
            }
            fn target(&self) -> (&'static str, &'static str, Expr<String>) {
                ("apps/v1", stringify!($kind), self.name())
            }
        }
    )+};
}

workloads!(StatefulSet, DaemonSet);

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::Model;
    use crate::render::{RenderErrorKind, testing};
    use crate::template::expr::{Knob, Path, json};

    fn deployment(replicas: &Knob<i64>, autoscaled: &Knob<bool>, security_context: Option<Value>) -> Model {
        let mut c = Container::builder().name("web").image("web:1").build();
        let http = c.port("http", 8080);
        c.liveness(Probe::http("/healthz", &http));
        if let Some(sc) = security_context {
            c.security_context = Some(json(sc));
        }
        let mut m = Model::new();
        let pod = Pod::builder().containers(vec![c]).build();
        m.add(Deployment::builder().meta(Meta::new("web").component("server")).replicas(replicas).replicas_unless(autoscaled).pod(pod).build());
        m
    }

    #[test]
    fn a_governed_statefulset_names_the_headless_service_declared_with_it() {
        let mut c = Container::builder().name("db").image("db:1").build();
        let port = c.port("db", 5432);
        let mut m = Model::new();
        let headless = Meta::new("db-headless").component("db");
        let (_, service) = m.add_governed(headless, vec![ServicePort::new("db", 5432, &port)], |headless| {
            StatefulSet::builder().meta(Meta::new("db").component("db")).replicas(1).service_name(headless).pod(Pod::builder().containers(vec![c]).build()).build()
        });
        assert_eq!(format!("{:?}", service.name()), format!("{:?}", crate::template::expr::Expr::<String>::from("db-headless")));
        // The StatefulSet first, then its Service, as applications declared them before.
        assert_eq!(m.objects.iter().map(|o| o.kind).collect::<Vec<_>>(), ["StatefulSet", "Service"]);
        let objects = testing::objects(&m, json!({})).expect("renders");
        let of = |kind: &str| objects.iter().find(|o| o["kind"] == kind).expect("rendered");
        let (set, svc) = (of("StatefulSet"), of("Service"));
        assert_eq!(set["spec"]["serviceName"], svc["metadata"]["name"]);
        assert_eq!(svc["spec"]["clusterIP"], "None");
        assert_eq!(svc["spec"]["selector"], set["spec"]["selector"]["matchLabels"]);
        assert_eq!(svc["spec"]["ports"][0]["targetPort"], "db");
    }

    #[test]
    fn command_and_args_take_strings_and_args_under_a_condition() {
        let debug: Knob<bool> = Knob::at(Path::values().child("debug"));
        let args = Args::from(["serve", "--port=80"]).when(&debug, ["--verbose", "--trace"]);
        let c = Container::builder().name("web").image("web:1").command(["/bin/web"]).args(args).build();
        let mut m = Model::new();
        m.add(Deployment::builder().meta(Meta::new("web")).replicas(1).pod(Pod::builder().containers(vec![c]).build()).build());
        let container = |debug: bool| testing::object(&m, json!({"debug": debug}))["spec"]["template"]["spec"]["containers"][0].clone();
        assert_eq!(container(false)["command"], json!(["/bin/web"]));
        assert_eq!(container(false)["args"], json!(["serve", "--port=80"]));
        assert_eq!(container(true)["args"], json!(["serve", "--port=80", "--verbose", "--trace"]));
    }

    #[test]
    fn a_deployment_selects_its_own_pods_and_leaves_replicas_to_an_autoscaler() {
        let (replicas, autoscaled) = (Knob::at(Path::values().child("replicas")), Knob::at(Path::values().child("autoscaled")));
        let m = deployment(&replicas, &autoscaled, None);
        let d = testing::object(&m, json!({"replicas": 3, "autoscaled": false}));
        assert_eq!(d["spec"]["replicas"], 3);
        let selector = json!({"app.kubernetes.io/name": "test", "app.kubernetes.io/instance": "rel", "app.kubernetes.io/component": "server"});
        assert_eq!(d["spec"]["selector"]["matchLabels"], selector);
        let pod_labels = d["spec"]["template"]["metadata"]["labels"].as_object().expect("pod labels");
        assert!(selector.as_object().expect("map").iter().all(|(k, v)| pod_labels.get(k) == Some(v)), "{pod_labels:?}");
        let container = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["ports"], json!([{"name": "http", "containerPort": 8080, "protocol": "TCP"}]));
        assert_eq!(container["livenessProbe"]["httpGet"], json!({"path": "/healthz", "port": "http"}));

        let d = testing::object(&m, json!({"replicas": 3, "autoscaled": true}));
        assert!(d["spec"].get("replicas").is_none(), "{d}");
        // The chart gates the field on the same setting.
        let chart = testing::templates(&m);
        assert!(chart.contains(".Values.autoscaled") && chart.contains(".Values.replicas"), "{chart}");
    }

    #[test]
    fn a_free_form_setting_of_the_wrong_type_is_named_by_its_field() {
        let (replicas, autoscaled) = (Knob::at(Path::values().child("replicas")), Knob::at(Path::values().child("autoscaled")));
        let m = deployment(&replicas, &autoscaled, Some(json!({"runAsUser": "root"})));
        let e = testing::objects(&m, json!({"replicas": 1, "autoscaled": false})).expect_err("runAsUser is a number");
        assert_eq!((e.object.as_str(), e.path.as_str()), ("Deployment/web", "spec.template.spec.containers[0].securityContext.runAsUser"));
        assert!(matches!(&e.kind, RenderErrorKind::Lowering(m) if m.contains("invalid type: string")), "{e}");
    }
}
