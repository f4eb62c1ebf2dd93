//! The integration tests, gathered into one binary: snapshots of every emitted file, the
//! Helm-vs-emit contract with Helm 4 and Helm 3, schema and lint checks with the real tools,
//! bad input, and the CLI's behaviour.

mod aeterna;
mod api_rules;
mod bad_input;
mod cli;
mod compare;
mod conformance;
mod crate_packages;
mod crd_import;
mod crds;
mod dbbat;
mod external;
mod fuzz;
mod gitops;
mod graph;
mod kubernetes_settings;
mod new_crate;
mod output;
mod percent_encoding;
mod publish;
mod readme;
mod release_names;
mod run;
mod safety;
mod set_flags;
mod setup;
mod snapshots;
mod support;
mod upgrade;
mod upstream;
mod version_gates;
mod yaml11;
