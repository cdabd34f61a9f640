"""The six venue presets: listed, described, holding their venue's table, and running a
crash with money conserved and every loss booked to a stage of that venue's waterfall."""

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
    "market.shocks.0.start": 60,
    "market.shocks.0.drop": 0.4,
}


def test_abm_list_shows_the_six_venue_presets():
    listed = list_presets()
    for name in PRESETS:
        assert listed[name].startswith(load_scenario(name).info.title.removeprefix("Venue: "))


@pytest.mark.parametrize("name", PRESETS)
def test_classroom_text_names_the_venue_and_where_its_rules_come_from(name):
    info = load_scenario(name).info
    assert "docs/venues.md" in info.what_is_it
    assert info.how_it_works.strip() and info.things_to_try.strip()


@pytest.mark.parametrize(("name", "venue"), PRESETS.items())
def test_a_venue_preset_holds_its_venues_rules_with_governance_off(name, venue):
    sc = load_scenario(name)
    p = sc.exchange.to_params()
    assert {k: getattr(p, k) for k in venue_fields(venue)} == venue_fields(venue)
    assert sc.extends == "flash_crash" and sc.market.shocks
    assert not sc.governance.enabled
    # what is not a venue rule is the common market's
    crash = load_scenario("flash_crash").exchange.to_params()
    assert (p.taker_fee, p.slippage, p.max_oi_to_vault) == (
        crash.taker_fee,
        crash.slippage,
        crash.max_oi_to_vault,
    )


@pytest.mark.parametrize("name", PRESETS)
def test_a_venue_preset_conserves_money_and_books_every_loss_through_a_crash(name):
    model = ExchangeModel(preset=load_scenario(name, CRASH))
    waterfall = model.exchange.params.waterfall
    for _ in range(200):
        model.step()
        model.check()
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
    row = model.metrics
    assert row["bad_debt"] > 0 and row["liquidations"] > 0
    for stage, column in STAGE_COLUMNS.items():
        if stage not in waterfall and stage != "lp_vault":  # the LP vault also ends a halt
            assert row[column] == 0, (stage, row[column])
