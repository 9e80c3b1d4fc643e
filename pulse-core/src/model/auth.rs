//! Authentication records: refresh tokens issued to users and API tokens.

use serde::Serialize;

use super::{Role, Timestamp, User};
use crate::auth::TokenSecret;
use crate::ids::{ApiTokenId, TokenFamily};

/// A refresh token just issued: the secret is shown to its holder now and never again
/// (the store keeps only its hash).
#[derive(Debug, Clone)]
pub struct IssuedRefreshToken {
    pub secret: TokenSecret,
    /// Shared by every token rotated from the same sign-in; a server may put it in its
    /// access tokens to end that session ([`crate::ClientStore::revoke_refresh_family`]).
    pub family: TokenFamily,
    pub expires_at: Timestamp,
}

/// The outcome of exchanging a refresh token: whose it was, and its successor.
#[derive(Debug, Clone)]
pub struct Rotated {
    pub user: User,
    pub token: IssuedRefreshToken,
}

/// An API token as listed; its secret is not stored, so it cannot be shown again.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiToken {
    pub id: ApiTokenId,
    /// Unique within the client, also among revoked tokens.
    pub name: String,
    /// What requests made with the token may do.
    pub role: Role,
    /// Who created it (free text, e.g. an e-mail address).
    pub created_by: String,
    pub created_at: Timestamp,
    /// `None`: valid until revoked.
    pub expires_at: Option<Timestamp>,
    /// When it last authenticated a request, to the minute.
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl ApiToken {
    /// Whether the token authenticates requests at `now`.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|t| now < t)
    }
}

/// An API token to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewApiToken {
    /// 1–100 characters without control characters or surrounding spaces.
    pub name: String,
    pub role: Role,
    /// 1–254 characters.
    pub created_by: String,
    /// Must be in the future; `None` for a token valid until revoked.
    pub expires_at: Option<Timestamp>,
}
