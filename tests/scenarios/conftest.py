from pathlib import Path

import pytest

import abm.scenarios  # noqa: F401  (registers the model's scenario resolver)

SMALL = {"traders.count": 120, "governance.n_voters": 40, "lps.count": 4}
"""Overrides that keep a run light: fewer traders, voters and LPs."""


@pytest.fixture
def small() -> dict:
    return dict(SMALL)


@pytest.fixture
def price_csv(tmp_path):
    """Write a small price CSV and return its path; `columns` picks the header."""

    def write(rows: int = 50, columns=("timestamp", "close"), name="prices.csv") -> Path:
        lines = [",".join(columns)]
        for i in range(rows):
            stamp = f"2024-01-{1 + i // 24:02d}T{i % 24:02d}:00:00Z"
            values = {"timestamp": stamp, "close": 100 + (i % 7)}
            lines.append(",".join(str(values.get(c, 1.0)) for c in columns))
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n")
        return path

    return write
