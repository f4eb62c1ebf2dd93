//! A values file's text to the JSON Helm reads from it, document by document.
//!
//! The events come from the YAML parser under serde-saphyr (`granit-parser`, which it
//! re-exports), the one parser of the project; what they mean follows Helm: each document is
//! composed as go-yaml v2's decoder composes it into `interface{}` (`decode.go`) and turned into
//! JSON as sigs.k8s.io/yaml turns it (`yaml.go`), with the scalars of [`crate::yaml11`]:
//!
//! - a map's later key replaces an earlier equal one, equal as Go compares the keys (`1` and
//!   `0x1` are one key, `1` and `"1"` two, `0.0` and `-0.0` one, two NaN keys never one);
//! - a merge key `<<` (plain, or tagged `!!merge`) puts the entries of the map it names there, in
//!   place: they replace the keys before it, the keys after it replace them (`mapping`, `merge`);
//!   of a list of maps the earlier ones win; anything else is refused;
//! - a list or map as a key is refused (`invalid map key`), and so is an alias inside the node it
//!   names (`anchor ... value contains itself`);
//! - aliases count as go-yaml counts them: a document is refused once more than 100 nodes came
//!   from aliases, over 1000 were decoded, and the share from aliases is above what
//!   `allowedAliasRatio` allows (99% up to 400,000 nodes, falling to 10% at 4,000,000);
//! - keys become strings and values JSON as [`crate::yaml11::key_string`] and
//!   [`crate::yaml11::json_value`] say, after the whole document is decoded, so that a key or
//!   value a later one replaced is never judged.
//!
//! Where Go leaves a choice to chance, emit takes the last: two keys that differ in Go but not
//! as JSON keys (`1` and `"1"`, `1.0` and `1`) leave one of them in Helm, whichever its map
//! iteration meets last; emit keeps the later one in the file.
//!
//! Besides Helm's rules, emit's limits hold: at most [`MAX_DEPTH`] levels of nesting, and at
//! most [`MAX_NODES`] nodes once aliases are expanded.

use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use serde_json::{Map, Value};
use serde_saphyr::granit_parser::{Event, Options, Parser, ScalarStyle, Span, Tag};

use crate::read::MAX_VALUES_BYTES;
use crate::yaml11::{self, Scalar};

/// How deep values may nest (maps and lists, the top-level map counted).
pub const MAX_DEPTH: usize = 64;

/// Nodes a file may hold once its aliases are expanded: as many as a file under the size cap
/// holds without aliases (two bytes a node at the least, as in `[1,1]`).
pub const MAX_NODES: u64 = MAX_VALUES_BYTES as u64 / 2;

/// Documents a file may hold: as many as fit under the size cap (`---` and a line break each).
const MAX_DOCUMENTS: usize = MAX_VALUES_BYTES / 4;

/// A YAML error at a line (from 1) and column (from 1) of the file.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlError {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1.
    pub column: usize,
    /// What is wrong there.
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} column {}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for YamlError {}

/// Where an event starts.
#[derive(Clone, Copy, Debug)]
struct Mark {
    line: usize,
    column: usize,
}

impl Mark {
    fn of(span: &Span) -> Mark {
        Mark { line: span.start.line(), column: span.start.col() + 1 }
    }

    fn error(self, message: impl Into<String>) -> YamlError {
        YamlError { line: self.line, column: self.column, message: message.into() }
    }
}

/// A decoded node, keys still Go values: JSON is made of it once the document is whole.
#[derive(Debug)]
enum Node {
    Scalar(Scalar, Mark),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
    /// An anchored node, shared by its place and its aliases.
    Shared(Rc<Node>),
}

impl Node {
    fn is_map(&self) -> bool {
        match self {
            Node::Map(_) => true,
            Node::Shared(n) => n.is_map(),
            _ => false,
        }
    }
}

#[derive(Debug)]
enum Entry {
    Pair(Scalar, Mark, Node),
    /// A map whose entries stand here (`<<`).
    Merge(Node),
}

