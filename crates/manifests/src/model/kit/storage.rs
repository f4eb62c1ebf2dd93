//! A volume's size and storage class.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Knobs;
use crate::values::Size;

/// A volume: its size and storage class.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StorageSettings {
    /// Size of the volume.
    pub size: Size,
    /// Storage class; empty means the default: `global.storageClass` where the chart has one,
    /// else the cluster's default class.
    pub storage_class: String,
}

impl StorageSettings {
    /// A claim of `size` (a Kubernetes quantity), the cluster's default class.
    pub fn new(size: &str) -> Self {
        StorageSettings { size: Size::new(size), storage_class: String::new() }
    }
}
