//! Ready-to-apply GitOps definitions for every application and environment, from the same
//! model as the manifests: `gitops/<app>/<env>/`
//!
//! - `argocd-manifests.yaml`: an Argo CD `Application` of the environment directory
//!   (`manifests/<app>/<env>`, a kustomization; its sync waves order the stages);
//! - `argocd-chart.yaml`: an Argo CD `Application` of the chart with the environment's values
//!   file;
//! - `flux-manifests.yaml`: the application's Namespace, a Flux `GitRepository` and one Flux
//!   `Kustomization` per stage directory, each `dependsOn` the stage before and `wait`ing for
//!   its objects to be healthy (see [`super::layout`]);
//! - `flux-chart.yaml`: a Flux `HelmRelease` of the chart from the `GitRepository`, with the
//!   environment's values file;
//! - `flux-chart-oci.yaml`: a Flux `OCIRepository` of the published chart (`kforge package`,
//!   `helm push`) and a `HelmRelease` of it with the environment's values.
//!
//! Where the repository and the registry are, the name of the Flux `GitRepository` and the
//! Secrets Flux logs in with are a [`Settings`] (emit's `--repo-*` and `--chart-registry*`
//! flags), with placeholders by default.

use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Tree;
use super::layout::Stage;
use crate::model::app::{self, Application};
use crate::render::RenderError;

/// Where the GitOps engines find what `emit` writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The Git repository the output is committed to (Argo CD `repoURL`, Flux `GitRepository`).
    pub repo_url: String,
    /// The branch the engines follow.
    pub revision: String,
    /// The output directory inside the repository (`charts-out`).
    pub path: String,
    /// The OCI repository charts are pushed to (`helm push CHART.tgz <registry>`).
    pub chart_registry: String,
    /// The name of the Flux `GitRepository` of `repo_url` in flux-system, which every
    /// Kustomization and HelmRelease from Git refers to ([`source_name`] of the URL by default).
    pub source_name: String,
    /// A Secret in flux-system with the credentials of `repo_url` (`GitRepository.spec.secretRef`).
    pub repo_secret: Option<String>,
    /// A `kubernetes.io/dockerconfigjson` Secret in flux-system with the login to
    /// `chart_registry` (`OCIRepository.spec.secretRef`).
    pub chart_registry_secret: Option<String>,
}

/// The placeholder repository, until `--repo-url` says where the output is committed.
pub const PLACEHOLDER_REPO: &str = "https://github.com/OWNER/REPOSITORY.git";
/// The placeholder registry, as in the book's release workflow (docs/src/upgrades.md).
pub const PLACEHOLDER_REGISTRY: &str = "oci://ghcr.io/OWNER/charts";

impl Default for Settings {
    fn default() -> Self {
        Settings {
            repo_url: PLACEHOLDER_REPO.into(),
            revision: "main".into(),
            path: "charts-out".into(),
            chart_registry: PLACEHOLDER_REGISTRY.into(),
            source_name: source_name(PLACEHOLDER_REPO),
            repo_secret: None,
            chart_registry_secret: None,
        }
    }
}

/// The most characters of the readable part of [`source_name`], so that with `-` and the
/// digest it stays a DNS-1123 label (63).
const SOURCE_BASE_MAX: usize = 54;

/// The default name of the Flux `GitRepository` of the repository at `url`: its last path
/// element without `.git`, lowercased, each run of characters other than `a-z` and `0-9` made
/// one `-`, trimmed of `-` and cut to 54 characters (`kforge` if nothing is left), then `-` and
/// the first 8 hexadecimal digits of the SHA-256 of `url`.
///
/// Every repository whose definitions are applied into flux-system gets its own source, so one
/// does not replace another's; the digest tells apart repositories with the same last element
/// (`team-a/deploy.git`, `team-b/deploy.git`). The result is a DNS-1123 label.
pub fn source_name(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.split(['?', '#']).next().unwrap_or("");
    let last = path.split('/').rfind(|p| !p.is_empty()).unwrap_or("");
    let last = last.strip_suffix(".git").unwrap_or(last).to_ascii_lowercase();
    let mut base = String::new();
    for c in last.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            base.push(c);
        } else if !base.ends_with('-') {
            base.push('-');
        }
    }
    let mut base = base.trim_matches('-').to_string();
    base.truncate(SOURCE_BASE_MAX);
    let base = match base.trim_end_matches('-') {
        "" => "kforge",
        b => b,
    };
    let digest = Sha256::digest(url.as_bytes());
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("{base}-{hex}")
}

