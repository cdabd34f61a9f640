"""The governance panel: proposals over time, their votes against the quorum, the
governable parameters and the treasury, and the voter network.

Reads `model.governance` (the token, the voter network and the governor) and the
`proposal` / `param_change` events. The network layout is computed once per model.
Charts are ECharts like `viz.charts` (see there why): titled axes, PNG and CSV export.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np
import pandas as pd
import solara

from abm.agents.voters import Voter
from abm.exchange.params import ExchangeParams

from .axes import Ticks, money_ticks, nice_ticks
from .charts import (
    FONT,
    STEP_AXIS,
    EChart,
    chart_option,
    png_toolbox,
    titled_axis,
    value_axis,
)
from .data import money, pct
from .events import PARAM_WORDS
from .refresh import frame_version

SHOWN = 6
"""Proposals on the charts: the latest ones."""

STATE_COLORS = {
    "pending": "#9e9e9e",
    "active": "#1e88e5",
    "succeeded": "#43a047",
    "queued": "#f9a825",
    "executed": "#2e7d32",
    "defeated": "#c62828",
    "expired": "#6d4c41",
    "canceled": "#212121",
}
PHASES = (("pending", "waiting (voting delay)"), ("active", "voting"), ("queued", "timelock"))
FOR, AGAINST, NOT_VOTED = "#2e7d32", "#c62828", "#c8c8c8"


def governance(model):
    """The model's governance, or None if it has none or it is switched off."""
    gov = getattr(model, "governance", None)
    return gov if gov is not None and gov.enabled else None


class ProposalHistory:
    """When each proposal entered each state, read incrementally from the events."""

    def __init__(self) -> None:
        self.seen = 0
        self.entered: dict[int, dict[str, int]] = {}

    def update(self, events: list[dict]) -> ProposalHistory:
        for e in events[self.seen :]:
            if e["kind"] == "proposal":
                self.entered.setdefault(int(e["id"]), {}).setdefault(str(e["state"]), e["step"])
        self.seen = len(events)
        return self


def latest(gov, n: int = SHOWN) -> list:
    """The latest `n` proposal records, oldest first."""
    records = gov.governor.proposals
    return [records[i] for i in sorted(records)[-n:]]


def quorum_votes(gov, rec) -> float:
    if rec.quorum_votes > 0:
        return float(rec.quorum_votes)
    return float(gov.governor.params.quorum * gov.token.supply)


# -- the timeline -----------------------------------------------------------------------
@dataclass(frozen=True)
class Phase:
    state: str
    start: int
    end: int


def phases(rec, entered: dict[str, int], now: int) -> list[Phase]:
    """The waiting, voting and timelock stretches of one proposal, up to `now`."""
    out = []
    created = entered.get("pending", rec.created)
    active_at = entered.get("active", rec.snapshot)
    closed = next((entered[s] for s in ("succeeded", "defeated") if s in entered), None)
    done = next((entered[s] for s in ("executed", "expired", "canceled") if s in entered), None)
    out.append(Phase("pending", created, min(active_at, now)))
    if "active" in entered or now > rec.snapshot:
        out.append(Phase("active", active_at, closed if closed is not None else min(rec.end, now)))
    if "queued" in entered:
        out.append(Phase("queued", entered["queued"], done if done is not None else now))
    return out


def row_label(rec) -> str:
    """A short row name for the charts ("#3 executed"); the list below says what it does."""
    return f"#{rec.id} {rec.state}"


def rows_axis(records: list) -> dict:
    """One category per proposal, the oldest at the bottom and the latest at the top."""
    return {
        "type": "category",
        "data": [row_label(r) for r in records],
        "axisTick": {"show": False},
        "axisLabel": {"fontSize": FONT},
    }


def empty(option: dict, words: str) -> dict:
    option["graphic"] = [
        {
            "type": "text",
            "left": "center",
            "top": "middle",
            "style": {"text": words, "fontSize": 16, "fill": "#777"},
        }
    ]
    return option


