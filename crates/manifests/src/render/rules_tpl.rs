//! The rules of [`crate::rules`] over a setting's whole value, as `_helpers.tpl` defines: each
//! takes `(list VALUE "path" ...)` and yields the message the Rust function gives, or nothing.
//! `tests/it` holds the two to each other with real Helm.

use std::collections::BTreeSet;

use crate::rules::parts::{Format, Rule, Test};
use crate::rules::{
    ANNOTATIONS_TOTAL_MAX, ANNOTATIONS_VALUES_MAX, CHART_LABELS, LABEL_PART_PATTERN, Lifted, PATH_SEQUENCES, PATH_SUFFIXES, Part, SUBDOMAIN_PATTERN, Unique, ValuesRule,
};

/// The helper that implements `rule`.
pub(crate) fn helper(rule: ValuesRule) -> String {
    match rule {
        ValuesRule::Labels { own: true } => "ownLabelsProblem".into(),
        ValuesRule::Labels { own: false } => "labelsProblem".into(),
        ValuesRule::Annotations => "annotationsProblem".into(),
        ValuesRule::Resources => "resourcesProblem".into(),
        ValuesRule::Percent => "percentProblem".into(),
        ValuesRule::IngressRules => "ingressRulesProblem".into(),
        ValuesRule::IngressTls => "ingressTlsProblem".into(),
        ValuesRule::RollingUpdate => "rollingUpdateProblem".into(),
        ValuesRule::Part { part, list, lifted } => {
            let lifting = if lifted == Lifted::NONE { String::new() } else { format!("Lifting{}", lifted.0) };
            format!("{}{}Problem{lifting}", part.name(), if list { "List" } else { "" })
        }
        ValuesRule::Unique(unique) => format!("unique{unique:?}Problem"),
        ValuesRule::Mounts => "mountsProblem".into(),
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
    for rule in used {
        match *rule {
            ValuesRule::Part { part, list, lifted } => out.push_str(&part_define(chart, part, list, lifted)),
            ValuesRule::Unique(unique) => out.push_str(&unique_define(chart, unique)),
            ValuesRule::Mounts => out.push_str(&mounts_define(chart)),
            _ => {}
        }
    }
    out
}

fn q(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// The Go template text of one part's rules ([`crate::rules::parts`]): the same rules, in the
/// same order, with the same messages as [`Part::problem`].
struct Gen<'a> {
    chart: &'a str,
    lifted: Lifted,
    out: String,
}

impl Gen<'_> {
    fn line(&mut self, text: &str) {
        self.out.push_str("{{- ");
        self.out.push_str(text);
        self.out.push_str(" }}\n");
    }

    /// The value at `field` of `obj`, or `default` when it is left out.
    fn val(obj: &str, field: &str, default: &str) -> String {
        if field.is_empty() {
            return obj.to_string();
        }
        let keys: Vec<String> = field.split('.').map(q).collect();
        format!("(dig {} {default} {obj})", keys.join(" "))
    }

    /// True when `field` of `obj` is present.
    fn has(obj: &str, field: &str) -> String {
        match field.rsplit_once('.') {
            _ if field.is_empty() => "true".into(),
            None => format!("(hasKey {obj} {})", q(field)),
            Some((parent, last)) => format!("(hasKey {} {})", Self::val(obj, parent, "(dict)"), q(last)),
        }
    }

    fn text(obj: &str, field: &str) -> String {
        format!("(toString {})", Self::val(obj, field, "\"\""))
    }

    fn format_ok(&self, format: Format, s: &str) -> String {
        let chart = self.chart;
        let qualified = |x: &str| format!("(eq (include \"{chart}.qualifiedName\" {x}) \"true\")");
        let subscripted = |field: &str, plain: &[&str]| {
            let pattern = |capture: bool| q(&format!(r"^metadata\.{field}\['{}'\]$", if capture { "(.*)" } else { ".*" }));
            let list = plain.iter().map(|p| q(p)).collect::<Vec<_>>().join(" ");
            let labels = format!("(and (regexMatch {} {s}) {})", pattern(false), qualified(&format!("(regexReplaceAll {} {s} \"${{1}}\")", pattern(true))));
            let _ = field;
            (list, labels)
        };
        match format {
            Format::QualifiedName => qualified(s),
            Format::LabelValue => format!("(or (eq {s} \"\") (and (le (len {s}) 63) (regexMatch {} {s})))", q(LABEL_PART_PATTERN)),
            Format::DnsLabel => format!("(and (le (len {s}) 63) (regexMatch {} {s}))", q(crate::rules::Shape::Dns1123Label.pattern())),
            Format::DnsSubdomain => format!("(and (le (len {s}) 253) (regexMatch {} {s}))", q(SUBDOMAIN_PATTERN)),
            Format::ConfigKey => format!("(and (le (len {s}) 253) (regexMatch {} {s}) (ne {s} \".\") (not (hasPrefix \"..\" {s})))", q("^[-._a-zA-Z0-9]+$")),
            Format::EnvVarName => format!("(regexMatch {} {s})", q("^[ -<>-~]+$")),
            Format::EnvFieldPath | Format::VolumeFieldPath => {
                let plain: &[&str] = if format == Format::EnvFieldPath { &crate::rules::parts::ENV_FIELD_PATHS } else { &crate::rules::parts::VOLUME_FIELD_PATHS };
                let (list, labels) = subscripted("labels", plain);
                let pattern = |capture: bool| q(&format!(r"^metadata\.annotations\['{}'\]$", if capture { "(.*)" } else { ".*" }));
                let annotations = format!(
                    "(and (regexMatch {} {s}) (regexMatch {} {s}) {})",
                    pattern(false),
                    q(r"^[\x00-\x7f]*$"),
                    qualified(&format!("(lower (regexReplaceAll {} {s} \"${{1}}\"))", pattern(true)))
                );
                format!("(or (has {s} (list {list})) {labels} {annotations})")
            }
            Format::ImageRepository => format!("(and (le (len {s}) 255) (regexMatch {} {s}))", q(&crate::rules::parts::image_repository_pattern())),
            Format::ImageTag => format!("(regexMatch {} {s})", q(crate::rules::parts::IMAGE_TAG_PATTERN)),
            Format::ImageRegistry => format!("(regexMatch {} {s})", q(&crate::rules::parts::image_registry_pattern())),
            Format::CsiDriver => format!("(and (le (len {s}) 63) (regexMatch {} {s}) (regexMatch {} (lower {s})))", q(r"^[\x00-\x7f]*$"), q(SUBDOMAIN_PATTERN)),
        }
    }

    fn test(&self, t: &Test, obj: &str) -> String {
        let number = |f: &str, op: &str, n: i64| {
            let present = if f.is_empty() { format!("(ne (toString {obj}) \"\")") } else { Self::has(obj, f) };
            format!("(and {present} ({op} (float64 {}) (float64 {n})))", Self::val(obj, f, "0"))
        };
        match *t {
            Test::Has(f) => Self::has(obj, f),
            Test::Set(f) => format!("(not (empty {}))", Self::val(obj, f, "\"\"")),
            Test::Is(f, lit) => format!("(eq {} {})", Self::text(obj, f), q(lit)),
            Test::In(f, set) => format!("(has {} (list {}))", Self::text(obj, f), set.iter().map(|x| q(x)).collect::<Vec<_>>().join(" ")),
            Test::Prefix(f, set) => format!("(or {})", set.iter().map(|p| format!("(hasPrefix {} {})", q(p), Self::text(obj, f))).collect::<Vec<_>>().join(" ")),
            Test::Fails(f, format) => format!("(not {})", self.format_ok(format, &Self::text(obj, f))),
            Test::Absolute(f) => format!("(hasPrefix \"/\" {})", Self::text(obj, f)),
            Test::Backsteps(f) => format!("(has \"..\" (splitList \"/\" {}))", Self::text(obj, f)),
            Test::Padded(f) => format!("(ne (trim {0}) {0})", Self::text(obj, f)),
            Test::Longer(f, n) => format!("(gt (len {}) {n})", Self::text(obj, f)),
            Test::Below(f, n) => number(f, "lt", n),
            Test::Above(f, n) => number(f, "gt", n),
            Test::NotPositive(f) => {
                let present = if f.is_empty() { "true".to_string() } else { Self::has(obj, f) };
                format!("(and {present} (le (float64 (include \"{}.quantity\" {})) 0.0))", self.chart, Self::val(obj, f, "0"))
            }
            Test::True(f) => format!("(eq {} \"true\")", Self::text(obj, f)),
            Test::False(f) => format!("(and {} (eq {} \"false\"))", Self::has(obj, f), Self::text(obj, f)),
            Test::Len(f, n) => format!("(eq (len {}) {n})", Self::val(obj, f, "(list)")),
            Test::Holds(f, lit) => format!("(has {} {})", q(lit), Self::val(obj, f, "(list)")),
            Test::MoreThan(n, fields) => format!("(gt (add {}) {n})", fields.iter().map(|f| format!("(ternary 1 0 {})", Self::has(obj, f))).collect::<Vec<_>>().join(" ")),
            Test::Not(inner) => format!("(not {})", self.test(inner, obj)),
            Test::All(ts) => format!("(and {})", ts.iter().map(|t| self.test(t, obj)).collect::<Vec<_>>().join(" ")),
            Test::Any(ts) => format!("(or {})", ts.iter().map(|t| self.test(t, obj)).collect::<Vec<_>>().join(" ")),
        }
    }

    /// `rules` over the object `$o{depth}` at the path `$p{depth}`.
    fn rules(&mut self, rules: &[Rule], depth: usize) {
        let (obj, path) = (format!("$o{depth}"), format!("$p{depth}"));
        for rule in rules {
            if !self.lifted.keeps(rule) {
                continue;
            }
            match *rule {
                Rule::Refuse { at, when, says, show, pss, .. } => {
                    let mut message = if at.is_empty() { format!("%s: {}", says.replace('%', "%%")) } else { format!("%s.{}: {}", at.replace('%', "%%"), says.replace('%', "%%")) };
                    if let Some(control) = pss {
                        message.push_str(&format!(" (Pod Security Standard restricted: {control})"));
                    }
                    let mut args = vec![path.clone()];
                    if message.contains("{v}") {
                        message = message.replace("{v}", "%s");
                        args.push(Self::text(&obj, if show.is_empty() { at } else { show }));
                    }
                    let test = self.test(&when, &obj);
                    self.line(&format!("if and (not $problem) {test}"));
                    self.line(&format!("$problem = printf {} {}", q(&message), args.join(" ")));
                    self.line("end");
                }
                Rule::Each { list, rules } => {
                    let d = depth + 1;
                    self.line("if not $problem");
                    self.line(&format!("range $i{d}, $o{d} := {}", Self::val(&obj, list, "(list)")));
                    self.line(&format!("$p{d} := printf {} {path} $i{d}", q(&format!("%s.{list}[%d]"))));
                    self.rules(rules, d);
                    self.line("end");
                    self.line("end");
                }
                Rule::Within { field, rules } => {
                    let d = depth + 1;
                    self.line(&format!("if and (not $problem) {}", Self::has(&obj, field)));
                    self.line(&format!("$o{d} := {}", Self::val(&obj, field, "(dict)")));
                    self.line(&format!("$p{d} := printf {} {path}", q(&format!("%s.{field}"))));
                    self.rules(rules, d);
                    self.line("end");
                }
                Rule::Labels { map } => {
                    self.line("if not $problem");
                    self.line(&format!(
                        "$problem = include \"{}.labelsProblem\" (list {} (printf {} {path}))",
                        self.chart,
                        Self::val(&obj, map, "(dict)"),
                        q(&format!("%s.{map}"))
                    ));
                    self.line("end");
                }
            }
        }
    }
}

