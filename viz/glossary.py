"""Short definitions of the words a class meets first, shown as tooltips on the terms."""

from __future__ import annotations

import html
import re

GLOSSARY = {
    "maintenance margin": (
        "The least equity a position must keep, a share of its size (2.5 % by default). "
        "Below it the position can be liquidated."
    ),
    "bankruptcy price": (
        "The price at which a position's loss equals its margin: closing beyond it leaves bad debt."
    ),
    "socialised loss": (
        "Bad debt nobody else could pay, charged to every open position in proportion to its size."
    ),
    "auto-deleveraging": (
        "ADL: when the fund and the LP vault cannot pay, the most profitable opposite "
        "positions are closed at the bankruptcy price and give up the profit that covers "
        "the debt."
    ),
    "ADL": (
        "Auto-deleveraging: the most profitable opposite positions are closed at the "
        "bankruptcy price so their profit covers the debt."
    ),
    "margin": "The trader's own money put up behind a leveraged position.",
}
"""Longest terms first, so 'maintenance margin' wins over 'margin'."""

_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(t) for t in sorted(GLOSSARY, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
_TAG = re.compile(r"(<[^>]+>)")


def with_terms(markup: str) -> str:
    """HTML with the first use of each glossary term wrapped in a tooltip (outside tags)."""
    seen: set[str] = set()

    def term(m: re.Match) -> str:
        key = next(k for k in GLOSSARY if k.lower() == m.group(0).lower())
        if key in seen:
            return m.group(0)
        seen.add(key)
        tip = html.escape(GLOSSARY[key], quote=True)
        return f'<abbr class="abm-term" title="{tip}">{m.group(0)}</abbr>'

    parts = _TAG.split(markup)
    in_abbr = False
    for i, part in enumerate(parts):
        if part.startswith("<"):
            in_abbr = part.startswith("<abbr") or (in_abbr and part != "</abbr>")
            continue
        if not in_abbr:
            parts[i] = _PATTERN.sub(term, part)
    return "".join(parts)
