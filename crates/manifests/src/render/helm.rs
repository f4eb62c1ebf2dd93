//! The Helm side: prints expressions as Go template pipelines and template trees as YAML text
//! with `{{- if }}`, `{{- range }}` and `toYaml` blocks.
//!
//! Every non-literal string is printed through `toJson` (a JSON string is a YAML double-quoted
//! scalar, so `"on"` and `"0755"` stay strings) and every integer through `int64` (numbers from
//! values files reach templates as floats, `1000000` would print as `1e+06`).

use serde_json::Value;

use super::names::COMPONENT_LABEL;
use super::yaml;
use crate::template::expr::{ChartField, Ex, Helper, ReleaseField, Root};
use crate::template::tree::{Entry, Guard, Item, Kind, LabelSet, Node, entries_guard, items_guard};

/// Where the printer is: inside a `range`, `.` is the loop item, so the root is `$`.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub chart: &'a str,
    pub in_range: bool,
}

impl Ctx<'_> {
    fn dot(&self) -> &'static str {
        if self.in_range { "$." } else { "." }
    }
    fn root(&self) -> &'static str {
        if self.in_range { "$" } else { "." }
    }
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A pipeline: `call` is true when it is a function call that needs parentheses as an argument.
struct Op {
    text: String,
    call: bool,
}

impl Op {
    fn atom(text: String) -> Op {
        Op { text, call: false }
    }
    fn call(text: String) -> Op {
        Op { text, call: true }
    }
    fn arg(self) -> String {
        if self.call { format!("({})", self.text) } else { self.text }
    }
}

fn literal(v: &Value) -> String {
    match v {
        Value::Null => "nil".into(),
        Value::String(s) => Value::String(s.clone()).to_string(),
        Value::Object(_) | Value::Array(_) => format!("(fromJson {})", Value::String(v.to_string())),
        other => other.to_string(),
    }
}

