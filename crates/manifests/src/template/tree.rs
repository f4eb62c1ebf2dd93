//! The template tree: a YAML document whose leaves are expressions and whose parts can be gated,
//! repeated over a list setting, or spliced in from a free-form setting. Builders lower to this
//! tree; the concrete renderer evaluates it and the Helm renderer prints it as Go template text.

use std::borrow::Cow;
use std::marker::PhantomData;

use serde_json::Value;

use crate::template::expr::{Ex, Expr, Knob, Knobbed};

/// How a leaf is printed in a template: strings and free-form values through `toJson`,
/// integers through `int64` (numbers from values files arrive as floats), booleans bare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A string (printed through `toJson`).
    Str,
    /// An integer (printed through `int64`).
    Int,
    /// A boolean.
    Bool,
    /// Anything, printed as YAML.
    Any,
}

/// A node of the template tree.
#[derive(Clone, Debug)]
pub enum Node {
    /// A scalar, typed.
    Scalar(Ex, Kind),
    /// A map.
    Map(Vec<Entry>),
    /// A list.
    List(Vec<Item>),
    /// A free-form setting rendered as it is (`toYaml`); an empty one leaves its key out.
    Raw(Ex),
}

/// An entry of a map.
#[derive(Clone, Debug)]
pub enum Entry {
    /// A key and its node; left out when the node renders nothing.
    Field(Cow<'static, str>, Node),
    /// Entries present only when the condition holds, and others when it does not.
    When(Ex, Vec<Entry>, Vec<Entry>),
    /// The entries of a free-form map setting, merged in.
    Spread(Ex),
    /// The entries of one of the label helpers.
    Labels(LabelSet),
}

/// An item of a list.
#[derive(Clone, Debug)]
pub enum Item {
    /// One item.
    One(Node),
    /// Items only when the condition holds, and others when it does not.
    When(Ex, Vec<Item>, Vec<Item>),
    /// One item per element of a list setting; inside, the element is the loop variable.
    Range(&'static str, Ex, Box<Node>),
    /// The items of a free-form list setting, appended.
    Spread(Ex),
}

/// The label helpers of `_helpers.tpl`.
#[derive(Clone, Debug)]
pub enum LabelSet {
    /// name, instance, version, managed-by, helm.sh/chart, and the component when given.
    All(Option<&'static str>),
    /// name and instance (and the component): what selectors match.
    Selector(Option<&'static str>),
}

impl Node {
    /// A string scalar.
    pub fn str(e: impl Into<Expr<String>>) -> Node {
        Node::Scalar(e.into().ex, Kind::Str)
    }
    /// An integer scalar.
    pub fn int(e: impl Into<Expr<i64>>) -> Node {
        Node::Scalar(e.into().ex, Kind::Int)
    }
    /// A boolean scalar.
    pub fn bool(e: impl Into<Expr<bool>>) -> Node {
        Node::Scalar(e.into().ex, Kind::Bool)
    }
    /// Any value, printed as YAML.
    pub fn any(e: Expr<Value>) -> Node {
        Node::Scalar(e.ex, Kind::Any)
    }
    /// A free-form value, left out when empty.
    pub fn raw(e: Expr<Value>) -> Node {
        Node::Raw(e.ex)
    }
    /// A literal from JSON (maps, lists and scalars become tree nodes).
    pub fn lit(v: Value) -> Node {
        match v {
            Value::Object(map) => Node::Map(map.into_iter().map(|(k, v)| Entry::Field(k.into(), Node::lit(v))).collect()),
            Value::Array(items) => Node::List(items.into_iter().map(|v| Item::One(Node::lit(v))).collect()),
            Value::String(_) => Node::Scalar(Ex::Lit(v), Kind::Str),
            Value::Bool(_) => Node::Scalar(Ex::Lit(v), Kind::Bool),
            Value::Number(ref n) if n.is_i64() || n.is_u64() => Node::Scalar(Ex::Lit(v), Kind::Int),
            _ => Node::Scalar(Ex::Lit(v), Kind::Any),
        }
    }
}

/// Builds a map node entry by entry, with gated parts.
#[derive(Clone, Debug, Default)]
pub struct Map {
    pub(crate) entries: Vec<Entry>,
}

impl Map {
    /// An empty map.
    pub fn new() -> Self {
        Map::default()
    }

    /// Adds `key` with `node`.
    pub fn field(mut self, key: impl Into<Cow<'static, str>>, node: impl Into<Node>) -> Self {
        self.entries.push(Entry::Field(key.into(), node.into()));
        self
    }

    /// Adds `key` with a string.
    pub fn str(self, key: impl Into<Cow<'static, str>>, e: impl Into<Expr<String>>) -> Self {
        self.field(key, Node::str(e))
    }

    /// Adds `key` with an integer.
    pub fn int(self, key: impl Into<Cow<'static, str>>, e: impl Into<Expr<i64>>) -> Self {
        self.field(key, Node::int(e))
    }

    /// Adds `key` with a boolean.
    pub fn bool(self, key: impl Into<Cow<'static, str>>, e: impl Into<Expr<bool>>) -> Self {
        self.field(key, Node::bool(e))
    }

    /// A free-form setting under `key`; the key is left out when the setting is empty.
    pub fn raw<T>(self, key: impl Into<Cow<'static, str>>, knob: &Knob<T>) -> Self {
        self.field(key, Node::raw(knob.raw()))
    }

    /// `key: value` only when `cond` holds.
    pub fn when(mut self, cond: impl Into<Expr<bool>>, then: Map) -> Self {
        self.entries.push(Entry::When(cond.into().ex, then.entries, Vec::new()));
        self
    }

    /// One set of entries when `cond` holds, another otherwise.
    pub fn choose(mut self, cond: impl Into<Expr<bool>>, then: Map, otherwise: Map) -> Self {
        self.entries.push(Entry::When(cond.into().ex, then.entries, otherwise.entries));
        self
    }

    /// Merges the entries of a free-form map setting.
    pub fn spread<T>(mut self, knob: &Knob<T>) -> Self {
        self.entries.push(Entry::Spread(knob.raw().ex));
        self
    }

    pub(crate) fn labels(mut self, set: LabelSet) -> Self {
        self.entries.push(Entry::Labels(set));
        self
    }

    /// Adds the entries of `other`.
    pub fn extend(mut self, other: Map) -> Self {
        self.entries.extend(other.entries);
        self
    }

    /// True when the map has no entries at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl From<Map> for Node {
    fn from(m: Map) -> Node {
        Node::Map(m.entries)
    }
}

/// Anything that lowers to one node of the tree (a container, a port, an env var, ...).
pub trait Lower {
    /// The node of this value.
    fn lower(&self) -> Node;
}

impl Lower for Node {
    fn lower(&self) -> Node {
        self.clone()
    }
}

impl Lower for Map {
    fn lower(&self) -> Node {
        Node::Map(self.entries.clone())
    }
}

/// A string item, such as an argument of a container's `command` or `args`.
impl Lower for Expr<String> {
    fn lower(&self) -> Node {
        Node::str(self.clone())
    }
}

/// A list of `T` whose items can be gated, repeated over a list setting, or appended from a
/// free-form list setting.
pub struct List<T> {
    pub(crate) items: Vec<Item>,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for List<T> {
    fn clone(&self) -> Self {
        List { items: self.items.clone(), _t: PhantomData }
    }
}

impl<T> std::fmt::Debug for List<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.items.fmt(f)
    }
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List { items: Vec::new(), _t: PhantomData }
    }
}

impl<T: Lower> List<T> {
    /// An empty list.
    pub fn new() -> Self {
        List::default()
    }

