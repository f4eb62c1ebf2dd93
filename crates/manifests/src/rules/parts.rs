//! The API server's rules over the parts of objects that a values file gives whole: a
//! toleration, an environment variable, a volume and its mount, an affinity, the pod and
//! container security contexts, a Role's rule, and the few scalars a setting renders into a
//! field the API server judges by its text (a node port, an IngressClass or StorageClass name,
//! a claim's size).
//!
//! Each part's rules are data ([`Rule`] over [`Test`]), in the order Kubernetes' validation
//! function checks them, each naming that function. Three things read the same data: [`problem_of`]
//! here (emit's refusal, and `kforge check` on rendered objects), and the chart's helper that
//! `render` generates from it (Helm's `fail`), so the message is the same text on both sides and
//! the two cannot drift apart. The rules of the restricted Pod Security Standard are tagged with
//! the control they enforce, so that an application's declared exception lifts exactly them.

use serde_json::Value;

use super::{KEY_SHAPE, dns_label, dns_subdomain, label_value, qualified_name};

/// A shape a string field must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// `IsQualifiedName`: a label key.
    QualifiedName,
    /// `IsValidLabelValue`.
    LabelValue,
    /// `IsDNS1123Label`, at most 63.
    DnsLabel,
    /// `IsDNS1123Subdomain`, at most 253.
    DnsSubdomain,
    /// `IsConfigMapKey`: at most 253 of letters, digits, `-`, `_` and `.`, not `.`, not starting
    /// with `..`.
    ConfigKey,
    /// `IsRelaxedEnvVarName`: printable ASCII but `=`, not empty.
    EnvVarName,
    /// `validateObjectFieldSelector` with the env var field paths: one of
    /// [`ENV_FIELD_PATHS`], or a label or annotation by a valid key.
    EnvFieldPath,
    /// The same with the volume field paths ([`VOLUME_FIELD_PATHS`]).
    VolumeFieldPath,
    /// `validateCSIDriverName`: at most 63, a DNS-1123 subdomain once lowercased.
    CsiDriver,
    /// An image repository as the container runtime parses a reference (the distribution
    /// reference grammar): an optional registry host (and port), then lowercase path components
    /// separated by `/`; no tag, no digest. At most 255.
    ImageRepository,
    /// An image tag: a letter, digit or `_`, then up to 127 of those, `.` and `-`.
    ImageTag,
    /// A registry (a mirror): a host (and port), then optional path components.
    ImageRegistry,
}

/// A path component of an image repository (`library`, `my_app`, `a.b-c`).
const PATH_COMPONENT: &str = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
/// A registry host, with an optional port.
const DOMAIN: &str = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?";

/// The pattern of an image repository ([`Format::ImageRepository`]).
pub fn image_repository_pattern() -> String {
    format!("^(?:{DOMAIN}/)?{PATH_COMPONENT}(?:/{PATH_COMPONENT})*$")
}

/// The pattern of a registry ([`Format::ImageRegistry`]).
pub fn image_registry_pattern() -> String {
    format!("^{DOMAIN}(?:/{PATH_COMPONENT})*$")
}

/// The pattern of an image tag ([`Format::ImageTag`]).
pub const IMAGE_TAG_PATTERN: &str = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$";

/// The pattern of a whole image reference, `[registry/]repository[:tag][@digest]`.
pub fn image_reference_pattern() -> String {
    format!(
        "^(?:{DOMAIN}/)?{PATH_COMPONENT}(?:/{PATH_COMPONENT})*(?::{})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{{32,}})?$",
        &IMAGE_TAG_PATTERN[1..IMAGE_TAG_PATTERN.len() - 1]
    )
}

fn matches(pattern: &str, s: &str) -> bool {
    regex_lite::Regex::new(pattern).is_ok_and(|re| re.is_match(s))
}

/// What is wrong with a container's image reference, or `None`: the container runtime refuses
/// to pull one the reference grammar does not parse (`InvalidImageName`).
pub fn image_reference_problem(image: &str) -> Option<String> {
    let name = image.split(['@']).next().unwrap_or("");
    let name_only = match name.rsplit_once(':') {
        Some((n, tag)) if !tag.contains('/') => n,
        _ => name,
    };
    (name_only.len() > 255 || !matches(&image_reference_pattern(), image)).then(|| {
        format!("the image \"{image}\" is not a valid image reference ([registry/]repository[:tag][@digest], lowercase repository): the container runtime would refuse to pull it")
    })
}

/// `validEnvDownwardAPIFieldPathExpressions`.
pub const ENV_FIELD_PATHS: [&str; 9] =
    ["metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"];
/// `validVolumeDownwardAPIFieldPathExpressions`.
pub const VOLUME_FIELD_PATHS: [&str; 5] = ["metadata.name", "metadata.namespace", "metadata.labels", "metadata.annotations", "metadata.uid"];
/// `validContainerResourceFieldPathExpressions`.
pub const RESOURCE_FIELD_PATHS: [&str; 6] = ["limits.cpu", "limits.memory", "limits.ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage"];
/// `validContainerResourceFieldPathPrefixesWithDownwardAPIHugePages`.
pub const RESOURCE_FIELD_PREFIXES: [&str; 2] = ["requests.hugepages-", "limits.hugepages-"];

/// A label or annotation subscript of a field path (`metadata.labels['app']`): which one, and
/// the key.
fn subscript(path: &str) -> Option<(&str, &str)> {
    let inner = path.strip_suffix("']")?;
    let (field, key) = inner.split_once("['")?;
    matches!(field, "metadata.labels" | "metadata.annotations").then_some((field, key))
}

impl Format {
    /// True when `s` has the shape.
    pub fn ok(self, s: &str) -> bool {
        match self {
            Format::QualifiedName => qualified_name(s),
            Format::LabelValue => label_value(s),
            Format::DnsLabel => dns_label(s),
            Format::DnsSubdomain => dns_subdomain(s),
            Format::ConfigKey => {
                s.len() <= 253 && !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')) && s != "." && !s.starts_with("..")
            }
            Format::EnvVarName => !s.is_empty() && s.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'='),
            Format::EnvFieldPath | Format::VolumeFieldPath => {
                let plain: &[&str] = if self == Format::EnvFieldPath { &ENV_FIELD_PATHS } else { &VOLUME_FIELD_PATHS };
                match subscript(s) {
                    Some(("metadata.labels", key)) => qualified_name(key),
                    Some((_, key)) => qualified_name(&key.to_ascii_lowercase()) && key.is_ascii(),
                    None => plain.contains(&s),
                }
            }
            Format::CsiDriver => s.len() <= 63 && s.is_ascii() && dns_subdomain(&s.to_ascii_lowercase()),
            Format::ImageRepository => s.len() <= 255 && matches(&image_repository_pattern(), s),
            Format::ImageTag => matches(IMAGE_TAG_PATTERN, s),
            Format::ImageRegistry => matches(&image_registry_pattern(), s),
        }
    }

    /// What the shape is, for messages.
    pub fn describe(self) -> String {
        match self {
            Format::QualifiedName => format!("a qualified name ({KEY_SHAPE})"),
            Format::LabelValue => "a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit".into(),
            Format::DnsLabel => "a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit".into(),
            Format::DnsSubdomain => "a DNS-1123 subdomain: at most 253 lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit".into(),
            Format::ConfigKey => "a key of letters, digits, '-', '_' and '.', at most 253, neither '.' nor starting with '..'".into(),
            Format::EnvVarName => "a name of printable ASCII characters other than '='".into(),
            Format::EnvFieldPath => format!("one of {}, or metadata.labels['<key>'] or metadata.annotations['<key>']", ENV_FIELD_PATHS.join(", ")),
            Format::VolumeFieldPath => format!("one of {}, or metadata.labels['<key>'] or metadata.annotations['<key>']", VOLUME_FIELD_PATHS.join(", ")),
            Format::CsiDriver => "a CSI driver name: at most 63 characters, a DNS-1123 subdomain once lowercased".into(),
            Format::ImageRepository => "an image repository: an optional registry host (and port) and '/', then lowercase path components separated by '/'".into(),
            Format::ImageTag => "an image tag: a letter, digit or '_', then up to 127 letters, digits, '_', '.' and '-'".into(),
            Format::ImageRegistry => "a registry: a host (and port), then optional lowercase path components".into(),
        }
    }
}

