"""The classroom app: `solara run viz/app.py` (or `abm app`).

Mesa's SolaraViz gives the sidebar: Play / Step / Reset, the play and render intervals,
the model parameters (sliders, a select, the seed box) and the step counter. The main area
is our own layout (Mesa's draggable grid puts each component at half width): fund health
on top; charts, governance and the liquidation walkthrough in tabs, rendered only while
shown; the preset's classroom text and the event feed beside them.

Every browser tab runs this page in its own kernel and makes its own model inside the
component: there is no model in a module global.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

try:
    import viz  # noqa: F401  (installed with the project)
except ImportError:  # a plain checkout: `solara run viz/app.py` from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import solara
from mesa.visualization import SolaraViz

from viz import presets
from viz.charts import Charts
from viz.events import EventFeed
from viz.explainer import LiquidationExplainer
from viz.health import HealthPanel
from viz.info import ClassroomInfo
from viz.refresh import frame_version
from viz.style import CSS

try:
    from viz.governance import GovernancePanel
except ImportError:  # governance not wired into the model yet
    GovernancePanel = None

PLAY_INTERVAL_MS = 151  # on the grid of Mesa's play-interval slider (1, 11, ..., 491)
RENDER_INTERVAL = 5
"""Steps per redraw while playing: a frame costs far more than a step."""


@solara.component
def PresetPicker(preset: solara.Reactive[str], on_pick, shown: dict[str, str], about: dict):
    """The preset select (in the sidebar, above Mesa's controls) and its one-line summary.

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
def Dashboard(model, info: dict | None = None):
    """Everything in the main area, for one model.

    The only subscriber to Mesa's update_counter here: each subscriber costs a render pass
    over the whole page, so the frame's counter is handed down as `version`.
    """
    version = frame_version()
    tab = solara.use_reactive(0)
    HealthPanel(model, version=version)
    with solara.ColumnsResponsive(default=12, large=[8, 4]):
        with solara.Column(), solara.lab.Tabs(value=tab, lazy=True):
            with solara.lab.Tab("Charts"):
                Charts(model, version=version)
            if GovernancePanel is not None:
                with solara.lab.Tab("Governance"):
                    GovernancePanel(model, version=version)
            with solara.lab.Tab("One liquidation, step by step"):
                LiquidationExplainer(model, version=version)
        with solara.Column():
            EventFeed(model, version=version)
            ClassroomInfo(
                model,
                info,
                title=(info or {}).get("title") or "About this model",
                version=version,
            )


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
    picks = solara.use_reactive(0)

    def pick(name: str) -> None:
        if name == preset.value:
            return
        # The model first: `params` below is read off the model when the preset changes.
        model.set(presets.build(name))
        preset.set(name)
        picks.set(picks.value + 1)

    solara.Style(CSS)
    solara.Title("Insurance fund classroom")
    with solara.Sidebar():
        PresetPicker(preset, pick, shown, info)
        # SolaraViz's controls live in the sidebar too, where the layout matches them to
        # the previous render by position, so keying SolaraViz alone would leave Mesa's
        # parameter store (what Reset passes to the model) initialised for the old preset.
        # An empty spacer on every other pick moves them one place: they mount afresh
        # and start from the new preset's values.
        if picks.value % 2:
            solara.Div(style="display: none")
    # Keyed on the preset: a new preset remounts SolaraViz and its parameter store.
    SolaraViz(
        model,
        components=[],
        model_params=params,
        name="Insurance fund classroom",
        play_interval=PLAY_INTERVAL_MS,
        render_interval=RENDER_INTERVAL,
    ).key(f"viz-{preset.value}")
    Dashboard(model.value, info)


page = Page
