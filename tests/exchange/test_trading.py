"""Opening and closing positions against the vault."""

import numpy as np
import pytest
from conftest import place


def test_open_pays_fee_split_and_close_returns_margin_and_profit(build):
    ex, _ = build(fund=0.0, half_spread=0.0, taker_fee=0.001)
    ex.fund_wallet(0, 1_000.0)
    assert ex.open(0, 1, 100.0, 10.0)  # 1,000 notional at 100, fee 1
    assert ex.book.size[0] == pytest.approx(10.0)
    assert ex.book.margin[0] == pytest.approx(99.0)
    # 20 % of fees to the fund, 10 % to the treasury, the rest to the vault
    assert ex.fund.balance == pytest.approx(0.2)
    assert ex.treasury == pytest.approx(0.1)
    ex.oracle.price = 110.0
    vault_before = ex.vault.balance
    assert ex.close(0)
    assert ex.book.size[0] == 0.0
    # profit 100 from the vault, fee 1.1 on the 1,100 closed
    assert ex.book.wallet[0] == pytest.approx(900.0 + 99.0 + 100.0 - 1.1)
    assert ex.vault.balance == pytest.approx(vault_before - 100.0 + 1.1 * 0.7)
    ex.check()


def test_partial_close_keeps_the_rest_of_the_margin(build):
    ex, _ = build(half_spread=0.0)
    place(ex, 0, 10.0, 100.0, 100.0)
    ex.oracle.price = 90.0
    assert ex.close(0, 0.5)
    assert ex.book.size[0] == pytest.approx(5.0)
    assert ex.book.margin[0] == pytest.approx(50.0)
    assert ex.book.wallet[0] == pytest.approx(50.0 - 50.0)  # half the margin less the loss
    ex.check()


@pytest.mark.parametrize(
    ("side", "collateral", "leverage", "why"),
    [
        (1, 100.0, 11.0, "above maximum leverage"),
        (1, 2_000.0, 2.0, "more than the wallet"),
        (-1, 100.0, 2.0, "against an open long"),
        (0, 100.0, 2.0, "no side"),
    ],
)
def test_orders_refused(build, side, collateral, leverage, why):
    ex, _ = build()
    place(ex, 0, 1.0, 100.0, 10.0)
    ex.fund_wallet(0, 1_000.0)
    assert not ex.open(0, side, collateral, leverage), why


def test_open_interest_capped_by_the_vault(build):
    ex, _ = build(vault=10_000.0, max_oi_to_vault=1.0)
    for slot in range(3):
        ex.fund_wallet(slot, 1_000.0)
    accepted = ex.open_many(
        np.arange(3), np.array([1, -1, 1]), np.full(3, 1_000.0), np.full(3, 4.0)
    )
    # 4,000 + 4,000 fit under 10,000 of vault; the third would not
    assert accepted.tolist() == [True, True, False]
    assert ex.open_interest() == pytest.approx(8_000.0, rel=0.05)


def test_lp_cannot_withdraw_what_backs_open_interest(build):
    ex, _ = build(vault=0.0, max_oi_to_vault=2.0, half_spread=0.0)
    lp = ex.open_lp_account("lp:1", 10_000.0)
    ex.lp_deposit(lp, 10_000.0)
    place(ex, 0, 100.0, 100.0, 1_000.0)  # 10,000 of open interest
    paid = ex.lp_withdraw(lp, ex.vault.shares[lp])
    assert paid == pytest.approx(5_000.0)
    assert ex.vault.balance == pytest.approx(5_000.0)
    ex.check()


def test_batch_and_one_by_one_opens_agree(build):
    a, _ = build()
    b, _ = build()
    for ex in (a, b):
        for slot in range(3):
            ex.fund_wallet(slot, 500.0)
    a.open_many(np.arange(3), np.array([1, -1, 1]), np.full(3, 100.0), np.array([2.0, 3.0, 4.0]))
    for slot, side, lev in zip(range(3), (1, -1, 1), (2.0, 3.0, 4.0), strict=True):
        b.open(slot, side, 100.0, lev)
    assert a.book.size == pytest.approx(b.book.size)
    assert a.book.entry == pytest.approx(b.book.entry)


def test_halt_refuses_opens_but_allows_closes(build):
    ex, _ = build()
    place(ex, 0, 1.0, 100.0, 10.0)
    ex.fund_wallet(1, 100.0)
    ex.halted_until = ex.step + 5
    assert not ex.open(1, 1, 50.0, 2.0)
    assert ex.close(0)


