//! `pulse.v1.AdminService`: the caller's client's branding, users, API tokens,
//! integrations and projects; and the operator's CreateClient.

use pulse_core::ids::{ApiTokenId, IntegrationId, UserId};
use pulse_core::model::{ApiToken, Project};
use tonic::{Request, Response, Status};

use super::messages::{branding, optional_timestamp, role, role_of, timestamp};
use super::proto;
use super::proto::admin_service_server::AdminService;
use super::{authenticated, bearer, observe};
use crate::api::{
    Api, ApiError, IntegrationInfo, NewApiTokenRequest, NewClientRequest, NewIntegrationRequest, NewUserRequest,
};

pub struct Admin {
    api: Api,
}

impl Admin {
    pub fn new(api: Api) -> Self {
        Self { api }
    }
}

impl From<ApiToken> for proto::ApiToken {
    fn from(t: ApiToken) -> Self {
        Self {
            id: t.id.get(),
            name: t.name,
            role: role(t.role),
            created_by: t.created_by,
            created_at: timestamp(t.created_at),
            expires_at: optional_timestamp(t.expires_at),
            last_used_at: optional_timestamp(t.last_used_at),
            revoked_at: optional_timestamp(t.revoked_at),
        }
    }
}

impl From<IntegrationInfo> for proto::Integration {
    fn from(i: IntegrationInfo) -> Self {
        Self {
            id: i.id,
            name: i.name,
            kind: i.kind,
            base_url: i.base_url,
            settings_json: i.settings.to_string(),
            created_at: i.created_at,
        }
    }
}

impl From<Project> for proto::Project {
    fn from(p: Project) -> Self {
        Self {
            name: p.name.to_string(),
            repos: p.repos.iter().map(ToString::to_string).collect(),
            jira_projects: p.jira_projects.iter().map(ToString::to_string).collect(),
            rules: Some(proto::ProjectRules {
                production_pattern: p.rules.production_pattern.as_str().to_owned(),
                deploy_workflow_pattern: p.rules.deploy_workflow_pattern.map(|w| w.as_str().to_owned()),
                incident_types: p.rules.incident_types,
                incident_label: p.rules.incident_label,
                hotfix_label: p.rules.hotfix_label,
                bots: p.rules.bots,
            }),
            teams: p.teams.into_iter().map(|(name, members)| (name, proto::Team { members })).collect(),
        }
    }
}

fn integration(kind: Option<proto::add_integration_request::Kind>) -> Result<NewIntegrationRequest, ApiError> {
    use proto::add_integration_request::Kind;
    Ok(match kind {
        Some(Kind::Github(g)) => NewIntegrationRequest::Github {
            repo: g.repo,
            api_url: g.api_url,
            token: g.token,
            deploy_workflow: g.deploy_workflow,
            incident_label: g.incident_label,
        },
        Some(Kind::Jira(j)) => NewIntegrationRequest::Jira {
            site: j.site,
            project: j.project,
            email: j.email,
            token: j.token,
            incident_types: j.incident_types,
            story_points_field: j.story_points_field,
            development_field: j.development_field,
        },
        None => return Err(ApiError::invalid("kind", "a github or a jira integration is required")),
    })
}

#[tonic::async_trait]
impl AdminService for Admin {
    async fn get_client(
        &self,
        request: Request<proto::GetClientRequest>,
    ) -> Result<Response<proto::GetClientResponse>, Status> {
        observe("pulse.v1.AdminService/GetClient", async {
            let (p, _) = authenticated(&self.api, request).await?;
            Ok(proto::GetClientResponse { client: Some(self.api.my_client(&p).await?.into()) })
        })
        .await
    }

    async fn set_branding(
        &self,
        request: Request<proto::SetBrandingRequest>,
    ) -> Result<Response<proto::SetBrandingResponse>, Status> {
        observe("pulse.v1.AdminService/SetBranding", async {
            let (p, r) = authenticated(&self.api, request).await?;
            let b = branding(r.branding.ok_or_else(|| ApiError::invalid("branding", "is required"))?)?;
            Ok(proto::SetBrandingResponse { client: Some(self.api.set_branding(&p, &b).await?.into()) })
        })
        .await
    }

    async fn list_users(
        &self,
        request: Request<proto::ListUsersRequest>,
    ) -> Result<Response<proto::ListUsersResponse>, Status> {
        observe("pulse.v1.AdminService/ListUsers", async {
            let (p, _) = authenticated(&self.api, request).await?;
            Ok(proto::ListUsersResponse { users: self.api.users(&p).await?.into_iter().map(Into::into).collect() })
        })
        .await
    }

    async fn invite_user(
        &self,
        request: Request<proto::InviteUserRequest>,
    ) -> Result<Response<proto::InviteUserResponse>, Status> {
        observe("pulse.v1.AdminService/InviteUser", async {
            let (p, r) = authenticated(&self.api, request).await?;
            let new = NewUserRequest { email: r.email, display_name: r.display_name, role: role_of(r.role)? };
            Ok(proto::InviteUserResponse { invited: Some(self.api.invite_user(&p, &new).await?.into()) })
        })
        .await
    }

    async fn set_user_role(
        &self,
        request: Request<proto::SetUserRoleRequest>,
    ) -> Result<Response<proto::SetUserRoleResponse>, Status> {
        observe("pulse.v1.AdminService/SetUserRole", async {
            let (p, r) = authenticated(&self.api, request).await?;
            let user = self.api.set_user_role(&p, UserId::new(r.id), role_of(r.role)?).await?;
            Ok(proto::SetUserRoleResponse { user: Some(user.into()) })
        })
        .await
    }

