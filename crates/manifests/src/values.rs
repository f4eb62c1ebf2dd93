//! Settings: the validated types applications build their `Values` from, and loading values
//! files the way Helm does (defaults, then each file merged in order, then `--set`).
//!
//! Every validated type checks the same rule in serde (for `emit`) and in its JSON schema (for
//! Helm), from one pattern or range, so both renderers reject the same values.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use regex_lite::Regex;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::expr::{Knob, Knobbed, Leaf, Path, leaves};

/// What an application's settings type must be: serde both ways, a schema, defaults, handles.
pub trait Values: Serialize + DeserializeOwned + Default + JsonSchema + Knobbed + 'static {}
impl<T: Serialize + DeserializeOwned + Default + JsonSchema + Knobbed + 'static> Values for T {}

macro_rules! pattern_string {
    ($(#[$doc:meta])* $name:ident, $pattern:expr, $max:expr, $expected:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub const PATTERN: &'static str = $pattern;
            fn regex() -> &'static Regex {
                static RE: LazyLock<Regex> = LazyLock::new(|| Regex::new($name::PATTERN).expect("valid pattern"));
                &RE
            }
            pub fn new(s: &str) -> Self {
                $name(s.to_string())
            }
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                if s.len() > $max || !$name::regex().is_match(&s) {
                    return Err(serde::de::Error::custom(format!("invalid value {s:?}: expected {}", $expected)));
                }
                Ok($name(s))
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn inline_schema() -> bool {
                true
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({"type": "string", "pattern": $name::PATTERN, "maxLength": $max})
            }
        }

        leaves!(String: $name);
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

/// The Kubernetes quantity syntax: `500m`, `1Gi`, `0.5`, `1e3`.
pub const QUANTITY_PATTERN: &str = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$";

pattern_string!(
    /// A storage size, a quantity written as a string (`10Gi`, `500Mi`).
    Size,
    QUANTITY_PATTERN,
    64,
    "a storage size such as 10Gi or 500Mi"
);

pattern_string!(
    /// A cron schedule of five fields (minute, hour, day of month, month, day of week), as in a
    /// Kubernetes CronJob: `0 2 * * *`.
    CronSchedule,
    r"^[-0-9*/,A-Za-z?]+( [-0-9*/,A-Za-z?]+){4}$",
    100,
    "a cron schedule of five fields such as \"0 2 * * *\""
);

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
            Value::Number(n) => Ok(Quantity::Number(n)),
            other => Err(serde::de::Error::custom(format!(
                "invalid quantity {other}: expected a Kubernetes quantity such as 512Mi, 1Gi, 500m or 2"
            ))),
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
        json_schema!({"type": ["string", "number"], "pattern": QUANTITY_PATTERN})
    }
}

leaves!(Value: Quantity);

/// A TCP/UDP port number, 1 to 65535.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Port(pub u16);

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = i64::deserialize(d)?;
        match u16::try_from(n) {
            Ok(p) if p >= 1 => Ok(Port(p)),
            _ => Err(serde::de::Error::custom(format!("invalid port {n}: expected a port number from 1 to 65535"))),
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
            other => IntOrPercent::deserialize(other).map(|v| OptionalIntOrPercent(Some(v))).map_err(|e| {
                serde::de::Error::custom(format!("{e}, or \"\" for none"))
            }),
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
    /// How an Ingress path matches.
    PathType { Prefix = "Prefix", Exact = "Exact", ImplementationSpecific = "ImplementationSpecific" } default Prefix
);

// ----- loading -----------------------------------------------------------------------------

/// A values error: the source (file or `--set`), the values path, and what was expected.
#[derive(Clone, Debug, PartialEq)]
pub struct ValuesError {
    pub source: String,
    pub path: String,
    pub message: String,
}

impl fmt::Display for ValuesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.source, self.message)
        } else {
            write!(f, "{}: {}: {}", self.source, self.path, self.message)
        }
    }
}

impl std::error::Error for ValuesError {}

/// One layer of values: a file's text, or `--set` assignments.
pub enum Layer<'a> {
    File { name: &'a str, text: &'a str },
    Set(&'a [String]),
}

/// Values files can be large or deep; beyond these they are refused before parsing.
const MAX_VALUES_BYTES: usize = 4 << 20;
const MAX_DEPTH: usize = 64;

