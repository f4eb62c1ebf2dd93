//! The OpenCode MCP entry, merged into the user's `opencode.json`.
//!
//! OpenCode reads MCP servers from the `mcp` map of its configuration (globally
//! `~/.config/opencode/opencode.json`): `"type": "local"` with a `command` array, or
//! `"type": "remote"` with a `url`. The wizard writes one `aeterna` entry of the remote kind and
//! leaves everything else in the file as it was (key order included).

use std::path::PathBuf;

use serde_json::{Value, json};

/// The path under the server's address where it serves MCP (streamable HTTP), as the Aeterna
/// server's own setup command configures OpenCode.
pub const MCP_PATH: &str = "/mcp";

/// The schema OpenCode publishes for its configuration, put into a file the wizard creates.
const SCHEMA: &str = "https://opencode.ai/config.json";

pub fn entry(url: &str) -> Value {
    json!({"type": "remote", "url": url, "enabled": true})
}

/// Where OpenCode keeps its global configuration: `$XDG_CONFIG_HOME/opencode/opencode.json`,
/// else `~/.config/opencode/opencode.json`.
pub fn default_path() -> Result<PathBuf, String> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => {
            let home = std::env::var_os("HOME").filter(|v| !v.is_empty()).ok_or("HOME is not set: give --opencode-config PATH for the OpenCode configuration")?;
            PathBuf::from(home).join(".config")
        }
    };
    Ok(base.join("opencode").join("opencode.json"))
}

/// What merging the entry into the file does.
#[derive(Debug, PartialEq)]
pub enum Merge {
    /// The file has this entry already.
    Same,
    /// The new text; `replaces` is true when it changes an `aeterna` entry someone else wrote
    /// or edited.
    Write { text: String, replaces: bool },
}

/// Merges `entry` as `mcp.aeterna` into `existing` (the file's text, if it exists).
pub fn merge(shown: &str, existing: Option<&str>, entry: &Value) -> Result<Merge, String> {
    let by_hand = || format!("add this under \"mcp\" by hand:\n  \"aeterna\": {entry}");
    let mut doc = match existing {
        None => json!({"$schema": SCHEMA}),
        Some(text) if text.trim().is_empty() => json!({"$schema": SCHEMA}),
        Some(text) => serde_json::from_str::<Value>(text)
            .map_err(|e| format!("{shown}: not plain JSON ({e}); the wizard merges only plain JSON, since rewriting a file with comments would lose them: {}", by_hand()))?,
    };
    let Value::Object(root) = &mut doc else {
        return Err(format!("{shown}: expected a JSON object at the top; {}", by_hand()));
    };
    let mcp = root.entry("mcp").or_insert_with(|| json!({}));
    let Value::Object(servers) = mcp else {
        return Err(format!("{shown}: \"mcp\" is not an object of MCP servers; {}", by_hand()));
    };
    let replaces = match servers.get("aeterna") {
        Some(old) if old == entry => return Ok(Merge::Same),
        Some(_) => true,
        None => false,
    };
    servers.insert("aeterna".into(), entry.clone());
    let text = serde_json::to_string_pretty(&doc).map_err(|e| format!("{shown}: {e}"))? + "\n";
    Ok(Merge::Write { text, replaces })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_everything_else() {
        let e = entry("http://localhost:8080/mcp");
        let old = r#"{"theme": "dark", "mcp": {"github": {"type": "local", "command": ["gh-mcp"]}}, "model": "x"}"#;
        let Merge::Write { text, replaces } = merge("o.json", Some(old), &e).unwrap() else { panic!("no write") };
        assert!(!replaces);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["theme"], "dark");
        assert_eq!(v["mcp"]["github"]["command"][0], "gh-mcp");
        assert_eq!(v["mcp"]["aeterna"], e);
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["theme", "mcp", "model"]);
        assert_eq!(merge("o.json", Some(&text), &e).unwrap(), Merge::Same);
        let Merge::Write { replaces, .. } = merge("o.json", Some(&text), &entry("http://other/mcp")).unwrap() else { panic!() };
        assert!(replaces);
    }

    #[test]
    fn files_it_cannot_merge_are_refused_with_the_entry_to_add() {
        let e = entry("http://localhost:8080/mcp");
        let err = merge("o.json", Some("{ // comment\n}"), &e).unwrap_err();
        assert!(err.starts_with("o.json: not plain JSON") && err.contains("\"aeterna\": {"), "{err}");
        assert!(merge("o.json", Some("[]"), &e).unwrap_err().contains("expected a JSON object"));
        assert!(merge("o.json", Some(r#"{"mcp": []}"#), &e).unwrap_err().contains("\"mcp\" is not an object"));
    }
}
