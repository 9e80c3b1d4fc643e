//! One HTTP layer for every source.
//!
//! Injectable base URL, token auth, timeouts, retries with exponential backoff and
//! jitter on 5xx and network errors, `Retry-After`, GitHub's primary (`x-ratelimit-*`)
//! and secondary (403/429) limits, Jira's 429s, a per-host limiter, conditional requests
//! (`If-None-Match`; a 304 costs no GitHub quota), and counters of everything.

mod limiter;
mod response;
mod sleeper;
mod usage;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};

pub use limiter::HostLimiter;
pub use response::Response;
pub use sleeper::{Sleeper, TokioSleeper};
pub use usage::{ApiUsage, UsageSnapshot};

use crate::error::{Error, Result};

/// A credential. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How requests authenticate.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    /// `Authorization: Bearer …` (GitHub tokens).
    Bearer(Secret),
    /// `Authorization: Basic …` (Jira Cloud: e-mail and API token).
    Basic {
        user: String,
        password: Secret,
    },
}

/// Timeouts, retries and pacing.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Whole-request timeout (connect, send, receive the body).
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Extra attempts after a 5xx, a timeout or a network error.
    pub max_retries: u32,
    /// First backoff; doubled per retry, capped by `backoff_max`, with jitter.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// The longest rate-limit wait accepted; a longer one fails with
    /// [`Error::RateLimited`] so that a job can be rescheduled instead of sleeping.
    pub max_wait: Duration,
    /// Rate-limit waits accepted per request before giving up.
    pub max_rate_limit_waits: u32,
    /// Requests per second per host (our own pace, below the upstreams' secondary limits).
    pub requests_per_second: u32,
    pub user_agent: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_retries: 4,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            max_wait: Duration::from_secs(15 * 60),
            max_rate_limit_waits: 8,
            requests_per_second: 10,
            user_agent: concat!("pulse/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// One request, relative to the client's base URL (or absolute on the same host, as
/// pagination links are).
#[derive(Debug, Clone)]
pub struct Request {
    method: Method,
    target: String,
    query: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    etag: Option<String>,
}

impl Request {
    pub fn get(target: impl Into<String>) -> Self {
        Self { method: Method::GET, target: target.into(), query: Vec::new(), body: None, etag: None }
    }

    pub fn post_json(target: impl Into<String>, body: &serde_json::Value) -> Self {
        Self {
            method: Method::POST,
            target: target.into(),
            query: Vec::new(),
            body: Some(serde_json::to_vec(body).expect("JSON values serialize")),
            etag: None,
        }
    }

    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_owned(), value.to_string()));
        self
    }

    /// Makes the request conditional: a `304 Not Modified` answer means unchanged.
    pub fn if_none_match(mut self, etag: Option<&str>) -> Self {
        self.etag = etag.map(str::to_owned);
        self
    }
}

/// An HTTP client for one upstream (base URL + credentials). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Http {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: reqwest::Client,
    base: Url,
    auth: Auth,
    headers: Vec<(HeaderName, HeaderValue)>,
    config: HttpConfig,
    usage: Arc<ApiUsage>,
    limiter: Arc<HostLimiter>,
    sleeper: Arc<dyn Sleeper>,
}

/// Builds an [`Http`].
#[derive(Debug)]
pub struct HttpBuilder {
    base: String,
    auth: Auth,
    headers: Vec<(HeaderName, HeaderValue)>,
    config: HttpConfig,
    limiter: Option<Arc<HostLimiter>>,
    sleeper: Arc<dyn Sleeper>,
    usage: Option<Arc<ApiUsage>>,
}