/// A test over the object being checked (a toleration, an env var, ...). Fields are dotted
/// paths inside it (`valueFrom.secretKeyRef.name`); `""` is the object itself (an item of a
/// list of strings or numbers). A field left out reads as the empty string, an empty list, or
/// no number at all, as Kubernetes' Go types read it.
#[derive(Clone, Copy, Debug)]
pub enum Test {
    /// The field is present, whatever its value (a pointer Kubernetes sees set, `0` included).
    Has(&'static str),
    /// The field is a non-empty string, list or map, `true`, or a number other than 0 (Go
    /// templates' truth).
    Set(&'static str),
    /// The field's text is this.
    Is(&'static str, &'static str),
    /// The field's text is one of these.
    In(&'static str, &'static [&'static str]),
    /// The field's text starts with one of these.
    Prefix(&'static str, &'static [&'static str]),
    /// The field's text does not have the shape.
    Fails(&'static str, Format),
    /// The field's text starts with `/` (`path.IsAbs`).
    Absolute(&'static str),
    /// One element of the field's text, split at `/`, is `..` (`validatePathNoBacksteps`).
    Backsteps(&'static str),
    /// The field's text has white space at either end.
    Padded(&'static str),
    /// The field's text is longer than this many bytes.
    Longer(&'static str, usize),
    /// The field is a number below this.
    Below(&'static str, i64),
    /// The field is a number above this.
    Above(&'static str, i64),
    /// The field is the quantity 0 or less.
    NotPositive(&'static str),
    /// The field is `true`.
    True(&'static str),
    /// The field is `false` (not left out).
    False(&'static str),
    /// The field is a list of this many items.
    Len(&'static str, usize),
    /// The field is a list holding this string.
    Holds(&'static str, &'static str),
    /// More than this many of the fields are present.
    MoreThan(usize, &'static [&'static str]),
    /// The negation.
    Not(&'static Test),
    /// All hold.
    All(&'static [Test]),
    /// One holds.
    Any(&'static [Test]),
}

/// A rule over an object.
#[derive(Clone, Copy, Debug)]
pub enum Rule {
    /// The object is refused when `when` holds: `<path>.<at>: <says>`, where `{v}` in `says`
    /// is the text of the field `show` (or of `at` when `show` is empty).
    Refuse {
        /// The field the message names (`""`: the object).
        at: &'static str,
        /// When the object is refused.
        when: Test,
        /// What is wrong, in Kubernetes' words where it has them.
        says: &'static str,
        /// The Kubernetes function whose rule this is.
        by: &'static str,
        /// The field whose text `{v}` stands for, when not `at`.
        show: &'static str,
        /// The control of the restricted Pod Security Standard this enforces, by its title.
        pss: Option<&'static str>,
    },
    /// `rules` over each item of the list at `list` (`<path>.<list>[i]`).
    Each {
        /// The list.
        list: &'static str,
        /// The rules over one item.
        rules: &'static [Rule],
    },
    /// `rules` over the map at `field`, when it is present (`<path>.<field>`).
    Within {
        /// The map.
        field: &'static str,
        /// The rules over it.
        rules: &'static [Rule],
    },
    /// The labels of the map at `map` ([`super::labels_problem`], the chart's labels allowed).
    Labels {
        /// The map.
        map: &'static str,
    },
}

const fn refuse(at: &'static str, when: Test, says: &'static str, by: &'static str) -> Rule {
    Rule::Refuse { at, when, says, by, show: "", pss: None }
}

const fn restricted(at: &'static str, when: Test, says: &'static str, control: &'static str) -> Rule {
    Rule::Refuse { at, when, says, by: "Pod Security Standard restricted", show: "", pss: Some(control) }
}

/// A part of an object that a setting gives whole, with the rules Kubernetes applies to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// A pod's toleration (`validateTolerations`).
    Toleration,
    /// A container's environment variable (`ValidateEnv`).
    EnvVar,
    /// A pod's volume (`ValidateVolumes`), with the restricted standard's volume types.
    Volume,
    /// A container's volume mount (`ValidateVolumeMounts`), but the volume it names.
    VolumeMount,
    /// A pod's affinity (`validateAffinity`).
    Affinity,
    /// A pod's security context (`validatePodSpecSecurityContext`), with the restricted
    /// standard's pod-level controls.
    PodSecurityContext,
    /// A container's security context (`ValidateSecurityContext`), with the restricted
    /// standard's container-level controls.
    SecurityContext,
    /// The pod's and a container's security contexts together, as `{pod, container, podPath}`:
    /// the controls either may meet.
    SecurityContexts,
    /// A rule of a namespaced Role (`ValidatePolicyRule`).
    RoleRule,
    /// A rule of a ClusterRole.
    ClusterRoleRule,
    /// A Service port's `nodePort` (the default `--service-node-port-range`).
    NodePort,
    /// An Ingress's `ingressClassName` (`ValidateIngressSpec`).
    IngressClassName,
    /// A claim's `storageClassName` (`ValidatePersistentVolumeClaimSpec`).
    StorageClassName,
    /// A claim's storage request (`ValidatePersistentVolumeClaimSpec`).
    StorageRequest,
    /// The repository part of a container's image (the reference grammar the kubelet parses).
    ImageRepository,
    /// The tag part of a container's image.
    ImageTag,
    /// The registry in front of a container's image.
    ImageRegistry,
}

const SECCOMP_TYPES: &[&str] = &["Localhost", "RuntimeDefault", "Unconfined"];
const APPARMOR_TYPES: &[&str] = &["Localhost", "RuntimeDefault", "Unconfined"];
const FILE_MODE: &str = "must be a number between 0 and 0777 (octal), both inclusive";
/// `IsValidUserID`, `IsValidGroupID`.
const ID_RANGE: &str = "must be between 0 and 2147483647, inclusive";

/// `validateSeccompProfileField`, over a context's `seccompProfile`.
const SECCOMP: [Rule; 1] = [Rule::Within {
    field: "seccompProfile",
    rules: &[
        refuse("type", Test::Not(&Test::Set("type")), "type is required when seccompProfile is set", "validateSeccompProfileField"),
        refuse(
            "type",
            Test::Not(&Test::In("type", SECCOMP_TYPES)),
            "\"{v}\" is not supported: Kubernetes takes Localhost, RuntimeDefault or Unconfined",
            "validateSeccompProfileField",
        ),
        refuse(
            "localhostProfile",
            Test::All(&[Test::Is("type", "Localhost"), Test::Not(&Test::Has("localhostProfile"))]),
            "must be set when seccomp type is Localhost",
            "validateSeccompProfileField",
        ),
        refuse(
            "localhostProfile",
            Test::All(&[Test::Is("type", "Localhost"), Test::Absolute("localhostProfile")]),
            "\"{v}\" must be a relative path",
            "validateLocalDescendingPath",
        ),
        refuse("localhostProfile", Test::All(&[Test::Is("type", "Localhost"), Test::Backsteps("localhostProfile")]), "\"{v}\" must not contain '..'", "validatePathNoBacksteps"),
        refuse(
            "localhostProfile",
            Test::All(&[Test::Not(&Test::Is("type", "Localhost")), Test::Has("localhostProfile")]),
            "can only be set when seccomp type is Localhost",
            "validateSeccompProfileField",
        ),
    ],
}];

/// `ValidateAppArmorProfileField`, over a context's `appArmorProfile`.
const APPARMOR: [Rule; 1] = [Rule::Within {
    field: "appArmorProfile",
    rules: &[
        refuse("type", Test::Not(&Test::Set("type")), "type is required when appArmorProfile is set", "ValidateAppArmorProfileField"),
        refuse(
            "type",
            Test::Not(&Test::In("type", APPARMOR_TYPES)),
            "\"{v}\" is not supported: Kubernetes takes Localhost, RuntimeDefault or Unconfined",
            "ValidateAppArmorProfileField",
        ),
        refuse(
            "localhostProfile",
            Test::All(&[Test::Is("type", "Localhost"), Test::Not(&Test::Has("localhostProfile"))]),
            "must be set when AppArmor type is Localhost",
            "ValidateAppArmorProfileField",
        ),
        refuse(
            "localhostProfile",
            Test::All(&[Test::Is("type", "Localhost"), Test::Padded("localhostProfile")]),
            "must not be padded with whitespace",
            "ValidateAppArmorProfileField",
        ),
        refuse(
            "localhostProfile",
            Test::All(&[Test::Is("type", "Localhost"), Test::Not(&Test::Set("localhostProfile"))]),
            "must be set when AppArmor type is Localhost",
            "ValidateAppArmorProfileField",
        ),
        refuse(
            "localhostProfile",
            Test::All(&[Test::Is("type", "Localhost"), Test::Longer("localhostProfile", 4095)]),
            "may not be longer than 4095",
            "ValidateAppArmorProfileField",
        ),
        refuse(
            "localhostProfile",
            Test::All(&[Test::Not(&Test::Is("type", "Localhost")), Test::Has("localhostProfile")]),
            "can only be set when AppArmor type is Localhost",
            "ValidateAppArmorProfileField",
        ),
    ],
}];

/// The restricted standard's controls both contexts share: SELinux, AppArmor, the user, seccomp.
macro_rules! restricted_shared {
    () => {
        [
            restricted("windowsOptions.hostProcess", Test::True("windowsOptions.hostProcess"), "must not be true", "HostProcess"),
            restricted(
                "seLinuxOptions.type",
                Test::Not(&Test::In("seLinuxOptions.type", &["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"])),
                "\"{v}\" is not one of container_t, container_init_t, container_kvm_t, container_engine_t",
                "SELinux",
            ),
            restricted("seLinuxOptions.user", Test::Set("seLinuxOptions.user"), "must not be set", "SELinux"),
            restricted("seLinuxOptions.role", Test::Set("seLinuxOptions.role"), "must not be set", "SELinux"),
            restricted("appArmorProfile.type", Test::Is("appArmorProfile.type", "Unconfined"), "must be RuntimeDefault or Localhost", "AppArmor"),
            restricted("seccompProfile.type", Test::Is("seccompProfile.type", "Unconfined"), "must be RuntimeDefault or Localhost", "Seccomp"),
            restricted("runAsNonRoot", Test::False("runAsNonRoot"), "must not be false", "Running as Non-root"),
            restricted(
                "runAsUser",
                Test::All(&[Test::Has("runAsUser"), Test::Not(&Test::Below("runAsUser", 0)), Test::Not(&Test::Above("runAsUser", 0))]),
                "must not be 0",
                "Running as Non-root user",
            ),
        ]
    };
}

const POD_SECURITY_CONTEXT: &[Rule] = &[
    refuse("fsGroup", Test::Any(&[Test::Below("fsGroup", 0), Test::Above("fsGroup", 2147483647)]), ID_RANGE, "IsValidGroupID"),
    refuse("runAsUser", Test::Any(&[Test::Below("runAsUser", 0), Test::Above("runAsUser", 2147483647)]), ID_RANGE, "IsValidUserID"),
    refuse("runAsGroup", Test::Any(&[Test::Below("runAsGroup", 0), Test::Above("runAsGroup", 2147483647)]), ID_RANGE, "IsValidGroupID"),
    Rule::Each { list: "supplementalGroups", rules: &[refuse("", Test::Any(&[Test::Below("", 0), Test::Above("", 2147483647)]), ID_RANGE, "IsValidGroupID")] },
    Rule::Each {
        list: "sysctls",
        rules: &[
            refuse("name", Test::Not(&Test::Set("name")), "name is required", "validateSysctls"),
            restricted("name", Test::Not(&Test::In("name", SAFE_SYSCTLS)), "\"{v}\" is not a safe sysctl", "Sysctls"),
        ],
    },
    refuse(
        "fsGroupChangePolicy",
        Test::All(&[Test::Has("fsGroupChangePolicy"), Test::Not(&Test::In("fsGroupChangePolicy", &["OnRootMismatch", "Always"]))]),
        "\"{v}\" is not supported: Kubernetes takes OnRootMismatch or Always",
        "validateFSGroupChangePolicy",
    ),
    refuse(
        "supplementalGroupsPolicy",
        Test::All(&[Test::Has("supplementalGroupsPolicy"), Test::Not(&Test::In("supplementalGroupsPolicy", &["Merge", "Strict"]))]),
        "\"{v}\" is not supported: Kubernetes takes Merge or Strict",
        "validateSupplementalGroupsPolicy",
    ),
    refuse(
        "seLinuxChangePolicy",
        Test::All(&[Test::Has("seLinuxChangePolicy"), Test::Not(&Test::In("seLinuxChangePolicy", &["Recursive", "MountOption"]))]),
        "\"{v}\" is not supported: Kubernetes takes Recursive or MountOption",
        "validateSELinuxChangePolicy",
    ),
    SECCOMP[0],
    APPARMOR[0],
];

const POD_SECURITY_CONTEXT_ALL: &[Rule] = &concat_rules::<{ POD_SECURITY_CONTEXT.len() + 8 }>(POD_SECURITY_CONTEXT, &restricted_shared!());

const SECURITY_CONTEXT: &[Rule] = &[
    refuse("runAsUser", Test::Any(&[Test::Below("runAsUser", 0), Test::Above("runAsUser", 2147483647)]), ID_RANGE, "IsValidUserID"),
    refuse("runAsGroup", Test::Any(&[Test::Below("runAsGroup", 0), Test::Above("runAsGroup", 2147483647)]), ID_RANGE, "IsValidGroupID"),
    refuse(
        "procMount",
        Test::All(&[Test::Has("procMount"), Test::Not(&Test::In("procMount", &["Default", "Unmasked"]))]),
        "\"{v}\" is not supported: Kubernetes takes Default or Unmasked",
        "ValidateProcMountType",
    ),
    refuse("procMount", Test::Is("procMount", "Unmasked"), "`hostUsers` must be false to use `Unmasked`", "ValidateSecurityContext"),
    SECCOMP[0],
    refuse(
        "",
        Test::All(&[Test::False("allowPrivilegeEscalation"), Test::True("privileged")]),
        "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
        "ValidateSecurityContext",
    ),
    refuse(
        "",
        Test::All(&[Test::False("allowPrivilegeEscalation"), Test::Holds("capabilities.add", "CAP_SYS_ADMIN")]),
        "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
        "ValidateSecurityContext",
    ),
    APPARMOR[0],
    restricted("privileged", Test::True("privileged"), "must not be true", "Privileged Containers"),
    restricted("procMount", Test::All(&[Test::Has("procMount"), Test::Not(&Test::Is("procMount", "Default"))]), "must be Default", "/proc Mount Type"),
    restricted("allowPrivilegeEscalation", Test::Not(&Test::False("allowPrivilegeEscalation")), "must be false", "Privilege Escalation"),
    restricted("capabilities.drop", Test::Not(&Test::Holds("capabilities.drop", "ALL")), "must include ALL", "Capabilities"),
    Rule::Each { list: "capabilities.add", rules: &[restricted("", Test::Not(&Test::Is("", "NET_BIND_SERVICE")), "\"{v}\": only NET_BIND_SERVICE may be added", "Capabilities")] },
];

const SECURITY_CONTEXT_ALL: &[Rule] = &concat_rules::<{ SECURITY_CONTEXT.len() + 8 }>(SECURITY_CONTEXT, &restricted_shared!());

const SECURITY_CONTEXTS: &[Rule] = &[
    Rule::Refuse {
        at: "",
        when: Test::Not(&Test::Any(&[Test::True("container.runAsNonRoot"), Test::All(&[Test::True("pod.runAsNonRoot"), Test::Not(&Test::Has("container.runAsNonRoot"))])])),
        says: "runAsNonRoot must be true, here or in {v}",
        by: "Pod Security Standard restricted",
        show: "podPath",
        pss: Some("Running as Non-root"),
    },
    Rule::Refuse {
        at: "",
        when: Test::Not(&Test::Any(&[
            Test::In("container.seccompProfile.type", &["RuntimeDefault", "Localhost"]),
            Test::All(&[Test::In("pod.seccompProfile.type", &["RuntimeDefault", "Localhost"]), Test::Not(&Test::Has("container.seccompProfile"))]),
        ])),
        says: "seccompProfile.type must be RuntimeDefault or Localhost, here or in {v}",
        by: "Pod Security Standard restricted",
        show: "podPath",
        pss: Some("Seccomp"),
    },
];

/// `rules` then `more`, in a const.
const fn concat_rules<const N: usize>(rules: &[Rule], more: &[Rule]) -> [Rule; N] {
    let mut out = [Rule::Labels { map: "" }; N];
    let mut i = 0;
    while i < rules.len() {
        out[i] = rules[i];
        i += 1;
    }
    let mut j = 0;
    while j < more.len() {
        out[i + j] = more[j];
        j += 1;
    }
    out
}

const TOLERATION: &[Rule] = &[
    refuse(
        "key",
        Test::All(&[Test::Set("key"), Test::Fails("key", Format::QualifiedName)]),
        "\"{v}\" is not valid: a toleration key is a label key (an optional DNS subdomain prefix and '/', then 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)",
        "validateTolerations",
    ),
    refuse(
        "operator",
        Test::All(&[Test::Not(&Test::Set("key")), Test::Not(&Test::Is("operator", "Exists"))]),
        "must be Exists when `key` is empty, which means \"match all values and all keys\"",
        "validateTolerations",
    ),
    refuse(
        "effect",
        Test::All(&[Test::Has("tolerationSeconds"), Test::Not(&Test::Is("effect", "NoExecute"))]),
        "must be 'NoExecute' when `tolerationSeconds` is set",
        "validateTolerations",
    ),
    refuse(
        "value",
        Test::All(&[Test::In("operator", &["", "Equal"]), Test::Fails("value", Format::LabelValue)]),
        "\"{v}\" is not valid: a toleration value is a label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)",
        "validateTolerations",
    ),
    refuse("value", Test::All(&[Test::Is("operator", "Exists"), Test::Set("value")]), "value must be empty when `operator` is 'Exists'", "validateTolerations"),
    refuse("operator", Test::Not(&Test::In("operator", &["", "Equal", "Exists"])), "\"{v}\" is not supported: Kubernetes takes Equal or Exists", "validateTolerations"),
    refuse(
        "effect",
        Test::All(&[Test::Set("effect"), Test::Not(&Test::In("effect", &["NoSchedule", "PreferNoSchedule", "NoExecute"]))]),
        "\"{v}\" is not supported: Kubernetes takes NoSchedule, PreferNoSchedule or NoExecute",
        "validateTaintEffect",
    ),
];

/// `validateConfigMapKeySelector` and `validateSecretKeySelector`, the same rules.
macro_rules! key_selector {
    ($field:literal, $by:literal) => {
        Rule::Within {
            field: $field,
            rules: &[
                refuse(
                    "name",
                    Test::Fails("name", Format::DnsSubdomain),
                    "\"{v}\" is not valid: a name is a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most 253)",
                    $by,
                ),
                refuse("key", Test::Not(&Test::Set("key")), "key is required", $by),
                refuse(
                    "key",
                    Test::Fails("key", Format::ConfigKey),
                    "\"{v}\" is not valid: a key has letters, digits, '-', '_' and '.' (at most 253), and is neither '.' nor starts with '..'",
                    $by,
                ),
            ],
        }
    };
}

const ENV_SOURCES: &[&str] = &["valueFrom.fieldRef", "valueFrom.resourceFieldRef", "valueFrom.configMapKeyRef", "valueFrom.secretKeyRef"];

const ENV_VAR: &[Rule] = &[
    refuse("name", Test::Not(&Test::Set("name")), "name is required", "ValidateEnv"),
    refuse(
        "name",
        Test::Fails("name", Format::EnvVarName),
        "\"{v}\" is not valid: a valid environment variable name must consist only of printable ASCII characters other than '='",
        "IsRelaxedEnvVarName",
    ),
    refuse(
        "valueFrom",
        Test::All(&[
            Test::Has("valueFrom"),
            Test::Not(&Test::Any(&[
                Test::Has("valueFrom.fieldRef"),
                Test::Has("valueFrom.resourceFieldRef"),
                Test::Has("valueFrom.configMapKeyRef"),
                Test::Has("valueFrom.secretKeyRef"),
            ])),
        ]),
        "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
        "validateEnvVarValueFrom",
    ),
    refuse("valueFrom", Test::All(&[Test::Has("valueFrom"), Test::Set("value")]), "may not be specified when `value` is not empty", "validateEnvVarValueFrom"),
    refuse("valueFrom", Test::MoreThan(1, ENV_SOURCES), "may not have more than one field specified at a time", "validateEnvVarValueFrom"),
    Rule::Within {
        field: "valueFrom",
        rules: &[
            Rule::Within {
                field: "fieldRef",
                rules: &[
                    refuse(
                        "apiVersion",
                        Test::All(&[Test::Has("apiVersion"), Test::Not(&Test::Is("apiVersion", "v1"))]),
                        "\"{v}\" is not supported: the downward API takes v1",
                        "validateObjectFieldSelector",
                    ),
                    refuse("fieldPath", Test::Not(&Test::Set("fieldPath")), "fieldPath is required", "validateObjectFieldSelector"),
                    refuse(
                        "fieldPath",
                        Test::Fails("fieldPath", Format::EnvFieldPath),
                        "\"{v}\" is not supported: Kubernetes takes metadata.name, metadata.namespace, metadata.uid, spec.nodeName, spec.serviceAccountName, status.hostIP, status.hostIPs, status.podIP, status.podIPs, or metadata.labels['<key>'] or metadata.annotations['<key>'] with a valid key",
                        "validateObjectFieldSelector",
                    ),
                ],
            },
            Rule::Within {
                field: "resourceFieldRef",
                rules: &[
                    refuse("resource", Test::Not(&Test::Set("resource")), "resource is required", "validateContainerResourceFieldSelector"),
                    refuse(
                        "resource",
                        Test::Not(&Test::Any(&[Test::In("resource", &RESOURCE_FIELD_PATHS), Test::Prefix("resource", &RESOURCE_FIELD_PREFIXES)])),
                        "\"{v}\" is not supported: Kubernetes takes limits.cpu, limits.memory, limits.ephemeral-storage, requests.cpu, requests.memory, requests.ephemeral-storage, or a hugepages resource",
                        "validateContainerResourceFieldSelector",
                    ),
                ],
            },
            key_selector!("configMapKeyRef", "validateConfigMapKeySelector"),
            key_selector!("secretKeyRef", "validateSecretKeySelector"),
        ],
    },
];

const VOLUME_MOUNT: &[Rule] = &[
    refuse("name", Test::Not(&Test::Set("name")), "name is required", "ValidateVolumeMounts"),
    refuse("mountPath", Test::Not(&Test::Set("mountPath")), "mountPath is required", "ValidateVolumeMounts"),
    refuse("subPath", Test::Absolute("subPath"), "\"{v}\" must be a relative path", "validateLocalDescendingPath"),
    refuse("subPath", Test::Backsteps("subPath"), "\"{v}\" must not contain '..'", "validatePathNoBacksteps"),
    refuse("subPathExpr", Test::All(&[Test::Set("subPathExpr"), Test::Set("subPath")]), "subPathExpr and subPath are mutually exclusive", "ValidateVolumeMounts"),
    refuse("subPathExpr", Test::Absolute("subPathExpr"), "\"{v}\" must be a relative path", "validateLocalDescendingPath"),
    refuse("subPathExpr", Test::Backsteps("subPathExpr"), "\"{v}\" must not contain '..'", "validatePathNoBacksteps"),
    refuse(
        "mountPropagation",
        Test::All(&[Test::Has("mountPropagation"), Test::Not(&Test::In("mountPropagation", &["Bidirectional", "HostToContainer", "None"]))]),
        "\"{v}\" is not supported: Kubernetes takes Bidirectional, HostToContainer or None",
        "validateMountPropagation",
    ),
    refuse(
        "mountPropagation",
        Test::Is("mountPropagation", "Bidirectional"),
        "Bidirectional mount propagation is available only to privileged containers",
        "validateMountPropagation",
    ),
    refuse(
        "recursiveReadOnly",
        Test::All(&[Test::Has("recursiveReadOnly"), Test::Not(&Test::In("recursiveReadOnly", &["Disabled", "IfPossible", "Enabled"]))]),
        "\"{v}\" is not supported: Kubernetes takes Disabled, IfPossible or Enabled",
        "validateMountRecursiveReadOnly",
    ),
    refuse(
        "recursiveReadOnly",
        Test::All(&[Test::In("recursiveReadOnly", &["IfPossible", "Enabled"]), Test::Not(&Test::True("readOnly"))]),
        "may only be specified when readOnly is true",
        "validateMountRecursiveReadOnly",
    ),
    refuse(
        "recursiveReadOnly",
        Test::All(&[Test::In("recursiveReadOnly", &["IfPossible", "Enabled"]), Test::Has("mountPropagation"), Test::Not(&Test::Is("mountPropagation", "None"))]),
        "may only be specified when mountPropagation is None or not specified",
        "validateMountRecursiveReadOnly",
    ),
];

/// Every volume source of `core/v1` `VolumeSource`.
pub const VOLUME_SOURCES: &[&str] = &[
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cephfs",
    "cinder",
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "fc",
    "flexVolume",
    "flocker",
    "gcePersistentDisk",
    "gitRepo",
    "glusterfs",
    "hostPath",
    "image",
    "iscsi",
    "nfs",
    "persistentVolumeClaim",
    "photonPersistentDisk",
    "portworxVolume",
    "projected",
    "quobyte",
    "rbd",
    "scaleIO",
    "secret",
    "storageos",
    "vsphereVolume",
];

/// The volume sources the restricted standard refuses besides `hostPath`.
const RESTRICTED_VOLUMES: &[Test] = &[
    Test::Has("awsElasticBlockStore"),
    Test::Has("azureDisk"),
    Test::Has("azureFile"),
    Test::Has("cephfs"),
    Test::Has("cinder"),
    Test::Has("fc"),
    Test::Has("flexVolume"),
    Test::Has("flocker"),
    Test::Has("gcePersistentDisk"),
    Test::Has("gitRepo"),
    Test::Has("glusterfs"),
    Test::Has("image"),
    Test::Has("iscsi"),
    Test::Has("nfs"),
    Test::Has("photonPersistentDisk"),
    Test::Has("portworxVolume"),
    Test::Has("quobyte"),
    Test::Has("rbd"),
    Test::Has("scaleIO"),
    Test::Has("storageos"),
    Test::Has("vsphereVolume"),
];

/// `validateKeyToPath`, over each of `items`.
const KEY_TO_PATH: Rule = Rule::Each {
    list: "items",
    rules: &[
        refuse("key", Test::Not(&Test::Set("key")), "key is required", "validateKeyToPath"),
        refuse("path", Test::Not(&Test::Set("path")), "path is required", "validateKeyToPath"),
        refuse("path", Test::Absolute("path"), "\"{v}\" must be a relative path", "validateLocalDescendingPath"),
        refuse("path", Test::Backsteps("path"), "\"{v}\" must not contain '..'", "validatePathNoBacksteps"),
        refuse("path", Test::Prefix("path", &[".."]), "\"{v}\" must not start with '..'", "ValidateLocalNonReservedPath"),
        refuse("mode", Test::Any(&[Test::Below("mode", 0), Test::Above("mode", 0o777)]), FILE_MODE, "validateKeyToPath"),
    ],
};

const DEFAULT_MODE: Rule = refuse("defaultMode", Test::Any(&[Test::Below("defaultMode", 0), Test::Above("defaultMode", 0o777)]), FILE_MODE, "validateVolumeSource");

const DOWNWARD_API_ITEMS: Rule = Rule::Each {
    list: "items",
    rules: &[
        refuse("path", Test::Not(&Test::Set("path")), "path is required", "validateDownwardAPIVolumeFile"),
        refuse("path", Test::Absolute("path"), "\"{v}\" must be a relative path", "validateLocalDescendingPath"),
        refuse("path", Test::Backsteps("path"), "\"{v}\" must not contain '..'", "validatePathNoBacksteps"),
        refuse("path", Test::Prefix("path", &[".."]), "\"{v}\" must not start with '..'", "ValidateLocalNonReservedPath"),
        refuse(
            "",
            Test::All(&[Test::Has("fieldRef"), Test::Has("resourceFieldRef")]),
            "fieldRef and resourceFieldRef can not be specified simultaneously",
            "validateDownwardAPIVolumeFile",
        ),
        refuse(
            "",
            Test::Not(&Test::Any(&[Test::Has("fieldRef"), Test::Has("resourceFieldRef")])),
            "one of fieldRef and resourceFieldRef is required",
            "validateDownwardAPIVolumeFile",
        ),
        Rule::Within {
            field: "fieldRef",
            rules: &[
                refuse(
                    "apiVersion",
                    Test::All(&[Test::Has("apiVersion"), Test::Not(&Test::Is("apiVersion", "v1"))]),
                    "\"{v}\" is not supported: the downward API takes v1",
                    "validateObjectFieldSelector",
                ),
                refuse("fieldPath", Test::Not(&Test::Set("fieldPath")), "fieldPath is required", "validateObjectFieldSelector"),
                refuse(
                    "fieldPath",
                    Test::Fails("fieldPath", Format::VolumeFieldPath),
                    "\"{v}\" is not supported: Kubernetes takes metadata.name, metadata.namespace, metadata.labels, metadata.annotations, metadata.uid, or metadata.labels['<key>'] or metadata.annotations['<key>'] with a valid key",
                    "validateObjectFieldSelector",
                ),
            ],
        },
        Rule::Within {
            field: "resourceFieldRef",
            rules: &[
                refuse("containerName", Test::Not(&Test::Set("containerName")), "containerName is required", "validateContainerResourceFieldSelector"),
                refuse(
                    "resource",
                    Test::Not(&Test::Any(&[Test::In("resource", &RESOURCE_FIELD_PATHS), Test::Prefix("resource", &RESOURCE_FIELD_PREFIXES)])),
                    "\"{v}\" is not supported: Kubernetes takes limits.cpu, limits.memory, limits.ephemeral-storage, requests.cpu, requests.memory, requests.ephemeral-storage, or a hugepages resource",
                    "validateContainerResourceFieldSelector",
                ),
            ],
        },
        refuse("mode", Test::Any(&[Test::Below("mode", 0), Test::Above("mode", 0o777)]), FILE_MODE, "validateDownwardAPIVolumeFile"),
    ],
};

const PROJECTION_SOURCES: &[&str] = &["secret", "configMap", "downwardAPI", "serviceAccountToken", "clusterTrustBundle"];

const VOLUME: &[Rule] = &[
    refuse("name", Test::Not(&Test::Set("name")), "name is required", "ValidateVolumes"),
    refuse(
        "name",
        Test::Fails("name", Format::DnsLabel),
        "\"{v}\" is not valid: a volume name is a DNS-1123 label (at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit)",
        "ValidateVolumes",
    ),
    refuse("", Test::MoreThan(1, VOLUME_SOURCES), "may not specify more than 1 volume type", "validateVolumeSource"),
    refuse("", Test::Not(&Test::MoreThan(0, VOLUME_SOURCES)), "must specify a volume type", "validateVolumeSource"),
    restricted("hostPath", Test::Has("hostPath"), "is a hostPath volume", "HostPath Volumes"),
    restricted(
        "",
        Test::Any(RESTRICTED_VOLUMES),
        "is a volume of a type the standard refuses: only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret",
        "Volume Types",
    ),
    Rule::Within {
        field: "secret",
        rules: &[refuse("secretName", Test::Not(&Test::Set("secretName")), "secretName is required", "validateSecretVolumeSource"), DEFAULT_MODE, KEY_TO_PATH],
    },
    Rule::Within { field: "configMap", rules: &[refuse("name", Test::Not(&Test::Set("name")), "name is required", "validateConfigMapVolumeSource"), DEFAULT_MODE, KEY_TO_PATH] },
    Rule::Within {
        field: "persistentVolumeClaim",
        rules: &[refuse("claimName", Test::Not(&Test::Set("claimName")), "claimName is required", "validatePersistentClaimVolumeSource")],
    },
    Rule::Within { field: "downwardAPI", rules: &[DEFAULT_MODE, DOWNWARD_API_ITEMS] },
    Rule::Within {
        field: "projected",
        rules: &[
            DEFAULT_MODE,
            Rule::Each {
                list: "sources",
                rules: &[
                    refuse("", Test::MoreThan(1, PROJECTION_SOURCES), "may not specify more than 1 volume type per source", "validateProjectionSources"),
                    Rule::Within { field: "secret", rules: &[KEY_TO_PATH] },
                    Rule::Within { field: "configMap", rules: &[KEY_TO_PATH] },
                    Rule::Within { field: "downwardAPI", rules: &[DOWNWARD_API_ITEMS] },
                    Rule::Within {
                        field: "serviceAccountToken",
                        rules: &[
                            refuse("expirationSeconds", Test::Below("expirationSeconds", 600), "may not specify a duration less than 10 minutes", "validateProjectionSources"),
                            refuse(
                                "expirationSeconds",
                                Test::Above("expirationSeconds", 4294967296),
                                "may not specify a duration larger than 2^32 seconds",
                                "validateProjectionSources",
                            ),
                            refuse("path", Test::Not(&Test::Set("path")), "path is required", "validateProjectionSources"),
                            refuse("path", Test::Absolute("path"), "\"{v}\" must be a relative path", "validateLocalDescendingPath"),
                            refuse("path", Test::Backsteps("path"), "\"{v}\" must not contain '..'", "validatePathNoBacksteps"),
                            refuse("path", Test::Prefix("path", &[".."]), "\"{v}\" must not start with '..'", "ValidateLocalNonReservedPath"),
                        ],
                    },
                ],
            },
        ],
    },
    Rule::Within {
        field: "csi",
        rules: &[
            refuse("driver", Test::Not(&Test::Set("driver")), "driver is required", "validateCSIDriverName"),
            refuse(
                "driver",
                Test::Fails("driver", Format::CsiDriver),
                "\"{v}\" is not valid: a CSI driver name has at most 63 characters and is a DNS-1123 subdomain once lowercased",
                "validateCSIDriverName",
            ),
        ],
    },
    Rule::Within {
        field: "ephemeral",
        rules: &[refuse("volumeClaimTemplate", Test::Not(&Test::Has("volumeClaimTemplate")), "volumeClaimTemplate is required", "validateEphemeralVolumeSource")],
    },
];

/// `ValidateLabelSelector`'s rules over a requirement (`matchExpressions` items).
const LABEL_SELECTOR: &[Rule] = &[
    Rule::Labels { map: "matchLabels" },
    Rule::Each {
        list: "matchExpressions",
        rules: &[
            refuse(
                "values",
                Test::All(&[Test::In("operator", &["In", "NotIn"]), Test::Len("values", 0)]),
                "must be specified when `operator` is 'In' or 'NotIn'",
                "ValidateLabelSelectorRequirement",
            ),
            refuse(
                "values",
                Test::All(&[Test::In("operator", &["Exists", "DoesNotExist"]), Test::Not(&Test::Len("values", 0))]),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                "ValidateLabelSelectorRequirement",
            ),
            refuse(
                "operator",
                Test::Not(&Test::In("operator", &["In", "NotIn", "Exists", "DoesNotExist"])),
                "\"{v}\" is not a valid label selector operator",
                "ValidateLabelSelectorRequirement",
            ),
            refuse(
                "key",
                Test::Fails("key", Format::QualifiedName),
                "\"{v}\" is not valid: a label key (an optional DNS subdomain prefix and '/', then 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)",
                "ValidateLabelName",
            ),
            Rule::Each {
                list: "values",
                rules: &[refuse(
                    "",
                    Test::Fails("", Format::LabelValue),
                    "\"{v}\" is not a valid label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
                    "ValidateLabelSelectorRequirement",
                )],
            },
        ],
    },
];

/// `ValidateNodeSelectorTerm`.
const NODE_SELECTOR_TERM: &[Rule] = &[
    Rule::Each {
        list: "matchExpressions",
        rules: &[
            refuse(
                "values",
                Test::All(&[Test::In("operator", &["In", "NotIn"]), Test::Len("values", 0)]),
                "must be specified when `operator` is 'In' or 'NotIn'",
                "ValidateNodeSelectorRequirement",
            ),
            refuse(
                "values",
                Test::All(&[Test::In("operator", &["Exists", "DoesNotExist"]), Test::Not(&Test::Len("values", 0))]),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                "ValidateNodeSelectorRequirement",
            ),
            refuse(
                "values",
                Test::All(&[Test::In("operator", &["Gt", "Lt"]), Test::Not(&Test::Len("values", 1))]),
                "must be specified single value when `operator` is 'Lt' or 'Gt'",
                "ValidateNodeSelectorRequirement",
            ),
            refuse(
                "operator",
                Test::Not(&Test::In("operator", &["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"])),
                "\"{v}\" is not a valid selector operator",
                "ValidateNodeSelectorRequirement",
            ),
            refuse(
                "key",
                Test::Fails("key", Format::QualifiedName),
                "\"{v}\" is not valid: a label key (an optional DNS subdomain prefix and '/', then 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)",
                "ValidateNodeSelectorRequirement",
            ),
        ],
    },
    Rule::Each {
        list: "matchFields",
        rules: &[
            refuse(
                "values",
                Test::All(&[Test::In("operator", &["In", "NotIn"]), Test::Not(&Test::Len("values", 1))]),
                "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
                "ValidateNodeFieldSelectorRequirement",
            ),
            refuse("operator", Test::Not(&Test::In("operator", &["In", "NotIn"])), "\"{v}\" is not a valid selector operator", "ValidateNodeFieldSelectorRequirement"),
            refuse("key", Test::Not(&Test::Is("key", "metadata.name")), "\"{v}\" is not a valid field selector key", "ValidateNodeFieldSelectorRequirement"),
            Rule::Each {
                list: "values",
                rules: &[refuse("", Test::Fails("", Format::DnsSubdomain), "\"{v}\" is not a valid node name (a DNS-1123 subdomain)", "ValidateNodeFieldSelectorRequirement")],
            },
        ],
    },
];

/// `validatePodAffinityTerm`.
const POD_AFFINITY_TERM: &[Rule] = &[
    Rule::Within { field: "labelSelector", rules: LABEL_SELECTOR },
    Rule::Within { field: "namespaceSelector", rules: LABEL_SELECTOR },
    Rule::Each {
        list: "namespaces",
        rules: &[refuse("", Test::Fails("", Format::DnsLabel), "\"{v}\" is not a valid namespace name (a DNS-1123 label)", "validatePodAffinityTerm")],
    },
    refuse(
        "matchLabelKeys",
        Test::All(&[Test::Set("matchLabelKeys"), Test::Not(&Test::Has("labelSelector"))]),
        "must not be specified when labelSelector is not set",
        "validateMatchLabelKeysAndMismatchLabelKeys",
    ),
    refuse(
        "mismatchLabelKeys",
        Test::All(&[Test::Set("mismatchLabelKeys"), Test::Not(&Test::Has("labelSelector"))]),
        "must not be specified when labelSelector is not set",
        "validateMatchLabelKeysAndMismatchLabelKeys",
    ),
    Rule::Each {
        list: "matchLabelKeys",
        rules: &[refuse("", Test::Fails("", Format::QualifiedName), "\"{v}\" is not a valid label key", "validateMatchLabelKeysAndMismatchLabelKeys")],
    },
    Rule::Each {
        list: "mismatchLabelKeys",
        rules: &[refuse("", Test::Fails("", Format::QualifiedName), "\"{v}\" is not a valid label key", "validateMatchLabelKeysAndMismatchLabelKeys")],
    },
    refuse("topologyKey", Test::Not(&Test::Set("topologyKey")), "can not be empty", "validatePodAffinityTerm"),
    refuse(
        "topologyKey",
        Test::Fails("topologyKey", Format::QualifiedName),
        "\"{v}\" is not valid: a label key (an optional DNS subdomain prefix and '/', then 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)",
        "validatePodAffinityTerm",
    ),
];

const WEIGHT: Rule = refuse("weight", Test::Any(&[Test::Below("weight", 1), Test::Above("weight", 100)]), "must be in the range 1-100", "validateWeightedPodAffinityTerms");

const POD_AFFINITY: &[Rule] = &[
    Rule::Each { list: "requiredDuringSchedulingIgnoredDuringExecution", rules: POD_AFFINITY_TERM },
    Rule::Each { list: "preferredDuringSchedulingIgnoredDuringExecution", rules: &[WEIGHT, Rule::Within { field: "podAffinityTerm", rules: POD_AFFINITY_TERM }] },
];

const AFFINITY: &[Rule] = &[
    Rule::Within {
        field: "nodeAffinity",
        rules: &[
            Rule::Within {
                field: "requiredDuringSchedulingIgnoredDuringExecution",
                rules: &[
                    refuse("nodeSelectorTerms", Test::Len("nodeSelectorTerms", 0), "must have at least one node selector term", "ValidateNodeSelector"),
                    Rule::Each { list: "nodeSelectorTerms", rules: NODE_SELECTOR_TERM },
                ],
            },
            Rule::Each {
                list: "preferredDuringSchedulingIgnoredDuringExecution",
                rules: &[
                    refuse("weight", Test::Any(&[Test::Below("weight", 1), Test::Above("weight", 100)]), "must be in the range 1-100", "ValidatePreferredSchedulingTerms"),
                    Rule::Within { field: "preference", rules: NODE_SELECTOR_TERM },
                ],
            },
        ],
    },
    Rule::Within { field: "podAffinity", rules: POD_AFFINITY },
    Rule::Within { field: "podAntiAffinity", rules: POD_AFFINITY },
];

const ROLE_RULE: &[Rule] = &[
    refuse("verbs", Test::Len("verbs", 0), "verbs must contain at least one value", "ValidatePolicyRule"),
    refuse("nonResourceURLs", Test::Set("nonResourceURLs"), "namespaced rules cannot apply to non-resource URLs", "ValidatePolicyRule"),
    refuse("apiGroups", Test::Len("apiGroups", 0), "resource rules must supply at least one api group", "ValidatePolicyRule"),
    refuse("resources", Test::Len("resources", 0), "resource rules must supply at least one resource", "ValidatePolicyRule"),
];

const CLUSTER_ROLE_RULE: &[Rule] = &[
    refuse("verbs", Test::Len("verbs", 0), "verbs must contain at least one value", "ValidatePolicyRule"),
    refuse(
        "nonResourceURLs",
        Test::All(&[Test::Set("nonResourceURLs"), Test::Any(&[Test::Set("apiGroups"), Test::Set("resources"), Test::Set("resourceNames")])]),
        "rules cannot apply to both regular resources and non-resource URLs",
        "ValidatePolicyRule",
    ),
    refuse(
        "apiGroups",
        Test::All(&[Test::Not(&Test::Set("nonResourceURLs")), Test::Len("apiGroups", 0)]),
        "resource rules must supply at least one api group",
        "ValidatePolicyRule",
    ),
    refuse(
        "resources",
        Test::All(&[Test::Not(&Test::Set("nonResourceURLs")), Test::Len("resources", 0)]),
        "resource rules must supply at least one resource",
        "ValidatePolicyRule",
    ),
];

/// Sysctls the baseline (and so the restricted) standard allows: the values rules here and the
/// check's pod security (`check::pod_security`) read this one list.
pub const SAFE_SYSCTLS: &[&str] = &[
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

/// The default `--service-node-port-range`.
pub const NODE_PORTS: (i64, i64) = (30000, 32767);

const NODE_PORT: &[Rule] = &[refuse(
    "",
    Test::Any(&[Test::Below("", NODE_PORTS.0), Test::Above("", NODE_PORTS.1)]),
    "must be in the range of node ports, 30000-32767 (the API server's default --service-node-port-range): Kubernetes refuses another with \"provided port is not in the valid range\"",
    "PortAllocator.Allocate",
)];

const INGRESS_CLASS_NAME: &[Rule] = &[refuse(
    "",
    Test::Fails("", Format::DnsSubdomain),
    "the IngressClass name \"{v}\" is not valid: a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most 253)",
    "ValidateIngressSpec",
)];

const STORAGE_CLASS_NAME: &[Rule] = &[refuse(
    "",
    Test::All(&[Test::Set(""), Test::Fails("", Format::DnsSubdomain)]),
    "the StorageClass name \"{v}\" is not valid: a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most 253)",
    "ValidatePersistentVolumeClaimSpec",
)];

const IMAGE_REPOSITORY: &[Rule] = &[refuse(
    "",
    Test::Fails("", Format::ImageRepository),
    "\"{v}\" is not an image repository (an optional registry host and port, then lowercase path components separated by '/'), so the container runtime would refuse the image: give the tag and the digest in their own settings, not here",
    "reference.ParseNormalizedNamed",
)];

const IMAGE_TAG: &[Rule] = &[refuse(
    "",
    Test::All(&[Test::Set(""), Test::Fails("", Format::ImageTag)]),
    "\"{v}\" is not an image tag (a letter, digit or '_', then up to 127 letters, digits, '_', '.' and '-'), so the container runtime would refuse the image",
    "reference.ParseNormalizedNamed",
)];

const IMAGE_REGISTRY: &[Rule] = &[refuse(
    "",
    Test::All(&[Test::Set(""), Test::Fails("", Format::ImageRegistry)]),
    "\"{v}\" is not a registry (a host and optional port, then optional lowercase path components), so the container runtime would refuse the image",
    "reference.ParseNormalizedNamed",
)];

const STORAGE_REQUEST: &[Rule] = &[refuse("", Test::NotPositive(""), "a claim's storage request must be greater than zero", "ValidatePersistentVolumeClaimSpec")];

impl Part {
    /// Every part.
    pub const ALL: [Part; 17] = [
        Part::Toleration,
        Part::EnvVar,
        Part::Volume,
        Part::VolumeMount,
        Part::Affinity,
        Part::PodSecurityContext,
        Part::SecurityContext,
        Part::SecurityContexts,
        Part::RoleRule,
        Part::ClusterRoleRule,
        Part::NodePort,
        Part::IngressClassName,
        Part::StorageClassName,
        Part::StorageRequest,
        Part::ImageRepository,
        Part::ImageTag,
        Part::ImageRegistry,
    ];

    /// The rules, in the order they are tried.
    pub fn rules(self) -> &'static [Rule] {
        match self {
            Part::Toleration => TOLERATION,
            Part::EnvVar => ENV_VAR,
            Part::Volume => VOLUME,
            Part::VolumeMount => VOLUME_MOUNT,
            Part::Affinity => AFFINITY,
            Part::PodSecurityContext => POD_SECURITY_CONTEXT_ALL,
            Part::SecurityContext => SECURITY_CONTEXT_ALL,
            Part::SecurityContexts => SECURITY_CONTEXTS,
            Part::RoleRule => ROLE_RULE,
            Part::ClusterRoleRule => CLUSTER_ROLE_RULE,
            Part::NodePort => NODE_PORT,
            Part::IngressClassName => INGRESS_CLASS_NAME,
            Part::StorageClassName => STORAGE_CLASS_NAME,
            Part::StorageRequest => STORAGE_REQUEST,
            Part::ImageRepository => IMAGE_REPOSITORY,
            Part::ImageTag => IMAGE_TAG,
            Part::ImageRegistry => IMAGE_REGISTRY,
        }
    }

    /// True for a part that is one scalar (a node port, a class name), not a map.
    pub fn scalar(self) -> bool {
        matches!(self, Part::NodePort | Part::IngressClassName | Part::StorageClassName | Part::StorageRequest | Part::ImageRepository | Part::ImageTag | Part::ImageRegistry)
    }

    /// The name of the chart's helper (`<chart>.<name>Problem`).
    pub fn name(self) -> &'static str {
        match self {
            Part::Toleration => "toleration",
            Part::EnvVar => "envVar",
            Part::Volume => "volume",
            Part::VolumeMount => "volumeMount",
            Part::Affinity => "affinity",
            Part::PodSecurityContext => "podSecurityContext",
            Part::SecurityContext => "securityContext",
            Part::SecurityContexts => "securityContexts",
            Part::RoleRule => "roleRule",
            Part::ClusterRoleRule => "clusterRoleRule",
            Part::NodePort => "nodePort",
            Part::IngressClassName => "ingressClassName",
            Part::StorageClassName => "storageClassName",
            Part::StorageRequest => "storageRequest",
            Part::ImageRepository => "imageRepository",
            Part::ImageTag => "imageTag",
            Part::ImageRegistry => "imageRegistry",
        }
    }
}

/// Which rules of the restricted Pod Security Standard apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Lifted(pub u16);

/// The titles of the restricted standard's controls, in the order of [`Lifted`]'s bits.
pub const CONTROLS: [&str; 15] = [
    "HostProcess",
    "Host Namespaces",
    "Privileged Containers",
    "Capabilities",
    "HostPath Volumes",
    "Host Ports",
    "AppArmor",
    "SELinux",
    "/proc Mount Type",
    "Seccomp",
    "Sysctls",
    "Volume Types",
    "Privilege Escalation",
    "Running as Non-root",
    "Running as Non-root user",
];

impl Lifted {
    /// No control lifted: the whole standard applies.
    pub const NONE: Lifted = Lifted(0);
    /// Every control lifted: Kubernetes' own rules only (the check judges the standard apart).
    pub const ALL: Lifted = Lifted((1 << CONTROLS.len()) - 1);

    /// `self` with the control of this title lifted.
    pub fn with(self, title: &str) -> Lifted {
        CONTROLS.iter().position(|c| *c == title).map_or(self, |i| Lifted(self.0 | 1 << i))
    }

    /// True when the control of this title is lifted.
    pub fn lifts(self, title: &str) -> bool {
        CONTROLS.iter().position(|c| *c == title).is_some_and(|i| self.0 & (1 << i) != 0)
    }

    /// True when the rule applies.
    pub(crate) fn keeps(self, rule: &Rule) -> bool {
        !matches!(rule, Rule::Refuse { pss: Some(control), .. } if self.lifts(control))
    }
}

/// The value at the dotted `field` of `v` (`""`: `v` itself).
fn get<'v>(v: &'v Value, field: &str) -> Option<&'v Value> {
    if field.is_empty() {
        return Some(v);
    }
    field.split('.').try_fold(v, |at, key| at.get(key))
}

fn text<'v>(v: &'v Value, field: &str) -> &'v str {
    get(v, field).and_then(Value::as_str).unwrap_or("")
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(m)) => !m.is_empty(),
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|x| x != 0.0),
        _ => false,
    }
}

fn number(v: &Value, field: &str) -> Option<f64> {
    get(v, field).and_then(Value::as_f64)
}

fn list<'v>(v: &'v Value, field: &str) -> &'v [Value] {
    get(v, field).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

impl Test {
    /// True when the test holds for `v`.
    pub fn holds(&self, v: &Value) -> bool {
        match *self {
            Test::Has(f) => get(v, f).is_some_and(|x| !x.is_null()),
            Test::Set(f) => truthy(get(v, f)),
            Test::Is(f, lit) => text(v, f) == lit,
            Test::In(f, set) => set.contains(&text(v, f)),
            Test::Prefix(f, set) => set.iter().any(|p| text(v, f).starts_with(p)),
            Test::Fails(f, format) => !format.ok(text(v, f)),
            Test::Absolute(f) => text(v, f).starts_with('/'),
            Test::Backsteps(f) => text(v, f).split('/').any(|p| p == ".."),
            Test::Padded(f) => {
                let s = text(v, f);
                s.trim() != s
            }
            Test::Longer(f, n) => text(v, f).len() > n,
            Test::Below(f, n) => number(v, f).is_some_and(|x| x < n as f64),
            Test::Above(f, n) => number(v, f).is_some_and(|x| x > n as f64),
            Test::NotPositive(f) => get(v, f).is_some_and(|q| super::quantity(q) <= 0.0),
            Test::True(f) => get(v, f) == Some(&Value::Bool(true)),
            Test::False(f) => get(v, f) == Some(&Value::Bool(false)),
            Test::Len(f, n) => list(v, f).len() == n,
            Test::Holds(f, lit) => list(v, f).iter().any(|x| x.as_str() == Some(lit)),
            Test::MoreThan(n, fields) => fields.iter().filter(|f| Test::Has(f).holds(v)).count() > n,
            Test::Not(t) => !t.holds(v),
            Test::All(ts) => ts.iter().all(|t| t.holds(v)),
            Test::Any(ts) => ts.iter().any(|t| t.holds(v)),
        }
    }
}

fn join(path: &str, field: &str) -> String {
    match (path.is_empty(), field.is_empty()) {
        (_, true) => path.to_string(),
        (true, false) => field.to_string(),
        (false, false) => format!("{path}.{field}"),
    }
}

/// The message of a refusal at `path` (the object's path) over `v`.
fn says(path: &str, v: &Value, at: &str, show: &str, says: &str, pss: Option<&str>) -> String {
    let shown = text(v, if show.is_empty() { at } else { show });
    let mut message = format!("{}: {}", join(path, at), says.replace("{v}", shown));
    if let Some(control) = pss {
        message.push_str(&format!(" (Pod Security Standard restricted: {control})"));
    }
    message
}

/// The first problem of `rules` over the object `v` at `path`, or `None`; rules of the
/// restricted standard that `lifted` lifts are skipped.
pub fn problem_of(rules: &[Rule], path: &str, v: &Value, lifted: Lifted) -> Option<String> {
    for rule in rules {
        if !lifted.keeps(rule) {
            continue;
        }
        let found = match *rule {
            Rule::Refuse { at, when, says: text, show, pss, .. } => when.holds(v).then(|| says(path, v, at, show, text, pss)),
            Rule::Each { list: field, rules } => list(v, field).iter().enumerate().find_map(|(i, item)| problem_of(rules, &format!("{}[{i}]", join(path, field)), item, lifted)),
            Rule::Within { field, rules } => get(v, field).filter(|x| !x.is_null()).and_then(|x| problem_of(rules, &join(path, field), x, lifted)),
            Rule::Labels { map } => get(v, map).and_then(|m| super::labels_problem(&join(path, map), m, false)),
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

impl Part {
    /// The first problem of the part `v` at `path`, or `None`.
    pub fn problem(self, path: &str, v: &Value, lifted: Lifted) -> Option<String> {
        problem_of(self.rules(), path, v, lifted)
    }

    /// The first problem of a list of parts at `path` (`tolerations[1].operator: ...`).
    pub fn problem_in_list(self, path: &str, items: &Value, lifted: Lifted) -> Option<String> {
        items.as_array().into_iter().flatten().enumerate().find_map(|(i, item)| self.problem(&format!("{path}[{i}]"), item, lifted))
    }

    /// Every Kubernetes function the part's rules mirror, once each, in rule order.
    pub fn functions(self) -> Vec<&'static str> {
        fn walk(rules: &[Rule], out: &mut Vec<&'static str>) {
            for r in rules {
                match r {
                    Rule::Refuse { by, .. } => {
                        if !out.contains(by) {
                            out.push(by)
                        }
                    }
                    Rule::Each { rules, .. } | Rule::Within { rules, .. } => walk(rules, out),
                    Rule::Labels { .. } => {
                        if !out.contains(&"ValidateLabels") {
                            out.push("ValidateLabels")
                        }
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(self.rules(), &mut out);
        out
    }
}
