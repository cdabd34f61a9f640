"""Presets for the app: their names, their classroom text, and slider values read off a model.

Works with or without `abm.scenarios`: without it there is one preset, the model defaults.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

from mesa.visualization import Slider

from abm.model import ExchangeModel

NO_PRESET = "model defaults"
DEFAULT_SEED = "42"
PREFERRED = ("default", "calm", "flash_crash")


def _scenarios():
    try:
        import abm.scenarios as scenarios
    except ImportError:
        return None
    return scenarios


def names() -> list[str]:
    """Preset names for the picker (the model's own defaults if there are none)."""
    scenarios = _scenarios()
    found = scenarios.preset_names() if scenarios is not None else []
    return found or [NO_PRESET]


def titles(available: list[str]) -> dict[str, str]:
    """What the picker shows for each preset: its `[info]` title, else its name."""
    out = {}
    for name in available:
        title = info(name).get("title") or name.replace("_", " ").capitalize()
        out[name] = title if title not in out.values() else f"{title} ({name})"
    return out


def default_name(available: list[str]) -> str:
    return next((p for p in PREFERRED if p in available), available[0])


def scenario_arg(preset: str) -> str | None:
    """What to pass as `ExchangeModel(preset=...)` for a picker entry."""
    return None if preset == NO_PRESET else preset


def info(preset: str) -> dict[str, str]:
    """The preset's `[info]` table (title, description and the Info-tab sections)."""
    scenarios = _scenarios()
    if scenarios is None or preset == NO_PRESET:
        return {}
    try:
        return dict(scenarios.load_scenario(preset).info.model_dump())
    except (ValueError, AttributeError):
        return {}


def seed(preset: str) -> str:
    """The preset's seed as the seed box shows it (a string; the model accepts that)."""
    scenarios = _scenarios()
    if scenarios is None or preset == NO_PRESET:
        return DEFAULT_SEED
    try:
        return str(scenarios.load_scenario(preset).run.seed)
    except (ValueError, AttributeError):
        return DEFAULT_SEED


def build(preset: str, **keywords: Any) -> ExchangeModel:
    """A model of `preset` with the preset's seed unless `rng` is given."""
    keywords.setdefault("rng", seed(preset))
    return ExchangeModel(preset=scenario_arg(preset), **keywords)


def accepts(name: str) -> bool:
    return name in inspect.signature(ExchangeModel.__init__).parameters


def slider_values(model: ExchangeModel) -> dict[str, Any]:
    """The value every slider should start at: what this model was actually built with."""
    p = model.exchange.params
    s = model.settings
    values = {
        "n_traders": int(model.n_traders),
        "leverage_appetite": float(model.trader_params.appetite),
        "penalty_rate": float(p.penalty_rate),
        "penalty_fund_share": float(p.penalty_fund_share),
        "fund_fee_share": float(p.fund_fee_share),
        "initial_fund": float(s["initial_fund"]),
        "shock_size": float(s["shock_size"]),
        "shock_hour": float(s["shock_hour"]),
    }
    gov = getattr(model, "governance", None)
    if accepts("governance_enabled"):
        values["governance_enabled"] = bool(gov is not None and gov.enabled)
    if accepts("governance_speed"):
        values["governance_speed"] = float(s.get("governance_speed") or 1.0)
    return values


def _on_grid(value: float, lo: float, step: float) -> bool:
    k = (value - lo) / step
    return abs(k - round(k)) < 1e-9


def fit_slider(value: float, lo: float, hi: float, step: float) -> tuple[float, float, float]:
    """(min, max, step) of a slider on which `value` sits exactly.

    Vuetify snaps a slider's value to min + k·step as soon as it is shown, and Mesa then
    passes the snapped value to the next Reset: a preset's 5,000 fund on a 25,000 grid
    would silently become 0. So the range is widened to hold the value, and the step
    refined (or the grid shifted) until the value lies on it.
    """
    lo, hi = min(lo, value), max(hi, value)
    if _on_grid(value, lo, step):
        return lo, hi, step
    if all(isinstance(x, int) for x in (value, lo, step)):
        return lo, hi, math.gcd(step, value - lo)
    for div in (2, 4, 5, 10, 20, 25, 50, 100):
        if _on_grid(value, lo, step / div):
            return lo, hi, step / div
    return value - step * math.floor((value - lo) / step), hi, step


def model_params(preset: str, model: ExchangeModel) -> dict[str, Any]:
    """SolaraViz `model_params`: the preset fixed, the seed as text, the knobs as sliders.

    Slider start values are read from `model`, a fresh model of the preset, so a slider
    shows what the preset uses, and Reset with untouched sliders rebuilds the same run.
    """
    v = slider_values(model)
    treasury_share = float(model.exchange.params.treasury_fee_share)

    def slider(label, key, lo, hi, step):
        return Slider(label, v[key], *fit_slider(v[key], lo, hi, step))

    params: dict[str, Any] = {
        "preset": scenario_arg(preset),
        "rng": {"type": "InputText", "value": seed(preset), "label": "Seed (any whole number)"},
        "n_traders": slider("Number of traders", "n_traders", 50, 2000, 50),
        "leverage_appetite": slider("Leverage appetite (×)", "leverage_appetite", 0.25, 3.0, 0.05),
        "penalty_rate": slider("Liquidation penalty rate", "penalty_rate", 0.0, 0.10, 0.0025),
        "penalty_fund_share": slider(
            "Fund's share of the penalty", "penalty_fund_share", 0.0, 1.0, 0.05
        ),
        "fund_fee_share": slider(
            "Fee share to the fund", "fund_fee_share", 0.0, round(1.0 - treasury_share, 4), 0.05
        ),
        "initial_fund": slider("Initial insurance fund ($)", "initial_fund", 0.0, 2e6, 25_000.0),
        # The model adds this crash to the preset's own shocks (see the Info text).
        "shock_size": slider("Extra flash crash: size (fraction)", "shock_size", 0.0, 0.6, 0.01),
        "shock_hour": slider("Extra flash crash: at hour", "shock_hour", 10, 2000, 10),
    }
    if "governance_enabled" in v:
        params["governance_enabled"] = {
            "type": "Checkbox",
            "value": v["governance_enabled"],
            "label": "Governance on",
        }
    if "governance_speed" in v:
        params["governance_speed"] = slider(
            "Governance speed (×)", "governance_speed", 0.25, 4.0, 0.25
        )
    return params
