//! The gRPC API end to end, through the generated clients over a real listener: every
//! method of `pulse.v1`, errors as status codes with `pulse-error-code`, isolation
//! between clients, progress streams (from the hub and from an in-process worker),
//! reflection, health, metrics for Prometheus, and gRPC-Web as a browser sends it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use prost::Message;
use pulse_core::dates::start_of_day;
use pulse_core::model::{Deployment, JobId, JobState, Repository};
use pulse_core::store::JobChanges;
use pulse_core::testing::TestDb;
use pulse_jobs::ProgressEvent;
use pulse_server::grpc::proto;
use pulse_server::grpc::proto::admin_service_client::AdminServiceClient;
use pulse_server::grpc::proto::auth_service_client::AuthServiceClient;
use pulse_server::grpc::proto::import_service_client::ImportServiceClient;
use pulse_server::grpc::proto::jobs_service_client::JobsServiceClient;
use pulse_server::grpc::proto::metrics_service_client::MetricsServiceClient;
use serde_json::Value;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status, Streaming};

use crate::support::{OPERATOR, PASSWORD, Tenant, TestServer, email, tenant, window};

pulse_core::on_both_backends!(
    signing_in_and_out,
    metrics_mirror_the_rest_reports,
    jobs_are_listed_started_and_controlled,
    a_single_job_stream_ends_after_its_final_state,
    an_in_process_worker_streams_its_progress,
    administration,
    imports_are_all_or_nothing,
    other_clients_ids_are_not_found,
    reflection_and_health,
    health_follows_readiness,
    browsers_call_through_grpc_web,
    over_the_rate_limit_calls_are_told_when_to_retry,
);

const SERVICES: [&str; 5] = [
    "pulse.v1.AuthService",
    "pulse.v1.MetricsService",
    "pulse.v1.JobsService",
    "pulse.v1.AdminService",
    "pulse.v1.ImportService",
];

#[derive(Clone)]
struct Clients {
    channel: Channel,
    auth: AuthServiceClient<Channel>,
    metrics: MetricsServiceClient<Channel>,
    jobs: JobsServiceClient<Channel>,
    admin: AdminServiceClient<Channel>,
    import: ImportServiceClient<Channel>,
}

/// Clients of every service over one HTTP/2 connection (h2c, like behind a proxy).
async fn clients(server: &TestServer) -> Clients {
    let channel = Channel::from_shared(server.url.clone()).unwrap().connect().await.expect("connect over h2c");
    Clients {
        auth: AuthServiceClient::new(channel.clone()),
        metrics: MetricsServiceClient::new(channel.clone()),
        jobs: JobsServiceClient::new(channel.clone()),
        admin: AdminServiceClient::new(channel.clone()),
        import: ImportServiceClient::new(channel.clone()),
        channel,
    }
}

/// `message` with `authorization: Bearer <token>`.
fn with<T>(token: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// The status of a call that must fail with `code` and the service's `error_code`.
#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<Response<T>, Status>, code: Code, error_code: &str) -> Status {
    let status = result.expect_err("the call must fail");
    assert_eq!(status.code(), code, "{status:?}");
    let metadata = status.metadata().get("pulse-error-code").and_then(|v| v.to_str().ok());
    assert_eq!(metadata, Some(error_code), "{status:?}");
    status
}

/// The 90 days up to tomorrow, like `support::window()` for REST.
fn scope() -> proto::MetricScope {
    let to = start_of_day(chrono::Utc::now()) + chrono::Duration::days(1);
    let from = to - chrono::Duration::days(90);
    proto::MetricScope {
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
        ..Default::default()
    }
}

fn derive() -> proto::StartJobRequest {
    proto::StartJobRequest { kind: Some(proto::start_job_request::Kind::Derive(proto::DeriveJob {})) }
}

fn sync(integration: i64) -> proto::StartJobRequest {
    proto::StartJobRequest { kind: Some(proto::start_job_request::Kind::Sync(proto::SyncJob { integration })) }
}

fn state(job: &proto::Job) -> proto::JobState {
    proto::JobState::try_from(job.state).unwrap()
}

/// The next message of a stream, failing the test if none comes in time.
async fn next<T>(stream: &mut Streaming<T>, wait: Duration) -> Option<T> {
    tokio::time::timeout(wait, stream.message()).await.expect("no stream message in time").expect("stream status")
}

// ----------------------------------------------------------------- auth

async fn signing_in_and_out(db: TestDb) {
    let server = TestServer::start(db).await;
    let acme = tenant(&server, "acme", 1).await;
    let mut c = clients(&server).await;
    let login = |role: &str, password: &str| proto::LoginRequest {
        client: "acme".into(),
        email: email("acme", role),
        password: password.into(),
    };

    let session = c.auth.login(login("admin", PASSWORD)).await.unwrap().into_inner().session.unwrap();
    assert_eq!((session.client_id, session.user_id), (acme.id.get(), acme.admin_id.get()));
    assert_eq!(session.role, proto::Role::Admin as i32);
    assert_eq!(session.token_type, "Bearer");
    assert!(session.expires_in > 0 && !session.refresh_token.is_empty());
    let wrong =
        refused(c.auth.login(login("admin", "not the password")).await, Code::Unauthenticated, "unauthenticated");
    let nobody = refused(c.auth.login(login("nobody", PASSWORD)).await, Code::Unauthenticated, "unauthenticated");
    assert_eq!(wrong.message(), nobody.message(), "a failed sign-in does not say what was wrong");

    let me = c.auth.who_am_i(with(&session.access_token, proto::WhoAmIRequest {})).await.unwrap().into_inner();
    assert_eq!(me.subject, format!("user:{}", acme.admin_id));
    assert_eq!(me.role, proto::Role::Admin as i32);
    assert_eq!(me.client.unwrap().slug, "acme");
    assert_eq!(me.user.unwrap().email, email("acme", "admin"));
    let token = c.auth.who_am_i(with(&acme.api_token, proto::WhoAmIRequest {})).await.unwrap().into_inner();
    assert_eq!((token.subject, token.role), (format!("token:{}", acme.api_token_id), proto::Role::User as i32));
    assert!(token.user.is_none(), "an API token is no user");

    refused(c.auth.who_am_i(proto::WhoAmIRequest {}).await, Code::Unauthenticated, "unauthenticated");
    for bad in ["not-a-jwt", "pulse_at_garbage", &acme.admin[..acme.admin.len() - 2]] {
        refused(c.auth.who_am_i(with(bad, proto::WhoAmIRequest {})).await, Code::Unauthenticated, "unauthenticated");
    }
    let mut basic = Request::new(proto::WhoAmIRequest {});
    basic.metadata_mut().insert("authorization", format!("Basic {}", acme.admin).parse().unwrap());
    refused(c.auth.who_am_i(basic).await, Code::Unauthenticated, "unauthenticated");

    // Refresh rotates; logging out ends the new session; spent tokens stay spent.
    let refresh = |t: &str| proto::RefreshRequest { refresh_token: t.to_owned() };
    let second = c.auth.refresh(refresh(&session.refresh_token)).await.unwrap().into_inner().session.unwrap();
    assert_ne!(second.refresh_token, session.refresh_token);
    c.auth.who_am_i(with(&second.access_token, proto::WhoAmIRequest {})).await.unwrap();
    c.auth.logout(proto::LogoutRequest { refresh_token: second.refresh_token.clone() }).await.unwrap();
    // Logging out again is harmless; a token that was never issued is refused.
    c.auth.logout(proto::LogoutRequest { refresh_token: second.refresh_token.clone() }).await.unwrap();
    let unknown = c.auth.logout(proto::LogoutRequest { refresh_token: "pulse_rt_garbage".into() }).await;
    refused(unknown, Code::Unauthenticated, "unauthenticated");
    refused(c.auth.refresh(refresh(&second.refresh_token)).await, Code::Unauthenticated, "unauthenticated");
    refused(c.auth.refresh(refresh(&session.refresh_token)).await, Code::Unauthenticated, "unauthenticated");
    refused(c.auth.refresh(refresh("garbage")).await, Code::Unauthenticated, "unauthenticated");

    // An invitation sets the password once.
    let invite = proto::InviteUserRequest {
        email: "new@acme.example".into(),
        display_name: "New Person".into(),
        role: proto::Role::User as i32,
    };
    let invited = c.admin.invite_user(with(&acme.admin, invite)).await.unwrap().into_inner().invited.unwrap();
    let accept = proto::AcceptInvitationRequest { invitation: invited.invitation.clone(), password: PASSWORD.into() };
    let joined = c.auth.accept_invitation(accept.clone()).await.unwrap().into_inner().session.unwrap();
    assert_eq!((joined.user_id, joined.role), (invited.user.unwrap().id, proto::Role::User as i32));
    refused(c.auth.accept_invitation(accept).await, Code::FailedPrecondition, "conflict");
    let forged = proto::AcceptInvitationRequest { invitation: "garbage".into(), password: PASSWORD.into() };
    refused(c.auth.accept_invitation(forged).await, Code::Unauthenticated, "unauthenticated");
    let new_login =
        proto::LoginRequest { client: "acme".into(), email: "new@acme.example".into(), password: PASSWORD.into() };
    c.auth.login(new_login).await.unwrap();

    // Latency and outcome per method reach Prometheus.
    let metrics = reqwest::get(format!("{}/metrics", server.url)).await.unwrap().text().await.unwrap();
    let counted = |method: &str, code: &str| {
        metrics.lines().any(|l| {
            l.starts_with("pulse_grpc_requests_total{")
                && l.contains(&format!("method=\"{method}\""))
                && l.contains(&format!("code=\"{code}\""))
        })
    };
    assert!(counted("pulse.v1.AuthService/Login", "Ok") && counted("pulse.v1.AuthService/Login", "Unauthenticated"));
    assert!(counted("pulse.v1.AuthService/AcceptInvitation", "FailedPrecondition"));
    assert!(metrics.contains("pulse_grpc_request_duration_seconds_bucket{method=\"pulse.v1.AuthService/WhoAmI\""));
    // The HTTP request metrics name the caller's client, as for REST.
    let client = format!("client=\"{}\"", acme.id);
    assert!(metrics.lines().any(|l| l.starts_with("pulse_http_requests_total{")
        && l.contains("route=\"/pulse.v1.AuthService/{*rest}\"")
        && l.contains(&client)));
}

