//! One object against one version's structural schema, as the API server checks a custom
//! resource it is asked to create: defaults applied first
//! (k8s.io/apiextensions-apiserver `pkg/apiserver/schema/defaulting/algorithm.go`), nulls of
//! non-nullable fields dropped (`defaulting/prunenulls.go`), then the schema's value validations
//! (kube-openapi `pkg/validation/validate`, reported through
//! `pkg/apiserver/validation/validation.go`, `kubeOpenAPIResultToFieldErrors`), list sets and
//! maps (`pkg/apiserver/schema/listtype/validation.go`), and the CEL rules (`crate::cel`) unless
//! an error blocks them (`pkg/registry/customresource/strategy.go`, `hasBlockingErr`).
//!
//! One difference on purpose: a field the schema does not declare is an error here. The API
//! server prunes it silently (`pkg/apiserver/schema/pruning/algorithm.go`) and the setting is
//! lost without a word; kforge renders every field on purpose, so one the CRD does not know is a
//! mistake (a misspelling, a field of another version of the CRD).
//!
//! Messages read as the API server's (k8s.io/apimachinery `pkg/util/validation/field/errors.go`,
//! `Error.Error`): `<path>: <error type>[: <value>][: <detail>]`, with kube-openapi's details
//! (`pkg/validation/errors/schema.go`: `<path> in body should be less than or equal to 65535`).

use serde_json::{Number, Value};

use crate::formats;
use crate::schema::{Additional, Bound, ListType, Node, Type};

/// A rule's `reason`: the field error type its finding has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// `FieldValueInvalid` (the default).
    Invalid,
    /// `FieldValueForbidden`.
    Forbidden,
    /// `FieldValueRequired`.
    Required,
    /// `FieldValueDuplicate`.
    Duplicate,
}

/// What is wrong with a value, one variant per kind of check.
#[derive(Clone, Debug, PartialEq)]
pub enum ViolationKind {
    /// A field the schema does not declare (the API server would drop it).
    UnknownField,
    /// The value's JSON type is not the schema's `type` (or `format` for numbers).
    Type {
        /// What the schema wants (`integer`, `int32`).
        expected: String,
        /// The value's JSON type (`string`).
        found: &'static str,
    },
    /// A `required` property is missing.
    Required,
    /// Not one of `enum`.
    Enum {
        /// The value.
        value: Value,
        /// `enum`.
        supported: Vec<Value>,
    },
    /// Beyond `minimum`/`maximum`.
    Bound {
        /// The value.
        value: Number,
        /// The bound.
        bound: Number,
        /// Whether it is the maximum.
        maximum: bool,
        /// Whether the bound is exclusive.
        exclusive: bool,
    },
    /// Not a multiple of `multipleOf`.
    MultipleOf {
        /// The value.
        value: Number,
        /// `multipleOf`.
        factor: f64,
    },
    /// Longer than `maxLength` characters.
    TooLong {
        /// `maxLength`.
        max: u64,
    },
    /// Shorter than `minLength` characters.
    TooShort {
        /// The value.
        value: String,
        /// `minLength`.
        min: u64,
    },
    /// Does not match `pattern`.
    Pattern {
        /// The value.
        value: String,
        /// `pattern`.
        pattern: String,
    },
    /// Not of its string `format`.
    Format {
        /// The value.
        value: String,
        /// `format`.
        format: String,
    },
    /// More items (or properties) than `maxItems` (`maxProperties`).
    TooMany {
        /// How many there are.
        count: usize,
        /// The bound.
        max: u64,
    },
    /// Fewer items than `minItems`.
    TooFewItems {
        /// How many there are.
        count: usize,
        /// `minItems`.
        min: u64,
    },
    /// Fewer properties than `minProperties`.
    TooFewProperties {
        /// How many there are.
        count: usize,
        /// `minProperties`.
        min: u64,
    },
    /// `uniqueItems` and an item repeats.
    NotUnique,
    /// An item of an `x-kubernetes-list-type: set` repeats, or the keys of a `map` list's item.
    Duplicate {
        /// The item (set) or its keys (map).
        value: Value,
    },
    /// `anyOf`, `oneOf` or `not` is not met.
    Junctor {
        /// Which: `anyOf`, `oneOf`, `not`.
        junctor: &'static str,
    },
    /// A CEL rule evaluated to false.
    Rule {
        /// The rule's message (or `failed rule: <rule>`).
        message: String,
        /// The rule's `reason`.
        reason: Option<Reason>,
        /// The value, when a scalar (the API server omits objects and lists).
        value: Option<Value>,
    },
    /// A CEL rule failed while evaluating (`no such key`), which the API server also refuses.
    RuleError {
        /// The evaluation error.
        error: String,
        /// The rule's message or text.
        rule: String,
        /// The node's schema type, which upstream shows as the value.
        r#type: &'static str,
    },
}

