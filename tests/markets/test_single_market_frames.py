"""A single-market run gives byte-identical model columns with the several-markets code.

The digests were computed on the code before several markets existed, and again when
the loss counters became exact sums (bad debt and its stages moved by at most one ulp,
every other column unchanged), and again when LPs' reactions became rates per hour and
`calm` was calibrated to ordinary-day figures (docs/calibration.md);
`PYTHONPATH=. python tests/markets/test_single_market_frames.py` prints the current
code's digests.
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
    ("calm", 1): "72a5dd8a3d9a4922f42cd4576b78274457d9841e56cc0e5b173dd07063a33043",
    ("flash_crash", 2): "15a384d3336404a054dd80d93c448b9291779c226b8a5fe97c9df43ee0441a69",
    ("fund_depletion", 3): "a12377006841ec609dfd06227e1f91b2c30e5162e925c9bab7bd6db15883d6eb",
    ("oracle_failure", 1): "b09615b446958d326d92efd8d161a385ae8f08d20cecf09f214bd6c4b2d6ec05",
    ("liquidation_cascade", 4): "58426feeb698df57584dfa809fa7afc1011d41c4e0c84a08d132ab6a16d03387",
}


@pytest.mark.parametrize(("preset", "seed"), CASES)
def test_single_market_presets_keep_their_model_columns(preset, seed):
    assert frame_digest(preset, seed) == BEFORE[preset, seed]


if __name__ == "__main__":
    for preset, seed in CASES:
        print(f'    ("{preset}", {seed}): "{frame_digest(preset, seed)}",')
