//! The validated value types applications build their `Values` from: ports, quantities, DNS
//! names, durations, counts and percentages.
//!
//! Every validated type checks the same rule in serde (for `emit`) and in its JSON schema (for
//! Helm), from one pattern or range, so both renderers reject the same values.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use regex_lite::Regex;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::expr::{Knob, Knobbed, Leaf, Path, leaves};

/// A string setting's handle (`Knob<T>`, read as an `Expr<String>`), for the types
/// `pattern_string!` and `string_enum!` declare.
#[doc(hidden)]
#[macro_export]
macro_rules! __string_leaf {
    ($name:ident) => {
        impl $crate::Leaf for $name {
            type Out = String;
        }
        impl $crate::Knobbed for $name {
            type Handle = $crate::Knob<$name>;
            fn handle(path: $crate::Path) -> Self::Handle {
                $crate::Knob::at(path)
            }
        }
    };
}

/// Declares a validated string type for values.yaml: a pattern (a regular expression of the
/// `regex-lite` dialect, which JSON Schema's ECMA-262 dialect also reads the same way for the
/// usual classes and anchors) and a maximum length, checked by serde for `emit` and by the
/// schema for Helm, and the `expected` text errors show. The empty string is valid only if the
/// pattern accepts it. An application's own unit, such as Valkey's `256mb`:
///
/// ```
/// kforge::pattern_string!(
///     /// A memory size as Valkey writes it: `256mb`, `1gb`.
///     ValkeyMemory, r"^[0-9]+(kb|mb|gb)$", 32, "a size such as 256mb or 1gb"
/// );
/// assert!(serde_json::from_str::<ValkeyMemory>("\"256mb\"").is_ok());
/// assert!(serde_json::from_str::<ValkeyMemory>("\"256MB\"").is_err());
/// ```
#[macro_export]
macro_rules! pattern_string {
    ($(#[$doc:meta])* $name:ident, $pattern:expr, $max:expr, $expected:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, $crate::__serde::Serialize)]
        #[serde(crate = "kforge::__serde", transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The pattern a value must match.
            pub const PATTERN: &'static str = $pattern;
            fn regex() -> &'static $crate::__regex::Regex {
                static RE: ::std::sync::LazyLock<$crate::__regex::Regex> = ::std::sync::LazyLock::new(|| $crate::__regex::Regex::new($name::PATTERN).expect("valid pattern"));
                &RE
            }
            /// The value `s`, unchecked (for defaults).
            pub fn new(s: &str) -> Self {
                $name(s.to_string())
            }
            /// True for the empty string ("not set").
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl<'de> $crate::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as $crate::__serde::Deserialize>::deserialize(d)?;
                if s.len() > $max || !$name::regex().is_match(&s) {
                    return Err(<D::Error as $crate::__serde::de::Error>::custom(format!("invalid value {s:?}: expected {}", $expected)));
                }
                Ok($name(s))
            }
        }

        impl $crate::__schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn inline_schema() -> bool {
                true
            }
            fn json_schema(_: &mut $crate::__schemars::SchemaGenerator) -> $crate::__schemars::Schema {
                $crate::__schemars::json_schema!({"type": "string", "pattern": $name::PATTERN, "maxLength": $max})
            }
        }

        $crate::__string_leaf!($name);
    };
}

pattern_string!(
    /// A DNS-1123 label (object names such as `fullnameOverride`), or empty for "not set".
    DnsLabel,
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$",
    63,
    "a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters) or empty"
);

pattern_string!(
    /// A DNS-1123 subdomain (names of Secrets, ServiceAccounts, claims), or empty for "not set".
    DnsName,
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$",
    253,
    "a DNS-1123 name (lowercase letters, digits, '-' and '.', at most 253 characters) or empty"
);

pattern_string!(
    /// A key of a Secret or ConfigMap (`DBB_KEY`, `tls.crt`).
    ConfigKey,
    r"^[-._a-zA-Z0-9]+$",
    253,
    "a key of a Secret or ConfigMap (letters, digits, '-', '_' and '.', at most 253 characters)"
);

