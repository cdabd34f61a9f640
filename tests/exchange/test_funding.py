"""Funding rules against hand-computed numbers, their interval and clamp, and the pool's side."""

import numpy as np
import pytest
from conftest import book_on_vault

from abm.exchange import ExchangeParams, MarketParams
from abm.exchange.funding import AdaptiveFunding, interval_rate, premium

FLAT = MarketParams(annual_vol=0.0, jump_intensity=0.0, impact=0.0)
IM, MM = 0.05, 0.025


@pytest.mark.parametrize(
    ("rule", "p", "expected"),
    [
        ("dydx_v4", 0.001, (0.001 + 0.0001) / 8),
        ("dydx_v4", 0.5, 6 * (IM - MM) / 8),  # clamp: 600 % of IM − MM
        ("dydx_v4", -0.0001, 0.0),
        ("hyperliquid", 0.0003, 0.0001 / 8),  # inside the dampener: the interest rate
        ("hyperliquid", 0.002, (0.002 - 0.0005) / 8),
        ("hyperliquid", 1.0, 0.04),  # cap 4 % an hour
        ("binance", 0.002, 0.0015),
        ("binance", -0.0002, -0.0002 + 0.0003),
        ("binance", 0.1, MM),  # cap: the maintenance margin ratio
        ("bitmex", 0.002, 0.0015),
        ("bitmex", -0.1, -0.75 * (IM - MM)),  # cap 75 % of IM − MM
        ("drift_v2", 0.01, (0.01 + 1 / 5000) / 24),
        ("drift_v2", 0.1, (1 / 33) / 24),  # 3 % divergence clamp, then / 24
        ("drift_v2", -0.1, -(1 / 33) / 24),
    ],
)
def test_interval_rates_match_the_venues_formulas(rule, p, expected):
    assert interval_rate(rule, p, IM, MM) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_premium_from_impact_prices_has_a_dead_zone_and_drift_uses_the_mid():
    assert premium("binance", 1.01, 0.002) == pytest.approx(1.01 * 0.998 - 1)
    assert premium("binance", 0.99, 0.002) == pytest.approx(0.99 * 1.002 - 1)
    assert premium("binance", 1.001, 0.002) == 0.0
    assert premium("drift_v2", 1.001, 0.002) == pytest.approx(0.001)


def test_gmx_adaptive_funding_rises_to_its_cap_and_turns_with_the_skew():
    f = AdaptiveFunding()
    step = 0.5 * 0.9 / 8760 / 3  # imbalance (3 − 1) / 4 per hour at 90 %/year per 3 h
    assert f.update(3e6, 1e6, 1.0) == pytest.approx(step)
    for _ in range(5):
        f.update(3e6, 1e6, 1.0)
    assert f.factor == pytest.approx(0.9 / 8760)  # six hours: the cap
    assert f.update(3e6, 1e6, 1.0) == pytest.approx(0.9 / 8760)  # held at the cap
    f.update(1e6, 3e6, 1.0)  # skew flips: it moves towards shorts paying
    assert f.factor == pytest.approx(0.9 / 8760 - step)
    assert f.update(2e6, 2e6, 1.0) == pytest.approx(0.9 / 8760 - step)  # balanced: holds


def skewed(rule, slippage=0.1, vault=1_000_000.0, **kw):
    """Longs of 150k and a short of 50k notional at 100 on a flat market."""
    params = dict(
        initial_margin=IM,
        maintenance_margin=MM,
        taker_fee=0.0,
        borrow_rate=0.0,
        half_spread=0.0002,
        slippage=slippage,
        funding_rule=rule,
    )
    params.update(kw)
    book = [(1_000.0, 100.0, 20_000.0), (500.0, 100.0, 10_000.0), (-500.0, 100.0, 10_000.0)]
    return book_on_vault(ExchangeParams(**params), FLAT, book, vault=vault)


def margins(ex):
    return ex.book.margin.copy()


