"""Liquidations and the loss waterfall in constructed cases, numbers worked by hand."""

import warnings

import numpy as np
import pytest
from conftest import place

from abm.exchange import ExchangeParams, liquidation


def balances(ex, liquidator):
    return {
        "fund": ex.fund.balance,
        "vault": ex.vault.balance,
        "liquidator": ex.ledger.balance(liquidator),
        "margin": ex.book.margin[0],
        "wallet": ex.book.wallet[0],
    }


def identity(ex):
    st = ex.stats
    parts = st.fund_covered + st.lp_loss + st.adl_covered + st.socialized_loss + st.unresolved
    return parts - st.bad_debt


def test_seed_example_step_by_step_under_perp_v2_rule(build):
    """Needs 100 to close safely (loss 90 + penalty 10), yields 90: the fund pays 10.

    Perp v2 charges the whole penalty even when that leaves bad debt; it is the option
    `bankrupt_penalty_to_liquidator`.
    """
    ex, liq = build(fund=1_000.0, bankrupt_penalty_to_liquidator=True)
    place(ex, 0, 10.0, 100.0, 90.0)  # long 10 from 100 with 90 of margin
    ex.oracle.price = 95.0  # equity 40 < maintenance 47.5
    assert ex.is_liquidatable(0)

    result = ex.liquidate(0, liq)
    # the best price is 91: a loss of 90; the penalty is 1/95 of 950 = 10
    assert result.price == pytest.approx(91.0)
    assert result.penalty == pytest.approx(10.0)
    assert (result.to_liquidator, result.to_fund) == pytest.approx((5.0, 5.0))
    assert result.shortfall == pytest.approx(10.0)
    after = balances(ex, liq)
    assert after["liquidator"] == pytest.approx(5.0)
    assert after["fund"] == pytest.approx(1_005.0)  # the fund's share flowed in
    assert after["vault"] == pytest.approx(1_000_080.0)  # 90 - 10 of penalty reached it
    assert after["margin"] == 0.0 and after["wallet"] == 0.0
    assert ex.pending[0].bankruptcy_price == pytest.approx(91.0)

    ex.finish_liquidations()
    done = balances(ex, liq)
    assert done["fund"] == pytest.approx(995.0)  # +5 penalty, -10 cover
    assert done["vault"] == pytest.approx(1_000_090.0)  # the vault is whole
    assert ex.stats.bad_debt == pytest.approx(10.0)
    assert ex.stats.fund_covered == pytest.approx(10.0)
    assert ex.fund.inflows["penalty"] == pytest.approx(5.0)
    assert ex.fund.outflows["bad_debt"] == pytest.approx(10.0)
    kinds = [e["kind"] for e in ex.events]
    assert kinds == ["liquidation", "bad_debt"]
    assert ex.events[1]["by_insurance_fund"] == pytest.approx(10.0)
    ex.check()


def test_loss_comes_before_the_penalty(build):
    """The same position under the default rule: the fill at 91 is exactly bankruptcy, the
    loss takes all 90 of margin and no penalty is left to pay, so there is no bad debt."""
    ex, liq = build(fund=1_000.0)
    place(ex, 0, 10.0, 100.0, 90.0)
    ex.oracle.price = 95.0
    result = ex.liquidate(0, liq)
    assert result.price == pytest.approx(91.0)
    assert (result.penalty, result.shortfall) == (0.0, 0.0)
    ex.finish_liquidations()
    done = balances(ex, liq)
    assert done["fund"] == pytest.approx(1_000.0)
    assert done["vault"] == pytest.approx(1_000_090.0)
    assert ex.stats.bad_debt == 0.0
    ex.check()


