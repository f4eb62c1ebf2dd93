//! Loading values the way Helm does: values files parsed as YAML, merged over the defaults in
//! order with the `--set` layers, and the merged values validated once against the
//! application's `Values` type (which is what its schema says too).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex_lite::Regex;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::Values;
use kforge_values::set::{ReadFile, SetBudget, SetFlag, apply, merge_maps};
use kforge_values::{ValuesError, coalesce, kind_of, parse_yaml};

/// One layer of the user's values: a values file's text (`-f`), or one argument of a `--set`
/// flag.
#[derive(Clone, Copy, Debug)]
pub enum Layer<'a> {
    File { name: &'a str, text: &'a str },
    Set { flag: SetFlag, arg: &'a str },
}

impl Layer<'_> {
    /// The layer's place in Helm's order: files, then the flags by kind.
    fn rank(&self) -> u8 {
        match self {
            Layer::File { .. } => 0,
            Layer::Set { flag, .. } => 1 + *flag as u8,
        }
    }

    /// The file or flag, for messages.
    pub fn source(&self) -> &str {
        match self {
            Layer::File { name, .. } => name,
            Layer::Set { flag, .. } => flag.name(),
        }
    }
}

/// Checks a merged values tree against the typed `V` and returns its canonical form.
pub fn validate<V: Values>(tree: &Value) -> Result<Value, (String, String)> {
    // Helm passes a `global` map to every chart; it is no setting of ours unless `V` declares
    // it. Only then is the tree copied: deserializing from the borrowed tree saves a copy of
    // every values tree checked.
    let schema = schema_of::<V>();
    let without_global;
    let tree = match tree {
        Value::Object(m) if m.contains_key("global") && schema["properties"].get("global").is_none() => {
            let mut m = m.clone();
            m.remove("global");
            without_global = Value::Object(m);
            &without_global
        }
        other => other,
    };
    // Helm reads every number of a values file as a float, and JSON Schema counts a float
    // without a fraction as an integer: `replicaCount: 1.0` is 1 on both sides.
    let whole;
    let tree = if has_whole_float(tree) {
        whole = whole_floats_as_integers(tree.clone());
        &whole
    } else {
        tree
    };
    // serde reads a struct from a list too (field by field), and then complains about the
    // first field's type: say what is wrong instead.
    sections_are_maps(&schema, tree, "")?;
    let typed: V = serde_path_to_error::deserialize(tree).map_err(|e| {
        let (path, message) = located::<V>(tree, e);
        let (path, message) = super::kube::join_inner_path(&path, &message);
        if let Some(unknown) = unknown_beside_flattened(&schema, &path, &message) {
            return unknown;
        }
        let message = cleared_by_null(&schema, &path, &message).unwrap_or_else(|| in_values_terms(&message));
        (path, message)
    })?;
    serde_json::to_value(&typed).map_err(|e| (String::new(), e.to_string()))
}

/// Where serde's error `e`, reading a `T` from `tree`, lies: `(path, message)`, looked for inside
/// a flattened section when serde reported it at the section's parent ([`crate::expr::Knobbed::flattened_error`]).
fn located<T: crate::expr::Knobbed>(tree: &Value, e: serde_path_to_error::Error<serde_json::Error>) -> (String, String) {
    let at: Vec<String> = e.path().iter().map(segment_key).collect();
    let path = e.path().to_string();
    let message = e.into_inner().to_string();
    T::flattened_error(tree, &at).unwrap_or_else(|| (if path == "." { String::new() } else { path }, message))
}

/// A step of serde's path as the key a section's `flattened_error` matches: a list index as
/// `[i]`, which no section has as a key.
fn segment_key(segment: &serde_path_to_error::Segment) -> String {
    match segment {
        serde_path_to_error::Segment::Map { key } => key.clone(),
        other => format!("[{other}]"),
    }
}

