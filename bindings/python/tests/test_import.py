"""Importing, generating and loading data, and refreshing the facts."""

import datetime
import shutil

import pytest

import pulse
from conftest import END, FROM


def test_generate_is_deterministic_and_counts_what_it_writes(tmp_path):
    a = pulse.generate(tmp_path / "a", seed=7)
    b = pulse.generate(tmp_path / "b", scale="small", seed=7, end=datetime.date(2026, 11, 1))
    assert a == b
    assert (tmp_path / "a" / "commits.jsonl").read_bytes() == (tmp_path / "b" / "commits.jsonl").read_bytes()
    lines = (tmp_path / "a" / "pull_requests.jsonl").read_text().splitlines()
    assert len(lines) == a["pull_requests"]
    c = pulse.generate(tmp_path / "c", seed=8)
    assert c != a


def test_generate_end_moves_the_period(tmp_path):
    pulse.generate(tmp_path / "org", end="2025-01-06")
    text = (tmp_path / "org" / "deployments.jsonl").read_text()
    assert "2024-" in text and "2026-" not in text


def test_generate_errors(tmp_path):
    with pytest.raises(pulse.InvalidInput, match='invalid scale: "huge" is not one of small, large'):
        pulse.generate(tmp_path, scale="huge")
    with pytest.raises(pulse.InvalidInput, match="invalid date"):
        pulse.generate(tmp_path, end="yesterday")
    with pytest.raises(TypeError, match="end: expected a datetime, a date or a string"):
        pulse.generate(tmp_path, end=20260101)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(pulse.FileError) as err:
        pulse.generate(blocker / "org")
    assert err.value.path == str(blocker / "org")


def test_import_dir_counts_match_the_generated_org(sqlite_url, org_dir, tmp_path):
    expected = pulse.generate(tmp_path / "again")
    with pulse.open(sqlite_url) as store:
        counts = store.client("acme", create=True).import_dir(org_dir)
    assert counts == expected


def test_load_synthetic_equals_import(sqlite_url, demo):
    with pulse.open(sqlite_url) as store:
        client = store.client("acme", create=True)
        counts = client.load_synthetic()
        assert counts["jira_issues"] == 400
        assert client.dora(FROM, END, interval="week") == demo.dora(FROM, END, interval="week")
        assert client.explain("lead_time_for_changes", FROM, END) == demo.explain("lead_time_for_changes", FROM, END)


def test_rejected_import_names_file_line_field_and_writes_nothing(backend_url, org_dir, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(org_dir, bad)
    lines = (bad / "deployments.jsonl").read_text().splitlines()
    lines[2] = lines[2].replace('"finished_at":"', '"finished_at":"not a time ')
    (bad / "deployments.jsonl").write_text("\n".join(lines) + "\n")
    with pulse.open(backend_url) as store:
        client = store.create_client("acme")
        with pytest.raises(pulse.ImportRejected) as err:
            client.import_dir(bad)
        e = err.value
        assert (e.file, e.line, e.field) == ("deployments.jsonl", 3, "finished_at")
        assert e.problem.startswith("not an RFC 3339 timestamp")
        assert str(e).startswith("deployments.jsonl:3: field `finished_at`: not an RFC 3339 timestamp")
        assert isinstance(e, pulse.InvalidInput)
        # All or nothing: the commits and pull requests read before the bad line are gone too.
        report = client.pr_flow(FROM, END)
        assert report["throughput"] == 0
        assert client.dora(FROM, END)["deployment_frequency"]["deployments"] == 0


def test_import_of_a_missing_directory(sqlite_url, tmp_path):
    with pulse.open(sqlite_url) as store:
        client = store.client("acme", create=True)
        with pytest.raises(pulse.ImportRejected) as err:
            client.import_dir(tmp_path / "nothing-here")
        assert err.value.file == str(tmp_path / "nothing-here")
        assert err.value.line is None and err.value.field is None
        assert "cannot be read" in err.value.problem
        empty = tmp_path / "empty"
        empty.mkdir()
        with pytest.raises(pulse.ImportRejected, match="no import files found"):
            client.import_dir(empty)


def test_refresh_facts_reports_the_derivation(sqlite_url, org_dir):
    with pulse.open(sqlite_url) as store:
        client = store.client("acme", create=True)
        client.import_dir(org_dir)
        summary = client.refresh_facts()
        assert set(summary) == {
            "version",
            "deployments",
            "pull_requests",
            "incidents",
            "issues",
            "new_diffs",
            "load_seconds",
            "derive_seconds",
            "store_seconds",
            "seconds",
        }
        assert summary["deployments"] > 100 and summary["issues"] == 400
        # The import derived every diff already; a refresh reuses them.
        assert summary["new_diffs"] == 0
        assert summary["seconds"] >= summary["derive_seconds"] >= 0
