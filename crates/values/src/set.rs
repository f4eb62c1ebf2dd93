//! `--set` and its family, read by the rules of Helm's `pkg/strvals` (Helm 4.1; the parser is
//! the same in Helm 3.18, see [`SetFlag::Json`] for the one difference of the flags).
//!
//! An argument is `path=value[,path=value...]`:
//! - a path is keys separated by `.`, each key optionally followed by list indices `[N]`
//!   (`hosts[0].paths[1]=/`); a backslash makes the next character part of the key or value
//!   (`podAnnotations.prometheus\.io/scrape=true`, `a=x\,y`, `C:\\temp`);
//! - an index is a decimal integer from 0 to 65536 ([`MAX_INDEX`]); setting an index past the
//!   end grows the list with nulls, as Helm does;
//! - at most 30 keys deep through `.` ([`MAX_NESTED_NAMES`]), and at most [`MAX_DEPTH`] keys and
//!   indices together (Helm's parser recurses as deep as Go's growing stacks allow; a fixed
//!   thread stack does not, so `a[0][0]...` thousands deep is refused instead of crashing);
//! - the lists that indices grow hold at most [`MAX_SET_ITEMS`] items together, over all
//!   arguments of one render ([`SetBudget`]): `--set x1[65536]=1 --set x2[65536]=1 ...` stops at
//!   that bound with an error instead of taking memory by the gigabyte;
//! - `{a,b}` is a list (`--set`, `--set-string`, `--set-file`);
//! - the typing of values depends on the flag, see [`SetFlag`].
//!
//! Quirks kept because Helm has them: `a=` sets the empty string, `{}` is a list holding one
//! empty string, text after `}` starts the next path without a comma, `a.` or `a[0]` without a
//! value sets nothing (but `a[0]` turns `a` into a list), and a path through an existing value
//! that is not a map (or not a list, for an index) is an error.
//!
//! The arguments build the user's values map, over the values files; [`crate::coalesce`] then
//! puts it over the chart's defaults, where a `null` deletes a default.

use serde_json::{Map, Value};

use crate::read::ValuesError;

/// The largest list index a path may use (Helm's `strvals.MaxIndex`).
pub const MAX_INDEX: i64 = 65536;
/// The most keys a path may nest through `.` (Helm's `strvals.MaxNestedNameLevel`).
pub const MAX_NESTED_NAMES: usize = 30;
/// The most keys and list indices a path may nest, counted together.
pub const MAX_DEPTH: usize = 100;
/// The most items the lists grown by `--set` indices may hold together in one render: 16 lists
/// of [`MAX_INDEX`] + 1 items. Helm takes about 100 MB for 40 such lists; emit takes about as much
/// for this many.
pub const MAX_SET_ITEMS: usize = 16 * (MAX_INDEX as usize + 1);

/// What the `--set` arguments of one render may still allocate: list items, at most
/// [`MAX_SET_ITEMS`] in all. One budget is passed to every [`apply`] of a render.
#[derive(Debug)]
pub struct SetBudget {
    items_left: usize,
}

impl Default for SetBudget {
    fn default() -> Self {
        SetBudget { items_left: MAX_SET_ITEMS }
    }
}

/// The flags that set values on the command line, in Helm's order of precedence: Helm applies
/// all `--set-json` arguments first, then `--set`, `--set-string`, `--set-file` and
/// `--set-literal`, each in the order given (`pkg/cli/values/options.go`, `MergeValues`), so a
/// later kind wins over an earlier one whatever the order on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SetFlag {
    /// `--set-json path=JSON[,path=JSON]`: each value is one JSON document; an empty value is
    /// `null`. Numbers are read as Helm reads them (64-bit floats; a whole number is kept as an
    /// integer here, as a values file's are). Helm 4 also takes a whole JSON object,
    /// `--set-json '{"image":{"tag":"1"}}'`, merged over the values so far; Helm 3.18 rejects
    /// that form (it reads the object as a path), and emit follows Helm 4.
    Json,
    /// `--set path=value`: `true`, `false` and `null` in any case are a boolean and null, a
    /// decimal integer within 64 bits and without a leading zero (`0` itself, `-5`, `+7`) is an
    /// integer, everything else is a string (`0755`, `1e3`, `1.5`, `""`).
    Set,
    /// `--set-string path=value`: every value is a string.
    String,
    /// `--set-file path=FILE`: the value is the text of FILE (`-` reads standard input).
    File,
    /// `--set-literal path=value`: the value is everything after the first `=`, as a string,
    /// commas and backslashes included; keys take no backslash escapes.
    Literal,
}

