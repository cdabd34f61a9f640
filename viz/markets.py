"""Several markets on one page: a picker that turns the charts with a per-market meaning
to one market, and a table of every market's open interest, fund share and bad debt.

Per-market figures are the rows of `ExchangeModel.market_frame()`, read incrementally
through `market_rows(start)`: a frame appends the few rows of the steps since the last
one, where `market_frame()` builds a DataFrame of every row (about 21 ms at 600 steps
× 4 markets, growing with the run; measured in docs/app-notes.md). A model with one
market has no picker and no table, so its page is unchanged.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd
import solara

from . import data
from .health import PAYERS

ALL = "All markets"
"""The picker's first choice: the venue's totals (the model columns)."""

SERIES_COLUMNS = {
    "price": "price",
    "oracle_price": "oracle_price",
    "open_interest": "open_interest",
    "long_oi": "long_oi",
    "short_oi": "short_oi",
    "insurance_fund": "fund_balance",
    "fund_inflow": "fund_inflow",
    "fund_paid": "fund_paid",
    "fund_share": "fund_share",
    "bad_debt": "bad_debt",
    "fund_covered": "fund_covered",
    "lp_loss": "lp_loss",
    "adl_covered": "adl_covered",
    "socialized_loss": "socialized_loss",
    "unresolved_bad_debt": "unresolved_bad_debt",
    "lp_vault": "lp_vault",
    "halted": "halted",
}
"""A market's chart columns, named as the model frame's (`data.model_frame`) so one
chart draws either, and the `market_frame` column each is read from. `insurance_fund`
is the fund the market draws on: the shared fund, or its own when funds are isolated."""

SHARE_TIP = (
    "Fund share: this market's part of everything the insurance fund has paid for bad "
    "debt so far (what it drew / what the fund paid for every market)."
)


def market_names(model) -> list[str]:
    """The markets' names when the model has two or more; empty otherwise (no picker)."""
    venue = getattr(model, "markets", None)
    return list(venue.names) if venue is not None and len(venue) > 1 else []


def exchange_of(model, market: str | None):
    """The market's `Exchange`: the named one, else the first (the model's `exchange`)."""
    if market is None or market == ALL or model.markets is None:
        return model.exchange
    return model.markets[market]


class MarketSeries:
    """Each market's chart columns over the steps, brought up to date from the model's
    new per-market rows at each call of `update` (one per model)."""

    def __init__(self, model) -> None:
        self.names = market_names(model)
        self.seen = 0
        self.steps: list[int] = []
        self.columns = {name: {c: [] for c in SERIES_COLUMNS} for name in self.names}

    def update(self, model) -> MarketSeries:
        k = len(self.names)
        if not k:
            return self
        rows = model.market_rows(self.seen)
        rows = rows[: len(rows) - len(rows) % k]  # whole steps only
        for i, row in enumerate(rows):
            if i % k == 0:
                self.steps.append(int(row["step"]))
            columns = self.columns[row["market"]]
            for name, source in SERIES_COLUMNS.items():
                columns[name].append(row[source])
        self.seen += len(rows)
        return self

    def frame(self, market: str, max_points: int = data.MAX_POINTS) -> pd.DataFrame:
        """The market's columns, one row per step (thinned as the model frame is)."""
        idx = data.thinned(len(self.steps), max_points)
        columns = self.columns[market]
        frame = pd.DataFrame(
            {c: np.asarray(v, dtype=float)[idx] for c, v in columns.items()},
            index=np.asarray(self.steps, dtype=int)[idx],
        )
        frame.index.name = "step"
        return frame

    def latest(self, market: str) -> dict[str, float]:
        """The market's figures at the last whole step."""
        return {c: float(v[-1]) for c, v in self.columns[market].items() if v}


@dataclass(frozen=True)
class MarketRow:
    """One line of the table: a market now, or the venue's totals."""

    market: str
    price: float
    open_interest: float
    fund_paid: float
    fund_share: float
    fund_balance: float
    bad_debt: float
    paid_by: tuple[tuple[str, float], ...]


def _paid_by(values: dict[str, float]) -> tuple[tuple[str, float], ...]:
    return tuple((who, values[c]) for who, c in PAYERS if values.get(c, 0.0) > 0)


