//! `kforge`: emits each application's plain manifests and Helm chart from its Rust definition.
//! The command line is `kforge-cli`'s (`crates/cli`), over this repository's applications, plus
//! the Aeterna setup wizard.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

/// The commands of this binary beside the shared ones.
#[derive(Subcommand)]
enum Own {
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
    /// Read the answers from this YAML file instead of asking (keys: target, vectorBackend, cache, postgresql, opal, llm, opencode, advanced; see docs/src/wizard.md)
    #[arg(long, value_name = "FILE")]
    answers: Option<PathBuf>,
    /// Directory for the generated files
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
    /// The OpenCode configuration to merge the MCP entry into (default: $XDG_CONFIG_HOME/opencode/opencode.json, else ~/.config/opencode/opencode.json)
    #[arg(long, value_name = "PATH")]
    opencode_config: Option<PathBuf>,
    /// With --answers: replace files edited since setup wrote them (each kept as NAME.bak)
    #[arg(long, requires = "answers")]
    force: bool,
}

fn main() -> ExitCode {
    kforge_cli::main_with(apps::all, |own| match own {
        Own::Setup(a) => {
            setup::run(&setup::Options { answers: a.answers, out: a.out, opencode_config: a.opencode_config, force: a.force })?;
            Ok(ExitCode::SUCCESS)
        }
    })
}
