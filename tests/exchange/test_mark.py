"""A smoothed or median mark price against a one-step wick of the oracle."""

import pytest
from conftest import book_on_vault

from abm.exchange import ExchangeParams, MarketParams, OracleParams
from abm.exchange.mark import MarkPrice

FLAT = MarketParams(annual_vol=0.0, jump_intensity=0.0, impact=0.0)
WICK = OracleParams(manipulation_start=5.0, manipulation_hours=1.0, manipulation=-0.08)


def run_through_wick(mark_price, basis_hours=1.0):
    """A 10x long of 10 from 100 with margin 100 while the oracle reports 92 for one hour:
    at 92 its equity is 20, under the maintenance of 46."""
    params = ExchangeParams(
        initial_margin=0.1,
        maintenance_margin=0.05,
        taker_fee=0.0,
        borrow_rate=0.0,
        half_spread=0.0,
        slippage=0.0,
        partial_liquidation=False,
        mark_price=mark_price,
        mark_basis_hours=basis_hours,
    )
    ex = book_on_vault(params, FLAT, [(10.0, 100.0, 100.0)], oracle=WICK, vault=100_000.0)
    marks, liquidations = [], 0
    for _ in range(8):
        ex.begin_step()
        marks.append(ex.mark)
        liquidations += len(ex.engine_liquidate())
        ex.finish_liquidations()
        ex.check()
    return ex, marks, liquidations


def test_the_raw_oracle_liquidates_on_a_one_step_wick():
    ex, marks, liquidations = run_through_wick("oracle")
    assert marks[4] == pytest.approx(92.0)
    assert liquidations == 1
    assert ex.book.size[0] == 0.0


@pytest.mark.parametrize("rule", ["median", "fair_price"])
def test_a_median_or_one_step_fair_price_marks_through_the_wick(rule):
    ex, marks, liquidations = run_through_wick(rule)
    assert ex.oracle.price == pytest.approx(100.0)
    assert marks == pytest.approx([100.0] * 8)  # the pool's price never wicked
    assert liquidations == 0
    assert ex.book.size[0] == 10.0
    assert ex.book.margin[0] == 100.0


def test_a_longer_basis_average_lets_part_of_an_index_wick_through():
    # five basis samples 0, 0, 0, 0, 8: the fair price is 92 + 1.6
    _, marks, liquidations = run_through_wick("fair_price", basis_hours=8.0)
    assert marks[4] == pytest.approx(93.6)
    assert liquidations == 1


def test_median_ignores_one_source_and_fair_price_averages_the_basis():
    m = MarkPrice("median", 2, 100.0)
    # fair = 100 + 1: two sources at 101 win
    assert m.update(index=100.0, book=101.0, external=99.0) == pytest.approx(101.0)
    # the index wicks to 80: fair = 80 + (1 + 21) / 2 = 91, the median is the external 100
    assert m.update(index=80.0, book=101.0, external=100.0) == pytest.approx(100.0)
    f = MarkPrice("fair_price", 2, 100.0)
    f.update(100.0, 101.0, 0.0)
    assert f.update(104.0, 103.0, 0.0) == pytest.approx(104.0 + (1.0 - 1.0) / 2)  # 104


def test_an_unknown_mark_rule_names_the_field():
    with pytest.raises(ValueError, match=r"mark_price must be one of \['oracle'"):
        ExchangeParams(mark_price="last")
