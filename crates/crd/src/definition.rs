//! Reading CustomResourceDefinitions (`apiextensions.k8s.io/v1`).
//!
//! A file may hold several YAML documents, each a CRD (other documents are an error: a file given
//! as CRDs that holds something else is a mistake worth naming). The fields read are those of
//! `CustomResourceDefinitionSpec` in k8s.io/apiextensions-apiserver
//! (`pkg/apis/apiextensions/v1/types.go`): `group`, `names.kind`, `names.plural`, `scope` and
//! `versions[]` with `name`, `served`, `storage` and `schema.openAPIV3Schema`.

use serde_json::Value;

/// Whether the kind's objects live in a namespace (`scope: Namespaced`) or not (`Cluster`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `scope: Namespaced`.
    Namespaced,
    /// `scope: Cluster`.
    Cluster,
}

/// One version of a CRD.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    /// The version's name (`v1`, `v1alpha2`).
    pub name: String,
    /// Whether the API server serves it: only served versions can be written.
    pub served: bool,
    /// Whether objects are stored in it (exactly one version is).
    pub storage: bool,
    /// `schema.openAPIV3Schema`: the structural schema of the whole object, `Value::Null` when
    /// the version has none.
    pub schema: Value,
}

/// One CustomResourceDefinition.
#[derive(Clone, Debug, PartialEq)]
pub struct Crd {
    /// The file it was read from, as given, for messages.
    pub file: String,
    /// `spec.group` (`cert-manager.io`).
    pub group: String,
    /// `spec.names.kind` (`Certificate`).
    pub kind: String,
    /// `spec.names.plural` (`certificates`).
    pub plural: String,
    /// `spec.scope`.
    pub scope: Scope,
    /// `spec.versions`, in the file's order.
    pub versions: Vec<Version>,
}

/// Why a file does not hold CRDs: the file, the document (from 0) and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrdError {
    /// The file, as given.
    pub file: String,
    /// The YAML document, counted from 0, when the fault is in one.
    pub document: Option<usize>,
    /// What is wrong, with the field's path (`spec.versions[1].name: expected a string`).
    pub message: String,
}

impl std::fmt::Display for CrdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.document {
            Some(d) => write!(f, "{} (document {d}): {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for CrdError {}

/// The documents of a CRD file: one JSON object (`kubectl get crd -o json`, and the form
/// `kforge crd import` keeps beside its types, which reads about ten times faster than the same
/// CRD as YAML), or a YAML stream.
pub fn documents(file: &str, text: &str) -> Result<Vec<Value>, CrdError> {
    if text.trim_start().starts_with('{') {
        Ok(vec![serde_json::from_str(text).map_err(|e| CrdError { file: file.into(), document: None, message: format!("not JSON: {e}") })?])
    } else {
        serde_saphyr::from_multiple(text).map_err(|e| CrdError { file: file.into(), document: None, message: format!("not YAML: {e}") })
    }
}

impl Crd {
    /// Every CRD in `text`, read from `file` (named in errors): YAML, one CRD a document (empty
    /// documents are skipped), or one CRD as JSON ([`documents`]).
    pub fn parse(file: &str, text: &str) -> Result<Vec<Crd>, CrdError> {
        let mut docs = documents(file, text)?;
        let mut out = Vec::new();
        for (i, doc) in docs.iter_mut().enumerate() {
            if doc.is_null() {
                continue;
            }
            // The schemas are moved out, not copied: the largest CRDs are hundreds of kilobytes.
            let schemas: Vec<Value> = doc
                .pointer_mut("/spec/versions")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
                .map(|v| v.pointer_mut("/schema/openAPIV3Schema").map(Value::take).unwrap_or(Value::Null))
                .collect();
            let mut crd = Crd::from_value(file, doc).map_err(|message| CrdError { file: file.into(), document: Some(i), message })?;
            for (version, schema) in crd.versions.iter_mut().zip(schemas) {
                version.schema = schema;
            }
            out.push(crd);
        }
        if out.is_empty() {
            return Err(CrdError { file: file.into(), document: None, message: "holds no CustomResourceDefinition".into() });
        }
        Ok(out)
    }

    /// Every CRD of the `.yaml` and `.json` files in `dir`, the files in name order: a folder of
    /// upstream CRDs, or the one `kforge crd import` writes (`<kind>.crd.json` beside each
    /// module).
    pub fn read_dir(dir: &std::path::Path) -> Result<Vec<Crd>, CrdError> {
        let io = |e: std::io::Error| CrdError { file: dir.display().to_string(), document: None, message: e.to_string() };
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir).map_err(io)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>().map_err(io)?;
        files.retain(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json") && p.is_file());
        files.sort();
        let mut out = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|e| CrdError { file: file.display().to_string(), document: None, message: e.to_string() })?;
            out.extend(Crd::parse(&file.display().to_string(), &text)?);
        }
        Ok(out)
    }