def timeline_option(records: list, history: ProposalHistory, now: int) -> dict:
    """Stacked horizontal bars: an invisible gap, then each phase's length in steps."""
    if not records:
        x = titled_axis(STEP_AXIS, {"min": 0, "max": max(now, 10)}, "middle")
        return empty(chart_option("proposal_timeline", x, rows_axis([]), []), "no proposals yet")
    lives = [{p.state: p for p in phases(r, history.entered.get(r.id, {}), now)} for r in records]
    series = []
    cursors = [0.0] * len(records)
    for state, words in PHASES:
        gaps, lengths = [], []
        for i, life in enumerate(lives):
            ph = life.get(state)
            if ph is None:
                gaps.append(0.0)
                lengths.append(0.0)
                continue
            gaps.append(max(ph.start - cursors[i], 0.0))
            lengths.append(max(ph.end - ph.start, 0.6))
            cursors[i] = max(cursors[i], float(ph.start)) + lengths[-1]
        series.append(_bar(f"gap before {words}", gaps, "life", "transparent", silent=True))
        series.append(_bar(words, lengths, "life", STATE_COLORS[state]))
    lo = min(r.created for r in records)
    ticks = nice_ticks(max(lo - 2, 0), max(now, lo + 10) + 2)
    x = titled_axis(STEP_AXIS, {"min": ticks[0], "max": ticks[-1]}, "middle")
    option = chart_option("proposal_timeline", x, rows_axis(records), series)
    option["legend"]["data"] = [words for _, words in PHASES]
    option["tooltip"] = {"trigger": "item", "formatter": "{b}<br/>{a}: {c} steps"}
    return option


def _bar(name: str, values: list[float], stack: str, color: str, silent: bool = False) -> dict:
    bar = {
        "type": "bar",
        "name": name,
        "stack": stack,
        "barWidth": "55%",
        "color": color,
        "data": [round(float(v), 4) for v in values],
    }
    if silent:
        bar.update(silent=True, tooltip={"show": False}, itemStyle={"color": "transparent"})
    return bar


def timeline_csv(records: list, history: ProposalHistory) -> str:
    """One row per proposal: what it does, its state and the step it entered each state."""
    states = list(STATE_COLORS)
    table = pd.DataFrame(
        [
            {
                "proposal": r.id,
                "description": r.proposal.describe(),
                "state": str(r.state),
                **{f"step_{s}": history.entered.get(r.id, {}).get(s) for s in states},
            }
            for r in records
        ]
    )
    steps = [c for c in table if c.startswith("step_")]
    table[steps] = table[steps].astype("Int64")
    return table.to_csv(index=False)


def proposal_list_html(records: list) -> str:
    """The proposals the charts show, latest first, in words."""
    items = [
        f"<li><b>#{r.id}</b> {html.escape(r.proposal.describe())}: "
        f'<span style="color:{STATE_COLORS.get(str(r.state), "inherit")}">{r.state}</span></li>'
        for r in reversed(records)
    ]
    return '<ul class="abm-gov-list">' + "".join(items) + "</ul>"


@solara.component
def ProposalTimeline(model, version: int | None = None):
    """Each recent proposal's life: waiting, voting and timelock, then its outcome."""
    frame_version(version)
    history = solara.use_memo(ProposalHistory, [model])
    gov = governance(model)
    history.update(model.events)
    records = latest(gov) if gov is not None else []
    EChart(
        "Proposals over time",
        timeline_option(records, history, int(model.exchange.step)),
        lambda: timeline_csv(records, history),
        "Each row is one proposal (latest at the top); a bar's length is steps.",
    )
    if records:
        solara.HTML(tag="div", unsafe_innerHTML=proposal_list_html(records))


# -- votes against the quorum -----------------------------------------------------------
VOTES_AXIS = "votes (governance tokens)"


def votes_option(gov, records: list) -> dict:
    """Votes for, then against, stacked per proposal; a black bar marks each quorum."""
    if not records:
        x = value_axis(VOTES_AXIS, token_ticks(0.0, 1.0), "middle")
        return empty(chart_option("votes", x, rows_axis([]), []), "no votes yet")
    yes = np.array([r.votes_for for r in records], dtype=float)
    no = np.array([r.votes_against for r in records], dtype=float)
    quorum = np.array([quorum_votes(gov, r) for r in records])
    t = token_ticks(0.0, float(max((yes + no).max(), quorum.max(), 1.0)))
    d = t.divisor
    series = [
        _bar("for", yes / d, "votes", FOR),
        _bar("against", no / d, "votes", AGAINST),
        {
            "type": "scatter",
            "name": "quorum",
            "symbol": "rect",
            "symbolSize": [4, 28],
            "color": "black",
            "data": [[round(q / d, 4), i] for i, q in enumerate(quorum.tolist())],
        },
    ]
    x = value_axis(VOTES_AXIS, t, "middle")
    option = chart_option("votes", x, rows_axis(records), series)
    option["tooltip"] = {"trigger": "axis", "axisPointer": {"type": "shadow"}}
    return option


