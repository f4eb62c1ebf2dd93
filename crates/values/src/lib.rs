//! Values as Helm reads them, before any schema: the readers of user input that `kforge` and
//! its charts must agree with Helm on, in a crate of their own so that their fuzz targets
//! (`fuzz/`) build them alone.
//!
//! - [`read`](mod@read): a values file's text ([`parse_yaml`], at most [`MAX_VALUES_BYTES`]),
//!   the documents of a YAML stream ([`read_documents`]), and Helm's [`coalesce`] of the user's
//!   values over a chart's defaults;
//! - [`compose`] and [`yaml11`]: YAML 1.1 as go-yaml v2 and sigs.k8s.io/yaml read it (`0644` is
//!   420, `no` is false, keys made strings);
//! - [`set`]: `--set` and its family, by the rules of Helm's `pkg/strvals`.
//!
//! Errors are [`ValuesError`]: the source (a file or a flag), the values path, what was
//! expected. The `kforge` crate re-exports all of this as `kforge::values`.
//!
//! ```
//! use kforge_values::{coalesce, parse_yaml};
//! use serde_json::json;
//!
//! let defaults = json!({"replicas": 1, "image": {"tag": "1.0"}});
//! let user = parse_yaml("values.yaml", "image: {tag: 0644}\nreplicas: ~\n").unwrap();
//! let merged = coalesce(&defaults, user.as_object().unwrap().clone());
//! // YAML 1.1: 0644 is octal; a null deletes the default.
//! assert_eq!(merged, json!({"image": {"tag": 420}}));
//! ```

#![warn(missing_docs)]

pub mod compose;
pub mod read;
pub mod set;
pub mod yaml11;

pub use read::*;
pub use set::*;