    /// One CRD from its JSON form.
    pub fn from_value(file: &str, doc: &Value) -> Result<Crd, String> {
        let api_version = doc.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
        if (api_version, kind) != ("apiextensions.k8s.io/v1", "CustomResourceDefinition") {
            return Err(format!("expected apiVersion apiextensions.k8s.io/v1 and kind CustomResourceDefinition, found {api_version:?} and {kind:?}"));
        }
        let spec = doc.get("spec").ok_or("spec: missing")?;
        let string = |path: &str| -> Result<String, String> {
            spec.pointer(path)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .ok_or_else(|| format!("spec{}: expected a non-empty string", path.replace('/', ".")))
        };
        let scope = match string("/scope")?.as_str() {
            "Namespaced" => Scope::Namespaced,
            "Cluster" => Scope::Cluster,
            other => return Err(format!("spec.scope: expected Namespaced or Cluster, found {other:?}")),
        };
        let versions = spec.get("versions").and_then(Value::as_array).filter(|v| !v.is_empty()).ok_or("spec.versions: expected a non-empty list")?;
        let versions = versions
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let name = v.get("name").and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or(format!("spec.versions[{i}].name: expected a non-empty string"))?;
                let flag =
                    |key: &str| -> Result<bool, String> { v.get(key).map(|b| b.as_bool().ok_or(format!("spec.versions[{i}].{key}: expected true or false"))).unwrap_or(Ok(false)) };
                Ok(Version {
                    name: name.to_string(),
                    served: flag("served")?,
                    storage: flag("storage")?,
                    schema: v.pointer("/schema/openAPIV3Schema").cloned().unwrap_or(Value::Null),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Crd { file: file.to_string(), group: string("/group")?, kind: string("/names/kind")?, plural: string("/names/plural")?, scope, versions })
    }

    /// The `apiVersion` of objects of `version` (`cert-manager.io/v1`).
    pub fn api_version(&self, version: &Version) -> String {
        format!("{}/{}", self.group, version.name)
    }

    /// The served versions, in the file's order.
    pub fn served(&self) -> impl Iterator<Item = &Version> {
        self.versions.iter().filter(|v| v.served)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APPLICATIONS: &str = include_str!("../crds/application-crd.yaml");

    #[test]
    fn an_upstream_crd_reads_with_its_versions_and_schemas() {
        let crds = Crd::parse("application-crd.yaml", APPLICATIONS).expect("reads");
        assert_eq!(crds.len(), 1);
        let crd = &crds[0];
        assert_eq!((crd.group.as_str(), crd.kind.as_str(), crd.plural.as_str(), crd.scope), ("argoproj.io", "Application", "applications", Scope::Namespaced));
        assert_eq!(crd.versions.len(), 1);
        assert_eq!((crd.versions[0].name.as_str(), crd.versions[0].served, crd.versions[0].storage), ("v1alpha1", true, true));
        assert_eq!(crd.versions[0].schema["required"], serde_json::json!(["metadata", "spec"]));
        assert_eq!(crd.api_version(&crd.versions[0]), "argoproj.io/v1alpha1");
    }

    #[test]
    fn a_crd_reads_alike_as_yaml_and_as_the_json_crd_import_keeps() {
        let yaml = Crd::parse("application-crd.yaml", APPLICATIONS).expect("reads");
        let json = crate::codegen::json_text(&documents("application-crd.yaml", APPLICATIONS).expect("reads")[0]);
        assert!(json.starts_with("{\n  \"apiVersion\": \"apiextensions.k8s.io/v1\","), "{}", &json[..80]);
        let from_json = Crd::parse("application-crd.yaml", &json).expect("reads");
        assert_eq!(from_json, yaml);
        // Broken JSON is named as JSON, not as a YAML error.
        let e = Crd::parse("x.crd.json", "{\"apiVersion\": ").expect_err("refused");
        assert!(e.to_string().starts_with("x.crd.json: not JSON: "), "{e}");
    }

    #[test]
    fn only_served_versions_are_served_and_documents_are_read_in_order() {
        let one = |kind: &str, versions: &str| {
            format!(
                "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: example.com\n  names: {{kind: {kind}, plural: x}}\n  scope: Cluster\n  versions: {versions}\n"
            )
        };
        let text = format!("{}---\n{}", one("A", "[{name: v2, served: true, storage: true}, {name: v1, served: false}]"), one("B", "[{name: v1, served: true}]"));
        let crds = Crd::parse("two.yaml", &text).expect("reads");
        let kinds: Vec<&str> = crds.iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(kinds, ["A", "B"]);
        assert_eq!(crds[0].scope, Scope::Cluster);
        assert_eq!(crds[0].served().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["v2"]);
        assert_eq!(crds[0].versions[1].schema, Value::Null);
    }

    #[test]
    fn what_is_not_a_crd_is_named_with_its_document_and_field() {
        let err = Crd::parse("x.yaml", "---\napiVersion: v1\nkind: ConfigMap\n").unwrap_err();
        assert_eq!(err.to_string(), r#"x.yaml (document 0): expected apiVersion apiextensions.k8s.io/v1 and kind CustomResourceDefinition, found "v1" and "ConfigMap""#);
        let text = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: g\n  names: {kind: K, plural: ks}\n  scope: Namespaced\n  versions:\n  - {name: v1, served: \"yes\"}\n";
        assert_eq!(Crd::parse("y.yaml", text).unwrap_err().message, "spec.versions[0].served: expected true or false");
        assert_eq!(Crd::parse("z.yaml", "").unwrap_err().message, "holds no CustomResourceDefinition");
        assert!(Crd::parse("w.yaml", "a: [").unwrap_err().message.starts_with("not YAML: "));
    }
}
