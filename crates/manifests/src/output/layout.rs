//! The plain manifests of one environment as a directory that kustomize, Argo CD and Flux each
//! take as it is: `manifests/<app>/<env>/`, one file per object, grouped into stage
//! directories in the order the objects must exist, with a `kustomization.yaml` listing exactly
//! the environment's objects and one per stage listing the stage's.
//!
//! The stages come from the model, never from a list per application:
//!
//! | stage | what | from |
//! | --- | --- | --- |
//! | `0-config` | settings, identity, Services, policies | kinds Helm installs before workloads |
//! | `1-backing` | what makes objects pods read: an ExternalSecret (its Secret), a database Cluster (its Services and Secrets), a Certificate | [`crate::check::made_by`] |
//! | `2-tasks` | one-shot Jobs the chart runs as Helm hooks (a migration) | [`crate::model::Hook`] |
//! | `3-workloads` | Deployments, StatefulSets, DaemonSets, Jobs, autoscalers, claims, disruption budgets | Helm's install order; [`WITH_PODS`] |
//! | `4-attached` | what points at running workloads: Ingress, routes, ServiceMonitors, backups | the rest |
//!
//! Each object carries its stage as an Argo CD sync wave (`argocd.argoproj.io/sync-wave`),
//! so Argo CD applies a stage only once the one before is healthy; Flux reads the stage
//! directories, one Kustomization per stage with `dependsOn` on the previous one and `wait`
//! (see [`super::gitops`]). A Helm hook runs after the release's objects in the chart (Helm
//! has no other way to run it after the ConfigMaps, Secrets and database it reads); here the
//! stages before it give it those, so it runs before the workloads that need its result.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::Tree;
use crate::model::install_rank;
use crate::render::{RenderError, Rendered};

/// The annotation Argo CD orders a sync by.
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";

/// Kinds that are healthy only once their pods run, so they go with the workloads: both engines
/// wait for a stage to be healthy before the next, and a claim of a `WaitForFirstConsumer`
/// storage class binds only when its pod is scheduled, a disruption budget is met only when its
/// pods are ready (Flux's kstatus and Argo CD's health checks read both so).
pub const WITH_PODS: [&str; 2] = ["PersistentVolumeClaim", "PodDisruptionBudget"];

/// The file listing a directory's objects for kustomize.
pub const KUSTOMIZATION: &str = "kustomization.yaml";

/// Where an object goes in the order of a GitOps sync; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Settings, identity, Services and policies.
    Config,
    /// Objects that make what pods read (ExternalSecret, database Cluster, Certificate).
    Backing,
    /// One-shot Jobs the chart runs as hooks.
    Tasks,
    /// Workloads, their autoscalers, claims and disruption budgets.
    Workloads,
    /// What points at workloads: Ingress, routes, monitors, backups.
    Attached,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 5] = [Stage::Config, Stage::Backing, Stage::Tasks, Stage::Workloads, Stage::Attached];

    /// The Argo CD sync wave.
    pub fn wave(self) -> u8 {
        self as u8
    }

    /// The stage's directory in an environment directory.
    pub fn dir(self) -> &'static str {
        match self {
            Stage::Config => "0-config",
            Stage::Backing => "1-backing",
            Stage::Tasks => "2-tasks",
            Stage::Workloads => "3-workloads",
            Stage::Attached => "4-attached",
        }
    }

    /// The stage's name (`workloads`).
    pub fn name(self) -> &'static str {
        &self.dir()[2..]
    }

    /// What the stage holds, for the kustomization's comment.
    fn what(self) -> &'static str {
        match self {
            Stage::Config => "settings, identity, Services and policies",
            Stage::Backing => "objects that make what pods read (an ExternalSecret's Secret, a database Cluster's Services and Secrets)",
            Stage::Tasks => "one-shot Jobs (Helm hooks in the chart), after what they read and before the workloads",
            Stage::Workloads => "workloads, their autoscalers, claims and disruption budgets",
            Stage::Attached => "what points at running workloads (Ingress, routes, monitors, backups)",
        }
    }

    /// The stage of one rendered object.
    pub fn of(object: &Rendered) -> Stage {
        if object.hook {
            Stage::Tasks
        } else if !crate::check::made_by(&object.value).is_empty() {
            Stage::Backing
        } else if WITH_PODS.contains(&object.kind.as_str()) {
            Stage::Workloads
        } else if install_rank(&object.kind) < install_rank("DaemonSet") {
            Stage::Config
        } else if install_rank(&object.kind) <= install_rank("CronJob") || object.value.pointer("/spec/template/spec/containers").is_some() {
            Stage::Workloads
        } else {
            Stage::Attached
        }
    }
}