/// An anchored node with what go-yaml's decoder spends on it and how deep it nests.
struct Anchored {
    node: Rc<Node>,
    cost: u64,
    depth: usize,
}

/// A map key read, waiting for its value.
enum Key {
    Pair(Scalar, Mark),
    Merge(Mark),
}

enum Open {
    Seq(Vec<Node>),
    /// The entries, and the key waiting for its value.
    Map(Vec<Entry>, Option<Key>),
    /// The list of maps a `<<` takes.
    MergeList(Vec<Node>),
}

/// A collection being read.
struct Frame {
    open: Open,
    anchor: usize,
    /// Decodes spent on the collection so far (go-yaml's `decodeCount`).
    cost: u64,
    /// How deep its contents nest so far.
    depth: usize,
    mark: Mark,
}

/// go-yaml v2 `decode.go`, `allowedAliasRatio`.
fn allowed_alias_ratio(decodes: u64) -> f64 {
    const LOW: u64 = 400_000;
    const HIGH: u64 = 4_000_000;
    match decodes {
        d if d <= LOW => 0.99,
        d if d >= HIGH => 0.10,
        d => 0.99 - 0.89 * ((d - LOW) as f64 / (HIGH - LOW) as f64),
    }
}

struct Composer {
    frames: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    root: Option<Node>,
    /// go-yaml's counters, per document.
    decodes: u64,
    aliased: u64,
    /// Nodes of the whole file.
    nodes: u64,
}

impl Composer {
    fn start_document(&mut self) {
        self.frames.clear();
        self.anchors.clear();
        self.root = None;
        // The document node is decoded too.
        self.decodes = 1;
        self.aliased = 0;
    }

    /// Counts `n` decodes, `aliased` of them from aliases, and refuses the document where
    /// go-yaml would, or where emit's node budget ends.
    fn count(&mut self, n: u64, aliased: u64, at: Mark) -> Result<(), YamlError> {
        self.decodes += n;
        self.aliased += aliased;
        self.nodes += n;
        if self.aliased > 100 && self.decodes > 1000 && self.aliased as f64 / self.decodes as f64 > allowed_alias_ratio(self.decodes) {
            return Err(at.error("too large once its aliases are expanded: Helm refuses it too (excessive aliasing)"));
        }
        if self.nodes > MAX_NODES {
            return Err(at.error(format!("too large once its aliases are expanded, or too many values (over {MAX_NODES} nodes)")));
        }
        Ok(())
    }

    fn check_depth(&self, depth: usize, at: Mark) -> Result<(), YamlError> {
        if depth > MAX_DEPTH { Err(at.error(format!("nested deeper than {MAX_DEPTH} levels"))) } else { Ok(()) }
    }

    /// Whether the next node is a key of the innermost map.
    fn at_key(&self) -> bool {
        matches!(self.frames.last(), Some(Frame { open: Open::Map(_, None), .. }))
    }

    /// Whether the next node is the value of a `<<`.
    fn at_merge(&self) -> bool {
        matches!(self.frames.last(), Some(Frame { open: Open::Map(_, Some(Key::Merge(_))), .. }))
    }

    fn remember(&mut self, anchor: usize, node: Node, cost: u64, depth: usize) -> Node {
        if anchor == 0 {
            return node;
        }
        let node = Rc::new(node);
        self.anchors.insert(anchor, Anchored { node: node.clone(), cost, depth });
        Node::Shared(node)
    }

