//! What the chart would run, read back from its rendered objects: one [`Service`] per container
//! of a workload (Deployment, StatefulSet, DaemonSet, Job), with the image, command, environment
//! (the ConfigMap and Secret references resolved) and volumes the pod spec gives it, and a
//! PostgreSQL service for the CloudNativePG cluster. The compose file and `.aeterna/config.toml`
//! are printed from this, so neither can drift from the chart.
//!
//! Whatever the chart renders must be accounted for here: an object kind, an environment source
//! or a volume type this module does not know is an error rather than something left out, so a
//! change to the chart that compose cannot follow fails the tests instead of the user.

use std::collections::BTreeMap;

use kforge::render::Rendered;
use serde_json::Value;

/// The PostgreSQL image of the compose file. The chart leaves the image of its CloudNativePG
/// cluster to the operator, whose images have no entrypoint for running outside it; this is the
/// official `postgres` image with the pgvector extension the chart's cluster creates.
pub const POSTGRES_IMAGE: &str = "docker.io/pgvector/pgvector:pg17";

/// Kinds that have no container of their own to run: Kubernetes access and policy, scaling,
/// routing and monitoring objects, and the objects whose content is read into the services
/// (ConfigMap, Secret, Service).
const NOT_RUN: &[&str] = &[
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "Secret",
    "ExternalSecret",
    "Service",
    "Ingress",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "ServiceMonitor",
    "ScheduledBackup",
];

/// An environment variable's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvValue {
    Text(String),
    /// A credential, or another value the chart reads from an object it does not render (an
    /// existing ConfigMap): read from the environment variable of this name where the service
    /// runs (compose reads it from `.env` or the shell).
    Secret(String),
    /// Text with credentials in it (Kubernetes' `$(VAR)` of an earlier credential variable, as
    /// in a URI with a password): literal pieces and the credentials' variables, in order.
    Composed(Vec<Piece>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Secret(String),
}

/// `text` with each `$(VAR)` that names a variable set before it expanded, as Kubernetes expands
/// it: a credential's split out as its variable, a plain one's text put in place; plain text when
/// there is no credential in it.
fn expand(text: &str, env: &[(String, EnvValue)]) -> EnvValue {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("$(") {
        let Some(len) = rest[start + 2..].find(')') else { break };
        let var = &rest[start + 2..start + 2 + len];
        literal.push_str(&rest[..start]);
        match env.iter().find(|(k, _)| k == var).map(|(_, v)| v) {
            Some(EnvValue::Secret(name)) => {
                pieces.push(Piece::Text(std::mem::take(&mut literal)));
                pieces.push(Piece::Secret(name.clone()));
            }
            Some(EnvValue::Text(t)) => literal.push_str(t),
            Some(EnvValue::Composed(earlier)) => {
                for p in earlier {
                    match p {
                        Piece::Text(t) => literal.push_str(t),
                        Piece::Secret(name) => {
                            pieces.push(Piece::Text(std::mem::take(&mut literal)));
                            pieces.push(Piece::Secret(name.clone()));
                        }
                    }
                }
            }
            // Not a variable set before: Kubernetes leaves it as it is.
            None => literal.push_str(&rest[start..start + 3 + len]),
        }
        rest = &rest[start + 3 + len..];
    }
    literal.push_str(rest);
    if pieces.is_empty() {
        return EnvValue::Text(literal);
    }
    pieces.push(Piece::Text(literal));
    EnvValue::Composed(pieces.into_iter().filter(|p| *p != Piece::Text(String::new())).collect())
}

#[derive(Clone, Debug, Default)]
pub struct Service {
    pub name: String,
    /// `app.kubernetes.io/component` of the workload.
    pub component: String,
    pub image: String,
    /// Kubernetes `command` (the image's entrypoint replaced).
    pub entrypoint: Vec<String>,
    /// Kubernetes `args`.
    pub args: Vec<String>,
    pub env: Vec<(String, EnvValue)>,
    /// Named volumes: (volume, mount path).
    pub volumes: Vec<(String, String)>,
    /// emptyDir mounts.
    pub tmpfs: Vec<String>,
    /// Other names the service answers to (its Kubernetes Services' names).
    pub aliases: Vec<String>,
    /// (Service port, container port), for the Aeterna server only.
    pub ports: Vec<(u16, u16)>,
    /// A Job: runs once to completion.
    pub one_shot: bool,
    /// Files placed into the container: (config name, target path).
    pub configs: Vec<(String, String)>,
    /// A readiness command, where the image has one.
    pub healthcheck: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default)]
pub struct Runtime {
    pub services: Vec<Service>,
    /// Named volumes, in order.
    pub volumes: Vec<String>,
    /// Inline files: (name, content).
    pub configs: Vec<(String, String)>,
    /// The variable the services read the bundled database's password from (the key
    /// `password` of the cluster's `-app` Secret), which the PostgreSQL container is given too.
    pub database_password: Option<String>,
}

