//! Values and expressions: typed handles into values.yaml and the small expression language that
//! both renderers understand.
//!
//! A build function never sees a concrete value. It holds [`Knob`]s (a path in values.yaml with
//! the Rust type found there) and combines them into [`Expr`]s. An `Expr<bool>` has no `bool`
//! inside, so branching goes through the gates of the template tree (`when`), which both
//! renderers honour, and never through a plain `if` that would bake one value into the chart.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde_json::Value;

use crate::rules::{Shape, ValuesRule};

/// Where a value lives: under `.Values`, or under a loop variable bound by a range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Root {
    /// `.Values`.
    Values,
    /// A `range` variable (`$host`).
    Var(&'static str),
}

/// A path into the values tree, such as `persistence.size`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    pub(crate) root: Root,
    pub(crate) keys: Vec<String>,
}

impl Path {
    /// The root of the values, `.Values`.
    pub fn values() -> Self {
        Path { root: Root::Values, keys: Vec::new() }
    }

    /// The item bound by a range loop (`{{- range $name := ... }}`).
    pub fn var(name: &'static str) -> Self {
        Path { root: Root::Var(name), keys: Vec::new() }
    }

    /// The path one key further down.
    pub fn child(&self, key: &str) -> Self {
        let mut keys = self.keys.clone();
        keys.push(key.to_string());
        Path { root: self.root.clone(), keys }
    }

    /// `persistence.size`, as error messages and docs name it.
    pub fn dotted(&self) -> String {
        let mut out = match &self.root {
            Root::Values => String::new(),
            Root::Var(v) => format!("${v}"),
        };
        for key in &self.keys {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(key);
        }
        out
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.dotted())
    }
}

/// A field of `.Release`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReleaseField {
    /// `.Release.Name`.
    Name,
    /// `.Release.Namespace`.
    Namespace,
}

/// A field of `.Chart`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartField {
    /// `.Chart.Name`.
    Name,
    /// `.Chart.Version`.
    Version,
    /// `.Chart.AppVersion`.
    AppVersion,
}

/// Named templates of `_helpers.tpl` that produce a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Helper {
    /// `<chart>.name`.
    Name,
    /// `<chart>.fullname`.
    Fullname,
    /// `<chart>.chart`.
    Chart,
    /// `<chart>.serviceAccountName`.
    ServiceAccountName,
}

/// The untyped expression tree. [`Expr`] wraps it with the type it produces.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub enum Ex {
    Lit(Value),
    Get(Path),
    Release(ReleaseField),
    Chart(ChartField),
    Helper(Helper),
    /// Strings joined without separator.
    Concat(Vec<Ex>),
    /// The first operand unless it is empty (Helm's `default`).
    Default(Box<Ex>, Box<Ex>),
    Ternary(Box<Ex>, Box<Ex>, Box<Ex>),
    Eq(Box<Ex>, Box<Ex>),
    /// Integer comparison, `a < b`.
    Lt(Box<Ex>, Box<Ex>),
    Not(Box<Ex>),
    And(Vec<Ex>),
    Or(Vec<Ex>),
    /// Non-empty, as Go templates judge truth (strings, lists, maps).
    IsSet(Box<Ex>),
    /// An integer other than 0. Not Go truth: Helm 3.18.0 hands numbers from values files to
    /// templates as `json.Number`, a string, so `{{ if 0 }}` would hold there.
    NonZero(Box<Ex>),
    /// Anything but the empty string: unlike Go truth, `0` and `false` count as present.
    Present(Box<Ex>),
    /// The port of a listen address: the number after the last `:` (`":8080"`, `"0.0.0.0:80"`).
    PortOf(Box<Ex>),
    /// An integer as a decimal string.
    IntStr(Box<Ex>),
    /// A boolean as `true`/`false`.
    BoolStr(Box<Ex>),
    /// The value, or a render error with the message when it is empty (Helm's `required`).
    Required(Box<Ex>, String),
    /// SHA-256 of what a template file renders (Helm: `include ... | sha256sum`).
    Checksum(String),
    /// The first 10 hex digits of the SHA-256 of a string (Helm: `sha256sum | trunc 10`).
    Digest(Box<Ex>),
    /// A string with every byte but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`)
    /// written `%XX`, in upper case (Helm: `urlquery`, Go's `url.QueryEscape`, then `replace "+"
    /// "%20"`, since `url.QueryEscape` writes a space as `+`, which a URL's userinfo or path keeps
    /// as a plus).
    PercentEncode(Box<Ex>),
    /// A number as Go's JSON encoding prints it (Helm: `toJson`), the same text in Helm 3 and 4
    /// for numbers from values files (floats) and from `--set` (integers).
    NumStr(Box<Ex>),
    /// A condition the model named (`Model::condition`): the chart defines it once in
    /// `_helpers.tpl` and includes it wherever it is used.
    /// Shared, not copied: conditions are cloned often (guards) and only the name is printed.
    Named(std::sync::Arc<str>, std::sync::Arc<Ex>),
    /// The length of a string in bytes (Helm's `len`).
    Len(Box<Ex>),
    /// True when the string has the shape (Helm's `regexMatch`).
    Shaped(Box<Ex>, Shape),
    /// True when the tag is release `min` or later, or not a version ([`super::version`]).
    AtLeastVersion(Box<Ex>, String),
    /// True when the string matches the regular expression (Helm's `regexMatch`; a pattern both
    /// Go's RE2 and regex-lite read alike: classes, repetition, anchors, no look-around).
    Matches(Box<Ex>, &'static str),
    /// The first problem the API server would find in the value of a setting, or the empty
    /// string: a rule of [`crate::rules`], a helper of `_helpers.tpl` in the chart. The path
    /// names the setting in the message.
    Problem(ValuesRule, Box<Ex>, std::sync::Arc<str>),
    /// A list of the values (Helm's `list`): the arguments of a rule over several settings.
    List(Vec<Ex>),
    /// A map of the values (Helm's `dict`).
    Dict(Vec<(String, Ex)>),
}

