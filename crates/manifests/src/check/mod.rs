//! The check `emit` runs before it writes anything: what types cannot prove about one
//! environment's rendered objects. References between objects must land (a Service's selector
//! on some workload's pods, a target port on a declared container port, an Ingress or route on a
//! Service port, an autoscaler on a workload, a volume on a ConfigMap, Secret or claim that is
//! rendered or declared external), names and labels must be what the API server accepts, and
//! every pod must meet the restricted Pod Security Standard unless the application declares an
//! exception for it.
//!
//! The check reads the objects as rendered (JSON, after the k8s-openapi round trip) and knows no
//! application. Kinds it does not know are checked for their names and labels, and for their
//! pods when they carry a pod template where workloads do (`spec.template`); they never make
//! the check fail by being unknown.
//!
//! One module per kind of rule, as Helm's lint rules are laid out:
//! - `references`: references between objects land, keys of the chart's own Secrets and
//!   ConfigMaps included;
//! - `names`: object, container, port and volume names are what the API server takes;
//! - `labels`: labels and annotations are what the API server takes;
//! - `resources`: container requests and limits are what the API server takes;
//! - `fields`: Ingress hosts and paths, disruption budget and rolling update percentages, a
//!   CronJob's schedule, time zone and counts, and a Job's restart policy are what the API
//!   server takes;
//! - `parts`: the parts values give whole (tolerations, env vars, volumes and mounts, affinity,
//!   security contexts, node ports, class names, claim sizes, Role rules, images) and the keys
//!   of the lists Kubernetes merges by key, by the renderers' own rules;
//! - `pod_security`: the restricted Pod Security Standard, with declared exceptions;
//! - `secrets`: no secret setting in what reaches `charts-out`, and no plain string setting
//!   named as a secret (`adminPassword`, `apiToken`) in a ConfigMap;
//! - `settings`: no setting that nothing reads;
//! - `budgets`: a PodDisruptionBudget that allows no eviction (a warning, not a finding);
//! - `custom_resources`: custom resources against their CRD's structural schema and CEL rules
//!   (rules that cannot be evaluated are warnings);
//! - `overlap`: a Service or PodDisruptionBudget whose selector matches the pods of more than
//!   one workload (a CronJob's pods behind an API's Service);
//! - `autoscaling`: a HorizontalPodAutoscaler whose target also sets a fixed `spec.replicas`;
//!
//! over `index`, the objects of one environment and what references may land on, reporting
//! each problem as a [`Finding`] (`findings`).

mod autoscaling;
mod budgets;
mod custom_resources;
mod fields;
mod findings;
mod index;
mod labels;
mod names;
mod overlap;
mod parts;
mod pod_security;
mod references;
mod resources;
mod secrets;
mod settings;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

pub use crate::model::external::Reference;
pub use findings::Finding;
use index::{Index, PodTemplate, containers, list_at, str_at, subject};
pub use pod_security::{Control, PssException};
pub use secrets::{secret_leaks, secret_named_leaks, secret_named_settings, secret_settings, secret_values, secret_values_at};
pub use settings::unread_settings;

/// The objects `object` makes once applied (an ExternalSecret its Secret, a CloudNativePG
/// Cluster its Services and Secrets), as `(kind, name)`: what pods may read from it.
pub fn made_by(object: &Value) -> Vec<(String, String)> {
    index::made_by(object)
}

/// What one environment's check found, and which declared exceptions it needed (an exception
/// that no environment needs is stale, and `emit` says so).
#[derive(Debug, Default)]
pub struct Report {
    /// Every problem found, in object order.
    pub findings: Vec<Finding>,
    /// What the API server accepts but hurts the operator (a PodDisruptionBudget that allows no
    /// eviction), in object order: said, never refused.
    pub warnings: Vec<Finding>,
    /// Indexes into [`Environment::exceptions`] of the exceptions some pod needed.
    pub used_exceptions: BTreeSet<usize>,
}

/// One environment of one application, ready to check.
pub struct Environment<'a> {
    /// The application (chart name), for findings.
    pub app: &'a str,
    /// The environment's name, for findings.
    pub environment: &'a str,
    /// The rendered objects, as JSON after the k8s-openapi round trip.
    pub objects: &'a [Value],
    /// What the model declares external for these values: references to them land.
    pub external: &'a [Reference],
    /// The application's declared Pod Security exceptions.
    pub exceptions: &'a [PssException],
    /// The CRDs (YAML) the model's objects carry ([`Model::crds`](crate::Model::crds)): custom
    /// resources of their kinds are checked against their schema and CEL rules.
    pub crds: &'a [&'static str],
}

