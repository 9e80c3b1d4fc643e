//! A client's authentication records: password hashes, refresh-token families and API
//! tokens. Secrets never reach the database; tokens are found by their SHA-256.
//!
//! Refresh tokens rotate: each is exchanged once for a successor in the same family. A
//! token presented after it was spent means two parties hold the family (OAuth 2.0
//! Security BCP, refresh token reuse detection), so the whole family is revoked, and that
//! revocation is committed although the exchange fails.

use chrono::{Duration, SubsecRound, Utc};

use super::admin::{USER_COLUMNS, is_foreign_key_violation, is_unique_violation, read_user_columns};
use super::codec::{ColumnReader, ColumnWriter, DbRow};
use super::{ClientStore, ClientTx};
use crate::auth::{
    Password, PasswordHash, TokenHash, TokenKind, TokenSecret, hash_password, random_family, verify_dummy,
    verify_password,
};
use crate::error::{Error, Result};
use crate::ids::{ApiTokenId, TokenFamily, UserId};
use crate::model::{ApiToken, Email, IssuedRefreshToken, NewApiToken, Role, Rotated, Timestamp, User};

const UNKNOWN_REFRESH: Error = Error::Unauthenticated { reason: "unknown refresh token" };
const UNKNOWN_API: Error = Error::Unauthenticated { reason: "unknown API token" };

/// `last_used_at` is written at most this often per token, so that a busy token does not
/// turn every request into a write.
const LAST_USED_GRANULARITY: Duration = Duration::minutes(1);

// ---------------------------------------------------------------- refresh tokens

/// A refresh token's row, as far as rotation needs it.
struct RefreshRow {
    id: i64,
    family: TokenFamily,
    user: UserId,
    expires_at: Timestamp,
    spent_at: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
}

const REFRESH_COLUMNS: &str = "id, family, user_id, expires_at, spent_at, revoked_at";

fn read_refresh(row: &DbRow) -> Result<RefreshRow> {
    let mut r = ColumnReader::new(row);
    Ok(RefreshRow {
        id: r.int()?,
        family: r.parsed(TokenFamily::parse)?,
        user: UserId::new(r.int()?),
        expires_at: r.ts()?,
        spent_at: r.opt_ts()?,
        revoked_at: r.opt_ts()?,
    })
}

/// The time to record: both backends keep microseconds, and a value returned to the
/// caller must equal the one stored.
fn now() -> Timestamp {
    Utc::now().trunc_subsecs(6)
}

fn check_ttl(ttl: Duration) -> Result<()> {
    if ttl > Duration::zero() { Ok(()) } else { Err(Error::invalid("token lifetime", "must be positive")) }
}

impl ClientTx {
    async fn find_refresh(&mut self, hash: &TokenHash) -> Result<Option<RefreshRow>> {
        let mut args = self.scoped_args();
        args.text(hash.as_str());
        let sql = format!("SELECT {REFRESH_COLUMNS} FROM refresh_tokens WHERE client_id = $1 AND token_hash = $2");
        self.fetch_optional(&sql, args).await?.as_ref().map(read_refresh).transpose()
    }

    async fn insert_refresh(
        &mut self,
        user: UserId,
        family: TokenFamily,
        ttl: Duration,
        now: Timestamp,
    ) -> Result<IssuedRefreshToken> {
        let secret = TokenSecret::generate(TokenKind::Refresh, self.client)?;
        let expires_at = (now + ttl).trunc_subsecs(6);
        let mut args = self.scoped_args();
        args.text(family.as_str());
        args.int(user.get());
        args.text(secret.hash().as_str());
        args.ts(now);
        args.ts(expires_at);
        let sql = "INSERT INTO refresh_tokens (client_id, family, user_id, token_hash, issued_at, expires_at) \
                   VALUES ($1, $2, $3, $4, $5, $6)";
        match self.execute(sql, args).await {
            // The key is (client_id, user_id): another client's user id is no user here.
            Err(e) if is_foreign_key_violation(&e) => Err(Error::NotFound { entity: "user" }),
            other => other.map(|_| IssuedRefreshToken { secret, family, expires_at }),
        }
    }

