//! Administration routes: the client's branding, users, API tokens, integrations,
//! projects; and the operator's client creation.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use pulse_core::ids::{ApiTokenId, IntegrationId, UserId};
use pulse_core::model::{ApiToken, Branding, Project, User};
use serde::Deserialize;

use super::extract::{Body, Caller, Id, bearer};
use crate::api::{
    Api, ApiError, ClientInfo, CreatedApiToken, CreatedClient, IntegrationInfo, InvitedUser, NewApiTokenRequest,
    NewClientRequest, NewIntegrationRequest, NewUserRequest,
};

/// The caller's client.
#[utoipa::path(get, path = "/client", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "The client and its branding", body = serde_json::Value)))]
pub async fn client(State(api): State<Api>, Caller(p): Caller) -> Result<Json<ClientInfo>, ApiError> {
    Ok(Json(api.my_client(&p).await?))
}

/// Changes the client's branding (display name, logo URL, colours). Admins.
#[utoipa::path(put, path = "/client/branding", tag = "admin", security(("bearer" = [])),
    request_body(content = serde_json::Value, description = "`{display_name, logo_url?, primary_color?, accent_color?}`"),
    responses((status = 200, description = "The client", body = serde_json::Value), (status = 403, description = "Admins only")))]
pub async fn set_branding(
    State(api): State<Api>,
    Caller(p): Caller,
    Body(b): Body<Branding>,
) -> Result<Json<ClientInfo>, ApiError> {
    Ok(Json(api.set_branding(&p, &b).await?))
}

/// The client's users. Admins.
#[utoipa::path(get, path = "/users", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "Users", body = serde_json::Value)))]
pub async fn users(State(api): State<Api>, Caller(p): Caller) -> Result<Json<Vec<User>>, ApiError> {
    Ok(Json(api.users(&p).await?))
}

/// Invites a user: creates them without a password and returns an invitation token to
/// hand over (it sets the password once, at `/auth/invitations/accept`). Admins.
#[utoipa::path(post, path = "/users", tag = "admin", request_body = NewUserRequest, security(("bearer" = [])),
    responses((status = 201, description = "The user and the invitation", body = serde_json::Value),
        (status = 409, description = "A user with that e-mail exists")))]
pub async fn invite(
    State(api): State<Api>,
    Caller(p): Caller,
    Body(r): Body<NewUserRequest>,
) -> Result<(StatusCode, Json<InvitedUser>), ApiError> {
    Ok((StatusCode::CREATED, Json(api.invite_user(&p, &r).await?)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    /// `admin`, `user` or `viewer`.
    #[schema(value_type = String)]
    pub role: pulse_core::model::Role,
}

/// Changes a user's role. Admins.
#[utoipa::path(patch, path = "/users/{id}", tag = "admin", params(("id" = i64, Path)), request_body = RoleChange,
    security(("bearer" = [])),
    responses((status = 200, description = "The user", body = serde_json::Value), (status = 404, description = "No such user")))]
pub async fn set_role(
    State(api): State<Api>,
    Caller(p): Caller,
    Id(id): Id,
    Body(r): Body<RoleChange>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(api.set_user_role(&p, UserId::new(id), r.role).await?))
}