impl SetFlag {
    /// The flag as typed on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SetFlag::Json => "--set-json",
            SetFlag::Set => "--set",
            SetFlag::String => "--set-string",
            SetFlag::File => "--set-file",
            SetFlag::Literal => "--set-literal",
        }
    }
}

/// Reads the file a `--set-file` value names; `Err` is the reason, the file is named by the
/// caller.
pub type ReadFile<'a> = dyn FnMut(&str) -> Result<String, String> + 'a;

/// Applies one argument of `flag` to the user's values `dest` (which holds the values files and
/// the arguments before it), as Helm's `strvals.ParseInto` and its siblings do.
///
/// Errors name the flag, the path as far as it was read, and what was expected; `dest` is then
/// partly changed and should be dropped.
pub fn apply(flag: SetFlag, arg: &str, dest: &mut Map<String, Value>, read_file: &mut ReadFile, budget: &mut SetBudget) -> Result<(), ValuesError> {
    if flag == SetFlag::Json && arg.trim().starts_with('{') {
        let object: Map<String, Value> =
            serde_json::from_str(arg.trim()).map_err(|e| ValuesError { source: flag.name().into(), path: String::new(), message: format!("not a JSON object: {e}") })?;
        merge_maps(dest, go_numbers(Value::Object(object)).as_object().cloned().unwrap_or_default());
        return Ok(());
    }
    let mut p = Parser { input: arg.chars().collect(), pos: 0, flag, read_file, budget, depth: 0 };
    loop {
        match p.key(dest, 0, "") {
            Ok(()) => continue,
            Err(Stop::End) => return Ok(()),
            Err(Stop::Error { path, message }) => return Err(ValuesError { source: flag.name().into(), path, message }),
        }
    }
}

/// Parses `--set` arguments into a fresh map (each applied in order), for tests and tools.
pub fn parse_set(assignments: &[String]) -> Result<Value, ValuesError> {
    let mut out = Map::new();
    let mut budget = SetBudget::default();
    for a in assignments {
        apply(SetFlag::Set, a, &mut out, &mut |_| Err("no files here".into()), &mut budget)?;
    }
    Ok(Value::Object(out))
}

/// Helm's `MergeMaps` (values files over each other, and a `--set-json` object over them):
/// maps merge key by key, anything else replaces, and a `null` is kept so that it deletes the
/// default later.
pub fn merge_maps(base: &mut Map<String, Value>, overlay: Map<String, Value>) {
    for (k, v) in overlay {
        match (base.get_mut(&k), v) {
            (Some(Value::Object(b)), Value::Object(o)) => merge_maps(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// The scalar `--set` gives for `text` (Helm's `typedVal`); `strings` for `--set-string`.
pub fn typed_value(text: &str, strings: bool) -> Value {
    if strings {
        return Value::String(text.into());
    }
    if equal_fold(text, "true") {
        return Value::Bool(true);
    }
    if equal_fold(text, "false") {
        return Value::Bool(false);
    }
    if equal_fold(text, "null") {
        return Value::Null;
    }
    if text == "0" {
        return Value::from(0);
    }
    // Go's ParseInt, base 10: an optional sign, then digits; leading zeros only after a sign.
    if !text.is_empty()
        && !text.starts_with('0')
        && let Ok(n) = text.parse::<i64>()
    {
        return Value::from(n);
    }
    Value::String(text.into())
}

/// Go's `strings.EqualFold` for the ASCII words it is used with: besides ASCII case, the long
/// s `ſ` folds to `s` and the Kelvin sign `K` to `k` (Unicode simple case folding).
fn equal_fold(text: &str, word: &str) -> bool {
    let fold = |c: char| match c {
        'ſ' => 's',
        '\u{212A}' => 'k',
        c => c.to_ascii_lowercase(),
    };
    text.chars().count() == word.chars().count() && text.chars().map(fold).eq(word.chars())
}

/// Numbers as Go's JSON decoder gives them (64-bit floats), with a whole number that fits kept
/// as an integer, the form a values file's numbers have in emit.
fn go_numbers(v: Value) -> Value {
    match v {
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // Negative zero stays a float: Go prints it `-0`.
            if f.fract() == 0.0 && f.abs() < 9.2e18 && !(f == 0.0 && f.is_sign_negative()) {
                Value::from(f as i64)
            } else {
                serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)
            }
        }
        Value::Array(a) => Value::Array(a.into_iter().map(go_numbers).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, go_numbers(v))).collect()),
        other => other,
    }
}