/// Checks one environment. Findings come in object order, each object's in a fixed order.
pub fn run(env: &Environment) -> Report {
    let index = Index::new(env.objects, env.external);
    let mut report = Report::default();
    let mut seen: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for (i, o) in env.objects.iter().enumerate() {
        let mut problems = Vec::new();
        names::unique(o, i, &mut seen, &mut problems);
        names::object(o, &mut problems);
        labels::object(o, &mut problems);
        fields::object(o, &mut problems);
        parts::object(o, &mut problems);
        references::object(&index, o, &mut problems);
        references::own_pods(&index, i, o, &mut problems);
        overlap::object(&index, o, &mut problems);
        autoscaling::object(&index, o, &mut problems);
        if let Some(pod) = index.pods.iter().find(|p| p.object == i) {
            pod_problems(&index, pod, env.exceptions, &mut problems, &mut report.used_exceptions);
        }
        let mut unevaluated = Vec::new();
        custom_resources::object(o, env.crds, &mut problems, &mut unevaluated);
        for message in problems {
            report.findings.push(Finding { app: env.app.to_string(), environment: env.environment.to_string(), subject: subject(o), message });
        }
        if let Some(message) = budgets::no_eviction(&index, o) {
            report.warnings.push(Finding { app: env.app.to_string(), environment: env.environment.to_string(), subject: subject(o), message });
        }
        for message in unevaluated {
            report.warnings.push(Finding { app: env.app.to_string(), environment: env.environment.to_string(), subject: subject(o), message });
        }
    }
    report
}

