"""Fund health at a glance: big numbers, who paid the bad debt, and a green / amber / red
badge whose rule is written out in `RULE_TEXT` (shown in the Info card).

The badge is computed step by step from the collected rows, not per redraw, so it is the
same at every speed; each indicator has separate thresholds to enter and to leave a
state (hysteresis), so a ratio hovering at a threshold does not make the badge flicker.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass

import solara

from . import data
from .refresh import frame_version
from .style import COLORS

GREEN, AMBER, RED = 0, 1, 2
STATES = ("green", "amber", "red")
WINDOW = 24
"""Steps (a day at one hour a step) over which recent bad debt counts."""


@dataclass(frozen=True)
class Band:
    """Thresholds of one indicator: enter a state at `*_in`, leave it only past `*_out`."""

    amber_in: float
    amber_out: float
    red_in: float
    red_out: float
    higher_is_worse: bool = True

    def level(self, value: float, current: int) -> int:
        if not math.isfinite(value):
            return GREEN
        v = value if self.higher_is_worse else -value
        sign = 1 if self.higher_is_worse else -1
        if v >= sign * self.red_in or (current == RED and v >= sign * self.red_out):
            return RED
        if v >= sign * self.amber_in or (current >= AMBER and v >= sign * self.amber_out):
            return AMBER
        return GREEN


DRAWDOWN = Band(0.10, 0.07, 0.30, 0.25)
"""The fund's fall from its peak."""
COVER = Band(0.75, 0.85, 0.40, 0.50, higher_is_worse=False)
"""Fund / open interest (or fund / TVL) as a fraction of the governance target."""
RECENT_PAID = Band(0.005, 0.005, 0.05, 0.05)
"""Bad debt the fund paid over the last day, as a fraction of its peak."""

RULE_TEXT = f"""\
**How the fund health badge is set.** Each step, four things are checked and the worst wins.

* **Red** when the fund is empty, trading is halted, any bad debt of the last
  {WINDOW} steps was *not* covered by the fund (the LP vault, ADL or all traders paid), the
  fund paid {RECENT_PAID.red_in:.0%} of its peak or more in bad debt over the last
  {WINDOW} steps, it is {DRAWDOWN.red_in:.0%} or more below its peak, or it holds under
  {COVER.red_in:.0%} of its target share of open interest (or of TVL, when the target is
  set on TVL).
* **Amber** when it paid {RECENT_PAID.amber_in:.1%} of its peak or more over the last
  {WINDOW} steps, is {DRAWDOWN.amber_in:.0%} or more below its peak, or holds under
  {COVER.amber_in:.0%} of its target.
* **Green** otherwise.

A state is left only with a margin: red from a fall from the peak ends below
{DRAWDOWN.red_out:.0%}, amber below {DRAWDOWN.amber_out:.0%}; a low fund / open interest (or
TVL) must climb back to {COVER.red_out:.0%} (red) or {COVER.amber_out:.0%} (amber) of the target.
So the badge does not flicker when a number hovers at a threshold.
"""


@dataclass(frozen=True)
class Health:
    state: str  # "green", "amber" or "red"
    reason: str
    balance: float
    ratio: float
    """The fund against its target's base: fund / open interest, or fund / TVL."""
    target: float
    bad_debt: float
    unresolved: float
    paid_by: tuple[tuple[str, float], ...] = ()
    """Who paid the bad debt so far: (payer, amount) for each waterfall stage that did."""


PAYERS = (
    ("fund", "fund_covered"),
    ("LP vault", "lp_loss"),
    ("ADL", "adl_covered"),
    ("all traders", "socialized_loss"),
    ("not covered", "unresolved_bad_debt"),
)


