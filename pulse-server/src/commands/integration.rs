//! `pulse integration add github|jira`, `pulse integration list`: stored connections to
//! GitHub and Jira, with the token sealed by `PULSE_SECRET_KEY`.

use clap::{Args, Subcommand};
use pulse_connectors::github::GithubSettings;
use pulse_connectors::jira::JiraSettings;
use pulse_connectors::{SecretKey, integration};
use pulse_core::ids::{JiraProjectKey, RepoName};

use crate::cli::Global;
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct IntegrationArgs {
    #[command(subcommand)]
    pub command: IntegrationCommand,
}

#[derive(Debug, Subcommand)]
pub enum IntegrationCommand {
    /// Add (or update) an integration.
    Add {
        #[command(subcommand)]
        source: AddSource,
    },
    /// List this client's integrations.
    List,
}

#[derive(Debug, Subcommand)]
pub enum AddSource {
    /// A GitHub repository (github.com or GitHub Enterprise Server).
    Github {
        /// The repository, OWNER/NAME.
        #[arg(long)]
        repo: String,
        /// API root; GitHub Enterprise Server is https://HOST/api/v3.
        #[arg(long, default_value = pulse_connectors::github::DEFAULT_API_URL)]
        api_url: String,
        /// The environment variable holding the token (never pass a token as an argument).
        #[arg(long)]
        token_env: String,
        /// Workflow runs whose name matches this regex are deployments.
        #[arg(long)]
        deploy_workflow: Option<String>,
        /// Issues with this label are incidents (default: the label of the repository's
        /// project, else `incident`).
        #[arg(long)]
        incident_label: Option<String>,
    },
    /// A Jira Cloud project.
    Jira {
        /// The site, e.g. https://acme.atlassian.net.
        #[arg(long)]
        site: String,
        /// The project key, e.g. CHK.
        #[arg(long)]
        project: String,
        /// The account the API token belongs to.
        #[arg(long)]
        email: String,
        /// The environment variable holding the API token.
        #[arg(long)]
        token_env: String,
        /// Issue types that are incidents (repeatable; default Incident).
        #[arg(long = "incident-type")]
        incident_types: Vec<String>,
        /// The custom field holding story points, e.g. customfield_10016.
        #[arg(long)]
        story_points_field: Option<String>,
        /// The Development custom field, to fetch dev-status PR links, e.g. customfield_10000.
        #[arg(long)]
        development_field: Option<String>,
    },
}

fn token(var: &str) -> Result<String> {
    match std::env::var(var) {
        Ok(token) if !token.trim().is_empty() => Ok(token.trim().to_owned()),
        _ => Err(Error::Usage(format!("the environment variable {var} (--token-env) is not set or empty"))),
    }
}

pub async fn run(global: &Global, args: IntegrationArgs) -> Result<()> {
    let store = super::open_store(global).await?;
    let client = super::open_client(&store, global).await?;
    match args.command {
        IntegrationCommand::Add { source } => {
            let key = SecretKey::from_env()?;
            let stored = match source {
                AddSource::Github { repo, api_url, token_env, deploy_workflow, incident_label } => {
                    let token = token(&token_env)?;
                    let mut settings = GithubSettings::new(RepoName::parse(&repo)?);
                    settings.deploy_workflow_pattern = deploy_workflow;
                    settings.incident_label = incident_label;
                    integration::add_github(&client, &key, &api_url, &settings, &token).await?
                }
                AddSource::Jira {
                    site,
                    project,
                    email,
                    token_env,
                    incident_types,
                    story_points_field,
                    development_field,
                } => {
                    let token = token(&token_env)?;
                    let mut settings = JiraSettings::new(JiraProjectKey::parse(&project)?, email);
                    if !incident_types.is_empty() {
                        settings.incident_types = incident_types;
                    }
                    settings.story_points_field = story_points_field;
                    settings.development_field = development_field;
                    integration::add_jira(&client, &key, &site, &settings, &token).await?
                }
            };
            println!(
                "integration {} `{}` saved for client `{}` (credentials encrypted); run `pulse sync --integration {}`",
                stored.id,
                stored.name,
                client.client().slug,
                stored.id
            );
        }
        IntegrationCommand::List => {
            for i in client.integrations().await? {
                println!("{}\t{}\t{}\t{}", i.id, i.kind, i.name, i.base_url);
            }
        }
    }
    store.close().await;
    Ok(())
}
