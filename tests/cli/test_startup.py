"""The CLI starts without Mesa or pandas for what does not need them; presets load lazily."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("mesa", "pandas", "pyarrow", "networkx", "pydantic")


def loaded_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(__import__('json').dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()[-1]
    return [m for m in json.loads(out) if m.split(".")[0] in HEAVY]


@pytest.mark.parametrize("argv", [["--help"], ["list"], ["run", "--help"]])
def test_help_and_list_import_no_heavy_library(argv):
    code = (
        "import abm.cli, contextlib, io\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    abm.cli.main({argv!r})"
    )
    assert loaded_after(code) == []


def test_show_checks_a_preset_without_mesa_or_pandas():
    code = (
        "import abm.cli, contextlib, io\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n    abm.cli.main(['show', 'calm'])\n"
        "assert '[exchange]' in out.getvalue(), out.getvalue()"
    )
    assert {m.split(".")[0] for m in loaded_after(code)} == {"pydantic"}


def test_importing_the_package_loads_nothing_heavy_until_used():
    assert loaded_after("import abm") == []
    assert "mesa" in loaded_after("import abm\nabm.ExchangeModel")


def test_the_model_finds_the_scenario_loader_by_itself():
    code = (
        "from abm.model import ExchangeModel\n"
        "m = ExchangeModel(preset='thin_fund', n_traders=10)\n"
        "assert m.exchange.fund.balance == 5000.0, m.exchange.fund.balance"
    )
    loaded_after(code)