fn depth(v: &Value) -> usize {
    match v {
        Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

pub fn parse_yaml(name: &str, text: &str) -> Result<Value, ValuesError> {
    let err = |message: String| ValuesError { source: name.to_string(), path: String::new(), message };
    if text.len() > MAX_VALUES_BYTES {
        return Err(err(format!("file is larger than {} MiB", MAX_VALUES_BYTES >> 20)));
    }
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    // A repeated key replaces the earlier one, as Helm reads values files: emit must not refuse
    // a file Helm takes (yamllint finds such keys where they matter, in rendered output).
    let options = serde_saphyr::options! { duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins };
    let v: Value = serde_saphyr::from_str_with_options(text, options).map_err(|e| err(format!("not valid YAML: {}", yaml_message(name, &e.to_string()))))?;
    match v {
        Value::Null => Ok(Value::Object(Default::default())),
        Value::Object(_) if depth(&v) > MAX_DEPTH => Err(err(format!("nested deeper than {MAX_DEPTH} levels"))),
        Value::Object(_) => Ok(v),
        other => Err(err(format!("expected a map of settings at the top, found {}", kind_of(&other)))),
    }
}

/// The YAML parser's message in a values file's terms: the file's name in the excerpt, and
/// what its limits mean rather than the library's settings that set them.
fn yaml_message(name: &str, message: &str) -> String {
    static DEPTH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"budget breached: Depth \{ depth: \d+ \}|recursion limit exceeded").expect("valid pattern"));
    static NODES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"budget breached: (\w+) \{[^}]*\}").expect("valid pattern"));
    let text = message.replace("<input>", name).replace("error: line ", "line ");
    let text = DEPTH.replace_all(&text, format!("nested deeper than {MAX_DEPTH} levels").as_str()).into_owned();
    let text = NODES.replace_all(&text, "too large once its aliases are expanded ($1)").into_owned();
    text.replace("; use from_str_multiple or from_str_multiple_with_options", ": a values file holds one")
        .replace(" rejected by the configured policy", ": values are finite numbers")
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Helm's coalescing: maps merge key by key, anything else replaces, and `null` deletes.
pub fn merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(&k);
                } else if let (Some(existing @ Value::Object(_)), Value::Object(_)) = (b.get_mut(&k), &v) {
                    merge(existing, v);
                } else {
                    b.insert(k, v);
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// `--set` the way Helm reads it: `a.b=1,c=x`; `true`/`false` are booleans, whole numbers are
/// integers, `null` deletes, `{a,b}` is a list, and anything else is a string.
pub fn parse_set(assignments: &[String]) -> Result<Value, ValuesError> {
    let mut out = Value::Object(Default::default());
    for assignment in assignments {
        for part in split_unescaped(assignment, ',', true) {
            let err = |message: String| ValuesError { source: "--set".into(), path: String::new(), message };
            let Some((key, raw)) = part.split_once('=') else {
                return Err(err(format!("{part:?} is not of the form path=value")));
            };
            if key.contains('[') {
                return Err(err(format!("{key:?}: list indices are not supported in --set; use a values file")));
            }
            let keys: Vec<String> = split_unescaped(key, '.', false).into_iter().map(|k| k.replace("\\.", ".")).collect();
            if keys.iter().any(String::is_empty) {
                return Err(err(format!("{key:?} is not a values path")));
            }
            let value = if raw.starts_with('{') && raw.ends_with('}') {
                let inner = &raw[1..raw.len() - 1];
                Value::Array(if inner.is_empty() { Vec::new() } else { inner.split(',').map(typed_scalar).collect() })
            } else {
                typed_scalar(raw)
            };
            let mut overlay = value;
            for k in keys.iter().rev() {
                let mut m = serde_json::Map::new();
                m.insert(k.clone(), overlay);
                overlay = Value::Object(m);
            }
            merge_keep_null(&mut out, overlay);
        }
    }
    Ok(out)
}

/// Like [`merge`], but a `null` stays so the later merge into the values deletes the key.
fn merge_keep_null(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match (b.get_mut(&k), v) {
                    (Some(existing @ Value::Object(_)), v @ Value::Object(_)) => merge_keep_null(existing, v),
                    (_, v) => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

fn typed_scalar(raw: &str) -> Value {
    match raw {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => raw.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(raw.to_string())),
    }
}

/// Splits at `sep` unless escaped with a backslash (and, for commas, unless inside `{...}`).
fn split_unescaped(s: &str, sep: char, braces: bool) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&sep) => {
                current.push('\\');
                current.push(chars.next().expect("peeked"));
            }
            '{' if braces => {
                depth += 1;
                current.push(c);
            }
            '}' if braces => {
                depth -= 1;
                current.push(c);
            }
            c if c == sep && depth == 0 => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    if sep == ',' {
        parts.into_iter().map(|p| p.replace("\\,", ",")).collect()
    } else {
        parts
    }
}