/// The helper of one part: `(list VALUE "path")`, a list of parts when `list`.
fn part_define(chart: &str, part: Part, list: bool, lifted: Lifted) -> String {
    let name = helper(ValuesRule::Part { part, list, lifted });
    let mut g = Gen { chart, lifted, out: String::new() };
    g.out.push_str(&format!("\n{{{{/*\nKubernetes' rules over {} (kforge's rules::parts, {}).\n*/}}}}\n", part.name(), part.functions().join(", ")));
    g.out.push_str(&format!("{{{{- define \"{chart}.{name}\" -}}}}\n"));
    g.line("$problem := \"\"");
    g.line("$path := index . 1");
    let scalar = part.scalar();
    let item = if scalar { "index . 0" } else { "index . 0 | default dict" };
    if list {
        g.line("range $i0, $o0 := index . 0 | default list");
        g.line("$p0 := printf \"%s[%d]\" $path $i0");
        g.rules(part.rules(), 0);
        g.line("end");
    } else {
        g.line(&format!("$o0 := {item}"));
        g.line("$p0 := $path");
        g.rules(part.rules(), 0);
    }
    g.line("$problem");
    g.out.push_str("{{- end }}\n");
    g.out
}

fn unique_define(chart: &str, unique: Unique) -> String {
    let (present, key, who) = match unique {
        Unique::Port => (
            "(hasKey $item \"containerPort\")",
            "(printf \"%v/%s\" (int64 (get $item \"containerPort\")) (default \"TCP\" (get $item \"protocol\")))",
            "(printf \"%s[%d]\" $path $i)",
        ),
        _ => {
            let field = unique.field();
            return unique_text(
                chart,
                unique,
                &format!("(kindIs \"string\" (get $item {}))", q(field)),
                &format!("(get $item {})", q(field)),
                &format!("(printf \"%s[%d].{field}\" $path $i)"),
            );
        }
    };
    unique_text(chart, unique, present, key, who)
}

