"""Two runs side by side: the same settings and the same random numbers (the same seed),
but one setting changed, so any difference is that setting's doing."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import solara

from abm.model import ExchangeModel

from . import data
from .axes import money_ticks
from .charts import WATERFALL, EChart, StickyAxis, chart_option, line, step_axis, value_axis
from .controls import parse_step
from .runner import kernel

A_COLOR, B_COLOR = "#1f4e9c", "#d95f02"


@dataclass(frozen=True)
class Choice:
    """A setting a class can vary, with the two values offered first."""

    key: str
    label: str
    a: float
    b: float
    lo: float
    hi: float
    step: float
    show: Callable[[float], str]


CHOICES = (
    Choice("penalty_fund_share", "Fund's share of the penalty", 0.2, 0.8, 0.0, 1.0, 0.05,
           lambda x: data.pct(x, 0)),
    Choice("penalty_rate", "Liquidation penalty rate", 0.005, 0.03, 0.0, 0.1, 0.0025,
           lambda x: data.pct(x, 2)),
    Choice("initial_fund", "Initial insurance fund", 50_000.0, 500_000.0, 0.0, 2e6, 25_000.0,
           data.money),
    Choice("leverage_appetite", "Leverage appetite", 1.0, 2.0, 0.25, 3.0, 0.05,
           lambda x: f"{x:g}×"),
)  # fmt: skip
BY_LABEL = {c.label: c for c in CHOICES}
DEFAULT_STEPS = "700"


@dataclass(frozen=True)
class Outcome:
    label: str
    frame: pd.DataFrame

    @property
    def last(self) -> pd.Series:
        return self.frame.iloc[-1]


def run_pair(
    base: dict[str, Any], key: str, a: float, b: float, steps: int, show: Callable
) -> tuple[Outcome, Outcome]:
    """Both runs from the same settings and seed, `key` set to `a` and to `b`."""
    out = []
    for value in (a, b):
        m = ExchangeModel(**{**base, key: value})
        for _ in range(steps):
            m.step()
        out.append(Outcome(show(value), data.model_frame(m)))
    return out[0], out[1]


def compare_option(a: Outcome, b: Outcome, column: str, file: str) -> dict:
    lo, hi = data_range(a.frame[column], b.frame[column])
    t = StickyAxis().fit(min(lo, 0.0), hi, money_ticks)
    series = [
        line(f"A: {a.label}", a.frame.index.to_numpy(), a.frame[column], A_COLOR, t, width=2.5),
        line(f"B: {b.label}", b.frame.index.to_numpy(), b.frame[column], B_COLOR, t, width=2.5),
    ]
    return chart_option(file, step_axis(a.frame), value_axis("US$", t), series)


def data_range(*columns) -> tuple[float, float]:
    vals = np.concatenate([np.asarray(c, dtype=float) for c in columns])
    vals = vals[np.isfinite(vals)]
    return (float(vals.min()), float(vals.max())) if vals.size else (0.0, 1.0)


def waterfall_option(a: Outcome, b: Outcome) -> dict:
    """Who paid the bad debt in each run: one stacked bar per run."""
    totals = [sum(float(o.last.get(c, 0.0)) for _, c, _ in WATERFALL) for o in (a, b)]
    t = money_ticks(0.0, max(max(totals), 1.0), floor_zero=True)
    series = [
        {
            "type": "bar",
            "name": name,
            "stack": "paid",
            "color": color,
            "data": [round(float(o.last.get(col, 0.0)) / t.divisor, 4) for o in (a, b)],
        }
        for name, col, color in WATERFALL
    ]
    x_axis = {"type": "category", "data": [f"A: {a.label}", f"B: {b.label}"],
              "axisLabel": {"fontSize": 14}}  # fmt: skip
    return chart_option("compare_waterfall", x_axis, value_axis("US$", t), series)


def _csv(a: Outcome, b: Outcome, columns: list[str]) -> Callable[[], str]:
    def text() -> str:
        both = pd.concat({"A": a.frame[columns], "B": b.frame[columns]}, axis=1)
        both.columns = [f"{run}_{col}" for run, col in both.columns]
        return both.to_csv(float_format="%.6g")

    return text


@solara.component
def CompareResults(a: Outcome, b: Outcome, what: str):
    with solara.Row(gap="12px", style={"flex-wrap": "wrap"}):
        for name, o, color in (("A", a, A_COLOR), ("B", b, B_COLOR)):
            with solara.Column(gap="0px", classes=["abm-big", f"abm-compare-{name.lower()}"]):
                solara.Text(f"{name}: {what} {o.label}", classes=["abm-big-label"])
                solara.Text(
                    f"fund {data.money(o.last['insurance_fund'])}",
                    classes=["abm-compare-fund"],
                    style={"color": color},
                )
                solara.Text(
                    f"bad debt {data.money(o.last['bad_debt'])}, the fund paid "
                    f"{data.money(o.last['fund_covered'])}",
                    classes=["abm-big-note"],
                )
    cols = ["insurance_fund", "bad_debt", *[c for _, c, _ in WATERFALL if c in a.frame]]
    with solara.ColumnsResponsive(default=12, large=6):
        EChart(
            "Insurance fund, A and B",
            compare_option(a, b, "insurance_fund", "compare_fund"),
            _csv(a, b, cols),
        )
        EChart(
            "Bad debt so far, A and B",
            compare_option(a, b, "bad_debt", "compare_bad_debt"),
            _csv(a, b, cols),
        )
        EChart("Who paid the bad debt, A and B", waterfall_option(a, b), _csv(a, b, cols))


@solara.component
def ComparePanel(base: dict[str, Any], seed_text: str):
    """Pick a setting and two values; both runs use the settings and seed on screen."""
    choice_label = solara.use_reactive(CHOICES[0].label)
    choice = BY_LABEL[choice_label.value]
    a = solara.use_reactive(choice.a)
    b = solara.use_reactive(choice.b)
    steps_text = solara.use_reactive(DEFAULT_STEPS)
    result = solara.use_reactive(None)
    busy = solara.use_reactive(False)
    steps = parse_step(steps_text.value)

    def pick(label: str) -> None:
        choice_label.set(label)
        a.set(BY_LABEL[label].a)
        b.set(BY_LABEL[label].b)

    def run() -> None:
        if steps.value is None:
            return
        busy.set(True)
        ctx = kernel()
        args = (base, choice.key, a.value, b.value, steps.value, choice.show)

        def work() -> None:
            with ctx if ctx is not None else contextlib.nullcontext():
                pair = run_pair(*args)
                result.set((pair, choice.label))
                busy.set(False)

        threading.Thread(target=work, name="abm-compare", daemon=True).start()

    with solara.Card("Compare two settings on the same random numbers", classes=["abm-compare"]):
        solara.Text(
            f"Both runs start from the settings of the run on screen, seed {seed_text}, "
            "and differ only in the setting below.",
            classes=["abm-caption"],
        )
        solara.Select("Setting to compare", value=choice.label, values=list(BY_LABEL),
                      on_value=pick)  # fmt: skip
        for name, r in (("A", a), ("B", b)):
            solara.SliderFloat(
                f"{name}: {choice.show(r.value)}",
                value=r,
                min=choice.lo,
                max=choice.hi,
                step=choice.step,
            )
        with solara.Row(gap="8px", style={"align-items": "baseline"}):
            solara.InputText(
                "Steps to run",
                value=steps_text,
                error=bool(steps.error),
                message=steps.error or None,
                continuous_update=True,
                style={"max-width": "140px"},
            )
            solara.Button(
                "Running both…" if busy.value else "Run both",
                on_click=run,
                color="primary",
                disabled=busy.value or steps.value is None,
            )
    if result.value is not None:
        (ra, rb), label = result.value
        CompareResults(ra, rb, label.lower())