impl HttpBuilder {
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    pub fn header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers.push((HeaderName::from_static(name), HeaderValue::from_static(value)));
        self
    }

    pub fn config(mut self, config: HttpConfig) -> Self {
        self.config = config;
        self
    }

    /// Shares a per-host limiter with other clients.
    pub fn limiter(mut self, limiter: Arc<HostLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    pub fn build(self) -> Result<Http> {
        let base = Url::parse(self.base.trim_end_matches('/'))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| Error::InvalidUrl { url: self.base.chars().take(100).collect() })?;
        let client = reqwest::Client::builder()
            .timeout(self.config.timeout)
            .connect_timeout(self.config.connect_timeout)
            .user_agent(self.config.user_agent.clone())
            // Pagination links are followed explicitly (and checked to stay on the host);
            // GitHub's redirects for renamed repositories are followed here, without the
            // Authorization header on another host (reqwest drops it across hosts).
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| Error::Client { reason: e.to_string() })?;
        let limiter = self.limiter.unwrap_or_else(|| Arc::new(HostLimiter::new(self.config.requests_per_second)));
        Ok(Http {
            inner: Arc::new(Inner {
                client,
                base,
                auth: self.auth,
                headers: self.headers,
                config: self.config,
                usage: self.usage.unwrap_or_else(|| Arc::new(ApiUsage::new())),
                limiter,
                sleeper: self.sleeper,
            }),
        })
    }
}

/// Why one attempt did not produce a usable response.
enum Attempt {
    Done(Response),
    /// Retry after the backoff (5xx, network, timeout).
    Retry(Error, Option<Duration>),
    /// Wait for a rate limit, then retry.
    RateLimited {
        wait: Duration,
        kind: &'static str,
        last: Error,
    },
    Fail(Error),
}

impl Http {
    pub fn builder(base: impl Into<String>) -> HttpBuilder {
        HttpBuilder {
            base: base.into(),
            auth: Auth::None,
            headers: Vec::new(),
            config: HttpConfig::default(),
            limiter: None,
            sleeper: Arc::new(TokioSleeper),
            usage: None,
        }
    }

    pub fn base(&self) -> &Url {
        &self.inner.base
    }

    pub fn usage(&self) -> &Arc<ApiUsage> {
        &self.inner.usage
    }

    fn host(&self) -> String {
        let base = &self.inner.base;
        match base.port() {
            Some(port) => format!("{}:{port}", base.host_str().unwrap_or_default()),
            None => base.host_str().unwrap_or_default().to_owned(),
        }
    }

    /// The absolute URL of a target; absolute targets must stay on the base's origin so
    /// that credentials never travel to another host.
    fn resolve(&self, target: &str) -> Result<Url> {
        let base = &self.inner.base;
        let url = if target.starts_with("http://") || target.starts_with("https://") {
            let url = Url::parse(target).map_err(|e| Error::malformed(target.to_owned(), e))?;
            if url.origin() != base.origin() {
                return Err(Error::ForeignLink { host: url.host_str().unwrap_or("?").to_owned() });
            }
            url
        } else {
            let joined = format!("{}/{}", base.as_str().trim_end_matches('/'), target.trim_start_matches('/'));
            Url::parse(&joined).map_err(|e| Error::malformed(target.to_owned(), e))?
        };
        Ok(url)
    }

