"""Fund health at a glance: three big numbers and a green / amber / red state."""

from __future__ import annotations

import math
from dataclasses import dataclass

import solara

from . import data
from .figures import COLORS
from .refresh import frame_version


@dataclass(frozen=True)
class Health:
    state: str  # "green", "amber" or "red"
    reason: str
    balance: float
    fund_to_oi: float
    target: float
    bad_debt: float
    unresolved: float


def fund_health(model) -> Health:
    """Red: the fund is empty, trading is halted or the fund covers under half its target.
    Amber: below target, or the fund paid bad debt this step. Green otherwise."""
    ex = model.exchange
    m = model.metrics
    balance = float(m["insurance_fund"])
    ratio = float(m["fund_to_oi"])
    target = data.fund_target(model)
    bad_debt = float(m["bad_debt"])
    unresolved = float(m["unresolved_bad_debt"])
    has_oi = math.isfinite(ratio)
    if balance < ex.fund.depleted_below:
        state, reason = "red", "The insurance fund is empty: new bad debt falls on LPs and traders."
    elif m["halted"]:
        state, reason = "red", "Trading is halted: bad debt was left that nobody could cover."
    elif has_oi and ratio < 0.5 * target:
        state, reason = (
            "red",
            (
                f"The fund covers only {data.pct(ratio)} of open interest, "
                f"under half the {data.pct(target)} target."
            ),
        )
    elif has_oi and ratio < target:
        state, reason = (
            "amber",
            (
                f"The fund covers {data.pct(ratio)} of open interest, "
                f"below the {data.pct(target)} target."
            ),
        )
    elif m["bad_debt_step"] > 0:
        state, reason = "amber", "The fund is paying for bad debt right now."
    else:
        state, reason = (
            "green",
            (
                f"The fund covers {data.pct(ratio)} of open interest (target {data.pct(target)})."
                if has_oi
                else "No open positions yet: nothing at risk."
            ),
        )
    return Health(state, reason, balance, ratio, target, bad_debt, unresolved)


def _big(label: str, value: str, note: str, ref: str):
    with solara.Column(gap="0px", classes=["abm-big"]).meta(ref=ref):
        solara.Text(label, classes=["abm-big-label"])
        solara.Text(value, classes=["abm-big-value"])
        solara.Text(note, classes=["abm-big-note"])


@solara.component
def HealthPanel(model, version: int | None = None):
    """Fund balance, fund / open interest and bad debt, with the health state beside them."""
    frame_version(version)
    h = fund_health(model)
    with solara.Row(gap="16px", classes=["abm-health"], style={"align-items": "stretch"}):
        with solara.Column(
            gap="0px",
            classes=["abm-state", f"abm-state-{h.state}"],
            style={"background": COLORS[h.state]},
        ).meta(ref="state"):
            solara.Text("Fund health", classes=["abm-big-label"])
            solara.Text(h.state.upper(), classes=["abm-state-word"])
        _big(
            "Insurance fund",
            data.money(h.balance),
            f"started at {data.money(model.exchange.fund.inflows.get('seed', 0.0))}",
            "balance",
        )
        _big(
            "Fund / open interest",
            data.pct(h.fund_to_oi),
            f"target {data.pct(h.target)}",
            "ratio",
        )
        _big(
            "Bad debt so far",
            data.money(h.bad_debt),
            f"{data.money(h.unresolved)} not covered" if h.unresolved > 0 else "all of it covered",
            "bad_debt",
        )
        with solara.Column(gap="0px", classes=["abm-reason"]):
            solara.Text(f"Step {model.steps}", classes=["abm-big-label"])
            solara.Text(h.reason, classes=["abm-reason-text"])