// ----------------------------------------------------------------- metrics

fn band_name(band: Option<i32>) -> Value {
    match band {
        None => Value::Null,
        Some(b) => {
            let name = proto::Band::try_from(b).unwrap().as_str_name();
            Value::String(name.trim_start_matches("BAND_").to_lowercase())
        }
    }
}

/// Every number of a DORA metrics message against the REST JSON of the same report.
#[track_caller]
fn same_dora_metrics(m: &proto::DoraMetrics, json: &Value) {
    let f = |v: Option<f64>| v.map_or(Value::Null, Value::from);
    let df = m.deployment_frequency.as_ref().unwrap();
    let j = &json["deployment_frequency"];
    assert_eq!(j["deployments"], df.deployments);
    assert_eq!(j["deployment_days"], df.deployment_days);
    assert_eq!(j["per_week"], f(df.per_week));
    assert_eq!(j["median_deployment_days_per_week"], f(df.median_deployment_days_per_week));
    assert_eq!(j["median_deployment_days_per_month"], f(df.median_deployment_days_per_month));
    assert_eq!(j["band"], band_name(df.band));
    let lt = m.lead_time_for_changes.as_ref().unwrap();
    let j = &json["lead_time_for_changes"];
    assert_eq!(j["changes"], lt.changes);
    for (name, value) in [
        ("median_hours", lt.median_hours),
        ("p75_hours", lt.p75_hours),
        ("p90_hours", lt.p90_hours),
        ("mean_hours", lt.mean_hours),
        ("coding_median_hours", lt.coding_median_hours),
        ("pickup_median_hours", lt.pickup_median_hours),
        ("review_median_hours", lt.review_median_hours),
        ("deploy_median_hours", lt.deploy_median_hours),
    ] {
        assert_eq!(j[name], f(value), "lead_time_for_changes.{name}");
    }
    assert_eq!(j["band"], band_name(lt.band));
    let cfr = m.change_failure_rate.as_ref().unwrap();
    let j = &json["change_failure_rate"];
    assert_eq!(
        (&j["deployments"], &j["failed_deployments"]),
        (&Value::from(cfr.deployments), &Value::from(cfr.failed_deployments))
    );
    assert_eq!((&j["rate"], &j["band"]), (&f(cfr.rate), &band_name(cfr.band)));
    let fdrt = m.failed_deployment_recovery_time.as_ref().unwrap();
    let j = &json["failed_deployment_recovery_time"];
    assert_eq!(
        (&j["incidents"], &j["open_incidents"]),
        (&Value::from(fdrt.incidents), &Value::from(fdrt.open_incidents))
    );
    assert_eq!((&j["median_hours"], &j["band"]), (&f(fdrt.median_hours), &band_name(fdrt.band)));
    let ttr = m.time_to_restore_service.as_ref().unwrap();
    let j = &json["time_to_restore_service"];
    assert_eq!(j["incidents"], ttr.incidents);
    assert_eq!((&j["median_hours"], &j["band"]), (&f(ttr.median_hours), &band_name(ttr.band)));
    let rr = m.rework_rate.as_ref().unwrap();
    let j = &json["rework_rate"];
    assert_eq!(
        (&j["deployments"], &j["rework_deployments"]),
        (&Value::from(rr.deployments), &Value::from(rr.rework_deployments))
    );
    assert_eq!(j["rate"], f(rr.rate));
}

