//! The gRPC adapter: the `pulse.v1` contract (`proto/pulse/v1/*.proto`) over
//! [`crate::api::Api`], on the same listener as REST, with gRPC-Web for browsers, server
//! reflection and the standard health service.
//!
//! Handlers only translate: the caller comes from the `authorization: Bearer …`
//! metadata through [`Api::authenticate`] (never from a message field), the request
//! becomes the service's input, the answer becomes messages, and errors become statuses
//! in [`status`]. Every call's latency and status code are recorded for Prometheus.

mod admin;
mod auth;
mod import;
mod jobs;
mod messages;
mod metrics;
pub mod status;

use std::convert::Infallible;
use std::future::Future;
use std::time::Instant;

use axum::Router;
use axum::http;
use futures::FutureExt;
use tonic::body::Body;
use tonic::metadata::MetadataMap;
use tonic::server::NamedService;
use tonic::{Request, Response, Status};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tower::{Layer, Service};

use crate::api::{Api, ApiError, MAX_IMPORT_BYTES};
use crate::auth::Principal;

/// The generated messages, clients and servers of `pulse.v1`.
pub mod proto {
    #![allow(clippy::all, clippy::pedantic)]
    tonic::include_proto!("pulse.v1");

    /// The compiled contract, for reflection (and for clients that want it).
    pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/pulse_v1_descriptor.bin"));
}

use proto::admin_service_server::AdminServiceServer;
use proto::auth_service_server::AuthServiceServer;
use proto::import_service_server::ImportServiceServer;
use proto::jobs_service_server::JobsServiceServer;
use proto::metrics_service_server::MetricsServiceServer;

/// Every gRPC service as routes (`/pulse.v1.JobsService/…`) to merge into the server's
/// router. gRPC-Web requests are translated per service, so browsers reach the same
/// handlers over HTTP/1.1.
///
/// The routes carry no fallback of their own: the server's router has one, and axum
/// cannot merge two (`tonic::service::Routes` always brings one). An unknown gRPC
/// method therefore gets HTTP 404, which gRPC clients read as UNIMPLEMENTED.
///
/// The health service reports every service SERVING until [`report_health`] finds the
/// instance not ready.
pub fn router(api: Api) -> (Router, HealthReporter) {
    let (health, health_service) = tonic_health::server::health_reporter();
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1().expect("the compiled descriptor set is valid");
    // grpcurl and older tools still ask the pre-release reflection service.
    let reflection_v1alpha = reflection().build_v1alpha().expect("the compiled descriptor set is valid");

    let routes = Router::new();
    let routes = add(routes, AuthServiceServer::new(auth::Auth::new(api.clone())));
    let routes = add(routes, MetricsServiceServer::new(metrics::Metrics::new(api.clone())));
    let routes = add(routes, JobsServiceServer::new(jobs::Jobs::new(api.clone())));
    let routes = add(routes, AdminServiceServer::new(admin::Admin::new(api.clone())));
    let routes = add(
        routes,
        // The push API takes whole import files; tonic's default limit is 4 MB.
        ImportServiceServer::new(import::Import::new(api)).max_decoding_message_size(MAX_IMPORT_BYTES),
    );
    let routes = add(routes, health_service);
    let routes = add(routes, reflection_v1);
    let routes = add(routes, reflection_v1alpha);

    for name in SERVICES {
        // The reporter was just made and nobody else holds its lock, so the update
        // completes at its first poll; this keeps `router` synchronous.
        let set = health.set_service_status(name, ServingStatus::Serving).now_or_never();
        debug_assert!(set.is_some(), "a fresh health reporter is never locked");
    }
    (routes, health)
}

/// The services whose health is reported (besides the server as a whole, `""`).
const SERVICES: [&str; 5] = [
    <AuthServiceServer<auth::Auth> as NamedService>::NAME,
    <MetricsServiceServer<metrics::Metrics> as NamedService>::NAME,
    <JobsServiceServer<jobs::Jobs> as NamedService>::NAME,
    <AdminServiceServer<admin::Admin> as NamedService>::NAME,
    <ImportServiceServer<import::Import> as NamedService>::NAME,
];

/// Keeps the health service in step with readiness (the database, and Redis when
/// configured), checked every `health_interval`: NOT_SERVING while the instance cannot
/// serve, and from the moment it starts shutting down, so balancers stop sending calls.
pub async fn report_health(api: Api, health: HealthReporter, stopped: impl Future<Output = ()>) {
    let mut stopped = std::pin::pin!(stopped);
    let mut ticks = tokio::time::interval(api.config().health_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reported = ServingStatus::Serving;
    loop {
        let (status, stopping) = tokio::select! {
            _ = &mut stopped => (ServingStatus::NotServing, true),
            _ = ticks.tick() => {
                let ready = api.readiness().await.ready();
                (if ready { ServingStatus::Serving } else { ServingStatus::NotServing }, false)
            }
        };
        if status != reported {
            if status == ServingStatus::NotServing && !stopping {
                tracing::warn!("gRPC health: not serving (the database or Redis does not answer)");
            }
            for name in SERVICES.into_iter().chain([""]) {
                health.set_service_status(name, status).await;
            }
            reported = status;
        }
        if stopping {
            return;
        }
    }
}

/// Routes `/{service}/*` to `service`, accepting gRPC and gRPC-Web.
fn add<S>(router: Router, service: S) -> Router
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    router.route_service(&format!("/{}/{{*rest}}", S::NAME), tonic_web::GrpcWebLayer::new().layer(service))
}

/// The bearer credential of a call: `authorization: Bearer <token>` metadata.
fn bearer(metadata: &MetadataMap) -> Result<&str, ApiError> {
    let value = metadata.get("authorization").ok_or_else(|| ApiError::unauthenticated("no bearer token"))?;
    crate::auth::bearer_token(value.as_bytes(), "authorization")
}

/// The authenticated caller and the request's message. The caller's client is the only
/// client the call works on.
async fn authenticated<T>(api: &Api, request: Request<T>) -> Result<(Principal, T), ApiError> {
    let principal = api.authenticate(bearer(request.metadata())?).await?;
    crate::rest::extract::record_caller(&principal, request.extensions().get());
    Ok((principal, request.into_inner()))
}

/// Runs one call: records its latency and status code, and maps its error. For a
/// server stream the latency is the time until the stream was established.
async fn observe<T>(
    method: &'static str,
    call: impl Future<Output = Result<T, ApiError>>,
) -> Result<Response<T>, Status> {
    let started = Instant::now();
    let result = call.await;
    let code = match &result {
        Ok(_) => tonic::Code::Ok,
        Err(e) => status::code(e),
    };
    ::metrics::histogram!("pulse_grpc_request_duration_seconds", "method" => method)
        .record(started.elapsed().as_secs_f64());
    ::metrics::counter!("pulse_grpc_requests_total", "method" => method, "code" => format!("{code:?}")).increment(1);
    result.map(Response::new).map_err(|e| status::to_status(&e))
}
