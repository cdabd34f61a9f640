"""The sidebar controls in a class's words: play / pause, one step, speed, go to a step,
and the settings of the next run, each checked in the page with a message under it."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import solara
from mesa.visualization import Slider

from abm.exchange.market import FlashCrash

from .info import scripted_shocks
from .runner import SPEEDS

SEED_MAX = 2**32 - 1
JUMP_MAX = 100_000
_WHOLE = re.compile(r"[+]?\d+")


@dataclass(frozen=True)
class Parsed:
    value: int | None
    error: str = ""


def parse_whole(text: str | None, what: str, lo: int, hi: int, example: int) -> Parsed:
    """A whole number from a text box, or a message saying what the box accepts."""
    raw = (text or "").strip().replace(",", "").replace("_", "")
    if not raw:
        return Parsed(None, f"The {what} is empty: type a whole number such as {example}.")
    if not _WHOLE.fullmatch(raw):
        try:
            number = float(raw)
        except ValueError:
            return Parsed(
                None, f"The {what} must be a whole number such as {example}, not '{text}'."
            )
        if math.isfinite(number) and number < lo:
            return Parsed(None, f"The {what} must be {lo} or more, got {text.strip()}.")
        return Parsed(None, f"The {what} must be a whole number (no decimals), got {text.strip()}.")
    value = int(raw)
    if not lo <= value <= hi:
        return Parsed(None, f"The {what} must be from {lo} to {hi:,}, got {value:,}.")
    return Parsed(value)


def parse_seed(text: str | None) -> Parsed:
    return parse_whole(text, "seed", 0, SEED_MAX, 42)


def parse_step(text: str | None) -> Parsed:
    return parse_whole(text, "step to go to", 0, JUMP_MAX, 500)


def step_length(model) -> str:
    """One step in words: 'one hour', '4 hours', 'one day', '15 minutes'."""
    hours = float(model.exchange.market.params.step_hours)
    if hours == 1:
        return "one hour"
    if hours < 1:
        return f"{hours * 60:g} minutes"
    if hours % 24 == 0:
        days = int(hours // 24)
        return "one day" if days == 1 else f"{days} days"
    return f"{hours:g} hours"


def elapsed(model) -> str:
    """The run's time so far: '3 days 4 h'."""
    hours = model.steps * float(model.exchange.market.params.step_hours)
    days, rest = divmod(hours, 24)
    return f"{int(days)} days {rest:g} h" if days else f"{rest:g} h"


def crash_steps(model) -> list[int]:
    """The steps at which this run's scripted flash crashes start, in any market."""
    return sorted({at for _, at, s in scripted_shocks(model) if isinstance(s, FlashCrash)})


def initial_values(params: dict[str, Any]) -> dict[str, Any]:
    """What every input of `params` (a SolaraViz-style model_params dict) starts at."""
    out = {}
    for key, p in params.items():
        if isinstance(p, Slider):
            out[key] = p.value
        elif isinstance(p, dict) and "type" in p:
            out[key] = p["value"]
    return out


def fixed_values(params: dict[str, Any]) -> dict[str, Any]:
    """The entries of `params` that are not inputs (the preset name)."""
    return {
        k: p
        for k, p in params.items()
        if not isinstance(p, Slider) and not (isinstance(p, dict) and "type" in p)
    }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return a == b


def pending(values: dict[str, Any], built: dict[str, Any]) -> list[str]:
    """The inputs whose value differs from the run on screen (they wait for Reset)."""
    return [k for k, v in values.items() if k in built and not _same(v, built[k])]


WAITS = "changes at Reset"


@solara.component
def SettingInput(key: str, spec: Any, value: Any, built: Any, on_value: Callable[[Any], None]):
    """One setting of the next run; marked while its value waits for Reset."""
    waiting = not _same(value, built)
    classes = ["abm-setting"] + (["abm-waiting"] if waiting else [])
    with solara.Column(gap="0px", classes=classes).meta(ref=f"setting-{key}"):
        if isinstance(spec, Slider):
            whole = all(isinstance(x, int) for x in (spec.value, spec.min, spec.max, spec.step))
            Widget = solara.SliderInt if whole else solara.SliderFloat
            shown = f"{value:,}" if whole else f"{value:g}"
            Widget(
                label=f"{spec.label}: {shown}",
                value=value,
                min=spec.min,
                max=spec.max,
                step=spec.step,
                on_value=on_value,
                thumb_label=True,
                tick_labels=False,
            )
        elif spec["type"] == "Checkbox":
            solara.Checkbox(label=spec["label"], value=bool(value), on_value=on_value)
        else:
            parsed = parse_seed(value)
            solara.InputText(
                spec["label"],
                value=str(value),
                on_value=on_value,
                error=bool(parsed.error),
                message=parsed.error or None,
                continuous_update=True,
            )
        if waiting:
            solara.Text(f"⟳ {WAITS}", classes=["abm-waits"])


@solara.component
def PlayControls(
    model,
    playing: solara.Reactive[bool],
    speed: solara.Reactive[str],
    on_step: Callable[[], None],
    on_reset: Callable[[], None],
    on_jump: Callable[[int], None],
    on_pause: Callable[[], None],
    message: str = "",
    steps: int = 0,
):
    """▶ / ❚❚, one step, Reset, the speed and 'go to step', with the step counter.

    `steps` is the model's step count: it makes the controls redraw with every frame.
    """
    jump_text = solara.use_reactive("")
    jump_error = solara.use_reactive("")
    crashes = crash_steps(model)

    def go(text: str | None = None) -> None:
        parsed = parse_step(jump_text.value if text is None else text)
        jump_error.set(parsed.error)
        if parsed.value is not None:
            on_jump(parsed.value)

    with solara.Card("Run", classes=["abm-controls"]):
        with solara.Row(gap="10px", style={"align-items": "baseline"}):
            solara.Text(f"Step {steps}", classes=["abm-step"])
            solara.Text(f"{elapsed(model)} of market time", classes=["abm-caption"])
        with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
            if playing.value:
                solara.Button("❚❚ Pause", on_click=on_pause, color="primary")
            else:
                solara.Button(
                    "▶ Play",
                    on_click=lambda: playing.set(True),
                    color="primary",
                    disabled=not model.running,
                )
            solara.Button(
                f"Step ({step_length(model)})",
                on_click=on_step,
                disabled=playing.value or not model.running,
            )
            solara.Button("Reset", on_click=on_reset)
        solara.Text("Speed", classes=["abm-caption"])
        with solara.ToggleButtonsSingle(value=speed, classes=["abm-speed"]):
            for name in SPEEDS:
                solara.Button(name, value=name, small=True)
        solara.Text(
            f"{SPEEDS[speed.value].steps_per_second:g} steps a second at most",
            classes=["abm-caption"],
        )
        with solara.Row(gap="6px", style={"align-items": "baseline"}):
            solara.InputText(
                "Go to step",
                value=jump_text,
                on_value=lambda t: jump_error.set(""),
                error=bool(jump_error.value),
                message=jump_error.value or None,
                continuous_update=True,
                style={"max-width": "130px"},
            )
            solara.Button("Go", on_click=go, disabled=playing.value)
        for at in crashes:
            solara.Button(
                f"Go to the crash (step {at})",
                on_click=lambda at=at: on_jump(at),
                disabled=playing.value or model.steps >= at,
                text=True,
                small=True,
            )
        if message:
            solara.Text(message, classes=["abm-error"])