/// A typed expression: `Expr<String>`, `Expr<i64>`, `Expr<bool>` or `Expr<Value>` (free-form).
pub struct Expr<T> {
    pub(crate) ex: Ex,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Expr<T> {
    fn clone(&self) -> Self {
        Expr::wrap(self.ex.clone())
    }
}

impl<T> fmt::Debug for Expr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.ex.fmt(f)
    }
}

impl<T> Expr<T> {
    pub(crate) fn wrap(ex: Ex) -> Self {
        Expr { ex, _t: PhantomData }
    }

    /// This value unless it is empty, then `fallback` (Helm's `default`).
    pub fn or_else(&self, fallback: impl Into<Expr<T>>) -> Expr<T> {
        Expr::wrap(Ex::Default(Box::new(self.ex.clone()), Box::new(fallback.into().ex)))
    }

    /// Fails rendering with `message` when the value is empty (Helm's `required`).
    pub fn required(&self, message: &str) -> Expr<T> {
        Expr::wrap(Ex::Required(Box::new(self.ex.clone()), message.to_string()))
    }

    /// True when both are equal (Helm's `eq`).
    pub fn eq(&self, other: impl Into<Expr<T>>) -> Expr<bool> {
        Expr::wrap(Ex::Eq(Box::new(self.ex.clone()), Box::new(other.into().ex)))
    }

    /// True when they differ (Helm's `ne`).
    pub fn ne(&self, other: impl Into<Expr<T>>) -> Expr<bool> {
        self.eq(other).not()
    }

    /// The value of a literal, or of a plain setting looked up in `values` (a values tree such
    /// as an application's defaults); `None` for anything computed, or a setting `values` lacks.
    /// For tools beside the chart (the setup wizard) that name what a setting means by default.
    pub fn plain_value(&self, values: &Value) -> Option<Value> {
        match &self.ex {
            Ex::Lit(v) => Some(v.clone()),
            Ex::Get(Path { root: Root::Values, keys }) => keys.iter().try_fold(values, |node, k| node.get(k)).cloned(),
            _ => None,
        }
    }
}

/// What "set" means for a type: non-empty for strings and free-form values, non-zero for
/// integers.
pub trait Truth {
    #[doc(hidden)]
    fn is_set(ex: Ex) -> Ex;
}

impl Truth for String {
    fn is_set(ex: Ex) -> Ex {
        Ex::IsSet(Box::new(ex))
    }
}

impl Truth for Value {
    fn is_set(ex: Ex) -> Ex {
        Ex::IsSet(Box::new(ex))
    }
}

