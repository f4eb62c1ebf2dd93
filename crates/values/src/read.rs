//! Values as Helm reads them, before any schema: a values file's text as YAML 1.1 ([`compose`](crate::compose),
//! [`yaml11`](crate::yaml11)), the size that bounds what is read at all, and Helm's coalescing of the user's values
//! over a chart's defaults.

use std::fmt;
use std::sync::LazyLock;

use regex_lite::Regex;
use serde_json::{Map, Value};

use crate::set::merge_maps;

/// A values error: the source (file or `--set`), the values path, and what was expected.
#[derive(Clone, Debug, PartialEq)]
pub struct ValuesError {
    /// The values file or flag (`values.yaml`, `--set`).
    pub source: String,
    /// The values path (`image.tag`, `hosts[0]`), empty for the whole file.
    pub path: String,
    /// What was expected, and what was found.
    pub message: String,
}

impl fmt::Display for ValuesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() { write!(f, "{}: {}", self.source, self.message) } else { write!(f, "{}: {}: {}", self.source, self.path, self.message) }
    }
}

impl std::error::Error for ValuesError {}

/// Values files can be large or deep; beyond these they are refused before parsing. The size
/// bounds what is read at all, of a values file and of a `--set-file` file alike
/// ([`read_capped`]): a Secret or ConfigMap holds at most 1 MiB, and so does the Secret Helm keeps
/// a release in, so no value larger than this could be installed.
pub const MAX_VALUES_BYTES: usize = 4 << 20;

/// The text `reader` gives, read to its end but never past [`MAX_VALUES_BYTES`]: `/dev/zero`, a
/// sparse file of a gigabyte or an endless pipe is refused after that much, not read whole.
pub fn read_capped(reader: impl std::io::Read) -> Result<String, String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    reader.take(MAX_VALUES_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() > MAX_VALUES_BYTES {
        return Err(format!("file is larger than {} MiB: refused before reading further", MAX_VALUES_BYTES >> 20));
    }
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()))
}
/// A values file as Helm reads it: YAML 1.1 (see `values::yaml11` and `values::compose`),
/// the documents merged in order, a map of settings at the top.
pub fn parse_yaml(name: &str, text: &str) -> Result<Value, ValuesError> {
    let err = |message: String| ValuesError { source: name.to_string(), path: String::new(), message };
    if text.len() > MAX_VALUES_BYTES {
        return Err(err(format!("file is larger than {} MiB", MAX_VALUES_BYTES >> 20)));
    }
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    let mut docs = crate::compose::documents(text).map_err(|e| err(format!("not valid YAML: {e}")))?;
    if docs.len() <= 1 {
        return match docs.pop().unwrap_or_default() {
            Value::Null => Ok(Value::Object(Default::default())),
            v @ Value::Object(_) => Ok(v),
            other => Err(err(format!("expected a map of settings at the top, found {}", kind_of(&other)))),
        };
    }
    // Several documents: Helm 4 merges them in order (`loader.LoadValues`); Helm 3.18 reads
    // the first only. emit follows Helm 4.
    let mut merged = Map::new();
    for (i, doc) in docs.into_iter().enumerate() {
        match doc {
            Value::Null => {}
            Value::Object(m) => merge_maps(&mut merged, m),
            other => return Err(err(format!("document {}: expected a map of settings at the top, found {}", i + 1, kind_of(&other)))),
        }
    }
    Ok(Value::Object(merged))
}

/// Every document of a YAML stream as Helm and the Kubernetes API machinery read it: YAML 1.1
/// through sigs.k8s.io/yaml, as values files are read (`values::compose`); an empty document is
/// `null`. For rendered manifests, which `kubectl` and Helm read so: compared this way, two
/// renderings are equal where the cluster would see the same objects.
pub fn read_documents(name: &str, text: &str) -> Result<Vec<Value>, ValuesError> {
    crate::compose::documents(text).map_err(|e| ValuesError { source: name.to_string(), path: String::new(), message: format!("not valid YAML: {e}") })
}

/// The YAML parser's message in a values file's terms: the file named, the line and column
/// without the excerpt (which may quote secrets), and what its limits mean rather than the
/// library's settings that set them. For any YAML file a user gives (the wizard's answers too).
pub fn yaml_message(name: &str, message: &str) -> String {
    static DEPTH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"budget breached: Depth \{ depth: \d+ \}|recursion limit exceeded").expect("valid pattern"));
    static NODES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"budget breached: (\w+) \{[^}]*\}").expect("valid pattern"));
    // The parser's excerpt quotes the lines around the error, which may hold passwords: the
    // message keeps the line and column only.
    let message = message.split("\n").next().unwrap_or_default();
    let text = message.replace("<input>", name).replace("error: line ", "line ");
    let text = DEPTH.replace_all(&text, format!("nested deeper than {} levels", crate::compose::MAX_DEPTH).as_str()).into_owned();
    let text = NODES.replace_all(&text, "too large once its aliases are expanded, or too many values ($1)").into_owned();
    text.replace("; use from_str_multiple or from_str_multiple_with_options", ": a values file holds one")
        .replace(", set DuplicateKeyPolicy in Options if acceptable", " (given twice)")
        .replace(" rejected by the configured policy", ": values are finite numbers")
}

/// What a value is, in a message's words (`a map`, `a list`, `null`).
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Helm's coalescing of the user's values over the chart's defaults (Helm 4.1,
/// `pkg/chart/common/util/coalesce.go`): the user's value wins; maps merge key by key; a
/// `null` from the user deletes the default it meets, and stays a `null` where there is no
/// default; a map given where the default is a scalar, or a scalar where it is a map, replaces
/// it.
///
/// Helm 3.18 differs only where a default is itself `null`: it deletes the key, Helm 4 keeps the
/// `null`. No chart of ours has a `null` default.
pub fn coalesce(defaults: &Value, user: Map<String, Value>) -> Value {
    let Value::Object(defaults) = defaults else { return Value::Object(user) };
    let mut v = user;
    for (key, default) in defaults {
        match v.get_mut(key) {
            Some(Value::Null) => {
                v.remove(key);
            }
            Some(Value::Object(dest)) => {
                if let Value::Object(src) = default {
                    coalesce_tables(dest, src.clone());
                }
            }
            Some(_) => {}
            None => {
                v.insert(key.clone(), default.clone());
            }
        }
    }
    Value::Object(v)
}

/// Helm's `coalesceTablesFullKey` without merging: `dst` (the user's) over `src` (defaults).
fn coalesce_tables(dst: &mut Map<String, Value>, mut src: Map<String, Value>) {
    let non_null: Vec<String> = src.iter().filter(|(_, v)| !v.is_null()).map(|(k, _)| k.clone()).collect();
    for (k, v) in dst.iter() {
        if v.is_null() {
            src.insert(k.clone(), Value::Null);
        }
    }
    for (key, default) in src {
        match dst.get_mut(&key) {
            Some(Value::Null) if non_null.contains(&key) => {
                dst.remove(&key);
            }
            None => {
                dst.insert(key, default);
            }
            Some(Value::Object(d)) => {
                if let Value::Object(s) = default {
                    coalesce_tables(d, s);
                }
            }
            Some(_) => {}
        }
    }
}