    async fn revoke_refresh_where(&mut self, filter: &str, bind: impl FnOnce(&mut super::codec::Args)) -> Result<u64> {
        let mut args = self.scoped_args();
        args.ts(now());
        bind(&mut args);
        let sql = format!(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL AND {filter}"
        );
        self.execute(&sql, args).await
    }

    async fn revoke_family(&mut self, family: &TokenFamily) -> Result<u64> {
        self.revoke_refresh_where("family = $3", |a| a.text(family.as_str())).await
    }

    async fn user_by_id(&mut self, user: UserId) -> Result<Option<User>> {
        let mut args = self.scoped_args();
        args.int(user.get());
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE client_id = $1 AND id = $2");
        self.fetch_optional(&sql, args).await?.map(|row| read_user_columns(&mut ColumnReader::new(&row))).transpose()
    }
}

impl ClientStore {
    // ------------------------------------------------------------ passwords

    /// Sets (or replaces) a user's password; only its Argon2id hash is stored.
    /// [`Error::NotFound`] when this client has no such user. Existing refresh tokens
    /// stay valid: revoke them with [`ClientStore::revoke_refresh_tokens_of`] if the
    /// change should end other sessions.
    pub async fn set_password(&self, user: UserId, password: &Password) -> Result<()> {
        // Hash before opening the transaction: no connection is held for the ~50 ms.
        let hash = hash_password(password).await?;
        let mut tx = self.begin().await?;
        let mut args = tx.scoped_args();
        args.int(user.get());
        args.text(hash.as_str());
        let n = tx.execute("UPDATE users SET password_hash = $3 WHERE client_id = $1 AND id = $2", args).await?;
        tx.commit().await?;
        if n == 0 { Err(Error::NotFound { entity: "user" }) } else { Ok(()) }
    }

    /// The user with this e-mail address and password, or `None` when the address is
    /// unknown, the password wrong, or the user has no password. All three take one
    /// password verification, so the time taken does not tell which addresses exist.
    pub async fn check_login(&self, email: &Email, password: &Password) -> Result<Option<User>> {
        let mut tx = self.begin_read().await?;
        let mut args = tx.scoped_args();
        args.text(email.as_str());
        let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE client_id = $1 AND email = $2");
        let row = tx.fetch_optional(&sql, args).await?;
        tx.commit().await?;
        let found = match &row {
            Some(row) => {
                let mut r = ColumnReader::new(row);
                let user = read_user_columns(&mut r)?;
                r.opt_parsed(PasswordHash::parse)?.map(|hash| (user, hash))
            }
            None => None,
        };
        match found {
            Some((user, hash)) => Ok(verify_password(password, &hash).await?.then_some(user)),
            None => {
                verify_dummy(password).await;
                Ok(None)
            }
        }
    }

    // ------------------------------------------------------------ refresh tokens

