"""The app's market picker and per-market table, without a browser: the picker's series
against `market_frame`, the table's totals against the model columns, and what the
charts show for a picked market (and that a single market's page has neither)."""

from __future__ import annotations

import json

import ipyvuetify as v
import numpy as np
import pytest
import solara
from mesa.visualization.utils import force_update

from abm.model import ExchangeModel
from viz import charts, controls, data, info, markets, presets
from viz.charts import CHARTS, Charts
from viz.markets import ALL, MarketSeries

pytestmark = pytest.mark.usefixtures("close_renders")


@pytest.fixture(scope="module")
def crashed() -> ExchangeModel:
    """multi_market_crash a few steps past its venue-wide crash: bad debt in every market."""
    m = presets.build("multi_market_crash", n_traders=300, governance_enabled=False)
    for _ in range(310):
        m.step()
    assert m.datacollector.model_vars["bad_debt"][-1] > 0
    return m


@pytest.fixture(scope="module")
def isolated() -> ExchangeModel:
    m = presets.build("long_tail_squeeze", fund_scope="isolated", governance_enabled=False)
    for _ in range(20):
        m.step()
    return m


def options(rc) -> dict[str, dict]:
    """Each chart's option by its title."""
    titles = [
        w.unsafe_innerHTML
        for w in rc.find(solara.widgets.HTML).widgets
        if "abm-chart-title" in w.attributes.get("class", "")
    ]
    shown = [json.loads(w.option_json) for w in rc.find(charts.ChartWidget).widgets]
    return dict(zip(titles, shown, strict=True))


def picker(rc):
    (toggle,) = rc.find(v.BtnToggle).widgets
    return toggle


def series_of(option: dict, name: str) -> list:
    (s,) = [s for s in option["series"] if s["name"] == name]
    return s["data"]


# -- data ---------------------------------------------------------------------------------
def test_each_markets_series_equal_its_market_frame_columns(crashed):
    series = MarketSeries(crashed).update(crashed)
    table = crashed.market_frame()
    assert series.names == ["BTC", "ETH", "SOL", "DOGE"]
    for name in series.names:
        frame = series.frame(name, max_points=10**6)
        own = table[table["market"] == name].set_index("step")
        assert frame.index.tolist() == own.index.tolist() == list(range(crashed.steps + 1))
        for column, source in markets.SERIES_COLUMNS.items():
            np.testing.assert_array_equal(frame[column].to_numpy(), own[source].to_numpy(float))


def test_a_long_run_is_thinned_like_the_model_frame_keeping_the_last_step(crashed):
    series = MarketSeries(crashed).update(crashed)
    frame = series.frame("SOL", max_points=50)
    assert frame.index.tolist() == data.model_frame(crashed, max_points=50).index.tolist()
    assert frame.index[-1] == crashed.steps
    full = series.frame("SOL", max_points=10**6)
    assert frame["price"].iloc[-1] == full["price"].iloc[-1]


def test_the_series_reads_only_the_new_rows_each_frame():
    m = presets.build("multi_market_crash", n_traders=100, governance_enabled=False)
    starts = []
    rows = m.market_rows
    m.market_rows = lambda start=0: starts.append(start) or rows(start)
    series = MarketSeries(m).update(m)
    for _ in range(3):
        m.step()
    series.update(m)
    series.update(m)
    assert starts == [0, 4, 16]  # 4 markets: step 0's rows, then steps 1-3, then nothing new
    fresh = MarketSeries(m).update(m)
    for name in series.names:
        assert series.frame(name).equals(fresh.frame(name))


def test_the_tables_totals_are_the_sums_of_the_markets_and_the_model_columns(crashed):
    series = MarketSeries(crashed).update(crashed)
    *rows, total = markets.market_table(series, crashed.markets.fund_balance())
    assert [r.market for r in rows] == series.names and total.market == ALL
    last = {c: v[-1] for c, v in crashed.datacollector.model_vars.items()}
    assert total.open_interest == pytest.approx(sum(r.open_interest for r in rows))
    assert total.open_interest == pytest.approx(last["open_interest"])
    assert total.bad_debt == pytest.approx(last["bad_debt"])
    assert total.fund_paid == pytest.approx(last["fund_covered"])
    assert total.fund_balance == pytest.approx(last["insurance_fund"])
    assert sum(r.fund_share for r in rows) == pytest.approx(1.0)
    for r in rows:  # its share is what it drew over what the fund paid for every market
        assert r.fund_share == pytest.approx(r.fund_paid / total.fund_paid)
        assert sum(x for _, x in r.paid_by) == pytest.approx(r.bad_debt)
    paid = dict(total.paid_by)
    assert paid["fund"] == pytest.approx(last["fund_covered"])
    assert sum(paid.values()) == pytest.approx(last["bad_debt"])


def test_the_table_has_one_row_per_market_and_the_total_and_says_what_fund_share_is(crashed):
    series = MarketSeries(crashed).update(crashed)
    rows = markets.market_table(series, crashed.markets.fund_balance())
    text = markets.table_html(rows, "SOL", own_funds=False)
    assert text.count("<tr") == 1 + 4 + 1
    assert text.count('class="abm-picked"') == 1
    assert "<td>SOL</td>" in text.split('class="abm-picked"')[1].split("</tr>")[0]
    assert "what it drew / what the fund paid for every market" in text
    assert "Own fund" not in text
    assert "One shared insurance fund" in markets.scope_words(crashed)


