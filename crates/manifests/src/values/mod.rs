//! Settings, in three parts:
//! - [`types`]: the validated value types applications build their `Values` from (ports,
//!   quantities, DNS names, ...), each checking one rule in serde and in its schema;
//! - [`load`](mod@load): values files parsed as YAML and merged over the defaults, and the merged values
//!   validated against the application's `Values` type;
//! - [`read`], [`compose`], [`yaml11`] and [`set`], from the `kforge-values` crate: a values
//!   file read as Helm reads it (YAML 1.1 scalars, `0644` is 420, `no` is false, and keys made
//!   strings as sigs.k8s.io/yaml makes them), `--set` and its family by Helm's `pkg/strvals`
//!   rules, and Helm's coalescing over the defaults;
//! - [`kube`]: settings that are pieces of Kubernetes objects, checked against Kubernetes' schema;
//! - [`secret`]: [`SecretString`], the type of a password, key or token.
//!
//! Everything is re-exported here, so `kforge::values::Port` and `values::load` name it.

pub mod kube;
pub mod load;
pub mod secret;
pub mod types;

pub use kforge_values::{compose, read, set, yaml11};

pub use kforge_values::read::*;
pub use kforge_values::set::*;
pub use kube::Kube;
pub use load::*;
pub use secret::SecretString;
pub use types::*;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::expr::Knobbed;

/// What an application's settings type must be: serde both ways, a schema, defaults, handles.
pub trait Values: Serialize + DeserializeOwned + Default + JsonSchema + Knobbed + 'static {}
impl<T: Serialize + DeserializeOwned + Default + JsonSchema + Knobbed + 'static> Values for T {}
