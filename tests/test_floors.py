"""CI's floor leg installs every dependency at the lower bound pyproject.toml claims."""

import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]


def floors() -> dict[str, str]:
    out = subprocess.run(
        [sys.executable, str(REPO / ".ci" / "floors.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split("==") for line in out.splitlines())


def test_every_dependency_is_pinned_at_its_lower_bound():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    expected = {}
    for text in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        req = Requirement(text)
        if not req.marker or req.marker.evaluate():
            expected[req.name] = next(s.version for s in req.specifier if s.operator != "<")
    assert floors() == expected
    assert expected["numpy"] == "2" and expected["pandas"] == "2.2.2"


def test_every_floor_has_an_upper_bound_too():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for text in project["dependencies"]:
        req = Requirement(text)
        assert any(s.operator in ("<", "==") for s in req.specifier), req