def token_ticks(lo: float, hi: float) -> Ticks:
    """Token amounts read like money without the dollar: 0, 500k, 1M, 1.5M."""
    return replace(money_ticks(lo, hi, floor_zero=True), prefix="")


def votes_csv(gov, records: list) -> str:
    table = pd.DataFrame(
        [
            {
                "proposal": r.id,
                "description": r.proposal.describe(),
                "votes_for": r.votes_for,
                "votes_against": r.votes_against,
                "quorum": quorum_votes(gov, r),
            }
            for r in records
        ]
    )
    return table.to_csv(index=False, float_format="%.6g")


@solara.component
def ProposalVotes(model, version: int | None = None):
    """Votes for and against each recent proposal; the black bar is its quorum."""
    frame_version(version)
    gov = governance(model)
    records = latest(gov) if gov is not None else []
    EChart(
        "Votes for and against, and the quorum",
        votes_option(gov, records),
        lambda: votes_csv(gov, records),
        "A proposal passes with votes for at or above the quorum and a majority.",
    )


# -- parameters and treasury ------------------------------------------------------------
def governable_rows(model) -> list[tuple[str, float, float]]:
    """(parameter, value at the start, value now) for every governable parameter."""
    now = model.exchange.params
    start: dict[str, float] = {}
    for e in model.events:
        if e["kind"] == "param_change":
            start.setdefault(e["name"], e["old"])
    return [
        (name, float(start.get(name, getattr(now, name))), float(getattr(now, name)))
        for name in ExchangeParams.GOVERNABLE
    ]


def params_html(model) -> str:
    rows = []
    for name, first, current in governable_rows(model):
        changed = not math.isclose(first, current, rel_tol=1e-12, abs_tol=1e-15)
        was = f"was {pct(first, 2)}" if changed else ""
        mark = ' class="abm-changed"' if changed else ""
        words = html.escape(PARAM_WORDS.get(name, name))
        rows.append(
            f"<tr{mark}><td>{words}</td><td><b>{pct(current, 2)}</b></td><td>{was}</td></tr>"
        )
    return '<table class="abm-params">' + "".join(rows) + "</table>"


COUNT_WORDS = (
    ("executed", ("executed",)),
    ("in the timelock", ("succeeded", "queued")),
    ("voting or waiting", ("pending", "active")),
    ("voted down", ("defeated",)),
    ("expired", ("expired",)),
    ("cancelled", ("canceled",)),
)


def proposal_counts(gov) -> str:
    """Every proposal counted once by its state: the parts add up to the total."""
    states = [str(r.state) for r in gov.governor.proposals.values()]
    parts = [
        f"{n} {words}" for words, group in COUNT_WORDS if (n := sum(s in group for s in states))
    ]
    total = f"{len(states)} proposal{'s' if len(states) != 1 else ''}"
    return total + (": " + " · ".join(parts) if parts else "")


@solara.component
def GovernedParameters(model, version: int | None = None):
    """The governable parameters now (and what they were), the treasury and the tallies."""
    frame_version(version)
    gov = governance(model)
    ex = model.exchange
    with solara.Card(classes=["abm-gov-params"]):
        solara.HTML(tag="div", unsafe_innerHTML="Governed parameters", classes=["abm-chart-title"])
        with solara.Row(gap="18px", style={"flex-wrap": "wrap"}):
            solara.Text(f"Treasury {money(ex.treasury)}", classes=["abm-gov-number"])
            if gov is not None:
                solara.Text(
                    f"Injected into the fund {money(gov.treasury_injected)}",
                    classes=["abm-gov-number"],
                )
                solara.Text(proposal_counts(gov), classes=["abm-gov-number"])
                solara.Text(f"Last turnout {pct(gov.turnout_last, 0)}", classes=["abm-gov-number"])
        solara.HTML(tag="div", unsafe_innerHTML=params_html(model))


# -- the voter network ------------------------------------------------------------------
@dataclass(frozen=True)
class NetworkLayout:
    """Node positions (one spring layout per model), links by node index, the voters."""

    holders: np.ndarray
    xy: np.ndarray
    links: list[dict]
    voters: list


def network_layout(model) -> NetworkLayout | None:
    gov = governance(model)
    if gov is None:
        return None
    graph = gov.network.social
    holders = np.array(sorted(graph.nodes))
    pos = nx.spring_layout(graph, seed=0, iterations=60)
    xy = np.round(np.array([pos[h] for h in holders]), 4)
    index = {h: i for i, h in enumerate(holders)}
    links = [{"source": index[a], "target": index[b]} for a, b in graph.edges]
    by_holder = {a.holder: a for a in model.agents_by_type.get(Voter, [])}
    voters = [by_holder.get(int(h)) for h in holders]
    return NetworkLayout(holders, xy, links, voters)