/// One problem of an object, at a field path as the API server prints it
/// (`spec.parentRefs[0].port`).
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// The field's path.
    pub path: String,
    /// What is wrong.
    pub kind: ViolationKind,
}

impl Violation {
    /// A violation at `path`.
    pub fn new(path: &str, kind: ViolationKind) -> Violation {
        Violation { path: path.to_string(), kind }
    }

    /// Whether the API server stops before CEL rules on it (`hasBlockingErr`): unsupported
    /// values, missing required fields, too long, too many, wrong types.
    fn blocks_rules(&self) -> bool {
        matches!(
            self.kind,
            ViolationKind::Enum { .. }
                | ViolationKind::Required
                | ViolationKind::TooLong { .. }
                | ViolationKind::TooMany { .. }
                | ViolationKind::Type { .. }
                | ViolationKind::Format { .. }
        )
    }
}

/// A value as `field.Error` prints it: numbers and booleans plainly, strings quoted, the rest as
/// JSON.
fn shown(v: &Value) -> String {
    v.to_string()
}

/// A bound as kube-openapi prints it (`%v` of an int64 or a float64).
fn number(n: &Number) -> String {
    match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => i.to_string(),
        (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
        _ => n.to_string(),
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = &self.path;
        write!(f, "{p}: ")?;
        match &self.kind {
            ViolationKind::UnknownField => {
                write!(f, "Unknown field: the CRD's schema does not declare it; the API server would drop it without an error, and the setting would be lost")
            }
            ViolationKind::Type { expected, found } => write!(f, "Invalid value: \"{found}\": {p} in body must be of type {expected}: \"{found}\""),
            ViolationKind::Required => write!(f, "Required value"),
            ViolationKind::Enum { value, supported } => {
                let quoted: Vec<String> = supported
                    .iter()
                    .map(|s| match s {
                        Value::String(s) => Value::String(s.clone()).to_string(),
                        other => Value::String(other.to_string()).to_string(),
                    })
                    .collect();
                write!(f, "Unsupported value: {}: supported values: {}", shown(value), quoted.join(", "))
            }
            ViolationKind::Bound { value, bound, maximum, exclusive } => {
                let relation = match (maximum, exclusive) {
                    (true, false) => "less than or equal to",
                    (true, true) => "less than",
                    (false, false) => "greater than or equal to",
                    (false, true) => "greater than",
                };
                write!(f, "Invalid value: {value}: {p} in body should be {relation} {}", number(bound))
            }
            ViolationKind::MultipleOf { value, factor } => write!(f, "Invalid value: {value}: {p} in body should be a multiple of {factor}"),
            ViolationKind::TooLong { max } => write!(f, "Too long: may not be more than {max} {}", if *max == 1 { "byte" } else { "bytes" }),
            ViolationKind::TooShort { value, min } => write!(f, "Invalid value: {}: {p} in body should be at least {min} chars long", shown(&Value::String(value.clone()))),
            ViolationKind::Pattern { value, pattern } => write!(f, "Invalid value: {}: {p} in body should match '{pattern}'", shown(&Value::String(value.clone()))),
            ViolationKind::Format { value, format } => {
                let v = shown(&Value::String(value.clone()));
                write!(f, "Invalid value: {v}: {p} in body must be of type {format}: {v}")
            }
            ViolationKind::TooMany { count, max } => write!(f, "Too many: {count}: must have at most {max} {}", if *max == 1 { "item" } else { "items" }),
            ViolationKind::TooFewItems { count, min } => write!(f, "Invalid value: {count}: {p} in body should have at least {min} items"),
            ViolationKind::TooFewProperties { count, min } => write!(f, "Invalid value: {count}: {p} in body should have at least {min} properties"),
            ViolationKind::NotUnique => write!(f, "Invalid value: \"\": {p} in body shouldn't contain duplicates"),
            ViolationKind::Duplicate { value } => write!(f, "Duplicate value: {}", shown(value)),
            ViolationKind::Junctor { junctor } => match *junctor {
                "anyOf" => write!(f, "Invalid value: \"\": {p} in body must validate at least one schema (anyOf)"),
                "oneOf" => write!(f, "Invalid value: \"\": {p} in body must validate one and only one schema (oneOf)"),
                _ => write!(f, "Invalid value: \"\": {p} in body must not validate the schema (not)"),
            },
            ViolationKind::Rule { message, reason, value } => match (reason, value) {
                (Some(Reason::Forbidden), _) => write!(f, "Forbidden: {message}"),
                (Some(Reason::Required), _) => write!(f, "Required value: {message}"),
                (Some(Reason::Duplicate), Some(v)) => write!(f, "Duplicate value: {}", shown(v)),
                (Some(Reason::Duplicate), None) => write!(f, "Duplicate value"),
                (_, Some(v)) => write!(f, "Invalid value: {}: {message}", shown(v)),
                (_, None) => write!(f, "Invalid value: {message}"),
            },
            ViolationKind::RuleError { error, rule, r#type } => write!(f, "Invalid value: \"{type}\": {error} evaluating rule: {rule}"),
        }
    }
}

/// A CEL rule that was not evaluated, and why: neither passed nor failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotEvaluated {
    /// The path of the node the rule sits on.
    pub path: String,
    /// The rule's text.
    pub rule: String,
    /// Why it was not evaluated.
    pub why: String,
}

