//! `kforge setup`: the Aeterna setup wizard of `aeterna-chart-and-setup-wizard-design.md`.
//!
//! Answers ([`answers`]) become one typed model, the Aeterna chart's `Values` ([`model`]).

pub mod answers;
pub mod model;
