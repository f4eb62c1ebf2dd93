//! Releasing the generated charts: the second install, not only the first.
//!
//! - [`upgrade`]: `kforge upgrade-check`, what emit writes now against what a git revision
//!   committed (read with [`git`]): fields the API server will not change ([`immutable`]),
//!   objects holding data that disappear, values files the chart no longer accepts
//!   ([`compat`]), and whether each chart's version grew as much as its changes need
//!   ([`version`]);
//! - [`package`]: `kforge package`, reproducible `.tgz` charts for `helm push` and chart
//!   repositories.
//!
//! Like `kforge` (the DSL), this crate knows no application and picks no Kubernetes version.

pub mod compat;
pub mod git;
pub mod immutable;
pub mod package;
pub mod upgrade;
pub mod version;
