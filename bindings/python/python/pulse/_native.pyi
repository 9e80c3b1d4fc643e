"""Type stubs of the native module ``pulse._native`` (re-exported by ``pulse``).

Dates (``from_``, ``to``, ``end``) are a ``datetime`` (a naive one is taken as UTC), a
``date`` (midnight UTC), or a string ``YYYY-MM-DD`` / RFC 3339 as on the command line.
A window is ``[from_, to)``. Every call that touches the database releases the GIL, and
Ctrl-C (``KeyboardInterrupt``) interrupts it without leaving a partial write.
"""

import datetime
from collections.abc import Callable
from os import PathLike
from typing import Any, Literal, TypeAlias

__version__: str

_When: TypeAlias = datetime.datetime | datetime.date | str
_Benchmark: TypeAlias = Literal["dora-2023", "dora-2021"]
_Interval: TypeAlias = Literal["week", "month"]
_Metric: TypeAlias = Literal[
    "deployment_frequency",
    "lead_time_for_changes",
    "change_failure_rate",
    "failed_deployment_recovery_time",
    "time_to_restore_service",
    "rework_rate",
]

def open(url: str) -> Store:
    """Opens ``sqlite:///path/file.db`` (created when missing) or
    ``postgres://user@host/db`` and applies pending schema migrations."""

def generate(
    out: str | PathLike[str],
    *,
    scale: Literal["small", "large"] = "small",
    seed: int = 42,
    end: _When | None = None,
) -> dict[str, int]:
    """Writes a deterministic synthetic organisation in the import format into ``out``
    (like ``pulse generate``); ``end`` defaults to 2026-11-01. Returns the records per
    entity (``commits``, ``pull_requests``, …)."""

class Store:
    """An open database. A context manager: leaving the ``with`` block closes it."""

    @property
    def backend(self) -> Literal["sqlite", "postgres"]: ...
    def client(self, slug: str, *, create: bool = False) -> Client:
        """The client with this slug; ``NotFound`` unless it exists or ``create`` is true."""
    def create_client(self, slug: str, name: str | None = None) -> Client:
        """Creates a client (``AlreadyExists`` when the slug is taken)."""
    def clients(self) -> list[dict[str, Any]]:
        """Every client: ``{"id": int, "slug": str, "name": str, "created_at": datetime}``."""
    def close(self) -> None: ...
    def __enter__(self) -> Store: ...
    def __exit__(self, *exc: object) -> bool: ...