async fn metrics_mirror_the_rest_reports(db: TestDb) {
    let server = TestServer::start(db).await;
    let acme = tenant(&server, "acme", 1).await;
    let mut c = clients(&server).await;
    let http = server.http();

    // DORA with a weekly series: every number as REST has it, then from the cache.
    let dora = |scope: Option<proto::MetricScope>| proto::GetDoraRequest {
        scope,
        benchmark: None,
        interval: Some("week".into()),
    };
    let first = c.metrics.get_dora(with(&acme.viewer, dora(Some(scope())))).await.unwrap().into_inner();
    let (status, json) = http.get(&format!("/metrics/dora?{}&interval=week", window()), &acme.viewer).await;
    assert_eq!(status, 200, "{json}");
    let report = first.report.clone().unwrap();
    let scope_info = report.scope.as_ref().unwrap();
    assert_eq!((scope_info.client.as_str(), &json["scope"]["from"]), ("acme", &Value::from(scope_info.from.clone())));
    assert_eq!(
        (json["benchmark"].as_str(), report.interval.as_deref()),
        (Some(report.benchmark.as_str()), Some("week"))
    );
    let sources: Vec<String> = report
        .deployment_sources
        .iter()
        .map(|s| {
            proto::DeploymentSource::try_from(*s)
                .unwrap()
                .as_str_name()
                .trim_start_matches("DEPLOYMENT_SOURCE_")
                .to_lowercase()
        })
        .collect();
    assert_eq!(json["deployment_sources"], Value::from(sources));
    same_dora_metrics(report.metrics.as_ref().unwrap(), &json);
    assert!(report.metrics.as_ref().unwrap().deployment_frequency.as_ref().unwrap().deployments > 0, "seeded data");
    let series = json["series"].as_array().unwrap();
    assert!(report.series.len() >= 12 && report.series.len() == series.len());
    for (point, json) in report.series.iter().zip(series) {
        assert_eq!((json["from"].as_str(), json["to"].as_str()), (Some(point.from.as_str()), Some(point.to.as_str())));
        same_dora_metrics(point.metrics.as_ref().unwrap(), json);
    }
    let again = c.metrics.get_dora(with(&acme.user, dora(Some(scope())))).await.unwrap().into_inner();
    assert!(!first.cached || again.cached, "the second answer comes from the cache");
    assert!(again.cached);
    assert_eq!(again.report, first.report);

    // The drill-down: the records behind each metric, as REST lists them.
    let explain =
        |metric: &str| proto::ExplainDoraRequest { scope: Some(scope()), benchmark: None, metric: metric.into() };
    for metric in ["deployment_frequency", "lead_time_for_changes", "time_to_restore_service", "rework_rate"] {
        let e = c.metrics.explain_dora(with(&acme.viewer, explain(metric))).await.unwrap().into_inner();
        let e = e.explanation.unwrap();
        let (status, json) =
            http.get(&format!("/metrics/dora/explain?{}&metric={metric}", window()), &acme.viewer).await;
        assert_eq!(status, 200, "{json}");
        assert_eq!(e.metric, metric);
        same_dora_metrics(e.values.as_ref().unwrap(), &json["values"]);
        let len = |key: &str| json.get(key).and_then(Value::as_array).map_or(0, Vec::len);
        assert_eq!(
            (e.deployments.len(), e.pull_requests.len(), e.incidents.len()),
            (len("deployments"), len("pull_requests"), len("incidents")),
            "{metric}"
        );
        for (d, j) in e.deployments.iter().zip(json["deployments"].as_array().into_iter().flatten()) {
            let fact = d.deployment.as_ref().unwrap();
            assert_eq!((j["id"].as_str(), j["sha"].as_str()), (Some(fact.id.as_str()), Some(fact.sha.as_str())));
            assert_eq!(j["finished_at"], Value::from(fact.finished_at.clone()));
            assert_eq!(j["changes"].as_array().unwrap().len(), fact.changes.len());
            assert_eq!(j["rework"].as_array().unwrap().len(), fact.rework.len());
            assert_eq!(j["incidents"].as_array().unwrap().len(), d.incidents.len());
        }
        for (p, j) in e.pull_requests.iter().zip(json["pull_requests"].as_array().into_iter().flatten()) {
            assert_eq!((j["number"].as_i64(), j["lead_time"].as_i64()), (Some(p.number), Some(p.lead_time)));
            assert_eq!((j["coding"].as_i64(), j["review"].as_i64()), (p.coding, p.review));
        }
        for (i, j) in e.incidents.iter().zip(json["incidents"].as_array().into_iter().flatten()) {
            assert_eq!((j["id"].as_str(), j["resolved_at"].as_str()), (Some(i.id.as_str()), i.resolved_at.as_deref()));
        }
        if metric == "lead_time_for_changes" {
            let changes = e.values.as_ref().unwrap().lead_time_for_changes.as_ref().unwrap().changes;
            assert_eq!(e.pull_requests.len() as u64, changes);
            assert!(changes > 0);
        }
    }

    // PR flow and Jira flow.
    let prs =
        c.metrics.get_pull_request_flow(with(&acme.viewer, proto::GetPullRequestFlowRequest { scope: Some(scope()) }));
    let prs = prs.await.unwrap().into_inner().report.unwrap();
    let (_, json) = http.get(&format!("/metrics/pull-requests?{}", window()), &acme.viewer).await;
    assert_eq!(json["throughput"], prs.throughput);
    assert!(prs.throughput > 0);
    let size = prs.size.unwrap();
    assert_eq!(
        (json["size"]["median_lines"].as_f64(), json["size"]["p90_lines"].as_f64()),
        (size.median_lines, size.p90_lines)
    );
    for (name, span) in
        [("coding", &prs.coding), ("pickup", &prs.pickup), ("review", &prs.review), ("deploy", &prs.deploy)]
    {
        let span = span.as_ref().unwrap();
        let j = &json[name];
        assert_eq!(j["prs"], span.prs, "{name}");
        assert_eq!(
            (j["median_hours"].as_f64(), j["p75_hours"].as_f64(), j["p90_hours"].as_f64()),
            (span.median_hours, span.p75_hours, span.p90_hours)
        );
    }
    let reviews = prs.reviews.unwrap();
    assert_eq!(
        (&json["reviews"]["total"], &json["reviews"]["reviewed_prs"]),
        (&Value::from(reviews.total), &Value::from(reviews.reviewed_prs))
    );
    assert_eq!(json["reviews"]["first_time_approval_share"].as_f64(), reviews.first_time_approval_share);
    let wip = prs.work_in_progress.unwrap();
    assert_eq!(
        (json["work_in_progress"]["open"].as_u64(), json["work_in_progress"]["median_age_hours"].as_f64()),
        (Some(wip.open), wip.median_age_hours)
    );

    let jira = c.metrics.get_jira_flow(with(&acme.viewer, proto::GetJiraFlowRequest { scope: Some(scope()) }));
    let jira = jira.await.unwrap().into_inner().report.unwrap();
    let (_, json) = http.get(&format!("/metrics/jira?{}", window()), &acme.viewer).await;
    assert_eq!(json["resolved"], jira.resolved);
    assert!(jira.resolved > 0, "the synthetic organisation has Jira work");
    let cycle = jira.cycle_time.unwrap();
    assert_eq!(
        (json["cycle_time"]["issues"].as_u64(), json["cycle_time"]["median_hours"].as_f64()),
        (Some(cycle.issues), cycle.median_hours)
    );
    assert_eq!(json["lead_time"]["p90_hours"].as_f64(), jira.lead_time.unwrap().p90_hours);
    let by_type: BTreeMap<String, u64> = serde_json::from_value(json["throughput_by_type"].clone()).unwrap();
    assert_eq!(by_type, jira.throughput_by_type.into_iter().collect::<BTreeMap<_, _>>());
    assert_eq!((json["bug_share"].as_f64(), json["flow_efficiency"].as_f64()), (jira.bug_share, jira.flow_efficiency));
    let statuses = json["time_in_status"].as_object().unwrap();
    assert_eq!(statuses.keys().collect::<BTreeSet<_>>(), jira.time_in_status.keys().collect::<BTreeSet<_>>());
    for (name, s) in &jira.time_in_status {
        let category = s.category.map(|c| proto::StatusCategory::try_from(c).unwrap().as_str_name());
        let expected = match statuses[name]["category"].as_str() {
            Some("To Do") => Some("STATUS_CATEGORY_TO_DO"),
            Some("In Progress") => Some("STATUS_CATEGORY_IN_PROGRESS"),
            Some("Done") => Some("STATUS_CATEGORY_DONE"),
            _ => None,
        };
        assert_eq!(category, expected, "{name}");
        assert_eq!(statuses[name]["total_hours"].as_f64(), Some(s.total_hours));
    }

    // Bad arguments name what was wrong; an unknown project does not exist.
    let mut bad_date = scope();
    bad_date.from = "2026-13-45".into();
    let status = refused(
        c.metrics.get_dora(with(&acme.viewer, dora(Some(bad_date)))).await,
        Code::InvalidArgument,
        "invalid_argument",
    );
    assert!(status.message().contains("from"), "{status:?}");
    refused(c.metrics.get_dora(with(&acme.viewer, dora(None))).await, Code::InvalidArgument, "invalid_argument");
    let mut fortnight = dora(Some(scope()));
    fortnight.interval = Some("fortnight".into());
    refused(c.metrics.get_dora(with(&acme.viewer, fortnight)).await, Code::InvalidArgument, "invalid_argument");
    let mut old = dora(Some(scope()));
    old.benchmark = Some("dora-1999".into());
    refused(c.metrics.get_dora(with(&acme.viewer, old)).await, Code::InvalidArgument, "invalid_argument");
    let status = refused(
        c.metrics.explain_dora(with(&acme.viewer, explain("happiness"))).await,
        Code::InvalidArgument,
        "invalid_argument",
    );
    assert!(status.message().contains("metric"), "{status:?}");
    let mut unknown = scope();
    unknown.project = Some("no-such-project".into());
    let request = proto::GetJiraFlowRequest { scope: Some(unknown) };
    refused(c.metrics.get_jira_flow(with(&acme.viewer, request)).await, Code::NotFound, "not_found");
    let anonymous = c.metrics.get_pull_request_flow(proto::GetPullRequestFlowRequest { scope: Some(scope()) }).await;
    refused(anonymous, Code::Unauthenticated, "unauthenticated");
}

// ----------------------------------------------------------------- jobs

