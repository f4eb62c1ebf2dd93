//! Labels and annotations as the API server takes them (`ValidateLabels`,
//! `ValidateAnnotations` in `k8s.io/apimachinery/pkg/api/validation`): label keys and values,
//! annotation keys, and the size of an object's annotations, on every object and pod template
//! and on selectors. The rules are [`crate::rules`]'; the renderers refuse values that break
//! them, and this finds what the chart's own code might render.

use serde_json::Value;

use super::index::PodTemplate;
use crate::rules::{ANNOTATIONS_TOTAL_MAX, annotation_key, label_value, qualified_name};

/// The keys and values of a label map (or a selector's `matchLabels`), each problem as `what: ...`.
pub(super) fn check_labels(labels: Option<&Value>, what: &str, out: &mut Vec<String>) {
    let Some(Value::Object(labels)) = labels else { return };
    for (k, v) in labels {
        if !qualified_name(k) {
            out.push(format!(
                "{what}: label key {k:?}: an optional DNS subdomain prefix and '/', then a name part of 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
            ));
        }
        match v {
            Value::String(s) if s.len() > 63 => out.push(format!("{what}: label {k:?}: value of {} characters is over the 63 a label value may have", s.len())),
            Value::String(s) if !label_value(s) => {
                out.push(format!("{what}: label {k:?}: value {s:?} is not a label value (letters, digits, '-', '_' and '.', starting and ending with a letter or digit)"))
            }
            Value::String(_) => {}
            other => out.push(format!("{what}: label {k:?}: the value {other} is not a string")),
        }
    }
}

/// The keys of an annotation map and their total size with the values
/// (`TotalAnnotationSizeLimitB`, 256 KiB).
pub(super) fn check_annotations(annotations: Option<&Value>, what: &str, out: &mut Vec<String>) {
    let Some(Value::Object(annotations)) = annotations else { return };
    let mut size = 0;
    for (k, v) in annotations {
        if !annotation_key(k) {
            out.push(format!("{what}: annotation key {k:?}: an optional DNS subdomain prefix and '/', then a name part of 1 to 63 letters, digits, '-', '_' or '.'"));
        }
        size += k.len() + v.as_str().map_or(0, str::len);
    }
    if size > ANNOTATIONS_TOTAL_MAX {
        out.push(format!("{what}: the annotations take {size} bytes, over the {ANNOTATIONS_TOTAL_MAX} Kubernetes takes"));
    }
}

/// An object's labels and annotations.
pub(super) fn object(o: &Value, out: &mut Vec<String>) {
    check_labels(o.pointer("/metadata/labels"), "metadata.labels", out);
    check_annotations(o.pointer("/metadata/annotations"), "metadata.annotations", out);
}

/// The labels and annotations of a pod template inside a workload.
pub(super) fn pod_metadata(pod: &PodTemplate, out: &mut Vec<String>) {
    let at = pod.at;
    check_labels(pod.meta.and_then(|m| m.get("labels")), &format!("{at}metadata.labels"), out);
    check_annotations(pod.annotations, &format!("{at}metadata.annotations"), out);
}