/// `path` below the setting `key`: `tolerations[0].effect` below `server` is
/// `server.tolerations[0].effect`; an empty `path` is `key` itself.
#[doc(hidden)]
pub fn child_path(key: &str, path: &str) -> String {
    match path {
        "" => key.to_string(),
        p if p.starts_with('[') => format!("{key}{p}"),
        p => format!("{key}.{p}"),
    }
}

/// The first error in `tree` (the values of the section holding a flattened `F`) among `F`'s own
/// settings, read on their own so that serde keeps the path inside `F`: `(path, message)`, or
/// `None` when `F`'s settings read fine. Called by the `flattened_error` that `derive(Knobs)`
/// writes.
#[doc(hidden)]
pub fn flattened_error<F: crate::expr::Section + DeserializeOwned + JsonSchema + 'static>(tree: &Value) -> Option<(String, String)> {
    let Value::Object(all) = tree else { return None };
    let schema = schema_of::<F>();
    let own = schema.get("properties")?.as_object()?;
    let mine = Value::Object(all.iter().filter(|(k, _)| own.contains_key(k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect());
    // A section flattened into `F` in turn is looked into too.
    serde_path_to_error::deserialize::<_, F>(&mine).err().map(|e| located::<F>(&mine, e))
}

/// The known setting an unknown `given` key most likely meant: the same but for case
/// (`nodeport`, `nodePort`), or the closest by Jaro-Winkler similarity above 0.85 (`enabeld`,
/// `enabled`); `None` when nothing is that close.
pub(crate) fn did_you_mean<'k>(given: &str, known: impl IntoIterator<Item = &'k str>) -> Option<&'k str> {
    let given = given.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for k in known {
        let score = if k.to_lowercase() == given { 2.0 } else { strsim::jaro_winkler(&given, &k.to_lowercase()) };
        if score > 0.85 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, k));
        }
    }
    best.map(|(_, k)| k)
}

/// ` (did you mean `x`?)` after an unknown key, or nothing.
pub(crate) fn suggestion<'k>(given: &str, known: impl IntoIterator<Item = &'k str>) -> String {
    did_you_mean(given, known).map_or(String::new(), |k| format!(" (did you mean `{k}`?)"))
}

