//! Objects a model refers to without rendering them: what an application declares external
//! ([`crate::Model::external`]), and what those declarations name for one values instance.

use serde_json::Value;

use crate::template::expr::Ex;

/// An object the model refers to without rendering it; `check` accepts references to it.
#[derive(Clone, Debug)]
pub(crate) enum External {
    /// One object of a kind, by a name that may be empty (then it declares nothing).
    Named(&'static str, Ex),
    /// Whatever the pod volumes of a free-form list setting name (`extraVolumes`).
    Volumes(Ex),
    /// Whatever the env vars of a free-form list setting read (`extraEnv`: `valueFrom`'s
    /// `secretKeyRef` and `configMapKeyRef`).
    Env(Ex),
}

/// An object the environment refers to without rendering it, declared by the model
/// (`Model::external`): a Secret the operator creates, a claim that exists already.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    /// The kind (`Secret`, `ConfigMap`, `PersistentVolumeClaim`, `ServiceAccount`, `Service`).
    pub kind: String,
    /// The object's name for these values.
    pub name: String,
}

/// The objects a pod volume names, as (kind, name).
pub fn volume_refs(volume: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut add = |kind: &str, name: Option<&str>| {
        if let Some(n) = name {
            out.push((kind.to_string(), n.to_string()));
        }
    };
    add("ConfigMap", str_at(volume, "/configMap/name"));
    add("Secret", str_at(volume, "/secret/secretName"));
    add("PersistentVolumeClaim", str_at(volume, "/persistentVolumeClaim/claimName"));
    for source in list_at(volume, "/projected/sources") {
        add("ConfigMap", str_at(source, "/configMap/name"));
        add("Secret", str_at(source, "/secret/name"));
    }
    out
}

/// The objects an env var reads, as (kind, name).
pub fn env_refs(env: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(n) = str_at(env, "/valueFrom/secretKeyRef/name") {
        out.push(("Secret".to_string(), n.to_string()));
    }
    if let Some(n) = str_at(env, "/valueFrom/configMapKeyRef/name") {
        out.push(("ConfigMap".to_string(), n.to_string()));
    }
    out
}

fn str_at<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn list_at<'v>(v: &'v Value, pointer: &str) -> &'v [Value] {
    v.pointer(pointer).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}