/// The object's file name in its stage directory: `<kind>-<name>.yaml`, lowercase, with the
/// API group when two objects of one environment would share it.
fn file_name(object: &Rendered, taken: &mut BTreeSet<String>) -> String {
    let plain = format!("{}-{}.yaml", object.kind.to_lowercase(), object.name);
    if taken.insert(plain.clone()) {
        return plain;
    }
    let api = object.value.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let group = api.rsplit_once('/').map_or("core", |(g, _)| g);
    let qualified = format!("{}.{group}-{}.yaml", object.kind.to_lowercase(), object.name);
    taken.insert(qualified.clone());
    qualified
}

fn kustomization(header: &str, about: &str, resources: &[String]) -> String {
    let mut text = format!("# {header}\n# {about}\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
    for r in resources {
        text.push_str(&format!("  - {r}\n"));
    }
    text
}

/// The stages one environment's objects fill, in order.
pub fn stages(objects: &[Rendered]) -> Vec<Stage> {
    let used: BTreeSet<Stage> = objects.iter().map(Stage::of).collect();
    used.into_iter().collect()
}

/// Adds the directory of one environment to `tree`: under `dir` (`manifests/<app>/<env>`) each
/// object in `<stage>/<kind>-<name>.yaml` with its sync wave, each stage's `kustomization.yaml`
/// and the environment's, which lists every object. `header` is the generated-file line,
/// `chart` the chart name for the `# Source:` lines.
pub fn add_environment(tree: &mut Tree, dir: &Path, header: &str, chart: &str, environment: &str, objects: &[Rendered]) -> Result<(), RenderError> {
    let mut taken = BTreeSet::new();
    let mut all = Vec::new();
    for stage in stages(objects) {
        let mut listed = Vec::new();
        for object in objects.iter().filter(|o| Stage::of(o) == stage) {
            let name = file_name(object, &mut taken);
            let mut value = object.value.clone();
            if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
                let annotations = meta.entry("annotations").or_insert_with(|| Value::Object(serde_json::Map::new()));
                if let Some(a) = annotations.as_object_mut() {
                    a.insert(SYNC_WAVE.into(), Value::String(stage.wave().to_string()));
                }
            }
            let yaml = crate::render::yaml_of(&value).map_err(|e| e.in_object(|| format!("{}/{}", object.kind, object.name)))?;
            tree.insert(dir.join(stage.dir()).join(&name), format!("# {header}\n# Source: {chart}/templates/{}\n{yaml}", object.file));
            all.push(format!("{}/{name}", stage.dir()));
            listed.push(name);
        }
        let about = format!("Stage {} of environment {environment:?}: {}.", stage.dir(), stage.what());
        tree.insert(dir.join(stage.dir()).join(KUSTOMIZATION), kustomization(header, &about, &listed));
    }
    let about = format!("Environment {environment:?}: every object, in stage directories applied in order (Argo CD sync waves, one Flux Kustomization per stage).");
    tree.insert(dir.join(KUSTOMIZATION), kustomization(header, &about, &all));
    Ok(())
}

