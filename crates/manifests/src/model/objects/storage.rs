//! PersistentVolumeClaims.

use serde_json::Value;
use typed_builder::TypedBuilder;

use crate::model::objects::object;
use crate::model::{Build, Meta, Object, Referable, typed};
use crate::template::expr::Expr;
use crate::template::tree::{List, Map, Node};

/// A PersistentVolumeClaim.
#[derive(Clone, Debug, TypedBuilder)]
pub struct PersistentVolumeClaim {
    /// Name and labels.
    pub meta: Meta,
    /// Access modes (`ReadWriteOnce`, ...).
    pub access_modes: List<Node>,
    /// Requested size, a Kubernetes quantity.
    #[builder(setter(into))]
    pub size: Expr<Value>,
    /// Left out when empty, so the cluster's default storage class applies.
    #[builder(default, setter(strip_option, into))]
    pub storage_class: Option<Expr<String>>,
}

impl Build for PersistentVolumeClaim {
    fn object(self) -> Object {
        let mut spec = Map::new().field("accessModes", self.access_modes.node());
        if let Some(class) = self.storage_class {
            spec = spec.when(class.is_set(), Map::new().str("storageClassName", class));
        }
        spec = spec.field("resources", Map::new().field("requests", Map::new().field("storage", Node::any(self.size))));
        object("v1", "PersistentVolumeClaim", self.meta, Map::new().field("spec", spec), typed::<k8s_openapi::api::core::v1::PersistentVolumeClaim>)
    }
}

impl Referable for PersistentVolumeClaim {
    const KIND: &'static str = "PersistentVolumeClaim";
}
