//! One listener for everything: REST under `/api/v1`, gRPC (by content type), WebSocket
//! progress, and the operational endpoints `/healthz`, `/readyz` and `/metrics`; plus
//! the in-process job workers, and a graceful shutdown that lets running requests finish
//! and gives the workers' leases back.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use pulse_core::Store;
use pulse_jobs::{ProgressHub, Runner, Worker, WorkerOptions};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::api::{Api, ApiError, MetricCache};
use crate::config::ServerConfig;

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// A bound, not yet running server.
pub struct Server {
    api: Api,
    listener: TcpListener,
}

static PROMETHEUS: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's metrics recorder, installed once (several servers in one test process
/// share it).
pub fn prometheus() -> &'static PrometheusHandle {
    PROMETHEUS.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
            .expect("static buckets")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may exist (a test harness); then ours still renders its own.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

impl Server {
    /// Binds `config.addr` and prepares the service (connecting to Redis when configured).
    pub async fn bind(store: Store, config: ServerConfig) -> Result<Self, StartError> {
        prometheus();
        let cache = match &config.redis_url {
            Some(url) => MetricCache::with_redis(url, &config.redis_namespace).await?,
            None => MetricCache::local(),
        };
        let listener =
            TcpListener::bind(config.addr).await.map_err(|source| StartError::Bind { addr: config.addr, source })?;
        let api = Api::new(store, config, ProgressHub::default(), cache);
        Ok(Self { api, listener })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn api(&self) -> &Api {
        &self.api
    }

    /// Serves until `shutdown` completes, then stops accepting, lets running requests
    /// finish (up to the configured grace) and stops the workers at their next page
    /// boundary, which gives their jobs back to the queue.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let api = self.api.clone();
        let (stop_tx, stop_rx) = watch::channel(false);
        let stopped = move || {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
        };

        let mut background = tokio::task::JoinSet::new();
        background.spawn(forget_versions_on_landing(api.clone(), stopped()));
        background.spawn(crate::fanout::run(api.clone(), stopped()));
        background.spawn(crate::observability::observe_jobs(api.clone(), stopped()));
        if let Some(every) = api.config().dora_gauge_interval {
            background.spawn(crate::observability::dora_gauges(api.clone(), every, stopped()));
        }
        if api.config().workers > 0 {
            let runner = Runner::new(api.config().secret_key.clone(), Default::default());
            let options = WorkerOptions { concurrency: api.config().workers, ..WorkerOptions::default() };
            let worker = Worker::new(api.store().clone(), options, Arc::new(runner), api.hub().clone());
            let until = stopped();
            background.spawn(async move {
                if let Err(e) = worker.run(until).await {
                    tracing::error!(error = %e, "the in-process worker stopped");
                }
            });
        }

        let (app, health) = router(api.clone());
        background.spawn(crate::grpc::report_health(api.clone(), health, stopped()));
        let grace = api.config().shutdown_grace;
        let stop_signal = stop_tx.clone();
        let serve = axum::serve(self.listener, app).with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing running requests");
            let _ = stop_signal.send(true);
        });
        let wait_for_stop = stopped();
        let result = tokio::select! {
            r = serve.into_future() => r,
            // Requests still running after the grace period are dropped.
            _ = async { wait_for_stop.await; tokio::time::sleep(grace).await } => Ok(()),
        };
        let _ = stop_tx.send(true);
        while background.join_next().await.is_some() {}
        result
    }
}

/// A job that landed data (a sync or derivation finished) makes the client's remembered
/// data version stale at once.
async fn forget_versions_on_landing(api: Api, stopped: impl Future<Output = ()>) {
    let mut events = api.hub().subscribe();
    let mut stopped = std::pin::pin!(stopped);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            event = events.recv() => match event {
                Ok(event) => {
                    if let Some(client) = event.landed_data() {
                        api.data_changed(client).await;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}

/// Every route with its layers, and the gRPC health service's reporter.
fn router(api: Api) -> (Router, tonic_health::server::HealthReporter) {
    let (rest, doc) = crate::rest::routes();
    let doc = Arc::new(doc.to_pretty_json().expect("the OpenAPI document serializes"));
    let rest = rest.route(
        "/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], doc.as_str().to_owned()) }
        }),
    );
    let cors = cors(&api.config().cors_origins);
    let request_id = HeaderName::from_static("x-request-id");
    let (grpc, health) = crate::grpc::router(api.clone());
    let app = Router::new()
        .nest("/api/v1", rest)
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics))
        .fallback(|| async { ApiError::NotFound { entity: "route" } })
        .with_state(api.clone())
        .merge(grpc)
        .layer(middleware::from_fn(record_http))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
                tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path(), client_id = tracing::field::Empty)
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(cors);
    (app, health)
}

fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-grpc-web"),
            HeaderName::from_static("grpc-timeout"),
        ])
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("x-pulse-cache"),
            header::RETRY_AFTER,
            HeaderName::from_static("grpc-status"),
            HeaderName::from_static("grpc-message"),
            HeaderName::from_static("pulse-error-code"),
            HeaderName::from_static("pulse-retry-after-ms"),
        ])
        .max_age(Duration::from_secs(3600))
}

/// Latency and outcome of every HTTP request, by route template (not by raw path, so
/// ids do not explode the label set).
async fn record_http(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let caller = crate::rest::extract::CallerSlot::default();
    request.extensions_mut().insert(caller.clone());
    let method = request.method().to_string();
    let route =
        request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "other".into());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let client = caller.0.get().map(|c| c.to_string()).unwrap_or_default();
    metrics::histogram!("pulse_http_request_duration_seconds", "method" => method.clone(), "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("pulse_http_requests_total", "method" => method, "route" => route, "status" => status, "client" => client)
        .increment(1);
    response
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database (and Redis, when configured) answer.
async fn readyz(State(api): State<Api>) -> Response {
    let readiness = api.readiness().await;
    let body = serde_json::json!({
        "ready": readiness.ready(),
        "database": if readiness.database { "ok" } else { "unavailable" },
        "redis": match readiness.redis { None => "not configured", Some(true) => "ok", Some(false) => "unavailable" },
    });
    let status = if readiness.ready() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, axum::Json(body)).into_response()
}

/// Prometheus text format.
async fn render_metrics() -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], prometheus().render()).into_response()
}
