"""Liquidity providers: they deposit into the vault for its yield and leave when it looks risky.

An LP compares the vault's recent annualised return with a hurdle rate. Withdrawals rise
when the insurance fund is low against its target, and after ADL or socialised losses
(a run on the vault).
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from ..exchange.params import check_range


@dataclass
class LPParams:
    count: int = 10
    capital: float = 6_000_000.0
    deposited: float = 0.8
    activity: float = 0.1
    """Chance per hour that an LP reviews its stake."""
    hurdle: float = 0.10
    run_threshold: float = 0.3
    run_share: float = 0.5
    window: float = 168.0
    """Hours of share-price history behind the yield an LP compares with its hurdle."""

    def __post_init__(self) -> None:
        check_range("lps.count", self.count, 0, 100_000)
        check_range("lps.capital", self.capital, 0.0, 1e15)
        check_range("lps.deposited", self.deposited, 0.0, 1.0)
        check_range("lps.activity", self.activity, 0.0, 1.0)
        check_range("lps.hurdle", self.hurdle, -1.0, 10.0)
        check_range("lps.run_threshold", self.run_threshold, 0.0, 10.0)
        check_range("lps.run_share", self.run_share, 0.0, 1.0)
        check_range("lps.window", self.window, 0.0, 1e6, lo_open=True)


class LiquidityProvider(mesa.Agent):
    def __init__(self, model, name: str, capital: float, deposited: float) -> None:
        super().__init__(model)
        ex = model.exchange
        self.account = ex.open_lp_account(name, capital)
        ex.lp_deposit(self.account, capital * deposited)
        self._seen_losses = 0.0

    @property
    def stake(self) -> float:
        ex = self.model.exchange
        return ex.vault.value_of(self.account, ex.vault_nav())

    @property
    def cash(self) -> float:
        return self.model.exchange.ledger.balance(self.account)

    def step(self) -> None:
        model, ex, p = self.model, self.model.exchange, self.model.lp_params
        losses = ex.stats.adl_volume + ex.stats.socialized_loss
        shocked = losses > self._seen_losses
        self._seen_losses = losses
        if not shocked and self.random.random() >= ex.clock.chance(p.activity):
            return
        shares = ex.vault.shares.get(self.account, 0.0)
        health = model.fund_confidence
        if shocked or health < p.run_threshold:
            ex.lp_withdraw(self.account, shares * p.run_share)
        elif model.vault_yield < p.hurdle:
            ex.lp_withdraw(self.account, shares * 0.1)
        elif self.cash > 0:
            ex.lp_deposit(self.account, self.cash * 0.5)


def lp_columns(model) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Every LP's stake, valuing the vault once rather than once per LP."""
    ex = model.exchange
    price = ex.vault.share_price(ex.vault_nav())
    ids = np.array([lp.unique_id for lp in model.lps], dtype=np.int64)
    shares = np.array([ex.vault.shares.get(lp.account, 0.0) for lp in model.lps])
    return ids, {"stake": shares * price}
