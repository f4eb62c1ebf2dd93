//! The rules of [`crate::rules`] over a setting's whole value, as `_helpers.tpl` defines: each
//! takes `(list VALUE "path" ...)` and yields the message the Rust function gives, or nothing.
//! `tests/it` holds the two to each other with real Helm.

use std::collections::BTreeSet;

use crate::rules::{ANNOTATIONS_TOTAL_MAX, ANNOTATIONS_VALUES_MAX, CHART_LABELS, LABEL_PART_PATTERN, PATH_SEQUENCES, PATH_SUFFIXES, SUBDOMAIN_PATTERN, ValuesRule};

/// The helper that implements `rule`.
pub(crate) fn helper(rule: ValuesRule) -> &'static str {
    match rule {
        ValuesRule::Labels { own: true } => "ownLabelsProblem",
        ValuesRule::Labels { own: false } => "labelsProblem",
        ValuesRule::Annotations => "annotationsProblem",
        ValuesRule::Resources => "resourcesProblem",
        ValuesRule::Percent => "percentProblem",
        ValuesRule::IngressRules => "ingressRulesProblem",
        ValuesRule::IngressTls => "ingressTlsProblem",
        ValuesRule::RollingUpdate => "rollingUpdateProblem",
    }
}

const KEY_SHAPE: &str = "an optional DNS subdomain prefix and '/', then 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

/// `ipv4_sloppy` of the rules: four numbers up to 255, leading zeros allowed.
const IPV4_PATTERN: &str = r"^(0*(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}0*(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$";

/// The defines, for a chart named `chart`: the rules every chart's metadata and containers
/// need, and those of `used` that only some objects bring (Ingresses, disruption budgets).
pub(crate) fn helpers_tpl(chart: &str, used: &BTreeSet<ValuesRule>) -> String {
    let mut out = base(chart);
    if used.contains(&ValuesRule::Percent) {
        out.push_str(&percent(chart));
    }
    if used.contains(&ValuesRule::IngressRules) || used.contains(&ValuesRule::IngressTls) {
        out.push_str(&ingress(chart));
    }
    if used.contains(&ValuesRule::RollingUpdate) {
        out.push_str(&rolling_update(chart));
    }
    out
}

fn rolling_update(chart: &str) -> String {
    format!(
        r#"
{{{{/*
A rolling update's settings: (list {{maxSurge, maxUnavailable}} "path"). 0 is a count of 0 or a
percentage of 0; a float prints as itself, so -0 is none.
*/}}}}
{{{{- define "{chart}.rollingUpdateProblem" -}}}}
{{{{- $r := index . 0 | default dict }}}}
{{{{- if and (regexMatch "^0+%?$" (toString (get $r "maxSurge"))) (regexMatch "^0+%?$" (toString (get $r "maxUnavailable"))) }}}}
{{{{- printf "%s.maxSurge and %s.maxUnavailable are both 0: Kubernetes refuses a rolling update that can neither add a pod nor take one away" (index . 1) (index . 1) }}}}
{{{{- end }}}}
{{{{- end }}}}
"#
    )
}

fn percent(chart: &str) -> String {
    format!(
        r#"
{{{{- define "{chart}.percentProblem" -}}}}
{{{{- $v := index . 0 }}}}
{{{{- if and (regexMatch "^[0-9]+%$" (toString $v)) (gt (atoi (trimSuffix "%" (toString $v))) 100) }}}}
{{{{- printf "%s: the percentage \"%s\" is more than 100%%: Kubernetes takes a count or a percentage from 0%% to 100%%" (index . 1) $v }}}}
{{{{- end }}}}
{{{{- end }}}}
"#
    )
}

