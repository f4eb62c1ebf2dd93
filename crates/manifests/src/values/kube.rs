//! Settings that are pieces of Kubernetes objects (`affinity`, `tolerations`, security contexts,
//! extra environment variables, volumes and volume mounts), typed by the Kubernetes API itself.
//!
//! [`Kube<T>`] holds a k8s-openapi type `T` (`Affinity`, `Toleration`, `EnvVar`, ...). Its JSON
//! schema is the official OpenAPI schema of `T` as k8s-openapi ships it for the Kubernetes
//! version the root package picks (its `schemars` feature), made self-contained and closed the
//! way the API server's strict field validation reads objects:
//!
//! - every object with properties refuses other keys (`additionalProperties: false`);
//! - `int32` fields carry their bounds, `int64` ones ±(2^53 - 1), the integers a float64 (the
//!   number a values file gives Helm) holds exactly;
//! - int-or-string fields (`IntOrString`, `Quantity`) are an integer or number, or a string;
//! - descriptions are left out: the setting's own description says what it is, and Kubernetes'
//!   texts repeated in every chart would multiply the schema's size.
//!
//! emit checks a value against that same schema (`check`) before reading it into `T`, so a
//! typo such as `extraEnv: [{name: A, valeu: x}]` fails in both renderers with the values path.

use std::any::TypeId;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use regex_lite::Regex;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use super::types::QUANTITY_PATTERN;
use crate::expr::{Knob, Knobbed, Leaf, Path};
use kforge_values::kind_of;

/// A setting that is a Kubernetes object of type `T` (a k8s-openapi type such as
/// `api::core::v1::Toleration`), checked against Kubernetes' own schema of `T`.
///
/// Rendered as given (`toYaml` in the chart, the canonical value in emit). Errors name the path
/// inside the object: `extraEnv[0].valeu: unknown setting: an EnvVar takes name, value,
/// valueFrom; did you mean `value`?`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Kube<T>(pub T);

impl<T: DeserializeOwned + JsonSchema + 'static> Kube<T> {
    /// A default written as JSON (`Kube::json(json!({"runAsNonRoot": true}))`).
    ///
    /// # Panics
    ///
    /// When `v` is no `T`: defaults are code, and every test that loads the defaults catches it.
    pub fn json(v: Value) -> Self {
        match parse::<T>(&v) {
            Ok(t) => Kube(t),
            Err((path, message)) => panic!("a default that is no {}: {path}: {message}", short_name::<T>()),
        }
    }
}

impl<T: Serialize> Serialize for Kube<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, T: DeserializeOwned + JsonSchema + 'static> Deserialize<'de> for Kube<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        parse::<T>(&v).map(Kube).map_err(|(path, message)| serde::de::Error::custom(inner_error(&path, &message)))
    }
}

/// Marks the path inside a [`Kube`] value in a serde message, so that the values loader can
/// join it to the path of the setting (serde's error carries only the outer one).
pub(crate) const INNER_PATH: char = '\u{1f}';

fn inner_error(path: &str, message: &str) -> String {
    if path.is_empty() { message.to_string() } else { format!("{INNER_PATH}{path}{INNER_PATH}{message}") }
}

/// `outer` and a message that may carry an inner path: the joined path and the plain message.
pub(crate) fn join_inner_path(outer: &str, message: &str) -> (String, String) {
    let mut parts = message.splitn(3, INNER_PATH);
    match (parts.next(), parts.next(), parts.next()) {
        (Some(before), Some(inner), Some(rest)) => {
            let path = if outer.is_empty() {
                inner.trim_start_matches('.').to_string()
            } else if inner.starts_with('[') {
                format!("{outer}{inner}")
            } else {
                format!("{outer}.{inner}")
            };
            (path, format!("{before}{rest}"))
        }
        _ => (outer.to_string(), message.to_string()),
    }
}

fn parse<T: DeserializeOwned + JsonSchema + 'static>(v: &Value) -> Result<T, (String, String)> {
    let schema = schema_of::<T>();
    check(&schema, v, "", &short_name::<T>())?;
    // The schema accepted it; the type may still refuse what the schema cannot say.
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        (if path == "." { String::new() } else { path }, e.into_inner().to_string())
    })
}

/// `io.k8s.api.core.v1.EnvVar` is an `EnvVar`.
fn short_name<T: JsonSchema>() -> String {
    T::schema_name().rsplit('.').next().unwrap_or_default().to_string()
}

