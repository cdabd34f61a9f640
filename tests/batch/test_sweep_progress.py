"""Honest long work: ETA from the whole elapsed time, plain log lines, elapsed on record,
and a finished sweep extended with more seeds."""

import importlib
import io
import json

import pandas as pd
import pytest

from abm.batch import OutputExistsError, run_sweep
from abm.batch.progress import Progress

sweep_module = importlib.import_module("abm.batch.sweep")  # `abm.batch.sweep` is also a function


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def equal_cost_runs(monkeypatch):
    """Every run takes exactly one second of the fake clock."""
    clock = FakeClock()
    real = sweep_module.simulate

    def one_second(*args, **kwargs):
        clock.now += 1.0
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "simulate", one_second)
    return clock


class Recording(Progress):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.seen: list[tuple[int, float | None]] = []

    def update(self, done: int) -> None:
        super().update(done)
        self.seen.append((self.done, self.eta()))


def test_eta_after_half_the_runs_is_within_2x_of_the_remaining_time(equal_cost_runs, small):
    progress = Recording(clock=equal_cost_runs, stream=io.StringIO(), bar=False, log_every=1e9)
    run_sweep("calm", seeds=10, steps=3, overrides=small, chunk_size=5, progress=progress)
    # per-run progress: each run is counted as it finishes, not only at chunk ends
    assert [d for d, _ in progress.seen][:5] == [1, 2, 3, 4, 5]
    eta_at_half = next(eta for done, eta in progress.seen if done == 5)
    remaining = 5.0  # five more runs of one second each
    assert remaining / 2 <= eta_at_half <= remaining * 2
    assert progress.seen[-1] == (10, 0.0)


def test_plain_log_lines_when_stderr_is_not_a_terminal(equal_cost_runs, small, capsys):
    progress = Progress(clock=equal_cost_runs, log_every=2.0)  # stderr, captured: no tty
    result = run_sweep("calm", seeds=6, steps=3, overrides=small, chunk_size=1, progress=progress)
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "abm: 2/6 runs (33 %), elapsed 0:00:02, about 0:00:04 left",
        "abm: 4/6 runs (67 %), elapsed 0:00:04, about 0:00:02 left",
        "abm: 6/6 runs (100 %), elapsed 0:00:06",
        "abm: 6/6 runs done in 0:00:06",
    ]
    assert result.elapsed == 6.0


def test_short_sweeps_in_the_python_api_stay_quiet_off_a_terminal(small, capsys):
    run_sweep("calm", seeds=2, steps=3, overrides=small)
    assert capsys.readouterr().err == ""


def test_resume_adds_seeds_to_a_finished_sweep_and_keeps_the_elapsed_time(
    tmp_path, equal_cost_runs, small
):
    out = tmp_path / "sweep"
    grid = {"exchange.penalty_rate": [0.005, 0.02]}
    opts = {"steps": 4, "overrides": small, "out": out, "progress": Progress(clock=equal_cost_runs)}
    first = run_sweep("calm", grid, seeds=3, **opts)
    assert first.executed == 6
    assert json.loads((out / "sweep.json").read_text())["elapsed_seconds"] == 6.0
    with pytest.raises(OutputExistsError, match="may only add seeds"):
        run_sweep("calm", grid, seeds=2, resume=True, **opts)

    more = run_sweep("calm", grid, seeds=5, resume=True, **opts)
    assert more.executed == 4
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["complete"] is True and meta["seeds"] == [1, 2, 3, 4, 5]
    assert meta["elapsed_seconds"] == 10.0
    fresh = tmp_path / "fresh"
    run_sweep("calm", grid, seeds=5, **{**opts, "out": fresh})
    assert (out / "runs.parquet").read_bytes() == (fresh / "runs.parquet").read_bytes()
    assert pd.read_parquet(out / "aggregate.parquet")["runs"].tolist() == [5, 5]