/// serde's "unknown field" at a section with a flattened part names no expected settings (it
/// cannot tell which keys the flattened part took), and comes at the section, not at the key:
/// `(path of the key, message)` listing the known settings from the schema, as serde does
/// elsewhere.
fn unknown_beside_flattened(schema: &Value, path: &str, message: &str) -> Option<(String, String)> {
    static UNKNOWN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^unknown field `([^`]*)`$").expect("valid pattern"));
    let field = UNKNOWN.captures(message)?.get(1)?.as_str();
    let node = schema_at(schema, path);
    let keys: Vec<String> = node?.get("properties")?.as_object()?.keys().map(|k| format!("`{k}`")).collect();
    let expected = match keys.as_slice() {
        [] => return None,
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        many => format!("one of {}", many.join(", ")),
    };
    let at = if path.is_empty() { field.to_string() } else { format!("{path}.{field}") };
    let hint = suggestion(field, node?.get("properties")?.as_object()?.keys().map(String::as_str));
    Some((at, format!("unknown setting `{field}`{hint}: expected {expected}")))
}

fn has_whole_float(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_f64() && n.as_f64().is_some_and(is_whole),
        Value::Array(a) => a.iter().any(has_whole_float),
        Value::Object(m) => m.values().any(has_whole_float),
        _ => false,
    }
}

/// A float without a fraction that an integer reads alike in both renderers: not -0, which Helm
/// prints as `-0` where it prints a float, and at most 2^53 - 1 in size, which Helm's float64
/// holds exactly (beyond, Helm prints `1e+18` where it prints a float; integer settings refuse
/// such numbers on both sides).
fn is_whole(f: f64) -> bool {
    f.fract() == 0.0 && !(f == 0.0 && f.is_sign_negative()) && f.abs() <= super::kube::EXACT_IN_HELM as f64
}

/// Every float without a fraction as an integer (`1.0`, `1e1`), where [`is_whole`] says so.
fn whole_floats_as_integers(v: Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() && n.as_f64().is_some_and(is_whole) => Value::from(n.as_f64().unwrap_or_default() as i64),
        Value::Array(a) => Value::Array(a.into_iter().map(whole_floats_as_integers).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, x)| (k, whole_floats_as_integers(x))).collect()),
        other => other,
    }
}

/// The schema of the setting at the dotted `path` (`""`: the whole values), through sections.
fn schema_at<'s>(schema: &'s Value, path: &str) -> Option<&'s Value> {
    path.split('.').filter(|k| !k.is_empty()).try_fold(schema, |s, key| s.get("properties")?.get(key))
}

/// A required setting the values lack. Outside lists, every setting has a default, so it is
/// missing only because the user set it to `null`, which Helm's coalescing turns into "remove
/// it along with its default": says how to clear it instead.
fn cleared_by_null(schema: &Value, path: &str, message: &str) -> Option<String> {
    static MISSING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^missing field `([^`]*)`$").expect("valid pattern"));
    let field = MISSING.captures(message)?.get(1)?.as_str();
    let setting = if path.is_empty() { field.to_string() } else { format!("{path}.{field}") };
    if path.contains('[') {
        return Some(format!("`{field}` is required here"));
    }
    let node = schema_at(schema, &setting);
    let section = node.and_then(|n| n.get("properties")).and_then(Value::as_object).is_some_and(|p| !p.is_empty());
    let clear = match node.and_then(|n| n.get("type")).and_then(Value::as_str) {
        // `{}` merges over a section's defaults and changes nothing.
        Some("object") if section => format!("leave {setting} out to keep its defaults, or set the settings inside it"),
        Some("object") => format!("set {setting} to {{}} to clear it"),
        Some("array") => format!("set {setting} to [] to clear it"),
        Some("string") => format!("set {setting} to \"\" to clear it"),
        _ => "give a value, or leave it out to keep the default".to_string(),
    };
    Some(format!("`{setting}` cannot be null (a null removes the setting and its default): {clear}"))
}

/// A serde message in values terms: what a setting takes rather than the Rust type that holds
/// it (`expected u8` is "expected an integer from 0 to 255").
fn in_values_terms(message: &str) -> String {
    static RUST_TYPE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"expected (u8|u16|u32|u64|usize|i8|i16|i32|i64|isize|f32|f64)\b").expect("valid pattern"));
    static FOUND: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(floating point|integer|boolean) `([^`]*)`").expect("valid pattern"));
    let text = RUST_TYPE.replace_all(message, |c: &regex_lite::Captures| {
        let range = match &c[1] {
            "u8" => "from 0 to 255".to_string(),
            "u16" => "from 0 to 65535".to_string(),
            "u32" => "from 0 to 4294967295".to_string(),
            "u64" | "usize" => "from 0 to 18446744073709551615".to_string(),
            "i8" => "from -128 to 127".to_string(),
            "i16" => "from -32768 to 32767".to_string(),
            "i32" => "from -2147483648 to 2147483647".to_string(),
            "f32" | "f64" => return "expected a number".to_string(),
            _ => "from -9223372036854775808 to 9223372036854775807".to_string(),
        };
        format!("expected an integer {range}")
    });
    let text = FOUND.replace_all(&text, |c: &regex_lite::Captures| {
        let what = match &c[1] {
            "floating point" => "the number",
            "integer" => "the integer",
            _ => "the boolean",
        };
        format!("{what} {}", &c[2])
    });
    let text = text.replace("invalid type: sequence", "invalid type: a list").replace("invalid type: map", "invalid type: a map").replace("unit value", "null");
    // serde's words for a missing, unknown or null setting, in values terms.
    static WORDS: LazyLock<[(Regex, &str); 4]> = LazyLock::new(|| {
        [
            (Regex::new(r"^invalid type: null, expected (.*)$").expect("valid pattern"), "null is not allowed here: expected $1 (leave the setting out instead)"),
            (Regex::new(r"^unknown field `([^`]*)`, expected (.*)$").expect("valid pattern"), "unknown setting `$1`: expected $2"),
            (Regex::new(r"^unknown variant `([^`]*)`, expected (.*)$").expect("valid pattern"), "invalid value \"$1\": expected $2"),
            (Regex::new(r"^missing field `([^`]*)`$").expect("valid pattern"), "`$1` is required here"),
        ]
    });
    static UNKNOWN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^unknown field `([^`]*)`, expected (.*)$").expect("valid pattern"));
    if let Some(c) = UNKNOWN.captures(&text) {
        static NAMES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"`([^`]*)`").expect("valid pattern"));
        let known: Vec<&str> = NAMES.captures_iter(&c[2]).filter_map(|n| n.get(1)).map(|n| n.as_str()).collect();
        return format!("unknown setting `{}`{}: expected {}", &c[1], suggestion(&c[1], known), &c[2]);
    }
    WORDS.iter().find(|(re, _)| re.is_match(&text)).map_or(text.clone(), |(re, with)| re.replace(&text, *with).into_owned())
}

