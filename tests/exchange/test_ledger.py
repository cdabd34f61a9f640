import math

import numpy as np
import pytest

from abm.exchange import Ledger, LedgerError


def make():
    ledger = Ledger()
    ledger.open("a")
    ledger.open("b")
    ids = ledger.open_block("m", 3)
    ledger.deposit("a", 100.0, source="seed")
    return ledger, ids


def test_transfers_conserve_and_external_flows_are_declared():
    ledger, ids = make()
    ledger.transfer("a", "b", 40.0)
    ledger.transfer("a", "b", 0.0)
    ledger.move(np.array([0, 0, 0])[:0], ids[:0], np.zeros(0))
    for i, amount in zip(ids, [10.0, 20.0, 30.0], strict=True):
        ledger.transfer("a", int(i), amount)
    ledger.collect(ids, "b", np.array([5.0, 5.0, 5.0]))
    ledger.withdraw("b", 25.0, sink="out")
    ledger.check()
    assert ledger.total() == pytest.approx(75.0)
    assert ledger.balance("b") == pytest.approx(30.0)
    assert ledger.balances_of(ids).tolist() == [5.0, 15.0, 25.0]


def test_overdraft_raises_and_changes_nothing():
    ledger, ids = make()
    with pytest.raises(LedgerError, match="overdraws 'b'"):
        ledger.transfer("b", "a", 1.0)
    with pytest.raises(LedgerError, match="overdraws 'm:0'"):
        ledger.collect(ids, "a", np.array([1.0, 0.0, 0.0]))
    assert ledger.balance("a") == 100.0
    ledger.check()


def test_pairwise_moves_and_fee_split():
    ledger, ids = make()
    for i in ids:
        ledger.transfer("a", int(i), 10.0)
    wallets = ledger.open_block("w", 3)
    moved = ledger.move(ids, wallets, np.array([1.0, 2.0, 3.0]))
    assert moved.tolist() == [1.0, 2.0, 3.0]
    assert ledger.balances_of(wallets).tolist() == [1.0, 2.0, 3.0]
    debited, parts = ledger.collect_split(
        ids, np.array([1.0, 1.0, 1.0]), (ledger.id("a"), ledger.id("b")), (0.2, 0.8)
    )
    assert debited.tolist() == [1.0, 1.0, 1.0]
    assert parts == pytest.approx([0.6, 2.4])
    ledger.check()
    with pytest.raises(LedgerError, match="move overdraws 'w:0'"):
        ledger.move(wallets, ids, np.array([5.0, 0.0, 0.0]))


def test_negative_amount_rejected():
    ledger, _ = make()
    with pytest.raises(LedgerError, match="non-negative"):
        ledger.transfer("a", "b", -1.0)


def test_check_detects_created_value():
    ledger, _ = make()
    ledger._bal[0] += 1e-3
    with pytest.raises(LedgerError, match="not conserved"):
        ledger.check()


def test_float_dust_debits_the_whole_balance():
    ledger, _ = make()
    moved = ledger.transfer("a", "b", 100.0 + 1e-12)
    assert moved == 100.0
    assert ledger.balance("a") == 0.0
    ledger.check()


def test_duplicate_account_names_rejected():
    ledger, _ = make()
    with pytest.raises(ValueError, match="already exists"):
        ledger.open("a")


def test_block_accounts_are_named_and_found_without_stored_names():
    ledger, ids = make()
    assert [ledger.name(int(i)) for i in ids] == ["m:0", "m:1", "m:2"]
    assert ledger.id("m:2") == int(ids[2])
    assert "m:1" in ledger
    for missing in ("m:3", "m:01", "m:-1", "m:", "x:0"):
        assert missing not in ledger
        with pytest.raises(KeyError, match="no account named"):
            ledger.id(missing)
    with pytest.raises(ValueError, match="'m:1' already exists"):
        ledger.open("m:1")
    with pytest.raises(ValueError, match="already exists"):
        ledger.open_block("m", 2)
    ledger.open("w:4")
    with pytest.raises(ValueError, match="'w:4' already exists"):
        ledger.open_block("w", 10)
    assert ledger.name(ledger.id("b")) == "b"
    assert ledger.balances.size == 6


def big_pool():
    """A fund seeded with 1e15 beside small accounts: its size must not hide theirs."""
    ledger = Ledger()
    fund = ledger.open("fund")
    ids = ledger.open_block("m", 4)
    ledger.deposit(fund, 1e15, source="seed")
    for i in ids:
        ledger.deposit(int(i), 1_000.0, source="deposit")
    return ledger, fund, ids


