//! The model a build function returns: the objects of one application, each with the template
//! file it goes to, an optional gate, and the typed k8s-openapi check that the concrete
//! renderer lowers it through.
//!
//! - [`objects`]: one typed builder per Kubernetes kind, with typed references between objects;
//! - [`kit`]: settings sections many charts share, each with the builder call that uses it;
//! - [`notes`]: NOTES.txt lines; [`external`]: objects referred to but not rendered;
//! - [`custom`]: the builder of a custom resource's kind that `kforge crd import` declares;
//! - [`app`]: an application (its `Values` type, [`chart_meta`], environments, build function
//!   and [`pod_security`] exceptions).

pub mod app;
pub(crate) mod budgets;
pub mod chart_meta;
pub mod custom;
pub mod external;
pub mod kit;
pub mod notes;
pub mod objects;
pub mod pod_security;
pub(crate) mod validation;

use std::marker::PhantomData;

use serde_json::Value;

use self::external::External;
use crate::template::expr::{Ex, Expr, Knob};
use crate::template::tree::{Entry, LabelSet, Map, Node};

/// Lowers an evaluated object through its k8s-openapi type and back: wrong types fail here.
///
/// With `locate` false the check takes the fast way and its error has no path; the renderer
/// asks again with `locate` true, on the same object, to learn the field at fault.
pub type TypeCheck = fn(Value, bool) -> Result<Value, LoweringError>;

/// Why an object does not lower to its type: serde's message, and with it, when asked for, the
/// field at fault (dotted, with list indexes: `spec.template.spec.containers[0].ports[0]`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoweringError {
    /// The field at fault, when the renderer asked for it.
    pub path: Option<String>,
    /// serde's message.
    pub message: String,
}

pub(crate) fn typed<K>(v: Value, locate: bool) -> Result<Value, LoweringError>
where
    K: serde::de::DeserializeOwned + serde::Serialize,
{
    // Tracking the path costs a string per map key, so only the second, failing run pays it.
    let typed: K = if locate {
        serde_path_to_error::deserialize(v).map_err(|e| LoweringError { path: Some(e.path().to_string()), message: e.into_inner().to_string() })?
    } else {
        serde_json::from_value(v).map_err(|e| LoweringError { path: None, message: e.to_string() })?
    };
    serde_json::to_value(&typed).map_err(|e| LoweringError { path: None, message: e.to_string() })
}

/// Helm hooks: in the chart the object runs as a hook; in plain manifests it is a plain object.
#[derive(Clone, Debug)]
pub struct Hook {
    /// `helm.sh/hook`: the events, comma-separated (`pre-install,pre-upgrade`).
    pub events: &'static str,
    /// `helm.sh/hook-weight`: lower runs first.
    pub weight: i32,
    /// `helm.sh/hook-delete-policy`, comma-separated (`before-hook-creation,hook-succeeded`).
    pub delete_policy: &'static str,
}

/// One object of the model, built by a builder ([`Build`]): its kind, metadata, template
/// tree, optional gate and hook, and the typed check it lowers through.
#[derive(Clone, Debug)]
pub struct Object {
    pub(crate) api_version: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) namespaced: bool,
    pub(crate) gate: Option<Ex>,
    pub(crate) meta: Meta,
    pub(crate) body: Vec<Entry>,
    pub(crate) check: TypeCheck,
    pub(crate) hook: Option<Hook>,
    /// What the object makes once applied (an operator's Secret), as (kind, name): references
    /// to them land in the check.
    pub(crate) makes: Vec<(&'static str, Expr<String>)>,
    /// The CRD (YAML) of a custom resource's kind: the check validates the rendered object
    /// against its schema and CEL rules.
    pub(crate) crd: Option<&'static str>,
}

/// The typed check of an object whose kind has no Rust type: the object as rendered.
fn untyped(v: Value, _locate: bool) -> Result<Value, LoweringError> {
    Ok(v)
}

