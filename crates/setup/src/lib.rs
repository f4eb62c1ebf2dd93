//! `kforge setup`: the Aeterna setup wizard of `aeterna-chart-and-setup-wizard-design.md`.
//!
//! Answers come from the interactive [`wizard`] (dialoguer and console, as the design chose) or
//! from a YAML file ([`answers`]). They become one typed model, the Aeterna chart's `Values`
//! ([`model`]), and every output is derived from that model through what the chart renders
//! ([`outputs`]): values.yaml for Helm, docker-compose.yaml and .env, .aeterna/config.toml, and
//! the OpenCode MCP entry. [`files`] writes them without overwriting anyone's edits.

pub mod answers;
pub mod compose;
pub mod config;
pub mod files;
pub mod model;
pub mod opencode;
pub mod outputs;
pub mod runtime;
pub mod wizard;

use std::path::PathBuf;

use console::style;

use crate::files::State;
use crate::opencode::Merge;

/// The command line of `kforge setup` (the flags themselves are defined in the CLI).
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Answers from this YAML file instead of the prompts.
    pub answers: Option<PathBuf>,
    /// Where the files go.
    pub out: PathBuf,
    /// The OpenCode configuration to merge into (default: the global one).
    pub opencode_config: Option<PathBuf>,
    /// Replace files edited since the wizard wrote them (after a backup).
    pub force: bool,
}

/// What happened to one output.
enum Outcome {
    Written(String),
    Unchanged(String),
    Kept(String),
}

pub fn run(o: &Options) -> Result<(), String> {
    match &o.answers {
        Some(file) => {
            let shown = file.display().to_string();
            let text = std::fs::File::open(file).map_err(|e| e.to_string()).and_then(kforge::values::read_capped).map_err(|e| format!("{shown}: cannot read: {e}"))?;
            let answers = answers::parse(&shown, &text)?;
            let plan = outputs::plan(&answers, &o.out, o.opencode_config.as_deref())?;
            if !o.force {
                let changed = changed_files(&plan)?;
                if !changed.is_empty() {
                    return Err(format!(
                        "{} changed since `kforge setup` wrote {} (or {} not written by it); nothing was written. Rerun with --force to replace {} (the old {} kept as <name>.bak)",
                        changed.join(", "),
                        if changed.len() == 1 { "it" } else { "them" },
                        if changed.len() == 1 { "was" } else { "were" },
                        if changed.len() == 1 { "it" } else { "them" },
                        if changed.len() == 1 { "file is" } else { "files are" },
                    ));
                }
            }
            let outcomes = write(&plan, &mut |_| Ok(true))?;
            summary(&plan, &outcomes);
            Ok(())
        }
        None => {
            let answers = wizard::ask(o.opencode_config.as_deref())?;
            let plan = outputs::plan(&answers, &o.out, o.opencode_config.as_deref())?;
            let outcomes = write(&plan, &mut |shown| wizard::confirm_overwrite(shown))?;
            summary(&plan, &outcomes);
            Ok(())
        }
    }
}

/// The outputs that would replace an edited file (or an `aeterna` entry someone else wrote).
fn changed_files(plan: &outputs::Plan) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for f in &plan.files {
        if f.state()? == State::Changed {
            out.push(f.shown.clone());
        }
    }
    if let Some(oc) = &plan.opencode
        && let Merge::Write { replaces: true, .. } = oc.merge
    {
        out.push(format!("the \"aeterna\" entry of {}", oc.path.display()));
    }
    Ok(out)
}

/// Writes the plan; `overwrite` decides for each edited file (by its name) whether to replace it.
fn write(plan: &outputs::Plan, overwrite: &mut dyn FnMut(&str) -> Result<bool, String>) -> Result<Vec<Outcome>, String> {
    let mut outcomes = Vec::new();
    for f in &plan.files {
        match f.state()? {
            State::Same => outcomes.push(Outcome::Unchanged(f.shown.clone())),
            State::New | State::Update => {
                files::write(&f.path, &f.text, f.secret)?;
                outcomes.push(Outcome::Written(f.shown.clone()));
            }
            State::Changed => {
                if overwrite(&f.shown)? {
                    let bak = files::back_up(&f.path)?;
                    files::write(&f.path, &f.text, f.secret)?;
                    outcomes.push(Outcome::Written(format!("{} (your version: {})", f.shown, bak.display())));
                } else {
                    outcomes.push(Outcome::Kept(f.shown.clone()));
                }
            }
        }
    }
    if let Some(oc) = &plan.opencode {
        let shown = oc.path.display().to_string();
        match &oc.merge {
            Merge::Same => outcomes.push(Outcome::Unchanged(shown)),
            Merge::Write { text, replaces } => {
                if *replaces && !overwrite(&format!("the \"aeterna\" entry of {shown}"))? {
                    outcomes.push(Outcome::Kept(shown));
                } else if oc.exists {
                    let bak = files::back_up(&oc.path)?;
                    files::write(&oc.path, text, false)?;
                    outcomes.push(Outcome::Written(format!("{shown} (the \"aeterna\" MCP entry; the old file: {})", bak.display())));
                } else {
                    files::write(&oc.path, text, false)?;
                    outcomes.push(Outcome::Written(format!("{shown} (the \"aeterna\" MCP entry)")));
                }
            }
        }
    }
    Ok(outcomes)
}

/// The design's "Generating configuration files..." block, on stderr like the prompts.
fn summary(plan: &outputs::Plan, outcomes: &[Outcome]) {
    let mut text = format!("\n{}\n\n", style("Generating configuration files...").bold());
    for o in outcomes {
        match o {
            Outcome::Written(s) => text.push_str(&format!("{} {s}\n", style("✓").green())),
            Outcome::Unchanged(s) => text.push_str(&format!("{} {s} (unchanged)\n", style("✓").green())),
            Outcome::Kept(s) => text.push_str(&format!("{} {s} (kept as you edited it)\n", style("-").yellow())),
        }
    }
    let kept = outcomes.iter().any(|o| matches!(o, Outcome::Kept(_)));
    text.push_str(&format!("\n{}\n", if kept { "Done; the files you kept were left as they are." } else { "All files generated successfully!" }));
    let secrets: Vec<&str> = plan.files.iter().filter(|f| f.secret).map(|f| f.shown.as_str()).collect();
    if !secrets.is_empty() {
        text.push_str(&format!(
            "\n{} {} {} secrets: keep {} out of version control.\n",
            style("!").yellow(),
            secrets.join(", "),
            if secrets.len() == 1 { "holds" } else { "hold" },
            if secrets.len() == 1 { "it" } else { "them" }
        ));
    }
    for line in &plan.next {
        text.push_str(&format!("{} {line}\n", style("→").cyan()));
    }
    eprint!("{text}");
}