    /// A list of `items`.
    pub fn of(items: impl IntoIterator<Item = T>) -> Self {
        let mut list = List::new();
        for item in items {
            list = list.push(item);
        }
        list
    }

    /// Appends `item`.
    pub fn push(mut self, item: T) -> Self {
        self.items.push(Item::One(item.lower()));
        self
    }

    /// Items present only when `cond` holds: `then` is a list, or an array or a `Vec` of
    /// items (`args.when(&v.debug, ["--verbose", "--trace"])`).
    pub fn when(mut self, cond: impl Into<Expr<bool>>, then: impl Into<List<T>>) -> Self {
        self.items.push(Item::When(cond.into().ex, then.into().items, Vec::new()));
        self
    }

    /// One set of items when `cond` holds, another otherwise.
    pub fn choose(mut self, cond: impl Into<Expr<bool>>, then: List<T>, otherwise: List<T>) -> Self {
        self.items.push(Item::When(cond.into().ex, then.items, otherwise.items));
        self
    }

    /// One item per element of a list setting. The closure gets the element's handles, bound
    /// to the loop variable `var`.
    pub fn each<E: Knobbed>(mut self, knob: &Knob<Vec<E>>, var: &'static str, item: impl FnOnce(E::Handle) -> T) -> Self {
        let handles = Knob::<Vec<E>>::item_handle(var);
        self.items.push(Item::Range(var, knob.raw().ex, Box::new(item(handles).lower())));
        self
    }

