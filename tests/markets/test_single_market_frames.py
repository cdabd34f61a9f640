"""A single-market run gives byte-identical model columns with the several-markets code.

The digests were computed on the code before several markets existed, and again when
the loss counters became exact sums (bad debt and its stages moved by at most one ulp,
every other column unchanged); `python tests/markets/test_single_market_frames.py`
prints the current code's digests.
"""

from __future__ import annotations

import hashlib

import pytest

from abm import ExchangeModel
from abm.model import FUNDING_COLUMNS  # added after the digests were taken

CASES = (
    ("calm", 1),
    ("flash_crash", 2),
    ("fund_depletion", 3),
    ("oracle_failure", 1),
    ("liquidation_cascade", 4),
)
STEPS = 520


def frame_digest(preset: str, seed: int, **settings) -> str:
    """SHA-256 of the model columns of a short run, every float written in full."""
    model = ExchangeModel(preset=preset, n_traders=100, rng=seed, **settings)
    for _ in range(STEPS):
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert (frame[list(FUNDING_COLUMNS)] == 0).all().all()
    frame = frame.drop(columns=list(FUNDING_COLUMNS))
    text = frame.to_csv(float_format="%.17g")
    return hashlib.sha256(text.encode()).hexdigest()


BEFORE = {
    ("calm", 1): "5e8a504df0f1263aa9d38f85d4e92708bbd245d1a36cad7706d14c4b9640ee2b",
    ("flash_crash", 2): "fa8053ffcc6c15d7e6c4a0e77d7cd527f21741df31a3d8dcd77f3a28b3640361",
    ("fund_depletion", 3): "307135b5df485caad2b9961e95e5f1effda0473901b931a21e3be3babd0d3e2f",
    ("oracle_failure", 1): "b09615b446958d326d92efd8d161a385ae8f08d20cecf09f214bd6c4b2d6ec05",
    ("liquidation_cascade", 4): "ccbb368305a3775351872aa713a4f9bd46c1b0f701058294dd68371a0e4ff73e",
}


@pytest.mark.parametrize(("preset", "seed"), CASES)
def test_single_market_presets_keep_their_model_columns(preset, seed):
    assert frame_digest(preset, seed) == BEFORE[preset, seed]


if __name__ == "__main__":
    for preset, seed in CASES:
        print(f'    ("{preset}", {seed}): "{frame_digest(preset, seed)}",')
