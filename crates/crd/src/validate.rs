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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Node {
        Node::parse(&json!({"type": "object", "properties": {
            "spec": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 5, "pattern": "^[^A-Z]*$"},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                "ratio": {"type": "number", "exclusiveMaximum": true, "maximum": 1},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "host": {"type": "string", "format": "hostname"},
                "size": {"type": "integer", "format": "int32"},
                "tags": {"type": "array", "maxItems": 2, "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
                "ports": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "protocol": {"type": "string", "default": "TCP"}}},
                          "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name", "protocol"]},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 1},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "target": {"x-kubernetes-int-or-string": true},
                "optional": {"type": "string", "nullable": true},
                "replicas": {"type": "integer", "default": 1, "x-kubernetes-validations": [{"rule": "self > 0", "message": "must be positive"}]},
                "template": {"type": "object", "x-kubernetes-embedded-resource": true, "properties": {"spec": {"type": "object"}}}
            }, "x-kubernetes-validations": [
                {"rule": "self.name.size() <= 3 || self.replicas == 1", "message": "long names run one replica", "fieldPath": ".name", "reason": "FieldValueForbidden"},
                {"rule": "self.replicas < 100"}
            ]}
        }}))
        .expect("schema reads")
    }

    fn check(spec: Value) -> Vec<String> {
        let report = validate(&schema(), &json!({"apiVersion": "x/v1", "kind": "K", "metadata": {"name": "n", "labels": {"a": "b"}}, "spec": spec}));
        report.violations.iter().map(ToString::to_string).chain(report.not_evaluated.iter().map(ToString::to_string)).collect()
    }

    #[test]
    fn a_valid_object_has_no_violations() {
        let ok = json!({"name": "abc", "port": 80, "ratio": 0.5, "mode": "a", "host": "a.b", "size": 3, "tags": ["x", "y"], "ports": [{"name": "p"}, {"name": "p", "protocol": "UDP"}],
                        "labels": {"k": "v"}, "free": {"any": [1]}, "target": "http", "optional": null, "replicas": 2,
                        "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}, "spec": {}}});
        assert_eq!(check(ok), Vec::<String>::new());
        assert_eq!(check(json!({"name": "a", "target": 8080, "port": 8080.0})), Vec::<String>::new(), "an integral float is an integer to the API server");
        assert_eq!(check(json!({"name": "abcdé"})), Vec::<String>::new(), "lengths count characters: 5, in 6 bytes");
    }

    #[test]
    fn each_check_reads_as_the_api_server_says_it() {
        let cases: &[(Value, &str)] = &[
            (json!({}), "spec.name: Required value"),
            (json!({"name": "a", "port": 70000}), "spec.port: Invalid value: 70000: spec.port in body should be less than or equal to 65535"),
            (json!({"name": "a", "port": 0}), "spec.port: Invalid value: 0: spec.port in body should be greater than or equal to 1"),
            (json!({"name": "a", "port": 1.5}), "spec.port: Invalid value: \"number\": spec.port in body must be of type integer: \"number\""),
            (json!({"name": "a", "port": "80"}), "spec.port: Invalid value: \"string\": spec.port in body must be of type integer: \"string\""),
            (json!({"name": "a", "ratio": 1}), "spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1"),
            (json!({"name": "a", "mode": "c"}), "spec.mode: Unsupported value: \"c\": supported values: \"a\", \"b\""),
            (json!({"name": "abcdef"}), "spec.name: Too long: may not be more than 5 bytes"),
            (json!({"name": ""}), "spec.name: Invalid value: \"\": spec.name in body should be at least 1 chars long"),
            (json!({"name": "A"}), "spec.name: Invalid value: \"A\": spec.name in body should match '^[^A-Z]*$'"),
            (json!({"name": "a", "host": "-x"}), "spec.host: Invalid value: \"-x\": spec.host in body must be of type hostname: \"-x\""),
            (json!({"name": "a", "size": 3000000000u64}), "spec.size: Invalid value: \"integer\": spec.size in body must be of type int32: \"integer\""),
            (json!({"name": "a", "tags": ["x", "y", "z"]}), "spec.tags: Too many: 3: must have at most 2 items"),
            (json!({"name": "a", "tags": ["x", "x"]}), "spec.tags[1]: Duplicate value: \"x\""),
            (json!({"name": "a", "ports": [{"name": "p"}, {"name": "p", "protocol": "TCP"}]}), "spec.ports[1]: Duplicate value: {\"name\":\"p\",\"protocol\":\"TCP\"}"),
            (json!({"name": "a", "labels": {"a": "1", "b": "2"}}), "spec.labels: Too many: 2: must have at most 1 item"),
            (json!({"name": "a", "labels": {"a": 1}}), "spec.labels[a]: Invalid value: \"integer\": spec.labels[a] in body must be of type string: \"integer\""),
            (json!({"name": "a", "target": true}), "spec.target: Invalid value: \"boolean\": spec.target in body must be of type integer,string: \"boolean\""),
            (
                json!({"name": "a", "nme": "x"}),
                "spec.nme: Unknown field: the CRD's schema does not declare it; the API server would drop it without an error, and the setting would be lost",
            ),
            (json!({"name": "a", "replicas": 0}), "spec.replicas: Invalid value: 0: must be positive"),
            (json!({"name": "abcd", "replicas": 2}), "spec.name: Forbidden: long names run one replica"),
            (json!({"name": "a", "replicas": 100}), "spec: Invalid value: failed rule: self.replicas < 100"),
        ];
        for (spec, expected) in cases {
            let found = check(spec.clone());
            // Blocking errors add the note that rules were skipped (tested below).
            assert_eq!(found.first().map(String::as_str), Some(*expected), "for {spec}: {found:#?}");
            assert!(found.len() == 1 || found[1].contains("some validation rules were not checked"), "for {spec}: {found:#?}");
        }
    }

    #[test]
    fn errors_the_api_server_blocks_rules_on_leave_the_rules_unevaluated() {
        let found = check(json!({"name": "a", "mode": "c", "replicas": 0}));
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[1].contains("some validation rules were not checked"), "{found:#?}");
    }

    #[test]
    fn malformed_schemas_are_errors_not_panics() {
        for (schema, message) in [
            (json!({"type": "strin"}), "type: unknown type \"strin\""),
            (json!({"type": "string", "pattern": "(a"}), "pattern \"(a\""),
            (json!({"type": "string", "pattern": "a{1000}{1000}{1000}"}), "pattern \"a{1000}{1000}{1000}\""),
            (json!({"type": "array", "x-kubernetes-list-type": "map"}), "needs x-kubernetes-list-map-keys"),
            (json!({"properties": {"a": 3}}), "expected a schema object"),
            (json!({"x-kubernetes-validations": [{"message": "m"}]}), "rule: expected a non-empty string"),
        ] {
            let err = Node::parse(&schema).expect_err("malformed").to_string();
            assert!(err.contains(message), "{schema}: {err}");
        }
        let mut deep = json!({"type": "object"});
        for _ in 0..100 {
            deep = json!({"type": "object", "properties": {"a": deep}});
        }
        assert!(Node::parse(&deep).expect_err("too deep").message.contains("nested deeper"));
    }

    #[test]
    fn a_costly_rule_or_an_unknown_function_is_not_evaluated_nor_passed() {
        let nested = "self.all(a, self.all(b, self.all(c, self.all(d, a == b || c == d))))";
        let node = Node::parse(&json!({"type": "array", "items": {"type": "integer"}, "x-kubernetes-validations": [{"rule": nested}, {"rule": "self.all(x, x.isQuantity())"}, {"rule": "self.size() > 100"}]})).expect("reads");
        let report = validate(&node, &json!((0..100).collect::<Vec<_>>()));
        let found: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
        assert_eq!(found, [": Invalid value: failed rule: self.size() > 100"]);
        let why: Vec<&str> = report.not_evaluated.iter().map(|n| n.why.as_str()).collect();
        assert!(why[0].contains("per-call limit") && why[1].contains("isQuantity"), "{why:?}");
        // Small enough, the same nested rule is evaluated.
        assert!(validate(&node, &json!([1, 2, 3])).not_evaluated.iter().all(|n| !n.why.contains("per-call")));
    }

    #[test]
    fn the_kubernetes_functions_registered_evaluate() {
        let rules = [
            "[1, 2, 3].isSorted() && ![2, 1].isSorted()",
            "[1, 2, 3].sum() == 6 && [1.5, 2.5].sum() == 4.0",
            "[3, 1, 2].min() == 1 && [3, 1, 2].max() == 3",
            "'abc123'.find('[0-9]+') == '123' && 'a1b2'.findAll('[0-9]') == ['1', '2']",
            "'AbC'.lowerAscii() == 'abc' && 'abc'.upperAscii() == 'ABC' && ' a '.trim() == 'a'",
            "'a,b'.split(',') == ['a', 'b'] && ['a', 'b'].join('-') == 'a-b' && 'aXa'.replace('X', 'Y') == 'aYa'",
            "'héllo'.size() == 5 && size('héllo') == 5 && 'abc'.indexOf('c') == 2 && 'abc'.substring(1) == 'bc'",
            "'x'.matches('^x$') && 'abc'.startsWith('a') && 'abc'.endsWith('c') && 'abc'.contains('b')",
        ];
        for rule in rules {
            let node = Node::parse(&json!({"type": "object", "x-kubernetes-validations": [{"rule": rule}]})).expect("reads");
            assert_eq!(validate(&node, &json!({})), Report::default(), "{rule}");
        }
        // And each name in the list is used by one of these rules: the list claims nothing untested.
        for name in crate::cel::KNOWN_FUNCTIONS {
            let short = name.rsplit('.').next().unwrap_or(name);
            let covered = rules.iter().any(|r| r.contains(&format!("{short}(")))
                || ["int", "uint", "double", "string", "bytes", "bool", "type", "dyn", "charAt", "lastIndexOf", "format", "quote", "reverse"].contains(&short);
            assert!(covered, "{name} is listed as known but no test calls it");
        }
    }

    #[test]
    fn escaped_names_are_what_rules_read() {
        assert_eq!(crate::cel::escape("namespace").as_deref(), Some("__namespace__"));
        assert_eq!(crate::cel::escape("a-b.c/d__e").as_deref(), Some("a__dash__b__dot__c__slash__d__underscores__e"));
        assert_eq!(crate::cel::escape("1a"), None);
        assert_eq!(crate::cel::escape("a b"), None);
    }
}
