"""The six venue presets: listed, described, holding their venue's table in each of their
markets with the venue's fund scope, and running a crash with money conserved and every
loss booked to a stage of that venue's waterfall, in total and per market."""

import math

import pytest

from abm.exchange.venues import venue_fields
from abm.model import ExchangeModel
from abm.scenarios import list_presets, load_scenario

PRESETS = {
    "venue_dydx_v4": "dydx_v4",
    "venue_hyperliquid": "hyperliquid",
    "venue_gmx_v2": "gmx_v2",
    "venue_drift_v2": "drift_v2",
    "venue_binance": "binance",
    "venue_bitmex": "bitmex",
}
STAGE_COLUMNS = {
    "insurance_fund": "fund_covered",
    "lp_vault": "lp_loss",
    "adl": "adl_covered",
    "socialized": "socialized_loss",
}
# a thin fund and an early, deep crash, so that losses run past the first stage
CRASH = {
    "traders.count": 150,
    "lps.count": 4,
    "exchange.initial_fund": 5_000.0,
    "market.shocks.0.start": 60,  # BTC's crash (the others keep theirs at step 500)
    "market.shocks.0.drop": 0.4,
}


def test_abm_list_shows_the_six_venue_presets():
    listed = list_presets()
    for name in PRESETS:
        assert listed[name].startswith(load_scenario(name).info.title.removeprefix("Venue: "))


@pytest.mark.parametrize("name", PRESETS)
def test_classroom_text_names_the_venue_and_where_its_rules_come_from(name):
    sc = load_scenario(name)
    info = sc.info
    assert "docs/venues.md" in info.what_is_it
    assert all(m.name in info.what_is_it for m in sc.markets)  # its markets, by name
    assert "fund" in info.what_is_it and "Measured on seed 1" in info.things_to_notice
    assert info.how_it_works.strip() and info.things_to_try.strip()


SCOPES = {
    "venue_dydx_v4": ("shared", ["ALT"]),  # cross markets on the main fund, ALT isolated
    "venue_hyperliquid": ("shared", []),
    "venue_gmx_v2": ("shared", []),
    "venue_drift_v2": ("shared_capped", []),
    "venue_binance": ("shared", []),
    "venue_bitmex": ("isolated", []),
}
MARGINS = {"initial_margin", "maintenance_margin", "mm_tiers", "im_tiers"}
PER_MARKET = {
    # a market's own rules beside its margins, each in docs/venues.md "Several markets"
    ("venue_gmx_v2", "DOGE"): {"penalty_rate", "adl_pnl_to_pool_max", "adl_pnl_to_pool_target"},
    ("venue_drift_v2", "BTC"): {"fund_cover_cap_total"},
    ("venue_drift_v2", "ETH"): {"fund_cover_cap_total"},
    ("venue_drift_v2", "ALT"): {"fund_cover_cap_total"},
}


@pytest.mark.parametrize(("name", "venue"), PRESETS.items())
def test_a_venue_preset_holds_its_venues_rules_in_every_market_with_governance_off(name, venue):
    sc = load_scenario(name)
    p = sc.exchange.to_params()
    assert {k: getattr(p, k) for k in venue_fields(venue)} == venue_fields(venue)
    assert sc.extends == "flash_crash" and sc.market.shocks and not sc.governance.enabled
    scope, isolated = SCOPES[name]
    assert sc.fund_scope == scope
    assert [e.name for e in sc.markets if e.isolated] == isolated
    model = ExchangeModel(preset=sc, n_traders=30)
    assert len(model.exchanges) == 3
    crash = load_scenario("flash_crash").exchange.to_params()
    for ex in model.exchanges:
        own = MARGINS | PER_MARKET.get((name, ex.name), set())
        rules = {k: v for k, v in venue_fields(venue).items() if k not in own}
        assert {k: getattr(ex.params, k) for k in rules} == rules, ex.name
        # what is not a venue rule is the common market's
        assert (ex.params.taker_fee, ex.params.slippage) == (crash.taker_fee, crash.slippage)
    # every market falls at step 500, by 1 - 0.7 ** beta: BTC the flash crash's own 30 %
    crashes = [ex.market.params.shocks for ex in model.exchanges]
    assert [(c[0].start, c[0].drop) for c in crashes] == [(500, 0.3), (500, 0.37), (500, 0.51)]
    assert crashes[0] == load_scenario("flash_crash").market.to_params().shocks
    # the first market keeps the venue's own margins (BTC's)
    first = model.exchanges[0].params
    assert {k: getattr(first, k) for k in MARGINS} == {k: venue_fields(venue)[k] for k in MARGINS}