/// Checks a merged values tree against the typed `V` and returns its canonical form.
pub fn check<V: Values>(tree: &Value) -> Result<Value, (String, String)> {
    // Helm passes a `global` map to every chart; it is no setting of ours unless `V` declares
    // it. Only then is the tree copied: deserializing from the borrowed tree saves a copy of
    // every values tree checked.
    let schema = schema_of::<V>();
    let without_global;
    let tree = match tree {
        Value::Object(m) if m.contains_key("global") && schema["properties"].get("global").is_none() => {
            let mut m = m.clone();
            m.remove("global");
            without_global = Value::Object(m);
            &without_global
        }
        other => other,
    };
    // serde reads a struct from a list too (field by field), and then complains about the
    // first field's type: say what is wrong instead.
    sections_are_maps(&schema, tree, "")?;
    let typed: V = serde_path_to_error::deserialize(tree).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        (path, e.into_inner().to_string())
    })?;
    serde_json::to_value(&typed).map_err(|e| (String::new(), e.to_string()))
}

/// The schema of `V`, generated once per type: loading checks every layer against it.
pub(crate) fn schema_of<V: Values>() -> std::sync::Arc<Value> {
    static SCHEMAS: LazyLock<std::sync::Mutex<BTreeMap<std::any::TypeId, std::sync::Arc<Value>>>> = LazyLock::new(Default::default);
    let mut schemas = SCHEMAS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    schemas
        .entry(std::any::TypeId::of::<V>())
        .or_insert_with(|| {
            let mut settings = schemars::generate::SchemaSettings::draft07();
            settings.inline_subschemas = true;
            std::sync::Arc::new(settings.into_generator().into_root_schema_for::<V>().to_value())
        })
        .clone()
}

/// Every section of settings (a struct: a schema with properties) is given as a map.
fn sections_are_maps(schema: &Value, v: &Value, path: &str) -> Result<(), (String, String)> {
    let Some(Value::Object(props)) = schema.get("properties") else {
        if let (Some(items), Value::Array(list)) = (schema.get("items"), v) {
            for (i, item) in list.iter().enumerate() {
                sections_are_maps(items, item, &format!("{path}[{i}]"))?;
            }
        }
        return Ok(());
    };
    match v {
        Value::Object(m) => {
            for (k, sub) in props {
                if let Some(x) = m.get(k) {
                    sections_are_maps(sub, x, &if path.is_empty() { k.clone() } else { format!("{path}.{k}") })?;
                }
            }
            Ok(())
        }
        other => Err((path.to_string(), format!("expected a map of settings, found {}", kind_of(other)))),
    }
}

