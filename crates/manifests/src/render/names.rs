//! Names and labels, defined once for both renderers: the Rust functions here and the
//! `_helpers.tpl` text below implement the same rules (those of `helm create`), and the
//! conformance tests hold them to each other.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::model::chart_meta::ChartMeta;

/// The label that tells apart the components of one release.
pub const COMPONENT_LABEL: &str = "app.kubernetes.io/component";
/// What plain manifests put in `app.kubernetes.io/managed-by` (Helm puts `Helm`).
pub const MANAGED_BY: &str = "kforge";

/// Everything naming depends on: the chart, the release, and the values.
pub struct Names<'a> {
    /// The chart's metadata.
    pub chart: &'a ChartMeta,
    /// The release name.
    pub release: &'a str,
    /// The release namespace.
    pub namespace: &'a str,
    /// The values, merged.
    pub values: &'a Value,
}

/// Helm's `trunc 63 | trimSuffix "-"`.
fn trunc63(s: &str) -> String {
    let mut end = s.len().min(63);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let cut = &s[..end];
    cut.strip_suffix('-').unwrap_or(cut).to_string()
}

/// The string at `path` in the values, or `""` for anything else (as Helm's templates read it).
fn str_at(values: &Value, path: &[&str]) -> String {
    match at(values, path) {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

fn at<'v>(values: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(values, |v, key| v.get(key))
}

impl Names<'_> {
    /// `<chart>.name`: `nameOverride` or the chart's name, at most 63 characters.
    pub fn name(&self) -> String {
        let over = str_at(self.values, &["nameOverride"]);
        trunc63(if over.is_empty() { &self.chart.name } else { &over })
    }

    /// `<chart>.fullname`: `fullnameOverride`, else the release name when it contains the name,
    /// else `<release>-<name>`; at most 63 characters, no trailing `-`.
    pub fn fullname(&self) -> String {
        let full = str_at(self.values, &["fullnameOverride"]);
        if !full.is_empty() {
            return trunc63(&full);
        }
        let over = str_at(self.values, &["nameOverride"]);
        let name = if over.is_empty() { self.chart.name.as_str() } else { over.as_str() };
        if self.release.contains(name) { trunc63(self.release) } else { trunc63(&format!("{}-{}", self.release, name)) }
    }

    /// `<chart>.chart`: `<name>-<version>` with `+` as `_`, the `helm.sh/chart` label.
    pub fn chart_label(&self) -> String {
        trunc63(&format!("{}-{}", self.chart.name, self.chart.version).replace('+', "_"))
    }

    /// `<chart>.serviceAccountName`: `serviceAccount.name`, else the fullname when
    /// `serviceAccount.create`, else `default`.
    pub fn service_account_name(&self) -> String {
        let create = matches!(at(self.values, &["serviceAccount", "create"]), Some(Value::Bool(true)));
        let name = str_at(self.values, &["serviceAccount", "name"]);
        match (create, name.is_empty()) {
            (_, false) => name,
            (true, true) => self.fullname(),
            (false, true) => "default".to_string(),
        }
    }

    /// `app.kubernetes.io/name` and `instance`: what selectors match.
    pub fn selector_labels(&self) -> Vec<(String, String)> {
        vec![("app.kubernetes.io/name".into(), self.name()), ("app.kubernetes.io/instance".into(), self.release.to_string())]
    }

    /// The common labels of plain manifests. The chart adds `helm.sh/chart` and says
    /// `managed-by: Helm`; those two are the only labels where the renderers differ.
    pub fn labels(&self) -> Vec<(String, String)> {
        let mut labels = self.selector_labels();
        if !self.chart.app_version.is_empty() {
            labels.push(("app.kubernetes.io/version".into(), self.chart.app_version.clone()));
        }
        labels.push(("app.kubernetes.io/managed-by".into(), MANAGED_BY.into()));
        labels
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `_helpers.tpl` of a chart: the same rules as [`Names`], in Go template.
pub(crate) fn helpers_tpl(chart: &str) -> String {
    format!(
        r#"{{{{/*
Expand the name of the chart.
*/}}}}
{{{{- define "{chart}.name" -}}}}
{{{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}}}
{{{{- end }}}}

