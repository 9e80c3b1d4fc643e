//! DORA performance bands, held as data: one table of thresholds per benchmark, read by
//! one evaluator. Adding a benchmark is adding rows, not code.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Which published DORA thresholds to rate against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Benchmark {
    /// The 2023 State of DevOps report (the default).
    #[default]
    #[serde(rename = "dora-2023")]
    Dora2023,
    /// The 2021 report.
    #[serde(rename = "dora-2021")]
    Dora2021,
}

impl Benchmark {
    pub fn as_str(self) -> &'static str {
        match self {
            Benchmark::Dora2023 => "dora-2023",
            Benchmark::Dora2021 => "dora-2021",
        }
    }

    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "dora-2023" => Ok(Benchmark::Dora2023),
            "dora-2021" => Ok(Benchmark::Dora2021),
            other => Err(Error::invalid("benchmark", format!("{other:?} is not one of dora-2023, dora-2021"))),
        }
    }
}

impl std::str::FromStr for Benchmark {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// A performance level, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    Elite,
    High,
    Medium,
    Low,
}

/// The metrics that carry a band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BandedMetric {
    DeploymentFrequency,
    LeadTime,
    ChangeFailureRate,
    /// Failed deployment recovery time and time to restore service share a row.
    RecoveryTime,
}

/// What a threshold is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    MedianDeploymentDaysPerWeek,
    MedianDeploymentDaysPerMonth,
    /// Over calendar half-years (January–June, July–December).
    MedianDeploymentDaysPerHalfYear,
    MedianHours,
    Rate,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmp {
    AtLeast,
    Below,
    AtMost,
}

/// One row of the band table: `metric` is at least `level` when `measure cmp threshold`.
struct Rule {
    benchmark: Benchmark,
    metric: BandedMetric,
    level: Band,
    measure: Measure,
    cmp: Cmp,
    threshold: f64,
}

const DAY: f64 = 24.0;

use BandedMetric::*;
use Benchmark::*;
use Cmp::*;
use Measure::*;

/// Metric spec §3, row by row. A metric matching no row of its benchmark is `Low`.
#[rustfmt::skip]
const RULES: &[Rule] = &[
    Rule { benchmark: Dora2023, metric: DeploymentFrequency, level: Band::Elite, measure: MedianDeploymentDaysPerWeek, cmp: AtLeast, threshold: 5.0 },
    Rule { benchmark: Dora2023, metric: DeploymentFrequency, level: Band::High, measure: MedianDeploymentDaysPerWeek, cmp: AtLeast, threshold: 1.0 },
    Rule { benchmark: Dora2023, metric: DeploymentFrequency, level: Band::Medium, measure: MedianDeploymentDaysPerMonth, cmp: AtLeast, threshold: 1.0 },
    Rule { benchmark: Dora2023, metric: LeadTime, level: Band::Elite, measure: MedianHours, cmp: Below, threshold: DAY },
    Rule { benchmark: Dora2023, metric: LeadTime, level: Band::High, measure: MedianHours, cmp: Below, threshold: 7.0 * DAY },
    Rule { benchmark: Dora2023, metric: LeadTime, level: Band::Medium, measure: MedianHours, cmp: Below, threshold: 30.0 * DAY },
    Rule { benchmark: Dora2023, metric: ChangeFailureRate, level: Band::Elite, measure: Rate, cmp: AtMost, threshold: 0.05 },
    Rule { benchmark: Dora2023, metric: ChangeFailureRate, level: Band::High, measure: Rate, cmp: AtMost, threshold: 0.10 },
    Rule { benchmark: Dora2023, metric: ChangeFailureRate, level: Band::Medium, measure: Rate, cmp: AtMost, threshold: 0.15 },
    Rule { benchmark: Dora2023, metric: RecoveryTime, level: Band::Elite, measure: MedianHours, cmp: Below, threshold: 1.0 },
    Rule { benchmark: Dora2023, metric: RecoveryTime, level: Band::High, measure: MedianHours, cmp: Below, threshold: DAY },
    Rule { benchmark: Dora2023, metric: RecoveryTime, level: Band::Medium, measure: MedianHours, cmp: Below, threshold: 7.0 * DAY },
    Rule { benchmark: Dora2021, metric: DeploymentFrequency, level: Band::Elite, measure: MedianDeploymentDaysPerWeek, cmp: AtLeast, threshold: 5.0 },
    Rule { benchmark: Dora2021, metric: DeploymentFrequency, level: Band::High, measure: MedianDeploymentDaysPerMonth, cmp: AtLeast, threshold: 1.0 },
    Rule { benchmark: Dora2021, metric: DeploymentFrequency, level: Band::Medium, measure: MedianDeploymentDaysPerHalfYear, cmp: AtLeast, threshold: 1.0 },
    Rule { benchmark: Dora2021, metric: LeadTime, level: Band::Elite, measure: MedianHours, cmp: Below, threshold: 1.0 },
    Rule { benchmark: Dora2021, metric: LeadTime, level: Band::High, measure: MedianHours, cmp: Below, threshold: 7.0 * DAY },
    Rule { benchmark: Dora2021, metric: LeadTime, level: Band::Medium, measure: MedianHours, cmp: Below, threshold: 180.0 * DAY },
    Rule { benchmark: Dora2021, metric: ChangeFailureRate, level: Band::Elite, measure: Rate, cmp: AtMost, threshold: 0.15 },
    Rule { benchmark: Dora2021, metric: ChangeFailureRate, level: Band::High, measure: Rate, cmp: AtMost, threshold: 0.20 },
    Rule { benchmark: Dora2021, metric: ChangeFailureRate, level: Band::Medium, measure: Rate, cmp: AtMost, threshold: 0.30 },
    Rule { benchmark: Dora2021, metric: RecoveryTime, level: Band::Elite, measure: MedianHours, cmp: Below, threshold: 1.0 },
    Rule { benchmark: Dora2021, metric: RecoveryTime, level: Band::High, measure: MedianHours, cmp: Below, threshold: DAY },
    Rule { benchmark: Dora2021, metric: RecoveryTime, level: Band::Medium, measure: MedianHours, cmp: Below, threshold: 7.0 * DAY },
];