    /// Puts a whole node in its place: the root, an item, a map's value.
    fn place(&mut self, node: Node, cost: u64, depth: usize, at: Mark) -> Result<(), YamlError> {
        let Some(frame) = self.frames.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        frame.cost += cost;
        frame.depth = frame.depth.max(depth);
        match &mut frame.open {
            Open::Seq(items) | Open::MergeList(items) => items.push(node),
            Open::Map(entries, key) => match key.take() {
                Some(Key::Pair(k, mark)) => entries.push(Entry::Pair(k, mark, node)),
                Some(Key::Merge(_)) if node.is_map() => entries.push(Entry::Merge(node)),
                Some(Key::Merge(mark)) => return Err(mark.error("map merge requires map or sequence of maps as the value")),
                None => return Err(at.error("a list or map as a map key: Helm cannot read it (invalid map key)")),
            },
        }
        Ok(())
    }

    fn scalar(&mut self, text: &str, style: ScalarStyle, anchor: usize, tag: Option<&Tag>, at: Mark) -> Result<(), YamlError> {
        let tag = tag.map(|t| format!("{}{}", t.handle(), t.suffix()));
        let plain = style == ScalarStyle::Plain;
        if self.at_key() && text == "<<" && ((plain && tag.is_none()) || matches!(tag.as_deref(), Some("!" | yaml11::MERGE))) {
            // `isMerge`: the key itself is not decoded.
            if let Some(Frame { open: Open::Map(_, key), .. }) = self.frames.last_mut() {
                *key = Some(Key::Merge(at));
            }
            if anchor != 0 {
                self.remember(anchor, Node::Scalar(Scalar::Str(text.into()), at), 1, 0);
            }
            return Ok(());
        }
        self.count(1, 0, at)?;
        let scalar = yaml11::resolve(text, plain, tag.as_deref()).map_err(|m| at.error(m))?;
        if self.at_key() {
            if anchor != 0 {
                self.remember(anchor, Node::Scalar(scalar.clone(), at), 1, 0);
            }
            self.add_key(scalar, at);
            return Ok(());
        }
        let node = self.remember(anchor, Node::Scalar(scalar, at), 1, 0);
        self.place(node, 1, 0, at)
    }

    fn add_key(&mut self, key: Scalar, at: Mark) {
        if let Some(Frame { open: Open::Map(_, slot), .. }) = self.frames.last_mut() {
            *slot = Some(Key::Pair(key, at));
        }
    }

    fn alias(&mut self, id: usize, at: Mark) -> Result<(), YamlError> {
        if self.frames.iter().any(|f| f.anchor == id) {
            return Err(at.error("an alias inside the node its anchor names: a value that contains itself"));
        }
        let Some(target) = self.anchors.get(&id) else { return Err(at.error("an alias to no anchor")) };
        let (node, cost, depth) = (target.node.clone(), target.cost, target.depth);
        self.check_depth(self.frames.len() + depth, at)?;
        // The alias node, then its target again, every node of it from an alias.
        self.count(1, 0, at)?;
        self.count(cost, cost, at)?;
        if self.at_key() {
            return match &*node {
                Node::Scalar(s, _) => {
                    self.add_key(s.clone(), at);
                    Ok(())
                }
                _ => Err(at.error("a list or map as a map key: Helm cannot read it (invalid map key)")),
            };
        }
        self.place(Node::Shared(node), 1 + cost, depth, at)
    }

    fn open(&mut self, map: bool, anchor: usize, at: Mark) -> Result<(), YamlError> {
        if self.at_key() {
            return Err(at.error("a list or map as a map key: Helm cannot read it (invalid map key)"));
        }
        self.check_depth(self.frames.len() + 1, at)?;
        // A list after `<<` is not decoded itself: its maps are, one by one.
        let merge_list = !map && self.at_merge();
        let cost = if merge_list { 0 } else { 1 };
        if !merge_list {
            self.count(1, 0, at)?;
        }
        let open = match (map, merge_list) {
            (true, _) => Open::Map(Vec::new(), None),
            (false, true) => Open::MergeList(Vec::new()),
            (false, false) => Open::Seq(Vec::new()),
        };
        self.frames.push(Frame { open, anchor, cost, depth: 0, mark: at });
        Ok(())
    }