async fn jobs_are_listed_started_and_controlled(db: TestDb) {
    let server = TestServer::start(db).await;
    let acme = tenant(&server, "acme", 1).await;
    let mut c = clients(&server).await;
    let id = |id: i64| proto::GetJobRequest { id };

    let listed =
        c.jobs.list_jobs(with(&acme.viewer, proto::ListJobsRequest { limit: None })).await.unwrap().into_inner();
    assert_eq!(listed.jobs.iter().map(|j| j.id).collect::<Vec<_>>(), vec![acme.job.get()]);
    let seeded = c.jobs.get_job(with(&acme.viewer, id(acme.job.get()))).await.unwrap().into_inner();
    let job = seeded.job.unwrap();
    assert_eq!(state(&job), proto::JobState::Pending);
    assert!(matches!(job.kind, Some(proto::job::Kind::Derive(_))));
    assert_eq!(seeded.history.len(), 1);
    assert_eq!((seeded.history[0].from, seeded.history[0].to), (None, proto::JobState::Pending as i32));
    assert_eq!(seeded.history[0].actor, "tests");
    refused(c.jobs.get_job(with(&acme.viewer, id(987_654_321))).await, Code::NotFound, "not_found");
    let none = proto::ListJobsRequest { limit: Some(0) };
    refused(c.jobs.list_jobs(with(&acme.viewer, none)).await, Code::InvalidArgument, "invalid_argument");

    // Starting: users and API tokens (role user) may, viewers may not.
    refused(c.jobs.start_job(with(&acme.viewer, derive())).await, Code::PermissionDenied, "forbidden");
    let derived = c.jobs.start_job(with(&acme.user, derive())).await.unwrap().into_inner().job.unwrap();
    assert_eq!(state(&derived), proto::JobState::Pending);
    let history = c.jobs.get_job(with(&acme.viewer, id(derived.id))).await.unwrap().into_inner().history;
    assert_eq!(history[0].actor, format!("api:user:{}", acme.user_id));
    let synced = c.jobs.start_job(with(&acme.api_token, sync(acme.integration.get()))).await.unwrap().into_inner();
    let synced = synced.job.unwrap();
    let integration = acme.integration.get();
    assert!(matches!(synced.kind, Some(proto::job::Kind::Sync(proto::SyncJob { integration: i })) if i == integration));
    refused(c.jobs.start_job(with(&acme.user, sync(424_242))).await, Code::NotFound, "not_found");
    let empty = proto::StartJobRequest { kind: None };
    refused(c.jobs.start_job(with(&acme.user, empty)).await, Code::InvalidArgument, "invalid_argument");
    let listed = c.jobs.list_jobs(with(&acme.viewer, proto::ListJobsRequest { limit: None })).await.unwrap();
    let ids: BTreeSet<i64> = listed.into_inner().jobs.iter().map(|j| j.id).collect();
    assert_eq!(ids, BTreeSet::from([acme.job.get(), derived.id, synced.id]));
    let limited = c.jobs.list_jobs(with(&acme.viewer, proto::ListJobsRequest { limit: Some(2) })).await.unwrap();
    assert_eq!(limited.into_inner().jobs.len(), 2);

    // Pause, resume and cancel: admins only, and only where the state machine allows.
    let pause = |id: i64| proto::PauseJobRequest { id };
    refused(c.jobs.pause_job(with(&acme.user, pause(derived.id))).await, Code::PermissionDenied, "forbidden");
    let paused = c.jobs.pause_job(with(&acme.admin, pause(derived.id))).await.unwrap().into_inner().job.unwrap();
    assert_eq!(state(&paused), proto::JobState::Paused);
    refused(c.jobs.pause_job(with(&acme.admin, pause(derived.id))).await, Code::FailedPrecondition, "conflict");
    let resume = proto::ResumeJobRequest { id: derived.id };
    let resumed = c.jobs.resume_job(with(&acme.admin, resume)).await.unwrap().into_inner().job.unwrap();
    assert_eq!(state(&resumed), proto::JobState::Pending);
    refused(c.jobs.resume_job(with(&acme.admin, resume)).await, Code::FailedPrecondition, "conflict");
    let cancel = proto::CancelJobRequest { id: derived.id };
    refused(c.jobs.cancel_job(with(&acme.user, cancel)).await, Code::PermissionDenied, "forbidden");
    let cancelled = c.jobs.cancel_job(with(&acme.admin, cancel)).await.unwrap().into_inner().job.unwrap();
    assert_eq!(state(&cancelled), proto::JobState::Cancelled);
    refused(c.jobs.cancel_job(with(&acme.admin, cancel)).await, Code::FailedPrecondition, "conflict");
    let retry = |id: i64| proto::RetryJobRequest { id };
    refused(c.jobs.retry_job(with(&acme.user, retry(derived.id))).await, Code::FailedPrecondition, "conflict");
    refused(c.jobs.pause_job(with(&acme.admin, pause(987_654))).await, Code::NotFound, "not_found");

    // A job that failed for good (as a worker leaves it) is retried by a user.
    let sync_id = JobId::new(synced.id);
    acme.store
        .transition_job(sync_id, JobState::Pending, JobState::Active, &JobChanges::default(), "worker:t", "claimed")
        .await
        .unwrap();
    let failed = JobChanges { error: Some(Some("upstream down".into())), ..JobChanges::default() };
    acme.store
        .transition_job(sync_id, JobState::Active, JobState::Failed, &failed, "worker:t", "gave up")
        .await
        .unwrap();
    let detail = c.jobs.get_job(with(&acme.viewer, id(synced.id))).await.unwrap().into_inner();
    assert_eq!(detail.job.as_ref().unwrap().error.as_deref(), Some("upstream down"));
    refused(c.jobs.retry_job(with(&acme.viewer, retry(synced.id))).await, Code::PermissionDenied, "forbidden");
    let retried = c.jobs.retry_job(with(&acme.user, retry(synced.id))).await.unwrap().into_inner().job.unwrap();
    assert_eq!((state(&retried), retried.attempts), (proto::JobState::Pending, 0));
    let history = c.jobs.get_job(with(&acme.viewer, id(synced.id))).await.unwrap().into_inner().history;
    let last = history.last().unwrap();
    assert_eq!((last.from, last.to), (Some(proto::JobState::Failed as i32), proto::JobState::Pending as i32));
    assert_eq!(last.actor, format!("api:user:{}", acme.user_id));
}

/// The events of `stream` until it ends.
async fn drain(stream: &mut Streaming<proto::ProgressEvent>) -> Vec<proto::ProgressEvent> {
    let mut events = Vec::new();
    while let Some(event) = next(stream, Duration::from_secs(10)).await {
        events.push(event);
    }
    events
}

fn changed(event: &proto::ProgressEvent) -> Option<(Option<proto::JobState>, proto::JobState)> {
    match &event.event {
        Some(proto::progress_event::Event::StateChanged(s)) => {
            Some((s.from.map(|f| proto::JobState::try_from(f).unwrap()), proto::JobState::try_from(s.to).unwrap()))
        }
        _ => None,
    }
}

async fn a_single_job_stream_ends_after_its_final_state(db: TestDb) {
    let server = TestServer::start(db).await;
    let acme = tenant(&server, "acme", 1).await;
    let globex = tenant(&server, "globex", 2).await;
    let mut c = clients(&server).await;
    let job = c.jobs.start_job(with(&acme.admin, derive())).await.unwrap().into_inner().job.unwrap();
    let watch = |job_id: Option<i64>| proto::WatchProgressRequest { job_id };
    let mut one = c.jobs.watch_progress(with(&acme.viewer, watch(Some(job.id)))).await.unwrap().into_inner();
    let mut theirs = c.jobs.watch_progress(with(&globex.viewer, watch(None))).await.unwrap().into_inner();
    refused(c.jobs.watch_progress(with(&acme.viewer, watch(Some(987_654)))).await, Code::NotFound, "not_found");

    // Control actions through the API announce their changes.
    c.jobs.pause_job(with(&acme.admin, proto::PauseJobRequest { id: job.id })).await.unwrap();
    c.jobs.resume_job(with(&acme.admin, proto::ResumeJobRequest { id: job.id })).await.unwrap();
    c.jobs.pause_job(with(&acme.admin, proto::PauseJobRequest { id: acme.job.get() })).await.unwrap();
    // What a worker publishes while running a sync comes through the same hub.
    let hub = server.api.hub();
    let id = JobId::new(job.id);
    hub.publish(ProgressEvent::PageDone {
        client: acme.id,
        job: id,
        stream: "pull_requests".into(),
        pages: 1,
        items: 10,
        records: 9,
        requests: 1,
        rate_limit_waits: 0,
    });
    hub.publish(ProgressEvent::RateLimitWait { client: acme.id, job: id, until: chrono::Utc::now() });
    hub.publish(ProgressEvent::Error { client: acme.id, job: id, message: "retrying".into() });
    // Cancelling is final: the stream ends.
    c.jobs.cancel_job(with(&acme.admin, proto::CancelJobRequest { id: job.id })).await.unwrap();
    c.jobs.start_job(with(&globex.admin, derive())).await.unwrap();

    let events = drain(&mut one).await;
    assert!(events.iter().all(|e| e.job_id == job.id), "only the job asked for: {events:?}");
    assert_eq!(events.len(), 6, "the stream ends after the final state: {events:?}");
    use proto::JobState::{Cancelled, Paused, Pending};
    assert_eq!(changed(&events[0]), Some((Some(Pending), Paused)));
    assert_eq!(changed(&events[1]), Some((Some(Paused), Pending)));
    use proto::progress_event::Event;
    assert!(matches!(&events[2].event, Some(Event::PageDone(p)) if p.records == 9 && p.stream == "pull_requests"));
    assert!(matches!(&events[3].event, Some(Event::RateLimitWait(w)) if w.until.ends_with('Z')));
    assert!(matches!(&events[4].event, Some(Event::Error(e)) if e.message == "retrying"));
    assert_eq!(changed(&events[5]), Some((Some(Pending), Cancelled)));

    // The other client's stream skipped all of acme's events: its first is its own start.
    let first = next(&mut theirs, Duration::from_secs(10)).await.unwrap();
    assert_ne!(first.job_id, job.id);
    assert_eq!(changed(&first), Some((None, Pending)));
    let globex_jobs = globex.store.jobs(10).await.unwrap();
    assert!(globex_jobs.iter().any(|j| j.id.get() == first.job_id));
}

