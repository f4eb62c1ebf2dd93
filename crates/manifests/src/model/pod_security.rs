//! The vocabulary of the Pod Security Standard "restricted" that an application declares its
//! exceptions in (`App::pss_exception`); the check (`check::pod_security`) enforces the standard.

/// The controls of the restricted Pod Security Standard
/// (<https://kubernetes.io/docs/concepts/security/pod-security-standards/>), by the names the
/// standard gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Control {
    /// "HostProcess".
    HostProcess,
    /// "Host Namespaces".
    HostNamespaces,
    /// "Privileged Containers".
    PrivilegedContainers,
    /// "Capabilities".
    Capabilities,
    /// "HostPath Volumes".
    HostPathVolumes,
    /// "Host Ports".
    HostPorts,
    /// "AppArmor".
    AppArmor,
    /// "SELinux".
    SeLinux,
    /// "/proc Mount Type".
    ProcMountType,
    /// "Seccomp".
    Seccomp,
    /// "Sysctls".
    Sysctls,
    /// "Volume Types".
    VolumeTypes,
    /// "Privilege Escalation".
    PrivilegeEscalation,
    /// "Running as Non-root".
    RunningAsNonRoot,
    /// "Running as Non-root user".
    RunningAsNonRootUser,
}

/// A component that cannot meet one control of the restricted standard, declared by its
/// application (`App::pss_exception`) with the reason, which the chart README lists. It covers
/// the named container, and for the pod-level parts of the control the pods that run it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PssException {
    /// The container's name; the exception covers the pods that run it.
    pub container: &'static str,
    /// The control it cannot meet.
    pub control: Control,
    /// Why, for the chart README.
    pub reason: &'static str,
}

impl Control {
    /// The control's name as the standard writes it (`Host Namespaces`).
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
