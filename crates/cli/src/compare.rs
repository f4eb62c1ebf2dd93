//! Two rendered streams compared object by object, as the contract has it (README, "The
//! contract"): `helm template` of a chart against `emit --stdout` for the same values. Objects are
//! matched by kind, namespace and name; Helm's bookkeeping labels, `checksum/*` and `helm.sh/hook*`
//! annotations are left out, and a number equals its decimal string (a quantity or an
//! int-or-string, which Kubernetes reads alike). `kforge compare` and the integration tests share
//! this one implementation.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

/// The objects of a rendered stream as the cluster reads them (YAML 1.1, as `kubectl` and Helm
/// read manifests: `on` is a string there, `0644` 420), empty documents left out. `name` names
/// the stream in the error.
pub fn parse_stream(name: &str, yaml: &str) -> Result<Vec<Value>, String> {
    let docs = kforge::values::read_documents(name, yaml).map_err(|e| e.to_string())?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

fn strip_helm_bookkeeping(labels: Option<&mut Value>) {
    if let Some(Value::Object(l)) = labels {
        l.remove("helm.sh/chart");
        l.remove("app.kubernetes.io/managed-by");
    }
}

fn strip_checksums(annotations: Option<&mut Value>) {
    if let Some(Value::Object(a)) = annotations {
        a.retain(|k, _| !k.starts_with("checksum/") && !k.starts_with("helm.sh/hook"));
    }
}

/// Removes exactly what the contract lets the renderers differ in: Helm's bookkeeping labels,
/// `checksum/*` annotations (on objects and pod templates), and `helm.sh/hook*` annotations (a
/// hook of the chart is a plain object of the manifests).
pub fn normalize(mut doc: Value) -> Value {
    // A CronJob keeps the labels of its Jobs and of their pods deeper.
    for pointer in ["/metadata", "/spec/template/metadata", "/spec/jobTemplate/metadata", "/spec/jobTemplate/spec/template/metadata"] {
        let Some(Value::Object(meta)) = doc.pointer_mut(pointer) else { continue };
        strip_helm_bookkeeping(meta.get_mut("labels"));
        strip_checksums(meta.get_mut("annotations"));
        if meta.get("annotations").is_some_and(|a| a.as_object().is_some_and(Map::is_empty)) {
            meta.remove("annotations");
        }
    }
    doc
}

/// Equal as Kubernetes reads them: a quantity or int-or-string may be a number on one side and
/// its decimal string on the other.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w))),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w)),
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => n.to_string() == *s,
        _ => a == b,
    }
}

/// An object's identity in a stream: its kind, namespace and name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectKey {
    /// `Deployment`.
    pub kind: String,
    /// Empty when the object names none.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectKey {
    /// The key of `doc`; `?` for a kind or name it lacks.
    pub fn of(doc: &Value) -> ObjectKey {
        let text = |v: &Value, missing: &str| v.as_str().unwrap_or(missing).to_string();
        ObjectKey { kind: text(&doc["kind"], "?"), namespace: text(&doc["metadata"]["namespace"], ""), name: text(&doc["metadata"]["name"], "?") }
    }
}

/// `Kind/namespace/name`, the namespace empty when the object has none (as the tests have
/// always named objects).
impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
    }
}

impl ObjectKey {
    /// `Kind/name`, with ` in namespace NS` when it has one: for people.
    pub fn human(&self) -> String {
        if self.namespace.is_empty() { format!("{}/{}", self.kind, self.name) } else { format!("{}/{} in namespace {}", self.kind, self.name, self.namespace) }
    }
}

/// One field that differs within an object: its path (`spec.replicas`,
/// `metadata.labels["app.kubernetes.io/name"]`, `spec.ports[0]`) and the value on each side,
/// `None` where that side does not have it.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDifference {
    /// The field's path from the object's root.
    pub path: String,
    /// Helm's value.
    pub helm: Option<Value>,
    /// emit's value.
    pub emit: Option<Value>,
}

