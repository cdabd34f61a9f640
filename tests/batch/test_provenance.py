"""summary.json tells two checkouts apart: package version, git commit, Mesa version."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import pytest

from abm.batch import run
from abm.batch.run import package_version

REPO = Path(__file__).resolve().parents[2]


def test_summary_names_the_version_the_commit_and_mesa(tmp_path):
    run("calm", seed=1, steps=3, overrides={"traders.count": 20}, out=tmp_path / "r")
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["abm_version"] == package_version()
    assert summary["mesa_version"] == metadata.version("mesa")
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert summary["git_commit"] in (head, f"{head}-dirty")


def test_version_is_the_installed_distributions():
    try:
        expected = metadata.version("perp-fund-abm")
    except metadata.PackageNotFoundError:
        expected = "unknown"
    assert package_version() == expected