fn ingress(chart: &str) -> String {
    let q = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    let ipv4 = q(IPV4_PATTERN);
    let subdomain = q(SUBDOMAIN_PATTERN);
    let wildcard = q(&format!(r"^\*\.{}", SUBDOMAIN_PATTERN.trim_start_matches('^')));
    let host_shape = crate::rules::HOST_SHAPE;
    let list = |items: &[&str]| items.iter().map(|i| q(i)).collect::<Vec<_>>().join(" ");
    let (sequences, suffixes) = (list(&PATH_SEQUENCES), list(&PATH_SUFFIXES));
    format!(
        r#"
{{{{/*
An Ingress host: (list HOST TLS "path"). A rule's host may be empty and not an IP address; a
TLS host may not be empty.
*/}}}}
{{{{- define "{chart}.hostProblem" -}}}}
{{{{- $h := index . 0 }}}}
{{{{- $tls := index . 1 }}}}
{{{{- if and (not $tls) (not $h) }}}}
{{{{- else if and (not $tls) (regexMatch {ipv4} $h) }}}}
{{{{- printf "%s: the host \"%s\" is an IP address: Kubernetes takes a DNS name here" (index . 2) $h }}}}
{{{{- else if not (and (le (len $h) 253) (regexMatch (ternary {wildcard} {subdomain} (contains "*" $h)) $h)) }}}}
{{{{- printf "%s: the host \"%s\" is not valid: {host_shape}" (index . 2) $h }}}}
{{{{- end }}}}
{{{{- end }}}}

{{{{/*
An Ingress path: (list PATH PATHTYPE "path").
*/}}}}
{{{{- define "{chart}.httpPathProblem" -}}}}
{{{{- $p := index . 0 }}}}
{{{{- $type := index . 1 }}}}
{{{{- $at := index . 2 }}}}
{{{{- if or (eq $type "Exact") (eq $type "Prefix") }}}}
{{{{- $bad := "" }}}}
{{{{- range list {sequences} }}}}
{{{{- if and (not $bad) (contains . $p) }}}}
{{{{- $bad = . }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- $end := "" }}}}
{{{{- range list {suffixes} }}}}
{{{{- if and (not $end) (hasSuffix . $p) }}}}
{{{{- $end = . }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- if not (hasPrefix "/" $p) }}}}
{{{{- printf "%s: the path \"%s\" is not absolute: a path of type %s must start with '/'" $at $p $type }}}}
{{{{- else if $bad }}}}
{{{{- printf "%s: the path \"%s\" contains '%s', which Kubernetes refuses in a path of type %s" $at $p $bad $type }}}}
{{{{- else if $end }}}}
{{{{- printf "%s: the path \"%s\" ends with '%s', which Kubernetes refuses in a path of type %s" $at $p $end $type }}}}
{{{{- end }}}}
{{{{- else if and (eq $type "ImplementationSpecific") $p (not (hasPrefix "/" $p)) }}}}
{{{{- printf "%s: the path \"%s\" is not absolute: a non-empty path of type %s must start with '/'" $at $p $type }}}}
{{{{- end }}}}
{{{{- end }}}}

{{{{/*
The kit's Ingress hosts, each {{host, paths: [{{path, pathType}}]}}: each host before its paths.
*/}}}}
{{{{- define "{chart}.ingressRulesProblem" -}}}}
{{{{- $path := index . 1 }}}}
{{{{- $problem := "" }}}}
{{{{- range $i, $rule := index . 0 | default list }}}}
{{{{- if and (not $problem) (kindIs "map" $rule) }}}}
{{{{- $host := get $rule "host" }}}}
{{{{- if kindIs "string" $host }}}}
{{{{- $problem = include "{chart}.hostProblem" (list $host false (printf "%s[%d].host" $path $i)) }}}}
{{{{- end }}}}
{{{{- range $j, $p := get $rule "paths" | default list }}}}
{{{{- if and (not $problem) (kindIs "map" $p) (kindIs "string" (get $p "path")) (kindIs "string" (get $p "pathType")) }}}}
{{{{- $problem = include "{chart}.httpPathProblem" (list (get $p "path") (get $p "pathType") (printf "%s[%d].paths[%d].path" $path $i $j)) }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- $problem }}}}
{{{{- end }}}}

{{{{/*
The kit's Ingress TLS entries, each {{secretName, hosts}}.
*/}}}}
{{{{- define "{chart}.ingressTlsProblem" -}}}}
{{{{- $path := index . 1 }}}}
{{{{- $problem := "" }}}}
{{{{- range $i, $entry := index . 0 | default list }}}}
{{{{- if kindIs "map" $entry }}}}
{{{{- range $j, $h := get $entry "hosts" | default list }}}}
{{{{- if and (not $problem) (kindIs "string" $h) }}}}
{{{{- $problem = include "{chart}.hostProblem" (list $h true (printf "%s[%d].hosts[%d]" $path $i $j)) }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- $problem }}}}
{{{{- end }}}}
"#
    )
}

