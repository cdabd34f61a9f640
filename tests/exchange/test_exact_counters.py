"""The waterfall's counters are exact sums: the stages add up to the bad debt at any scale."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from abm.exchange import Exchange, ExchangeParams, MarketParams
from abm.exchange.exact import ExactSum, from_units, units
from abm.exchange.exchange import STAGE_STATS
from abm.exchange.waterfall import Shortfall

STAGES = tuple(STAGE_STATS.values())


def test_an_exact_sum_reads_as_the_float_nearest_its_true_value():
    tenths = ExactSum()
    for _ in range(10):
        tenths.add(0.1)
    assert float(tenths) == 1.0  # ten float additions give 0.9999999999999999
    big = ExactSum(1e16)
    for _ in range(10):
        big.add(1.0)  # each float addition would round back to 1e16
    assert float(big) == 1e16 + 10
    assert from_units(units(5e-324) + units(-5e-324)) == 0.0


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    hs.lists(
        hs.floats(
            allow_nan=False, allow_infinity=False, width=64, max_value=1e300, min_value=-1e300
        )
    )
)
def test_an_exact_sum_reads_as_fsum_of_its_terms(terms):
    total = ExactSum()
    for x in terms:
        total.add(x)
    assert float(total) == math.fsum(terms)


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_an_exact_sum_refuses_what_is_not_a_number(bad):
    with pytest.raises((OverflowError, ValueError)):
        ExactSum().add(bad)


def test_stages_add_up_to_two_trillion_of_bad_debt_after_ten_thousand_small_losses():
    """The case that broke: a 2.2e12 hole, then 10,000 losses of 0.3, each split 0.1 to
    the fund and 0.2 to the vault. Float counters drift apart by 3.9 (8,000 ulps)."""
    ex = Exchange(
        ExchangeParams(fund_cover_cap=0.1, waterfall=("insurance_fund", "lp_vault")),
        MarketParams(impact=0.0),
        capacity=4,
        fund_seed=1e6,
        treasury_seed=0.0,
    )
    lp = ex.open_lp_account("lp:0", 4e12)
    ex.lp_deposit(lp, 4e12)
    ex.pending.append(Shortfall(0, 1, 1.0, 2.2e12))
    for _ in range(10_000):
        ex.pending.append(Shortfall(0, 1, 1.0, 0.3))
    ex.finish_liquidations()

    stats = ex.stats
    assert stats.bad_debt == 2.2e12 + 3_000.0
    assert stats.fund_covered == pytest.approx(1_000.1, rel=1e-15)
    assert stats.lp_loss == pytest.approx(2.2e12 + 1_999.9, rel=1e-15)
    assert stats.unresolved == 0.0
    exact = sum(stats.exact(s).units for s in STAGES)
    assert exact == stats.exact("bad_debt").units
    columns = math.fsum(getattr(stats, s) for s in STAGES)
    assert abs(columns - stats.bad_debt) <= 4 * math.ulp(stats.bad_debt)
    assert ex.fund.outflows["bad_debt"] == pytest.approx(stats.fund_covered, rel=1e-12)


def test_a_counter_set_by_hand_restarts_its_exact_sum():
    stats = Exchange(capacity=1).stats
    stats.unresolved = 50.0
    stats.exact("unresolved").add(0.1)
    assert stats.unresolved == 50.1
    stats.bad_debt_step = 0.0
    assert stats.exact("bad_debt_step").units == 0