fn op(ex: &Ex, c: Ctx) -> Op {
    match ex {
        Ex::Lit(v) => Op::atom(literal(v)),
        Ex::Get(path) => {
            let base = match &path.root {
                Root::Values => format!("{}Values", c.dot()),
                Root::Var(name) => format!("${name}"),
            };
            if path.keys.iter().all(|k| is_ident(k)) {
                let mut text = base;
                for k in &path.keys {
                    text.push('.');
                    text.push_str(k);
                }
                Op::atom(text)
            } else {
                let keys: Vec<String> = path.keys.iter().map(|k| Value::String(k.clone()).to_string()).collect();
                Op::call(format!("index {base} {}", keys.join(" ")))
            }
        }
        Ex::Release(ReleaseField::Name) => Op::atom(format!("{}Release.Name", c.dot())),
        Ex::Release(ReleaseField::Namespace) => Op::atom(format!("{}Release.Namespace", c.dot())),
        Ex::Chart(ChartField::Name) => Op::atom(format!("{}Chart.Name", c.dot())),
        Ex::Chart(ChartField::Version) => Op::atom(format!("{}Chart.Version", c.dot())),
        Ex::Chart(ChartField::AppVersion) => Op::atom(format!("{}Chart.AppVersion", c.dot())),
        Ex::Helper(h) => {
            let name = match h {
                Helper::Name => "name",
                Helper::Fullname => "fullname",
                Helper::Chart => "chart",
                Helper::ServiceAccountName => "serviceAccountName",
            };
            Op::call(format!("include \"{}.{name}\" {}", c.chart, c.root()))
        }
        Ex::Concat(parts) => match parts.as_slice() {
            [one] => op(one, c),
            _ => Op::call(format!("print {}", args(parts, c))),
        },
        Ex::Default(v, fallback) => Op::call(format!("default {} {}", op(fallback, c).arg(), op(v, c).arg())),
        Ex::Ternary(cond, a, b) => Op::call(format!("ternary {} {} {}", op(a, c).arg(), op(b, c).arg(), op(cond, c).arg())),
        Ex::Eq(a, b) => Op::call(format!("eq {} {}", op(a, c).arg(), op(b, c).arg())),
        Ex::Lt(a, b) => Op::call(format!("lt (int64 {}) (int64 {})", op(a, c).arg(), op(b, c).arg())),
        Ex::Not(a) => Op::call(format!("not {}", op(a, c).arg())),
        Ex::And(parts) => Op::call(format!("and {}", args(parts, c))),
        Ex::Or(parts) => Op::call(format!("or {}", args(parts, c))),
        Ex::IsSet(a) => Op::call(format!("not (empty {})", op(a, c).arg())),
        Ex::NonZero(a) => Op::call(format!("ne (int64 {}) 0", op(a, c).arg())),
        Ex::Present(a) => Op::call(format!("ne (toString {}) \"\"", op(a, c).arg())),
        Ex::PortOf(a) => Op::call(format!("int64 (last (splitList \":\" {}))", op(a, c).arg())),
        Ex::IntStr(a) => Op::call(format!("toString (int64 {})", op(a, c).arg())),
        Ex::BoolStr(a) => Op::call(format!("toString {}", op(a, c).arg())),
        Ex::Required(a, message) => Op::call(format!("required {} {}", Value::String(message.clone()), op(a, c).arg())),
        Ex::Checksum(file) => Op::call(format!("include (print $.Template.BasePath \"/{file}\") {} | sha256sum", c.root())),
        Ex::NumStr(a) => Op::call(format!("toJson {}", op(a, c).arg())),
        Ex::Digest(a) => Op::call(format!("trunc 10 (sha256sum (toString {}))", op(a, c).arg())),
        // `url.QueryEscape` leaves only the unreserved characters and writes a space as `+`
        // (a `+` of the string is `%2B` by then): every `+` left is a space.
        Ex::PercentEncode(a) => Op::call(format!("replace \"+\" \"%20\" (urlquery {})", op(a, c).arg())),
        // The define yields "true" or nothing; where a boolean is needed (`ternary`), compare.
        Ex::Named(name, _) => Op::call(format!("eq (include \"{}.{name}\" {}) \"true\"", c.chart, c.root())),
        Ex::Len(a) => Op::call(format!("len {}", op(a, c).arg())),
        Ex::Shaped(a, shape) => Op::call(format!("regexMatch {} {}", Value::String(shape.pattern().to_string()), op(a, c).arg())),
        Ex::Matches(a, pattern) => Op::call(format!("regexMatch {} (toString {})", Value::String(pattern.to_string()), op(a, c).arg())),
        Ex::AtLeastVersion(a, min) => Op::call(crate::template::version::helm_condition(&op(a, c).arg(), min)),
        Ex::Dict(entries) => Op::call(format!("dict {}", entries.iter().map(|(k, v)| format!("{} {}", Value::String(k.clone()), op(v, c).arg())).collect::<Vec<_>>().join(" "))),
        Ex::List(items) if items.is_empty() => Op::call("list".into()),
        Ex::List(items) => Op::call(format!("list {}", args(items, c))),
        Ex::Problem(rule, a, path) => {
            Op::call(format!("include \"{}.{}\" (list {} {})", c.chart, super::rules_tpl::helper(*rule), op(a, c).arg(), Value::String(path.to_string())))
        }
    }
}

/// An expression as the argument of a function (`fail`, `with`): a literal as it is, a call in
/// parentheses.
pub(crate) fn op_text(ex: &Ex, c: Ctx) -> String {
    op(ex, c).arg()
}

fn args(parts: &[Ex], c: Ctx) -> String {
    parts.iter().map(|p| op(p, c).arg()).collect::<Vec<_>>().join(" ")
}

/// A condition for `{{- if }}`: Go templates judge truth themselves, so "is set" needs no `empty`.
pub(crate) fn cond(ex: &Ex, c: Ctx) -> String {
    match ex {
        Ex::IsSet(a) => op(a, c).text,
        Ex::Not(inner) => match inner.as_ref() {
            Ex::IsSet(a) => format!("not {}", op(a, c).arg()),
            other => format!("not {}", cond_arg(other, c)),
        },
        Ex::And(parts) => format!("and {}", parts.iter().map(|p| cond_arg(p, c)).collect::<Vec<_>>().join(" ")),
        Ex::Or(parts) => format!("or {}", parts.iter().map(|p| cond_arg(p, c)).collect::<Vec<_>>().join(" ")),
        // Go templates take the define's "true" or "" as true or false.
        Ex::Named(name, _) => format!("include \"{}.{name}\" {}", c.chart, c.root()),
        other => op(other, c).text,
    }
}

