//! The check `emit` runs before it writes anything: what types cannot prove about one
//! environment's rendered objects. References between objects must land (a Service's selector
//! on some workload's pods, a target port on a declared container port, an Ingress or route on a
//! Service port, an autoscaler on a workload, a volume on a ConfigMap, Secret or claim that is
//! rendered or declared external), names and labels must be what the API server accepts, and
//! every pod must meet the restricted Pod Security Standard unless the application declares an
//! exception for it.
//!
//! The check reads the objects as rendered (JSON, after the k8s-openapi round trip) and knows no
//! application. Kinds it does not know are checked for their names and labels, and for their
//! pods when they carry a pod template where workloads do (`spec.template`); they never make
//! the check fail by being unknown.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

/// One problem in one environment: which object, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub app: String,
    /// `default`, or the name of the example environment.
    pub environment: String,
    /// `Kind/name` of the object, or `values <path>` for a finding about the values.
    pub subject: String,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}: {}", self.app, self.environment, self.subject, self.message)
    }
}

/// An object the environment refers to without rendering it, declared by the model
/// (`Model::external`): a Secret the operator creates, a claim that exists already.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    pub kind: String,
    pub name: String,
}

/// The controls of the restricted Pod Security Standard
/// (<https://kubernetes.io/docs/concepts/security/pod-security-standards/>), by the names the
/// standard gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Control {
    HostProcess,
    HostNamespaces,
    PrivilegedContainers,
    Capabilities,
    HostPathVolumes,
    HostPorts,
    AppArmor,
    SeLinux,
    ProcMountType,
    Seccomp,
    Sysctls,
    VolumeTypes,
    PrivilegeEscalation,
    RunningAsNonRoot,
    RunningAsNonRootUser,
}

impl Control {
    pub fn title(self) -> &'static str {
        match self {
            Control::HostProcess => "HostProcess",
            Control::HostNamespaces => "Host Namespaces",
            Control::PrivilegedContainers => "Privileged Containers",
            Control::Capabilities => "Capabilities",
            Control::HostPathVolumes => "HostPath Volumes",
            Control::HostPorts => "Host Ports",
            Control::AppArmor => "AppArmor",
            Control::SeLinux => "SELinux",
            Control::ProcMountType => "/proc Mount Type",
            Control::Seccomp => "Seccomp",
            Control::Sysctls => "Sysctls",
            Control::VolumeTypes => "Volume Types",
            Control::PrivilegeEscalation => "Privilege Escalation",
            Control::RunningAsNonRoot => "Running as Non-root",
            Control::RunningAsNonRootUser => "Running as Non-root user",
        }
    }
}

/// A component that cannot meet one control of the restricted standard, declared by its
/// application (`App::pss_exception`) with the reason, which the chart README lists. It covers
/// the named container, and for the pod-level parts of the control the pods that run it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PssException {
    pub container: &'static str,
    pub control: Control,
    pub reason: &'static str,
}

/// What one environment's check found, and which declared exceptions it needed (an exception
/// that no environment needs is stale, and `emit` says so).
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub used_exceptions: BTreeSet<usize>,
}

/// One environment of one application, ready to check.
pub struct Environment<'a> {
    pub app: &'a str,
    pub environment: &'a str,
    pub objects: &'a [Value],
    pub external: &'a [Reference],
    pub exceptions: &'a [PssException],
}

// ----- names and labels ----------------------------------------------------------------------

// Hand-written rather than regular expressions: the check runs over every label of every
// object of every environment, and a regex engine made label keys a fifth of emit's time.

/// Non-empty, every character `inner`, the first `first` and the last `last`.
fn word(s: &str, first: fn(char) -> bool, inner: fn(char) -> bool, last: fn(char) -> bool) -> bool {
    let (Some(a), Some(z)) = (s.chars().next(), s.chars().last()) else { return false };
    first(a) && last(z) && s.chars().all(inner)
}

fn lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