/// The [`TypeCheck`] that lowers an object through the serde type `K` and back: what
/// [`Object::checked_as`] installs. `K` should refuse unknown fields
/// (`#[serde(deny_unknown_fields)]`), as the API server's structural schemas do.
pub fn type_check<K>() -> TypeCheck
where
    K: serde::de::DeserializeOwned + serde::Serialize,
{
    typed::<K>
}

impl Object {
    /// An object of any kind, for a [`Build`] implementation outside this crate: namespaced,
    /// not gated, not a hook, rendered as built (no typed check until [`Object::checked_as`]).
    ///
    /// `body` holds every top-level field but `apiVersion`, `kind` and `metadata` (`spec`,
    /// `data`, ...); its values may read settings as the built-in kinds' do, and both renderers
    /// render them alike.
    pub fn new(api_version: &'static str, kind: &'static str, meta: Meta, body: Map) -> Self {
        Object { api_version, kind, namespaced: true, gate: None, meta, body: body.entries, check: untyped, hook: None, makes: Vec::new(), crd: None }
    }

    /// Lowers the rendered object through the serde type `K` (the whole object, `apiVersion`
    /// to `status`): a field of the wrong type or unknown to `K` fails `emit` with the field's
    /// path, as for the built-in kinds.
    pub fn checked_as<K>(mut self) -> Self
    where
        K: serde::de::DeserializeOwned + serde::Serialize,
    {
        self.check = typed::<K>;
        self
    }

    /// A cluster-scoped kind (`scope: Cluster`): no `metadata.namespace`.
    pub fn cluster_scoped(mut self) -> Self {
        self.namespaced = false;
        self
    }

    /// Runs the object as a Helm hook in the chart (a plain object in the manifests).
    pub fn hook(mut self, hook: Hook) -> Self {
        self.hook = Some(hook);
        self
    }

    /// Declares an object this one makes once applied: a cert-manager `Certificate` makes the
    /// Secret named by its `spec.secretName`. References to it (a volume, an env var, through
    /// [`objects::SecretRef::made_by`]) then land in the check, as they do on a rendered one.
    pub fn makes<K: Referable>(self, name: impl Into<Expr<String>>) -> Self {
        self.makes_kind(K::KIND, name)
    }

    /// [`Object::makes`] by the kind's name, for builders that keep what they make as data
    /// (those `kforge crd import` writes).
    pub fn makes_kind(mut self, kind: &'static str, name: impl Into<Expr<String>>) -> Self {
        self.makes.push((kind, name.into()));
        self
    }

    /// The CustomResourceDefinition of the object's kind, as JSON (what `kforge crd import`
    /// keeps beside the types it writes) or YAML: the check validates the rendered object against the
    /// schema and `x-kubernetes-validations` rules of its version.
    pub fn crd(mut self, crd: &'static str) -> Self {
        self.crd = Some(crd);
        self
    }

    /// The object's kind (`Deployment`).
    pub fn kind(&self) -> &'static str {
        self.kind
    }
    /// The chart template file the object goes to: given explicitly
    /// ([`Meta::template_file`]), or `<kind>[-<component>].yaml`. The plain manifests name the
    /// same file in their `# Source:` lines.
    pub fn file(&self) -> String {
        if let Some(file) = &self.meta.template_file {
            return file.clone();
        }
        // The short names `helm create` uses, where it has one.
        let kind = match self.kind {
            "HorizontalPodAutoscaler" => "hpa".to_string(),
            "PodDisruptionBudget" => "pdb".to_string(),
            other => other.to_lowercase(),
        };
        match self.meta.component {
            Some(c) => format!("{kind}-{c}.yaml"),
            None => format!("{kind}.yaml"),
        }
    }
}

/// Object metadata: a name, the common labels (with a component), extra labels and annotations.
#[derive(Clone, Debug)]
pub struct Meta {
    pub(crate) name: Expr<String>,
    pub(crate) template_file: Option<String>,
    pub(crate) component: Option<&'static str>,
    pub(crate) labels: Map,
    pub(crate) annotations: Map,
}