/// Why the parser stopped: the end of the argument (Helm's `io.EOF`), or an error.
enum Stop {
    End,
    Error { path: String, message: String },
}

type Step = Result<(), Stop>;

fn fail<T>(path: &str, message: impl Into<String>) -> Result<T, Stop> {
    Err(Stop::Error { path: path.to_string(), message: message.into() })
}

use crate::read::kind_of;

/// A key appended to a path as the user would type it (dots in a key escaped).
fn join(path: &str, key: &str) -> String {
    let key = key.replace('.', "\\.");
    if path.is_empty() { key } else { format!("{path}.{key}") }
}

/// Sets `key` unless it is empty, as Helm's `set` does.
fn set(data: &mut Map<String, Value>, key: &str, v: Value) {
    if !key.is_empty() {
        data.insert(key.to_string(), v);
    }
}

fn set_index(list: &mut Vec<Value>, index: i64, v: Value, path: &str, budget: &mut SetBudget) -> Step {
    if index < 0 {
        return fail(path, format!("index {index}: expected a list index from 0 to {MAX_INDEX}"));
    }
    if index > MAX_INDEX {
        return fail(path, format!("index {index}: expected a list index from 0 to {MAX_INDEX}"));
    }
    let i = index as usize;
    if list.len() <= i {
        let grow = i + 1 - list.len();
        if grow > budget.items_left {
            return fail(path, format!("index {index}: the lists the --set arguments grow would hold more than {MAX_SET_ITEMS} items together"));
        }
        budget.items_left -= grow;
        list.resize(i + 1, Value::Null);
    }
    list[i] = v;
    Ok(())
}

struct Parser<'r, 'a> {
    input: Vec<char>,
    pos: usize,
    flag: SetFlag,
    read_file: &'r mut ReadFile<'a>,
    budget: &'r mut SetBudget,
    /// Keys and indices entered so far.
    depth: usize,
}

/// What `{`...`}` after `=` gave.
enum ValList {
    List(Vec<Value>),
    End,
    NotList,
}

impl Parser<'_, '_> {
    fn literal(&self) -> bool {
        self.flag == SetFlag::Literal
    }

    fn next_char(&mut self) -> Option<char> {
        let c = self.input.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// Text up to one of `stop` (consumed, and returned second; `None` at the end). A
    /// backslash takes the next character as it is, except in `--set-literal`.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let mut out = String::new();
        while let Some(c) = self.next_char() {
            if stop.contains(&c) {
                return (out, Some(c));
            }
            if c == '\\' && !self.literal() {
                match self.next_char() {
                    Some(next) => out.push(next),
                    None => return (out, None),
                }
            } else {
                out.push(c);
            }
        }
        (out, None)
    }

    /// The value of `key`'s text: typed, a string, or a file's text.
    fn read(&mut self, text: &str, path: &str) -> Result<Value, Stop> {
        match self.flag {
            SetFlag::File => match (self.read_file)(text) {
                Ok(t) => Ok(Value::String(t)),
                Err(e) => fail(path, format!("cannot read the file {text:?}: {e}")),
            },
            flag => Ok(typed_value(text, flag == SetFlag::String)),
        }
    }

    fn key(&mut self, data: &mut Map<String, Value>, level: usize, path: &str) -> Step {
        self.deeper(path)?;
        let r = self.key_here(data, level, path);
        self.depth -= 1;
        r
    }