fn lower_alnum_dash(c: char) -> bool {
    lower_alnum(c) || c == '-'
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
fn dns_label_shape(s: &str) -> bool {
    word(s, lower_alnum, lower_alnum_dash, lower_alnum)
}

/// `[a-z]([-a-z0-9]*[a-z0-9])?`
fn dns_1035_shape(s: &str) -> bool {
    word(s, |c| c.is_ascii_lowercase(), lower_alnum_dash, lower_alnum)
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`: a label name or value.
fn label_part(s: &str) -> bool {
    word(s, |c| c.is_ascii_alphanumeric(), |c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'), |c| c.is_ascii_alphanumeric())
}

fn dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(dns_label_shape)
}

fn dns_label(s: &str) -> bool {
    s.len() <= 63 && dns_label_shape(s)
}

/// What is wrong with an object name, if anything. Services are DNS-1035 labels (they become
/// DNS names and environment variables); RBAC objects may contain `:`; everything else, custom
/// resources included, is a DNS-1123 subdomain.
fn name_problem(kind: &str, name: &str) -> Option<String> {
    match kind {
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => {
            (name.is_empty() || name.contains('/') || name.contains('%') || name == "." || name == "..")
                .then(|| format!("name {name:?} is not a valid path segment"))
        }
        "Service" => (name.len() > 63 || !dns_1035_shape(name)).then(|| {
            format!("name {name:?} is not a DNS-1035 label (lowercase letters, digits and '-', starting with a letter, at most 63 characters)")
        }),
        "Namespace" => (!dns_label(name)).then(|| format!("name {name:?} is not a DNS-1123 label (at most 63 characters)")),
        _ => (!dns_subdomain(name)).then(|| {
            format!("name {name:?} is not a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most 253 characters)")
        }),
    }
}

/// A label or annotation key: an optional DNS subdomain prefix and `/`, then a name of at most
/// 63 characters.
fn key_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix
        && !dns_subdomain(p)
    {
        return Some(format!("key {key:?}: the prefix is not a DNS-1123 subdomain"));
    }
    if name.len() > 63 || !label_part(name) {
        return Some(format!("key {key:?}: the name part must be 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"));
    }
    None
}

fn label_value_problem(value: &str) -> Option<String> {
    if value.len() > 63 {
        return Some(format!("value of {} characters is over the 63 a label value may have", value.len()));
    }
    (!value.is_empty() && !label_part(value))
        .then(|| format!("value {value:?} is not a label value (letters, digits, '-', '_' and '.', starting and ending with a letter or digit)"))
}

fn check_labels(labels: Option<&Value>, what: &str, out: &mut Vec<String>) {
    let Some(Value::Object(labels)) = labels else { return };
    for (k, v) in labels {
        if let Some(p) = key_problem(k) {
            out.push(format!("{what}: label {p}"));
        }
        match v {
            Value::String(s) => {
                if let Some(p) = label_value_problem(s) {
                    out.push(format!("{what}: label {k:?}: {p}"));
                }
            }
            other => out.push(format!("{what}: label {k:?}: the value {other} is not a string")),
        }
    }
}

fn check_annotation_keys(annotations: Option<&Value>, what: &str, out: &mut Vec<String>) {
    let Some(Value::Object(annotations)) = annotations else { return };
    for k in annotations.keys() {
        if let Some(p) = key_problem(k) {
            out.push(format!("{what}: annotation {p}"));
        }
    }
}

// ----- the index of one environment ----------------------------------------------------------

fn str_at<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn list_at<'v>(v: &'v Value, pointer: &str) -> &'v [Value] {
    v.pointer(pointer).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

fn kind_of(o: &Value) -> &str {
    str_at(o, "/kind").unwrap_or("")
}

fn name_of(o: &Value) -> &str {
    str_at(o, "/metadata/name").unwrap_or("")
}

fn namespace_of(o: &Value) -> &str {
    str_at(o, "/metadata/namespace").unwrap_or("")
}

fn group_of(o: &Value) -> &str {
    str_at(o, "/apiVersion").and_then(|v| v.rsplit_once('/')).map(|(g, _)| g).unwrap_or("")
}

fn subject(o: &Value) -> String {
    format!("{}/{}", kind_of(o), name_of(o))
}

/// A pod template inside a workload object, and where it is.
struct PodTemplate<'v> {
    /// Index of the object in the environment.
    object: usize,
    namespace: &'v str,
    labels: BTreeMap<&'v str, &'v str>,
    meta: Option<&'v Value>,
    annotations: Option<&'v Value>,
    spec: &'v Value,
    /// JSON pointer of the template's metadata and spec, for messages.
    at: &'static str,
}

/// The pod template of an object, wherever workloads keep it: a Pod itself, a CronJob's job
/// template, or `spec.template` (Deployment, StatefulSet, DaemonSet, Job, ReplicaSet, and custom
/// workloads shaped the same way).
fn pod_template(index: usize, o: &Value) -> Option<PodTemplate<'_>> {
    let (meta, spec, at) = if kind_of(o) == "Pod" && o.pointer("/spec/containers").is_some() {
        (o.get("metadata"), o.get("spec")?, "")
    } else if let Some(spec) = o.pointer("/spec/jobTemplate/spec/template/spec").filter(|s| s.get("containers").is_some_and(Value::is_array)) {
        (o.pointer("/spec/jobTemplate/spec/template/metadata"), spec, "spec.jobTemplate.spec.template.")
    } else if let Some(spec) = o.pointer("/spec/template/spec").filter(|s| s.get("containers").is_some_and(Value::is_array)) {
        (o.pointer("/spec/template/metadata"), spec, "spec.template.")
    } else {
        return None;
    };
    let labels = meta
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .map(|l| l.iter().filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))).collect())
        .unwrap_or_default();
    Some(PodTemplate { object: index, namespace: namespace_of(o), labels, meta, annotations: meta.and_then(|m| m.get("annotations")), spec, at })
}

/// Every container of a pod: init, regular and ephemeral.
fn containers(spec: &Value) -> impl Iterator<Item = (&'static str, &Value)> {
    ["initContainers", "containers", "ephemeralContainers"]
        .into_iter()
        .flat_map(move |field| spec.get(field).and_then(Value::as_array).into_iter().flatten().map(move |c| (field, c)))
}

fn container_ports(spec: &Value) -> impl Iterator<Item = &Value> {
    containers(spec).flat_map(|(_, c)| c.get("ports").and_then(Value::as_array).into_iter().flatten())
}

/// A Kubernetes label selector (`matchLabels` and `matchExpressions`) against a set of labels.
fn selector_matches(selector: &Value, labels: &BTreeMap<&str, &str>) -> bool {
    let labels_ok = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .is_none_or(|m| m.iter().all(|(k, v)| v.as_str().is_some_and(|v| labels.get(k.as_str()) == Some(&v))));
    let expressions_ok = list_at(selector, "/matchExpressions").iter().all(|e| {
        let key = str_at(e, "/key").unwrap_or("");
        let values: Vec<&str> = list_at(e, "/values").iter().filter_map(Value::as_str).collect();
        let have = labels.get(key);
        match str_at(e, "/operator").unwrap_or("") {
            "In" => have.is_some_and(|h| values.contains(h)),
            "NotIn" => have.is_none_or(|h| !values.contains(h)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        }
    });
    labels_ok && expressions_ok
}

fn selector_text(selector: &Value) -> String {
    let mut parts: Vec<String> = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("?"))).collect())
        .unwrap_or_default();
    for e in list_at(selector, "/matchExpressions") {
        parts.push(format!("{} {} {}", str_at(e, "/key").unwrap_or("?"), str_at(e, "/operator").unwrap_or("?"), e.get("values").map(Value::to_string).unwrap_or_default()));
    }
    if parts.is_empty() { "everything".into() } else { parts.join(", ") }
}

fn is_empty_selector(selector: &Value) -> bool {
    selector.get("matchLabels").and_then(Value::as_object).is_none_or(Map::is_empty) && list_at(selector, "/matchExpressions").is_empty()
}

/// Objects that other objects make: an ExternalSecret makes a Secret, a cert-manager
/// Certificate the Secret of its key pair, a CloudNativePG Cluster its Services and Secrets. A
/// reference to what they make lands as if it were rendered.
fn made_by(o: &Value) -> Vec<(String, String)> {
    let name = name_of(o).to_string();
    match (group_of(o), kind_of(o)) {
        ("external-secrets.io", "ExternalSecret") => {
            vec![("Secret".into(), str_at(o, "/spec/target/name").filter(|n| !n.is_empty()).unwrap_or(&name).to_string())]
        }
        ("cert-manager.io", "Certificate") => str_at(o, "/spec/secretName").map(|s| vec![("Secret".to_string(), s.to_string())]).unwrap_or_default(),
        ("postgresql.cnpg.io", "Cluster") => {
            let mut out: Vec<(String, String)> = ["rw", "ro", "r"].iter().map(|s| ("Service".to_string(), format!("{name}-{s}"))).collect();
            out.extend(["app", "superuser", "ca", "server", "replication"].iter().map(|s| ("Secret".to_string(), format!("{name}-{s}"))));
            out
        }
        _ => Vec::new(),
    }
}

struct Index<'v> {
    objects: &'v [Value],
    pods: Vec<PodTemplate<'v>>,
    /// (kind, namespace, name) of every object rendered, made by another or declared external.
    present: BTreeSet<(String, String, String)>,
    external: BTreeSet<(String, String)>,
}

impl<'v> Index<'v> {
    fn new(objects: &'v [Value], external: &[Reference]) -> Self {
        let pods = objects.iter().enumerate().filter_map(|(i, o)| pod_template(i, o)).collect();
        let mut present = BTreeSet::new();
        for o in objects {
            present.insert((kind_of(o).to_string(), namespace_of(o).to_string(), name_of(o).to_string()));
            for (kind, name) in made_by(o) {
                present.insert((kind, namespace_of(o).to_string(), name));
            }
        }
        let external = external.iter().map(|r| (r.kind.clone(), r.name.clone())).collect();
        Index { objects, pods, present, external }
    }

    /// Rendered, made by a rendered object, or declared external.
    fn exists(&self, kind: &str, namespace: &str, name: &str) -> bool {
        self.present.contains(&(kind.to_string(), namespace.to_string(), name.to_string())) || self.external.contains(&(kind.to_string(), name.to_string()))
    }

    fn rendered(&self, kind: &str, namespace: &str, name: &str) -> Option<&'v Value> {
        self.objects.iter().find(|o| kind_of(o) == kind && namespace_of(o) == namespace && name_of(o) == name)
    }

    fn pods_matching<'s>(&'s self, namespace: &'s str, selector: &'s Value) -> impl Iterator<Item = &'s PodTemplate<'v>> + 's {
        self.pods.iter().filter(move |p| p.namespace == namespace && selector_matches(selector, &p.labels))
    }
}

// ----- the check -----------------------------------------------------------------------------

/// Checks one environment. Findings come in object order, each object's in a fixed order.
pub fn check(env: &Environment) -> Report {
    let index = Index::new(env.objects, env.external);
    let mut report = Report::default();
    let mut seen: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for (i, o) in env.objects.iter().enumerate() {
        let mut problems = Vec::new();
        let key = (kind_of(o).to_string(), namespace_of(o).to_string(), name_of(o).to_string());
        if seen.insert(key, i).is_some() {
            problems.push("rendered twice: another object of this kind has the same name".to_string());
        }
        match o.get("metadata").and_then(|m| m.get("name")).and_then(Value::as_str) {
            Some(name) => problems.extend(name_problem(kind_of(o), name)),
            None => problems.push("has no name".into()),
        }
        if let Some(ns) = o.pointer("/metadata/namespace").and_then(Value::as_str)
            && !dns_label(ns)
        {
            problems.push(format!("namespace {ns:?} is not a DNS-1123 label"));
        }
        check_labels(o.pointer("/metadata/labels"), "metadata.labels", &mut problems);
        check_annotation_keys(o.pointer("/metadata/annotations"), "metadata.annotations", &mut problems);
        references(&index, o, &mut problems);
        // A workload whose selector misses its own pods is refused by the API server.
        if let Some(pod) = index.pods.iter().find(|p| p.object == i && p.at == "spec.template.")
            && let Some(selector) = o.pointer("/spec/selector").filter(|s| s.get("matchLabels").is_some() || s.get("matchExpressions").is_some())
            && !selector_matches(selector, &pod.labels)
        {
            problems.push(format!("spec.selector ({}) does not match the labels of its own pod template", selector_text(selector)));
        }
        if let Some(pod) = index.pods.iter().find(|p| p.object == i) {
            pod_problems(&index, pod, env.exceptions, &mut problems, &mut report.used_exceptions);
        }
        for message in problems {
            report.findings.push(Finding { app: env.app.to_string(), environment: env.environment.to_string(), subject: subject(o), message });
        }
    }
    report
}

/// References from one object to others: selectors, ports, backends, scale targets.
fn references(index: &Index, o: &Value, out: &mut Vec<String>) {
    let ns = namespace_of(o);
    match (group_of(o), kind_of(o)) {
        ("", "Service") => service(index, o, out),
        ("networking.k8s.io", "Ingress") => {
            let mut backends: Vec<(&Value, String)> = Vec::new();
            if let Some(b) = o.pointer("/spec/defaultBackend") {
                backends.push((b, "spec.defaultBackend".into()));
            }
            for (r, rule) in list_at(o, "/spec/rules").iter().enumerate() {
                for (p, path) in list_at(rule, "/http/paths").iter().enumerate() {
                    if let Some(b) = path.get("backend") {
                        backends.push((b, format!("spec.rules[{r}].http.paths[{p}].backend")));
                    }
                }
            }
            for (backend, at) in backends {
                let Some(svc) = backend.get("service") else { continue };
                let name = str_at(svc, "/name").unwrap_or("");
                let port = svc.get("port").and_then(|p| p.get("name").or_else(|| p.get("number"))).unwrap_or(&Value::Null);
                service_port(index, ns, name, port, &at, out);
            }
        }
        ("gateway.networking.k8s.io", kind) if kind.ends_with("Route") => {
            for (r, rule) in list_at(o, "/spec/rules").iter().enumerate() {
                for (b, backend) in list_at(rule, "/backendRefs").iter().enumerate() {
                    let group = str_at(backend, "/group").unwrap_or("");
                    if str_at(backend, "/kind").unwrap_or("Service") != "Service" || !(group.is_empty() || group == "core") {
                        continue;
                    }
                    let target_ns = str_at(backend, "/namespace").unwrap_or(ns);
                    let name = str_at(backend, "/name").unwrap_or("");
                    let at = format!("spec.rules[{r}].backendRefs[{b}]");
                    match backend.get("port") {
                        Some(port) => service_port(index, target_ns, name, port, &at, out),
                        None => out.push(format!("{at}: a Service backend needs a port")),
                    }
                }
            }
        }
        ("autoscaling", "HorizontalPodAutoscaler") => {
            let kind = str_at(o, "/spec/scaleTargetRef/kind").unwrap_or("");
            let name = str_at(o, "/spec/scaleTargetRef/name").unwrap_or("");
            if !index.exists(kind, ns, name) {
                out.push(format!("spec.scaleTargetRef: {kind} {name:?} is not rendered"));
            }
        }
        ("policy", "PodDisruptionBudget") => {
            let selector = o.pointer("/spec/selector").unwrap_or(&Value::Null);
            if index.pods_matching(ns, selector).next().is_none() {
                out.push(format!("spec.selector ({}) matches no workload's pods", selector_text(selector)));
            }
        }
        ("networking.k8s.io", "NetworkPolicy") => {
            // An empty podSelector is a policy for the whole namespace, on purpose.
            let selector = o.pointer("/spec/podSelector").unwrap_or(&Value::Null);
            if !is_empty_selector(selector) && index.pods_matching(ns, selector).next().is_none() {
                out.push(format!("spec.podSelector ({}) selects no workload's pods", selector_text(selector)));
            }
        }
        ("monitoring.coreos.com", "ServiceMonitor") => service_monitor(index, o, out),
        _ => {}
    }
}

fn service(index: &Index, o: &Value, out: &mut Vec<String>) {
    let ns = namespace_of(o);
    if str_at(o, "/spec/type") == Some("ExternalName") {
        return;
    }
    // A Service without a selector has its endpoints managed by hand, on purpose.
    let Some(Value::Object(selector)) = o.pointer("/spec/selector") else { return };
    if selector.is_empty() {
        return;
    }
    check_labels(o.pointer("/spec/selector"), "spec.selector", out);
    let as_selector = serde_json::json!({ "matchLabels": selector });
    let pods: Vec<&PodTemplate> = index.pods_matching(ns, &as_selector).collect();
    if pods.is_empty() {
        out.push(format!("spec.selector ({}) matches no workload's pods", selector_text(&as_selector)));
        return;
    }
    for (i, port) in list_at(o, "/spec/ports").iter().enumerate() {
        // A number reaches the pod whether or not a container declares it; a name must be declared.
        let Some(target) = port.get("targetPort").and_then(Value::as_str) else { continue };
        let declared = pods.iter().any(|p| container_ports(p.spec).any(|cp| str_at(cp, "/name") == Some(target)));
        if !declared {
            out.push(format!("spec.ports[{i}].targetPort {target:?} names no container port of the pods it selects"));
        }
    }
}

/// A backend on a Service port: the Service must be there, and (when rendered) have the port.
fn service_port(index: &Index, ns: &str, name: &str, port: &Value, at: &str, out: &mut Vec<String>) {
    let Some(svc) = index.rendered("Service", ns, name) else {
        if !index.exists("Service", ns, name) {
            out.push(format!("{at}: Service {name:?} is not rendered"));
        }
        return;
    };
    let ports = list_at(svc, "/spec/ports");
    let found = match port {
        Value::String(p) => ports.iter().any(|sp| str_at(sp, "/name") == Some(p)),
        Value::Number(n) => ports.iter().any(|sp| sp.get("port").and_then(Value::as_i64) == n.as_i64()),
        _ => false,
    };
    if !found {
        out.push(format!("{at}: Service {name:?} has no port {port}"));
    }
}

fn service_monitor(index: &Index, o: &Value, out: &mut Vec<String>) {
    let ns = namespace_of(o);
    // Monitors that look into other namespaces select Services this environment cannot see.
    let own_only = match o.pointer("/spec/namespaceSelector") {
        None => true,
        Some(sel) => sel.get("any") != Some(&Value::Bool(true)) && list_at(sel, "/matchNames").iter().all(|n| n.as_str() == Some(ns)),
    };
    if !own_only {
        return;
    }
    let selector = o.pointer("/spec/selector").unwrap_or(&Value::Null);
    let services: Vec<&Value> = index
        .objects
        .iter()
        .filter(|s| kind_of(s) == "Service" && group_of(s).is_empty() && namespace_of(s) == ns)
        .filter(|s| {
            let labels = s.pointer("/metadata/labels").and_then(Value::as_object);
            let labels: BTreeMap<&str, &str> = labels.into_iter().flatten().filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))).collect();
            selector_matches(selector, &labels)
        })
        .collect();
    if services.is_empty() {
        out.push(format!("spec.selector ({}) matches no Service", selector_text(selector)));
        return;
    }
    for (i, endpoint) in list_at(o, "/spec/endpoints").iter().enumerate() {
        if let Some(port) = str_at(endpoint, "/port")
            && !services.iter().any(|s| list_at(s, "/spec/ports").iter().any(|p| str_at(p, "/name") == Some(port)))
        {
            out.push(format!("spec.endpoints[{i}].port {port:?} names no port of the Services it selects"));
        }
    }
}

// ----- pods ----------------------------------------------------------------------------------

/// Volume sources the restricted standard allows.
const ALLOWED_VOLUMES: &[&str] = &["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];
/// Sysctls the baseline (and so the restricted) standard allows.
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const SELINUX_TYPES: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

fn pod_problems(index: &Index, pod: &PodTemplate, exceptions: &[PssException], out: &mut Vec<String>, used: &mut BTreeSet<usize>) {
    let at = pod.at;
    let spec = pod.spec;
    // A Pod's own metadata was checked as the object's.
    if !at.is_empty() {
        check_labels(pod.meta.and_then(|m| m.get("labels")), &format!("{at}metadata.labels"), out);
        check_annotation_keys(pod.annotations, &format!("{at}metadata.annotations"), out);
    }
    let ns = pod.namespace;
    let object = &index.objects[pod.object];

    // Volumes: each name once, each reference landing.
    let mut volume_names = BTreeSet::new();
    for (i, v) in list_at(spec, "/volumes").iter().enumerate() {
        let name = str_at(v, "/name").unwrap_or("");
        if !dns_label(name) {
            out.push(format!("{at}spec.volumes[{i}]: name {name:?} is not a DNS-1123 label"));
        }
        if !volume_names.insert(name) {
            out.push(format!("{at}spec.volumes[{i}]: volume {name:?} is listed twice"));
        }
        for (kind, target) in volume_refs(v) {
            if !index.exists(&kind, ns, &target) {
                out.push(format!("{at}spec.volumes[{i}] ({name}): {kind} {target:?} is neither rendered nor declared external"));
            }
        }
    }
    // A StatefulSet's claim templates are volumes its pods mount by name.
    let claim_templates: BTreeSet<&str> = list_at(object, "/spec/volumeClaimTemplates").iter().filter_map(|t| str_at(t, "/metadata/name")).collect();

    if let Some(sa) = str_at(spec, "/serviceAccountName")
        && sa != "default"
        && !index.exists("ServiceAccount", ns, sa)
    {
        out.push(format!("{at}spec.serviceAccountName: ServiceAccount {sa:?} is neither rendered nor declared external"));
    }

    let mut container_names = BTreeSet::new();
    for (field, c) in containers(spec) {
        let cname = str_at(c, "/name").unwrap_or("");
        let here = format!("{at}spec.{field}[{cname}]");
        if !dns_label(cname) {
            out.push(format!("{here}: name {cname:?} is not a DNS-1123 label"));
        }
        if !container_names.insert(cname) {
            out.push(format!("{here}: another container has the same name"));
        }
        let mut port_names = BTreeSet::new();
        for p in list_at(c, "/ports") {
            if let Some(pn) = str_at(p, "/name") {
                if pn.len() > 15 || !dns_label_shape(pn) || pn.contains("--") || !pn.chars().any(|ch| ch.is_ascii_lowercase()) {
                    out.push(format!("{here}: port name {pn:?} is not an IANA service name (at most 15 lowercase letters, digits and single '-', with a letter)"));
                }
                if !port_names.insert(pn) {
                    out.push(format!("{here}: port name {pn:?} is declared twice"));
                }
            }
        }
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            for action in ["httpGet", "tcpSocket"] {
                if let Some(port) = c.pointer(&format!("/{probe}/{action}/port")).and_then(Value::as_str)
                    && !port_names.contains(port)
                {
                    out.push(format!("{here}: {probe}.{action}.port {port:?} names no port of this container"));
                }
            }
        }
        for (i, m) in list_at(c, "/volumeMounts").iter().enumerate() {
            let vn = str_at(m, "/name").unwrap_or("");
            if !volume_names.contains(vn) && !claim_templates.contains(vn) {
                out.push(format!("{here}.volumeMounts[{i}]: volume {vn:?} is not a volume of the pod"));
            }
        }
        // Each missing object once per container, with the variables that read it.
        let mut missing: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
        for e in list_at(c, "/env") {
            let var = str_at(e, "/name").unwrap_or("");
            for (kind, pointer) in [("Secret", "/valueFrom/secretKeyRef/name"), ("ConfigMap", "/valueFrom/configMapKeyRef/name")] {
                if let Some(target) = str_at(e, pointer)
                    && !index.exists(kind, ns, target)
                {
                    missing.entry((kind, target)).or_default().push(format!("env {var}"));
                }
            }
        }
        for (i, e) in list_at(c, "/envFrom").iter().enumerate() {
            for (kind, pointer) in [("Secret", "/secretRef/name"), ("ConfigMap", "/configMapRef/name")] {
                if let Some(target) = str_at(e, pointer)
                    && !index.exists(kind, ns, target)
                {
                    missing.entry((kind, target)).or_default().push(format!("envFrom[{i}]"));
                }
            }
        }
        for ((kind, target), uses) in missing {
            out.push(format!("{here} ({}): {kind} {target:?} is neither rendered nor declared external", uses.join(", ")));
        }
    }

    for (control, message) in restricted(spec, pod.annotations, at) {
        let excused = exceptions.iter().enumerate().find(|(_, e)| e.control == control && message.container.as_deref().is_none_or(|c| c == e.container) && container_names.contains(e.container));
        match excused {
            Some((i, _)) => {
                used.insert(i);
            }
            None => out.push(format!("{} (Pod Security Standard restricted: {})", message.text, control.title())),
        }
    }
}

/// The objects a pod volume names, as (kind, name).
pub fn volume_refs(volume: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut add = |kind: &str, name: Option<&str>| {
        if let Some(n) = name {
            out.push((kind.to_string(), n.to_string()));
        }
    };
    add("ConfigMap", str_at(volume, "/configMap/name"));
    add("Secret", str_at(volume, "/secret/secretName"));
    add("PersistentVolumeClaim", str_at(volume, "/persistentVolumeClaim/claimName"));
    for source in list_at(volume, "/projected/sources") {
        add("ConfigMap", str_at(source, "/configMap/name"));
        add("Secret", str_at(source, "/secret/name"));
    }
    out
}

struct Violation {
    /// The container at fault, or `None` for the pod as a whole.
    container: Option<String>,
    text: String,
}

/// The restricted Pod Security Standard over one pod spec, control by control.
fn restricted(spec: &Value, annotations: Option<&Value>, at: &str) -> Vec<(Control, Violation)> {
    let mut out = Vec::new();
    let mut pod = |control, text: String| out.push((control, Violation { container: None, text }));
    let psc = spec.get("securityContext").cloned().unwrap_or(Value::Null);

    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if spec.get(field) == Some(&Value::Bool(true)) {
            pod(Control::HostNamespaces, format!("{at}spec.{field} must not be true"));
        }
    }
    if psc.pointer("/windowsOptions/hostProcess") == Some(&Value::Bool(true)) {
        pod(Control::HostProcess, format!("{at}spec.securityContext.windowsOptions.hostProcess must not be true"));
    }
    for (i, v) in list_at(spec, "/volumes").iter().enumerate() {
        let name = str_at(v, "/name").unwrap_or("");
        let sources: Vec<&String> = v.as_object().map(|m| m.keys().filter(|k| *k != "name").collect()).unwrap_or_default();
        for source in sources {
            if source == "hostPath" {
                pod(Control::HostPathVolumes, format!("{at}spec.volumes[{i}] ({name}) is a hostPath volume"));
            } else if !ALLOWED_VOLUMES.contains(&source.as_str()) {
                pod(Control::VolumeTypes, format!("{at}spec.volumes[{i}] ({name}) is a {source} volume, not one of {}", ALLOWED_VOLUMES.join(", ")));
            }
        }
    }
    for s in list_at(&psc, "/sysctls") {
        let name = str_at(s, "/name").unwrap_or("");
        if !SAFE_SYSCTLS.contains(&name) {
            pod(Control::Sysctls, format!("{at}spec.securityContext.sysctls: {name:?} is not a safe sysctl"));
        }
    }
    selinux(&psc, &format!("{at}spec.securityContext"), &mut pod);
    apparmor(&psc, &format!("{at}spec.securityContext"), &mut pod);
    if psc.get("runAsUser").and_then(Value::as_i64) == Some(0) {
        pod(Control::RunningAsNonRootUser, format!("{at}spec.securityContext.runAsUser must not be 0"));
    }
    // Explicitly false is refused even where every container says true.
    if psc.get("runAsNonRoot") == Some(&Value::Bool(false)) {
        pod(Control::RunningAsNonRoot, format!("{at}spec.securityContext.runAsNonRoot must not be false"));
    }
    let seccomp_ok = |v: &Value| matches!(str_at(v, "/seccompProfile/type"), Some("RuntimeDefault" | "Localhost"));
    if let Some(t) = str_at(&psc, "/seccompProfile/type")
        && !seccomp_ok(&psc)
    {
        pod(Control::Seccomp, format!("{at}spec.securityContext.seccompProfile.type {t:?} must be RuntimeDefault or Localhost"));
    }
    let pod_seccomp = seccomp_ok(&psc);
    let pod_non_root = psc.get("runAsNonRoot") == Some(&Value::Bool(true));
    if let Some(Value::Object(ann)) = annotations {
        for (k, v) in ann {
            if k.starts_with("container.apparmor.security.beta.kubernetes.io/") {
                let v = v.as_str().unwrap_or("");
                if v != "runtime/default" && !v.starts_with("localhost/") {
                    pod(Control::AppArmor, format!("{at}metadata.annotations[{k}] {v:?} must be runtime/default or localhost/*"));
                }
            }
        }
    }

    for (field, c) in containers(spec) {
        let cname = str_at(c, "/name").unwrap_or("").to_string();
        let here = format!("{at}spec.{field}[{cname}]");
        let sc = c.get("securityContext").cloned().unwrap_or(Value::Null);
        let mut container = |control, text: String| out.push((control, Violation { container: Some(cname.clone()), text }));
        if sc.get("privileged") == Some(&Value::Bool(true)) {
            container(Control::PrivilegedContainers, format!("{here}.securityContext.privileged must not be true"));
        }
        if sc.pointer("/windowsOptions/hostProcess") == Some(&Value::Bool(true)) {
            container(Control::HostProcess, format!("{here}.securityContext.windowsOptions.hostProcess must not be true"));
        }
        for p in list_at(c, "/ports") {
            if p.get("hostPort").and_then(Value::as_i64).is_some_and(|h| h != 0) {
                container(Control::HostPorts, format!("{here}: port {} has a hostPort", str_at(p, "/name").unwrap_or("?")));
            }
        }
        if sc.get("procMount").and_then(Value::as_str).is_some_and(|m| m != "Default") {
            container(Control::ProcMountType, format!("{here}.securityContext.procMount must be Default"));
        }
        selinux(&sc, &format!("{here}.securityContext"), &mut container);
        apparmor(&sc, &format!("{here}.securityContext"), &mut container);
        if let Some(t) = str_at(&sc, "/seccompProfile/type")
            && !seccomp_ok(&sc)
        {
            container(Control::Seccomp, format!("{here}.securityContext.seccompProfile.type {t:?} must be RuntimeDefault or Localhost"));
        } else if !pod_seccomp && !seccomp_ok(&sc) {
            container(Control::Seccomp, format!("{here}: seccompProfile.type must be RuntimeDefault or Localhost, on the pod or the container"));
        }
        if sc.get("allowPrivilegeEscalation") != Some(&Value::Bool(false)) {
            container(Control::PrivilegeEscalation, format!("{here}.securityContext.allowPrivilegeEscalation must be false"));
        }
        match sc.get("runAsNonRoot") {
            Some(Value::Bool(true)) => {}
            Some(Value::Bool(false)) => container(Control::RunningAsNonRoot, format!("{here}.securityContext.runAsNonRoot must not be false")),
            _ if pod_non_root => {}
            _ => container(Control::RunningAsNonRoot, format!("{here}: runAsNonRoot must be true, on the pod or the container")),
        }
        if sc.get("runAsUser").and_then(Value::as_i64) == Some(0) {
            container(Control::RunningAsNonRootUser, format!("{here}.securityContext.runAsUser must not be 0"));
        }
        let drops_all = list_at(&sc, "/capabilities/drop").iter().any(|d| d.as_str() == Some("ALL"));
        if !drops_all {
            container(Control::Capabilities, format!("{here}.securityContext.capabilities.drop must include ALL"));
        }
        for add in list_at(&sc, "/capabilities/add") {
            if add.as_str() != Some("NET_BIND_SERVICE") {
                container(Control::Capabilities, format!("{here}.securityContext.capabilities.add: {add} (only NET_BIND_SERVICE may be added)"));
            }
        }
    }
    out
}

fn selinux(sc: &Value, at: &str, report: &mut impl FnMut(Control, String)) {
    let Some(opts) = sc.get("seLinuxOptions") else { return };
    if let Some(t) = str_at(opts, "/type")
        && !SELINUX_TYPES.contains(&t)
    {
        report(Control::SeLinux, format!("{at}.seLinuxOptions.type {t:?} is not one of container_t, container_init_t, container_kvm_t, container_engine_t"));
    }
    for field in ["user", "role"] {
        if opts.get(field).and_then(Value::as_str).is_some_and(|s| !s.is_empty()) {
            report(Control::SeLinux, format!("{at}.seLinuxOptions.{field} must not be set"));
        }
    }
}

fn apparmor(sc: &Value, at: &str, report: &mut impl FnMut(Control, String)) {
    if let Some(t) = str_at(sc, "/appArmorProfile/type")
        && t != "RuntimeDefault"
        && t != "Localhost"
    {
        report(Control::AppArmor, format!("{at}.appArmorProfile.type {t:?} must be RuntimeDefault or Localhost"));
    }
}

// ----- secrets in values ---------------------------------------------------------------------

/// The values paths of the secret settings of a values schema: those marked `writeOnly` (JSON
/// Schema's mark for passwords and keys, which Helm ignores). Items of lists are `path[]`.
pub fn secret_settings(schema: &Value) -> Vec<String> {
    fn walk(schema: &Value, path: &str, out: &mut Vec<String>) {
        if schema.get("writeOnly") == Some(&Value::Bool(true)) {
            out.push(path.to_string());
            return;
        }
        if let Some(Value::Object(props)) = schema.get("properties") {
            for (k, sub) in props {
                let child = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                walk(sub, &child, out);
            }
        }
        if let Some(items) = schema.get("items") {
            walk(items, &format!("{path}[]"), out);
        }
    }
    let mut out = Vec::new();
    walk(schema, "", &mut out);
    out
}

/// The secret settings that `values` sets (to anything but an empty string, `null`, or an
/// empty list or map), with what they are set to. Items of lists are named by index.
pub fn secret_values<'v>(schema: &Value, values: &'v Value) -> Vec<(String, &'v Value)> {
    fn at<'v>(v: &'v Value, path: &str, shown: String, out: &mut Vec<(String, &'v Value)>) {
        if path.is_empty() {
            let set = match v {
                Value::Null => false,
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                Value::Object(m) => !m.is_empty(),
                _ => true,
            };
            if set {
                out.push((shown, v));
            }
            return;
        }
        let (head, rest) = match path.find(['.', '[']) {
            Some(0) if path.starts_with("[]") => {
                let rest = path[2..].strip_prefix('.').unwrap_or(&path[2..]);
                for (i, item) in v.as_array().into_iter().flatten().enumerate() {
                    at(item, rest, format!("{shown}[{i}]"), out);
                }
                return;
            }
            Some(i) => (&path[..i], path[i..].strip_prefix('.').unwrap_or(&path[i..])),
            None => (path, ""),
        };
        if let Some(next) = v.get(head) {
            let shown = if shown.is_empty() { head.to_string() } else { format!("{shown}.{head}") };
            at(next, rest, shown, out);
        }
    }
    let mut out = Vec::new();
    for path in secret_settings(schema) {
        at(values, &path, String::new(), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(name: &str) -> Value {
        json!({"name": name, "namespace": "ns", "labels": {"app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "rel"}})
    }

    /// One environment with a pod of every kind of reference, all of them landing.
    fn objects() -> Vec<Value> {
        let pod_labels = json!({"app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "rel"});
        vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("web"), "data": {}}),
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("web")}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("web"), "spec": {
                "selector": {"matchLabels": pod_labels},
                "template": {"metadata": {"labels": pod_labels}, "spec": {
                    "serviceAccountName": "web",
                    "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "web", "image": "web:1",
                        "ports": [{"name": "http", "containerPort": 8080}],
                        "livenessProbe": {"httpGet": {"path": "/", "port": "http"}},
                        "env": [{"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "operator-secret", "key": "k"}}},
                                {"name": "DB", "valueFrom": {"secretKeyRef": {"name": "db-app", "key": "uri"}}}],
                        "envFrom": [{"configMapRef": {"name": "web"}}],
                        "volumeMounts": [{"name": "config", "mountPath": "/c"}, {"name": "creds", "mountPath": "/s"}],
                        "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}
                    }],
                    "volumes": [{"name": "config", "configMap": {"name": "web"}}, {"name": "creds", "secret": {"secretName": "web-creds"}}]
                }}
            }}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": meta("web"), "spec": {
                "selector": pod_labels, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}),
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta("web"), "spec": {"rules": [
                {"host": "x", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"name": "http"}}}}]}}]}}),
            json!({"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TCPRoute", "metadata": meta("web"), "spec": {
                "parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [{"name": "web", "port": 80}]}]}}),
            json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta("web"), "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 3}}),
            json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta("web"), "spec": {"minAvailable": 1, "selector": {"matchLabels": pod_labels}}}),
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("web"), "spec": {
                "podSelector": {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "In", "values": ["web"]}]}}}),
            json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": meta("web"), "spec": {
                "selector": {"matchLabels": {"app.kubernetes.io/name": "web"}}, "endpoints": [{"port": "http"}]}}),
            json!({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": meta("creds"), "spec": {"target": {"name": "web-creds"}}}),
            json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": meta("db"), "spec": {"instances": 1}}),
            json!({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": meta("web"), "spec": {"anything": [1, {"goes": true}]}}),
        ]
    }

    fn external() -> Vec<Reference> {
        vec![Reference { kind: "Secret".into(), name: "operator-secret".into() }]
    }

    fn run(objects: &[Value], exceptions: &[PssException]) -> Report {
        let external = external();
        check(&Environment { app: "app", environment: "env", objects, external: &external, exceptions })
    }

    /// The findings after `change` to the object of `kind`, as text.
    fn after(kind: &str, change: impl FnOnce(&mut Value)) -> Vec<String> {
        let mut objs = objects();
        let o = objs.iter_mut().find(|o| o["kind"] == kind).expect("kind in the fixture");
        change(o);
        run(&objs, &[]).findings.iter().map(ToString::to_string).collect()
    }

    fn one_finding(findings: &[String], needle: &str) {
        assert!(findings.len() == 1 && findings[0].contains(needle), "expected one finding with {needle:?}, got {findings:#?}");
    }

    fn container(o: &mut Value) -> &mut Value {
        &mut o["spec"]["template"]["spec"]["containers"][0]
    }

    #[test]
    fn a_consistent_restricted_environment_has_no_findings() {
        let report = run(&objects(), &[]);
        assert!(report.findings.is_empty(), "{:#?}", report.findings);
    }

    #[test]
    fn references_that_land_nowhere_are_found() {
        one_finding(&after("Service", |s| s["spec"]["selector"]["app.kubernetes.io/name"] = json!("other")), "Service/web: spec.selector");
        one_finding(&after("Service", |s| s["spec"]["ports"][0]["targetPort"] = json!("metrics")), "targetPort \"metrics\" names no container port");
        one_finding(&after("Deployment", |d| container(d)["livenessProbe"]["httpGet"]["port"] = json!("admin")), "livenessProbe.httpGet.port \"admin\"");
        one_finding(&after("Ingress", |i| i["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] = json!("nope")), "Service \"nope\" is not rendered");
        one_finding(&after("Ingress", |i| i["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] = json!({"number": 81})), "has no port 81");
        one_finding(&after("TCPRoute", |r| r["spec"]["rules"][0]["backendRefs"][0]["port"] = json!(5432)), "TCPRoute/web: spec.rules[0].backendRefs[0]: Service \"web\" has no port 5432");
        one_finding(&after("HorizontalPodAutoscaler", |h| h["spec"]["scaleTargetRef"]["kind"] = json!("StatefulSet")), "StatefulSet \"web\" is not rendered");
        one_finding(&after("PodDisruptionBudget", |p| p["spec"]["selector"]["matchLabels"]["tier"] = json!("db")), "matches no workload's pods");
        one_finding(&after("NetworkPolicy", |n| n["spec"]["podSelector"]["matchExpressions"][0]["operator"] = json!("NotIn")), "selects no workload's pods");
        one_finding(&after("ServiceMonitor", |m| m["spec"]["endpoints"][0]["port"] = json!("metrics")), "endpoints[0].port \"metrics\"");
        one_finding(&after("Deployment", |d| d["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"] = json!("gone")), "ConfigMap \"gone\" is neither rendered nor declared external");
        one_finding(&after("Deployment", |d| container(d)["env"][0]["valueFrom"]["secretKeyRef"]["name"] = json!("gone")), "(env KEY): Secret \"gone\"");
        one_finding(&after("Deployment", |d| container(d)["volumeMounts"][0]["name"] = json!("cache")), "volume \"cache\" is not a volume of the pod");
        one_finding(&after("Deployment", |d| d["spec"]["template"]["spec"]["serviceAccountName"] = json!("robot")), "ServiceAccount \"robot\"");
        one_finding(&after("Deployment", |d| d["spec"]["selector"]["matchLabels"]["extra"] = json!("x")), "does not match the labels of its own pod template");
        // What other objects make counts as rendered: without the ExternalSecret, its Secret is missing.
        let mut objs = objects();
        objs.retain(|o| o["kind"] != "ExternalSecret");
        let f: Vec<String> = run(&objs, &[]).findings.iter().map(ToString::to_string).collect();
        one_finding(&f, "Secret \"web-creds\" is neither rendered nor declared external");
    }

    #[test]
    fn names_labels_and_duplicates_are_checked() {
        one_finding(&after("Gadget", |c| c["metadata"]["name"] = json!("Web_Gadget")), "is not a DNS-1123 subdomain");
        let mut objs = objects();
        let svc = objs.iter_mut().find(|o| o["kind"] == "Service").expect("service");
        svc["metadata"]["name"] = json!("1web");
        let f: Vec<String> = run(&objs, &[]).findings.iter().map(ToString::to_string).collect();
        // Its backends now miss it too.
        assert!(f.iter().any(|m| m.contains("Service/1web") && m.contains("DNS-1035")), "{f:#?}");
        one_finding(&after("Gadget", |g| g["metadata"]["labels"]["team"] = json!("x".repeat(64))), "value of 64 characters is over the 63");
        one_finding(&after("Gadget", |g| g["metadata"]["labels"]["team"] = json!("a b")), "is not a label value");
        one_finding(&after("Gadget", |g| g["metadata"]["annotations"] = json!({"Not A Key": "x"})), "annotation key");
        let mut objs = objects();
        objs.push(objects()[0].clone());
        let f: Vec<String> = run(&objs, &[]).findings.iter().map(ToString::to_string).collect();
        one_finding(&f, "ConfigMap/web: rendered twice");
        // The probe and the Service that named the old port miss it now, too.
        let f = after("Deployment", |d| container(d)["ports"][0]["name"] = json!("a-very-long-port-name"));
        assert!(f.len() == 3 && f[0].contains("is not an IANA service name"), "{f:#?}");
    }

    #[test]
    fn every_restricted_control_is_checked() {
        fn pod(d: &mut Value) -> &mut Value {
            &mut d["spec"]["template"]["spec"]
        }
        let cases: Vec<(Box<dyn FnOnce(&mut Value)>, &str)> = vec![
            (Box::new(|d| pod(d)["hostNetwork"] = json!(true)), "Host Namespaces"),
            (Box::new(|d| container(d)["securityContext"]["privileged"] = json!(true)), "Privileged Containers"),
            (Box::new(|d| container(d)["securityContext"]["capabilities"]["drop"] = json!(["NET_RAW"])), "capabilities.drop must include ALL"),
            (Box::new(|d| container(d)["securityContext"]["capabilities"]["add"] = json!(["SYS_ADMIN"])), "only NET_BIND_SERVICE"),
            (Box::new(|d| pod(d)["volumes"][0] = json!({"name": "config", "hostPath": {"path": "/"}})), "HostPath Volumes"),
            (Box::new(|d| pod(d)["volumes"][0] = json!({"name": "config", "nfs": {"server": "x", "path": "/"}})), "Volume Types"),
            (Box::new(|d| container(d)["ports"][0]["hostPort"] = json!(80)), "Host Ports"),
            (Box::new(|d| container(d)["securityContext"]["appArmorProfile"] = json!({"type": "Unconfined"})), "AppArmor"),
            (Box::new(|d| pod(d)["securityContext"]["seLinuxOptions"] = json!({"type": "spc_t"})), "SELinux"),
            (Box::new(|d| container(d)["securityContext"]["procMount"] = json!("Unmasked")), "/proc Mount Type"),
            (Box::new(|d| pod(d)["securityContext"]["seccompProfile"]["type"] = json!("Unconfined")), "Seccomp"),
            (Box::new(|d| pod(d)["securityContext"]["sysctls"] = json!([{"name": "kernel.msgmax", "value": "1"}])), "Sysctls"),
            (Box::new(|d| container(d)["securityContext"]["allowPrivilegeEscalation"] = json!(true)), "Privilege Escalation"),
            (Box::new(|d| pod(d)["securityContext"]["runAsNonRoot"] = json!(false)), "Running as Non-root)"),
            (Box::new(|d| container(d)["securityContext"]["runAsUser"] = json!(0)), "Running as Non-root user"),
            (Box::new(|d| container(d)["securityContext"]["windowsOptions"] = json!({"hostProcess": true})), "HostProcess"),
        ];
        for (change, needle) in cases {
            let f = after("Deployment", change);
            assert!(!f.is_empty() && f.iter().all(|m| m.contains("Pod Security Standard restricted")), "{needle}: {f:#?}");
            assert!(f.iter().any(|m| m.contains(needle)), "{needle}: {f:#?}");
        }
        // runAsNonRoot: false on the pod is refused even when the container says true.
        let f = after("Deployment", |d| {
            pod(d)["securityContext"]["runAsNonRoot"] = json!(false);
            container(d)["securityContext"]["runAsNonRoot"] = json!(true);
        });
        assert!(f.len() == 1 && f[0].contains("spec.template.spec.securityContext.runAsNonRoot must not be false"), "{f:#?}");
        // A container-level seccomp profile and runAsNonRoot stand in for the pod's.
        let f = after("Deployment", |d| {
            pod(d)["securityContext"] = json!({});
            container(d)["securityContext"]["seccompProfile"] = json!({"type": "Localhost", "localhostProfile": "p.json"});
            container(d)["securityContext"]["runAsNonRoot"] = json!(true);
        });
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn exceptions_let_exactly_their_control_through_and_report_use() {
        let mut objs = objects();
        let d = objs.iter_mut().find(|o| o["kind"] == "Deployment").expect("deployment");
        container(d)["securityContext"]["capabilities"]["add"] = json!(["NET_ADMIN"]);
        container(d)["securityContext"]["allowPrivilegeEscalation"] = json!(true);
        let exceptions = [
            PssException { container: "web", control: Control::Capabilities, reason: "configures routes" },
            PssException { container: "other", control: Control::PrivilegeEscalation, reason: "not this pod" },
            PssException { container: "web", control: Control::HostPorts, reason: "stale" },
        ];
        let report = run(&objs, &exceptions);
        assert_eq!(report.used_exceptions, BTreeSet::from([0]));
        assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
        assert!(report.findings[0].message.contains("allowPrivilegeEscalation"));
    }

    #[test]
    fn unknown_kinds_and_odd_shapes_do_not_break_the_check() {
        let odd = vec![
            json!({"apiVersion": "example.com/v1", "kind": "Weird", "metadata": {"name": "w"}, "spec": {"template": {"spec": {"containers": "not a list"}}}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"selector": {"a": 1}, "ports": "x"}}),
            json!({"kind": "NoVersion", "metadata": {"name": "n", "labels": {"k": 7}}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": [7, {"ports": [1]}]}}}}),
            json!("not even an object"),
            json!(null),
        ];
        let report = run(&odd, &[]);
        assert!(!report.findings.is_empty());
    }

    #[test]
    fn secret_settings_come_from_write_only_marks() {
        let schema = json!({"properties": {
            "token": {"type": "string", "writeOnly": true},
            "db": {"properties": {"password": {"type": "string", "writeOnly": true}, "host": {"type": "string"}}},
            "users": {"type": "array", "items": {"properties": {"key": {"type": "string", "writeOnly": true}}}}
        }});
        assert_eq!(secret_settings(&schema), ["token", "db.password", "users[].key"]);
        let values = json!({"token": "", "db": {"password": "hunter2", "host": "h"}, "users": [{"key": ""}, {"key": "k1"}]});
        let found: Vec<String> = secret_values(&schema, &values).into_iter().map(|(p, _)| p).collect();
        assert_eq!(found, ["db.password", "users[1].key"]);
    }
}
