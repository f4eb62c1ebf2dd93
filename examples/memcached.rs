//! The application of the book's chapter "Your own crate" (`docs/src/own-crate.md`), as a team
//! would write it in its own crate's `src/main.rs`: `tests/it/readme.rs` checks that the chapter
//! shows this very code, and emits and lints its chart. From the workspace root:
//!
//! ```sh
//! cargo run --example memcached -- emit --out /tmp/memcached
//! ```

use kforge::kit::{DisruptionBudgetSettings, Image, PodSettings, Resources, ServiceSettings};
use kforge::objects::{Container, Deployment, Probe};
use kforge::{App, ChartMeta, Knobs, Meta, Model, fullname};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Values {
    /// Number of pods.
    pub replica_count: u8,
    /// The image.
    pub image: Image,
    /// The Service.
    pub service: ServiceSettings,
    /// A PodDisruptionBudget.
    pub pdb: DisruptionBudgetSettings,
    /// CPU and memory requests and limits.
    pub resources: Resources,
    /// The pod settings `helm create` keeps at the top level.
    #[serde(flatten)]
    pub pod: PodSettings,
}

impl Default for Values {
    fn default() -> Self {
        Values {
            replica_count: 1,
            image: Image::new("memcached"),
            service: ServiceSettings::new(11211),
            pdb: DisruptionBudgetSettings::min_available(false, 1),
            resources: Resources::cpu_memory(("50m", "64Mi"), ("500m", "256Mi")),
            pod: PodSettings::restricted(11211),
        }
    }
}

fn build(v: &ValuesKnobs) -> Model {
    let mut m = Model::new();
    let mut c = Container::builder()
        .name("memcached")
        .image(v.image.reference())
        .image_pull_policy(&v.image.pull_policy)
        .resources(v.resources.whole().raw())
        .security_context(v.pod.security_context.raw())
        .build();
    let port = c.port("memcached", 11211);
    c.readiness(Probe::tcp(&port).period(5));
    let deployment = m.add(Deployment::builder().meta(Meta::new(fullname()).component("memcached")).replicas(&v.replica_count).pod(v.pod.pod(vec![c], &[])).build());
    let (service, _) = v.service.service(Meta::new(fullname()), &deployment, "memcached", &port);
    m.add(service);
    v.pdb.add_to(&mut m, &deployment);
    v.pod.service_account.add_to(&mut m);
    m
}

fn my_app() -> App<Values> {
    App::new(ChartMeta::new("memcached", "0.1.0", "1.6.38", "Memcached for the team's services"), "examples/memcached.rs", build).environment(
        "production",
        "examples/memcached/values-production.yaml",
        include_str!("memcached/values-production.yaml"),
    )
}

fn main() -> std::process::ExitCode {
    kforge_cli::main(|| vec![Box::new(my_app())])
}