class Client:
    """One client (tenant); everything it reads and writes is that client's."""

    @property
    def slug(self) -> str: ...
    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    def import_dir(self, path: str | PathLike[str]) -> dict[str, int]:
        """Imports a directory in the JSON Lines import format, all or nothing, then
        refreshes the metric facts. Returns the records written per entity. Bad input
        raises ``ImportRejected`` (``.file``, ``.line``, ``.field``, ``.problem``)."""
    def load_synthetic(
        self,
        *,
        scale: Literal["small", "large"] = "small",
        seed: int = 42,
        end: _When | None = None,
    ) -> dict[str, int]:
        """Loads the synthetic organisation straight into this client (``scale="small"``
        is the demo organisation of ``pulse demo``: project ``checkout``, 3 repositories,
        six months ending at ``end``, default 2026-11-01). Returns the records per entity."""
    def refresh_facts(self) -> dict[str, int | float]:
        """Re-derives the metric facts. Keys: ``version``, ``deployments``,
        ``pull_requests``, ``incidents``, ``issues``, ``new_diffs``, ``load_seconds``,
        ``derive_seconds``, ``store_seconds``, ``seconds``."""
    def dora(
        self,
        from_: _When,
        to: _When,
        *,
        project: str | None = None,
        repo: str | None = None,
        team: str | None = None,
        benchmark: _Benchmark = "dora-2023",
        interval: _Interval | None = None,
    ) -> dict[str, Any]:
        """The DORA report of metric spec §5, exactly what ``pulse metrics dora --format
        json`` prints: ``scope``, ``benchmark``, ``deployment_sources``,
        ``deployment_frequency``, ``lead_time_for_changes``, ``change_failure_rate``,
        ``failed_deployment_recovery_time``, ``time_to_restore_service``,
        ``rework_rate``, and with ``interval`` also ``interval`` and ``series``."""
    def dora_series(
        self,
        from_: _When,
        to: _When,
        *,
        interval: _Interval = "week",
        project: str | None = None,
        repo: str | None = None,
        team: str | None = None,
        benchmark: _Benchmark = "dora-2023",
    ) -> Table:
        """The DORA time series, one row per week (Monday to Sunday) or calendar month,
        clipped to the window; the values of the report's ``series``. Columns (Arrow type):

        - ``from``, ``to``: timestamp[us, tz=UTC]
        - ``deployments``, ``deployment_days``: int64; ``deployments_per_week``,
          ``median_deployment_days_per_week``, ``median_deployment_days_per_month``:
          double; ``deployment_frequency_band``: string
        - ``lead_time_changes``: int64; ``lead_time_median_hours``,
          ``lead_time_p75_hours``, ``lead_time_p90_hours``, ``lead_time_mean_hours``,
          ``coding_median_hours``, ``pickup_median_hours``, ``review_median_hours``,
          ``deploy_median_hours``: double; ``lead_time_band``: string
        - ``failed_deployments``: int64; ``change_failure_rate``: double;
          ``change_failure_rate_band``: string
        - ``recovery_incidents``, ``recovery_open_incidents``: int64;
          ``recovery_median_hours``: double; ``recovery_band``: string (failed
          deployment recovery time)
        - ``restore_incidents``: int64; ``restore_median_hours``: double;
          ``restore_band``: string (time to restore service)
        - ``rework_deployments``: int64; ``rework_rate``: double

        Bands are ``elite``, ``high``, ``medium``, ``low`` or null (no data); a metric
        over no items is null."""
    def pr_flow(
        self,
        from_: _When,
        to: _When,
        *,
        project: str | None = None,
        repo: str | None = None,
        team: str | None = None,
    ) -> dict[str, Any]:
        """Pull-request flow, what ``pulse metrics prs --format json`` prints:
        ``scope``, ``throughput``, ``size``, ``coding``, ``pickup``, ``review``,
        ``deploy``, ``reviews``, ``work_in_progress``."""
    def jira_flow(
        self,
        from_: _When,
        to: _When,
        *,
        project: str | None = None,
        repo: str | None = None,
        team: str | None = None,
    ) -> dict[str, Any]:
        """Jira flow, what ``pulse metrics jira --format json`` prints: ``scope``,
        ``resolved``, ``cycle_time``, ``lead_time``, ``throughput_by_type``,
        ``bug_share``, ``flow_efficiency``, ``time_in_status``."""
    def explain(
        self,
        metric: _Metric,
        from_: _When,
        to: _When,
        *,
        project: str | None = None,
        repo: str | None = None,
        team: str | None = None,
        benchmark: _Benchmark = "dora-2023",
    ) -> dict[str, Any]:
        """The records behind one DORA metric, what ``pulse explain dora --metric
        METRIC --format json`` prints: ``scope``, ``benchmark``, ``metric``, ``values``
        and ``deployments``, ``pull_requests`` or ``incidents`` (absent when empty)."""
    def explain_table(
        self,
        metric: _Metric,
        from_: _When,
        to: _When,
        *,
        project: str | None = None,
        repo: str | None = None,
        team: str | None = None,
        benchmark: _Benchmark = "dora-2023",
    ) -> Table:
        """The records behind one DORA metric as a table, one row per record.

        Deployments (``deployment_frequency``, ``change_failure_rate``, ``rework_rate``):
        ``repo``, ``id``, ``sha``, ``environment``, ``result`` (SUCCESS/FAILURE),
        ``source``: string; ``started_at``, ``finished_at``: timestamp[us, tz=UTC];
        ``production``: bool; ``previous``, ``previous_sha``, ``attribution`` (graph,
        time or null): string; ``changes`` (commit shas), ``pull_requests``
        (``owner/name#number``), ``rework_reasons`` (e.g. ``revert (PR 12)``),
        ``incidents`` (linked incident ids): list<string>.

        Pull requests (``lead_time_for_changes``): ``repo``: string; ``number``: int64;
        ``author``, ``title``: string; ``created_at``, ``merged_at``:
        timestamp[us, tz=UTC]; ``size``: int64; ``first_commit_sha``: string;
        ``first_commit_at``: timestamp; ``first_review_id``: string;
        ``first_review_at``: timestamp; ``coding_hours``, ``pickup_hours``,
        ``review_hours``, ``deploy_hours``, ``lead_time_hours``: double;
        ``deployment_repo``, ``deployment_id``: string; ``deployed_at``: timestamp;
        ``attribution``: string; ``reviews``: int64; ``approved_first_time``: bool.

        Incidents (``failed_deployment_recovery_time``, ``time_to_restore_service``):
        ``id``, ``title``: string; ``created_at``, ``resolved_at``: timestamp;
        ``repo``, ``project``, ``deployment_repo``, ``deployment_id``: string;
        ``deployment_finished_at``: timestamp; ``method`` (explicit, inferred or null),
        ``unmatched_reference``: string."""
    def integrations(self) -> list[dict[str, Any]]:
        """``{"id", "name", "kind", "base_url", "settings", "created_at"}`` per
        integration; credentials are never returned."""
    def add_github_integration(
        self,
        repo: str,
        token: str,
        *,
        api_url: str = "https://api.github.com",
        deploy_workflow: str | None = None,
        incident_label: str | None = None,
    ) -> dict[str, Any]:
        """Adds (or updates) the GitHub integration of ``owner/name``; the token is
        sealed with the key in ``PULSE_SECRET_KEY`` (``ConfigurationError`` without one)."""
    def add_jira_integration(
        self,
        site: str,
        project: str,
        email: str,
        token: str,
        *,
        incident_types: list[str] | None = None,
        story_points_field: str | None = None,
        development_field: str | None = None,
    ) -> dict[str, Any]:
        """Adds (or updates) the Jira Cloud integration of ``project`` on ``site``."""
    def sync(
        self,
        integration_id: int,
        *,
        progress: Callable[[dict[str, Any]], object] | None = None,
        max_pages: int | None = None,
    ) -> dict[str, Any]:
        """Fetches what changed from one integration (needs ``PULSE_SECRET_KEY``).
        ``progress`` gets ``{"event": "stream_started" | "page_landed" |
        "stream_finished", "stream": str}`` plus, for pages, ``items``, ``records`` and
        ``usage``; an exception it raises stops the sync and propagates. Returns
        ``{"pages", "items", "records": {entity: n}, "usage": {...}, "complete"}``."""
    def reextract(self, integration_id: int) -> dict[str, int]:
        """Rebuilds one integration's records from its stored raw payloads without a
        request (``pulse sync --reextract``); returns the records per entity."""

