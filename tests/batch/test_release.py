"""Finished models are garbage-collected, on Mesa 3.3.1 too (whose `Agent._ids` keeps them)."""

from __future__ import annotations

import gc
import importlib
import weakref

from abm.agents.compat import release
from abm.model import ExchangeModel
from abm.scenarios import load_scenario

sweep = importlib.import_module("abm.batch.sweep")
run_module = importlib.import_module("abm.batch.run")


def tracking(monkeypatch, module):
    alive: list[weakref.ref] = []
    built = module.simulate

    def simulate(*args, **kwargs):
        model = built(*args, **kwargs)
        alive.append(weakref.ref(model))
        return model

    monkeypatch.setattr(module, "simulate", simulate)
    return alive


def test_a_sweep_worker_keeps_no_finished_model(monkeypatch):
    alive = tracking(monkeypatch, sweep)
    kwargs = load_scenario("calm", {"traders.count": 20}).model_kwargs()
    rows = sweep.run_chunk([(0, seed, kwargs, 3) for seed in range(4)])
    gc.collect()
    assert len(rows) == len(alive) == 4
    assert [ref() for ref in alive] == [None] * 4


def test_a_finished_run_keeps_no_model(monkeypatch):
    alive = tracking(monkeypatch, run_module)
    run_module.run("calm", seed=1, steps=3, overrides={"traders.count": 20})
    gc.collect()
    assert len(alive) == 1 and alive[0]() is None


def test_release_lets_a_model_go_and_new_models_number_agents_afresh():
    model = ExchangeModel(rng=1, n_traders=5, governance_enabled=False)
    first_ids = sorted(a.unique_id for a in model.agents)
    ref = weakref.ref(model)
    release(model)
    del model
    gc.collect()
    assert ref() is None
    again = ExchangeModel(rng=1, n_traders=5, governance_enabled=False)
    assert sorted(a.unique_id for a in again.agents) == first_ids
