//! Conditions on an image's version: "this image reads `AETERNA_OPENAI_BASE_URL`" is true from
//! one release on. The chart tests the tag with Helm's `semverCompare`, emit with the `semver`
//! crate, by one rule:
//!
//! - A tag is a version when it is a whole semantic version, `MAJOR.MINOR.PATCH` with an optional
//!   `-prerelease` and `+build`, optionally after a `v` ([`VERSION_PATTERN`]: semver.org's
//!   grammar, numbers of at most 18 digits). `v0.8.0-rc.9` and `1.2.3` are versions.
//! - A tag that is not (`main`, `latest`, `8.1`, a branch or a build's name) counts as the newest
//!   release: every gate is open. A mutable tag follows the newest code, and a team's own build
//!   is assumed to have what the newest release has.
//! - Versions compare by semantic-version precedence (build metadata ignored). As in Helm's
//!   constraints (Masterminds/semver v3 `constraintGreaterThanEqual`), a prerelease is at least
//!   `MIN` only when `MIN` is a prerelease itself: `0.9.0-rc.1` passes `>=0.8.0-rc.9` and fails
//!   `>=0.8.0`.
//!
//! `tests/it/conformance.rs` proves the two renderers agree on seeded tags through real Helm.

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex_lite::Regex;

/// A whole semantic version, optionally after `v`: semver.org's grammar with numbers of at most
/// 18 digits (so every number fits the 64 bits both Helm and the `semver` crate parse into).
pub const VERSION_PATTERN: &str = concat!(
    r"^v?(0|[1-9][0-9]{0,17})\.(0|[1-9][0-9]{0,17})\.(0|[1-9][0-9]{0,17})",
    r"(-(0|[1-9][0-9]{0,17}|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9][0-9]{0,17}|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?",
    r"(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$"
);

static VERSION: LazyLock<Regex> = LazyLock::new(|| Regex::new(VERSION_PATTERN).expect("valid pattern"));

/// The version a tag names, or `None` for a tag that is not a version.
pub fn parse(tag: &str) -> Option<semver::Version> {
    if !VERSION.is_match(tag) {
        return None;
    }
    semver::Version::parse(tag.strip_prefix('v').unwrap_or(tag)).ok()
}

/// True when the image tagged `tag` is release `min` or later, by the rule of this module.
/// `min` is a version (checked where the gate is built: [`check_min`]).
pub fn at_least(tag: &str, min: &str) -> bool {
    let Some(version) = parse(tag) else { return true };
    let min = parse(min).expect("a gate's version is checked where it is built");
    if !version.pre.is_empty() && min.pre.is_empty() {
        return false;
    }
    version.cmp_precedence(&min) != Ordering::Less
}

/// Refuses a gate on something that is not a version: a programming error in an application,
/// found by its first render.
pub fn check_min(min: &str) {
    assert!(parse(min).is_some(), "version gate `{min}`: not a version such as 0.8.0 or 0.8.0-rc.9 ({VERSION_PATTERN})");
}

/// The chart's test of the same rule over `tag`, a template operand: true for a tag that is not
/// a version, `semverCompare` otherwise (`or` stops at the first true operand, so Helm never
/// parses a tag that is not a version).
pub fn helm_condition(tag: &str, min: &str) -> String {
    format!(
        "or (not (regexMatch {} (toString {tag}))) (semverCompare {} (toString {tag}))",
        serde_json::Value::String(VERSION_PATTERN.into()),
        serde_json::Value::String(format!(">={min}"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_that_are_not_versions_open_every_gate() {
        for tag in ["main", "latest", "8.1", "1.2", "", "v", "1.2.3.4", "01.2.3", "1.2.3-", "1.2.3-01", "sha256:abc", "1234567890123456789.0.0"] {
            assert!(parse(tag).is_none(), "{tag}");
            assert!(at_least(tag, "99.0.0"), "{tag}");
        }
    }

    #[test]
    fn versions_compare_by_precedence_and_prereleases_need_a_prerelease_minimum() {
        let cases = [
            ("0.5.0", "0.8.0-rc.9", false),
            ("v0.8.0-rc.9", "0.8.0-rc.9", true),
            ("0.8.0-rc.10", "0.8.0-rc.9", true),
            ("0.8.0-rc.8", "0.8.0-rc.9", false),
            ("0.9.0-rc.1", "0.8.0-rc.9", true),
            ("0.9.0-rc.1", "0.8.0", false),
            ("0.8.0", "0.8.0-rc.9", true),
            ("0.8.0+build.7", "0.8.0", true),
            ("1.0.0", "0.8.0", true),
            ("0.7.99", "0.8.0", false),
        ];
        for (tag, min, expected) in cases {
            assert_eq!(at_least(tag, min), expected, "{tag} >= {min}");
        }
    }

    #[test]
    #[should_panic(expected = "not a version")]
    fn a_gate_on_a_name_is_refused() {
        check_min("latest");
    }
}
