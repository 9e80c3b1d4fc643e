//! Authentication records on both backends: passwords, refresh-token rotation with reuse
//! detection, API tokens, and their isolation between clients.

use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use pulse_core::auth::{Password, TokenKind, TokenSecret};
use pulse_core::ids::{ApiTokenId, ClientId};
use pulse_core::model::*;
use pulse_core::store::Backend;
use pulse_core::{ClientStore, Error};
use sha2::{Digest, Sha256};
use sqlx::Connection;

use crate::support::{TestDb, on_both_backends};

on_both_backends!(
    passwords_verify_and_wrong_ones_do_not,
    unknown_email_costs_a_password_verification,
    refresh_tokens_rotate_within_their_family,
    reusing_a_spent_refresh_token_revokes_its_family,
    expired_and_unknown_refresh_tokens_are_refused,
    concurrent_rotations_of_one_token_let_only_one_win,
    sign_out_revokes_refresh_tokens,
    api_tokens_authenticate_until_revoked,
    api_tokens_expire,
    only_hashes_are_stored,
    auth_records_are_invisible_across_clients,
);

const TTL: Duration = Duration::hours(1);

async fn user(client: &ClientStore, email: &str) -> User {
    client
        .upsert_user(&NewUser { email: Email::parse(email).unwrap(), display_name: email.into(), role: Role::User })
        .await
        .unwrap()
}

fn password(text: &str) -> Password {
    Password::new(text).unwrap()
}

fn reason(err: Error) -> &'static str {
    match err {
        Error::Unauthenticated { reason } => reason,
        other => panic!("expected Unauthenticated, got {other:?}"),
    }
}

fn new_api_token(name: &str, expires_at: Option<Timestamp>) -> NewApiToken {
    NewApiToken { name: name.into(), role: Role::Viewer, created_by: "ada@acme.example".into(), expires_at }
}

/// The same secret under another client's prefix (what an attacker holding client A's
/// token could present to client B's endpoint).
fn reprefixed(secret: &TokenSecret, to: ClientId) -> TokenSecret {
    let text = secret.expose_secret();
    let (prefix, rest) = text.split_at("pulse_xx_".len());
    let (_, random) = rest.split_once('_').unwrap();
    TokenSecret::parse(&format!("{prefix}{to}_{random}")).unwrap()
}

async fn passwords_verify_and_wrong_ones_do_not(db: TestDb) {
    let acme = db.client("acme").await;
    let ada = user(&acme, "ada@acme.example").await;
    let email = ada.email.clone();

    // No password set: nobody gets in, whatever they type.
    assert_eq!(acme.check_login(&email, &password("anything-at-all")).await.unwrap(), None);

    acme.set_password(ada.id, &password("correct horse battery")).await.unwrap();
    assert_eq!(acme.check_login(&email, &password("correct horse battery")).await.unwrap(), Some(ada.clone()));
    assert_eq!(acme.check_login(&email, &password("correct horse battery ")).await.unwrap(), None);
    let unknown = Email::parse("nobody@acme.example").unwrap();
    assert_eq!(acme.check_login(&unknown, &password("correct horse battery")).await.unwrap(), None);
    // E-mail addresses are matched as stored (lowercase).
    let shouted = Email::parse("ADA@ACME.example").unwrap();
    assert_eq!(acme.check_login(&shouted, &password("correct horse battery")).await.unwrap(), Some(ada.clone()));

    // A new password replaces the old one.
    acme.set_password(ada.id, &password("tr0ub4dor&3-extended")).await.unwrap();
    assert_eq!(acme.check_login(&email, &password("correct horse battery")).await.unwrap(), None);
    assert_eq!(acme.check_login(&email, &password("tr0ub4dor&3-extended")).await.unwrap(), Some(ada.clone()));

    let missing = acme.set_password(pulse_core::ids::UserId::new(ada.id.get() + 1000), &password("whatever-1")).await;
    assert!(matches!(missing, Err(Error::NotFound { entity: "user" })), "{missing:?}");
    let short = Password::new("short");
    assert!(matches!(short, Err(Error::Invalid { what: "password", .. })), "{short:?}");
}

