"""The event feed: the latest liquidations, bad-debt covers, ADL, halts and proposals in words."""

from __future__ import annotations

import html
from collections.abc import Callable
from itertools import groupby

import solara

from .data import money, pct, price
from .refresh import frame_version

FEED_KINDS = (
    "liquidation",
    "bad_debt",
    "adl",
    "socialized",
    "halt",
    "param_change",
    "injection",
    "proposal",
    "proposal_execution_failed",
    "attack",
    "treasury_transfer",
    "vault_short",
)
"""Kinds the feed shows; trader arrivals and exits are left out as noise."""

KIND_COLORS = {
    "liquidation": "#d62728",
    "bad_debt": "#e65100",
    "adl": "#ff7f00",
    "socialized": "#b15928",
    "halt": "#000000",
    "param_change": "#1565c0",
    "injection": "#2e7d32",
    "proposal": "#6a1b9a",
    "proposal_execution_failed": "#6a1b9a",
    "attack": "#000000",
    "treasury_transfer": "#c62828",
    "vault_short": "#9e9e9e",
}
"""A coloured dot per kind (emoji fonts are missing on many classroom machines)."""

STAGE_WORDS = {
    "insurance_fund": "the insurance fund",
    "lp_vault": "the LP vault",
    "adl": "auto-deleveraging",
    "socialized": "all open positions",
}

PARAM_WORDS = {
    "penalty_rate": "liquidation penalty",
    "penalty_fund_share": "fund's share of the penalty",
    "fund_fee_share": "fund's share of fees",
    "treasury_fee_share": "treasury's share of fees",
    "initial_margin": "initial margin",
    "maintenance_margin": "maintenance margin",
    "fund_target": "fund target",
    "taker_fee": "taker fee",
    "borrow_rate": "borrow rate",
}


def _side(e: dict) -> str:
    return "long" if e.get("side", 1) > 0 else "short"


def _liquidation(e: dict) -> str:
    whole = e.get("position_notional")
    if e.get("partial") and whole:
        text = (
            f"{money(e['notional'])} of a {_side(e)} position of {money(whole)} was closed by "
            f"a partial liquidation at {price(e['price'])}; the rest stays open"
        )
    elif e.get("partial"):
        text = (
            f"{money(e['notional'])} of a {_side(e)} position was closed by a partial "
            f"liquidation at {price(e['price'])}; the rest stays open"
        )
    else:
        text = (
            f"A {_side(e)} position of {money(e['notional'])} was liquidated at {price(e['price'])}"
        )
    text += (
        f"; penalty {money(e['penalty'])} ({money(e['to_liquidator'])} to the liquidator, "
        f"{money(e['to_fund'])} to the fund)."
    )
    if e.get("shortfall", 0) > 0:
        text += f" It left {money(e['shortfall'])} of bad debt."
    return text


def _bad_debt(e: dict) -> str:
    parts = [
        f"{money(e[f'by_{stage}'])} by {words}"
        for stage, words in STAGE_WORDS.items()
        if e.get(f"by_{stage}", 0) > 0
    ]
    text = f"Bad debt of {money(e['amount'])} covered"
    text += (": " + ", ".join(parts) + ".") if parts else "."
    if e.get("unresolved", 0) > 0:
        text += f" {money(e['unresolved'])} could not be covered."
    return text


def _adl(e: dict) -> str:
    return (
        f"Auto-deleveraging closed {e['size']:,.2f} units of a winning position at "
        f"{price(e['price'])}, covering {money(e['covered'])}."
    )


def _param(value, name: str) -> str:
    """Every governable parameter is a fraction; anything else is shown as it is."""
    if name in PARAM_WORDS and isinstance(value, int | float):
        return pct(value, 2)
    return f"{value}"


def _param_change(e: dict) -> str:
    name = e["name"]
    words = PARAM_WORDS.get(name, name.replace("_", " "))
    return f"The {words} changed from {_param(e['old'], name)} to {_param(e['new'], name)}."


STATE_WORDS = {
    "pending": "was proposed",
    "active": "is open for voting",
    "defeated": "was voted down",
    "succeeded": "passed the vote",
    "queued": "passed and waits in the timelock",
    "executed": "was executed",
    "expired": "expired before it could be executed",
    "canceled": "was cancelled by the guardian",
}


def _proposal(e: dict) -> str:
    what = e.get("description") or str(e.get("proposal_kind", "proposal")).replace("_", " ")
    state = STATE_WORDS.get(str(e.get("state")), f"is now {e.get('state')}")
    text = f"Proposal #{e.get('id', '?')} ({what}) {state}"
    if str(e.get("state")) in ("active", "pending"):
        return text + "."
    total = e.get("votes_for", 0.0) + e.get("votes_against", 0.0)
    if total > 0:
        text += f": {e.get('votes_for', 0.0):,.0f} for, {e.get('votes_against', 0.0):,.0f} against"
        if e.get("quorum"):
            text += f" (quorum {e['quorum']:,.0f})"
    return text + "."


