//! External Secrets Operator `ExternalSecret` (external-secrets.io/v1): the operator reads keys
//! from a secret store (Vault, a cloud secret manager, ...) and writes them into a Secret, so no
//! secret value passes through the chart. The renderer lowers it through the types
//! generated from the upstream CRD ([`crds::external_secret`]), which reject unknown fields.

use typed_builder::TypedBuilder;

use crate::model::objects::{crds, object};
use crate::model::{Build, Meta, Object, typed};
use crate::template::expr::Expr;
use crate::template::tree::{List, Lower, Map, Node};

/// One key of the target Secret, read from `key` (and its `property`) in the store.
#[derive(Clone, Debug)]
pub struct ExternalKey(Map);

impl ExternalKey {
    /// `secret_key` of the Secret from `property` of the remote secret `remote_key` (empty
    /// `property`: the whole value).
    pub fn new(secret_key: impl Into<Expr<String>>, remote_key: impl Into<Expr<String>>, property: impl Into<Expr<String>>) -> Self {
        ExternalKey(Map::new().str("secretKey", secret_key).field("remoteRef", Map::new().str("key", remote_key).str("property", property)))
    }
}

impl Lower for ExternalKey {
    fn lower(&self) -> Node {
        self.0.lower()
    }
}

/// Makes the operator write the Secret named `target` (owned by the ExternalSecret) from a
/// store named by settings.
#[derive(Clone, Debug, TypedBuilder)]
pub struct ExternalSecret {
    /// Name and labels.
    pub meta: Meta,
    /// The store's name.
    #[builder(setter(into))]
    pub store_name: Expr<String>,
    /// `SecretStore` or `ClusterSecretStore`.
    #[builder(setter(into))]
    pub store_kind: Expr<String>,
    /// How often the operator reads the store again (a duration such as `1h`).
    #[builder(setter(into))]
    pub refresh_interval: Expr<String>,
    /// Name of the Secret the operator writes.
    #[builder(setter(into))]
    pub target: Expr<String>,
    /// The keys of the Secret, each from a remote secret.
    pub data: List<ExternalKey>,
}

impl Build for ExternalSecret {
    fn object(self) -> Object {
        let spec = Map::new()
            .str("refreshInterval", self.refresh_interval)
            .field("secretStoreRef", Map::new().str("name", self.store_name).str("kind", self.store_kind))
            .field("target", Map::new().str("name", self.target).str("creationPolicy", "Owner"))
            .field("data", self.data.node());
        object("external-secrets.io/v1", "ExternalSecret", self.meta, Map::new().field("spec", spec), typed::<crds::external_secret::v1::ExternalSecretResource>)
            .crd(crds::external_secret::CRD)
    }
}