pattern_string!(
    /// An image digest (`sha256:` and 64 hex digits, or `sha512:` and 128), or empty for "not
    /// set": pins the image whatever its tag points at now.
    ImageDigest,
    r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})?$",
    135,
    "an image digest such as sha256:<64 lowercase hex digits>, or empty"
);

/// The Kubernetes quantity syntax: `500m`, `1Gi`, `0.5`, `1e3`; never negative, as
/// `ValidateResourceQuantityValue` and `ValidateNonnegativeQuantity` require of requests,
/// limits and sizes.
pub const QUANTITY_PATTERN: &str = r"^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$";

pattern_string!(
    /// A storage size, a quantity written as a string (`10Gi`, `500Mi`).
    Size,
    QUANTITY_PATTERN,
    64,
    "a storage size such as 10Gi or 500Mi"
);

pattern_string!(
    /// A cron schedule of five fields (minute, hour, day of month, month, day of week), as in a
    /// Kubernetes CronJob: `0 2 * * *`. Each field is a list of `*`, `?`, a value or a range,
    /// with an optional step, each value within its field's bounds, as robfig/cron v3's
    /// standard parser (which the API server's `validateScheduleFormat` calls) reads them; a
    /// range whose start is after its end and a misspelled month or day name pass this type
    /// and are the check's to find ([`crate::rules::cron`]). No descriptor (`@daily`): the
    /// CloudNativePG kit puts a seconds field before the schedule; a CronJob takes a literal
    /// descriptor.
    CronSchedule,
    concat!(
        // minute, 0-59
        r"^(\*|\?|([0-5]?[0-9])(-([0-5]?[0-9]))?)(/[0-9]*[1-9][0-9]*)?(,(\*|\?|([0-5]?[0-9])(-([0-5]?[0-9]))?)(/[0-9]*[1-9][0-9]*)?)*",
        // hour, 0-23
        r" (\*|\?|([01]?[0-9]|2[0-3])(-([01]?[0-9]|2[0-3]))?)(/[0-9]*[1-9][0-9]*)?(,(\*|\?|([01]?[0-9]|2[0-3])(-([01]?[0-9]|2[0-3]))?)(/[0-9]*[1-9][0-9]*)?)*",
        // day of month, 1-31
        r" (\*|\?|(0?[1-9]|[12][0-9]|3[01])(-(0?[1-9]|[12][0-9]|3[01]))?)(/[0-9]*[1-9][0-9]*)?(,(\*|\?|(0?[1-9]|[12][0-9]|3[01])(-(0?[1-9]|[12][0-9]|3[01]))?)(/[0-9]*[1-9][0-9]*)?)*",
        // month, 1-12 or a name
        r" (\*|\?|(0?[1-9]|1[0-2]|[A-Za-z]{3})(-(0?[1-9]|1[0-2]|[A-Za-z]{3}))?)(/[0-9]*[1-9][0-9]*)?(,(\*|\?|(0?[1-9]|1[0-2]|[A-Za-z]{3})(-(0?[1-9]|1[0-2]|[A-Za-z]{3}))?)(/[0-9]*[1-9][0-9]*)?)*",
        // day of week, 0-6 or a name
        r" (\*|\?|(0?[0-6]|[A-Za-z]{3})(-(0?[0-6]|[A-Za-z]{3}))?)(/[0-9]*[1-9][0-9]*)?(,(\*|\?|(0?[0-6]|[A-Za-z]{3})(-(0?[0-6]|[A-Za-z]{3}))?)(/[0-9]*[1-9][0-9]*)?)*$",
    ),
    400,
    "a cron schedule of five fields such as \"0 2 * * *\", each value within its field's bounds (minute 0-59, hour 0-23, day of month 1-31, month 1-12, day of week 0-6)"
);

/// An IANA time zone name for a CronJob's `timeZone` (`Europe/Paris`, `Etc/UTC`), or empty for
/// "not set" (the CronJob runs on the controller's local time). The same shape in serde and in
/// the schema: [`crate::rules::cron::TIME_ZONE_PATTERN`], and not `Local` in any case, which the
/// API server refuses (`validateTimeZone` in kubernetes' `pkg/apis/batch/validation`). Whether
/// the name is in the cluster's time zone database cannot be known here.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TimeZone(pub String);

