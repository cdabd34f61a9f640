"""The default market at any number of traders.

Money in the default model is absolute and sized for 500 traders. To benchmark the same
market with more traders, every pool of money scales with the number of traders, so
positions, liquidity, fund cover and liquidator capacity keep their proportions.
"""

from __future__ import annotations

from typing import Any

BASE_TRADERS = 500
"""The population the model's default money sizes were chosen for."""

DESCRIPTION = (
    "default model, money scaled by s = n/500: initial_fund 250k·s, treasury 2M·s, "
    "LP capital 9M·s, market depth 20M·s, liquidator capital 200k·s × 5, "
    "liquidator throughput max(20, 20·s), seed 1"
)


def default_market_kwargs(n: int, seed: int = 1, **overrides: Any) -> dict[str, Any]:
    """`ExchangeModel` keywords for the default market with `n` traders."""
    s = n / BASE_TRADERS
    kwargs: dict[str, Any] = {
        "rng": seed,
        "n_traders": n,
        "initial_fund": 250e3 * s,
        "treasury": 2e6 * s,
        "lps": {"capital": 9e6 * s},
        "market": {"depth": 20e6 * s},
        "liquidators": {"capital": 200e3 * s, "throughput": max(20, int(20 * s))},
    }
    kwargs.update(overrides)
    return kwargs


def default_market(n: int, seed: int = 1, model_cls: type | None = None, **overrides: Any):
    """The default market with `n` traders (an `ExchangeModel`, or `model_cls`)."""
    if model_cls is None:
        from abm.model import ExchangeModel

        model_cls = ExchangeModel
    return model_cls(**default_market_kwargs(n, seed, **overrides))