/// Timing must not tell which addresses exist: an unknown address costs a verification
/// against a dummy hash. (Without it the unknown case would be a bare index lookup, two
/// orders of magnitude faster than Argon2.)
async fn unknown_email_costs_a_password_verification(db: TestDb) {
    let acme = db.client("acme").await;
    let ada = user(&acme, "ada@acme.example").await;
    acme.set_password(ada.id, &password("correct horse battery")).await.unwrap();
    let wrong = password("not the password");
    let unknown = Email::parse("nobody@acme.example").unwrap();

    let time = |email: Email| {
        let (acme, wrong) = (acme.clone(), wrong.clone());
        async move {
            let start = Instant::now();
            assert_eq!(acme.check_login(&email, &wrong).await.unwrap(), None);
            start.elapsed()
        }
    };
    let (mut known, mut missing) = (StdDuration::MAX, StdDuration::MAX);
    for _ in 0..3 {
        known = known.min(time(ada.email.clone()).await);
        missing = missing.min(time(unknown.clone()).await);
    }
    assert!(missing * 4 >= known, "unknown e-mail took {missing:?}, a wrong password {known:?}");
}

async fn refresh_tokens_rotate_within_their_family(db: TestDb) {
    let acme = db.client("acme").await;
    let ada = user(&acme, "ada@acme.example").await;

    let first = acme.issue_refresh_token(ada.id, TTL).await.unwrap();
    assert_eq!(first.secret.kind(), TokenKind::Refresh);
    assert_eq!(first.secret.client_id(), acme.id());
    assert!(first.secret.expose_secret().starts_with(&format!("pulse_rt_{}_", acme.id())));
    let lifetime = first.expires_at - Utc::now();
    assert!(lifetime > Duration::minutes(59) && lifetime <= TTL, "{lifetime}");

    // What the server gets back from the client is text: parse it again.
    let presented = TokenSecret::parse(first.secret.expose_secret()).unwrap();
    let second = acme.rotate_refresh_token(&presented, Duration::hours(2)).await.unwrap();
    assert_eq!(second.user, ada);
    assert_eq!(second.token.family, first.family);
    assert_ne!(second.token.secret.expose_secret(), first.secret.expose_secret());
    assert!(second.token.expires_at - Utc::now() > Duration::minutes(119));

    let third = acme.rotate_refresh_token(&second.token.secret, TTL).await.unwrap();
    assert_eq!((third.user.id, &third.token.family), (ada.id, &first.family));

    // Another sign-in starts another family.
    let other = acme.issue_refresh_token(ada.id, TTL).await.unwrap();
    assert_ne!(other.family, first.family);

    let invalid = acme.issue_refresh_token(ada.id, Duration::zero()).await;
    assert!(matches!(invalid, Err(Error::Invalid { what: "token lifetime", .. })), "{invalid:?}");
    let nobody = acme.issue_refresh_token(pulse_core::ids::UserId::new(ada.id.get() + 1000), TTL).await;
    assert!(matches!(nobody, Err(Error::NotFound { entity: "user" })), "{nobody:?}");
}

async fn reusing_a_spent_refresh_token_revokes_its_family(db: TestDb) {
    let acme = db.client("acme").await;
    let ada = user(&acme, "ada@acme.example").await;
    let first = acme.issue_refresh_token(ada.id, TTL).await.unwrap();
    let second = acme.rotate_refresh_token(&first.secret, TTL).await.unwrap();
    // Another session of the same user, which reuse in the first must not touch.
    let elsewhere = acme.issue_refresh_token(ada.id, TTL).await.unwrap();

    // The spent token comes back (an attacker replaying it, or the owner after theft).
    let replay = acme.rotate_refresh_token(&first.secret, TTL).await.unwrap_err();
    assert_eq!(reason(replay), "refresh token reused");
    // The revocation was committed although the call failed: the successor is dead too.
    let successor = acme.rotate_refresh_token(&second.token.secret, TTL).await.unwrap_err();
    assert_eq!(reason(successor), "refresh token revoked");
    let again = acme.rotate_refresh_token(&first.secret, TTL).await.unwrap_err();
    assert_eq!(reason(again), "refresh token revoked");

    let other = acme.rotate_refresh_token(&elsewhere.secret, TTL).await.unwrap();
    assert_eq!(other.user.id, ada.id);
}