    /// One level deeper into a path: refused past [`MAX_DEPTH`].
    fn deeper(&mut self, path: &str) -> Step {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return fail(path, format!("nested more than {MAX_DEPTH} levels of keys and list indices"));
        }
        Ok(())
    }

    fn key_here(&mut self, data: &mut Map<String, Value>, level: usize, path: &str) -> Step {
        let stop: &[char] = if self.literal() { &['=', '[', '.'] } else { &['=', '[', ',', '.'] };
        let (k, last) = self.until(stop);
        let here = join(path, &k);
        match last {
            None if k.is_empty() => Err(Stop::End),
            None => fail(&here, "no value: expected path=value"),
            Some(',') => fail(&here, "no value before ',': expected path=value"),
            Some('[') => {
                let i = self.index(&here)?;
                // Taken out and put back: a copy per argument costs the list's size each time.
                let mut list = match data.get_mut(&k) {
                    None => Vec::new(),
                    Some(Value::Array(a)) => std::mem::take(a),
                    Some(other) => return fail(&here, format!("is {} already (from an earlier file or flag), not a list to index", kind_of(other))),
                };
                let r = self.list_item(&mut list, i, level, &format!("{here}[{i}]"));
                set(data, &k, Value::Array(list));
                r
            }
            Some('=') => {
                let v = match self.value(&here)? {
                    Some(v) => v,
                    None => {
                        set(data, &k, Value::String(String::new()));
                        return Err(Stop::End);
                    }
                };
                set(data, &k, v);
                Ok(())
            }
            Some(_) => {
                let level = level + 1;
                if level > MAX_NESTED_NAMES {
                    return fail(&here, format!("nested more than {MAX_NESTED_NAMES} levels through '.'"));
                }
                let existed = data.contains_key(&k);
                let mut inner = match data.get_mut(&k) {
                    None => Map::new(),
                    Some(Value::Object(m)) => std::mem::take(m),
                    Some(other) => return fail(&here, format!("is {} already (from an earlier file or flag), not a map to set a key in", kind_of(other))),
                };
                let r = self.key(&mut inner, level, &here);
                if r.is_ok() && inner.is_empty() {
                    return fail(&here, "no key after '.': expected path=value");
                }
                if existed || !inner.is_empty() {
                    set(data, &k, Value::Object(inner));
                }
                r
            }
        }
    }

    /// The value after `=`; `None` when the argument ends right there (Helm sets `""` then).
    fn value(&mut self, path: &str) -> Result<Option<Value>, Stop> {
        match self.flag {
            SetFlag::Json => {
                if self.empty_value() {
                    return Ok(Some(Value::Null));
                }
                let v = self.json(path)?;
                self.empty_value();
                Ok(Some(v))
            }
            SetFlag::Literal => {
                let rest: String = self.input[self.pos..].iter().collect();
                self.pos = self.input.len();
                Ok(Some(Value::String(rest)))
            }
            _ => match self.val_list(path)? {
                ValList::List(l) => Ok(Some(Value::Array(l))),
                ValList::End => Ok(None),
                ValList::NotList => {
                    let (text, _) = self.until(&[',']);
                    self.read(&text, path).map(Some)
                }
            },
        }
    }

    /// `[N]`: the index, read as Go's `strconv.Atoi` reads it.
    fn index(&mut self, path: &str) -> Result<i64, Stop> {
        let (text, last) = self.until(&[']']);
        if last.is_none() {
            return fail(path, format!("'[{text}' has no ']': expected a list index such as [0]"));
        }
        text.parse::<i64>().or_else(|_| fail(path, format!("[{text}]: expected a list index from 0 to {MAX_INDEX}")))
    }

    fn list_item(&mut self, list: &mut Vec<Value>, i: i64, level: usize, path: &str) -> Step {
        self.deeper(path)?;
        let r = self.list_item_here(list, i, level, path);
        self.depth -= 1;
        r
    }

    fn list_item_here(&mut self, list: &mut Vec<Value>, i: i64, level: usize, path: &str) -> Step {
        if i < 0 {
            return fail(path, format!("index {i}: expected a list index from 0 to {MAX_INDEX}"));
        }
        let (k, last) = self.until(&['[', '.', '=']);
        if !k.is_empty() {
            return fail(path, format!("{k:?} after the index: expected '.', '[' or '='"));
        }
        match last {
            None => Err(Stop::End),
            Some('=') => {
                let v = self.value(path)?.unwrap_or(Value::String(String::new()));
                set_index(list, i, v, path, self.budget)
            }
            Some('[') => {
                let next = self.index(path)?;
                let existed = matches!(list.get(i as usize), Some(Value::Array(_)));
                let mut inner = match list.get_mut(i as usize) {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(a)) => std::mem::take(a),
                    Some(other) => return fail(path, format!("is {} already (from an earlier file or flag), not a list to index", kind_of(other))),
                };
                match self.list_item(&mut inner, next, level, &format!("{path}[{next}]")) {
                    Ok(()) => set_index(list, i, Value::Array(inner), path, self.budget),
                    // Helm's nested list is the same Go slice: a change made before the
                    // argument ended stays when the list was there already.
                    Err(Stop::End) if existed => {
                        list[i as usize] = Value::Array(inner);
                        Err(Stop::End)
                    }
                    Err(stop) => Err(stop),
                }
            }
            Some(_) => {
                let mut inner = Map::new();
                if let Some(existing) = list.get_mut(i as usize) {
                    match existing {
                        Value::Object(m) => inner = std::mem::take(m),
                        // Indices out of order: Helm puts an empty map there first.
                        other => *other = Value::Object(Map::new()),
                    }
                }
                let existed = (i as usize) < list.len();
                match self.key(&mut inner, level, path) {
                    Ok(()) => set_index(list, i, Value::Object(inner), path, self.budget),
                    // As above: Helm changed the map in place when it was in the list already.
                    Err(Stop::End) if existed => {
                        list[i as usize] = Value::Object(inner);
                        Err(Stop::End)
                    }
                    Err(stop) => Err(stop),
                }
            }
        }
    }

    /// `{a,b}` after `=`, or why not.
    fn val_list(&mut self, path: &str) -> Result<ValList, Stop> {
        match self.next_char() {
            None => return Ok(ValList::End),
            Some('{') => {}
            Some(_) => {
                self.pos -= 1;
                return Ok(ValList::NotList);
            }
        }
        let mut list = Vec::new();
        loop {
            let (text, last) = self.until(&[',', '}']);
            match last {
                None => return fail(path, "a list {...} without its closing '}'"),
                Some('}') => {
                    // A comma after the list is consumed; anything else starts the next path.
                    if self.input.get(self.pos) == Some(&',') {
                        self.pos += 1;
                    }
                    list.push(self.read(&text, path)?);
                    return Ok(ValList::List(list));
                }
                Some(_) => list.push(self.read(&text, path)?),
            }
        }
    }

    /// Skips white space up to a comma (consumed) or the end: true when no value is there.
    fn empty_value(&mut self) -> bool {
        while let Some(c) = self.next_char() {
            if c == ',' {
                return true;
            }
            if !c.is_whitespace() {
                self.pos -= 1;
                return false;
            }
        }
        true
    }

    /// One JSON document at the current position, ending where Go's JSON decoder ends it.
    fn json(&mut self, path: &str) -> Result<Value, Stop> {
        let rest: String = self.input[self.pos..].iter().collect();
        let len = json_extent(&rest).map_err(|message| Stop::Error { path: path.to_string(), message })?;
        let v: Value = serde_json::from_str(&rest[..len]).or_else(|e| fail(path, format!("not valid JSON: {e}")))?;
        self.pos += rest[..len].chars().count();
        Ok(go_numbers(v))
    }
}