def test_the_venue_presets_margins_and_caps_are_the_documented_ones():
    def params(name):
        return {ex.name: ex.params for ex in ExchangeModel(preset=name, n_traders=30).exchanges}

    hl = params("venue_hyperliquid")
    assert [p.im_tiers for p in hl.values()] == [
        ((0.0, 40.0), (150e6, 20.0)),
        ((0.0, 25.0), (100e6, 15.0)),
        ((0.0, 10.0), (20e6, 5.0)),
    ]
    assert [p.mm_tiers[0][1] for p in hl.values()] == [0.0125, 0.02, 0.05]  # half of 1/lev
    binance = params("venue_binance")
    assert binance["MANA"].im_tiers[:3] == ((0.0, 50.0), (5_000.0, 20.0), (25_000.0, 10.0))
    assert binance["XRP"].mm_tiers[1] == (10_000.0, 0.0065)
    drift = ExchangeModel(preset="venue_drift_v2", n_traders=30).markets
    assert [ex.params.fund_cover_cap_total for ex in drift] == [1e8, 1e8, 0.0]
    gmx = params("venue_gmx_v2")
    assert (gmx["DOGE"].maintenance_margin, gmx["DOGE"].penalty_rate) == (0.01, 0.003)
    assert (gmx["DOGE"].adl_pnl_to_pool_max, gmx["DOGE"].adl_pnl_to_pool_target) == (0.55, 0.5)
    dydx = ExchangeModel(preset="venue_dydx_v4", n_traders=30).markets
    assert dydx["BTC"].fund is not dydx["ALT"].fund and dydx["BTC"].fund.id == dydx["ETH"].fund.id
    assert dydx["ALT"].fund.balance == pytest.approx(0.1 * 250_000.0)
    assert (dydx["ALT"].params.initial_margin, dydx["ALT"].params.maintenance_margin) == (
        0.05,
        0.03,
    )


@pytest.mark.parametrize("name", PRESETS)
def test_a_venue_preset_conserves_money_and_books_every_loss_through_a_crash(name):
    model = ExchangeModel(preset=load_scenario(name, CRASH))
    for _ in range(200):
        model.step()
        model.check()  # money, and every market's waterfall identity
        row = model.metrics
        parts = (
            row["fund_covered"]
            + row["lp_loss"]
            + row["adl_covered"]
            + row["socialized_loss"]
            + row["unresolved_bad_debt"]
        )
        assert parts == pytest.approx(row["bad_debt"], rel=1e-9, abs=1e-6)
        assert all(math.isfinite(v) for k, v in row.items() if k != "fund_to_oi")
    assert model.metrics["bad_debt"] > 0 and model.metrics["liquidations"] > 0
    last = model.market_frame().groupby("market").last()
    for ex in model.exchanges:
        waterfall = ex.params.waterfall
        for stage, column in STAGE_COLUMNS.items():
            if stage not in waterfall and stage != "lp_vault":  # the LP vault also ends a halt
                assert last.loc[ex.name, column] == 0, (ex.name, stage)
    if name == "venue_drift_v2":  # the speculative tier's cap is 0: the fund pays nothing
        assert last.loc["ALT", "fund_covered"] == 0