async fn expired_and_unknown_refresh_tokens_are_refused(db: TestDb) {
    let acme = db.client("acme").await;
    let ada = user(&acme, "ada@acme.example").await;
    let short = acme.issue_refresh_token(ada.id, Duration::milliseconds(1)).await.unwrap();
    tokio::time::sleep(StdDuration::from_millis(20)).await;
    let expired = acme.rotate_refresh_token(&short.secret, TTL).await.unwrap_err();
    assert_eq!(reason(expired), "refresh token expired");
    // Still expired, not "reused": the failed exchange did not spend it.
    let expired = acme.rotate_refresh_token(&short.secret, TTL).await.unwrap_err();
    assert_eq!(reason(expired), "refresh token expired");

    // Well-formed, this client's prefix, never issued.
    let live = acme.issue_refresh_token(ada.id, TTL).await.unwrap();
    let forged = TokenSecret::parse(&format!("pulse_rt_{}_{}", acme.id(), "A".repeat(43))).unwrap();
    let unknown = acme.rotate_refresh_token(&forged, TTL).await.unwrap_err();
    assert_eq!(reason(unknown), "unknown refresh token");
    // An API token is no refresh token.
    let (api, _) = acme.create_api_token(&new_api_token("ci", None)).await.unwrap();
    let wrong_kind = acme.rotate_refresh_token(&api, TTL).await.unwrap_err();
    assert_eq!(reason(wrong_kind), "unknown refresh token");
    // The live token was not disturbed by any of this.
    acme.rotate_refresh_token(&live.secret, TTL).await.unwrap();
}

async fn concurrent_rotations_of_one_token_let_only_one_win(db: TestDb) {
    let acme = db.client("acme").await;
    let ada = user(&acme, "ada@acme.example").await;
    for _round in 0..3 {
        let token = acme.issue_refresh_token(ada.id, TTL).await.unwrap();
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(6));
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let (acme, secret, start) = (acme.clone(), token.secret.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    acme.rotate_refresh_token(&secret, TTL).await
                })
            })
            .collect();
        let mut winners = Vec::new();
        let mut reasons = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(rotated) => winners.push(rotated),
                Err(e) => reasons.push(reason(e)),
            }
        }
        assert_eq!(winners.len(), 1, "losers said {reasons:?}");
        // Every loser presented a token that was spent (or already revoked for reuse by
        // another loser); at least one of them saw the reuse.
        assert!(reasons.iter().all(|r| ["refresh token reused", "refresh token revoked"].contains(r)), "{reasons:?}");
        assert!(reasons.contains(&"refresh token reused"), "{reasons:?}");
        // Two presentations of one token are reuse: the winner's successor is revoked.
        let successor = acme.rotate_refresh_token(&winners[0].token.secret, TTL).await.unwrap_err();
        assert_eq!(reason(successor), "refresh token revoked");
    }
}