impl TimeZone {
    /// The time zone `s`, unchecked (for defaults).
    pub fn new(s: &str) -> Self {
        TimeZone(s.to_string())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Ok(TimeZone(s));
        }
        match crate::rules::cron::time_zone_problem(&s) {
            Some(problem) => Err(serde::de::Error::custom(format!("{problem}; or empty to leave timeZone out"))),
            None => Ok(TimeZone(s)),
        }
    }
}

impl JsonSchema for TimeZone {
    fn schema_name() -> Cow<'static, str> {
        "TimeZone".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let pattern = format!("^$|{}", crate::rules::cron::TIME_ZONE_PATTERN);
        json_schema!({"type": "string", "pattern": pattern, "not": {"pattern": "^[Ll][Oo][Cc][Aa][Ll]$"}})
    }
}

__string_leaf!(TimeZone);

pattern_string!(
    /// A duration as Prometheus and Go write it: `30s`, `5m`, `1h30m`.
    Duration,
    r"^([0-9]+(ms|s|m|h|d|w|y))+$",
    64,
    "a duration such as 30s, 5m or 1h"
);

/// A Kubernetes quantity such as `1Gi` or `500m` (a plain number is accepted too).
#[derive(Clone, Debug, PartialEq)]
pub enum Quantity {
    Text(String),
    Number(serde_json::Number),
}

impl Quantity {
    pub fn new(s: &str) -> Self {
        Quantity::Text(s.to_string())
    }
}

impl Default for Quantity {
    fn default() -> Self {
        Quantity::Text("0".into())
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Quantity::Text(t) => s.serialize_str(t),
            Quantity::Number(n) => n.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        static RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(QUANTITY_PATTERN).expect("valid pattern"));
        match Value::deserialize(d)? {
            Value::String(s) if RE.is_match(&s) => Ok(Quantity::Text(s)),
            Value::Number(n) if n.as_f64().is_some_and(|f| f >= 0.0) => Ok(Quantity::Number(n)),
            other => Err(serde::de::Error::custom(format!("invalid quantity {other}: expected a Kubernetes quantity that is not negative, such as 512Mi, 1Gi, 500m or 2"))),
        }
    }
}

impl JsonSchema for Quantity {
    fn schema_name() -> Cow<'static, str> {
        "Quantity".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": ["string", "number"], "pattern": QUANTITY_PATTERN, "minimum": 0})
    }
}

leaves!(Value: Quantity);

/// A TCP/UDP port number, 1 to 65535.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Port(pub u16);

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Through `Value`, so a string or a list is refused in the port's terms too.
        match Value::deserialize(d)? {
            Value::Number(n) if n.as_i64().is_some_and(|p| (1..=65535).contains(&p)) => Ok(Port(n.as_i64().unwrap_or_default() as u16)),
            other => Err(serde::de::Error::custom(format!("invalid port {other}: expected a port number from 1 to 65535"))),
        }
    }
}

impl JsonSchema for Port {
    fn schema_name() -> Cow<'static, str> {
        "Port".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "integer", "minimum": 1, "maximum": 65535})
    }
}

leaves!(i64: Port);

pattern_string!(
    /// A listen address, `[host]:port` (`:8080`, `0.0.0.0:8080`, `[::]:8080`). The container
    /// port comes from it, so the two cannot drift apart.
    ListenAddress,
    concat!(r"^[^\s]*:", "([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])", "$"),
    255,
    "a listen address [host]:port with a port from 1 to 65535, such as \":8080\""
);

impl Knob<ListenAddress> {
    /// The port number of the address, for the container port it opens.
    pub fn port(&self) -> crate::Expr<i64> {
        crate::Expr::wrap(crate::expr::Ex::PortOf(Box::new(self.expr().ex)))
    }
}

/// An optional port: a number from 1 to 65535, or `""` for "not set" (`nodePort: ""`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OptionalPort(pub Option<u16>);

impl Serialize for OptionalPort {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(p) => s.serialize_u16(p),
            None => s.serialize_str(""),
        }
    }
}