/// The `define` of a named condition, for `_helpers.tpl`.
pub(crate) fn condition_define(chart: &str, name: &str, ex: &Ex) -> String {
    let c = Ctx { chart, in_range: false };
    format!("{{{{- define \"{chart}.{name}\" -}}}}\n{{{{- if {} -}}}}true{{{{- end -}}}}\n{{{{- end }}}}\n", cond(ex, c))
}

fn cond_arg(ex: &Ex, c: Ctx) -> String {
    let text = cond(ex, c);
    if text.contains(' ') && !(text.starts_with('(') && text.ends_with(')')) { format!("({text})") } else { text }
}

/// A leaf value as template text.
pub(crate) fn scalar(ex: &Ex, kind: Kind, c: Ctx) -> String {
    if let Ex::Lit(v) = ex {
        return yaml::scalar(v);
    }
    let o = op(ex, c);
    match kind {
        Kind::Int => format!("{{{{ {} | int64 }}}}", o.text),
        Kind::Bool => format!("{{{{ {} }}}}", o.text),
        Kind::Str | Kind::Any => format!("{{{{ {} | toJson }}}}", o.text),
    }
}

/// Inline text (NOTES.txt): the value as it is, no quoting.
pub(crate) fn text(ex: &Ex, c: Ctx) -> String {
    match ex {
        Ex::Lit(Value::String(s)) => s.clone(),
        _ => format!("{{{{ {} }}}}", op(ex, c).text),
    }
}

/// Prints template trees line by line.
pub(crate) struct Printer<'a> {
    pub out: String,
    pub chart: &'a str,
    /// Conditions of the enclosing guards: a guard already in force is not printed again.
    pub guards: Vec<String>,
}

