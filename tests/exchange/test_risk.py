"""Risk formulas against hand-computed numbers."""

import numpy as np
import pytest

from abm.exchange import ExchangeParams, risk


def test_unrealized_pnl_long_and_short():
    assert risk.unrealized_pnl(2.0, 100.0, 110.0) == pytest.approx(20.0)
    assert risk.unrealized_pnl(-2.0, 100.0, 110.0) == pytest.approx(-20.0)
    assert risk.unrealized_pnl(-2.0, 100.0, 90.0) == pytest.approx(20.0)


def test_margin_ratio_is_equity_over_notional():
    # margin 10, long 1 from 100, mark 95: equity 5 on a notional of 95
    assert risk.margin_ratio(10.0, 1.0, 100.0, 95.0) == pytest.approx(5 / 95)
    assert risk.margin_ratio(10.0, 0.0, 0.0, 95.0) == np.inf


def test_liquidation_price_long_matches_dydx_formula():
    # 10x long: margin 10 on 1 unit at 100, MMR 5 %: (100 - 10) / (1 - 0.05)
    p = risk.liquidation_price(1.0, 100.0, 10.0, 0.05)
    assert p == pytest.approx(94.736842105)
    # dYdX v4 isolated: p' = (e - s p) / (|s| MMF - s), e = equity at entry
    assert p == pytest.approx((10.0 - 1.0 * 100.0) / (1.0 * 0.05 - 1.0))
    # at that price, equity is exactly the maintenance requirement
    assert risk.equity(10.0, 1.0, 100.0, p) == pytest.approx(0.05 * p)


def test_liquidation_price_short():
    p = risk.liquidation_price(-1.0, 100.0, 10.0, 0.05)
    assert p == pytest.approx(110.0 / 1.05)
    assert risk.equity(10.0, -1.0, 100.0, p) == pytest.approx(0.05 * p)


def test_bankruptcy_price_is_entry_times_one_minus_inverse_leverage():
    assert risk.bankruptcy_price(1.0, 100.0, 10.0) == pytest.approx(90.0)
    assert risk.bankruptcy_price(-1.0, 100.0, 10.0) == pytest.approx(110.0)
    assert risk.equity(10.0, 1.0, 100.0, 90.0) == pytest.approx(0.0)


def test_tiered_maintenance_is_continuous_with_deductions():
    tiers = ((0.0, 0.004), (50_000.0, 0.005), (250_000.0, 0.01))
    params = ExchangeParams(mm_tiers=tiers)
    rates, deductions = risk.tier_table(tiers)
    assert rates.tolist() == [0.004, 0.005, 0.01]
    assert deductions.tolist() == pytest.approx([0.0, 50.0, 1300.0])
    assert risk.maintenance_requirement(100_000.0, params) == pytest.approx(450.0)
    below, above = risk.maintenance_requirement(np.array([49_999.999, 50_000.0]), params)
    assert above - below == pytest.approx(0.0, abs=1e-4)
    assert risk.maintenance_requirement(1_000.0, ExchangeParams()) == pytest.approx(25.0)


def test_bitmex_adl_rank():
    # long 1 from 100, margin 10, mark 120: PNL% 0.2; mark value 120, bankrupt value 90
    score = risk.adl_score(1.0, 100.0, 10.0, 120.0, "bitmex")
    assert score == pytest.approx(0.2 * 120.0 / (120.0 - 90.0))
    # a loser ranks by PNL% / effective leverage: -0.05 / (95 / 5)
    loser = risk.adl_score(1.0, 100.0, 10.0, 95.0, "bitmex")
    assert loser == pytest.approx(-0.05 / 19.0)
    # short from 100, mark 80: PNL% 0.2, equity 30, effective leverage 80 / 30
    short = risk.adl_score(-1.0, 100.0, 10.0, 80.0, "bitmex")
    assert short == pytest.approx(0.2 * 80.0 / 30.0)


def test_bitmex_rank_orders_profit_times_leverage():
    size = np.array([1.0, 1.0, 1.0])
    entry = np.array([100.0, 100.0, 110.0])
    margin = np.array([10.0, 50.0, 10.0])
    scores = risk.adl_score(size, entry, margin, 120.0, "bitmex")
    # 0.2 × 4; 0.2 × 120/70; (10/110) × 6: leverage can outrank profit
    assert scores == pytest.approx([0.8, 0.2 * 120 / 70, (10 / 110) * 6])
    assert list(np.argsort(-scores)) == [0, 2, 1]


@pytest.mark.parametrize(
    ("ranking", "expected"),
    [
        # max(0, uPnL) / max(1, margin) × notional / equity
        ("binance", [2.0 * 120 / 30, 1.0 * 120 / 20]),
        # (mark / entry) × (notional / equity)
        ("hyperliquid", [1.2 * 120 / 30, (120 / 110) * 120 / 20]),
        ("pnl", [20.0, 10.0]),
    ],
)
def test_other_rankings(ranking, expected):
    size = np.array([1.0, 1.0])
    entry = np.array([100.0, 110.0])
    margin = np.array([10.0, 10.0])
    assert risk.adl_score(size, entry, margin, 120.0, ranking) == pytest.approx(expected)


def test_partial_close_restores_target_margin():
    n, e, t, c = 1_000.0, 20.0, 0.05, 0.01
    f = float(risk.partial_close_fraction(e, n, t, c))
    assert f == pytest.approx(0.75)
    assert (e - c * f * n) / ((1 - f) * n) == pytest.approx(t)
    assert float(risk.partial_close_fraction(5.0, n, t, c)) == 1.0


def test_liquidatable_mask():
    margin = np.array([10.0, 10.0, 0.0])
    size = np.array([1.0, -1.0, 0.0])
    entry = np.array([100.0, 100.0, 0.0])
    params = ExchangeParams(initial_margin=0.1, maintenance_margin=0.05)
    mask = risk.liquidatable(margin, size, entry, 94.0, params)
    assert mask.tolist() == [True, False, False]