/// How a [`Kube`] schema begins its `$comment` (then the OpenAPI name of the type): the values
/// table of a chart's README shows such a setting as one row rather than one per field.
pub(crate) const KUBERNETES_COMMENT: &str = "Kubernetes ";

/// The closed schema of `T`, generated once per type.
fn schema_of<T: JsonSchema + 'static>() -> Arc<Value> {
    static SCHEMAS: LazyLock<Mutex<BTreeMap<TypeId, Arc<Value>>>> = LazyLock::new(Default::default);
    let mut schemas = SCHEMAS.lock().unwrap_or_else(PoisonError::into_inner);
    schemas
        .entry(TypeId::of::<T>())
        .or_insert_with(|| {
            // Referenced, not inlined: a Quantity and an IntOrString are told apart by name.
            let mut v = schemars::generate::SchemaSettings::draft07().into_generator().into_root_schema_for::<T>().to_value();
            let defs = match &mut v {
                Value::Object(m) => {
                    m.remove("$schema");
                    m.remove("title");
                    match m.remove("definitions") {
                        Some(Value::Object(d)) => d,
                        _ => Map::new(),
                    }
                }
                _ => Map::new(),
            };
            close(&mut v, &defs, 0);
            if let Value::Object(m) = &mut v {
                m.insert("$comment".into(), Value::String(format!("{KUBERNETES_COMMENT}{}", T::schema_name())));
            }
            Arc::new(v)
        })
        .clone()
}

/// Kubernetes' schema as the API server applies it with strict field validation (see the
/// module documentation), with every `$ref` into `defs` inlined.
fn close(v: &mut Value, defs: &Map<String, Value>, depth: usize) {
    let Value::Object(m) = v else { return };
    m.remove("description");
    // A reference with a description beside it comes wrapped (`allOf: [{$ref}]`) in draft-07.
    if let Some(Value::Array(mut alts)) = m.remove("allOf") {
        match alts.pop() {
            Some(Value::Object(only)) if alts.is_empty() => m.extend(only),
            Some(last) => {
                alts.push(last);
                m.insert("allOf".into(), Value::Array(alts));
            }
            None => {}
        }
    }
    if let Some(Value::String(r)) = m.remove("$ref") {
        let name = r.rsplit('/').next().unwrap_or_default();
        // The two int-or-string types of the API: a Quantity (`500m`, `1Gi`, or a number) and
        // an IntOrString (an int32 or a string, such as a port name or `25%`).
        *m = match name {
            "io.k8s.apimachinery.pkg.api.resource.Quantity" => Map::from_iter([("type".into(), json!(["string", "number"])), ("pattern".into(), json!(QUANTITY_PATTERN))]),
            "io.k8s.apimachinery.pkg.util.intstr.IntOrString" => {
                Map::from_iter([("type".into(), json!(["integer", "string"])), ("minimum".into(), json!(i32::MIN)), ("maximum".into(), json!(i32::MAX))])
            }
            // No type of a pod's settings refers to itself; a schema that did would be cut here
            // to "any value" rather than recurse.
            _ if depth > 32 => Map::new(),
            _ => match defs.get(name) {
                Some(Value::Object(d)) => d.clone(),
                _ => Map::new(),
            },
        };
    }
    m.remove("description");
    m.retain(|k, _| !k.starts_with("x-kubernetes-"));
    bound_integer(m);
    if m.contains_key("properties") && !m.contains_key("additionalProperties") {
        m.insert("additionalProperties".into(), Value::Bool(false));
    }
    if let Some(Value::Object(props)) = m.get_mut("properties") {
        props.values_mut().for_each(|p| close(p, defs, depth + 1));
    }
    for key in ["items", "additionalProperties"] {
        if let Some(sub) = m.get_mut(key) {
            close(sub, defs, depth + 1);
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(alts)) = m.get_mut(key) {
            alts.iter_mut().for_each(|a| close(a, defs, depth + 1));
        }
    }
}

/// The largest integer a float64 holds exactly, with all below it: 2^53 - 1.
pub const EXACT_IN_HELM: i64 = (1 << 53) - 1;

