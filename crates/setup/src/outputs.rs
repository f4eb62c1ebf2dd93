//! Every output of a target, derived from the one `Values` the answers give:
//!
//! | target | files in `--out` | and |
//! | --- | --- | --- |
//! | docker-compose | `docker-compose.yaml`, `.env` (secrets), `.aeterna/config.toml` | the OpenCode entry |
//! | kubernetes | `values.yaml`, `secrets.values.yaml` (only when a secret was typed), `.aeterna/config.toml` | the OpenCode entry |
//! | opencode-only | `.aeterna/config.toml` | the OpenCode entry |

use std::path::{Path, PathBuf};

use apps::aeterna::Values;
use kforge::Application;
use kforge::render::{self, Release};
use serde_json::Value;

use crate::answers::{Answers, Target};
use crate::files::{Planned, stamped};
use crate::model::{self, SecretPath};
use crate::opencode::{self, MCP_PATH, Merge};
use crate::runtime::{self, EnvValue, Runtime};
use crate::{compose, config};

/// The release the compose file and config.toml are rendered for: `helm install aeterna`, as
/// the chart README's install command names it.
pub const RELEASE: Release<'static> = Release { name: "aeterna", namespace: "default" };

const NOTE: &str = "written by `kforge setup`; a rerun replaces it unless you edited it";
const SECRET_NOTE: &str = "secrets typed into `kforge setup`: keep this file out of version control; a rerun replaces it unless you edited it";

/// The OpenCode configuration to merge into.
#[derive(Debug)]
pub struct OpencodePlan {
    pub path: PathBuf,
    pub url: String,
    pub merge: Merge,
    pub exists: bool,
}

#[derive(Debug)]
pub struct Plan {
    pub files: Vec<Planned>,
    pub opencode: Option<OpencodePlan>,
    /// What to do next, one line each.
    pub next: Vec<String>,
}

/// The chart's values for the answers, checked by the chart's own rules, and what it renders.
pub fn render(answers: &Answers) -> Result<(Value, Vec<render::Rendered>), String> {
    let app = apps::aeterna::app();
    let values: Values = model::values_of(answers);
    let tree = serde_json::to_value(&values).map_err(|e| e.to_string())?;
    let tree = app.validate(&tree).map_err(|(path, message)| format!("the answers give values the chart rejects: {path}: {message}"))?;
    let objects = render::render_objects(&app, &app.model(), &tree, RELEASE).map_err(|e| format!("the answers give values the chart rejects: {e}"))?;
    Ok((tree, objects))
}

/// `values.yaml` (what differs from the chart's defaults, without secrets) and the typed
/// secrets, each as a values overlay.
pub fn split_values(tree: &Value) -> (Value, Value) {
    let app = apps::aeterna::app();
    let mut values = model::diff(tree, &app.defaults()).unwrap_or_else(|| Value::Object(Default::default()));
    let mut secrets = Value::Object(Default::default());
    for SecretPath { keys, .. } in model::secret_paths() {
        if let Some(v) = model::take(&mut values, &keys)
            && v.as_str().is_some_and(|s| !s.is_empty())
        {
            model::put(&mut secrets, &keys, v);
        }
    }
    (values, secrets)
}

fn join(out: &Path, name: &str) -> PathBuf {
    if out == Path::new(".") { PathBuf::from(name) } else { out.join(name) }
}

fn planned(out: &Path, name: &str, text: String, secret: bool) -> Planned {
    let path = join(out, name);
    Planned { shown: path.display().to_string(), path, text, secret, owned: true, base: out.to_path_buf() }
}

/// A fresh password for the compose PostgreSQL: 24 random bytes as hex.
fn new_password() -> Result<String, String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for the database password: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The value of `var` in an existing `.env`, unquoted.
fn dotenv_value(text: &str, var: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let value = line.trim().strip_prefix(var)?.strip_prefix('=')?;
        let unquoted = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')).or_else(|| value.strip_prefix('"').and_then(|v| v.strip_suffix('"'))).unwrap_or(value);
        (!unquoted.is_empty()).then(|| unquoted.to_string())
    })
}

