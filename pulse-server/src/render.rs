//! Metric reports as text tables for the terminal. The JSON form is the reports' own
//! serialization; this is only presentation.

use std::fmt::Write;

use pulse_core::metrics::dora::DoraMetrics;
use pulse_core::metrics::{Band, DoraReport, Explanation, JiraFlowReport, PrFlowReport, RefreshSummary, ScopeInfo};

fn hours(h: Option<f64>) -> String {
    match h {
        None => "–".into(),
        Some(h) if h >= 48.0 => format!("{:.1} d", h / 24.0),
        Some(h) => format!("{h:.1} h"),
    }
}

fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "–".into(), |r| format!("{:.1} %", r * 100.0))
}

fn number(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v:.1}"))
}

fn band(b: Option<Band>) -> String {
    b.map_or_else(|| "–".into(), |b| format!("{b:?}").to_lowercase())
}

fn header(out: &mut String, title: &str, scope: &ScopeInfo) {
    let mut what = format!("client {}", scope.client);
    for (label, value) in [("project", &scope.project), ("repo", &scope.repo), ("team", &scope.team)] {
        if let Some(v) = value {
            let _ = write!(what, ", {label} {v}");
        }
    }
    let _ = writeln!(
        out,
        "{title}: {what}, {} to {}",
        scope.from.format("%Y-%m-%d %H:%M"),
        scope.to.format("%Y-%m-%d %H:%M")
    );
}

fn row(out: &mut String, metric: &str, value: String, band_text: &str) {
    let _ = writeln!(out, "  {metric:<36} {value:<60} {band_text}");
}

fn dora_rows(out: &mut String, m: &DoraMetrics) {
    let df = &m.deployment_frequency;
    row(
        out,
        "deployment frequency",
        format!(
            "{} deployments on {} days, {}/week (median {} days/week, {} days/month)",
            df.deployments,
            df.deployment_days,
            number(df.per_week),
            number(df.median_deployment_days_per_week),
            number(df.median_deployment_days_per_month)
        ),
        &band(df.band),
    );
    let lt = &m.lead_time_for_changes;
    row(
        out,
        "lead time for changes",
        format!(
            "median {} (p75 {}, p90 {}, mean {}) over {} changes",
            hours(lt.median_hours),
            hours(lt.p75_hours),
            hours(lt.p90_hours),
            hours(lt.mean_hours),
            lt.changes
        ),
        &band(lt.band),
    );
    row(
        out,
        "  coding / pickup / review / deploy",
        format!(
            "{} / {} / {} / {}",
            hours(lt.coding_median_hours),
            hours(lt.pickup_median_hours),
            hours(lt.review_median_hours),
            hours(lt.deploy_median_hours)
        ),
        "",
    );
    let cfr = &m.change_failure_rate;
    row(
        out,
        "change failure rate",
        format!("{} ({} of {} deployments)", percent(cfr.rate), cfr.failed_deployments, cfr.deployments),
        &band(cfr.band),
    );
    let fdrt = &m.failed_deployment_recovery_time;
    row(
        out,
        "failed deployment recovery time",
        format!("median {} over {} incidents ({} open)", hours(fdrt.median_hours), fdrt.incidents, fdrt.open_incidents),
        &band(fdrt.band),
    );
    let ttrs = &m.time_to_restore_service;
    row(
        out,
        "time to restore service",
        format!("median {} over {} resolved incidents", hours(ttrs.median_hours), ttrs.incidents),
        &band(ttrs.band),
    );
    let rr = &m.rework_rate;
    row(out, "rework rate", format!("{} ({} of {})", percent(rr.rate), rr.rework_deployments, rr.deployments), "");
}

pub fn dora(report: &DoraReport) -> String {
    let mut out = String::new();
    header(&mut out, &format!("DORA ({})", report.benchmark.as_str()), &report.scope);
    let sources: Vec<&str> = report.deployment_sources.iter().map(|s| s.as_str()).collect();
    let _ = writeln!(
        out,
        "  deployment sources: {}\n",
        if sources.is_empty() { "none".into() } else { sources.join(", ") }
    );
    dora_rows(&mut out, &report.metrics);
    if let Some(series) = &report.series {
        let _ = writeln!(
            out,
            "\n  {:<12} {:>11} {:>14} {:>8} {:>10} {:>8}",
            "from", "deployments", "lead time", "CFR", "recovery", "rework"
        );
        for point in series {
            let m = &point.metrics;
            let _ = writeln!(
                out,
                "  {:<12} {:>11} {:>14} {:>8} {:>10} {:>8}",
                point.from.format("%Y-%m-%d"),
                m.deployment_frequency.deployments,
                hours(m.lead_time_for_changes.median_hours),
                percent(m.change_failure_rate.rate),
                hours(m.failed_deployment_recovery_time.median_hours),
                percent(m.rework_rate.rate)
            );
        }
    }
    out
}

