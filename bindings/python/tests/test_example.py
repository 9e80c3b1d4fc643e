"""examples/notebook.py runs: every pulse call in it, with matplotlib replaced by a
recorder (the suite does not install matplotlib)."""

import runpy
import sys
import types
from unittest import mock

from conftest import REPO

NOTEBOOK = REPO / "examples" / "notebook.py"


def test_notebook_runs(monkeypatch, capsys):
    pyplot = mock.MagicMock()
    axes = [[mock.MagicMock(), mock.MagicMock()], [mock.MagicMock(), mock.MagicMock()]]
    figure = mock.MagicMock()
    pyplot.subplots.return_value = (figure, axes)
    matplotlib = types.ModuleType("matplotlib")
    matplotlib.pyplot = pyplot
    monkeypatch.setitem(sys.modules, "matplotlib", matplotlib)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", pyplot)

    runpy.run_path(str(NOTEBOOK), run_name="__main__")

    out = capsys.readouterr().out
    assert "'jira_issues': 400" in out
    assert "deployment_frequency: " in out
    pyplot.show.assert_called_once()
    titles = [ax.set_title.call_args.args[0] for row in axes for ax in row]
    assert titles[0] == "Deployment frequency (per week)"
    # Each panel plotted one point per week of the six months.
    x, y = axes[0][0].plot.call_args.args
    assert 26 <= len(x) == len(y) <= 28
    assert "finished_at" in out and "incidents" in out
