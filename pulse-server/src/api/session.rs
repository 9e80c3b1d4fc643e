//! Signing in: login, refresh-token rotation, logout, accepting an invitation, and
//! checking API tokens.

use chrono::Duration as ChronoDuration;
use pulse_core::auth::{Password, TokenKind, TokenSecret};
use pulse_core::ids::ClientSlug;
use pulse_core::model::{Email, IssuedRefreshToken, Role, User};
use serde::{Deserialize, Serialize};

use super::Api;
use super::error::{ApiError, Result};
use crate::auth::{Principal, Subject};

/// E-mail and password within one client (e-mail addresses are unique per client only).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The client's slug, e.g. `acme`.
    pub client: String,
    pub email: String,
    pub password: String,
}

/// What a successful sign-in or refresh returns.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Session {
    /// A JWT for `Authorization: Bearer …`.
    pub access_token: String,
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Exchange it at `/auth/refresh` for a new pair; it works once.
    pub refresh_token: String,
    pub refresh_expires_at: String,
    pub client_id: i64,
    #[schema(value_type = String)]
    pub role: Role,
    pub user_id: i64,
}

/// One message for every failed sign-in, so the answer does not reveal whether the
/// client, the e-mail address or the password was wrong.
const BAD_LOGIN: &str = "wrong client, e-mail address or password";

fn chrono_ttl(ttl: std::time::Duration) -> ChronoDuration {
    ChronoDuration::from_std(ttl).unwrap_or(ChronoDuration::days(30))
}

impl Api {
    fn session(&self, user: &User, client: pulse_core::ids::ClientId, refresh: IssuedRefreshToken) -> Session {
        let principal = Principal { client, role: user.role, subject: Subject::User(user.id) };
        let ttl = self.config().access_ttl;
        Session {
            access_token: self.keys().issue_access(&principal, ttl),
            token_type: "Bearer",
            expires_in: ttl.as_secs(),
            refresh_token: refresh.secret.expose_secret().to_owned(),
            refresh_expires_at: refresh.expires_at.to_rfc3339(),
            client_id: client.get(),
            role: user.role,
            user_id: user.id.get(),
        }
    }

    /// Checks a password and starts a session.
    pub async fn login(&self, request: &LoginRequest) -> Result<Session> {
        let bad = || ApiError::unauthenticated(BAD_LOGIN);
        let slug = ClientSlug::parse(&request.client).map_err(|_| bad())?;
        let email = Email::parse(&request.email).map_err(|_| bad())?;
        let password = Password::new(request.password.clone()).map_err(|_| bad())?;
        let client = match self.store().client(&slug).await {
            Err(pulse_core::Error::NotFound { .. }) => {
                // Spend the time a real check costs, so timing does not reveal the client.
                let _ = pulse_core::auth::hash_password(&password).await;
                return Err(bad());
            }
            other => other?,
        };
        let user = client.check_login(&email, &password).await?.ok_or_else(bad)?;
        let refresh = client.issue_refresh_token(user.id, chrono_ttl(self.config().refresh_ttl)).await?;
        metrics::counter!("pulse_logins_total").increment(1);
        Ok(self.session(&user, client.id(), refresh))
    }

    /// Exchanges a refresh token for a new session. A spent token presented again ends
    /// its whole family (someone else holds a copy).
    pub async fn refresh(&self, refresh_token: &str) -> Result<Session> {
        let secret = refresh_secret(refresh_token)?;
        let client = self.client_by_id(secret.client_id()).await?;
        let rotated = client.rotate_refresh_token(&secret, chrono_ttl(self.config().refresh_ttl)).await?;
        Ok(self.session(&rotated.user, client.id(), rotated.token))
    }

    /// Ends the session a refresh token belongs to.
    pub async fn logout(&self, refresh_token: &str) -> Result<()> {
        let secret = refresh_secret(refresh_token)?;
        let client = self.client_by_id(secret.client_id()).await?;
        if client.revoke_refresh_token(&secret).await? {
            Ok(())
        } else {
            Err(ApiError::unauthenticated("unknown refresh token"))
        }
    }

    /// Sets the password of an invited user (once) and starts a session.
    pub async fn accept_invite(&self, invite: &str, password: &str) -> Result<Session> {
        let (client_id, user_id) =
            self.keys().verify_invite(invite).map_err(|e| ApiError::unauthenticated(format!("invitation: {e}")))?;
        let password = Password::new(password.to_owned())?;
        let client = self.client_by_id(client_id).await?;
        let user = client.user(user_id).await?.ok_or_else(|| ApiError::unauthenticated("invitation: no such user"))?;
        if client.has_password(user_id).await? {
            return Err(ApiError::Conflict { reason: "the invitation was already used".into() });
        }
        client.set_password(user_id, &password).await?;
        let refresh = client.issue_refresh_token(user.id, chrono_ttl(self.config().refresh_ttl)).await?;
        Ok(self.session(&user, client.id(), refresh))
    }

    /// Checks an API token (`pulse_at_…`).
    pub(super) async fn authenticate_api_token(&self, bearer: &str) -> Result<Principal> {
        let secret = TokenSecret::parse(bearer).map_err(|_| ApiError::unauthenticated("malformed API token"))?;
        if secret.kind() != TokenKind::Api {
            return Err(ApiError::unauthenticated("a refresh token is not an access token"));
        }
        let client = self.client_by_id(secret.client_id()).await?;
        let token = client.authenticate_api_token(&secret).await?;
        Ok(Principal { client: client.id(), role: token.role, subject: Subject::ApiToken(token.id) })
    }
}

fn refresh_secret(text: &str) -> Result<TokenSecret> {
    let secret = TokenSecret::parse(text).map_err(|_| ApiError::unauthenticated("malformed refresh token"))?;
    if secret.kind() != TokenKind::Refresh {
        return Err(ApiError::unauthenticated("not a refresh token"));
    }
    Ok(secret)
}
