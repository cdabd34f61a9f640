"""Agent-based simulation of a perpetual-futures DEX, its insurance fund and its governance.

`ExchangeModel` is the Mesa model; `load_scenario`, `run` and `sweep` mirror the `abm`
command line. Importing the package registers the scenario loader with the model, so
`ExchangeModel(preset="flash_crash")` works.
"""

from .batch import run, sweep
from .model import MODEL_COLUMNS, ExchangeModel
from .scenarios import Scenario, ScenarioError, load_scenario

__all__ = [
    "MODEL_COLUMNS",
    "ExchangeModel",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "run",
    "sweep",
]
__version__ = "0.1.0"