/// Every rule over one pod, in the order its parts appear: metadata, volumes, service account,
/// containers, then the Pod Security Standard.
fn pod_problems(index: &Index, pod: &PodTemplate, exceptions: &[PssException], out: &mut Vec<String>, used: &mut BTreeSet<usize>) {
    // A Pod's own metadata was checked as the object's.
    if !pod.at.is_empty() {
        labels::pod_metadata(pod, out);
    }
    let mut volume_names = BTreeSet::new();
    for (i, v) in list_at(pod.spec, "/volumes").iter().enumerate() {
        names::volume(pod.at, i, v, &mut volume_names, out);
        references::volume(index, pod, i, v, out);
    }
    references::service_account(index, pod, out);
    parts::pod(pod, out);
    // A StatefulSet's claim templates are volumes its pods mount by name.
    let object = &index.objects[pod.object];
    let mut mountable = volume_names;
    mountable.extend(list_at(object, "/spec/volumeClaimTemplates").iter().filter_map(|t| str_at(t, "/metadata/name")));
    let mut container_names = BTreeSet::new();
    for (field, c) in containers(pod.spec) {
        let here = format!("{}spec.{field}[{}]", pod.at, str_at(c, "/name").unwrap_or(""));
        let port_names = names::container(&here, c, &mut container_names, out);
        resources::container(&here, c, out);
        references::container(index, pod, &here, c, &port_names, &mountable, out);
    }
    pod_security::pod(pod, exceptions, &container_names, out, used);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(name: &str) -> Value {
        json!({"name": name, "namespace": "ns", "labels": {"app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "rel"}})
    }

    /// One environment with a pod of every kind of reference, all of them landing.
    fn objects() -> Vec<Value> {
        let pod_labels = json!({"app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "rel"});
        vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("web"), "data": {}}),
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("web")}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("web"), "spec": {
                "selector": {"matchLabels": pod_labels},
                "template": {"metadata": {"labels": pod_labels}, "spec": {
                    "serviceAccountName": "web",
                    "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "web", "image": "web:1",
                        "ports": [{"name": "http", "containerPort": 8080}],
                        "livenessProbe": {"httpGet": {"path": "/", "port": "http"}},
                        "env": [{"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "operator-secret", "key": "k"}}},
                                {"name": "DB", "valueFrom": {"secretKeyRef": {"name": "db-app", "key": "uri"}}}],
                        "envFrom": [{"configMapRef": {"name": "web"}}],
                        "volumeMounts": [{"name": "config", "mountPath": "/c"}, {"name": "creds", "mountPath": "/s"}],
                        "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}
                    }],
                    "volumes": [{"name": "config", "configMap": {"name": "web"}}, {"name": "creds", "secret": {"secretName": "web-creds"}}]
                }}
            }}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": meta("web"), "spec": {
                "selector": pod_labels, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}),
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta("web"), "spec": {"rules": [
                {"host": "x", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"name": "http"}}}}]}}]}}),
            json!({"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TCPRoute", "metadata": meta("web"), "spec": {
                "parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [{"name": "web", "port": 80}]}]}}),
            json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta("web"), "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 3}}),
            json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta("web"), "spec": {"minAvailable": 1, "selector": {"matchLabels": pod_labels}}}),
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("web"), "spec": {
                "podSelector": {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "In", "values": ["web"]}]}}}),
            json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": meta("web"), "spec": {
                "selector": {"matchLabels": {"app.kubernetes.io/name": "web"}}, "endpoints": [{"port": "http"}]}}),
            json!({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": meta("creds"), "spec": {"target": {"name": "web-creds"}}}),
            json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": meta("db"), "spec": {"instances": 1}}),
            json!({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": meta("web"), "spec": {"anything": [1, {"goes": true}]}}),
        ]
    }

    fn external() -> Vec<Reference> {
        vec![Reference { kind: "Secret".into(), name: "operator-secret".into() }]
    }

    fn run(objects: &[Value], exceptions: &[PssException]) -> Report {
        let external = external();
        super::run(&Environment { app: "app", environment: "env", objects, external: &external, exceptions, crds: &[] })
    }

    /// The findings after `change` to the object of `kind`, as text.
    fn after(kind: &str, change: impl FnOnce(&mut Value)) -> Vec<String> {
        let mut objs = objects();
        let o = objs.iter_mut().find(|o| o["kind"] == kind).expect("kind in the fixture");
        change(o);
        run(&objs, &[]).findings.iter().map(ToString::to_string).collect()
    }

    fn one_finding(findings: &[String], needle: &str) {
        assert!(findings.len() == 1 && findings[0].contains(needle), "expected one finding with {needle:?}, got {findings:#?}");
    }

    fn container(o: &mut Value) -> &mut Value {
        &mut o["spec"]["template"]["spec"]["containers"][0]
    }

    #[test]
    fn a_consistent_restricted_environment_has_no_findings() {
        let report = run(&objects(), &[]);
        assert!(report.findings.is_empty(), "{:#?}", report.findings);
    }

    #[test]
    fn references_that_land_nowhere_are_found() {
        one_finding(&after("Service", |s| s["spec"]["selector"]["app.kubernetes.io/name"] = json!("other")), "Service/web: spec.selector");
        one_finding(&after("Service", |s| s["spec"]["ports"][0]["targetPort"] = json!("metrics")), "targetPort \"metrics\" names no container port");
        one_finding(&after("Deployment", |d| container(d)["livenessProbe"]["httpGet"]["port"] = json!("admin")), "livenessProbe.httpGet.port \"admin\"");
        one_finding(&after("Ingress", |i| i["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] = json!("nope")), "Service \"nope\" is not rendered");
        one_finding(&after("Ingress", |i| i["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] = json!({"number": 81})), "has no port 81");
        one_finding(
            &after("TCPRoute", |r| r["spec"]["rules"][0]["backendRefs"][0]["port"] = json!(5432)),
            "TCPRoute/web: spec.rules[0].backendRefs[0]: Service \"web\" has no port 5432",
        );
        one_finding(&after("HorizontalPodAutoscaler", |h| h["spec"]["scaleTargetRef"]["kind"] = json!("StatefulSet")), "StatefulSet \"web\" is not rendered");
        one_finding(&after("PodDisruptionBudget", |p| p["spec"]["selector"]["matchLabels"]["tier"] = json!("db")), "matches no workload's pods");
        one_finding(&after("NetworkPolicy", |n| n["spec"]["podSelector"]["matchExpressions"][0]["operator"] = json!("NotIn")), "selects no workload's pods");
        one_finding(&after("ServiceMonitor", |m| m["spec"]["endpoints"][0]["port"] = json!("metrics")), "endpoints[0].port \"metrics\"");
        one_finding(
            &after("Deployment", |d| d["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"] = json!("gone")),
            "ConfigMap \"gone\" is neither rendered nor declared external",
        );
        one_finding(&after("Deployment", |d| container(d)["env"][0]["valueFrom"]["secretKeyRef"]["name"] = json!("gone")), "(env KEY): Secret \"gone\"");
        one_finding(&after("Deployment", |d| container(d)["volumeMounts"][0]["name"] = json!("cache")), "volume \"cache\" is not a volume of the pod");
        one_finding(&after("Deployment", |d| d["spec"]["template"]["spec"]["serviceAccountName"] = json!("robot")), "ServiceAccount \"robot\"");
        one_finding(&after("Deployment", |d| d["spec"]["selector"]["matchLabels"]["extra"] = json!("x")), "does not match the labels of its own pod template");
        // What other objects make counts as rendered: without the ExternalSecret, its Secret is missing.
        let mut objs = objects();
        objs.retain(|o| o["kind"] != "ExternalSecret");
        let f: Vec<String> = run(&objs, &[]).findings.iter().map(ToString::to_string).collect();
        one_finding(&f, "Secret \"web-creds\" is neither rendered nor declared external");
    }

    #[test]
    fn an_optional_reference_to_a_missing_object_is_no_finding() {
        // The kubelet starts the container without it (an empty variable or volume).
        let gone_env = |optional: bool| {
            after("Deployment", |d| {
                container(d)["env"][0]["valueFrom"]["secretKeyRef"]["name"] = json!("gone");
                container(d)["env"][0]["valueFrom"]["secretKeyRef"]["optional"] = json!(optional);
            })
        };
        one_finding(&gone_env(false), "Secret \"gone\"");
        assert_eq!(gone_env(true), Vec::<String>::new());
        let gone_volume = |optional: bool| {
            after("Deployment", |d| {
                d["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"] = json!("gone");
                d["spec"]["template"]["spec"]["volumes"][0]["configMap"]["optional"] = json!(optional);
            })
        };
        one_finding(&gone_volume(false), "ConfigMap \"gone\"");
        assert_eq!(gone_volume(true), Vec::<String>::new());
        let gone_env_from = |optional: bool| after("Deployment", |d| container(d)["envFrom"] = json!([{"secretRef": {"name": "gone", "optional": optional}}]));
        one_finding(&gone_env_from(false), "(envFrom[0]): Secret \"gone\"");
        assert_eq!(gone_env_from(true), Vec::<String>::new());
    }

    #[test]
    fn a_statefulsets_governing_service_is_a_headless_service_of_its_pods() {
        let set = |service: &str| {
            let mut d = objects().into_iter().find(|o| o["kind"] == "Deployment").expect("deployment");
            d["kind"] = json!("StatefulSet");
            d["metadata"]["name"] = json!("db");
            d["spec"]["serviceName"] = json!(service);
            // Pods of its own: the fixture's Service and budget select the Deployment's alone.
            let own = json!({"app.kubernetes.io/name": "db", "app.kubernetes.io/instance": "rel"});
            d["spec"]["selector"]["matchLabels"] = own.clone();
            d["spec"]["template"]["metadata"]["labels"] = own;
            d
        };
        let headless = |selector: Value| json!({"apiVersion": "v1", "kind": "Service", "metadata": meta("web-headless"), "spec": {"clusterIP": "None", "selector": selector}});
        let pods = json!({"app.kubernetes.io/name": "db", "app.kubernetes.io/instance": "rel"});
        let findings = |extra: Vec<Value>| -> Vec<String> {
            let mut objs = objects();
            objs.extend(extra);
            run(&objs, &[]).findings.iter().map(ToString::to_string).collect()
        };
        assert!(findings(vec![set("web-headless"), headless(pods.clone())]).is_empty());
        one_finding(&findings(vec![set("web-headles"), headless(pods.clone())]), "StatefulSet/db: spec.serviceName: Service \"web-headles\" is not rendered");
        let f = findings(vec![set("web")]);
        assert!(f.iter().any(|m| m.contains("Service \"web\" is not headless (clusterIP: None)")), "{f:#?}");
        let f = findings(vec![set("web-headless"), headless(json!({"app.kubernetes.io/name": "other"}))]);
        assert!(f.iter().any(|m| m.contains("Service \"web-headless\" does not select this StatefulSet's pods")), "{f:#?}");
    }

    /// A CronJob whose pods are the fixture Deployment's, relabelled: `labels` are its pod labels.
    fn cron_job(labels: Value) -> Value {
        let d = objects().into_iter().find(|o| o["kind"] == "Deployment").expect("deployment");
        let mut template = d["spec"]["template"].clone();
        template["metadata"]["labels"] = labels;
        template["spec"]["restartPolicy"] = json!("OnFailure");
        json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta("nightly"), "spec": {
            "schedule": "0 3 * * *", "timeZone": "Europe/Paris", "jobTemplate": {"spec": {"template": template}}}})
    }

    #[test]
    fn a_cronjobs_schedule_time_zone_counts_and_restart_policy_are_checked() {
        let findings = |change: &dyn Fn(&mut Value)| -> Vec<String> {
            let mut cron = cron_job(json!({"app.kubernetes.io/name": "batch", "app.kubernetes.io/component": "nightly"}));
            change(&mut cron);
            let mut objs = objects();
            objs.push(cron);
            run(&objs, &[]).findings.iter().map(ToString::to_string).collect()
        };
        assert!(findings(&|_| {}).is_empty(), "{:#?}", findings(&|_| {}));
        assert!(findings(&|c| c["spec"]["schedule"] = json!("@weekly")).is_empty());
        one_finding(&findings(&|c| c["spec"]["schedule"] = json!("0 3 * *")), "CronJob/nightly: spec.schedule: the schedule \"0 3 * *\" has 4 fields");
        one_finding(&findings(&|c| c["spec"]["schedule"] = json!("0 25 * * *")), "the hour field");
        one_finding(&findings(&|c| c["spec"]["schedule"] = json!("CRON_TZ=Europe/Paris 0 3 * * *")), "use the CronJob's timeZone field");
        one_finding(&findings(&|c| c["spec"]["timeZone"] = json!("Local")), "spec.timeZone: the time zone \"Local\" is not allowed");
        one_finding(&findings(&|c| c["spec"]["timeZone"] = json!("")), "spec.timeZone: the time zone \"\" is empty");
        one_finding(&findings(&|c| c["spec"]["timeZone"] = json!("Europe/Paris Summer")), "is not an IANA time zone name");
        one_finding(&findings(&|c| c["spec"]["failedJobsHistoryLimit"] = json!(-1)), "spec.failedJobsHistoryLimit: -1 is negative");
        let no_restart = |c: &mut Value| {
            c["spec"]["jobTemplate"]["spec"]["template"]["spec"].as_object_mut().map(|s| s.remove("restartPolicy"));
        };
        one_finding(&findings(&no_restart), "spec.jobTemplate.spec.template.spec.restartPolicy: left out, so Always");
        // Its pod is held to the restricted standard like any other.
        let f = findings(&|c| c["spec"]["jobTemplate"]["spec"]["template"]["spec"]["hostNetwork"] = json!(true));
        assert!(f.len() == 1 && f[0].contains("CronJob/nightly") && f[0].contains("Host Namespaces"), "{f:#?}");
        // The 52 characters of a CronJob name.
        one_finding(&findings(&|c| c["metadata"]["name"] = json!("n".repeat(53))), "of at most 52 characters");
    }

    #[test]
    fn a_service_or_budget_over_the_pods_of_two_workloads_is_found() {
        let with = |extra: Value| -> Vec<String> {
            let mut objs = objects();
            objs.push(extra);
            run(&objs, &[]).findings.iter().map(ToString::to_string).collect()
        };
        // The nightly job's pods have the common labels and no component: the API's Service and
        // budget select them too.
        let f = with(cron_job(json!({"app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "rel"})));
        assert_eq!(f.len(), 2, "{f:#?}");
        assert!(f[0].contains("Service/web: spec.selector") && f[0].contains("matches the pods of Deployment/web and CronJob/nightly: it would send traffic"), "{f:#?}");
        assert!(f[1].contains("PodDisruptionBudget/web") && f[1].contains("Deployment/web and CronJob/nightly: it would count"), "{f:#?}");
        // Each workload with a component of its own, selected by it: nothing to say.
        let mut objs = objects();
        for o in objs.iter_mut() {
            let at = match o["kind"].as_str() {
                Some("Deployment") => vec!["/spec/selector/matchLabels", "/spec/template/metadata/labels"],
                Some("Service") => vec!["/spec/selector"],
                Some("PodDisruptionBudget") => vec!["/spec/selector/matchLabels"],
                _ => vec![],
            };
            for p in at {
                o.pointer_mut(p).expect("labels")["app.kubernetes.io/component"] = json!("server");
            }
        }
        objs.push(cron_job(json!({"app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "rel", "app.kubernetes.io/component": "nightly"})));
        let f = run(&objs, &[]).findings;
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn an_autoscaler_over_a_fixed_replica_count_is_found() {
        one_finding(&after("Deployment", |d| d["spec"]["replicas"] = json!(2)), "HorizontalPodAutoscaler/web: spec.scaleTargetRef: Deployment \"web\" also sets spec.replicas (2)");
        assert!(after("Deployment", |d| d["spec"]["replicas"] = json!(2)).iter().all(|m| m.contains("replicas_unless")));
    }

    #[test]
    fn keys_a_pod_reads_from_the_charts_own_secrets_and_config_maps_exist() {
        // The fixture's ConfigMap `web` is rendered with no keys; a Secret `web-app` with one.
        let env = |d: &mut Value, reference: Value| container(d)["env"] = json!([{"name": "X", "valueFrom": reference}]);
        let add_secret = |objs: &mut Vec<Value>| {
            objs.push(json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta("web-app"), "stringData": {"password": "p"}, "data": {"user": "dQ=="}}))
        };
        let findings = |change: &dyn Fn(&mut Value)| -> Vec<String> {
            let mut objs = objects();
            add_secret(&mut objs);
            change(objs.iter_mut().find(|o| o["kind"] == "Deployment").expect("deployment"));
            run(&objs, &[]).findings.iter().map(ToString::to_string).collect()
        };
        assert!(findings(&|d| env(d, json!({"secretKeyRef": {"name": "web-app", "key": "password"}}))).is_empty());
        assert!(findings(&|d| env(d, json!({"secretKeyRef": {"name": "web-app", "key": "user"}}))).is_empty());
        one_finding(
            &findings(&|d| env(d, json!({"secretKeyRef": {"name": "web-app", "key": "pasword"}}))),
            "spec.template.spec.containers[web] (env X): Secret \"web-app\" has no key \"pasword\" (its keys: user, password)",
        );
        one_finding(&findings(&|d| env(d, json!({"configMapKeyRef": {"name": "web", "key": "mode"}}))), "ConfigMap \"web\" has no key \"mode\" (its keys: none)");
        // Optional, external, or made by another object: not the chart's to know.
        assert!(findings(&|d| env(d, json!({"secretKeyRef": {"name": "web-app", "key": "pasword", "optional": true}}))).is_empty());
        assert!(findings(&|d| env(d, json!({"secretKeyRef": {"name": "operator-secret", "key": "anything"}}))).is_empty());
        assert!(findings(&|d| env(d, json!({"secretKeyRef": {"name": "web-creds", "key": "anything"}}))).is_empty());
        // A volume's items, and a projected volume's.
        let volume = |d: &mut Value, v: Value| d["spec"]["template"]["spec"]["volumes"][1] = v;
        one_finding(
            &findings(&|d| volume(d, json!({"name": "creds", "secret": {"secretName": "web-app", "items": [{"key": "password", "path": "p"}, {"key": "token", "path": "t"}]}}))),
            "spec.template.spec.volumes[1] (creds).secret.items[1]: Secret \"web-app\" has no key \"token\"",
        );
        one_finding(
            &findings(&|d| volume(d, json!({"name": "creds", "projected": {"sources": [{"configMap": {"name": "web", "items": [{"key": "app.yaml", "path": "a"}]}}]}}))),
            "(creds).projected.sources[0].configMap.items[0]: ConfigMap \"web\" has no key \"app.yaml\"",
        );
        assert!(findings(&|d| volume(d, json!({"name": "creds", "secret": {"secretName": "web-app", "optional": true, "items": [{"key": "token", "path": "t"}]}}))).is_empty());
    }

    #[test]
    fn names_labels_and_duplicates_are_checked() {
        one_finding(&after("Gadget", |c| c["metadata"]["name"] = json!("Web_Gadget")), "is not a DNS-1123 subdomain");
        let mut objs = objects();
        let svc = objs.iter_mut().find(|o| o["kind"] == "Service").expect("service");
        svc["metadata"]["name"] = json!("1web");
        let f: Vec<String> = run(&objs, &[]).findings.iter().map(ToString::to_string).collect();
        // Its backends now miss it too.
        assert!(f.iter().any(|m| m.contains("Service/1web") && m.contains("DNS-1035")), "{f:#?}");
        one_finding(&after("Gadget", |g| g["metadata"]["labels"]["team"] = json!("x".repeat(64))), "value of 64 characters is over the 63");
        one_finding(&after("Gadget", |g| g["metadata"]["labels"]["team"] = json!("a b")), "is not a label value");
        one_finding(&after("Gadget", |g| g["metadata"]["annotations"] = json!({"Not A Key": "x"})), "annotation key");
        let mut objs = objects();
        objs.push(objects()[0].clone());
        let f: Vec<String> = run(&objs, &[]).findings.iter().map(ToString::to_string).collect();
        one_finding(&f, "ConfigMap/web: rendered twice");
        // The probe and the Service that named the old port miss it now, too.
        let f = after("Deployment", |d| container(d)["ports"][0]["name"] = json!("a-very-long-port-name"));
        assert!(f.len() == 3 && f[0].contains("is not an IANA service name"), "{f:#?}");
    }

    #[test]
    fn resources_annotation_sizes_and_kind_limits_are_checked() {
        let over = |d: &mut Value| container(d)["resources"] = json!({"requests": {"memory": "1Gi", "cpu": "500m"}, "limits": {"memory": "512Mi", "cpu": "0.5"}});
        one_finding(&after("Deployment", over), "resources.requests.memory \"1Gi\" is more than resources.limits.memory \"512Mi\"");
        one_finding(&after("Deployment", |d| container(d)["resources"] = json!({"requests": {"cpu": "-1"}})), "resources.requests.cpu \"-1\" is negative");
        one_finding(&after("Gadget", |g| g["metadata"]["annotations"] = json!({"a": "x".repeat(256 * 1024)})), "over the 262144 Kubernetes takes");
        let long_set = |g: &mut Value| {
            g["kind"] = json!("StatefulSet");
            g["metadata"]["name"] = json!("s".repeat(53));
        };
        one_finding(&after("Gadget", long_set), "of at most 52 characters");
    }

    #[test]
    fn ingress_hosts_and_paths_and_percentages_are_checked() {
        one_finding(&after("Ingress", |i| i["spec"]["rules"][0]["host"] = json!("Todo.Example.com")), "spec.rules[0].host: the host \"Todo.Example.com\" is not valid");
        one_finding(&after("Ingress", |i| i["spec"]["rules"][0]["host"] = json!("10.0.0.1")), "is an IP address");
        one_finding(&after("Ingress", |i| i["spec"]["rules"][0]["http"]["paths"][0]["path"] = json!("api")), "spec.rules[0].http.paths[0].path: the path \"api\" is not absolute");
        one_finding(&after("Ingress", |i| i["spec"]["tls"] = json!([{"hosts": ["*.example.com", ""]}])), "spec.tls[0].hosts[1]: the host \"\" is not valid");
        assert!(after("Ingress", |i| i["spec"]["rules"][0]["host"] = json!("*.example.com")).is_empty());
        one_finding(&after("Ingress", |i| i["spec"]["rules"] = json!([])), "Ingress/web: spec: neither rules nor a defaultBackend");
        one_finding(
            &after("Deployment", |d| d["spec"]["strategy"] = json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"}})),
            "spec.strategy.rollingUpdate.maxSurge and spec.strategy.rollingUpdate.maxUnavailable are both 0",
        );
        one_finding(&after("Ingress", |i| i["spec"]["rules"][0]["http"]["paths"] = json!([])), "spec.rules[0].http.paths: empty");
        one_finding(&after("PodDisruptionBudget", |p| p["spec"]["minAvailable"] = json!("150%")), "spec.minAvailable: the percentage \"150%\" is more than 100%");
        one_finding(&after("PodDisruptionBudget", |p| p["spec"]["minAvailable"] = json!(-1)), "spec.minAvailable: the count -1 is negative");
        assert!(after("PodDisruptionBudget", |p| p["spec"]["minAvailable"] = json!("100%")).is_empty());
        one_finding(
            &after("Deployment", |d| d["spec"]["strategy"] = json!({"rollingUpdate": {"maxSurge": "200%", "maxUnavailable": "101%"}})),
            "spec.strategy.rollingUpdate.maxUnavailable",
        );
    }

    #[test]
    fn every_restricted_control_is_checked() {
        fn pod(d: &mut Value) -> &mut Value {
            &mut d["spec"]["template"]["spec"]
        }
        let cases: Vec<(Box<dyn FnOnce(&mut Value)>, &str)> = vec![
            (Box::new(|d| pod(d)["hostNetwork"] = json!(true)), "Host Namespaces"),
            // With allowPrivilegeEscalation false, Kubernetes refuses privileged outright.
            (
                Box::new(|d| {
                    container(d)["securityContext"]["privileged"] = json!(true);
                    container(d)["securityContext"].as_object_mut().map(|sc| sc.remove("allowPrivilegeEscalation"));
                }),
                "Privileged Containers",
            ),
            (Box::new(|d| container(d)["securityContext"]["capabilities"]["drop"] = json!(["NET_RAW"])), "capabilities.drop must include ALL"),
            (Box::new(|d| container(d)["securityContext"]["capabilities"]["add"] = json!(["SYS_ADMIN"])), "only NET_BIND_SERVICE"),
            (Box::new(|d| pod(d)["volumes"][0] = json!({"name": "config", "hostPath": {"path": "/"}})), "HostPath Volumes"),
            (Box::new(|d| pod(d)["volumes"][0] = json!({"name": "config", "nfs": {"server": "x", "path": "/"}})), "Volume Types"),
            (Box::new(|d| container(d)["ports"][0]["hostPort"] = json!(80)), "Host Ports"),
            (Box::new(|d| container(d)["securityContext"]["appArmorProfile"] = json!({"type": "Unconfined"})), "AppArmor"),
            (Box::new(|d| pod(d)["securityContext"]["seLinuxOptions"] = json!({"type": "spc_t"})), "SELinux"),
            (
                Box::new(|d| {
                    container(d)["securityContext"]["procMount"] = json!("Unmasked");
                    pod(d)["hostUsers"] = json!(false);
                }),
                "/proc Mount Type",
            ),
            (Box::new(|d| pod(d)["securityContext"]["seccompProfile"]["type"] = json!("Unconfined")), "Seccomp"),
            (Box::new(|d| pod(d)["securityContext"]["sysctls"] = json!([{"name": "kernel.msgmax", "value": "1"}])), "Sysctls"),
            (Box::new(|d| container(d)["securityContext"]["allowPrivilegeEscalation"] = json!(true)), "Privilege Escalation"),
            (Box::new(|d| pod(d)["securityContext"]["runAsNonRoot"] = json!(false)), "Running as Non-root)"),
            (Box::new(|d| container(d)["securityContext"]["runAsUser"] = json!(0)), "Running as Non-root user"),
            (Box::new(|d| container(d)["securityContext"]["windowsOptions"] = json!({"hostProcess": true})), "HostProcess"),
        ];
        for (change, needle) in cases {
            let f = after("Deployment", change);
            assert!(!f.is_empty() && f.iter().all(|m| m.contains("Pod Security Standard restricted")), "{needle}: {f:#?}");
            assert!(f.iter().any(|m| m.contains(needle)), "{needle}: {f:#?}");
        }
        // runAsNonRoot: false on the pod is refused even when the container says true.
        let f = after("Deployment", |d| {
            pod(d)["securityContext"]["runAsNonRoot"] = json!(false);
            container(d)["securityContext"]["runAsNonRoot"] = json!(true);
        });
        assert!(f.len() == 1 && f[0].contains("spec.template.spec.securityContext.runAsNonRoot must not be false"), "{f:#?}");
        // A container-level seccomp profile and runAsNonRoot stand in for the pod's.
        let f = after("Deployment", |d| {
            pod(d)["securityContext"] = json!({});
            container(d)["securityContext"]["seccompProfile"] = json!({"type": "Localhost", "localhostProfile": "p.json"});
            container(d)["securityContext"]["runAsNonRoot"] = json!(true);
        });
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn exceptions_let_exactly_their_control_through_and_report_use() {
        let mut objs = objects();
        let d = objs.iter_mut().find(|o| o["kind"] == "Deployment").expect("deployment");
        container(d)["securityContext"]["capabilities"]["add"] = json!(["NET_ADMIN"]);
        container(d)["securityContext"]["allowPrivilegeEscalation"] = json!(true);
        let exceptions = [
            PssException { container: "web", control: Control::Capabilities, reason: "configures routes" },
            PssException { container: "other", control: Control::PrivilegeEscalation, reason: "not this pod" },
            PssException { container: "web", control: Control::HostPorts, reason: "stale" },
        ];
        let report = run(&objs, &exceptions);
        assert_eq!(report.used_exceptions, BTreeSet::from([0]));
        assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
        assert!(report.findings[0].message.contains("allowPrivilegeEscalation"));
    }

    #[test]
    fn unknown_kinds_and_odd_shapes_do_not_break_the_check() {
        let odd = vec![
            json!({"apiVersion": "example.com/v1", "kind": "Weird", "metadata": {"name": "w"}, "spec": {"template": {"spec": {"containers": "not a list"}}}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"selector": {"a": 1}, "ports": "x"}}),
            json!({"kind": "NoVersion", "metadata": {"name": "n", "labels": {"k": 7}}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": [7, {"ports": [1]}]}}}}),
            json!("not even an object"),
            json!(null),
        ];
        let report = run(&odd, &[]);
        assert!(!report.findings.is_empty());
    }

    #[test]
    fn plain_settings_named_as_secrets_are_found_in_config_maps() {
        let schema = json!({"properties": {
            "adminPassword": {"type": "string"},
            "existingSecret": {"type": "string"},
            "passwordKey": {"type": "string"},
            "apiToken": {"type": "string", "writeOnly": true},
            "oidc": {"properties": {"client_secret": {"type": "string"}, "issuer": {"type": "string"}}},
            "tokens": {"type": "array", "items": {"type": "string"}},
            "retries": {"type": "integer"}
        }});
        assert_eq!(secret_named_settings(&schema), ["adminPassword", "oidc.client_secret"]);
        let reads = |paths: &[&[&str]]| paths.iter().map(|p| p.iter().map(|k| k.to_string()).collect()).collect();
        let places = vec![
            ("ConfigMap in templates/configmap.yaml".to_string(), reads(&[&["adminPassword"], &["passwordKey"], &["existingSecret"]])),
            ("Deployment in templates/deployment.yaml".to_string(), reads(&[&["oidc", "client_secret"]])),
            // Reading the whole section shows the secret in it.
            ("ConfigMap in templates/configmap-oidc.yaml".to_string(), reads(&[&["oidc"]])),
        ];
        let found = secret_named_leaks(&schema, &places);
        assert_eq!(
            found,
            [
                ("adminPassword".to_string(), "ConfigMap in templates/configmap.yaml".to_string()),
                ("oidc.client_secret".to_string(), "ConfigMap in templates/configmap-oidc.yaml".to_string())
            ]
        );
    }

    #[test]
    fn secret_settings_come_from_write_only_marks() {
        let schema = json!({"properties": {
            "token": {"type": "string", "writeOnly": true},
            "db": {"properties": {"password": {"type": "string", "writeOnly": true}, "host": {"type": "string"}}},
            "users": {"type": "array", "items": {"properties": {"key": {"type": "string", "writeOnly": true}}}}
        }});
        assert_eq!(secret_settings(&schema), ["token", "db.password", "users[].key"]);
        let values = json!({"token": "", "db": {"password": "hunter2", "host": "h"}, "users": [{"key": ""}, {"key": "k1"}]});
        let found: Vec<String> = secret_values(&schema, &values).into_iter().map(|(p, _)| p).collect();
        assert_eq!(found, ["db.password", "users[1].key"]);
    }
}
