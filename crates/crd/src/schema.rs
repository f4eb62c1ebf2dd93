//! A CRD version's `openAPIV3Schema`, read once into a tree ([`Node`]) with its patterns and CEL
//! rules compiled, so that validating many objects compiles nothing and a malformed schema is an
//! error when the schema is read ([`SchemaError`]), never a panic while an object is checked.
//!
//! The keywords read are those of a structural schema, k8s.io/apiextensions-apiserver
//! `pkg/apiserver/schema/structural.go` (`Structural`, `Generic`, `Extensions`, `ValueValidation`):
//! `type`, `nullable`, `default`, `properties`, `additionalProperties`, `items`, the value
//! validations (`enum`, `required`, bounds, lengths, `pattern`, counts, `uniqueItems`, `format`,
//! `allOf`/`anyOf`/`oneOf`/`not`) and the extensions (`x-kubernetes-preserve-unknown-fields`,
//! `x-kubernetes-int-or-string`, `x-kubernetes-embedded-resource`, `x-kubernetes-list-type`,
//! `x-kubernetes-list-map-keys`, `x-kubernetes-validations`). Others (`description`, `title`,
//! `example`, ...) are documentation and are ignored.

use std::collections::BTreeMap;

use regex_lite::Regex;
use serde_json::{Map, Number, Value};

use crate::cel::Rule;

/// Why a schema cannot be used: where in the schema (`properties.spec.properties.port`) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaError {
    /// The keyword's path inside `openAPIV3Schema`, dot-separated; empty for the root.
    pub at: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.at.is_empty() { write!(f, "openAPIV3Schema: {}", self.message) } else { write!(f, "openAPIV3Schema.{}: {}", self.at, self.message) }
    }
}

impl std::error::Error for SchemaError {}

/// The JSON types a schema's `type` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// `object`.
    Object,
    /// `array`.
    Array,
    /// `string`.
    String,
    /// `integer`: a JSON number without a fraction.
    Integer,
    /// `number`: any JSON number.
    Number,
    /// `boolean`.
    Boolean,
}

impl Type {
    /// The name as a schema spells it.
    pub fn name(self) -> &'static str {
        match self {
            Type::Object => "object",
            Type::Array => "array",
            Type::String => "string",
            Type::Integer => "integer",
            Type::Number => "number",
            Type::Boolean => "boolean",
        }
    }
}

/// `additionalProperties`.
#[derive(Debug, Default)]
pub enum Additional {
    /// Not given: only `properties` are known.
    #[default]
    Unset,
    /// `true` (any value) or `false` (none).
    Bool(bool),
    /// Every other key's value follows this schema (a map).
    Schema(Box<Node>),
}

/// `x-kubernetes-list-type`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ListType {
    /// `atomic` or not given.
    #[default]
    Atomic,
    /// `set`: scalar items, each once.
    Set,
    /// `map`: object items, each combination of the keys once.
    Map(Vec<String>),
}

/// A bound (`minimum`, `maximum`) as written, and whether it is exclusive.
#[derive(Clone, Debug)]
pub struct Bound {
    /// The number, as the schema writes it (for messages).
    pub value: Number,
    /// `exclusiveMinimum`/`exclusiveMaximum: true`.
    pub exclusive: bool,
}

/// One schema node, read from its JSON.
#[derive(Debug, Default)]
pub struct Node {
    /// `type`; `None` where a structural schema may leave it out (inside junctors, under
    /// `x-kubernetes-int-or-string` or `x-kubernetes-preserve-unknown-fields`).
    pub r#type: Option<Type>,
    /// `nullable`.
    pub nullable: bool,
    /// `default`.
    pub default: Option<Value>,
    /// `properties`.
    pub properties: BTreeMap<String, Node>,
    /// `additionalProperties`.
    pub additional: Additional,
    /// `items`.
    pub items: Option<Box<Node>>,
    /// `required`.
    pub required: Vec<String>,
    /// `enum`.
    pub enumeration: Vec<Value>,
    /// `minimum`/`exclusiveMinimum`.
    pub minimum: Option<Bound>,
    /// `maximum`/`exclusiveMaximum`.
    pub maximum: Option<Bound>,
    /// `multipleOf`.
    pub multiple_of: Option<f64>,
    /// `minLength`, in characters.
    pub min_length: Option<u64>,
    /// `maxLength`, in characters.
    pub max_length: Option<u64>,
    /// `pattern`, as written and compiled.
    pub pattern: Option<(String, Regex)>,
    /// `minItems`.
    pub min_items: Option<u64>,
    /// `maxItems`.
    pub max_items: Option<u64>,
    /// `uniqueItems`.
    pub unique_items: bool,
    /// `minProperties`.
    pub min_properties: Option<u64>,
    /// `maxProperties`.
    pub max_properties: Option<u64>,
    /// `format`.
    pub format: Option<String>,
    /// `allOf`.
    pub all_of: Vec<Node>,
    /// `anyOf`.
    pub any_of: Vec<Node>,
    /// `oneOf`.
    pub one_of: Vec<Node>,
    /// `not`.
    pub not: Option<Box<Node>>,
    /// `x-kubernetes-preserve-unknown-fields`.
    pub preserve_unknown_fields: bool,
    /// `x-kubernetes-int-or-string`.
    pub int_or_string: bool,
    /// `x-kubernetes-embedded-resource`.
    pub embedded_resource: bool,
    /// `x-kubernetes-list-type` with `x-kubernetes-list-map-keys`.
    pub list_type: ListType,
    /// `x-kubernetes-validations`, compiled.
    pub rules: Vec<Rule>,
}

