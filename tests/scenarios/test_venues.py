"""`exchange.venue` expands into that venue's rules (abm/exchange/venues.py) at the layer
that names it: a scenario file, a `--set`, a dict, or the model's `exchange` dict."""

import pytest

from abm.batch import parse_grid
from abm.cli import main
from abm.exchange import ExchangeParams
from abm.exchange.params import VENUES
from abm.exchange.venues import RULE_DEFAULTS, VENUE_RULES, venue_fields
from abm.model import ExchangeModel
from abm.scenarios import ScenarioError, load_scenario

NAMED = [v for v in VENUES if v != "custom"]


def effective(sc) -> dict:
    p = sc.exchange.to_params()
    return {k: getattr(p, k) for k in venue_fields(p.venue)}


def test_every_venue_name_has_one_table_entry_that_sets_every_rule():
    assert sorted(VENUE_RULES) == sorted(NAMED)
    for name in NAMED:
        fields = venue_fields(name)
        assert set(RULE_DEFAULTS) <= set(fields)
        params = ExchangeParams(**fields)  # valid with the defaults of everything else
        assert params.venue == name
    assert venue_fields("custom") == {"venue": "custom"}


def test_venue_tables_hold_the_documented_numbers():
    dydx, hl, gmx = venue_fields("dydx_v4"), venue_fields("hyperliquid"), venue_fields("gmx_v2")
    drift, binance, bitmex = (venue_fields(v) for v in ("drift_v2", "binance", "bitmex"))
    assert (dydx["liquidation_path"], dydx["penalty_rate"], dydx["penalty_fund_share"]) == (
        "book",
        0.015,
        1.0,
    )
    assert dydx["fund_cover_cap"] == 1e6 and dydx["adl_ranking"] == "dydx"
    assert (hl["backstop_ratio"], hl["slice_notional"], hl["slice_fraction"]) == (2 / 3, 1e5, 0.2)
    assert hl["waterfall"] == ("lp_vault", "adl") and hl["adl_price"] == "mark"
    assert (gmx["adl_pnl_to_pool_max"], gmx["adl_pnl_to_pool_target"]) == (0.85, 0.77)
    assert gmx["penalty_rate"] == 0.002 and gmx["keeper_fee"] == 0.0
    assert drift["waterfall"] == ("insurance_fund", "socialized")
    assert drift["fund_cover_cap_total"] == 1e6
    assert drift["penalty_rate"] * drift["penalty_fund_share"] == pytest.approx(0.01)
    assert binance["im_tiers"][3] == (1_000_000.0, 20.0) and binance["mm_tiers"][3][1] == 0.025
    # BitMEX: 0.5 % / 1 % to 200 XBT, +0.5 % per 100 XBT step (XBT at $10,000)
    assert bitmex["mm_tiers"][:3] == ((0.0, 0.005), (2e6, 0.01), (3e6, 0.015))
    assert [round(1 / lev, 6) for _, lev in bitmex["im_tiers"][:3]] == [0.01, 0.015, 0.02]
    assert {v["liquidation_path"] for v in (binance, bitmex)} == {"engine"}


