//! CustomResourceDefinitions: what kforge knows of a custom resource's kind.
//!
//! - [`definition`]: reading CRDs (`apiextensions.k8s.io/v1`) from YAML, one [`Crd`] per
//!   definition with every version's `openAPIV3Schema`;
//! - [`codegen`]: Rust types and a builder from a CRD, what `kforge crd import` writes.
//!
//! The crate knows no application and no renderer; the DSL (`manifests`) and the command line
//! (`kforge crd import`) build on it.

#![warn(missing_docs)]

pub mod codegen;
pub mod definition;

pub use definition::{Crd, CrdError, Scope, Version};
