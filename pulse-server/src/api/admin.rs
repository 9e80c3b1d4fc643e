//! Administration inside one client: its branding, users and invitations, API tokens,
//! integrations and projects; and, for the operator only, creating clients.

use pulse_connectors::github::GithubSettings;
use pulse_connectors::integration;
use pulse_connectors::jira::JiraSettings;
use pulse_core::ids::{ApiTokenId, ClientSlug, IntegrationId, JiraProjectKey, ProjectName, RepoName, UserId};
use pulse_core::model::{ApiToken, Branding, Client, Email, Integration, NewApiToken, NewUser, Project, Role, User};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, Result};
use super::{Api, require};
use crate::auth::{Permission, Principal, Subject};

/// The caller's client as the dashboard shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ClientInfo {
    pub id: i64,
    pub slug: String,
    pub branding: Branding,
    pub created_at: String,
}

impl From<&Client> for ClientInfo {
    fn from(c: &Client) -> Self {
        Self {
            id: c.id.get(),
            slug: c.slug.to_string(),
            branding: c.branding.clone(),
            created_at: c.created_at.to_rfc3339(),
        }
    }
}

/// A user to invite.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub email: String,
    pub display_name: String,
    /// `admin`, `user` or `viewer`.
    #[schema(value_type = String)]
    pub role: Role,
}

/// An invited user and the invitation to hand over (it sets the password once).
#[derive(Debug, Clone, Serialize)]
pub struct InvitedUser {
    pub user: User,
    pub invitation: String,
    pub invitation_expires_in: u64,
}

/// An integration as listed: never its credentials.
#[derive(Debug, Clone, Serialize)]
pub struct IntegrationInfo {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub base_url: String,
    pub settings: serde_json::Value,
    pub created_at: String,
}

impl From<Integration> for IntegrationInfo {
    fn from(i: Integration) -> Self {
        Self {
            id: i.id.get(),
            name: i.name,
            kind: i.kind.as_str().to_owned(),
            base_url: i.base_url,
            settings: i.settings,
            created_at: i.created_at.to_rfc3339(),
        }
    }
}

/// A GitHub repository or Jira project to connect.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum NewIntegrationRequest {
    Github {
        /// `owner/name`.
        repo: String,
        /// Defaults to https://api.github.com; GitHub Enterprise Server is https://HOST/api/v3.
        api_url: Option<String>,
        /// Sealed at rest with the server's secret key and never returned.
        token: String,
        deploy_workflow: Option<String>,
        incident_label: Option<String>,
    },
    Jira {
        /// e.g. https://acme.atlassian.net
        site: String,
        project: String,
        email: String,
        token: String,
        #[serde(default)]
        incident_types: Vec<String>,
        story_points_field: Option<String>,
        development_field: Option<String>,
    },
}

/// An API token to create.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiTokenRequest {
    pub name: String,
    /// `admin`, `user` or `viewer`.
    #[schema(value_type = String)]
    pub role: Role,
    /// `YYYY-MM-DD` or RFC 3339; absent for a token valid until revoked.
    pub expires_at: Option<String>,
}

/// A new API token: the secret is shown now and never again.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedApiToken {
    pub token: String,
    #[serde(flatten)]
    pub info: ApiToken,
}

/// A client to create (operator only).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClientRequest {
    pub slug: String,
    #[schema(value_type = Option<Object>)]
    pub branding: Option<Branding>,
    /// The first admin, invited.
    pub admin_email: String,
    pub admin_name: Option<String>,
}

/// A created client with the invitation of its first admin.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedClient {
    pub client: ClientInfo,
    pub admin: InvitedUser,
}

/// What [`Api::who_am_i`] answers.
#[derive(Debug, Clone, Serialize)]
pub struct WhoAmI {
    /// `user:<id>` or `api-token:<id>`, as in the token's `sub`.
    pub subject: String,
    pub role: Role,
    pub client: ClientInfo,
    pub user: Option<User>,
}

impl Api {
    /// The caller's client and its branding.
    pub async fn my_client(&self, principal: &Principal) -> Result<ClientInfo> {
        require(principal, Permission::Read, "read the client")?;
        Ok(ClientInfo::from(self.client(principal).await?.client()))
    }

