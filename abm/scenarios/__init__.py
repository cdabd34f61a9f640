"""Scenarios: TOML files describing a whole experiment, validated with pydantic.

Importing this package registers `resolve` as `ExchangeModel.scenario_resolver`, so that
``ExchangeModel(preset="flash_crash")`` (or a path, or a loaded `Scenario`) works in
the browser app and in Mesa's `batch_run`, while the model never imports this loader.
"""

from ..model import ExchangeModel
from .loader import (
    PRESETS_ENV,
    apply_overrides,
    list_presets,
    load_scenario,
    parse_assignment,
    parse_value,
    parse_values,
    preset_names,
    presets_dir,
    resolve,
)
from .schema import INFO_FIELDS, SECTION_NAMES, Scenario, ScenarioError

ExchangeModel.scenario_resolver = staticmethod(resolve)

__all__ = [
    "INFO_FIELDS",
    "PRESETS_ENV",
    "SECTION_NAMES",
    "Scenario",
    "ScenarioError",
    "apply_overrides",
    "list_presets",
    "load_scenario",
    "parse_assignment",
    "parse_value",
    "parse_values",
    "preset_names",
    "presets_dir",
    "resolve",
]