class Table:
    """Results as Arrow data. Implements the Arrow PyCapsule interface, so
    ``pyarrow.table(t)``, ``polars.DataFrame(t)`` and ``pandas`` (through pyarrow) read it."""

    @property
    def num_rows(self) -> int: ...
    @property
    def column_names(self) -> list[str]: ...
    @property
    def column_types(self) -> dict[str, str]:
        """Column name → Arrow type as pyarrow names it (``int64``, ``double``,
        ``string``, ``bool``, ``timestamp[us, tz=UTC]``, ``list<item: string>``)."""
    def __len__(self) -> int: ...
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...
    def __arrow_c_schema__(self) -> object: ...
    def to_pyarrow(self) -> Any:
        """A ``pyarrow.Table`` (needs pyarrow)."""
    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` (needs pandas and pyarrow): timestamps become
        ``datetime64[us, UTC]``, int64 ``int64``, double ``float64``, strings ``str``,
        bool ``bool``, lists arrays of ``str``."""
    def to_polars(self) -> Any:
        """A ``polars.DataFrame`` (needs polars)."""

class PulseError(Exception):
    """Base class of every error the pulse library raises."""

class InvalidInput(PulseError):
    """A value did not parse: a date, a metric name, a slug, a database URL, …"""

class ImportRejected(InvalidInput):
    """An import was rejected; nothing was written."""

    file: str
    line: int | None
    field: str | None
    problem: str

class NotFound(PulseError):
    """The record does not exist for this client."""

    entity: str

class AlreadyExists(PulseError):
    entity: str

class Conflict(PulseError):
    """The record changed meanwhile; nothing was done."""

    entity: str

class StorageError(PulseError):
    """The database failed or refused the operation."""

    kind: Literal["unavailable", "rejected", "migration", "corrupt", "other"]
    code: str | None

class FileError(PulseError):
    """Reading or writing a file failed."""

    path: str

class ConfigurationError(PulseError):
    """The secret key, an integration's settings or URL must be fixed first."""

class SyncError(PulseError):
    """Fetching from an upstream API failed."""

    transient: bool

class RateLimited(SyncError):
    """A rate limit would keep the sync waiting longer than allowed."""

    host: str
    until: datetime.datetime
