//! The API server's rules that a values file can break, defined once for both renderers and the
//! check: the shapes and lengths of object names, label keys and values, annotation keys and
//! their total size, and resource requests against limits. The renderers turn them into
//! validations (`fail` in the chart, an error in emit, with the same message); the check applies
//! the same functions to rendered objects.
//!
//! Each rule names the Kubernetes validation function it mirrors (`k8s.io/apimachinery/pkg/util/validation`,
//! `k8s.io/apimachinery/pkg/api/validation` and `pkg/apis/core/validation` in the Kubernetes
//! sources). The Go template text in `render` implements the same rules; the tests hold the two
//! to each other with real Helm.

use serde_json::Value;

pub mod cron;
pub mod parts;

pub use parts::{Lifted, Part};

// Hand-written rather than regular expressions: the check runs over every label of every
// object of every environment, and a regex engine made label keys a fifth of emit's time.

/// The upgrade note of the first chart version of each application that refuses what these
/// rules refuse (`ChartMeta::upgrade_note`).
pub const UPGRADE_NOTE: &str = "- Both renderers refuse values the Kubernetes API server would refuse, before anything is \
installed: a release name that makes a derived object name too long for its kind (the message names the name and \
the limit; use a shorter release name or `fullnameOverride`), resource requests above their limits, negative \
quantities, label and annotation keys and label values Kubernetes does not take (in `podLabels`, `podAnnotations`, \
`nodeSelector` and the other label and annotation settings), labels that replace the chart's own, annotations \
over 255 KiB, `minAvailable` and `maxUnavailable` percentages over 100% (disruption budgets, rolling updates), a \
rolling update whose `maxSurge` and `maxUnavailable` are both 0, an enabled Ingress without hosts, Ingress \
hosts and TLS hosts that are not lowercase DNS names or are IP addresses, and Ingress paths Kubernetes refuses (a \
`Prefix` or `Exact` path starts with `/`, holds no `//`, `/./`, `/../` or `%2f` and does not end in `/.` or `/..`; \
an `ImplementationSpecific` one is empty or starts with `/`). Values that Kubernetes accepts need no change.";

/// The upgrade note of the first chart version of each application whose renderers refuse what
/// the rules of the parts values give whole refuse ([`parts`]), and apply every rule only where
/// its object renders (`ChartMeta::upgrade_note`).
pub const PARTS_UPGRADE_NOTE: &str = "- Both renderers refuse more of what the Kubernetes API server (or the container \
runtime) would refuse, before anything is installed, with the message Kubernetes gives: tolerations (an empty `key` \
needs `operator: Exists`, `tolerationSeconds` needs `effect: NoExecute`), extra env vars (`value` beside `valueFrom`, \
a `valueFrom` with no source or several, field paths and resources Kubernetes does not take, an env var the chart \
sets already), extra volumes and mounts (a mount of a volume the pod does not have, two mounts at one path, a \
`subPath` with `..`, modes over 0777, volume types the restricted Pod Security Standard refuses), affinity terms \
(operators, values, weights, topology keys), security contexts (ids out of range, seccomp and AppArmor profiles, \
and the restricted Pod Security Standard: privileged, capabilities other than NET_BIND_SERVICE, \
`allowPrivilegeEscalation` not false, root), `rbac.rules` without verbs, API groups or resources, a `nodePort` \
outside 30000-32767, an `ingress.className` or StorageClass that is not a lowercase DNS name, a claim size of 0, an \
Ingress host with no path, two container ports of one number (a listen address beside another on the same port), \
and an image repository with a tag or digest in it (give them in `image.tag` and `image.digest`). These rules, and \
the earlier ones, now apply only where their object renders: a disabled budget or Ingress is no longer judged. \
Values that Kubernetes accepts need no change.";

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

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, any length.
pub fn dns_label_shape(s: &str) -> bool {
    word(s, lower_alnum, lower_alnum_dash, lower_alnum)
}

