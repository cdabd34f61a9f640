"""A single-market run gives byte-identical model columns with the several-markets code.

The digests were computed on the code before several markets existed;
`python tests/markets/test_single_market_frames.py` prints the current code's digests.
"""

from __future__ import annotations

import hashlib

import pytest

from abm import ExchangeModel

CASES = (
    ("calm", 1),
    ("flash_crash", 2),
    ("fund_depletion", 3),
    ("oracle_failure", 1),
    ("liquidation_cascade", 4),
)
STEPS = 520
FUNDING_COLUMNS = (
    "funding_rate",
    "funding_paid_longs",
    "funding_paid_shorts",
    "pool_net_funding",
    "accrued_unsettled",
    "socialized_funding",
)
"""Columns added after the digests were taken; zero without funding."""


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
    ("flash_crash", 2): "f5959d029afc363fe6ae08aa4318d0d74a41202e67183c62977b7f9963f50ce3",
    ("fund_depletion", 3): "bd063ced701b7175da1dab1883b0924b8ecf60dc0d1a3bdab6e1e2d324d8ef22",
    ("oracle_failure", 1): "acfd855072388d962516e6d9f6b2f197f979f43beb8a3a045177d09fc269bee5",
    ("liquidation_cascade", 4): "7875e323a2e0092b92b7bbdfa1a4a3a932bda58b6587780d37641d28ee8960f3",
}


@pytest.mark.parametrize(("preset", "seed"), CASES)
def test_single_market_presets_keep_their_model_columns(preset, seed):
    assert frame_digest(preset, seed) == BEFORE[preset, seed]


if __name__ == "__main__":
    for preset, seed in CASES:
        print(f'    ("{preset}", {seed}): "{frame_digest(preset, seed)}",')