async fn an_in_process_worker_streams_its_progress(db: TestDb) {
    let server = TestServer::start_with(db, |config| config.workers = 1).await;
    let acme = tenant(&server, "acme", 1).await;
    let globex = tenant(&server, "globex", 2).await;
    let mut c = clients(&server).await;
    let watch = proto::WatchProgressRequest { job_id: None };
    let mut all = c.jobs.watch_progress(with(&acme.viewer, watch)).await.unwrap().into_inner();
    let job = c.jobs.start_job(with(&acme.user, derive())).await.unwrap().into_inner().job.unwrap();

    let mut seen = Vec::new();
    loop {
        let event = next(&mut all, Duration::from_secs(60)).await.expect("the stream of all jobs stays open");
        let done = event.job_id == job.id && changed(&event).is_some_and(|(_, to)| to == proto::JobState::Finished);
        seen.push(event);
        if done {
            break;
        }
    }
    let ours: BTreeSet<i64> = seen.iter().map(|e| e.job_id).collect();
    assert!(ours.is_subset(&BTreeSet::from([acme.job.get(), job.id])), "only acme's jobs: {ours:?}");
    assert!(!ours.contains(&globex.job.get()));
    let states: Vec<_> = seen.iter().filter(|e| e.job_id == job.id).filter_map(changed).collect();
    assert_eq!(
        states,
        vec![
            (None, proto::JobState::Pending),
            (Some(proto::JobState::Pending), proto::JobState::Active),
            (Some(proto::JobState::Active), proto::JobState::Finished)
        ],
        "the service announces the start, the worker the run"
    );
    let detail = c.jobs.get_job(with(&acme.viewer, proto::GetJobRequest { id: job.id })).await.unwrap().into_inner();
    assert_eq!(state(detail.job.as_ref().unwrap()), proto::JobState::Finished);
    assert!(detail.history.len() >= 3);
}

// ----------------------------------------------------------------- administration

