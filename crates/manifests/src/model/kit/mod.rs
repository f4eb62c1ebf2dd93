//! Settings sections most charts share, with the objects they drive: image, service account,
//! ingress, service, resources, HTTP probes, autoscaling and disruption budgets. An application embeds the section in its `Values` and calls the builder
//! here, so every chart reads these settings the same way.
//!
//! One file per section: `image`, `service_account`, `ingress`, `service`, `resources`,
//! `probes`, `autoscaling`, `disruption_budget`, `pod`, `storage`, `backup`; each is re-exported
//! here with its derived handles.

mod autoscaling;
mod backup;
mod disruption_budget;
mod image;
mod ingress;
mod pod;
mod probes;
mod resources;
mod service;
mod service_account;
mod storage;

use serde_json::Value;

use crate::model::Meta;

pub use self::autoscaling::*;
pub use self::backup::*;
pub use self::disruption_budget::*;
pub use self::image::*;
pub use self::ingress::*;
pub use self::pod::*;
pub use self::probes::*;
pub use self::resources::*;
pub use self::service::*;
pub use self::service_account::*;
pub use self::storage::*;

/// Free-form map settings (`securityContext`, `affinity`, ...).
pub type FreeForm = serde_json::Map<String, Value>;

/// A free-form map setting's default, written as JSON (`free_form(json!({"runAsNonRoot": true}))`);
/// anything but a JSON object gives an empty map.
pub fn free_form(v: Value) -> FreeForm {
    match v {
        Value::Object(m) => m,
        _ => FreeForm::new(),
    }
}

/// `meta` going to the chart template `file` when one is given.
fn in_file(meta: Meta, file: Option<&str>) -> Meta {
    match file {
        Some(f) => meta.template_file(f),
        None => meta,
    }
}
