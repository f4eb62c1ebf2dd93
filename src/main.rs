//! `kforge`: emits each application's plain manifests and Helm chart from its Rust definition.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use manifests::output;
use manifests::render::{self, Release};
use manifests::values::{self, Layer};
use manifests::Application;

const EXAMPLES: &str = "\
Examples:
  cargo run -- emit                          write every chart and manifest into charts-out/
  cargo run -- emit --check                  fail with a diff when charts-out/ is stale (CI)
  cargo run -- check                         emit's checks alone, every environment; writes nothing
  cargo run -- check --app backbone --values prod.yaml
                                             check the objects those values render
  cargo run -- emit --app backbone --stdout --values prod.yaml --set api.enabled=true
                                             print the manifests for those values, write nothing
  cargo run -- list                          applications and their environments
  cargo run -- values --app backbone         the default values.yaml
  cargo run -- schema --app backbone         values.schema.json";

#[derive(Parser)]
#[command(name = "kforge", version, about = "Emit Kubernetes manifests and Helm charts from typed Rust definitions", after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render applications: charts to <out>/charts/<app>/, manifests to <out>/manifests/<app>/<env>.yaml
    #[command(after_help = EXAMPLES)]
    Emit(EmitArgs),
    /// Check what emit would write, and write nothing: references between objects, names and
    /// labels, the restricted Pod Security Standard, no secret in a committed environment
    /// (emit runs the same check and writes nothing when it finds a problem)
    #[command(after_help = EXAMPLES)]
    Check(CheckArgs),
    /// List the applications and their environments
    List,
    /// Print an application's default values.yaml
    Values(AppArg),
    /// Print an application's values.schema.json
    Schema(AppArg),
    /// The Aeterna setup wizard: asks eight questions (or reads them from --answers) and writes
    /// values.yaml, docker-compose.yaml, .aeterna/config.toml and the OpenCode MCP entry
    #[command(after_help = SETUP_EXAMPLES)]
    Setup(SetupArgs),
}

const SETUP_EXAMPLES: &str = "\
Files by target (in --out):
  docker-compose   docker-compose.yaml, .env (secrets), .aeterna/config.toml
  kubernetes       values.yaml, secrets.values.yaml (only for typed secrets), .aeterna/config.toml
  opencode-only    .aeterna/config.toml
  and, with OpenCode integration, the \"aeterna\" entry merged into opencode.json (old file backed up).
Never commit .env or secrets.values.yaml. A file edited since setup wrote it is replaced only
after a yes (interactive) or with --force (answers file), and kept as <name>.bak.

Examples:
  cargo run -- setup                                   ask the questions in the terminal
  cargo run -- setup --answers answers.yaml --out deploy --opencode-config ./opencode.json";

#[derive(Args)]
struct SetupArgs {
    /// Read the answers from this YAML file instead of asking (keys: target, vectorBackend, cache, postgresql, opal, llm, opencode, advanced; see README)
    #[arg(long, value_name = "FILE")]
    answers: Option<PathBuf>,
    /// Directory for the generated files
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
    /// The OpenCode configuration to merge the MCP entry into (default: $XDG_CONFIG_HOME/opencode/opencode.json, else ~/.config/opencode/opencode.json)
    #[arg(long, value_name = "PATH")]
    opencode_config: Option<PathBuf>,
    /// With --answers: replace files edited since setup wrote them (each kept as <name>.bak)
    #[arg(long, requires = "answers")]
    force: bool,
}

#[derive(Args)]
struct AppArg {
    /// The application
    #[arg(long, value_name = "NAME")]
    app: String,
}

/// The values and release one application is rendered with: `emit --stdout` and
/// `check --values` take the same flags, with Helm's meaning.
#[derive(Args)]
struct ValuesArgs {
    /// Values file merged over the defaults (repeatable, later files win, as with Helm)
    #[arg(long = "values", short = 'f', value_name = "FILE")]
    values: Vec<PathBuf>,
    /// Set a value, Helm style: path=value[,path=value] (repeatable, applied after the files)
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Release name, as in `helm install NAME` (default: the application name)
    #[arg(long, value_name = "NAME")]
    release: Option<String>,
    /// Namespace of the release (default: "default")
    #[arg(long, short = 'n', value_name = "NS")]
    namespace: Option<String>,
}

