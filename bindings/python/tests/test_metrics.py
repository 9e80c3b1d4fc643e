"""Metric queries: the dicts equal the CLI's JSON for the same query, arguments parse as
on the command line, and bad arguments raise the right exceptions."""

import datetime
import json
import subprocess
import zoneinfo

import pytest

import pulse
from conftest import END, FROM


def cli(pulse_bin, db, *args):
    out = subprocess.run(
        [str(pulse_bin), "--db", db, "--client", "acme", *args, "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


SCOPES = [
    {},
    {"project": "checkout"},
    {"repo": "acme/checkout-api"},
    {"project": "checkout", "team": "payments"},
]


def flags(scope):
    return [arg for key, value in scope.items() for arg in (f"--{key}", value)]


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: "-".join(s) or "client")
def test_dora_equals_cli_json(pulse_bin, demo_db, demo, scope):
    window = ["--from", FROM, "--to", END]
    assert demo.dora(FROM, END, **scope) == cli(pulse_bin, demo_db, "metrics", "dora", *window, *flags(scope))
    series = demo.dora(FROM, END, interval="week", benchmark="dora-2021", **scope)
    assert series == cli(
        pulse_bin, demo_db, "metrics", "dora", *window, *flags(scope), "--interval", "week", "--benchmark", "dora-2021"
    )
    assert series["interval"] == "week" and len(series["series"]) == 14


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: "-".join(s) or "client")
def test_flow_reports_equal_cli_json(pulse_bin, demo_db, demo, scope):
    window = ["--from", FROM, "--to", END, *flags(scope)]
    assert demo.pr_flow(FROM, END, **scope) == cli(pulse_bin, demo_db, "metrics", "prs", *window)
    assert demo.jira_flow(FROM, END, **scope) == cli(pulse_bin, demo_db, "metrics", "jira", *window)


METRICS = [
    "deployment_frequency",
    "lead_time_for_changes",
    "change_failure_rate",
    "failed_deployment_recovery_time",
    "time_to_restore_service",
    "rework_rate",
]


@pytest.mark.parametrize("metric", METRICS)
def test_explain_equals_cli_json(pulse_bin, demo_db, demo, metric):
    window = ["--from", FROM, "--to", END, "--project", "checkout"]
    expected = cli(pulse_bin, demo_db, "explain", "dora", *window, "--metric", metric)
    assert demo.explain(metric, FROM, END, project="checkout") == expected
    assert expected["metric"] == metric


def test_report_shape_follows_the_spec(demo):
    report = demo.dora(FROM, END, project="checkout")
    assert list(report) == [
        "scope",
        "benchmark",
        "deployment_sources",
        "deployment_frequency",
        "lead_time_for_changes",
        "change_failure_rate",
        "failed_deployment_recovery_time",
        "time_to_restore_service",
        "rework_rate",
    ]
    assert report["scope"] == {"client": "acme", "project": "checkout", "from": f"{FROM}T00:00:00Z", "to": f"{END}T00:00:00Z"}
    assert report["benchmark"] == "dora-2023"
    assert report["lead_time_for_changes"]["band"] in {"elite", "high", "medium", "low"}
    assert isinstance(report["change_failure_rate"]["rate"], float)


def test_dates_as_objects_equal_strings(demo):
    expected = demo.dora(FROM, END)
    assert demo.dora(datetime.date(2026, 8, 1), datetime.date(2026, 11, 1)) == expected
    assert demo.dora(datetime.datetime(2026, 8, 1), datetime.datetime(2026, 11, 1)) == expected, "naive is UTC"
    utc = datetime.timezone.utc
    assert demo.dora(datetime.datetime(2026, 8, 1, tzinfo=utc), "2026-11-01T00:00:00Z") == expected
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    assert demo.dora(datetime.datetime(2026, 8, 1, 2, 0, tzinfo=paris), "2026-11-01T01:00:00+01:00") == expected


def test_bad_arguments(demo):
    with pytest.raises(pulse.InvalidInput, match='invalid date: "08/01/2026" is neither YYYY-MM-DD nor an RFC 3339'):
        demo.dora("08/01/2026", END)
    with pytest.raises(TypeError, match="from_: expected a datetime, a date or a string"):
        demo.dora(1_700_000_000, END)
    with pytest.raises(pulse.InvalidInput, match="invalid window"):
        demo.dora(END, FROM)
    with pytest.raises(pulse.InvalidInput, match='invalid benchmark: "dora-2030"'):
        demo.dora(FROM, END, benchmark="dora-2030")
    with pytest.raises(pulse.InvalidInput, match='invalid interval: "day"'):
        demo.dora(FROM, END, interval="day")
    with pytest.raises(pulse.InvalidInput, match='invalid metric: "uptime"'):
        demo.explain("uptime", FROM, END)
    with pytest.raises(pulse.NotFound) as err:
        demo.pr_flow(FROM, END, project="billing")
    assert err.value.entity == "project"
    with pytest.raises(pulse.NotFound) as err:
        demo.jira_flow(FROM, END, project="checkout", team="nobody")
    assert err.value.entity == "team"
    with pytest.raises(pulse.InvalidInput, match="is not in project checkout"):
        demo.dora(FROM, END, project="checkout", repo="acme/elsewhere")
    with pytest.raises(pulse.InvalidInput, match="invalid repository name"):
        demo.dora(FROM, END, repo="no-slash")
