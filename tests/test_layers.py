"""Imports point down the layers: exchange < governance < agents < model < faces."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "abm"
LAYERS = {
    "exchange": 1,
    "governance": 2,
    "agents": 3,
    "model": 4,
    "params": 4,
    "datacollection": 4,
    "sample_log": 4,
    "scenarios": 5,
    "batch": 5,
    "cli": 5,
    "report": 5,
}
NO_MESA = {"exchange", "governance"}


def layer_of(module: str) -> str:
    return module.split(".")[0]


def imports(path: Path) -> set[str]:
    """Absolute names of the abm modules and third-party packages a file imports."""
    package = path.relative_to(ROOT.parent).with_suffix("").parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                found.add(".".join((*base, node.module or "")).rstrip("."))
            else:
                found.add(node.module)
    return found


FILES = [p for p in ROOT.rglob("*.py") if p.parent != ROOT or p.name != "__init__.py"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down(path):
    own = layer_of(str(path.relative_to(ROOT).with_suffix("")).replace("/", "."))
    for name in imports(path):
        if name.startswith("abm.") or name == "abm":
            target = layer_of(name.removeprefix("abm.")) if name != "abm" else "abm"
            assert target != "abm", f"{path.name} imports the package root"
            assert LAYERS[target] <= LAYERS[own], f"{path.name} ({own}) imports {name}"
        if own in NO_MESA:
            assert not name.startswith(("mesa", "solara")), f"{path.name} imports {name}"


def test_every_layer_is_known():
    tops = {p.relative_to(ROOT).parts[0].removesuffix(".py") for p in FILES}
    assert tops <= set(LAYERS)
