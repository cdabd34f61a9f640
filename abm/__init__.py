"""Agent-based simulation of a perpetual-futures DEX, its insurance fund and its governance.

`ExchangeModel` is the Mesa model; `load_scenario`, `run` and `sweep` mirror the `abm`
command line. Names load on first use, so that `abm --help` and `abm list` do not wait
for Mesa and pandas; `ExchangeModel(preset="flash_crash")` finds the scenario loader itself.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "batch": ["run", "run_sweep", "sweep"],
        "model": ["MODEL_COLUMNS", "ExchangeModel"],
        "scenarios": ["Scenario", "ScenarioError", "load_scenario"],
    },
)
__version__ = "0.1.0"
