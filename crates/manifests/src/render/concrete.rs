//! The concrete side: evaluates expressions and template trees against one values instance,
//! with the semantics Helm's template functions have (`default`, truthiness, `required`, ...).

use serde_json::{Map as JsonMap, Value};

use super::error::{RenderError, RenderErrorKind};
use super::names::{self, Names};
use crate::template::expr::{ChartField, Ex, Helper, ReleaseField, Root};
use crate::template::tree::{Entry, Item, Kind, LabelSet, Node};

/// What an evaluation can see: the values, the release, the chart, and loop variables.
pub struct Scope<'a> {
    pub names: &'a Names<'a>,
    pub(crate) vars: Vec<(&'static str, Value)>,
    /// Renders a template file of the chart, for checksums.
    pub(crate) render_file: &'a dyn Fn(&str) -> Result<String, RenderError>,
}

impl<'a> Scope<'a> {
    pub fn new(names: &'a Names<'a>, render_file: &'a dyn Fn(&str) -> Result<String, RenderError>) -> Self {
        Scope { names, vars: Vec::new(), render_file }
    }
}

/// Go template truth: false, 0, nil, and empty strings, lists and maps are false.
pub(crate) fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn as_int(v: &Value) -> i64 {
    // sprig's int64: floats truncate, strings parse, anything else is 0.
    match v {
        Value::Number(n) => n.as_i64().unwrap_or_else(|| n.as_f64().map_or(0, |f| f as i64)),
        Value::String(s) => s.trim().parse().unwrap_or(0),
        Value::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

fn as_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// A number as Go's `encoding/json` prints it (Helm's `toJson`): integers as they are; floats
/// in the shortest form that reads back the same, plain for magnitudes from 1e-6 to below 1e21
/// and in exponent form (`1e-7`, `1.5e+21`) outside.
pub(crate) fn go_json_number(v: &Value) -> String {
    let Value::Number(n) = v else { return as_string(v) };
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or_default();
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        // Rust's Display is the shortest round-trip form without exponent, as Go's 'f', -1.
        return format!("{f}");
    }
    let e = format!("{f:e}");
    match e.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => e,
    }
}

/// Every byte but RFC 3986's unreserved characters as `%XX` (upper case): what Go's
/// `url.QueryEscape` writes (`shouldEscape` in `net/url/url.go`, mode `encodeQueryComponent`),
/// with a space as `%20` rather than `+`.
pub(crate) fn percent_encode(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

pub(crate) fn lookup<'v>(mut v: &'v Value, keys: &[String]) -> &'v Value {
    for key in keys {
        v = match v.get(key) {
            Some(next) => next,
            None => return &Value::Null,
        };
    }
    v
}