@pytest.mark.parametrize("where", ["fund", "m:2"])
def test_creating_100k_beside_a_1e15_fund_fails(where):
    ledger, _, _ = big_pool()
    ledger.check()
    ledger._bal[ledger.id(where)] += 1e5
    with pytest.raises(LedgerError, match="not conserved"):
        ledger.check()
    with pytest.raises(LedgerError, match="not conserved"):
        ledger.verify()


def test_creating_one_unit_in_a_small_account_fails():
    ledger, _, ids = big_pool()
    ledger._bal[ids[1]] += 1.0
    with pytest.raises(LedgerError, match="not conserved"):
        ledger.check()
    ledger._bal[ids[1]] += 99.0
    with pytest.raises(LedgerError, match="not conserved"):
        ledger.verify()


def test_rounding_of_many_small_flows_through_a_huge_pool_passes():
    ledger, fund, ids = big_pool()
    rng = np.random.default_rng(3)
    for _ in range(3_000):
        fee = rng.uniform(0.0, 0.3, ids.size)
        ledger.collect_split(ids, fee, (fund, int(ids[0])), (0.37, 0.63))
        ledger.transfer(fund, int(ids[rng.integers(4)]), float(rng.uniform(0, 0.4)))
        ledger.verify()
    ledger.check()
    assert ledger.rounding_budget < 1e3  # a budget far below the 100k a creation shows


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_inf_balances_are_errors(bad):
    ledger, ids = make()
    ledger._bal[ids[1]] = bad
    with pytest.raises(LedgerError, match=r"'m:1' is not a finite number"):
        ledger.check()
    with pytest.raises(LedgerError, match=r"'m:1' is not a finite number"):
        ledger.verify()


def test_negative_balance_is_an_error_even_when_the_total_conserves():
    ledger, ids = make()
    ledger._bal[ids[0]] -= 1e-12
    ledger._bal[0] += 1e-12
    with pytest.raises(LedgerError, match="'m:0' is negative"):
        ledger.check()


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_nan_and_inf_amounts_are_refused_everywhere(bad):
    ledger, ids = make()
    for i in ids:
        ledger.transfer("a", int(i), 10.0)
    calls = [
        lambda: ledger.transfer("a", "b", bad),
        lambda: ledger.deposit("a", bad, source="x"),
        lambda: ledger.withdraw("a", bad, sink="x"),
        lambda: ledger.split(0, (1,), (bad,)),
        lambda: ledger.collect(ids, "b", np.array([1.0, bad, 1.0])),
        lambda: ledger.move(ids, ids[::-1].copy(), np.array([bad, 0.0, 0.0])),
        lambda: ledger.distribute("a", ids, np.array([1.0, 1.0, bad])),
        lambda: ledger.collect_split(ids, np.ones(3), (0, 1), (bad, 0.0)),
    ]
    before = ledger.balances.copy()
    for call in calls:
        with pytest.raises(LedgerError, match="finite and non-negative"):
            call()
    assert ledger.balances.tolist() == before.tolist()
    ledger.check()


def test_batches_naming_an_account_twice_are_refused_and_change_nothing():
    ledger, ids = make()
    for i in ids:
        ledger.transfer("a", int(i), 10.0)
    wallets = ledger.open_block("w", 3)
    twice = np.array([ids[0], ids[1], ids[0]])
    calls = {
        "collect": lambda: ledger.collect(twice, "b", np.ones(3)),
        "move": lambda: ledger.move(twice, wallets, np.ones(3)),
        "move ": lambda: ledger.move(
            ids, np.array([wallets[2], wallets[0], wallets[2]]), np.ones(3)
        ),
        "distribute": lambda: ledger.distribute("a", twice, np.ones(3)),
        "collect  ": lambda: ledger.collect_split(twice, np.ones(3), (0, 1), (0.5, 0.5)),
    }
    before = ledger.balances.copy()
    for what, call in calls.items():
        with pytest.raises(ValueError, match=rf"{what.strip()} names account '(m:0|w:2)' more"):
            call()
    assert ledger.balances.tolist() == before.tolist()
    ledger.check()


def test_fee_shares_above_one_are_refused_and_rounding_overshoot_is_absorbed():
    ledger, ids = make()
    for i in ids:
        ledger.transfer("a", int(i), 10.0)
    with pytest.raises(LedgerError, match="sum to at most 1"):
        ledger.collect_split(ids, np.ones(3), (0, 1, 2), (0.6, 0.6, 0.0))
    with pytest.raises(LedgerError, match="finite and non-negative"):
        ledger.collect_split(ids, np.ones(3), (0, 1, 2), (-0.1, 0.6, 0.5))
    _, parts = ledger.collect_split(
        ids, np.full(3, 1 / 3), (0, 1, 2), (0.1234567, 0.8765433, -2.8e-17)
    )
    assert min(parts) >= 0.0
    assert math.fsum(parts) == pytest.approx(1.0, abs=1e-15)
    ledger.check()