    /// Who the credential speaks for: its subject and role, the client with its
    /// branding, and the signed-in user (`None` for API tokens).
    pub async fn who_am_i(&self, principal: &Principal) -> Result<WhoAmI> {
        let client = self.client(principal).await?;
        let user = match principal.subject {
            Subject::User(id) => Some(client.user(id).await?.ok_or_else(|| ApiError::unauthenticated("unknown user"))?),
            Subject::ApiToken(_) => None,
        };
        Ok(WhoAmI {
            subject: principal.subject.to_claim(),
            role: principal.role,
            client: ClientInfo::from(client.client()),
            user,
        })
    }

    pub async fn set_branding(&self, principal: &Principal, branding: &Branding) -> Result<ClientInfo> {
        require(principal, Permission::Administer, "change the branding")?;
        let mut client = self.client(principal).await?;
        client.set_branding(branding).await?;
        let info = ClientInfo::from(client.client());
        self.remember_client(client);
        Ok(info)
    }

    // ------------------------------------------------------------ users

    pub async fn users(&self, principal: &Principal) -> Result<Vec<User>> {
        require(principal, Permission::Administer, "list users")?;
        Ok(self.client(principal).await?.users().await?)
    }

    /// Creates a user without a password and returns an invitation to set one.
    pub async fn invite_user(&self, principal: &Principal, request: &NewUserRequest) -> Result<InvitedUser> {
        require(principal, Permission::Administer, "invite users")?;
        let client = self.client(principal).await?;
        let email = Email::parse(&request.email)?;
        if client.user_by_email(&email).await?.is_some() {
            return Err(ApiError::AlreadyExists { entity: "user" });
        }
        let display_name = request.display_name.trim();
        if display_name.is_empty() || display_name.len() > 200 {
            return Err(ApiError::invalid("display_name", "must be 1 to 200 characters"));
        }
        let user =
            client.upsert_user(&NewUser { email, display_name: display_name.to_owned(), role: request.role }).await?;
        Ok(self.invitation(&client, user))
    }

    fn invitation(&self, client: &pulse_core::ClientStore, user: User) -> InvitedUser {
        let ttl = self.config().invite_ttl;
        InvitedUser {
            invitation: self.keys().issue_invite(client.id(), user.id, ttl),
            user,
            invitation_expires_in: ttl.as_secs(),
        }
    }

    pub async fn set_user_role(&self, principal: &Principal, id: UserId, role: Role) -> Result<User> {
        require(principal, Permission::Administer, "change roles")?;
        let client = self.client(principal).await?;
        client.set_user_role(id, role).await?;
        client.user(id).await?.ok_or(ApiError::NotFound { entity: "user" })
    }

    pub async fn delete_user(&self, principal: &Principal, id: UserId) -> Result<()> {
        require(principal, Permission::Administer, "delete users")?;
        if principal.subject == Subject::User(id) {
            return Err(ApiError::Conflict { reason: "you cannot delete yourself".into() });
        }
        found(self.client(principal).await?.delete_user(id).await?, "user")
    }

    // ------------------------------------------------------------ API tokens

    pub async fn api_tokens(&self, principal: &Principal) -> Result<Vec<ApiToken>> {
        require(principal, Permission::Administer, "list API tokens")?;
        Ok(self.client(principal).await?.api_tokens().await?)
    }

    pub async fn create_api_token(
        &self,
        principal: &Principal,
        request: &NewApiTokenRequest,
    ) -> Result<CreatedApiToken> {
        require(principal, Permission::Administer, "create API tokens")?;
        let expires_at = request
            .expires_at
            .as_deref()
            .map(pulse_core::dates::parse_date_or_timestamp)
            .transpose()
            .map_err(|_| ApiError::invalid("expires_at", "not a YYYY-MM-DD date or an RFC 3339 timestamp"))?;
        let new =
            NewApiToken { name: request.name.clone(), role: request.role, created_by: principal.actor(), expires_at };
        let (secret, info) = self.client(principal).await?.create_api_token(&new).await?;
        Ok(CreatedApiToken { token: secret.expose_secret().to_owned(), info })
    }

    pub async fn revoke_api_token(&self, principal: &Principal, id: ApiTokenId) -> Result<()> {
        require(principal, Permission::Administer, "revoke API tokens")?;
        found(self.client(principal).await?.revoke_api_token(id).await?, "API token")
    }

    // ------------------------------------------------------------ integrations

