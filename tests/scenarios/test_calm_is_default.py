"""`ExchangeModel()` without a preset is the calibrated `calm` market (docs/calibration.md).

`calm.toml` spells out every field; these tests keep its values and the parameter
dataclasses' defaults from drifting apart, so that the calibration holds for both.
"""

from __future__ import annotations

import hashlib

from abm import ExchangeModel, Scenario, load_scenario

CALM_ONLY = {"rng": 1}
"""What calm sets apart from the defaults: its seed (the default is 0)."""


def test_calm_sets_every_section_to_the_defaults():
    default, calm = Scenario().model_kwargs(), load_scenario("calm").model_kwargs()
    assert set(calm) == set(default)
    for key in sorted(default):
        if key in CALM_ONLY:
            assert calm[key] == CALM_ONLY[key]
            continue
        if isinstance(default[key], dict):
            for field in sorted(set(default[key]) | set(calm[key])):
                assert calm[key].get(field) == default[key].get(field), f"{key}.{field}"
        else:
            assert calm[key] == default[key], key


def test_the_calibrated_values_are_the_defaults():
    """The figures the calibration tuned, written out: a change to any of them is a
    recalibration and must go through docs/calibration.md."""
    traders = Scenario().model_kwargs()["traders"]
    assert traders["mix"] == {
        "noise": 0.55,
        "momentum": 0.2,
        "mean_reversion": 0.2,
        "gambler": 0.05,
    }
    assert traders["leverage"] == {
        "noise": 3.0,
        "momentum": 6.0,
        "mean_reversion": 3.0,
        "gambler": 8.0,
        "basis": 3.0,
    }
    assert traders["leverage_sigma"] == 0.25
    assert Scenario().model_kwargs()["market"]["annual_vol"] == 0.5
    assert Scenario().model_kwargs()["lps"]["capital"] == 9_000_000.0


def _digest(model: ExchangeModel, steps: int) -> str:
    for _ in range(steps):
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    return hashlib.sha256(frame.to_csv(float_format="%.17g").encode()).hexdigest()


def test_a_model_without_a_preset_runs_as_calm_on_the_same_seed():
    """The constructor's own defaults (not only the scenario schema's) are calm's."""
    bare = ExchangeModel(rng=1, n_traders=60)
    calm = ExchangeModel(preset="calm", n_traders=60)
    assert _digest(bare, 150) == _digest(calm, 150)


def test_a_model_without_a_preset_differs_from_one_with_another_population():
    """The comparison above can fail: one changed default changes the run."""
    bare = ExchangeModel(rng=1, n_traders=60)
    other = ExchangeModel(rng=1, n_traders=60, traders={"leverage_sigma": 0.35})
    assert _digest(bare, 150) != _digest(other, 150)
