//! `pulse.Client`: one tenant's data — import, facts, metric queries, integrations and
//! sync. Each method converts its arguments, makes one library call with the
//! interpreter released, and converts the result.

use std::path::PathBuf;

use pulse_connectors::github::{DEFAULT_API_URL, GithubSettings};
use pulse_connectors::jira::JiraSettings;
use pulse_connectors::{SecretKey, integration};
use pulse_core::ClientStore;
use pulse_core::generate::Scale;
use pulse_core::ids::{JiraProjectKey, RepoName};
use pulse_core::metrics::{Benchmark, DoraMetric, Period};
use pulse_core::model::Integration;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::args::{Scope, optional_timestamp};
use crate::errors::{IntoPyResult, Outcome};
use crate::frames;
use crate::generate::synthetic;
use crate::json::to_python;
use crate::runtime::block_on;
use crate::table::Table;

/// One client (tenant) of a store. Obtained from `Store.client()` or
/// `Store.create_client()`; everything it reads and writes is that client's.
#[pyclass(module = "pulse", name = "Client", frozen)]
pub struct Client {
    client: ClientStore,
}

impl Client {
    pub fn new(client: ClientStore) -> Self {
        Self { client }
    }
}

fn counts<'py, K: AsRef<str>>(
    py: Python<'py>,
    counts: impl IntoIterator<Item = (K, u64)>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (entity, n) in counts {
        d.set_item(entity.as_ref(), n)?;
    }
    Ok(d)
}

fn integration_dict<'py>(py: Python<'py>, i: &Integration) -> PyResult<Bound<'py, PyDict>> {
    // Never the credentials: they stay sealed in the database.
    let d = PyDict::new(py);
    d.set_item("id", i.id.get())?;
    d.set_item("name", &i.name)?;
    d.set_item("kind", i.kind.as_str())?;
    d.set_item("base_url", &i.base_url)?;
    d.set_item("settings", to_python(py, &i.settings)?)?;
    d.set_item("created_at", i.created_at)?;
    Ok(d)
}

#[pymethods]
impl Client {
    #[getter]
    fn slug(&self) -> &str {
        self.client.client().slug.as_str()
    }

    #[getter]
    fn id(&self) -> i64 {
        self.client.id().get()
    }

    /// The display name.
    #[getter]
    fn name(&self) -> &str {
        &self.client.client().branding.display_name
    }

    fn __repr__(&self) -> String {
        format!("<pulse.Client {}>", self.slug())
    }

