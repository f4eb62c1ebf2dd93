//! The interactive wizard: the seed's questions Q1 to Q8 in order, with its defaults, follow-up
//! prompts for connection details and credentials (hidden input), and the advanced options
//! collapsed behind one question. It only collects [`Answers`]; what they produce is the same
//! as with an answers file.

use std::path::Path;

use apps::aeterna::core::LlmProvider;
use apps::aeterna::dependencies::{CacheType, VectorBackendType};
use console::{Term, style};
use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, MultiSelect, Password, Select};
use kforge::{DnsName, Port};

use apps::aeterna::opal::TenantId;

use crate::answers::{
    Advanced, Answers, CEDAR_CONFIG_MAP, Cache, EXAMPLE_POLICY_REPO, External, LOCAL_FETCHER_IMAGE, Llm, OPAL_SECRET, Opal, Postgresql, PostgresqlType, Secret, Target,
    VectorBackend,
};

fn failed(e: dialoguer::Error) -> String {
    match e {
        dialoguer::Error::IO(io) if io.kind() == std::io::ErrorKind::Interrupted => "setup cancelled; nothing was written".into(),
        dialoguer::Error::IO(io) => format!("the terminal failed: {io}"),
    }
}

struct Wizard {
    term: Term,
    theme: ColorfulTheme,
    target: Target,
}

impl Wizard {
    fn select(&self, prompt: &str, items: &[&str], default: usize) -> Result<usize, String> {
        Select::with_theme(&self.theme).with_prompt(prompt).items(items).default(default).interact_on(&self.term).map_err(failed)
    }

    fn text(&self, prompt: &str, default: &str, required: bool) -> Result<String, String> {
        let mut input = Input::<String>::with_theme(&self.theme).with_prompt(prompt).allow_empty(!required);
        if !default.is_empty() {
            input = input.default(default.to_string());
        }
        input
            .validate_with(move |s: &String| -> Result<(), String> {
                if required && s.trim().is_empty() { Err("needed".into()) } else { Ok(()) }
            })
            .interact_text_on(&self.term)
            .map(|s| s.trim().to_string())
            .map_err(failed)
    }

    fn port(&self, prompt: &str, default: u16) -> Result<Option<Port>, String> {
        let text = Input::<String>::with_theme(&self.theme)
            .with_prompt(prompt)
            .default(default.to_string())
            .validate_with(|s: &String| -> Result<(), String> {
                match s.trim().parse::<u16>() {
                    Ok(p) if p >= 1 => Ok(()),
                    _ => Err("a port number from 1 to 65535".into()),
                }
            })
            .interact_text_on(&self.term)
            .map_err(failed)?;
        let port = text.trim().parse::<u16>().unwrap_or(default);
        Ok((port != default).then_some(Port(port)))
    }

    /// A DNS-1123 name (a Secret's, a host's); Enter alone takes `default`.
    fn tenant(&self, prompt: &str) -> Result<TenantId, String> {
        let text = Input::<String>::with_theme(&self.theme)
            .with_prompt(prompt)
            .validate_with(|s: &String| -> Result<(), String> {
                match serde_json::from_value::<TenantId>(serde_json::Value::String(s.trim().to_string())) {
                    Ok(t) if !t.is_empty() => Ok(()),
                    _ => Err(format!("{:?} is not a UUID such as 0b0e5a4c-8f4e-4a53-9c2a-4f3e2b1d0c9a", s.trim())),
                }
            })
            .interact_text_on(&self.term)
            .map_err(failed)?;
        Ok(TenantId::new(text.trim()))
    }