/// `.env`: the credentials compose reads, typed ones with their values, the database password
/// kept from an earlier `.env` (the database volume holds it) or made up, others left for the
/// user as comments.
fn dotenv(rt: &Runtime, tree: &Value, existing: Option<&str>) -> Result<String, String> {
    let paths = model::secret_paths();
    let database_var = rt.services.iter().find(|s| s.component == "postgresql").and_then(|s| {
        s.env.iter().find_map(|(k, v)| match v {
            EnvValue::Secret(var) if k == "POSTGRES_PASSWORD" => Some(var.clone()),
            _ => None,
        })
    });
    let mut vars: Vec<String> = Vec::new();
    for (_, v) in rt.services.iter().flat_map(|s| &s.env) {
        if let EnvValue::Secret(var) = v
            && !vars.contains(var)
        {
            vars.push(var.clone());
        }
    }
    let mut body = String::from("# Read by docker compose from this directory. Values stay in single quotes, taken literally.\n");
    for var in vars {
        let value = if Some(&var) == database_var.as_ref() {
            Some(match existing.and_then(|t| dotenv_value(t, &var)) {
                Some(kept) => kept,
                None => new_password()?,
            })
        } else {
            paths.iter().filter(|p| p.env == var).find_map(|p| model::get(tree, &p.keys)).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
        };
        match value {
            Some(v) if v.contains('\'') || v.contains('\n') || v.contains('\r') => {
                return Err(format!("the value typed for {var} contains a quote or a line break, which .env cannot hold"));
            }
            Some(v) => body.push_str(&format!("{var}='{v}'\n")),
            None => body.push_str(&format!("# {var}: not typed into the wizard; set it here or in the shell before `docker compose up`\n# {var}=''\n")),
        }
    }
    Ok(stamped(SECRET_NOTE, &body))
}

/// The MCP address OpenCode connects to.
fn mcp_url(answers: &Answers, values: &Values, rt: &Runtime) -> String {
    let local = |port: u16| format!("http://localhost:{port}{MCP_PATH}");
    let service_port = values.aeterna.service.port.0;
    match answers.target {
        Target::DockerCompose => local(rt.server().and_then(|s| s.ports.first()).map(|p| p.0).unwrap_or(service_port)),
        Target::Kubernetes if values.ingress.enabled => match values.ingress.hosts.first() {
            Some(h) => {
                let tls = values.ingress.tls.iter().any(|t| t.hosts.contains(&h.host));
                let path = h.paths.first().map(|p| p.path.trim_end_matches('/').to_string()).unwrap_or_default();
                format!("{}://{}{path}{MCP_PATH}", if tls { "https" } else { "http" }, h.host)
            }
            None => local(service_port),
        },
        // Through `kubectl port-forward`, as the chart's NOTES say, or a server the user runs.
        _ => local(service_port),
    }
}

