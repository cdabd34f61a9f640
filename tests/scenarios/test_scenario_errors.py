"""Loading validates every field; each kind of bad input gets one clear message."""

import pytest

from abm.model import ExchangeModel
from abm.scenarios import Scenario, ScenarioError, load_scenario, parse_value, parse_values


def error(scenario, overrides=None) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(scenario, overrides)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def test_scenario_error_is_a_value_error():
    assert issubclass(ScenarioError, ValueError)


def test_unknown_key_names_the_path_and_suggests_the_field():
    msg = error("calm", {"exchange.penalty_rat": 0.01})
    assert "unknown key 'exchange.penalty_rat'" in msg
    assert "did you mean 'penalty_rate'" in msg
    assert "allowed keys:" in msg and "maintenance_margin" in msg


def test_unknown_section_is_an_error():
    msg = error("calm", {"exchnage.penalty_rate": 0.01})
    assert "unknown key 'exchnage'" in msg and "'exchange'" in msg


def test_unknown_key_in_a_file_is_an_error(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text('extends = "calm"\n[oracle]\nhartbeat = 3\n')
    msg = error(path)
    assert msg.startswith("typo.toml:")
    assert "oracle.hartbeat" in msg and "heartbeat" in msg


def test_wrong_type_names_field_and_expected_type():
    assert "exchange.penalty_rate must be a number, got 'high'" in error(
        "calm", {"exchange.penalty_rate": "high"}
    )
    assert "traders.count must be a whole number, got 2.5" in error("calm", {"traders.count": 2.5})
    assert "governance.enabled must be true or false, got 1" in error(
        "calm", {"governance.enabled": 1}
    )


def test_out_of_range_value_names_field_and_range():
    msg = error("calm", {"exchange.penalty_rate": 0.9})
    assert "exchange.penalty_rate must be in [0, 0.5], got 0.9" in msg
    assert "run.steps must be in [1, 1e+08], got 0" in error("calm", {"run.steps": 0})
    assert "governance.governor.quorum must be in [0, 1]" in error(
        "calm", {"governance.governor.quorum": 1.5}
    )


def test_cross_field_rule_maintenance_below_initial_margin():
    msg = error("calm", {"exchange.maintenance_margin": 0.06})
    assert "exchange.maintenance_margin must be below initial_margin (0.05), got 0.06" in msg


def test_choice_fields_list_the_allowed_values():
    msg = error("calm", {"exchange.adl_ranking": "random"})
    assert "exchange.adl_ranking must be one of" in msg and "'hyperliquid'" in msg
    msg = error("calm", {"exchange.waterfall": ["insurance_fund", "treasury"]})
    assert "exchange.waterfall[1] must be one of 'insurance_fund', 'lp_vault', 'adl'" in msg
    msg = error("calm", {"traders.mix.whale": 0.3})
    assert "traders.mix.whale" in msg and "'gambler'" in msg


def test_shock_errors_name_the_item():
    msg = error("flash_crash", {"market.shocks.0.drop": 1.5})
    assert "market.shocks[0].drop must be in [0, 1), got 1.5" in msg
    bad_kind = {"market.shocks": [{"kind": "crash", "start": 3}]}
    assert "market.shocks[0].kind must be one of 'flash_crash', 'trend'" in error("calm", bad_kind)


def test_missing_replay_file(tmp_path):
    missing = tmp_path / "nowhere.csv"
    msg = error("replay", {"market.replay_path": str(missing)})
    assert msg == f"replay: market.replay_path: replay file not found: {missing}"


def test_csv_without_close_column(price_csv):
    path = price_csv(columns=("timestamp", "price"))
    msg = error("replay", {"market.replay_path": str(path)})
    assert "market.replay_path" in msg and "'close'" in msg and "missing ['close']" in msg


def test_csv_with_bad_prices(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("timestamp,close\n2024-01-01,100\n2024-01-02,-5\n")
    msg = error("replay", {"market.replay_path": str(path)})
    assert "positive numbers" in msg and "row 3" in msg


def test_unknown_preset_lists_the_presets():
    msg = error("flash_crahs")
    assert "unknown scenario 'flash_crahs'" in msg and "flash_crash" in msg and "calm" in msg


def test_missing_scenario_file(tmp_path):
    assert "scenario file not found" in error(tmp_path / "nope.toml")


def test_malformed_toml(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[exchange\npenalty_rate = 0.01\n")
    assert error(path).startswith("broken.toml: not valid TOML")


def test_several_errors_are_reported_on_one_line():
    msg = error("calm", {"exchange.penalty_rate": -1, "oracle.heartbeat": 0})
    assert "exchange.penalty_rate" in msg and "oracle.heartbeat" in msg


def test_model_with_a_bad_scenario_raises_the_same_error():
    with pytest.raises(ScenarioError, match="unknown scenario"):
        ExchangeModel(preset="no_such_preset")


# -- extends and overrides ----------------------------------------------------------------
def test_extends_merges_tables_and_replaces_arrays(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        'extends = "flash_crash"\n'
        '[info]\ndescription = "mine"\n'
        "[exchange]\npenalty_rate = 0.02\n"
        "[traders]\nmix = { noise = 1.0, gambler = 0.0 }\n"
    )
    sc = load_scenario(path)
    base = load_scenario("flash_crash")
    assert sc.name == "mine" and sc.extends == "flash_crash"
    assert sc.exchange.penalty_rate == 0.02
    assert sc.exchange.maintenance_margin == base.exchange.maintenance_margin
    assert sc.market.shocks == base.market.shocks
    assert sc.traders.mix == {**base.traders.mix, "noise": 1.0, "gambler": 0.0}  # key by key
    assert sc.info.description == "mine" and sc.info.what_is_it == ""  # info is not inherited


def test_extends_by_relative_path_and_cycles(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n[run]\nsteps = 5\n')
    (tmp_path / "b.toml").write_text('extends = "calm"\n[run]\nseed = 9\n')
    sc = load_scenario(tmp_path / "a.toml")
    assert (sc.run.steps, sc.run.seed) == (5, 9)
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    assert "extends makes a cycle" in error(tmp_path / "a.toml")


def test_relative_replay_path_is_relative_to_the_file(tmp_path, price_csv):
    price_csv(name="series.csv")
    toml = 'extends = "replay"\n[market]\nreplay_path = "series.csv"\n'
    (tmp_path / "mine.toml").write_text(toml)
    sc = load_scenario(tmp_path / "mine.toml")
    assert sc.market.replay_path == str((tmp_path / "series.csv").resolve())


def test_overrides_as_strings_and_on_a_loaded_scenario():
    sc = load_scenario("calm", ["exchange.penalty_rate=0.02", "governance.enabled=false"])
    assert sc.exchange.penalty_rate == 0.02 and sc.governance.enabled is False
    again = load_scenario(sc, {"run.seed": 3})
    assert isinstance(again, Scenario)
    assert (again.run.seed, again.exchange.penalty_rate) == (3, 0.02)


def test_command_line_values_parse_as_toml_literals():
    assert parse_value("0.01") == 0.01
    assert parse_value("200") == 200
    assert parse_value("true") is True
    assert parse_value("bitmex") == "bitmex"
    assert parse_value("/tmp/x.csv") == "/tmp/x.csv"
    assert parse_value('["adl", "socialized"]') == ["adl", "socialized"]
    assert parse_values("0.005,0.01,0.02") == [0.005, 0.01, 0.02]
    assert parse_values("bitmex,pnl") == ["bitmex", "pnl"]
    with pytest.raises(ScenarioError):
        parse_values("0.1,,0.2")


def test_model_kwargs_feed_the_model():
    sc = load_scenario("fund_depletion")
    kwargs = sc.model_kwargs()
    assert kwargs["rng"] == sc.run.seed
    assert kwargs["n_traders"] == sc.traders.count
    assert kwargs["initial_fund"] == sc.exchange.initial_fund
    assert kwargs["exchange"]["waterfall"] == ("insurance_fund", "adl", "socialized")
    assert "initial_fund" not in kwargs["exchange"] and "count" not in kwargs["traders"]
    model = ExchangeModel(**{**kwargs, "n_traders": 40})
    assert model.exchange.params.waterfall == ("insurance_fund", "adl", "socialized")
    assert len(model.exchange.market.params.shocks) == 2
