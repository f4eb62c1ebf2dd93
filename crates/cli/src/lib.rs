//! The `kforge` command line as a library. A team's own crate lists its applications and gets
//! every command (`emit` with `--check` and `--stdout` and Helm's value flags, `check`, `graph`,
//! `list`, `values`, `schema`, `upgrade-check`, `package`, `compare`, `new`):
//!
//! ```no_run
//! # fn my_apps() -> Vec<Box<dyn kforge::Application>> { Vec::new() }
//! fn main() -> std::process::ExitCode {
//!     kforge_cli::main(my_apps)
//! }
//! ```
//!
//! A binary with commands of its own (this repository's `setup` wizard) passes them as a clap
//! [`Subcommand`] to [`main_with`]. Every flag of the shared commands is defined here, once.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

pub mod compare;
mod crd_import;
mod scaffold;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use kforge::Application;
use kforge::output;
use kforge::render::{self, Release};
use kforge::values::{self, Layer, SetFlag};

/// `eprintln!` that never panics: a closed standard error (`2>&1 | head`) is not worth a crash.
macro_rules! note {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `eprint!` that never panics.
macro_rules! note_raw {
    ($($arg:tt)*) => {{
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

const EXAMPLES: &str = "\
Examples:
  cargo run -- emit                          write every chart and manifest into charts-out/
  cargo run -- emit --check                  fail with a diff when charts-out/ is stale (CI)
  cargo run -- emit --out deploy --delete-foreign
                                             also delete files emit did not write from the
                                             folders it generates (default: refuse and list them)
  cargo run -- check                         emit's checks alone, every environment; writes nothing
  cargo run -- check --app backbone --values prod.yaml
                                             check the objects those values render
  cargo run -- emit --app backbone --stdout --values prod.yaml --set api.enabled=true
                                             print the manifests for those values, write nothing
  cargo run -- emit --app dbbat --stdout -f prod.yaml \\
      --set-string image.tag=20161216 -s templates/deployment.yaml
                                             one template's objects, with an all-digit tag as a string
  cargo run -- list                          applications and their environments
  cargo run -- values --app backbone         the default values.yaml
  cargo run -- schema --app backbone         values.schema.json
  cargo run -- upgrade-check                 will installed releases upgrade? are versions bumped?
  cargo run -- package --out dist            reproducible .tgz charts for helm push
  cargo run -- compare --app backbone -f prod.yaml
                                             helm template against emit, object by object
  cargo run -- new payments --out ..         a team's own crate to start from";

/// The applications a binary is built with, in the order `emit` and `list` show them.
pub type Apps = fn() -> Vec<Box<dyn Application>>;

/// No commands of a binary's own (for [`main_with`]).
#[derive(Clone, Copy, Debug, Subcommand)]
pub enum NoCommands {}

#[derive(Parser)]
#[command(name = "kforge", version, about = "Emit Kubernetes manifests and Helm charts from typed Rust definitions", after_help = EXAMPLES)]
struct Cli<E: Subcommand> {
    #[command(subcommand)]
    command: Command<E>,
}

#[derive(Subcommand)]
enum Command<E: Subcommand> {
    /// Render applications: charts to <out>/charts/<app>/, manifests to <out>/manifests/<app>/<env>/,
    /// Argo CD and Flux definitions of each environment to <out>/gitops/<app>/<env>/
    // Boxed: emit's flags make it the largest command by far.
    #[command(after_help = EXAMPLES)]
    Emit(Box<EmitArgs>),
    /// Check what emit would write, and write nothing: references between objects, names and
    /// labels, the restricted Pod Security Standard, no secret in a committed environment
    /// (emit runs the same check and writes nothing when it finds a problem)
    #[command(after_help = EXAMPLES)]
    Check(CheckArgs),
    /// Draw the objects one application renders for its values and how they connect (selects,
    /// mounts, reads, routes to, runs before, ...), grouped by component, as Mermaid or DOT
    #[command(after_help = GRAPH_EXAMPLES)]
    Graph(GraphArgs),
    /// List the applications and their environments
    List,
    /// Print an application's default values.yaml
    Values(AppArg),
    /// Print an application's values.schema.json
    Schema(AppArg),
    /// Compare what emit writes now with what a git revision committed under charts-out: fields
    /// an installed release cannot change, data left behind, values files no longer accepted,
    /// and whether each chart's version grew enough (exit 1 on a problem)
    #[command(after_help = UPGRADE_EXAMPLES)]
    UpgradeCheck(UpgradeArgs),
    /// Package charts as .tgz files for `helm install`, `helm push` and chart repositories, the
    /// same bytes on every run
    #[command(after_help = PACKAGE_EXAMPLES)]
    Package(PackageArgs),
    /// Render an application's chart with `helm template` and its manifests with emit, for the
    /// same values and release, and compare them object by object as the contract does (exit 1
    /// on a difference, 2 when Helm or the flags fail)
    #[command(after_help = COMPARE_EXAMPLES)]
    Compare(CompareArgs),
    /// Start a team's own crate: Cargo.toml, an application in src/main.rs with a Deployment, a
    /// Service and typed values, a values file per environment, and a test
    #[command(after_help = NEW_EXAMPLES)]
    New(NewArgs),
    /// Custom resource definitions: `crd import` writes Rust types and a builder for each
    /// CRD's kind, to use in an application like a built-in kind
    #[command(subcommand)]
    Crd(CrdCommand),
    #[command(flatten)]
    Extra(E),
}

#[derive(Subcommand)]
enum CrdCommand {
    /// Write a Rust module per CRD into --out: serde types of every served version (the
    /// renderer lowers each rendered object through them, so a field of the wrong type or
    /// unknown to the CRD fails emit), a builder implementing Build, the CRD kept beside them
    /// (the check validates rendered objects against its schema and CEL rules), and a mod.rs
    #[command(after_help = CRD_EXAMPLES)]
    Import(CrdImportArgs),
}

#[derive(Args)]
struct CrdImportArgs {
    /// CRD files (YAML, one or more CustomResourceDefinitions each, apiextensions.k8s.io/v1)
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The folder of the team's crate to write into (src/crds, then `mod crds;` in main.rs)
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Import only this version (repeat for more); default: every served version
    #[arg(long = "version", value_name = "VERSION")]
    versions: Vec<String>,
    /// Write nothing; fail when a file in --out differs from what the import would write (CI)
    #[arg(long)]
    check: bool,
    /// Leave DIR/mod.rs alone (a folder whose mod.rs is the team's own: add `pub mod <kind>;`
    /// lines to it by hand)
    #[arg(long)]
    no_mod: bool,
    /// The path of the kforge DSL crate in the generated code, as the team's Cargo.toml names it
    #[arg(long, value_name = "CRATE", default_value = "kforge")]
    dsl_crate: String,
}

const CRD_EXAMPLES: &str = "\
Examples:
  cargo run -- crd import crds/cert-manager.io_certificates.yaml --out src/crds
                                  then `mod crds;` and crds::certificate::v1::Certificate
  cargo run -- crd import crds/*.yaml --out src/crds --check
                                  fail when the generated files are stale (CI)
  cargo run -- crd import tcproutes.yaml --version v1 --out src/crds";

const GRAPH_EXAMPLES: &str = "\
Objects referenced but made outside the chart (a Secret the operator creates) are drawn dashed.
Mermaid renders in GitHub and most Git hosts' Markdown; DOT in Graphviz.

Examples:
  cargo run -- graph --app aeterna -f crates/apps/src/aeterna/values-production.yaml
  cargo run -- graph --app dbbat -f crates/apps/src/dbbat/values-production.yaml --format dot | dot -Tsvg > dbbat.svg";

const UPGRADE_EXAMPLES: &str = "\
Without --base each chart is compared with the commit that introduced its previous version (or,
for a chart whose version never changed, the commit that added it), so that everything since the
last release must fit the new version. The rules: the book, docs/src/upgrades.md.

Examples:
  cargo run -- upgrade-check                       every chart against its previous release
  cargo run -- upgrade-check --base main~3         every chart against one revision
  cargo run -- upgrade-check --app backbone --base v1.4.0";

const PACKAGE_EXAMPLES: &str = "\
Examples:
  cargo run -- package --out dist                              every chart, as committed
  cargo run -- package --app dbbat --out dist --version 1.2.0 --app-version 1.2.0
  helm push dist/dbbat-1.2.0.tgz oci://ghcr.io/OWNER/charts";

const COMPARE_EXAMPLES: &str = "\
By default the chart is the one this binary emits for --app, written to a temporary folder (so
the comparison does not depend on where it runs or on a stale charts-out); --chart renders
another folder, such as the committed charts-out/charts/<app> or a copy you edited. Helm's
bookkeeping labels, checksum/* and helm.sh/hook* annotations are left out, and a number equals
its decimal string (README, \"The contract\"). Values that both refuse, Helm's own check with
emit's message, agree.
Exit 0: they agree; 1: a difference (listed by object and field, both values shown); 2: a flag,
file or Helm error.

Examples:
  cargo run -- compare --app backbone                      the defaults, with the helm on PATH
  cargo run -- compare --app dbbat -f crates/apps/src/dbbat/values-production.yaml \\
      --release db --namespace prod --helm .tools/bin/helm3
  cargo run -- compare --app backbone --chart charts-out/charts/backbone --set api.enabled=true";

const NEW_EXAMPLES: &str = "\
Run from a kforge checkout, the crate depends on this checkout's crates by path (its Cargo.toml
shows the registry form for a release) and shares kforge's compiled dependencies when built with
CARGO_TARGET_DIR=<checkout>/target. Nothing is written when NAME is not a valid name or DIR/NAME
exists and is not empty.

Examples:
  cargo run -- new payments --out ..       then: cd ../payments && cargo run -- emit
  kforge new web-shop                      ./web-shop
  (in the crate) cargo run -- compare --app web-shop -f src/values-production.yaml";

#[derive(Args)]
struct CompareArgs {
    /// The application
    #[arg(long, value_name = "NAME")]
    app: String,
    /// The chart folder Helm renders [default: the chart this binary emits for --app, in a
    /// temporary folder]
    #[arg(long, value_name = "DIR")]
    chart: Option<PathBuf>,
    /// The helm binary (Helm 3 or 4) [default: helm on PATH]
    #[arg(long, value_name = "PATH")]
    helm: Option<PathBuf>,
    #[command(flatten, next_help_heading = "The values and release both render (as helm template and emit --stdout take them)")]
    render: ValuesArgs,
}

#[derive(Args)]
struct NewArgs {
    /// The crate's name, also its binary's, application's and chart's: a DNS-1123 label of at most
    /// 53 characters (lowercase letters, digits and '-', starting with a letter)
    #[arg(value_name = "NAME")]
    name: String,
    /// The existing folder to create the crate in, as DIR/NAME
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
}

#[derive(Args)]
struct UpgradeArgs {
    /// Only these applications (repeatable); default: all
    #[arg(long = "app", value_name = "NAME")]
    apps: Vec<String>,
    /// The git revision to compare with (a commit, branch or tag); default: each chart's previous release
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// The committed output directory, inside the git repository
    #[arg(long, value_name = "DIR", default_value = "charts-out")]
    out: PathBuf,
}

#[derive(Args)]
struct PackageArgs {
    /// Only these applications (repeatable); default: all
    #[arg(long = "app", value_name = "NAME")]
    apps: Vec<String>,
    /// Directory for the .tgz files (created when missing; only files kforge wrote are replaced)
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The chart version to write into Chart.yaml (SemVer 2); needs exactly one --app
    #[arg(long, value_name = "VERSION")]
    version: Option<String>,
    /// The application version to write into Chart.yaml (the default image tag); needs exactly one --app
    #[arg(long, value_name = "VERSION")]
    app_version: Option<String>,
}

#[derive(Args)]
struct AppArg {
    /// The application
    #[arg(long, value_name = "NAME")]
    app: String,
}

/// The values and release one application is rendered with: `emit --stdout` and
/// `check --values` take the same flags, with Helm's meaning (`helm template`): the files in
/// order, then --set-json, --set, --set-string, --set-file and --set-literal, each kind in the
/// order given, whatever their order on the command line.
#[derive(Args)]
struct ValuesArgs {
    /// Values file merged over the defaults; `-` reads standard input (repeatable, later files win)
    #[arg(long = "values", short = 'f', value_name = "FILE")]
    values: Vec<PathBuf>,
    /// Set values: path=value[,path=value], path keys joined by '.', list indices as [0], {a,b} a list,
    /// a backslash escapes the next character; true/false/null (any case) and integers without a
    /// leading zero are typed, anything else is a string (repeatable). After the files, the set flags
    /// apply in Helm's order whatever their order here: --set-json, --set, --set-string, --set-file, --set-literal
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Like --set, but every value is a string (`image.tag=20161216`)
    #[arg(long = "set-string", value_name = "PATH=VALUE")]
    set_string: Vec<String>,
    /// Like --set, but every value is JSON (`resources={"limits":{"cpu":"1"}}`); a whole JSON object sets its keys
    #[arg(long = "set-json", value_name = "PATH=JSON")]
    set_json: Vec<String>,
    /// Like --set, but every value is the text of a file (`-` reads standard input)
    #[arg(long = "set-file", value_name = "PATH=FILE")]
    set_file: Vec<String>,
    /// One value, everything after the first '=' as a string, commas and backslashes included
    #[arg(long = "set-literal", value_name = "PATH=VALUE")]
    set_literal: Vec<String>,
    /// Release name, as in `helm install NAME` (default: the application name)
    #[arg(long, value_name = "NAME")]
    release: Option<String>,
    /// Namespace of the release (default: "default")
    #[arg(long, short = 'n', value_name = "NS")]
    namespace: Option<String>,
}

impl ValuesArgs {
    /// No values, --set (of any kind), release or namespace given.
    fn is_empty(&self) -> bool {
        self.values.is_empty() && self.set_args().is_empty() && self.release.is_none() && self.namespace.is_none()
    }

    /// Every --set argument with its flag, in Helm's order of kinds.
    fn set_args(&self) -> Vec<(SetFlag, &str)> {
        let kinds = [
            (SetFlag::Json, &self.set_json),
            (SetFlag::Set, &self.set),
            (SetFlag::String, &self.set_string),
            (SetFlag::File, &self.set_file),
            (SetFlag::Literal, &self.set_literal),
        ];
        kinds.into_iter().flat_map(|(flag, args)| args.iter().map(move |a| (flag, a.as_str()))).collect()
    }
}

#[derive(Args)]
struct GraphArgs {
    /// The application
    #[arg(long = "app", value_name = "NAME", required = true)]
    apps: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value = "mermaid")]
    format: GraphFormat,
    #[command(flatten, next_help_heading = "The values and release to draw (default: the chart's defaults)")]
    render: ValuesArgs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum GraphFormat {
    /// A Mermaid flowchart (Markdown)
    Mermaid,
    /// Graphviz DOT
    Dot,
}

#[derive(Args)]
struct CheckArgs {
    /// Only these applications (repeatable); default: all
    #[arg(long = "app", value_name = "NAME")]
    apps: Vec<String>,
    #[command(flatten, next_help_heading = "Check these values instead of the committed environments (one --app)")]
    render: ValuesArgs,
}

#[derive(Args)]
struct EmitArgs {
    /// Only these applications (repeatable); default: all
    #[arg(long = "app", value_name = "NAME")]
    apps: Vec<String>,
    /// Output directory
    #[arg(long, value_name = "DIR", default_value = "charts-out", conflicts_with = "stdout")]
    out: PathBuf,
    /// Print the manifests for the given values as one YAML stream and write nothing (needs exactly one --app)
    #[arg(long, conflicts_with = "check")]
    stdout: bool,
    /// Write nothing; exit 1 with a unified diff when <out> is not what emit would write, or
    /// holds files emit did not write in the folders it generates
    #[arg(long)]
    check: bool,
    /// Delete files and folders that emit did not write from the folders it generates
    /// (<out>/charts/<app>/, <out>/manifests/<app>/, <out>/gitops/<app>/); without it emit refuses, lists them and
    /// writes nothing. Other folders of <out> are never touched
    #[arg(long, conflicts_with_all = ["check", "stdout"])]
    delete_foreign: bool,
    /// With --stdout: only the objects of templates matching this path, as Helm's
    /// --show-only (repeatable; `templates/deployment.yaml`, or a glob such as `templates/*.yaml`)
    #[arg(long = "show-only", short = 's', value_name = "TEMPLATE", requires = "stdout")]
    show_only: Vec<String>,
    #[command(flatten, next_help_heading = "Where the GitOps definitions (<out>/gitops/<app>/<env>/) find the output")]
    gitops: GitOpsArgs,
    // Last: the heading applies to the flags after it.
    #[command(flatten, next_help_heading = "With --stdout: the values and release to render (one --app)")]
    render: ValuesArgs,
}

#[derive(Args)]
struct GitOpsArgs {
    /// The Git repository <out> is committed to, as Argo CD and Flux clone it
    #[arg(long, value_name = "URL", env = "KFORGE_REPO_URL", default_value = output::gitops::PLACEHOLDER_REPO)]
    repo_url: String,
    /// The branch of that repository the engines follow
    #[arg(long, value_name = "BRANCH", env = "KFORGE_REPO_REVISION", default_value = "main")]
    repo_revision: String,
    /// <out> as a path inside that repository [default: --out when it is a relative path, else
    /// charts-out]
    #[arg(long, value_name = "PATH", env = "KFORGE_REPO_PATH")]
    repo_path: Option<String>,
    /// The name of the Flux GitRepository of that repository in flux-system, which every Flux
    /// Kustomization and HelmRelease from Git refers to [default: the repository's last path
    /// element and 8 hexadecimal digits of the SHA-256 of --repo-url, such as deploy-1a2b3c4d]
    #[arg(long, value_name = "NAME", env = "KFORGE_REPO_SOURCE_NAME")]
    repo_source_name: Option<String>,
    /// A Secret in flux-system that Flux clones the repository with (GitRepository
    /// spec.secretRef): username and password, or bearerToken, for https; identity and
    /// known_hosts for ssh. Argo CD finds credentials by the URL instead (see the book, docs/src/gitops.md)
    #[arg(long, value_name = "NAME", env = "KFORGE_REPO_SECRET")]
    repo_secret: Option<String>,
    /// The OCI repository the charts are pushed to (`helm push CHART.tgz <URL>`)
    #[arg(long, value_name = "URL", env = "KFORGE_CHART_REGISTRY", default_value = output::gitops::PLACEHOLDER_REGISTRY)]
    chart_registry: String,
    /// A Secret of type kubernetes.io/dockerconfigjson in flux-system that Flux logs in to the
    /// chart registry with (OCIRepository spec.secretRef)
    #[arg(long, value_name = "NAME", env = "KFORGE_CHART_REGISTRY_SECRET")]
    chart_registry_secret: Option<String>,
}

/// `name` when it is a valid name for an object in flux-system, else the error for `flag`.
/// Kubernetes takes a DNS-1123 subdomain as the name of a Secret or a custom resource; a name it
/// refuses would fail only at `kubectl apply`, or when Flux looks for the Secret, so emit
/// refuses it first.
fn flux_object_name(flag: &str, what: &str, name: &str) -> Result<String, String> {
    if kforge::rules::dns_subdomain(name) {
        return Ok(name.to_string());
    }
    Err(format!(
        "{flag} {name:?}: expected the name of {what} in flux-system, a DNS-1123 subdomain: at most 253 characters, lowercase letters, digits, '-' and '.', \
         each part between dots starting and ending with a letter or digit"
    ))
}

impl GitOpsArgs {
    /// The settings for output folder `out`, which is also the path in the repository unless
    /// `--repo-path` says otherwise.
    fn settings(&self, out: &std::path::Path) -> Result<output::gitops::Settings, String> {
        let (flag, given) = match (&self.repo_path, out.to_str()) {
            (Some(p), _) => ("--repo-path", p.clone()),
            (None, Some(o)) if out.is_relative() => ("--out", o.to_string()),
            _ => ("--repo-path", "charts-out".to_string()),
        };
        // `a/./b/../c` is `a/c`; a path that climbs out of the repository has no place in it.
        let mut parts: Vec<&str> = Vec::new();
        let mut escapes = given.starts_with('/');
        for part in given.split('/').filter(|p| !p.is_empty() && *p != ".") {
            if part == ".." {
                escapes |= parts.pop().is_none();
            } else {
                parts.push(part);
            }
        }
        let path = parts.join("/");
        if escapes || path.is_empty() {
            return Err(match flag {
                "--out" => format!(
                    "--out {given:?} is not below the folder emit runs in, so the GitOps definitions cannot name its path in the repository: \
                     run emit from the repository's root, or give --repo-path"
                ),
                _ => format!("--repo-path {given:?}: expected a relative path inside the repository (charts-out)"),
            });
        }
        let url = self.repo_url.trim();
        if let Some((user_host, repo)) = url.split_once(':').filter(|(h, _)| h.contains('@') && !h.contains('/')) {
            return Err(format!("--repo-url {url:?}: Flux takes http, https or ssh URLs; write this one as ssh://{user_host}/{}", repo.trim_start_matches('/')));
        }
        let Some(authority) = ["https://", "http://", "ssh://"].iter().find_map(|s| url.strip_prefix(s)).filter(|_| !url.contains(char::is_whitespace)) else {
            return Err(format!("--repo-url {url:?}: expected the repository's http(s):// or ssh:// URL, as Argo CD and Flux clone it"));
        };
        url_authority("--repo-url", url, authority, "--repo-secret")?;
        let Some(registry) = self.chart_registry.strip_prefix("oci://") else {
            return Err(format!("--chart-registry {:?}: expected an oci:// URL", self.chart_registry));
        };
        url_authority("--chart-registry", &self.chart_registry, registry, "--chart-registry-secret")?;
        oci_registry(&self.chart_registry, registry)?;
        // The placeholder's OWNER is in capitals on purpose: it is to be replaced.
        if self.chart_registry != output::gitops::PLACEHOLDER_REGISTRY && self.chart_registry.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(format!("--chart-registry {:?}: OCI repository names are lowercase (the distribution spec's rule)", self.chart_registry));
        }
        if self.repo_revision.trim().is_empty() || self.repo_revision.contains(char::is_whitespace) {
            return Err(format!("--repo-revision {:?}: expected a branch name", self.repo_revision));
        }
        if !self.chart_registry.starts_with("oci://") {
            return Err(format!("--chart-registry {:?}: expected an oci:// URL", self.chart_registry));
        }
        let source_name = match &self.repo_source_name {
            Some(name) => flux_object_name("--repo-source-name", "a GitRepository", name)?,
            None => output::gitops::source_name(url),
        };
        let secret = |flag: &str, name: &Option<String>| name.as_deref().map(|n| flux_object_name(flag, "a Secret", n)).transpose();
        Ok(output::gitops::Settings {
            repo_url: url.to_string(),
            revision: self.repo_revision.clone(),
            path,
            chart_registry: self.chart_registry.clone(),
            source_name,
            repo_secret: secret("--repo-secret", &self.repo_secret)?,
            chart_registry_secret: secret("--chart-registry-secret", &self.chart_registry_secret)?,
        })
    }
}

/// The host part of a URL after its scheme (`authority` is what follows `scheme://`): there must
/// be one, and no credentials (a password, or a token as the user of an https:// URL), since the
/// URL is committed with the GitOps definitions; they belong in the Secret `secret_flag` names.
fn url_authority(flag: &str, url: &str, authority: &str, secret_flag: &str) -> Result<(), String> {
    let authority = authority.split(['/', '?', '#']).next().unwrap_or_default();
    let (userinfo, host) = authority.rsplit_once('@').map_or(("", authority), |(u, h)| (u, h));
    if host.is_empty() || host.starts_with(':') {
        return Err(format!("{flag} {url:?}: the URL names no host"));
    }
    // ssh:// names a user (`git@`); elsewhere a user part is a token or a password.
    if userinfo.contains(':') || (!userinfo.is_empty() && !url.starts_with("ssh://")) {
        return Err(format!("{flag} {url:?}: the URL holds credentials, which would be committed with charts-out; give them in a Secret ({secret_flag})"));
    }
    Ok(())
}

/// `--chart-registry oci://HOST[:PORT]/PATH` by the grammar of the distribution spec's references
/// (`distribution/reference`): a host of DNS labels (or an IP address in brackets) with an
/// optional port, then repository path components of lowercase letters and digits joined by
/// `.`, `_`, `__` or dashes. Flux and Helm would refuse anything else at the cluster.
fn oci_registry(url: &str, after_scheme: &str) -> Result<(), String> {
    static HOST: std::sync::LazyLock<regex_lite::Regex> = std::sync::LazyLock::new(|| {
        regex_lite::Regex::new(r"^(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:.]+\])(:[0-9]{1,5})?$")
            .expect("valid pattern")
    });
    static COMPONENT: std::sync::LazyLock<regex_lite::Regex> = std::sync::LazyLock::new(|| regex_lite::Regex::new(r"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$").expect("valid pattern"));
    let (host, path) = after_scheme.trim_end_matches('/').split_once('/').unwrap_or((after_scheme.trim_end_matches('/'), ""));
    let port_ok = HOST.captures(host).is_some_and(|c| c.get(5).is_none_or(|p| p.as_str()[1..].parse::<u16>().is_ok_and(|p| p > 0)));
    if !port_ok {
        return Err(format!("--chart-registry {url:?}: {host:?} is not a registry host (DNS labels or an IP address, and an optional port from 1 to 65535)"));
    }
    // The placeholder's OWNER is refused later, with its own message.
    // No path is the registry's root (`oci://localhost:5000`, as `helm push` takes it).
    if let Some(bad) = path.split('/').filter(|_| !path.is_empty()).find(|c| !COMPONENT.is_match(c) && *c != "OWNER") {
        return Err(format!("--chart-registry {url:?}: {bad:?} is not a repository path component (lowercase letters and digits, joined by '.', '_', '__' or '-')"));
    }
    Ok(())
}

/// Parses the command line and runs the command over `apps`: the whole `main` of a binary
/// without commands of its own. Errors are printed as `error: ...` and give exit code 1.
pub fn main(apps: Apps) -> ExitCode {
    main_with::<NoCommands>(apps, |never| match never {})
}

/// [`main`] with a binary's own commands `E` beside the shared ones, run by `extra`.
pub fn main_with<E: Subcommand>(apps: Apps, extra: impl FnOnce(E) -> Result<ExitCode, String>) -> ExitCode {
    let cli = match own_command::<E>(apps) {
        Some(command) => Cli::<E>::from_arg_matches(&command.get_matches()).unwrap_or_else(|e| e.exit()),
        None => Cli::<E>::parse(),
    };
    match run(cli.command, apps, extra) {
        Ok(code) => code,
        Err(message) => {
            note!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The file name the binary was run by (`kforge`, `acme-deploy`).
fn program_name() -> Option<String> {
    std::env::args_os().next().and_then(|a| std::path::Path::new(&a).file_name().map(|f| f.to_string_lossy().into_owned()))
}

/// The command line of a team's own binary (not named `kforge`): its own name, kforge's version
/// as what it is built with, and examples over its own first application instead of this
/// repository's. `None` for kforge itself.
fn own_command<E: Subcommand>(apps: Apps) -> Option<clap::Command> {
    let bin = program_name()?;
    if bin == "kforge" {
        return None;
    }
    let app = apps().first().map_or_else(|| "APP".to_string(), |a| a.chart().name.clone());
    let examples = format!(
        "Examples:
  {bin} emit                    write every chart and manifest into charts-out/
  {bin} emit --check            fail with a diff when charts-out/ is stale (CI)
  {bin} check                   emit's checks alone, every environment; writes nothing
  {bin} emit --app {app} --stdout -f values.yaml --set replicaCount=2
                                print the manifests for those values, write nothing
  {bin} graph --app {app}       the objects and what connects them, as Mermaid
  {bin} compare --app {app} -f values.yaml
                                helm template against emit, object by object
  {bin} list                    applications and their environments"
    );
    // clap keeps names and versions for the whole run: one small leak, once.
    let name: &'static str = Box::leak(bin.clone().into_boxed_str());
    let version: &'static str = Box::leak(format!("(built with kforge {})", env!("CARGO_PKG_VERSION")).into_boxed_str());
    let mut command = Cli::<E>::command().name(name).bin_name(name).version(version).after_help(examples.clone());
    for sub in ["emit", "check", "graph"] {
        command = command.mut_subcommand(sub, |c| c.after_help(examples.clone()));
    }
    // compare's notes stay; its examples are over this binary's application.
    let notes = COMPARE_EXAMPLES.split("\n\nExamples:").next().unwrap_or_default();
    let compare = format!(
        "{notes}\n\nExamples:\n  {bin} compare --app {app}              the defaults, with the helm on PATH\n  {bin} compare --app {app} -f values.yaml --helm /usr/local/bin/helm3"
    );
    command = command.mut_subcommand("compare", |c| c.after_help(compare));
    Some(command)
}

fn select(apps: Apps, names: &[String]) -> Result<Vec<Box<dyn Application>>, String> {
    if names.is_empty() {
        return Ok(apps());
    }
    let known: Vec<String> = apps().iter().map(|a| a.chart().name.clone()).collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for name in names {
        let app = apps().into_iter().find(|a| a.chart().name == *name).ok_or_else(|| format!("unknown application {name:?}; known: {}", known.join(", ")))?;
        if seen.insert(name.clone()) {
            out.push(app);
        }
    }
    Ok(out)
}

fn one(apps: Apps, name: &str) -> Result<Box<dyn Application>, String> {
    select(apps, &[name.to_string()]).map(|mut v| v.remove(0))
}

fn print(text: &str) -> Result<ExitCode, String> {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = stdout.write_all(text.as_bytes());
    Ok(ExitCode::SUCCESS)
}

fn run<E: Subcommand>(command: Command<E>, apps: Apps, extra: impl FnOnce(E) -> Result<ExitCode, String>) -> Result<ExitCode, String> {
    match command {
        Command::List => {
            let mut text = String::new();
            for app in apps() {
                let default = app.needs_values().is_none().then_some("default");
                let envs: Vec<&str> = default.into_iter().chain(app.environments().iter().map(|e| e.name)).collect();
                text.push_str(&format!("{}\t{}\t{}\n", app.chart().name, envs.join(","), app.source()));
            }
            print(&text)
        }
        Command::Values(a) => {
            let app = one(apps, &a.app)?;
            let files = render::chart_files(app.as_ref(), &app.model()).map_err(|e| e.to_string())?;
            print(&files["values.yaml"])
        }
        Command::Schema(a) => {
            // The chart's own file: the schema, with what the objects say of some settings.
            let app = one(apps, &a.app)?;
            let files = render::chart_files(app.as_ref(), &app.model()).map_err(|e| e.to_string())?;
            print(&files["values.schema.json"])
        }
        Command::Check(args) => check(apps, &args),
        Command::Graph(args) => graph(apps, &args),
        Command::Extra(e) => extra(e),
        Command::UpgradeCheck(args) => upgrade_check(apps, &args),
        Command::Package(args) => package(apps, &args),
        Command::Crd(CrdCommand::Import(args)) => crd_import(&args),
        Command::Compare(args) => compare_command(apps, &args),
        Command::New(args) => {
            let dir = scaffold::new(&args.name, &args.out)?;
            note!("created {}; build it with: cd {} && cargo run -- emit", dir.display(), dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Emit(args) if args.stdout => emit_stdout(apps, &args),
        Command::Emit(args) => emit_tree(apps, &args),
    }
}

/// The values of `--values` and `--set` for one application, as `emit --stdout` and `check`
/// read them, with the release and the sources named for messages.
struct Loaded {
    app: Box<dyn Application>,
    values: serde_json::Value,
    release: (String, String),
    sources: String,
}

impl Loaded {
    /// Rendering these values failed with `e`: the application, where the values came from, and
    /// for an application that needs values given none, the example environment to start from.
    fn failed(&self, e: impl std::fmt::Display) -> String {
        let name = &self.app.chart().name;
        let mut message = format!("{name} (values from {}): {e}", self.sources);
        if self.sources == "the defaults"
            && self.app.needs_values().is_some()
            && let Some(env) = self.app.environments().first()
        {
            message.push_str(&format!("\n{name} needs values of yours; start from an example environment: -f {}", env.path));
        }
        message
    }
}

/// Reads a values file or a --set-file file as Helm does: `-` is standard input, which only the
/// first reader gets (Helm reads it to the end; a second `-` reads nothing). What it read there
/// is kept, for `compare` to give Helm the same.
#[derive(Default)]
struct Files {
    stdin: Option<String>,
}

impl Files {
    fn read(&mut self, path: &str) -> Result<String, String> {
        if path.trim() == "-" {
            if self.stdin.is_some() {
                return Ok(String::new());
            }
            let text = values::read_capped(std::io::stdin().lock()).map_err(|e| format!("standard input: {e}"))?;
            self.stdin = Some(text.clone());
            return Ok(text);
        }
        if ["http://", "https://", "oci://"].iter().any(|scheme| path.starts_with(scheme)) {
            return Err("a remote file: download it and give its local path".into());
        }
        values::read_capped(fs::File::open(path).map_err(|e| e.to_string())?)
    }
}

/// The application, the values files' texts and the release of one rendering, before the values
/// are merged and checked: what fails here is the command line's fault (no such application or
/// file, a release name Helm refuses), not the values'.
struct Prepared {
    app: Box<dyn Application>,
    texts: Vec<(String, String)>,
    release: (String, String),
}

fn prepare(registry: Apps, apps: &[String], r: &ValuesArgs, what: &str, reader: &mut Files) -> Result<Prepared, String> {
    let [name] = apps else {
        return Err(format!("{what} renders one application: give exactly one --app"));
    };
    let app = one(registry, name)?;
    let texts: Vec<(String, String)> = r
        .values
        .iter()
        .map(|p| {
            let path = p.display().to_string();
            let shown = if path.trim() == "-" { "standard input (-f -)".to_string() } else { path.clone() };
            reader.read(&path).map(|t| (shown.clone(), t)).map_err(|e| format!("{shown}: cannot read: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let release_name = r.release.clone().unwrap_or_else(|| app.chart().name.clone());
    let namespace = r.namespace.clone().unwrap_or_else(|| "default".to_string());
    Release { name: &release_name, namespace: &namespace }.validate()?;
    Ok(Prepared { app, texts, release: (release_name, namespace) })
}

/// The values of `p` with the --set flags of `r`, merged and checked as Helm does.
fn values_of(p: Prepared, r: &ValuesArgs, reader: &mut Files) -> Result<Loaded, String> {
    let Prepared { app, texts, release } = p;
    let set = r.set_args();
    let mut layers: Vec<Layer> = texts.iter().map(|(name, text)| Layer::File { name, text }).collect();
    layers.extend(set.iter().map(|&(flag, arg)| Layer::Set { flag, arg }));
    let values = values::load_reading(&app.defaults(), &layers, &|t| app.validate(t), &mut |p| reader.read(p)).map_err(|e| e.to_string())?;
    // A rule across settings cannot point at one file: name them all, in merge order.
    let mut sources: Vec<&str> = texts.iter().map(|(name, _)| name.as_str()).collect();
    for (flag, _) in &set {
        if !sources.contains(&flag.name()) {
            sources.push(flag.name());
        }
    }
    let sources = if sources.is_empty() { "the defaults".to_string() } else { sources.join(", ") };
    Ok(Loaded { app, values, release, sources })
}

fn load(registry: Apps, apps: &[String], r: &ValuesArgs, what: &str) -> Result<Loaded, String> {
    let mut reader = Files::default();
    let prepared = prepare(registry, apps, r, what, &mut reader)?;
    values_of(prepared, r, &mut reader)
}

/// Exit code 2: the flags, a file or Helm failed, so nothing was compared.
const USAGE: u8 = 2;

/// `kforge compare`: exit 0 when the renderers agree (or both refuse the values alike), 1 on a
/// difference, 2 when nothing could be compared.
fn compare_command(apps: Apps, args: &CompareArgs) -> Result<ExitCode, String> {
    match compare_run(apps, args) {
        Ok(agree) => Ok(if agree { ExitCode::SUCCESS } else { ExitCode::FAILURE }),
        Err(message) => {
            note!("error: {message}");
            Ok(ExitCode::from(USAGE))
        }
    }
}

/// The helm binary: `--helm`, else `helm` in a folder of PATH.
fn find_helm(given: Option<&std::path::Path>) -> Result<PathBuf, String> {
    if let Some(path) = given {
        return if path.is_file() { Ok(path.to_path_buf()) } else { Err(format!("--helm {}: no such file; give the path of a helm binary (Helm 3 or 4)", path.display())) };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("helm"))
        .find(|p| is_executable(p))
        .ok_or_else(|| "helm is not on PATH: install Helm 3 or 4 (https://helm.sh/docs/intro/install/), or give its path with --helm".to_string())
}

fn is_executable(path: &std::path::Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// Runs `helm` with `args`, `stdin` on its standard input (what `-f -` or `--set-file k=-` read).
fn run_helm(helm: &std::path::Path, args: &[std::ffi::OsString], stdin: Option<&str>) -> Result<std::process::Output, String> {
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(helm);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = cmd.spawn().map_err(|e| format!("cannot run {}: {e}", helm.display()))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // Helm may stop reading early (an error before it reads): a closed pipe is its answer.
        let _ = pipe.write_all(text.as_bytes());
    }
    child.wait_with_output().map_err(|e| format!("cannot run {}: {e}", helm.display()))
}

/// Both sides of `compare`; `Ok(true)` when they agree, `Ok(false)` on a difference (reported),
/// `Err` when nothing could be compared.
fn compare_run(apps: Apps, args: &CompareArgs) -> Result<bool, String> {
    let helm = find_helm(args.helm.as_deref())?;
    let version = run_helm(&helm, &["version".into(), "--short".into()], None)?;
    if !version.status.success() {
        return Err(format!("{} version failed: {}", helm.display(), String::from_utf8_lossy(&version.stderr).trim()));
    }
    let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
    let mut reader = Files::default();
    let prepared = prepare(apps, std::slice::from_ref(&args.app), &args.render, "compare", &mut reader)?;
    let (release, namespace) = prepared.release.clone();
    let chart_name = prepared.app.chart().name.clone();

    // The chart: a folder given, or the one emit writes, in a temporary folder.
    let tmp;
    let chart = match &args.chart {
        Some(dir) => {
            if !dir.join("Chart.yaml").is_file() {
                return Err(format!("--chart {}: no Chart.yaml there; give a chart folder such as charts-out/charts/{chart_name}", dir.display()));
            }
            dir.clone()
        }
        None => {
            let app = prepared.app.as_ref();
            let files = render::chart_files(app, &app.model()).map_err(|e| format!("{chart_name}: the chart does not render: {e}"))?;
            tmp = tempfile::tempdir().map_err(|e| format!("cannot make a temporary folder for the chart: {e}"))?;
            let dir = tmp.path().join(&chart_name);
            for (path, text) in &files {
                let file = dir.join(path);
                let parent = file.parent().unwrap_or(&dir);
                fs::create_dir_all(parent).and_then(|()| fs::write(&file, text)).map_err(|e| format!("{}: {e}", file.display()))?;
            }
            dir
        }
    };

    // emit's side: what `emit --stdout` prints, or why it refuses.
    let ours = values_of(prepared, &args.render, &mut reader).and_then(|l| emit_objects(&l).map(|objects| (objects, l.sources)));

    // Helm's side, with the same flags in Helm's order of kinds (it applies them so anyway).
    // `--flag=value`, so that a value starting with '-' stays a value; a relative chart path as
    // `./path`, never an option.
    let chart = if chart.is_relative() { std::path::Path::new(".").join(&chart) } else { chart };
    let mut helm_args: Vec<std::ffi::OsString> = vec!["template".into(), release.clone().into(), chart.into_os_string(), format!("--namespace={namespace}").into()];
    for f in &args.render.values {
        let mut arg = std::ffi::OsString::from("--values=");
        arg.push(f);
        helm_args.push(arg);
    }
    for (flag, arg) in args.render.set_args() {
        helm_args.push(format!("{}={arg}", flag.name()).into());
    }
    let theirs = run_helm(&helm, &helm_args, reader.stdin.as_deref())?;
    let helm_stderr = String::from_utf8_lossy(&theirs.stderr).trim().to_string();
    // A refusal of the chart: its own `fail` (the rules emit checks too), or its values.schema.json.
    let refused = |stderr: &str| stderr.contains("execution error at") || stderr.contains("values don't meet the specifications of the schema");
    let what = format!("{chart_name}, release {release} in namespace {namespace}, {} ({version})", helm.display());
    // Messages of several lines, indented under their `helm:` or `emit:`.
    let helm_stderr = helm_stderr.lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n        ");
    let indent = |m: &str| m.replace('\n', "\n        ");
    match (theirs.status.success(), ours) {
        (true, Ok((objects, sources))) => {
            let stream = String::from_utf8_lossy(&theirs.stdout);
            let helm_objects = compare::parse_stream("helm template's output", &stream)?;
            let emit_objects: Vec<serde_json::Value> = objects.into_iter().map(|o| o.value).collect();
            let c = compare::compare_objects(helm_objects, emit_objects)?;
            if c.agrees() {
                print(&format!("helm template and emit agree on {} object(s): {what}, values from {sources}\n", c.agreeing))?;
                return Ok(true);
            }
            print(&c.report())?;
            let differing = c.only_helm().len() + c.only_emit().len() + c.differing.len();
            note!("error: {differing} object(s) differ between helm template and emit ({what}, values from {sources}); {} agree", c.agreeing);
            Ok(false)
        }
        (false, Err(emit_error)) if refused(&helm_stderr) => {
            // The contract: a refusal of the chart's `fail` carries emit's message.
            let first = emit_error.lines().next().unwrap_or_default();
            let message = first.split_once(": ").map_or(first, |(_, m)| m);
            if helm_stderr.contains("execution error") && !helm_stderr.contains(message) {
                print(&format!("both refuse these values, with different messages:\n  helm: {helm_stderr}\n  emit: {}\n", indent(&emit_error)))?;
                note!("error: helm template and emit refuse the values with different messages ({what})");
                return Ok(false);
            }
            print(&format!("helm template and emit both refuse these values ({what}):\n  helm: {helm_stderr}\n  emit: {}\n", indent(&emit_error)))?;
            Ok(true)
        }
        (false, ours) if refused(&helm_stderr) => {
            let n = ours.map(|(o, _)| o.len()).unwrap_or_default();
            print(&format!("helm template refuses these values, emit renders {n} object(s):\n  helm: {helm_stderr}\n"))?;
            note!("error: helm template refuses what emit renders ({what})");
            Ok(false)
        }
        (false, _) => Err(format!("{} template failed ({what}):\n{helm_stderr}", helm.display())),
        (true, Err(emit_error)) => {
            let n = compare::parse_stream("helm template's output", &String::from_utf8_lossy(&theirs.stdout)).map(|o| o.len()).unwrap_or_default();
            print(&format!("emit refuses these values, helm template renders {n} object(s):\n  emit: {}\n", indent(&emit_error)))?;
            note!("error: emit refuses what helm template renders ({what})");
            Ok(false)
        }
    }
}

fn upgrade_check(apps: Apps, args: &UpgradeArgs) -> Result<ExitCode, String> {
    let apps = select(apps, &args.apps)?;
    let apps: Vec<&dyn Application> = apps.iter().map(|a| a.as_ref()).collect();
    if !args.out.is_dir() {
        return Err(format!("--out {}: no such directory; give the committed output directory (default charts-out)", args.out.display()));
    }
    let (repo, out_dir) = release::git::locate(&args.out)?;
    // The upgrade check reads the charts and manifests, not where the GitOps definitions point.
    let (tree, _) = output::render_all(&apps, &args.out, false, &output::gitops::Settings::default()).map_err(|e| e.to_string())?;
    let mut failed = 0;
    let mut text = String::new();
    for app in &apps {
        let report = release::upgrade::check(&repo, &out_dir, *app, &tree, args.base.as_deref())?;
        failed += usize::from(!report.problems.is_empty());
        text.push_str(&report.to_string());
    }
    // The report on standard output (for a file or a pager), the verdict on standard error.
    print(&text)?;
    if failed > 0 {
        note!("error: {failed} chart(s) would not upgrade cleanly or need another version; see above");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn crd_import(args: &CrdImportArgs) -> Result<ExitCode, String> {
    let planned = crd_import::plan(&args.files, &args.out, &args.versions, &args.dsl_crate, args.no_mod)?;
    if args.check {
        let stale = crd_import::stale(&args.out, &planned);
        for s in &stale {
            note!("{s}");
        }
        if !stale.is_empty() {
            note!("error: {} file(s) in {} are not what `crd import` writes; run the same command without --check", stale.len(), args.out.display());
            return Ok(ExitCode::FAILURE);
        }
        note!("{} is up to date", args.out.display());
        return Ok(ExitCode::SUCCESS);
    }
    let written = crd_import::write(&args.out, &planned)?;
    for path in &written {
        note!("wrote {}", path.display());
    }
    if written.is_empty() {
        note!("{} is up to date", args.out.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn package(apps: Apps, args: &PackageArgs) -> Result<ExitCode, String> {
    if (args.version.is_some() || args.app_version.is_some()) && args.apps.len() != 1 {
        return Err("--version and --app-version set one chart's Chart.yaml: give exactly one --app".into());
    }
    let apps = select(apps, &args.apps)?;
    let packages = apps.iter().map(|a| release::package::package(a.as_ref(), args.version.as_deref(), args.app_version.as_deref())).collect::<Result<Vec<_>, _>>()?;
    for path in release::package::write(&args.out, &packages)? {
        note!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn emit_stdout(apps: Apps, args: &EmitArgs) -> Result<ExitCode, String> {
    let l = load(apps, &args.apps, &args.render, "--stdout")?;
    let objects = emit_objects(&l)?;
    let app = l.app.as_ref();
    let text = if args.show_only.is_empty() {
        render::objects_yaml(app, &objects).map_err(|e| e.to_string())
    } else {
        show_only(objects, &args.show_only).and_then(|shown| render::objects_yaml(app, &shown).map_err(|e| e.to_string()))
    };
    print(&text.map_err(|e| l.failed(e))?)
}

/// What `emit --stdout` prints for these values: the rendered objects, once the check `emit` runs
/// before it writes has passed over every one of them (not only those --show-only prints), its
/// warnings printed. `Err` when rendering fails or the check finds a problem (every finding, one
/// per line after the first, each line but the first starting `error: `).
fn emit_objects(l: &Loaded) -> Result<Vec<render::Rendered>, String> {
    let (app, release) = (l.app.as_ref(), Release { name: &l.release.0, namespace: &l.release.1 });
    let name = app.chart().name.clone();
    let model = app.model();
    let (objects, external) = render::render_environment(app, &model, &l.values, release).map_err(|e| l.failed(e))?;
    let values: Vec<serde_json::Value> = objects.iter().map(|o| o.value.clone()).collect();
    let crds = model.crds();
    let env = kforge::check::Environment { app: &name, environment: &l.sources, objects: &values, external: &external, exceptions: app.pss_exceptions(), crds: &crds };
    let report = kforge::check::run(&env);
    for w in &report.warnings {
        note!("warning: {w}");
    }
    if !report.findings.is_empty() {
        let mut lines: Vec<String> = report.findings.iter().map(|f| f.to_string()).collect();
        lines.push(format!("the check found {} problem(s) in what the values from {} render; nothing printed", report.findings.len(), l.sources));
        return Err(lines.join("\nerror: "));
    }
    Ok(objects)
}

/// Helm's `--show-only`: for each pattern in order, the objects whose template path
/// (`templates/<file>`) it matches, as Go's `filepath.Match` matches; a pattern that matches no
/// rendered object is an error, as in `helm template` (a template that renders nothing with these
/// values counts as missing there too).
fn show_only(objects: Vec<kforge::render::Rendered>, patterns: &[String]) -> Result<Vec<kforge::render::Rendered>, String> {
    let mut out = Vec::new();
    for pattern in patterns {
        let before = out.len();
        out.extend(objects.iter().filter(|o| glob(pattern, &format!("templates/{}", o.file))).cloned());
        if out.len() == before {
            return Err(format!("--show-only {pattern}: could not find template {pattern} in chart (or it renders nothing with these values)"));
        }
    }
    Ok(out)
}

/// Go's `filepath.Match` on `/`-separated paths: `*` is any run of characters but `/`, `?` one
/// such character, `[a-z]` and `[^a-z]` a class, a backslash escapes. A malformed pattern
/// matches nothing, as Helm ignores Match's error.
fn glob(pattern: &str, name: &str) -> bool {
    fn class(p: &[char], c: char) -> Option<(bool, usize)> {
        // `p` starts after '['; returns whether `c` is in the class and the length up to ']'.
        let mut i = usize::from(p.first() == Some(&'^'));
        let negated = i == 1;
        let (mut hit, mut first) = (false, true);
        loop {
            let lo = match p.get(i)? {
                ']' if !first => return Some((hit != negated, i + 1)),
                '\\' => {
                    i += 1;
                    *p.get(i)?
                }
                x => *x,
            };
            first = false;
            i += 1;
            let mut hi = lo;
            if p.get(i) == Some(&'-') && p.get(i + 1).is_some_and(|x| *x != ']') {
                hi = if p[i + 1] == '\\' {
                    i += 1;
                    *p.get(i + 1)?
                } else {
                    p[i + 1]
                };
                i += 2;
            }
            hit |= lo <= c && c <= hi;
        }
    }
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.iter().take_while(|c| **c != '/').count()).any(|k| go(&p[1..], &n[k..])),
            Some('?') => n.first().is_some_and(|c| *c != '/') && go(&p[1..], &n[1..]),
            Some('[') => match n.first() {
                Some(&c) if c != '/' => class(&p[1..], c).is_some_and(|(hit, len)| hit && go(&p[1 + len..], &n[1..])),
                _ => false,
            },
            Some('\\') => p.get(1).is_some_and(|x| n.first() == Some(x)) && go(&p[2..], &n[1..]),
            Some(x) => n.first() == Some(x) && go(&p[1..], &n[1..]),
        }
    }
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    go(&p, &n)
}

fn graph(apps: Apps, args: &GraphArgs) -> Result<ExitCode, String> {
    let l = load(apps, &args.apps, &args.render, "graph")?;
    let app = l.app.as_ref();
    let name = app.chart().name.clone();
    let release = Release { name: &l.release.0, namespace: &l.release.1 };
    let title = format!("{name} (values from {})", l.sources);
    let graph = kforge::graph::of_values(app, &app.model(), &l.values, release, &title).map_err(|e| l.failed(e))?;
    print(&match args.format {
        GraphFormat::Mermaid => graph.mermaid(),
        GraphFormat::Dot => graph.dot(),
    })
}

fn check(apps: Apps, args: &CheckArgs) -> Result<ExitCode, String> {
    let (findings, warnings, what) = if args.render.is_empty() {
        let apps = select(apps, &args.apps)?;
        let mut findings = Vec::new();
        let mut warnings = Vec::new();
        let mut environments = 0;
        for app in &apps {
            let rendered = output::render_app(app.as_ref()).map_err(|e| e.to_string())?;
            findings.extend(rendered.findings);
            warnings.extend(rendered.warnings);
            environments += rendered.environments;
        }
        (findings, warnings, format!("{environments} environments of {} application(s)", apps.len()))
    } else {
        let l = load(apps, &args.apps, &args.render, "check with --values or --set")?;
        let app = l.app.as_ref();
        let name = app.chart().name.clone();
        let release = Release { name: &l.release.0, namespace: &l.release.1 };
        let model = app.model();
        let (objects, external) = render::render_environment(app, &model, &l.values, release).map_err(|e| l.failed(e))?;
        let objects: Vec<serde_json::Value> = objects.into_iter().map(|o| o.value).collect();
        let crds = model.crds();
        let env = kforge::check::Environment { app: &name, environment: &l.sources, objects: &objects, external: &external, exceptions: app.pss_exceptions(), crds: &crds };
        let report = kforge::check::run(&env);
        (report.findings, report.warnings, format!("the values from {}", l.sources))
    };
    for w in &warnings {
        note!("warning: {w}");
    }
    if findings.is_empty() {
        note!("checked {what}: no problems");
        return Ok(ExitCode::SUCCESS);
    }
    for f in &findings {
        note!("error: {f}");
    }
    note!("checked {what}: {} problem(s)", findings.len());
    Ok(ExitCode::FAILURE)
}

/// The command line that ran, without `--check`: what writes the output `emit --check` found
/// stale, with the same application, output folder and GitOps flags. The program is named by
/// its file name (`kforge`, or a team's own binary); arguments a shell would split are quoted.
fn this_command_without_check() -> String {
    let args = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned());
    let program = program_name().unwrap_or_else(|| "kforge".into());
    let quoted = |a: &str| {
        if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c)) { a.to_string() } else { format!("'{}'", a.replace('\'', r"'\''")) }
    };
    std::iter::once(program).chain(args.filter(|a| a != "--check").map(|a| quoted(&a))).collect::<Vec<_>>().join(" ")
}

fn emit_tree(apps: Apps, args: &EmitArgs) -> Result<ExitCode, String> {
    if !args.render.is_empty() {
        return Err("the value flags (--values, --set and its family), --release and --namespace go with --stdout; the committed environments are the example values files of each application".into());
    }
    let apps = select(apps, &args.apps)?;
    let apps: Vec<&dyn Application> = apps.iter().map(|a| a.as_ref()).collect();
    let out = &args.out;
    // A full emit also removes what applications that no longer exist left behind.
    let prune = args.apps.is_empty();
    let settings = args.gitops.settings(out)?;
    if args.check {
        let (tree, owned) = output::render_all(&apps, out, prune, &settings).map_err(|e| e.to_string())?;
        let diffs = output::stale_files(out, &tree, &owned).map_err(|e| format!("{}: {e}", out.display()))?;
        if diffs.is_empty() {
            note!("{} is up to date ({} files)", out.display(), tree.len());
            return Ok(ExitCode::SUCCESS);
        }
        print(&diffs.join("\n"))?;
        let foreign = diffs.iter().any(|d| d.lines().next().is_some_and(|l| l.contains("(foreign") || l.contains("(edited since")));
        let fix = if foreign { " after moving the foreign and edited files out of the generated folders (or with --delete-foreign)" } else { "" };
        note!("error: {} file(s) in {} are stale or foreign; run `{}`{fix}", diffs.len(), out.display(), this_command_without_check());
        return Ok(ExitCode::FAILURE);
    }
    let options = output::Options { delete_foreign: args.delete_foreign };
    let report = output::emit(&apps, out, prune, &settings, options).map_err(|e| match &e {
        output::EmitError::Write(w) if !w.output_unchanged() => e.to_string(),
        _ => format!("{e}\nnothing was written to {}", out.display()),
    })?;
    for warning in &report.warnings {
        note!("warning: {warning}");
    }
    note_raw!("{}", summary(&report, &apps, out));
    Ok(ExitCode::SUCCESS)
}

/// One line per application: what emit changed in its folders, so that a run that changed one
/// application says so.
fn summary(report: &output::Report, apps: &[&dyn Application], out: &std::path::Path) -> String {
    let mut lines = Vec::new();
    let name_of = |dir: &std::path::Path| dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut names: Vec<String> = apps.iter().map(|a| a.chart().name.clone()).collect();
    names.extend(report.changed.iter().map(|c| name_of(&c.dir)).filter(|n| !apps.iter().any(|a| &a.chart().name == n)));
    let mut seen = BTreeSet::new();
    names.retain(|n| seen.insert(n.clone()));
    for name in names {
        let changes: Vec<&output::DirChange> = report.changed.iter().filter(|c| name_of(&c.dir) == name).collect();
        let retired = !apps.iter().any(|a| a.chart().name == name);
        let line = if changes.is_empty() {
            "unchanged".to_string()
        } else if retired {
            "removed (no longer an application)".to_string()
        } else {
            let sum = |f: fn(&output::DirChange) -> usize| changes.iter().map(|c| f(c)).sum::<usize>();
            let mut parts = vec![format!("{} written", sum(|c| c.written))];
            if sum(|c| c.removed) > 0 {
                parts.push(format!("{} removed", sum(|c| c.removed)));
            }
            if sum(|c| c.deleted_foreign) > 0 {
                parts.push(format!("{} foreign deleted", sum(|c| c.deleted_foreign)));
            }
            parts.join(", ")
        };
        lines.push(format!("{name}: {line}\n"));
    }
    format!("emitted to {}:\n  {}", out.display(), lines.join("  "))
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn show_only_patterns_match_as_gos_filepath_match() {
        assert!(glob("templates/deployment.yaml", "templates/deployment.yaml"));
        assert!(glob("templates/*.yaml", "templates/service.yaml"));
        assert!(!glob("templates/*.yaml", "templates/aeterna/service.yaml"));
        assert!(glob("templates/*/service.yaml", "templates/aeterna/service.yaml"));
        assert!(glob("templates/s?rvice.yaml", "templates/service.yaml"));
        assert!(glob("templates/[a-s]ervice.yaml", "templates/service.yaml"));
        assert!(!glob("templates/[^s]ervice.yaml", "templates/service.yaml"));
        assert!(!glob("deployment.yaml", "templates/deployment.yaml"));
        assert!(!glob("templates/[", "templates/["));
    }
}
