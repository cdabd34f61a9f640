"""How one governance decision applies to a venue of several markets (docs/markets.md,
"Governance over several markets").

A proposal is stated in the reference (first) market's terms, the values governance
reads. Two rules turn it into each market's parameters:

* Margins scale. A new initial (or maintenance) margin for the reference market moves
  every market's by the same factor, its notional brackets with it, so that the ratios
  between liquidity tiers hold: dYdX v4 keeps margins per liquidity tier and governance
  sets them tier by tier (`MsgSetLiquidityTier`: `initial_margin_ppm`,
  `maintenance_fraction_ppm`, dydxprotocol/v4-chain `x/perpetuals`), which one proposal
  here does in proportion for every tier.
* Everything else is venue-wide. The penalty, its split, fee shares, the fund target,
  fees and the borrow rate take the proposed value in every market, as dYdX v4's
  liquidation fee (`max_liquidation_fee_ppm`) sits in one `LiquidationsConfig` for all
  markets (x/clob, genesis `liquidations_config`).

A change is all or none: each market's new parameters are validated before any is set,
and an error names the market.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .params import ExchangeParams

MARGIN_FIELDS = ("initial_margin", "maintenance_margin")
"""Governable fields that scale per market instead of taking one venue-wide value."""


def scaled(params: ExchangeParams, name: str, factor: float) -> dict:
    """The fields that move when `name` (a margin) is multiplied by `factor`: the rate
    and its brackets (maximum leverage divided, maintenance rates multiplied)."""
    out: dict = {name: getattr(params, name) * factor}
    if name == "initial_margin" and params.im_tiers:
        out["im_tiers"] = tuple((floor, lev / factor) for floor, lev in params.im_tiers)
    if name == "maintenance_margin" and params.mm_tiers:
        out["mm_tiers"] = tuple((floor, rate * factor) for floor, rate in params.mm_tiers)
    return out


def venue_change(
    markets: Sequence[tuple[str, ExchangeParams]], name: str, value: float
) -> list[ExchangeParams]:
    """Each market's parameters after setting `name` to `value` on the venue, the first
    market being the reference; raises ValueError naming the market that refuses it."""
    ref = markets[0][1]
    out = []
    for k, (market, params) in enumerate(markets):
        changes = {name: value}
        if name in MARGIN_FIELDS:
            changes = scaled(params, name, value / getattr(ref, name))
            if k == 0:
                changes[name] = value  # the reference takes the value as proposed
        try:
            out.append(params.updated(**changes))
        except ValueError as exc:
            raise ValueError(f"market {market}: {exc}") from None
    return out


def injection_split(amount: float, gaps: Sequence[float], open_interest: Sequence[float]):
    """Parts of a treasury injection into isolated funds: in proportion to each market's
    gap to its fund target; with no gap anywhere, to its open interest; with no open
    interest either, in equal parts."""
    for weights in (np.maximum(np.asarray(gaps, float), 0.0), np.asarray(open_interest, float)):
        if weights.sum() > 0:
            return (amount * weights / weights.sum()).tolist()
    n = len(gaps)
    return [amount / n] * n