async fn sign_out_revokes_refresh_tokens(db: TestDb) {
    let acme = db.client("acme").await;
    let ada = user(&acme, "ada@acme.example").await;
    let bob = user(&acme, "bob@acme.example").await;
    let laptop = acme.issue_refresh_token(ada.id, TTL).await.unwrap();
    let laptop = acme.rotate_refresh_token(&laptop.secret, TTL).await.unwrap().token;
    let phone = acme.issue_refresh_token(ada.id, TTL).await.unwrap();
    let tablet = acme.issue_refresh_token(ada.id, TTL).await.unwrap();
    let bobs = acme.issue_refresh_token(bob.id, TTL).await.unwrap();

    // One session, by family: both of the laptop's tokens (the spent one too).
    assert_eq!(acme.revoke_refresh_family(&laptop.family).await.unwrap(), 2);
    assert_eq!(acme.revoke_refresh_family(&laptop.family).await.unwrap(), 0);
    assert_eq!(reason(acme.rotate_refresh_token(&laptop.secret, TTL).await.unwrap_err()), "refresh token revoked");

    // One session, by the refresh token in hand.
    assert!(acme.revoke_refresh_token(&phone.secret).await.unwrap());
    assert_eq!(reason(acme.rotate_refresh_token(&phone.secret, TTL).await.unwrap_err()), "refresh token revoked");
    let (api, _) = acme.create_api_token(&new_api_token("ci", None)).await.unwrap();
    assert!(!acme.revoke_refresh_token(&api).await.unwrap());

    // Everywhere: ada's remaining session ends, bob's does not.
    assert_eq!(acme.revoke_refresh_tokens_of(ada.id).await.unwrap(), 1);
    assert_eq!(reason(acme.rotate_refresh_token(&tablet.secret, TTL).await.unwrap_err()), "refresh token revoked");
    assert_eq!(acme.rotate_refresh_token(&bobs.secret, TTL).await.unwrap().user, bob);

    // Deleting a user deletes their tokens.
    let bobs_next = acme.issue_refresh_token(bob.id, TTL).await.unwrap();
    assert!(acme.delete_user(bob.id).await.unwrap());
    assert_eq!(reason(acme.rotate_refresh_token(&bobs_next.secret, TTL).await.unwrap_err()), "unknown refresh token");
}

async fn api_tokens_authenticate_until_revoked(db: TestDb) {
    let acme = db.client("acme").await;
    let before = Utc::now();
    let mut new = new_api_token("ci", Some(Utc::now() + Duration::days(30)));
    new.role = Role::Admin;
    let (secret, created) = acme.create_api_token(&new).await.unwrap();
    assert_eq!(secret.kind(), TokenKind::Api);
    assert!(secret.expose_secret().starts_with(&format!("pulse_at_{}_", acme.id())));
    assert_eq!(
        (created.name.as_str(), created.role, created.created_by.as_str()),
        ("ci", Role::Admin, "ada@acme.example")
    );
    assert!(created.created_at >= before - Duration::seconds(1) && created.last_used_at.is_none());
    assert!(created.is_active(Utc::now()));

    let presented = TokenSecret::parse(secret.expose_secret()).unwrap();
    let used = acme.authenticate_api_token(&presented).await.unwrap();
    assert_eq!((used.id, used.role), (created.id, Role::Admin));
    let last_used = used.last_used_at.expect("the use is recorded");
    assert!(last_used >= created.created_at);
    let (viewer_secret, viewer) = acme.create_api_token(&new_api_token("dashboard", None)).await.unwrap();
    assert_eq!(acme.api_tokens().await.unwrap(), vec![used.clone(), viewer.clone()]);

    // Names are unique within the client; bad input is refused before anything is stored.
    let twice = acme.create_api_token(&new_api_token("ci", None)).await;
    assert!(matches!(twice, Err(Error::AlreadyExists { entity: "API token" })), "{twice:?}");
    for (bad, what) in [
        (new_api_token("", None), "API token name"),
        (new_api_token(" padded ", None), "API token name"),
        (new_api_token(&"n".repeat(101), None), "API token name"),
        (NewApiToken { created_by: String::new(), ..new_api_token("x", None) }, "API token creator"),
        (new_api_token("past", Some(Utc::now() - Duration::seconds(1))), "API token expiry"),
    ] {
        let err = acme.create_api_token(&bad).await.unwrap_err();
        assert!(matches!(err, Error::Invalid { what: w, .. } if w == what), "{err}");
    }
    assert_eq!(acme.api_tokens().await.unwrap().len(), 2);

    // A refresh token is no API token.
    let ada = user(&acme, "ada@acme.example").await;
    let refresh = acme.issue_refresh_token(ada.id, TTL).await.unwrap();
    assert_eq!(reason(acme.authenticate_api_token(&refresh.secret).await.unwrap_err()), "unknown API token");

    assert!(acme.revoke_api_token(created.id).await.unwrap());
    assert_eq!(reason(acme.authenticate_api_token(&secret).await.unwrap_err()), "API token revoked");
    let revoked_at = acme.api_tokens().await.unwrap()[0].revoked_at.expect("revocation is listed");
    // Revoking again is harmless and keeps the first time.
    assert!(acme.revoke_api_token(created.id).await.unwrap());
    assert_eq!(acme.api_tokens().await.unwrap()[0].revoked_at, Some(revoked_at));
    assert!(!acme.revoke_api_token(ApiTokenId::new(viewer.id.get() + 1000)).await.unwrap());
    // The other token is unaffected; a never-issued one is unknown.
    assert_eq!(acme.authenticate_api_token(&viewer_secret).await.unwrap().id, viewer.id);
    let forged = TokenSecret::parse(&format!("pulse_at_{}_{}", acme.id(), "A".repeat(43))).unwrap();
    assert_eq!(reason(acme.authenticate_api_token(&forged).await.unwrap_err()), "unknown API token");
}