pub(crate) fn eval(ex: &Ex, s: &Scope) -> Result<Value, RenderError> {
    Ok(match ex {
        Ex::Lit(v) => v.clone(),
        Ex::Get(path) => match &path.root {
            Root::Values => lookup(s.names.values, &path.keys).clone(),
            Root::Var(name) => {
                let bound = s.vars.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v);
                let bound = bound.ok_or_else(|| RenderError::new(RenderErrorKind::UnboundVariable(name)))?;
                lookup(bound, &path.keys).clone()
            }
        },
        Ex::Release(ReleaseField::Name) => Value::String(s.names.release.to_string()),
        Ex::Release(ReleaseField::Namespace) => Value::String(s.names.namespace.to_string()),
        Ex::Chart(ChartField::Name) => Value::String(s.names.chart.name.clone()),
        Ex::Chart(ChartField::Version) => Value::String(s.names.chart.version.clone()),
        Ex::Chart(ChartField::AppVersion) => Value::String(s.names.chart.app_version.clone()),
        Ex::Helper(h) => Value::String(match h {
            Helper::Name => s.names.name(),
            Helper::Fullname => s.names.fullname(),
            Helper::Chart => s.names.chart_label(),
            Helper::ServiceAccountName => s.names.service_account_name(),
        }),
        Ex::Concat(parts) => {
            let mut out = String::new();
            for p in parts {
                out.push_str(&as_string(&eval(p, s)?));
            }
            Value::String(out)
        }
        Ex::Default(v, fallback) => {
            let v = eval(v, s)?;
            if truthy(&v) { v } else { eval(fallback, s)? }
        }
        Ex::Ternary(c, a, b) => {
            if truthy(&eval(c, s)?) {
                eval(a, s)?
            } else {
                eval(b, s)?
            }
        }
        Ex::Eq(a, b) => {
            let (a, b) = (eval(a, s)?, eval(b, s)?);
            let equal = match (&a, &b) {
                (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
                _ => a == b,
            };
            Value::Bool(equal)
        }
        Ex::Lt(a, b) => Value::Bool(as_int(&eval(a, s)?) < as_int(&eval(b, s)?)),
        Ex::Not(a) => Value::Bool(!truthy(&eval(a, s)?)),
        Ex::And(parts) => {
            let mut all = true;
            for p in parts {
                if !truthy(&eval(p, s)?) {
                    all = false;
                    break;
                }
            }
            Value::Bool(all)
        }
        Ex::Or(parts) => {
            let mut any = false;
            for p in parts {
                if truthy(&eval(p, s)?) {
                    any = true;
                    break;
                }
            }
            Value::Bool(any)
        }
        Ex::IsSet(a) => Value::Bool(truthy(&eval(a, s)?)),
        Ex::NonZero(a) => Value::Bool(as_int(&eval(a, s)?) != 0),
        Ex::Present(a) => Value::Bool(!as_string(&eval(a, s)?).is_empty()),
        Ex::PortOf(a) => {
            let address = as_string(&eval(a, s)?);
            Value::from(as_int(&Value::String(address.rsplit(':').next().unwrap_or("").to_string())))
        }
        Ex::IntStr(a) => Value::String(as_int(&eval(a, s)?).to_string()),
        Ex::BoolStr(a) => Value::String(as_string(&eval(a, s)?)),
        Ex::Required(a, message) => {
            let v = eval(a, s)?;
            // Helm's `required` rejects nil and the empty string only.
            if v.is_null() || v == Value::String(String::new()) {
                return Err(RenderError::new(RenderErrorKind::Required(message.clone())));
            }
            v
        }
        Ex::Checksum(file) => Value::String(names::sha256_hex((s.render_file)(file)?.as_bytes())),
        Ex::NumStr(a) => Value::String(go_json_number(&eval(a, s)?)),
        Ex::Digest(a) => Value::String(names::sha256_hex(as_string(&eval(a, s)?).as_bytes())[..10].to_string()),
        Ex::PercentEncode(a) => Value::String(percent_encode(&as_string(&eval(a, s)?))),
        Ex::Named(_, a) => Value::Bool(truthy(&eval(a, s)?)),
        Ex::Len(a) => Value::from(as_string(&eval(a, s)?).len()),
        Ex::Shaped(a, shape) => Value::Bool(shape.matches(&as_string(&eval(a, s)?))),
        Ex::Matches(a, pattern) => {
            let text = as_string(&eval(a, s)?);
            Value::Bool(regex_lite::Regex::new(pattern).is_ok_and(|re| re.is_match(&text)))
        }
        Ex::AtLeastVersion(a, min) => Value::Bool(crate::template::version::at_least(&as_string(&eval(a, s)?), min)),
        Ex::Problem(rule, a, path) => Value::String(rule.problem(path, &eval(a, s)?).unwrap_or_default()),
        Ex::Dict(entries) => Value::Object(entries.iter().map(|(k, v)| Ok((k.clone(), eval(v, s)?))).collect::<Result<_, RenderError>>()?),
        Ex::List(items) => Value::Array(items.iter().map(|i| eval(i, s)).collect::<Result<_, _>>()?),
    })
}

/// Evaluates a node; `None` means "leave the key (or item) out".
pub(crate) fn eval_node(node: &Node, s: &mut Scope) -> Result<Option<Value>, RenderError> {
    match node {
        Node::Scalar(ex, kind) => {
            let v = eval(ex, s)?;
            Ok(Some(match kind {
                Kind::Int => Value::from(as_int(&v)),
                Kind::Str | Kind::Bool | Kind::Any => v,
            }))
        }
        Node::Raw(ex) => {
            let v = eval(ex, s)?;
            Ok(truthy(&v).then_some(v))
        }
        Node::Map(entries) => {
            let mut out = JsonMap::new();
            eval_entries(entries, s, &mut out)?;
            // A map with no entries at all is a literal `{}`; one whose entries all fell away is
            // left out, as the chart's guard leaves it out.
            Ok((entries.is_empty() || !out.is_empty()).then_some(Value::Object(out)))
        }
        Node::List(items) => {
            let mut out = Vec::new();
            eval_items(items, s, &mut out)?;
            Ok((items.is_empty() || !out.is_empty()).then_some(Value::Array(out)))
        }
    }
}