/// The schema of `V`, generated once per type: loading checks every layer against it.
pub(crate) fn schema_of<V: JsonSchema + 'static>() -> std::sync::Arc<Value> {
    static SCHEMAS: LazyLock<std::sync::Mutex<BTreeMap<std::any::TypeId, std::sync::Arc<Value>>>> = LazyLock::new(Default::default);
    let mut schemas = SCHEMAS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    schemas
        .entry(std::any::TypeId::of::<V>())
        .or_insert_with(|| {
            let mut settings = schemars::generate::SchemaSettings::draft07();
            settings.inline_subschemas = true;
            let mut v = settings.into_generator().into_root_schema_for::<V>().to_value();
            bound_integers(&mut v);
            std::sync::Arc::new(v)
        })
        .clone()
}

/// Every integer schema gets the exact bounds of its Rust type (`u32`: 0 to 4294967295), so Helm
/// refuses what emit cannot read.
fn bound_integers(v: &mut Value) {
    match v {
        Value::Object(m) => {
            super::kube::bound_integer(m);
            m.values_mut().for_each(bound_integers);
        }
        Value::Array(a) => a.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

/// Applies one layer to the user's values.
fn apply_layer(layer: &Layer, user: &mut Map<String, Value>, read_file: &mut ReadFile, budget: &mut SetBudget) -> Result<(), ValuesError> {
    match layer {
        Layer::File { name, text } => {
            if let Value::Object(m) = parse_yaml(name, text)? {
                merge_maps(user, m);
            }
            Ok(())
        }
        Layer::Set { flag, arg } => apply(*flag, arg, user, read_file, budget),
    }
}

/// Every section of settings (a struct: a schema with properties) is given as a map.
fn sections_are_maps(schema: &Value, v: &Value, path: &str) -> Result<(), (String, String)> {
    let Some(Value::Object(props)) = schema.get("properties") else {
        if let (Some(items), Value::Array(list)) = (schema.get("items"), v) {
            for (i, item) in list.iter().enumerate() {
                sections_are_maps(items, item, &format!("{path}[{i}]"))?;
            }
        }
        return Ok(());
    };
    match v {
        Value::Object(m) => {
            for (k, sub) in props {
                if let Some(x) = m.get(k) {
                    sections_are_maps(sub, x, &if path.is_empty() { k.clone() } else { format!("{path}.{k}") })?;
                }
            }
            Ok(())
        }
        other => Err((path.to_string(), format!("expected a map of settings, found {}", kind_of(other)))),
    }
}

/// Validates merged values against an application's `Values` type: the canonical values, or the
/// values path and what was expected there.
pub type Check<'a> = dyn Fn(&Value) -> Result<Value, (String, String)> + 'a;

/// Loads values the way Helm does (`helm template -f ... --set ...`): the user's values are built
/// from the layers in Helm's order (every file in order, merged with Helm's `MergeMaps`; then
/// every `--set-json`, `--set`, `--set-string`, `--set-file` and `--set-literal` argument, by
/// kind and in order within a kind, whatever the order of `layers`), put over the defaults with
/// [`coalesce`], and validated once (Helm validates the coalesced values against the schema
/// once, too). When they fail, the defaults and then the values after each layer are
/// validated, so the error names the file or flag that brought the wrong value in.
///
/// `--set-file` layers are refused here; [`load_reading`] takes a reader for their files.
pub fn load(defaults: &Value, layers: &[Layer], check: &Check) -> Result<Value, ValuesError> {
    load_reading(defaults, layers, check, &mut |_| Err("--set-file is not available here".into()))
}

/// [`load`], with `read_file` giving the text of a file a `--set-file` value names.
pub fn load_reading(defaults: &Value, layers: &[Layer], check: &Check, read_file: &mut ReadFile) -> Result<Value, ValuesError> {
    let mut ordered: Vec<&Layer> = layers.iter().collect();
    ordered.sort_by_key(|l| l.rank());
    // A file is read once, also when the layers are applied again below (`-` is standard input).
    let mut files: std::collections::HashMap<String, Result<String, String>> = std::collections::HashMap::new();
    let read_file = &mut |path: &str| files.entry(path.to_string()).or_insert_with(|| read_file(path)).clone();
    let mut user = Map::new();
    let mut budget = SetBudget::default();
    for layer in &ordered {
        apply_layer(layer, &mut user, read_file, &mut budget)?;
    }
    let tree = coalesce(defaults, user);
    let (path, message) = match check(&tree) {
        Ok(canonical) => return Ok(canonical),
        Err(e) => e,
    };
    drop(tree);
    // Only to name the source: the defaults, then the values after each layer, built again
    // layer by layer; the first that fails names it. (A check per layer on every load doubled
    // the cost of loading values, and a copy kept per layer made many `--set` flags cost memory
    // by the square of their number.)
    check(defaults).map_err(|(path, message)| ValuesError { source: "defaults".into(), path, message })?;
    if ordered.len() > 1 {
        let mut user = Map::new();
        let mut budget = SetBudget::default();
        for layer in &ordered {
            apply_layer(layer, &mut user, read_file, &mut budget)?;
            check(&coalesce(defaults, user.clone())).map_err(|(path, message)| ValuesError { source: layer.source().to_string(), path, message })?;
        }
    }
    // Reached only when the values fail together and never one layer at a time (a one-layer
    // load keeps no earlier state): name every source.
    let sources: Vec<&str> = ordered.iter().map(|l| l.source()).collect();
    Err(ValuesError { source: sources.join(", "), path, message })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn many_documents_merge_as_helm_4_merges_them() {
        // 1025 documents once hit the parser's default limit, reported as an alias problem.
        let text = format!("a: 0\n{}", (1..=1100).map(|i| format!("---\na: {i}\n")).collect::<String>());
        assert_eq!(parse_yaml("many.yaml", &text).expect("loads"), json!({"a": 1100}));
    }

    #[test]
    fn load_checks_the_merged_values_and_names_the_file_that_broke_them() {
        // Stands in for a typed check: `port` must be a number.
        let check = |t: &Value| -> Result<Value, (String, String)> { if t["port"].is_number() { Ok(t.clone()) } else { Err(("port".into(), "expected a number".into())) } };
        let defaults = json!({"port": 80, "name": "x"});
        let bad = Layer::File { name: "a.yaml", text: "port: http" };
        let fix = Layer::Set { flag: SetFlag::Set, arg: "port=8080" };
        // As with Helm, which validates the merged values once: a later layer may correct an
        // earlier one.
        let v = load(&defaults, &[bad, fix], &check).expect("the merged values are valid");
        assert_eq!(v["port"], 8080);
        let other = Layer::File { name: "b.yaml", text: "name: y" };
        let e = load(&defaults, &[other, bad], &check).unwrap_err();
        assert_eq!((e.source.as_str(), e.path.as_str()), ("a.yaml", "port"));
        let e = load(&defaults, &[Layer::Set { flag: SetFlag::String, arg: "port=1" }], &check).unwrap_err();
        assert_eq!(e.to_string(), "--set-string: port: expected a number");
    }

    #[test]
    fn layers_apply_in_helms_order_whatever_the_order_given() {
        let check = |t: &Value| -> Result<Value, (String, String)> { Ok(t.clone()) };
        let defaults = json!({"a": "default"});
        let set = |flag, arg| Layer::Set { flag, arg };
        let layers = [
            set(SetFlag::Literal, "a=literal"),
            set(SetFlag::String, "b=string"),
            set(SetFlag::Set, "a=set,b=set,c=set"),
            set(SetFlag::Json, r#"a="json",b="json",c="json",d="json""#),
            Layer::File { name: "f.yaml", text: "a: file\nb: file\nc: file\nd: file\ne: file" },
        ];
        let v = load(&defaults, &layers, &check).unwrap();
        assert_eq!(v, json!({"a": "literal", "b": "string", "c": "set", "d": "json", "e": "file"}));
    }

    #[test]
    fn messages_name_what_a_setting_takes_not_rust_types() {
        assert_eq!(in_values_terms("invalid value: integer `300`, expected u8"), "invalid value: the integer 300, expected an integer from 0 to 255");
        assert_eq!(in_values_terms("invalid type: floating point `1.5`, expected u16"), "invalid type: the number 1.5, expected an integer from 0 to 65535");
        assert_eq!(in_values_terms("invalid type: string \"x\", expected f64"), "invalid type: string \"x\", expected a number");
        assert_eq!(in_values_terms("invalid type: sequence, expected a boolean"), "invalid type: a list, expected a boolean");
        assert_eq!(in_values_terms("invalid type: null, expected a string"), "null is not allowed here: expected a string (leave the setting out instead)");
        assert_eq!(in_values_terms("unknown variant `Sometimes`, expected one of `Always`, `Never`"), "invalid value \"Sometimes\": expected one of `Always`, `Never`");
        assert_eq!(in_values_terms("unknown field `tgas`, expected `tag`"), "unknown setting `tgas`: expected `tag`");
    }

    #[test]
    fn whole_floats_read_as_integers_as_helm_reads_them() {
        let v = json!({"a": 1.0, "b": [1e1, 1.5, -0.0], "c": 1e18, "d": 7});
        assert!(has_whole_float(&v));
        assert_eq!(whole_floats_as_integers(v), json!({"a": 1, "b": [10, 1.5, -0.0], "c": 1e18, "d": 7}));
        assert!(!has_whole_float(&json!({"a": 1, "b": 0.5})));
    }

    #[test]
    fn a_setting_nulled_away_says_how_to_clear_it() {
        let schema = json!({"properties": {"nodeSelector": {"type": "object"}, "s": {"properties": {"port": {"type": "integer"}}}}});
        assert_eq!(
            cleared_by_null(&schema, "", "missing field `nodeSelector`").unwrap(),
            "`nodeSelector` cannot be null (a null removes the setting and its default): set nodeSelector to {} to clear it"
        );
        assert!(cleared_by_null(&schema, "s", "missing field `port`").unwrap().ends_with("give a value, or leave it out to keep the default"));
        assert_eq!(cleared_by_null(&schema, "l[0]", "missing field `name`").unwrap(), "`name` is required here");
        assert_eq!(cleared_by_null(&schema, "", "invalid type: null"), None);
    }

    #[test]
    fn several_documents_merge_as_in_helm_4() {
        let v = parse_yaml("f.yaml", "a: {x: 1}\nb: 1\n---\na: {z: 2}\n---\n").unwrap();
        assert_eq!(v, json!({"a": {"x": 1, "z": 2}, "b": 1}));
        let e = parse_yaml("f.yaml", "a: 1\n---\n- x\n").unwrap_err();
        assert_eq!(e.to_string(), "f.yaml: document 2: expected a map of settings at the top, found a list");
    }

    #[test]
    fn coalesce_keeps_defaults_the_user_does_not_replace_and_null_deletes() {
        let defaults = json!({"a": {"x": 1, "y": 2}, "l": [1, 2], "z": 3, "m": {"k": "v"}, "s": "text"});
        let user = json!({"a": {"y": 5, "new": null}, "l": [9], "z": null, "m": "scalar", "s": {"k": 1}, "u": null});
        let v = coalesce(&defaults, user.as_object().cloned().unwrap());
        // A null with no default under it stays (Helm's schema then judges it).
        assert_eq!(v, json!({"a": {"x": 1, "y": 5, "new": null}, "l": [9], "m": "scalar", "s": {"k": 1}, "u": null}));
    }

    #[test]
    fn files_keep_nulls_until_coalescing() {
        // Helm merges the files first (a null replaces, a later map replaces the null), then
        // coalesces: the default's other keys come back under the later map.
        let check = |t: &Value| -> Result<Value, (String, String)> { Ok(t.clone()) };
        let defaults = json!({"a": {"x": 1, "z": 2}});
        let layers = [Layer::File { name: "1.yaml", text: "a: null" }, Layer::File { name: "2.yaml", text: "a: {z: 3}" }];
        assert_eq!(load(&defaults, &layers, &check).unwrap(), json!({"a": {"x": 1, "z": 3}}));
        let e = load(&defaults, &[Layer::File { name: "1.yaml", text: "a: null" }, Layer::Set { flag: SetFlag::Set, arg: "a.z=1" }], &check).unwrap_err();
        assert_eq!((e.source.as_str(), e.path.as_str()), ("--set", "a"));
    }
}

#[cfg(test)]
mod flattened {
    //! Errors inside a `#[serde(flatten)]`ed section, which serde reports without their path.

    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use super::validate;
    use crate::Knobs;
    use crate::kit::PodSettings;

    #[derive(Debug, Serialize, Deserialize, JsonSchema, Knobs)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Values {
        replica_count: u8,
        #[serde(flatten)]
        pod: PodSettings,
        server: Server,
    }

    #[derive(Debug, Serialize, Deserialize, JsonSchema, Knobs)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Server {
        port: u16,
        #[serde(flatten)]
        pod: PodSettings,
    }

    impl Default for Values {
        fn default() -> Self {
            Values { replica_count: 1, pod: PodSettings::restricted(1000), server: Server { port: 80, pod: PodSettings::restricted(1000) } }
        }
    }

    /// The defaults with `path` (dotted keys) set to `value`.
    fn with(path: &str, value: serde_json::Value) -> serde_json::Value {
        let mut tree = serde_json::to_value(Values::default()).expect("defaults");
        let (parent, key) = path.rsplit_once('.').map_or(("", path), |(p, k)| (p, k));
        let node = parent.split('.').filter(|k| !k.is_empty()).fold(&mut tree, |t, k| &mut t[k]);
        node[key] = value;
        tree
    }

    fn error(tree: &serde_json::Value) -> (String, String) {
        validate::<Values>(tree).expect_err("refused")
    }

    #[test]
    fn the_defaults_read() {
        let tree = serde_json::to_value(Values::default()).expect("defaults");
        assert_eq!(validate::<Values>(&tree).expect("read"), tree);
    }

    #[test]
    fn a_flattened_sections_settings_sit_beside_the_structs_own() {
        let tree = serde_json::to_value(Values::default()).expect("defaults");
        for key in ["replicaCount", "podAnnotations", "tolerations", "serviceAccount", "server"] {
            assert!(tree.get(key).is_some(), "{key} is not at the top: {tree}");
        }
        assert!(tree.get("pod").is_none(), "the section has a key of its own: {tree}");
        let handles = <Values as crate::Knobbed>::handle(crate::Path::values());
        assert_eq!(handles.pod.node_selector.path().to_string(), "nodeSelector");
        assert_eq!(handles.server.pod.service_account.create.path().to_string(), "server.serviceAccount.create");
    }

    #[test]
    fn an_error_inside_a_flattened_section_names_its_setting() {
        let tree = with("tolerations", json!([{"key": "a", "efect": "NoSchedule"}]));
        let (path, message) = error(&tree);
        assert_eq!(path, "tolerations[0].efect", "{message}");
        assert!(message.contains("unknown setting: a Toleration takes effect"), "{message}");

        let (path, message) = error(&with("podAnnotations", json!({"a": 1})));
        assert_eq!(path, "podAnnotations.a", "{message}");
        assert!(message.contains("expected a string"), "{message}");

        let (path, message) = error(&with("serviceAccount.create", json!("yes")));
        assert_eq!(path, "serviceAccount.create", "{message}");
    }

    #[test]
    fn an_error_in_a_section_flattened_below_the_top_names_its_setting() {
        let (path, message) = error(&with("server.affinity", json!({"nodeAfinity": {}})));
        assert_eq!(path, "server.affinity.nodeAfinity", "{message}");
        let (path, message) = error(&with("server.podLabels", json!([])));
        assert_eq!(path, "server.podLabels", "{message}");
    }

    #[test]
    fn an_unknown_setting_beside_a_flattened_section_lists_what_is_known() {
        let (path, message) = error(&with("podAnotations", json!({})));
        assert_eq!(path, "podAnotations", "{message}");
        assert!(message.starts_with("unknown setting `podAnotations` (did you mean `podAnnotations`?): expected one of `replicaCount`, `imagePullSecrets`"), "{message}");
        assert!(message.contains("`podAnnotations`") && message.contains("`server`"), "{message}");
        let (path, message) = error(&with("server.prot", json!(1)));
        assert_eq!(path, "server.prot", "{message}");
        assert!(message.contains("unknown setting `prot` (did you mean `port`?): expected one of `port`, `imagePullSecrets`"), "{message}");
    }

    #[test]
    fn an_unknown_setting_names_the_one_it_most_likely_meant() {
        let (_, message) = error(&with("nodeSelecter", json!({})));
        assert!(message.starts_with("unknown setting `nodeSelecter` (did you mean `nodeSelector`?): expected one of"), "{message}");
        let (_, message) = error(&with("server.Port", json!(1)));
        assert!(message.starts_with("unknown setting `Port` (did you mean `port`?)"), "{message}");
        let (_, message) = error(&with("zzz", json!(1)));
        assert!(message.starts_with("unknown setting `zzz`: expected"), "{message}");
        assert_eq!(super::did_you_mean("enabeld", ["enabled", "annotations"]), Some("enabled"));
        assert_eq!(super::did_you_mean("redis", ["replicaCount", "image", "cache"]), None);
    }

    #[test]
    fn a_flattened_section_lends_no_description_to_the_values() {
        // schemars gives the flattened struct's doc comment to the whole schema.
        let schema = super::schema_of::<Values>();
        assert!(schema.get("description").is_none(), "{}", schema["description"]);
        assert!(schema["properties"]["nodeSelector"]["description"].is_string());
    }

    #[test]
    fn a_null_over_a_section_says_to_leave_it_out() {
        let mut tree = serde_json::to_value(Values::default()).expect("defaults");
        tree.as_object_mut().expect("map").remove("serviceAccount");
        let (_, message) = error(&tree);
        assert!(message.contains("leave serviceAccount out to keep its defaults, or set the settings inside it"), "{message}");
    }

    #[test]
    fn a_null_in_a_flattened_section_says_how_to_clear_it() {
        let mut tree = serde_json::to_value(Values::default()).expect("defaults");
        tree.as_object_mut().expect("map").remove("nodeSelector");
        let (path, message) = error(&tree);
        assert!(message.contains("set nodeSelector to {} to clear it"), "{path}: {message}");
    }
}