/// Deletes a user. Admins; not oneself.
#[utoipa::path(delete, path = "/users/{id}", tag = "admin", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such user")))]
pub async fn delete_user(State(api): State<Api>, Caller(p): Caller, Id(id): Id) -> Result<StatusCode, ApiError> {
    api.delete_user(&p, UserId::new(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The client's API tokens (never their secrets). Admins.
#[utoipa::path(get, path = "/api-tokens", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "API tokens", body = serde_json::Value)))]
pub async fn api_tokens(State(api): State<Api>, Caller(p): Caller) -> Result<Json<Vec<ApiToken>>, ApiError> {
    Ok(Json(api.api_tokens(&p).await?))
}

/// Creates an API token for service-to-service calls; its secret is shown once. Admins.
#[utoipa::path(post, path = "/api-tokens", tag = "admin", request_body = NewApiTokenRequest, security(("bearer" = [])),
    responses((status = 201, description = "The token, with its secret", body = serde_json::Value)))]
pub async fn create_api_token(
    State(api): State<Api>,
    Caller(p): Caller,
    Body(r): Body<NewApiTokenRequest>,
) -> Result<(StatusCode, Json<CreatedApiToken>), ApiError> {
    Ok((StatusCode::CREATED, Json(api.create_api_token(&p, &r).await?)))
}

/// Revokes an API token. Admins.
#[utoipa::path(delete, path = "/api-tokens/{id}", tag = "admin", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No such token")))]
pub async fn revoke_api_token(State(api): State<Api>, Caller(p): Caller, Id(id): Id) -> Result<StatusCode, ApiError> {
    api.revoke_api_token(&p, ApiTokenId::new(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The client's integrations (never their credentials).
#[utoipa::path(get, path = "/integrations", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "Integrations", body = serde_json::Value)))]
pub async fn integrations(State(api): State<Api>, Caller(p): Caller) -> Result<Json<Vec<IntegrationInfo>>, ApiError> {
    Ok(Json(api.integrations(&p).await?))
}

/// Connects a GitHub repository or a Jira project; the token is sealed at rest. Admins.
#[utoipa::path(post, path = "/integrations", tag = "admin", request_body = NewIntegrationRequest, security(("bearer" = [])),
    responses((status = 201, description = "The integration", body = serde_json::Value)))]
pub async fn add_integration(
    State(api): State<Api>,
    Caller(p): Caller,
    Body(r): Body<NewIntegrationRequest>,
) -> Result<(StatusCode, Json<IntegrationInfo>), ApiError> {
    Ok((StatusCode::CREATED, Json(api.add_integration(&p, &r).await?)))
}

/// Deletes an integration. Admins.
#[utoipa::path(delete, path = "/integrations/{id}", tag = "admin", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such integration")))]
pub async fn delete_integration(State(api): State<Api>, Caller(p): Caller, Id(id): Id) -> Result<StatusCode, ApiError> {
    api.delete_integration(&p, IntegrationId::new(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The client's projects with their rules.
#[utoipa::path(get, path = "/projects", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "Projects", body = serde_json::Value)))]
pub async fn projects(State(api): State<Api>, Caller(p): Caller) -> Result<Json<Vec<Project>>, ApiError> {
    Ok(Json(api.projects(&p).await?))
}

/// One project.
#[utoipa::path(get, path = "/projects/{name}", tag = "admin", params(("name" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The project", body = serde_json::Value), (status = 404, description = "No such project")))]
pub async fn project(
    State(api): State<Api>,
    Caller(p): Caller,
    Path(name): Path<String>,
) -> Result<Json<Project>, ApiError> {
    Ok(Json(api.project(&p, &name).await?))
}

/// Deletes a project (its repositories' data stays). Admins.
#[utoipa::path(delete, path = "/projects/{name}", tag = "admin", params(("name" = String, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such project")))]
pub async fn delete_project(
    State(api): State<Api>,
    Caller(p): Caller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    api.delete_project(&p, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates a client and invites its first admin. Needs the operator token
/// (`PULSE_OPERATOR_TOKEN`) as the bearer, not a client's token.
#[utoipa::path(post, path = "/clients", tag = "operator", request_body = NewClientRequest, security(("operator" = [])),
    responses((status = 201, description = "The client and its admin's invitation", body = serde_json::Value),
        (status = 403, description = "No operator token configured"), (status = 409, description = "The slug is taken")))]
pub async fn create_client(
    State(api): State<Api>,
    headers: HeaderMap,
    uri: Uri,
    Body(r): Body<NewClientRequest>,
) -> Result<(StatusCode, Json<CreatedClient>), ApiError> {
    Ok((StatusCode::CREATED, Json(api.create_client(bearer(&headers, &uri)?, &r).await?)))
}
