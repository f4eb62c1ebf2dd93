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
//! - **Values** ([`values`], `derive(Knobs)` from `kforge-derive`): the settings types, their
//!   schema, loading and merging values files and `--set`.
//! - **The model and builders** ([`model`]): [`Model`] and [`model::Object`], the typed
//!   builders of Kubernetes kinds ([`objects`], with typed references between objects), the
//!   shared settings sections ([`kit`]), NOTES.txt lines ([`model::notes`]) and the
//!   [`Application`] that ties a `Values` type, chart metadata and a build function together
//!   ([`model::app`]).
//!   [`extend`] is what a team's crate implements to add a kind of its own (a builder that
//!   lowers to [`model::Object`]), and what the types `kforge crd import` writes name.
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

extern crate self as kforge;

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

pub use kforge_derive::Knobs;
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

pub mod extend {
    //! Adding a kind: what a team's crate implements to build an object kforge does not know, with
    //! no change to kforge.
    //!
    //! A kind is a builder that implements [`Build`]: it lowers to an [`Object`] made with
    //! [`Object::new`] (apiVersion, kind, [`Meta`](crate::Meta), and a body [`Map`](crate::Map) whose values may read
    //! settings), and gets what the built-in kinds get:
    //!
    //! - metadata and the common labels from [`Meta`](crate::Meta), gating with [`Model::add_when`](crate::Model::add_when), and values
    //!   in any field, rendered alike by both renderers;
    //! - a typed check of the rendered object with [`Object::checked_as`] (a serde type of the
    //!   whole object, `deny_unknown_fields`), and the CRD's schema and CEL rules with
    //!   [`Object::crd`]; `kforge crd import` writes both from a CRD, as a [`CustomKind`] whose
    //!   builder is [`Custom`] (`pub type Certificate = Custom<CertificateKind>`);
    //! - typed references: [`Object::makes`] declares an object it makes once applied, which
    //!   [`SecretRef::made_by`](crate::objects::SecretRef::made_by) names for a volume or env var; [`selector`] gives
    //!   the labels that select a workload's pods; [`Referable`] lets [`Model::external`](crate::Model::external) declare
    //!   one that exists already; [`Object::cluster_scoped`] and [`Object::hook`] as their names say.
    //!
    //! A cert-manager `Certificate` whose Secret a Deployment mounts:
    //!
    //! ```
    //! use kforge::extend::{Build, Object, Referable};
    //! use kforge::objects::{Container, Deployment, Pod, Secret, SecretRef, Volume, VolumeSource};
    //! use kforge::{Expr, List, Map, Meta, Model, Node, fullname_with};
    //!
    //! struct Certificate {
    //!     meta: Meta,
    //!     secret_name: Expr<String>,
    //!     dns_name: String,
    //! }
    //!
    //! impl Build for Certificate {
    //!     fn object(self) -> Object {
    //!         let spec = Map::new()
    //!             .str("secretName", self.secret_name.clone())
    //!             .field("dnsNames", List::of([Node::str(self.dns_name)]).node())
    //!             .field("issuerRef", Map::new().str("name", "letsencrypt").str("kind", "ClusterIssuer"));
    //!         Object::new("cert-manager.io/v1", "Certificate", self.meta, Map::new().field("spec", spec)).makes::<Secret>(self.secret_name)
    //!     }
    //! }
    //!
    //! impl Referable for Certificate {
    //!     const KIND: &'static str = "Certificate";
    //! }
    //!
    //! let mut m = Model::new();
    //! let secret_name = fullname_with("tls");
    //! let cert = m.add(Certificate { meta: Meta::new(fullname_with("tls")), secret_name: secret_name.clone(), dns_name: "api.example.com".into() });
    //! let tls = Volume::new("tls", VolumeSource::secret(&SecretRef::made_by(&cert, secret_name)));
    //! let mut web = Container::builder().name("web").image("web:1").build();
    //! web.mount_read_only(&tls, "/etc/tls");
    //! m.add(Deployment::builder().meta(Meta::new(fullname_with("web")).component("web")).pod(Pod::builder().containers(vec![web]).build()).build());
    //! ```

    pub use crate::model::custom::{Custom, CustomKind};
    pub use crate::model::objects::selector;
    pub use crate::model::{Build, Hook, LoweringError, Object, ObjectRef, Referable, TypeCheck, type_check};

    /// The libraries generated types name (`kforge crd import`), so that a team's crate needs
    /// no dependency of its own on them.
    #[doc(hidden)]
    pub use {k8s_openapi, serde, serde_json};
}