impl<'de> Deserialize<'de> for OptionalPort {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) if s.is_empty() => Ok(OptionalPort(None)),
            Value::Number(n) if n.as_u64().is_some_and(|p| (1..=65535).contains(&p)) => Ok(OptionalPort(n.as_u64().map(|p| p as u16))),
            other => Err(serde::de::Error::custom(format!("invalid port {other}: expected a port number from 1 to 65535, or \"\" for none"))),
        }
    }
}

impl JsonSchema for OptionalPort {
    fn schema_name() -> Cow<'static, str> {
        "OptionalPort".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"anyOf": [{"type": "integer", "minimum": 1, "maximum": 65535}, {"type": "string", "maxLength": 0}]})
    }
}

// Read as an integer: `""` reads as 0, so `is_set` is "a port is given" on both sides.
leaves!(i64: OptionalPort);

/// A count or a percentage, or `""` for "not set": a PodDisruptionBudget's `minAvailable` and
/// `maxUnavailable`, of which Kubernetes takes one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OptionalIntOrPercent(pub Option<IntOrPercent>);

impl Serialize for OptionalIntOrPercent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Some(v) => v.serialize(s),
            None => s.serialize_str(""),
        }
    }
}

impl<'de> Deserialize<'de> for OptionalIntOrPercent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) if s.is_empty() => Ok(OptionalIntOrPercent(None)),
            other => IntOrPercent::deserialize(other).map(|v| OptionalIntOrPercent(Some(v))).map_err(|e| serde::de::Error::custom(format!("{e}, or \"\" for none"))),
        }
    }
}

impl JsonSchema for OptionalIntOrPercent {
    fn schema_name() -> Cow<'static, str> {
        "OptionalIntOrPercent".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({"anyOf": [IntOrPercent::json_schema(generator), {"type": "string", "maxLength": 0}]})
    }
}

// Free-form, so a count stays a number and a percentage a string; test with `is_present`.
leaves!(Value: OptionalIntOrPercent);

/// Strings-to-strings maps: labels, annotations, node selectors.
pub type StringMap = BTreeMap<String, String>;

/// Declares a closed set of strings for values.yaml (an enum with serde names, a schema enum,
/// and a leaf handle). `derive(Knobs)` does the handle part for enums written by hand.
#[macro_export]
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? } default $default:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)+
        }
        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }
        $crate::__string_leaf!($name);
    };
}

string_enum!(
    /// When the kubelet pulls the image.
    PullPolicy { Always = "Always", IfNotPresent = "IfNotPresent", Never = "Never" } default IfNotPresent
);

string_enum!(
    /// How a Service is exposed.
    ServiceType { ClusterIp = "ClusterIP", NodePort = "NodePort", LoadBalancer = "LoadBalancer" } default ClusterIp
);

string_enum!(
    /// How a volume can be mounted.
    AccessMode {
        ReadWriteOnce = "ReadWriteOnce",
        ReadOnlyMany = "ReadOnlyMany",
        ReadWriteMany = "ReadWriteMany",
        ReadWriteOncePod = "ReadWriteOncePod",
    } default ReadWriteOnce
);

string_enum!(
    /// What a CronJob does when a run is due while the previous one still runs
    /// (`spec.concurrencyPolicy`; `validateConcurrencyPolicy` takes these three).
    ConcurrencyPolicy { Allow = "Allow", Forbid = "Forbid", Replace = "Replace" } default Allow
);

string_enum!(
    /// How an Ingress path matches.
    PathType { Prefix = "Prefix", Exact = "Exact", ImplementationSpecific = "ImplementationSpecific" } default Prefix
);

// ----- strings with a minimum length, counts, percentages ---------------------------------

/// A string that is empty ("not set") or at least `MIN` characters long, such as a signing key
/// that must be long enough when it is given. Length counts characters (Unicode code points),
/// as JSON Schema's `minLength` does. Errors give the length, never the text, since such values
/// are often secrets; `Debug` hides it for the same reason.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MinLength<const MIN: usize>(pub String);

impl<const MIN: usize> fmt::Debug for MinLength<MIN> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MinLength<{MIN}>({} characters)", self.0.chars().count())
    }
}

