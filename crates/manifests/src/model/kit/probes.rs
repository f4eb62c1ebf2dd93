//! HTTP liveness and readiness probes on a named container port.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Knobs;
use crate::model::Model;
use crate::model::objects::{PortRef, Probe};
use crate::template::expr::{Expr, Knob, Knobbed, Leaf};

/// The HTTP check of a probe. `P` is the set of port names it accepts: a closed enum of the
/// container's port names keeps the schema as strict as the build.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpGetSettings<P> {
    /// URL path of the check.
    pub path: String,
    /// Name of the container port to check.
    pub port: P,
}

/// An HTTP liveness or readiness probe with its timings, in the shape of a Kubernetes probe.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpProbeSettings<P> {
    /// The HTTP request of the check.
    pub http_get: HttpGetSettings<P>,
    /// Seconds before the first check.
    pub initial_delay_seconds: u16,
    /// Seconds between checks.
    pub period_seconds: u16,
    /// Seconds before a check times out.
    pub timeout_seconds: u16,
    /// Failed checks in a row before the probe fails.
    pub failure_threshold: u16,
}

impl<P> HttpProbeSettings<P> {
    /// Settings for an HTTP probe on `path` and `port`, delays and timeouts in seconds.
    pub fn new(path: &str, port: P, initial_delay: u16, period: u16, timeout: u16, failure_threshold: u16) -> Self {
        HttpProbeSettings {
            http_get: HttpGetSettings { path: path.into(), port },
            initial_delay_seconds: initial_delay,
            period_seconds: period,
            timeout_seconds: timeout,
            failure_threshold,
        }
    }
}

impl<P: Knobbed<Handle = Knob<P>> + Leaf<Out = String> + Clone + std::fmt::Debug> HttpProbeSettingsKnobs<P> {
    /// The probe. Its port must name one of `ports`; both renderers reject any other name.
    pub fn probe(&self, model: &mut Model, ports: &[&PortRef]) -> Probe {
        let port = &self.http_get.port;
        let names: Vec<&str> = ports.iter().map(|p| p.name()).collect();
        let declared = ports.iter().map(|p| port.expr().eq(p.name())).reduce(|a, b| a.or(b)).unwrap_or_else(|| Expr::from(false));
        model.reject_when(declared.not(), &format!("{} must name a container port: one of {}", port.path(), names.join(", ")));
        Probe::http_named(&self.http_get.path, port.expr())
            .initial_delay(&self.initial_delay_seconds)
            .period(&self.period_seconds)
            .timeout(&self.timeout_seconds)
            .failure_threshold(&self.failure_threshold)
    }
}
