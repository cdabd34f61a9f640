"""Fast live charts: one matplotlib Agg canvas per chart, redrawn in place with blitting.

A fresh figure with a layout engine costs ~25 ms per frame, a reused one ~14 ms, most of
it drawing tick labels. Here axis limits move in "nice" jumps (with hysteresis), so the
axes, ticks and grid are rendered once per jump into a cached background; an ordinary
frame restores that background, draws only the data artists and encodes a PNG (~4 ms).
Titles and legends are HTML around the image (crisper on a projector, and free).

Figures are made with `matplotlib.figure.Figure` (never pyplot): nothing is registered
globally, and a chart's figure goes away with the component (and model) that holds it.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import PIL.Image
import solara
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

WIDTH, HEIGHT, DPI = 4.8, 2.3, 90
COLORS = {
    "price": "#1f4e9c",
    "oracle": "#f28e2b",
    "liq": "#d62728",
    "fund": "#1b7837",
    "penalty": "#6a3d9a",
    "fees": "#1f78b4",
    "injection": "#33a02c",
    "paid": "#e31a1c",
    "target": "#444444",
    "lp": "#1f78b4",
    "adl": "#ff7f00",
    "socialized": "#b15928",
    "unresolved": "#000000",
    "long": "#1a9850",
    "short": "#d73027",
    "vault": "#4575b4",
    "green": "#2e7d32",
    "amber": "#f9a825",
    "red": "#c62828",
    "halt": "#999999",
}


@dataclass(frozen=True)
class Extent:
    """The data range a draw covers; the chart turns it into nice, sticky axis limits."""

    x: tuple[float, float]
    y: tuple[float, float]
    y_floor_zero: bool = False
    y_exact: bool = False
    """Rows of a categorical chart: use `y` as it is, no nice rounding."""
    key: Any = None
    """What the static artists (gid "static": labels, edges) show; a change redraws them."""


STATIC = "static"
"""The gid of artists that belong to the cached background (see `Extent.key`)."""


class BlitChart:
    """One Agg figure and axes; `render(draw)` returns PNG bytes of the current data."""

    def __init__(
        self,
        width: float = WIDTH,
        height: float = HEIGHT,
        dpi: int = DPI,
        *,
        bare: bool = False,
    ) -> None:
        self.figure = Figure(figsize=(width, height), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        if bare:  # no axes at all: a drawing (the voter network)
            self.ax = self.figure.add_axes((0.01, 0.01, 0.98, 0.98))
            self.ax.set_axis_off()
            self._background = None
            self._key = None
            self.full_draws = 0
            return
        ax = self.figure.add_axes((0.13, 0.12, 0.84, 0.84))
        ax.tick_params(labelsize=10)
        ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.grid(alpha=0.25, lw=0.6)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        self.ax = ax
        self._background = None
        self._key: tuple | None = None
        self.full_draws = 0

    def data_artists(self) -> list:
        ax = self.ax
        return [*ax.collections, *ax.patches, *ax.lines, *ax.texts]

    def render(self, draw: Callable[[Axes], Extent | None]) -> bytes:
        ax = self.ax
        for artist in self.data_artists():
            artist.remove()
        ax.set_prop_cycle(None)
        extent = draw(ax)
        if extent is not None:
            self._apply(extent)
        key = (ax.get_xlim(), ax.get_ylim(), extent.key if extent is not None else None)
        dynamic = [a for a in self.data_artists() if a.get_gid() != STATIC]
        if self._background is None or key != self._key:
            for a in dynamic:
                a.set_visible(False)
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._key = key
            self.full_draws += 1
            for a in dynamic:
                a.set_visible(True)
        else:
            self.canvas.restore_region(self._background)
        for a in sorted(dynamic, key=lambda a: a.get_zorder()):
            ax.draw_artist(a)
        return self.png()

    def png(self) -> bytes:
        w, h = self.canvas.get_width_height()
        img = PIL.Image.frombuffer("RGBA", (w, h), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        out = io.BytesIO()
        img.convert("RGB").save(out, format="PNG", compress_level=1)
        return out.getvalue()

    def _apply(self, extent: Extent) -> None:
        ax = self.ax
        x0, x1 = extent.x
        ax.set_xlim(*sticky_limits(ax.get_xlim() if self._key else None, x0, x1, pad=0.0))
        y0, y1 = extent.y
        if extent.y_exact:
            ax.set_ylim(y0, y1)
            return
        current = ax.get_ylim() if self._key else None
        lo, hi = sticky_limits(current, y0, y1, floor_zero=extent.y_floor_zero)
        ax.set_ylim(lo, hi)


def sticky_limits(
    current: tuple[float, float] | None,
    lo: float,
    hi: float,
    *,
    pad: float = 0.08,
    floor_zero: bool = False,
) -> tuple[float, float]:
    """Nice axis limits around [lo, hi] that stay put while the data stays well inside.

    They are recomputed (snapped to tick values) only when the data leaves them or fills
    less than half of them, so the axes (and the cached background) rarely change.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = 0.0, 1.0
    if hi <= lo:
        hi = lo + max(abs(lo) * 0.1, 1.0)
    if current is not None:
        c0, c1 = current
        if c0 <= lo and hi <= c1 and (hi - lo) >= 0.5 * (c1 - c0):
            return current
    span = hi - lo
    a, b = lo - pad * span, hi + pad * span
    if floor_zero and lo >= 0:
        a = 0.0
    ticks = MaxNLocator(5).tick_values(a, b)
    nice_lo = ticks[0] if ticks[0] <= a else a
    nice_hi = ticks[-1] if ticks[-1] >= b else b
    if floor_zero and lo >= 0:
        nice_lo = 0.0
    return float(nice_lo), float(nice_hi)