    fn dns_name(&self, prompt: &str, default: &str, what: &str) -> Result<DnsName, String> {
        let expected = format!("{what}: lowercase letters, digits, '-' and '.', at most 253 characters, starting and ending with a letter or digit (Enter alone takes {default})");
        let name = Input::<String>::with_theme(&self.theme)
            .with_prompt(prompt)
            .default(default.to_string())
            .validate_with(move |s: &String| -> Result<(), String> {
                match serde_json::from_value::<DnsName>(serde_json::Value::String(s.trim().to_string())) {
                    Ok(n) if !n.is_empty() => Ok(()),
                    _ => Err(format!("{:?} is not {expected}", s.trim())),
                }
            })
            .interact_text_on(&self.term)
            .map_err(failed)?;
        Ok(DnsName::new(name.trim()))
    }

    /// Hidden input, typed twice so that a typo the user cannot see is caught. An empty answer
    /// (where `allow_empty`) is taken at once; where it is not, the prompt says so and asks again.
    fn hidden(&self, prompt: &str, allow_empty: bool) -> Result<Secret, String> {
        loop {
            let first = Password::with_theme(&self.theme)
                .with_prompt(prompt)
                .allow_empty_password(true)
                .validate_with(move |s: &String| -> Result<(), &str> {
                    if !allow_empty && s.is_empty() { Err("needed: type or paste it (Ctrl-C cancels the setup)") } else { Ok(()) }
                })
                .interact_on(&self.term)
                .map_err(failed)?;
            if first.is_empty() {
                return Ok(Secret(first));
            }
            let again = Password::with_theme(&self.theme).with_prompt("Repeat it").allow_empty_password(true).interact_on(&self.term).map_err(failed)?;
            if again == first {
                return Ok(Secret(first));
            }
            let _ = self.term.write_line(&format!("{}", style("The two entries differ; type it again.").red()));
        }
    }

    fn confirm(&self, prompt: &str) -> Result<bool, String> {
        confirm_on(&self.term, &self.theme, prompt)
    }

    /// A credential: typed (hidden) or an existing Kubernetes Secret; outside Kubernetes typed
    /// or left for the user to set (opencode-only asks nothing: the server's deployment has it).
    fn credential(&self, what: &str, var: &str, secret_default: &str, needed: bool) -> Result<(Secret, DnsName), String> {
        match self.target {
            Target::OpencodeOnly => Ok(Default::default()),
            Target::Kubernetes => {
                let mut items = vec!["Type it now (hidden; saved to secrets.values.yaml: keep that file out of version control)", "An existing Kubernetes Secret"];
                if !needed {
                    items.push("None");
                }
                match self.select(&format!("{what}: where does Aeterna get it?"), &items, 0)? {
                    0 => Ok((self.hidden(what, false)?, DnsName::default())),
                    1 => {
                        let key = crate::model::existing_secret_key(var).map(|k| format!(" (under the key {k})")).unwrap_or_default();
                        Ok((Secret::default(), self.dns_name(&format!("Name of the Secret with the {what}{key}"), secret_default, "a Secret's name")?))
                    }
                    _ => Ok(Default::default()),
                }
            }
            Target::DockerCompose => Ok((self.hidden(&format!("{what} (hidden; saved to .env; empty: set {var} there later)"), true)?, DnsName::default())),
        }
    }

    fn external(&self, what: &str, default_port: u16, postgres: bool) -> Result<External, String> {
        let host = self.text(&format!("{what} host"), "", true)?;
        let port = self.port(&format!("{what} port"), default_port)?;
        let (database, username) = if postgres { (self.text("Database", "aeterna", true)?, self.text("User name", "aeterna", true)?) } else { (String::new(), String::new()) };
        let var = if postgres { "PG_PASSWORD" } else { "AETERNA_REDIS_PASSWORD" };
        let (password, existing_secret) = self.credential(&format!("{what} password"), var, if postgres { "aeterna-postgres" } else { "aeterna-redis" }, false)?;
        let database = if database == "aeterna" { String::new() } else { database };
        Ok(External { host, port, database, username, password, existing_secret })
    }

    fn heading(&self, text: &str) {
        let _ = self.term.write_line(&format!("\n{}", style(text).bold()));
    }
}

