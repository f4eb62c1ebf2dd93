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
}

impl ChartMeta {
    /// Metadata with the required fields; the rest empty.
    pub fn new(name: &str, version: &str, app_version: &str, description: &str) -> Self {
        ChartMeta {
            name: name.into(),
            version: version.into(),
            app_version: app_version.into(),
            description: description.into(),
            ..ChartMeta::default()
        }
    }
}
