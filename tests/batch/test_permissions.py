"""Run and sweep folders and their files get the user's umask, like any other output."""

from __future__ import annotations

import os
import stat

import pytest

from abm.batch import run, run_sweep

SMALL = {"traders.count": 20}


@pytest.fixture(params=[0o022, 0o077], ids=["umask-022", "umask-077"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def assert_modes(root, umask):
    paths = [root, *root.rglob("*")]
    assert len(paths) > 2
    for path in paths:
        full = 0o777 if path.is_dir() else 0o666
        assert stat.S_IMODE(path.stat().st_mode) == full & ~umask, path


def test_a_run_folder_follows_the_umask(tmp_path, umask):
    run("calm", seed=1, steps=3, overrides=SMALL, out=tmp_path / "r")
    assert_modes(tmp_path / "r", umask)


def test_a_sweep_folder_follows_the_umask(tmp_path, umask):
    grid = {"exchange.penalty_rate": [0.01, 0.02]}
    run_sweep("calm", grid, seeds=2, steps=3, overrides=SMALL, out=tmp_path / "s")
    assert_modes(tmp_path / "s", umask)
