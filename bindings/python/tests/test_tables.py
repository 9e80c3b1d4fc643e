"""Arrow tables: the documented columns and types, read by pyarrow, pandas and polars,
with the same values as the dict reports."""

import datetime

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import pulse
from conftest import END, FROM

UTC_TS = pa.timestamp("us", tz="UTC")
STRINGS = pa.list_(pa.field("item", pa.string()))

SERIES_SCHEMA = [
    ("from", UTC_TS),
    ("to", UTC_TS),
    ("deployments", pa.int64()),
    ("deployment_days", pa.int64()),
    ("deployments_per_week", pa.float64()),
    ("median_deployment_days_per_week", pa.float64()),
    ("median_deployment_days_per_month", pa.float64()),
    ("deployment_frequency_band", pa.string()),
    ("lead_time_changes", pa.int64()),
    ("lead_time_median_hours", pa.float64()),
    ("lead_time_p75_hours", pa.float64()),
    ("lead_time_p90_hours", pa.float64()),
    ("lead_time_mean_hours", pa.float64()),
    ("coding_median_hours", pa.float64()),
    ("pickup_median_hours", pa.float64()),
    ("review_median_hours", pa.float64()),
    ("deploy_median_hours", pa.float64()),
    ("lead_time_band", pa.string()),
    ("failed_deployments", pa.int64()),
    ("change_failure_rate", pa.float64()),
    ("change_failure_rate_band", pa.string()),
    ("recovery_incidents", pa.int64()),
    ("recovery_open_incidents", pa.int64()),
    ("recovery_median_hours", pa.float64()),
    ("recovery_band", pa.string()),
    ("restore_incidents", pa.int64()),
    ("restore_median_hours", pa.float64()),
    ("restore_band", pa.string()),
    ("rework_deployments", pa.int64()),
    ("rework_rate", pa.float64()),
]

DEPLOYMENT_SCHEMA = [
    ("repo", pa.string()),
    ("id", pa.string()),
    ("sha", pa.string()),
    ("environment", pa.string()),
    ("result", pa.string()),
    ("source", pa.string()),
    ("started_at", UTC_TS),
    ("finished_at", UTC_TS),
    ("production", pa.bool_()),
    ("previous", pa.string()),
    ("previous_sha", pa.string()),
    ("attribution", pa.string()),
    ("changes", STRINGS),
    ("pull_requests", STRINGS),
    ("rework_reasons", STRINGS),
    ("incidents", STRINGS),
]

PR_SCHEMA = [
    ("repo", pa.string()),
    ("number", pa.int64()),
    ("author", pa.string()),
    ("title", pa.string()),
    ("created_at", UTC_TS),
    ("merged_at", UTC_TS),
    ("size", pa.int64()),
    ("first_commit_sha", pa.string()),
    ("first_commit_at", UTC_TS),
    ("first_review_id", pa.string()),
    ("first_review_at", UTC_TS),
    ("coding_hours", pa.float64()),
    ("pickup_hours", pa.float64()),
    ("review_hours", pa.float64()),
    ("deploy_hours", pa.float64()),
    ("lead_time_hours", pa.float64()),
    ("deployment_repo", pa.string()),
    ("deployment_id", pa.string()),
    ("deployed_at", UTC_TS),
    ("attribution", pa.string()),
    ("reviews", pa.int64()),
    ("approved_first_time", pa.bool_()),
]

INCIDENT_SCHEMA = [
    ("id", pa.string()),
    ("title", pa.string()),
    ("created_at", UTC_TS),
    ("resolved_at", UTC_TS),
    ("repo", pa.string()),
    ("project", pa.string()),
    ("deployment_repo", pa.string()),
    ("deployment_id", pa.string()),
    ("deployment_finished_at", UTC_TS),
    ("method", pa.string()),
    ("unmatched_reference", pa.string()),
]


def parse_time(text):
    return None if text is None else datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def schema_of(table):
    return [(f.name, f.type) for f in pa.table(table).schema]