async fn administration(db: TestDb) {
    let key = pulse_connectors::SecretKey::generate();
    let server = TestServer::start_with(db, move |config| config.secret_key = Some(key)).await;
    let acme = tenant(&server, "acme", 1).await;
    let mut c = clients(&server).await;

    // The client and its branding.
    let client = c.admin.get_client(with(&acme.viewer, proto::GetClientRequest {})).await.unwrap().into_inner();
    assert_eq!(client.client.as_ref().unwrap().id, acme.id.get());
    let branding = |color: &str| proto::SetBrandingRequest {
        branding: Some(proto::Branding {
            display_name: "ACME Corp".into(),
            logo_url: Some("https://acme.example/logo.svg".into()),
            primary_color: Some(color.into()),
            accent_color: None,
        }),
    };
    refused(c.admin.set_branding(with(&acme.user, branding("#ABCDEF"))).await, Code::PermissionDenied, "forbidden");
    refused(c.admin.set_branding(with(&acme.admin, branding("red"))).await, Code::InvalidArgument, "invalid_argument");
    let none = proto::SetBrandingRequest { branding: None };
    refused(c.admin.set_branding(with(&acme.admin, none)).await, Code::InvalidArgument, "invalid_argument");
    let set = c.admin.set_branding(with(&acme.admin, branding("#ABCDEF"))).await.unwrap().into_inner();
    let b = set.client.unwrap().branding.unwrap();
    assert_eq!((b.display_name.as_str(), b.primary_color.as_deref()), ("ACME Corp", Some("#abcdef")));
    let read = c.admin.get_client(with(&acme.viewer, proto::GetClientRequest {})).await.unwrap().into_inner();
    assert_eq!(read.client.unwrap().branding.unwrap(), b);

    // Users.
    refused(
        c.admin.list_users(with(&acme.user, proto::ListUsersRequest {})).await,
        Code::PermissionDenied,
        "forbidden",
    );
    let users = c.admin.list_users(with(&acme.admin, proto::ListUsersRequest {})).await.unwrap().into_inner().users;
    let emails: BTreeSet<String> = users.iter().map(|u| u.email.clone()).collect();
    assert_eq!(emails, ["admin", "user", "viewer"].map(|r| email("acme", r)).into_iter().collect());
    let invite = |role: proto::Role| proto::InviteUserRequest {
        email: "ops@acme.example".into(),
        display_name: "Ops".into(),
        role: role as i32,
    };
    refused(
        c.admin.invite_user(with(&acme.admin, invite(proto::Role::Unspecified))).await,
        Code::InvalidArgument,
        "invalid_argument",
    );
    let invited = c.admin.invite_user(with(&acme.admin, invite(proto::Role::User))).await.unwrap().into_inner();
    let invited = invited.invited.unwrap();
    let user = invited.user.unwrap();
    assert_eq!((user.role, invited.invitation_expires_in > 0), (proto::Role::User as i32, true));
    refused(
        c.admin.invite_user(with(&acme.admin, invite(proto::Role::User))).await,
        Code::AlreadyExists,
        "already_exists",
    );
    let role = |id: i64, role: proto::Role| proto::SetUserRoleRequest { id, role: role as i32 };
    let changed = c.admin.set_user_role(with(&acme.admin, role(user.id, proto::Role::Viewer))).await.unwrap();
    assert_eq!(changed.into_inner().user.unwrap().role, proto::Role::Viewer as i32);
    refused(
        c.admin.set_user_role(with(&acme.admin, role(987_654, proto::Role::Viewer))).await,
        Code::NotFound,
        "not_found",
    );
    refused(
        c.admin.set_user_role(with(&acme.user, role(user.id, proto::Role::Admin))).await,
        Code::PermissionDenied,
        "forbidden",
    );
    let delete = |id: i64| proto::DeleteUserRequest { id };
    let myself = c.admin.delete_user(with(&acme.admin, delete(acme.admin_id.get()))).await;
    refused(myself, Code::FailedPrecondition, "conflict");
    c.admin.delete_user(with(&acme.admin, delete(user.id))).await.unwrap();
    refused(c.admin.delete_user(with(&acme.admin, delete(user.id))).await, Code::NotFound, "not_found");

    // API tokens: the secret once, then it works until revoked.
    let tokens = c.admin.list_api_tokens(with(&acme.admin, proto::ListApiTokensRequest {})).await.unwrap().into_inner();
    assert_eq!(
        tokens.tokens.iter().map(|t| (t.id, t.name.as_str())).collect::<Vec<_>>(),
        vec![(acme.api_token_id, "ci")]
    );
    let new = |name: &str, expires_at: Option<&str>| proto::CreateApiTokenRequest {
        name: name.into(),
        role: proto::Role::Viewer as i32,
        expires_at: expires_at.map(Into::into),
    };
    refused(
        c.admin.create_api_token(with(&acme.admin, new("x", Some("tomorrow")))).await,
        Code::InvalidArgument,
        "invalid_argument",
    );
    refused(c.admin.create_api_token(with(&acme.user, new("x", None))).await, Code::PermissionDenied, "forbidden");
    let created = c.admin.create_api_token(with(&acme.admin, new("dashboards", Some("2099-01-01T00:00:00Z")))).await;
    let created = created.unwrap().into_inner();
    let info = created.info.unwrap();
    assert!(created.token.starts_with("pulse_at_"));
    assert_eq!((info.name.as_str(), info.expires_at.as_deref()), ("dashboards", Some("2099-01-01T00:00:00Z")));
    let me = c.auth.who_am_i(with(&created.token, proto::WhoAmIRequest {})).await.unwrap().into_inner();
    assert_eq!(me.role, proto::Role::Viewer as i32);
    let revoke = |id: i64| proto::RevokeApiTokenRequest { id };
    c.admin.revoke_api_token(with(&acme.admin, revoke(info.id))).await.unwrap();
    refused(
        c.auth.who_am_i(with(&created.token, proto::WhoAmIRequest {})).await,
        Code::Unauthenticated,
        "unauthenticated",
    );
    refused(c.admin.revoke_api_token(with(&acme.admin, revoke(987_654))).await, Code::NotFound, "not_found");
    let listed = c.admin.list_api_tokens(with(&acme.admin, proto::ListApiTokensRequest {})).await.unwrap().into_inner();
    assert!(listed.tokens.iter().find(|t| t.id == info.id).unwrap().revoked_at.is_some());

    // Integrations: listed without credentials; added sealed.
    let listed = c.admin.list_integrations(with(&acme.viewer, proto::ListIntegrationsRequest {})).await.unwrap();
    let listed = listed.into_inner().integrations;
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].id, listed[0].kind.as_str()), (acme.integration.get(), "github"));
    let settings: Value = serde_json::from_str(&listed[0].settings_json).unwrap();
    assert_eq!(settings["repo"], "acme/api");
    use proto::add_integration_request::Kind;
    let github = |repo: &str| proto::AddIntegrationRequest {
        kind: Some(Kind::Github(proto::GithubIntegration {
            repo: repo.into(),
            api_url: Some("https://github.acme.example/api/v3".into()),
            token: "ghp_secret_value".into(),
            deploy_workflow: Some("deploy".into()),
            incident_label: None,
        })),
    };
    refused(c.admin.add_integration(with(&acme.user, github("acme/web"))).await, Code::PermissionDenied, "forbidden");
    refused(
        c.admin.add_integration(with(&acme.admin, github("not a repo"))).await,
        Code::InvalidArgument,
        "invalid_argument",
    );
    let nothing = proto::AddIntegrationRequest { kind: None };
    refused(c.admin.add_integration(with(&acme.admin, nothing)).await, Code::InvalidArgument, "invalid_argument");
    let jira = proto::AddIntegrationRequest {
        kind: Some(Kind::Jira(proto::JiraIntegration {
            site: "https://acme.atlassian.net".into(),
            project: "not a key!".into(),
            email: "ops@acme.example".into(),
            token: "secret".into(),
            ..Default::default()
        })),
    };
    refused(c.admin.add_integration(with(&acme.admin, jira)).await, Code::InvalidArgument, "invalid_argument");
    let added = c.admin.add_integration(with(&acme.admin, github("acme/web"))).await.unwrap().into_inner();
    let added = added.integration.unwrap();
    assert_eq!((added.kind.as_str(), added.base_url.as_str()), ("github", "https://github.acme.example/api/v3"));
    assert!(!added.settings_json.contains("ghp_secret_value") && added.settings_json.contains("acme/web"));
    let delete = |id: i64| proto::DeleteIntegrationRequest { id };
    refused(c.admin.delete_integration(with(&acme.user, delete(added.id))).await, Code::PermissionDenied, "forbidden");
    c.admin.delete_integration(with(&acme.admin, delete(added.id))).await.unwrap();
    refused(c.admin.delete_integration(with(&acme.admin, delete(added.id))).await, Code::NotFound, "not_found");

    // Projects.
    let projects = c.admin.list_projects(with(&acme.viewer, proto::ListProjectsRequest {})).await.unwrap().into_inner();
    assert_eq!(projects.projects.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), vec![acme.project.as_str()]);
    let get = |name: &str| proto::GetProjectRequest { name: name.into() };
    let project =
        c.admin.get_project(with(&acme.viewer, get(&acme.project))).await.unwrap().into_inner().project.unwrap();
    let stored = acme.store.projects().await.unwrap().remove(0);
    assert_eq!(project.repos, stored.repos.iter().map(ToString::to_string).collect::<Vec<_>>());
    assert_eq!(project.rules.unwrap().production_pattern, stored.rules.production_pattern.as_str());
    assert_eq!(project.teams.len(), stored.teams.len());
    for (team, members) in &stored.teams {
        assert_eq!(&project.teams[team].members, members);
    }
    refused(c.admin.get_project(with(&acme.viewer, get("no-such-project"))).await, Code::NotFound, "not_found");
    refused(c.admin.get_project(with(&acme.viewer, get(""))).await, Code::InvalidArgument, "invalid_argument");
    let delete = |name: &str| proto::DeleteProjectRequest { name: name.into() };
    refused(c.admin.delete_project(with(&acme.user, delete(&acme.project))).await, Code::PermissionDenied, "forbidden");
    c.admin.delete_project(with(&acme.admin, delete(&acme.project))).await.unwrap();
    refused(c.admin.get_project(with(&acme.viewer, get(&acme.project))).await, Code::NotFound, "not_found");
    refused(c.admin.delete_project(with(&acme.admin, delete(&acme.project))).await, Code::NotFound, "not_found");

    // The operator creates a client; its first admin accepts the invitation.
    let new_client = |slug: &str| proto::CreateClientRequest {
        slug: slug.into(),
        branding: None,
        admin_email: "boss@initech.example".into(),
        admin_name: Some("The Boss".into()),
    };
    refused(
        c.admin.create_client(with(&acme.admin, new_client("initech"))).await,
        Code::Unauthenticated,
        "unauthenticated",
    );
    refused(c.admin.create_client(new_client("initech")).await, Code::Unauthenticated, "unauthenticated");
    refused(
        c.admin.create_client(with(OPERATOR, new_client("Not A Slug"))).await,
        Code::InvalidArgument,
        "invalid_argument",
    );
    let created = c.admin.create_client(with(OPERATOR, new_client("initech"))).await.unwrap().into_inner();
    let (client, admin) = (created.client.unwrap(), created.admin.unwrap());
    assert_eq!((client.slug.as_str(), client.branding.unwrap().display_name.as_str()), ("initech", "initech"));
    assert_eq!(admin.user.as_ref().unwrap().role, proto::Role::Admin as i32);
    refused(c.admin.create_client(with(OPERATOR, new_client("initech"))).await, Code::AlreadyExists, "already_exists");
    let accept = proto::AcceptInvitationRequest { invitation: admin.invitation, password: PASSWORD.into() };
    let session = c.auth.accept_invitation(accept).await.unwrap().into_inner().session.unwrap();
    assert_eq!(session.client_id, client.id);
    let me = c.auth.who_am_i(with(&session.access_token, proto::WhoAmIRequest {})).await.unwrap().into_inner();
    assert_eq!(me.client.unwrap().slug, "initech");
}

// ----------------------------------------------------------------- import

fn file(kind: &str, content: &str) -> proto::ImportFile {
    proto::ImportFile { kind: kind.into(), content: content.as_bytes().to_vec() }
}

fn import(files: Vec<proto::ImportFile>) -> proto::ImportRequest {
    proto::ImportRequest { files }
}