impl<'de, const MIN: usize> Deserialize<'de> for MinLength<MIN> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let len = s.chars().count();
        if len != 0 && len < MIN {
            return Err(serde::de::Error::custom(format!("a value of {len} characters: expected at least {MIN} characters, or empty")));
        }
        Ok(MinLength(s))
    }
}

impl<const MIN: usize> JsonSchema for MinLength<MIN> {
    fn schema_name() -> Cow<'static, str> {
        format!("MinLength{MIN}").into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // The length first and `maxLength: 0` rather than `const: ""`: Helm 3 reports the first
        // alternative only, and then says which length it wanted.
        json_schema!({"type": "string", "anyOf": [{"minLength": MIN}, {"maxLength": 0}]})
    }
}

impl<const MIN: usize> Leaf for MinLength<MIN> {
    type Out = String;
}
impl<const MIN: usize> Knobbed for MinLength<MIN> {
    type Handle = Knob<MinLength<MIN>>;
    fn handle(path: Path) -> Knob<MinLength<MIN>> {
        Knob::at(path)
    }
}

/// Strings of [`WholeNumber`]: at most 9 digits, so every value fits the integers both
/// renderers convert through, and no leading zero, which Helm's `int64` reads as octal
/// (`"010"` is 8).
const DIGITS_PATTERN: &str = "^(0|[1-9][0-9]{0,8})$";
const WHOLE_MAX: i64 = 999_999_999;

/// A whole number from 0 to 999999999, written as an integer (`7`) or as a string of digits
/// (`"7"`): for settings that end up as text (an environment variable) whose documented default
/// is a string, while `--set` hands integers. Read it with `Knob::string`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WholeNumber {
    Int(i64),
    Digits(String),
}

impl WholeNumber {
    pub fn digits(s: &str) -> Self {
        WholeNumber::Digits(s.to_string())
    }
}

impl Serialize for WholeNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            WholeNumber::Int(n) => s.serialize_i64(*n),
            WholeNumber::Digits(t) => s.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for WholeNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        static RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(DIGITS_PATTERN).expect("valid pattern"));
        match Value::deserialize(d)? {
            Value::Number(n) if n.as_i64().is_some_and(|i| (0..=WHOLE_MAX).contains(&i)) => Ok(WholeNumber::Int(n.as_i64().unwrap_or_default())),
            Value::String(s) if RE.is_match(&s) => Ok(WholeNumber::Digits(s)),
            other => Err(serde::de::Error::custom(format!(
                "invalid value {other}: expected a whole number from 0 to {WHOLE_MAX}, as an integer or a string of digits without a leading zero"
            ))),
        }
    }
}

impl JsonSchema for WholeNumber {
    fn schema_name() -> Cow<'static, str> {
        "WholeNumber".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": ["integer", "string"], "minimum": 0, "maximum": WHOLE_MAX, "pattern": DIGITS_PATTERN})
    }
}

leaves!(i64: WholeNumber);

const PERCENT_PATTERN: &str = "^[0-9]{1,9}%$";
/// Kubernetes reads these as int-or-string, an int32.
const INT32_MAX: i64 = i32::MAX as i64;

/// A count or a percentage (`1`, `"25%"`), as Kubernetes' int-or-string fields take them: a
/// rolling update's `maxSurge` and `maxUnavailable`, a disruption budget's `minAvailable`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IntOrPercent {
    Count(i64),
    Percent(String),
}

impl IntOrPercent {
    pub fn percent(p: u32) -> Self {
        IntOrPercent::Percent(format!("{p}%"))
    }
}

impl Serialize for IntOrPercent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            IntOrPercent::Count(n) => s.serialize_i64(*n),
            IntOrPercent::Percent(p) => s.serialize_str(p),
        }
    }
}

impl<'de> Deserialize<'de> for IntOrPercent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        static RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(PERCENT_PATTERN).expect("valid pattern"));
        match Value::deserialize(d)? {
            Value::Number(n) if n.as_i64().is_some_and(|i| (0..=INT32_MAX).contains(&i)) => Ok(IntOrPercent::Count(n.as_i64().unwrap_or_default())),
            Value::String(s) if RE.is_match(&s) => Ok(IntOrPercent::Percent(s)),
            other => Err(serde::de::Error::custom(format!("invalid value {other}: expected a count from 0 to {INT32_MAX} or a percentage such as \"25%\""))),
        }
    }
}

