//! The REST adapter: `/api/v1/…` routes over [`crate::api::Api`], an OpenAPI document
//! generated from the handlers' annotations, and WebSocket progress.
//!
//! Handlers only translate: extract the caller and the request, call the service, map
//! the answer. Errors become one JSON body (see [`error`]).

pub mod admin;
pub mod error;
pub mod extract;
pub mod import;
pub mod jobs;
pub mod metrics;
pub mod progress;
pub mod session;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{Api, MAX_IMPORT_BYTES};

#[derive(OpenApi)]
#[openapi(
    info(title = "Pulse API", description = "Engineering analytics: DORA metrics, PR and Jira flow, jobs, administration. \
        Every request works on the client of its bearer token."),
    modifiers(&Security),
    tags((name = "auth"), (name = "metrics"), (name = "jobs"), (name = "admin"), (name = "import"), (name = "operator"))
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT access token or pulse_at_… API token")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "operator",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("operator token").build(),
            ),
        );
    }
}

/// The `/api/v1` routes and their OpenAPI document.
pub fn routes() -> (Router<Api>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::<Api>::with_openapi(ApiDoc::openapi())
        .routes(routes!(session::login))
        .routes(routes!(session::refresh))
        .routes(routes!(session::logout))
        .routes(routes!(session::accept_invitation))
        .routes(routes!(session::me))
        .routes(routes!(metrics::dora))
        .routes(routes!(metrics::explain))
        .routes(routes!(metrics::pull_requests))
        .routes(routes!(metrics::jira))
        .routes(routes!(jobs::list, jobs::start))
        .routes(routes!(jobs::get))
        .routes(routes!(jobs::pause))
        .routes(routes!(jobs::resume))
        .routes(routes!(jobs::cancel))
        .routes(routes!(jobs::retry))
        .routes(routes!(progress::one))
        .routes(routes!(progress::all))
        .routes(routes!(admin::client))
        .routes(routes!(admin::set_branding))
        .routes(routes!(admin::users, admin::invite))
        .routes(routes!(admin::set_role, admin::delete_user))
        .routes(routes!(admin::api_tokens, admin::create_api_token))
        .routes(routes!(admin::revoke_api_token))
        .routes(routes!(admin::integrations, admin::add_integration))
        .routes(routes!(admin::delete_integration))
        .routes(routes!(admin::projects))
        .routes(routes!(admin::project, admin::delete_project))
        .routes(routes!(admin::create_client))
        .routes(routes!(import::many))
        .routes(routes!(import::one))
        .split_for_parts();
    doc.servers = Some(vec![utoipa::openapi::Server::new("/api/v1")]);
    (router.layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)), doc)
}