/// The length in bytes of the JSON value at the start of `s`, as Go's `json.Decoder` scans
/// it: a number or literal ends at the first character that cannot continue it, a string or
/// bracket at its closing character. Whether the value is valid JSON is serde_json's to say.
fn json_extent(s: &str) -> Result<usize, String> {
    let b = s.as_bytes();
    let bad = |what: &str| Err(format!("not valid JSON: {what}"));
    match b.first() {
        None => bad("no value"),
        Some(b'"') => {
            let mut i = 1;
            while i < b.len() {
                match b[i] {
                    b'\\' => i += 2,
                    b'"' => return Ok(i + 1),
                    _ => i += 1,
                }
            }
            bad("a string without its closing '\"'")
        }
        Some(b'{' | b'[') => {
            let (mut depth, mut i, mut in_string) = (0usize, 0, false);
            while i < b.len() {
                match (in_string, b[i]) {
                    (true, b'\\') => i += 1,
                    (true, b'"') => in_string = false,
                    (false, b'"') => in_string = true,
                    (false, b'{' | b'[') => depth += 1,
                    (false, b'}' | b']') => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            bad("a list or object without its closing bracket")
        }
        Some(b't') if s.starts_with("true") => Ok(4),
        Some(b'f') if s.starts_with("false") => Ok(5),
        Some(b'n') if s.starts_with("null") => Ok(4),
        Some(b'-' | b'0'..=b'9') => {
            let digits = |i: usize| b[i.min(b.len())..].iter().take_while(|c| c.is_ascii_digit()).count();
            let mut i = usize::from(b[0] == b'-');
            match b.get(i) {
                Some(b'0') => i += 1,
                Some(b'1'..=b'9') => i += digits(i),
                _ => return bad("a '-' without digits"),
            }
            if b.get(i) == Some(&b'.') {
                let n = digits(i + 1);
                if n == 0 {
                    return bad("no digits after '.'");
                }
                i += 1 + n;
            }
            if matches!(b.get(i), Some(b'e' | b'E')) {
                i += 1;
                if matches!(b.get(i), Some(b'+' | b'-')) {
                    i += 1;
                }
                let n = digits(i);
                if n == 0 {
                    return bad("no digits in the exponent");
                }
                i += n;
            }
            Ok(i)
        }
        Some(_) => bad("expected a JSON value (a string in quotes, a number, true, false, null, a list or an object)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with(flag: SetFlag, args: &[&str]) -> Result<Value, ValuesError> {
        let mut out = Map::new();
        for a in args {
            apply(flag, a, &mut out, &mut |p| if p == "f.txt" { Ok("from file".into()) } else { Err("no such file".into()) }, &mut SetBudget::default())?;
        }
        Ok(Value::Object(out))
    }

    fn set(args: &[&str]) -> Value {
        with(SetFlag::Set, args).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    fn err(flag: SetFlag, arg: &str) -> String {
        match with(flag, &[arg]) {
            Ok(v) => panic!("{arg:?} accepted: {v}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn scalars_are_typed_as_helm_types_them() {
        let v = set(&["a.b=1,c=true,d=x,e=null,f={x,y},g=0755,h=TRUE,i=False,j=NuLL,k=0,l=-5,m=+7,n=1e3,o=1.5,p=,q=00,r=9223372036854775808,s=-05"]);
        assert_eq!(
            v,
            json!({"a": {"b": 1}, "c": true, "d": "x", "e": null, "f": ["x", "y"], "g": "0755", "h": true, "i": false, "j": null,
                   "k": 0, "l": -5, "m": 7, "n": "1e3", "o": "1.5", "p": "", "q": "00", "r": "9223372036854775808", "s": -5})
        );
        assert_eq!(set(&["a=falſe"]), json!({"a": false}));
        assert_eq!(with(SetFlag::String, &["a=true,b=20161216,c={1,x}"]).unwrap(), json!({"a": "true", "b": "20161216", "c": ["1", "x"]}));
    }

    #[test]
    fn backslash_escapes_the_next_character() {
        assert_eq!(set(&["ann.kubernetes\\.io/x=a\\,b"]), json!({"ann": {"kubernetes.io/x": "a,b"}}));
        assert_eq!(set(&["e=C:\\temp"]), json!({"e": "C:temp"}));
        assert_eq!(set(&["e=C:\\\\temp"]), json!({"e": "C:\\temp"}));
        assert_eq!(set(&["a\\=b=1"]), json!({"a=b": 1}));
    }

    #[test]
    fn indices_make_and_grow_lists() {
        assert_eq!(set(&["s[0].name=regcred"]), json!({"s": [{"name": "regcred"}]}));
        assert_eq!(set(&["l[2]=x"]), json!({"l": [null, null, "x"]}));
        assert_eq!(set(&["l[0]=a", "l[1]=b", "l[0]=c"]), json!({"l": ["c", "b"]}));
        assert_eq!(set(&["l[1].a=1,l[0].b=2,l[1].c=3"]), json!({"l": [{"b": 2}, {"a": 1, "c": 3}]}));
        assert_eq!(set(&["m[0][1]=x"]), json!({"m": [[null, "x"]]}));
        assert_eq!(set(&["l[+1]=x"]), json!({"l": [null, "x"]}));
        assert_eq!(set(&["l[65536]=x"])["l"].as_array().map(Vec::len), Some(65537));
        assert!(err(SetFlag::Set, "l[65537]=x").contains("from 0 to 65536"));
        assert!(err(SetFlag::Set, "l[-1]=x").contains("index -1"));
        assert!(err(SetFlag::Set, "l[x]=1").contains("[x]"));
        assert!(err(SetFlag::Set, "l[0").contains("no ']'"));
        assert!(err(SetFlag::Set, "l[0]x=1").contains("after the index"));
        // Helm's quirk: an index without a value makes the list and sets nothing.
        assert_eq!(set(&["l[0]"]), json!({"l": []}));
    }

    #[test]
    fn a_path_through_a_value_of_another_kind_fails() {
        let e = err(SetFlag::Set, "a=1,a.b=2");
        assert!(e.starts_with("--set: a: is a number already"), "{e}");
        assert!(err(SetFlag::Set, "a=x,a[0]=1").contains("not a list"));
        assert!(err(SetFlag::Set, "a=null,a.b=1").contains("is null already"));
        assert!(err(SetFlag::Set, "a[0]=1,a[0][0]=1").contains("a[0]: is a number"));
    }

    #[test]
    fn malformed_arguments_fail_with_the_path() {
        assert_eq!(err(SetFlag::Set, "novalue"), "--set: novalue: no value: expected path=value");
        assert!(err(SetFlag::Set, "a=1,b").contains("b: no value"));
        assert!(err(SetFlag::Set, "a,b=1").contains("a: no value before ','"));
        assert!(err(SetFlag::Set, "a={x,y").contains("closing '}'"));
        assert!(err(SetFlag::Set, "a.=1").contains("a: no key after '.'"));
        let deep = format!("{}=1", vec!["k"; 32].join("."));
        assert!(err(SetFlag::Set, &deep).contains("more than 30 levels"));
        assert_eq!(set(&[&format!("{}=1", vec!["k"; 31].join("."))]).pointer(&format!("/{}", vec!["k"; 31].join("/"))), Some(&json!(1)));
    }

    #[test]
    fn helm_quirks_are_kept() {
        assert_eq!(set(&["a={}"]), json!({"a": [""]}));
        assert_eq!(set(&["a={x}b=1"]), json!({"a": ["x"], "b": 1}));
        assert_eq!(set(&["a."]), json!({}));
        assert_eq!(set(&[""]), json!({}));
    }

    #[test]
    fn json_values_are_json_documents() {
        let v = with(SetFlag::Json, &["a=1,b=\"x,y\",c=[1,{\"d\":null}],e=,f=1.5,g=1e3, h = true", "i[1]={\"j\":2}"]).unwrap();
        assert_eq!(v, json!({"a": 1, "b": "x,y", "c": [1, {"d": null}], "e": null, "f": 1.5, "g": 1000, " h ": true, "i": [null, {"j": 2}]}));
        assert_eq!(with(SetFlag::Json, &["z=-0"]).unwrap()["z"].as_f64().map(f64::is_sign_negative), Some(true));
        assert_eq!(with(SetFlag::Json, &[r#"{"a":{"b":1},"c":null}"#]).unwrap(), json!({"a": {"b": 1}, "c": null}));
        assert!(err(SetFlag::Json, "a=tru").contains("not valid JSON"));
        assert!(err(SetFlag::Json, "a=x").contains("expected a JSON value"));
        assert!(err(SetFlag::Json, "a=01").starts_with("--set-json: 1: no value"));
    }

    #[test]
    fn literal_and_file_values() {
        assert_eq!(with(SetFlag::Literal, &["a.b=x,y=\\z{}"]).unwrap(), json!({"a": {"b": "x,y=\\z{}"}}));
        assert_eq!(with(SetFlag::Literal, &["l[1]=true"]).unwrap(), json!({"l": [null, "true"]}));
        assert_eq!(with(SetFlag::File, &["a=f.txt"]).unwrap(), json!({"a": "from file"}));
        let e = err(SetFlag::File, "a.b=missing.txt");
        assert_eq!(e, "--set-file: a.b: cannot read the file \"missing.txt\": no such file");
    }
}
