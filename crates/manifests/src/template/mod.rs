//! Expressions and the template tree: what a build function writes instead of concrete values.
//!
//! - [`expr`]: typed expressions over settings (`Expr<T>`, the handles `Knob<T>`), the only way
//!   to read a value, so that both renderers see every branch;
//! - [`reads`]: which settings an expression or a tree reads (for the dead-settings rule);
//! - [`version`]: conditions on an image's version, one rule for both renderers;
//! - [`tree`]: the template tree (maps, lists, gated parts, ranges) objects lower to, which the
//!   concrete renderer evaluates and the Helm renderer prints.
//!
//! This is the bottom layer: it depends on nothing else in the crate.

pub mod expr;
pub mod reads;
pub mod tree;
pub mod version;