def test_isolated_funds_show_each_markets_own_fund_and_seed(isolated):
    series = MarketSeries(isolated).update(isolated)
    rows = markets.market_table(series, isolated.markets.fund_balance())
    assert "Own fund" in markets.table_html(rows, ALL, own_funds=True)
    seed = isolated.settings["initial_fund"]
    assert markets.fund_seed(isolated, "JELLY") == pytest.approx(0.1 * seed)
    assert markets.fund_seed(isolated, "BTC") == pytest.approx(0.9 * seed)
    assert markets.fund_seed(isolated, ALL) == pytest.approx(seed)
    btc, jelly, total = rows
    assert btc.fund_balance != jelly.fund_balance
    assert total.fund_balance == pytest.approx(btc.fund_balance + jelly.fund_balance)
    assert "own insurance fund" in markets.scope_words(isolated)


def test_a_market_with_its_own_fund_beside_a_shared_one_shows_its_own():
    # dYdX v4: BTC and ETH share the main fund, ALT (isolated = true) has its tenth
    m = presets.build("venue_dydx_v4", governance_enabled=False)
    seed = m.settings["initial_fund"]
    assert markets.own_funds(m) == ["ALT"]
    assert markets.fund_seed(m, "ALT") == pytest.approx(0.1 * seed)
    assert markets.fund_seed(m, "BTC") == pytest.approx(0.9 * seed)
    assert markets.fund_seed(m, ALL) == pytest.approx(seed)
    words = markets.scope_words(m)
    assert "backs every other market" in words
    assert "ALT keeps a fund of its own" in words


def test_a_single_market_has_no_market_series(fresh_model):
    assert markets.market_names(fresh_model) == []
    assert MarketSeries(fresh_model).update(fresh_model).names == []
    assert fresh_model.market_rows() == []


# -- components ---------------------------------------------------------------------------
def test_picking_a_market_turns_its_charts_to_that_market(crashed):
    _, rc = solara.render(Charts(crashed), handle_error=False)
    toggle = picker(rc)
    buttons = [b.children[0] for b in toggle.children]
    assert buttons == [ALL, "BTC", "ETH", "SOL", "DOGE"]
    before = options(rc)
    assert "Price · BTC (first market)" in before
    assert "Bad debt: who paid (loss waterfall) · all markets" in before
    toggle.v_model = buttons.index("SOL")
    after = options(rc)
    assert set(after) == {
        "Insurance fund · SOL",
        "Price · SOL",
        "Fund / open interest vs the governance target · all markets",
        "Bad debt: who paid (loss waterfall) · SOL",
        "Open interest and the LP vault · SOL",
        "Traders' leverage now · SOL",
    }
    sol = MarketSeries(crashed).update(crashed).frame("SOL")
    price = series_of(after["Price · SOL"], "market price")
    divisor = sol["price"].iloc[-1] / price[-1][1]  # the axis unit (values are rounded)
    assert [p[0] for p in price] == sol.index.tolist()
    assert [p[1] for p in price] == pytest.approx((sol["price"] / divisor).tolist(), rel=1e-4)
    longs = series_of(after["Open interest and the LP vault · SOL"], "long")
    assert (
        longs[-1][1]
        != series_of(before["Open interest and the LP vault · all markets"], "long")[-1][1]
    )
    ratio = "Fund / open interest vs the governance target · all markets"
    assert after[ratio] == before[ratio]  # the venue's, whatever is picked
    (table,) = [
        w.unsafe_innerHTML
        for w in rc.find(solara.widgets.HTML).widgets
        if "abm-market-table" in w.attributes.get("class", "")
    ]
    assert '<tr class="abm-picked"><td>SOL</td>' in table
    toggle.v_model = 0
    assert set(options(rc)) == set(before)


def test_a_picked_markets_price_marks_only_its_liquidations(crashed):
    tally = charts.LiquidationTally("DOGE").update(crashed.events)
    everyone = charts.LiquidationTally().update(crashed.events)
    own = [e for e in crashed.events if e["kind"] == "liquidation" and e["market"] == "DOGE"]
    assert tally.total == len(own) > 0
    assert everyone.total > tally.total


def test_the_table_and_charts_follow_each_step_without_rebuilding_the_market_frame(monkeypatch):
    m = presets.build("multi_market_crash", n_traders=100, governance_enabled=False)
    monkeypatch.setattr(m, "market_frame", lambda: pytest.fail("a frame rebuilt market_frame"))
    market = solara.reactive("ETH")
    _, rc = solara.render(Charts(m, market=market), handle_error=False)
    assert "Price · ETH" in options(rc)
    for _ in range(3):
        m.step()
    force_update()
    price = series_of(options(rc)["Price · ETH"], "market price")
    assert [p[0] for p in price] == [0, 1, 2, 3]


def test_a_single_market_page_has_no_picker_and_its_usual_titles(fresh_model):
    _, rc = solara.render(Charts(fresh_model), handle_error=False)
    assert rc.find(v.BtnToggle).widgets == []
    assert not [
        w
        for w in rc.find(solara.widgets.HTML).widgets
        if "abm-market-table" in w.attributes.get("class", "")
    ]
    assert list(options(rc)) == [
        "Insurance fund",
        "Price",
        "Fund / open interest vs the governance target",
        "Bad debt: who paid (loss waterfall)",
        "Open interest and the LP vault",
        "Traders' leverage now",
    ]
    assert len(CHARTS) == 6


def test_the_run_summary_and_crash_steps_cover_every_market_and_the_factor():
    m = presets.build("multi_market_crash", n_traders=50, shock_size=0.2, shock_hour=120)
    summary = info.shocks_summary(m)
    assert summary.startswith("a 14 % flash crash of the common factor at step 300 and ")
    for name in ("BTC", "ETH", "SOL", "DOGE"):
        assert f"a 20 % flash crash of {name} at step 120" in summary
    assert "a 30 % flash crash of DOGE at step 301" in summary
    assert controls.crash_steps(m) == [120, 300, 301]
