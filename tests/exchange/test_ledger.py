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