def test_binance_pays_every_eight_hours_from_the_pool_skew():
    ex = skewed("binance")
    before, vault = margins(ex), ex.vault.balance
    x = 0.1 * (1_500 - 500) * 100 / 1_000_000  # pool mid 1 % above the index
    reach = 0.0002 + 0.1 * (500 / IM) / 1_000_000
    rate = (1 + x) * (1 - reach) - 1 - 0.0005  # impact bid premium, less the dampener
    for _ in range(7):
        ex.begin_step()
    assert np.array_equal(margins(ex), before)  # nothing before the interval
    ex.begin_step()
    paid = before - margins(ex)
    assert paid == pytest.approx(np.array([1_000, 500, -500]) * 100 * rate, rel=1e-12)
    assert ex.vault.balance - vault == pytest.approx(1_000 * 100 * rate, rel=1e-12)
    assert ex.funding_rate == pytest.approx(rate / 8)
    assert ex.stats.funding_paid_longs == pytest.approx(1_500 * 100 * rate)
    assert ex.stats.funding_paid_shorts == pytest.approx(-500 * 100 * rate)
    assert ex.stats.pool_net_funding == pytest.approx(1_000 * 100 * rate)
    ex.check()


def test_a_crowded_pool_hits_the_clamp():
    ex = skewed("binance", slippage=1.0)  # mid 10 % above the index
    for _ in range(8):
        ex.begin_step()
    assert ex.funding_rate == pytest.approx(MM / 8)
    assert 20_000.0 - ex.book.margin[0] == pytest.approx(1_000 * 100 * MM)


def test_dydx_pays_an_eighth_of_its_eight_hour_rate_every_hour():
    ex = skewed("dydx_v4", slippage=0.0)  # no skew: the default funding alone
    ex.begin_step()
    assert 20_000.0 - ex.book.margin[0] == pytest.approx(1_000 * 100 * 0.0001 / 8, rel=1e-12)
    assert ex.book.margin[2] - 10_000.0 == pytest.approx(500 * 100 * 0.0001 / 8, rel=1e-12)


def test_gmx_larger_side_pays_the_smaller_and_the_pool_keeps_nothing():
    ex = skewed("gmx_v2")
    vault = ex.vault.balance
    for _ in range(10):
        ex.begin_step()
    paid = 40_000.0 - ex.book.margin.sum()
    assert paid == pytest.approx(0.0, abs=1e-9)
    assert ex.book.margin[2] > 10_000.0
    assert ex.vault.balance == pytest.approx(vault, abs=1e-9)
    assert ex.stats.funding_paid_longs == pytest.approx(-ex.stats.funding_paid_shorts)


@pytest.mark.parametrize("rule", ["hyperliquid", "gmx_v2", "drift_v2"])
def test_funding_is_zero_sum_between_longs_shorts_and_pool_over_a_long_run(rule):
    market = MarketParams(annual_vol=0.8, impact=0.0)
    params = ExchangeParams(
        initial_margin=0.2,
        maintenance_margin=0.01,
        taker_fee=0.0,
        borrow_rate=0.0,
        funding_rule=rule,
        slippage=1.0,
    )
    book = [(1_000.0, 100.0, 100_000.0), (200.0, 100.0, 20_000.0), (-400.0, 100.0, 40_000.0)]
    ex = book_on_vault(params, market, book, rng=np.random.default_rng(5))
    before, vault = margins(ex), ex.vault.balance
    for _ in range(3_000):
        ex.begin_step()
        ex.ledger.verify()
    change = margins(ex) - before
    st = ex.stats
    assert st.funding_paid_longs != 0
    assert -change[:2].sum() == pytest.approx(st.funding_paid_longs, rel=1e-9)
    assert -change[2] == pytest.approx(st.funding_paid_shorts, rel=1e-9)
    assert ex.vault.balance - vault == pytest.approx(st.pool_net_funding, rel=1e-9, abs=1e-6)
    total = st.funding_paid_longs + st.funding_paid_shorts - st.pool_net_funding
    assert abs(total) <= ex.ledger.rounding_budget
    ex.check()


def test_a_thin_pool_never_quotes_a_mid_at_or_below_zero():
    from abm.exchange.funding import MAX_SLIP, pool_skew

    # 1,000 units short against a depth of 10 at slippage 1: unclamped, -10 000 %
    assert pool_skew(0.0, 1_000.0, 100.0, 10.0, 1.0) == -MAX_SLIP
    assert pool_skew(1_000.0, 0.0, 100.0, 10.0, 1.0) == MAX_SLIP
    assert pool_skew(3.0, 1.0, 100.0, 10_000.0, 0.1) == pytest.approx(0.002)
