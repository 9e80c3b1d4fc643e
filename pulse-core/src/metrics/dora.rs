//! The DORA metrics over a window (metric spec §3), their time series, and the JSON of §5.

use std::collections::BTreeSet;

use rustc_hash::FxHashSet as HashSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::bands::{self, Band, BandedMetric, Benchmark, Measure};
use super::calendar::{Period, Window};
use super::facts::{DeploymentFact, IncidentFact, PrFact};
use super::scope::{Scope, ScopeInfo, from_rfc3339, rfc3339};
use super::stats::{hours, mean, median, percentile};
use super::view::FactsView;
use crate::model::{DeploymentSource, Timestamp};

/// A DORA query's answer: spec §5, plus a time series when an interval was asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoraReport {
    pub scope: ScopeInfo,
    pub benchmark: Benchmark,
    pub deployment_sources: Vec<DeploymentSource>,
    #[serde(flatten)]
    pub metrics: DoraMetrics,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<Period>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series: Option<Vec<DoraPoint>>,
}

/// The five metrics (and the 2021 time to restore) over one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoraMetrics {
    pub deployment_frequency: DeploymentFrequency,
    pub lead_time_for_changes: LeadTimeForChanges,
    pub change_failure_rate: ChangeFailureRate,
    pub failed_deployment_recovery_time: FailedDeploymentRecoveryTime,
    pub time_to_restore_service: TimeToRestoreService,
    pub rework_rate: ReworkRate,
}