    pub async fn integrations(&self, principal: &Principal) -> Result<Vec<IntegrationInfo>> {
        require(principal, Permission::Read, "list integrations")?;
        Ok(self.client(principal).await?.integrations().await?.into_iter().map(Into::into).collect())
    }

    pub async fn add_integration(
        &self,
        principal: &Principal,
        request: &NewIntegrationRequest,
    ) -> Result<IntegrationInfo> {
        require(principal, Permission::Administer, "add integrations")?;
        let key = self.config().secret_key.as_ref().ok_or_else(|| ApiError::Unavailable {
            reason: "the server has no PULSE_SECRET_KEY to seal credentials with".into(),
        })?;
        let client = self.client(principal).await?;
        let stored = match request {
            NewIntegrationRequest::Github { repo, api_url, token, deploy_workflow, incident_label } => {
                let mut settings = GithubSettings::new(RepoName::parse(repo)?);
                settings.deploy_workflow_pattern = deploy_workflow.clone();
                settings.incident_label = incident_label.clone();
                let api_url = api_url.as_deref().unwrap_or(pulse_connectors::github::DEFAULT_API_URL);
                integration::add_github(&client, key, api_url, &settings, token).await?
            }
            NewIntegrationRequest::Jira {
                site,
                project,
                email,
                token,
                incident_types,
                story_points_field,
                development_field,
            } => {
                let mut settings = JiraSettings::new(JiraProjectKey::parse(project)?, email.clone());
                if !incident_types.is_empty() {
                    settings.incident_types = incident_types.clone();
                }
                settings.story_points_field = story_points_field.clone();
                settings.development_field = development_field.clone();
                integration::add_jira(&client, key, site, &settings, token).await?
            }
        };
        Ok(stored.into())
    }

    pub async fn delete_integration(&self, principal: &Principal, id: IntegrationId) -> Result<()> {
        require(principal, Permission::Administer, "delete integrations")?;
        found(self.client(principal).await?.delete_integration(id).await?, "integration")
    }

    // ------------------------------------------------------------ projects

    pub async fn projects(&self, principal: &Principal) -> Result<Vec<Project>> {
        require(principal, Permission::Read, "list projects")?;
        Ok(self.client(principal).await?.projects().await?)
    }

    pub async fn project(&self, principal: &Principal, name: &str) -> Result<Project> {
        require(principal, Permission::Read, "read projects")?;
        let name = ProjectName::parse(name)?;
        self.client(principal).await?.project(&name).await?.ok_or(ApiError::NotFound { entity: "project" })
    }

    pub async fn delete_project(&self, principal: &Principal, name: &str) -> Result<()> {
        require(principal, Permission::Administer, "delete projects")?;
        let name = ProjectName::parse(name)?;
        let deleted = self.client(principal).await?.delete_project(&name).await?;
        if deleted {
            self.data_changed(principal.client).await;
        }
        found(deleted, "project")
    }

    // ------------------------------------------------------------ operator

    /// Creates a client and invites its first admin. Only the operator token (server
    /// configuration) may: no client's admin can create or see other clients.
    pub async fn create_client(&self, operator_token: &str, request: &NewClientRequest) -> Result<CreatedClient> {
        let expected = self.config().operator_token.as_deref().ok_or(ApiError::Forbidden {
            role: "operator",
            action: "create clients: the server has no operator token configured",
        })?;
        if !constant_time_eq(expected.as_bytes(), operator_token.as_bytes()) {
            return Err(ApiError::unauthenticated("wrong operator token"));
        }
        let slug = ClientSlug::parse(&request.slug)?;
        let email = Email::parse(&request.admin_email)?;
        let branding = request.branding.clone().unwrap_or_else(|| Branding::named(slug.as_str()));
        let client = self.store().create_client(&slug, &branding).await?;
        let name = request.admin_name.clone().unwrap_or_else(|| email.as_str().to_owned());
        let user = client.upsert_user(&NewUser { email, display_name: name, role: Role::Admin }).await?;
        Ok(CreatedClient { client: ClientInfo::from(client.client()), admin: self.invitation(&client, user) })
    }
}

fn found(found: bool, entity: &'static str) -> Result<()> {
    if found { Ok(()) } else { Err(ApiError::NotFound { entity }) }
}

/// Compares secrets without an early exit that timing could reveal.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
