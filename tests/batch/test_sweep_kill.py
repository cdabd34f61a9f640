"""Sweeps survive SIGKILL at any write boundary; bad sweep settings write nothing."""

import json
import multiprocessing
import os

import pandas as pd
import pytest

from abm.batch import run, run_sweep
from abm.batch.sweep import sweep_status
from abm.cli import main

GRID = {"exchange.penalty_rate": [0.005, 0.02]}


@pytest.fixture
def opts(small):
    return {"seeds": 2, "steps": 4, "overrides": small, "chunk_size": 1, "progress": False}


def test_a_sweep_killed_at_every_write_boundary_resumes_to_the_same_bytes(tmp_path, opts, kill):
    reference = tmp_path / "reference"
    run_sweep("calm", out=reference, **opts)
    expected = (reference / "runs.parquet").read_bytes()
    labels = kill.boundaries(lambda: run_sweep("calm", out=tmp_path / "count", **opts))
    assert any(label.startswith("renamed part-") for label in labels)
    assert "renamed runs.parquet" in labels and "removed parts/" in labels
    for k, label in enumerate(labels):
        out = tmp_path / f"killed-{k}"
        assert kill.at(k, lambda o=out: run_sweep("calm", out=o, **opts)) == kill.KILLED, label
        if (out / "sweep.json").exists():  # what `abm report` reads: each run once
            status = sweep_status(out)
            assert status["runs_done"] <= 2 and status["runs_total"] == 2, label
            assert (status["incomplete"] is None) == (status["runs_done"] == 2), label
        resumed = run_sweep("calm", out=out, resume=True, **opts)
        assert (out / "runs.parquet").read_bytes() == expected, label
        assert len(resumed.runs) == 2 and not (out / "parts").exists(), label
        assert not list(out.rglob(".*.tmp")), label


def test_report_marks_an_incomplete_sweep(tmp_path, opts, capsys):
    out = tmp_path / "sweep"

    def stop(rows):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep("calm", GRID, out=out, on_chunk=stop, **opts)
    assert main(["report", str(out)]) == 0
    captured = capsys.readouterr()
    assert "abm: warning: incomplete sweep: 1 of 4 runs finished" in captured.err
    assert "INCOMPLETE" in captured.out
    assert "incomplete sweep: 1 of 4 runs" in (out / "report" / "index.html").read_text()


def test_runs_merged_but_parts_not_removed_are_counted_once(tmp_path, opts):
    out = tmp_path / "sweep"
    run_sweep("calm", GRID, out=out, **opts)
    (out / "parts").mkdir()
    runs = pd.read_parquet(out / "runs.parquet")
    runs.to_parquet(out / "parts" / "part-left-behind.parquet", index=False)
    status = sweep_status(out)
    assert status["incomplete"] is None and status["runs_done"] == 4
    again = run_sweep("calm", GRID, out=out, resume=True, **opts)
    assert again.executed == 0 and len(again.runs) == 4


@pytest.mark.parametrize(
    ("option", "value"),
    [("workers", 0), ("workers", 1.5), ("workers", True), ("chunk_size", 0), ("chunk_size", -1)],
)
def test_workers_and_chunk_size_must_be_integers_of_at_least_one(tmp_path, opts, option, value):
    out = tmp_path / "sweep"
    with pytest.raises(ValueError, match=rf"{option} must be an integer >= 1, got {value!r}"):
        run_sweep("calm", GRID, out=out, **{**opts, option: value})
    assert not out.exists()


@pytest.mark.parametrize("flag", ["--chunk-size", "--workers"])
@pytest.mark.parametrize("value", ["0", "-1"])
def test_cli_refuses_counts_below_one_and_writes_nothing(tmp_path, capsys, flag, value):
    out = tmp_path / "sweep"
    assert (
        main(["sweep", "calm", "--seeds", "2", "--steps", "3", flag, value, "--out", str(out)]) == 2
    )
    err = capsys.readouterr().err.strip()
    assert err == f"abm: error: {flag} must be an integer >= 1, got {value}"
    assert not out.exists()


def test_an_unreachable_dask_address_fails_before_any_folder_is_made(tmp_path, opts, monkeypatch):
    pytest.importorskip("distributed")
    from abm.batch import executors

    monkeypatch.setattr(executors, "DASK_TIMEOUT", 1.0)
    out = tmp_path / "sweep"
    with pytest.raises(OSError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"):
        run_sweep("calm", GRID, out=out, dask="tcp://127.0.0.1:9", **opts)
    assert not out.exists()


def test_killed_runs_leave_no_temporary_folders_behind(tmp_path, small):
    dead = multiprocessing.get_context("fork").Process(target=os._exit, args=(0,))
    dead.start()
    dead.join()
    stale = tmp_path / f".r.tmp-{dead.pid}-abc"
    live = tmp_path / f".r.tmp-{os.getppid()}-def"
    for folder in (stale, live):
        folder.mkdir()
        (folder / "timeseries.parquet").write_bytes(b"half")
    run("calm", steps=3, overrides=small, out=tmp_path / "r")
    assert not stale.exists() and live.exists()
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["steps"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name, "r"]