def test_dora_series_columns_and_values(demo):
    t = demo.dora_series(FROM, END, interval="month", project="checkout")
    assert isinstance(t, pulse.Table)
    assert schema_of(t) == SERIES_SCHEMA
    assert t.column_names == [name for name, _ in SERIES_SCHEMA]
    assert t.column_types["from"] == "timestamp[us, tz=UTC]"
    assert t.column_types == {name: str(kind) for name, kind in SERIES_SCHEMA}
    series = demo.dora(FROM, END, project="checkout", interval="month")["series"]
    assert len(t) == t.num_rows == len(series) == 3
    rows = pa.table(t).to_pylist()
    for row, point in zip(rows, series):
        assert row["from"] == parse_time(point["from"]) and row["to"] == parse_time(point["to"])
        df, lt = point["deployment_frequency"], point["lead_time_for_changes"]
        assert row["deployments"] == df["deployments"]
        assert row["deployment_days"] == df["deployment_days"]
        assert row["deployments_per_week"] == df["per_week"]
        assert row["median_deployment_days_per_month"] == df["median_deployment_days_per_month"]
        assert row["deployment_frequency_band"] == df["band"]
        assert row["lead_time_changes"] == lt["changes"]
        assert row["lead_time_median_hours"] == lt["median_hours"]
        assert row["lead_time_p90_hours"] == lt["p90_hours"]
        assert row["pickup_median_hours"] == lt["pickup_median_hours"]
        assert row["lead_time_band"] == lt["band"]
        cfr = point["change_failure_rate"]
        assert (row["failed_deployments"], row["change_failure_rate"], row["change_failure_rate_band"]) == (
            cfr["failed_deployments"],
            cfr["rate"],
            cfr["band"],
        )
        rec = point["failed_deployment_recovery_time"]
        assert (row["recovery_incidents"], row["recovery_open_incidents"], row["recovery_median_hours"]) == (
            rec["incidents"],
            rec["open_incidents"],
            rec["median_hours"],
        )
        assert row["recovery_band"] == rec["band"]
        res = point["time_to_restore_service"]
        assert (row["restore_incidents"], row["restore_median_hours"], row["restore_band"]) == (
            res["incidents"],
            res["median_hours"],
            res["band"],
        )
        rw = point["rework_rate"]
        assert (row["rework_deployments"], row["rework_rate"]) == (rw["rework_deployments"], rw["rate"])


def test_weeks_are_clipped_and_empty_periods_are_null(demo):
    # The org ends on 2026-11-01: the last weeks have no data.
    t = pa.table(demo.dora_series("2026-10-15", "2026-11-20", interval="week"))
    assert t.num_rows == 6
    first = t.slice(0, 1).to_pylist()[0]
    assert first["from"] == datetime.datetime(2026, 10, 15, tzinfo=datetime.timezone.utc)
    assert first["to"] == datetime.datetime(2026, 10, 19, tzinfo=datetime.timezone.utc)
    last = t.slice(5, 1).to_pylist()[0]
    assert last["deployments"] == 0
    assert last["deployments_per_week"] == 0.0
    assert last["lead_time_median_hours"] is None and last["lead_time_band"] is None
    assert last["change_failure_rate"] is None


def test_pandas_dtypes(demo):
    df = demo.dora_series(FROM, END, interval="week").to_pandas()
    assert isinstance(df, pd.DataFrame) and len(df) == 14
    assert str(df["from"].dtype) == "datetime64[us, UTC]"
    assert df["deployments"].dtype == "int64"
    assert df["lead_time_median_hours"].dtype == "float64"
    assert pd.api.types.is_string_dtype(df["lead_time_band"])
    # The same frame through pyarrow directly.
    pd.testing.assert_frame_equal(df, pa.table(demo.dora_series(FROM, END, interval="week")).to_pandas())
    prs = demo.explain_table("lead_time_for_changes", FROM, END).to_pandas()
    assert prs["approved_first_time"].dtype == "bool"
    assert prs["number"].dtype == "int64"
    assert str(prs["merged_at"].dtype) == "datetime64[us, UTC]"


def test_polars_reads_tables_directly(demo):
    t = demo.dora_series(FROM, END, interval="week")
    df = pl.DataFrame(t)
    assert df.shape == (14, len(SERIES_SCHEMA))
    assert df.schema["from"] == pl.Datetime("us", "UTC")
    assert df.schema["deployments"] == pl.Int64
    assert df.schema["rework_rate"] == pl.Float64
    assert df.schema["lead_time_band"] == pl.String
    assert df.equals(t.to_polars())
    assert pl.from_arrow(pa.table(t)).equals(df)
    deployments = pl.DataFrame(demo.explain_table("deployment_frequency", FROM, END))
    assert deployments.schema["changes"] == pl.List(pl.String)


