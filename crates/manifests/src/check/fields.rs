//! Fields of an object's spec that the API server judges by their text: an Ingress's rules,
//! hosts, paths and TLS hosts (`ValidateIngressSpec`, `validateIngressRules`,
//! `validateHTTPIngressPath`, `validateIngressTLS`
//! in `pkg/apis/networking/validation`), and the percentages of a PodDisruptionBudget and of a
//! rolling update (`IsNotMoreThan100Percent`, `ValidatePositiveIntOrPercent`). The rules are
//! [`crate::rules`]'; the renderers refuse values that break them, and this finds what the
//! chart's own code might render. A CronJob's schedule and time zone
//! ([`crate::rules::cron`]: `validateScheduleFormat`, `validateTimeZone`), its counts
//! (`ValidateNonnegativeField`) and a Job's or CronJob's pod restart policy (`validateJobSpec`:
//! `Never` or `OnFailure`, and a pod left without one gets `Always`) are judged the same way,
//! in `pkg/apis/batch/validation/validation.go`.

use serde_json::Value;

use super::index::{kind_of, list_at, str_at};
use crate::rules::cron::{cron_schedule_problem, time_zone_problem};
use crate::rules::{host_problem, http_path_problem, percent_problem, rolling_update_problem};

/// The problems of one object, each as `field: ...`.
pub(super) fn object(o: &Value, out: &mut Vec<String>) {
    match kind_of(o) {
        "Ingress" => ingress(o, out),
        "PodDisruptionBudget" => {
            for field in ["minAvailable", "maxUnavailable"] {
                int_or_percent(o, &format!("spec.{field}"), out);
            }
        }
        "Deployment" => {
            int_or_percent(o, "spec.strategy.rollingUpdate.maxUnavailable", out);
            if let Some(problem) = o.pointer("/spec/strategy/rollingUpdate").and_then(|r| rolling_update_problem("spec.strategy.rollingUpdate", r)) {
                out.push(problem);
            }
        }
        "DaemonSet" | "StatefulSet" => int_or_percent(o, "spec.updateStrategy.rollingUpdate.maxUnavailable", out),
        "Job" => restart_policy(o.pointer("/spec/template/spec"), "spec.template.spec.restartPolicy", out),
        "CronJob" => cron_job(o, out),
        _ => {}
    }
}

fn cron_job(o: &Value, out: &mut Vec<String>) {
    match o.pointer("/spec/schedule") {
        Some(Value::String(schedule)) => {
            if let Some(problem) = cron_schedule_problem(schedule) {
                out.push(format!("spec.schedule: {problem}"));
            }
        }
        _ => out.push("spec.schedule: missing: Kubernetes wants a schedule".into()),
    }
    if let Some(zone) = o.pointer("/spec/timeZone")
        && let Some(problem) = time_zone_problem(zone.as_str().unwrap_or(""))
    {
        out.push(format!("spec.timeZone: {problem}"));
    }
    for field in ["startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"] {
        if let Some(n) = o.pointer(&format!("/spec/{field}")).and_then(Value::as_i64).filter(|n| *n < 0) {
            out.push(format!("spec.{field}: {n} is negative: Kubernetes wants 0 or more"));
        }
    }
    restart_policy(o.pointer("/spec/jobTemplate/spec/template/spec"), "spec.jobTemplate.spec.template.spec.restartPolicy", out);
}

/// A Job's pods run to completion: `Never` or `OnFailure`, never the default `Always`.
fn restart_policy(pod: Option<&Value>, at: &str, out: &mut Vec<String>) {
    let Some(pod) = pod else { return };
    match str_at(pod, "/restartPolicy") {
        Some("Never" | "OnFailure") => {}
        Some(other) => out.push(format!("{at}: {other:?}: a Job's pod must restart Never or OnFailure")),
        None => out.push(format!(
            "{at}: left out, so Always, which Kubernetes refuses for a Job's pod: set Never or OnFailure (`pod.restart_policy = Some(\"OnFailure\")` in the builder)"
        )),
    }
}

fn ingress(o: &Value, out: &mut Vec<String>) {
    // ValidateIngressSpec: rules or a default backend; ValidateHTTPIngressRuleValue: paths.
    if list_at(o, "/spec/rules").is_empty() && o.pointer("/spec/defaultBackend").is_none() {
        out.push("spec: neither rules nor a defaultBackend: Kubernetes refuses such an Ingress".into());
    }
    for (i, rule) in list_at(o, "/spec/rules").iter().enumerate() {
        if rule.get("http").is_some() && list_at(rule, "/http/paths").is_empty() {
            out.push(format!("spec.rules[{i}].http.paths: empty: Kubernetes wants at least one path"));
        }
        if let Some(problem) = str_at(rule, "/host").and_then(|h| host_problem(h, false)) {
            out.push(format!("spec.rules[{i}].host: {problem}"));
        }
        for (j, path) in list_at(rule, "/http/paths").iter().enumerate() {
            // A path left out is "" to the API server.
            let (text, path_type) = (str_at(path, "/path").unwrap_or(""), str_at(path, "/pathType").unwrap_or(""));
            if let Some(problem) = http_path_problem(text, path_type) {
                out.push(format!("spec.rules[{i}].http.paths[{j}].path: {problem}"));
            }
        }
    }
    for (i, tls) in list_at(o, "/spec/tls").iter().enumerate() {
        for (j, host) in list_at(tls, "/hosts").iter().enumerate() {
            if let Some(problem) = host.as_str().and_then(|h| host_problem(h, true)) {
                out.push(format!("spec.tls[{i}].hosts[{j}]: {problem}"));
            }
        }
    }
}

/// A count (not negative) or a percentage (at most 100%) at the dotted `field`.
fn int_or_percent(o: &Value, field: &str, out: &mut Vec<String>) {
    let Some(v) = o.pointer(&format!("/{}", field.replace('.', "/"))) else { return };
    if v.as_i64().is_some_and(|n| n < 0) {
        out.push(format!("{field}: the count {v} is negative: Kubernetes takes a count from 0 or a percentage from 0% to 100%"));
    } else if let Some(problem) = percent_problem(v) {
        out.push(format!("{field}: {problem}"));
    }
}