/// An object both streams have, and differs.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectDifference {
    /// Which object.
    pub key: ObjectKey,
    /// Helm's, normalized.
    pub helm: Value,
    /// emit's, normalized.
    pub emit: Value,
    /// The fields that differ, in Helm's order of keys (then emit's own).
    pub fields: Vec<FieldDifference>,
}

/// What two streams hold and where they differ.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Every object of Helm's stream, in key order.
    pub helm_keys: Vec<ObjectKey>,
    /// Every object of emit's stream, in key order.
    pub emit_keys: Vec<ObjectKey>,
    /// The objects both have and agree on.
    pub agreeing: usize,
    /// The objects both have and differ in, in key order.
    pub differing: Vec<ObjectDifference>,
}

impl Comparison {
    /// Objects only Helm renders.
    pub fn only_helm(&self) -> Vec<&ObjectKey> {
        self.helm_keys.iter().filter(|k| self.emit_keys.binary_search(k).is_err()).collect()
    }

    /// Objects only emit renders.
    pub fn only_emit(&self) -> Vec<&ObjectKey> {
        self.emit_keys.iter().filter(|k| self.helm_keys.binary_search(k).is_err()).collect()
    }

    /// The same objects on both sides, each the same.
    pub fn agrees(&self) -> bool {
        self.helm_keys == self.emit_keys && self.differing.is_empty()
    }

    /// Every difference, one line per object only one side renders and per differing field,
    /// with both values (JSON): for people, deterministic.
    pub fn report(&self) -> String {
        let mut out = String::new();
        for k in self.only_helm() {
            out.push_str(&format!("{}: only helm template renders it\n", k.human()));
        }
        for k in self.only_emit() {
            out.push_str(&format!("{}: only emit renders it\n", k.human()));
        }
        for d in &self.differing {
            out.push_str(&format!("{}: {} field(s) differ\n", d.key.human(), d.fields.len()));
            for f in &d.fields {
                out.push_str(&format!("  {}\n    helm: {}\n    emit: {}\n", f.path, shown(f.helm.as_ref()), shown(f.emit.as_ref())));
            }
        }
        out
    }
}

fn shown(v: Option<&Value>) -> String {
    v.map_or_else(|| "(absent)".to_string(), |v| serde_json::to_string(v).unwrap_or_default())
}

/// The objects of a stream by key, normalized; `Err` for an object that appears twice.
fn index(docs: Vec<Value>) -> Result<BTreeMap<ObjectKey, Value>, String> {
    let mut m = BTreeMap::new();
    for d in docs {
        let d = normalize(d);
        let key = ObjectKey::of(&d);
        if m.contains_key(&key) {
            return Err(format!("duplicate object {key}"));
        }
        m.insert(key, d);
    }
    Ok(m)
}

/// Compares Helm's objects with emit's (both already parsed), object by object. `Err` for an
/// object that appears twice in one stream, which no comparison can match.
pub fn compare_objects(helm: Vec<Value>, emit: Vec<Value>) -> Result<Comparison, String> {
    let h = index(helm)?;
    let o = index(emit)?;
    let mut agreeing = 0;
    let mut differing = Vec::new();
    for (k, hv) in &h {
        let Some(ov) = o.get(k) else { continue };
        if same(hv, ov) {
            agreeing += 1;
        } else {
            let mut fields = Vec::new();
            field_differences(hv, ov, &mut String::new(), &mut fields);
            differing.push(ObjectDifference { key: k.clone(), helm: hv.clone(), emit: ov.clone(), fields });
        }
    }
    Ok(Comparison { helm_keys: h.into_keys().collect(), emit_keys: o.into_keys().collect(), agreeing, differing })
}

/// [`compare_objects`] of two YAML streams.
pub fn compare_streams(helm: &str, emit: &str) -> Result<Comparison, String> {
    compare_objects(parse_stream("helm template's output", helm)?, parse_stream("emit's output", emit)?)
}

/// A path segment: `.key` for a plain key, `["key"]` for one with dots, slashes or the like.
fn push_key(path: &mut String, key: &str) {
    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push_str(&format!("[{}]", serde_json::to_string(key).unwrap_or_default()));
    }
}