/// Loads values the way Helm does: the defaults, then each layer merged in order, checked once
/// merged (Helm validates the merged values against the schema once, too). When the merged
/// values fail, the layers are checked one by one so the error names the file that brought the
/// wrong value in.
pub fn load(
    defaults: &Value,
    layers: &[Layer],
    check: &dyn Fn(&Value) -> Result<Value, (String, String)>,
) -> Result<Value, ValuesError> {
    let mut overlays = Vec::with_capacity(layers.len());
    for layer in layers {
        overlays.push(match layer {
            Layer::File { name, text } => (name.to_string(), parse_yaml(name, text)?),
            Layer::Set(assignments) => ("--set".to_string(), parse_set(assignments)?),
        });
    }
    let mut tree = defaults.clone();
    for (_, overlay) in &overlays {
        merge(&mut tree, overlay.clone());
    }
    if let Ok(canonical) = check(&tree) {
        return Ok(canonical);
    }
    // Only to name the source: check the defaults, then after each layer, and report the first
    // that fails. (A check per layer on every load doubled the cost of loading values.)
    let mut tree = defaults.clone();
    check(&tree).map_err(|(path, message)| ValuesError { source: "defaults".into(), path, message })?;
    let mut canonical = Value::Null;
    for (name, overlay) in overlays {
        merge(&mut tree, overlay);
        canonical = check(&tree).map_err(|(path, message)| ValuesError { source: name, path, message })?;
    }
    // Not reached while `check` gives the same answer twice; if it did, that answer stands.
    Ok(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_types_values_like_helm() {
        let v = parse_set(&["a.b=1,c=true,d=x,e=null,f={x,y},g=0755".into()]).unwrap();
        assert_eq!(v, serde_json::json!({"a": {"b": 1}, "c": true, "d": "x", "e": null, "f": ["x", "y"], "g": 755}));
        let esc = parse_set(&["ann.kubernetes\\.io/x=a\\,b".into()]).unwrap();
        assert_eq!(esc, serde_json::json!({"ann": {"kubernetes.io/x": "a,b"}}));
        assert!(parse_set(&["a[0]=1".into()]).is_err());
        assert!(parse_set(&["novalue".into()]).is_err());
    }

    #[test]
    fn load_checks_the_merged_values_and_names_the_file_that_broke_them() {
        // Stands in for a typed check: `port` must be a number.
        let check = |t: &Value| -> Result<Value, (String, String)> {
            if t["port"].is_number() { Ok(t.clone()) } else { Err(("port".into(), "expected a number".into())) }
        };
        let defaults = serde_json::json!({"port": 80, "name": "x"});
        let bad = Layer::File { name: "a.yaml", text: "port: http" };
        let fix = ["port=8080".to_string()];
        // As with Helm, which validates the merged values once: a later layer may correct an
        // earlier one.
        let v = load(&defaults, &[bad, Layer::Set(&fix)], &check).expect("the merged values are valid");
        assert_eq!(v["port"], 8080);
        let other = Layer::File { name: "b.yaml", text: "name: y" };
        let bad = Layer::File { name: "a.yaml", text: "port: http" };
        let e = load(&defaults, &[other, bad], &check).unwrap_err();
        assert_eq!((e.source.as_str(), e.path.as_str()), ("a.yaml", "port"));
    }

    #[test]
    fn merge_replaces_lists_merges_maps_and_null_deletes() {
        let mut base = serde_json::json!({"a": {"x": 1, "y": 2}, "l": [1, 2], "z": 3});
        merge(&mut base, serde_json::json!({"a": {"y": 5}, "l": [9], "z": null}));
        assert_eq!(base, serde_json::json!({"a": {"x": 1, "y": 5}, "l": [9]}));
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
        use serde_json::json;
        serde_and_schema_agree::<ListenAddress>(&[
            json!(":8080"), json!("0.0.0.0:5432"), json!("[::]:1"), json!(":65535"), json!(":65536"), json!(":0"),
            json!("localhost"), json!(":80 "), json!(""), json!(8080), json!("host:08"),
        ]);
        serde_and_schema_agree::<OptionalPort>(&[json!(""), json!(1), json!(30432), json!(65535), json!(0), json!(65536), json!("80"), json!(-1), json!(true)]);
        serde_and_schema_agree::<OptionalIntOrPercent>(&[json!(""), json!(0), json!(3), json!("50%"), json!("100%"), json!("50"), json!("%"), json!(-1), json!(1.5), json!("5 %")]);
        serde_and_schema_agree::<ConfigKey>(&[json!("DBB_KEY"), json!("tls.crt"), json!("a-b"), json!(""), json!("a/b"), json!("a b")]);
    }
}

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
/// renderers convert through.
const DIGITS_PATTERN: &str = "^[0-9]{1,9}$";
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
                "invalid value {other}: expected a whole number from 0 to {WHOLE_MAX}, as an integer or a string of digits"
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
            other => Err(serde::de::Error::custom(format!(
                "invalid value {other}: expected a count from 0 to {INT32_MAX} or a percentage such as \"25%\""
            ))),
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
mod length_and_number_tests {
    use super::*;
    use serde_json::json;

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
        for bad in [json!(-1), json!(1_000_000_000), json!(1.5), json!("7d"), json!(""), json!("1234567890"), json!(true)] {
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
