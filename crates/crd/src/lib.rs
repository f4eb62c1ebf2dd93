//! CustomResourceDefinitions: what kforge knows of a custom resource's kind.
//!
//! - [`definition`]: reading CRDs (`apiextensions.k8s.io/v1`) from YAML, one [`Crd`] per
//!   definition with every version's `openAPIV3Schema`;
//! - [`codegen`]: Rust types and a builder from a CRD, what `kforge crd import` writes.
//! - [`schema`]: a version's schema read into a tree of [`Node`]s, patterns and rules compiled.
//! - [`validate`]: one object against one schema as the API server checks it: defaults, the
//!   structural schema, unknown fields (an error here), list sets and maps, then the CEL rules,
//!   each problem a [`Violation`] with the API server's field path and message.
//! - [`cel`]: the `x-kubernetes-validations` rules, and what is not evaluated.
//! - [`formats`]: the string formats the API server checks.
//! - [`registry`]: [`Schemas`], by `(group, version, kind)`, with the built-in CRDs.
//!
//! The crate knows no application and no renderer; the DSL (`kforge`) and the command line
//! (`kforge crd import`) build on it.

#![warn(missing_docs)]

pub mod cel;
pub mod codegen;
pub mod definition;
pub mod formats;
pub mod registry;
pub mod schema;
pub mod validate;

pub use definition::{Crd, CrdError, Scope, Version};
pub use registry::Schemas;
pub use schema::{Node, SchemaError};
pub use validate::{NotEvaluated, Report, Violation, ViolationKind};
