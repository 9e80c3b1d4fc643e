"""Integrations and sync against a local GitHub stand-in: sealed tokens, progress
callbacks, and connector errors mapped to their exceptions."""

import datetime

import pytest

import pulse
from github_mock import GitHub

KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
TOKEN = "ghp_python_token"


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("PULSE_SECRET_KEY", KEY)
    monkeypatch.delenv("PULSE_SECRET_KEY_FILE", raising=False)


@pytest.fixture
def client(sqlite_url):
    store = pulse.open(sqlite_url)
    yield store.client("acme", create=True)
    store.close()


def test_sync_lands_pages_and_reports_progress(key, client, tmp_path):
    with GitHub() as github:
        added = client.add_github_integration("acme/api", TOKEN, api_url=github.url, incident_label="outage")
        assert added["name"] == "github:acme/api" and added["kind"] == "github"
        assert added["base_url"] == github.url
        assert added["settings"]["repo"] == "acme/api" and added["settings"]["incident_label"] == "outage"
        assert "credentials" not in added and TOKEN not in repr(added)
        assert client.integrations() == [added]

        events = []
        summary = client.sync(added["id"], progress=events.append)

        assert summary["complete"] is True
        assert (summary["pages"], summary["items"]) == (6, 2)
        assert summary["records"]["pull_requests"] == 1 and summary["records"]["repositories"] == 1
        assert summary["usage"]["requests"] == 6
        kinds = [e["event"] for e in events]
        assert kinds.count("stream_started") == kinds.count("stream_finished") == 6
        assert kinds.count("page_landed") == 6
        prs = next(e for e in events if e["event"] == "page_landed" and e["stream"] == "pull_requests")
        assert prs["items"] == 1 and prs["records"] >= 1 and prs["usage"]["requests"] >= 2
        # The token went to GitHub as a bearer header, and nowhere else.
        assert len(github.requests) == 6
        assert all(auth == f"Bearer {TOKEN}" for _, _, auth in github.requests)
        # Re-extraction rebuilds the records from the stored payloads, without a request.
        rebuilt = client.reextract(added["id"])
        assert rebuilt["pull_requests"] == 1 and rebuilt["repositories"] == 1
        assert len(github.requests) == 6
    for path in tmp_path.iterdir():
        assert TOKEN.encode() not in path.read_bytes(), f"{path.name} holds the token in clear"


def test_sync_stops_early_and_the_next_one_finishes(key, client):
    with GitHub() as github:
        added = client.add_github_integration("acme/api", TOKEN, api_url=github.url)
        partial = client.sync(added["id"], max_pages=2)
        assert partial["complete"] is False and partial["pages"] == 2
        assert partial["records"] == {"repositories": 1, "pull_requests": 1}
        assert len(github.requests) == 2
        rest = client.sync(added["id"])
        assert rest["complete"] is True and rest["pages"] == 6


def test_a_raising_progress_callback_stops_the_sync(key, client):
    with GitHub() as github:
        added = client.add_github_integration("acme/api", TOKEN, api_url=github.url)
        seen = []

        def progress(event):
            seen.append(event)
            if event["event"] == "page_landed":
                raise RuntimeError("stop here")

        with pytest.raises(RuntimeError, match="stop here"):
            client.sync(added["id"], progress=progress)
        assert [e["event"] for e in seen] == ["stream_started", "page_landed"]
        # The sync stops at its next await: at most the next stream's first request went
        # out, and nothing more landed (the pull request of that page is not there).
        assert len(github.requests) <= 2
        assert client.pr_flow("2026-01-01", "2026-01-03")["throughput"] == 0
        client.sync(added["id"])
        assert client.pr_flow("2026-01-01", "2026-01-03")["throughput"] == 1


def test_a_progress_callback_cannot_call_pulse(key, client):
    with GitHub() as github:
        added = client.add_github_integration("acme/api", TOKEN, api_url=github.url)
        with pytest.raises(pulse.PulseError, match="cannot be called from inside a progress callback"):
            client.sync(added["id"], progress=lambda event: client.integrations())


def test_missing_secret_key_is_a_configuration_error(monkeypatch, client):
    monkeypatch.delenv("PULSE_SECRET_KEY", raising=False)
    monkeypatch.delenv("PULSE_SECRET_KEY_FILE", raising=False)
    with pytest.raises(pulse.ConfigurationError, match="no secret key: set PULSE_SECRET_KEY"):
        client.add_github_integration("acme/api", TOKEN)
    monkeypatch.setenv("PULSE_SECRET_KEY", "not hex")
    with pytest.raises(pulse.ConfigurationError, match="invalid secret key"):
        client.add_jira_integration("https://acme.atlassian.net", "CHK", "bot@acme.com", TOKEN)


def test_wrong_key_and_bad_settings(key, client, monkeypatch):
    with pytest.raises(pulse.ConfigurationError, match="is not an http"):
        client.add_github_integration("acme/api", TOKEN, api_url="ftp://example.com")
    with pytest.raises(pulse.InvalidInput, match="invalid repository name"):
        client.add_github_integration("api", TOKEN)
    jira = client.add_jira_integration(
        "https://acme.atlassian.net/", "CHK", "bot@acme.com", TOKEN, incident_types=["Incident", "Outage"]
    )
    assert jira["name"] == "jira:acme.atlassian.net:CHK" and jira["kind"] == "jira"
    assert jira["settings"]["incident_types"] == ["Incident", "Outage"]
    monkeypatch.setenv("PULSE_SECRET_KEY", "f" * 64)
    with pytest.raises(pulse.ConfigurationError, match="cannot be decrypted with this secret key"):
        client.sync(jira["id"])
    with pytest.raises(pulse.NotFound) as err:
        client.sync(999)
    assert err.value.entity == "integration"


def test_upstream_errors(key, client):
    with GitHub(mode="unauthorized") as github:
        added = client.add_github_integration("acme/api", TOKEN, api_url=github.url)
        with pytest.raises(pulse.SyncError, match="HTTP 401: Bad credentials") as err:
            client.sync(added["id"])
        assert err.value.transient is False
        assert TOKEN not in str(err.value)
    with GitHub(mode="rate_limited") as github:
        added = client.add_github_integration("acme/api", TOKEN, api_url=github.url)
        with pytest.raises(pulse.RateLimited) as err:
            client.sync(added["id"])
        assert err.value.until == datetime.datetime.fromtimestamp(GitHub.RESET, datetime.timezone.utc)
        assert err.value.host == "127.0.0.1"
        assert err.value.transient is True
        assert isinstance(err.value, pulse.SyncError)
