"""Opening stores and managing clients, on both backends."""

import datetime

import pytest

import pulse
from conftest import END, FROM


def test_open_and_manage_clients(backend_url):
    with pulse.open(backend_url) as store:
        assert store.backend == backend_url.split(":")[0].replace("postgresql", "postgres")
        assert store.clients() == []
        acme = store.create_client("acme", "Acme Corp")
        assert (acme.slug, acme.name) == ("acme", "Acme Corp")
        assert isinstance(acme.id, int)
        beta = store.client("beta", create=True)
        assert beta.name == "beta"
        assert store.client("acme").id == acme.id
        listed = store.clients()
        assert [c["slug"] for c in listed] == ["acme", "beta"]
        assert listed[0]["name"] == "Acme Corp"
        assert listed[0]["id"] == acme.id
        created = listed[0]["created_at"]
        assert isinstance(created, datetime.datetime) and created.utcoffset() == datetime.timedelta(0)
        assert repr(acme) == "<pulse.Client acme>"


def test_client_errors(backend_url):
    with pulse.open(backend_url) as store:
        store.create_client("acme")
        with pytest.raises(pulse.AlreadyExists) as taken:
            store.create_client("acme")
        assert taken.value.entity == "client"
        with pytest.raises(pulse.NotFound) as missing:
            store.client("nobody")
        assert missing.value.entity == "client"
        assert "client not found" in str(missing.value)
        with pytest.raises(pulse.InvalidInput, match="invalid client slug"):
            store.client("Not A Slug", create=True)


def test_import_and_query_round_trip(backend_url, org_dir, demo):
    """The same import gives the same report on either backend as on the demo SQLite file."""
    with pulse.open(backend_url) as store:
        client = store.create_client("acme")
        counts = client.import_dir(org_dir)
        assert counts["pull_requests"] > 0 and counts["projects"] == 1
        report = client.dora(FROM, END, project="checkout", interval="month")
        assert report == demo.dora(FROM, END, project="checkout", interval="month")
        assert report["deployment_frequency"]["deployments"] > 0


def test_clients_are_isolated(backend_url, org_dir):
    with pulse.open(backend_url) as store:
        acme = store.create_client("acme")
        other = store.create_client("other")
        acme.import_dir(org_dir)
        assert acme.dora(FROM, END)["deployment_frequency"]["deployments"] > 0
        assert other.dora(FROM, END)["deployment_frequency"]["deployments"] == 0
        with pytest.raises(pulse.NotFound):
            other.dora(FROM, END, project="checkout")


def test_unsupported_url_is_invalid_input():
    with pytest.raises(pulse.InvalidInput, match="unsupported database URL scheme `mysql`"):
        pulse.open("mysql://localhost/db")


def test_unreachable_database_is_a_storage_error():
    # Port 1 on loopback: nothing listens there.
    with pytest.raises(pulse.StorageError) as err:
        pulse.open("postgres://pulse@127.0.0.1:1/pulse")
    assert err.value.kind == "unavailable"
    assert err.value.code is None
    assert "the database is unavailable" in str(err.value)
    assert "127.0.0.1" not in str(err.value), "messages carry no addresses"


def test_closed_store_raises_storage_error(sqlite_url):
    store = pulse.open(sqlite_url)
    client = store.client("acme", create=True)
    with store:
        pass
    with pytest.raises(pulse.StorageError) as err:
        client.dora(FROM, END)
    assert err.value.kind == "unavailable"
    assert "closed" in str(err.value)
    assert repr(store) == "<pulse.Store on sqlite>"


def test_exception_tree():
    assert issubclass(pulse.InvalidInput, pulse.PulseError)
    assert issubclass(pulse.ImportRejected, pulse.InvalidInput)
    assert issubclass(pulse.RateLimited, pulse.SyncError)
    for name in [
        "NotFound",
        "AlreadyExists",
        "Conflict",
        "StorageError",
        "FileError",
        "ConfigurationError",
        "SyncError",
    ]:
        cls = getattr(pulse, name)
        assert issubclass(cls, pulse.PulseError) and cls.__module__ == "pulse", name
    assert not issubclass(pulse.PulseError, (ValueError, LookupError))