impl Truth for i64 {
    fn is_set(ex: Ex) -> Ex {
        Ex::NonZero(Box::new(ex))
    }
}

impl<T: Truth> Expr<T> {
    /// True when the value is set: a non-empty string, list or map, or a non-zero integer.
    pub fn is_set(&self) -> Expr<bool> {
        Expr::wrap(T::is_set(self.ex.clone()))
    }
}

impl Expr<bool> {
    /// The negation.
    #[allow(clippy::should_implement_trait)]
    pub fn not(&self) -> Expr<bool> {
        match &self.ex {
            Ex::Lit(Value::Bool(b)) => Expr::from(!b),
            _ => Expr::wrap(Ex::Not(Box::new(self.ex.clone()))),
        }
    }

    /// Both hold. A literal `true` on either side drops out, so the chart's text stays plain.
    pub fn and(&self, other: impl Into<Expr<bool>>) -> Expr<bool> {
        let other = other.into().ex;
        match (&self.ex, &other) {
            (_, Ex::Lit(Value::Bool(true))) => self.clone(),
            (Ex::Lit(Value::Bool(true)), _) => Expr::wrap(other),
            (_, Ex::Lit(Value::Bool(false))) | (Ex::Lit(Value::Bool(false)), _) => Expr::from(false),
            // `and` takes any number of arguments: one flat call reads better than nested ones.
            _ => Expr::wrap(Ex::And(flatten(self.ex.clone(), other, true))),
        }
    }

    /// Either holds. A literal `false` on either side drops out.
    pub fn or(&self, other: impl Into<Expr<bool>>) -> Expr<bool> {
        let other = other.into().ex;
        match (&self.ex, &other) {
            (_, Ex::Lit(Value::Bool(false))) => self.clone(),
            (Ex::Lit(Value::Bool(false)), _) => Expr::wrap(other),
            (_, Ex::Lit(Value::Bool(true))) | (Ex::Lit(Value::Bool(true)), _) => Expr::from(true),
            _ => Expr::wrap(Ex::Or(flatten(self.ex.clone(), other, false))),
        }
    }

    /// `then` when this holds, otherwise `otherwise`.
    pub fn then<T>(&self, then: impl Into<Expr<T>>, otherwise: impl Into<Expr<T>>) -> Expr<T> {
        Expr::wrap(Ex::Ternary(Box::new(self.ex.clone()), Box::new(then.into().ex), Box::new(otherwise.into().ex)))
    }

    /// `"true"` or `"false"`, for environment variables and ConfigMap data.
    pub fn string(&self) -> Expr<String> {
        Expr::wrap(Ex::BoolStr(Box::new(self.ex.clone())))
    }
}

/// The operands of `a op b`, with those of `a` or `b` spliced in when they are `op` calls too.
fn flatten(a: Ex, b: Ex, and: bool) -> Vec<Ex> {
    let mut parts = Vec::new();
    for e in [a, b] {
        match (e, and) {
            (Ex::And(inner), true) | (Ex::Or(inner), false) => parts.extend(inner),
            (other, _) => parts.push(other),
        }
    }
    parts
}

impl Expr<Value> {
    /// True unless the value is the empty string: `0` counts as set (for settings where `""`
    /// means "not set" and `0` is meaningful, such as `minAvailable`).
    pub fn is_present(&self) -> Expr<bool> {
        Expr::wrap(Ex::Present(Box::new(self.ex.clone())))
    }
}

impl Expr<i64> {
    /// `self < other`, as integers.
    pub fn lt(&self, other: impl Into<Expr<i64>>) -> Expr<bool> {
        Expr::wrap(Ex::Lt(Box::new(self.ex.clone()), Box::new(other.into().ex)))
    }

    /// The decimal string, for environment variables and ConfigMap data.
    pub fn string(&self) -> Expr<String> {
        Expr::wrap(Ex::IntStr(Box::new(self.ex.clone())))
    }
}

impl Expr<f64> {
    /// The number as text, for environment variables and ConfigMap data: `0.7`, `2`, `1e-7`,
    /// `1e+21` (Go's JSON notation, which Helm's `toJson` prints).
    pub fn string(&self) -> Expr<String> {
        Expr::wrap(Ex::NumStr(Box::new(self.ex.clone())))
    }
}

