//! Settings sections most charts share, with the objects they drive: image, service account,
//! ingress, service, resources, HTTP probes, autoscaling and disruption budgets. An application embeds the section in its `Values` and calls the builder
//! here, so every chart reads these settings the same way.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::template::expr::{Expr, Knob, Knobbed, Leaf, app_version, checksum_of, concat, fullname, service_account_name};
use crate::model::{Meta, Model, ObjectRef};
use crate::model::objects::{
    Cluster, Container, HorizontalPodAutoscaler, ObjectStore, ScheduledBackup, Pod, Ingress, IngressPath, IngressRule, Metric, PodDisruptionBudget, PortRef, Probe, Service, ServiceAccount, ServicePort, ServicePortRef,
    Workload,
};
use crate::template::tree::{List, Map};
use crate::values::{CronSchedule, DnsName, OptionalIntOrPercent, Size, OptionalPort, PathType, Port, PullPolicy, Quantity, ServiceType, StringMap};
use crate::Knobs;

/// Free-form map settings (`securityContext`, `affinity`, ...).
pub type FreeForm = serde_json::Map<String, Value>;

/// A free-form map setting's default, written as JSON (`free_form(json!({"runAsNonRoot": true}))`);
/// anything but a JSON object gives an empty map.
pub fn free_form(v: Value) -> FreeForm {
    match v {
        Value::Object(m) => m,
        _ => FreeForm::new(),
    }
}

// A container image, optionally behind a registry mirror.
#[allow(missing_docs)] // A doc comment here would become the schema's description.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Image {
    /// Image repository.
    pub repository: String,
    /// Image tag; empty means the chart's appVersion.
    pub tag: String,
    /// When the kubelet pulls the image.
    pub pull_policy: PullPolicy,
}

impl Image {
    /// `repository` with no tag (the chart's appVersion applies), pulled `IfNotPresent`.
    pub fn new(repository: &str) -> Self {
        Image { repository: repository.into(), tag: String::new(), pull_policy: PullPolicy::IfNotPresent }
    }
}

impl ImageKnobs {
    /// `repository:tag`, the tag defaulting to the chart's appVersion.
    pub fn reference(&self) -> Expr<String> {
        concat([self.repository.expr(), ":".into(), self.tag.or_else(app_version())])
    }

    /// [`ImageKnobs::reference`] behind a registry (a mirror or pull-through cache) when
    /// `registry` is set: `<registry>/<repository>:<tag>`.
    pub fn reference_in(&self, registry: &Knob<String>) -> Expr<String> {
        registry.is_set().then(concat([registry.expr(), "/".into(), self.reference()]), self.reference())
    }
}

/// `meta` going to the chart template `file` when one is given.
fn in_file(meta: Meta, file: Option<&str>) -> Meta {
    match file {
        Some(f) => meta.template_file(f),
        None => meta,
    }
}

/// A reference to a Secret by name (`imagePullSecrets` entries).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NameRef {
    /// Name of the Secret.
    pub name: DnsName,
}

// Whether and how the chart creates the pods' ServiceAccount.
#[allow(missing_docs)] // A doc comment here would become the schema's description.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceAccountSettings {
    /// Create a ServiceAccount for the pods.
    pub create: bool,
    /// Name of the ServiceAccount; empty means the release's full name when `create` is true,
    /// `default` otherwise.
    pub name: DnsName,
    /// Annotations of the ServiceAccount (for example a cloud IAM role binding).
    pub annotations: StringMap,
    /// Mount the ServiceAccount's API token into the pods; off unless the application calls the
    /// Kubernetes API.
    pub automount_service_account_token: bool,
}

impl Default for ServiceAccountSettings {
    fn default() -> Self {
        ServiceAccountSettings { create: true, name: DnsName::default(), annotations: StringMap::new(), automount_service_account_token: false }
    }
}

impl ServiceAccountSettingsKnobs {
    /// The ServiceAccount, rendered when `create` is set; the pods name it through
    /// [`service_account_name`].
    pub fn add_to(&self, model: &mut Model) -> ObjectRef<ServiceAccount> {
        self.add(model, None)
    }

