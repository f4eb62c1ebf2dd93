//! A typed DSL for Kubernetes objects with two renderers.
//!
//! Three layers, each in its own modules:
//! - **values and expressions** ([`expr`], [`values`], `derive(Knobs)`): an application's
//!   settings are a typed struct; build functions read them through handles and combine them
//!   with typed expressions, never as concrete values;
//! - **builders** ([`objects`], [`tree`], [`model`]): typed builders for Kubernetes kinds with
//!   typed references between objects, lowering to a template tree;
//! - **renderers** ([`render`]): the concrete renderer evaluates the tree for one values
//!   instance and lowers it through k8s-openapi; the Helm renderer prints the same tree as a
//!   chart. Names and labels ([`helpers`]) are shared by both.
//!
//! The crate knows no application and picks no Kubernetes version: the binary does.

extern crate self as manifests;

pub mod app;
pub mod chart;
pub mod check;
mod eval;
pub mod expr;
mod gotmpl;
pub mod helpers;
pub mod kit;
pub mod model;
pub mod notes;
pub mod objects;
pub mod output;
pub mod render;
pub mod tree;
pub mod values;
mod yaml;

pub use app::{App, Application, Environment};
pub use chart::{ChartMeta, Maintainer, UpgradeNote};
pub use expr::{Expr, Knob, Knobbed, Leaf, Path, app_version, checksum_of, concat, fullname, fullname_with, json, release_name, release_namespace, service_account_name};
pub use manifests_derive::Knobs;
pub use model::{Build, Meta, Model, ObjectRef, Referable};
pub use notes::Line;
pub use tree::{List, Lower, Map, Node};
pub use values::{AccessMode, ConfigKey, CronSchedule, Duration, Size, DnsLabel, DnsName, IntOrPercent, ListenAddress, OptionalIntOrPercent, OptionalPort, PathType, Port, PullPolicy, Quantity, ServiceType, StringMap, Values};

#[doc(hidden)]
pub use serde as __serde;
