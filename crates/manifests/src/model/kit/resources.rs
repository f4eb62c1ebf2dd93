//! CPU and memory requests and limits of a container.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Knobs;
use crate::values::Quantity;

/// Requests and limits of a container.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    /// Upper bounds (`cpu`, `memory`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, Quantity>,
    /// What the scheduler reserves (`cpu`, `memory`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: BTreeMap<String, Quantity>,
}

impl Resources {
    /// CPU and memory requests and limits, each `(cpu, memory)`: `(("100m", "128Mi"), ("1", "512Mi"))`.
    pub fn cpu_memory(requests: (&str, &str), limits: (&str, &str)) -> Self {
        let pair = |(cpu, memory): (&str, &str)| [("cpu".to_string(), Quantity::new(cpu)), ("memory".to_string(), Quantity::new(memory))].into();
        Resources { requests: pair(requests), limits: pair(limits) }
    }
}