/// Join strings: `concat([name.clone(), "-mqtt".into()])`.
pub fn concat(parts: impl IntoIterator<Item = Expr<String>>) -> Expr<String> {
    Expr::wrap(Ex::Concat(parts.into_iter().map(|p| p.ex).collect()))
}

/// Builds a string from a template with `{}` holes and one expression per hole, as `format!`
/// does: `text!("requirepass {}\nport {}\n", &v.password, &v.port)`. An argument is a string, a
/// setting or an expression ([`TextArg`]); a number or a boolean prints as `toJson` prints it.
/// `{{` and `}}` are literal braces. The chart renders it as one Go template expression
/// (`print "requirepass " .Values.password ...`). A template whose holes and arguments differ
/// in number does not compile.
///
/// ```
/// let conf = kforge::text!("port {}\nname {{{}}}\n", "6379", kforge::release_name());
/// # let _ = conf;
/// ```
///
/// ```compile_fail
/// let conf = kforge::text!("port {}\nname {}\n", "6379");
/// ```
///
/// A section is no text:
///
/// ```compile_fail,E0277
/// use kforge::Knobbed;
/// let image = kforge::kit::Image::handle(kforge::Path::values().child("image"));
/// let conf = kforge::text!("image {}\n", &image);
/// ```
#[macro_export]
macro_rules! text {
    ($template:literal $(, $arg:expr)* $(,)?) => {{
        const _: () = assert!(
            $crate::expr::text_holes($template) == <[()]>::len(&[$($crate::__unit!($arg)),*]),
            "text!: the template needs one argument per {{}} (and {{{{ or }}}} for a literal brace)"
        );
        $crate::expr::text_parts($template, ::std::vec![$($crate::expr::TextArg::text_arg($arg)),*])
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __unit {
    ($x:expr) => {
        ()
    };
}

/// What [`text!`] takes for a hole: a string (`"6379"`), a setting (`&v.port`, a number or a
/// boolean printed as `toJson` prints it) or an expression (`release_name()`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot fill a hole of text!",
    label = "give a string, a setting (`&v.port`) or an expression",
    note = "a section is no text: name one of its settings"
)]
pub trait TextArg {
    /// The argument as text.
    fn text_arg(self) -> Expr<String>;
}

/// The value types a setting or an expression prints from in [`text!`].
pub trait Printable: Sized {
    /// `e` as text.
    fn print(e: Expr<Self>) -> Expr<String>;
}

impl Printable for String {
    fn print(e: Expr<String>) -> Expr<String> {
        e
    }
}

impl Printable for i64 {
    fn print(e: Expr<i64>) -> Expr<String> {
        e.string()
    }
}

impl Printable for f64 {
    fn print(e: Expr<f64>) -> Expr<String> {
        e.string()
    }
}

impl Printable for bool {
    fn print(e: Expr<bool>) -> Expr<String> {
        e.string()
    }
}

impl TextArg for &str {
    fn text_arg(self) -> Expr<String> {
        self.into()
    }
}

impl TextArg for String {
    fn text_arg(self) -> Expr<String> {
        self.into()
    }
}

impl TextArg for &String {
    fn text_arg(self) -> Expr<String> {
        self.into()
    }
}

impl<O: Printable> TextArg for Expr<O> {
    fn text_arg(self) -> Expr<String> {
        O::print(self)
    }
}

impl<O: Printable> TextArg for &Expr<O> {
    fn text_arg(self) -> Expr<String> {
        O::print(self.clone())
    }
}

impl<T: Leaf> TextArg for &Knob<T>
where
    T::Out: Printable,
{
    fn text_arg(self) -> Expr<String> {
        T::Out::print(self.expr())
    }
}

impl<T: Leaf> TextArg for Knob<T>
where
    T::Out: Printable,
{
    fn text_arg(self) -> Expr<String> {
        T::Out::print(self.expr())
    }
}

/// The number of `{}` holes of a [`text!`] template, or `usize::MAX` (which no argument count
/// matches) for a lone `{` or `}`.
#[doc(hidden)]
pub const fn text_holes(template: &str) -> usize {
    let b = template.as_bytes();
    let (mut i, mut holes) = (0, 0);
    while i < b.len() {
        let next = if i + 1 < b.len() { b[i + 1] } else { 0 };
        match (b[i], next) {
            (b'{', b'}') => holes += 1,
            (b'{', b'{') | (b'}', b'}') => {}
            (b'{', _) | (b'}', _) => return usize::MAX,
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    holes
}

/// The [`text!`] template's literal parts and `args`, joined.
#[doc(hidden)]
pub fn text_parts(template: &'static str, args: Vec<Expr<String>>) -> Expr<String> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut args = args.into_iter();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('{', Some('}')) => {
                chars.next();
                match args.next() {
                    // A literal argument joins the text around it: one string in the chart.
                    Some(Expr { ex: Ex::Lit(Value::String(s)), .. }) => literal.push_str(&s),
                    Some(arg) => {
                        if !literal.is_empty() {
                            parts.push(Expr::from(std::mem::take(&mut literal)));
                        }
                        parts.push(arg);
                    }
                    None => {}
                }
            }
            ('{', Some('{')) | ('}', Some('}')) => {
                chars.next();
                literal.push(c);
            }
            _ => literal.push(c),
        }
    }
    if !literal.is_empty() {
        parts.push(Expr::from(literal));
    }
    concat(parts)
}