/// The leaves where `a` (Helm's) and `b` (emit's) differ, by [`same`]: maps key by key, lists
/// item by item (an item only one side has is absent on the other).
fn field_differences(a: &Value, b: &Value, path: &mut String, out: &mut Vec<FieldDifference>) {
    let at = |path: &String| if path.is_empty() { "(the whole object)".to_string() } else { path.clone() };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys = x.keys().chain(y.keys().filter(|k| !x.contains_key(*k)));
            for k in keys {
                let len = path.len();
                push_key(path, k);
                match (x.get(k), y.get(k)) {
                    (Some(v), Some(w)) => field_differences(v, w, path, out),
                    (v, w) => out.push(FieldDifference { path: at(path), helm: v.cloned(), emit: w.cloned() }),
                }
                path.truncate(len);
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                match (x.get(i), y.get(i)) {
                    (Some(v), Some(w)) => field_differences(v, w, path, out),
                    (v, w) => out.push(FieldDifference { path: at(path), helm: v.cloned(), emit: w.cloned() }),
                }
                path.truncate(len);
            }
        }
        _ if same(a, b) => {}
        _ => out.push(FieldDifference { path: at(path), helm: Some(a.clone()), emit: Some(b.clone()) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bookkeeping_and_checksums_are_left_out_and_numbers_equal_their_text() {
        let helm = "kind: Deployment\nmetadata:\n  name: a\n  labels: {app: a, helm.sh/chart: a-1, app.kubernetes.io/managed-by: Helm}\nspec:\n  template:\n    metadata:\n      annotations: {checksum/config: abc}\n  cpu: 0.5\n";
        let emit = "kind: Deployment\nmetadata:\n  name: a\n  labels: {app: a}\nspec:\n  template:\n    metadata: {}\n  cpu: \"0.5\"\n";
        let c = compare_streams(helm, emit).expect("compares");
        assert!(c.agrees(), "{}", c.report());
        assert_eq!(c.agreeing, 1);
    }

    #[test]
    fn a_difference_is_named_by_object_and_field_with_both_values() {
        let helm =
            "kind: Service\nmetadata: {name: s, namespace: ns, labels: {app.kubernetes.io/name: x}}\nspec:\n  ports: [{port: 80}]\n---\nkind: ConfigMap\nmetadata: {name: c}\n";
        let emit = "kind: Service\nmetadata: {name: s, namespace: ns, labels: {app.kubernetes.io/name: z}}\nspec:\n  ports: [{port: 80}, {port: 81}]\n  type: ClusterIP\n";
        let c = compare_streams(helm, emit).expect("compares");
        assert!(!c.agrees());
        assert_eq!(c.only_helm().iter().map(|k| k.to_string()).collect::<Vec<_>>(), ["ConfigMap//c"]);
        let fields: Vec<(&str, Option<Value>, Option<Value>)> = c.differing[0].fields.iter().map(|f| (f.path.as_str(), f.helm.clone(), f.emit.clone())).collect();
        assert_eq!(
            fields,
            [
                (r#"metadata.labels["app.kubernetes.io/name"]"#, Some(json!("x")), Some(json!("z"))),
                ("spec.ports[1]", None, Some(json!({"port": 81}))),
                ("spec.type", None, Some(json!("ClusterIP"))),
            ]
        );
        let report = c.report();
        assert!(report.contains("ConfigMap/c: only helm template renders it\n"), "{report}");
        assert!(report.contains("Service/s in namespace ns: 3 field(s) differ\n  metadata.labels[\"app.kubernetes.io/name\"]\n    helm: \"x\"\n    emit: \"z\"\n"), "{report}");
        assert!(report.contains("  spec.type\n    helm: (absent)\n    emit: \"ClusterIP\"\n"), "{report}");
    }

    #[test]
    fn an_object_twice_and_a_broken_stream_are_errors() {
        assert!(compare_streams("kind: A\nmetadata: {name: a}\n---\nkind: A\nmetadata: {name: a}\n", "").is_err_and(|e| e.contains("duplicate object A//a")));
        assert!(compare_streams("kind: [", "").is_err_and(|e| e.contains("helm template's output")));
    }
}