    /// Imports a directory in the JSON Lines import format (docs/import.md), all or
    /// nothing, then refreshes the metric facts. Returns the records written per entity.
    /// A bad file raises `ImportRejected` naming the file, line and field.
    fn import_dir<'py>(&self, py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyDict>> {
        let client = self.client.clone();
        let summary = block_on(py, None, || async move { Outcome::Ok(client.import().dir(&path)?.execute().await?) })?;
        counts(py, summary.counts)
    }

    /// Loads a deterministic synthetic organisation (the one `pulse demo` loads, for
    /// `scale="small"`) straight into this client; returns the records per entity.
    /// `end` (default 2026-11-01) is where its period ends.
    #[pyo3(signature = (*, scale = "small", seed = 42, end = None))]
    fn load_synthetic<'py>(
        &self,
        py: Python<'py>,
        scale: &str,
        seed: u64,
        end: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let scale: Scale = scale.parse::<Scale>().into_py_result(py)?;
        let end = optional_timestamp(end, "end")?;
        let client = self.client.clone();
        let org = block_on(py, None, || async move {
            let org = synthetic(scale, seed, end).await?;
            org.load(&client).await?;
            Outcome::Ok(org)
        })?;
        counts(py, org.counts())
    }

    /// Re-derives the metric facts (imports and queries do it when the data changed).
    /// Returns what the derivation did and how long it took.
    fn refresh_facts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let client = self.client.clone();
        let s = block_on(py, None, || async move { Outcome::Ok(client.refresh_facts().await?) })?;
        let d = PyDict::new(py);
        d.set_item("version", s.version)?;
        d.set_item("deployments", s.deployments)?;
        d.set_item("pull_requests", s.pull_requests)?;
        d.set_item("incidents", s.incidents)?;
        d.set_item("issues", s.issues)?;
        d.set_item("new_diffs", s.new_diffs)?;
        d.set_item("load_seconds", s.load_seconds)?;
        d.set_item("derive_seconds", s.derive_seconds)?;
        d.set_item("store_seconds", s.store_seconds)?;
        d.set_item("seconds", s.seconds)?;
        Ok(d)
    }

    /// The DORA metrics over `[from_, to)` as the dict of metric spec §5 (what `pulse
    /// metrics dora --format json` prints), with a `series` by `interval` ("week" or
    /// "month") when given.
    #[pyo3(signature = (from_, to, *, project = None, repo = None, team = None, benchmark = "dora-2023", interval = None))]
    #[allow(clippy::too_many_arguments)]
    fn dora<'py>(
        &self,
        py: Python<'py>,
        from_: &Bound<'py, PyAny>,
        to: &Bound<'py, PyAny>,
        project: Option<String>,
        repo: Option<String>,
        team: Option<String>,
        benchmark: &str,
        interval: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let scope = Scope::new(from_, to, project, repo, team)?;
        let benchmark = Benchmark::parse(benchmark).into_py_result(py)?;
        let interval = interval.map(Period::parse).transpose().into_py_result(py)?;
        let client = self.client.clone();
        let report = block_on(py, None, || async move {
            let mut query = scope.apply(client.metrics().dora()).benchmark(benchmark);
            if let Some(interval) = interval {
                query = query.interval(interval);
            }
            Outcome::Ok(query.execute().await?)
        })?;
        to_python(py, &report)
    }

    /// The DORA time series as a `pulse.Table`, one row per `interval` ("week" or
    /// "month") clipped to `[from_, to)`; the columns are listed in the stubs.
    #[pyo3(signature = (from_, to, *, interval = "week", project = None, repo = None, team = None, benchmark = "dora-2023"))]
    #[allow(clippy::too_many_arguments)]
    fn dora_series(
        &self,
        py: Python<'_>,
        from_: &Bound<'_, PyAny>,
        to: &Bound<'_, PyAny>,
        interval: &str,
        project: Option<String>,
        repo: Option<String>,
        team: Option<String>,
        benchmark: &str,
    ) -> PyResult<Table> {
        let scope = Scope::new(from_, to, project, repo, team)?;
        let benchmark = Benchmark::parse(benchmark).into_py_result(py)?;
        let interval = Period::parse(interval).into_py_result(py)?;
        let client = self.client.clone();
        let report = block_on(py, None, || async move {
            Outcome::Ok(scope.apply(client.metrics().dora()).benchmark(benchmark).interval(interval).execute().await?)
        })?;
        Ok(frames::dora_series(report.series.as_deref().unwrap_or_default()))
    }

    /// Pull-request flow over `[from_, to)` (what `pulse metrics prs --format json` prints).
    #[pyo3(signature = (from_, to, *, project = None, repo = None, team = None))]
    fn pr_flow<'py>(
        &self,
        py: Python<'py>,
        from_: &Bound<'py, PyAny>,
        to: &Bound<'py, PyAny>,
        project: Option<String>,
        repo: Option<String>,
        team: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let scope = Scope::new(from_, to, project, repo, team)?;
        let client = self.client.clone();
        let report = block_on(py, None, || async move {
            Outcome::Ok(scope.apply(client.metrics().pull_requests()).execute().await?)
        })?;
        to_python(py, &report)
    }

    /// Jira flow over `[from_, to)` (what `pulse metrics jira --format json` prints).
    #[pyo3(signature = (from_, to, *, project = None, repo = None, team = None))]
    fn jira_flow<'py>(
        &self,
        py: Python<'py>,
        from_: &Bound<'py, PyAny>,
        to: &Bound<'py, PyAny>,
        project: Option<String>,
        repo: Option<String>,
        team: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let scope = Scope::new(from_, to, project, repo, team)?;
        let client = self.client.clone();
        let report =
            block_on(py, None, || async move { Outcome::Ok(scope.apply(client.metrics().jira()).execute().await?) })?;
        to_python(py, &report)
    }

    /// The records behind one DORA metric, with their row-level facts, as a dict (what
    /// `pulse explain dora --metric METRIC --format json` prints).
    #[pyo3(signature = (metric, from_, to, *, project = None, repo = None, team = None, benchmark = "dora-2023"))]
    #[allow(clippy::too_many_arguments)]
    fn explain<'py>(
        &self,
        py: Python<'py>,
        metric: &str,
        from_: &Bound<'py, PyAny>,
        to: &Bound<'py, PyAny>,
        project: Option<String>,
        repo: Option<String>,
        team: Option<String>,
        benchmark: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let explanation = self.explanation(py, metric, Scope::new(from_, to, project, repo, team)?, benchmark)?;
        to_python(py, &explanation)
    }

    /// The records behind one DORA metric as a `pulse.Table`: deployments for
    /// deployment_frequency, change_failure_rate and rework_rate; pull requests for
    /// lead_time_for_changes; incidents for failed_deployment_recovery_time and
    /// time_to_restore_service. The columns are listed in the stubs.
    #[pyo3(signature = (metric, from_, to, *, project = None, repo = None, team = None, benchmark = "dora-2023"))]
    #[allow(clippy::too_many_arguments)]
    fn explain_table(
        &self,
        py: Python<'_>,
        metric: &str,
        from_: &Bound<'_, PyAny>,
        to: &Bound<'_, PyAny>,
        project: Option<String>,
        repo: Option<String>,
        team: Option<String>,
        benchmark: &str,
    ) -> PyResult<Table> {
        let explanation = self.explanation(py, metric, Scope::new(from_, to, project, repo, team)?, benchmark)?;
        Ok(frames::explanation(&explanation))
    }

    /// The client's integrations: dicts with `id`, `name`, `kind`, `base_url`,
    /// `settings` and `created_at` (never the credentials).
    fn integrations<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let client = self.client.clone();
        let list = block_on(py, None, || async move { Outcome::Ok(client.integrations().await?) })?;
        list.iter().map(|i| integration_dict(py, i)).collect()
    }

    /// Adds (or updates) the GitHub integration of `repo` ("owner/name"), with `token`
    /// sealed by the key in `PULSE_SECRET_KEY` (or the file in `PULSE_SECRET_KEY_FILE`).
    #[pyo3(signature = (repo, token, *, api_url = DEFAULT_API_URL, deploy_workflow = None, incident_label = None))]
    fn add_github_integration<'py>(
        &self,
        py: Python<'py>,
        repo: &str,
        token: &str,
        api_url: &str,
        deploy_workflow: Option<String>,
        incident_label: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (client, repo, token, api_url) =
            (self.client.clone(), repo.to_owned(), token.to_owned(), api_url.to_owned());
        let stored = block_on(py, None, || async move {
            let key = SecretKey::from_env()?;
            let mut settings = GithubSettings::new(RepoName::parse(&repo)?);
            settings.deploy_workflow_pattern = deploy_workflow;
            settings.incident_label = incident_label;
            Outcome::Ok(integration::add_github(&client, &key, &api_url, &settings, &token).await?)
        })?;
        integration_dict(py, &stored)
    }

    /// Adds (or updates) the Jira Cloud integration of `project` on `site`, with the API
    /// `token` of `email` sealed by the key in `PULSE_SECRET_KEY`.
    #[pyo3(signature = (site, project, email, token, *, incident_types = None, story_points_field = None, development_field = None))]
    #[allow(clippy::too_many_arguments)]
    fn add_jira_integration<'py>(
        &self,
        py: Python<'py>,
        site: &str,
        project: &str,
        email: &str,
        token: &str,
        incident_types: Option<Vec<String>>,
        story_points_field: Option<String>,
        development_field: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (client, site, project, email, token) =
            (self.client.clone(), site.to_owned(), project.to_owned(), email.to_owned(), token.to_owned());
        let stored = block_on(py, None, || async move {
            let key = SecretKey::from_env()?;
            let mut settings = JiraSettings::new(JiraProjectKey::parse(&project)?, email);
            if let Some(types) = incident_types {
                settings.incident_types = types;
            }
            settings.story_points_field = story_points_field;
            settings.development_field = development_field;
            Outcome::Ok(integration::add_jira(&client, &key, &site, &settings, &token).await?)
        })?;
        integration_dict(py, &stored)
    }

    /// Fetches what changed from one integration (see `integrations()`), landing page by
    /// page; a later sync resumes where this one stopped. `progress`, when given, is
    /// called with a dict after every event (`event`: "stream_started", "page_landed" or
    /// "stream_finished"; `stream`; for pages `items`, `records` and `usage`); if it
    /// raises, the sync stops and the exception propagates. `max_pages` stops early
    /// (the summary's `complete` is then False). Returns the summary: `pages`, `items`,
    /// `records` per entity, HTTP `usage` and `complete`.
    #[pyo3(signature = (integration_id, *, progress = None, max_pages = None))]
    fn sync<'py>(
        &self,
        py: Python<'py>,
        integration_id: i64,
        progress: Option<Py<PyAny>>,
        max_pages: Option<u64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let summary = crate::sync::run(py, &self.client, integration_id, progress, max_pages)?;
        to_python(py, &summary)
    }

    /// Rebuilds one integration's records from its stored raw payloads, without a
    /// request (`pulse sync --reextract`). Returns the records written per entity.
    fn reextract<'py>(&self, py: Python<'py>, integration_id: i64) -> PyResult<Bound<'py, PyDict>> {
        let counts = crate::sync::reextract(py, &self.client, integration_id)?;
        self::counts(py, counts)
    }
}

impl Client {
    fn explanation(
        &self,
        py: Python<'_>,
        metric: &str,
        scope: Scope,
        benchmark: &str,
    ) -> PyResult<pulse_core::metrics::Explanation> {
        let metric = DoraMetric::parse(metric).into_py_result(py)?;
        let benchmark = Benchmark::parse(benchmark).into_py_result(py)?;
        let client = self.client.clone();
        block_on(py, None, || async move {
            Outcome::Ok(scope.apply(client.metrics().explain(metric)).benchmark(benchmark).execute().await?)
        })
    }
}