impl ValuesArgs {
    /// No values, --set, release or namespace given.
    fn is_empty(&self) -> bool {
        self.values.is_empty() && self.set.is_empty() && self.release.is_none() && self.namespace.is_none()
    }
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
    #[arg(long, value_name = "DIR", default_value = "charts-out")]
    out: PathBuf,
    /// Print the manifests for the given values as one YAML stream and write nothing (needs exactly one --app)
    #[arg(long, conflicts_with = "check")]
    stdout: bool,
    /// Write nothing; exit 1 with a unified diff when <out> is not what emit would write
    #[arg(long)]
    check: bool,
    // Last: the heading applies to the flags after it.
    #[command(flatten, next_help_heading = "With --stdout: the values and release to render (one --app)")]
    render: ValuesArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn select(names: &[String]) -> Result<Vec<Box<dyn Application>>, String> {
    if names.is_empty() {
        return Ok(apps::all());
    }
    let known: Vec<String> = apps::all().iter().map(|a| a.chart().name.clone()).collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for name in names {
        let app = apps::find(name).ok_or_else(|| format!("unknown application {name:?}; known: {}", known.join(", ")))?;
        if seen.insert(name.clone()) {
            out.push(app);
        }
    }
    Ok(out)
}

fn one(name: &str) -> Result<Box<dyn Application>, String> {
    select(&[name.to_string()]).map(|mut v| v.remove(0))
}

fn print(text: &str) -> Result<ExitCode, String> {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = stdout.write_all(text.as_bytes());
    Ok(ExitCode::SUCCESS)
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::List => {
            let mut text = String::new();
            for app in apps::all() {
                let default = app.needs_values().is_none().then_some("default");
                let envs: Vec<&str> = default.into_iter().chain(app.environments().iter().map(|e| e.name)).collect();
                text.push_str(&format!("{}\t{}\t{}\n", app.chart().name, envs.join(","), app.source()));
            }
            print(&text)
        }
        Command::Values(a) => {
            let app = one(&a.app)?;
            let files = render::chart_files(app.as_ref(), &app.model()).map_err(|e| e.to_string())?;
            print(&files["values.yaml"])
        }
        Command::Schema(a) => {
            let app = one(&a.app)?;
            print(&(serde_json::to_string_pretty(&app.schema()).map_err(|e| e.to_string())? + "\n"))
        }
        Command::Check(args) => check(&args),
        Command::Setup(a) => {
            setup::run(&setup::Options { answers: a.answers, out: a.out, opencode_config: a.opencode_config, force: a.force })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Emit(args) if args.stdout => emit_stdout(&args),
        Command::Emit(args) => emit_tree(&args),
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

fn load(apps: &[String], r: &ValuesArgs, what: &str) -> Result<Loaded, String> {
    let (files, set, release, namespace) = (&r.values, &r.set, r.release.as_deref(), r.namespace.as_deref());
    let [name] = apps else {
        return Err(format!("{what} renders one application: give exactly one --app"));
    };
    let app = one(name)?;
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            let shown = p.display().to_string();
            fs::read_to_string(p).map(|t| (shown.clone(), t)).map_err(|e| format!("{shown}: cannot read: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let mut layers: Vec<Layer> = texts.iter().map(|(name, text)| Layer::File { name, text }).collect();
    if !set.is_empty() {
        layers.push(Layer::Set(set));
    }
    let release_name = release.unwrap_or(&app.chart().name).to_string();
    let namespace = namespace.unwrap_or("default").to_string();
    Release { name: &release_name, namespace: &namespace }.validate()?;
    let values = values::load(&app.defaults(), &layers, &|t| app.check(t)).map_err(|e| e.to_string())?;
    // A rule across settings cannot point at one file: name them all, in merge order.
    let mut sources: Vec<&str> = texts.iter().map(|(name, _)| name.as_str()).collect();
    if !set.is_empty() {
        sources.push("--set");
    }
    let sources = if sources.is_empty() { "the defaults".to_string() } else { sources.join(", ") };
    Ok(Loaded { app, values, release: (release_name, namespace), sources })
}

fn emit_stdout(args: &EmitArgs) -> Result<ExitCode, String> {
    let l = load(&args.apps, &args.render, "--stdout")?;
    let (app, release) = (l.app.as_ref(), Release { name: &l.release.0, namespace: &l.release.1 });
    // No check here: `helm template` renders these values without one, and the two must agree.
    let text = render::manifests_yaml(app, &app.model(), &l.values, release).map_err(|e| format!("{} (values from {}): {e}", app.chart().name, l.sources))?;
    print(&text)
}

fn check(args: &CheckArgs) -> Result<ExitCode, String> {
    let (findings, what) = if args.render.is_empty() {
        let apps = select(&args.apps)?;
        let mut findings = Vec::new();
        let mut environments = 0;
        for app in &apps {
            let rendered = output::render_app(app.as_ref()).map_err(|e| e.to_string())?;
            findings.extend(rendered.findings);
            environments += rendered.environments;
        }
        (findings, format!("{environments} environments of {} application(s)", apps.len()))
    } else {
        let l = load(&args.apps, &args.render, "check with --values or --set")?;
        let app = l.app.as_ref();
        let name = app.chart().name.clone();
        let release = Release { name: &l.release.0, namespace: &l.release.1 };
        let (objects, external) = render::render_environment(app, &app.model(), &l.values, release).map_err(|e| format!("{name} (values from {}): {e}", l.sources))?;
        let objects: Vec<serde_json::Value> = objects.into_iter().map(|o| o.value).collect();
        let env = manifests::check::Environment { app: &name, environment: &l.sources, objects: &objects, external: &external, exceptions: app.pss_exceptions() };
        (manifests::check::run(&env).findings, format!("the values from {}", l.sources))
    };
    if findings.is_empty() {
        eprintln!("checked {what}: no problems");
        return Ok(ExitCode::SUCCESS);
    }
    for f in &findings {
        eprintln!("error: {f}");
    }
    eprintln!("checked {what}: {} problem(s)", findings.len());
    Ok(ExitCode::FAILURE)
}

fn emit_tree(args: &EmitArgs) -> Result<ExitCode, String> {
    if !args.render.is_empty() {
        return Err("--values, --set, --release and --namespace go with --stdout; the committed environments are the example values files of each application".into());
    }
    let apps = select(&args.apps)?;
    let apps: Vec<&dyn Application> = apps.iter().map(|a| a.as_ref()).collect();
    let out = &args.out;
    // A full emit also removes what applications that no longer exist left behind.
    let prune = args.apps.is_empty();
    if args.check {
        let (tree, owned) = output::render_all(&apps, out, prune).map_err(|e| e.to_string())?;
        let diffs = output::check(out, &tree, &owned).map_err(|e| format!("{}: {e}", out.display()))?;
        if diffs.is_empty() {
            eprintln!("{} is up to date ({} files)", out.display(), tree.len());
            return Ok(ExitCode::SUCCESS);
        }
        print(&diffs.join("\n"))?;
        eprintln!("error: {} file(s) in {} are stale; run `cargo run -- emit`", diffs.len(), out.display());
        return Ok(ExitCode::FAILURE);
    }
    let files = output::emit(&apps, out, prune).map_err(|e| format!("{e}\nnothing was written to {}", out.display()))?;
    let names: Vec<&str> = apps.iter().map(|a| a.chart().name.as_str()).collect();
    eprintln!("wrote {files} files for {} to {}", names.join(", "), out.display());
    Ok(ExitCode::SUCCESS)
}
