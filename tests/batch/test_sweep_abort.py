"""An interrupted sweep stops its local worker processes at once."""

from __future__ import annotations

import multiprocessing

import pytest

from abm.batch import run_sweep


def test_an_interrupted_two_worker_sweep_leaves_no_worker_running(tmp_path):
    def stop(rows):
        raise KeyboardInterrupt

    grid = {"exchange.penalty_rate": [0.005, 0.01, 0.02]}
    before = set(multiprocessing.active_children())  # other tests' children in this process
    with pytest.raises(KeyboardInterrupt):
        run_sweep(
            "calm",
            grid,
            seeds=4,
            steps=200,
            overrides={"traders.count": 30},
            workers=2,
            chunk_size=1,
            out=tmp_path / "s",
            on_chunk=stop,
        )
    assert set(multiprocessing.active_children()) <= before