impl Meta {
    /// Metadata named `name`, with the common labels and no component.
    pub fn new(name: impl Into<Expr<String>>) -> Self {
        Meta { name: name.into(), template_file: None, component: None, labels: Map::new(), annotations: Map::new() }
    }

    /// The `app.kubernetes.io/component` label, also the `-<component>` suffix of the template
    /// file.
    pub fn component(mut self, component: &'static str) -> Self {
        self.component = Some(component);
        self
    }

    /// The chart template file the object goes to, instead of `<kind>[-<component>].yaml`.
    pub fn template_file(mut self, file: &str) -> Self {
        self.template_file = Some(file.to_string());
        self
    }

    /// Labels beside the common ones.
    pub fn labels(mut self, labels: Map) -> Self {
        self.labels = labels;
        self
    }

    /// Annotations; left out when they render empty.
    pub fn annotations(mut self, annotations: Map) -> Self {
        self.annotations = annotations;
        self
    }

    pub(crate) fn lower(&self, namespaced: bool, hook: Option<&Hook>) -> Node {
        let mut m = Map::new().str("name", self.name.clone());
        if namespaced {
            m = m.str("namespace", crate::template::expr::release_namespace());
        }
        let labels = Map::new().labels(LabelSet::All(self.component)).extend(self.labels.clone());
        m = m.field("labels", labels);
        let mut annotations = self.annotations.clone();
        if let Some(h) = hook {
            annotations = annotations.str("helm.sh/hook", h.events).str("helm.sh/hook-weight", h.weight.to_string()).str("helm.sh/hook-delete-policy", h.delete_policy);
        }
        if !annotations.is_empty() {
            m = m.field("annotations", annotations);
        }
        m.into()
    }
}

/// A typed reference to an object the model declares: `ObjectRef<ConfigMap>` can only come from
/// adding a ConfigMap, so whatever takes one cannot name an object that does not exist.
pub struct ObjectRef<K> {
    pub(crate) name: Expr<String>,
    pub(crate) component: Option<&'static str>,
    _k: PhantomData<fn() -> K>,
}

impl<K> Clone for ObjectRef<K> {
    fn clone(&self) -> Self {
        ObjectRef { name: self.name.clone(), component: self.component, _k: PhantomData }
    }
}

impl<K> std::fmt::Debug for ObjectRef<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ObjectRef({:?})", self.name)
    }
}

impl<K> ObjectRef<K> {
    pub(crate) fn new(name: Expr<String>, component: Option<&'static str>) -> Self {
        ObjectRef { name, component, _k: PhantomData }
    }

    /// The object's name.
    pub fn name(&self) -> Expr<String> {
        self.name.clone()
    }
}

/// An object kind the DSL can build.
pub trait Build {
    /// Lowers the builder to the model's object.
    fn object(self) -> Object;
}

/// An object built by hand ([`Object::new`]) is added as it is.
impl Build for Object {
    fn object(self) -> Object {
        self
    }
}

/// Everything one application renders, in declaration order (renderers sort).
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub(crate) objects: Vec<Object>,
    pub(crate) notes: Vec<crate::model::notes::Line>,
    pub(crate) validations: Vec<validation::Validation>,
    /// What the objects imply ([`validation::implied`]), worked out once per model.
    implied: std::sync::OnceLock<Vec<validation::Validation>>,
    pub(crate) externals: Vec<External>,
    pub(crate) conditions: Vec<(String, Ex)>,
    pub(crate) documentation_only: Vec<(crate::template::expr::Path, String)>,
    /// The application's declared Pod Security exceptions: the rules of the controls they lift
    /// are not the renderers' to apply.
    pub(crate) pss_exceptions: Vec<crate::model::pod_security::PssException>,
    /// The disruption budgets the kit added, for their NOTES.txt warning ([`budgets`]).
    pub(crate) budgets: Vec<budgets::Budget>,
}

