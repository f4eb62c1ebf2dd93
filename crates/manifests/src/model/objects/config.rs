//! ConfigMaps and Secrets, and references to Secrets that may live outside the chart.

use typed_builder::TypedBuilder;

use crate::model::objects::object;
use crate::model::{Build, Meta, Object, ObjectRef, Referable, typed};
use crate::template::expr::{Expr, Knob, Leaf};
use crate::template::tree::Map;

/// A ConfigMap.
#[derive(Clone, Debug, TypedBuilder)]
pub struct ConfigMap {
    /// Name and labels.
    pub meta: Meta,
    /// `data`: string values only.
    pub data: Map,
}

impl Build for ConfigMap {
    fn object(self) -> Object {
        object("v1", "ConfigMap", self.meta, Map::new().field("data", self.data), typed::<k8s_openapi::api::core::v1::ConfigMap>)
    }
}

/// A Secret written as `stringData`, so both renderers print the same readable text.
#[derive(Clone, Debug, TypedBuilder)]
pub struct Secret {
    /// Name and labels.
    pub meta: Meta,
    /// The Secret's type (`Opaque` by default).
    #[builder(default = Expr::from("Opaque"), setter(into))]
    pub type_: Expr<String>,
    /// `stringData`: values in plain text, which the API server encodes.
    pub string_data: Map,
}

impl Build for Secret {
    fn object(self) -> Object {
        let body = Map::new().str("type", self.type_).field("stringData", self.string_data);
        object("v1", "Secret", self.meta, body, typed::<k8s_openapi::api::core::v1::Secret>)
    }
}

/// The name of a Secret a pod reads: one the chart renders, or one that exists already.
#[derive(Clone, Debug)]
pub struct SecretRef {
    name: Expr<String>,
}

impl SecretRef {
    /// The Secret's name.
    pub fn name(&self) -> Expr<String> {
        self.name.clone()
    }

    /// A Secret another controller creates (an operator's generated credentials).
    pub(crate) fn made_by_operator(name: Expr<String>) -> Self {
        SecretRef { name }
    }

    /// The Secret that `maker`, an object of the model, makes once applied (a cert-manager
    /// `Certificate`'s `spec.secretName`). The maker's kind declares it with
    /// [`Object::makes`](crate::model::Object::makes); the check refuses a reference to a Secret
    /// that no rendered object makes.
    pub fn made_by<K>(maker: &ObjectRef<K>, name: impl Into<Expr<String>>) -> Self {
        let _ = maker;
        SecretRef { name: name.into() }
    }

    /// A Secret that exists outside the chart, named by a setting. Declare it to the check as
    /// well, with `m.external::<Secret>(&setting)` ([`Model::external`](crate::Model::external)):
    /// otherwise a pod's reference to it is a finding. Its keys are not known to kforge, so a
    /// key a pod reads from it is not checked.
    pub fn external<T: Leaf<Out = String>>(name: &Knob<T>) -> Self {
        SecretRef { name: name.expr() }
    }

    /// One Secret when `cond` holds, another otherwise (both gated the same way).
    pub fn choose(cond: impl Into<Expr<bool>>, then: impl Into<SecretRef>, otherwise: impl Into<SecretRef>) -> Self {
        SecretRef { name: cond.into().then(then.into().name, otherwise.into().name) }
    }

    /// The Secret named by `existing` when that is set, the rendered one otherwise.
    pub fn existing_or<T: Leaf<Out = String>>(existing: &Knob<T>, rendered: &ObjectRef<Secret>) -> Self {
        SecretRef { name: existing.or_else(rendered.name()) }
    }
}

impl From<&ObjectRef<Secret>> for SecretRef {
    fn from(r: &ObjectRef<Secret>) -> Self {
        SecretRef { name: r.name() }
    }
}

impl Referable for ConfigMap {
    const KIND: &'static str = "ConfigMap";
}

impl Referable for Secret {
    const KIND: &'static str = "Secret";
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::Model;
    use crate::render::{RenderErrorKind, testing};
    use crate::template::tree::Node;

    #[test]
    fn config_maps_hold_strings_and_secrets_default_to_opaque() {
        let mut m = Model::new();
        m.add(ConfigMap::builder().meta(Meta::new("settings")).data(Map::new().str("mode", "on")).build());
        m.add(Secret::builder().meta(Meta::new("creds")).string_data(Map::new().str("token", "t")).build());
        let objects = testing::objects(&m, json!({})).expect("renders");
        // Install order: Secrets before ConfigMaps.
        assert_eq!((objects[0]["kind"].as_str(), objects[0]["type"].as_str()), (Some("Secret"), Some("Opaque")));
        assert_eq!(objects[0]["stringData"], json!({"token": "t"}));
        assert_eq!(objects[1]["data"], json!({"mode": "on"}));
    }

    #[test]
    fn a_value_that_is_not_a_string_is_named_by_its_key() {
        let mut m = Model::new();
        m.add(ConfigMap::builder().meta(Meta::new("numbers")).data(Map::new().field("count", Node::lit(json!(3)))).build());
        let e = testing::objects(&m, json!({})).expect_err("ConfigMap data holds strings");
        assert_eq!((e.object.as_str(), e.path.as_str()), ("ConfigMap/numbers", "data.count"));
        assert!(matches!(&e.kind, RenderErrorKind::Lowering(m) if m.contains("expected a string")), "{e}");
    }
}
