//! `/auth/…` and `/me`: signing in and out, refreshing, accepting invitations.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::extract::{Body, Caller};
use crate::api::{Api, ApiError, LoginRequest, Session, WhoAmI};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    pub invitation: String,
    pub password: String,
}

/// Signs in with e-mail and password within a client.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "A session", body = Session),
        (status = 401, description = "Wrong client, e-mail address or password")))]
pub async fn login(State(api): State<Api>, Body(request): Body<LoginRequest>) -> Result<Json<Session>, ApiError> {
    Ok(Json(api.login(&request).await?))
}

/// Exchanges a refresh token for a new session; the old refresh token is spent. Using a
/// spent one again ends every session rotated from the same sign-in.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, description = "A new session", body = Session),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token")))]
pub async fn refresh(State(api): State<Api>, Body(r): Body<RefreshRequest>) -> Result<Json<Session>, ApiError> {
    Ok(Json(api.refresh(&r.refresh_token).await?))
}

/// Ends the session of a refresh token.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "Signed out"), (status = 401, description = "Unknown refresh token")))]
pub async fn logout(State(api): State<Api>, Body(r): Body<RefreshRequest>) -> Result<StatusCode, ApiError> {
    api.logout(&r.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets an invited user's password (once) and signs them in.
#[utoipa::path(post, path = "/auth/invitations/accept", tag = "auth", request_body = AcceptInvitation,
    responses((status = 200, description = "A session", body = Session),
        (status = 401, description = "Invalid or expired invitation"),
        (status = 409, description = "The invitation was already used")))]
pub async fn accept_invitation(
    State(api): State<Api>,
    Body(r): Body<AcceptInvitation>,
) -> Result<Json<Session>, ApiError> {
    Ok(Json(api.accept_invite(&r.invitation, &r.password).await?))
}

/// Who the token speaks for, and its client's branding.
#[utoipa::path(get, path = "/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The caller", body = serde_json::Value)))]
pub async fn me(State(api): State<Api>, Caller(p): Caller) -> Result<Json<WhoAmI>, ApiError> {
    Ok(Json(api.who_am_i(&p).await?))
}