def test_penalty_is_capped_at_margin_left_after_the_loss(build):
    ex, liq = build(fund=0.0)
    place(ex, 0, 10.0, 100.0, 95.0)  # equity at 95 is 45 < 47.5
    ex.oracle.price = 95.0
    result = ex.liquidate(0, liq)
    # fill 91: loss 90 leaves 5; the nominal penalty of 10 is cut to 5, split 2.5 / 2.5
    assert result.penalty == pytest.approx(5.0)
    assert (result.to_liquidator, result.to_fund) == pytest.approx((2.5, 2.5))
    assert result.shortfall == 0.0
    assert ex.book.wallet[0] == 0.0
    ex.check()


def test_solvent_liquidation_returns_the_rest_to_the_trader(build):
    ex, liq = build(half_spread=0.0, penalty_rate=0.01)
    place(ex, 0, 10.0, 100.0, 110.0)
    ex.oracle.price = 93.0  # equity 40 < 46.5
    result = ex.liquidate(0, liq)
    # loss 70 leaves 40; penalty 1 % of 930 = 9.3, half to the fund; 30.7 back
    assert result.penalty == pytest.approx(9.3)
    assert ex.book.wallet[0] == pytest.approx(30.7)
    assert ex.ledger.balance(liq) == pytest.approx(4.65)
    ex.check()


def bankrupt_long(build, vault=10_000.0, **kw):
    """Long 10 from 100 with 90 margin (bankruptcy 91); the vault stage is kept shut."""
    ex, liq = build(fund=0.0, vault=vault, half_spread=0.0, vault_floor=10.0, **kw)
    place(ex, 0, 10.0, 100.0, 90.0)
    return ex, liq


def test_adl_takes_over_exactly_the_bankrupt_size(build):
    ex, liq = bankrupt_long(build)
    place(ex, 1, -20.0, 110.0, 200.0)  # a winning short
    ex.oracle.price = 88.0
    result = ex.liquidate(0, liq)
    # fill 88: loss 120 against 90 of margin, 30 short; 3 short per unit of 10
    assert result.shortfall == pytest.approx(30.0)
    vault_before = ex.vault.balance
    ex.finish_liquidations()
    assert ex.book.size[1] == pytest.approx(-10.0)  # 10 units taken over, not more
    assert ex.stats.adl_volume == pytest.approx(10.0 * 91.0)
    assert ex.stats.adl_covered == pytest.approx(30.0)
    assert ex.stats.adl_excess == pytest.approx(0.0)
    assert ex.book.adl_hits[1] == 1
    # the short was paid its profit at 91, not at 88, and kept half its margin
    assert ex.vault.balance == pytest.approx(vault_before - 10.0 * (110.0 - 91.0))
    assert ex.book.margin[1] == pytest.approx(100.0)
    adl = [e for e in ex.events if e["kind"] == "adl"]
    assert adl[0]["covered"] == pytest.approx(30.0)
    assert ex.events[-1]["by_adl"] == pytest.approx(30.0)
    assert not ex.halted
    assert identity(ex) == pytest.approx(0.0, abs=1e-9)
    ex.check()


def test_adl_fires_when_only_the_fill_crossed_bankruptcy(build):
    ex, liq = bankrupt_long(build)
    ex.params = ex.params.updated(half_spread=2 / 92)
    place(ex, 1, -20.0, 110.0, 200.0)
    ex.oracle.price = 92.0  # above bankruptcy (91), but the fill is 90
    result = ex.liquidate(0, liq)
    assert result.price == pytest.approx(90.0)
    assert result.shortfall == pytest.approx(10.0)
    ex.finish_liquidations()
    # each unit taken over at 91 covers the 1 between bankruptcy and fill
    assert ex.book.size[1] == pytest.approx(-10.0)
    assert ex.stats.adl_covered == pytest.approx(10.0)
    ex.check()