    /// [`ServiceAccountSettingsKnobs::add_to`], into the chart template `file`.
    pub fn add_in(&self, model: &mut Model, file: &str) -> ObjectRef<ServiceAccount> {
        self.add(model, Some(file))
    }

    fn add(&self, model: &mut Model, file: Option<&str>) -> ObjectRef<ServiceAccount> {
        let sa = ServiceAccount::builder()
            .meta(in_file(Meta::new(service_account_name()).annotations(Map::new().spread(&self.annotations)), file))
            .automount_token(&self.automount_service_account_token)
            .build();
        // Without `create`, the pods run as a ServiceAccount someone else made (or `default`).
        model.external::<ServiceAccount>(self.create.then("", &self.name));
        model.add_when(&self.create, sa)
    }
}

// One path of an Ingress host.
#[allow(missing_docs)] // A doc comment here would become the schema's description.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressPathSetting {
    /// URL path.
    pub path: String,
    /// How the path matches.
    pub path_type: PathType,
}

// One host of an Ingress, with its paths.
#[allow(missing_docs)] // A doc comment here would become the schema's description.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressHost {
    /// Host name.
    pub host: String,
    /// Paths routed to the service.
    pub paths: Vec<IngressPathSetting>,
}

// A TLS certificate (a Secret) for some hosts of an Ingress.
#[allow(missing_docs)] // A doc comment here would become the schema's description.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressTls {
    /// Secret holding the certificate.
    pub secret_name: DnsName,
    /// Hosts the certificate covers.
    pub hosts: Vec<String>,
}

// An Ingress to the application's Service: off by default, routes every host and path to
// one Service port ([`IngressSettingsKnobs::add_to`]).
#[allow(missing_docs)] // A doc comment here would become the schema's description.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressSettings {
    /// Create an Ingress.
    pub enabled: bool,
    /// IngressClass to use; empty means the cluster's default class.
    pub class_name: String,
    /// Annotations of the Ingress (for example cert-manager or controller settings).
    pub annotations: StringMap,
    /// Hosts and paths routed to the service.
    pub hosts: Vec<IngressHost>,
    /// TLS certificates by host.
    pub tls: Vec<IngressTls>,
}

impl IngressSettings {
    /// Disabled, with one example host.
    pub fn example(host: &str) -> Self {
        IngressSettings {
            enabled: false,
            class_name: String::new(),
            annotations: StringMap::new(),
            hosts: vec![IngressHost { host: host.into(), paths: vec![IngressPathSetting { path: "/".into(), path_type: PathType::Prefix }] }],
            tls: Vec::new(),
        }
    }
}

impl IngressSettingsKnobs {
    /// The Ingress, rendered when `enabled`, routing every host and path to `port`.
    pub fn add_to(&self, model: &mut Model, port: &ServicePortRef) -> ObjectRef<Ingress> {
        self.add(model, port, None)
    }

    /// [`IngressSettingsKnobs::add_to`], into the chart template `file`.
    pub fn add_in(&self, model: &mut Model, port: &ServicePortRef, file: &str) -> ObjectRef<Ingress> {
        self.add(model, port, Some(file))
    }

    fn add(&self, model: &mut Model, port: &ServicePortRef, file: Option<&str>) -> ObjectRef<Ingress> {
        let rules = List::new().each(&self.hosts, "host", |host: IngressHostKnobs| {
            let paths = List::new().each(&host.paths, "path", |p: IngressPathSettingKnobs| IngressPath::new(&p.path, &p.path_type, port));
            IngressRule::new(&host.host, paths)
        });
        let ingress = Ingress::builder()
            .meta(in_file(Meta::new(fullname()).annotations(Map::new().spread(&self.annotations)), file))
            .class_name(&self.class_name)
            .rules(rules)
            .tls(self.tls.raw())
            .build();
        model.add_when(&self.enabled, ingress)
    }
}

