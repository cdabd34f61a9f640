"""The classroom app: `solara run viz/app.py` (or `abm app`).

The left column holds the preset, the run controls (play / pause, one step, speed, go to
a step) and the settings of the next run; it stacks above the main area on a phone. The
main area: fund health on top; charts, governance and the liquidation walkthrough in
tabs, rendered only while shown; the preset's classroom text and the event feed beside.
The model steps in a background thread (`viz.runner`) that never overlaps a redraw.

Every browser tab runs this page in its own kernel and makes its own model inside the
component: there is no model in a module global.
"""

from __future__ import annotations

import html
import os
import sys
from collections.abc import Callable
from pathlib import Path

try:
    import viz  # noqa: F401  (installed with the project)
except ImportError:  # a plain checkout: `solara run viz/app.py` from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import solara
import solara.server.settings

from abm.model import ExchangeModel
from viz import presets
from viz.charts import Charts
from viz.compare import ComparePanel
from viz.controls import PlayControls, SettingInput, fixed_values, initial_values, parse_seed
from viz.events import EventFeed
from viz.explainer import LiquidationExplainer
from viz.health import HealthPanel
from viz.info import ClassroomInfo
from viz.markets import ALL
from viz.refresh import frame_version
from viz.runner import DEFAULT_SPEED, SPEEDS, Player, release, render_lock, track
from viz.style import CSS

try:
    from viz.governance import GovernancePanel
except ImportError:  # governance not wired into the model yet
    GovernancePanel = None

CULL_TIMEOUT = "15s"
"""How long a tab's kernel (and model) outlives its page's disconnect, unless
SOLARA_KERNEL_CULL_TIMEOUT says otherwise: long enough for a network blip, short enough
that a room of closed tabs frees its memory at once (Solara's default is 24 h)."""
if "SOLARA_KERNEL_CULL_TIMEOUT" not in os.environ:
    solara.server.settings.kernel.cull_timeout = CULL_TIMEOUT
solara.server.settings.theme.show_banner = False  # it covered the charts' corner
os.environ.setdefault("REACTON_FAST", "1")
"""Reacton's renderer that walks only the parts of the page whose state changed (opt-in
since reacton 1.11): a frame costs the server about half the CPU of the full walk."""


@solara.component
def PresetPicker(preset: solara.Reactive[str], on_pick, shown: dict[str, str], about: dict):
    """The preset select and its one-line summary.

    `shown` maps preset names to the titles the select lists.
    """
    by_title = {title: name for name, title in shown.items()}
    with solara.Card("Preset", classes=["abm-preset"]):
        solara.Select(
            label="Preset",
            value=shown[preset.value],
            values=list(by_title),
            on_value=lambda title: on_pick(by_title[title]),
        )
        if about.get("description"):
            solara.HTML(tag="p", unsafe_innerHTML=html.escape(about["description"]))
        solara.HTML(
            tag="p",
            unsafe_innerHTML=(
                "Picking a preset loads it at once. The sliders below change the next <b>Reset</b>."
            ),
            classes=["abm-caption"],
        )


@solara.component
def Dashboard(
    model, info: dict | None = None, version: int | None = None, base: dict | None = None
):
    """Everything in the main area, for one model.

    `version` counts the frames the page has drawn; without it the dashboard follows
    Mesa's update_counter. Children get it as a value and do not subscribe again.
    """
    version = frame_version(version)
    tab = solara.use_reactive(0)
    market = solara.use_reactive(ALL)  # the charts' market: kept while another tab shows
    HealthPanel(model, version=version)
    with solara.ColumnsResponsive(default=12, large=[8, 4]):
        with solara.Column(), solara.lab.Tabs(value=tab, lazy=True):
            with solara.lab.Tab("Charts"):
                Charts(model, version=version, market=market)
            if GovernancePanel is not None:
                with solara.lab.Tab("Governance"):
                    GovernancePanel(model, version=version)
            with solara.lab.Tab("One liquidation, step by step"):
                LiquidationExplainer(model, version=version)
            if base is not None:
                with solara.lab.Tab("Compare two settings"):
                    ComparePanel(base, str(base.get("rng")))
        with solara.Column():
            EventFeed(model, version=version)
            ClassroomInfo(  # static for a run: no version, so no redraw per frame
                model, info, title=(info or {}).get("title") or "About this model", version=0
            )