def test_adl_with_too_little_opposite_size_leaves_the_rest_to_the_lp_vault(build):
    ex, liq = bankrupt_long(build, waterfall=("insurance_fund", "adl"))
    place(ex, 1, -4.0, 110.0, 40.0)
    ex.oracle.price = 88.0
    ex.liquidate(0, liq)
    ex.finish_liquidations()
    assert ex.book.size[1] == 0.0
    assert ex.stats.adl_covered == pytest.approx(12.0)
    # 18 left after the stages: the vault's NAV bears it and trading halts
    assert ex.stats.lp_loss == pytest.approx(18.0)
    assert ex.stats.unresolved == 0.0
    assert ex.halted
    assert identity(ex) == pytest.approx(0.0, abs=1e-9)
    ex.check()


def test_losses_beyond_the_vaults_nav_stay_unresolved(build):
    ex, liq = bankrupt_long(build, vault=0.0, waterfall=("insurance_fund", "lp_vault", "adl"))
    place(ex, 1, 10.0, 80.0, 20.0)  # a winning long the vault owes 80
    ex.oracle.price = 88.0
    ex.liquidate(0, liq)
    # the vault holds the 90 of margin and owes 80: NAV 10 of the 30 left
    ex.finish_liquidations()
    assert ex.stats.lp_loss == pytest.approx(10.0)
    assert ex.stats.unresolved == pytest.approx(20.0)
    assert ex.vault_nav() == pytest.approx(10.0)
    assert identity(ex) == pytest.approx(0.0, abs=1e-9)


def test_adl_rankings_choose_who_is_deleveraged(build):
    ex, liq = bankrupt_long(build)
    place(ex, 1, -10.0, 110.0, 200.0)  # low leverage
    place(ex, 2, -10.0, 110.0, 40.0)  # same profit, five times the leverage
    ex.oracle.price = 88.0
    ex.liquidate(0, liq)
    ex.finish_liquidations()
    assert ex.book.size[2] == 0.0  # BitMEX: profit % x leverage ranks it first
    assert ex.book.size[1] == pytest.approx(-10.0)


def test_pro_rata_adl_takes_the_same_share_from_every_winner(build):
    ex, liq = bankrupt_long(build, adl_ranking="pro_rata")
    place(ex, 1, -20.0, 110.0, 200.0)
    place(ex, 2, -10.0, 105.0, 100.0)
    ex.oracle.price = 88.0
    ex.liquidate(0, liq)
    ex.finish_liquidations()
    # 10 units out of 30 held: a third of each
    assert ex.book.size[1] == pytest.approx(-20.0 * 2 / 3)
    assert ex.book.size[2] == pytest.approx(-10.0 * 2 / 3)


def test_nothing_to_deleverage_then_socialized(build):
    ex, liq = bankrupt_long(build)
    place(ex, 1, -20.0, 80.0, 200.0)  # a losing short: not deleveraged
    place(ex, 2, 10.0, 90.0, 100.0)  # another long
    ex.oracle.price = 88.0
    result = ex.liquidate(0, liq)
    m1, m2 = ex.book.margin[1], ex.book.margin[2]
    ex.finish_liquidations()
    assert ex.stats.adl_volume == 0.0
    assert ex.stats.socialized_loss == pytest.approx(result.shortfall)
    # pro rata by size: 20 and 10
    assert m1 - ex.book.margin[1] == pytest.approx(result.shortfall * 2 / 3)
    assert m2 - ex.book.margin[2] == pytest.approx(result.shortfall / 3)
    assert ex.book.socialized_hits[1:3].tolist() == [1, 1]
    ex.check()


def test_waterfall_order_is_configurable(build):
    ex, liq = bankrupt_long(build, waterfall=("socialized", "adl"))
    place(ex, 1, -20.0, 110.0, 200.0)
    ex.oracle.price = 88.0
    result = ex.liquidate(0, liq)
    ex.finish_liquidations()
    assert ex.stats.socialized_loss == pytest.approx(result.shortfall)
    assert ex.stats.adl_volume == 0.0


