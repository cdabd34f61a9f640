"""Cumulative indexes settled lazily give what settling every step gives."""

import numpy as np
import pytest
from conftest import book_on_vault

from abm import ExchangeModel
from abm.exchange import Exchange, ExchangeParams, MarketParams
from benchmarks.funding import eager_begin_step


@pytest.mark.parametrize("preset", ["calm", "flash_crash"])
def test_default_rules_leave_every_model_column_byte_identical(preset, monkeypatch):
    def run():
        model = ExchangeModel(preset=preset, n_traders=150, rng=3)
        for _ in range(400):
            model.step()
        return model.datacollector.get_model_vars_dataframe()

    new = run()
    monkeypatch.setattr(Exchange, "begin_step", eager_begin_step)
    old = run()
    assert new["funding_paid_longs"].eq(0).all()
    assert new.equals(old)


def pair(settle_hours, rule):
    params = ExchangeParams(
        initial_margin=0.2,
        maintenance_margin=0.01,
        taker_fee=0.0005,
        borrow_rate=0.0001,
        slippage=0.0,
        funding_rule=rule,
        settle_hours=settle_hours,
    )
    market = MarketParams(annual_vol=0.8, impact=0.0)
    book = [(1_000.0, 100.0, 100_000.0), (300.0, 100.0, 30_000.0), (-400.0, 100.0, 40_000.0)]
    ex = book_on_vault(params, market, book, rng=np.random.default_rng(11), spare=1)
    for slot in range(4):
        ex.fund_wallet(slot, 50_000.0)
    return ex


def touch(ex, step):
    """The same trades in both runs: a partial close, an add, an open, a close."""
    if step % 37 == 0:
        ex.close(1, 0.25)
        return [1]
    if step % 53 == 0:
        ex.open(2, -1, 1_000.0, 2.0)
        return [2]
    if step == 100:
        ex.open(3, 1, 5_000.0, 3.0)
        return [3]
    if step == 400:
        ex.close(3)
        return [3]
    return []


@pytest.mark.parametrize("rule", ["dydx_v4", "gmx_v2", "none"])
def test_lazy_settlement_equals_settling_every_step_at_every_touch(rule):
    eager, lazy = pair(0.0, rule), pair(24.0 * 7, rule)
    touches = 0
    for step in range(1, 700):
        eager.begin_step()
        lazy.begin_step()
        assert lazy.mark == eager.mark
        for ex in (eager, lazy):
            touched = touch(ex, step)
        for slot in touched:
            for ids in (lazy.book.margin_ids, lazy.book.wallet_ids):
                assert lazy.ledger.get(int(ids[slot])) == pytest.approx(
                    eager.ledger.get(int(ids[slot])), rel=1e-9
                )
            touches += 1
        assert lazy.margins() == pytest.approx(eager.margins(), rel=1e-9)
        lazy.ledger.verify()
    assert touches > 20
    assert lazy.accrued() != 0.0
    lazy.settle_all()
    assert lazy.accrued() == 0.0
    assert lazy.ledger.balances == pytest.approx(eager.ledger.balances, rel=1e-9)
    assert lazy.stats.fees == pytest.approx(eager.stats.fees, rel=1e-9)
    assert lazy.stats.pool_net_funding == pytest.approx(eager.stats.pool_net_funding, rel=1e-9)
    lazy.check()
