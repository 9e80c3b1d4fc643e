//! Drill-down: the records behind one DORA metric, with their row-level facts, so a
//! user can see why a number is what it is.

use serde::{Deserialize, Serialize};

use super::bands::Benchmark;
use super::calendar::Window;
use super::dora::{self, DoraMetrics};
use super::facts::{DeploymentFact, IncidentFact, PrFact};
use super::scope::{Scope, ScopeInfo};
use super::view::FactsView;
use crate::error::{Error, Result};

/// The metrics a drill-down can explain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DoraMetric {
    DeploymentFrequency,
    LeadTimeForChanges,
    ChangeFailureRate,
    FailedDeploymentRecoveryTime,
    TimeToRestoreService,
    ReworkRate,
}

impl DoraMetric {
    pub const ALL: [DoraMetric; 6] = [
        Self::DeploymentFrequency,
        Self::LeadTimeForChanges,
        Self::ChangeFailureRate,
        Self::FailedDeploymentRecoveryTime,
        Self::TimeToRestoreService,
        Self::ReworkRate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeploymentFrequency => "deployment_frequency",
            Self::LeadTimeForChanges => "lead_time_for_changes",
            Self::ChangeFailureRate => "change_failure_rate",
            Self::FailedDeploymentRecoveryTime => "failed_deployment_recovery_time",
            Self::TimeToRestoreService => "time_to_restore_service",
            Self::ReworkRate => "rework_rate",
        }
    }

    pub fn parse(text: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text).ok_or_else(|| {
            Error::invalid("metric", format!("{text:?} is not one of {}", Self::ALL.map(Self::as_str).join(", ")))
        })
    }
}

/// A deployment with the incidents linked to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExplainedDeployment {
    #[serde(flatten)]
    pub deployment: DeploymentFact,
    pub incidents: Vec<String>,
}

/// The records behind one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub scope: ScopeInfo,
    pub benchmark: Benchmark,
    pub metric: DoraMetric,
    /// The metrics these records give (the same numbers as the DORA report).
    pub values: DoraMetrics,
    // Empty lists are left out of the JSON, so they read back as empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deployments: Vec<ExplainedDeployment>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pull_requests: Vec<PrFact>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incidents: Vec<IncidentFact>,
}

pub(crate) fn explain(
    view: &FactsView,
    scope: &Scope,
    info: ScopeInfo,
    window: Window,
    benchmark: Benchmark,
    metric: DoraMetric,
) -> Explanation {
    let basis = dora::basis(view, scope, window);
    let values = dora::metrics(&basis, window, benchmark);
    let deployment = |&(i, d): &(usize, &DeploymentFact)| ExplainedDeployment {
        deployment: d.clone(),
        incidents: view.incidents_of(i).map(|inc| inc.id.clone()).collect(),
    };
    let (deployments, pull_requests, incidents) = match metric {
        DoraMetric::DeploymentFrequency | DoraMetric::ChangeFailureRate => {
            (basis.deliveries.iter().map(deployment).collect(), Vec::new(), Vec::new())
        }
        DoraMetric::ReworkRate => (
            basis.deliveries.iter().filter(|(_, d)| !d.rework.is_empty()).map(deployment).collect(),
            Vec::new(),
            Vec::new(),
        ),
        DoraMetric::LeadTimeForChanges => {
            (Vec::new(), basis.changes.iter().map(|p| (*p).clone()).collect(), Vec::new())
        }
        DoraMetric::FailedDeploymentRecoveryTime => {
            (Vec::new(), Vec::new(), basis.linked.iter().map(|(i, _)| (*i).clone()).collect())
        }
        DoraMetric::TimeToRestoreService => {
            (Vec::new(), Vec::new(), basis.created.iter().map(|i| (*i).clone()).collect())
        }
    };
    Explanation { scope: info, benchmark, metric, values, deployments, pull_requests, incidents }
}