def test_fund_cover_caps_per_event_and_in_total(build):
    ex, liq = build(fund=1_000.0, fund_cover_cap=4.0, bankrupt_penalty_to_liquidator=True)
    place(ex, 0, 10.0, 100.0, 90.0)
    ex.oracle.price = 95.0
    ex.liquidate(0, liq)
    ex.finish_liquidations()
    assert ex.stats.fund_covered == pytest.approx(4.0)
    assert ex.stats.lp_loss == pytest.approx(6.0)

    ex, liq = build(fund=1_000.0, fund_cover_cap_total=15.0, bankrupt_penalty_to_liquidator=True)
    for slot in (0, 1):
        place(ex, slot, 10.0, 100.0, 90.0)
    ex.oracle.price = 95.0
    ex.liquidate_many(np.array([0, 1]), liq)
    ex.finish_liquidations()
    # two shortfalls of 10: the second gets only the 5 left under the cap
    assert ex.stats.fund_covered == pytest.approx(15.0)
    assert ex.stats.lp_loss == pytest.approx(5.0)


def test_unpaid_profit_is_asked_of_the_fund(build):
    ex, _ = build(fund=1_000.0, vault=0.0, half_spread=0.0)
    place(ex, 0, -10.0, 110.0, 100.0)
    ex.oracle.price = 100.0
    ex.close(0)  # a profit of 100 that the empty vault cannot pay
    assert ex.book.wallet[0] == pytest.approx(100.0)
    ex.finish_liquidations()
    assert ex.book.wallet[0] == pytest.approx(200.0)
    assert ex.stats.bad_debt == pytest.approx(100.0)
    assert ex.stats.fund_covered == pytest.approx(100.0)
    assert not ex.halted
    ex.check()


def test_unpaid_profit_without_a_fund_is_outstanding_and_halts(build):
    ex, _ = build(fund=0.0, vault=0.0, half_spread=0.0)
    place(ex, 0, -10.0, 110.0, 100.0)
    ex.oracle.price = 100.0
    ex.close(0)
    ex.finish_liquidations()
    assert ex.stats.unresolved == pytest.approx(100.0)
    assert ex.halted
    assert identity(ex) == pytest.approx(0.0, abs=1e-9)


def test_unpaid_profit_from_a_counted_hole_is_not_counted_twice(build):
    ex, _ = build(fund=10.0, vault=0.0, half_spread=0.0)
    ex.stats.bad_debt = ex.stats.unresolved = 50.0  # an outstanding hole
    place(ex, 0, -3.0, 110.0, 30.0)
    ex.oracle.price = 100.0
    ex.close(0)  # 30 unpaid: part of the hole, not new debt
    ex.finish_liquidations()
    assert ex.stats.bad_debt == pytest.approx(50.0)
    assert ex.stats.fund_covered == pytest.approx(10.0)
    assert ex.stats.unresolved == pytest.approx(40.0)


def test_vault_nav_counts_only_what_it_can_collect(build):
    ex, _ = build(vault=100.0, half_spread=0.0)
    place(ex, 0, 10.0, 100.0, 20.0)
    ex.oracle.price = 80.0  # the long owes 200 but holds 20
    assert ex.vault_nav() == pytest.approx(120.0)
    place(ex, 1, -10.0, 70.0, 10.0)  # a short the vault owes 100
    ex.oracle.price = 60.0  # now the long owes 400 (20 collectable), the short is owed 100
    assert ex.vault_nav() == pytest.approx(100.0 + 20.0 - 100.0)


def test_share_price_falls_below_zero_and_deposits_are_refused(build):
    ex, _ = build(vault=100.0, half_spread=0.0)
    place(ex, 1, -10.0, 100.0, 10.0)
    ex.oracle.price = 80.0  # the vault owes 200 with 100 of cash
    nav = ex.vault_nav()
    assert nav == pytest.approx(-100.0)
    assert ex.vault.share_price(nav) == pytest.approx(-1.0)
    lp = ex.open_lp_account("lp:late", 1_000.0)
    assert ex.lp_deposit(lp, 1_000.0) == 0.0
    assert ex.ledger.balance(lp) == 1_000.0