fn base(chart: &str) -> String {
    let q = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    let subdomain = q(SUBDOMAIN_PATTERN);
    let part = q(LABEL_PART_PATTERN);
    let own = CHART_LABELS.iter().map(|l| q(l)).collect::<Vec<_>>().join(" ");
    let key_shape = KEY_SHAPE;
    let labels = |name: &str, own_check: bool| {
        let own_check = if own_check {
            format!(
                r#"
{{{{- else if has $k (list {own}) }}}}
{{{{- $problem = printf "%s: the label \"%s\" is set by the chart (its selectors match it): use another key" $path $k }}}}"#
            )
        } else {
            String::new()
        };
        format!(
            r#"
{{{{- define "{chart}.{name}" -}}}}
{{{{- $path := index . 1 }}}}
{{{{- $problem := "" }}}}
{{{{- range $k, $v := index . 0 | default dict }}}}
{{{{- if $problem }}}}
{{{{- else if ne (include "{chart}.qualifiedName" $k) "true" }}}}
{{{{- $problem = printf "%s: the label key \"%s\" is not valid: {key_shape}" $path $k }}}}{own_check}
{{{{- else if and (kindIs "string" $v) $v (or (gt (len $v) 63) (not (regexMatch {part} $v))) }}}}
{{{{- $problem = printf "%s: the value of label \"%s\" is not valid: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit" $path $k }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- $problem }}}}
{{{{- end }}}}
"#
        )
    };
    let own_labels = labels(helper(ValuesRule::Labels { own: true }), true);
    let plain_labels = labels(helper(ValuesRule::Labels { own: false }), false);
    format!(
        r#"
{{{{/*
The API server's rules over whole settings (kforge's rules module): each takes (list VALUE "path")
and yields the first problem, or nothing.
A label or annotation key: an optional DNS-1123 subdomain prefix and "/", a name of 1 to 63.
*/}}}}
{{{{- define "{chart}.qualifiedName" -}}}}
{{{{- $name := regexReplaceAll "^.*/" . "" }}}}
{{{{- $prefixOk := true }}}}
{{{{- if contains "/" . }}}}
{{{{- $prefix := trimSuffix (print "/" $name) . }}}}
{{{{- $prefixOk = and (le (len $prefix) 253) (regexMatch {subdomain} $prefix) }}}}
{{{{- end }}}}
{{{{- and $prefixOk (le (len $name) 63) (regexMatch {part} $name) }}}}
{{{{- end }}}}
{own_labels}{plain_labels}
{{{{- define "{chart}.annotationsProblem" -}}}}
{{{{- $path := index . 1 }}}}
{{{{- $problem := "" }}}}
{{{{- $size := 0 }}}}
{{{{- range $k, $v := index . 0 | default dict }}}}
{{{{- if $problem }}}}
{{{{- else if or (not (regexMatch "^[\\x00-\\x7f]*$" $k)) (ne (include "{chart}.qualifiedName" (lower $k)) "true") }}}}
{{{{- $problem = printf "%s: the annotation key \"%s\" is not valid: {key_shape}" $path $k }}}}
{{{{- else }}}}
{{{{- $size = add $size (len $k) (ternary (len $v) 0 (kindIs "string" $v)) }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- if $problem }}}}
{{{{- $problem }}}}
{{{{- else if gt $size {ANNOTATIONS_VALUES_MAX} }}}}
{{{{- printf "%s: the annotations take %d bytes, over the {ANNOTATIONS_VALUES_MAX} the chart allows (Kubernetes takes {ANNOTATIONS_TOTAL_MAX} per object, the chart's own included)" $path $size }}}}
{{{{- end }}}}
{{{{- end }}}}

{{{{/*
A quantity in base units: the number before the suffix times the suffix's factor.
*/}}}}
{{{{- define "{chart}.quantity" -}}}}
{{{{- $q := toString . }}}}
{{{{- $suffix := regexFind "([numkMGTPE]|[KMGTPE]i)$" $q }}}}
{{{{- $factors := dict "n" 0.000000001 "u" 0.000001 "m" 0.001 "" 1 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "P" 1000000000000000 "E" 1000000000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "Pi" 1125899906842624 "Ei" 1152921504606846976 }}}}
{{{{- mulf (float64 (trimSuffix $suffix $q)) (get $factors $suffix) }}}}
{{{{- end }}}}

{{{{- define "{chart}.resourcesProblem" -}}}}
{{{{- $r := index . 0 | default dict }}}}
{{{{- $path := index . 1 }}}}
{{{{- $limits := get $r "limits" | default dict }}}}
{{{{- $problem := "" }}}}
{{{{- range $k, $request := get $r "requests" | default dict }}}}
{{{{- if and (not $problem) (hasKey $limits $k) }}}}
{{{{- if gt (float64 (include "{chart}.quantity" $request)) (float64 (include "{chart}.quantity" (get $limits $k))) }}}}
{{{{- $given := dict "request" "" "limit" "" }}}}
{{{{- if kindIs "string" $request }}}}{{{{- $_ := set $given "request" (printf " (%s)" $request) }}}}{{{{- end }}}}
{{{{- if kindIs "string" (get $limits $k) }}}}{{{{- $_ := set $given "limit" (printf " (%s)" (get $limits $k)) }}}}{{{{- end }}}}
{{{{- $problem = printf "%s.requests.%s%s is more than %s.limits.%s%s: Kubernetes refuses a container whose requests exceed its limits" $path $k $given.request $path $k $given.limit }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- $problem }}}}
{{{{- end }}}}
"#
    )
}