    /// Issues the first refresh token of a new family (a sign-in), valid for `ttl`.
    /// [`Error::NotFound`] when this client has no such user.
    pub async fn issue_refresh_token(&self, user: UserId, ttl: Duration) -> Result<IssuedRefreshToken> {
        check_ttl(ttl)?;
        let family = random_family()?;
        let mut tx = self.begin().await?;
        let issued = tx.insert_refresh(user, family, ttl, now()).await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// Exchanges a refresh token for its successor (same family, valid for `ttl`) and
    /// says whose it is, in one transaction.
    ///
    /// [`Error::Unauthenticated`] when the token is unknown to this client, expired or
    /// revoked. A token that was already exchanged revokes its whole family (the
    /// successors too) and fails with reason "refresh token reused"; the revocation is
    /// committed. Marking the token spent is a compare-and-set, so of two concurrent
    /// exchanges of one token only one can succeed, and the other counts as reuse.
    pub async fn rotate_refresh_token(&self, secret: &TokenSecret, ttl: Duration) -> Result<Rotated> {
        check_ttl(ttl)?;
        if secret.kind() != TokenKind::Refresh || secret.client_id() != self.id() {
            return Err(UNKNOWN_REFRESH);
        }
        let hash = secret.hash();
        let now = now();
        let mut tx = self.begin().await?;
        let Some(token) = tx.find_refresh(&hash).await? else {
            return Err(UNKNOWN_REFRESH);
        };
        if token.revoked_at.is_some() {
            return Err(Error::Unauthenticated { reason: "refresh token revoked" });
        }
        if token.spent_at.is_some() {
            return reuse_detected(tx, &token.family).await;
        }
        if token.expires_at <= now {
            return Err(Error::Unauthenticated { reason: "refresh token expired" });
        }
        let mut args = tx.scoped_args();
        args.int(token.id);
        args.ts(now);
        let spent = tx
            .execute(
                "UPDATE refresh_tokens SET spent_at = $3 \
                 WHERE client_id = $1 AND id = $2 AND spent_at IS NULL AND revoked_at IS NULL",
                args,
            )
            .await?;
        if spent == 0 {
            // Changed since it was read (PostgreSQL, READ COMMITTED: this statement waited
            // for the other writer and saw its result). Read it again to say what happened.
            return match tx.find_refresh(&hash).await? {
                Some(again) if again.revoked_at.is_none() && again.spent_at.is_some() => {
                    reuse_detected(tx, &again.family).await
                }
                Some(_) => Err(Error::Unauthenticated { reason: "refresh token revoked" }),
                None => Err(UNKNOWN_REFRESH),
            };
        }
        let Some(user) = tx.user_by_id(token.user).await? else {
            // Unreachable through the foreign key (deleting a user deletes its tokens).
            return Err(UNKNOWN_REFRESH);
        };
        let successor = tx.insert_refresh(user.id, token.family, ttl, now).await?;
        tx.commit().await?;
        Ok(Rotated { user, token: successor })
    }

    /// Revokes every token of a family (one sign-in's session). Returns how many were
    /// still unrevoked; 0 for a family this client does not have.
    pub async fn revoke_refresh_family(&self, family: &TokenFamily) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = tx.revoke_family(family).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Revokes the family of the given refresh token (sign-out with the refresh token in
    /// hand). `false` when this client does not know the token.
    pub async fn revoke_refresh_token(&self, secret: &TokenSecret) -> Result<bool> {
        if secret.kind() != TokenKind::Refresh || secret.client_id() != self.id() {
            return Ok(false);
        }
        let mut tx = self.begin().await?;
        let Some(token) = tx.find_refresh(&secret.hash()).await? else {
            return Ok(false);
        };
        tx.revoke_family(&token.family).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Revokes every refresh token of a user (sign out everywhere). Returns how many were
    /// still unrevoked; 0 for a user this client does not have.
    pub async fn revoke_refresh_tokens_of(&self, user: UserId) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = tx.revoke_refresh_where("user_id = $3", |a| a.int(user.get())).await?;
        tx.commit().await?;
        Ok(n)
    }

    // ------------------------------------------------------------ API tokens

    /// Creates an API token. Returns its secret, which is shown now and never again, and
    /// its record. [`Error::AlreadyExists`] when the client has a token of that name
    /// (revoked ones included); [`Error::Invalid`] for a bad name, creator or expiry.
    pub async fn create_api_token(&self, new: &NewApiToken) -> Result<(TokenSecret, ApiToken)> {
        let now = now();
        check_api_token(new, now)?;
        let secret = TokenSecret::generate(TokenKind::Api, self.id())?;
        let mut tx = self.begin().await?;
        let mut args = tx.scoped_args();
        args.text(&new.name);
        args.text(new.role.as_str());
        args.text(secret.hash().as_str());
        args.text(&new.created_by);
        args.ts(now);
        args.opt_ts(new.expires_at);
        let sql = format!(
            "INSERT INTO api_tokens (client_id, name, role, token_hash, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {API_TOKEN_COLUMNS}"
        );
        let row = match tx.fetch_optional(&sql, args).await {
            Err(e) if is_unique_violation(&e) => return Err(Error::AlreadyExists { entity: "API token" }),
            other => other?.ok_or(Error::NotFound { entity: "API token" })?,
        };
        let token = read_api_token(&row)?;
        tx.commit().await?;
        Ok((secret, token))
    }

    /// Every API token of this client (revoked and expired ones too), by name. Hashes are
    /// not part of the record.
    pub async fn api_tokens(&self) -> Result<Vec<ApiToken>> {
        let mut tx = self.begin_read().await?;
        let args = tx.scoped_args();
        let sql = format!("SELECT {API_TOKEN_COLUMNS} FROM api_tokens WHERE client_id = $1 ORDER BY name");
        let rows = tx.fetch_all(&sql, args).await?;
        tx.commit().await?;
        rows.iter().map(read_api_token).collect()
    }

    /// Revokes an API token for good (a token revoked earlier keeps its first
    /// revocation time). `false` when this client has no such token.
    pub async fn revoke_api_token(&self, id: ApiTokenId) -> Result<bool> {
        let mut tx = self.begin().await?;
        let mut args = tx.scoped_args();
        args.int(id.get());
        args.ts(now());
        let n = tx
            .execute(
                "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE client_id = $1 AND id = $2",
                args,
            )
            .await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    /// The API token a request presents, if it is this client's, unrevoked and unexpired
    /// ([`Error::Unauthenticated`] otherwise). Records the use (to the minute).
    pub async fn authenticate_api_token(&self, secret: &TokenSecret) -> Result<ApiToken> {
        if secret.kind() != TokenKind::Api || secret.client_id() != self.id() {
            return Err(UNKNOWN_API);
        }
        let now = now();
        let mut tx = self.begin_read().await?;
        let mut args = tx.scoped_args();
        args.text(secret.hash().as_str());
        let sql = format!("SELECT {API_TOKEN_COLUMNS} FROM api_tokens WHERE client_id = $1 AND token_hash = $2");
        let row = tx.fetch_optional(&sql, args).await?;
        tx.commit().await?;
        let mut token = read_api_token(&row.ok_or(UNKNOWN_API)?)?;
        if token.revoked_at.is_some() {
            return Err(Error::Unauthenticated { reason: "API token revoked" });
        }
        if token.expires_at.is_some_and(|t| t <= now) {
            return Err(Error::Unauthenticated { reason: "API token expired" });
        }
        if token.last_used_at.is_none_or(|t| now - t >= LAST_USED_GRANULARITY) {
            let mut tx = self.begin().await?;
            let mut args = tx.scoped_args();
            args.int(token.id.get());
            args.ts(now);
            tx.execute("UPDATE api_tokens SET last_used_at = $3 WHERE client_id = $1 AND id = $2", args).await?;
            tx.commit().await?;
            token.last_used_at = Some(now);
        }
        Ok(token)
    }
}

/// Commits the revocation of a family whose spent token was presented again, then
/// fails the exchange.
async fn reuse_detected<T>(mut tx: ClientTx, family: &TokenFamily) -> Result<T> {
    let revoked = tx.revoke_family(family).await?;
    tx.commit().await?;
    tracing::warn!(family = family.as_str(), revoked, "refresh token reused; its family is revoked");
    Err(Error::Unauthenticated { reason: "refresh token reused" })
}

const API_TOKEN_COLUMNS: &str = "id, name, role, created_by, created_at, expires_at, last_used_at, revoked_at";

fn read_api_token(row: &DbRow) -> Result<ApiToken> {
    let mut r = ColumnReader::new(row);
    Ok(ApiToken {
        id: ApiTokenId::new(r.int()?),
        name: r.text()?,
        role: r.parsed(Role::parse)?,
        created_by: r.text()?,
        created_at: r.ts()?,
        expires_at: r.opt_ts()?,
        last_used_at: r.opt_ts()?,
        revoked_at: r.opt_ts()?,
    })
}

fn check_api_token(new: &NewApiToken, now: Timestamp) -> Result<()> {
    let name = &new.name;
    if name.trim().is_empty() || name.trim() != name || name.chars().count() > 100 || name.chars().any(char::is_control)
    {
        return Err(Error::invalid("API token name", "must be 1-100 characters without surrounding spaces"));
    }
    let creator = &new.created_by;
    if creator.trim().is_empty() || creator.chars().count() > 254 || creator.chars().any(char::is_control) {
        return Err(Error::invalid("API token creator", "must be 1-254 characters"));
    }
    if new.expires_at.is_some_and(|t| t <= now) {
        return Err(Error::invalid("API token expiry", "must be in the future"));
    }
    Ok(())
}