/// Schemas nest as deep as the objects they describe; a deeper one is hostile or broken, and
/// refusing it keeps the recursion of reading and validating bounded.
const MAX_DEPTH: usize = 64;

impl Node {
    /// Reads `openAPIV3Schema`.
    pub fn parse(schema: &Value) -> Result<Node, SchemaError> {
        Node::read(schema, "", 0)
    }

    fn read(schema: &Value, at: &str, depth: usize) -> Result<Node, SchemaError> {
        let err = |message: String| SchemaError { at: at.to_string(), message };
        if depth > MAX_DEPTH {
            return Err(err(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        let m = schema.as_object().ok_or_else(|| err("expected a schema object".into()))?;
        let child = |key: &str| if at.is_empty() { key.to_string() } else { format!("{at}.{key}") };
        let mut node = Node {
            r#type: match m.get("type") {
                None => None,
                Some(Value::String(t)) => Some(match t.as_str() {
                    "object" => Type::Object,
                    "array" => Type::Array,
                    "string" => Type::String,
                    "integer" => Type::Integer,
                    "number" => Type::Number,
                    "boolean" => Type::Boolean,
                    other => return Err(err(format!("type: unknown type {other:?}"))),
                }),
                Some(_) => return Err(err("type: expected a string".into())),
            },
            nullable: flag(m, "nullable", at)?,
            default: m.get("default").cloned(),
            preserve_unknown_fields: flag(m, "x-kubernetes-preserve-unknown-fields", at)?,
            int_or_string: flag(m, "x-kubernetes-int-or-string", at)?,
            embedded_resource: flag(m, "x-kubernetes-embedded-resource", at)?,
            unique_items: flag(m, "uniqueItems", at)?,
            min_length: count(m, "minLength", at)?,
            max_length: count(m, "maxLength", at)?,
            min_items: count(m, "minItems", at)?,
            max_items: count(m, "maxItems", at)?,
            min_properties: count(m, "minProperties", at)?,
            max_properties: count(m, "maxProperties", at)?,
            minimum: bound(m, "minimum", "exclusiveMinimum", at)?,
            maximum: bound(m, "maximum", "exclusiveMaximum", at)?,
            ..Node::default()
        };
        if let Some(v) = m.get("multipleOf") {
            let f = v.as_f64().filter(|f| *f > 0.0).ok_or_else(|| err("multipleOf: expected a positive number".into()))?;
            node.multiple_of = Some(f);
        }
        if let Some(v) = m.get("format") {
            node.format = Some(v.as_str().ok_or_else(|| err("format: expected a string".into()))?.to_string());
        }
        if let Some(v) = m.get("enum") {
            node.enumeration = v.as_array().ok_or_else(|| err("enum: expected a list".into()))?.clone();
        }
        if let Some(v) = m.get("required") {
            let list = v.as_array().ok_or_else(|| err("required: expected a list of names".into()))?;
            node.required = list.iter().map(|n| n.as_str().map(str::to_string).ok_or_else(|| err("required: expected a list of names".into()))).collect::<Result<_, _>>()?;
        }
        if let Some(v) = m.get("pattern") {
            let p = v.as_str().ok_or_else(|| err("pattern: expected a string".into()))?;
            node.pattern = Some((p.to_string(), compile_pattern(p).map_err(|e| err(format!("pattern {p:?}: {e}")))?));
        }
        if let Some(v) = m.get("properties") {
            let props = v.as_object().ok_or_else(|| err("properties: expected an object".into()))?;
            for (name, s) in props {
                node.properties.insert(name.clone(), Node::read(s, &child(&format!("properties.{name}")), depth + 1)?);
            }
        }
        node.additional = match m.get("additionalProperties") {
            None => Additional::Unset,
            Some(Value::Bool(b)) => Additional::Bool(*b),
            Some(s) => Additional::Schema(Box::new(Node::read(s, &child("additionalProperties"), depth + 1)?)),
        };
        if let Some(s) = m.get("items") {
            node.items = Some(Box::new(Node::read(s, &child("items"), depth + 1)?));
        }
        for (key, list) in [("allOf", &mut node.all_of), ("anyOf", &mut node.any_of), ("oneOf", &mut node.one_of)] {
            if let Some(v) = m.get(key) {
                let items = v.as_array().ok_or_else(|| err(format!("{key}: expected a list of schemas")))?;
                for (i, s) in items.iter().enumerate() {
                    list.push(Node::read(s, &child(&format!("{key}[{i}]")), depth + 1)?);
                }
            }
        }
        if let Some(s) = m.get("not") {
            node.not = Some(Box::new(Node::read(s, &child("not"), depth + 1)?));
        }
        node.list_type = match m.get("x-kubernetes-list-type").and_then(Value::as_str) {
            None | Some("atomic") => ListType::Atomic,
            Some("set") => ListType::Set,
            Some("map") => {
                let keys = m.get("x-kubernetes-list-map-keys").and_then(Value::as_array).filter(|k| !k.is_empty());
                let keys = keys.ok_or_else(|| err("x-kubernetes-list-type map needs x-kubernetes-list-map-keys".into()))?;
                ListType::Map(
                    keys.iter().map(|k| k.as_str().map(str::to_string).ok_or_else(|| err("x-kubernetes-list-map-keys: expected names".into()))).collect::<Result<_, _>>()?,
                )
            }
            Some(other) => return Err(err(format!("x-kubernetes-list-type: unknown type {other:?}"))),
        };
        if let Some(v) = m.get("x-kubernetes-validations") {
            let rules = v.as_array().ok_or_else(|| err("x-kubernetes-validations: expected a list".into()))?;
            for (i, r) in rules.iter().enumerate() {
                node.rules.push(Rule::read(r).map_err(|message| SchemaError { at: child(&format!("x-kubernetes-validations[{i}]")), message })?);
            }
        }
        Ok(node)
    }

    /// Every node below this one and this one, depth first: for tests and reports over all
    /// rules of a schema.
    pub fn walk<'a>(&'a self, out: &mut Vec<&'a Node>) {
        out.push(self);
        let additional = match &self.additional {
            Additional::Schema(s) => Some(s.as_ref()),
            _ => None,
        };
        let children =
            self.properties.values().chain(additional).chain(self.items.as_deref()).chain(&self.all_of).chain(&self.any_of).chain(&self.one_of).chain(self.not.as_deref());
        for c in children {
            c.walk(out);
        }
    }
}

fn flag(m: &Map<String, Value>, key: &str, at: &str) -> Result<bool, SchemaError> {
    match m.get(key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(SchemaError { at: at.into(), message: format!("{key}: expected true or false") }),
    }
}

fn count(m: &Map<String, Value>, key: &str, at: &str) -> Result<Option<u64>, SchemaError> {
    match m.get(key) {
        None => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| SchemaError { at: at.into(), message: format!("{key}: expected a non-negative integer") }),
    }
}

fn bound(m: &Map<String, Value>, key: &str, exclusive: &str, at: &str) -> Result<Option<Bound>, SchemaError> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(Some(Bound { value: n.clone(), exclusive: flag(m, exclusive, at)? })),
        Some(_) => Err(SchemaError { at: at.into(), message: format!("{key}: expected a number") }),
    }
}

/// Compiles a schema's `pattern`. The API server compiles it with Go's `regexp` (RE2: no
/// backreferences or lookaround, linear time), as kube-openapi's `pkg/validation/validate`
/// does; regex-lite has the same syntax for what CRDs use and also matches in linear time, so a
/// pathological pattern cannot hang the check. The sizes are capped so that a huge pattern is an
/// error, not a slow compile.
pub fn compile_pattern(pattern: &str) -> Result<Regex, regex_lite::Error> {
    regex_lite::RegexBuilder::new(pattern).size_limit(1 << 20).nest_limit(64).build()
}
