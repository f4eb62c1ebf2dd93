//! `x-kubernetes-validations`: CEL rules, evaluated as the API server does in
//! k8s.io/apiextensions-apiserver `pkg/apiserver/schema/cel/validation.go`
//! (`Validator.validateExpressions`), with the `cel` crate.
//!
//! - `self` is the value of the node the rule sits on; a rule on a null value is not evaluated
//!   ("We only validate non-null values").
//! - Property names that are CEL keywords or hold characters an identifier cannot are escaped
//!   as k8s.io/apiserver `pkg/cel/escaping.go` does (`namespace` is `__namespace__`).
//! - At the root, `self.metadata` holds only `name` and `generateName`
//!   (`model.WithTypeAndObjectMeta`).
//! - A rule that is false gives `message` (trimmed), else `failed rule: <rule>`
//!   (`ruleMessageOrDefault`), at the node's path joined with `fieldPath`, as the error type of
//!   `reason` (`fieldErrorForReason`); a `messageExpression` that evaluates to a string replaces
//!   the message, as upstream.
//! - An evaluation error (`no such key`, an index out of range) is a finding, as upstream
//!   ("... evaluating rule: ...").
//!
//! Not evaluated, and returned as such ([`NotEvaluated`]) rather than passed or failed:
//! - transition rules (those naming `oldSelf`): the API server evaluates them only on an update,
//!   against the stored object; kforge renders new objects, so there is nothing to compare with;
//! - rules that call a function this evaluator does not know (the Kubernetes libraries are only
//!   partly registered: see [`KNOWN_FUNCTIONS`]), or that fail to compile;
//! - rules whose cost would exceed the API server's per-call limit (below).
//!
//! Cost: the API server bounds a rule by an estimated and a runtime cost (k8s.io/apiserver
//! `pkg/apis/cel/config.go`, `PerCallLimit` = 1,000,000). CEL has no loops but its
//! comprehensions (`all`, `exists`, `map`, ...) over the value, so the work of a rule is at most
//! about (the largest collection in `self`)^(the comprehension nesting depth) steps; a rule over
//! a value where that exceeds the same limit is not evaluated, so a hostile rule (comprehensions
//! nested ten deep) over a large list cannot hang the check. Lengths follow Kubernetes: `size()`
//! of a string counts characters (runes), as the `cel` crate does.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use cel::common::ast::{EntryExpr, Expr, IdedExpr};
use cel::extractors::This;
use cel::objects::{Key, Map as CelMap};
use cel::{Context, Env, ExecutionError, Program, Value as Cel};
use serde_json::Value;

use crate::schema::{Additional, Node, Type};
use crate::validate::{NotEvaluated, Reason, Violation, ViolationKind};

/// The API server's per-call cost limit (k8s.io/apiserver `pkg/apis/cel/config.go`).
const PER_CALL_LIMIT: f64 = 1_000_000.0;

/// The functions a rule may call and be evaluated: CEL's standard library as the `cel` crate
/// has it, the strings extension (cel-go `ext.Strings`, which Kubernetes registers), and those of
/// Kubernetes' own libraries (k8s.io/apiserver `pkg/cel/library`) registered here. Operators
/// (`_==_`, `@in`, `!_`, ...) are known by their spelling.
pub const KNOWN_FUNCTIONS: &[&str] = &[
    // Standard library.
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "int",
    "uint",
    "double",
    "string",
    "bytes",
    "bool",
    "type",
    "dyn",
    // Strings extension.
    "charAt",
    "indexOf",
    "lastIndexOf",
    "join",
    "lowerAscii",
    "upperAscii",
    "trim",
    "replace",
    "split",
    "substring",
    "format",
    "strings.quote",
    "reverse",
    // Kubernetes' lists library (`pkg/cel/library/lists.go`), in part.
    "isSorted",
    "sum",
    "min",
    "max",
    // Kubernetes' regex library (`pkg/cel/library/regex.go`).
    "find",
    "findAll",
];