async fn api_tokens_expire(db: TestDb) {
    let acme = db.client("acme").await;
    let (secret, token) =
        acme.create_api_token(&new_api_token("short", Some(Utc::now() + Duration::milliseconds(50)))).await.unwrap();
    tokio::time::sleep(StdDuration::from_millis(100)).await;
    assert_eq!(reason(acme.authenticate_api_token(&secret).await.unwrap_err()), "API token expired");
    assert!(!acme.api_tokens().await.unwrap()[0].is_active(Utc::now()));
    assert_eq!(acme.api_tokens().await.unwrap()[0].last_used_at, None);
    // Revoking an expired token still works (and is listed).
    assert!(acme.revoke_api_token(token.id).await.unwrap());
    assert_eq!(reason(acme.authenticate_api_token(&secret).await.unwrap_err()), "API token revoked");
}

/// Text columns of the given query, read outside the store (on PostgreSQL as `client`).
async fn stored_text(db: &TestDb, client: ClientId, sql: &'static str) -> Vec<String> {
    match db.store.backend() {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            let mut tx = conn.begin().await.unwrap();
            sqlx::query("SELECT set_config('pulse.client_id', $1, true)")
                .bind(client.get().to_string())
                .execute(&mut *tx)
                .await
                .unwrap();
            sqlx::query_scalar(sql).fetch_all(&mut *tx).await.unwrap()
        }
    }
}