/// A literal free-form value.
pub fn json(value: Value) -> Expr<Value> {
    Expr::wrap(Ex::Lit(value))
}

/// The release name (`.Release.Name`).
pub fn release_name() -> Expr<String> {
    Expr::wrap(Ex::Release(ReleaseField::Name))
}

/// The namespace of the release (`.Release.Namespace`).
pub fn release_namespace() -> Expr<String> {
    Expr::wrap(Ex::Release(ReleaseField::Namespace))
}

/// The chart's appVersion (`.Chart.AppVersion`).
pub fn app_version() -> Expr<String> {
    Expr::wrap(Ex::Chart(ChartField::AppVersion))
}

/// The chart's version (`.Chart.Version`).
pub fn chart_version() -> Expr<String> {
    Expr::wrap(Ex::Chart(ChartField::Version))
}

/// The chart name (`.Chart.Name`).
pub fn chart_name() -> Expr<String> {
    Expr::wrap(Ex::Chart(ChartField::Name))
}

/// The chart's fullname helper: the release name, prefixed to the chart name unless it already
/// contains it, honouring `nameOverride` and `fullnameOverride`. The helper cuts it at 63
/// characters, as `helm create`'s does; an object's name longer than its kind allows (a
/// Service's 63, a StatefulSet's 52, with a [`fullname_with`] suffix) is refused by both
/// renderers, not cut, so that two names never become one.
pub fn fullname() -> Expr<String> {
    Expr::wrap(Ex::Helper(Helper::Fullname))
}

/// `fullname` with a suffix: `<fullname>-<suffix>` (`aeterna-qdrant-headless`).
pub fn fullname_with(suffix: &str) -> Expr<String> {
    concat([fullname(), Expr::from(format!("-{suffix}"))])
}

/// The service account the pods run as (the `serviceAccountName` helper).
pub fn service_account_name() -> Expr<String> {
    Expr::wrap(Ex::Helper(Helper::ServiceAccountName))
}

/// SHA-256 of what a template file of this chart renders; pods annotated with it roll when
/// that file changes.
pub fn checksum_of(template_file: &str) -> Expr<String> {
    Expr::wrap(Ex::Checksum(template_file.to_string()))
}

impl Expr<String> {
    /// True when the string matches `pattern`, a regular expression Go's RE2 and regex-lite
    /// read alike (Helm's `regexMatch`): a shape an application's program needs of a setting,
    /// such as DBBat's key, base64 of 32 bytes (`^[A-Za-z0-9+/]{43}=$`). Panics on a pattern
    /// regex-lite refuses (a programming error).
    pub fn matches(&self, pattern: &'static str) -> Expr<bool> {
        assert!(regex_lite::Regex::new(pattern).is_ok(), "not a regular expression: {pattern}");
        Expr::wrap(Ex::Matches(Box::new(self.ex.clone()), pattern))
    }

