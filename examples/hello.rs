//! Hello: a whole kforge application in one file, the place to start.
//!
//! An application is a `Values` struct, which is the chart's values.yaml (each doc comment
//! becomes a values.yaml comment and a README row; `Default` holds the defaults), and a `build`
//! function that turns handles on those values into objects. Here: a ConfigMap with `message`, a
//! Deployment of `nginxinc/nginx-unprivileged` on port 8080 that answers every request with it, a
//! Service, and the kit's ServiceAccount and Ingress. `build` holds handles, never values, so
//! optional parts are gated with `when` (see `quietLogs`).
//!
//! `main` is one line: the whole kforge command line over this one application
//! (`kforge_cli::main`), as a team's own crate would have it. From the workspace root:
//!
//! ```sh
//! cargo run --example hello -- emit --out target/examples-out/hello   # the chart and manifests
//! cargo run --example hello -- emit --app hello --stdout --set replicaCount=3
//! cargo run --example hello -- graph --app hello --format dot
//! ```
//!
//! `emit` checks what it renders first (references between objects, the restricted Pod
//! Security Standard) and writes nothing when it finds a problem.
//! `helm template hello target/examples-out/hello/charts/hello` renders the same objects; only
//! the `helm.sh/chart` and `managed-by` labels and the checksum's value differ (add
//! `-f target/examples-out/hello/charts/hello/values-public.yaml` for `public`).

use std::collections::BTreeMap;
use std::process::ExitCode;

use kforge::kit::{Image, IngressSettings, Resources, ServiceAccountSettings, ServiceSettings};
use kforge::objects::{ConfigMap, Container, Deployment, EnvVar, Pod, Probe, Volume, VolumeSource};
use kforge::{App, ChartMeta, DnsLabel, Knobs, Line, List, Map, Meta, Model, Quantity, checksum_of, fullname, service_account_name};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The port nginx-unprivileged listens on (it runs as a non-root user, so not 80).
const CONTAINER_PORT: u16 = 8080;

/// A second environment: the chart gets it as `values-public.yaml`, the plain manifests as
/// the folder `manifests/hello/public/`. It turns on the gated parts the defaults leave out.
const PUBLIC_VALUES: &str = "\
# On the Internet: two replicas behind an Ingress with TLS, quieter logs.
replicaCount: 2
message: Hello from the Internet!
quietLogs: true
ingress:
  enabled: true
  className: nginx
  hosts:
    - host: hello.example.com
      paths:
        - path: /
          pathType: Prefix
  tls:
    - secretName: hello-tls
      hosts:
        - hello.example.com
";

pub fn app() -> App<Values> {
    App::new(ChartMeta::new("hello", "0.1.0", "1.28.0", "A tiny web server that answers with a message"), "examples/hello.rs", build)
        .environment("public", "examples/hello.rs", PUBLIC_VALUES)
        .readme("## About\n\nWritten by `cargo run --example hello` (`examples/hello.rs`) into `target/examples-out/hello/`.\n")
}

// ----- values.yaml -------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Values {
    /// Number of pods.
    pub replica_count: u8,
    /// Container image; nginx-unprivileged or an image built on it.
    pub image: Image,
    /// Replaces the chart name in object names.
    pub name_override: DnsLabel,
    /// Replaces the full object name (release and chart name).
    pub fullname_override: DnsLabel,
    /// What the server answers every request with (MESSAGE, stored in the ConfigMap). Plain
    /// text: nginx gives `"`, `\` and `$` a meaning of their own.
    pub message: String,
    /// Silence the start-up log lines of the image's entrypoint (NGINX_ENTRYPOINT_QUIET_LOGS).
    pub quiet_logs: bool,
    /// How the server is exposed inside the cluster.
    pub service: ServiceSettings,
    /// An Ingress routing to the Service.
    pub ingress: IngressSettings,
    /// CPU and memory requests and limits.
    pub resources: Resources,
    /// The ServiceAccount the pods run as.
    pub service_account: ServiceAccountSettings,
}