fn unique_text(chart: &str, unique: Unique, present: &str, key: &str, who: &str) -> String {
    let name = helper(ValuesRule::Unique(unique));
    let reason = unique.reason().replace('%', "%%");
    format!(
        r#"
{{{{/*
One list of an object whose items Kubernetes keys: (list (list WHERE OWN LISTS) ""), OWN the chart's items as
(list KEY WHO), LISTS the list settings as (list PATH ITEMS) (kforge's rules::unique_problem).
*/}}}}
{{{{- define "{chart}.{name}" -}}}}
{{{{- $args := index . 0 }}}}
{{{{- $place := index $args 0 }}}}
{{{{- $entries := list }}}}
{{{{- range $own := index $args 1 }}}}
{{{{- $entries = append $entries (list (toString (index $own 0)) (index $own 1)) }}}}
{{{{- end }}}}
{{{{- range $setting := index $args 2 }}}}
{{{{- $path := index $setting 0 }}}}
{{{{- range $i, $item := index $setting 1 | default list }}}}
{{{{- if {present} }}}}
{{{{- $entries = append $entries (list {key} {who}) }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- $seen := dict }}}}
{{{{- $problem := "" }}}}
{{{{- range $e := $entries }}}}
{{{{- $key := index $e 0 }}}}
{{{{- if and (not $problem) $key }}}}
{{{{- if hasKey $seen $key }}}}
{{{{- $problem = printf "%s: {noun} %s is given by %s already, in %s: {reason}" (index $e 1) $key (get $seen $key) $place }}}}
{{{{- else }}}}
{{{{- $_ := set $seen $key (index $e 1) }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- $problem }}}}
{{{{- end }}}}
"#,
        noun = unique.noun(),
    )
}