def test_a_venue_in_a_file_expands_there_and_the_files_own_fields_win(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('extends = "calm"\n[exchange]\nvenue = "binance"\npenalty_rate = 0.01\n')
    got = effective(load_scenario(path))
    assert got == {**venue_fields("binance"), "penalty_rate": 0.01}


def test_a_later_layer_wins_over_the_venue(tmp_path):
    (tmp_path / "base.toml").write_text('extends = "calm"\n[exchange]\nvenue = "bitmex"\n')
    top = tmp_path / "top.toml"
    top.write_text('extends = "base.toml"\n[exchange]\nwaterfall = ["insurance_fund"]\n')
    p = load_scenario(top).exchange.to_params()
    assert p.waterfall == ("insurance_fund",)
    assert p.liquidation_path == "engine" and p.mm_tiers == venue_fields("bitmex")["mm_tiers"]


def test_set_venue_expands_at_the_override_layer_and_explicit_overrides_win():
    calm = load_scenario("calm").exchange.to_params()
    sc = load_scenario("flash_crash", ["exchange.venue=dydx_v4", "exchange.fund_cover_cap=5e5"])
    assert effective(sc) == {**venue_fields("dydx_v4"), "fund_cover_cap": 5e5}
    p = sc.exchange.to_params()
    assert (p.taker_fee, p.slippage, p.halt_hours) == (calm.taker_fee, calm.slippage, 24.0)
    # on a venue preset, another venue replaces every rule; a plain field changes one
    assert effective(load_scenario("venue_binance", ["exchange.venue=gmx_v2"])) == venue_fields(
        "gmx_v2"
    )
    one = load_scenario("venue_gmx_v2", ["exchange.penalty_rate=0.0045"]).exchange
    assert one.venue == "gmx_v2" and one.penalty_rate == 0.0045 and one.waterfall[0] == "lp_vault"


def test_a_resolved_scenario_keeps_what_later_layers_changed():
    sc = load_scenario("venue_dydx_v4", {"exchange.fund_cover_cap": 10.0})
    again = load_scenario(sc, {"run.steps": 5})
    assert again.exchange.fund_cover_cap == 10.0
    assert load_scenario(sc.to_dict()).exchange.fund_cover_cap == 10.0


def test_a_dict_scenario_expands_its_venue():
    sc = load_scenario({"exchange": {"venue": "drift_v2", "penalty_fund_share": 0.5}})
    assert effective(sc) == {**venue_fields("drift_v2"), "penalty_fund_share": 0.5}


def test_an_unknown_venue_is_one_error_naming_the_field_and_the_names(capsys):
    with pytest.raises(ScenarioError) as err:
        load_scenario("calm", ["exchange.venue=ftx"])
    msg = str(err.value)
    assert msg.startswith("calm: exchange.venue must be one of ") and msg.endswith("got 'ftx'")
    assert all(f"'{v}'" in msg for v in VENUES) and ";" not in msg
    assert main(["show", "calm", "--set", "exchange.venue=ftx"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"abm: error: {msg}"]
    with pytest.raises(ValueError, match=r"^exchange\.venue must be one of \['custom', 'dydx_v4'"):
        ExchangeModel(exchange={"venue": "ftx"}, n_traders=5)


def test_the_model_expands_a_venue_in_its_exchange_dict():
    m = ExchangeModel(exchange={"venue": "hyperliquid", "penalty_rate": 0.01}, n_traders=10)
    p = m.exchange.params
    assert {k: getattr(p, k) for k in venue_fields("hyperliquid")} == {
        **venue_fields("hyperliquid"),
        "penalty_rate": 0.01,
    }
    assert p.taker_fee == ExchangeParams().taker_fee
    # a preset's resolved parameters are taken as they are
    sc = load_scenario("venue_bitmex", {"exchange.maintenance_margin": 0.004})
    assert ExchangeModel(preset=sc, n_traders=10).exchange.params == sc.exchange.to_params()


def test_a_sweep_grid_takes_a_list_of_venue_names():
    names = ",".join(NAMED)
    grid = parse_grid([f"exchange.venue={names}"])
    assert grid == {"exchange.venue": NAMED}
    base = load_scenario("flash_crash")
    for name in NAMED:
        assert effective(load_scenario(base, {"exchange.venue": name})) == venue_fields(name)


def test_a_venue_sweep_has_one_aggregate_row_per_venue_on_common_seeds():
    from abm.batch import run_sweep

    small = {"traders.count": 60, "governance.n_voters": 20, "lps.count": 3}
    fixed = {**small, "governance.enabled": False}
    grid = {"exchange.venue": ["gmx_v2", "binance"]}
    result = run_sweep("flash_crash", grid, seeds=2, steps=30, overrides=fixed)
    runs = result.runs
    assert result.aggregate["exchange.venue"].tolist() == ["gmx_v2", "binance"]
    assert runs["exchange.venue"].tolist() == ["gmx_v2"] * 2 + ["binance"] * 2
    assert runs.groupby("exchange.venue")["seed"].apply(list).to_dict() == {
        "binance": [1, 2],
        "gmx_v2": [1, 2],
    }
    # a venue's point is the crash's run with that venue on the same seed (the venue
    # presets themselves run three markets)
    fixed_binance = {**fixed, "exchange.venue": "binance"}
    one = run_sweep("flash_crash", {}, seeds=1, steps=30, overrides=fixed_binance).runs.iloc[0]
    row = runs[(runs["exchange.venue"] == "binance") & (runs["seed"] == 1)].iloc[0]
    assert row["final_fund"] == one["final_fund"] and row["liquidations"] == one["liquidations"]
