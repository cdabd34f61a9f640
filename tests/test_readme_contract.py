"""The README's data contract lists every model column, with a unit and whether cumulative."""

from __future__ import annotations

import re
from pathlib import Path

from abm import MODEL_COLUMNS

README = Path(__file__).resolve().parents[1] / "README.md"


def contract_rows() -> dict[str, tuple[str, str]]:
    section = README.read_text().split("\n## Data\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            for name in re.findall(r"`(\w+)`", cells[0]):
                rows[name] = (cells[1], cells[2])
    return rows


def test_every_column_is_in_the_contract_with_unit_and_cumulative_flag():
    rows = contract_rows()
    assert list(rows) == list(MODEL_COLUMNS)
    for name, (unit, cumulative) in rows.items():
        assert unit, name
        assert cumulative in ("yes", "no"), name
    assert rows["liquidations"][1] == rows["liquidation_volume"][1] == "yes"
