"""Classroom text for the current preset, under NetLogo's Info-tab headings."""

from __future__ import annotations

from collections.abc import Mapping

import solara

from .data import money, pct
from .refresh import frame_version
from .text import DEFAULT_INFO, INFO_SECTIONS


def info_sections(info: Mapping[str, str] | None) -> list[tuple[str, str]]:
    """(heading, text) for each Info-tab section; missing ones come from the defaults."""
    info = info or {}
    return [
        (title, str(info.get(key) or DEFAULT_INFO[key]).strip()) for key, title in INFO_SECTIONS
    ]


def run_summary(model) -> str:
    """The knobs of this run in one line."""
    s = model.settings
    p = model.exchange.params
    shock = (
        f"a {pct(s['shock_size'], 0)} flash crash at step {s['shock_step']}"
        if s.get("shock_size", 0) > 0
        else "no scripted crash"
    )
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
            with solara.Details(heading, expand=i < 2):
                solara.Markdown(text)