impl Runtime {
    /// The Aeterna server: the long-running service of component `server`.
    pub fn server(&self) -> Option<&Service> {
        self.services.iter().find(|s| s.component == "server" && !s.one_shot)
    }
}

fn str_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().map(str_of).collect()).unwrap_or_default()
}

fn labels_match(selector: &Value, labels: &Value) -> bool {
    selector.as_object().is_some_and(|sel| !sel.is_empty() && sel.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

/// Reads the services out of the rendered objects of one release.
pub fn of(objects: &[Rendered]) -> Result<Runtime, String> {
    fn by_kind<'o>(objects: &'o [Rendered], kind: &'static str) -> impl Iterator<Item = &'o Rendered> {
        objects.iter().filter(move |o| o.kind == kind)
    }
    let config_maps: BTreeMap<&str, &Value> = by_kind(objects, "ConfigMap").map(|o| (o.name.as_str(), &o.value["data"])).collect();
    let k8s_services: Vec<&Rendered> = by_kind(objects, "Service").collect();
    let cluster = by_kind(objects, "Cluster").next();
    let app_secret = cluster.map(|c| format!("{}-app", c.name));
    let owner = cluster.map(|c| str_of(&c.value["spec"]["bootstrap"]["initdb"]["owner"])).unwrap_or_default();

    let mut rt = Runtime::default();
    for o in objects {
        match o.kind.as_str() {
            "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => workload(o, &config_maps, &k8s_services, app_secret.as_deref(), &owner, &mut rt)?,
            "Cluster" => {}
            kind if NOT_RUN.contains(&kind) => {}
            kind => return Err(format!("the chart renders a {kind} ({}), which the compose file cannot represent yet", o.name)),
        }
    }
    if let Some(c) = cluster {
        let password_var = rt.database_password.clone().unwrap_or_else(|| "POSTGRES_PASSWORD".into());
        rt.services.insert(0, postgres(c, &owner, &password_var, &mut rt.volumes, &mut rt.configs));
    }
    Ok(rt)
}

/// The CloudNativePG cluster as one PostgreSQL container: the database and owner of its
/// `bootstrap.initdb`, its post-init SQL as an init script, and the `-rw` name the operator's
/// read-write Service has, which is the host the server is configured with.
fn postgres(c: &Rendered, owner: &str, password_var: &str, volumes: &mut Vec<String>, configs: &mut Vec<(String, String)>) -> Service {
    let initdb = &c.value["spec"]["bootstrap"]["initdb"];
    let database = str_of(&initdb["database"]);
    let volume = format!("{}-data", c.name);
    volumes.insert(0, volume.clone());
    let mut s = Service {
        name: c.name.clone(),
        component: "postgresql".into(),
        image: POSTGRES_IMAGE.into(),
        env: vec![
            ("POSTGRES_DB".into(), EnvValue::Text(database.clone())),
            ("POSTGRES_USER".into(), EnvValue::Text(owner.to_string())),
            ("POSTGRES_PASSWORD".into(), EnvValue::Secret(password_var.to_string())),
        ],
        volumes: vec![(volume, "/var/lib/postgresql/data".into())],
        aliases: vec![format!("{}-rw", c.name)],
        healthcheck: Some(vec!["CMD".into(), "pg_isready".into(), "-U".into(), owner.to_string(), "-d".into(), database]),
        ..Service::default()
    };
    let sql = strings(&initdb["postInitApplicationSQL"]);
    if !sql.is_empty() {
        let name = format!("{}-init", c.name);
        configs.push((name.clone(), sql.join("\n") + "\n"));
        s.configs.push((name, "/docker-entrypoint-initdb.d/10-init.sql".into()));
    }
    s
}

fn workload(o: &Rendered, config_maps: &BTreeMap<&str, &Value>, k8s_services: &[&Rendered], app_secret: Option<&str>, owner: &str, rt: &mut Runtime) -> Result<(), String> {
    let pod = &o.value["spec"]["template"];
    let spec = &pod["spec"];
    let pod_labels = &pod["metadata"]["labels"];
    let component = str_of(&o.value["metadata"]["labels"]["app.kubernetes.io/component"]);
    let claims: Vec<String> = o.value["spec"]["volumeClaimTemplates"].as_array().into_iter().flatten().map(|c| str_of(&c["metadata"]["name"])).collect();
    let selecting: Vec<&&Rendered> = k8s_services.iter().filter(|s| labels_match(&s.value["spec"]["selector"], pod_labels)).collect();
    let containers = spec["containers"].as_array().cloned().unwrap_or_default();
    let what = format!("{} {}", o.kind, o.name);
    for (i, c) in containers.iter().enumerate() {
        let cname = str_of(&c["name"]);
        let name = if i == 0 { o.name.clone() } else { format!("{}-{cname}", o.name) };
        let mut s = Service {
            name: name.clone(),
            component: component.clone(),
            image: str_of(&c["image"]),
            entrypoint: strings(&c["command"]),
            args: strings(&c["args"]),
            one_shot: o.kind == "Job",
            ..Service::default()
        };
        for from in c["envFrom"].as_array().into_iter().flatten() {
            let Some(cm) = from.get("configMapRef") else {
                return Err(format!("{what}: envFrom {from} is not a ConfigMap reference, which the compose file cannot represent yet"));
            };
            let cm_name = str_of(&cm["name"]);
            let data = config_maps.get(cm_name.as_str()).ok_or_else(|| format!("{what}: envFrom names ConfigMap {cm_name}, which the chart does not render"))?;
            for (k, v) in data.as_object().into_iter().flatten() {
                set_env(&mut s.env, k, EnvValue::Text(str_of(v)));
            }
        }
        for e in c["env"].as_array().into_iter().flatten() {
            let var = str_of(&e["name"]);
            let value = if let Some(v) = e.get("value") {
                expand(&str_of(v), &s.env)
            } else if let Some(r) = e.pointer("/valueFrom/secretKeyRef") {
                // The cluster's own Secret: the owner is known; the password is the one compose
                // gives the PostgreSQL container.
                let of_cluster = Some(str_of(&r["name"]).as_str()) == app_secret;
                if of_cluster && str_of(&r["key"]) == "username" {
                    EnvValue::Text(owner.to_string())
                } else {
                    if of_cluster && str_of(&r["key"]) == "password" {
                        rt.database_password.get_or_insert_with(|| var.clone());
                    }
                    EnvValue::Secret(var.clone())
                }
            } else if let Some(r) = e.pointer("/valueFrom/configMapKeyRef") {
                // A ConfigMap the chart renders gives its value; one that exists outside the
                // chart (the server's Cedar policy) is supplied where the service runs.
                match config_maps.get(str_of(&r["name"]).as_str()) {
                    Some(data) => EnvValue::Text(str_of(&data[str_of(&r["key"])])),
                    None => EnvValue::Secret(var.clone()),
                }
            } else {
                return Err(format!("{what}: env {var} has a source the compose file cannot represent yet: {e}"));
            };
            set_env(&mut s.env, &var, value);
        }
        let volumes = spec["volumes"].as_array().cloned().unwrap_or_default();
        for m in c["volumeMounts"].as_array().into_iter().flatten() {
            let vname = str_of(&m["name"]);
            let path = str_of(&m["mountPath"]);
            if claims.contains(&vname) {
                let volume = format!("{name}-{vname}");
                rt.volumes.push(volume.clone());
                s.volumes.push((volume, path));
            } else if volumes.iter().any(|v| v["name"] == vname.as_str() && v.get("emptyDir").is_some()) {
                s.tmpfs.push(path);
            } else {
                return Err(format!("{what}: volume {vname} is neither a claim template nor an emptyDir, which the compose file cannot represent yet"));
            }
        }
        // The container ports its Services reach, by name and number.
        let ports: Vec<(String, u16)> =
            c["ports"].as_array().into_iter().flatten().map(|p| (str_of(&p["name"]), p["containerPort"].as_u64().and_then(|n| u16::try_from(n).ok()).unwrap_or(0))).collect();
        for svc in &selecting {
            if svc.name != name && !s.aliases.contains(&svc.name) {
                s.aliases.push(svc.name.clone());
            }
            for p in svc.value["spec"]["ports"].as_array().into_iter().flatten() {
                let port = p["port"].as_u64().and_then(|n| u16::try_from(n).ok()).unwrap_or(0);
                let target = match &p["targetPort"] {
                    Value::String(n) => ports.iter().find(|(pn, _)| pn == n).map(|(_, num)| *num),
                    Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
                    _ => Some(port),
                };
                // A port of another container of the pod.
                let Some(target) = target.filter(|t| ports.iter().any(|(_, num)| num == t)) else { continue };
                if component == "server" && !s.one_shot {
                    s.ports.push((port, target));
                } else if port != target {
                    // Compose has no Service in between: clients reach the container port.
                    return Err(format!("Service {} maps port {port} to container port {target}; compose clients reach the container port, so the two must be equal", svc.name));
                }
            }
        }
        rt.services.push(s);
    }
    Ok(())
}

fn set_env(env: &mut Vec<(String, EnvValue)>, name: &str, value: EnvValue) {
    match env.iter_mut().find(|(k, _)| k == name) {
        Some(slot) => slot.1 = value,
        None => env.push((name.to_string(), value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_follows_kubernetes() {
        let env = vec![("USER".to_string(), EnvValue::Text("u".into())), ("PASSWORD".to_string(), EnvValue::Secret("PG_PASSWORD".into()))];
        assert_eq!(
            expand("postgres://$(USER):$(PASSWORD)@db:5432/a", &env),
            EnvValue::Composed(vec![Piece::Text("postgres://u:".into()), Piece::Secret("PG_PASSWORD".into()), Piece::Text("@db:5432/a".into())])
        );
        assert_eq!(expand("$(USER)@$(UNSET)", &env), EnvValue::Text("u@$(UNSET)".into()));
    }
}
