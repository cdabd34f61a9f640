"""Liquidity providers: they deposit into the vault for its yield and leave when it looks risky.

An LP compares the vault's recent annualised return with a hurdle rate. Withdrawals rise
when the insurance fund is low against its target, and after ADL or socialised losses
(a run on the vault).
"""

from __future__ import annotations

import mesa
import numpy as np


class LiquidityProvider(mesa.Agent):
    def __init__(self, model, name: str, capital: float, deposited: float, exchange=None) -> None:
        super().__init__(model)
        self.exchange = ex = model.exchange if exchange is None else exchange
        """The market whose vault this LP provides to."""
        self.account = ex.open_lp_account(name, capital)
        ex.lp_deposit(self.account, capital * deposited)
        self._seen_losses = 0.0

    @property
    def stake(self) -> float:
        ex = self.exchange
        return ex.vault.value_of(self.account, ex.vault_nav())

    @property
    def cash(self) -> float:
        return self.exchange.ledger.balance(self.account)

    def step(self) -> None:
        model, ex, p = self.model, self.exchange, self.model.lp_params
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
    """Every LP's stake, valuing each vault once rather than once per LP."""
    price = {id(ex): ex.vault.share_price(ex.vault_nav()) for ex in model.exchanges}
    ids = np.array([lp.unique_id for lp in model.lps], dtype=np.int64)
    shares = np.array([lp.exchange.vault.shares.get(lp.account, 0.0) for lp in model.lps])
    prices = np.array([price[id(lp.exchange)] for lp in model.lps])
    return ids, {"stake": shares * prices}