@pytest.mark.parametrize(
    "metric, schema, key",
    [
        ("deployment_frequency", DEPLOYMENT_SCHEMA, "deployments"),
        ("change_failure_rate", DEPLOYMENT_SCHEMA, "deployments"),
        ("rework_rate", DEPLOYMENT_SCHEMA, "deployments"),
        ("lead_time_for_changes", PR_SCHEMA, "pull_requests"),
        ("failed_deployment_recovery_time", INCIDENT_SCHEMA, "incidents"),
        ("time_to_restore_service", INCIDENT_SCHEMA, "incidents"),
    ],
)
def test_explain_table_lists_the_explained_records(demo, metric, schema, key):
    t = demo.explain_table(metric, FROM, END, project="checkout")
    assert schema_of(t) == schema
    records = demo.explain(metric, FROM, END, project="checkout")[key]
    rows = pa.table(t).to_pylist()
    assert len(rows) == len(records) > 0
    for row, record in zip(rows, records):
        if key == "deployments":
            assert (row["repo"], row["id"], row["sha"]) == (record["repo"], record["id"], record["sha"])
            assert row["finished_at"] == parse_time(record["finished_at"])
            assert row["changes"] == record["changes"]
            assert row["pull_requests"] == [f"{repo}#{n}" for repo, n in record["pull_requests"]]
            assert row["incidents"] == record["incidents"]
            assert len(row["rework_reasons"]) == len(record["rework"])
            assert row["attribution"] == record["attribution"]
        elif key == "pull_requests":
            assert (row["repo"], row["number"], row["author"]) == (record["repo"], record["number"], record["author"])
            assert row["lead_time_hours"] == record["lead_time"] / 3600
            assert row["pickup_hours"] == (None if record["pickup"] is None else record["pickup"] / 3600)
            assert row["deployed_at"] == parse_time(record["deployed_at"])
            assert row["deployment_id"] == record["deployment"]["id"]
            assert row["approved_first_time"] == record["approved_first_time"]
        else:
            assert (row["id"], row["method"]) == (record["id"], record["method"])
            assert row["resolved_at"] == parse_time(record["resolved_at"])
            assert row["deployment_id"] == (record["deployment"] or {}).get("id")
    if metric == "rework_rate":
        assert all(row["rework_reasons"] for row in rows)
        reasons = {r.split(" ")[0] for row in rows for r in row["rework_reasons"]}
        assert reasons <= {"revert", "hotfix", "incident_pr", "bug_fix"} and reasons
    if metric == "change_failure_rate":
        failed = sum(1 for row in rows if row["incidents"])
        assert failed == demo.dora(FROM, END, project="checkout")["change_failure_rate"]["failed_deployments"]


def test_empty_table_keeps_its_schema(demo):
    t = demo.explain_table("lead_time_for_changes", "2020-01-01", "2020-02-01")
    assert len(t) == 0
    assert schema_of(t) == PR_SCHEMA
    assert pl.DataFrame(t).shape == (0, len(PR_SCHEMA))


def test_table_protocol_and_repr(demo):
    t = demo.explain_table("time_to_restore_service", FROM, END)
    assert hasattr(t, "__arrow_c_stream__") and hasattr(t, "__arrow_c_schema__")
    assert pa.schema(t) == pa.table(t).schema
    assert repr(t).startswith(f"pulse.Table({len(t)} rows; id: string, title: string, created_at: timestamp[us, tz=UTC]")
    # Reading the stream twice gives the same table: the table is immutable.
    assert pa.table(t).equals(pa.table(t))
    assert isinstance(t.to_pyarrow(), pa.Table) and t.to_pyarrow().equals(pa.table(t))
    # A requested schema (e.g. casting the timestamps to milliseconds) is honoured.
    requested = pa.schema([(f.name, pa.timestamp("ms", tz="UTC") if f.type == UTC_TS else f.type) for f in pa.schema(t)])
    reader = pa.RecordBatchReader.from_stream(t, schema=requested)
    assert reader.schema == requested