/// A rule's `reason`: the error type of its finding.
fn reason(r: Option<&str>) -> Result<Option<Reason>, String> {
    Ok(match r {
        None => None,
        Some("FieldValueInvalid") => Some(Reason::Invalid),
        Some("FieldValueForbidden") => Some(Reason::Forbidden),
        Some("FieldValueRequired") => Some(Reason::Required),
        Some("FieldValueDuplicate") => Some(Reason::Duplicate),
        Some(other) => return Err(format!("reason: unknown reason {other:?}")),
    })
}

/// Why a rule is not evaluated at all, decided when it is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// It names `oldSelf`: a transition rule, evaluated by the API server only on updates.
    Transition,
    /// It calls functions this evaluator does not know.
    UnknownFunctions(Vec<String>),
    /// It does not compile.
    Compile(String),
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skip::Transition => write!(f, "a transition rule (it reads oldSelf): the API server evaluates it only when an object is updated"),
            Skip::UnknownFunctions(names) => write!(f, "calls functions kforge does not evaluate: {}", names.join(", ")),
            Skip::Compile(e) => write!(f, "does not compile: {e}"),
        }
    }
}

/// One `x-kubernetes-validations` entry, compiled.
#[derive(Debug)]
pub struct Rule {
    /// `rule`.
    pub rule: String,
    /// `message`.
    pub message: Option<String>,
    /// `messageExpression`.
    pub message_expression: Option<String>,
    /// `fieldPath`, relative to the node (`.spec.replicas`).
    pub field_path: Option<String>,
    /// `reason`.
    pub reason: Option<Reason>,
    compiled: Result<Compiled, Skip>,
    message_program: Option<Program>,
}

#[derive(Debug)]
struct Compiled {
    program: Program,
    /// How deeply comprehensions nest: the exponent of the cost bound.
    depth: u32,
}

fn env() -> &'static Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Env::stdlib();
        // The strings extension declares only new names on a standard environment; were it to
        // fail, its functions would count as unknown in `compile`, not panic.
        let _ = env.add_extension(cel::extensions::strings);
        Arc::new(env)
    })
}

