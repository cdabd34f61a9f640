"""The governance panel: proposals over time, their votes against the quorum, the
governable parameters and the treasury, and the voter network.

Reads `model.governance` (the token, the voter network and the governor) and the
`proposal` / `param_change` events. The network layout is computed once per model.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
import solara
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.ticker import FuncFormatter

from abm.agents.voters import Voter
from abm.exchange.params import ExchangeParams

from .data import money, pct
from .events import PARAM_WORDS
from .figures import STATIC, Extent, LiveFigure
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


def _label(rec) -> str:
    text = rec.proposal.describe()
    return f"#{rec.id} {text if len(text) <= 48 else text[:47] + '…'}"


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


def _rect(x0: float, x1: float, row: float, height: float) -> list[tuple[float, float]]:
    y0, y1 = row - height / 2, row + height / 2
    return [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]


def draw_timeline(ax: Axes, records: list, history: ProposalHistory, now: int) -> Extent:
    ax.set_yticks([])
    if not records:
        ax.text(0.5, 0.5, "no proposals yet", transform=ax.transAxes, ha="center", color="0.4")
        return Extent((0.0, float(max(now, 10))), (0.0, 1.0), y_exact=True)
    lo = min(r.created for r in records)
    bars, colors = [], []
    for row, rec in enumerate(records):
        for ph in phases(rec, history.entered.get(rec.id, {}), now):
            bars.append(_rect(ph.start, max(ph.end, ph.start + 0.6), row, 0.36))
            colors.append(STATE_COLORS[ph.state])
        state = str(rec.state)
        label = ax.text(
            lo,
            row + 0.24,
            f"{_label(rec)}: {state}",
            fontsize=9.5,
            va="bottom",
            color=STATE_COLORS.get(state, "black"),
        )
        label.set_gid(STATIC)
    ax.add_collection(PolyCollection(bars, facecolors=colors, lw=0))
    span = (float(lo - 2), float(max(now, lo + 10) + 2))
    key = tuple((r.id, str(r.state)) for r in records)
    return Extent(span, (-0.4, len(records) - 0.05), y_exact=True, key=key)


@solara.component
def ProposalTimeline(model, version: int | None = None):
    """Each recent proposal's life: waiting, voting and timelock, then its outcome."""
    counter = frame_version(version)
    history = solara.use_memo(ProposalHistory, [model])
    gov = governance(model)
    history.update(model.events)
    records = latest(gov) if gov is not None else []
    LiveFigure(
        model,
        "Proposals over time",
        lambda ax: draw_timeline(ax, records, history, int(model.exchange.step)),
        legend=[(label, STATE_COLORS[s], "area") for s, label in PHASES],
        caption="Each row is one proposal (latest at the top); x is the step.",
        version=counter,
        size=(4.8, 3.0),
    )


# -- votes against the quorum -----------------------------------------------------------
def draw_votes(ax: Axes, gov, records: list) -> Extent:
    ax.set_yticks([])
    if not records:
        ax.text(0.5, 0.5, "no votes yet", transform=ax.transAxes, ha="center", color="0.4")
        return Extent((0.0, 1.0), (0.0, 1.0), y_exact=True)
    rows = np.arange(len(records))
    yes = np.array([r.votes_for for r in records])
    no = np.array([r.votes_against for r in records])
    quorum = np.array([quorum_votes(gov, r) for r in records])
    bars = [_rect(0.0, y, row, 0.36) for row, y in zip(rows, yes, strict=True)]
    bars += [_rect(y, y + n, row, 0.36) for row, y, n in zip(rows, yes, no, strict=True)]
    colors = [FOR] * len(rows) + [AGAINST] * len(rows)
    ax.add_collection(PolyCollection(bars, facecolors=colors, lw=0))
    ax.vlines(quorum, rows - 0.26, rows + 0.26, color="black", lw=2.2)
    for row, rec in zip(rows, records, strict=True):
        label = ax.text(0, row + 0.24, _label(rec), fontsize=9.5, va="bottom", color="0.2")
        label.set_gid(STATIC)
    ax.xaxis.set_major_formatter(_votes_formatter())
    hi = float(max((yes + no).max(), quorum.max(), 1.0))
    key = tuple(r.id for r in records)
    return Extent((0.0, hi * 1.05), (-0.4, len(records) - 0.05), y_exact=True, key=key)


