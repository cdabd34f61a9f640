"""Classroom text for the current preset, under NetLogo's Info-tab headings."""

from __future__ import annotations

from collections.abc import Mapping

import solara

from abm.exchange.market import FlashCrash, Trend

from .data import money, pct
from .health import RULE_TEXT
from .markup import Prose
from .refresh import frame_version
from .text import DEFAULT_INFO, INFO_SECTIONS

BADGE_HEADING = "How the health badge is set"


def info_sections(info: Mapping[str, str] | None) -> list[tuple[str, str]]:
    """(heading, text) for each Info-tab section; missing ones come from the defaults."""
    info = info or {}
    return [
        (title, str(info.get(key) or DEFAULT_INFO[key]).strip()) for key, title in INFO_SECTIONS
    ]


def scripted_shocks(model) -> list[tuple[str, int, object]]:
    """Every scripted shock of the venue as (what it moves, the step it starts at, the
    shock): the common factor's (each market moves by its beta), then each market's own
    ("" where there is one market). Shocks are timed in hours."""
    hours = float(model.exchange.clock.step_hours)
    moved: list[tuple[str, object]] = []
    if model.markets is not None:
        moved += [("the common factor", s) for s in model.markets.factor.params.shocks]
    for ex in model.exchanges:
        name = ex.name if model.markets is not None else ""
        moved += [(name, s) for s in ex.market.params.shocks]
    return [(name, round(s.start / hours), s) for name, s in moved]


def shocks_summary(model) -> str:
    """The scripted shocks of this run, in words."""
    parts = []
    for moved, at, shock in scripted_shocks(model):
        of = f" of {moved}" if moved else ""
        if isinstance(shock, FlashCrash):
            parts.append(f"a {pct(shock.drop, 0)} flash crash{of} at step {at}")
        elif isinstance(shock, Trend):
            way = "fall" if shock.change < 0 else "rise"
            parts.append(f"a {pct(abs(shock.change), 0)} {way}{of} from step {at}")
        else:
            parts.append(type(shock).__name__ + of)
    return " and ".join(parts) or "no scripted crash"


def run_summary(model) -> str:
    """The knobs of this run in one line."""
    p = model.exchange.params
    s = model.settings
    shock = shocks_summary(model)
    return (
        f"This run: {model.n_traders} traders, leverage appetite "
        f"{model.trader_params.appetite:g}× (max {p.max_leverage:.0f}×), penalty "
        f"{pct(p.penalty_rate, 2)} ({pct(p.penalty_fund_share, 0)} to the fund), "
        f"{pct(p.fund_fee_share, 0)} of fees to the fund, initial fund "
        f"{money(s['initial_fund'])}, {shock}."
    )


@solara.component
def ClassroomInfo(
    model,
    info: Mapping[str, str] | None = None,
    title: str = "About this model",
    version: int | None = None,
):
    """The preset's Info text (What is it? How it works. ...), one collapsible panel each.

    `info` is the preset's `[info]` table; without one the general text is shown. The
    text does not change while the model runs, so this does not redraw per frame.
    """
    frame_version(version)
    sections = info_sections(info)
    with solara.Card(title, classes=["abm-info"]):
        solara.Text(run_summary(model), classes=["abm-caption"])
        for i, (heading, text) in enumerate(sections):
            with solara.Details(heading, expand=i == 0):
                Prose(text)
        with solara.Details(BADGE_HEADING):
            Prose(RULE_TEXT)