// A Service: type, port, optional node port and annotations.
#[allow(missing_docs)] // A doc comment here would become the schema's description.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceSettings {
    /// Service type.
    #[serde(rename = "type")]
    pub type_: ServiceType,
    /// Port the Service listens on.
    pub port: Port,
    /// Fixed node port, used only with type NodePort; empty lets Kubernetes choose.
    pub node_port: OptionalPort,
    /// Annotations of the Service (for example cloud load balancer settings).
    pub annotations: StringMap,
}

impl ServiceSettings {
    /// A ClusterIP Service on `port`.
    pub fn new(port: u16) -> Self {
        ServiceSettings { type_: ServiceType::ClusterIp, port: Port(port), node_port: OptionalPort(None), annotations: StringMap::new() }
    }
}

impl ServiceSettingsKnobs {
    /// The Service port `name` on `port`, forwarding to `target`, with the fixed node port when
    /// the type is NodePort and one is set.
    pub fn port(&self, name: &'static str, target: &PortRef) -> ServicePort {
        ServicePort::new(name, &self.port, target).node_port_when(self.type_.is(ServiceType::NodePort), &self.node_port)
    }

    /// The Service of these settings: `meta` with the settings' annotations, their type, and one
    /// port `name` forwarding to `target` of `workload`'s pods; with the handle of that port.
    pub fn service(&self, meta: Meta, workload: &dyn Workload, name: &'static str, target: &PortRef) -> (Service, ServicePortRef) {
        let mut service = Service::builder().meta(meta.annotations(Map::new().spread(&self.annotations))).type_(&self.type_).selects(workload).ports(List::new()).build();
        let port = service.port(self.port(name, target));
        (service, port)
    }
}

/// Requests and limits of a container.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    /// Upper bounds (`cpu`, `memory`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, Quantity>,
    /// What the scheduler reserves (`cpu`, `memory`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: BTreeMap<String, Quantity>,
}

impl Resources {
    /// CPU and memory requests and limits, each `(cpu, memory)`: `(("100m", "128Mi"), ("1", "512Mi"))`.
    pub fn cpu_memory(requests: (&str, &str), limits: (&str, &str)) -> Self {
        let pair = |(cpu, memory): (&str, &str)| [("cpu".to_string(), Quantity::new(cpu)), ("memory".to_string(), Quantity::new(memory))].into();
        Resources { requests: pair(requests), limits: pair(limits) }
    }
}

/// The HTTP check of a probe. `P` is the set of port names it accepts: a closed enum of the
/// container's port names keeps the schema as strict as the build.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpGetSettings<P> {
    /// URL path of the check.
    pub path: String,
    /// Name of the container port to check.
    pub port: P,
}

/// An HTTP liveness or readiness probe with its timings, in the shape of a Kubernetes probe.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpProbeSettings<P> {
    /// The HTTP request of the check.
    pub http_get: HttpGetSettings<P>,
    /// Seconds before the first check.
    pub initial_delay_seconds: u16,
    /// Seconds between checks.
    pub period_seconds: u16,
    /// Seconds before a check times out.
    pub timeout_seconds: u16,
    /// Failed checks in a row before the probe fails.
    pub failure_threshold: u16,
}

impl<P> HttpProbeSettings<P> {
    /// Settings for an HTTP probe on `path` and `port`, delays and timeouts in seconds.
    pub fn new(path: &str, port: P, initial_delay: u16, period: u16, timeout: u16, failure_threshold: u16) -> Self {
        HttpProbeSettings {
            http_get: HttpGetSettings { path: path.into(), port },
            initial_delay_seconds: initial_delay,
            period_seconds: period,
            timeout_seconds: timeout,
            failure_threshold,
        }
    }
}

