//! The ServiceAccount section: whether the chart creates one, its name and annotations.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::in_file;
use crate::Knobs;
use crate::model::objects::ServiceAccount;
use crate::model::{Meta, Model, ObjectRef};
use crate::template::expr::service_account_name;
use crate::template::tree::Map;
use crate::values::{DnsName, StringMap};

// Whether and how the chart creates the pods' ServiceAccount.
#[allow(missing_docs)] // A doc comment here would become the schema's description.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceAccountSettings {
    /// Create a ServiceAccount for the pods.
    pub create: bool,
    /// Name of the ServiceAccount; empty means the release's full name when `create` is true,
    /// `default` otherwise.
    pub name: DnsName,
    /// Annotations of the ServiceAccount (for example a cloud IAM role binding).
    pub annotations: StringMap,
    /// Mount the ServiceAccount's API token into the pods; off unless the application calls the
    /// Kubernetes API.
    pub automount_service_account_token: bool,
}

impl Default for ServiceAccountSettings {
    fn default() -> Self {
        ServiceAccountSettings { create: true, name: DnsName::default(), annotations: StringMap::new(), automount_service_account_token: false }
    }
}

impl ServiceAccountSettingsKnobs {
    /// The ServiceAccount, rendered when `create` is set; the pods name it through
    /// [`service_account_name`].
    pub fn add_to(&self, model: &mut Model) -> ObjectRef<ServiceAccount> {
        self.add(model, None)
    }

    /// [`ServiceAccountSettingsKnobs::add_to`], into the chart template `file`.
    pub fn add_in(&self, model: &mut Model, file: &str) -> ObjectRef<ServiceAccount> {
        self.add(model, Some(file))
    }

    fn add(&self, model: &mut Model, file: Option<&str>) -> ObjectRef<ServiceAccount> {
        let sa = ServiceAccount::builder()
            .meta(in_file(Meta::new(service_account_name()).annotations(Map::new().spread(&self.annotations)), file))
            .automount_token(&self.automount_service_account_token)
            .build();
        // Without `create`, the pods run as a ServiceAccount someone else made (or `default`).
        model.external::<ServiceAccount>(self.create.then("", &self.name));
        model.add_when(&self.create, sa)
    }
}
