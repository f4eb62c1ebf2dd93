//! A typed DSL for Kubernetes objects with two renderers: plain manifests for one values
//! instance, and a Helm chart that renders the same manifests for any values.
//!
//! # The pipeline
//!
//! ```text
//! Values struct --derive(Knobs)--> handles --build fn--> Model --render--> objects, chart files
//!                                                                  |
//!                                          check (rendered objects) +--> output (charts-out)
//! ```
//!
//! An application declares its settings as a typed [`Values`] struct and a build function that
//! reads them through handles ([`Knob`]) and returns a [`Model`]. The renderers turn the model
//! into plain objects (for one values instance) and into a chart (for any); the check reads the
//! rendered objects of every environment; `output` writes what passed to `charts-out`.
//!
//! # The modules, by layer
//!
//! Each layer depends only on the layers above it in this list; the renderers and the check do
//! not depend on each other, and builders never call a renderer (`tests/layers.rs` holds this).
//!
//! - **The API server's rules** ([`rules`]): what Kubernetes refuses in names, labels,
//!   annotations and resources, as functions the renderers' validations and the check share.
//! - **Expressions and the template tree** ([`template`]): [`expr`] (typed expressions over
//!   settings, and the handles `Knob<T>`) and [`template::tree`] (maps, lists, gated parts and
//!   ranges that objects lower to). Branching on a setting goes through these, never through a
//!   plain Rust `if`, so the chart cannot bake in a default.
//! - **Values** ([`values`], `derive(Knobs)` from `manifests-derive`): the settings types, their
//!   schema, loading and merging values files and `--set`.
//! - **The model and builders** ([`model`]): [`Model`] and [`model::Object`], the typed
//!   builders of Kubernetes kinds ([`objects`], with typed references between objects), the
//!   shared settings sections ([`kit`]), NOTES.txt lines ([`model::notes`]) and the
//!   [`Application`] that ties a `Values` type, chart metadata and a build function together
//!   ([`model::app`]).
//! - **The renderers** ([`render`]): the concrete side evaluates the tree for one values
//!   instance and lowers each object through k8s-openapi; the Helm side prints the same tree as
//!   Go templates. Both share names and labels ([`render::names`]); the chart's static files
//!   ([`render::chart`]), NOTES.txt and YAML printing live beside them.
//! - **The check** ([`check`]): what types cannot prove, over the rendered objects of one
//!   environment, one module per kind of rule (references, names and labels, Pod Security,
//!   secrets).
//! - **Pictures** ([`graph`]): the objects of one environment and how they connect, as Mermaid
//!   or DOT.
//! - **Output** ([`output`]): renders and checks every application, then writes `charts-out`
//!   atomically, or compares it for `emit --check`.
//!
//! The crate knows no application and picks no Kubernetes version: the binary does.

#![warn(missing_docs)]

extern crate self as manifests;

pub mod check;
pub mod graph;
pub mod model;
// Its public items are not all documented yet.
#[allow(missing_docs)]
pub mod output;
pub mod render;
pub mod rules;
pub mod template;
// Its public items are not all documented yet.
#[allow(missing_docs)]
pub mod values;

// The paths applications write most, kept at the root.
pub use model::{kit, objects};
pub use template::expr;

pub use manifests_derive::Knobs;
pub use model::app::{App, Application, Environment, WithChart};
pub use model::chart_meta::{ChartMeta, Maintainer, UpgradeNote};
pub use model::notes::Line;
pub use model::{Build, Meta, Model, ObjectRef, Referable};
pub use template::expr::{
    Expr, Knob, Knobbed, Leaf, Path, Section, app_version, chart_version, checksum_of, concat, fullname, fullname_with, json, release_name, release_namespace, service_account_name,
};
pub use template::tree::{List, Lower, Map, Node};
pub use values::{
    AccessMode, ConcurrencyPolicy, ConfigKey, CronSchedule, DnsLabel, DnsName, Duration, ImageDigest, IntOrPercent, Kube, ListenAddress, OptionalIntOrPercent, OptionalPort,
    PathType, Port, PullPolicy, Quantity, SecretString, ServiceType, Size, StringMap, TimeZone, Values,
};

#[doc(hidden)]
pub use regex_lite as __regex;
#[doc(hidden)]
pub use schemars as __schemars;
#[doc(hidden)]
pub use serde as __serde;
#[doc(hidden)]
pub use serde_json as __serde_json;
