"""Running scenarios: one run (`run`), a grid × seeds (`sweep`), locally or on Dask."""

from .aggregate import aggregate, aggregate_long
from .io import OutputExistsError, parquet_safe
from .metrics import DESCRIPTIONS, METRICS, summarize
from .run import RUN_FILES, RunResult, run, simulate
from .sweep import SweepResult, parse_grid, run_sweep, sweep

__all__ = [
    "DESCRIPTIONS",
    "METRICS",
    "RUN_FILES",
    "OutputExistsError",
    "RunResult",
    "SweepResult",
    "aggregate",
    "aggregate_long",
    "parquet_safe",
    "parse_grid",
    "run",
    "run_sweep",
    "simulate",
    "summarize",
    "sweep",
]