def _votes_formatter():
    return FuncFormatter(lambda v, _: f"{v / 1e6:.1f}M" if abs(v) >= 1e6 else f"{v / 1e3:.0f}k")


@solara.component
def ProposalVotes(model, version: int | None = None):
    """Votes for and against each recent proposal; the black tick is its quorum."""
    counter = frame_version(version)
    gov = governance(model)
    records = latest(gov) if gov is not None else []
    LiveFigure(
        model,
        "Votes for and against, and the quorum",
        lambda ax: draw_votes(ax, gov, records),
        legend=[("for", FOR, "area"), ("against", AGAINST, "area"), ("quorum", "black", "line")],
        caption="A proposal passes with votes for at or above the quorum and a majority.",
        version=counter,
        size=(4.8, 3.0),
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
    """Node positions (one spring layout per model), edge segments and the voter agents."""

    holders: np.ndarray
    xy: np.ndarray
    segments: np.ndarray
    voters: list


def network_layout(model) -> NetworkLayout | None:
    gov = governance(model)
    if gov is None:
        return None
    graph = gov.network.social
    holders = np.array(sorted(graph.nodes))
    pos = nx.spring_layout(graph, seed=0, iterations=60)
    xy = np.array([pos[h] for h in holders])
    index = {h: i for i, h in enumerate(holders)}
    segments = np.array([[xy[index[a]], xy[index[b]]] for a, b in graph.edges])
    by_holder = {a.holder: a for a in model.agents_by_type.get(Voter, [])}
    voters = [by_holder.get(int(h)) for h in holders]
    return NetworkLayout(holders, xy, segments.reshape(-1, 2, 2), voters)


def node_style(model, layout: NetworkLayout) -> tuple[np.ndarray, list[str]]:
    """Sizes from voting power, colours from each voter's last vote."""
    gov = model.governance
    power = np.array([gov.power(int(h)) for h in layout.holders])
    top = power.max() if power.size and power.max() > 0 else 1.0
    sizes = 6 + 260 * np.sqrt(power / top)
    colors = []
    for agent in layout.voters:
        last = getattr(agent, "last_vote", math.nan)
        colors.append(NOT_VOTED if last is None or math.isnan(last) else FOR if last else AGAINST)
    return sizes, colors


def draw_network(ax: Axes, layout: NetworkLayout, sizes: np.ndarray, colors: list[str]) -> Extent:
    edges = LineCollection(layout.segments, colors="#b0b0b0", linewidths=0.5, zorder=1)
    edges.set_gid(STATIC)
    ax.add_collection(edges)
    ax.scatter(
        layout.xy[:, 0],
        layout.xy[:, 1],
        s=sizes,
        c=colors,
        edgecolors="white",
        linewidths=0.4,
        zorder=2,
    )
    x0, y0 = layout.xy.min(axis=0)
    x1, y1 = layout.xy.max(axis=0)
    return Extent((float(x0), float(x1)), (float(y0), float(y1)), key="edges")


@solara.component
def VoterNetworkChart(model, version: int | None = None):
    """Token holders and who sees whose vote; size is voting power, colour the last vote."""
    counter = frame_version(version)
    layout = solara.use_memo(lambda: network_layout(model), [model])
    if layout is None:
        solara.Info("Governance is switched off for this run: no voters.")
        return
    sizes, colors = node_style(model, layout)
    delegating = sum(1 for s in sizes if s <= 6.0 + 1e-9)
    LiveFigure(
        model,
        "Voter network",
        lambda ax: draw_network(ax, layout, sizes, colors),
        legend=[
            ("voted for", FOR, "area"),
            ("voted against", AGAINST, "area"),
            ("not voted yet", NOT_VOTED, "area"),
        ],
        caption=(
            f"{len(layout.holders)} token holders; dot size is voting power "
            f"({delegating} delegated theirs and show as dots)."
        ),
        version=counter,
        size=(4.4, 3.8),
        bare=True,
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
