//! What Chart.yaml says about a chart: the metadata an application declares.

#[derive(Clone, Debug, Default)]
pub struct Maintainer {
    pub name: String,
    pub email: String,
    pub url: String,
}

/// What Chart.yaml says about a chart.
#[derive(Clone, Debug, Default)]
pub struct ChartMeta {
    pub name: String,
    pub version: String,
    pub app_version: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub home: String,
    pub sources: Vec<String>,
    pub maintainers: Vec<Maintainer>,
}

impl ChartMeta {
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
