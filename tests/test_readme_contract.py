"""The README's data contract lists every model column, with a unit and whether cumulative,
and every column of a per-market sweep's runs, with a unit and whether it sums to the
run's total."""

from __future__ import annotations

import re
from pathlib import Path

from abm import MODEL_COLUMNS
from abm.batch.metrics import ADDITIVE_MARKET_METRICS, MARKET_METRICS
from abm.batch.sweep import MARKET_FILES

README = Path(__file__).resolve().parents[1] / "README.md"


def data_section() -> str:
    return README.read_text().split("\n## Data\n", 1)[1].split("\n## ", 1)[0]


def contract_rows(part: str) -> dict[str, tuple[str, str]]:
    rows = {}
    for line in part.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            for name in re.findall(r"`(\w+)`", cells[0]):
                rows[name] = (cells[1], cells[2])
    return rows


def subsections() -> tuple[str, dict[str, str]]:
    """The Data section before its first subsection, and each subsection by heading."""
    head, *rest = re.split(r"\n### ", data_section())
    return head, {part.split("\n", 1)[0]: part for part in rest}


def test_every_column_is_in_the_contract_with_unit_and_cumulative_flag():
    head, _ = subsections()
    rows = contract_rows(head)
    assert list(rows) == list(MODEL_COLUMNS)
    for name, (unit, cumulative) in rows.items():
        assert unit, name
        assert cumulative in ("yes", "no"), name
    assert rows["liquidations"][1] == rows["liquidation_volume"][1] == "yes"


def test_every_per_market_sweep_column_is_in_the_contract_with_unit_and_additivity():
    _, parts = subsections()
    part = parts["A sweep per market"]
    rows = contract_rows(part)
    assert list(rows) == [m for m in MARKET_METRICS if m in rows]
    assert set(rows) == set(MARKET_METRICS)
    for name, (unit, additive) in rows.items():
        assert unit, name
        assert additive in ("yes", "no"), name
    assert {n for n, (_, a) in rows.items() if a == "yes"} == set(ADDITIVE_MARKET_METRICS)
    assert "`point`, `seed`" in part and "`market`" in part
    text = README.read_text()
    assert all(f"`{name}" in text for name in MARKET_FILES)