    /// True when this image tag is release `min` (`0.8.0-rc.9`) or later, or is not a version
    /// (`main`, `latest`: those count as the newest). The rule is [`super::version`]'s; Helm
    /// tests it with `semverCompare`. Panics when `min` is not a version (a programming error).
    pub fn version_at_least(&self, min: &str) -> Expr<bool> {
        super::version::check_min(min);
        Expr::wrap(Ex::AtLeastVersion(Box::new(self.ex.clone()), min.to_string()))
    }

    /// The first 10 hex digits of the SHA-256 of the string (Helm: `sha256sum | trunc 10`): a
    /// name suffix that changes exactly when the string does, for objects that must be new
    /// rather than updated when what they run changes (a Job's pod template is immutable).
    pub fn digest(&self) -> Expr<String> {
        Expr::wrap(Ex::Digest(Box::new(self.ex.clone())))
    }

    /// The string percent-encoded for a URL: every byte but the unreserved characters of RFC 3986
    /// (`A-Z a-z 0-9 - . _ ~`) is written `%XX`, so that the string, whatever it holds, can be a
    /// URL's user or password, a path segment or a query value, and reads back intact (Go's
    /// `net/url` decodes it so). For a password in a connection URL: `text!("postgres://{}:{}@{}/",
    /// &v.user.expr().percent_encoded(), &v.password.expr().percent_encoded(), &v.host)`. The
    /// chart prints `replace "+" "%20" (urlquery ...)`.
    pub fn percent_encoded(&self) -> Expr<String> {
        Expr::wrap(Ex::PercentEncode(Box::new(self.ex.clone())))
    }
}

impl From<&str> for Expr<String> {
    fn from(s: &str) -> Self {
        Expr::wrap(Ex::Lit(Value::String(s.to_string())))
    }
}

impl From<String> for Expr<String> {
    fn from(s: String) -> Self {
        Expr::wrap(Ex::Lit(Value::String(s)))
    }
}

impl From<&String> for Expr<String> {
    fn from(s: &String) -> Self {
        Expr::from(s.as_str())
    }
}

impl From<&Expr<String>> for Expr<String> {
    fn from(e: &Expr<String>) -> Self {
        e.clone()
    }
}

impl From<&Expr<bool>> for Expr<bool> {
    fn from(e: &Expr<bool>) -> Self {
        e.clone()
    }
}

impl From<&Expr<i64>> for Expr<i64> {
    fn from(e: &Expr<i64>) -> Self {
        e.clone()
    }
}

impl From<bool> for Expr<bool> {
    fn from(b: bool) -> Self {
        Expr::wrap(Ex::Lit(Value::Bool(b)))
    }
}

macro_rules! int_literals {
    ($($t:ty),*) => {$(
        impl From<$t> for Expr<i64> {
            fn from(n: $t) -> Self {
                Expr::wrap(Ex::Lit(Value::from(i64::from(n))))
            }
        }
    )*};
}
int_literals!(i64, i32, u32, u16, u8);

// ----- knobs -------------------------------------------------------------------------------

/// A typed handle on one setting of values.yaml: where it lives and what Rust type it has.
pub struct Knob<T> {
    path: Path,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Knob<T> {
    fn clone(&self) -> Self {
        Knob::at(self.path.clone())
    }
}

impl<T> fmt::Debug for Knob<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Knob({})", self.path)
    }
}

impl<T> Knob<T> {
    /// The handle of the setting at `path`.
    pub fn at(path: Path) -> Self {
        Knob { path, _t: PhantomData }
    }

    /// Where the setting lives in values.yaml.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole value, passed through as it is (lists and maps are rendered with `toYaml`).
    pub fn raw(&self) -> Expr<Value> {
        Expr::wrap(Ex::Get(self.path.clone()))
    }
}

impl<T: Leaf> Knob<T>
where
    T::Out: Truth,
{
    /// True when the setting is set: a non-empty string, list or map, or a non-zero integer.
    pub fn is_set(&self) -> Expr<bool> {
        Expr::wrap(T::Out::is_set(Ex::Get(self.path.clone())))
    }
}

impl<T: Leaf> Knob<T> {
    /// The setting's value, as an expression.
    pub fn expr(&self) -> Expr<T::Out> {
        Expr::wrap(Ex::Get(self.path.clone()))
    }

    /// This value unless it is empty, then `fallback`.
    pub fn or_else(&self, fallback: impl Into<Expr<T::Out>>) -> Expr<T::Out> {
        self.expr().or_else(fallback)
    }

