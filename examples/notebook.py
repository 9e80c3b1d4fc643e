# %% [markdown]
# # DORA trends of the demo organisation, in a notebook
#
# The `pulse` Python package runs the same Rust library as the `pulse` command line,
# in-process. Install it and what this notebook plots with (see the README's "Python"
# section):
#
# ```sh
# pip install ./bindings/python pandas pyarrow matplotlib
# ```
#
# Open this file in Jupyter (with jupytext) or VS Code, or run it as a script.

# %%
import datetime
import tempfile

import matplotlib.pyplot as plt

import pulse

# %% [markdown]
# Load the demo organisation — what `pulse demo` loads: project `checkout` with three
# repositories, six months of pull requests, deployments, incidents and Jira issues,
# ending today — into an embedded SQLite store.

# %%
today = datetime.datetime.now(datetime.timezone.utc).date()
store = pulse.open(f"sqlite://{tempfile.mkdtemp()}/demo.db")
acme = store.client("acme", create=True)
counts = acme.load_synthetic(end=today)
print(counts)

# %% [markdown]
# The DORA report of the last 90 days is the dict of the metric spec (what `pulse
# metrics dora --format json` prints).

# %%
to = today + datetime.timedelta(days=1)
since = to - datetime.timedelta(days=90)
report = acme.dora(since, to, project="checkout")
for metric in ["deployment_frequency", "lead_time_for_changes", "change_failure_rate", "failed_deployment_recovery_time"]:
    print(f"{metric:>32}: {report[metric]['band']}")

# %% [markdown]
# Weekly trends over the whole six months: `dora_series` returns an Arrow table, one
# row per week, which pandas (or polars) reads directly.

# %%
weekly = acme.dora_series(to - datetime.timedelta(days=182), to, interval="week", project="checkout").to_pandas()
weekly = weekly.set_index("from")

fig, axes = plt.subplots(2, 2, figsize=(12, 7), sharex=True)
panels = [
    ("deployments_per_week", "Deployment frequency (per week)"),
    ("lead_time_median_hours", "Lead time for changes (median hours)"),
    ("change_failure_rate", "Change failure rate"),
    ("recovery_median_hours", "Failed deployment recovery time (median hours)"),
]
for ax, (column, title) in zip([axes[0][0], axes[0][1], axes[1][0], axes[1][1]], panels):
    ax.plot(weekly.index, weekly[column], marker="o")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
fig.autofmt_xdate()
fig.tight_layout()
plt.show()

# %% [markdown]
# Why is the change failure rate what it is? The drill-down lists the deployments
# behind it, with the incidents linked to each.

# %%
deployments = acme.explain_table("change_failure_rate", since, to, project="checkout").to_pandas()
failed = deployments[deployments["incidents"].map(len) > 0]
print(failed[["repo", "id", "finished_at", "incidents"]].to_string(index=False))
store.close()