    fn close(&mut self) -> Result<(), YamlError> {
        let frame = self.frames.pop().expect("a collection is open");
        let depth = frame.depth + 1;
        match frame.open {
            Open::MergeList(items) => {
                if items.iter().any(|n| !n.is_map()) {
                    return Err(frame.mark.error("map merge requires map or sequence of maps as the value"));
                }
                // Shared, so that an anchor on the list names the same maps.
                let items: Vec<Rc<Node>> = items.into_iter().map(|n| if let Node::Shared(rc) = n { rc } else { Rc::new(n) }).collect();
                if frame.anchor != 0 {
                    self.remember(frame.anchor, Node::Seq(items.iter().map(|rc| Node::Shared(rc.clone())).collect()), frame.cost + 1, depth);
                }
                let Some(Frame { open: Open::Map(entries, key), cost, depth: parent_depth, .. }) = self.frames.last_mut() else {
                    unreachable!("a merge list is the value of a map's `<<`")
                };
                *key = None;
                *cost += frame.cost;
                *parent_depth = (*parent_depth).max(depth);
                // go-yaml merges the list from its end: the earlier maps win.
                entries.extend(items.into_iter().rev().map(|rc| Entry::Merge(Node::Shared(rc))));
                Ok(())
            }
            Open::Seq(items) => {
                let node = self.remember(frame.anchor, Node::Seq(items), frame.cost, depth);
                self.place(node, frame.cost, depth, frame.mark)
            }
            Open::Map(entries, _) => {
                let node = self.remember(frame.anchor, Node::Map(entries), frame.cost, depth);
                self.place(node, frame.cost, depth, frame.mark)
            }
        }
    }
}

/// The identity of a key as Go's map compares it; `None` for NaN, equal to no key.
#[derive(Hash, PartialEq, Eq)]
enum KeyId<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(u64),
    Str(&'a str),
}

fn key_id(key: &Scalar) -> Option<KeyId<'_>> {
    Some(match key {
        Scalar::Null => KeyId::Null,
        Scalar::Bool(b) => KeyId::Bool(*b),
        Scalar::Int(i) => KeyId::Int(*i),
        Scalar::Uint(u) => KeyId::Uint(*u),
        Scalar::Float(f) if f.is_nan() => return None,
        // 0.0 and -0.0 are one key; the later one's sign stays.
        Scalar::Float(f) => KeyId::Float(if *f == 0.0 { 0 } else { f.to_bits() }),
        Scalar::Str(s) => KeyId::Str(s),
    })
}

/// The entries of a map, merges expanded, each key the last given for it.
fn entries_of<'a>(entries: &'a [Entry], pairs: &mut Vec<(&'a Scalar, Mark, &'a Node)>, index: &mut HashMap<KeyId<'a>, usize>) {
    for entry in entries {
        match entry {
            Entry::Pair(k, mark, v) => match key_id(k) {
                Some(id) => match index.get(&id) {
                    Some(&i) => pairs[i] = (k, *mark, v),
                    None => {
                        index.insert(id, pairs.len());
                        pairs.push((k, *mark, v));
                    }
                },
                None => pairs.push((k, *mark, v)),
            },
            Entry::Merge(node) => {
                let mut node = node;
                while let Node::Shared(n) = node {
                    node = n;
                }
                if let Node::Map(inner) = node {
                    entries_of(inner, pairs, index);
                }
            }
        }
    }
}

/// The JSON of a decoded node (sigs.k8s.io/yaml's conversion, then `encoding/json`).
fn to_json(node: &Node) -> Result<Value, YamlError> {
    Ok(match node {
        Node::Scalar(s, mark) => yaml11::json_value(s.clone()).map_err(|m| mark.error(m))?,
        Node::Seq(items) => Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        Node::Shared(n) => to_json(n)?,
        Node::Map(entries) => {
            let mut pairs = Vec::new();
            entries_of(entries, &mut pairs, &mut HashMap::new());
            let mut map = Map::new();
            for (k, mark, v) in pairs {
                map.insert(yaml11::key_string(k).map_err(|m| mark.error(m))?, to_json(v)?);
            }
            Value::Object(map)
        }
    })
}

