//! Chart versions: the bump a change needs and whether a version has it.
//!
//! Helm chart versions are SemVer 2 (Helm refuses a Chart.yaml whose `version` is not). The
//! rule follows SemVer: a breaking change needs a major bump, or below 1.0.0 a minor one (SemVer
//! item 4: anything may change in 0.y.z, and the ecosystem reads 0.y as the major); new
//! settings a minor one; any other change of the chart's content a patch.

use std::fmt;

use semver::Version;

/// How much a chart's version must grow, least first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bump {
    /// Nothing in the chart changed.
    None,
    /// The chart's content changed.
    Patch,
    /// New settings.
    Minor,
    /// A change an installed release or a user's values file does not survive.
    Breaking,
}

impl fmt::Display for Bump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Bump::None => "no change",
            Bump::Patch => "a patch version (content changed)",
            Bump::Minor => "a minor version (new settings)",
            Bump::Breaking => "a major version, or a minor one below 1.0.0 (breaking change)",
        })
    }
}

/// Parses a chart version. Errors: not SemVer 2 (what Helm requires).
pub fn parse(version: &str) -> Result<Version, String> {
    Version::parse(version).map_err(|e| format!("version {version:?} is not SemVer 2, as Helm requires: {e}"))
}

/// The smallest version after `base` that `bump` allows: `1.2.3` + Minor = `1.3.0`.
pub fn next(base: &Version, bump: Bump) -> Version {
    let mut v = Version::new(base.major, base.minor, base.patch);
    match bump {
        Bump::None => return base.clone(),
        Bump::Patch => v.patch += 1,
        Bump::Minor => {
            v.minor += 1;
            v.patch = 0;
        }
        Bump::Breaking if base.major == 0 => {
            v.minor += 1;
            v.patch = 0;
        }
        Bump::Breaking => {
            v = Version::new(base.major + 1, 0, 0);
        }
    }
    v
}

/// Whether going from `base` to `now` is at least `bump`. A pre-release of the needed version
/// does not count (`2.0.0-rc.1` is before `2.0.0`).
pub fn is_enough(base: &Version, now: &Version, bump: Bump) -> bool {
    if bump == Bump::None {
        return now >= base;
    }
    now >= &next(base, bump)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        parse(s).unwrap()
    }

    #[test]
    fn bumps_follow_semver_with_zero_major_as_the_breaking_digit() {
        assert_eq!(next(&v("1.2.3"), Bump::Patch), v("1.2.4"));
        assert_eq!(next(&v("1.2.3"), Bump::Minor), v("1.3.0"));
        assert_eq!(next(&v("1.2.3"), Bump::Breaking), v("2.0.0"));
        assert_eq!(next(&v("0.1.3"), Bump::Breaking), v("0.2.0"));
        assert_eq!(next(&v("0.1.3"), Bump::Minor), v("0.2.0"));
        assert!(is_enough(&v("0.1.0"), &v("0.2.0"), Bump::Breaking));
        assert!(!is_enough(&v("1.0.0"), &v("1.1.0"), Bump::Breaking));
        assert!(!is_enough(&v("1.0.0"), &v("2.0.0-rc.1"), Bump::Breaking));
        assert!(!is_enough(&v("1.0.0"), &v("1.0.0"), Bump::Patch));
        assert!(is_enough(&v("1.0.0"), &v("1.0.0"), Bump::None));
        assert!(parse("1.0").is_err());
    }
}