    /// Sends `request`, retrying and waiting as the upstream asks. Returns 2xx and 304
    /// responses; every other status becomes an error.
    pub async fn send(&self, request: Request) -> Result<Response> {
        let mut url = self.resolve(&request.target)?;
        if !request.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &request.query {
                pairs.append_pair(k, v);
            }
        }
        let endpoint = format!("{} {}", request.method, url.path());
        let host = self.host();
        let config = &self.inner.config;
        let (mut attempts, mut waits) = (0u32, 0u32);
        loop {
            self.wait_for_host(&host).await?;
            attempts += 1;
            let outcome = self.attempt(&request, &url, &endpoint, attempts).await;
            match outcome {
                Attempt::Done(response) => return Ok(response),
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry(e, retry_after) => {
                    if attempts > config.max_retries {
                        return Err(e);
                    }
                    self.inner.usage.retry();
                    // A server asking for longer than we wait at all gets its error back,
                    // as a rate limit that long would.
                    if retry_after.is_some_and(|wait| wait > config.max_wait) {
                        return Err(e);
                    }
                    let backoff = retry_after.unwrap_or_else(|| self.backoff(attempts));
                    tracing::debug!(%endpoint, attempt = attempts, ?backoff, "retrying: {e}");
                    self.inner.sleeper.sleep(backoff).await;
                }
                Attempt::RateLimited { wait, kind, last } => {
                    waits += 1;
                    attempts -= 1; // a rate-limit wait is not a failed attempt
                    if waits > config.max_rate_limit_waits {
                        return Err(last);
                    }
                    // `Retry-After` is the upstream's number: no value of it may overflow.
                    let until = chrono::Duration::from_std(wait)
                        .ok()
                        .and_then(|wait| Utc::now().checked_add_signed(wait))
                        .unwrap_or(chrono::DateTime::<Utc>::MAX_UTC);
                    if wait > config.max_wait {
                        return Err(Error::RateLimited { host, until, kind });
                    }
                    tracing::info!(%endpoint, ?wait, kind, "rate limited; waiting");
                    self.inner.usage.waited(wait);
                    self.inner.sleeper.sleep(wait).await;
                }
            }
        }
    }

    async fn wait_for_host(&self, host: &str) -> Result<()> {
        let now = Utc::now();
        if let Some(until) = self.inner.limiter.blocked_until(host, now) {
            let wait = (until - now).to_std().unwrap_or_default();
            if wait > self.inner.config.max_wait {
                return Err(Error::RateLimited { host: host.to_owned(), until, kind: "primary quota spent" });
            }
            tracing::info!(host, ?wait, "quota spent; waiting for the reset");
            self.inner.usage.waited(wait);
            self.inner.sleeper.sleep(wait).await;
        }
        let paced = self.inner.limiter.pace(host).await;
        if paced > Duration::from_millis(50) {
            self.inner.usage.waited(paced);
        }
        Ok(())
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let config = &self.inner.config;
        let exp = config.backoff_base.saturating_mul(1u32 << (attempt - 1).min(16)).min(config.backoff_max);
        // "Equal jitter": half fixed, half random, so concurrent clients spread out but
        // never retry at once.
        let half = exp / 2;
        half + half.mul_f64(rand::random_range(0.0..1.0))
    }

    async fn attempt(&self, request: &Request, url: &Url, endpoint: &str, attempts: u32) -> Attempt {
        let inner = &self.inner;
        let mut builder = inner.client.request(request.method.clone(), url.clone());
        for (name, value) in &inner.headers {
            builder = builder.header(name, value);
        }
        builder = match &inner.auth {
            Auth::None => builder,
            Auth::Bearer(token) => builder.bearer_auth(token.expose()),
            Auth::Basic { user, password } => builder.basic_auth(user, Some(password.expose())),
        };
        if let Some(etag) = &request.etag {
            builder = builder.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(body) = &request.body {
            builder = builder.header(header::CONTENT_TYPE, "application/json").body(body.clone());
        }
        let started = std::time::Instant::now();
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                inner.usage.request(0);
                record_call(&self.host(), "error", started);
                return Attempt::Retry(network_error(endpoint, attempts, &e), None);
            }
        };
        let status = response.status().as_u16();
        record_call(&self.host(), status_class(status), started);
        let headers = response.headers().clone();
        let body = match response.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => {
                inner.usage.request(0);
                return Attempt::Retry(network_error(endpoint, attempts, &e), None);
            }
        };
        inner.usage.request(body.len());
        let limits = RateHeaders::read(&headers);
        if let Some(remaining) = limits.remaining {
            inner.usage.remaining(remaining);
            if remaining == 0
                && let Some(reset) = limits.reset
            {
                inner.limiter.block(&self.host(), reset);
            }
        }
        let response = Response::new(status, headers, body, endpoint.to_owned());
        if status == 304 {
            inner.usage.not_modified();
            return Attempt::Done(response);
        }
        if (200..300).contains(&status) {
            return Attempt::Done(response);
        }
        let error = Error::Status { endpoint: endpoint.to_owned(), status, message: response.error_message() };
        if let Some((wait, kind)) = rate_limit_wait(status, &limits, &response) {
            return Attempt::RateLimited { wait, kind, last: error };
        }
        if status >= 500 {
            return Attempt::Retry(error, limits.retry_after);
        }
        Attempt::Fail(error)
    }
}

