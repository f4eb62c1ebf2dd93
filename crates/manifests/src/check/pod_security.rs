//! The Pod Security Standard "restricted"
//! (<https://kubernetes.io/docs/concepts/security/pod-security-standards/>) for every pod, control
//! by control, with the exceptions an application declares.

use std::collections::BTreeSet;

use serde_json::Value;

use super::index::{PodTemplate, containers, list_at, str_at};
pub use crate::model::pod_security::{Control, PssException};

/// Volume sources the restricted standard allows.
const ALLOWED_VOLUMES: &[&str] = &["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];
use crate::rules::parts::SAFE_SYSCTLS;
const SELINUX_TYPES: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

/// The restricted standard over one pod; a violation an exception covers is let through and the
/// exception's index goes to `used`. `containers` are the names of the pod's containers.
pub(super) fn pod(pod: &PodTemplate, exceptions: &[PssException], containers: &BTreeSet<&str>, out: &mut Vec<String>, used: &mut BTreeSet<usize>) {
    for (control, message) in restricted(pod.spec, pod.annotations, pod.at) {
        let excused =
            exceptions.iter().enumerate().find(|(_, e)| e.control == control && message.container.as_deref().is_none_or(|c| c == e.container) && containers.contains(e.container));
        match excused {
            Some((i, _)) => {
                used.insert(i);
            }
            None => out.push(format!("{} (Pod Security Standard restricted: {})", message.text, control.title())),
        }
    }
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
