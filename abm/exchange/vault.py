"""The LP vault: the counterparty of all trader flow, owned by LPs through shares.

As on GMX or Hyperliquid's HLP, the vault pays winning traders and receives losing
traders' margin; its net asset value is its balance less what it owes open positions plus
what it can collect from them (never more than a loser's margin). The share price is NAV
per share and falls to zero or below with NAV; nobody can buy shares while NAV is not
positive.
"""

from __future__ import annotations

import math

from .ledger import Ledger

DUST_SHARES = 1e-12
"""Share balances below this (relative to the total) are treated as redeemed."""


class LPVault:
    ACCOUNT = "lp_vault"

    def __init__(self, ledger: Ledger, name: str = ACCOUNT) -> None:
        self.ledger = ledger
        self.id = ledger.open(name)
        self.shares: dict[int, float] = {}
        self.total_shares = 0.0

    @property
    def balance(self) -> float:
        return self.ledger.balance(self.id)

    @staticmethod
    def nav(balance: float, trader_claims: float) -> float:
        """Net asset value: cash less the traders' net claims on the vault."""
        return balance - trader_claims

    def share_price(self, nav: float) -> float:
        """NAV per share (1 before the first deposit); zero or negative with NAV."""
        return nav / self.total_shares if self.total_shares > 0 else 1.0

    def deposit(self, account: int, amount: float, nav: float) -> float:
        """Move `amount` from an LP's account into the vault; mint shares at NAV.

        Refused (returns 0) while shares are out and NAV is not positive: there is no
        price at which new money would not pay for old losses.
        """
        price = self.share_price(nav)
        if amount <= 0 or price <= 0:
            return 0.0
        minted = amount / price
        self.ledger.transfer(account, self.id, amount)
        self._set(account, self.shares.get(account, 0.0) + minted)
        return minted

    def withdraw(self, account: int, shares: float, nav: float, reserve: float) -> float:
        """Burn shares for their NAV value, paying only what the reserve leaves free."""
        shares = min(shares, self.shares.get(account, 0.0))
        price = self.share_price(nav)
        if shares <= 0 or price <= 0:
            return 0.0
        value = shares * price
        free = max(0.0, self.balance - reserve)
        paid = min(value, free)
        if paid <= 0:
            return 0.0
        burned = shares * paid / value
        self.ledger.transfer(self.id, account, paid)
        self._set(account, self.shares[account] - burned)
        return paid

    def _set(self, account: int, shares: float) -> None:
        """Store one LP's shares; the total is re-added exactly, so it cannot drift."""
        if shares <= DUST_SHARES * max(self.total_shares, 1.0):
            self.shares.pop(account, None)
        else:
            self.shares[account] = shares
        self.total_shares = math.fsum(self.shares.values())

    def value_of(self, account: int, nav: float) -> float:
        return self.shares.get(account, 0.0) * self.share_price(nav)