/// Upstream calls for the server's `/metrics` (a no-op without a metrics recorder).
fn record_call(host: &str, status: &'static str, started: std::time::Instant) {
    metrics::counter!("pulse_upstream_requests_total", "host" => host.to_owned(), "status" => status).increment(1);
    metrics::histogram!("pulse_upstream_request_duration_seconds", "host" => host.to_owned())
        .record(started.elapsed().as_secs_f64());
}

fn status_class(status: u16) -> &'static str {
    match status {
        200..=299 => "2xx",
        300..=399 => "3xx",
        429 => "429",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

fn network_error(endpoint: &str, attempts: u32, e: &reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout { endpoint: endpoint.to_owned(), attempts }
    } else {
        // reqwest's Display names the URL; ours names only the endpoint. The source chain
        // says what broke (refused, reset, body cut short).
        let mut reason = String::new();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            reason = s.to_string();
            source = s.source();
        }
        if reason.is_empty() {
            reason =
                if e.is_body() || e.is_decode() { "the body was cut short".into() } else { "connection failed".into() };
        }
        Error::Network { endpoint: endpoint.to_owned(), attempts, reason }
    }
}

/// The rate-limit headers of a response.
#[derive(Debug, Default)]
struct RateHeaders {
    remaining: Option<u64>,
    reset: Option<DateTime<Utc>>,
    retry_after: Option<Duration>,
}

impl RateHeaders {
    fn read(headers: &HeaderMap) -> Self {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let remaining = text("x-ratelimit-remaining").and_then(|v| v.parse().ok());
        let reset = text("x-ratelimit-reset").and_then(|v| v.parse::<i64>().ok()).and_then(|mut secs| {
            // Some recordings (and proxies) give milliseconds.
            if secs > 100_000_000_000 {
                secs /= 1000;
            }
            DateTime::from_timestamp(secs, 0)
        });
        let retry_after = text("retry-after").and_then(|v| match v.parse::<u64>() {
            Ok(secs) => Some(Duration::from_secs(secs)),
            Err(_) => httpdate::parse_http_date(v)
                .ok()
                .map(|t| t.duration_since(std::time::SystemTime::now()).unwrap_or_default()),
        });
        Self { remaining, reset, retry_after }
    }
}

/// Whether an error response is a rate limit, and how long to wait for it.
fn rate_limit_wait(status: u16, limits: &RateHeaders, response: &Response) -> Option<(Duration, &'static str)> {
    let until_reset =
        || limits.reset.map(|reset| (reset - Utc::now()).to_std().unwrap_or_default().max(Duration::from_secs(1)));
    match status {
        429 => {
            Some((limits.retry_after.or_else(until_reset).unwrap_or(Duration::from_secs(60)), "429 Too Many Requests"))
        }
        403 if limits.remaining == Some(0) && limits.retry_after.is_none() => {
            Some((until_reset().unwrap_or(Duration::from_secs(60)), "primary rate limit"))
        }
        403 => {
            let message = response.error_message().to_ascii_lowercase();
            let secondary = limits.retry_after.is_some()
                || message.contains("secondary rate limit")
                || message.contains("abuse detection")
                || message.contains("rate limit");
            // GitHub: without Retry-After, wait at least a minute.
            secondary.then(|| (limits.retry_after.unwrap_or(Duration::from_secs(60)), "secondary rate limit"))
        }
        _ => None,
    }
}
