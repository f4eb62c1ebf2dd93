//! References land: selectors on pods, target ports on container ports, backends on Service
//! ports, scale targets on workloads, and volumes, `env`, `envFrom` and service accounts on
//! objects that are rendered, made by a rendered object or declared external. A key named in a
//! `secretKeyRef` or `configMapKeyRef`, or in a volume's `items`, must be a key of the Secret or
//! ConfigMap when the chart renders it (and nothing else provides it), unless the reference is
//! `optional`: the kubelet refuses to start the container otherwise
//! (`CreateContainerConfigError`, "couldn't find key ... in Secret"; `pkg/kubelet/kubelet_pods.go`
//! in kubernetes/kubernetes), and a volume's missing item keeps the pod from starting.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::index::{Index, PodTemplate, container_ports, group_of, is_empty_selector, kind_of, list_at, namespace_of, pod_template, selector_matches, selector_text, str_at};
use super::labels::check_labels;
use crate::model::external::volume_refs;

/// References from one object to others: selectors, ports, backends, scale targets.
pub(super) fn object(index: &Index, o: &Value, out: &mut Vec<String>) {
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
        ("apps", "StatefulSet") => governing_service(index, o, out),
        _ => {}
    }
}

/// A StatefulSet's `serviceName`: the headless Service that gives its pods their DNS names
/// (`<pod>.<service>`, Kubernetes' "StatefulSet → Stable Network ID"). Kubernetes accepts any
/// name and the pods then have none, so a typo shows only when a peer cannot find another.
fn governing_service(index: &Index, o: &Value, out: &mut Vec<String>) {
    let ns = namespace_of(o);
    let Some(name) = str_at(o, "/spec/serviceName").filter(|n| !n.is_empty()) else { return };
    let Some(svc) = index.rendered("Service", ns, name) else {
        if !index.exists("Service", ns, name) {
            out.push(format!("spec.serviceName: Service {name:?} is not rendered: the pods get no DNS names without their governing Service"));
        }
        return;
    };
    if str_at(svc, "/spec/clusterIP") != Some("None") {
        out.push(format!("spec.serviceName: Service {name:?} is not headless (clusterIP: None), so the pods get no DNS names of their own"));
    }
    let labels = pod_template(0, o).map(|p| p.labels).unwrap_or_default();
    let selector = svc.pointer("/spec/selector").map(|s| serde_json::json!({ "matchLabels": s })).unwrap_or(Value::Null);
    if !selector_matches(&selector, &labels) {
        out.push(format!("spec.serviceName: Service {name:?} does not select this StatefulSet's pods"));
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

/// A workload whose selector misses its own pods is refused by the API server.
pub(super) fn own_pods(index: &Index, i: usize, o: &Value, out: &mut Vec<String>) {
    if let Some(pod) = index.pods.iter().find(|p| p.object == i && p.at == "spec.template.")
        && let Some(selector) = o.pointer("/spec/selector").filter(|s| s.get("matchLabels").is_some() || s.get("matchExpressions").is_some())
        && !selector_matches(selector, &pod.labels)
    {
        out.push(format!("spec.selector ({}) does not match the labels of its own pod template", selector_text(selector)));
    }
}

/// How a model declares an object that exists outside the chart, for the finding that names
/// one that is neither rendered nor declared.
fn declare_hint(kind: &str) -> String {
    format!(" (one made outside the chart: `m.external::<{kind}>(&setting)` in the build function)")
}

/// `optional: true` on a reference: the kubelet starts the container without the object (an
/// env var or volume left empty), so its absence is no problem (`pkg/kubelet/kubelet_pods.go`,
/// `pkg/volume/secret/secret.go`).
fn optional(reference: &Value) -> bool {
    reference.get("optional") == Some(&Value::Bool(true))
}

/// Whether the source of `v` that names `kind` `target` says `optional: true`.
fn optional_source(v: &Value, kind: &str, target: &str) -> bool {
    let direct = match kind {
        "Secret" => v.get("secret").filter(|s| str_at(s, "/secretName") == Some(target)),
        "ConfigMap" => v.get("configMap").filter(|s| str_at(s, "/name") == Some(target)),
        _ => None,
    };
    let key = if kind == "Secret" { "secret" } else { "configMap" };
    direct.is_some_and(optional) || list_at(v, "/projected/sources").iter().filter_map(|s| s.get(key)).any(|s| str_at(s, "/name") == Some(target) && optional(s))
}

/// A pod volume's ConfigMap, Secret or claim, and the keys its `items` name.
pub(super) fn volume(index: &Index, pod: &PodTemplate, i: usize, v: &Value, out: &mut Vec<String>) {
    let (at, name) = (pod.at, str_at(v, "/name").unwrap_or(""));
    for (kind, target) in volume_refs(v) {
        if !index.exists(&kind, pod.namespace, &target) && !optional_source(v, &kind, &target) {
            out.push(format!("{at}spec.volumes[{i}] ({name}): {kind} {target:?} is neither rendered nor declared external{}", declare_hint(&kind)));
        }
    }
    // The sources that list items: a configMap or secret volume, or one of a projected volume.
    let mut sources: Vec<(&str, &Value, &str, String)> = Vec::new();
    if let Some(s) = v.get("configMap") {
        sources.push(("ConfigMap", s, "/name", "configMap".into()));
    }
    if let Some(s) = v.get("secret") {
        sources.push(("Secret", s, "/secretName", "secret".into()));
    }
    for (j, s) in list_at(v, "/projected/sources").iter().enumerate() {
        if let Some(cm) = s.get("configMap") {
            sources.push(("ConfigMap", cm, "/name", format!("projected.sources[{j}].configMap")));
        }
        if let Some(secret) = s.get("secret") {
            sources.push(("Secret", secret, "/name", format!("projected.sources[{j}].secret")));
        }
    }
    for (kind, source, name_at, field) in sources {
        let Some(target) = str_at(source, name_at) else { continue };
        for (j, item) in list_at(source, "/items").iter().enumerate() {
            if let Some(problem) = key_problem(index, pod.namespace, kind, target, source, str_at(item, "/key")) {
                out.push(format!("{at}spec.volumes[{i}] ({name}).{field}.items[{j}]: {problem}"));
            }
        }
    }
}

/// The keys of a rendered Secret or ConfigMap: `data`, `stringData` and `binaryData`.
fn keys_of(o: &Value) -> Vec<&str> {
    ["data", "stringData", "binaryData"].iter().filter_map(|f| o.get(*f).and_then(Value::as_object)).flat_map(|m| m.keys().map(String::as_str)).collect()
}

/// What is wrong with a reference to `key` of the `kind` named `target`, made through
/// `reference` (which may say `optional: true`), or `None`.
fn key_problem(index: &Index, ns: &str, kind: &str, target: &str, reference: &Value, key: Option<&str>) -> Option<String> {
    let key = key?;
    if optional(reference) {
        return None;
    }
    let object = index.chart_owned(kind, ns, target)?;
    let keys = keys_of(object);
    (!keys.contains(&key)).then(|| {
        let has = if keys.is_empty() { "none".to_string() } else { keys.join(", ") };
        format!("{kind} {target:?} has no key {key:?} (its keys: {has}): the container would not start; name one of its keys, or mark the reference optional")
    })
}

/// The pod's ServiceAccount (`default` is always there).
pub(super) fn service_account(index: &Index, pod: &PodTemplate, out: &mut Vec<String>) {
    if let Some(sa) = str_at(pod.spec, "/serviceAccountName")
        && sa != "default"
        && !index.exists("ServiceAccount", pod.namespace, sa)
    {
        out.push(format!("{}spec.serviceAccountName: ServiceAccount {sa:?} is neither rendered nor declared external{}", pod.at, declare_hint("ServiceAccount")));
    }
}

/// A container's probes on its own ports, mounts on the pod's volumes (`mountable`: volumes and
/// claim templates), and `env`/`envFrom` on ConfigMaps and Secrets.
pub(super) fn container(index: &Index, pod: &PodTemplate, here: &str, c: &Value, port_names: &BTreeSet<&str>, mountable: &BTreeSet<&str>, out: &mut Vec<String>) {
    let ns = pod.namespace;
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
        if !mountable.contains(vn) {
            out.push(format!("{here}.volumeMounts[{i}]: volume {vn:?} is not a volume of the pod"));
        }
    }
    // Each missing object once per container, with the variables that read it.
    let mut missing: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for e in list_at(c, "/env") {
        let var = str_at(e, "/name").unwrap_or("");
        for (kind, pointer) in [("Secret", "/valueFrom/secretKeyRef"), ("ConfigMap", "/valueFrom/configMapKeyRef")] {
            if let Some(reference) = e.pointer(pointer)
                && !optional(reference)
                && let Some(target) = str_at(reference, "/name")
                && !index.exists(kind, ns, target)
            {
                missing.entry((kind, target)).or_default().push(format!("env {var}"));
            }
        }
    }
    for e in list_at(c, "/env") {
        let var = str_at(e, "/name").unwrap_or("");
        for (kind, pointer) in [("Secret", "/valueFrom/secretKeyRef"), ("ConfigMap", "/valueFrom/configMapKeyRef")] {
            if let Some(reference) = e.pointer(pointer)
                && let Some(target) = str_at(reference, "/name")
                && let Some(problem) = key_problem(index, ns, kind, target, reference, str_at(reference, "/key"))
            {
                out.push(format!("{here} (env {var}): {problem}"));
            }
        }
    }
    for (i, e) in list_at(c, "/envFrom").iter().enumerate() {
        for (kind, pointer) in [("Secret", "/secretRef"), ("ConfigMap", "/configMapRef")] {
            if let Some(reference) = e.pointer(pointer)
                && !optional(reference)
                && let Some(target) = str_at(reference, "/name")
                && !index.exists(kind, ns, target)
            {
                missing.entry((kind, target)).or_default().push(format!("envFrom[{i}]"));
            }
        }
    }
    for ((kind, target), uses) in missing {
        out.push(format!("{here} ({}): {kind} {target:?} is neither rendered nor declared external{}", uses.join(", "), declare_hint(kind)));
    }
}
