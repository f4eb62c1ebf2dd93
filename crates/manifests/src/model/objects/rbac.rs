//! ServiceAccounts and the RBAC that grants them access: a Role lists what may be done in the
//! release's namespace, a RoleBinding gives it to a ServiceAccount the model declares; a
//! ClusterRole and ClusterRoleBinding do the same for every namespace and cluster-scoped
//! resources (both objects are cluster-scoped: they carry no namespace).

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

/// A [`PolicyRule`] limited to the objects it names (`resourceNames`). Only requests that name
/// one object can be limited so: `create`, `list` and `watch` of a whole collection cannot.
#[derive(Clone, Copy, Debug)]
pub struct NamedPolicyRule {
    /// The verbs, resources and API groups.
    pub rule: PolicyRule,
    /// The objects' names.
    pub resource_names: &'static [&'static str],
}

fn strings(items: &[&'static str]) -> Node {
    List::of(items.iter().map(|s| Node::str(*s))).node()
}

fn rule_map(r: &PolicyRule) -> Map {
    Map::new().field("apiGroups", strings(r.api_groups)).field("resources", strings(r.resources)).field("verbs", strings(r.verbs))
}

/// The `rules` of a Role or ClusterRole: the fixed ones, the named ones, then the free ones;
/// `None` when there are none at all.
fn rules_field(rules: &[PolicyRule], named: &[NamedPolicyRule], free: List<Node>) -> Map {
    let fixed = rules.iter().map(|r| Node::from(rule_map(r)));
    let named = named.iter().map(|n| Node::from(rule_map(&n.rule).field("resourceNames", strings(n.resource_names))));
    let rules = List::of(fixed.chain(named)).extend(free);
    if rules.is_empty() { Map::new() } else { Map::new().field("rules", rules.node()) }
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
        let body = rules_field(&self.rules, &[], self.free_rules);
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

/// A ClusterRole (`rbac.authorization.k8s.io/v1`): what may be done in every namespace and on
/// cluster-scoped resources. Its name is the cluster's, not the namespace's: derive it from
/// the release and its namespace so that two releases do not share one.
#[derive(Clone, Debug, TypedBuilder)]
pub struct ClusterRole {
    /// Name and labels (no namespace is rendered).
    pub meta: Meta,
    /// What the ClusterRole allows.
    pub rules: Vec<PolicyRule>,
    /// Rules limited to named objects, after `rules`.
    #[builder(default)]
    pub named_rules: Vec<NamedPolicyRule>,
    /// Free-form rules after those (a list setting, `List::extend_from`).
    #[builder(default)]
    pub free_rules: List<Node>,
}

impl Build for ClusterRole {
    fn object(self) -> Object {
        let body = rules_field(&self.rules, &self.named_rules, self.free_rules);
        cluster_object("ClusterRole", self.meta, body, typed::<k8s_openapi::api::rbac::v1::ClusterRole>)
    }
}

/// Grants a ClusterRole to the ServiceAccount the pods run as, in the release namespace.
#[derive(Clone, Debug, TypedBuilder)]
pub struct ClusterRoleBinding {
    /// Name and labels (no namespace is rendered).
    pub meta: Meta,
    /// The ClusterRole's name.
    #[builder(setter(transform = |r: &ObjectRef<ClusterRole>| r.name()))]
    pub role: Expr<String>,
    /// The ServiceAccount's name, in the release namespace.
    #[builder(setter(into))]
    pub service_account: Expr<String>,
}

impl Build for ClusterRoleBinding {
    fn object(self) -> Object {
        let role_ref = Map::new().str("apiGroup", "rbac.authorization.k8s.io").str("kind", "ClusterRole").str("name", self.role);
        let subject = Map::new().str("kind", "ServiceAccount").str("name", self.service_account).str("namespace", crate::template::expr::release_namespace());
        let body = Map::new().field("roleRef", role_ref).field("subjects", List::of([Node::from(subject)]).node());
        cluster_object("ClusterRoleBinding", self.meta, body, typed::<k8s_openapi::api::rbac::v1::ClusterRoleBinding>)
    }
}

fn cluster_object(kind: &'static str, meta: Meta, body: Map, check: crate::model::TypeCheck) -> Object {
    Object { namespaced: false, ..object("rbac.authorization.k8s.io/v1", kind, meta, body, check) }
}

impl Referable for ServiceAccount {
    const KIND: &'static str = "ServiceAccount";
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::Model;
    use crate::render::testing;

    #[test]
    fn a_cluster_role_and_its_binding_carry_no_namespace_and_bind_the_account_in_the_release_namespace() {
        let mut m = Model::new();
        let role = m.add(
            ClusterRole::builder()
                .meta(Meta::new("web"))
                .rules(vec![PolicyRule { api_groups: &[""], resources: &["secrets"], verbs: &["list"] }])
                .named_rules(vec![NamedPolicyRule {
                    rule: PolicyRule { api_groups: &["apiextensions.k8s.io"], resources: &["customresourcedefinitions"], verbs: &["patch"] },
                    resource_names: &["a.example.com"],
                }])
                .build(),
        );
        m.add(ClusterRoleBinding::builder().meta(Meta::new("web")).role(&role).service_account("sa").build());
        let objects = testing::objects(&m, json!({})).expect("renders");
        let of = |kind: &str| objects.iter().find(|o| o["kind"] == kind).unwrap_or_else(|| panic!("a {kind}")).clone();
        let (role, binding) = (of("ClusterRole"), of("ClusterRoleBinding"));
        assert_eq!(role["metadata"].get("namespace"), None);
        assert_eq!(binding["metadata"].get("namespace"), None);
        assert_eq!(
            role["rules"],
            json!([
                {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]},
                {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"], "verbs": ["patch"], "resourceNames": ["a.example.com"]},
            ])
        );
        assert_eq!(binding["roleRef"], json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "web"}));
        let subject = &binding["subjects"][0];
        assert_eq!((&subject["kind"], &subject["name"]), (&json!("ServiceAccount"), &json!("sa")));
        assert_eq!(subject["namespace"], "ns");
    }
}
