//! The parts of objects that values give whole, judged on the rendered objects by the same rules
//! the renderers apply to the settings ([`crate::rules::parts`]): a pod's tolerations, affinity,
//! volumes and security context, each container's env vars, mounts, security context and
//! image, the keys of the lists Kubernetes merges by key (env var names, ports, mount paths), a
//! Service's node ports, an Ingress's class, a claim's class and size, a Role's rules. The
//! restricted Pod Security Standard is `pod_security`'s to judge, with the exceptions.

use serde_json::Value;

use super::index::{PodTemplate, containers, kind_of, list_at, str_at};
use crate::rules::parts::image_reference_problem;
use crate::rules::{Lifted, Part, Unique};

/// The API server's rules, without the restricted standard's.
const API: Lifted = Lifted::ALL;

fn each(part: Part, at: &str, items: &[Value], out: &mut Vec<String>) {
    for (i, item) in items.iter().enumerate() {
        if let Some(problem) = part.problem(&format!("{at}[{i}]"), item, API) {
            out.push(problem);
        }
    }
}

fn one(part: Part, at: &str, v: Option<&Value>, out: &mut Vec<String>) {
    if let Some(problem) = v.and_then(|v| part.problem(at, v, API)) {
        out.push(problem);
    }
}

/// Two items of one key in a list Kubernetes keys, at `at` (`...containers[web].env`).
fn unique(unique: Unique, at: &str, items: &[Value], out: &mut Vec<String>) {
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(key) = unique.key_of(item) else { continue };
        match seen.iter().find(|(k, _)| *k == key) {
            Some((_, first)) => out.push(format!("{at}[{i}]: {} {key} is given by {at}[{first}] already: {}", unique.noun(), unique.reason())),
            None => seen.push((key, i)),
        }
    }
}

/// A claim's spec at `at`: its class and its size.
fn claim(spec: Option<&Value>, at: &str, out: &mut Vec<String>) {
    let Some(spec) = spec else { return };
    one(Part::StorageClassName, &format!("{at}.storageClassName"), spec.get("storageClassName"), out);
    one(Part::StorageRequest, &format!("{at}.resources.requests.storage"), spec.pointer("/resources/requests/storage"), out);
}

/// The problems of one object's own parts, each as `field: ...`.
pub(super) fn object(o: &Value, out: &mut Vec<String>) {
    match kind_of(o) {
        "Service" if matches!(str_at(o, "/spec/type"), Some("NodePort" | "LoadBalancer")) => {
            for (i, port) in list_at(o, "/spec/ports").iter().enumerate() {
                one(Part::NodePort, &format!("spec.ports[{i}].nodePort"), port.get("nodePort"), out);
            }
        }
        "Ingress" => one(Part::IngressClassName, "spec.ingressClassName", o.pointer("/spec/ingressClassName"), out),
        "PersistentVolumeClaim" => claim(o.get("spec"), "spec", out),
        "StatefulSet" => {
            for (i, template) in list_at(o, "/spec/volumeClaimTemplates").iter().enumerate() {
                claim(template.get("spec"), &format!("spec.volumeClaimTemplates[{i}].spec"), out);
            }
        }
        "Role" => each(Part::RoleRule, "rules", list_at(o, "/rules"), out),
        "ClusterRole" => each(Part::ClusterRoleRule, "rules", list_at(o, "/rules"), out),
        _ => {}
    }
}

/// The problems of one pod's parts.
pub(super) fn pod(pod: &PodTemplate, out: &mut Vec<String>) {
    let at = |field: &str| format!("{}spec.{field}", pod.at);
    let spec = pod.spec;
    each(Part::Toleration, &at("tolerations"), list_at(spec, "/tolerations"), out);
    one(Part::Affinity, &at("affinity"), spec.get("affinity"), out);
    one(Part::PodSecurityContext, &at("securityContext"), spec.get("securityContext"), out);
    each(Part::Volume, &at("volumes"), list_at(spec, "/volumes"), out);
    for (field, c) in containers(spec) {
        let here = format!("{}spec.{field}[{}]", pod.at, str_at(c, "/name").unwrap_or(""));
        each(Part::EnvVar, &format!("{here}.env"), list_at(c, "/env"), out);
        unique(Unique::EnvName, &format!("{here}.env"), list_at(c, "/env"), out);
        unique(Unique::Port, &format!("{here}.ports"), list_at(c, "/ports"), out);
        each(Part::VolumeMount, &format!("{here}.volumeMounts"), list_at(c, "/volumeMounts"), out);
        unique(Unique::MountPath, &format!("{here}.volumeMounts"), list_at(c, "/volumeMounts"), out);
        let mut context = Vec::new();
        one(Part::SecurityContext, &format!("{here}.securityContext"), c.get("securityContext"), &mut context);
        // `Unmasked` needs `hostUsers: false`, a pod setting the context alone does not see.
        let host_users = spec.get("hostUsers") != Some(&Value::Bool(false));
        out.extend(context.into_iter().filter(|p| host_users || !p.contains("`hostUsers` must be false")));
        if let Some(problem) = str_at(c, "/image").and_then(image_reference_problem) {
            out.push(format!("{here}.image: {problem}"));
        }
    }
}
