//! Stored integrations: adding them with sealed credentials, and turning a stored one
//! back into a connector.

use std::sync::Arc;

use pulse_core::ClientStore;
use pulse_core::ids::JiraProjectKey;
use pulse_core::model::{Integration, IntegrationKind, NewIntegration};

use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::github::{GithubConnector, GithubSettings};
use crate::http::{HostLimiter, HttpConfig, Sleeper, TokioSleeper};
use crate::jira::{JiraConnector, JiraSettings};
use crate::secret::{Credentials, SecretKey};

/// The name a GitHub integration is stored under (one per repository).
pub fn github_name(settings: &GithubSettings) -> String {
    format!("github:{}", settings.repo)
}

/// The name a Jira integration is stored under (one per site and project).
pub fn jira_name(site: &str, settings: &JiraSettings) -> String {
    let host = site.split_once("://").map_or(site, |(_, rest)| rest).trim_end_matches('/');
    format!("jira:{host}:{}", settings.project)
}

/// Creates or updates the GitHub integration of `settings.repo`, sealing `token`.
pub async fn add_github(
    client: &ClientStore,
    key: &SecretKey,
    api_url: &str,
    settings: &GithubSettings,
    token: &str,
) -> Result<Integration> {
    let name = github_name(settings);
    check_url(&name, api_url)?;
    let credentials = key.seal(client.id(), &name, &Credentials { token: token.to_owned() });
    Ok(client
        .upsert_integration(&NewIntegration {
            name,
            kind: IntegrationKind::Github,
            base_url: api_url.trim_end_matches('/').to_owned(),
            credentials,
            settings: serde_json::to_value(settings).expect("settings serialize"),
        })
        .await?)
}

/// Creates or updates the Jira integration of `settings.project` on `site`.
pub async fn add_jira(
    client: &ClientStore,
    key: &SecretKey,
    site: &str,
    settings: &JiraSettings,
    token: &str,
) -> Result<Integration> {
    let name = jira_name(site, settings);
    check_url(&name, site)?;
    let credentials = key.seal(client.id(), &name, &Credentials { token: token.to_owned() });
    Ok(client
        .upsert_integration(&NewIntegration {
            name,
            kind: IntegrationKind::Jira,
            base_url: site.trim_end_matches('/').to_owned(),
            credentials,
            settings: serde_json::to_value(settings).expect("settings serialize"),
        })
        .await?)
}

fn check_url(name: &str, url: &str) -> Result<()> {
    let ok = reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if ok {
        Ok(())
    } else {
        Err(Error::Config {
            integration: name.to_owned(),
            reason: Error::InvalidUrl { url: url.to_owned() }.to_string(),
        })
    }
}

/// How connectors built from stored integrations talk HTTP.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub http: HttpConfig,
    /// Shared by every connector of a process, so two integrations of one host pace
    /// together.
    pub limiter: Arc<HostLimiter>,
    pub sleeper: Arc<dyn Sleeper>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        let http = HttpConfig::default();
        Self { limiter: Arc::new(HostLimiter::new(http.requests_per_second)), http, sleeper: Arc::new(TokioSleeper) }
    }
}

/// The connector of a stored integration. What the integration leaves unset is taken
/// from the client's projects: a GitHub repository's deploy workflow pattern and incident
/// label from the project that holds it, and the Jira keys that link issues to PRs from
/// every project and Jira integration of the client.
pub async fn connector(
    client: &ClientStore,
    integration: &Integration,
    key: &SecretKey,
    options: &ConnectOptions,
) -> Result<Box<dyn Connector>> {
    let credentials = key.open(client.id(), &integration.name, &integration.credentials)?;
    let bad_settings = |e: serde_json::Error| Error::Config {
        integration: integration.name.clone(),
        reason: format!("settings: {e}"),
    };
    match integration.kind {
        IntegrationKind::Github => {
            let mut settings: GithubSettings =
                serde_json::from_value(integration.settings.clone()).map_err(bad_settings)?;
            let projects = client.projects().await?;
            if let Some(project) = projects.iter().find(|p| p.repos.contains(&settings.repo)) {
                if settings.deploy_workflow_pattern.is_none() {
                    settings.deploy_workflow_pattern =
                        project.rules.deploy_workflow_pattern.as_ref().map(|p| p.as_str().to_owned());
                }
                if settings.incident_label.is_none() {
                    settings.incident_label = Some(project.rules.incident_label.clone());
                }
            }
            if settings.jira_projects.is_empty() {
                settings.jira_projects = jira_keys(client, &projects).await?;
            }
            let http = crate::github::http(&integration.base_url, credentials.token())
                .config(options.http.clone())
                .limiter(options.limiter.clone())
                .sleeper(options.sleeper.clone())
                .build()?;
            Ok(Box::new(GithubConnector::new(integration.id, settings, http)?))
        }
        IntegrationKind::Jira => {
            let settings: JiraSettings = serde_json::from_value(integration.settings.clone()).map_err(bad_settings)?;
            let http = crate::jira::http(&integration.base_url, &settings.email, credentials.token())
                .config(options.http.clone())
                .limiter(options.limiter.clone())
                .sleeper(options.sleeper.clone())
                .build()?;
            Ok(Box::new(JiraConnector::new(integration.id, settings, http)))
        }
    }
}

async fn jira_keys(client: &ClientStore, projects: &[pulse_core::model::Project]) -> Result<Vec<JiraProjectKey>> {
    let mut keys: Vec<JiraProjectKey> = projects.iter().flat_map(|p| p.jira_projects.iter().cloned()).collect();
    for integration in client.integrations().await? {
        if integration.kind == IntegrationKind::Jira
            && let Ok(settings) = serde_json::from_value::<JiraSettings>(integration.settings)
        {
            keys.push(settings.project);
        }
    }
    keys.sort();
    keys.dedup();
    Ok(keys)
}
