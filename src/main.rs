//! `kforge`: emits each application's plain manifests and Helm chart from its Rust definition.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
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
    /// List the applications and their environments
    List,
    /// Print an application's default values.yaml
    Values(AppArg),
    /// Print an application's values.schema.json
    Schema(AppArg),
}

#[derive(Args)]
struct AppArg {
    /// The application
    #[arg(long, value_name = "NAME")]
    app: String,
}

#[derive(Args)]
struct EmitArgs {
    /// Only these applications (repeatable); default: all
    #[arg(long = "app", value_name = "NAME")]
    apps: Vec<String>,
    /// Values file merged over the defaults (repeatable, later files win, as with Helm); needs --stdout
    #[arg(long = "values", short = 'f', value_name = "FILE")]
    values: Vec<PathBuf>,
    /// Set a value, Helm style: path=value[,path=value] (repeatable, applied after the files); needs --stdout
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Release name, as in `helm install NAME` (default: the application name); needs --stdout
    #[arg(long, value_name = "NAME")]
    release: Option<String>,
    /// Namespace of the release (default: "default"); needs --stdout
    #[arg(long, short = 'n', value_name = "NS")]
    namespace: Option<String>,
    /// Output directory
    #[arg(long, value_name = "DIR", default_value = "charts-out")]
    out: PathBuf,
    /// Print the manifests for the given values as one YAML stream and write nothing (needs exactly one --app)
    #[arg(long, conflicts_with = "check")]
    stdout: bool,
    /// Write nothing; exit 1 with a unified diff when <out> is not what emit would write
    #[arg(long)]
    check: bool,
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
            let files = render::chart_files(app.as_ref(), &app.model())?;
            print(&files["values.yaml"])
        }
        Command::Schema(a) => {
            let app = one(&a.app)?;
            print(&(serde_json::to_string_pretty(&app.schema()).map_err(|e| e.to_string())? + "\n"))
        }
        Command::Emit(args) if args.stdout => emit_stdout(&args),
        Command::Emit(args) => emit_tree(&args),
    }
}

fn emit_stdout(args: &EmitArgs) -> Result<ExitCode, String> {
    let [name] = args.apps.as_slice() else {
        return Err("--stdout renders one application: give exactly one --app".into());
    };
    let app = one(name)?;
    let texts: Vec<(String, String)> = args
        .values
        .iter()
        .map(|p| {
            let shown = p.display().to_string();
            fs::read_to_string(p).map(|t| (shown.clone(), t)).map_err(|e| format!("{shown}: cannot read: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let mut layers: Vec<Layer> = texts.iter().map(|(name, text)| Layer::File { name, text }).collect();
    if !args.set.is_empty() {
        layers.push(Layer::Set(&args.set));
    }
    let release = Release { name: args.release.as_deref().unwrap_or(&app.chart().name), namespace: args.namespace.as_deref().unwrap_or("default") };
    render::check_release(&release)?;
    let values = values::load(&app.defaults(), &layers, &|t| app.check(t)).map_err(|e| e.to_string())?;
    // A rule across settings cannot point at one file: name them all, in merge order.
    let mut sources: Vec<&str> = texts.iter().map(|(name, _)| name.as_str()).collect();
    if !args.set.is_empty() {
        sources.push("--set");
    }
    let sources = if sources.is_empty() { "the defaults".to_string() } else { sources.join(", ") };
    let text = render::manifests_yaml(app.as_ref(), &app.model(), &values, release).map_err(|e| format!("{} (values from {sources}): {e}", app.chart().name))?;
    print(&text)
}

/// Subdirectories of `<out>/charts` and `<out>/manifests` that exist now.
fn existing_app_dirs(out: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for top in ["charts", "manifests"] {
        if let Ok(entries) = fs::read_dir(out.join(top)) {
            for entry in entries.flatten() {
                if entry.path().is_dir() {
                    dirs.push(PathBuf::from(top).join(entry.file_name()));
                }
            }
        }
    }
    dirs
}

fn emit_tree(args: &EmitArgs) -> Result<ExitCode, String> {
    if !args.values.is_empty() || !args.set.is_empty() || args.release.is_some() || args.namespace.is_some() {
        return Err("--values, --set, --release and --namespace go with --stdout; the committed environments are the example values files of each application".into());
    }
    let apps = select(&args.apps)?;
    let tree = output::emit_apps(&apps).map_err(|e| e.to_string())?;
    let mut owned: BTreeSet<PathBuf> = BTreeSet::new();
    for app in &apps {
        owned.extend(output::owned_dirs(app.as_ref()));
    }
    if args.apps.is_empty() {
        // A full emit also removes what applications that no longer exist left behind.
        owned.extend(existing_app_dirs(&args.out));
    }
    let owned: Vec<PathBuf> = owned.into_iter().collect();
    let out = &args.out;
    if args.check {
        let diffs = output::check(out, &tree, &owned).map_err(|e| format!("{}: {e}", out.display()))?;
        if diffs.is_empty() {
            eprintln!("{} is up to date ({} files)", out.display(), tree.len());
            return Ok(ExitCode::SUCCESS);
        }
        print(&diffs.join("\n"))?;
        eprintln!("error: {} file(s) in {} are stale; run `cargo run -- emit`", diffs.len(), out.display());
        return Ok(ExitCode::FAILURE);
    }
    output::write_atomic(out, &tree, &owned).map_err(|e| format!("{}: {e}", out.display()))?;
    let names: Vec<&str> = apps.iter().map(|a| a.chart().name.as_str()).collect();
    eprintln!("wrote {} files for {} to {}", tree.len(), names.join(", "), out.display());
    Ok(ExitCode::SUCCESS)
}