/// Asks Q1 to Q8 on the terminal.
pub fn ask(opencode_path: Option<&Path>) -> Result<Answers, String> {
    let term = Term::stderr();
    if !term.is_term() || !console::user_attended() {
        return Err("setup asks its questions in a terminal; without one, give the answers in a file: kforge setup --answers FILE (docs/src/wizard.md)".into());
    }
    let mut w = Wizard { term, theme: ColorfulTheme::default(), target: Target::DockerCompose };
    let _ = w.term.write_line(&format!("{}\n{}", style("aeterna setup").bold().cyan(), style("Eight questions; Enter takes the highlighted default, arrow keys move.").dim()));

    // ----- Q1
    w.heading("Q1: Deployment Target");
    w.target = [Target::DockerCompose, Target::Kubernetes, Target::OpencodeOnly]
        [w.select("Deployment target", &["Local development (Docker Compose)", "Kubernetes (Helm chart)", "OpenCode configuration only"], 0)?];

    // ----- Q2
    w.heading("Q2: Vector Database Backend");
    let types = [
        VectorBackendType::Qdrant,
        VectorBackendType::Pgvector,
        VectorBackendType::Pinecone,
        VectorBackendType::Weaviate,
        VectorBackendType::Mongodb,
        VectorBackendType::VertexAi,
        VectorBackendType::Databricks,
    ];
    let labels = [
        "Qdrant (default, self-hosted)",
        "pgvector (PostgreSQL extension)",
        "Pinecone (managed cloud)",
        "Weaviate (hybrid search)",
        "MongoDB Atlas (managed)",
        "Vertex AI (Google Cloud)",
        "Databricks (Unity Catalog)",
    ];
    let mut vb = VectorBackend { type_: types[w.select("Vector database backend", &labels, 0)?], ..Default::default() };
    match vb.type_ {
        VectorBackendType::Pinecone => {
            vb.environment = w.text("Pinecone environment", "", true)?;
            vb.index_name = w.text("Pinecone index", "aeterna", true)?;
            (vb.api_key, vb.existing_secret) = w.credential("Pinecone API key", "PINECONE_API_KEY", "aeterna-pinecone", true)?;
        }
        VectorBackendType::Weaviate => {
            vb.host = w.text("Weaviate URL", "", true)?;
            if w.target != Target::OpencodeOnly {
                vb.api_key = w.hidden("Weaviate API key (hidden; empty for none)", true)?;
            }
        }
        VectorBackendType::Mongodb => {
            (vb.uri, vb.existing_secret) = w.credential("MongoDB connection URI", "MONGODB_URI", "aeterna-mongodb", true)?;
        }
        VectorBackendType::VertexAi => {
            vb.project_id = w.text("Google Cloud project", "", true)?;
            vb.region = w.text("Region", "", true)?;
            vb.index_endpoint = w.text("Index endpoint", "", true)?;
            (vb.service_account_json, vb.existing_secret) = w.credential("Service account key JSON", "AETERNA_VERTEX_AI_CREDENTIALS_JSON", "aeterna-vertex-ai", true)?;
        }
        VectorBackendType::Databricks => {
            vb.workspace_url = w.text("Workspace URL", "", true)?;
            vb.catalog = w.text("Unity Catalog", "main", true)?;
            (vb.token, vb.existing_secret) = w.credential("Databricks token", "DATABRICKS_TOKEN", "aeterna-databricks", true)?;
        }
        VectorBackendType::Qdrant | VectorBackendType::Pgvector => {}
    }

    // ----- Q3
    w.heading("Q3: Redis-Compatible Cache");
    let cache_type = [CacheType::Dragonfly, CacheType::Valkey, CacheType::External]
        [w.select("Redis-compatible cache", &["Dragonfly (recommended, 5x faster, Apache-2.0)", "Valkey (official Redis fork, BSD-3)", "External Redis (bring your own)"], 0)?];
    let cache = Cache { type_: cache_type, external: if cache_type == CacheType::External { Some(w.external("Redis", 6379, false)?) } else { None } };

    // ----- Q4
    w.heading("Q4: PostgreSQL Deployment");
    let pg_type = [PostgresqlType::CloudnativePg, PostgresqlType::External]
        [w.select("PostgreSQL deployment", &["CloudNativePG (production operator, Apache-2.0)", "External PostgreSQL (bring your own)"], 0)?];
    let postgresql = Postgresql { type_: pg_type, external: if pg_type == PostgresqlType::External { Some(w.external("PostgreSQL", 5432, true)?) } else { None } };

    // ----- Q5
    w.heading("Q5: OPAL Authorization Stack");
    let mut opal = Opal { enabled: w.select("OPAL authorization stack", &["Yes (recommended for multi-tenant)", "No (single-tenant mode)"], 0)? == 0, ..Opal::default() };
    if opal.enabled {
        let chart = apps::aeterna::Values::default().opal.server.policy_repo;
        opal.policy_repo = w.text("Git repository of the Cedar policies (OPAL's example until you have yours)", EXAMPLE_POLICY_REPO, true)?;
        let branch = w.text("Branch to track", &chart.branch, true)?;
        opal.branch = if branch == chart.branch { String::new() } else { branch };
        if w.target == Target::Kubernetes {
            opal.existing_secret = w.dns_name("Secret with OPAL's keys and tokens (the chart README says how to make it)", OPAL_SECRET, "a Secret's name")?;
        }
        // No registry publishes opal-fetcher: on Kubernetes the user names their build; elsewhere
        // a local build is the default.
        let local = if w.target == Target::Kubernetes { "" } else { LOCAL_FETCHER_IMAGE };
        let image = w.text("Image repository of opal-fetcher, built from opal-fetcher/Dockerfile of kikokikok/aeterna (no registry publishes it)", local, true)?;
        opal.fetcher_image = if image == LOCAL_FETCHER_IMAGE && w.target != Target::Kubernetes { String::new() } else { image };
        if w.target == Target::Kubernetes {
            opal.cedar_config_map = w.dns_name(
                "ConfigMap with the Aeterna server's Cedar policy (keys policy and schema; the chart README says how to make it)",
                CEDAR_CONFIG_MAP,
                "a ConfigMap's name",
            )?;
        }
    }

    // ----- Q6
    w.heading("Q6: LLM Provider");
    // No Anthropic: no Aeterna release reads its settings (`core::ANTHROPIC_REFUSED`).
    let provider = [LlmProvider::Openai, LlmProvider::Ollama, LlmProvider::None][w.select(
        "LLM provider",
        &["OpenAI (text-embedding-3-small, gpt-4o)", "Ollama (local, no API key; needs Aeterna 0.8.0-rc.9, a prerelease)", "Skip (configure later)"],
        0,
    )?];
    let mut llm = Llm { provider, ..Default::default() };
    let defaults = apps::aeterna::Values::default().llm;
    match provider {
        LlmProvider::Openai => {
            (llm.api_key, llm.existing_secret) = w.credential("OpenAI API key", "OPENAI_API_KEY", "aeterna-openai", true)?;
            llm.model = w.text("Chat model", &defaults.openai.chat_model, true)?;
        }
        LlmProvider::Ollama => {
            let _ = w.term.write_line(&format!(
                "{}",
                style(format!(
                    "Aeterna reaches Ollama through its OpenAI-compatible API from 0.8.0-rc.9 on: the server runs {} instead of the chart's {}.",
                    crate::model::ollama_image_tag(),
                    kforge::Application::chart(&apps::aeterna::app()).app_version
                ))
                .yellow()
            ));
            // Where the server finds Ollama from where it runs.
            let host = match w.target {
                Target::DockerCompose => "http://host.docker.internal:11434",
                Target::Kubernetes => "http://ollama.ollama.svc:11434",
                Target::OpencodeOnly => "http://localhost:11434",
            };
            llm.host = w.text("Ollama URL", host, true)?;
            llm.model = w.text("Model", &defaults.ollama.model, true)?;
        }
        LlmProvider::Anthropic | LlmProvider::None => {}
    }
    // The chart's own model is no setting worth writing down.
    let chart_model = match provider {
        LlmProvider::Openai => defaults.openai.chat_model.clone(),
        LlmProvider::Ollama => defaults.ollama.model.clone(),
        LlmProvider::Anthropic | LlmProvider::None => String::new(),
    };
    if llm.model == chart_model {
        llm.model.clear();
    }
    // The Ollama release's opal-fetcher serves one tenant's entities: OPAL needs its UUID.
    let probe = Answers { target: w.target, llm: llm.clone(), ..Answers::default() };
    if opal.enabled && probe.fetcher_wants_a_tenant() {
        opal.tenant = w.tenant("Tenant (a UUID) whose entities opal-fetcher serves: that release's fetcher serves one tenant")?;
    }

    // ----- Q7
    w.heading("Q7: OpenCode Integration");
    let opencode = if w.target == Target::OpencodeOnly {
        let _ = w.term.write_line(&format!("{}", style("Yes: the OpenCode configuration is the target.").dim()));
        true
    } else {
        w.select("OpenCode integration", &["Yes (configure MCP tools)", "No"], 0)? == 0
    };
    if opencode {
        let path = match opencode_path {
            Some(p) => p.display().to_string(),
            None => crate::opencode::default_path()?.display().to_string(),
        };
        let _ = w.term.write_line(&format!("{}", style(format!("The aeterna MCP entry goes into {path} (an existing file is backed up first).")).dim()));
    }

    // ----- Q8
    w.heading("Q8: Advanced Options");
    let mut advanced = Advanced::default();
    if w.target != Target::Kubernetes {
        let _ = w.term.write_line(&format!("{}", style("None for this target: they are Kubernetes settings.").dim()));
    } else if w.confirm("Show the advanced options?")? {
        let picked = MultiSelect::with_theme(&w.theme)
            .with_prompt("Advanced options (Space toggles, Enter accepts)")
            .items(["Enable Ingress", "Enable ServiceMonitor (Prometheus)", "Enable Network Policies", "Enable HPA (Horizontal Pod Autoscaler)", "Enable PodDisruptionBudget"])
            .interact_on(&w.term)
            .map_err(failed)?;
        advanced = Advanced {
            ingress: picked.contains(&0),
            service_monitor: picked.contains(&1),
            network_policy: picked.contains(&2),
            hpa: picked.contains(&3),
            pdb: picked.contains(&4),
            ingress_host: DnsName::default(),
        };
        if advanced.ingress {
            let example = crate::model::chart_ingress_host();
            let host = w.dns_name("Host name the Ingress routes", &example, "a DNS host name")?;
            advanced.ingress_host = if host.0 == example { DnsName::default() } else { host };
        }
    }

    let answers = Answers { target: w.target, vector_backend: vb, cache, postgresql, opal, llm, opencode, advanced };
    // The prompts allow nothing the checks refuse; a refusal here is a bug worth its message.
    answers.check().map_err(|(path, message)| format!("the wizard's answers are inconsistent ({path}: {message}); please report this"))?;
    Ok(answers)
}

/// Asks whether to replace a file edited since the wizard wrote it.
pub fn confirm_overwrite(shown: &str) -> Result<bool, String> {
    confirm_on(
        &Term::stderr(),
        &ColorfulTheme::default(),
        &format!("{shown} was edited since `kforge setup` wrote it (or is not its own). Replace it? (your version is kept as a .bak)"),
    )
}

/// A yes/no question, answered with Enter like every other prompt (`y` alone does not answer).
fn confirm_on(term: &Term, theme: &ColorfulTheme, prompt: &str) -> Result<bool, String> {
    Confirm::with_theme(theme).with_prompt(prompt).default(false).wait_for_newline(true).interact_on(term).map_err(failed)
}