def market_table(series: MarketSeries, fund_balance: float) -> list[MarketRow]:
    """Every market's row, then the totals (sums; the price is blank and the fund
    balance is the venue's, `fund_balance`, since a shared fund is one fund)."""
    rows = []
    for name in series.names:
        last = series.latest(name)
        if not last:
            continue
        rows.append(
            MarketRow(
                name,
                last["price"],
                last["open_interest"],
                last["fund_paid"],
                last["fund_share"],
                last["insurance_fund"],
                last["bad_debt"],
                _paid_by(last),
            )
        )
    if not rows:
        return rows
    stages = {c: sum(dict(r.paid_by).get(who, 0.0) for r in rows) for who, c in PAYERS}
    paid = sum(r.fund_paid for r in rows)
    total = MarketRow(
        ALL,
        float("nan"),
        sum(r.open_interest for r in rows),
        paid,
        1.0 if paid > 0 else 0.0,
        fund_balance,
        sum(r.bad_debt for r in rows),
        _paid_by(stages),
    )
    return [*rows, total]


def own_funds(model) -> list[str]:
    """The markets that keep a fund of their own (every one when funds are isolated)."""
    venue = model.markets
    return [name for name in venue.names if venue.has_own_fund(name)]


def scope_words(model) -> str:
    """What the markets' fund scope means, for the table's caption."""
    venue, own = model.markets, own_funds(model)
    if venue.shared_fund is None:
        return "Each market has its own insurance fund and it pays only that market's bad debt."
    fund = venue.ledger.balance(venue.shared_fund.id)
    shared = f"One shared insurance fund ({data.money(fund)} now)"
    backs = "backs every other market" if own else "backs every market"
    cap = ", each up to its cap over the run" if venue.fund_scope == "shared_capped" else ""
    alone = f" {', '.join(own)} keeps a fund of its own and it pays only for itself." if own else ""
    return f"{shared} {backs}{cap}.{alone}"


def table_html(rows: list[MarketRow], picked: str, own_funds: bool) -> str:
    """The table as HTML: one string, compared and sent in one go each frame."""
    esc = html.escape
    heads = ["Market", "Price", "Open interest"]
    heads += ["Own fund"] if own_funds else []
    heads += [f'<abbr class="abm-term" title="{esc(SHARE_TIP)}">Fund share</abbr>']
    heads += ["Bad debt", "Who paid it"]
    out = ["<table><tr>", *(f"<th>{h}</th>" for h in heads), "</tr>"]
    for r in rows:
        picked_row = r.market == picked or (r.market == ALL and picked == ALL)
        cls = ' class="abm-picked"' if picked_row else ""
        who = " · ".join(f"{w} {data.money(x)}" for w, x in r.paid_by) or "—"
        share = f"{data.pct(r.fund_share, 0)} ({data.money(r.fund_paid)})" if r.fund_paid else "—"
        cells = [esc(r.market), data.price(r.price), data.money(r.open_interest)]
        cells += [data.money(r.fund_balance)] if own_funds else []
        cells += [share, data.money(r.bad_debt), esc(who)]
        out += [f"<tr{cls}>", *(f"<td>{c}</td>" for c in cells), "</tr>"]
    out.append("</table>")
    return "".join(out)


@solara.component
def MarketPanel(model, series: MarketSeries, market: solara.Reactive[str]):
    """The picker and the table; nothing for a model with one market."""
    if not series.names:
        return
    picked = market.value if market.value in series.names else ALL
    fund = float(model.markets.fund_balance())
    with solara.Card("Markets", classes=["abm-markets"]):
        solara.HTML(
            tag="div",
            unsafe_innerHTML="The charts show:",
            classes=["abm-caption", "abm-market-label"],
        )
        solara.ToggleButtonsSingle(
            value=picked, values=[ALL, *series.names], on_value=market.set, dense=True
        )
        solara.HTML(
            tag="div",
            unsafe_innerHTML=table_html(market_table(series, fund), picked, bool(own_funds(model))),
            classes=["abm-market-table"],
        )
        solara.Text(
            f"{scope_words(model)} {SHARE_TIP} Price, open interest, fund, bad debt and "
            "leverage follow the market picked above; fund / open interest is the venue's.",
            classes=["abm-caption"],
        )


def fund_seed(model, market: str | None) -> float:
    """What the fund the chart shows started with: the picked market's own fund's seed,
    or the shared fund's (every fund's together under "All markets")."""
    venue = model.markets
    if venue is None:
        return float(model.exchange.fund.inflows.get("seed", 0.0))
    shared = float(venue.shared_fund.inflows["seed"]) if venue.shared_fund is not None else 0.0
    if market in (None, ALL):
        return shared + sum(float(venue[n].fund.inflows["seed"]) for n in own_funds(model))
    return float(venue[market].fund.inflows["seed"]) if venue.has_own_fund(market) else shared