/// Rates a metric. `value` gives each measure the rules may ask for; a rule whose
/// measure has no value (no data) is skipped. Returns `None` when no measure has a value.
pub fn rate(benchmark: Benchmark, metric: BandedMetric, value: impl Fn(Measure) -> Option<f64>) -> Option<Band> {
    let mut any = false;
    for rule in RULES.iter().filter(|r| r.benchmark == benchmark && r.metric == metric) {
        let Some(v) = value(rule.measure) else { continue };
        any = true;
        let holds = match rule.cmp {
            AtLeast => v >= rule.threshold,
            Below => v < rule.threshold,
            AtMost => v <= rule.threshold,
        };
        if holds {
            return Some(rule.level);
        }
    }
    any.then_some(Band::Low)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(metric: BandedMetric, benchmark: Benchmark, h: f64) -> Option<Band> {
        rate(benchmark, metric, |m| (m == MedianHours).then_some(h))
    }

    #[test]
    fn lead_time_edges() {
        assert_eq!(hours(LeadTime, Dora2023, 23.99), Some(Band::Elite));
        assert_eq!(hours(LeadTime, Dora2023, 24.0), Some(Band::High), "exactly 24 h is not below a day");
        assert_eq!(hours(LeadTime, Dora2023, 7.0 * 24.0), Some(Band::Medium));
        assert_eq!(hours(LeadTime, Dora2023, 30.0 * 24.0), Some(Band::Low));
        assert_eq!(hours(LeadTime, Dora2021, 0.5), Some(Band::Elite));
        assert_eq!(hours(LeadTime, Dora2021, 1.0), Some(Band::High));
        assert_eq!(hours(LeadTime, Dora2021, 179.0 * 24.0), Some(Band::Medium));
        assert_eq!(hours(LeadTime, Dora2021, 180.0 * 24.0), Some(Band::Low));
    }

    #[test]
    fn change_failure_rate_edges() {
        let cfr = |b, r: f64| rate(b, ChangeFailureRate, |m| (m == Rate).then_some(r));
        assert_eq!(cfr(Dora2023, 0.05), Some(Band::Elite), "exactly 5 % is elite");
        assert_eq!(cfr(Dora2023, 0.0500001), Some(Band::High));
        assert_eq!(cfr(Dora2023, 0.15), Some(Band::Medium));
        assert_eq!(cfr(Dora2023, 0.16), Some(Band::Low));
        assert_eq!(cfr(Dora2021, 0.15), Some(Band::Elite));
        assert_eq!(cfr(Dora2021, 0.30), Some(Band::Medium));
        assert_eq!(cfr(Dora2021, 0.31), Some(Band::Low));
    }

    #[test]
    fn recovery_edges() {
        assert_eq!(hours(RecoveryTime, Dora2023, 0.99), Some(Band::Elite));
        assert_eq!(hours(RecoveryTime, Dora2023, 1.0), Some(Band::High));
        assert_eq!(hours(RecoveryTime, Dora2023, 24.0), Some(Band::Medium));
        assert_eq!(hours(RecoveryTime, Dora2023, 7.0 * 24.0), Some(Band::Low));
    }

    #[test]
    fn deployment_frequency_uses_a_measure_per_level() {
        let df = |b, week: f64, month: f64, half: f64| {
            rate(b, DeploymentFrequency, |m| match m {
                MedianDeploymentDaysPerWeek => Some(week),
                MedianDeploymentDaysPerMonth => Some(month),
                MedianDeploymentDaysPerHalfYear => Some(half),
                _ => None,
            })
        };
        assert_eq!(df(Dora2023, 5.0, 20.0, 100.0), Some(Band::Elite));
        assert_eq!(df(Dora2023, 1.0, 4.0, 20.0), Some(Band::High));
        assert_eq!(df(Dora2023, 0.0, 1.0, 5.0), Some(Band::Medium));
        assert_eq!(df(Dora2023, 0.0, 0.0, 1.0), Some(Band::Low));
        assert_eq!(df(Dora2021, 1.0, 4.0, 20.0), Some(Band::High));
        assert_eq!(df(Dora2021, 0.0, 0.5, 2.0), Some(Band::Medium));
        assert_eq!(df(Dora2021, 0.0, 0.0, 0.0), Some(Band::Low));
    }

    #[test]
    fn no_data_no_band() {
        assert_eq!(rate(Dora2023, LeadTime, |_| None), None);
    }
}