    async fn delete_user(
        &self,
        request: Request<proto::DeleteUserRequest>,
    ) -> Result<Response<proto::DeleteUserResponse>, Status> {
        observe("pulse.v1.AdminService/DeleteUser", async {
            let (p, r) = authenticated(&self.api, request).await?;
            self.api.delete_user(&p, UserId::new(r.id)).await?;
            Ok(proto::DeleteUserResponse {})
        })
        .await
    }

    async fn list_api_tokens(
        &self,
        request: Request<proto::ListApiTokensRequest>,
    ) -> Result<Response<proto::ListApiTokensResponse>, Status> {
        observe("pulse.v1.AdminService/ListApiTokens", async {
            let (p, _) = authenticated(&self.api, request).await?;
            Ok(proto::ListApiTokensResponse {
                tokens: self.api.api_tokens(&p).await?.into_iter().map(Into::into).collect(),
            })
        })
        .await
    }

    async fn create_api_token(
        &self,
        request: Request<proto::CreateApiTokenRequest>,
    ) -> Result<Response<proto::CreateApiTokenResponse>, Status> {
        observe("pulse.v1.AdminService/CreateApiToken", async {
            let (p, r) = authenticated(&self.api, request).await?;
            let new = NewApiTokenRequest { name: r.name, role: role_of(r.role)?, expires_at: r.expires_at };
            let created = self.api.create_api_token(&p, &new).await?;
            Ok(proto::CreateApiTokenResponse { token: created.token, info: Some(created.info.into()) })
        })
        .await
    }

    async fn revoke_api_token(
        &self,
        request: Request<proto::RevokeApiTokenRequest>,
    ) -> Result<Response<proto::RevokeApiTokenResponse>, Status> {
        observe("pulse.v1.AdminService/RevokeApiToken", async {
            let (p, r) = authenticated(&self.api, request).await?;
            self.api.revoke_api_token(&p, ApiTokenId::new(r.id)).await?;
            Ok(proto::RevokeApiTokenResponse {})
        })
        .await
    }

    async fn list_integrations(
        &self,
        request: Request<proto::ListIntegrationsRequest>,
    ) -> Result<Response<proto::ListIntegrationsResponse>, Status> {
        observe("pulse.v1.AdminService/ListIntegrations", async {
            let (p, _) = authenticated(&self.api, request).await?;
            Ok(proto::ListIntegrationsResponse {
                integrations: self.api.integrations(&p).await?.into_iter().map(Into::into).collect(),
            })
        })
        .await
    }

    async fn add_integration(
        &self,
        request: Request<proto::AddIntegrationRequest>,
    ) -> Result<Response<proto::AddIntegrationResponse>, Status> {
        observe("pulse.v1.AdminService/AddIntegration", async {
            let (p, r) = authenticated(&self.api, request).await?;
            let added = self.api.add_integration(&p, &integration(r.kind)?).await?;
            Ok(proto::AddIntegrationResponse { integration: Some(added.into()) })
        })
        .await
    }

    async fn delete_integration(
        &self,
        request: Request<proto::DeleteIntegrationRequest>,
    ) -> Result<Response<proto::DeleteIntegrationResponse>, Status> {
        observe("pulse.v1.AdminService/DeleteIntegration", async {
            let (p, r) = authenticated(&self.api, request).await?;
            self.api.delete_integration(&p, IntegrationId::new(r.id)).await?;
            Ok(proto::DeleteIntegrationResponse {})
        })
        .await
    }

    async fn list_projects(
        &self,
        request: Request<proto::ListProjectsRequest>,
    ) -> Result<Response<proto::ListProjectsResponse>, Status> {
        observe("pulse.v1.AdminService/ListProjects", async {
            let (p, _) = authenticated(&self.api, request).await?;
            Ok(proto::ListProjectsResponse {
                projects: self.api.projects(&p).await?.into_iter().map(Into::into).collect(),
            })
        })
        .await
    }

    async fn get_project(
        &self,
        request: Request<proto::GetProjectRequest>,
    ) -> Result<Response<proto::GetProjectResponse>, Status> {
        observe("pulse.v1.AdminService/GetProject", async {
            let (p, r) = authenticated(&self.api, request).await?;
            Ok(proto::GetProjectResponse { project: Some(self.api.project(&p, &r.name).await?.into()) })
        })
        .await
    }

    async fn delete_project(
        &self,
        request: Request<proto::DeleteProjectRequest>,
    ) -> Result<Response<proto::DeleteProjectResponse>, Status> {
        observe("pulse.v1.AdminService/DeleteProject", async {
            let (p, r) = authenticated(&self.api, request).await?;
            self.api.delete_project(&p, &r.name).await?;
            Ok(proto::DeleteProjectResponse {})
        })
        .await
    }

    async fn create_client(
        &self,
        request: Request<proto::CreateClientRequest>,
    ) -> Result<Response<proto::CreateClientResponse>, Status> {
        observe("pulse.v1.AdminService/CreateClient", async {
            // The operator token is checked by the service, not as a client's token.
            let operator = bearer(request.metadata())?.to_owned();
            let r = request.into_inner();
            let new = NewClientRequest {
                slug: r.slug,
                branding: r.branding.map(branding).transpose()?,
                admin_email: r.admin_email,
                admin_name: r.admin_name,
            };
            let created = self.api.create_client(&operator, &new).await?;
            Ok(proto::CreateClientResponse { client: Some(created.client.into()), admin: Some(created.admin.into()) })
        })
        .await
    }
}