impl Printer<'_> {
    fn line(&mut self, indent: usize, text: &str) {
        self.line_fmt(indent, format_args!("{text}"));
    }

    /// A line formatted straight into the output: a chart prints thousands of lines, and a
    /// temporary string for each was a good part of the cost of printing templates.
    fn line_fmt(&mut self, indent: usize, args: std::fmt::Arguments) {
        use std::fmt::Write as _;
        for _ in 0..indent {
            self.out.push(' ');
        }
        let _ = self.out.write_fmt(args);
        self.out.push('\n');
    }

    pub(crate) fn directive(&mut self, indent: usize, text: &str) {
        self.line_fmt(indent, format_args!("{{{{- {text} }}}}"));
    }

    pub(crate) fn entries(&mut self, entries: &[Entry], indent: usize, c: Ctx) {
        for entry in entries {
            match entry {
                Entry::Field(k, node) => self.field(k, node, indent, c),
                Entry::When(test, then, otherwise) => {
                    let test = cond(test, c);
                    if otherwise.is_empty() && self.guards.contains(&test) {
                        self.entries(then, indent, c);
                        continue;
                    }
                    self.directive(indent, &format!("if {test}"));
                    self.guards.push(test);
                    self.entries(then, indent, c);
                    self.guards.pop();
                    if !otherwise.is_empty() {
                        self.directive(indent, "else");
                        self.entries(otherwise, indent, c);
                    }
                    self.directive(indent, "end");
                }
                Entry::Spread(ex) => {
                    self.directive(indent, &format!("with {}", op(ex, c).text));
                    self.directive(indent, &format!("toYaml . | nindent {indent}"));
                    self.directive(indent, "end");
                }
                Entry::Labels(set) => {
                    let (helper, component) = match set {
                        LabelSet::All(comp) => ("labels", comp),
                        LabelSet::Selector(comp) => ("selectorLabels", comp),
                    };
                    self.directive(indent, &format!("include \"{}.{helper}\" {} | nindent {indent}", self.chart, c.root()));
                    if let Some(comp) = component {
                        self.line_fmt(indent, format_args!("{COMPONENT_LABEL}: {}", yaml::scalar(&Value::String(comp.to_string()))));
                    }
                }
            }
        }
    }

    fn guarded(&mut self, guard: Guard, indent: usize, c: Ctx, body: impl FnOnce(&mut Self)) {
        match guard {
            Guard::Always => body(self),
            Guard::Never => {}
            Guard::When(test) => {
                let test = cond(&test, c);
                if self.guards.contains(&test) {
                    return body(self);
                }
                self.directive(indent, &format!("if {test}"));
                self.guards.push(test);
                body(self);
                self.guards.pop();
                self.directive(indent, "end");
            }
        }
    }

    fn field(&mut self, k: &str, node: &Node, indent: usize, c: Ctx) {
        let key = yaml::key(k);
        // A map that is only a free-form setting prints as that setting.
        if let Node::Map(entries) = node
            && let [Entry::Spread(ex)] = entries.as_slice()
        {
            return self.field(k, &Node::Raw(ex.clone()), indent, c);
        }
        match node {
            Node::Scalar(ex, kind) => self.line_fmt(indent, format_args!("{key}: {}", scalar(ex, *kind, c))),
            // Under a guard that already tests the setting, no `with` is needed.
            Node::Raw(ex) if self.guards.contains(&op(ex, c).text) => {
                self.line_fmt(indent, format_args!("{key}:"));
                self.directive(indent + 2, &format!("toYaml {} | nindent {}", op(ex, c).arg(), indent + 2));
            }
            Node::Raw(ex) => {
                self.directive(indent, &format!("with {}", op(ex, c).text));
                self.line_fmt(indent, format_args!("{key}:"));
                self.directive(indent + 2, &format!("toYaml . | nindent {}", indent + 2));
                self.directive(indent, "end");
            }
            Node::Map(entries) if entries.is_empty() => self.line_fmt(indent, format_args!("{key}: {{}}")),
            Node::Map(entries) => self.guarded(entries_guard(entries), indent, c, |p| {
                p.line_fmt(indent, format_args!("{key}:"));
                p.entries(entries, indent + 2, c);
            }),
            Node::List(items) if items.is_empty() => self.line_fmt(indent, format_args!("{key}: []")),
            Node::List(items) => self.guarded(items_guard(items), indent, c, |p| {
                p.line_fmt(indent, format_args!("{key}:"));
                p.items(items, indent + 2, c);
            }),
        }
    }

    pub(crate) fn items(&mut self, items: &[Item], indent: usize, c: Ctx) {
        for item in items {
            match item {
                Item::One(node) => self.item(node, indent, c),
                Item::When(test, then, otherwise) => {
                    let test = cond(test, c);
                    if otherwise.is_empty() && self.guards.contains(&test) {
                        self.items(then, indent, c);
                        continue;
                    }
                    self.directive(indent, &format!("if {test}"));
                    self.guards.push(test);
                    self.items(then, indent, c);
                    self.guards.pop();
                    if !otherwise.is_empty() {
                        self.directive(indent, "else");
                        self.items(otherwise, indent, c);
                    }
                    self.directive(indent, "end");
                }
                Item::Range(var, ex, node) => {
                    self.directive(indent, &format!("range ${var} := {}", op(ex, c).text));
                    self.item(node, indent, Ctx { in_range: true, ..c });
                    self.directive(indent, "end");
                }
                Item::Spread(ex) => {
                    self.directive(indent, &format!("with {}", op(ex, c).text));
                    self.directive(indent, &format!("toYaml . | nindent {indent}"));
                    self.directive(indent, "end");
                }
            }
        }
    }

    fn item(&mut self, node: &Node, indent: usize, c: Ctx) {
        match node {
            Node::Scalar(ex, kind) => self.line_fmt(indent, format_args!("- {}", scalar(ex, *kind, c))),
            Node::Map(entries) if entries.is_empty() => self.line(indent, "- {}"),
            Node::List(items) if items.is_empty() => self.line(indent, "- []"),
            Node::Map(entries) => {
                let start = self.out.len();
                self.entries(entries, indent + 2, c);
                self.dash(start, indent);
            }
            Node::List(items) => {
                let start = self.out.len();
                self.items(items, indent + 2, c);
                self.dash(start, indent);
            }
            Node::Raw(ex) => {
                self.line(indent, "-");
                self.directive(indent + 2, &format!("toYaml {} | nindent {}", op(ex, c).arg(), indent + 2));
            }
        }
    }

    /// Puts the item's dash on its first line when that line is content, or on a line of its
    /// own before a leading directive.
    fn dash(&mut self, start: usize, indent: usize) {
        let pad = " ".repeat(indent + 2);
        let first = &self.out[start..];
        if first.starts_with(&pad) && !first[pad.len()..].starts_with("{{-") {
            let dashed = format!("{}- ", " ".repeat(indent));
            self.out.replace_range(start..start + pad.len(), &dashed);
        } else {
            self.out.insert_str(start, &format!("{}-\n", " ".repeat(indent)));
        }
    }
}