/// A kind a model may refer to without rendering it (see [`Model::external`]).
pub trait Referable {
    /// The kind's name (`Secret`).
    const KIND: &'static str;
}

impl Model {
    /// An empty model.
    pub fn new() -> Self {
        Model::default()
    }

    /// The CRDs (JSON or YAML text) the objects carry ([`Object::crd`]), each once, in object order: what
    /// the check validates custom resources against.
    pub fn crds(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for text in self.objects.iter().filter_map(|o| o.crd) {
            if !out.iter().any(|t| std::ptr::eq(*t, text)) {
                out.push(text);
            }
        }
        out
    }

    /// Adds an object and returns the typed reference others use to point at it.
    pub fn add<K: Build>(&mut self, object: K) -> ObjectRef<K> {
        let object = object.object();
        let reference = ObjectRef::new(object.meta.name.clone(), object.meta.component);
        self.objects.push(object);
        self.implied = std::sync::OnceLock::new();
        reference
    }

    /// Adds an object only when `cond` holds (the chart wraps its template in `{{- if }}`).
    pub fn add_when<K: Build>(&mut self, cond: impl Into<Expr<bool>>, object: K) -> ObjectRef<K> {
        let mut object = object.object();
        let cond = cond.into().ex;
        object.gate = Some(match object.gate.take() {
            Some(inner) => Ex::And(vec![cond, inner]),
            None => cond,
        });
        let reference = ObjectRef::new(object.meta.name.clone(), object.meta.component);
        self.objects.push(object);
        self.implied = std::sync::OnceLock::new();
        reference
    }

    /// Rejects values where `cond` holds, with `message`, in both renderers (the chart checks it
    /// in `templates/validate.yaml` with `fail`).
    pub fn reject_when(&mut self, cond: impl Into<Expr<bool>>, message: &str) {
        self.validations.push(validation::Validation { test: Some(cond.into().ex), gate: None, message: Ex::Lit(Value::String(message.to_string())) });
    }

    /// Every validation both renderers apply, in order: the model's own ([`Model::reject_when`]),
    /// then the API server's rules its objects imply ([`validation`]).
    pub(crate) fn all_validations(&self) -> impl Iterator<Item = &validation::Validation> {
        self.validations.iter().chain(self.implied.get_or_init(|| validation::implied(&self.objects, &self.pss_exceptions)))
    }

    /// Declares that the object of kind `K` named `name` exists outside the chart (a Secret the
    /// operator creates, a claim that exists already), so that `check` accepts references to
    /// it. An empty name declares nothing: declare the setting that names it
    /// (`m.external::<Secret>(&v.existing_secret)`), not a fixed name.
    pub fn external<K: Referable>(&mut self, name: impl Into<Expr<String>>) {
        self.externals.push(External::Named(K::KIND, name.into().ex));
    }

    /// Declares that the ConfigMaps, Secrets and claims named by the pod volumes of a free-form
    /// list setting (`extraVolumes`) exist outside the chart: the operator who lists them
    /// provides them.
    pub fn external_volumes(&mut self, volumes: Expr<serde_json::Value>) {
        self.externals.push(External::Volumes(volumes.ex));
    }

    /// Declares that the Secrets and ConfigMaps the env vars of a free-form list setting read
    /// (`extraEnv` with `valueFrom.secretKeyRef`) exist outside the chart: the operator who
    /// lists them provides them.
    pub fn external_env(&mut self, env: Expr<serde_json::Value>) {
        self.externals.push(External::Env(env.ex));
    }

