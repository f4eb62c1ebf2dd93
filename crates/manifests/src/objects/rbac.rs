//! ServiceAccounts.

use typed_builder::TypedBuilder;

use crate::expr::Expr;
use crate::model::{Build, Meta, Object, typed};
use crate::objects::object;
use crate::tree::Map;

#[derive(Clone, Debug, TypedBuilder)]
pub struct ServiceAccount {
    pub meta: Meta,
    #[builder(default, setter(strip_option, into))]
    pub automount_token: Option<Expr<bool>>,
}

impl Build for ServiceAccount {
    fn object(self) -> Object {
        let mut body = Map::new();
        if let Some(auto) = self.automount_token {
            body = body.bool("automountServiceAccountToken", auto);
        }
        object("v1", "ServiceAccount", self.meta, body, typed::<k8s_openapi::api::core::v1::ServiceAccount>)
    }
}