    /// Appends the items of another list.
    pub fn extend(mut self, other: List<T>) -> Self {
        self.items.extend(other.items);
        self
    }

    /// Appends the items of a free-form list setting (`extraEnv`, `tolerations`, ...).
    pub fn extend_from<E>(mut self, knob: &Knob<Vec<E>>) -> Self {
        self.items.push(Item::Spread(knob.raw().ex));
        self
    }

    /// True when the list has no items at all.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The node of this list.
    pub fn node(&self) -> Node {
        Node::List(self.items.clone())
    }
}

/// `["serve", "--port=80"].into()`: a list of the items, each converted (strings to
/// `Expr<String>`, say).
impl<T: Lower, I: Into<T>, const N: usize> From<[I; N]> for List<T> {
    fn from(items: [I; N]) -> Self {
        List::of(items.into_iter().map(Into::into))
    }
}

/// A list of the items of a `Vec`, each converted.
impl<T: Lower, I: Into<T>> From<Vec<I>> for List<T> {
    fn from(items: Vec<I>) -> Self {
        List::of(items.into_iter().map(Into::into))
    }
}

impl<T: Lower> FromIterator<T> for List<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        List::of(iter)
    }
}

/// When a map or list has content: `Always`, `Never`, or under a condition. Both renderers leave
/// the key of an empty map or list out; the Helm renderer guards the key with this condition.
#[derive(Clone, Debug)]
pub(crate) enum Guard {
    Always,
    Never,
    When(Ex),
}

impl Guard {
    fn any(guards: impl IntoIterator<Item = Guard>) -> Guard {
        let mut conds = Vec::new();
        for g in guards {
            match g {
                Guard::Always => return Guard::Always,
                Guard::Never => {}
                Guard::When(c) => conds.push(c),
            }
        }
        match conds.len() {
            0 => Guard::Never,
            1 => Guard::When(conds.pop().expect("one")),
            _ => Guard::When(Ex::Or(conds)),
        }
    }

    fn gated(cond: &Ex, inner: Guard) -> Guard {
        match inner {
            Guard::Always => Guard::When(cond.clone()),
            Guard::Never => Guard::Never,
            Guard::When(c) => Guard::When(Ex::And(vec![cond.clone(), c])),
        }
    }

    fn branches(cond: &Ex, then: Guard, otherwise: Guard) -> Guard {
        if let (Guard::Always, Guard::Always) = (&then, &otherwise) {
            return Guard::Always;
        }
        Guard::any([Guard::gated(cond, then), Guard::gated(&Ex::Not(Box::new(cond.clone())), otherwise)])
    }
}

/// When a node has content: a scalar always; a free-form value when set; a map or list with
/// entries when one of them does (a literal empty map or list is content: `{}`, `[]`).
pub(crate) fn node_guard(node: &Node) -> Guard {
    match node {
        Node::Scalar(..) => Guard::Always,
        Node::Raw(ex) => Guard::When(ex.clone()),
        Node::Map(entries) if entries.is_empty() => Guard::Always,
        Node::Map(entries) => entries_guard(entries),
        Node::List(items) if items.is_empty() => Guard::Always,
        Node::List(items) => items_guard(items),
    }
}

pub(crate) fn entries_guard(entries: &[Entry]) -> Guard {
    Guard::any(entries.iter().map(|entry| match entry {
        Entry::Field(_, node) => node_guard(node),
        Entry::Labels(_) => Guard::Always,
        Entry::Spread(ex) => Guard::When(ex.clone()),
        Entry::When(cond, then, otherwise) => Guard::branches(cond, entries_guard(then), entries_guard(otherwise)),
    }))
}

pub(crate) fn items_guard(items: &[Item]) -> Guard {
    Guard::any(items.iter().map(|item| match item {
        Item::One(_) => Guard::Always,
        Item::Spread(ex) | Item::Range(_, ex, _) => Guard::When(ex.clone()),
        Item::When(cond, then, otherwise) => Guard::branches(cond, items_guard(then), items_guard(otherwise)),
    }))
}