/// The name of the Flux `OCIRepository` of chart `chart` published to `registry`: `<chart>-chart-`
/// and the first 8 hexadecimal digits of the SHA-256 of `registry`, so the sources of one chart
/// from two registries (a staging and a release registry, applied into one flux-system) do not
/// replace each other. A chart name is at most 53 characters: the result is a DNS-1123 label.
pub fn oci_source_name(chart: &str, registry: &str) -> String {
    let digest = Sha256::digest(registry.trim_end_matches('/').as_bytes());
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("{chart}-chart-{hex}")
}

/// The namespace Argo CD's Applications live in.
const ARGOCD_NAMESPACE: &str = "argocd";
/// The namespace Flux's objects live in.
const FLUX_NAMESPACE: &str = "flux-system";

fn document(header: &str, about: &str, docs: &[Value]) -> Result<String, RenderError> {
    let mut text = format!("# {header}\n# {about}\n");
    for doc in docs {
        text.push_str("---\n");
        text.push_str(&crate::render::yaml_of(doc)?);
    }
    Ok(text)
}

fn argocd_application(name: &str, namespace: &str, source: Value) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": ARGOCD_NAMESPACE},
        "spec": {
            "project": "default",
            "source": source,
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            "syncPolicy": {"automated": {"prune": true, "selfHeal": true}, "syncOptions": ["CreateNamespace=true"]},
        },
    })
}

fn git_repository(s: &Settings) -> Value {
    let mut source = json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": s.source_name, "namespace": FLUX_NAMESPACE},
        "spec": {"interval": "5m", "url": s.repo_url, "ref": {"branch": s.revision}},
    });
    if let Some(secret) = &s.repo_secret {
        source["spec"]["secretRef"] = json!({"name": secret});
    }
    source
}

fn helm_release(name: &str, release: &str, chart: Value, values: Option<Value>) -> Value {
    let mut spec = json!({
        "interval": "10m",
        "releaseName": release,
        "targetNamespace": release,
        // Helm's release records beside the release, not in flux-system: `helm list -n <app>`
        // and `helm history` see it, as after a `helm install -n <app>`.
        "storageNamespace": release,
        "install": {"createNamespace": true, "remediation": {"retries": 3}},
        "upgrade": {"remediation": {"retries": 3}},
    });
    if let Value::Object(chart) = chart {
        spec.as_object_mut().expect("an object").extend(chart);
    }
    if let Some(values) = values {
        spec["values"] = values;
    }
    json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": name, "namespace": FLUX_NAMESPACE}, "spec": spec})
}

/// One environment of an application: its name and, but for `default`, its values file.
pub struct Environment<'a> {
    /// `production`.
    pub name: &'a str,
    /// The values file's text (`None`: the chart's defaults).
    pub values: Option<&'a str>,
}