    /// Fails rendering with `message` when the value is empty.
    pub fn required(&self, message: &str) -> Expr<T::Out> {
        self.expr().required(message)
    }
}

impl<T: Leaf<Out = String> + serde::Serialize> Knob<T> {
    /// True when the setting equals `variant` (an enum value or a string).
    pub fn is(&self, variant: T) -> Expr<bool> {
        let lit = serde_json::to_value(variant).expect("a values enum serializes to a string");
        Expr::wrap(Ex::Eq(Box::new(Ex::Get(self.path.clone())), Box::new(Ex::Lit(lit))))
    }
}

impl<T: Leaf<Out = Value>> Knob<T> {
    /// True unless the setting is the empty string (`0` counts as set).
    pub fn is_present(&self) -> Expr<bool> {
        self.expr().is_present()
    }
}

impl Knob<bool> {
    /// The negation.
    pub fn not(&self) -> Expr<bool> {
        self.expr().not()
    }

    /// True when both hold.
    pub fn and(&self, other: impl Into<Expr<bool>>) -> Expr<bool> {
        self.expr().and(other)
    }

    /// True when either holds.
    pub fn or(&self, other: impl Into<Expr<bool>>) -> Expr<bool> {
        self.expr().or(other)
    }

    /// `then` when the setting holds, `otherwise` when it does not (Helm's `ternary`).
    pub fn then<T>(&self, then: impl Into<Expr<T>>, otherwise: impl Into<Expr<T>>) -> Expr<T> {
        self.expr().then(then, otherwise)
    }

    /// The setting as a string (`"true"`/`"false"`).
    pub fn string(&self) -> Expr<String> {
        self.expr().string()
    }
}

impl<T: Leaf<Out = i64>> Knob<T> {
    /// The setting as a decimal string.
    pub fn string(&self) -> Expr<String> {
        self.expr().string()
    }
}

impl Knob<f64> {
    /// The setting as a string, as `toJson` prints a number.
    pub fn string(&self) -> Expr<String> {
        self.expr().string()
    }
}

impl<T: Leaf> From<&Knob<T>> for Expr<T::Out> {
    fn from(k: &Knob<T>) -> Self {
        k.expr()
    }
}

impl<T: Leaf> From<Knob<T>> for Expr<T::Out> {
    fn from(k: Knob<T>) -> Self {
        k.expr()
    }
}

/// A type that can appear in an application's values: it knows its handle type.
/// Leaves get a [`Knob`]; structs get the handles struct `derive(Knobs)` writes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a type of setting",
    label = "a field of a `Values` section must be a setting type",
    note = "settings are strings, integers, booleans, lists, string maps, the kforge value types (`Port`, `Quantity`, ...) and sections deriving `Knobs`",
    note = "there is no `Option<T>`: an empty string, 0 or an empty list is unset (tested with `.is_set()`); `OptionalPort` and `OptionalIntOrPercent` take \"\" for none"
)]
pub trait Knobbed {
    /// The handle type: `Knob<Self>` for a leaf, the derived `<Name>Knobs` for a struct.
    type Handle: Clone + fmt::Debug;
    /// The handle of the setting at `path`.
    fn handle(path: Path) -> Self::Handle;

    /// Where an error serde reported at `at` (the path's keys, below this setting, whose values
    /// are `tree`) really lies, as `(path below this setting, message)`, when it came from a
    /// `#[serde(flatten)]` section: serde reads such a section from a buffer and loses the path inside it, so
    /// loading asks here. `derive(Knobs)` writes it; `None` (the default) adds nothing.
    #[doc(hidden)]
    fn flattened_error(_tree: &Value, _at: &[String]) -> Option<(String, String)> {
        None
    }
}

/// A section of settings: a struct that `derive(Knobs)` gave handles, as opposed to a leaf, a
/// list or a map. Only a section can be `#[serde(flatten)]`ed into another, so that every one of
/// its settings has a name of its own in the schema and a handle.
///
/// ```compile_fail,E0277
/// use kforge::{Knobs, StringMap};
///
/// #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, Knobs)]
/// struct Values {
///     replicas: u8,
///     // Free-form keys beside `replicas`: refused, `StringMap` is no section.
///     #[serde(flatten)]
///     extra: StringMap,
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a section of settings, so it cannot be `#[serde(flatten)]`ed",
    label = "only a struct deriving `Knobs` can be flattened into another",
    note = "give a map or a list a key of its own instead: free-form keys beside a section's settings would be unknown settings"
)]
pub trait Section: Knobbed {}