fn mounts_define(chart: &str) -> String {
    format!(
        r#"
{{{{/*
The mounts of list settings name volumes of the pod: (list (list WHERE OWN VOLUMES MOUNTS) ""), OWN the pod's
own volume names, VOLUMES and MOUNTS list settings as (list PATH ITEMS) (kforge's rules::mounts_problem).
*/}}}}
{{{{- define "{chart}.mountsProblem" -}}}}
{{{{- $args := index . 0 }}}}
{{{{- $place := index $args 0 }}}}
{{{{- $names := list }}}}
{{{{- range $n := index $args 1 }}}}
{{{{- if $n }}}}
{{{{- $names = append $names $n }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- $lists := list }}}}
{{{{- range $setting := index $args 2 }}}}
{{{{- $lists = append $lists (index $setting 0) }}}}
{{{{- range $v := index $setting 1 | default list }}}}
{{{{- if kindIs "string" (get $v "name") }}}}
{{{{- $names = append $names (get $v "name") }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- $problem := "" }}}}
{{{{- range $setting := index $args 3 }}}}
{{{{- $path := index $setting 0 }}}}
{{{{- range $i, $m := index $setting 1 | default list }}}}
{{{{- $name := get $m "name" }}}}
{{{{- if and (not $problem) (kindIs "string" $name) (ne $name "") (not (has $name $names)) }}}}
{{{{- $hint := ternary "" (printf ": declare it in %s" (join " or " $lists)) (empty $lists) }}}}
{{{{- $problem = printf "%s[%d].name: the pod has no volume \"%s\" to mount, in %s; Kubernetes refuses a mount of a volume the pod does not have (ValidateVolumeMounts)%s" $path $i $name $place $hint }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- $problem }}}}
{{{{- end }}}}
"#
    )
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
{{{{- if and (not $problem) (kindIs "slice" (get $rule "paths")) (empty (get $rule "paths")) }}}}
{{{{- $problem = printf "%s[%d].paths: empty: Kubernetes wants at least one path for a host" $path $i }}}}
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
    let own_labels = labels(&helper(ValuesRule::Labels { own: true }), true);
    let plain_labels = labels(&helper(ValuesRule::Labels { own: false }), false);
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