impl JsonSchema for IntOrPercent {
    fn schema_name() -> Cow<'static, str> {
        "IntOrPercent".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": ["integer", "string"], "minimum": 0, "maximum": INT32_MAX, "pattern": PERCENT_PATTERN})
    }
}

leaves!(Value: IntOrPercent);

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;
    use serde_json::json;

    #[test]
    fn a_cron_schedule_is_refused_out_of_its_fields_bounds_as_the_rules_refuse_it() {
        for ok in ["0 2 * * *", "*/15 * * * *", "0 0 1 jan,JUL *", "30 3 * * mon-fri", "0 0 ? * SUN", "5/10 1-5/2 1,15 * 0", "59 23 31 12 6"] {
            assert!(serde_json::from_value::<CronSchedule>(json!(ok)).is_ok(), "{ok}");
            assert_eq!(crate::rules::cron::cron_schedule_problem(ok), None, "{ok}");
        }
        for bad in ["61 * * * *", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *", "0 0 * * 7", "*/0 * * * *", "0 2 * *", "0 0 2 * * *", "x * * * *", "@daily", "CRON_TZ=UTC 0 2 * * *"] {
            assert!(serde_json::from_value::<CronSchedule>(json!(bad)).is_err(), "{bad}");
        }
        // What the type takes and the API server refuses: the check's to find.
        assert!(serde_json::from_value::<CronSchedule>(json!("0 0 * * fri-mon")).is_ok());
        assert!(crate::rules::cron::cron_schedule_problem("0 0 * * fri-mon").is_some());
    }

    #[test]
    fn time_zones_refuse_what_the_api_server_refuses_in_serde_and_schema() {
        let schema = serde_json::to_value(schemars::schema_for!(TimeZone)).expect("schema");
        let pattern = regex_lite::Regex::new(schema["pattern"].as_str().expect("pattern")).expect("valid");
        let local = regex_lite::Regex::new(schema["not"]["pattern"].as_str().expect("not Local")).expect("valid");
        for (zone, ok) in [("", true), ("Europe/Paris", true), ("Etc/GMT+5", true), ("Local", false), ("LOCAL", false), (" ", false), ("Europe//Paris", false), ("-x", false)] {
            assert_eq!(serde_json::from_value::<TimeZone>(json!(zone)).is_ok(), ok, "serde: {zone:?}");
            assert_eq!(pattern.is_match(zone) && !local.is_match(zone), ok, "schema: {zone:?}");
        }
        let e = serde_json::from_value::<TimeZone>(json!("Local")).expect_err("Local");
        assert!(e.to_string().contains("explicit IANA time zone"), "{e}");
    }

    #[test]
    fn quantities_and_names_are_checked() {
        assert!(serde_json::from_value::<Quantity>(serde_json::json!("1GB")).is_err());
        assert!(serde_json::from_value::<Quantity>(serde_json::json!("1Gi")).is_ok());
        assert!(serde_json::from_value::<Quantity>(serde_json::json!("500m")).is_ok());
        assert!(serde_json::from_value::<DnsLabel>(serde_json::json!("Bad_Name")).is_err());
        assert!(serde_json::from_value::<DnsLabel>(serde_json::json!("")).is_ok());
        assert!(serde_json::from_value::<Port>(serde_json::json!(0)).is_err());
        assert!(serde_json::from_value::<Port>(serde_json::json!(70000)).is_err());
    }

    /// The subset of JSON Schema the value types use, evaluated as Helm's validator would.
    fn schema_accepts(schema: &Value, v: &Value) -> bool {
        if let Some(Value::Array(alts)) = schema.get("anyOf") {
            return alts.iter().any(|alt| schema_accepts(alt, v));
        }
        let is = |t: &str| match t {
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            _ => true,
        };
        let type_ok = match schema.get("type") {
            Some(Value::String(t)) => is(t),
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(is),
            _ => true,
        };
        let s = v.as_str().unwrap_or("");
        let n = v.as_i64().unwrap_or(0);
        type_ok
            && schema.get("pattern").and_then(Value::as_str).is_none_or(|p| !v.is_string() || Regex::new(p).expect("pattern").is_match(s))
            && schema.get("maxLength").and_then(Value::as_u64).is_none_or(|m| s.chars().count() as u64 <= m)
            && schema.get("minimum").and_then(Value::as_i64).is_none_or(|m| !v.is_number() || n >= m)
            && schema.get("maximum").and_then(Value::as_i64).is_none_or(|m| !v.is_number() || n <= m)
    }

    fn serde_and_schema_agree<T: DeserializeOwned + JsonSchema>(samples: &[Value]) {
        let schema = schemars::schema_for!(T).to_value();
        for v in samples {
            let serde_ok = serde_json::from_value::<T>(v.clone()).is_ok();
            assert_eq!(serde_ok, schema_accepts(&schema, v), "{} {v}: serde says {serde_ok}", T::schema_name());
        }
    }

    #[test]
    fn value_types_accept_what_their_schemas_accept() {
        serde_and_schema_agree::<ListenAddress>(&[
            json!(":8080"),
            json!("0.0.0.0:5432"),
            json!("[::]:1"),
            json!(":65535"),
            json!(":65536"),
            json!(":0"),
            json!("localhost"),
            json!(":80 "),
            json!(""),
            json!(8080),
            json!("host:08"),
        ]);
        serde_and_schema_agree::<OptionalPort>(&[json!(""), json!(1), json!(30432), json!(65535), json!(0), json!(65536), json!("80"), json!(-1), json!(true)]);
        serde_and_schema_agree::<OptionalIntOrPercent>(&[json!(""), json!(0), json!(3), json!("50%"), json!("100%"), json!("50"), json!("%"), json!(-1), json!(1.5), json!("5 %")]);
        serde_and_schema_agree::<ConfigKey>(&[json!("DBB_KEY"), json!("tls.crt"), json!("a-b"), json!(""), json!("a/b"), json!("a b")]);
    }

    fn parse<T: DeserializeOwned>(v: Value) -> Result<T, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    #[test]
    fn min_length_takes_empty_or_long_enough_and_never_echoes() {
        assert!(parse::<MinLength<32>>(json!("")).is_ok());
        assert!(parse::<MinLength<32>>(json!("x".repeat(32))).is_ok());
        // Characters, not bytes: 31 two-byte characters are still too short.
        let err = parse::<MinLength<32>>(json!("é".repeat(31))).unwrap_err();
        assert!(err.contains("31 characters") && err.contains("at least 32"), "{err}");
        let err = parse::<MinLength<32>>(json!("hunter2-hunter2")).unwrap_err();
        assert!(!err.contains("hunter2"), "the error shows the value: {err}");
        assert!(!format!("{:?}", MinLength::<4>("hunter2".into())).contains("hunter2"));
        assert!(parse::<MinLength<32>>(json!(32)).is_err());
    }

    #[test]
    fn whole_numbers_take_integers_and_digit_strings() {
        assert_eq!(parse::<WholeNumber>(json!(7)), Ok(WholeNumber::Int(7)));
        assert_eq!(parse::<WholeNumber>(json!("7")), Ok(WholeNumber::digits("7")));
        for bad in [json!(-1), json!(1_000_000_000), json!(1.5), json!("7d"), json!(""), json!("1234567890"), json!(true), json!("010"), json!("00")] {
            assert!(parse::<WholeNumber>(bad.clone()).is_err(), "{bad} accepted");
        }
        assert_eq!(serde_json::to_value(WholeNumber::digits("7")).unwrap(), json!("7"));
    }

    #[test]
    fn int_or_percent_takes_counts_and_percentages() {
        assert_eq!(parse::<IntOrPercent>(json!(0)), Ok(IntOrPercent::Count(0)));
        assert_eq!(parse::<IntOrPercent>(json!("25%")), Ok(IntOrPercent::percent(25)));
        for bad in [json!(-1), json!(2_147_483_648_i64), json!("25"), json!("%"), json!("x%"), json!(0.5)] {
            assert!(parse::<IntOrPercent>(bad.clone()).is_err(), "{bad} accepted");
        }
    }
}