def finite_range(*arrays: Any) -> tuple[float, float]:
    vals = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays])
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return 0.0, 1.0
    return float(vals.min()), float(vals.max())


Legend = list[tuple[str, str, str]]
"""(label, colour, mark) with mark one of "line", "dash", "area", "marker"."""


def legend_html(items: Legend) -> str:
    spans = []
    for label, color, mark in items:
        if mark == "marker":
            swatch = f'<span style="color:{color};font-size:14px">▼</span>'
        elif mark == "area":
            swatch = (
                f'<span style="display:inline-block;width:14px;height:10px;'
                f'background:{color};opacity:.6"></span>'
            )
        else:
            border = "dashed" if mark == "dash" else "solid"
            swatch = (
                f'<span style="display:inline-block;width:18px;'
                f'border-top:3px {border} {color};vertical-align:middle"></span>'
            )
        spans.append(f'<span class="abm-legend-item">{swatch} {label}</span>')
    return " ".join(spans)


@solara.component
def LiveFigure(
    model,
    title: str,
    draw: Callable[[Axes], Extent | None],
    legend: Legend | None = None,
    caption: str = "",
    version: int = 0,
    size: tuple[float, float] = (WIDTH, HEIGHT),
    bare: bool = False,
):
    """A chart that redraws `draw(ax)` once per Mesa frame (model, step or update_counter).

    The canvas belongs to this component and to `model`: a Reset makes a new one. The
    chart components that use it read Mesa's `update_counter` and pass it as `version`
    (one subscription per chart, not two: each subscriber costs a render pass).
    """
    chart = solara.use_memo(lambda: BlitChart(*size, bare=bare), [model])
    png = solara.use_memo(lambda: chart.render(draw), [model, model.steps, version])
    with solara.Column(gap="2px", classes=["abm-chart"]):
        solara.HTML(tag="div", unsafe_innerHTML=title, classes=["abm-chart-title"])
        if legend:
            solara.HTML(tag="div", unsafe_innerHTML=legend_html(legend), classes=["abm-legend"])
        solara.Image(png, width="100%", classes=["abm-chart-img"])
        if caption:
            solara.Text(caption, classes=["abm-caption"])
