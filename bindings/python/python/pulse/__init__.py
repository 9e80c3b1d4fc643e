"""Pulse for notebooks: DORA metrics, pull-request flow and Jira flow from the same Rust
library as the ``pulse`` command line, with no server in between.

    import pulse

    store = pulse.open("sqlite:///tmp/org.db")
    acme = store.client("acme", create=True)
    acme.import_dir("/tmp/org")
    report = acme.dora("2026-08-01", "2026-11-01", project="checkout")   # dict, spec §5
    weekly = acme.dora_series("2026-08-01", "2026-11-01", interval="week").to_pandas()

Reports are plain dicts (the JSON ``pulse … --format json`` prints); time series and
drill-downs are :class:`Table` objects implementing the Arrow PyCapsule interface, so
``pyarrow.table(t)``, ``polars.DataFrame(t)`` and ``t.to_pandas()`` read them directly.
Long calls release the GIL and stop on Ctrl-C. Errors are subclasses of
:class:`PulseError`.
"""

from ._native import (
    AlreadyExists,
    Client,
    ConfigurationError,
    Conflict,
    FileError,
    ImportRejected,
    InvalidInput,
    NotFound,
    PulseError,
    RateLimited,
    StorageError,
    Store,
    SyncError,
    Table,
    __version__,
    generate,
    open,
)

__all__ = [
    "AlreadyExists",
    "Client",
    "ConfigurationError",
    "Conflict",
    "FileError",
    "ImportRejected",
    "InvalidInput",
    "NotFound",
    "PulseError",
    "RateLimited",
    "StorageError",
    "Store",
    "SyncError",
    "Table",
    "__version__",
    "generate",
    "open",
]