/// The exact bounds of an integer schema's `format` (`int32`, `uint16`, ...), as JSON Schema
/// `minimum`/`maximum`, so that Helm refuses what the Rust type behind it cannot hold.
pub(crate) fn bound_integer(m: &mut Map<String, Value>) {
    let bounds: Option<(Value, Value)> = match m.get("format").and_then(Value::as_str) {
        Some("int8") => Some((i8::MIN.into(), i8::MAX.into())),
        Some("int16") => Some((i16::MIN.into(), i16::MAX.into())),
        Some("int32") => Some((i32::MIN.into(), i32::MAX.into())),
        // Helm reads a values file's numbers as float64, exact up to 2^53: above it, the chart
        // would render another number than the one written, so no setting takes one.
        Some("int64") => Some(((-EXACT_IN_HELM).into(), EXACT_IN_HELM.into())),
        Some("uint8") => Some((0.into(), u8::MAX.into())),
        Some("uint16") => Some((0.into(), u16::MAX.into())),
        Some("uint32") => Some((0.into(), u32::MAX.into())),
        Some("uint64" | "uint") => Some((0.into(), EXACT_IN_HELM.into())),
        _ => None,
    };
    if let Some((min, max)) = bounds {
        // A tighter bound set by the type itself stays.
        let lower = m.get("minimum").and_then(Value::as_f64).is_some_and(|x| x > min.as_f64().unwrap_or(f64::MIN));
        let upper = m.get("maximum").and_then(Value::as_f64).is_some_and(|x| x < max.as_f64().unwrap_or(f64::MAX));
        if !lower {
            m.insert("minimum".into(), min);
        }
        if !upper {
            m.insert("maximum".into(), max);
        }
    }
}

impl<T: JsonSchema + 'static> JsonSchema for Kube<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        Schema::try_from((*schema_of::<T>()).clone()).unwrap_or_default()
    }
}

impl<T> Leaf for Kube<T> {
    type Out = Value;
}

impl<T> Knobbed for Kube<T> {
    type Handle = Knob<Kube<T>>;
    fn handle(path: Path) -> Self::Handle {
        Knob::at(path)
    }
}

/// Checks `v` against a closed Kubernetes schema (the subset [`close`] leaves: `type`,
/// `properties`, `additionalProperties`, `required`, `items`, `minimum`, `maximum`, `pattern`),
/// as Helm's validator reads it: the first failure, with its path inside `v`.
pub(crate) fn check(schema: &Value, v: &Value, path: &str, what: &str) -> Result<(), (String, String)> {
    let at = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    let fail = |message: String| Err((path.to_string(), message));
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !types.iter().any(|t| is_type(t, v)) {
            let expected: Vec<&str> = types.iter().map(|t| type_words(t)).collect();
            if v.is_null() {
                return fail(format!("null is not allowed here: expected {}; leave the setting out instead", expected.join(" or ")));
            }
            return fail(format!("expected {}, found {}", expected.join(" or "), found(v)));
        }
    }
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(required)) = schema.get("required")
                && let Some(missing) = required.iter().filter_map(Value::as_str).find(|k| !m.contains_key(*k))
            {
                return fail(format!("`{missing}` is required in {}", article(what)));
            }
            let props = schema.get("properties").and_then(Value::as_object);
            for (k, x) in m {
                match (props.and_then(|p| p.get(k)), schema.get("additionalProperties")) {
                    (Some(sub), _) => check(sub, x, &at(k), k)?,
                    (None, Some(Value::Bool(false))) => {
                        let known: Vec<&str> = props.map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default();
                        let hint = super::load::did_you_mean(k, known.iter().copied()).map_or(String::new(), |m| format!("; did you mean `{m}`?"));
                        return Err((at(k), format!("unknown setting: {} takes {}{hint}", article(what), known.join(", "))));
                    }
                    (None, Some(sub @ Value::Object(_))) => check(sub, x, &at(k), k)?,
                    (None, _) => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(sub) = schema.get("items") {
                for (i, x) in items.iter().enumerate() {
                    check(sub, x, &format!("{path}[{i}]"), what)?;
                }
            }
        }
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or_default();
            let (min, max) = (schema.get("minimum").and_then(Value::as_f64), schema.get("maximum").and_then(Value::as_f64));
            if min.is_some_and(|m| x < m) || max.is_some_and(|m| x > m) {
                let range = |b: Option<&Value>| b.map(Value::to_string).unwrap_or_default();
                return fail(format!("expected a number from {} to {}, found {n}", range(schema.get("minimum")), range(schema.get("maximum"))));
            }
        }
        Value::String(s) => {
            if let Some(p) = schema.get("pattern").and_then(Value::as_str)
                && !Regex::new(p).is_ok_and(|re| re.is_match(s))
            {
                return fail(format!("invalid value {s:?}: expected a Kubernetes quantity such as 512Mi, 1Gi, 500m or 2"));
            }
        }
        _ => {}
    }
    Ok(())
}