async fn imports_are_all_or_nothing(db: TestDb) {
    let server = TestServer::start(db).await;
    let acme = tenant(&server, "acme", 1).await;
    let mut c = clients(&server).await;
    let repositories = file("repositories", r#"{"name": "acme/pushed"}"#);
    let line = |id: &str, finished: &str| {
        format!(
            r#"{{"repo": "acme/pushed", "id": "{id}", "sha": "abc123", "environment": "production", "result": "SUCCESS", "finished_at": "{finished}"}}"#
        )
    };
    let good = format!("{}\n{}\n", line("p1", "2026-03-02T12:00:00Z"), line("p2", "2026-03-03T12:00:00Z"));
    let bad = format!("{}\n{}\n", line("p1", "2026-03-02T12:00:00Z"), line("p2", "2026-13-03 12:00"));
    let counts =
        || async { (acme.store.count::<Repository>().await.unwrap(), acme.store.count::<Deployment>().await.unwrap()) };
    let before = counts().await;

    let good_files = || import(vec![repositories.clone(), file("deployments.jsonl", &good)]);
    refused(c.import.import(with(&acme.viewer, good_files())).await, Code::PermissionDenied, "forbidden");
    refused(c.import.import(with(&acme.user, import(vec![]))).await, Code::InvalidArgument, "invalid_argument");
    let unknown = import(vec![file("bogus", "{}")]);
    refused(c.import.import(with(&acme.user, unknown)).await, Code::InvalidArgument, "invalid_argument");
    let twice = import(vec![file("deployments", &good), file("deployments.jsonl", &good)]);
    refused(c.import.import(with(&acme.user, twice)).await, Code::InvalidArgument, "invalid_argument");

    // The second line of the second file is bad: nothing of either file is written.
    let rejected = import(vec![repositories.clone(), file("deployments", &bad)]);
    let status = refused(c.import.import(with(&acme.user, rejected)).await, Code::InvalidArgument, "invalid_import");
    let meta = |key: &str| status.metadata().get(key).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(meta("pulse-error-file").as_deref(), Some("deployments.jsonl"));
    assert_eq!(
        (meta("pulse-error-line").as_deref(), meta("pulse-error-field").as_deref()),
        (Some("2"), Some("finished_at"))
    );
    assert!(status.message().contains("deployments.jsonl:2"), "{status:?}");
    assert_eq!(counts().await, before, "a rejected import writes nothing");

    // Whole files fit in one message (tonic's default limit is 4 MB); this one is refused
    // by the import's parser, not by the transport.
    let huge = import(vec![file("issues", &"x".repeat(6 * 1024 * 1024))]);
    let status = refused(c.import.import(with(&acme.user, huge)).await, Code::InvalidArgument, "invalid_import");
    assert_eq!(status.metadata().get("pulse-error-line").unwrap(), "1");

    let written = c.import.import(with(&acme.api_token, good_files())).await.unwrap().into_inner();
    assert_eq!((written.counts.get("repositories"), written.counts.get("deployments")), (Some(&1), Some(&2)));
    assert!(written.data_version.is_some());
    assert_eq!(counts().await, (before.0 + 1, before.1 + 2));

    // Project rules decide what counts as production: admins only.
    let project = import(vec![file("project.json", r#"{"name": "pushed", "repos": ["acme/pushed"]}"#)]);
    refused(c.import.import(with(&acme.user, project.clone())).await, Code::PermissionDenied, "forbidden");
    c.import.import(with(&acme.admin, project)).await.unwrap();
    let get = proto::GetProjectRequest { name: "pushed".into() };
    let pushed = c.admin.get_project(with(&acme.viewer, get)).await.unwrap().into_inner().project.unwrap();
    assert_eq!(pushed.repos, vec!["acme/pushed".to_owned()]);
}

// ----------------------------------------------------------------- isolation

/// A call with the other client's id must fail exactly like one with an id that never
/// existed: NOT_FOUND with the same message, revealing nothing.
#[track_caller]
fn same_as_missing<T: std::fmt::Debug>(theirs: Result<Response<T>, Status>, missing: Result<Response<T>, Status>) {
    let theirs = refused(theirs, Code::NotFound, "not_found");
    let missing = refused(missing, Code::NotFound, "not_found");
    assert_eq!(theirs.message(), missing.message());
}

async fn other_clients_ids_are_not_found(db: TestDb) {
    let server = TestServer::start(db).await;
    let acme = tenant(&server, "acme", 1).await;
    let globex = tenant(&server, "globex", 2).await;
    let mut c = clients(&server).await;
    // A project only globex has.
    let project = import(vec![file("project.json", r#"{"name": "globex-secret", "repos": []}"#)]);
    c.import.import(with(&globex.admin, project)).await.unwrap();
    let users_before = globex.store.users().await.unwrap();
    let jobs_before = globex.store.jobs(100).await.unwrap();
    let missing = 987_654_321;
    let Tenant { job, integration, user_id, api_token_id, .. } = &globex;
    let (job, integration, user) = (job.get(), integration.get(), user_id.get());

    // acme's admin and acme's API token hold every permission they need, so only the
    // client boundary can refuse.
    for token in [&acme.admin, &acme.api_token] {
        let get = |id| with(token, proto::GetJobRequest { id });
        same_as_missing(c.jobs.get_job(get(job)).await, c.jobs.get_job(get(missing)).await);
        let watch = |id| with(token, proto::WatchProgressRequest { job_id: Some(id) });
        same_as_missing(c.jobs.watch_progress(watch(job)).await, c.jobs.watch_progress(watch(missing)).await);
        let start = |id| with(token, sync(id));
        same_as_missing(c.jobs.start_job(start(integration)).await, c.jobs.start_job(start(missing)).await);
        let retry = |id| with(token, proto::RetryJobRequest { id });
        same_as_missing(c.jobs.retry_job(retry(job)).await, c.jobs.retry_job(retry(missing)).await);
        let get = |name: &str| with(token, proto::GetProjectRequest { name: name.into() });
        same_as_missing(c.admin.get_project(get("globex-secret")).await, c.admin.get_project(get("nope")).await);
        let mut theirs = scope();
        theirs.project = Some("globex-secret".into());
        let mut nope = scope();
        nope.project = Some("nope".into());
        let dora = |scope| with(token, proto::GetDoraRequest { scope: Some(scope), benchmark: None, interval: None });
        same_as_missing(c.metrics.get_dora(dora(theirs)).await, c.metrics.get_dora(dora(nope)).await);
    }
    let admin = &acme.admin;
    let pause = |id| with(admin, proto::PauseJobRequest { id });
    same_as_missing(c.jobs.pause_job(pause(job)).await, c.jobs.pause_job(pause(missing)).await);
    let resume = |id| with(admin, proto::ResumeJobRequest { id });
    same_as_missing(c.jobs.resume_job(resume(job)).await, c.jobs.resume_job(resume(missing)).await);
    let cancel = |id| with(admin, proto::CancelJobRequest { id });
    same_as_missing(c.jobs.cancel_job(cancel(job)).await, c.jobs.cancel_job(cancel(missing)).await);
    let role = |id| with(admin, proto::SetUserRoleRequest { id, role: proto::Role::Viewer as i32 });
    same_as_missing(c.admin.set_user_role(role(user)).await, c.admin.set_user_role(role(missing)).await);
    let delete = |id| with(admin, proto::DeleteUserRequest { id });
    same_as_missing(c.admin.delete_user(delete(user)).await, c.admin.delete_user(delete(missing)).await);
    let revoke = |id| with(admin, proto::RevokeApiTokenRequest { id });
    same_as_missing(
        c.admin.revoke_api_token(revoke(*api_token_id)).await,
        c.admin.revoke_api_token(revoke(missing)).await,
    );
    let delete = |id| with(admin, proto::DeleteIntegrationRequest { id });
    same_as_missing(
        c.admin.delete_integration(delete(integration)).await,
        c.admin.delete_integration(delete(missing)).await,
    );
    let delete = |name: &str| with(admin, proto::DeleteProjectRequest { name: name.into() });
    same_as_missing(
        c.admin.delete_project(delete("globex-secret")).await,
        c.admin.delete_project(delete("nope")).await,
    );

    // Lists show only the caller's client.
    let jobs = c.jobs.list_jobs(with(admin, proto::ListJobsRequest { limit: Some(500) })).await.unwrap().into_inner();
    assert_eq!(jobs.jobs.iter().map(|j| j.id).collect::<Vec<_>>(), vec![acme.job.get()]);
    let users = c.admin.list_users(with(admin, proto::ListUsersRequest {})).await.unwrap().into_inner().users;
    assert!(users.iter().all(|u| u.email.ends_with("@acme.example")) && users.len() == 3);
    let tokens = c.admin.list_api_tokens(with(admin, proto::ListApiTokensRequest {})).await.unwrap().into_inner();
    assert_eq!(tokens.tokens.iter().map(|t| t.id).collect::<Vec<_>>(), vec![acme.api_token_id]);
    let integrations = c.admin.list_integrations(with(admin, proto::ListIntegrationsRequest {})).await.unwrap();
    assert_eq!(
        integrations.into_inner().integrations.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![acme.integration.get()]
    );
    let projects = c.admin.list_projects(with(admin, proto::ListProjectsRequest {})).await.unwrap().into_inner();
    assert!(projects.projects.iter().all(|p| p.name != "globex-secret"));
    let client = c.admin.get_client(with(admin, proto::GetClientRequest {})).await.unwrap().into_inner();
    assert_eq!(client.client.unwrap().slug, "acme");

    // globex's records are untouched, and its tokens still work.
    assert_eq!(globex.store.users().await.unwrap(), users_before);
    assert_eq!(globex.store.jobs(100).await.unwrap(), jobs_before);
    assert_eq!(globex.store.integrations().await.unwrap().len(), 1);
    let theirs = c.auth.who_am_i(with(&globex.api_token, proto::WhoAmIRequest {})).await.unwrap().into_inner();
    assert_eq!(theirs.client.unwrap().slug, "globex");
    let get = proto::GetProjectRequest { name: "globex-secret".into() };
    c.admin.get_project(with(&globex.viewer, get)).await.unwrap();
}

// ----------------------------------------------------------------- reflection, health, gRPC-Web

/// The health service says NOT_SERVING once the database stops answering, as `/readyz`.
async fn health_follows_readiness(db: TestDb) {
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

    let server = TestServer::start_with(db, |c| c.health_interval = Duration::from_millis(50)).await;
    let c = clients(&server).await;
    let mut health = HealthClient::new(c.channel.clone());
    let status = |health: &mut HealthClient<Channel>, service: &'static str| {
        let mut health = health.clone();
        async move { health.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner().status }
    };
    assert_eq!(status(&mut health, "").await, ServingStatus::Serving as i32);

    server.api.store().close().await;
    let started = std::time::Instant::now();
    while status(&mut health, "").await != ServingStatus::NotServing as i32 {
        assert!(started.elapsed() < Duration::from_secs(10), "still SERVING with the database closed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for service in SERVICES {
        assert_eq!(status(&mut health, service).await, ServingStatus::NotServing as i32, "{service}");
    }
    let ready = reqwest::get(format!("{}/readyz", server.url)).await.unwrap();
    assert_eq!(ready.status(), 503);
    server.stop().await;
}

async fn reflection_and_health(db: TestDb) {
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::{ServerReflectionRequest, ServerReflectionResponse};

    let server = TestServer::start(db).await;
    let c = clients(&server).await;
    let mut health = HealthClient::new(c.channel.clone());
    for service in std::iter::once("").chain(SERVICES) {
        let answer = health.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner();
        assert_eq!(answer.status, ServingStatus::Serving as i32, "{service:?}");
    }
    let unknown = health.check(HealthCheckRequest { service: "pulse.v9.Nothing".into() }).await.unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);

    let mut reflection = ServerReflectionClient::new(c.channel.clone());
    let ask = |request: MessageRequest| ServerReflectionRequest { host: String::new(), message_request: Some(request) };
    let requests = vec![
        ask(MessageRequest::ListServices(String::new())),
        ask(MessageRequest::FileContainingSymbol("pulse.v1.JobsService".into())),
    ];
    let mut answers = reflection.server_reflection_info(tokio_stream::iter(requests)).await.unwrap().into_inner();
    let answer: ServerReflectionResponse = next(&mut answers, Duration::from_secs(10)).await.unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("not a service list")
    };
    let names: BTreeSet<String> = list.service.into_iter().map(|s| s.name).collect();
    for service in SERVICES.into_iter().chain(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]) {
        assert!(names.contains(service), "{service} in {names:?}");
    }
    let answer: ServerReflectionResponse = next(&mut answers, Duration::from_secs(10)).await.unwrap();
    let Some(MessageResponse::FileDescriptorResponse(files)) = answer.message_response else {
        panic!("not a file descriptor")
    };
    let contains =
        |needle: &[u8]| files.file_descriptor_proto.iter().any(|f| f.windows(needle.len()).any(|w| w == needle));
    assert!(contains(b"pulse/v1/jobs.proto") && contains(b"WatchProgress"));
}

/// gRPC-Web frames: a flag byte (0 data, 0x80 trailers), a big-endian length, the bytes.
fn frames(mut body: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while body.len() >= 5 {
        let len = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
        out.push((body[0], body[5..5 + len].to_vec()));
        body = &body[5 + len..];
    }
    assert!(body.is_empty(), "a truncated frame");
    out
}

async fn browsers_call_through_grpc_web(db: TestDb) {
    const ORIGIN: &str = "https://dashboard.acme.example";
    let server = TestServer::start_with(db, |config| config.cors_origins = vec![ORIGIN.into()]).await;
    let acme = tenant(&server, "acme", 1).await;
    let http = reqwest::Client::new();
    let url = format!("{}/pulse.v1.AuthService/WhoAmI", server.url);

    // The browser's preflight allows the gRPC-Web headers.
    let preflight = http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type,x-grpc-web")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{preflight:?}");
    let header = |r: &reqwest::Response, name: &str| r.headers().get(name).map(|v| v.to_str().unwrap().to_lowercase());
    assert_eq!(header(&preflight, "access-control-allow-origin").as_deref(), Some(ORIGIN));
    assert!(header(&preflight, "access-control-allow-headers").unwrap().contains("x-grpc-web"));

    let mut body = vec![0u8];
    let message = proto::WhoAmIRequest {}.encode_to_vec();
    body.extend_from_slice(&(message.len() as u32).to_be_bytes());
    body.extend_from_slice(&message);
    let call = |token: Option<&str>| {
        let mut request = http
            .post(&url)
            .header("content-type", "application/grpc-web+proto")
            .header("x-grpc-web", "1")
            .header("origin", ORIGIN)
            .body(body.clone());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };

    let response = call(Some(&acme.viewer)).await.unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type").as_deref(), Some("application/grpc-web+proto"));
    assert_eq!(header(&response, "access-control-allow-origin").as_deref(), Some(ORIGIN));
    let frames = frames(&response.bytes().await.unwrap());
    assert_eq!(frames.len(), 2, "one message and the trailers");
    assert_eq!(frames[0].0, 0);
    let me = proto::WhoAmIResponse::decode(frames[0].1.as_slice()).unwrap();
    assert_eq!((me.subject, me.role), (format!("user:{}", acme.viewer_id), proto::Role::Viewer as i32));
    assert_eq!(frames[1].0, 0x80);
    assert!(String::from_utf8_lossy(&frames[1].1).contains("grpc-status:0"));

    // A refusal arrives as a gRPC status (exposed to the page by CORS), with the service's code.
    let refused = call(None).await.unwrap();
    assert_eq!(refused.status(), 200);
    assert_eq!(header(&refused, "grpc-status").as_deref(), Some("16"));
    assert_eq!(header(&refused, "pulse-error-code").as_deref(), Some("unauthenticated"));
    let exposed = header(&refused, "access-control-expose-headers").unwrap();
    assert!(exposed.contains("grpc-status") && exposed.contains("pulse-error-code"), "{exposed}");
}

async fn over_the_rate_limit_calls_are_told_when_to_retry(db: TestDb) {
    let server = TestServer::start_with(db, |config| config.rate_limit_per_client = 1).await;
    let acme = tenant(&server, "acme", 1).await;
    let globex = tenant(&server, "globex", 2).await;
    let mut c = clients(&server).await;
    // One request a second with a burst of two: the fourth call in a row is over.
    let mut answers = Vec::new();
    for _ in 0..4 {
        answers.push(c.auth.who_am_i(with(&acme.viewer, proto::WhoAmIRequest {})).await);
    }
    assert!(answers[0].is_ok());
    let status = refused(answers.pop().unwrap(), Code::ResourceExhausted, "rate_limited");
    let wait = status.metadata().get("pulse-retry-after-ms").unwrap().to_str().unwrap().parse::<u64>().unwrap();
    assert!(wait > 0 && wait <= 1000, "{wait}");
    assert_eq!(status.metadata().get("retry-after").unwrap(), "1");
    // The limit is per client: another client is not held back.
    c.auth.who_am_i(with(&globex.viewer, proto::WhoAmIRequest {})).await.unwrap();
}
