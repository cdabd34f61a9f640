"""Classroom text used when a preset has no `[info]` table, and the worked example."""

from __future__ import annotations

INFO_SECTIONS = (
    ("what_is_it", "What is it?"),
    ("how_it_works", "How it works"),
    ("how_to_use_it", "How to use it"),
    ("things_to_notice", "Things to notice"),
    ("things_to_try", "Things to try"),
)
"""NetLogo's Info-tab headings, keyed as in the scenario files' `[info]` tables."""

DEFAULT_INFO = {
    "what_is_it": (
        "A perpetual-futures exchange run by code instead of a company. Traders borrow to "
        "take leveraged bets on a price; a pool of liquidity providers (the LP vault) takes "
        "the other side. When a bet goes so wrong that the trader's margin cannot pay for it, "
        "the exchange's **insurance fund** pays the difference. Token holders vote on the "
        "rules that keep the fund healthy."
    ),
    "how_it_works": (
        "Each step is one hour. The price moves; some traders open or close positions. A "
        "position whose equity falls below the maintenance margin is **liquidated** by a bot, "
        "which earns part of the penalty; the rest of the penalty goes to the fund. If closing "
        "the position loses more than its margin, the missing money (**bad debt**) runs down "
        "the waterfall: the insurance fund first, then the LP vault, then auto-deleveraging "
        "of winning traders, then a loss shared by everyone. If money is still missing, "
        "trading halts."
    ),
    "how_to_use_it": (
        "Pick a preset, press **▶** to play or **Step** to advance. Move the sliders, then "
        "press **Reset** to start a new run with them. The render interval sets how many "
        "steps run between two redraws."
    ),
    "things_to_notice": (
        "Watch the fund balance when the price drops fast: many liquidations at once, some "
        "with bad debt. Does the fund stay above zero? How long does it take to refill from "
        "penalties and fees? Where do traders' leverages sit just before the crash?"
    ),
    "things_to_try": (
        "Raise the shock size until the fund runs dry and the LP vault or ADL has to pay. "
        "Lower the liquidation penalty or the fund's share of it: what happens to the fund "
        "over a long run? Double the traders' leverage appetite."
    ),
}

WORKED_EXAMPLE = """\
**The idea, in round numbers.** A trader's long position has to be closed because its margin
ran low. Closing it safely **needs 100** (its loss at the best price it can get, plus the
liquidation penalty) but its margin **yields only 90**. The missing **10 is bad debt: the
insurance fund pays it**. The penalty of 10 was split: 5 to the liquidator who did the work
and 5 into the fund, so the fund's share flows back and its net cost is 5.
"""