def test_partial_liquidation_counts_only_the_closed_parts_slippage(build):
    ex, liq = build(
        fund=0.0,
        half_spread=0.0,
        penalty_rate=0.01,
        slippage=0.1,
        partial_liquidation=True,
        min_partial_notional=0.0,
        vault=100_000.0,
    )
    place(ex, 0, 100.0, 100.0, 1_000.0)
    ex.oracle.price = 94.7  # equity 470 < maintenance 473.5
    result = ex.liquidate(0, liq)
    assert result.partial
    n, r, t, c = 9_470.0, 470.0 / 9_470.0, 0.1, 0.01
    slip = 0.1 * n / 100_000.0
    f = ((t - c) - np.sqrt((t - c) ** 2 - 4 * slip * (t - r))) / (2 * slip)
    assert result.closed_notional == pytest.approx(f * n)
    eq = ex.book.margin[0] + ex.book.size[0] * (94.7 - 100.0)
    assert eq / (ex.book.size[0] * 94.7) == pytest.approx(0.1)
    assert not ex.is_liquidatable(0)
    ex.check()


def test_healthy_position_cannot_be_liquidated(build):
    ex, liq = build()
    place(ex, 0, 10.0, 100.0, 90.0)
    ex.oracle.price = 99.0
    assert ex.liquidate(0, liq) is None
    assert len(ex.liquidation_queue()) == 0


def test_queue_ranks_by_liquidator_reward(build):
    ex, _ = build(half_spread=0.0, penalty_rate=0.01)
    place(ex, 0, 10.0, 100.0, 110.0)
    place(ex, 1, 20.0, 100.0, 220.0)
    ex.oracle.price = 93.0
    queue = ex.liquidation_queue()
    assert queue.slots.tolist() == [1, 0]
    assert queue.reward.tolist() == pytest.approx([9.3, 4.65])


# -- liquidation paths, one venue's rule each ------------------------------------------
def solvent_long(build, **kw):
    """Long 10 from 100 with 110 of margin at a mark of 93: equity 40 < maintenance 46.5."""
    settings = {"half_spread": 0.0, "penalty_rate": 0.01, **kw}
    ex, liq = build(fund=1_000.0, **settings)
    place(ex, 0, 10.0, 100.0, 110.0)
    ex.oracle.price = 93.0
    return ex, liq


def test_keeper_path_pays_the_keeper_fee(build):
    ex, liq = solvent_long(build, keeper_fee=3.0)
    ex.liquidate(0, liq)
    # loss 70, penalty 9.3 (4.65 each), keeper fee 3, the trader keeps 27.7
    assert ex.ledger.balance(liq) == pytest.approx(4.65 + 3.0)
    assert ex.book.wallet[0] == pytest.approx(27.7)
    ex.check()


def test_engine_path_gives_the_fund_all_that_is_left(build):
    ex, _ = solvent_long(build, liquidation_path="engine")
    assert len(ex.liquidation_queue()) == 0  # no bots on this path
    ex.engine_liquidate()
    assert ex.fund.balance == pytest.approx(1_040.0)
    assert ex.book.wallet[0] == 0.0
    ex.check()


def test_clearance_path_charges_the_fee_to_the_fund(build):
    ex, _ = solvent_long(build, liquidation_path="clearance")
    ex.engine_liquidate()
    assert ex.fund.balance == pytest.approx(1_009.3)
    assert ex.book.wallet[0] == pytest.approx(30.7)


