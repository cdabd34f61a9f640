"""Risk formulas for linear perpetuals, vectorised over positions.

Sizes are signed base units (+ long, - short). All functions accept numpy arrays or
scalars and never loop in Python, so a margin check over every open position is one call.
"""

from __future__ import annotations

import numpy as np

from .params import ExchangeParams


def unrealized_pnl(size, entry, mark):
    """PnL of closing at `mark`: size × (mark − entry)."""
    return size * (mark - entry)


def equity(margin, size, entry, mark):
    """Collateral plus unrealised PnL."""
    return margin + size * (mark - entry)


def notional(size, mark):
    return np.abs(size) * mark


def margin_ratio(margin, size, entry, mark):
    """Equity / notional (dYdX's account margin fraction); inf for a flat position."""
    n = notional(size, mark)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, equity(margin, size, entry, mark) / n, np.inf)


def maintenance_requirement(notional_value, params: ExchangeParams):
    """Maintenance margin in quote units, flat or tiered as on Binance and Hyperliquid.

    Tiers use a maintenance amount (deduction) so the requirement is continuous:
    MM = notional × mmr_n − d_n, with d_n = d_{n−1} + floor_n × (mmr_n − mmr_{n−1}).
    """
    if not params.mm_tiers:
        return notional_value * params.maintenance_margin
    rates, deductions = tier_table(params.mm_tiers)
    floors = np.array([f for f, _ in params.mm_tiers])
    k = np.searchsorted(floors, notional_value, side="right") - 1
    return notional_value * rates[k] - deductions[k]


def tier_table(tiers: tuple[tuple[float, float], ...]) -> tuple[np.ndarray, np.ndarray]:
    """Rates and cumulative maintenance amounts (deductions) of a tier list."""
    rates = np.array([r for _, r in tiers], dtype=float)
    floors = np.array([f for f, _ in tiers], dtype=float)
    deductions = np.zeros_like(rates)
    for n in range(1, len(tiers)):
        deductions[n] = deductions[n - 1] + floors[n] * (rates[n] - rates[n - 1])
    return rates, deductions


def max_leverage_for(notional_value, params: ExchangeParams):
    """Most leverage a whole position of this notional may have when opened or added to:
    its bracket's maximum in `im_tiers` (Binance, Hyperliquid), never above
    1 / initial_margin; without tiers 1 / initial_margin at every size."""
    notional_value = np.asarray(notional_value, dtype=float)
    cap = np.full(notional_value.shape, params.max_leverage)
    if not params.im_tiers:
        return cap[()]
    floors = np.array([f for f, _ in params.im_tiers])
    levs = np.array([lev for _, lev in params.im_tiers])
    k = np.maximum(np.searchsorted(floors, notional_value, side="right") - 1, 0)
    return np.minimum(cap, levs[k])[()]


def liquidation_price(size, entry, margin, rule):
    """Price at which equity equals the maintenance requirement (isolated margin).

    `rule` is a flat maintenance rate or the market's `ExchangeParams`. In one bracket
    (rate r, maintenance amount d), margin + s (P − e) = r |s| P − d gives
    P = (s·e − margin − d) / (s − r |s|), dYdX's p' = (e − s·p)/(|s|·MMF − s). With tiers
    the bracket is the one that holds the notional |s|·P at that price, so each bracket's
    price is computed and the consistent one kept, as Binance documents; where none is
    consistent (a long that cannot be liquidated above zero) the first bracket's is given.
    """
    if not isinstance(rule, ExchangeParams):
        return _bracket_price(size, entry, margin, float(rule), 0.0)
    if not rule.mm_tiers:
        return _bracket_price(size, entry, margin, rule.maintenance_margin, 0.0)
    rates, deductions = tier_table(rule.mm_tiers)
    floors = np.array([f for f, _ in rule.mm_tiers])
    tops = np.append(floors[1:], np.inf)
    s, e, m = (a[..., None] for a in np.broadcast_arrays(*map(np.asarray, (size, entry, margin))))
    prices = _bracket_price(s, e, m, rates, deductions)
    with np.errstate(invalid="ignore"):
        held = np.abs(s) * prices
        fits = (held >= floors) & (held < tops)
    k = np.where(fits.any(axis=-1), fits.argmax(axis=-1), 0)
    return np.take_along_axis(prices, k[..., None], axis=-1)[..., 0][()]


def _bracket_price(size, entry, margin, mmr, deduction):
    size = np.asarray(size, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (size * entry - margin - deduction) / (size - mmr * np.abs(size))


def bankruptcy_price(size, entry, margin):
    """Price at which equity is zero: entry − margin / size (long below, short above)."""
    size = np.asarray(size, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return entry - margin / size


def liquidatable(margin, size, entry, mark, params: ExchangeParams):
    """Mask of open positions whose equity is below the maintenance requirement."""
    n = notional(size, mark)
    return (n > 0) & (equity(margin, size, entry, mark) < maintenance_requirement(n, params))


def adl_score(size, entry, margin, mark, ranking: str = "bitmex"):
    """Auto-deleveraging priority; higher is deleveraged first.

    bitmex: PNL% × effective leverage if PNL% > 0, else PNL% / effective leverage, with
    effective leverage = |mark value| / (mark value − bankrupt value).
    binance: (max(0, uPnL) / max(1, margin)) × (maintenance proxy / equity), here with the
    margin ratio notional / equity. hyperliquid: (mark / entry) × (notional / equity) on the
    profitable side. pnl: unrealised PnL alone.
    """
    size = np.asarray(size, dtype=float)
    side = np.sign(size)
    upnl = unrealized_pnl(size, entry, mark)
    eq = margin + upnl
    notional_value = np.abs(size) * mark
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if ranking == "bitmex":
            pnl_pct = side * (mark - entry) / entry
            eff_lev = np.where(eq > 0, notional_value / eq, np.inf)
            return np.where(pnl_pct > 0, pnl_pct * eff_lev, pnl_pct / eff_lev)
        if ranking == "binance":
            pnl_pct = np.maximum(upnl, 0.0) / np.maximum(margin, 1.0)
            ratio = np.where(eq > 0, notional_value / eq, 0.0)
            return pnl_pct * ratio
        if ranking == "hyperliquid":
            price_ratio = np.where(side > 0, mark / entry, entry / mark)
            return np.where(eq > 0, price_ratio * notional_value / eq, 0.0)
        if ranking == "pnl":
            return upnl
    raise ValueError(f"unknown adl ranking {ranking!r}")


def partial_close_fraction(equity_value, notional_value, target, cost_rate, slip=0.0):
    """Share of a position to close so the rest is back at `target` margin ratio.

    Closing a fraction f costs f N (c + slip f): a fixed rate c (penalty and half spread)
    and slippage that grows with the closed size (slip = slippage × N / depth). The rest
    keeps the margin: E − f N (c + slip f) ≥ t (1 − f) N, whose smallest root is
    f = 2 (t − r) / ((t − c) + √((t − c)² − 4 slip (t − r))) with r = E / N.
    Returns 1 where the rest cannot be made safe.
    """
    equity_value = np.asarray(equity_value, dtype=float)
    notional_value = np.asarray(notional_value, dtype=float)
    slip = np.asarray(slip, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = equity_value / notional_value
        disc = (target - cost_rate) ** 2 - 4.0 * slip * (target - ratio)
        f = 2.0 * (target - ratio) / ((target - cost_rate) + np.sqrt(np.maximum(disc, 0.0)))
    ok = (target > cost_rate) & (ratio > cost_rate) & (disc >= 0) & np.isfinite(f)
    return np.clip(np.where(ok, f, 1.0), 0.0, 1.0)