{{{{/*
Create a default fully qualified app name, truncated at 63 characters because some Kubernetes
name fields are limited to this (by the DNS naming spec). If the release name contains the chart
name it is used as the full name.
*/}}}}
{{{{- define "{chart}.fullname" -}}}}
{{{{- if .Values.fullnameOverride }}}}
{{{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}}}
{{{{- else }}}}
{{{{- $name := default .Chart.Name .Values.nameOverride }}}}
{{{{- if contains $name .Release.Name }}}}
{{{{- .Release.Name | trunc 63 | trimSuffix "-" }}}}
{{{{- else }}}}
{{{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- end }}}}

{{{{/*
Chart name and version as used by the chart label.
*/}}}}
{{{{- define "{chart}.chart" -}}}}
{{{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}}}
{{{{- end }}}}

{{{{/*
Common labels.
*/}}}}
{{{{- define "{chart}.labels" -}}}}
helm.sh/chart: {{{{ include "{chart}.chart" . | toJson }}}}
{{{{ include "{chart}.selectorLabels" . }}}}
{{{{- if .Chart.AppVersion }}}}
app.kubernetes.io/version: {{{{ .Chart.AppVersion | toJson }}}}
{{{{- end }}}}
app.kubernetes.io/managed-by: {{{{ .Release.Service | toJson }}}}
{{{{- end }}}}

{{{{/*
Selector labels.
*/}}}}
{{{{- define "{chart}.selectorLabels" -}}}}
app.kubernetes.io/name: {{{{ include "{chart}.name" . | toJson }}}}
app.kubernetes.io/instance: {{{{ .Release.Name | toJson }}}}
{{{{- end }}}}

{{{{/*
The name of the service account to use.
*/}}}}
{{{{- define "{chart}.serviceAccountName" -}}}}
{{{{- if .Values.serviceAccount.create }}}}
{{{{- default (include "{chart}.fullname" .) .Values.serviceAccount.name }}}}
{{{{- else }}}}
{{{{- default "default" .Values.serviceAccount.name }}}}
{{{{- end }}}}
{{{{- end }}}}
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> ChartMeta {
        ChartMeta::new("backbone", "0.2.0", "1.0.0", "test")
    }

    fn names<'a>(chart: &'a ChartMeta, release: &'a str, values: &'a Value) -> Names<'a> {
        Names { chart, release, namespace: "default", values }
    }

    #[test]
    fn fullname_follows_helm_create() {
        let chart = meta();
        let empty = serde_json::json!({});
        assert_eq!(names(&chart, "backbone", &empty).fullname(), "backbone");
        assert_eq!(names(&chart, "prod-backbone-eu", &empty).fullname(), "prod-backbone-eu");
        assert_eq!(names(&chart, "prod", &empty).fullname(), "prod-backbone");
        let over = serde_json::json!({"nameOverride": "mq"});
        assert_eq!(names(&chart, "prod", &over).fullname(), "prod-mq");
        assert_eq!(names(&chart, "prod", &over).name(), "mq");
        let full = serde_json::json!({"fullnameOverride": "broker"});
        assert_eq!(names(&chart, "prod", &full).fullname(), "broker");
    }

    #[test]
    fn fullname_truncates_to_63_without_trailing_dash() {
        let chart = meta();
        let empty = serde_json::json!({});
        // 53 + "-backbone" = 62 chars fits; a 62-char release gets cut at 63 and loses the dash.
        let release = "a".repeat(62);
        let full = names(&chart, &release, &empty).fullname();
        assert_eq!(full, "a".repeat(62));
        assert!(full.len() <= 63);
    }

    #[test]
    fn service_account_name_rules() {
        let chart = meta();
        let create = serde_json::json!({"serviceAccount": {"create": true, "name": ""}});
        assert_eq!(names(&chart, "r", &create).service_account_name(), "r-backbone");
        let named = serde_json::json!({"serviceAccount": {"create": false, "name": "ops"}});
        assert_eq!(names(&chart, "r", &named).service_account_name(), "ops");
        let none = serde_json::json!({"serviceAccount": {"create": false, "name": ""}});
        assert_eq!(names(&chart, "r", &none).service_account_name(), "default");
    }
}
