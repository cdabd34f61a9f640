"""Token balances, checkpoints, flash mint/burn and the heavy-tailed allocation."""

from __future__ import annotations

import numpy as np
import pytest

from abm.governance import GENESIS_STEP, Token, pareto_allocation


def test_balance_at_reads_end_of_step():
    token = Token([100.0, 0.0])
    token.transfer(0, 1, 30.0, step=5)
    token.transfer(0, 1, 20.0, step=5)
    token.transfer(1, 0, 10.0, step=8)
    assert token.balance_at(1, GENESIS_STEP) == 0.0
    assert token.balance_at(1, 4) == 0.0
    assert token.balance_at(1, 5) == 50.0
    assert token.balance_at(1, 7) == 50.0
    assert token.balance_at(1, 8) == 40.0
    assert token.balance(1) == 40.0
    assert token.balance_at(0, -2) == 0.0


def test_flash_mint_and_burn_leave_no_checkpoint():
    token = Token([10.0])
    token.mint(0, 1_000.0, step=3)
    assert token.balance(0) == 1_010.0 and token.supply == 1_010.0
    token.burn(0, 1_000.0, step=3)
    assert token.balance_at(0, 3) == 10.0
    assert token.supply_at(3) == 10.0


def test_overdraw_and_backdating_rejected():
    token = Token([10.0, 0.0])
    with pytest.raises(ValueError, match="cannot move"):
        token.transfer(0, 1, 11.0, step=1)
    token.transfer(0, 1, 1.0, step=4)
    with pytest.raises(ValueError, match="checkpoints move forward"):
        token.transfer(0, 1, 1.0, step=3)
    with pytest.raises(KeyError):
        token.transfer(0, 7, 1.0, step=5)
    assert token.balance(0) == 9.0


def test_add_holder_mints_and_reads_back():
    token = Token([5.0])
    holder = token.add_holder(7.0)
    assert holder == 1 and token.balance_at(holder, 0) == 7.0 and token.supply == 12.0


def test_pareto_allocation_is_heavy_tailed_and_sums_to_total():
    bal = pareto_allocation(1_000, 1e6, 1.5, np.random.default_rng(3))
    assert bal.sum() == pytest.approx(1e6)
    top = np.sort(bal)[::-1]
    assert top[:10].sum() > 0.05 * 1e6  # top 1 % hold over 5 times their headcount share
    assert np.median(bal) < bal.mean()
    again = pareto_allocation(1_000, 1e6, 1.5, np.random.default_rng(3))
    np.testing.assert_array_equal(bal, again)