    /// Names a condition that many objects test: the chart defines it once in `_helpers.tpl`
    /// (`{{ include "<chart>.<name>" . }}`) instead of spelling it out at each use. `name` is a
    /// template name part (letters and digits) and unique in the model. A literal stays a
    /// literal.
    pub fn condition(&mut self, name: impl Into<String>, cond: impl Into<Expr<bool>>) -> Expr<bool> {
        let (name, cond) = (name.into(), cond.into().ex);
        // A constant needs no name: it folds away where it is used.
        if let Ex::Lit(_) = cond {
            return Expr::wrap(cond);
        }
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric()), "condition name {name:?}: letters and digits only");
        assert!(self.conditions.iter().all(|(n, _)| *n != name), "condition {name:?} is named twice");
        self.conditions.push((name.clone(), cond.clone()));
        Expr::wrap(Ex::Named(name.into(), std::sync::Arc::new(cond)))
    }

    /// NOTES.txt lines shown after `helm install`.
    pub fn notes(&mut self, lines: Vec<crate::model::notes::Line>) {
        self.notes.extend(lines);
    }

    /// The settings whose value lands in a field Kubernetes refuses to change once the object
    /// exists, with what the values documentation says of them: a StatefulSet's claim templates
    /// (their size and class), a claim's class and access modes, and a claim's size, which
    /// only grows. In object order, each setting once.
    pub fn fixed_settings(&self) -> Vec<(Vec<String>, &'static str)> {
        use crate::template::reads;
        const CLAIM_TEMPLATE: &str = "Fixed once the StatefulSet exists: Kubernetes refuses any change to a StatefulSet's \
            volumeClaimTemplates, so `helm upgrade` with another value fails. To resize, grow each claim by hand (where its \
            StorageClass allows expansion), then delete the StatefulSet with `--cascade=orphan` and upgrade.";
        const CLAIM_FIXED: &str = "Fixed once the claim exists: Kubernetes refuses to change a claim's class or access modes.";
        const CLAIM_SIZE: &str = "A claim only grows, and only where its StorageClass allows expansion: Kubernetes refuses a smaller size.";
        let mut out: Vec<(Vec<String>, &'static str)> = Vec::new();
        let add = |node: &Node, note: &'static str, out: &mut Vec<(Vec<String>, &'static str)>| {
            let mut found = reads::Reads::new();
            reads::node_values(node, &mut found);
            for path in found {
                if !out.iter().any(|(p, _)| *p == path) {
                    out.push((path, note));
                }
            }
        };
        for o in &self.objects {
            for e in &o.body {
                let Entry::Field(k, Node::Map(spec)) = e else { continue };
                if k != "spec" {
                    continue;
                }
                for field in spec {
                    let Entry::Field(key, node) = field else {
                        if let Entry::When(_, then, otherwise) = field {
                            for f in then.iter().chain(otherwise) {
                                if let (Entry::Field(key, node), "PersistentVolumeClaim") = (f, o.kind) {
                                    add(node, if key == "resources" { CLAIM_SIZE } else { CLAIM_FIXED }, &mut out);
                                }
                            }
                        }
                        continue;
                    };
                    match (o.kind, key.as_ref()) {
                        ("StatefulSet", "volumeClaimTemplates") => add(node, CLAIM_TEMPLATE, &mut out),
                        ("PersistentVolumeClaim", "resources") => add(node, CLAIM_SIZE, &mut out),
                        ("PersistentVolumeClaim", _) => add(node, CLAIM_FIXED, &mut out),
                        _ => {}
                    }
                }
            }
        }
        out
    }

    /// The lines of NOTES.txt: the application's, then the warnings its objects imply (a
    /// disruption budget that allows no eviction).
    pub(crate) fn all_notes(&self) -> Vec<crate::model::notes::Line> {
        let mut lines = self.notes.clone();
        lines.extend(budgets::notes(&self.objects, &self.budgets));
        lines
    }

    /// Marks a setting that no object, rule or note reads on purpose (it documents something,
    /// or a tool beside the chart reads it), with the reason: without the mark, `emit` refuses
    /// a setting the chart never reads, since changing it would change nothing.
    pub fn documentation_only<T>(&mut self, setting: &Knob<T>, why: &str) {
        self.documentation_only.push((setting.path().clone(), why.to_string()));
    }

    /// The objects, in declaration order.
    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    /// Where the values of settings show, place by place (`ConfigMap in templates/configmap.yaml`,
    /// `NOTES.txt`): the settings whose value each object's metadata and body, or the notes,
    /// can carry into what they render. A Secret's `stringData` and `data` are left out: they
    /// are where secret settings belong.
    pub fn value_reads(&self) -> Vec<(String, crate::template::reads::Reads)> {
        use crate::template::reads;
        let mut places = Vec::new();
        for o in &self.objects {
            let mut out = reads::Reads::new();
            reads::values_of(&o.meta.name.ex, &mut out);
            reads::values_in_entries(&o.meta.labels.entries, &mut out);
            reads::values_in_entries(&o.meta.annotations.entries, &mut out);
            if o.kind == "Secret" {
                let outside_data: Vec<Entry> = o.body.iter().filter(|e| !matches!(e, Entry::Field(k, _) if k == "stringData" || k == "data")).cloned().collect();
                reads::values_in_entries(&outside_data, &mut out);
            } else {
                reads::values_in_entries(&o.body, &mut out);
            }
            places.push((format!("{} in templates/{}", o.kind, o.file()), out));
        }
        fn line(l: &crate::model::notes::Line, out: &mut reads::Reads) {
            match l {
                crate::model::notes::Line::Text(parts) => parts.iter().for_each(|p| reads::values_of(p, out)),
                crate::model::notes::Line::When(_, then, otherwise) => then.iter().chain(otherwise).for_each(|l| line(l, out)),
            }
        }
        let mut notes = reads::Reads::new();
        self.all_notes().iter().for_each(|l| line(l, &mut notes));
        places.push(("NOTES.txt".to_string(), notes));
        places
    }

    /// Every setting the chart reads (objects, their gates and metadata, rules, notes, external
    /// declarations, named conditions), plus those marked [`Model::documentation_only`].
    pub fn reads(&self) -> crate::template::reads::Reads {
        let mut out = self.chart_reads();
        out.extend(self.documentation_only.iter().map(|(p, _)| p.keys.clone()));
        out
    }

    /// The settings marked [`Model::documentation_only`] that the chart reads all the same
    /// (itself, a key below or a section above): the mark is stale and would hide the setting
    /// turning dead again. Dotted paths, in marking order.
    pub fn stale_documentation_marks(&self) -> Vec<String> {
        let reads = self.chart_reads();
        self.documentation_only.iter().filter(|(p, _)| reads.iter().any(|r| r.starts_with(&p.keys) || p.keys.starts_with(r))).map(|(p, _)| p.dotted()).collect()
    }

    /// What [`Model::reads`] finds, without the marks.
    fn chart_reads(&self) -> crate::template::reads::Reads {
        use crate::template::reads;
        let mut out = reads::Reads::new();
        for o in &self.objects {
            if let Some(gate) = &o.gate {
                reads::ex(gate, &mut out);
            }
            reads::ex(&o.meta.name.ex, &mut out);
            reads::entries(&o.meta.labels.entries, &mut out);
            reads::entries(&o.meta.annotations.entries, &mut out);
            reads::entries(&o.body, &mut out);
        }
        fn line(l: &crate::model::notes::Line, out: &mut reads::Reads) {
            match l {
                crate::model::notes::Line::Text(parts) => parts.iter().for_each(|p| reads::ex(p, out)),
                crate::model::notes::Line::When(cond, then, otherwise) => {
                    reads::ex(cond, out);
                    then.iter().chain(otherwise).for_each(|l| line(l, out));
                }
            }
        }
        self.all_notes().iter().for_each(|l| line(l, &mut out));
        for v in self.all_validations() {
            for e in v.test.iter().chain(&v.gate) {
                reads::ex(e, &mut out);
            }
            reads::ex(&v.message, &mut out);
        }
        for e in &self.externals {
            match e {
                External::Named(_, name) => reads::ex(name, &mut out),
                External::Volumes(list) | External::Env(list) => reads::ex(list, &mut out),
            }
        }
        for (_, cond) in &self.conditions {
            reads::ex(cond, &mut out);
        }
        out
    }
}

