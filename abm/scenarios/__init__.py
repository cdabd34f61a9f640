"""Scenarios: TOML files describing a whole experiment, validated with pydantic.

Reading and listing files needs only the standard library; the schema (and with it the
model's parameter classes, Mesa and pandas) loads when a scenario is first validated.
`ExchangeModel(preset=...)` calls `resolve` here, while the model never imports this
package.
"""

import lazy_loader

from .errors import ScenarioError
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

__getattr__, __dir__, _schema_names = lazy_loader.attach(
    __name__, submod_attrs={"schema": ["INFO_FIELDS", "SECTION_NAMES", "Scenario"]}
)

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
