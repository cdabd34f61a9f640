"""Liquidity providers: they deposit into the vault for its yield and leave when it looks risky.

An LP compares the vault's recent annualised return with a hurdle rate. Under stress it
redeems a share of its shares every hour, `outflow_rate`, for `stress_hours` after the
last trigger: the vault's share price `loss_trigger` below its peak of the last `window`
hours (the LPs' own loss), an ADL or socialised loss, or the insurance fund below
`run_threshold` of its target. The rates follow HLP's outflows after its losses of March
2025 (10-25 % of the vault in one to three days); see docs/calibration.md.
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
        self.stressed_until = -np.inf  # the hour until which it redeems at `outflow_rate`

    @property
    def stake(self) -> float:
        ex = self.exchange
        return ex.vault.value_of(self.account, ex.vault_nav())

    @property
    def cash(self) -> float:
        return self.exchange.ledger.balance(self.account)

    def step(self) -> None:
        model, ex, p = self.model, self.exchange, self.model.lp_params
        hour = ex.clock.hours(ex.step)
        losses = ex.stats.adl_volume + ex.stats.socialized_loss
        if (
            losses > self._seen_losses
            or model.fund_confidence < p.run_threshold
            or model.vault_drawdown >= p.loss_trigger
        ):
            self.stressed_until = hour + p.stress_hours
        self._seen_losses = losses
        shares = ex.vault.shares.get(self.account, 0.0)
        if hour < self.stressed_until:
            ex.lp_withdraw(self.account, shares * ex.clock.chance(p.outflow_rate))
        elif self.random.random() >= ex.clock.chance(p.activity):
            return
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
