"""The LP vault: the counterparty of all trader flow, owned by LPs through shares.

As on GMX or Hyperliquid's HLP, the vault pays winning traders and receives losing
traders' margin; its net asset value is its balance minus what it owes open positions.
"""

from __future__ import annotations

from collections import defaultdict

from .ledger import Ledger


class LPVault:
    ACCOUNT = "lp_vault"

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.id = ledger.open(self.ACCOUNT)
        self.shares: dict[int, float] = defaultdict(float)
        self.total_shares = 0.0

    @property
    def balance(self) -> float:
        return self.ledger.balance(self.id)

    @staticmethod
    def nav(balance: float, trader_upnl: float) -> float:
        """Net asset value: cash less the open positions' unrealised PnL owed to traders."""
        return balance - trader_upnl

    def share_price(self, nav: float) -> float:
        return nav / self.total_shares if self.total_shares > 0 and nav > 0 else 1.0

    def deposit(self, account: int, amount: float, nav: float) -> float:
        """Move `amount` from an LP's account into the vault; mint shares at NAV."""
        minted = amount / self.share_price(nav)
        self.ledger.transfer(account, self.id, amount)
        self.shares[account] += minted
        self.total_shares += minted
        return minted

    def withdraw(self, account: int, shares: float, nav: float, reserve: float) -> float:
        """Burn shares for their NAV value, paying only what the reserve leaves free."""
        shares = min(shares, self.shares.get(account, 0.0))
        if shares <= 0:
            return 0.0
        value = shares * self.share_price(nav)
        free = max(0.0, self.balance - reserve)
        paid = min(value, free)
        if paid <= 0:
            return 0.0
        burned = shares * paid / value
        self.ledger.transfer(self.id, account, paid)
        self.shares[account] -= burned
        self.total_shares -= burned
        return paid

    def value_of(self, account: int, nav: float) -> float:
        return self.shares.get(account, 0.0) * self.share_price(nav)
