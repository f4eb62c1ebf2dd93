//! A finding: one problem of one object in one environment, as the check reports it.

use std::fmt;

/// One problem in one environment: which object, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// The application (chart name).
    pub app: String,
    /// `default`, or the name of the example environment.
    pub environment: String,
    /// `Kind/name` of the object, or `values <path>` for a finding about the values.
    pub subject: String,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}: {}", self.app, self.environment, self.subject, self.message)
    }
}
