//! The builder of a custom resource's kind: what `kforge crd import` declares for each version
//! of a CRD (`pub type Certificate = Custom<CertificateKind>`), so that the generated code holds
//! the kind's types and names and this module the builder they share.

use std::marker::PhantomData;

use crate::model::{Build, Meta, Object, Referable, typed};
use crate::template::expr::Expr;
use crate::template::tree::Map;

/// What a custom resource's kind renders as.
pub trait CustomKind {
    /// `group/version` (`cert-manager.io/v1`).
    const API_VERSION: &'static str;
    /// The kind (`Certificate`).
    const KIND: &'static str;
    /// The CRD as JSON or YAML (`kforge crd import` keeps it as JSON): the check validates
    /// rendered objects against its schema and rules.
    const CRD: &'static str;
    /// `scope: Cluster`: no namespace.
    const CLUSTER_SCOPED: bool;
    /// The serde type of the whole object every rendered one is lowered through.
    type Resource: serde::de::DeserializeOwned + serde::Serialize;
}

/// An object of the custom resource kind `K`: name and labels, its fields as a template map,
/// and what it makes once applied.
pub struct Custom<K> {
    /// Name and labels.
    pub meta: Meta,
    /// The top-level fields but `apiVersion`, `kind` and `metadata` (`spec`, ...).
    pub body: Map,
    makes: Vec<(&'static str, Expr<String>)>,
    _kind: PhantomData<fn() -> K>,
}

impl<K> Clone for Custom<K> {
    fn clone(&self) -> Self {
        Custom { meta: self.meta.clone(), body: self.body.clone(), makes: self.makes.clone(), _kind: PhantomData }
    }
}

impl<K: CustomKind> std::fmt::Debug for Custom<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(K::KIND).field("meta", &self.meta).field("body", &self.body).finish()
    }
}

impl<K> Custom<K> {
    /// An object whose `spec` is `spec`.
    pub fn new(meta: Meta, spec: Map) -> Self {
        Custom::with_body(meta, Map::new().field("spec", spec))
    }

    /// An object whose top-level fields are `body` (a kind with fields beside `spec`).
    pub fn with_body(meta: Meta, body: Map) -> Self {
        Custom { meta, body, makes: Vec::new(), _kind: PhantomData }
    }

    /// Declares an object it makes once applied (the Secret an operator writes), which
    /// [`SecretRef::made_by`](crate::objects::SecretRef::made_by) then names for a pod: the
    /// check lets references to it land ([`Object::makes`]).
    pub fn makes<R: Referable>(mut self, name: impl Into<Expr<String>>) -> Self {
        self.makes.push((R::KIND, name.into()));
        self
    }
}

impl<K: CustomKind> Build for Custom<K> {
    fn object(self) -> Object {
        let mut object = Object::new(K::API_VERSION, K::KIND, self.meta, self.body).crd(K::CRD);
        object.check = typed::<K::Resource>;
        if K::CLUSTER_SCOPED {
            object = object.cluster_scoped();
        }
        self.makes.into_iter().fold(object, |o, (kind, name)| o.makes_kind(kind, name))
    }
}

impl<K: CustomKind> Referable for Custom<K> {
    const KIND: &'static str = K::KIND;
}