def _attack(e: dict) -> str:
    phase = e.get("phase")
    if phase == "borrow":
        return f"An attacker borrowed {e['amount']:,.0f} governance tokens with a flash loan."
    if phase == "vote":
        return f"The attacker voted with {e['weight']:,.0f} votes, most of them borrowed."
    if phase == "repay":
        return f"The attacker repaid the {e['amount']:,.0f} borrowed tokens in the same step."
    return f"Governance attack: {phase}."


DESCRIBE: dict[str, Callable[[dict], str]] = {
    "liquidation": _liquidation,
    "bad_debt": _bad_debt,
    "adl": _adl,
    "socialized": lambda e: (
        f"A loss of {money(e['amount'])} was shared across {e['positions']} open positions."
    ),
    "halt": lambda e: (
        f"Trading halted until step {e['until']}: {money(e['unresolved'])} of bad debt "
        "was left after every stage of the waterfall."
    ),
    "param_change": _param_change,
    "injection": lambda e: f"The treasury injected {money(e['amount'])} into the fund.",
    "proposal": _proposal,
    "proposal_execution_failed": lambda e: (
        f"Proposal #{e.get('id', '?')} could not be executed: {e.get('error', 'unknown error')}."
    ),
    "attack": _attack,
    "treasury_transfer": lambda e: (
        f"The treasury sent {money(e['amount'])} to {e.get('to_account', 'an account')}."
    ),
    "vault_short": lambda e: (
        f"The LP vault could not pay {money(e['unpaid'])} of a trader's profit."
    ),
}

SUMMARY: dict[str, Callable[[list[dict]], str]] = {
    "liquidation": lambda es: (
        f"{len(es)} liquidations ({sum(1 for e in es if e.get('partial'))} partial; "
        f"{money(sum(e['notional'] for e in es))} closed, "
        f"{money(sum(e['to_fund'] for e in es))} of penalties to the fund, "
        f"{money(sum(e.get('shortfall', 0.0) for e in es))} left as bad debt)."
    ),
    "bad_debt": lambda es: (
        f"{len(es)} shortfalls, {money(sum(e['amount'] for e in es))} of bad debt; the fund paid "
        f"{money(sum(e.get('by_insurance_fund', 0.0) for e in es))}."
    ),
    "adl": lambda es: (
        f"Auto-deleveraging hit {len(es)} winning positions, covering "
        f"{money(sum(e['covered'] for e in es))}."
    ),
}


def describe(event: dict) -> str:
    """One event in plain words (without its step)."""
    fn = DESCRIBE.get(event["kind"])
    if fn is None:
        return event["kind"].replace("_", " ").capitalize() + "."
    try:
        return fn(event)
    except (KeyError, TypeError, ValueError):
        return event["kind"].replace("_", " ").capitalize() + "."


def feed_lines(
    events: list[dict], limit: int = 12, per_group: int = 3
) -> list[tuple[int, str, str]]:
    """(step, kind, words) for the newest feed events, newest first.

    More than `per_group` events of one kind in one step become one summary line, so a
    crash with hundreds of liquidations does not push everything else out of the feed.
    """
    lines: list[tuple[int, str, str]] = []
    # Walk backwards, but only as far as needed: `limit` lines at most `limit` steps back
    # can need many events (a cascade), so scan per step and stop once the feed is full.
    tail = reversed(events)
    for step, in_step in groupby(tail, key=lambda e: e["step"]):
        chosen = [e for e in in_step if e["kind"] in FEED_KINDS]
        order: list[str] = []
        by_kind: dict[str, list[dict]] = {}
        for e in chosen:
            if e["kind"] not in by_kind:
                order.append(e["kind"])
                by_kind[e["kind"]] = []
            by_kind[e["kind"]].append(e)
        for kind in order:
            group = by_kind[kind]
            if len(group) > per_group and kind in SUMMARY:
                lines.append((step, kind, SUMMARY[kind](group)))
            else:
                lines.extend((step, kind, describe(e)) for e in group)
            if len(lines) >= limit:
                return lines[:limit]
    return lines


def feed_html(lines: list[tuple[int, str, str]]) -> str:
    rows = [
        f'<div class="abm-feed-line abm-feed-{kind}">'
        f'<span class="abm-feed-step"><span style="color:{KIND_COLORS.get(kind, "#777")}">●</span>'
        f" step {step}</span>"
        f'<span class="abm-feed-words">{html.escape(words)}</span></div>'
        for step, kind, words in lines
    ]
    return "".join(rows)


@solara.component
def EventFeed(model, limit: int = 12, version: int | None = None):
    """The latest events in plain words, newest first (one HTML block: cheap to redraw)."""
    frame_version(version)
    lines = feed_lines(model.events, limit=limit)
    with solara.Card("What just happened", classes=["abm-feed"]):
        if not lines:
            solara.Text("Nothing yet: press ▶ or Step.", classes=["abm-caption"])
        else:
            solara.HTML(tag="div", unsafe_innerHTML=feed_html(lines), classes=["abm-feed-list"])
