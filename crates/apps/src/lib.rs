//! The applications. Each module is one application: its `Values` (the chart's values.yaml, with
//! the design document's names and defaults) and the build function that turns handles on those
//! values into Kubernetes objects.

/// Registers the example values files beside an application module as its environments:
/// `environments!(app, "dbbat": "minimal", "production")` adds `crates/apps/src/dbbat/values-minimal.yaml`
/// as `minimal` and so on, each path written once.
macro_rules! environments {
    ($app:expr, $dir:literal: $($env:literal),+ $(,)?) => {
        $app$(.environment($env, concat!("crates/apps/src/", $dir, "/values-", $env, ".yaml"), include_str!(concat!($dir, "/values-", $env, ".yaml"))))+
    };
}

pub mod aeterna;
pub mod backbone;
pub mod backend;
pub mod dbbat;
pub mod upstream;

use kforge::Application;

/// Every application, in the order `list` shows them.
pub fn all() -> Vec<Box<dyn Application>> {
    vec![Box::new(backbone::app()), Box::new(dbbat::app()), Box::new(backend::app()), Box::new(aeterna::app())]
}

/// The application named `name`.
pub fn find(name: &str) -> Option<Box<dyn Application>> {
    all().into_iter().find(|a| a.chart().name == name)
}
