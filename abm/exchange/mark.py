"""The mark price: what margin, uPnL and liquidations are measured against.

`oracle` marks at the oracle (the index). `fair_price` is Binance's and BitMEX's fair
price, the index plus a moving average of the basis (book price − index), so a wick of the
book alone barely moves it. `median` is Hyperliquid's: the median of that fair price, the
book price and an external price, so a wick in any one source is ignored. See
docs/funding.md for the venues' definitions.
"""

from __future__ import annotations

from collections import deque

MARK_PRICES = ("oracle", "fair_price", "median")


class MarkPrice:
    """A mark price from the index, the book and an external price, step by step."""

    def __init__(self, rule: str, window_steps: int, price: float) -> None:
        if rule not in MARK_PRICES:
            raise ValueError(f"mark_price must be one of {list(MARK_PRICES)}, got {rule!r}")
        self.rule = rule
        self.basis: deque[float] = deque(maxlen=max(1, window_steps))
        self.price = price

    def update(self, index: float, book: float, external: float) -> float:
        self.basis.append(book - index)
        fair = index + sum(self.basis) / len(self.basis)
        if self.rule == "oracle":
            self.price = index
        elif self.rule == "fair_price":
            self.price = fair
        else:
            self.price = sorted((fair, book, external))[1]
        return self.price