/// The 43 base64url characters after the prefix.
fn random_part(secret: &TokenSecret) -> &str {
    let text = secret.expose_secret();
    &text[text.len() - 43..]
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

async fn only_hashes_are_stored(db: TestDb) {
    let acme = db.client("acme").await;
    let ada = user(&acme, "ada@acme.example").await;
    acme.set_password(ada.id, &password("correct horse battery")).await.unwrap();
    let refresh = acme.issue_refresh_token(ada.id, TTL).await.unwrap();
    let (api, _) = acme.create_api_token(&new_api_token("ci", None)).await.unwrap();

    let hashes = stored_text(&db, acme.id(), "SELECT password_hash FROM users").await;
    assert_eq!(hashes.len(), 1);
    assert!(hashes[0].starts_with("$argon2id$") && !hashes[0].contains("horse"), "{}", hashes[0]);

    let stored = stored_text(&db, acme.id(), "SELECT token_hash FROM refresh_tokens").await;
    assert_eq!(stored, vec![sha256_hex(refresh.secret.expose_secret())]);
    let stored = stored_text(&db, acme.id(), "SELECT token_hash FROM api_tokens").await;
    assert_eq!(stored, vec![sha256_hex(api.expose_secret())]);
    // No column of either table holds the secret's random part.
    let random = random_part(&api);
    let dump = stored_text(
        &db,
        acme.id(),
        "SELECT name || ' ' || role || ' ' || token_hash || ' ' || created_by FROM api_tokens",
    )
    .await;
    assert!(!dump[0].contains(random), "{dump:?}");
    // The listing has no hash either.
    let listed = serde_json::to_string(&acme.api_tokens().await.unwrap()).unwrap();
    assert!(!listed.contains(&sha256_hex(api.expose_secret())) && !listed.contains(random), "{listed}");
    let shown = format!("{refresh:?} {api:?}");
    assert!(!shown.contains(random) && !shown.contains(random_part(&refresh.secret)), "{shown}");
}

async fn auth_records_are_invisible_across_clients(db: TestDb) {
    let acme = db.client("acme").await;
    let beta = db.client("beta").await;
    let ada = user(&acme, "ada@acme.example").await;
    acme.set_password(ada.id, &password("correct horse battery")).await.unwrap();
    let refresh = acme.issue_refresh_token(ada.id, TTL).await.unwrap();
    let (api, api_token) = acme.create_api_token(&new_api_token("ci", None)).await.unwrap();

    // Acme's secrets presented to beta, as they are and re-prefixed with beta's id.
    for secret in [refresh.secret.clone(), reprefixed(&refresh.secret, beta.id())] {
        let err = beta.rotate_refresh_token(&secret, TTL).await.unwrap_err();
        assert_eq!(reason(err), "unknown refresh token");
        assert!(!beta.revoke_refresh_token(&secret).await.unwrap());
    }
    for secret in [api.clone(), reprefixed(&api, beta.id())] {
        let err = beta.authenticate_api_token(&secret).await.unwrap_err();
        assert_eq!(reason(err), "unknown API token");
    }
    // Acme's ids through beta: nothing found, nothing changed.
    assert!(!beta.revoke_api_token(api_token.id).await.unwrap());
    assert_eq!(beta.revoke_refresh_family(&refresh.family).await.unwrap(), 0);
    assert_eq!(beta.revoke_refresh_tokens_of(ada.id).await.unwrap(), 0);
    assert!(beta.api_tokens().await.unwrap().is_empty());
    let stolen = beta.issue_refresh_token(ada.id, TTL).await;
    assert!(matches!(stolen, Err(Error::NotFound { entity: "user" })), "{stolen:?}");
    let password_reset = beta.set_password(ada.id, &password("attacker's choice")).await;
    assert!(matches!(password_reset, Err(Error::NotFound { entity: "user" })), "{password_reset:?}");
    assert_eq!(beta.check_login(&ada.email, &password("correct horse battery")).await.unwrap(), None);
    // Beta's own token of the same name is its own.
    let (_, betas) = beta.create_api_token(&new_api_token("ci", None)).await.unwrap();
    assert_ne!(betas.id, api_token.id);

    // Acme's credentials all still work.
    assert_eq!(acme.check_login(&ada.email, &password("correct horse battery")).await.unwrap(), Some(ada.clone()));
    assert_eq!(acme.authenticate_api_token(&api).await.unwrap().id, api_token.id);
    assert_eq!(acme.rotate_refresh_token(&refresh.secret, TTL).await.unwrap().user, ada);
    assert_eq!(acme.api_tokens().await.unwrap().len(), 1);

    if db.store.backend() == Backend::Postgres {
        // Row-level security: an unfiltered query as beta sees none of acme's rows.
        for sql in ["SELECT token_hash FROM refresh_tokens", "SELECT token_hash FROM api_tokens"] {
            assert!(!stored_text(&db, acme.id(), sql).await.is_empty(), "{sql}");
            let as_beta = stored_text(&db, beta.id(), sql).await;
            let as_acme = stored_text(&db, acme.id(), sql).await;
            assert!(as_beta.iter().all(|h| !as_acme.contains(h)), "{sql}");
        }
        assert!(stored_text(&db, beta.id(), "SELECT family FROM refresh_tokens").await.is_empty());
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let forced: Vec<(String, bool, bool)> = sqlx::query_as(
            "SELECT relname::text, relrowsecurity, relforcerowsecurity FROM pg_class \
             WHERE relname IN ('refresh_tokens', 'api_tokens') ORDER BY relname",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        assert_eq!(forced, vec![("api_tokens".into(), true, true), ("refresh_tokens".into(), true, true)]);
    }
}