class HealthWatch:
    """The badge state of one model, advanced over every collected row since the last call."""

    def __init__(self, model) -> None:
        self.depleted_below = float(model.exchange.fund.depleted_below)
        self.ratio_column, self.base = data.target_base(model)
        self.seen = 0
        self.levels = {"drawdown": GREEN, "cover": GREEN, "paid": GREEN}
        self.peak = 0.0
        self.paid: deque[float] = deque(maxlen=WINDOW)
        self.uncovered: deque[float] = deque(maxlen=WINDOW)
        self.prev_bad = 0.0
        self.prev_fund_paid = 0.0
        self.state = GREEN
        self.why = "No open positions yet: nothing at risk."
        self.history: list[int] = []

    def update(self, model) -> HealthWatch:
        rows = model.datacollector.model_vars
        n = min(len(rows[c]) for c in ("insurance_fund", "bad_debt", "fund_covered"))
        for i in range(self.seen, n):
            self._row({c: v[i] for c, v in rows.items() if i < len(v)})
        self.seen = n
        return self

    def _row(self, r: dict) -> None:
        balance = float(r["insurance_fund"])
        self.peak = max(self.peak, balance)
        bad, fund_paid = float(r["bad_debt"]), float(r["fund_covered"])
        self.paid.append(fund_paid - self.prev_fund_paid)
        self.uncovered.append((bad - self.prev_bad) - (fund_paid - self.prev_fund_paid))
        self.prev_bad, self.prev_fund_paid = bad, fund_paid
        drawdown = 1.0 - balance / self.peak if self.peak > 0 else 0.0
        target = float(r.get("fund_target") or math.nan)
        cover = float(r[self.ratio_column]) / target if target > 0 else math.nan
        recent = sum(self.paid) / self.peak if self.peak > 0 else 0.0
        lv = self.levels
        lv["drawdown"] = DRAWDOWN.level(drawdown, lv["drawdown"])
        lv["cover"] = COVER.level(cover, lv["cover"])
        lv["paid"] = RECENT_PAID.level(recent, lv["paid"])
        hard = self._hard_red(balance, bool(r.get("halted")), sum(self.uncovered))
        state = RED if hard else max(lv.values())
        self.why = hard or self._reason(state, drawdown, cover, recent, target, r)
        self.state = state
        self.history.append(state)

    def _hard_red(self, balance: float, halted: bool, uncovered: float) -> str:
        if balance < self.depleted_below:
            return "The insurance fund is empty: new bad debt falls on LPs and traders."
        if halted:
            return "Trading is halted: bad debt was left that nobody could cover."
        if uncovered > 1e-9:
            return (
                f"The fund did not cover {data.money(uncovered)} of bad debt in the last "
                f"{WINDOW} steps: others paid."
            )
        return ""

    def _reason(self, state, drawdown, cover, recent, target, r) -> str:
        lv = self.levels
        if state == GREEN:
            if not math.isfinite(cover):
                return "No open positions yet: nothing at risk."
            return (
                f"The fund covers {data.pct(float(r[self.ratio_column]))} of {self.base} "
                f"(target {data.pct(target)}) and is {data.pct(drawdown, 0)} below its peak."
            )
        if lv["paid"] == state:
            return (
                f"The fund paid {data.pct(recent, 1)} of its peak in bad debt in the last "
                f"{WINDOW} steps."
            )
        if lv["drawdown"] == state:
            return f"The fund is {data.pct(drawdown, 0)} below its peak."
        return (
            f"The fund covers only {data.pct(float(r[self.ratio_column]))} of {self.base}, "
            f"{data.pct(cover, 0)} of the {data.pct(target)} target."
        )


def transitions(states: list[int]) -> int:
    """How often the badge changed colour."""
    return sum(1 for a, b in itertools.pairwise(states) if a != b)


def fund_health(model, watch: HealthWatch | None = None) -> Health:
    """The badge state now (a fresh watch reads the whole run) and the headline numbers."""
    w = (watch or HealthWatch(model)).update(model)
    m = model.metrics
    paid_by = tuple(
        (name, float(m.get(col, 0.0))) for name, col in PAYERS if float(m.get(col, 0.0)) > 0.005
    )
    return Health(
        STATES[w.state],
        w.why,
        float(m["insurance_fund"]),
        float(m[w.ratio_column]),
        data.fund_target(model),
        float(m["bad_debt"]),
        float(m["unresolved_bad_debt"]),
        paid_by,
    )


def paid_by_text(h: Health) -> str:
    """'fund $147.7k, LP vault $13.0k' or 'none yet'."""
    if not h.paid_by:
        return "none yet"
    return ", ".join(f"{name} {data.money(x)}" for name, x in h.paid_by)


def _big(label: str, value: str, note: str, ref: str):
    with solara.Column(gap="0px", classes=["abm-big"]).meta(ref=ref):
        solara.Text(label, classes=["abm-big-label"])
        solara.Text(value, classes=["abm-big-value"])
        solara.Text(note, classes=["abm-big-note"])


@solara.component
def HealthPanel(model, version: int | None = None):
    """Fund balance, fund / open interest and bad debt with who paid it, and the badge."""
    frame_version(version)
    watch = solara.use_memo(lambda: HealthWatch(model), [model])
    h = fund_health(model, watch)
    with solara.Row(gap="12px", classes=["abm-health"], style={"align-items": "stretch"}):
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
            f"Fund / {data.target_base(model)[1]}",
            data.pct(h.ratio),
            f"target {data.pct(h.target)}",
            "ratio",
        )
        _big("Bad debt so far", data.money(h.bad_debt), f"paid by: {paid_by_text(h)}", "bad_debt")
        with solara.Column(gap="0px", classes=["abm-reason"]):
            solara.Text(f"Step {model.steps}", classes=["abm-big-label"])
            solara.Text(h.reason, classes=["abm-reason-text"])
