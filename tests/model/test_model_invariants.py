"""Every model step proves conservation: an error, not a log line."""

import math

import pytest

from abm import ExchangeModel
from abm.exchange import LedgerError


def small_model():
    return ExchangeModel(n_traders=20, rng=5, governance_enabled=False)


def test_step_raises_when_value_was_created_between_steps():
    m = small_model()
    m.step()
    m.exchange.ledger._bal[m.exchange.fund.id] += 1e3
    with pytest.raises(LedgerError, match="not conserved"):
        m.step()


def test_step_raises_on_a_nan_balance():
    m = small_model()
    m.step()
    m.exchange.ledger._bal[m.exchange.book.wallet_id(3)] = math.nan
    with pytest.raises(LedgerError, match="'wallet:3' is not a finite number"):
        m.step()
