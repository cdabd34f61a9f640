""" "One liquidation, step by step": the README's worked example, then a real one from the run."""

from __future__ import annotations

from dataclasses import dataclass

import solara

from .data import money, pct, price
from .events import STAGE_WORDS
from .markup import Prose
from .refresh import frame_version
from .text import WORKED_EXAMPLE


@dataclass(frozen=True)
class Walkthrough:
    """The numbers of one liquidation and of the waterfall that covered its shortfall."""

    liquidation: dict
    cover: dict | None

    @property
    def units(self) -> float:
        """Units closed by this liquidation."""
        e = self.liquidation
        return e["notional"] / e["mark"] if e["mark"] > 0 else 0.0

    @property
    def whole(self) -> float:
        """The position's notional before the liquidation (the closed part if unknown)."""
        e = self.liquidation
        return float(e.get("position_notional") or e["notional"])

    @property
    def side(self) -> str:
        return "long" if self.liquidation.get("side", 1) > 0 else "short"

    @property
    def gap_per_unit(self) -> float:
        """How much worse than the bankruptcy price the close was (positive = worse)."""
        e = self.liquidation
        sign = 1 if e.get("side", 1) > 0 else -1
        return sign * (e["bankruptcy_price"] - e["price"])

    def covered_by(self) -> dict[str, float]:
        if self.cover is None:
            return {}
        return {
            stage: float(self.cover[f"by_{stage}"])
            for stage in STAGE_WORDS
            if self.cover.get(f"by_{stage}", 0) > 0
        }

    @property
    def fund_net(self) -> float:
        return float(self.liquidation["to_fund"]) - self.covered_by().get("insurance_fund", 0.0)


def find_walkthrough(events: list[dict], with_shortfall: bool = False) -> Walkthrough | None:
    """The latest liquidation (or the latest that left bad debt) and its bad-debt cover."""
    for i in range(len(events) - 1, -1, -1):
        e = events[i]
        if e["kind"] != "liquidation" or (with_shortfall and not e.get("shortfall", 0) > 0):
            continue
        cover = None
        if e.get("shortfall", 0) > 0:
            cover = next(
                (
                    c
                    for c in events[i + 1 :]
                    if c["kind"] == "bad_debt"
                    and c.get("slot") == e.get("slot")
                    and c["step"] == e["step"]
                ),
                None,
            )
        return Walkthrough(e, cover)
    return None


def walkthrough_markdown(w: Walkthrough) -> str:
    e = w.liquidation
    if e.get("partial"):
        how = (
            f"part of it: **{money(e['notional'])}** ({w.units:,.2f} units), just enough to "
            "bring the rest back to the initial margin; the rest stays open"
        )
    else:
        how = "all of it"
    rate = f"{pct(e['penalty'] / e['notional'], 2)} of " if e["notional"] > 0 else ""
    lines = [
        f"#### In this run: step {e['step']}",
        "",
        f"1. **The position.** A {w.side} worth **{money(w.whole)}** at the oracle price "
        f"{price(e['mark'])} fell below its maintenance margin. A liquidator closed {how}.",
        f"2. **Where the margin runs out.** Its bankruptcy price, where the margin exactly pays "
        f"the loss, was **{price(e['bankruptcy_price'])}**. The best price the liquidator got "
        f"was **{price(e['price'])}**.",
    ]
    shortfall = float(e.get("shortfall", 0.0))
    if w.gap_per_unit > 0:
        lines.append(
            f"   That is {price(w.gap_per_unit)} worse per unit, about "
            f"{money(w.gap_per_unit * w.units)} on the {w.units:,.2f} units closed: the margin "
            "cannot pay "
            "for the whole loss."
        )
    else:
        tail = ", but not the penalty on top" if shortfall > 0 else ""
        lines.append(
            "   That is no worse than the bankruptcy price: the margin can pay the loss "
            f"itself{tail}."
        )
    lines.append(
        f"3. **The penalty.** {rate or 'A share of '}the closed notional: "
        f"**{money(e['penalty'])}**, of which "
        f"{money(e['to_liquidator'])} goes to the liquidator and **{money(e['to_fund'])} flows "
        "into the insurance fund**."
    )
    if shortfall > 0:
        paid = w.covered_by()
        who = (
            ", ".join(f"{STAGE_WORDS[s]} paid {money(v)}" for s, v in paid.items())
            or "the waterfall is still resolving it"
        )
        if "margin" in e and not e.get("partial"):
            needed = (
                f"Closing safely needed **{money(e['margin'] + shortfall)}** (the loss plus "
                f"the penalty) but the margin yielded **{money(e['margin'])}**"
            )
        else:
            needed = (
                f"Closing safely needed the loss plus the penalty: {money(shortfall)} more "
                "than the margin yielded"
            )
        lines.append(
            f"4. **The shortfall.** {needed}, so **{money(shortfall)} is bad debt**. "
            f"Down the waterfall: {who}."
        )
    else:
        lines.append(
            "4. **No shortfall.** The margin covered the loss and the penalty: no bad debt, "
            "the fund only gains."
        )
    lines += [
        "",
        "| | liquidator | insurance fund |",
        "|---|---:|---:|",
        f"| penalty share | +{money(e['to_liquidator'])} | +{money(e['to_fund'])} |",
    ]
    fund_paid = w.covered_by().get("insurance_fund", 0.0)
    if fund_paid > 0:
        lines.append(f"| the fund covers the shortfall | | −{money(fund_paid)} |")
    lines.append(f"| **net** | **+{money(e['to_liquidator'])}** | **{_signed(w.fund_net)}** |")
    return "\n".join(lines)


def _signed(x: float) -> str:
    return f"+{money(x)}" if x >= 0 else f"−{money(-x)}"


@solara.component
def LiquidationExplainer(model, with_shortfall: bool = False, version: int | None = None):
    """The worked example, then the latest liquidation of the run with its real numbers."""
    frame_version(version)
    prefer = solara.use_reactive(with_shortfall)
    w = find_walkthrough(model.events, with_shortfall=prefer.value)
    with solara.Card("One liquidation, step by step", classes=["abm-explainer"]):
        Prose(WORKED_EXAMPLE)
        solara.Switch(label="Show the latest one that left bad debt", value=prefer)
        if w is None:
            solara.Info(
                "No such liquidation yet. Press ▶ (the flash-crash preset makes many) and the "
                "latest one will be explained here with its real numbers."
            )
        else:
            Prose(walkthrough_markdown(w))
