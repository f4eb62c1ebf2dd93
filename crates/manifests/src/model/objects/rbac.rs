//! ServiceAccounts and the namespaced RBAC that grants them access: a Role lists what may be
//! done, a RoleBinding gives it to a ServiceAccount the model declares.

use typed_builder::TypedBuilder;

use crate::model::objects::object;
use crate::model::{Build, Meta, Object, ObjectRef, Referable, typed};
use crate::template::expr::Expr;
use crate::template::tree::{List, Map, Node};

/// A ServiceAccount.
#[derive(Clone, Debug, TypedBuilder)]
pub struct ServiceAccount {
    /// Name and labels.
    pub meta: Meta,
    /// `automountServiceAccountToken`; left out when `None`.
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

/// One rule of a Role: these verbs on these resources of these API groups (`""` is the core
/// group), fixed by the application. Rules an operator grants come from values as
/// [`Role::free_rules`].
#[derive(Clone, Copy, Debug)]
pub struct PolicyRule {
    /// API groups (`""` for the core group).
    pub api_groups: &'static [&'static str],
    /// Resources (`configmaps`).
    pub resources: &'static [&'static str],
    /// Verbs (`get`, `list`, `watch`).
    pub verbs: &'static [&'static str],
}

fn strings(items: &[&'static str]) -> Node {
    List::of(items.iter().map(|s| Node::str(*s))).node()
}

/// A Role (`rbac.authorization.k8s.io/v1`).
#[derive(Clone, Debug, TypedBuilder)]
pub struct Role {
    /// Name and labels.
    pub meta: Meta,
    /// What the Role allows.
    pub rules: Vec<PolicyRule>,
    /// Free-form rules after `rules` (a list setting, `List::extend_from`); a Role with no rule
    /// at all is valid and grants nothing.
    #[builder(default)]
    pub free_rules: List<Node>,
}

impl Build for Role {
    fn object(self) -> Object {
        let fixed =
            self.rules.iter().map(|r| Node::from(Map::new().field("apiGroups", strings(r.api_groups)).field("resources", strings(r.resources)).field("verbs", strings(r.verbs))));
        let rules = List::of(fixed).extend(self.free_rules);
        let body = if rules.is_empty() { Map::new() } else { Map::new().field("rules", rules.node()) };
        object("rbac.authorization.k8s.io/v1", "Role", self.meta, body, typed::<k8s_openapi::api::rbac::v1::Role>)
    }
}

/// Grants a Role to the ServiceAccount the pods run as (named by an expression, since the
/// account may exist outside the chart).
#[derive(Clone, Debug, TypedBuilder)]
pub struct RoleBinding {
    /// Name and labels.
    pub meta: Meta,
    /// The Role's name.
    #[builder(setter(transform = |r: &ObjectRef<Role>| r.name()))]
    pub role: Expr<String>,
    /// The ServiceAccount's name, in the release namespace.
    #[builder(setter(into))]
    pub service_account: Expr<String>,
}

impl Build for RoleBinding {
    fn object(self) -> Object {
        let role_ref = Map::new().str("apiGroup", "rbac.authorization.k8s.io").str("kind", "Role").str("name", self.role);
        let subject = Map::new().str("kind", "ServiceAccount").str("name", self.service_account).str("namespace", crate::template::expr::release_namespace());
        let body = Map::new().field("roleRef", role_ref).field("subjects", List::of([Node::from(subject)]).node());
        object("rbac.authorization.k8s.io/v1", "RoleBinding", self.meta, body, typed::<k8s_openapi::api::rbac::v1::RoleBinding>)
    }
}

impl Referable for ServiceAccount {
    const KIND: &'static str = "ServiceAccount";
}