/// Every document of `text` as the JSON Helm reads from it: `Value::Null` for an empty one.
pub fn documents(text: &str) -> Result<Vec<Value>, YamlError> {
    let mut options = Options::default();
    options.set_emit_comments(false);
    let mut c = Composer { frames: Vec::new(), anchors: HashMap::new(), root: None, decodes: 0, aliased: 0, nodes: 0 };
    let mut docs = Vec::new();
    for next in Parser::new_from_str_with_options(text, options) {
        let (event, span) = next.map_err(|e| YamlError { line: e.marker().line(), column: e.marker().col() + 1, message: e.info() })?;
        let at = Mark::of(&span);
        match event {
            Event::DocumentStart(..) => {
                if docs.len() >= MAX_DOCUMENTS {
                    return Err(at.error(format!("more than {MAX_DOCUMENTS} documents")));
                }
                c.start_document();
            }
            Event::DocumentEnd => docs.push(match c.root.take() {
                Some(root) => to_json(&root)?,
                None => Value::Null,
            }),
            Event::Scalar(text, style, anchor, tag) => c.scalar(&text, style, anchor, tag.as_deref(), at)?,
            Event::Alias(id) => c.alias(id, at)?,
            Event::SequenceStart(_, anchor, _) => c.open(false, anchor, at)?,
            Event::MappingStart(_, anchor, _) => c.open(true, anchor, at)?,
            Event::SequenceEnd | Event::MappingEnd => c.close()?,
            _ => {}
        }
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(text: &str) -> Value {
        let mut docs = documents(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(docs.len(), 1, "{text}");
        docs.remove(0)
    }

    fn error(text: &str) -> String {
        documents(text).expect_err(text).to_string()
    }

    #[test]
    fn values_and_keys_everywhere_in_the_tree() {
        let v = one("a: 0644\nb: [0x1F, yes, ~, '0644', \"no\"]\nnodeSelector: {1.10: x, no: z, 0644: o}\nl:\n  - {y: 1, n: [010]}\n");
        assert_eq!(v, json!({"a": 420, "b": [31, true, null, "0644", "no"], "nodeSelector": {"1.1": "x", "false": "z", "420": "o"}, "l": [{"true": 1, "false": [8]}]}));
    }

    #[test]
    fn a_later_key_replaces_an_equal_one_as_go_compares_keys() {
        assert_eq!(one("{1: a, 0x1: b}"), json!({"1": "b"}));
        assert_eq!(one("{yes: a, true: b, on: c}"), json!({"true": "c"}));
        assert_eq!(one("{0.0: a, -0.0: b}"), json!({"-0": "b"}));
        assert_eq!(one("{1.10: a, 1.1: b}"), json!({"1.1": "b"}));
        // Different Go keys, one JSON key: Helm keeps either; emit the later.
        assert_eq!(one("{1: a, \"1\": b}"), json!({"1": "b"}));
        // A replaced key or value is never judged.
        assert_eq!(one("a: {~: 1}\na: {}\nb: .inf\nb: 1\n"), json!({"a": {}, "b": 1}));
    }

    #[test]
    fn merge_keys_as_go_yaml_v2_merges() {
        assert_eq!(one("a: 1\n<<: {a: 2, b: 3}\n"), json!({"a": 2, "b": 3}));
        assert_eq!(one("<<: {a: 2, b: 3}\na: 1\n"), json!({"a": 1, "b": 3}));
        assert_eq!(one("o: {<<: [{a: 1}, {a: 2, b: 2}], c: 3}"), json!({"o": {"a": 1, "b": 2, "c": 3}}));
        assert_eq!(one("x: &x {a: 1}\nw: {<<: *x, b: 2}\nz: {<<: [*x, {a: 3}]}\n"), json!({"x": {"a": 1}, "w": {"a": 1, "b": 2}, "z": {"a": 1}}));
        // A key named `y` is a boolean, also beside a merge.
        assert_eq!(one("x: &x {a: 1}\ny: {<<: *x}\n"), json!({"x": {"a": 1}, "true": {"a": 1}}));
        assert_eq!(one("o: {!!merge <<: {x: 1}, \"<<\": 2}"), json!({"o": {"x": 1, "<<": 2}}));
        assert_eq!(one("o: <<"), json!({"o": "<<"}));
        for bad in ["o: {<<: 1}", "o: {<<: [1]}", "s: &s [1]\no: {<<: *s}", "o: {<<: [[{a: 1}]]}"] {
            assert!(error(bad).contains("map merge requires map or sequence of maps"), "{bad}");
        }
    }

    #[test]
    fn what_helm_refuses_is_refused_with_its_place() {
        assert_eq!(error("a: 1\nb: {~: a}\n"), "line 2 column 5: a null key (`~`, `null` or nothing): Helm cannot read it (unsupported map key); quote it for a string key");
        assert!(error("b: {18446744073709551615: a}").starts_with("line 1 column 5: the key 18446744073709551615"));
        assert!(error("b: [1, .nan]").starts_with("line 1 column 8: .nan is not a finite number"));
        assert!(error("b: -.inf").starts_with("line 1 column 4: -.inf is not a finite number"));
        assert_eq!(error("b: !!int abc"), "line 1 column 10: cannot decode a !!str value as a !!int");
        assert!(error("o: {? [a]: b}").contains("invalid map key"));
        assert!(error("o: {? {a: 1}: b}").contains("invalid map key"));
        assert!(error("l: &l [1]\no: {*l : b}").contains("invalid map key"));
        assert!(error("o: &x [*x]").contains("contains itself"));
        assert!(error("o: *nope").contains("line 1 column 4"));
    }

    #[test]
    fn aliases_are_counted_as_go_yaml_counts_them() {
        // A small document may come 99% from aliases.
        let fine = format!("a: &a [{}]\nb: [{}]\n", vec!["1"; 20].join(","), vec!["*a"; 100].join(","));
        assert_eq!(one(&fine)["b"].as_array().map(Vec::len), Some(100));
        let bomb = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
        let e = error(bomb);
        assert!(e.contains("too large once its aliases are expanded") && e.contains("excessive aliasing"), "{e}");
        assert_eq!(allowed_alias_ratio(2_200_000), 0.99 - 0.89 * 0.5);
    }

    #[test]
    fn nesting_is_bounded_and_named_where_it_breaks() {
        let deep = format!("a: {}1{}", "[".repeat(70), "]".repeat(70));
        assert_eq!(error(&deep), "line 1 column 67: nested deeper than 64 levels");
        let ok = format!("a: {}1{}", "[".repeat(63), "]".repeat(63));
        assert!(documents(&ok).is_ok());
        // Through an alias too.
        let aliased = format!("a: &a {}1{}\nb: {}*a{}", "[".repeat(40), "]".repeat(40), "[".repeat(30), "]".repeat(30));
        assert!(error(&aliased).contains("nested deeper than 64 levels"));
    }

    #[test]
    fn documents_and_syntax_errors() {
        assert_eq!(documents("a: 1\n---\n---\nb: 2\n").expect("reads"), vec![json!({"a": 1}), Value::Null, json!({"b": 2})]);
        assert_eq!(documents("").expect("reads"), Vec::<Value>::new());
        assert_eq!(documents("# only a comment\n").expect("reads"), Vec::<Value>::new());
        assert_eq!(error("api: [enabled\n"), "line 1 column 6: unclosed bracket '['");
        assert_eq!(one("a: !!str\nb:\nc: !!binary aGVsbG8=\n"), json!({"a": "", "b": null, "c": "hello"}));
    }
}