pub(crate) fn eval_entries(entries: &[Entry], s: &mut Scope, out: &mut JsonMap<String, Value>) -> Result<(), RenderError> {
    for entry in entries {
        match entry {
            Entry::Field(key, node) => {
                if let Some(v) = eval_node(node, s).map_err(|e| e.in_field(key))? {
                    out.insert(key.to_string(), v);
                }
            }
            Entry::When(cond, then, otherwise) => {
                let branch = if truthy(&eval(cond, s)?) { then } else { otherwise };
                eval_entries(branch, s, out)?;
            }
            Entry::Spread(ex) => match eval(ex, s)? {
                Value::Object(map) => out.extend(map),
                Value::Null => {}
                other if !truthy(&other) => {}
                other => return Err(RenderError::new(RenderErrorKind::Shape(format!("expected a map to merge, found {other}")))),
            },
            Entry::Labels(set) => {
                let (labels, component) = match set {
                    LabelSet::All(c) => (s.names.labels(), c),
                    LabelSet::Selector(c) => (s.names.selector_labels(), c),
                };
                for (k, v) in labels {
                    out.insert(k, Value::String(v));
                }
                if let Some(c) = component {
                    out.insert(names::COMPONENT_LABEL.to_string(), Value::String(c.to_string()));
                }
            }
        }
    }
    Ok(())
}

pub(crate) fn eval_items(items: &[Item], s: &mut Scope, out: &mut Vec<Value>) -> Result<(), RenderError> {
    for item in items {
        match item {
            Item::One(node) => {
                let v = eval_node(node, s).map_err(|e| e.in_item(out.len()))?;
                out.push(v.unwrap_or(Value::Null));
            }
            Item::When(cond, then, otherwise) => {
                let branch = if truthy(&eval(cond, s)?) { then } else { otherwise };
                eval_items(branch, s, out)?;
            }
            Item::Range(var, ex, node) => {
                let list = match eval(ex, s)? {
                    Value::Array(list) => list,
                    Value::Null => Vec::new(),
                    other => return Err(RenderError::new(RenderErrorKind::Shape(format!("expected a list to range over, found {other}")))),
                };
                for element in list {
                    s.vars.push((var, element));
                    let v = eval_node(node, s);
                    s.vars.pop();
                    out.push(v.map_err(|e| e.in_item(out.len()))?.unwrap_or(Value::Null));
                }
            }
            Item::Spread(ex) => match eval(ex, s)? {
                Value::Array(list) => out.extend(list),
                Value::Null => {}
                other => return Err(RenderError::new(RenderErrorKind::Shape(format!("expected a list to append, found {other}")))),
            },
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_helm_to_json_prints_them() {
        // What `toJson` printed for these values-file numbers with Helm 4.1.4 and 3.18.0.
        let helm = [
            ("0.7", "0.7"),
            ("2.0", "2"),
            ("1", "1"),
            ("-0.5", "-0.5"),
            ("1e21", "1e+21"),
            ("1.5e21", "1.5e+21"),
            ("1e-7", "1e-7"),
            ("0.0000123", "0.0000123"),
            ("12345678.9", "12345678.9"),
            ("100000000000", "100000000000"),
        ];
        for (yaml, printed) in helm {
            let v: Value = serde_saphyr::from_str(yaml).expect("a number");
            // Values reach the renderer as f64 once checked against a typed f64 setting.
            let as_float = Value::from(v.as_f64().expect("number"));
            assert_eq!(go_json_number(&as_float), printed, "{yaml}");
        }
        assert_eq!(go_json_number(&Value::from(8001)), "8001");
    }

    #[test]
    fn percent_encoding_keeps_only_the_unreserved_characters() {
        // What `replace "+" "%20" (urlquery .)` printed for these strings with Helm 4.1.4.
        let helm = [
            ("p@ss:w/rd?#%", "p%40ss%3Aw%2Frd%3F%23%25"),
            ("a b+c", "a%20b%2Bc"),
            ("AZaz09-._~", "AZaz09-._~"),
            ("é漢", "%C3%A9%E6%BC%A2"),
            ("", ""),
            ("!$&'()*,;=[]", "%21%24%26%27%28%29%2A%2C%3B%3D%5B%5D"),
        ];
        for (raw, encoded) in helm {
            assert_eq!(percent_encode(raw), encoded, "{raw}");
        }
    }
}