impl<P: Knobbed<Handle = Knob<P>> + Leaf<Out = String> + Clone + std::fmt::Debug> HttpProbeSettingsKnobs<P> {
    /// The probe. Its port must name one of `ports`; both renderers reject any other name.
    pub fn probe(&self, model: &mut Model, ports: &[&PortRef]) -> Probe {
        let port = &self.http_get.port;
        let names: Vec<&str> = ports.iter().map(|p| p.name()).collect();
        let declared = ports.iter().map(|p| port.expr().eq(p.name())).reduce(|a, b| a.or(b)).unwrap_or_else(|| Expr::from(false));
        model.reject_when(declared.not(), &format!("{} must name a container port: one of {}", port.path(), names.join(", ")));
        Probe::http_named(&self.http_get.path, port.expr())
            .initial_delay(&self.initial_delay_seconds)
            .period(&self.period_seconds)
            .timeout(&self.timeout_seconds)
            .failure_threshold(&self.failure_threshold)
    }
}

/// A HorizontalPodAutoscaler for one workload (autoscaling/v2), in the settings `helm create`
/// uses.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutoscalingSettings {
    /// Scale the pods with a HorizontalPodAutoscaler; the Deployment then leaves its replica
    /// count to the autoscaler.
    pub enabled: bool,
    /// Fewest pods (at least 1).
    pub min_replicas: u16,
    /// Most pods (at least `minReplicas`).
    pub max_replicas: u16,
    /// Average CPU utilization to keep, in percent of the CPU request; 0 leaves CPU out.
    #[serde(rename = "targetCPUUtilizationPercentage")]
    pub target_cpu_utilization_percentage: u16,
    /// Average memory utilization to keep, in percent of the memory request; 0 leaves memory
    /// out.
    pub target_memory_utilization_percentage: u16,
}

impl AutoscalingSettingsKnobs {
    /// The autoscaler of `workload`, rendered when `enabled`; rejects replica bounds Kubernetes
    /// would refuse.
    pub fn add_to(&self, model: &mut Model, workload: &dyn Workload) -> ObjectRef<HorizontalPodAutoscaler> {
        self.add_as(model, Meta::new(fullname()), workload)
    }

    /// [`AutoscalingSettingsKnobs::add_to`] with the autoscaler's own name and labels.
    pub fn add_as(&self, model: &mut Model, meta: Meta, workload: &dyn Workload) -> ObjectRef<HorizontalPodAutoscaler> {
        let min = self.min_replicas.expr();
        let max = self.max_replicas.expr();
        model.reject_when(self.enabled.and(min.lt(1)), &format!("{} must be at least 1", self.min_replicas.path()));
        model.reject_when(self.enabled.and(max.lt(min.clone())), &format!("{} must be at least {}", self.max_replicas.path(), self.min_replicas.path()));
        let metrics = List::new()
            .when(self.target_cpu_utilization_percentage.is_set(), List::new().push(Metric::utilization("cpu", &self.target_cpu_utilization_percentage)))
            .when(self.target_memory_utilization_percentage.is_set(), List::new().push(Metric::utilization("memory", &self.target_memory_utilization_percentage)));
        let hpa = HorizontalPodAutoscaler::builder().meta(meta).scales(workload).min_replicas(min).max_replicas(max).metrics(metrics).build();
        model.add_when(&self.enabled, hpa)
    }
}

/// A PodDisruptionBudget for one workload: `minAvailable` or `maxUnavailable`, never both.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DisruptionBudgetSettings {
    /// Render a PodDisruptionBudget.
    pub enabled: bool,
    /// Pods that must stay available during a voluntary disruption (a count or a percentage);
    /// "" for none.
    pub min_available: OptionalIntOrPercent,
    /// Pods that may be unavailable during a voluntary disruption (a count or a percentage), as
    /// an alternative to `minAvailable`: set `minAvailable: ""` to use it.
    pub max_unavailable: OptionalIntOrPercent,
}

impl DisruptionBudgetSettingsKnobs {
    /// The budget of `workload`, rendered when `enabled`; rejects setting both bounds or none.
    pub fn add_to(&self, model: &mut Model, workload: &dyn Workload) -> ObjectRef<PodDisruptionBudget> {
        self.add_as(model, Meta::new(fullname()), workload, true)
    }

