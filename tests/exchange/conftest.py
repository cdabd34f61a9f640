import numpy as np
import pytest

from abm.exchange import Exchange, ExchangeParams, MarketParams
from abm.exchange.markets import Markets


@pytest.fixture
def build():
    """An exchange with round numbers: IM 10 %, MM 5 %, no fees, no impact."""

    def make(fund=1_000.0, vault=1_000_000.0, **overrides):
        settings = dict(
            initial_margin=0.1,
            maintenance_margin=0.05,
            penalty_rate=1 / 95,
            half_spread=4 / 95,
            slippage=0.0,
            partial_liquidation=False,
            taker_fee=0.0,
            borrow_rate=0.0,
        )
        settings.update(overrides)
        ex = Exchange(
            ExchangeParams(**settings),
            MarketParams(impact=0.0),
            capacity=4,
            fund_seed=fund,
            treasury_seed=0.0,
        )
        if vault:
            lp = ex.open_lp_account("lp:0", vault)
            ex.lp_deposit(lp, vault)
        liquidator = ex.ledger.open("liquidator:0")
        return ex, liquidator

    return make


def place(ex, slot, size, entry, margin):
    """Put a position at a known entry price, its margin paid in through the ledger."""
    ex.fund_wallet(slot, margin)
    ex.ledger.transfer(ex.book.wallet_id(slot), ex.book.margin_id(slot), margin)
    ex.book.add(slot, size, entry)


def book_on_vault(params, market, positions, *, oracle=None, vault=1_000_000.0, rng=None, spare=0):
    """An exchange with no fund or treasury, an LP vault of `vault`, and `positions`
    (size, entry, margin) in slots 0, 1, ... (`spare` more slots stay empty)."""
    ex = Exchange(
        params,
        market,
        oracle,
        capacity=len(positions) + spare,
        fund_seed=0.0,
        treasury_seed=0.0,
        rng=rng,
    )
    lp = ex.open_lp_account("lp:0", vault)
    ex.lp_deposit(lp, vault)
    for slot, (size, entry, margin) in enumerate(positions):
        place(ex, slot, size, entry, margin)
    return ex


@pytest.fixture
def open_venue():
    """A venue of several markets with 100,000 in each LP vault and 1,000 in each wallet."""

    def make(setups, *, capacity, fund_seed, **kwargs):
        v = Markets(
            setups,
            capacity=capacity,
            fund_seed=fund_seed,
            treasury_seed=0.0,
            rng=np.random.default_rng(1),
            **kwargs,
        )
        for ex in v:
            lp = ex.open_lp_account(f"{ex.name}/lp", 100_000.0)
            ex.lp_deposit(lp, 100_000.0)
            for slot in range(capacity):
                ex.fund_wallet(slot, 1_000.0)
        return v

    return make