/// The environments of an application's manifests directory (`manifests/<app>`) in `files`,
/// each with its objects' YAML documents: `<env>/**/*.yaml` but kustomizations, and
/// `<env>.yaml`, the layout before environment directories. For readers of committed output
/// of any age (the upgrade check).
pub fn environment_files<'a, I>(files: I, dir: &Path) -> std::collections::BTreeMap<String, Vec<(PathBuf, &'a str)>>
where
    I: IntoIterator<Item = (&'a PathBuf, &'a String)>,
{
    let mut out: std::collections::BTreeMap<String, Vec<(PathBuf, &'a str)>> = std::collections::BTreeMap::new();
    for (path, text) in files {
        let Ok(rel) = path.strip_prefix(dir) else { continue };
        if path.extension().is_none_or(|e| e != "yaml") || path.file_name().is_some_and(|f| f == KUSTOMIZATION) {
            continue;
        }
        let parts: Vec<&str> = rel.iter().filter_map(|c| c.to_str()).collect();
        let env = match parts.as_slice() {
            [file] => file.trim_end_matches(".yaml").to_string(),
            [env, _, ..] => env.to_string(),
            [] => continue,
        };
        out.entry(env).or_default().push((path.clone(), text.as_str()));
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(kind: &str, api: &str, name: &str, hook: bool, spec: Value) -> Rendered {
        Rendered {
            file: format!("{}.yaml", kind.to_lowercase()),
            kind: kind.into(),
            name: name.into(),
            value: json!({"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": "ns"}, "spec": spec}),
            hook,
        }
    }

    #[test]
    fn stages_follow_install_order_what_objects_make_and_hooks() {
        let pod = json!({"template": {"spec": {"containers": []}}});
        let cases = [
            (object("ConfigMap", "v1", "a", false, json!(null)), Stage::Config),
            (object("Service", "v1", "a", false, json!({})), Stage::Config),
            (object("PersistentVolumeClaim", "v1", "a", false, json!({})), Stage::Workloads),
            (object("PodDisruptionBudget", "policy/v1", "a", false, json!({})), Stage::Workloads),
            (object("ExternalSecret", "external-secrets.io/v1", "a", false, json!({})), Stage::Backing),
            (object("Cluster", "postgresql.cnpg.io/v1", "db", false, json!({})), Stage::Backing),
            (object("Job", "batch/v1", "migrate", true, pod.clone()), Stage::Tasks),
            (object("Job", "batch/v1", "once", false, pod.clone()), Stage::Workloads),
            (object("Deployment", "apps/v1", "a", false, pod.clone()), Stage::Workloads),
            (object("HorizontalPodAutoscaler", "autoscaling/v2", "a", false, json!({})), Stage::Workloads),
            (object("Rollout", "argoproj.io/v1alpha1", "a", false, pod), Stage::Workloads),
            (object("Ingress", "networking.k8s.io/v1", "a", false, json!({})), Stage::Attached),
            (object("ScheduledBackup", "postgresql.cnpg.io/v1", "db", false, json!({})), Stage::Attached),
        ];
        for (o, stage) in &cases {
            assert_eq!(Stage::of(o), *stage, "{}", o.kind);
        }
    }

    #[test]
    fn an_environment_directory_lists_every_object_once_with_its_wave() {
        let objects = vec![
            object("ConfigMap", "v1", "a", false, json!(null)),
            object("Deployment", "apps/v1", "a", false, json!({"template": {"spec": {"containers": []}}})),
            object("Cluster", "postgresql.cnpg.io/v1", "a", false, json!({})),
            object("Cluster", "other.example.com/v1", "a", false, json!({})),
        ];
        let mut tree = Tree::new();
        add_environment(&mut tree, Path::new("manifests/x/prod"), "generated", "x", "prod", &objects).expect("renders");
        let paths: Vec<String> = tree.keys().map(|p| p.display().to_string()).collect();
        assert_eq!(
            paths,
            [
                "manifests/x/prod/0-config/configmap-a.yaml",
                "manifests/x/prod/0-config/kustomization.yaml",
                "manifests/x/prod/1-backing/cluster-a.yaml",
                "manifests/x/prod/1-backing/kustomization.yaml",
                "manifests/x/prod/3-workloads/deployment-a.yaml",
                "manifests/x/prod/3-workloads/kustomization.yaml",
                "manifests/x/prod/4-attached/cluster.other.example.com-a.yaml",
                "manifests/x/prod/4-attached/kustomization.yaml",
                "manifests/x/prod/kustomization.yaml",
            ]
        );
        assert!(tree[Path::new("manifests/x/prod/3-workloads/deployment-a.yaml")].contains("argocd.argoproj.io/sync-wave: \"3\""));
        assert!(tree[Path::new("manifests/x/prod/kustomization.yaml")].ends_with(
            "resources:\n  - 0-config/configmap-a.yaml\n  - 1-backing/cluster-a.yaml\n  - 3-workloads/deployment-a.yaml\n  - 4-attached/cluster.other.example.com-a.yaml\n"
        ));
        // Read back with the layout before environment directories, as the upgrade check does.
        tree.insert(PathBuf::from("manifests/x/old.yaml"), "kind: ConfigMap\n".into());
        tree.insert(PathBuf::from("manifests/x/.kforge-files"), String::new());
        let envs = environment_files(tree.iter(), Path::new("manifests/x"));
        assert_eq!(envs.keys().collect::<Vec<_>>(), ["old", "prod"]);
        assert_eq!(envs["prod"].len(), 4);
    }
}