    /// [`DisruptionBudgetSettingsKnobs::add_to`] with the budget's own name and labels, for a
    /// workload that exists only when `exists` holds.
    pub fn add_as(&self, model: &mut Model, meta: Meta, workload: &dyn Workload, exists: impl Into<Expr<bool>>) -> ObjectRef<PodDisruptionBudget> {
        let enabled = self.enabled.and(exists);
        let (min, max) = (self.min_available.is_present(), self.max_unavailable.is_present());
        let (min_path, max_path) = (self.min_available.path(), self.max_unavailable.path());
        model.reject_when(enabled.and(min.and(&max)), &format!("set {min_path} or {max_path}, not both: Kubernetes accepts only one (set the other to \"\")"));
        model.reject_when(enabled.and(min.or(&max).not()), &format!("set {min_path} or {max_path}: a PodDisruptionBudget needs one of them"));
        let pdb = PodDisruptionBudget::builder()
            .meta(meta)
            .selects(workload)
            .min_available(self.min_available.raw())
            .max_unavailable(self.max_unavailable.raw())
            .build();
        model.add_when(enabled, pdb)
    }
}

/// The pod settings `helm create` keeps at the top level of values.yaml (they cannot live in a
/// section of their own without renaming them), gathered so every chart reads them alike.
pub struct PodSettings<'a> {
    /// Annotations of the pod template.
    pub annotations: &'a Knob<StringMap>,
    /// Extra labels of the pod template.
    pub labels: &'a Knob<StringMap>,
    /// The pod's free-form `securityContext`.
    pub security_context: &'a Knob<FreeForm>,
    /// Secrets to pull images with.
    pub image_pull_secrets: &'a Knob<Vec<NameRef>>,
    /// Free-form `nodeSelector`.
    pub node_selector: &'a Knob<StringMap>,
    /// Free-form `tolerations`.
    pub tolerations: &'a Knob<Vec<FreeForm>>,
    /// Free-form `affinity`.
    pub affinity: &'a Knob<FreeForm>,
    /// Which ServiceAccount the pods run as.
    pub service_account: &'a ServiceAccountSettingsKnobs,
}

impl PodSettings<'_> {
    /// A pod running `containers` under the chart's ServiceAccount. It carries a
    /// `checksum/<name>` annotation per `(name, template file)` of `rolled_by`
    /// (`("config", "configmap.yaml")`), so a change in that file rolls the pods.
    pub fn pod(&self, containers: Vec<Container>, rolled_by: &[(&str, &str)]) -> Pod {
        let checksums = rolled_by.iter().fold(Map::new(), |m, (name, file)| m.str(format!("checksum/{name}"), checksum_of(file)));
        Pod::builder()
            .containers(containers)
            .annotations(checksums.spread(self.annotations))
            .labels(Map::new().spread(self.labels))
            .service_account_name(service_account_name())
            .automount_service_account_token(&self.service_account.automount_service_account_token)
            .security_context(self.security_context.raw())
            .image_pull_secrets(self.image_pull_secrets.raw())
            .node_selector(self.node_selector.raw())
            .affinity(self.affinity.raw())
            .tolerations(List::new().extend_from(self.tolerations))
            .build()
    }
}

/// The [`PodSettings`] of a values handle whose top-level fields have the conventional names
/// (`pod_annotations`, `pod_labels`, `pod_security_context`, `image_pull_secrets`,
/// `node_selector`, `tolerations`, `affinity`, `service_account`).
#[macro_export]
macro_rules! pod_settings {
    ($v:expr) => {
        $crate::model::kit::PodSettings {
            annotations: &$v.pod_annotations,
            labels: &$v.pod_labels,
            security_context: &$v.pod_security_context,
            image_pull_secrets: &$v.image_pull_secrets,
            node_selector: &$v.node_selector,
            tolerations: &$v.tolerations,
            affinity: &$v.affinity,
            service_account: &$v.service_account,
        }
    };
}