/// Adds `gitops/<app>/<env>/` for one environment whose manifests fill `stages`.
pub fn add_environment(tree: &mut Tree, app: &dyn Application, settings: &Settings, env: &Environment, stages: &[Stage]) -> Result<(), RenderError> {
    let meta = app.chart();
    let name = meta.name.as_str();
    let header = app::header(app.source());
    let dir = Path::new("gitops").join(name).join(env.name);
    let out = settings.path.trim_end_matches('/');
    let manifests = format!("{out}/manifests/{name}/{}", env.name);
    let chart = format!("{out}/charts/{name}");
    let values_file = env.values.map(|_| format!("values-{}.yaml", env.name));
    let id = format!("{name}-{}", env.name);

    // Argo CD: the directory (a kustomization, ordered by its sync waves) and the chart.
    let app_manifests = argocd_application(&id, name, json!({"repoURL": settings.repo_url, "targetRevision": settings.revision, "path": manifests}));
    let about = format!("Argo CD: environment {:?} of {name} from its plain manifests ({manifests}): `kubectl apply -f` this file.", env.name);
    tree.insert(dir.join("argocd-manifests.yaml"), document(&header, &about, &[app_manifests])?);
    let mut helm = json!({"releaseName": name});
    if let Some(file) = &values_file {
        helm["valueFiles"] = json!([file]);
    }
    let app_chart = argocd_application(&format!("{id}-chart"), name, json!({"repoURL": settings.repo_url, "targetRevision": settings.revision, "path": chart, "helm": helm}));
    let about = format!("Argo CD: environment {:?} of {name} from its Helm chart ({chart}): `kubectl apply -f` this file.", env.name);
    tree.insert(dir.join("argocd-chart.yaml"), document(&header, &about, &[app_chart])?);

    // Flux: one Kustomization per stage, each after the one before is healthy.
    let mut docs = vec![json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}), git_repository(settings)];
    let mut previous: Option<String> = None;
    for stage in stages {
        let ks = format!("{id}-{}", stage.name());
        let mut spec = json!({
            "interval": "10m",
            "retryInterval": "1m",
            "timeout": "10m",
            "path": format!("./{manifests}/{}", stage.dir()),
            "prune": true,
            "wait": true,
            "sourceRef": {"kind": "GitRepository", "name": settings.source_name},
        });
        if let Some(p) = &previous {
            spec["dependsOn"] = json!([{"name": p}]);
        }
        docs.push(json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": ks, "namespace": FLUX_NAMESPACE}, "spec": spec}));
        previous = Some(ks);
    }
    let about = format!("Flux: environment {:?} of {name} from its plain manifests ({manifests}), one Kustomization per stage: `kubectl apply -f` this file.", env.name);
    tree.insert(dir.join("flux-manifests.yaml"), document(&header, &about, &docs)?);

    // Flux: the chart from the Git repository ...
    // Paths in the Git source, from its root (`./`, as Flux writes them).
    let mut files = vec![format!("./{chart}/values.yaml")];
    files.extend(values_file.iter().map(|f| format!("./{chart}/{f}")));
    let from_git = json!({"chart": {"spec": {
        "chart": format!("./{chart}"),
        "reconcileStrategy": "Revision",
        "sourceRef": {"kind": "GitRepository", "name": settings.source_name},
        "valuesFiles": files,
    }}});
    let about = format!("Flux: environment {:?} of {name} from its Helm chart ({chart}) in the Git repository: `kubectl apply -f` this file.", env.name);
    tree.insert(dir.join("flux-chart.yaml"), document(&header, &about, &[git_repository(settings), helm_release(&id, name, from_git, None)])?);

    // ... and as published to the OCI registry, with the environment's values inline.
    let values: Option<Value> = match env.values {
        Some(text) => {
            // Read as Helm reads the file (YAML 1.1): Flux hands these values to Helm as they are.
            let v: Value =
                crate::values::parse_yaml(&format!("values-{}.yaml", env.name), text).map_err(|e| RenderError::new(crate::render::RenderErrorKind::Print(e.to_string())))?;
            Some(v).filter(|v| v.as_object().is_some_and(|m| !m.is_empty()))
        }
        None => None,
    };
    let registry = settings.chart_registry.trim_end_matches('/');
    let mut oci = json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "OCIRepository",
        "metadata": {"name": oci_source_name(name, registry), "namespace": FLUX_NAMESPACE},
        "spec": {
            "interval": "10m",
            "url": format!("{registry}/{name}"),
            "ref": {"tag": meta.version},
            "layerSelector": {"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "operation": "copy"},
        },
    });
    if let Some(secret) = &settings.chart_registry_secret {
        oci["spec"]["secretRef"] = json!({"name": secret});
    }
    let from_oci = json!({"chartRef": {"kind": "OCIRepository", "name": oci_source_name(name, registry), "namespace": FLUX_NAMESPACE}});
    let about = format!("Flux: environment {:?} of {name} from its chart {} as published to {registry}: `kubectl apply -f` this file.", env.name, meta.version);
    tree.insert(dir.join("flux-chart-oci.yaml"), document(&header, &about, &[oci, helm_release(&format!("{id}-oci"), name, from_oci, values)])?);
    Ok(())
}
