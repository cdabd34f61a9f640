"""Liquidation bots: they compete for the most rewarding positions below maintenance.

Each bot has capital, pays gas per liquidation and can do only `throughput` an hour. A
position whose reward (penalty share plus keeper fee) is below the gas waits for the
protocol's engine, which closes whatever the bots left (`Exchange.engine_liquidate`), so
no penalty or gas setting leaves a position below maintenance open. A position larger
than a bot's remaining capital × leverage is sliced, not skipped.
"""

from __future__ import annotations

import mesa
import numpy as np


class Liquidator(mesa.Agent):
    """Takes profitable liquidations from the step's shared queue until it hits a limit."""

    def __init__(
        self,
        model,
        name: str,
        capital: float,
        gas_cost: float,
        throughput: float,
        capital_leverage: float,
    ) -> None:
        super().__init__(model)
        ex = model.exchange
        self.account = ex.ledger.open(name)
        ex.ledger.deposit(self.account, capital, source="liquidator_capital")
        self.gas_cost = gas_cost
        self.per_step = model.exchange.clock.amount(throughput)
        self.allowance = max(1.0, self.per_step)
        self.capital_leverage = capital_leverage
        self.done = 0
        # The exchange step of the last refill: a replayed bar walked through its open and
        # extremes calls `step` several times, all within one step's throughput.
        self._refilled = -1

    @property
    def capital(self) -> float:
        return self.model.exchange.ledger.balance(self.account)

    def step(self, ex=None) -> None:
        """Take from the shared queue of market `ex` (the model's first by default), most
        rewarding first, within throughput and capital.

        The queue is sorted by reward, so the first position whose reward is below the gas
        ends the search. A position bigger than the remaining budget gets a slice of it.
        """
        ex = self.model.exchange if ex is None else ex
        queue = self.model.liquidation_queue
        budget = self.capital * self.capital_leverage
        if self._refilled != ex.step:
            self.allowance = min(self.allowance + self.per_step, max(1.0, self.per_step))
            self._refilled = ex.step
        can_do = int(self.allowance + 1e-9)
        can_pay = int(self.capital // self.gas_cost) if self.gas_cost > 0 else can_do
        chosen: list[int] = []
        caps: list[float] = []
        while len(chosen) < min(can_do, can_pay) and queue and budget > 0:
            slot, reward, closed, fraction = queue[0]
            share = min(1.0, budget / closed) if closed > 0 else 1.0
            if reward * share < self.gas_cost:
                break
            queue.pop(0)
            chosen.append(slot)
            caps.append(share * fraction)
            budget -= closed * share
        if not chosen:
            return
        done = ex.liquidate_many(np.array(chosen), self.account, np.array(caps))
        ex.ledger.withdraw(self.account, self.gas_cost * len(done), sink="gas")
        self.allowance -= len(done)
        self.done += len(done)