NODE_MIN, NODE_MAX = 4.0, 30.0
"""Dot diameters in pixels: no voting power, and the most of it."""
VOTE_GROUPS = (("voted for", FOR), ("voted against", AGAINST), ("not voted yet", NOT_VOTED))


def node_style(model, layout: NetworkLayout) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Voting power, dot sizes (area follows power) and colours from each last vote."""
    gov = model.governance
    power = np.array([gov.power(int(h)) for h in layout.holders], dtype=float)
    top = power.max() if power.size and power.max() > 0 else 1.0
    sizes = NODE_MIN + (NODE_MAX - NODE_MIN) * np.sqrt(power / top)
    colors = []
    for agent in layout.voters:
        last = getattr(agent, "last_vote", math.nan)
        colors.append(NOT_VOTED if last is None or math.isnan(last) else FOR if last else AGAINST)
    return power, sizes, colors


def network_option(layout: NetworkLayout, power, sizes, colors: list[str]) -> dict:
    """A graph at the fixed layout: no axes, one legend entry per kind of last vote."""
    group = {color: i for i, (_, color) in enumerate(VOTE_GROUPS)}
    nodes = [
        {
            "name": f"holder {int(h)}",
            "x": float(x),
            "y": float(y),
            "value": round(float(p)),
            "symbolSize": round(float(s), 2),
            "category": group[c],
        }
        for h, (x, y), p, s, c in zip(
            layout.holders.tolist(), layout.xy.tolist(), power, sizes, colors, strict=True
        )
    ]
    return {
        "animation": False,
        "textStyle": {"fontSize": FONT},
        "legend": {"bottom": 0, "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} votes of power"},
        "toolbox": png_toolbox("voter_network"),
        "series": [
            {
                "type": "graph",
                "name": "voters",
                "layout": "none",
                "roam": False,
                "top": 16,
                "bottom": 40,
                "categories": [
                    {"name": name, "itemStyle": {"color": color}} for name, color in VOTE_GROUPS
                ],
                "data": nodes,
                "links": layout.links,
                "lineStyle": {"color": "#b0b0b0", "width": 0.6, "opacity": 0.8},
                "itemStyle": {"borderColor": "#ffffff", "borderWidth": 0.5},
                "label": {"show": False},
                "emphasis": {"focus": "adjacency"},
            }
        ],
    }


def network_csv(layout: NetworkLayout, power, colors: list[str]) -> str:
    words = {color: name for name, color in VOTE_GROUPS}
    table = pd.DataFrame(
        {
            "holder": layout.holders,
            "x": layout.xy[:, 0],
            "y": layout.xy[:, 1],
            "voting_power": power,
            "last_vote": [words[c] for c in colors],
        }
    )
    return table.to_csv(index=False, float_format="%.6g")


@solara.component
def VoterNetworkChart(model, version: int | None = None):
    """Token holders and who sees whose vote; size is voting power, colour the last vote."""
    frame_version(version)
    layout = solara.use_memo(lambda: network_layout(model), [model])
    if layout is None:
        solara.Info("Governance is switched off for this run: no voters.")
        return
    power, sizes, colors = node_style(model, layout)
    delegating = int(np.count_nonzero(power <= 0))
    EChart(
        "Voter network",
        network_option(layout, power, sizes, colors),
        lambda: network_csv(layout, power, colors),
        f"{len(layout.holders)} token holders; dot size is voting power "
        f"({delegating} delegated theirs and show as dots).",
        height="360px",
    )


@solara.component
def GovernancePanel(model, version: int | None = None):
    """Proposals, votes and quorum, the governed parameters and treasury, the voter network."""
    counter = frame_version(version)
    if governance(model) is None:
        solara.Info(
            "Governance is switched off for this run: nobody proposes or votes, and the "
            "parameters stay where they started. Tick 'Governance on' and press Reset."
        )
        GovernedParameters(model, version=counter)
        return
    with solara.ColumnsResponsive(default=12, large=6):
        with solara.Column():
            ProposalTimeline(model, version=counter)
            ProposalVotes(model, version=counter)
        with solara.Column():
            VoterNetworkChart(model, version=counter)
            GovernedParameters(model, version=counter)
