//! How service errors look over HTTP: one status per error kind and one JSON body,
//! `{"error": {"code", "message", …}}`, for every route (including requests axum itself
//! rejects, such as malformed JSON).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::api::ApiError;

fn status_of(e: &ApiError) -> StatusCode {
    match e {
        ApiError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
        ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
        ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
        ApiError::Invalid { .. } => StatusCode::BAD_REQUEST,
        ApiError::Import(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ApiError::AlreadyExists { .. } | ApiError::Conflict { .. } => StatusCode::CONFLICT,
        ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The error body as JSON.
fn body_of(e: &ApiError) -> serde_json::Value {
    let mut error = json!({ "code": e.code(), "message": e.to_string() });
    if let ApiError::Import(i) = e {
        error["file"] = json!(i.file);
        error["line"] = json!(i.line);
        error["field"] = json!(i.field);
    }
    json!({ "error": error })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (status_of(&self), Json(body_of(&self))).into_response();
        match &self {
            ApiError::Unauthenticated { .. } => {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::RateLimited { retry_after } => {
                let secs = retry_after.as_secs().max(1).to_string();
                if let Ok(v) = HeaderValue::from_str(&secs) {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            _ => {}
        }
        response
    }
}