impl Rule {
    /// Reads one entry of `x-kubernetes-validations`. Only a malformed entry is an error; a rule
    /// that cannot be evaluated is read with the reason ([`Rule::skipped`]).
    pub fn read(v: &Value) -> Result<Rule, String> {
        let text = |key: &str| -> Result<Option<String>, String> {
            match v.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(format!("{key}: expected a string")),
            }
        };
        let rule = text("rule")?.filter(|r| !r.trim().is_empty()).ok_or("rule: expected a non-empty string")?;
        let message_expression = text("messageExpression")?;
        let message_program = message_expression.as_deref().and_then(|m| compile(m).ok()).map(|c| c.program);
        Ok(Rule {
            compiled: compile(&rule),
            message: text("message")?,
            message_expression,
            field_path: text("fieldPath")?,
            reason: reason(text("reason")?.as_deref())?,
            rule,
            message_program,
        })
    }

    /// Why the rule is never evaluated, if it is not.
    pub fn skipped(&self) -> Option<&Skip> {
        self.compiled.as_ref().err()
    }

    /// Evaluates the rule on `value` (the node's value, at `path`). `root` is whether the node
    /// is the object's root (its metadata is narrowed as upstream). Returns the finding, or why
    /// it was not evaluated.
    pub fn evaluate(&self, node: &Node, value: &Value, root: bool, path: &str) -> Result<Option<Violation>, NotEvaluated> {
        let not_evaluated = |why: String| NotEvaluated { path: path.to_string(), rule: self.rule.trim().to_string(), why };
        let compiled = match &self.compiled {
            Ok(c) => c,
            // Nothing to compare with: kforge renders new objects, which the API server creates
            // without evaluating transition rules (`validateExpressions`: "transition rules are
            // evaluated only if there is a comparable existing value").
            Err(Skip::Transition) => return Ok(None),
            Err(s) => return Err(not_evaluated(s.to_string())),
        };
        if value.is_null() {
            return Ok(None);
        }
        if compiled.depth > 0 {
            let n = largest_collection(value, 0).max(1) as f64;
            if n.powi(compiled.depth as i32) > PER_CALL_LIMIT {
                return Err(not_evaluated(format!(
                    "its cost would exceed the API server's per-call limit: {} comprehensions nested over a collection of {n} items",
                    compiled.depth
                )));
            }
        }
        let mut ctx = Context::with_env(Arc::clone(env()));
        register(&mut ctx);
        ctx.add_variable_from_value("self", to_cel(Some(node), value, root));
        let at = match self.field_path.as_deref().map(|p| p.trim_start_matches('.')) {
            Some(p) if !p.is_empty() => {
                if p.starts_with('[') || path.is_empty() {
                    format!("{path}{p}")
                } else {
                    format!("{path}.{p}")
                }
            }
            _ => path.to_string(),
        };
        let shown = || self.message.as_deref().map(str::trim).filter(|m| !m.is_empty()).unwrap_or(self.rule.trim()).to_string();
        match compiled.program.execute(&ctx) {
            Ok(Cel::Bool(true)) => Ok(None),
            Ok(Cel::Bool(false)) => {
                let from_expression = self.message_program.as_ref().and_then(|p| match p.execute(&ctx) {
                    Ok(Cel::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
                    _ => None,
                });
                let message = from_expression.unwrap_or_else(|| match self.message.as_deref().map(str::trim) {
                    Some(m) if !m.is_empty() => m.to_string(),
                    _ => format!("failed rule: {}", self.rule.trim()),
                });
                Ok(Some(Violation::new(&at, ViolationKind::Rule { message, reason: self.reason, value: scalar(value) })))
            }
            Ok(other) => Err(not_evaluated(format!("evaluates to {other:?}, not a bool"))),
            Err(ExecutionError::UndeclaredReference(name)) => Err(not_evaluated(format!("names {name:?}, which kforge does not know"))),
            // cel-go checks overloads when the CRD is created; the `cel` crate lacks some of its
            // overloads (int against uint, some conversions), so a missing one says nothing about
            // the object.
            Err(e @ (ExecutionError::NoSuchOverload(_) | ExecutionError::NotSupportedAsMethod { .. } | ExecutionError::UnsupportedTargetType { .. })) => {
                Err(not_evaluated(format!("the evaluator has no overload for it: {e}")))
            }
            Err(e) => Ok(Some(Violation::new(path, ViolationKind::RuleError { error: e.to_string(), rule: shown(), r#type: node.r#type.map(Type::name).unwrap_or("") }))),
        }
    }
}

/// The value as the finding shows it: scalars only, as upstream omits objects and lists.
fn scalar(v: &Value) -> Option<Value> {
    (!v.is_object() && !v.is_array()).then(|| v.clone())
}

fn compile(source: &str) -> Result<Compiled, Skip> {
    // The parser bounds its own recursion (the `cel` crate's `max_recursion_depth`), so a deeply
    // nested rule is a compile error, not a stack overflow.
    let program = env().compile(source).map_err(|e| Skip::Compile(e.to_string().lines().next().unwrap_or("").to_string()))?;
    let references = program.references();
    if references.has_variable("oldSelf") {
        return Err(Skip::Transition);
    }
    let mut unknown: Vec<String> = references
        .functions()
        .into_iter()
        .filter(|f| !(f.starts_with('_') || f.starts_with('@') || f.starts_with('!') || f.starts_with('-')))
        .filter(|f| !KNOWN_FUNCTIONS.contains(f))
        .map(str::to_string)
        .collect();
    if !unknown.is_empty() {
        unknown.sort();
        unknown.dedup();
        return Err(Skip::UnknownFunctions(unknown));
    }
    let depth = comprehension_depth(&program.expression().clone());
    Ok(Compiled { program, depth })
}

/// How deeply comprehensions nest in `e`.
fn comprehension_depth(e: &IdedExpr) -> u32 {
    let max = |items: &mut dyn Iterator<Item = &IdedExpr>| items.map(comprehension_depth).max().unwrap_or(0);
    match &e.expr {
        Expr::Comprehension(c) => {
            let inner = max(&mut [&c.loop_cond, &c.loop_step, &c.result, &c.accu_init].into_iter());
            comprehension_depth(&c.iter_range).max(inner + 1)
        }
        Expr::Call(c) => max(&mut c.target.as_deref().into_iter().chain(&c.args)),
        Expr::Select(s) => comprehension_depth(&s.operand),
        Expr::List(l) => max(&mut l.elements.iter()),
        Expr::Map(m) => max(&mut m.entries.iter().flat_map(|en| match &en.expr {
            EntryExpr::MapEntry(me) => vec![&me.key, &me.value],
            EntryExpr::StructField(sf) => vec![&sf.value],
        })),
        Expr::Struct(s) => max(&mut s.entries.iter().flat_map(|en| match &en.expr {
            EntryExpr::MapEntry(me) => vec![&me.key, &me.value],
            EntryExpr::StructField(sf) => vec![&sf.value],
        })),
        _ => 0,
    }
}

/// The size of the largest list or map in `v` (strings count too, as `matches` and friends
/// walk them), bounded in depth as `Node` is.
fn largest_collection(v: &Value, depth: usize) -> usize {
    if depth > 200 {
        return 0;
    }
    match v {
        Value::Array(items) => items.iter().map(|i| largest_collection(i, depth + 1)).fold(items.len(), usize::max),
        Value::Object(m) => m.values().map(|i| largest_collection(i, depth + 1)).fold(m.len(), usize::max),
        _ => 0,
    }
}

/// CEL keywords, escaped as `__keyword__` in property names (k8s.io/apiserver
/// `pkg/cel/escaping.go`, `celReservedSymbols`).
const RESERVED: &[&str] = &[
    "true",
    "false",
    "null",
    "in",
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
];

/// A property name as CEL sees it (k8s.io/apiserver `pkg/cel/escaping.go`, `Escape`): keywords
/// become `__kw__`, `__` `__underscores__`, `.` `__dot__`, `-` `__dash__`, `/` `__slash__`; a
/// name that starts with a digit or holds another character is not accessible (`None`).
pub fn escape(name: &str) -> Option<String> {
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if RESERVED.contains(&name) {
        return Some(format!("__{name}__"));
    }
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '_' if chars.peek() == Some(&'_') => {
                chars.next();
                out.push_str("__underscores__");
            }
            '.' => out.push_str("__dot__"),
            '-' => out.push_str("__dash__"),
            '/' => out.push_str("__slash__"),
            c if c.is_ascii_alphanumeric() || c == '_' => out.push(c),
            _ => return None,
        }
    }
    Some(out)
}

/// `v` as a CEL value, typed by its schema as k8s.io/apiextensions-apiserver
/// `pkg/apiserver/schema/cel/values.go` (`UnstructuredToVal`) does: a `number` is a double even
/// when written without a fraction, properties are escaped, `additionalProperties` keys are not.
/// Strings of `format: date-time` and `duration` stay strings (upstream gives timestamps and
/// durations; no rule of ours compares them).
fn to_cel(node: Option<&Node>, v: &Value, root: bool) -> Cel {
    match v {
        Value::Null => Cel::Null,
        Value::Bool(b) => Cel::Bool(*b),
        Value::Number(n) => match (node.and_then(|n| n.r#type), n.as_i64()) {
            (Some(Type::Number), _) | (_, None) => Cel::Float(n.as_f64().unwrap_or(f64::NAN)),
            (_, Some(i)) => Cel::Int(i),
        },
        Value::String(s) => Cel::String(Arc::new(s.clone())),
        Value::Array(items) => {
            let item = node.and_then(|n| n.items.as_deref());
            Cel::List(Arc::new(items.iter().map(|i| to_cel(item, i, false)).collect()))
        }
        Value::Object(m) => {
            let mut out: HashMap<Key, Cel> = HashMap::with_capacity(m.len());
            let additional = match node.map(|n| &n.additional) {
                Some(Additional::Schema(s)) => Some(s.as_ref()),
                _ => None,
            };
            let structured = node.is_some_and(|n| !n.properties.is_empty()) || root;
            for (k, val) in m {
                if root && k == "metadata" {
                    let narrowed: serde_json::Map<String, Value> =
                        val.as_object().into_iter().flatten().filter(|(k, _)| *k == "name" || *k == "generateName").map(|(k, v)| (k.clone(), v.clone())).collect();
                    out.insert(Key::String(Arc::new("metadata".into())), to_cel(None, &Value::Object(narrowed), false));
                    continue;
                }
                let child = node.and_then(|n| n.properties.get(k)).or(additional);
                let key = if structured || additional.is_none() { escape(k) } else { Some(k.clone()) };
                if let Some(key) = key {
                    out.insert(Key::String(Arc::new(key)), to_cel(child, val, false));
                }
            }
            Cel::Map(CelMap::from(out))
        }
    }
}

/// Registers the Kubernetes library functions that the standard environment lacks.
fn register(ctx: &mut Context) {
    // Names the environment declares are refused here; the list is fixed, so a refusal would show
    // in the tests of each function, not on user input.
    let _ = ctx.add_function("isSorted", |This(list): This<Arc<Vec<Cel>>>| -> Result<bool, ExecutionError> {
        for pair in list.windows(2) {
            match pair[0].partial_cmp(&pair[1]) {
                Some(std::cmp::Ordering::Greater) => return Ok(false),
                Some(_) => {}
                None => return Err(ExecutionError::function_error("isSorted", "elements are not comparable")),
            }
        }
        Ok(true)
    });
    let _ = ctx.add_function("sum", |This(list): This<Arc<Vec<Cel>>>| -> Result<Cel, ExecutionError> {
        let mut acc = Cel::Int(0);
        for (i, v) in list.iter().enumerate() {
            acc = match (&acc, v) {
                (Cel::Int(a), Cel::Int(b)) => Cel::Int(a.checked_add(*b).ok_or_else(|| ExecutionError::function_error("sum", "integer overflow"))?),
                (Cel::Int(0), Cel::Float(b)) if i == 0 => Cel::Float(*b),
                (Cel::Int(0), Cel::UInt(b)) if i == 0 => Cel::UInt(*b),
                (Cel::Float(a), Cel::Float(b)) => Cel::Float(a + b),
                (Cel::UInt(a), Cel::UInt(b)) => Cel::UInt(a.checked_add(*b).ok_or_else(|| ExecutionError::function_error("sum", "integer overflow"))?),
                _ => return Err(ExecutionError::function_error("sum", "elements are not numbers of one type")),
            };
        }
        Ok(acc)
    });
    for (name, want) in [("min", std::cmp::Ordering::Less), ("max", std::cmp::Ordering::Greater)] {
        let _ = ctx.add_function(name, move |This(list): This<Arc<Vec<Cel>>>| -> Result<Cel, ExecutionError> {
            let mut best: Option<&Cel> = None;
            for v in list.iter() {
                best = match best {
                    None => Some(v),
                    Some(b) => match v.partial_cmp(b) {
                        Some(o) if o == want => Some(v),
                        Some(_) => Some(b),
                        None => return Err(ExecutionError::function_error(name, "elements are not comparable")),
                    },
                };
            }
            best.cloned().ok_or_else(|| ExecutionError::function_error(name, "called on an empty list"))
        });
    }
    let _ = ctx.add_function("find", |This(s): This<Arc<String>>, pattern: Arc<String>| -> cel::ResolveResult {
        let re = crate::schema::compile_pattern(&pattern).map_err(|e| ExecutionError::function_error("find", e))?;
        Ok(Cel::String(Arc::new(re.find(&s).map(|m| m.as_str().to_string()).unwrap_or_default())))
    });
    let _ = ctx.add_function("findAll", |This(s): This<Arc<String>>, pattern: Arc<String>| -> cel::ResolveResult {
        let re = crate::schema::compile_pattern(&pattern).map_err(|e| ExecutionError::function_error("findAll", e))?;
        Ok(Cel::List(Arc::new(re.find_iter(&s).map(|m| Cel::String(Arc::new(m.as_str().to_string()))).collect())))
    });
}
