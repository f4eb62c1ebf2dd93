//! The schemas of the custom resources kforge knows: `(group, version, kind)` to the version's
//! structural schema, built from CRDs, finding an object's schema by its `apiVersion` and `kind`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

use crate::definition::{Crd, CrdError};
use crate::schema::Node;
use crate::validate::{Report, validate};

/// The upstream CRDs in `crates/crd/crds/` (see the README there): the Argo CD and Flux objects
/// of the GitOps definitions. The custom resources the applications emit carry their own
/// (`Object::crd` in the DSL), as do the kinds `kforge crd import` writes.
const BUILTIN: &[(&str, &str)] = &[
    ("application-crd.yaml", include_str!("../crds/application-crd.yaml")),
    ("helm.toolkit.fluxcd.io_helmreleases.yaml", include_str!("../crds/helm.toolkit.fluxcd.io_helmreleases.yaml")),
    ("kustomize.toolkit.fluxcd.io_kustomizations.yaml", include_str!("../crds/kustomize.toolkit.fluxcd.io_kustomizations.yaml")),
    ("source.toolkit.fluxcd.io_gitrepositories.yaml", include_str!("../crds/source.toolkit.fluxcd.io_gitrepositories.yaml")),
    ("source.toolkit.fluxcd.io_ocirepositories.yaml", include_str!("../crds/source.toolkit.fluxcd.io_ocirepositories.yaml")),
];

/// The `(group, kind)` of each CRD in [`BUILTIN`]: whether an object is one of them is known
/// without reading the CRDs (hundreds of kilobytes of YAML), which only an object of these kinds
/// needs. A test holds the list to the files.
const BUILTIN_KINDS: &[(&str, &str)] = &[
    ("argoproj.io", "Application"),
    ("helm.toolkit.fluxcd.io", "HelmRelease"),
    ("kustomize.toolkit.fluxcd.io", "Kustomization"),
    ("source.toolkit.fluxcd.io", "GitRepository"),
    ("source.toolkit.fluxcd.io", "OCIRepository"),
];

/// `(group, version, kind)`.
pub type Gvk = (String, String, String);

/// Schemas by `(group, version, kind)`, for the served versions of the CRDs given.
#[derive(Debug, Default)]
pub struct Schemas {
    by_kind: BTreeMap<Gvk, Node>,
}

impl Schemas {
    /// The schemas of `crds`' served versions. A version without a schema is left out (the
    /// API server takes anything for it); a malformed schema is an error naming the CRD's file.
    pub fn new(crds: &[Crd]) -> Result<Schemas, CrdError> {
        let mut schemas = Schemas::default();
        schemas.add(crds)?;
        Ok(schemas)
    }

    /// Adds the schemas of `crds`' served versions; a kind already known is replaced.
    pub fn add(&mut self, crds: &[Crd]) -> Result<(), CrdError> {
        for crd in crds {
            for version in crd.served() {
                if version.schema.is_null() {
                    continue;
                }
                let node = Node::parse(&version.schema).map_err(|e| CrdError {
                    file: crd.file.clone(),
                    document: None,
                    message: format!("{} {}: {e}", crd.api_version(version), crd.kind),
                })?;
                self.by_kind.insert((crd.group.clone(), version.name.clone(), crd.kind.clone()), node);
            }
        }
        Ok(())
    }