/// Helm's install order of kinds; unknown kinds (custom resources) come last.
pub(crate) fn install_rank(kind: &str) -> usize {
    const ORDER: &[&str] = &[
        "Namespace",
        "NetworkPolicy",
        "ResourceQuota",
        "LimitRange",
        "PodSecurityPolicy",
        "PodDisruptionBudget",
        "ServiceAccount",
        "Secret",
        "SecretList",
        "ConfigMap",
        "StorageClass",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleList",
        "ClusterRoleBinding",
        "ClusterRoleBindingList",
        "Role",
        "RoleList",
        "RoleBinding",
        "RoleBindingList",
        "Service",
        "DaemonSet",
        "Pod",
        "ReplicationController",
        "ReplicaSet",
        "Deployment",
        "HorizontalPodAutoscaler",
        "StatefulSet",
        "Job",
        "CronJob",
        "IngressClass",
        "Ingress",
        "APIService",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
    ];
    ORDER.iter().position(|k| *k == kind).unwrap_or(ORDER.len())
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use super::*;
    use crate::model::objects::{Container, Deployment, Pod, Secret, SecretRef, Volume, VolumeSource};
    use crate::render::testing;

    /// A kind as a team's crate would write it, through the public API alone (not cert-manager's
    /// Certificate: the check knows that one makes its Secret).
    struct KeyPair {
        meta: Meta,
        secret_name: Expr<String>,
        declares: bool,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct KeyPairResource {
        api_version: String,
        kind: String,
        metadata: serde_json::Value,
        spec: KeyPairSpec,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct KeyPairSpec {
        secret_name: String,
    }

    impl Build for KeyPair {
        fn object(self) -> Object {
            let object = Object::new("tls.example.com/v1", "KeyPair", self.meta, Map::new().field("spec", Map::new().str("secretName", self.secret_name.clone())));
            let object = object.checked_as::<KeyPairResource>();
            if self.declares { object.makes::<Secret>(self.secret_name) } else { object }
        }
    }

    fn model(declares: bool) -> Model {
        let mut m = Model::new();
        let secret_name: Expr<String> = Knob::<String>::at(crate::Path::values().child("tls").child("secretName")).expr();
        let cert =
            m.add_when(Knob::<bool>::at(crate::Path::values().child("tls").child("enabled")), KeyPair { meta: Meta::new("api-tls"), secret_name: secret_name.clone(), declares });
        let tls = Volume::new("tls", VolumeSource::secret(&SecretRef::made_by(&cert, secret_name)));
        let mut web = Container::builder().name("web").image("web:1").build();
        web.mount_read_only(&tls, "/etc/tls");
        m.add(Deployment::builder().meta(Meta::new("web").component("web")).pod(Pod::builder().containers(vec![web]).build()).build());
        m
    }

    #[test]
    fn a_kind_from_outside_renders_with_settings_in_its_fields_and_its_type_check() {
        let values = json!({"tls": {"enabled": true, "secretName": "api-tls-keys"}});
        let objects = testing::objects(&model(true), values).expect("renders");
        let cert = objects.iter().find(|o| o["kind"] == "KeyPair").expect("the certificate renders");
        assert_eq!(cert["apiVersion"], "tls.example.com/v1");
        assert_eq!(cert["metadata"]["namespace"], "ns");
        assert_eq!(cert["metadata"]["labels"]["app.kubernetes.io/instance"], "rel");
        assert_eq!(cert["spec"], json!({"secretName": "api-tls-keys"}));
        // The gate holds for it as for a built-in kind.
        let off = testing::objects(&model(true), json!({"tls": {"enabled": false, "secretName": "x"}})).expect("renders");
        assert!(off.iter().all(|o| o["kind"] != "KeyPair"));
        // Its type check refuses what the type does not have, with the field's path.
        let mut m = Model::new();
        m.add(
            Object::new("tls.example.com/v1", "KeyPair", Meta::new("c"), Map::new().field("spec", Map::new().str("secretName", "s").str("secretNme", "t")))
                .checked_as::<KeyPairResource>(),
        );
        let err = testing::objects(&m, json!({})).unwrap_err();
        assert!(err.to_string().contains("unknown field `secretNme`"), "{err}");
        assert_eq!(err.path, "spec.secretNme");
    }

    /// The findings on references (the test's pod does not meet Pod Security, on purpose short).
    fn reference_findings(m: &Model, values: serde_json::Value) -> Vec<String> {
        testing::findings(m, values).into_iter().filter(|f| !f.contains("Pod Security Standard")).collect()
    }

    #[test]
    fn a_secret_the_kind_declares_it_makes_is_one_a_pod_may_mount() {
        let values = json!({"tls": {"enabled": true, "secretName": "api-tls-keys"}});
        assert_eq!(reference_findings(&model(true), values.clone()), Vec::<String>::new());
        let undeclared = reference_findings(&model(false), values);
        assert!(undeclared.len() == 1 && undeclared[0].contains("Secret \"api-tls-keys\" is neither rendered nor declared external"), "{undeclared:?}");
        // Gated off, it makes nothing: the mount lands nowhere.
        let off = reference_findings(&model(true), json!({"tls": {"enabled": false, "secretName": "api-tls-keys"}}));
        assert!(off.len() == 1 && off[0].contains("Secret \"api-tls-keys\" is neither rendered nor declared external"), "{off:?}");
    }

    /// A kind as `kforge crd import` declares one.
    enum KeyPairKind {}

    impl crate::model::custom::CustomKind for KeyPairKind {
        const API_VERSION: &'static str = "tls.example.com/v1";
        const KIND: &'static str = "KeyPair";
        const CRD: &'static str = "not read unless a KeyPair renders and is checked";
        const CLUSTER_SCOPED: bool = true;
        type Resource = KeyPairResource;
    }

    #[test]
    fn a_declared_custom_kind_builds_with_its_type_check_scope_and_what_it_makes() {
        use crate::model::custom::{Custom, CustomKind};
        let mut m = Model::new();
        let pair: Custom<KeyPairKind> = Custom::new(Meta::new("k"), Map::new().str("secretName", "keys")).makes::<Secret>("keys");
        let reference = m.add(pair.clone());
        assert_eq!(format!("{:?}", reference.name()), format!("{:?}", Expr::<String>::from("k")));
        let object = testing::object(&m, json!({}));
        assert_eq!((object["apiVersion"].as_str(), object["kind"].as_str()), (Some("tls.example.com/v1"), Some("KeyPair")));
        assert_eq!(object["metadata"].get("namespace"), None, "cluster-scoped");
        assert_eq!(m.objects[0].makes.len(), 1);
        assert_eq!(m.crds(), [KeyPairKind::CRD]);
        // The type check is the kind's Resource: an unknown field fails.
        let mut bad = Model::new();
        bad.add(Custom::<KeyPairKind>::new(Meta::new("k"), Map::new().str("secretName", "keys").str("extra", "x")));
        assert!(testing::objects(&bad, json!({})).unwrap_err().to_string().contains("unknown field `extra`"));
    }

    #[test]
    fn a_cluster_scoped_kind_has_no_namespace() {
        let mut m = Model::new();
        m.add(Object::new("example.com/v1", "Thing", Meta::new("t"), Map::new()).cluster_scoped());
        let thing = testing::object(&m, json!({}));
        assert_eq!(thing["metadata"].get("namespace"), None);
    }
}