impl std::fmt::Display for NotEvaluated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: rule not evaluated ({}): {}", if self.path.is_empty() { "<root>" } else { &self.path }, self.why, self.rule)
    }
}

/// What validating one object found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Every violation: the schema's first, then the rules'.
    pub violations: Vec<Violation>,
    /// The CEL rules that were not evaluated.
    pub not_evaluated: Vec<NotEvaluated>,
}

/// Objects nest no deeper than this: beyond, validation stops with a violation rather than
/// recursing further (the API server's JSON decoder has a like limit).
const MAX_DEPTH: usize = 100;

/// Validates `object` against `schema`: defaults, the structural schema, then the CEL rules.
pub fn validate(schema: &Node, object: &Value) -> Report {
    let mut object = object.clone();
    apply_defaults(schema, &mut object, 0);
    let mut report = Report::default();
    structural(schema, &object, "", true, false, 0, &mut report.violations);
    if report.violations.iter().any(Violation::blocks_rules) {
        report.not_evaluated.push(NotEvaluated {
            path: String::new(),
            rule: "every rule".into(),
            why: "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation".into(),
        });
    } else {
        rules(schema, &object, "", true, 0, &mut report);
    }
    report
}

/// The structural checks only, without defaults or rules: what a JSON Schema validator sees.
pub fn validate_structure(schema: &Node, object: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    structural(schema, object, "", true, false, 0, &mut out);
    out
}

fn child(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_string() } else { format!("{path}.{name}") }
}

