//! Tokens that must not work, over HTTP: expired, not yet valid, wrongly signed,
//! `alg: none`, another audience, tampered claims; and roles that must not reach
//! operations above them.

use std::time::{SystemTime, UNIX_EPOCH};

use pulse_core::testing::TestDb;
use pulse_server::auth::{AccessClaims, JwtKeys};
use serde_json::{Value, json};

use crate::support::{TestServer, keys, tenant, window};

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn claims(client_id: i64, sub: String) -> AccessClaims {
    let t = now();
    AccessClaims {
        iss: "pulse".into(),
        aud: "pulse-api".into(),
        sub,
        client_id,
        role: pulse_core::model::Role::Admin,
        iat: t,
        nbf: t,
        exp: t + 600,
    }
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_expired_and_misdirected_tokens_are_refused() {
    let server = TestServer::start(TestDb::sqlite().await).await;
    let acme = tenant(&server, "acme", 1).await;
    let globex = tenant(&server, "globex", 2).await;
    let http = server.http();
    let sub = format!("user:{}", acme.admin_id);
    let good = keys().sign(&claims(acme.id.get(), sub.clone()));
    assert_eq!(http.get("/client", &good).await.0, 200, "the control token works");

    let other_key = JwtKeys::from_secret(b"a different secret, also 32+ bytes long").unwrap();
    let header_none = b64(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = good.split('.').nth(1).unwrap().to_owned();
    let forged_payload = b64(serde_json::to_string(&claims(globex.id.get(), sub.clone())).unwrap().as_bytes());
    let signature = good.split('.').nth(2).unwrap().to_owned();
    let header_hs512 = b64(br#"{"alg":"HS512","typ":"JWT"}"#);

    let cases: Vec<(&str, String)> = vec![
        (
            "expired",
            keys().sign(&AccessClaims {
                iat: now() - 7200,
                nbf: now() - 7200,
                exp: now() - 3600,
                ..claims(acme.id.get(), sub.clone())
            }),
        ),
        (
            "not yet valid",
            keys().sign(&AccessClaims { nbf: now() + 3600, exp: now() + 7200, ..claims(acme.id.get(), sub.clone()) }),
        ),
        ("wrong signature", other_key.sign(&claims(acme.id.get(), sub.clone()))),
        ("alg none", format!("{header_none}.{payload}.")),
        ("alg none with a signature", format!("{header_none}.{payload}.{signature}")),
        ("another algorithm", format!("{header_hs512}.{payload}.{signature}")),
        (
            "wrong audience",
            keys().sign(&AccessClaims { aud: "pulse-invite".into(), ..claims(acme.id.get(), sub.clone()) }),
        ),
        (
            "wrong issuer",
            keys().sign(&AccessClaims { iss: "someone-else".into(), ..claims(acme.id.get(), sub.clone()) }),
        ),
        ("tampered client", format!("{}.{forged_payload}.{signature}", good.split('.').next().unwrap())),
        ("unknown subject kind", keys().sign(&claims(acme.id.get(), "root:1".into()))),
        ("not a JWT", "hello".into()),
        ("an API-token lookalike", format!("pulse_at_{}_{}", acme.id, "A".repeat(43))),
        ("a refresh token as bearer", format!("pulse_rt_{}_{}", acme.id, "A".repeat(43))),
        ("an invitation", keys().issue_invite(acme.id, acme.admin_id, std::time::Duration::from_secs(600))),
    ];
    for (what, token) in cases {
        let (status, body) = http.get("/client", &token).await;
        assert_eq!(status, 401, "{what}: {body}");
        assert_eq!(body["error"]["code"], "unauthenticated", "{what}");
        // The body reveals nothing about the other client.
        assert!(!body.to_string().contains("globex"), "{what}: {body}");
    }
    // A token missing a required claim.
    let t = now();
    let no_exp = keys().sign(&json!({ "iss": "pulse", "aud": "pulse-api", "sub": sub, "client_id": acme.id.get(), "role": "admin", "iat": t, "nbf": t }));
    assert_eq!(http.get("/client", &no_exp).await.0, 401, "exp is required");
    // A token of a client that does not exist.
    assert_eq!(http.get("/client", &keys().sign(&claims(987_654, sub.clone()))).await.0, 401);
    // Malformed Authorization headers.
    for header in ["Basic dXNlcjpwdw==", "Bearer", "Bearer    ", "token abc"] {
        let response =
            http.client.get(format!("{}/client", http.base)).header("authorization", header).send().await.unwrap();
        assert_eq!(response.status(), 401, "{header}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_stop_at_their_limits() {
    let server = TestServer::start(TestDb::sqlite().await).await;
    let acme = tenant(&server, "acme", 1).await;
    let http = server.http();
    let forbidden = |(status, body): (u16, Value)| status == 403 && body["error"]["code"] == "forbidden";

    // Viewers read, but start nothing.
    assert_eq!(http.get(&format!("/metrics/dora?{}", window()), &acme.viewer).await.0, 200);
    assert!(forbidden(http.post("/jobs", &acme.viewer, json!({ "kind": "derive" })).await));
    assert!(forbidden(http.post(&format!("/jobs/{}/retry", acme.job), &acme.viewer, json!({})).await));
    let response = http
        .client
        .post(format!("{}/import/deployments", http.base))
        .bearer_auth(&acme.viewer)
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);

    // Users run syncs, but administer nothing.
    assert_eq!(http.post("/jobs", &acme.user, json!({ "kind": "derive" })).await.0, 201);
    let admin_calls: Vec<(&str, String, Option<Value>)> = vec![
        ("POST", format!("/jobs/{}/pause", acme.job), Some(json!({}))),
        ("POST", format!("/jobs/{}/cancel", acme.job), Some(json!({}))),
        ("POST", format!("/jobs/{}/resume", acme.job), Some(json!({}))),
        ("GET", "/users".into(), None),
        ("POST", "/users".into(), Some(json!({ "email": "x@acme.example", "display_name": "X", "role": "admin" }))),
        ("PATCH", format!("/users/{}", acme.user_id), Some(json!({ "role": "admin" }))),
        ("DELETE", format!("/users/{}", acme.viewer_id), None),
        ("GET", "/api-tokens".into(), None),
        ("POST", "/api-tokens".into(), Some(json!({ "name": "mine", "role": "admin" }))),
        ("DELETE", format!("/api-tokens/{}", acme.api_token_id), None),
        ("POST", "/integrations".into(), Some(json!({ "kind": "github", "repo": "a/b", "token": "t" }))),
        ("DELETE", format!("/integrations/{}", acme.integration), None),
        ("DELETE", format!("/projects/{}", acme.project), None),
        ("PUT", "/client/branding".into(), Some(json!({ "display_name": "Mine now" }))),
    ];
    for (method, path, body) in &admin_calls {
        for token in [&acme.user, &acme.api_token, &acme.viewer] {
            let answer = http.send(method, path, Some(token), body.clone()).await;
            assert!(forbidden(answer.clone()), "{method} {path}: {answer:?}");
        }
    }
    // A user cannot promote themselves, and nothing above changed.
    let (_, me) = http.get("/me", &acme.user).await;
    assert_eq!(me["user"]["role"], "user");
    assert_eq!(acme.store.users().await.unwrap().len(), 3);
    server.stop().await;
}

pulse_core::on_both_backends!(refresh_token_reuse_ends_the_family);

async fn refresh_token_reuse_ends_the_family(db: TestDb) {
    let server = TestServer::start(db).await;
    let _acme = tenant(&server, "acme", 1).await;
    let http = server.http();
    let login = json!({ "client": "acme", "email": crate::support::email("acme", "user"), "password": crate::support::PASSWORD });
    let (_, session) = http.send("POST", "/auth/login", None, Some(login)).await;
    let mut chain = vec![session["refresh_token"].as_str().unwrap().to_owned()];
    for _ in 0..3 {
        let (status, next) =
            http.send("POST", "/auth/refresh", None, Some(json!({ "refresh_token": chain.last().unwrap() }))).await;
        assert_eq!(status, 200);
        chain.push(next["refresh_token"].as_str().unwrap().to_owned());
    }
    // An attacker replays the second token: refused, and the legitimate newest one dies too.
    let (status, _) = http.send("POST", "/auth/refresh", None, Some(json!({ "refresh_token": chain[1] }))).await;
    assert_eq!(status, 401);
    let (status, _) = http.send("POST", "/auth/refresh", None, Some(json!({ "refresh_token": chain[3] }))).await;
    assert_eq!(status, 401);
    // Another client's id grafted onto the token does not help either.
    let grafted = chain[3].replacen(&format!("pulse_rt_{}_", _acme.id), "pulse_rt_999_", 1);
    let (status, _) = http.send("POST", "/auth/refresh", None, Some(json!({ "refresh_token": grafted }))).await;
    assert_eq!(status, 401);
    server.stop().await;
}