/// JSON Schema's types: an integer is any number without a fraction (`1.0` is one, as in Helm).
fn is_type(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "number" => v.is_number(),
        "integer" => v.as_f64().is_some_and(|x| x.fract() == 0.0) && v.is_number(),
        "null" => v.is_null(),
        _ => true,
    }
}

fn type_words(t: &str) -> &'static str {
    match t {
        "object" => "a map",
        "array" => "a list",
        "string" => "a string",
        "boolean" => "a boolean (true or false)",
        "number" => "a number",
        "integer" => "an integer",
        _ => "null",
    }
}

fn found(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string {s:?}"),
        Value::Number(n) => format!("the number {n}"),
        Value::Bool(b) => format!("the boolean {b}"),
        other => kind_of(other).to_string(),
    }
}

/// `a Toleration`, `an EnvVar`, or the key of a nested object (`a valueFrom`).
fn article(what: &str) -> String {
    let vowel = what.chars().next().is_some_and(|c| "AEIOUaeiou".contains(c));
    format!("{} {what}", if vowel { "an" } else { "a" })
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::{Affinity, EnvVar, Toleration, Volume};

    use super::*;

    fn err<T: DeserializeOwned + JsonSchema + 'static>(v: Value) -> (String, String) {
        parse::<T>(&v).map(|_| ()).unwrap_err()
    }

    #[test]
    fn unknown_keys_wrong_types_and_missing_names_are_refused_with_their_path() {
        assert_eq!(err::<EnvVar>(json!({"name": "A", "valeu": "x"})), ("valeu".into(), "unknown setting: an EnvVar takes name, value, valueFrom; did you mean `value`?".into()));
        assert_eq!(err::<EnvVar>(json!({"name": "PORT", "value": 8080})), ("value".into(), "expected a string, found the number 8080".into()));
        assert_eq!(err::<EnvVar>(json!({"value": "x"})).1, "`name` is required in an EnvVar");
        let (path, message) = err::<Affinity>(json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpresions": []}]}}}));
        assert_eq!(path, "nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpresions");
        assert!(message.starts_with("unknown setting"), "{message}");
        assert_eq!(err::<Toleration>(json!({"key": null})).1, "null is not allowed here: expected a string; leave the setting out instead");
        assert_eq!(err::<Toleration>(json!({"tolerationSeconds": "60"})).1, "expected an integer, found the string \"60\"");
    }

    #[test]
    fn integers_have_their_exact_bounds_and_whole_floats_are_integers() {
        let weight = |w: Value| json!({"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": w, "preference": {}}]}});
        assert_eq!(parse::<Affinity>(&weight(json!(2147483647))).map(|_| ()), Ok(()));
        assert!(parse::<Affinity>(&weight(json!(2147483648_i64))).is_err());
        assert!(parse::<Affinity>(&weight(json!(1.5))).is_err());
        assert!(parse::<Volume>(&json!({"name": "v", "emptyDir": {"sizeLimit": "1Gi"}})).is_ok());
        assert_eq!(err::<Volume>(json!({"name": "v", "emptyDir": {"sizeLimit": "1GB"}})).0, "emptyDir.sizeLimit");
        let schema = schema_of::<Toleration>();
        assert_eq!(schema["properties"]["tolerationSeconds"]["maximum"], json!(EXACT_IN_HELM));
        assert!(parse::<Toleration>(&json!({"tolerationSeconds": EXACT_IN_HELM + 1})).is_err());
        assert_eq!(schema["additionalProperties"], json!(false));
        assert!(!schema.to_string().contains("$ref"), "the schema is self-contained");
    }

    #[test]
    fn inner_paths_join_the_setting_path() {
        assert_eq!(join_inner_path("extraEnv[0]", &inner_error("value", "m")), ("extraEnv[0].value".into(), "m".into()));
        assert_eq!(join_inner_path("affinity", &inner_error("a[1].b", "m")), ("affinity.a[1].b".into(), "m".into()));
        assert_eq!(join_inner_path("x", "plain"), ("x".into(), "plain".into()));
    }
}