    /// The CRDs in `crates/crd/crds/`, read once. They are part of kforge and tested to read
    /// (`builtin_crds_read_and_every_rule_is_evaluated`).
    pub fn builtin() -> &'static Schemas {
        static BUILT: OnceLock<Schemas> = OnceLock::new();
        BUILT.get_or_init(|| {
            let mut crds = Vec::new();
            for (file, text) in BUILTIN {
                crds.extend(Crd::parse(file, text).unwrap_or_else(|e| panic!("built-in CRD {e}")));
            }
            Schemas::new(&crds).unwrap_or_else(|e| panic!("built-in CRD {e}"))
        })
    }

    /// Whether objects of `api_version` and `kind` have a CRD among [`Schemas::builtin`]'s,
    /// without reading them.
    pub fn is_builtin(api_version: &str, kind: &str) -> bool {
        let group = api_version.split_once('/').map_or("", |(g, _)| g);
        BUILTIN_KINDS.contains(&(group, kind))
    }

    /// Every `(group, version, kind)` known.
    pub fn kinds(&self) -> impl Iterator<Item = &Gvk> {
        self.by_kind.keys()
    }

    /// The schema of objects of `api_version` (`group/version`) and `kind`.
    pub fn get(&self, api_version: &str, kind: &str) -> Option<&Node> {
        let (group, version) = api_version.split_once('/')?;
        self.by_kind.get(&(group.to_string(), version.to_string(), kind.to_string()))
    }

    /// Validates `object` against the schema of its `apiVersion` and `kind`: `None` when the
    /// kind is not known here (it is not validated), else what the structural schema and the
    /// CEL rules found.
    pub fn validate(&self, object: &Value) -> Option<Report> {
        let api_version = object.get("apiVersion")?.as_str()?;
        let kind = object.get("kind")?.as_str()?;
        self.get(api_version, kind).map(|schema| validate(schema, object))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::cel::Skip;

    fn route(parent_refs: Value) -> Value {
        json!({"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TCPRoute", "metadata": {"name": "dbbat", "namespace": "ns"},
               "spec": {"parentRefs": parent_refs, "rules": [{"backendRefs": [{"name": "dbbat", "port": 5432}]}]}})
    }

    /// The built-in CRDs and those of the custom resources the applications emit, which live
    /// beside the types generated from them in the DSL crate.
    pub(crate) fn known() -> Schemas {
        let mut crds = Vec::new();
        for (file, text) in BUILTIN {
            crds.extend(Crd::parse(file, text).expect("built-in CRD"));
        }
        crds.extend(Crd::read_dir(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../manifests/src/model/objects/crds"))).expect("the emitted kinds' CRDs"));
        Schemas::new(&crds).expect("schemas")
    }

    #[test]
    fn the_builtin_kinds_are_those_of_the_builtin_crds() {
        let mut read: Vec<(&str, &str)> = Schemas::builtin().kinds().map(|(g, _, k)| (g.as_str(), k.as_str())).collect();
        read.dedup();
        let mut listed = BUILTIN_KINDS.to_vec();
        listed.sort();
        assert_eq!(read, listed);
        assert!(Schemas::is_builtin("argoproj.io/v1alpha1", "Application") && !Schemas::is_builtin("v1", "Application"));
    }

    #[test]
    fn builtin_crds_read_and_every_rule_is_evaluated() {
        let schemas = &known();
        assert_eq!(schemas.kinds().count(), 11, "{:?}", schemas.kinds().collect::<Vec<_>>());
        let mut rules = 0;
        let mut skipped = Vec::new();
        for gvk in schemas.kinds() {
            let mut nodes = Vec::new();
            schemas.by_kind[gvk].walk(&mut nodes);
            for rule in nodes.iter().flat_map(|n| &n.rules) {
                rules += 1;
                if let Some(why) = rule.skipped() {
                    skipped.push((gvk.2.as_str(), rule.rule.as_str(), why.clone()));
                }
            }
        }
        assert!(rules >= 25, "only {rules} rules found");
        // The exceptions, each with its reason: the two transition rules (fields CloudNativePG
        // makes immutable), which the API server evaluates only on an update.
        assert_eq!(skipped, [("Cluster", "self == oldSelf", Skip::Transition), ("ScheduledBackup", "self == oldSelf", Skip::Transition)]);
    }

    #[test]
    fn two_parent_refs_to_the_same_gateway_without_section_or_port_are_refused() {
        // The acceptance case: DBBat's TCPRoute with two parentRefs to one Gateway.
        let report = known().validate(&route(json!([{"name": "tcp-gateway"}, {"name": "tcp-gateway"}]))).expect("TCPRoute is known");
        let found: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
        assert_eq!(found, ["spec.parentRefs: Invalid value: sectionName or port must be unique when parentRefs includes 2 or more references to the same parent"]);
        assert!(report.not_evaluated.is_empty(), "{:?}", report.not_evaluated);
        // One of them with a sectionName breaks the other rule.
        let report = known().validate(&route(json!([{"name": "tcp-gateway", "sectionName": "pg"}, {"name": "tcp-gateway"}]))).expect("known");
        let found: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
        assert_eq!(found, ["spec.parentRefs: Invalid value: sectionName or port must be specified when parentRefs includes 2 or more references to the same parent"]);
        // Distinct sections pass.
        let report = known().validate(&route(json!([{"name": "tcp-gateway", "sectionName": "a"}, {"name": "tcp-gateway", "sectionName": "b"}]))).expect("known");
        assert_eq!(report, Report::default());
    }

    #[test]
    fn objects_of_unknown_kinds_are_not_validated() {
        assert!(Schemas::builtin().validate(&json!({"apiVersion": "example.com/v1", "kind": "Gadget", "spec": {"x": 1}})).is_none());
        assert!(Schemas::builtin().validate(&json!({"kind": "TCPRoute"})).is_none());
    }
}
