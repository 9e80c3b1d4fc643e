//! Pull-request flow over a window (metric spec §4): PRs merged in the window, their
//! size and timeline, reviews, and the work in progress at the window's end.

use serde::{Deserialize, Serialize};

use super::calendar::Window;
use super::facts::PrFact;
use super::scope::{Scope, ScopeInfo};
use super::stats::{hours, median, percentile};
use super::view::FactsView;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrFlowReport {
    pub scope: ScopeInfo,
    /// PRs merged in the window.
    pub throughput: u64,
    pub size: SizeStats,
    pub coding: SpanStats,
    pub pickup: SpanStats,
    pub review: SpanStats,
    pub deploy: SpanStats,
    pub reviews: ReviewStats,
    pub work_in_progress: WipStats,
}

/// Additions + deletions of the merged PRs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SizeStats {
    pub median_lines: Option<f64>,
    pub p90_lines: Option<f64>,
}

/// One timeline part over the merged PRs that have it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanStats {
    pub prs: u64,
    pub median_hours: Option<f64>,
    pub p75_hours: Option<f64>,
    pub p90_hours: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewStats {
    /// Formal human reviews on the merged PRs.
    pub total: u64,
    pub median_per_pr: Option<f64>,
    /// Merged PRs with at least one formal human review.
    pub reviewed_prs: u64,
    /// Of those, the share approved without any request for changes.
    pub first_time_approval_share: Option<f64>,
}

/// PRs open at the end of the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WipStats {
    pub open: u64,
    pub median_age_hours: Option<f64>,
    pub p90_age_hours: Option<f64>,
}

fn span_stats(prs: &[&PrFact], part: impl Fn(&PrFact) -> Option<i64>) -> SpanStats {
    let mut values: Vec<f64> = prs.iter().filter_map(|p| part(p)).map(hours).collect();
    SpanStats {
        prs: values.len() as u64,
        median_hours: median(&mut values),
        p75_hours: percentile(&mut values, 0.75),
        p90_hours: percentile(&mut values, 0.90),
    }
}

pub(crate) fn report(view: &FactsView, scope: &Scope, info: ScopeInfo, window: Window) -> PrFlowReport {
    let merged: Vec<&PrFact> = view.merged_between(window.from, window.to).filter(|p| scope.has_pr(p)).collect();
    let mut sizes: Vec<f64> = merged.iter().filter_map(|p| p.size).map(|s| s as f64).collect();
    let mut per_pr: Vec<f64> = merged.iter().map(|p| f64::from(p.reviews)).collect();
    let reviewed: Vec<&&PrFact> = merged.iter().filter(|p| p.reviews > 0).collect();
    let first_time = reviewed.iter().filter(|p| p.approved_first_time).count();

    // Open at the end: created before it, and neither merged nor closed before it.
    let end = window.to;
    let merged_later = view
        .facts
        .pull_requests
        .iter()
        .filter(|p| scope.has_pr(p) && p.created_at < end && p.merged_at >= end)
        .map(|p| p.created_at);
    let never_merged = view
        .facts
        .unmerged_pull_requests
        .iter()
        .filter(|p| scope.has_repo(&p.repo) && scope.has_author(&p.author))
        .filter(|p| p.created_at < end && p.closed_at.is_none_or(|c| c >= end))
        .map(|p| p.created_at);
    let mut ages: Vec<f64> =
        merged_later.chain(never_merged).map(|created| hours((end - created).num_seconds())).collect();

    PrFlowReport {
        scope: info,
        throughput: merged.len() as u64,
        size: SizeStats { median_lines: median(&mut sizes), p90_lines: percentile(&mut sizes, 0.90) },
        coding: span_stats(&merged, |p| p.coding),
        pickup: span_stats(&merged, |p| p.pickup),
        review: span_stats(&merged, |p| p.review),
        deploy: span_stats(&merged, |p| p.deploy),
        reviews: ReviewStats {
            total: merged.iter().map(|p| u64::from(p.reviews)).sum(),
            median_per_pr: median(&mut per_pr),
            reviewed_prs: reviewed.len() as u64,
            first_time_approval_share: (!reviewed.is_empty()).then(|| first_time as f64 / reviewed.len() as f64),
        },
        work_in_progress: WipStats {
            open: ages.len() as u64,
            median_age_hours: median(&mut ages),
            p90_age_hours: percentile(&mut ages, 0.90),
        },
    }
}