/// Everything the answers produce, with `out` as the output directory.
pub fn plan(answers: &Answers, out: &Path, opencode_path: Option<&Path>) -> Result<Plan, String> {
    let (tree, objects) = render(answers)?;
    let values: Values = serde_json::from_value(tree.clone()).map_err(|e| e.to_string())?;
    let rt = runtime::of(&objects)?;
    let server = rt.server().ok_or("the chart renders no Aeterna server")?;
    let mut files = Vec::new();
    let mut next = Vec::new();
    // No registry publishes opal-fetcher: the user builds the image the chart names.
    if let Some(fetcher) = rt.services.iter().find(|s| s.component == "opal-fetcher") {
        let push = if answers.target == Target::Kubernetes { " and push it where the cluster pulls from" } else { "" };
        next.push(format!("Build opal-fetcher in a checkout of kikokikok/aeterna at the server's version: docker build -f opal-fetcher/Dockerfile -t {} .{push}", fetcher.image));
    }
    match answers.target {
        Target::DockerCompose => {
            let doc = compose::document(&rt, "aeterna");
            files.push(planned(out, "docker-compose.yaml", stamped(NOTE, &compose::yaml(&doc)?), false));
            let env_path = join(out, ".env");
            crate::files::no_links(out, &env_path)?;
            let existing = std::fs::read_to_string(&env_path).ok();
            files.push(planned(out, ".env", dotenv(&rt, &tree, existing.as_deref())?, true));
            if values.opal.enabled {
                next.push(
                    "Give the server its Cedar policy: set AETERNA_CEDAR_POLICY_TEXT and AETERNA_CEDAR_SCHEMA_TEXT in the shell \
                     (export AETERNA_CEDAR_POLICY_TEXT=\"$(cat policies/cedar/*.cedar)\", and the schema of policies/cedar/aeterna.cedarschema)."
                        .into(),
                );
            }
            let dir = if out == Path::new(".") { String::new() } else { format!("cd {} && ", out.display()) };
            next.push(format!("Start it: {dir}docker compose up -d   (Docker Compose 2.23.1 or later)"));
        }
        Target::Kubernetes => {
            let (overlay, secrets) = split_values(&tree);
            let schema = apps::aeterna::app().schema();
            let head = "# The Aeterna chart's values for your answers: only what differs from the chart's defaults\n# (charts-out/charts/aeterna/values.yaml describes every setting).\n\n";
            files.push(planned(out, "values.yaml", stamped(NOTE, &format!("{head}{}", kforge::render::chart::commented_yaml(&overlay, &schema))), false));
            let mut install = format!("helm install aeterna charts-out/charts/aeterna -n aeterna --create-namespace -f {}", join(out, "values.yaml").display());
            if secrets.as_object().is_some_and(|m| !m.is_empty()) {
                files.push(planned(out, "secrets.values.yaml", stamped(SECRET_NOTE, &kforge::render::chart::commented_yaml(&secrets, &schema)), true));
                install.push_str(&format!(" -f {}", join(out, "secrets.values.yaml").display()));
            }
            if values.postgresql.enabled {
                next.push("Install the CloudNativePG operator once per cluster (see the chart README, \"Before installing\").".into());
            }
            if values.opal.enabled && values.opal.auth.enabled && !values.opal.auth.existing_secret.is_empty() {
                next.push(format!(
                    "Create the Secret {} with OPAL's keys and tokens (chart README, \"OPAL\"), and point opal.server.policyRepo at your Cedar policies.",
                    values.opal.auth.existing_secret.0
                ));
            }
            if values.opal.enabled && !values.opal.cedar.existing_config_map.is_empty() {
                next.push(format!(
                    "Create the ConfigMap {} with the Aeterna server's Cedar policy, keys policy and schema (chart README, \"OPAL\").",
                    values.opal.cedar.existing_config_map.0
                ));
            }
            if values.ingress.enabled && answers.advanced.ingress_host.is_empty() {
                let hosts: Vec<&str> = values.ingress.hosts.iter().map(|h| h.host.as_str()).collect();
                next.push(format!("The Ingress routes the chart's example host {}: set ingress.hosts (and ingress.tls) in values.yaml to yours.", hosts.join(", ")));
            }
            next.push(format!("Install it: {install}"));
        }
        Target::OpencodeOnly => {}
    }
    let head = "# The Aeterna server's runtime configuration: the settings the chart and the compose file give\n# it, by subject. Credentials are not here: `*_env` keys name the variables that hold them.\n\n";
    files.push(planned(out, ".aeterna/config.toml", stamped(NOTE, &format!("{head}{}", config::toml_of(server)?)), false));

    let opencode = if answers.opencode {
        let path = match opencode_path {
            Some(p) => p.to_path_buf(),
            None => opencode::default_path()?,
        };
        let url = mcp_url(answers, &values, &rt);
        // A dotfiles link is not written through (nor silently replaced by a file).
        crate::files::no_links(path.parent().unwrap_or(Path::new(".")), &path)?;
        let existing = match std::fs::read_to_string(&path) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
        };
        let merge = opencode::merge(&path.display().to_string(), existing.as_deref(), &opencode::entry(&url))?;
        next.push(format!("Restart OpenCode to load its `aeterna` MCP server ({url})."));
        Some(OpencodePlan { path, url, merge, exists: existing.is_some() })
    } else {
        None
    };
    Ok(Plan { files, opencode, next })
}
