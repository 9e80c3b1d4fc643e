//! How big the generated organisation is: the public [`Scale`] and the internal
//! [`Sizes`] it maps to (tests build odd sizes directly).

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use crate::error::{Error, Result};

/// The size of the synthetic organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scale {
    /// 3 repositories over 6 months, a few hundred PRs each: `pulse demo` and tests.
    Small,
    /// 200 repositories, 200,000 PRs and 1,000,000 commits over one year: benchmarks.
    Large,
}

impl Scale {
    /// Every scale, smallest first.
    pub const ALL: [Scale; 2] = [Scale::Small, Scale::Large];

    /// The name accepted by [`Scale::from_str`].
    pub fn as_str(self) -> &'static str {
        match self {
            Scale::Small => "small",
            Scale::Large => "large",
        }
    }

    pub(crate) fn sizes(self) -> Sizes {
        match self {
            Scale::Small => Sizes {
                repos: 3,
                period_days: 182,
                prs_per_repo: 150..=250,
                commits_per_repo: None,
                deployments_per_repo: 45..=65,
                staging_share: 0.3,
                incidents: 10..=20,
                jira_issues: 400,
                engineers_per_team: 5,
            },
            Scale::Large => Sizes {
                repos: 200,
                period_days: 365,
                prs_per_repo: 1_000..=1_000,
                commits_per_repo: Some(5_000),
                deployments_per_repo: 100..=100,
                staging_share: 0.2,
                incidents: 2_000..=2_000,
                jira_issues: 50_000,
                engineers_per_team: 100,
            },
        }
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scale {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Scale::ALL
            .into_iter()
            .find(|scale| scale.as_str() == s)
            .ok_or_else(|| Error::invalid("scale", format!("{s:?} is not one of small, large")))
    }
}

/// The numbers a generated organisation is built to. Ranges are drawn per repository
/// (or once, for incidents); single-value ranges make a count exact.
#[derive(Debug, Clone)]
pub(crate) struct Sizes {
    pub(crate) repos: usize,
    /// The data covers `[end - period_days, end)`.
    pub(crate) period_days: i64,
    pub(crate) prs_per_repo: RangeInclusive<usize>,
    /// Exact commits per repository, the root included: direct pushes to the default
    /// branch fill what the PRs leave. `None`: as many as the PRs make, plus a few pushes.
    /// Must be at least `2 * prs + 1` (see [`Sizes::commit_budget_is_feasible`]).
    pub(crate) commits_per_repo: Option<usize>,
    pub(crate) deployments_per_repo: RangeInclusive<usize>,
    /// Share of each repository's deployments that go to staging rather than production.
    pub(crate) staging_share: f64,
    pub(crate) incidents: RangeInclusive<usize>,
    pub(crate) jira_issues: usize,
    /// At least 2, so that every PR author has a teammate to review.
    pub(crate) engineers_per_team: usize,
}

impl Sizes {
    /// Whether the commit budget can always be met: every PR needs at least one branch
    /// commit and a merged one one more on the default branch, plus the root commit.
    pub(crate) fn commit_budget_is_feasible(&self) -> bool {
        self.commits_per_repo.is_none_or(|budget| budget > 2 * self.prs_per_repo.end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_names() {
        for scale in Scale::ALL {
            assert_eq!(scale.as_str().parse::<Scale>().unwrap(), scale);
            assert_eq!(scale.to_string(), scale.as_str());
        }
        assert_eq!("large".parse::<Scale>().unwrap(), Scale::Large);
    }

    #[test]
    fn unknown_scale_is_a_typed_error() {
        for bad in ["", "Small", "huge", " small"] {
            let err = bad.parse::<Scale>().unwrap_err();
            assert!(matches!(err, Error::Invalid { what: "scale", .. }), "{bad:?}: {err}");
        }
    }

    #[test]
    fn large_totals_are_the_benchmark_targets() {
        let s = Scale::Large.sizes();
        assert_eq!(s.repos, 200);
        assert_eq!(s.repos * s.prs_per_repo.start(), 200_000);
        assert_eq!(s.prs_per_repo.start(), s.prs_per_repo.end());
        assert_eq!(s.repos * s.commits_per_repo.unwrap(), 1_000_000);
        assert_eq!(s.repos * s.deployments_per_repo.start(), 20_000);
        assert_eq!(s.deployments_per_repo.start(), s.deployments_per_repo.end());
        assert_eq!(*s.incidents.start(), 2_000);
        assert_eq!(*s.incidents.end(), 2_000);
        assert_eq!(s.jira_issues, 50_000);
        assert_eq!(s.period_days, 365);
    }

    #[test]
    fn both_scales_are_feasible() {
        for scale in Scale::ALL {
            let s = scale.sizes();
            assert!(s.commit_budget_is_feasible(), "{scale}");
            assert!(s.engineers_per_team >= 2, "{scale}");
        }
        let mut tight = Scale::Large.sizes();
        tight.commits_per_repo = Some(2_000);
        assert!(!tight.commit_budget_is_feasible());
    }
}
