"""Every preset loads, carries its classroom text and runs with money conserved."""

import os
from pathlib import Path

import pytest

from abm.batch import run
from abm.model import ExchangeModel
from abm.scenarios import INFO_FIELDS, list_presets, load_scenario, preset_names

SMALL = {"traders.count": 120, "governance.n_voters": 40, "lps.count": 4}

REQUIRED = {
    "calm",
    "flash_crash",
    "liquidation_cascade",
    "prolonged_bear",
    "oracle_failure",
    "oracle_manipulation",
    "thin_fund",
    "fund_depletion",
    "governance_response",
    "governance_attack",
    "replay",
}


def test_the_required_presets_exist():
    assert set(preset_names()) >= REQUIRED


def test_list_presets_gives_a_description_each():
    presets = list_presets()
    assert set(presets) == set(preset_names())
    assert all(desc and not desc.startswith("(cannot") for desc in presets.values())


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_preset_has_classroom_text(name):
    info = load_scenario(name).info
    for field in INFO_FIELDS:
        assert getattr(info, field).strip(), f"{name}: info.{field} is empty"


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_preset_runs_200_steps_with_conservation(name):
    sc = load_scenario(name, SMALL)
    model = ExchangeModel(preset=sc)
    model.check()
    for _ in range(200):
        if not model.running:
            break
        model.step()
        model.check()
    assert model.steps > 100


def test_presets_extend_calm_and_override_only_what_they_change():
    calm = load_scenario("calm")
    crash = load_scenario("flash_crash")
    assert crash.extends == "calm"
    assert crash.market.shocks and not calm.market.shocks
    assert crash.exchange == calm.exchange
    assert crash.info.description != calm.info.description


def test_model_accepts_a_preset_name_with_keyword_overrides():
    model = ExchangeModel(preset="thin_fund", n_traders=50, penalty_rate=0.03, rng=5)
    assert model.n_traders == 50
    assert model.exchange.params.penalty_rate == 0.03
    assert model.exchange.fund.balance == load_scenario("thin_fund").exchange.initial_fund
    model.step()
    model.check()


def test_model_accepts_a_path_and_a_loaded_scenario(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('extends = "flash_crash"\n[traders]\ncount = 30\n[run]\nseed = 11\n')
    by_path = ExchangeModel(preset=path)
    by_object = ExchangeModel(preset=load_scenario(path))
    assert by_path.n_traders == by_object.n_traders == 30
    for model in (by_path, by_object):
        for _ in range(5):
            model.step()
    assert by_path.metrics == by_object.metrics  # same seed from run.seed


def test_mesa_batch_run_takes_presets(batch_run):
    rows = batch_run(
        ExchangeModel,
        {"preset": ["flash_crash"], "n_traders": [60]},
        [1, 2],
        max_steps=20,
        number_processes=1,
        display_progress=False,
    )
    assert {r["rng"] for r in rows} == {1, 2}
    assert all(r["preset"] == "flash_crash" for r in rows)
    assert rows[0]["insurance_fund"] != rows[1]["insurance_fund"]  # seeded, not the preset's


def _shared_price_files():
    """The team's crash data: ../shared/data next to the repo, or $ABM_SHARED_DATA."""
    env = os.environ.get("ABM_SHARED_DATA")
    folder = Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("btcusdt_binance_spot_1h_*.csv"))


@pytest.mark.skipif(not _shared_price_files(), reason="shared crash data not present")
def test_replay_preset_runs_on_the_shared_crash_data():
    path = next(p for p in _shared_price_files() if "black_thursday" in p.name)
    result = run("replay", overrides={**SMALL, "market.replay_path": str(path)}, check=True)
    rows = sum(1 for _ in path.open()) - 1
    assert result.steps == rows - 1  # one step per row after the first, then it stops
    s = result.summary
    assert s["min_price_ratio"] < 0.6  # Black Thursday: BTC lost about half
    assert s["liquidations"] > 0
    assert result.timeseries["price"].iloc[0] == pytest.approx(8081.54)