pub fn pr_flow(report: &PrFlowReport) -> String {
    let mut out = String::new();
    header(&mut out, "Pull-request flow", &report.scope);
    row(&mut out, "merged PRs", report.throughput.to_string(), "");
    row(
        &mut out,
        "size (lines changed)",
        format!("median {}, p90 {}", number(report.size.median_lines), number(report.size.p90_lines)),
        "",
    );
    for (name, span) in
        [("coding", &report.coding), ("pickup", &report.pickup), ("review", &report.review), ("deploy", &report.deploy)]
    {
        row(
            &mut out,
            name,
            format!(
                "median {} (p75 {}, p90 {}) over {} PRs",
                hours(span.median_hours),
                hours(span.p75_hours),
                hours(span.p90_hours),
                span.prs
            ),
            "",
        );
    }
    let r = &report.reviews;
    row(
        &mut out,
        "reviews",
        format!(
            "{} in all, median {} per PR; {} approved first time",
            r.total,
            number(r.median_per_pr),
            percent(r.first_time_approval_share)
        ),
        "",
    );
    let w = &report.work_in_progress;
    row(
        &mut out,
        "open at the end",
        format!("{} PRs, median age {} (p90 {})", w.open, hours(w.median_age_hours), hours(w.p90_age_hours)),
        "",
    );
    out
}

pub fn jira_flow(report: &JiraFlowReport) -> String {
    let mut out = String::new();
    header(&mut out, "Jira flow", &report.scope);
    row(&mut out, "resolved issues", report.resolved.to_string(), "");
    for (name, t) in [("cycle time", &report.cycle_time), ("lead time", &report.lead_time)] {
        row(
            &mut out,
            name,
            format!(
                "median {} (p75 {}, p90 {}) over {} issues",
                hours(t.median_hours),
                hours(t.p75_hours),
                hours(t.p90_hours),
                t.issues
            ),
            "",
        );
    }
    let types: Vec<String> = report.throughput_by_type.iter().map(|(t, n)| format!("{t} {n}")).collect();
    row(&mut out, "throughput by type", types.join(", "), "");
    row(&mut out, "bug share", percent(report.bug_share), "");
    row(&mut out, "flow efficiency", percent(report.flow_efficiency), "");
    for (status, s) in &report.time_in_status {
        row(
            &mut out,
            &format!("  in {status}"),
            format!("{} in all, median {} over {} issues", hours(Some(s.total_hours)), hours(s.median_hours), s.issues),
            "",
        );
    }
    out
}

pub fn explanation(e: &Explanation) -> String {
    let mut out = String::new();
    header(&mut out, &format!("Why {} is what it is", e.metric.as_str()), &e.scope);
    dora_rows(&mut out, &e.values);
    if !e.deployments.is_empty() {
        let _ = writeln!(
            out,
            "\n  {:<28} {:<12} {:<20} {:>7} {:>4} {:<10} incidents / rework",
            "deployment", "environment", "finished", "commits", "PRs", "changes"
        );
        for d in &e.deployments {
            let f = &d.deployment;
            let mut notes: Vec<String> = d.incidents.clone();
            notes.extend(f.rework.iter().map(|r| format!("{r:?}")));
            let _ = writeln!(
                out,
                "  {:<28} {:<12} {:<20} {:>7} {:>4} {:<10} {}",
                format!("{}/{}", f.repo, f.id),
                f.environment,
                f.finished_at.format("%Y-%m-%d %H:%M"),
                f.changes.len(),
                f.pull_requests.len(),
                f.attribution.map_or("first", |a| if a == pulse_core::metrics::Attribution::Graph {
                    "graph"
                } else {
                    "time"
                }),
                notes.join(", ")
            );
        }
    }
    if !e.pull_requests.is_empty() {
        let _ = writeln!(
            out,
            "\n  {:<28} {:>10} {:>10} {:>10} {:>10} {:>10}  deployment",
            "pull request", "coding", "pickup", "review", "deploy", "lead time"
        );
        for p in &e.pull_requests {
            let h = |s: Option<i64>| hours(s.map(|s| s as f64 / 3600.0));
            let _ = writeln!(
                out,
                "  {:<28} {:>10} {:>10} {:>10} {:>10} {:>10}  {}",
                format!("{}#{}", p.repo, p.number),
                h(p.coding),
                h(p.pickup),
                h(p.review),
                h(p.deploy),
                h(Some(p.lead_time)),
                p.deployment.as_ref().map(|d| format!("{}/{}", d.repo, d.id)).unwrap_or_default()
            );
        }
    }
    if !e.incidents.is_empty() {
        let _ = writeln!(out, "\n  {:<16} {:<20} {:<20} {:<10} deployment", "incident", "created", "resolved", "link");
        for i in &e.incidents {
            let _ = writeln!(
                out,
                "  {:<16} {:<20} {:<20} {:<10} {}",
                i.id,
                i.created_at.format("%Y-%m-%d %H:%M"),
                i.resolved_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "open".into()),
                i.method.map_or("none", |m| if m == pulse_core::metrics::LinkMethod::Explicit {
                    "explicit"
                } else {
                    "inferred"
                }),
                i.deployment
                    .as_ref()
                    .map(|d| format!("{}/{}", d.repo, d.id))
                    .or_else(|| i.unmatched_reference.as_ref().map(|r| format!("unmatched: {r}")))
                    .unwrap_or_default()
            );
        }
    }
    out
}

pub fn refresh(s: &RefreshSummary) -> String {
    format!(
        "derived facts for data version {} in {:.1}s: {} deployments, {} merged PRs, {} incidents, {} issues ({} new commit-graph diffs)",
        s.version, s.seconds, s.deployments, s.pull_requests, s.incidents, s.issues, s.new_diffs
    )
}