/// A leaf setting and the expression type it reads as.
pub trait Leaf {
    /// What the setting reads as in an expression (`String`, `i64`, `bool`, ...).
    type Out;
}

/// Makes types leaf settings read as `$out`: `leaves!(i64: Port, u16)`.
macro_rules! leaves {
    ($out:ty: $($t:ty),*) => {$(
        impl $crate::template::expr::Leaf for $t { type Out = $out; }
        impl $crate::template::expr::Knobbed for $t {
            type Handle = $crate::template::expr::Knob<$t>;
            fn handle(path: $crate::template::expr::Path) -> $crate::template::expr::Knob<$t> { $crate::template::expr::Knob::at(path) }
        }
    )*};
}
pub(crate) use leaves;
leaves!(String: String);
leaves!(bool: bool);
leaves!(i64: i64, i32, u32, u16, u8);
// Counts that may not be 0 (a CloudNativePG cluster's instances): `minimum: 1` in the schema.
leaves!(i64: std::num::NonZeroU32, std::num::NonZeroU16, std::num::NonZeroU8);
leaves!(Value: Value);
// Fractions (a model's temperature); rendered as text with `string`.
leaves!(f64: f64);

impl<T> Knobbed for Vec<T> {
    type Handle = Knob<Vec<T>>;
    fn handle(path: Path) -> Self::Handle {
        Knob::at(path)
    }
}

impl<T> Leaf for Vec<T> {
    type Out = Value;
}

impl Knobbed for serde_json::Map<String, Value> {
    type Handle = Knob<serde_json::Map<String, Value>>;
    fn handle(path: Path) -> Self::Handle {
        Knob::at(path)
    }
}

impl Leaf for serde_json::Map<String, Value> {
    type Out = Value;
}

impl<K, V> Knobbed for BTreeMap<K, V> {
    type Handle = Knob<BTreeMap<K, V>>;
    fn handle(path: Path) -> Self::Handle {
        Knob::at(path)
    }
}

impl<K, V> Leaf for BTreeMap<K, V> {
    type Out = Value;
}

/// The handle of list items inside a range: `Knob<Vec<T>>::each` binds a loop variable and
/// hands the item's handles to the closure.
impl<T: Knobbed> Knob<Vec<T>> {
    /// The handle of the current item inside `range`, bound to `$var`.
    pub fn item_handle(var: &'static str) -> T::Handle {
        T::handle(Path::var(var))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_joins_literals_and_holes() {
        let port: Expr<String> = Expr::wrap(Ex::Get(Path::values().child("port")));
        let e = crate::text!("port {}\n{{braces}} {}", port.clone(), "x");
        let Ex::Concat(parts) = e.ex else { panic!("{e:?}") };
        let shown: Vec<String> = parts.iter().map(|p| format!("{p:?}")).collect();
        let expected = [Ex::Lit("port ".into()), port.ex, Ex::Lit("\n{braces} x".into())];
        assert_eq!(shown, expected.iter().map(|p| format!("{p:?}")).collect::<Vec<_>>());
        assert_eq!(text_holes("{} and {{}} and {}"), 2);
        assert_eq!(text_holes("a { b"), usize::MAX);
        assert_eq!(text_holes("a } b"), usize::MAX);
    }

    #[test]
    fn text_prints_numbers_and_booleans_as_to_json_does() {
        let port = Knob::<u16>::at(Path::values().child("port"));
        let debug = Knob::<bool>::at(Path::values().child("debug"));
        let e = crate::text!("{} {} {}", &port, &debug, port.expr());
        let Ex::Concat(parts) = e.ex else { panic!("{e:?}") };
        let shown: Vec<String> = parts.iter().map(|p| format!("{p:?}")).collect();
        let expected = [port.string().ex, Ex::Lit(" ".into()), debug.string().ex, Ex::Lit(" ".into()), port.string().ex];
        assert_eq!(shown, expected.iter().map(|p| format!("{p:?}")).collect::<Vec<_>>());
    }
}
