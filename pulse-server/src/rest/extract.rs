//! Request extractors that fail with the API's own error body: the caller (from the
//! bearer token), JSON bodies, query strings and numeric path ids.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri, header};
use serde::de::DeserializeOwned;

use crate::api::{Api, ApiError};
use crate::auth::Principal;

/// Filled with the caller's client once authenticated, for the request metrics (which
/// wrap the handler and cannot see its extractors).
#[derive(Clone, Default)]
pub struct CallerSlot(pub std::sync::Arc<std::sync::OnceLock<pulse_core::ids::ClientId>>);

/// Names the caller's client in the request's span (the access log) and slot (the
/// request metrics); REST and gRPC calls alike.
pub(crate) fn record_caller(principal: &Principal, slot: Option<&CallerSlot>) {
    tracing::Span::current().record("client_id", principal.client.get());
    if let Some(slot) = slot {
        let _ = slot.0.set(principal.client);
    }
}

/// The authenticated caller. Its client is the only client a handler works on.
pub struct Caller(pub Principal);

/// The bearer credential of a request: the `Authorization` header, or for WebSocket
/// upgrades (browsers cannot set headers on them) an `access_token` query parameter.
pub fn bearer<'a>(headers: &'a HeaderMap, uri: &'a Uri) -> Result<&'a str, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        return crate::auth::bearer_token(value.as_bytes(), "Authorization");
    }
    let upgrade = headers.get(header::UPGRADE).is_some_and(|u| u.as_bytes().eq_ignore_ascii_case(b"websocket"));
    if upgrade
        && let Some(query) = uri.query()
        && let Some(token) =
            query.split('&').find_map(|pair| pair.strip_prefix("access_token=")).filter(|t| !t.is_empty())
    {
        return Ok(token);
    }
    Err(ApiError::unauthenticated("no bearer token"))
}

impl FromRequestParts<Api> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, api: &Api) -> Result<Self, Self::Rejection> {
        let principal = api.authenticate(bearer(&parts.headers, &parts.uri)?).await?;
        record_caller(&principal, parts.extensions.get::<CallerSlot>());
        Ok(Caller(principal))
    }
}

/// A JSON body; malformed JSON is an `invalid_argument` error naming the problem.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(rejection) => Err(ApiError::invalid("request body", rejection.body_text())),
        }
    }
}

/// Query parameters; a missing or malformed one is an `invalid_argument` error.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Params(v)),
            Err(rejection) => Err(ApiError::invalid("query", rejection.body_text())),
        }
    }
}

/// A numeric id from the path.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(text) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|r| ApiError::invalid("path", r.body_text()))?;
        text.parse::<i64>().map(Id).map_err(|_| ApiError::invalid("id", format!("{text:?} is not a number")))
    }
}
