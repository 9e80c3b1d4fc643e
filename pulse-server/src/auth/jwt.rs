//! Access tokens and invitations as HS256 JWTs.
//!
//! Checks beyond the signature: the algorithm is pinned (so `alg: none` and algorithm
//! confusion fail), issuer and audience must match, `exp`, `nbf` and `iat` are required,
//! and the leeway is small. Access tokens and invitations have different audiences, so
//! neither can stand in for the other.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use pulse_core::ids::{ClientId, UserId};
use pulse_core::model::Role;
use serde::{Deserialize, Serialize};

use super::principal::{Principal, Subject};

const ISSUER: &str = "pulse";
const ACCESS_AUDIENCE: &str = "pulse-api";
const INVITE_AUDIENCE: &str = "pulse-invite";
/// Clock skew tolerated between servers, in seconds.
const LEEWAY: u64 = 5;

/// Why a token was refused. Deliberately coarse in what reaches the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token is not valid")]
    Invalid,
}

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// `user:ID` or `token:ID`.
    pub sub: String,
    pub client_id: i64,
    pub role: Role,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
}

/// What an invitation to set a password says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub client_id: i64,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
}

/// The signing secret. Cheap to clone.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(…)")
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn validation(audience: &str) -> Validation {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[ISSUER]);
    v.set_audience(&[audience]);
    v.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
    v.validate_nbf = true;
    v.leeway = LEEWAY;
    v
}

fn token_error(e: jsonwebtoken::errors::Error) -> TokenError {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::ExpiredSignature => TokenError::Expired,
        ErrorKind::ImmatureSignature => TokenError::NotYetValid,
        _ => TokenError::Invalid,
    }
}

impl JwtKeys {
    /// Keys from a shared secret; at least 32 bytes so HS256 keeps its strength.
    pub fn from_secret(secret: &[u8]) -> Result<Self, &'static str> {
        if secret.len() < 32 {
            return Err("the JWT secret must be at least 32 bytes");
        }
        Ok(Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret) })
    }

    /// Keys from a fresh random secret: tokens die with the process (`pulse demo`).
    pub fn random() -> Self {
        use rand::TryRng;
        let mut secret = [0u8; 32];
        rand::rngs::SysRng.try_fill_bytes(&mut secret).expect("the system random source works");
        Self::from_secret(&secret).expect("32 bytes")
    }

    /// Signs an access token for `principal`, valid for `ttl` from now.
    pub fn issue_access(&self, principal: &Principal, ttl: Duration) -> String {
        let iat = now();
        let claims = AccessClaims {
            iss: ISSUER.into(),
            aud: ACCESS_AUDIENCE.into(),
            sub: principal.subject.to_claim(),
            client_id: principal.client.get(),
            role: principal.role,
            iat,
            nbf: iat,
            exp: iat + ttl.as_secs(),
        };
        self.sign(&claims)
    }

    /// Signs any claims with this key (also used by tests to forge edge cases).
    pub fn sign<C: Serialize>(&self, claims: &C) -> String {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding).expect("HS256 signing cannot fail")
    }

    /// Checks an access token and returns whom it speaks for.
    pub fn verify_access(&self, token: &str) -> Result<Principal, TokenError> {
        let claims =
            decode::<AccessClaims>(token, &self.decoding, &validation(ACCESS_AUDIENCE)).map_err(token_error)?.claims;
        let subject = Subject::parse_claim(&claims.sub).ok_or(TokenError::Invalid)?;
        Ok(Principal { client: ClientId::new(claims.client_id), role: claims.role, subject })
    }

    /// Signs an invitation for `user` of `client` to set a password.
    pub fn issue_invite(&self, client: ClientId, user: UserId, ttl: Duration) -> String {
        let iat = now();
        self.sign(&InviteClaims {
            iss: ISSUER.into(),
            aud: INVITE_AUDIENCE.into(),
            sub: Subject::User(user).to_claim(),
            client_id: client.get(),
            iat,
            nbf: iat,
            exp: iat + ttl.as_secs(),
        })
    }

    /// Checks an invitation; returns the client and user it was made for.
    pub fn verify_invite(&self, token: &str) -> Result<(ClientId, UserId), TokenError> {
        let claims =
            decode::<InviteClaims>(token, &self.decoding, &validation(INVITE_AUDIENCE)).map_err(token_error)?.claims;
        match Subject::parse_claim(&claims.sub) {
            Some(Subject::User(user)) => Ok((ClientId::new(claims.client_id), user)),
            _ => Err(TokenError::Invalid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::from_secret(b"0123456789abcdef0123456789abcdef").unwrap()
    }

    fn admin() -> Principal {
        Principal { client: ClientId::new(4), role: Role::Admin, subject: Subject::User(UserId::new(2)) }
    }

    fn claims(delta_nbf: i64, delta_exp: i64) -> AccessClaims {
        let t = now() as i64;
        AccessClaims {
            iss: ISSUER.into(),
            aud: ACCESS_AUDIENCE.into(),
            sub: "user:2".into(),
            client_id: 4,
            role: Role::Admin,
            iat: t as u64,
            nbf: (t + delta_nbf) as u64,
            exp: (t + delta_exp) as u64,
        }
    }

    #[test]
    fn a_fresh_token_round_trips() {
        let k = keys();
        assert_eq!(k.verify_access(&k.issue_access(&admin(), Duration::from_secs(60))), Ok(admin()));
    }

    #[test]
    fn expired_and_not_yet_valid_tokens_are_refused() {
        let k = keys();
        assert_eq!(k.verify_access(&k.sign(&claims(-120, -60))), Err(TokenError::Expired));
        assert_eq!(k.verify_access(&k.sign(&claims(60, 120))), Err(TokenError::NotYetValid));
    }

    #[test]
    fn another_key_alg_none_and_tampering_are_refused() {
        let k = keys();
        let other = JwtKeys::from_secret(b"another secret that is long enough!!").unwrap();
        assert_eq!(k.verify_access(&other.issue_access(&admin(), Duration::from_secs(60))), Err(TokenError::Invalid));

        let token = k.issue_access(&admin(), Duration::from_secs(60));
        let mut parts: Vec<&str> = token.split('.').collect();
        // alg: none, no signature.
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
        assert_eq!(k.verify_access(&format!("{none}.{}.", parts[1])), Err(TokenError::Invalid));
        // Claims swapped for another client's, signature kept.
        let forged = k.sign(&AccessClaims { client_id: 5, ..claims(0, 60) });
        let forged_payload = forged.split('.').nth(1).unwrap().to_owned();
        parts[1] = &forged_payload;
        assert_eq!(k.verify_access(&parts.join(".")), Err(TokenError::Invalid));
    }

    #[test]
    fn an_invitation_is_not_an_access_token_nor_the_reverse() {
        let k = keys();
        let invite = k.issue_invite(ClientId::new(4), UserId::new(2), Duration::from_secs(60));
        assert_eq!(k.verify_access(&invite), Err(TokenError::Invalid));
        assert_eq!(k.verify_invite(&invite), Ok((ClientId::new(4), UserId::new(2))));
        let access = k.issue_access(&admin(), Duration::from_secs(60));
        assert_eq!(k.verify_invite(&access), Err(TokenError::Invalid));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(JwtKeys::from_secret(b"short").is_err());
    }
}