/// One period of a time series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoraPoint {
    #[serde(serialize_with = "rfc3339", deserialize_with = "from_rfc3339")]
    pub from: Timestamp,
    #[serde(serialize_with = "rfc3339", deserialize_with = "from_rfc3339")]
    pub to: Timestamp,
    #[serde(flatten)]
    pub metrics: DoraMetrics,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentFrequency {
    pub deployments: u64,
    pub deployment_days: u64,
    pub per_week: Option<f64>,
    pub median_deployment_days_per_week: Option<f64>,
    pub median_deployment_days_per_month: Option<f64>,
    pub band: Option<Band>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadTimeForChanges {
    pub changes: u64,
    pub median_hours: Option<f64>,
    pub p75_hours: Option<f64>,
    pub p90_hours: Option<f64>,
    pub mean_hours: Option<f64>,
    pub coding_median_hours: Option<f64>,
    pub pickup_median_hours: Option<f64>,
    pub review_median_hours: Option<f64>,
    pub deploy_median_hours: Option<f64>,
    pub band: Option<Band>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeFailureRate {
    pub deployments: u64,
    pub failed_deployments: u64,
    pub rate: Option<f64>,
    pub band: Option<Band>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedDeploymentRecoveryTime {
    pub incidents: u64,
    pub open_incidents: u64,
    pub median_hours: Option<f64>,
    pub band: Option<Band>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeToRestoreService {
    pub incidents: u64,
    pub median_hours: Option<f64>,
    pub band: Option<Band>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReworkRate {
    pub deployments: u64,
    pub rework_deployments: u64,
    pub rate: Option<f64>,
}

/// The records a window's metrics are computed from (what a drill-down lists).
pub(crate) struct Basis<'a> {
    /// D: successful production deployments finished in the window, in scope.
    pub deliveries: Vec<(usize, &'a DeploymentFact)>,
    /// PRs deployed by D, in scope.
    pub changes: Vec<&'a PrFact>,
    /// Incidents linked to D, with their deployment.
    pub linked: Vec<(&'a IncidentFact, &'a DeploymentFact)>,
    /// Incidents of the scope created in the window.
    pub created: Vec<&'a IncidentFact>,
}

pub(crate) fn basis<'a>(view: &'a FactsView, scope: &Scope, window: Window) -> Basis<'a> {
    let deliveries: Vec<(usize, &DeploymentFact)> =
        view.deliveries_between(window.from, window.to).filter(|(_, d)| scope.has_deployment(d, view)).collect();
    let changes = deliveries.iter().flat_map(|&(i, _)| view.prs_of(i)).filter(|pr| scope.has_pr(pr)).collect();
    let linked = deliveries.iter().flat_map(|&(i, d)| view.incidents_of(i).map(move |inc| (inc, d))).collect();
    let created =
        view.facts.incidents.iter().filter(|i| window.contains(i.created_at) && scope.has_incident(i, view)).collect();
    Basis { deliveries, changes, linked, created }
}

pub(crate) fn sources(basis: &Basis<'_>) -> Vec<DeploymentSource> {
    let set: BTreeSet<DeploymentSource> = basis.deliveries.iter().map(|(_, d)| d.source).collect();
    set.into_iter().collect()
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn median_hours(seconds: impl Iterator<Item = i64>) -> Option<f64> {
    median(&mut seconds.map(hours).collect::<Vec<_>>())
}

/// Median over `periods` of the number of distinct deployment days in each (zero for a
/// period without deployments).
fn median_days_per(days: &HashSet<NaiveDate>, periods: &[Window]) -> Option<f64> {
    let mut counts: Vec<f64> = periods
        .iter()
        .map(|p| days.iter().filter(|d| p.contains(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())).count() as f64)
        .collect();
    median(&mut counts)
}

pub(crate) fn metrics(basis: &Basis<'_>, window: Window, benchmark: Benchmark) -> DoraMetrics {
    let n = basis.deliveries.len() as u64;

    let days: HashSet<NaiveDate> = basis.deliveries.iter().map(|(_, d)| d.finished_at.date_naive()).collect();
    let per_week_days = median_days_per(&days, &window.periods(Period::Week));
    let per_month_days = median_days_per(&days, &window.periods(Period::Month));
    let per_half_year_days = median_days_per(&days, &window.periods(Period::HalfYear));
    let frequency_band = (n > 0)
        .then(|| {
            bands::rate(benchmark, BandedMetric::DeploymentFrequency, |m| match m {
                Measure::MedianDeploymentDaysPerWeek => per_week_days,
                Measure::MedianDeploymentDaysPerMonth => per_month_days,
                Measure::MedianDeploymentDaysPerHalfYear => per_half_year_days,
                _ => None,
            })
        })
        .flatten();
    let deployment_frequency = DeploymentFrequency {
        deployments: n,
        deployment_days: days.len() as u64,
        per_week: (window.days() > 0.0).then(|| n as f64 / (window.days() / 7.0)),
        median_deployment_days_per_week: per_week_days,
        median_deployment_days_per_month: per_month_days,
        band: frequency_band,
    };

    let mut lead: Vec<f64> = basis.changes.iter().map(|pr| hours(pr.lead_time)).collect();
    let lead_median = median(&mut lead);
    let lead_time_for_changes = LeadTimeForChanges {
        changes: basis.changes.len() as u64,
        median_hours: lead_median,
        p75_hours: percentile(&mut lead, 0.75),
        p90_hours: percentile(&mut lead, 0.90),
        mean_hours: mean(&lead),
        coding_median_hours: median_hours(basis.changes.iter().filter_map(|p| p.coding)),
        pickup_median_hours: median_hours(basis.changes.iter().filter_map(|p| p.pickup)),
        review_median_hours: median_hours(basis.changes.iter().filter_map(|p| p.review)),
        deploy_median_hours: median_hours(basis.changes.iter().filter_map(|p| p.deploy)),
        band: bands::rate(benchmark, BandedMetric::LeadTime, |m| {
            (m == Measure::MedianHours).then_some(lead_median).flatten()
        }),
    };

    // `linked` holds only incidents of D's deployments.
    let failed: HashSet<(&crate::ids::RepoName, &str)> =
        basis.linked.iter().map(|(_, d)| (&d.repo, d.id.as_str())).collect();
    let rate = ratio(failed.len() as u64, n);
    let change_failure_rate = ChangeFailureRate {
        deployments: n,
        failed_deployments: failed.len() as u64,
        rate,
        band: bands::rate(benchmark, BandedMetric::ChangeFailureRate, |m| {
            (m == Measure::Rate).then_some(rate).flatten()
        }),
    };

    let recovery = median_hours(basis.linked.iter().filter_map(|(inc, d)| {
        let seconds = (inc.resolved_at? - d.finished_at).num_seconds();
        (seconds >= 0).then_some(seconds)
    }));
    let failed_deployment_recovery_time = FailedDeploymentRecoveryTime {
        incidents: basis.linked.len() as u64,
        open_incidents: basis.linked.iter().filter(|(i, _)| i.resolved_at.is_none()).count() as u64,
        median_hours: recovery,
        band: bands::rate(benchmark, BandedMetric::RecoveryTime, |m| {
            (m == Measure::MedianHours).then_some(recovery).flatten()
        }),
    };

    let restored: Vec<i64> = basis
        .created
        .iter()
        .filter_map(|i| Some((i.resolved_at? - i.created_at).num_seconds()))
        .filter(|s| *s >= 0)
        .collect();
    let restore = median_hours(restored.iter().copied());
    let time_to_restore_service = TimeToRestoreService {
        incidents: restored.len() as u64,
        median_hours: restore,
        band: bands::rate(benchmark, BandedMetric::RecoveryTime, |m| {
            (m == Measure::MedianHours).then_some(restore).flatten()
        }),
    };

    let rework = basis.deliveries.iter().filter(|(_, d)| !d.rework.is_empty()).count() as u64;
    let rework_rate = ReworkRate { deployments: n, rework_deployments: rework, rate: ratio(rework, n) };

    DoraMetrics {
        deployment_frequency,
        lead_time_for_changes,
        change_failure_rate,
        failed_deployment_recovery_time,
        time_to_restore_service,
        rework_rate,
    }
}

/// The report for `window`, with a series by `interval` when given.
pub(crate) fn report(
    view: &FactsView,
    scope: &Scope,
    info: ScopeInfo,
    window: Window,
    benchmark: Benchmark,
    interval: Option<Period>,
) -> DoraReport {
    let whole = basis(view, scope, window);
    let series = interval.map(|period| {
        window
            .periods(period)
            .into_iter()
            .map(|w| DoraPoint { from: w.from, to: w.to, metrics: metrics(&basis(view, scope, w), w, benchmark) })
            .collect()
    });
    DoraReport {
        scope: info,
        benchmark,
        deployment_sources: sources(&whole),
        metrics: metrics(&whole, window, benchmark),
        interval,
        series,
    }
}
