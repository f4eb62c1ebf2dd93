//! What Chart.yaml says about a chart: the metadata an application declares.

/// A maintainer as Chart.yaml lists one.
#[derive(Clone, Debug, Default)]
pub struct Maintainer {
    /// Name.
    pub name: String,
    /// E-mail address; left out when empty.
    pub email: String,
    /// URL; left out when empty.
    pub url: String,
}

/// What an operator must know before upgrading to a version: the chart README's "Upgrading"
/// section lists these, and the upgrade check asks for one when a version breaks something.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UpgradeNote {
    /// The chart version this note is for (`0.3.0`).
    pub version: String,
    /// Markdown: what changed and what to do before `helm upgrade`.
    pub note: String,
}

/// What Chart.yaml says about a chart.
#[derive(Clone, Debug, Default)]
pub struct ChartMeta {
    /// The chart's name (DNS-1123 label): directory, release default and label value.
    pub name: String,
    /// The chart's version (SemVer 2).
    pub version: String,
    /// The application's version: `appVersion` and the `app.kubernetes.io/version` label.
    pub app_version: String,
    /// One sentence about the chart.
    pub description: String,
    /// Search keywords; left out when empty.
    pub keywords: Vec<String>,
    /// The project's home page; left out when empty.
    pub home: String,
    /// Source repositories; left out when empty.
    pub sources: Vec<String>,
    /// Maintainers; left out when empty.
    pub maintainers: Vec<Maintainer>,
    /// Upgrade notes, newest first (see [`ChartMeta::upgrade_note`]).
    pub upgrade_notes: Vec<UpgradeNote>,
}

impl ChartMeta {
    /// Metadata with the required fields; the rest empty.
    pub fn new(name: &str, version: &str, app_version: &str, description: &str) -> Self {
        ChartMeta { name: name.into(), version: version.into(), app_version: app_version.into(), description: description.into(), ..ChartMeta::default() }
    }

    /// Adds an upgrade note for `version` (Markdown): what operators must do before upgrading
    /// to it. Give the newest version first. `kforge upgrade-check` requires one for a version
    /// with a breaking change. A second note for the same version extends the first, one
    /// Markdown line after it.
    pub fn upgrade_note(mut self, version: &str, note: &str) -> Self {
        match self.upgrade_notes.iter_mut().find(|n| n.version == version) {
            Some(n) => {
                n.note.push('\n');
                n.note.push_str(note);
            }
            None => self.upgrade_notes.push(UpgradeNote { version: version.into(), note: note.into() }),
        }
        self
    }
}