def test_backstop_path_market_then_vault_takeover(build):
    ex, _ = solvent_long(build, liquidation_path="backstop", penalty_rate=0.0)
    ex.engine_liquidate()  # equity 40 >= 2/3 x 46.5: a market liquidation, no penalty
    assert ex.book.wallet[0] == pytest.approx(40.0)

    ex, _ = solvent_long(build, liquidation_path="backstop", penalty_rate=0.0, half_spread=0.01)
    ex.oracle.price = 92.0  # equity 30 < 2/3 x 46 = 30.67: the vault takes over at the mark
    vault = ex.vault.balance
    ex.engine_liquidate()
    assert ex.book.wallet[0] == 0.0
    assert ex.vault.balance == pytest.approx(vault + 80.0 + 30.0)
    assert ex.stats.backstop_taken == pytest.approx(30.0)
    ex.check()


def test_takeover_path_liquidator_pays_the_unwind(build):
    ex, liq = solvent_long(build, liquidation_path="takeover", half_spread=0.01)
    ex.ledger.deposit(liq, 100.0, source="liquidator_capital")
    vault = ex.vault.balance
    result = ex.liquidate(0, liq)
    assert result.price == pytest.approx(93.0)  # the trader is taken over at the mark
    assert ex.book.wallet[0] == pytest.approx(30.7)
    # the liquidator earns 4.65 and pays 1 % of 930 of slippage to the vault
    assert ex.ledger.balance(liq) == pytest.approx(100.0 + 4.65 - 9.3)
    assert ex.vault.balance == pytest.approx(vault + 70.0 + 9.3)
    ex.check()


def test_book_path_fills_only_inside_the_price_bound(build):
    ex, _ = solvent_long(build, liquidation_path="book", slippage=1.0, penalty_fund_share=1.0)
    # depth 1,000,000: bound 1.5 x 5 % x (1 - 40 / 46.5) = 1.048 %, fills 10,484 of 930
    done = ex.engine_liquidate()
    assert done[0].closed_notional == pytest.approx(930.0)

    ex, _ = build(
        fund=1_000.0,
        vault=10_000.0,
        half_spread=0.0,
        penalty_rate=0.01,
        liquidation_path="book",
        slippage=1.0,
    )
    place(ex, 0, 10.0, 100.0, 110.0)
    ex.oracle.price = 93.0
    bound = 1.5 * 0.05 * (1 - 40.0 / 46.5)
    done = ex.engine_liquidate()
    assert done[0].closed_notional == pytest.approx(bound * 10_000.0)
    assert done[0].partial
    assert done[0].price >= 93.0 * (1 - bound) - 1e-9
    ex.check()


def test_book_path_bankrupt_and_unfillable_is_closed_at_the_mark(build):
    ex, _ = build(
        fund=1_000.0, vault=10_000.0, half_spread=0.0, liquidation_path="book", slippage=1.0
    )
    place(ex, 0, 10.0, 100.0, 110.0)
    ex.oracle.price = 88.0  # equity -10: only 750 of 880 would fill inside the bound
    done = ex.engine_liquidate()
    assert done[0].price == pytest.approx(88.0)
    assert done[0].shortfall == pytest.approx(10.0)
    ex.finish_liquidations()
    assert ex.stats.fund_covered == pytest.approx(10.0)


def test_slices_per_step_follow_the_step_length(build):
    ex, _ = build(slice_notional=100.0, slice_fraction=0.2, slice_cooldown_seconds=30.0)
    n = np.array([50.0, 1_000.0])
    assert liquidation.slice_cap(n, ex.params, 1.0).tolist() == [1.0, 1.0]
    assert liquidation.slice_cap(n, ex.params, 1 / 60).tolist() == pytest.approx([1.0, 0.4])
    assert liquidation.slice_cap(n, ex.params, 1 / 3600).tolist() == pytest.approx([1.0, 0.2])


def test_a_vanishing_slippage_fills_the_book_without_bound_and_without_overflow():
    tiny = ExchangeParams(liquidation_path="book", slippage=5e-324, half_spread=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        limit = liquidation.book_fill_limit(np.array([1.0]), np.array([2.0]), tiny, 1e300)
    assert limit.tolist() == [np.inf]