/// Sets the defaults of missing properties, and drops nulls of non-nullable properties without
/// one, as the API server does before validating (`defaulting/algorithm.go`, `prunenulls.go`).
fn apply_defaults(node: &Node, v: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(m) => {
            for (name, prop) in &node.properties {
                match (m.get(name), &prop.default) {
                    (None, Some(d)) => {
                        m.insert(name.clone(), d.clone());
                    }
                    (Some(Value::Null), Some(d)) if !prop.nullable => {
                        m.insert(name.clone(), d.clone());
                    }
                    (Some(Value::Null), None) if !prop.nullable => {
                        m.remove(name);
                    }
                    _ => {}
                }
            }
            for (k, val) in m.iter_mut() {
                if let Some(p) = node.properties.get(k) {
                    apply_defaults(p, val, depth + 1);
                } else if let Additional::Schema(s) = &node.additional {
                    apply_defaults(s, val, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = &node.items {
                for i in items {
                    apply_defaults(item, i, depth + 1);
                }
            }
        }
        _ => {}
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether `v` is of `t`. An integer is also a number; a float with no fraction is also an
/// integer, as kube-openapi's type validator takes it (`validate/type.go`, `isFloatInt`).
fn of_type(t: Type, v: &Value) -> bool {
    match (t, v) {
        (Type::Object, Value::Object(_))
        | (Type::Array, Value::Array(_))
        | (Type::String, Value::String(_))
        | (Type::Boolean, Value::Bool(_))
        | (Type::Number, Value::Number(_)) => true,
        (Type::Integer, Value::Number(n)) => !n.is_f64() || n.as_f64().is_some_and(|f| f.fract() == 0.0 && f.is_finite()),
        _ => false,
    }
}

/// The structural checks of `v` at `path`. `junctor` is set under `allOf`/`anyOf`/`oneOf`/`not`,
/// whose schemas only add value validations: they declare no fields.
fn structural(node: &Node, v: &Value, path: &str, root: bool, junctor: bool, depth: usize, out: &mut Vec<Violation>) {
    if depth > MAX_DEPTH {
        out.push(Violation::new(path, ViolationKind::Type { expected: format!("a value nested at most {MAX_DEPTH} deep"), found: json_type(v) }));
        return;
    }
    if v.is_null() {
        if !node.nullable && !junctor && node.r#type.is_some() {
            out.push(Violation::new(path, ViolationKind::Type { expected: node.r#type.map(Type::name).unwrap_or("").into(), found: "null" }));
        }
        return;
    }
    if node.int_or_string {
        if !(of_type(Type::Integer, v) || v.is_string()) {
            out.push(Violation::new(path, ViolationKind::Type { expected: "integer,string".into(), found: json_type(v) }));
            return;
        }
    } else if let Some(t) = node.r#type
        && !of_type(t, v)
    {
        out.push(Violation::new(path, ViolationKind::Type { expected: t.name().into(), found: json_type(v) }));
        return;
    }
    values(node, v, path, out);
    for (junctors, name) in [(&node.any_of, "anyOf"), (&node.one_of, "oneOf")] {
        if junctors.is_empty() {
            continue;
        }
        let passing = junctors
            .iter()
            .filter(|j| {
                let mut errs = Vec::new();
                structural(j, v, path, root, true, depth + 1, &mut errs);
                errs.is_empty()
            })
            .count();
        if (name == "anyOf" && passing == 0) || (name == "oneOf" && passing != 1) {
            out.push(Violation::new(path, ViolationKind::Junctor { junctor: name }));
        }
    }
    for j in &node.all_of {
        structural(j, v, path, root, true, depth + 1, out);
    }
    if let Some(not) = &node.not {
        let mut errs = Vec::new();
        structural(not, v, path, root, true, depth + 1, &mut errs);
        if errs.is_empty() {
            out.push(Violation::new(path, ViolationKind::Junctor { junctor: "not" }));
        }
    }
    match v {
        Value::Object(m) => {
            for name in &node.required {
                if !m.contains_key(name) {
                    out.push(Violation::new(&child(path, name), ViolationKind::Required));
                }
            }
            for (k, val) in m {
                let here = child(path, k);
                if root && k == "metadata" {
                    // Only name and generateName are checked against the CRD's schema at the root
                    // (`pkg/apiserver/schema/objectmeta/validation.go`); the rest is ObjectMeta,
                    // which the API server validates as for every kind.
                    if let Some(meta) = node.properties.get("metadata") {
                        for field in ["name", "generateName"] {
                            if let (Some(s), Some(fv)) = (meta.properties.get(field), val.get(field)) {
                                structural(s, fv, &child(&here, field), false, false, depth + 1, out);
                            }
                        }
                    }
                    continue;
                }
                if let Some(p) = node.properties.get(k) {
                    if val.is_null() && !p.nullable && !junctor {
                        // Dropped before validation (`prunenulls.go`): as if absent.
                        continue;
                    }
                    structural(p, val, &here, false, junctor, depth + 1, out);
                } else if let Additional::Schema(s) = &node.additional {
                    structural(s, val, &format!("{path}[{k}]"), false, junctor, depth + 1, out);
                } else if junctor
                    || node.preserve_unknown_fields
                    || matches!(node.additional, Additional::Bool(true))
                    || ((root || node.embedded_resource) && matches!(k.as_str(), "apiVersion" | "kind" | "metadata"))
                {
                    // Declared by the junctor's parent, kept as the schema asks, or the type
                    // meta every resource (and embedded resource) carries.
                } else {
                    out.push(Violation::new(&here, ViolationKind::UnknownField));
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = &node.items {
                for (i, it) in items.iter().enumerate() {
                    structural(item, it, &format!("{path}[{i}]"), false, junctor, depth + 1, out);
                }
            }
            list_type(node, items, path, out);
        }
        _ => {}
    }
}

/// The value validations of one node, on a value of its type.
fn values(node: &Node, v: &Value, path: &str, out: &mut Vec<Violation>) {
    if !node.enumeration.is_empty() && !node.enumeration.contains(v) && !node.enumeration.iter().any(|e| same_number(e, v)) {
        out.push(Violation::new(path, ViolationKind::Enum { value: v.clone(), supported: node.enumeration.clone() }));
    }
    match v {
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            for (bound, maximum) in [(&node.maximum, true), (&node.minimum, false)] {
                if let Some(Bound { value: b, exclusive }) = bound {
                    let bf = b.as_f64().unwrap_or(f64::NAN);
                    let beyond = match (maximum, exclusive) {
                        (true, false) => f > bf,
                        (true, true) => f >= bf,
                        (false, false) => f < bf,
                        (false, true) => f <= bf,
                    };
                    if beyond {
                        out.push(Violation::new(path, ViolationKind::Bound { value: n.clone(), bound: b.clone(), maximum, exclusive: *exclusive }));
                    }
                }
            }
            if let Some(factor) = node.multiple_of
                && ((f / factor) - (f / factor).round()).abs() > 1e-9
            {
                out.push(Violation::new(path, ViolationKind::MultipleOf { value: n.clone(), factor }));
            }
            if let Some(format) = &node.format
                && !formats::integer_format(format, n)
            {
                out.push(Violation::new(path, ViolationKind::Type { expected: format.clone(), found: json_type(v) }));
            }
        }
        Value::String(s) => {
            // Lengths count characters, not bytes (kube-openapi `validate/validator.go` counts
            // with utf8.RuneCountInString).
            let chars = s.chars().count() as u64;
            if let Some(max) = node.max_length
                && chars > max
            {
                out.push(Violation::new(path, ViolationKind::TooLong { max }));
            }
            if let Some(min) = node.min_length
                && chars < min
            {
                out.push(Violation::new(path, ViolationKind::TooShort { value: s.clone(), min }));
            }
            if let Some((pattern, re)) = &node.pattern
                && !re.is_match(s)
            {
                out.push(Violation::new(path, ViolationKind::Pattern { value: s.clone(), pattern: pattern.clone() }));
            }
            if let Some(format) = &node.format
                && !formats::string_format(format, s)
            {
                out.push(Violation::new(path, ViolationKind::Format { value: s.clone(), format: format.clone() }));
            }
        }
        Value::Array(items) => {
            if let Some(max) = node.max_items
                && items.len() as u64 > max
            {
                out.push(Violation::new(path, ViolationKind::TooMany { count: items.len(), max }));
            }
            if let Some(min) = node.min_items
                && (items.len() as u64) < min
            {
                out.push(Violation::new(path, ViolationKind::TooFewItems { count: items.len(), min }));
            }
            if node.unique_items && items.iter().enumerate().any(|(i, a)| items[..i].contains(a)) {
                out.push(Violation::new(path, ViolationKind::NotUnique));
            }
        }
        Value::Object(m) => {
            if let Some(max) = node.max_properties
                && m.len() as u64 > max
            {
                out.push(Violation::new(path, ViolationKind::TooMany { count: m.len(), max }));
            }
            if let Some(min) = node.min_properties
                && (m.len() as u64) < min
            {
                out.push(Violation::new(path, ViolationKind::TooFewProperties { count: m.len(), min }));
            }
        }
        _ => {}
    }
}

/// `1` and `1.0` are the same value to an `enum` (Go compares the decoded numbers).
fn same_number(a: &Value, b: &Value) -> bool {
    matches!((a, b), (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64())
}

/// `x-kubernetes-list-type: set|map`: each item (set) or each combination of the map keys (map)
/// once (`pkg/apiserver/schema/listtype/validation.go`). The API server reports every repeat at
/// its index, with the item or its keys.
fn list_type(node: &Node, items: &[Value], path: &str, out: &mut Vec<Violation>) {
    match &node.list_type {
        ListType::Atomic => {}
        ListType::Set => {
            for (i, item) in items.iter().enumerate() {
                if items[..i].contains(item) {
                    out.push(Violation::new(&format!("{path}[{i}]"), ViolationKind::Duplicate { value: item.clone() }));
                }
            }
        }
        ListType::Map(keys) => {
            // A key the item leaves out counts with its schema's default (`listtype/validation.go`
            // reads keys after defaulting).
            let key_of = |item: &Value| -> Value {
                let m: serde_json::Map<String, Value> = keys
                    .iter()
                    .filter_map(|k| item.get(k).cloned().or_else(|| node.items.as_ref().and_then(|s| s.properties.get(k)).and_then(|p| p.default.clone())).map(|v| (k.clone(), v)))
                    .collect();
                Value::Object(m)
            };
            let all: Vec<Value> = items.iter().map(key_of).collect();
            for i in 0..all.len() {
                if all[..i].contains(&all[i]) {
                    out.push(Violation::new(&format!("{path}[{i}]"), ViolationKind::Duplicate { value: all[i].clone() }));
                }
            }
        }
    }
}

/// The CEL rules of `node` and of the nodes below it, over `v` (after defaults), in document
/// order: each node's own rules first, as upstream (`Validator.validate`).
fn rules(node: &Node, v: &Value, path: &str, root: bool, depth: usize, report: &mut Report) {
    if depth > MAX_DEPTH || v.is_null() {
        return;
    }
    for rule in &node.rules {
        match rule.evaluate(node, v, root, path) {
            Ok(Some(violation)) => report.violations.push(violation),
            Ok(None) => {}
            Err(not) => report.not_evaluated.push(not),
        }
    }
    for j in &node.all_of {
        rules(j, v, path, root, depth + 1, report);
    }
    match v {
        Value::Object(m) => {
            for (k, val) in m {
                if root && k == "metadata" {
                    continue;
                }
                if let Some(p) = node.properties.get(k) {
                    rules(p, val, &child(path, k), false, depth + 1, report);
                } else if let Additional::Schema(s) = &node.additional {
                    rules(s, val, &format!("{path}[{k}]"), false, depth + 1, report);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = &node.items {
                for (i, it) in items.iter().enumerate() {
                    rules(item, it, &format!("{path}[{i}]"), false, depth + 1, report);
                }
            }
        }
        _ => {}
    }
}