/// `[a-z]([-a-z0-9]*[a-z0-9])?`, any length.
pub fn dns_1035_shape(s: &str) -> bool {
    word(s, |c| c.is_ascii_lowercase(), lower_alnum_dash, lower_alnum)
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`: the name part of a label key, or a label value.
pub fn label_part(s: &str) -> bool {
    word(s, |c| c.is_ascii_alphanumeric(), |c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'), |c| c.is_ascii_alphanumeric())
}

/// A DNS-1123 subdomain (`IsDNS1123Subdomain`): at most 253 characters, dot-separated labels.
pub fn dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(dns_label_shape)
}

/// A DNS-1123 label (`IsDNS1123Label`): at most 63 characters.
pub fn dns_label(s: &str) -> bool {
    s.len() <= 63 && dns_label_shape(s)
}

/// The shape an object name must have, by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shape {
    /// `IsDNS1035Label`: a lowercase letter first (Service names, CloudNativePG clusters).
    Dns1035Label,
    /// `IsDNS1123Label`: no dots (names that become host names).
    Dns1123Label,
    /// `IsDNS1123Subdomain`: dots allowed (most objects).
    Dns1123Subdomain,
}

impl Shape {
    /// True when `s` has this shape (lengths aside).
    pub fn matches(self, s: &str) -> bool {
        match self {
            Shape::Dns1035Label => dns_1035_shape(s),
            Shape::Dns1123Label => dns_label_shape(s),
            Shape::Dns1123Subdomain => s.split('.').all(dns_label_shape),
        }
    }

    /// The same test as a Go regular expression, for the chart's `regexMatch`.
    pub fn pattern(self) -> &'static str {
        match self {
            Shape::Dns1035Label => "^[a-z]([-a-z0-9]*[a-z0-9])?$",
            Shape::Dns1123Label => "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
            Shape::Dns1123Subdomain => SUBDOMAIN_PATTERN,
        }
    }

    /// How the shape reads in a message.
    pub fn describe(self) -> &'static str {
        match self {
            Shape::Dns1035Label => "a DNS-1035 label (lowercase letters, digits and '-', starting with a letter)",
            Shape::Dns1123Label => "a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit)",
            Shape::Dns1123Subdomain => "a DNS-1123 subdomain (lowercase letters, digits, '-' and '.')",
        }
    }
}

/// `IsDNS1123Subdomain`'s pattern, for the chart.
pub const SUBDOMAIN_PATTERN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// A label key's name part or a label value, for the chart (`qualifiedNameFmt`, `labelValueFmt`).
pub const LABEL_PART_PATTERN: &str = r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$";

/// What an object name of a kind must be: its shape, its longest length and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameRule {
    /// The shape.
    pub shape: Shape,
    /// The most characters (bytes: names are ASCII).
    pub max: usize,
    /// Where the limit comes from, for the message.
    pub why: &'static str,
}

/// The name rule of a kind, or `None` for kinds whose names are path segments (RBAC) and are
/// checked by `kforge check` alone.
///
/// - Service: `ValidateServiceName`, a DNS-1035 label of at most 63.
/// - StatefulSet: a DNS-1123 label of at most 52: its pods are named `<name>-<ordinal>` and
///   host names are labels, and the controller labels every pod with
///   `controller-revision-hash: <name>-<hash of up to 10 characters>`, a label value of at most 63.
/// - Job: the Job controller labels its pods `job-name: <name>` (`ValidateJob`), at most 63.
/// - CronJob: `ValidateCronJob` allows 52, as the Jobs it creates add 11 characters.
/// - Cluster (CloudNativePG): its admission webhook takes a DNS-1035 label of at most 50, from
///   which the operator derives `<name>-rw`, `-ro`, `-r`, `-app`, `-superuser` and its pods.
/// - Namespace: a DNS-1123 label of at most 63.
/// - Everything else, custom resources included: a DNS-1123 subdomain of at most 253.
pub fn name_rule(kind: &str) -> Option<NameRule> {
    let rule = |shape, max, why| Some(NameRule { shape, max, why });
    match kind {
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => None,
        "Service" => rule(Shape::Dns1035Label, 63, "a Service name is a DNS label"),
        "StatefulSet" => rule(Shape::Dns1123Label, 52, "its pods carry it with a revision hash in the controller-revision-hash label"),
        "Job" => rule(Shape::Dns1123Subdomain, 63, "its pods carry it in the job-name label"),
        "CronJob" => rule(Shape::Dns1123Subdomain, 52, "the Jobs it creates add 11 characters"),
        "Cluster" => rule(Shape::Dns1035Label, 50, "CloudNativePG derives its Services and Secrets from it"),
        "Namespace" => rule(Shape::Dns1123Label, 63, "a namespace name is a DNS label"),
        _ => rule(Shape::Dns1123Subdomain, 253, "Kubernetes allows no more"),
    }
}

/// The message for a derived name that breaks its kind's rule: the same text the chart's `fail`
/// prints (see `render`).
pub fn name_message(kind: &str, name: &str, rule: NameRule) -> String {
    if name.len() > rule.max {
        format!(
            "the {kind} name \"{name}\" has {} characters, over the {} a {kind} name may have ({}): use a shorter release name or fullnameOverride",
            name.len(),
            rule.max,
            rule.why
        )
    } else {
        format!("the {kind} name \"{name}\" is not {}: use another release name or fullnameOverride", rule.shape.describe())
    }
}

/// The labels the chart sets itself: values may not replace them (selectors match the first
/// three; a second key of the same name would make the two renderers disagree).
pub const CHART_LABELS: [&str; 6] =
    ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component", "app.kubernetes.io/version", "app.kubernetes.io/managed-by", "helm.sh/chart"];

/// `TotalAnnotationSizeLimitB`: the keys and values of one object's annotations together.
pub const ANNOTATIONS_TOTAL_MAX: usize = 256 * 1024;
/// What one annotations setting may add up to: the object's limit less room for the
/// annotations the chart adds itself (checksums, Helm hooks; well under 1 KiB).
pub const ANNOTATIONS_VALUES_MAX: usize = ANNOTATIONS_TOTAL_MAX - 1024;

/// A label or annotation key (`IsQualifiedName`): an optional DNS-1123 subdomain prefix of at
/// most 253 characters and `/`, then a name part of 1 to 63 characters.
pub fn qualified_name(key: &str) -> bool {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    prefix.is_none_or(dns_subdomain) && name.len() <= 63 && label_part(name)
}

/// A label value (`IsValidLabelValue`): empty, or at most 63 characters of letters, digits,
/// `-`, `_` and `.`, starting and ending with a letter or digit.
pub fn label_value(value: &str) -> bool {
    value.is_empty() || (value.len() <= 63 && label_part(value))
}

/// An annotation key (`ValidateAnnotations` lowercases it, then `IsQualifiedName`). Keys with
/// other than ASCII characters are refused outright, so that Go's and Rust's lowercasing
/// cannot disagree.
pub fn annotation_key(key: &str) -> bool {
    key.is_ascii() && qualified_name(&key.to_ascii_lowercase())
}

pub(crate) const KEY_SHAPE: &str = "an optional DNS subdomain prefix and '/', then 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

/// The first label of a values map at `path` that the API server would refuse (`ValidateLabels`),
/// in key order, or `None`. With `own`, a key the chart sets itself ([`CHART_LABELS`]) is refused
/// too. Values that are not strings are the schema's to refuse and are skipped here.
pub fn labels_problem(path: &str, labels: &Value, own: bool) -> Option<String> {
    let Value::Object(labels) = labels else { return None };
    for (k, v) in sorted(labels) {
        if !qualified_name(k) {
            return Some(format!("{path}: the label key \"{k}\" is not valid: {KEY_SHAPE}"));
        }
        if own && CHART_LABELS.contains(&k.as_str()) {
            return Some(format!("{path}: the label \"{k}\" is set by the chart (its selectors match it): use another key"));
        }
        if let Value::String(s) = v
            && !label_value(s)
        {
            return Some(format!("{path}: the value of label \"{k}\" is not valid: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"));
        }
    }
    None
}

/// The first annotation of a values map at `path` whose key the API server would refuse, else
/// whether the keys and values together pass [`ANNOTATIONS_VALUES_MAX`] bytes, or `None`.
pub fn annotations_problem(path: &str, annotations: &Value) -> Option<String> {
    let Value::Object(annotations) = annotations else { return None };
    let mut size = 0;
    for (k, v) in sorted(annotations) {
        if !annotation_key(k) {
            return Some(format!("{path}: the annotation key \"{k}\" is not valid: {KEY_SHAPE}"));
        }
        size += k.len() + v.as_str().map_or(0, str::len);
    }
    (size > ANNOTATIONS_VALUES_MAX).then(|| {
        format!("{path}: the annotations take {size} bytes, over the {ANNOTATIONS_VALUES_MAX} the chart allows (Kubernetes takes {ANNOTATIONS_TOTAL_MAX} per object, the chart's own included)")
    })
}

/// The first resource of a `{requests, limits}` values map at `path` whose request is above
/// its limit (`ValidateResourceRequirements`), in resource name order, or `None`. Quantities
/// compare as [`quantity`] reads them.
pub fn resources_problem(path: &str, resources: &Value) -> Option<String> {
    let (Some(Value::Object(requests)), Some(Value::Object(limits))) = (resources.get("requests"), resources.get("limits")) else { return None };
    for (k, request) in sorted(requests) {
        if let Some(limit) = limits.get(k)
            && quantity(request) > quantity(limit)
        {
            // A quantity given as a string is shown as given; a number is not, since Helm prints
            // a values file's numbers as floats (`1e+06`).
            let given = |v: &Value| v.as_str().map_or(String::new(), |s| format!(" ({s})"));
            return Some(format!(
                "{path}.requests.{k}{} is more than {path}.limits.{k}{}: Kubernetes refuses a container whose requests exceed its limits",
                given(request),
                given(limit)
            ));
        }
    }
    None
}

/// The entries in key order, as Go templates range over a map (values keep the order of the
/// file they came from).
fn sorted(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

/// `IsNotMoreThan100Percent` (`pkg/apis/apps/validation`), which `ValidatePodDisruptionBudgetSpec`
/// applies to `minAvailable` and `maxUnavailable` and `ValidateRollingUpdateDeployment` (and the
/// DaemonSet and StatefulSet rolling updates) to `maxUnavailable`: what is wrong with a
/// percentage above 100%, or `None`. Counts, and text that is not a percentage, are the
/// types' to judge (`IntOrPercent` takes no negative count, as `ValidatePositiveIntOrPercent`
/// wants).
pub fn percent_problem(value: &Value) -> Option<String> {
    let Value::String(s) = value else { return None };
    let digits = s.strip_suffix('%')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // More digits than a u64 holds are far over 100 (the schema allows 9).
    let over = digits.parse::<u64>().ok().is_none_or(|n| n > 100);
    over.then(|| format!("the percentage \"{s}\" is more than 100%: Kubernetes takes a count or a percentage from 0% to 100%"))
}

/// `ValidateRollingUpdateDeployment` (`pkg/apis/apps/validation`): `maxUnavailable` may not be 0
/// when `maxSurge` is 0, since such an update can neither add a pod nor take one away. `value`
/// is the settings section rendered as `rollingUpdate` (`{maxSurge, maxUnavailable}`); a count
/// or a percentage is 0 as Kubernetes scales it (`0`, `"0%"`). Numbers count by their integer
/// value only: Helm prints a values file's `-0` as `-0`, which is no 0 to the chart either.
pub fn rolling_update_problem(path: &str, value: &Value) -> Option<String> {
    let zero = |v: Option<&Value>| match v {
        Some(Value::Number(n)) => n.as_i64() == Some(0),
        Some(Value::String(s)) => {
            let digits = s.strip_suffix('%').unwrap_or(s);
            !digits.is_empty() && digits.bytes().all(|b| b == b'0')
        }
        _ => false,
    };
    (zero(value.get("maxSurge")) && zero(value.get("maxUnavailable")))
        .then(|| format!("{path}.maxSurge and {path}.maxUnavailable are both 0: Kubernetes refuses a rolling update that can neither add a pod nor take one away"))
}

/// `IsWildcardDNS1123Subdomain` after `IsDNS1123Subdomain`: `*.` and then a subdomain, at most
/// 253 characters in all.
pub fn wildcard_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.strip_prefix("*.").is_some_and(|rest| rest.split('.').all(dns_label_shape))
}

/// `netutils.ParseIPSloppy` taking `s` for an IPv4 address: four dot-separated decimal numbers
/// up to 255, leading zeros allowed. (IPv6 addresses hold a `:`, which no host may have.)
pub fn ipv4_sloppy(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            let significant = p.trim_start_matches('0');
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && significant.len() <= 3 && significant.parse::<u16>().unwrap_or(0) <= 255
        })
}

pub(crate) const HOST_SHAPE: &str =
    "Kubernetes takes a lowercase DNS name (letters a-z, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters), '*.' allowed only at the start";

/// What is wrong with an Ingress host, or `None`. A rule's host (`validateIngressRules`): empty
/// for every host, else not an IP address, and a DNS-1123 subdomain, or `*.` and one when it
/// holds a `*`. A TLS host (`validateIngressTLS`): the same shapes, the empty string refused,
/// no test for an IP address.
pub fn host_problem(host: &str, tls: bool) -> Option<String> {
    if !tls && host.is_empty() {
        return None;
    }
    if !tls && ipv4_sloppy(host) {
        return Some(format!("the host \"{host}\" is an IP address: Kubernetes takes a DNS name here"));
    }
    let valid = if host.contains('*') { wildcard_subdomain(host) } else { dns_subdomain(host) };
    (!valid).then(|| format!("the host \"{host}\" is not valid: {HOST_SHAPE}"))
}

/// `validateHTTPIngressPath`'s `invalidPathSequences` and `invalidPathSuffixes`.
pub const PATH_SEQUENCES: [&str; 5] = ["//", "/./", "/../", "%2f", "%2F"];
/// See [`PATH_SEQUENCES`].
pub const PATH_SUFFIXES: [&str; 2] = ["/..", "/."];

/// What is wrong with an Ingress path of a `pathType`, or `None` (`validateHTTPIngressPath`): an
/// `Exact` or `Prefix` path starts with `/`, holds none of [`PATH_SEQUENCES`] and ends with none
/// of [`PATH_SUFFIXES`]; an `ImplementationSpecific` one is empty or starts with `/`. The first
/// problem in that order. Other path types are the schema's to refuse.
pub fn http_path_problem(path: &str, path_type: &str) -> Option<String> {
    let absolute = path.starts_with('/');
    match path_type {
        "Exact" | "Prefix" if !absolute => Some(format!("the path \"{path}\" is not absolute: a path of type {path_type} must start with '/'")),
        "Exact" | "Prefix" => PATH_SEQUENCES
            .iter()
            .find(|seq| path.contains(*seq))
            .map(|seq| format!("the path \"{path}\" contains '{seq}', which Kubernetes refuses in a path of type {path_type}"))
            .or_else(|| {
                PATH_SUFFIXES
                    .iter()
                    .find(|suffix| path.ends_with(*suffix))
                    .map(|suffix| format!("the path \"{path}\" ends with '{suffix}', which Kubernetes refuses in a path of type {path_type}"))
            }),
        "ImplementationSpecific" if !path.is_empty() && !absolute => Some(format!("the path \"{path}\" is not absolute: a non-empty path of type {path_type} must start with '/'")),
        _ => None,
    }
}

/// The first problem of a list setting at `path` of the kit's Ingress hosts (`IngressHost`: each
/// `{host, paths: [{path, pathType}]}`), each host before its paths (a host with none is refused
/// too: `validateHTTPIngressRuleValue`), named by index (`ingress.hosts[0].paths[1].path`), or
/// `None`.
pub fn ingress_rules_problem(path: &str, hosts: &Value) -> Option<String> {
    for (i, rule) in hosts.as_array().into_iter().flatten().enumerate() {
        if let Some(problem) = rule.get("host").and_then(Value::as_str).and_then(|h| host_problem(h, false)) {
            return Some(format!("{path}[{i}].host: {problem}"));
        }
        // `validateHTTPIngressRuleValue`: the rule the host renders has an `http` with no path.
        if rule.get("paths").and_then(Value::as_array).is_some_and(Vec::is_empty) {
            return Some(format!("{path}[{i}].paths: empty: Kubernetes wants at least one path for a host"));
        }
        for (j, p) in rule.get("paths").and_then(Value::as_array).into_iter().flatten().enumerate() {
            if let (Some(http_path), Some(path_type)) = (p.get("path").and_then(Value::as_str), p.get("pathType").and_then(Value::as_str))
                && let Some(problem) = http_path_problem(http_path, path_type)
            {
                return Some(format!("{path}[{i}].paths[{j}].path: {problem}"));
            }
        }
    }
    None
}

/// The first problem of a list setting at `path` of the kit's Ingress TLS entries (`IngressTls`:
/// each `{secretName, hosts}`), by index (`ingress.tls[0].hosts[1]`), or `None`.
pub fn ingress_tls_problem(path: &str, tls: &Value) -> Option<String> {
    for (i, entry) in tls.as_array().into_iter().flatten().enumerate() {
        for (j, host) in entry.get("hosts").and_then(Value::as_array).into_iter().flatten().enumerate() {
            if let Some(problem) = host.as_str().and_then(|h| host_problem(h, true)) {
                return Some(format!("{path}[{i}].hosts[{j}]: {problem}"));
            }
        }
    }
    None
}

/// A rule over the whole value of one setting, found where the setting is rendered: a map
/// merged into `labels` or `annotations`, `nodeSelector` and `matchLabels`, `resources`, a
/// `minAvailable` or `maxUnavailable`, an Ingress's hosts and TLS entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValuesRule {
    /// [`labels_problem`]; `own`: the chart's own labels are refused too.
    Labels {
        /// Refuse the keys of [`CHART_LABELS`].
        own: bool,
    },
    /// [`annotations_problem`].
    Annotations,
    /// [`resources_problem`].
    Resources,
    /// [`percent_problem`], for a `minAvailable` or `maxUnavailable`.
    Percent,
    /// [`ingress_rules_problem`], for the list setting an Ingress's `rules` range over.
    IngressRules,
    /// [`ingress_tls_problem`], for the setting rendered as an Ingress's `tls`.
    IngressTls,
    /// [`rolling_update_problem`], for the settings section rendered as a `rollingUpdate`.
    RollingUpdate,
    /// [`Part::problem`], for a setting rendered whole as one part of an object (`affinity`),
    /// or as a list of them (`tolerations`, `extraEnv`), with the restricted standard's
    /// controls the application lifts for it.
    Part {
        /// The part.
        part: Part,
        /// The setting is a list of parts.
        list: bool,
        /// The controls of the restricted standard lifted.
        lifted: Lifted,
    },
    /// [`unique_problem`]: the keys of one list of an object (env var names, container ports,
    /// volume names, mount paths) unique across the chart's own items and list settings.
    Unique(Unique),
    /// [`mounts_problem`]: the mounts of list settings name volumes of the pod.
    Mounts,
}

impl ValuesRule {
    /// The problem with `value`, the setting at `path`, or `None`.
    pub fn problem(self, path: &str, value: &Value) -> Option<String> {
        match self {
            ValuesRule::Labels { own } => labels_problem(path, value, own),
            ValuesRule::Annotations => annotations_problem(path, value),
            ValuesRule::Resources => resources_problem(path, value),
            ValuesRule::Percent => percent_problem(value).map(|p| format!("{path}: {p}")),
            ValuesRule::IngressRules => ingress_rules_problem(path, value),
            ValuesRule::IngressTls => ingress_tls_problem(path, value),
            ValuesRule::RollingUpdate => rolling_update_problem(path, value),
            ValuesRule::Part { part, list: true, lifted } => part.problem_in_list(path, value, lifted),
            ValuesRule::Part { part, list: false, lifted } => part.problem(path, value, lifted),
            ValuesRule::Unique(unique) => unique_problem(unique, value),
            ValuesRule::Mounts => mounts_problem(value),
        }
    }
}

/// A list of an object whose items Kubernetes keys by a field, so that two items of one key are
/// refused: by validation (volume names, mount paths), or by server-side apply, which Helm 4
/// installs with and which refuses two items of one key of a list it merges by key (env var
/// names, container ports by port and protocol).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unique {
    /// A container's `env`, keyed by `name`.
    EnvName,
    /// A container's `ports`, keyed by `containerPort` and `protocol` (`TCP` when left out).
    Port,
    /// A pod's `volumes`, keyed by `name` (`ValidateVolumes`).
    VolumeName,
    /// A container's `volumeMounts`, keyed by `mountPath` (`ValidateVolumeMounts`).
    MountPath,
}

impl Unique {
    /// The field of a list item that is its key (a port's is two: see [`Unique::key_of`]).
    pub fn field(self) -> &'static str {
        match self {
            Unique::EnvName | Unique::VolumeName => "name",
            Unique::Port => "containerPort",
            Unique::MountPath => "mountPath",
        }
    }

    /// What a key names, for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Unique::EnvName => "the environment variable",
            Unique::Port => "the container port",
            Unique::VolumeName => "the volume",
            Unique::MountPath => "the mount path",
        }
    }

    /// Why Kubernetes refuses a second item of one key, and the function whose rule it is.
    pub fn reason(self) -> &'static str {
        match self {
            Unique::EnvName => "Kubernetes refuses two env entries of one name with server-side apply, which Helm 4 installs with (env is a list keyed by name)",
            Unique::Port => "Kubernetes refuses two ports of one containerPort and protocol with server-side apply, which Helm 4 installs with (ports are a list keyed by both)",
            Unique::VolumeName => "Kubernetes refuses two volumes of one name (ValidateVolumes)",
            Unique::MountPath => "Kubernetes refuses two mounts at one path (ValidateVolumeMounts: must be unique)",
        }
    }

    /// The key of a list item, or `None` when it has none to compare (the schema's to refuse).
    pub fn key_of(self, item: &Value) -> Option<String> {
        match self {
            Unique::Port => {
                let port = item.get("containerPort")?.as_f64()?;
                let protocol = item.get("protocol").and_then(Value::as_str).filter(|p| !p.is_empty()).unwrap_or("TCP");
                Some(format!("{port}/{protocol}"))
            }
            _ => item.get(self.field()).and_then(Value::as_str).map(str::to_string),
        }
    }
}

fn str_of(v: Option<&Value>) -> &str {
    v.and_then(Value::as_str).unwrap_or("")
}

fn items(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

/// The first key given twice in one list of an object. `value` is `[where, own, lists]`: where
/// the list is (`container dbbat`), the chart's own items as `[key, who]` pairs in order (a key
/// of `""` is an item its condition leaves out; `who` names where it comes from: `the chart`, or
/// the setting that gives its key), and the list settings appended to it as `[path, items]`
/// pairs. The message names the later item, by its setting.
pub fn unique_problem(unique: Unique, value: &Value) -> Option<String> {
    let place = str_of(value.get(0));
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut entries: Vec<(String, String)> = Vec::new();
    for own in items(value.get(1)) {
        entries.push((str_of(own.get(0)).to_string(), str_of(own.get(1)).to_string()));
    }
    for setting in items(value.get(2)) {
        let path = str_of(setting.get(0));
        for (i, item) in items(setting.get(1)).iter().enumerate() {
            if let Some(key) = unique.key_of(item) {
                let who = if unique == Unique::Port { format!("{path}[{i}]") } else { format!("{path}[{i}].{}", unique.field()) };
                entries.push((key, who));
            }
        }
    }
    for (key, who) in entries {
        if key.is_empty() {
            continue;
        }
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
            return Some(format!("{who}: {} {key} is given by {first} already, in {place}: {}", unique.noun(), unique.reason()));
        }
        seen.push((key, who));
    }
    None
}

/// The first mount of a list setting that names a volume the pod does not have
/// (`ValidateVolumeMounts`). `value` is `[where, own, volumes, mounts]`: where the mounts are
/// (`container dbbat`), the names of the pod's own volumes (`""` for one its condition leaves
/// out), the list settings of volumes as `[path, items]` pairs, and the list settings of mounts
/// likewise.
pub fn mounts_problem(value: &Value) -> Option<String> {
    let place = str_of(value.get(0));
    let mut names: Vec<&str> = items(value.get(1)).iter().filter_map(Value::as_str).filter(|n| !n.is_empty()).collect();
    let mut lists: Vec<&str> = Vec::new();
    for setting in items(value.get(2)) {
        lists.push(str_of(setting.get(0)));
        names.extend(items(setting.get(1)).iter().filter_map(|v| v.get("name").and_then(Value::as_str)));
    }
    for setting in items(value.get(3)) {
        let path = str_of(setting.get(0));
        for (i, mount) in items(setting.get(1)).iter().enumerate() {
            let Some(name) = mount.get("name").and_then(Value::as_str) else { continue };
            if !name.is_empty() && !names.contains(&name) {
                let hint = if lists.is_empty() { String::new() } else { format!(": declare it in {}", lists.join(" or ")) };
                return Some(format!(
                    "{path}[{i}].name: the pod has no volume \"{name}\" to mount, in {place}; Kubernetes refuses a mount of a volume the pod does not have (ValidateVolumeMounts){hint}"
                ));
            }
        }
    }
    None
}

/// A Kubernetes quantity (`500m`, `1Gi`, `0.5`, `1e3`, a number) in base units, as the chart
/// computes it: the number before the suffix as a float64, multiplied by the suffix's factor
/// with sprig's `mulf` (exact decimal product, then rounded to the nearest float64). Equal
/// quantities written differently (`0.5`, `500m`) compare equal; quantities that differ by less
/// than a float64 can tell apart compare equal too. Unreadable text is 0, as in the chart.
pub fn quantity(q: &Value) -> f64 {
    let text = match q {
        Value::String(s) => s.as_str(),
        Value::Number(n) => return n.as_f64().unwrap_or(0.0),
        _ => return 0.0,
    };
    let (number, suffix) = split_suffix(text);
    let n: f64 = number.parse().unwrap_or(0.0);
    let (ten, two) = match suffix {
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "" => (0, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        _ => (0, 60),
    };
    // `mulf`: the shortest decimal of the float (Rust's `{:e}` and Go's 'g' -1 agree), times
    // the factor exactly, rounded once by the parse.
    let shortest = format!("{n:e}");
    let Some((mantissa, exp)) = shortest.split_once('e') else { return n };
    let negative = mantissa.starts_with('-');
    let mantissa = mantissa.trim_start_matches('-');
    let decimals = mantissa.split_once('.').map_or(0, |(_, d)| d.len()) as i64;
    let digits: u128 = mantissa.replace('.', "").parse().unwrap_or(0);
    let exp: i64 = exp.parse().unwrap_or(0) - decimals + ten;
    let product = digits << two;
    let text = format!("{}{product}e{exp}", if negative { "-" } else { "" });
    text.parse().unwrap_or(n)
}

/// `1Gi` as `("1", "Gi")`: the suffix the chart's `regexFind "([numkMGTPE]|[KMGTPE]i)$"` finds.
fn split_suffix(s: &str) -> (&str, &str) {
    let b = s.as_bytes();
    if b.len() >= 2 && b[b.len() - 1] == b'i' && b"KMGTPE".contains(&b[b.len() - 2]) {
        return s.split_at(s.len() - 2);
    }
    if b.last().is_some_and(|c| b"numkMGTPE".contains(c)) {
        return s.split_at(s.len() - 1);
    }
    (s, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities_compare_by_value() {
        assert_eq!(quantity(&json!("500m")), 0.5);
        assert_eq!(quantity(&json!("0.5")), quantity(&json!("500m")));
        assert_eq!(quantity(&json!("1Gi")), 1073741824.0);
        assert_eq!(quantity(&json!("1024Mi")), quantity(&json!("1Gi")));
        assert_eq!(quantity(&json!("1e3")), 1000.0);
        assert_eq!(quantity(&json!("1k")), 1000.0);
        assert_eq!(quantity(&json!("1E")), 1e18);
        assert_eq!(quantity(&json!("1Ei")), 1152921504606846976.0);
        assert_eq!(quantity(&json!("100m")), 0.1);
        assert_eq!(quantity(&json!(2)), 2.0);
        assert!(quantity(&json!("1Gi")) > quantity(&json!("512Mi")));
        assert!(quantity(&json!("1001m")) > quantity(&json!("1")));
    }

    #[test]
    fn resources_above_limits_are_found_in_key_order() {
        let ok = json!({"requests": {"cpu": "1", "memory": "512Mi"}, "limits": {"cpu": "1000m", "memory": "0.5Gi"}});
        assert_eq!(resources_problem("resources", &ok), None);
        let bad = json!({"requests": {"cpu": "2", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "512Mi"}});
        assert_eq!(
            resources_problem("resources", &bad).as_deref(),
            Some("resources.requests.cpu (2) is more than resources.limits.cpu (1): Kubernetes refuses a container whose requests exceed its limits")
        );
        assert_eq!(resources_problem("r", &json!({"requests": {"memory": "1Gi"}})), None);
        // A number is not shown: Helm prints a values file's numbers as floats.
        assert_eq!(
            resources_problem("r", &json!({"requests": {"cpu": 2}, "limits": {"cpu": "1"}})).as_deref(),
            Some("r.requests.cpu is more than r.limits.cpu (1): Kubernetes refuses a container whose requests exceed its limits")
        );
    }

    #[test]
    fn labels_and_annotations_follow_the_api_server() {
        assert!(qualified_name("app.kubernetes.io/name") && qualified_name("team") && qualified_name("a_b.c-d"));
        assert!(!qualified_name("a b") && !qualified_name("/x") && !qualified_name("a/b/c") && !qualified_name(&"x".repeat(64)) && !qualified_name("Ex.com/x"));
        assert!(annotation_key("Ex.com/x") && !annotation_key("é"));
        assert!(label_value("") && label_value("v1.2_3") && !label_value(&"v".repeat(64)) && !label_value("-a"));
        assert!(labels_problem("podLabels", &json!({"app.kubernetes.io/name": "x"}), true).is_some_and(|m| m.contains("set by the chart")));
        assert_eq!(labels_problem("nodeSelector", &json!({"app.kubernetes.io/name": "x"}), false), None);
        assert!(labels_problem("podLabels", &json!({"team": "a".repeat(70)}), true).is_some_and(|m| m.contains("value of label \"team\"")));
        let big = json!({"a": "x".repeat(ANNOTATIONS_VALUES_MAX)});
        assert!(annotations_problem("podAnnotations", &big).is_some_and(|m| m.contains(&format!("{} bytes", ANNOTATIONS_VALUES_MAX + 1))));
        assert_eq!(annotations_problem("podAnnotations", &json!({"a": "x"})), None);
    }

    #[test]
    fn percentages_over_100_are_found() {
        assert!(percent_problem(&json!("150%")).is_some_and(|m| m.contains("\"150%\" is more than 100%")));
        assert!(percent_problem(&json!("0101%")).is_some());
        for fine in [json!("100%"), json!("0%"), json!("007%"), json!(150), json!(-1), json!(""), json!("%"), json!("x%")] {
            assert_eq!(percent_problem(&fine), None, "{fine}");
        }
        assert!(ValuesRule::Percent.problem("pdb.minAvailable", &json!("101%")).is_some_and(|m| m.starts_with("pdb.minAvailable: the percentage")));
        let rolling = |surge: Value, unavailable: Value| rolling_update_problem("s", &json!({"maxSurge": surge, "maxUnavailable": unavailable}));
        assert_eq!(
            rolling(json!(0), json!("0%")).as_deref(),
            Some("s.maxSurge and s.maxUnavailable are both 0: Kubernetes refuses a rolling update that can neither add a pod nor take one away")
        );
        assert!(rolling(json!("00%"), json!(0)).is_some());
        assert!(rolling(json!(1), json!(0)).is_none() && rolling(json!(0), json!("10%")).is_none() && rolling(json!(-0.0), json!(0)).is_none());
    }

    #[test]
    fn ingress_hosts_follow_the_api_server() {
        for fine in ["", "example.com", "a", "*.example.com", "*.com", "1.2.3.256", "1.2.3.4.5", "xn--bcher-kva.example", "*.1.2.3"] {
            assert_eq!(host_problem(fine, false), None, "{fine:?}");
        }
        for ip in ["10.0.0.1", "010.0.0.01", "0.0.0.0", "255.255.255.255", "0000001.2.3.4"] {
            assert!(host_problem(ip, false).is_some_and(|m| m.contains("is an IP address")), "{ip:?}");
            assert_eq!(host_problem(ip, true), None, "a TLS host is not tested for an address: {ip:?}");
        }
        let long = format!("{}.com", "a".repeat(250));
        for bad in ["Todo.Example.com", "*", "*.", "a.*.com", "*.*.com", "f*.com", "-a.com", "a..com", "a_b.com", "a.com.", "::1", &long, "é.com"] {
            assert!(host_problem(bad, false).is_some_and(|m| m.contains("is not valid")), "{bad:?}");
        }
        assert!(host_problem("", true).is_some(), "a TLS host may not be empty");
    }

    #[test]
    fn ingress_paths_follow_the_api_server() {
        for (path, path_type) in
            [("/", "Prefix"), ("/api", "Exact"), ("/.well-known/x", "Prefix"), ("", "ImplementationSpecific"), ("/x//y", "ImplementationSpecific"), ("/a.", "Prefix")]
        {
            assert_eq!(http_path_problem(path, path_type), None, "{path:?} {path_type}");
        }
        let problem = |p, t| http_path_problem(p, t).unwrap_or_default();
        assert!(problem("api", "Prefix").contains("is not absolute"));
        assert!(problem("", "Exact").contains("is not absolute"));
        assert!(problem("api", "ImplementationSpecific").contains("non-empty path of type ImplementationSpecific"));
        for (path, seq) in [("/a//b", "//"), ("/a/./b", "/./"), ("/a/../b", "/../"), ("/a%2fb", "%2f"), ("/a%2Fb", "%2F")] {
            assert!(problem(path, "Exact").contains(&format!("contains '{seq}'")), "{path}");
        }
        assert!(problem("/a/..", "Prefix").contains("ends with '/..'"));
        assert!(problem("/a/.", "Prefix").contains("ends with '/.'"));
        let hosts = json!([{"host": "ok.example.com", "paths": [{"path": "/", "pathType": "Prefix"}]}, {"host": "", "paths": [{"path": "/", "pathType": "Exact"}, {"path": "x", "pathType": "Exact"}]}]);
        assert!(ingress_rules_problem("ingress.hosts", &hosts).is_some_and(|m| m.starts_with("ingress.hosts[1].paths[1].path: the path \"x\"")));
        let tls = json!([{"secretName": "s", "hosts": ["ok.example.com", "Bad"]}]);
        assert!(ingress_tls_problem("ingress.tls", &tls).is_some_and(|m| m.starts_with("ingress.tls[0].hosts[1]: the host \"Bad\"")));
    }

    #[test]
    fn names_by_kind() {
        let sts = name_rule("StatefulSet").expect("rule");
        assert_eq!(sts.max, 52);
        assert!(name_message("StatefulSet", &"a".repeat(53), sts).contains("has 53 characters, over the 52"));
        assert!(!Shape::Dns1035Label.matches("1abc") && Shape::Dns1123Label.matches("1abc") && !Shape::Dns1123Label.matches("a.b"));
        assert!(name_rule("Role").is_none());
    }
}