@solara.component
def PerFrame(frames: solara.Reactive[int], draw: Callable[[int], None]):
    """Redraws `draw(frame)` every frame; the page around it redraws only when a
    control changes (a frame of the whole page re-rendered every setting and slider)."""
    draw(frames.value)


@solara.component
def Settings(params: dict, values: solara.Reactive[dict], built: dict):
    """The inputs of the next run (they apply at Reset, and say so while they wait)."""
    with solara.Card("Settings of the next run", classes=["abm-settings"]):
        for key, spec in params.items():
            if key not in values.value:
                continue

            def set_value(x, key=key):
                values.set({**values.value, key: x})

            SettingInput(key, spec, values.value[key], built.get(key), set_value)


@solara.component
def Page():
    available = solara.use_memo(presets.names, [])
    shown = solara.use_memo(lambda: presets.titles(available), [])
    preset = solara.use_reactive(presets.default_name(available))
    first = solara.use_memo(lambda: presets.build(preset.value), [])
    model = solara.use_reactive(first)
    params = solara.use_memo(
        lambda: presets.model_params(preset.value, model.value), [preset.value]
    )
    info = solara.use_memo(lambda: presets.info(preset.value), [preset.value])
    values = solara.use_reactive(initial_values(params))
    built = solara.use_reactive(initial_values(params))
    version = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)
    until = solara.use_reactive(None)
    message = solara.use_reactive("")
    lock = render_lock()
    player = solara.use_ref(None)
    solara.use_memo(lambda: track(model.value), [model.value])
    solara.use_effect(lambda: lambda m=model.value: release(m), [model.value])

    def redraw() -> None:
        version.set(version.value + 1)

    def play():
        if not playing.value:
            return None
        player.current = Player(
            model.value,
            redraw,
            lock,
            SPEEDS[speed.value],
            until=until.value,
            on_end=lambda _reason: (playing.set(False), until.set(None)),
        ).start()
        return player.current.stop.set

    solara.use_effect(play, [playing.value, model.value, speed.value, until.value])

    def pause() -> None:
        """Stops between two steps, before the page redraws."""
        if player.current is not None:
            player.current.stop.set()
        playing.set(False)

    def start_run(m, inputs: dict) -> None:
        pause()
        until.set(None)
        message.set("")
        model.set(m)
        built.set(dict(inputs))

    def pick(name: str) -> None:
        if name == preset.value:
            return
        m = presets.build(name)
        p = presets.model_params(name, m)
        values.set(initial_values(p))
        preset.set(name)
        start_run(m, initial_values(p))

    def reset() -> None:
        seed = parse_seed(values.value.get("rng"))
        if seed.error:
            message.set(f"Not reset: {seed.error}")
            return
        inputs = dict(values.value)
        try:
            m = ExchangeModel(**fixed_values(params), **{**inputs, "rng": seed.value})
        except ValueError as e:
            message.set(f"Not reset: {e}")
            return
        start_run(m, inputs)

    def step() -> None:
        with lock:
            model.value.step()
        redraw()

    def jump(target: int) -> None:
        if target < model.value.steps:  # the same run again from step 0, then forward
            seed = parse_seed(built.value.get("rng")).value
            m = ExchangeModel(**fixed_values(params), **{**built.value, "rng": seed})
            start_run(m, built.value)
        if target > model.value.steps:
            until.set(target)
            playing.set(True)

    solara.Style(CSS)
    solara.Title("Insurance fund classroom")
    # Side by side from a 960-pixel screen (a 1024 x 768 projector) up; stacked on a phone.
    with solara.ColumnsResponsive(default=12, medium=[4, 8], xlarge=[3, 9], classes=["abm-page"]):
        with solara.Column(classes=["abm-side"]):
            PresetPicker(preset, pick, shown, info)
            PerFrame(
                version,
                lambda _: PlayControls(
                    model.value,
                    playing,
                    speed,
                    step,
                    reset,
                    jump,
                    pause,
                    message.value,
                    model.value.steps,
                ),
            )
            Settings(params, values, built.value)
        with solara.Column(classes=["abm-main"]):
            base = {**fixed_values(params), **built.value}
            base["rng"] = parse_seed(base.get("rng")).value
            PerFrame(version, lambda n: Dashboard(model.value, info, version=n, base=base))


page = Page
