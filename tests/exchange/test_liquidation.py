"""Liquidations and the loss waterfall in constructed cases."""

import pytest
from conftest import place


def balances(ex, liquidator):
    return {
        "fund": ex.fund.balance,
        "vault": ex.vault.balance,
        "liquidator": ex.ledger.balance(liquidator),
        "margin": ex.book.margin[0],
        "wallet": ex.book.wallet[0],
    }


def test_seed_example_step_by_step(build):
    """Needs 100 to close safely (loss 90 + penalty 10), yields 90: the fund pays 10."""
    ex, liq = build(fund=1_000.0)
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


def test_fund_empty_then_lp_vault_absorbs(build):
    ex, liq = build(fund=0.0)
    place(ex, 0, 10.0, 100.0, 90.0)
    ex.oracle.price = 95.0
    ex.liquidate(0, liq)
    ex.finish_liquidations()
    # the empty fund holds only its 5 of penalty, pays that, and the vault eats the rest
    assert ex.stats.fund_covered == pytest.approx(5.0)
    assert ex.fund.balance == pytest.approx(0.0)
    assert ex.stats.lp_loss == pytest.approx(5.0)
    assert ex.vault.balance == pytest.approx(1_000_085.0)
    assert ex.events[-1]["by_lp_vault"] == pytest.approx(5.0)
    ex.check()


def bankrupt_long(build, vault=10_000.0, **kw):
    """Long 10 from 100 with 90 margin (bankruptcy 91) while the mark gaps to 88."""
    ex, liq = build(fund=0.0, vault=vault, half_spread=0.0, vault_floor=10.0, **kw)
    place(ex, 0, 10.0, 100.0, 90.0)
    return ex, liq


def test_vault_at_floor_then_adl_at_bankruptcy_price(build):
    ex, liq = bankrupt_long(build)
    place(ex, 1, -20.0, 110.0, 200.0)  # a winning short
    ex.oracle.price = 88.0
    result = ex.liquidate(0, liq)
    # already below zero: the whole nominal penalty goes to the liquidator
    assert result.to_fund == 0.0
    assert result.to_liquidator == pytest.approx(880.0 / 95)
    shortfall = 120.0 + 880.0 / 95 - 90.0
    assert result.shortfall == pytest.approx(shortfall)
    vault_before = ex.vault.balance
    ex.finish_liquidations()
    # each unit closed at 91 instead of 88 gives up 3 of profit
    q = shortfall / 3.0
    assert ex.book.size[1] == pytest.approx(-20.0 + q)
    assert ex.stats.adl_volume == pytest.approx(q * 91.0)
    assert ex.stats.lp_loss == 0.0
    assert ex.book.adl_hits[1] == 1
    # the short was paid its profit at 91, not at 88
    assert ex.vault.balance == pytest.approx(vault_before - q * (110.0 - 91.0))
    adl = [e for e in ex.events if e["kind"] == "adl"]
    assert adl[0]["covered"] == pytest.approx(shortfall)
    assert ex.events[-1]["by_adl"] == pytest.approx(shortfall)
    assert not ex.halted
    ex.check()


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


def test_everything_exhausted_halts_trading(build):
    ex, liq = bankrupt_long(build, vault=0.0, halt_steps=5)
    place(ex, 1, 1.0, 88.0, 0.01)  # open interest keeps the vault at its floor
    ex.oracle.price = 88.0
    result = ex.liquidate(0, liq)
    ex.finish_liquidations()
    assert ex.stats.lp_loss == 0.0
    assert ex.stats.socialized_loss == pytest.approx(0.01)
    assert ex.stats.unresolved == pytest.approx(result.shortfall - 0.01)
    assert ex.halted
    assert ex.halted_until == ex.step + 6
    ex.fund_wallet(3, 1_000.0)
    assert not ex.open(3, 1, 100.0, 2.0)
    assert ex.events[-1]["kind"] == "bad_debt"
    assert any(e["kind"] == "halt" for e in ex.events)
    ex.check()


def test_waterfall_order_is_configurable(build):
    ex, liq = bankrupt_long(build, waterfall=("socialized", "adl"))
    place(ex, 1, -20.0, 110.0, 200.0)
    ex.oracle.price = 88.0
    result = ex.liquidate(0, liq)
    ex.finish_liquidations()
    assert ex.stats.socialized_loss == pytest.approx(result.shortfall)
    assert ex.stats.adl_volume == 0.0


def test_fund_cover_cap_passes_the_rest_down(build):
    ex, liq = build(fund=1_000.0, fund_cover_cap=4.0)
    place(ex, 0, 10.0, 100.0, 90.0)
    ex.oracle.price = 95.0
    ex.liquidate(0, liq)
    ex.finish_liquidations()
    assert ex.stats.fund_covered == pytest.approx(4.0)
    assert ex.stats.lp_loss == pytest.approx(6.0)


def test_partial_liquidation_restores_initial_margin(build):
    ex, liq = build(
        half_spread=0.0, penalty_rate=0.01, partial_liquidation=True, min_partial_notional=0.0
    )
    place(ex, 0, 100.0, 100.0, 1_000.0)
    ex.oracle.price = 94.7  # equity 470 < maintenance 473.5
    result = ex.liquidate(0, liq)
    assert result.partial
    f = (0.1 - 470.0 / 9470.0) / (0.1 - 0.01)
    assert ex.book.size[0] == pytest.approx(100.0 * (1 - f))
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
    ex, _ = build()
    place(ex, 0, 10.0, 100.0, 90.0)
    place(ex, 1, 20.0, 100.0, 180.0)
    ex.oracle.price = 95.0
    queue = ex.liquidation_queue()
    assert queue.slots.tolist() == [1, 0]
    assert queue.reward.tolist() == pytest.approx([10.0, 5.0])
