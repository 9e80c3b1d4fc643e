"""Fixtures of the pulse Python suite: stores on SQLite files and fresh PostgreSQL
databases, the generated demo organisation, and the `pulse` binary for comparisons."""

import glob
import os
import shutil
import subprocess
import urllib.parse
import uuid
from pathlib import Path

import pytest

import pulse

REPO = Path(__file__).resolve().parents[3]

# The demo organisation ends here; the last quarter has data for every metric.
END = "2026-11-01"
FROM = "2026-08-01"


@pytest.fixture(scope="session")
def org_dir(tmp_path_factory):
    """The small synthetic organisation in the import format (seed 42, ending 2026-11-01)."""
    out = tmp_path_factory.mktemp("org")
    counts = pulse.generate(out)
    assert counts["repositories"] == 3
    return out


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory, org_dir):
    """A SQLite file whose client `acme` imported the organisation. Read-only for tests."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    url = f"sqlite://{path}"
    with pulse.open(url) as store:
        store.client("acme", create=True).import_dir(org_dir)
    return url


@pytest.fixture
def demo(demo_db):
    """The client `acme` of `demo_db`."""
    store = pulse.open(demo_db)
    yield store.client("acme")
    store.close()


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite://{tmp_path / 'pulse.db'}"


def _psql():
    found = shutil.which("psql")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))
    return candidates[-1] if candidates else None


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database for one test, from PULSE_TEST_PG_URL (an ordinary role
    with CREATEDB). Without it the test is skipped, unless PULSE_REQUIRE_ALL_BACKENDS=1
    (scripts/test sets it), as for the Rust suites."""
    base = os.environ.get("PULSE_TEST_PG_URL")
    if not base:
        if os.environ.get("PULSE_REQUIRE_ALL_BACKENDS") == "1":
            pytest.fail("PULSE_TEST_PG_URL is not set but PULSE_REQUIRE_ALL_BACKENDS=1")
        pytest.skip("PULSE_TEST_PG_URL is not set")
    psql = _psql()
    if psql is None:
        pytest.fail("psql is needed to create a test database")
    # Like the Rust suites' test databases, it is left behind: the cluster of scripts/test
    # is thrown away, and dropping would have to wait for PostgreSQL's own workers.
    name = f"pulse_py_{uuid.uuid4().hex[:16]}"
    created = subprocess.run(
        [psql, base, "-q", "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {name}"], capture_output=True, text=True
    )
    assert created.returncode == 0, f"CREATE DATABASE {name}: {created.stderr}"
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(params=["sqlite", "postgres"])
def backend_url(request):
    """Each backend once, on a fresh database."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture(scope="session")
def pulse_bin():
    """The `pulse` binary (scripts/test builds it; PULSE_BIN overrides the path)."""
    path = Path(os.environ.get("PULSE_BIN", REPO / "target" / "debug" / "pulse"))
    if not path.is_file():
        pytest.fail(f"{path} is missing: build it with `cargo build -p pulse-server`")
    return path