/// A volume: its size and storage class.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StorageSettings {
    /// Size of the volume.
    pub size: Size,
    /// Storage class; empty means the default: `global.storageClass` where the chart has one,
    /// else the cluster's default class.
    pub storage_class: String,
}

impl StorageSettings {
    /// A claim of `size` (a Kubernetes quantity), the cluster's default class.
    pub fn new(size: &str) -> Self {
        StorageSettings { size: Size::new(size), storage_class: String::new() }
    }
}

/// Backups of a CloudNativePG cluster to object storage: base backups on a schedule, WAL
/// continuously.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterBackupSettings {
    /// Back up the cluster to `destination`: base backups on `schedule`, WAL continuously.
    pub enabled: bool,
    /// When base backups run, in cron's five fields.
    pub schedule: CronSchedule,
    /// Object storage.
    pub destination: BackupDestination,
}

// Where backups go: an object store bucket and its credentials.
#[allow(missing_docs)] // A doc comment here would become the schema's description.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupDestination {
    /// Object storage service.
    #[serde(rename = "type")]
    pub type_: BackupType,
    /// Bucket (s3, gcs), or `<account>.blob.core.windows.net/<container>` (azure).
    pub bucket: String,
    /// Path inside the bucket.
    pub path: String,
    /// Secret with the credentials: `ACCESS_KEY_ID` and `ACCESS_SECRET_KEY` (s3),
    /// `gcsCredentials` (gcs), `AZURE_CONNECTION_STRING` (azure). Empty uses the pods' cloud
    /// identity (IAM role, GKE workload identity, Azure AD).
    pub existing_secret: DnsName,
}

pub use backup_type::BackupType;

// The variants stay undocumented: a documented variant becomes a `oneOf` in the schema.
#[allow(missing_docs)]
mod backup_type {
    crate::string_enum!(
        /// Object storage service.
        BackupType { S3 = "s3", Gcs = "gcs", Azure = "azure" } default S3
    );
}

impl ClusterBackupSettings {
    /// Off, on `schedule`, to an S3 bucket yet to be named.
    pub fn new(schedule: &str) -> Self {
        ClusterBackupSettings {
            enabled: false,
            schedule: CronSchedule::new(schedule),
            destination: BackupDestination { type_: BackupType::S3, bucket: String::new(), path: String::new(), existing_secret: DnsName::default() },
        }
    }
}

impl ClusterBackupSettingsKnobs {
    /// The cluster's `backup` section (present when enabled), for [`Cluster`]'s builder.
    pub fn store(&self) -> (Expr<bool>, ObjectStore) {
        let d = &self.destination;
        let store = ObjectStore::choose(
            d.type_.is(BackupType::S3),
            ObjectStore::s3(&d.bucket, &d.path, &d.existing_secret),
            ObjectStore::choose(d.type_.is(BackupType::Gcs), ObjectStore::gcs(&d.bucket, &d.path, &d.existing_secret), ObjectStore::azure(&d.bucket, &d.path, &d.existing_secret)),
        );
        (self.enabled.expr(), store)
    }

    /// The ScheduledBackup of `cluster` (rendered when enabled and the cluster `exists`), and the
    /// rules: a bucket, and a cluster to back up.
    pub fn add_schedule(&self, model: &mut Model, meta: Meta, cluster: &ObjectRef<Cluster>, exists: impl Into<Expr<bool>>, exists_path: &str) {
        let exists = exists.into();
        let path = |k: &Knob<bool>| k.path().to_string();
        model.reject_when(self.enabled.and(exists.not()), &format!("{} backs up the bundled cluster: it needs {exists_path}", path(&self.enabled)));
        model.reject_when(self.enabled.and(self.destination.bucket.is_set().not()), &format!("{}: set {}", path(&self.enabled), self.destination.bucket.path()));
        let schedule = ScheduledBackup::builder()
            .meta(meta)
            .cluster(cluster)
            // CloudNativePG's cron starts with a seconds field.
            .schedule(concat(["0 ".into(), self.schedule.expr()]))
            .build();
        model.add_when(self.enabled.and(exists), schedule);
    }
}