def test_batch_close_with_per_slot_fractions_matches_one_by_one(build):
    a, _ = build(half_spread=0.0, taker_fee=0.001)
    b, _ = build(half_spread=0.0, taker_fee=0.001)
    for ex in (a, b):
        place(ex, 0, 10.0, 100.0, 200.0)
        place(ex, 1, -4.0, 100.0, 100.0)
        place(ex, 2, 2.0, 100.0, 50.0)
        ex.oracle.price = 95.0
    held = a.close_many(np.array([0, 1, 2, 3]), np.array([1.0, 0.5, 0.25, 1.0]))
    for slot, fraction in ((0, 1.0), (1, 0.5), (2, 0.25)):
        b.close(slot, fraction)
    assert held.tolist() == [True, True, True, False]  # slot 3 holds nothing
    assert a.book.size.tolist() == pytest.approx([0.0, -2.0, 1.5, 0.0])
    assert a.book.size == pytest.approx(b.book.size)
    assert a.book.margin == pytest.approx(b.book.margin)
    assert a.book.wallet == pytest.approx(b.book.wallet)
    assert a.fund.balance == pytest.approx(b.fund.balance)
    a.check()


@pytest.mark.parametrize("fraction", [0.0, 1.5, float("nan"), np.array([0.5, -0.1])])
def test_close_fraction_outside_zero_one_is_refused(build, fraction):
    ex, _ = build()
    place(ex, 0, 1.0, 100.0, 10.0)
    place(ex, 1, 1.0, 100.0, 10.0)
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\]"):
        ex.close_many(np.array([0, 1]), fraction)
    assert ex.book.size.tolist()[:2] == [1.0, 1.0]


def test_a_refused_order_leaves_its_room_under_the_oi_cap(build):
    ex, _ = build(vault=10_000.0, max_oi_to_vault=1.0)
    for slot in range(3):
        ex.fund_wallet(slot, 2_000.0)
    accepted = ex.open_many(
        np.arange(3),
        np.array([1, 1, -1]),
        np.array([1_000.0, 2_000.0, 500.0]),
        np.array([4.0, 4.0, 4.0]),
    )
    # 4,000 fits, 8,000 would not, 2,000 still fits in the 6,000 left
    assert accepted.tolist() == [True, False, True]


def test_adding_checks_the_leverage_of_the_whole_position(build):
    ex, _ = build(half_spread=0.0)
    place(ex, 0, 9.0, 100.0, 100.0)  # 9x already
    ex.fund_wallet(0, 1_000.0)
    # the order alone is 5x, but the position would be (900 + 500) / 200 = 7x: allowed
    assert ex.open(0, 1, 100.0, 5.0)
    # and now (1,400 + 1,000) / 210 = 11.4x: refused although the order is 10x
    assert not ex.open(0, 1, 10.0, 100.0)


@pytest.mark.parametrize("call", ["open_many", "close_many", "liquidate_many"])
def test_a_repeated_slot_in_a_batch_is_refused(build, call):
    ex, liq = build()
    place(ex, 0, 1.0, 100.0, 10.0)
    ex.fund_wallet(0, 1_000.0)
    slots = np.array([0, 0])
    with pytest.raises(ValueError, match="slots must be distinct"):
        if call == "open_many":
            ex.open_many(slots, np.array([1, 1]), np.full(2, 10.0), np.full(2, 2.0))
        elif call == "close_many":
            ex.close_many(slots)
        else:
            ex.liquidate_many(slots, liq)


def test_open_interest_of_a_flat_book_is_exactly_zero(build):
    ex, _ = build(half_spread=0.0)
    rng = np.random.default_rng(1)
    for slot in range(4):
        ex.fund_wallet(slot, 1e6)
    for _ in range(50):
        sides = rng.choice([-1, 1], 4)
        ex.open_many(np.arange(4), sides, rng.uniform(1, 1e5, 4), rng.uniform(1, 9, 4))
        ex.oracle.price *= float(rng.uniform(0.9, 1.1))
        ex.close_many(np.arange(4))
    assert ex.book.open_interest(ex.mark) == (0.0, 0.0)


def test_vault_shares_add_up_after_near_total_redemption(build):
    ex, _ = build(vault=0.0)
    lps = [ex.open_lp_account(f"lp:{k}", 1e9) for k in range(3)]
    for lp in lps:
        ex.lp_deposit(lp, 1e9 / 3)
    for lp in lps:
        ex.lp_withdraw(lp, ex.vault.shares[lp] * (1 - 1e-13))
    assert ex.vault.total_shares == sum(ex.vault.shares.values())
    assert ex.vault.total_shares == pytest.approx(0.0, abs=1e-3)


def test_fee_times_leverage_must_stay_below_one():
    from abm.exchange import ExchangeParams

    with pytest.raises(ValueError, match="taker_fee × max leverage must be below 1"):
        ExchangeParams(initial_margin=0.01, maintenance_margin=0.005, taker_fee=0.02)