impl Default for Values {
    fn default() -> Self {
        let quantities = |pairs: &[(&str, &str)]| -> BTreeMap<String, Quantity> { pairs.iter().map(|(k, q)| (k.to_string(), Quantity::new(q))).collect() };
        Values {
            replica_count: 1,
            image: Image::new("nginxinc/nginx-unprivileged"),
            name_override: DnsLabel::default(),
            fullname_override: DnsLabel::default(),
            message: "Hello from Kubernetes!".into(),
            quiet_logs: false,
            service: ServiceSettings::new(80),
            ingress: IngressSettings::example("hello.example.com"),
            resources: Resources { limits: quantities(&[("memory", "64Mi")]), requests: quantities(&[("cpu", "10m"), ("memory", "32Mi")]) },
            service_account: ServiceAccountSettings::default(),
        }
    }
}

// ----- objects -----------------------------------------------------------------------------

/// The server's only configuration: answer everything with `$MESSAGE`. The image's entrypoint
/// fills environment variables into `/etc/nginx/templates/*.template` and writes the result to
/// `/etc/nginx/conf.d/`, replacing the default site.
const NGINX_TEMPLATE: &str = r#"server {
    listen {port};
    location / {
        default_type text/plain;
        return 200 "${MESSAGE}\n";
    }
}
"#;

fn build(v: &ValuesKnobs) -> Model {
    let mut m = Model::new();

    let config = m.add(
        ConfigMap::builder()
            .meta(Meta::new(fullname()))
            .data(Map::new().str("MESSAGE", &v.message).str("default.conf.template", NGINX_TEMPLATE.replace("{port}", &CONTAINER_PORT.to_string())))
            .build(),
    );
    let templates = Volume::new("templates", VolumeSource::config_map(&config));

    let mut web = Container::builder()
        .name("hello")
        .image(v.image.reference())
        .image_pull_policy(&v.image.pull_policy)
        .env(
            List::new()
                .push(EnvVar::config_map("MESSAGE", &config, "MESSAGE"))
                // A gated part: this variable is there only when `quietLogs` is true, in the
                // plain manifests and in the chart (as `{{- if .Values.quietLogs }}`).
                .when(&v.quiet_logs, List::new().push(EnvVar::value("NGINX_ENTRYPOINT_QUIET_LOGS", "1"))),
        )
        .resources(v.resources.whole().raw())
        // The restricted Pod Security Standard, which `emit` checks for every pod.
        .security_context(kforge::json(serde_json::json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}})))
        .build();
    // `http` is a handle: the probes and the Service can only target a port declared here.
    let http = web.port("http", CONTAINER_PORT);
    web.mount_sub_path(&templates, "/etc/nginx/templates/default.conf.template", "default.conf.template");
    web.readiness(Probe::http("/", &http).period(5));
    web.liveness(Probe::http("/", &http).initial_delay(5).period(10));

    v.service_account.add_to(&mut m);

    let deployment = m.add(
        Deployment::builder()
            // A component in the selector labels: no other workload's pods match them.
            .meta(Meta::new(fullname()).component("web"))
            .replicas(&v.replica_count)
            .pod(
                Pod::builder()
                    .containers(vec![web])
                    // A new message changes configmap.yaml, hence this checksum, hence the pods roll.
                    .annotations(Map::new().str("checksum/config", checksum_of("configmap.yaml")))
                    .service_account_name(service_account_name())
                    .automount_service_account_token(&v.service_account.automount_service_account_token)
                    // nginx-unprivileged runs as its user nginx, UID 101.
                    .security_context(kforge::json(serde_json::json!({
                        "runAsNonRoot": true,
                        "runAsUser": 101,
                        "runAsGroup": 101,
                        "seccompProfile": {"type": "RuntimeDefault"}
                    })))
                    .build(),
            )
            .build(),
    );

    // Each port the Service declares gives a handle; the Ingress routes to that handle.
    let (service, service_http) = v.service.service(Meta::new(fullname()), &deployment, "http", &http);
    m.add(service);
    v.ingress.add_to(&mut m, &service_http);

    m.notes(vec![
        Line::installed("hello"),
        Line::text(""),
        Line::port_forward("Try it", fullname(), "8080".into(), v.service.port.string()),
        Line::text("then curl http://localhost:8080/"),
        Line::when(&v.ingress.enabled, vec![Line::text("The Ingress routes the hosts of ingress.hosts to the Service.")]),
    ]);
    m
}

// ----- main --------------------------------------------------------------------------------

fn main() -> ExitCode {
    kforge_cli::main(|| vec![Box::new(app())])
}
