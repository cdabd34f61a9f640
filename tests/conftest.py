"""Fixtures shared by every test folder."""

from __future__ import annotations

import inspect

import mesa
import pytest


@pytest.fixture
def batch_run():
    """`mesa.batch_run` with the seeds given as the installed Mesa takes them.

    From Mesa 3.4 on, `batch_run` has its own `rng=` argument and overwrites an `rng` in
    `parameters` with it (None by default: unseeded runs); before 3.4 the seeds are a
    parameter like any other.
    """

    def run(model_cls, parameters, seeds, **kwargs):
        if "rng" in inspect.signature(mesa.batch_run).parameters:
            return mesa.batch_run(model_cls, parameters, rng=list(seeds), **kwargs)
        return mesa.batch_run(model_cls, {**parameters, "rng": list(seeds)}, **kwargs)

    return run
