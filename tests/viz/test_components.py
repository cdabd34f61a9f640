"""No-browser tests of the app's components: render them with `solara.render` and read
what they show."""

from __future__ import annotations

import html as html_mod
import itertools
import json
import re
import threading
from contextlib import nullcontext

import ipyvuetify as v
import ipywidgets
import networkx as nx
import numpy as np
import pytest
import solara
from mesa.visualization import Slider
from mesa.visualization.solara_viz import _check_model_params
from mesa.visualization.utils import force_update
from solara.components.file_download import FileDownloadWidget

import viz.app as app
from abm.agents.traders import Trader
from abm.model import ExchangeModel
from viz import axes, charts, compare, controls, data, governance, health, presets, runner
from viz.charts import CHARTS, Charts, LeverageChart
from viz.compare import ComparePanel
from viz.events import EventFeed, describe, feed_lines
from viz.explainer import LiquidationExplainer, find_walkthrough
from viz.glossary import GLOSSARY
from viz.governance import GovernancePanel, VoterNetworkChart, latest, phases
from viz.health import HealthPanel, fund_health
from viz.info import BADGE_HEADING, ClassroomInfo, run_summary
from viz.markup import md_html
from viz.runner import SPEEDS, Player
from viz.text import INFO_SECTIONS

pytestmark = pytest.mark.usefixtures("close_renders")


# -- helpers ----------------------------------------------------------------------------
def html_blocks(rc, cls: str) -> list[str]:
    """The inner HTML of every `solara.HTML` element carrying CSS class `cls`."""
    found = rc.find(solara.widgets.HTML).widgets
    return [w.unsafe_innerHTML for w in found if cls in w.attributes.get("class", "").split()]


def texts(rc, cls: str) -> list[str]:
    """The text of every `solara.Text` with CSS class `cls`."""
    return ["".join(map(str, w.children)) for w in rc.find(v.Html, class_=cls).widgets]


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", None) or []:
        if isinstance(child, ipywidgets.Widget):
            yield from _walk(child)


def with_class(rc, widget_type, cls: str) -> list:
    """Widgets of `widget_type`, at any depth, whose CSS classes include `cls`."""
    return [
        w
        for root in rc.find(widget_type).widgets
        for w in _walk(root)
        if isinstance(w, widget_type) and cls in (w.class_ or "").split()
    ]


def liquidation(step: int, **fields) -> dict:
    """A liquidation event as `Exchange.liquidate` records it (README's worked example)."""
    event = {
        "step": step,
        "kind": "liquidation",
        "slot": 9,
        "side": 1,
        "notional": 950.0,
        "price": 91.0,
        "mark": 95.0,
        "bankruptcy_price": 91.0,
        "penalty": 10.0,
        "to_liquidator": 5.0,
        "to_fund": 5.0,
        "shortfall": 10.0,
        "partial": False,
        "liquidator": "liquidator:0",
    }
    event.update(fields)
    return event


def bad_debt(step: int, slot: int = 9, amount: float = 10.0, **by) -> dict:
    return {
        "step": step,
        "kind": "bad_debt",
        "slot": slot,
        "amount": amount,
        **{f"by_{k}": x for k, x in (by or {"insurance_fund": amount}).items()},
        "unresolved": 0.0,
    }


# -- fund health ------------------------------------------------------------------------
def test_health_is_red_with_the_word_and_numbers_when_the_fund_is_depleted():
    m = ExchangeModel(rng=1, n_traders=100, initial_fund=0.0, governance_enabled=False)
    _, rc = solara.render(HealthPanel(m), handle_error=False)
    assert texts(rc, "abm-state-word") == ["RED"]
    (badge,) = with_class(rc, v.Sheet, "abm-state-red")  # the red badge itself
    assert "#c62828" in badge.style_
    assert "$0.00" in texts(rc, "abm-big-value")
    assert "empty" in texts(rc, "abm-reason-text")[0]


@pytest.mark.parametrize(
    ("target_over_ratio", "state"), [(0.5, "green"), (1.6, "amber"), (3.5, "red")]
)
def test_health_state_follows_fund_to_open_interest_against_the_target(target_over_ratio, state):
    m = ExchangeModel(rng=2, n_traders=200, governance_enabled=False)
    for _ in range(40):
        m.step()
    ratio = m.metrics["fund_to_oi"]
    assert np.isfinite(ratio) and ratio > 0
    m.exchange.set_param("fund_target", ratio * target_over_ratio)
    m.step()  # the badge reads the collected rows, the target's among them
    h = fund_health(m)
    assert h.state == state, h.reason
    _, rc = solara.render(HealthPanel(m), handle_error=False)
    assert texts(rc, "abm-state-word") == [state.upper()]
    assert data.pct(m.metrics["fund_to_oi"]) in texts(rc, "abm-big-value")


@pytest.fixture(scope="module")
def flash_crash_run():
    m = presets.build("flash_crash")
    watch = health.HealthWatch(m)
    for _ in range(600):
        m.step()
    return m, watch.update(m)


def test_badge_is_red_at_every_bad_debt_step_of_the_crash(flash_crash_run):
    m, watch = flash_crash_run
    (crash,) = controls.crash_steps(m)
    bad = m.datacollector.model_vars["bad_debt_step"]
    steps = [s for s in range(crash, crash + 30) if bad[s] > 0]
    assert len(steps) >= 3
    assert [health.STATES[watch.history[s]] for s in steps] == ["red"] * len(steps)
    assert health.STATES[watch.history[crash - 5]] == "green"


def test_badge_does_not_flicker_in_calm():
    m = presets.build("calm")
    watch = health.HealthWatch(m)
    for _ in range(1000):
        m.step()
    history = watch.update(m).history
    assert len(history) == 1001
    runs = [len(list(g)) for _, g in itertools.groupby(history)]
    assert min(runs) >= 12  # every state holds for at least half a day: no flicker
    assert health.transitions(history) <= 6
    assert history.count(health.GREEN) > 900


def test_each_band_enters_and_leaves_a_state_with_a_margin():
    level, states = health.GREEN, []
    for value in [1.0, 0.74, 0.76, 0.74, 0.8, 0.84, 0.86, 0.84]:  # cover / target
        level = health.COVER.level(value, level)
        states.append(level)
    assert states == [0, 1, 1, 1, 1, 1, 0, 0]
    assert health.transitions(states) == 2
    assert health.DRAWDOWN.level(0.31, health.GREEN) == health.RED
    assert health.DRAWDOWN.level(0.27, health.RED) == health.RED
    assert health.DRAWDOWN.level(0.24, health.RED) == health.AMBER


def test_headline_says_who_paid_the_bad_debt(flash_crash_run):
    m, _ = flash_crash_run
    h = health.Health(
        "red", "", 0, 0, 0, 160_700.0, 0, (("fund", 147_700.0), ("LP vault", 13_000.0))
    )
    assert health.paid_by_text(h) == "fund $147.7k, LP vault $13.0k"
    _, rc = solara.render(HealthPanel(m), handle_error=False)
    (note,) = [t for t in texts(rc, "abm-big-note") if t.startswith("paid by:")]
    assert note == f"paid by: fund {data.money(m.metrics['fund_covered'])}"
    assert "all of it covered" not in " ".join(texts(rc, "abm-big-note"))


def test_health_is_green_before_any_position_opens(fresh_model):
    h = fund_health(fresh_model)
    assert h.state == "green"
    assert "No open positions" in h.reason


# -- event feed -------------------------------------------------------------------------
def test_event_feed_lists_a_liquidation_in_words_with_its_amount(fresh_model):
    fresh_model.events.append(
        liquidation(
            4,
            notional=12_345.0,
            price=95.0,
            penalty=185.2,
            to_liquidator=92.6,
            to_fund=92.6,
            shortfall=1_000.0,
        )
    )
    _, rc = solara.render(EventFeed(fresh_model), handle_error=False)
    (feed,) = html_blocks(rc, "abm-feed-list")
    assert "step 4" in feed
    assert "A long position of $12.3k was liquidated at $95.00" in feed
    assert "$92.60 to the liquidator, $92.60 to the fund" in feed
    assert "It left $1,000 of bad debt." in feed


def test_event_feed_summarises_a_cascade_and_names_proposals_newest_first(fresh_model):
    events = fresh_model.events
    events += [
        liquidation(7, slot=s, notional=1_000.0, to_fund=2.0, shortfall=0.0) for s in range(5)
    ]
    events.append(bad_debt(7, amount=300.0, insurance_fund=200.0, lp_vault=100.0))
    events.append(
        {
            "step": 8,
            "kind": "proposal",
            "id": 2,
            "proposal_kind": "set_penalty_rate",
            "state": "executed",
            "votes_for": 2_000_000.0,
            "votes_against": 150_000.0,
            "quorum": 400_000.0,
            "description": "set liquidation penalty to 2.00%",
        }
    )
    events.append({"step": 8, "kind": "trader_exit", "slot": 1, "reason": "broke", "withdrawn": 3})
    lines = feed_lines(events)
    assert [(step, kind) for step, kind, _ in lines] == [
        (8, "proposal"),
        (7, "bad_debt"),
        (7, "liquidation"),
    ]
    assert lines[0][2] == (
        "Proposal #2 (set liquidation penalty to 2.00%) was executed: "
        "2,000,000 for, 150,000 against (quorum 400,000)."
    )
    assert "$200 by the insurance fund, $100 by the LP vault" in lines[1][2]
    assert lines[2][2].startswith("5 liquidations (0 partial; $5,000 closed")


def test_governance_attack_events_are_described_in_words():
    assert describe({"step": 3, "kind": "attack", "phase": "borrow", "amount": 1e7}) == (
        "An attacker borrowed 10,000,000 governance tokens with a flash loan."
    )
    assert describe(
        {"step": 9, "kind": "treasury_transfer", "to_account": "attacker", "amount": 1.9e6}
    ) == ("The treasury sent $1.9M to attacker.")


def test_every_event_of_a_crash_run_is_described_in_words(crash_model):
    kinds = {e["kind"] for e in crash_model.events}
    assert {"liquidation", "bad_debt"} <= kinds
    for e in crash_model.events:
        words = describe(e)
        assert words.endswith(".") and any(ch.isdigit() for ch in words), (e, words)


# -- the liquidation walkthrough --------------------------------------------------------
def test_explainer_walks_through_a_constructed_liquidation_with_its_numbers(fresh_model):
    fresh_model.events.extend([liquidation(12), bad_debt(12)])
    _, rc = solara.render(LiquidationExplainer(fresh_model), handle_error=False)
    worked, live = html_blocks(rc, "abm-prose")
    assert "needs 100" in worked and "yields only 90" in worked
    assert "step 12" in live
    assert "worth <strong>$950</strong> at the oracle price $95.00" in live
    assert "bankruptcy price" in live and "<strong>$91.00</strong>" in live
    assert "1.05 % of the closed notional: <strong>$10.00</strong>" in live
    assert "$5.00 goes to the liquidator" in live and "$5.00 flows into the insurance fund" in live
    assert "<strong>$10.00 is bad debt</strong>" in live
    assert "the insurance fund paid $10.00" in live
    assert "−$5.00" in live  # the fund's net: +5 penalty share, -10 cover


def test_explainer_states_needs_and_yields_when_the_event_carries_the_margin(fresh_model):
    fresh_model.events.extend([liquidation(12, margin=90.0, entry=100.0), bad_debt(12)])
    _, rc = solara.render(LiquidationExplainer(fresh_model), handle_error=False)
    live = html_blocks(rc, "abm-prose")[1]
    assert "Closing safely needed <strong>$100</strong>" in live
    assert "the margin yielded <strong>$90.00</strong>" in live


def test_explainer_shows_the_latest_liquidation_or_the_latest_with_bad_debt(fresh_model):
    fresh_model.events.extend([liquidation(12), bad_debt(12)])
    fresh_model.events.append(liquidation(15, slot=4, shortfall=0.0, bankruptcy_price=80.0))
    _, rc = solara.render(LiquidationExplainer(fresh_model), handle_error=False)
    assert "No shortfall" in html_blocks(rc, "abm-prose")[1]
    rc.find(v.Switch).widget.v_model = True  # "Show the latest one that left bad debt"
    live = html_blocks(rc, "abm-prose")[1]
    assert "step 12" in live and "is bad debt" in live


def test_explainer_waits_for_a_first_liquidation(fresh_model):
    assert find_walkthrough(fresh_model.events) is None
    _, rc = solara.render(LiquidationExplainer(fresh_model), handle_error=False)
    assert any("No such liquidation yet" in str(w.children) for w in rc.find(v.Alert).widgets)


def test_explainer_finds_a_real_liquidation_and_its_cover(crash_model):
    w = find_walkthrough(crash_model.events, with_shortfall=True)
    assert w is not None and w.cover is not None
    assert w.cover["slot"] == w.liquidation["slot"]
    paid = sum(w.covered_by().values())
    assert paid == pytest.approx(w.liquidation["shortfall"], rel=1e-9)


# -- charts -----------------------------------------------------------------------------
def options(rc) -> list[dict]:
    return [json.loads(w.option_json) for w in rc.find(charts.ChartWidget).widgets]


def test_leverage_histogram_has_one_bar_per_bin(crash_model):
    edges, counts = data.leverage_histogram(crash_model)
    n_open = int(np.count_nonzero(crash_model.exchange.book.size))
    assert len(counts) == data.LEVERAGE_BINS and len(edges) == data.LEVERAGE_BINS + 1
    assert counts.sum() == n_open > 0
    assert edges[-1] == pytest.approx(data.liquidation_leverage(crash_model))
    option = charts.leverage_option(edges, counts, 20.0)
    (bars,) = option["series"]
    assert [b["value"] for b in bars["data"]] == counts.tolist()
    assert bars["data"][-1]["itemStyle"]["color"] == charts.COLORS["red"]
    assert len(option["xAxis"]["data"]) == data.LEVERAGE_BINS
    _, rc = solara.render(LeverageChart(crash_model), handle_error=False)
    assert options(rc)[0]["series"][0]["data"] == bars["data"]
    assert texts(rc, "abm-caption")[0].startswith(f"{n_open} open positions")


def test_leverage_values_are_the_traders_leverage(crash_model):
    lev = data.leverage_values(crash_model)
    expected = sorted(
        t.leverage for t in crash_model.traders if crash_model.exchange.book.size[t.slot] != 0
    )
    assert sorted(lev) == pytest.approx(expected)
    assert all(isinstance(t, Trader) for t in crash_model.traders)


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.__name__)
def test_each_chart_redraws_when_mesa_steps_and_exports_png_and_csv(chart):
    m = ExchangeModel(rng=4, n_traders=150, shock_size=0.3, shock_hour=5, governance_enabled=False)
    for _ in range(3):
        m.step()
    _, rc = solara.render(chart(m), handle_error=False)
    (before,) = options(rc)
    assert before["toolbox"]["feature"]["saveAsImage"]["title"] == "PNG"
    assert before["animation"] is False
    (download,) = rc.find(FileDownloadWidget).widgets
    assert download.filename.endswith(".csv")
    for _ in range(6):
        m.step()
    force_update()  # what a frame does after its steps
    (after,) = options(rc)
    assert after["series"] != before["series"]
    assert after["yAxis"]["name"] and after["xAxis"]["name"]


def test_charts_read_the_model_frame_once_per_frame(monkeypatch, fresh_model):
    calls = []
    original = data.model_frame
    monkeypatch.setattr(data, "model_frame", lambda m, *a, **k: calls.append(1) or original(m))
    _, rc = solara.render(Charts(fresh_model), handle_error=False)
    assert len(options(rc)) == len(CHARTS)
    assert len(calls) == 1
    fresh_model.step()
    force_update()
    assert len(calls) == 2


def test_chart_csv_holds_one_row_per_step_with_the_charted_columns(crash_model):
    frame = data.model_frame(crash_model)
    text = charts.csv_text(frame, charts.FUND_COLUMNS)
    header, *rows = text.strip().splitlines()
    assert header.split(",") == ["step", *charts.FUND_COLUMNS]
    assert len(rows) == len(frame)
    assert float(rows[-1].split(",")[1]) == pytest.approx(
        frame["insurance_fund"].iloc[-1], rel=1e-5
    )


def test_money_axes_are_titled_and_scaled_to_their_tick_labels(crash_model):
    frame = data.model_frame(crash_model)
    option = charts.fund_option(frame, 250_000.0)
    y = option["yAxis"]
    assert y["name"] == "US$" and option["xAxis"]["name"] == "step (hours)"
    assert y["axisLabel"]["formatter"] == "${value}k"
    balance = next(s for s in option["series"] if s["name"] == "fund balance")
    assert balance["data"][-1][1] == pytest.approx(frame["insurance_fund"].iloc[-1] / 1e3, abs=1e-3)
    assert (
        y["min"]
        <= min(p[1] for p in balance["data"])
        <= max(p[1] for p in balance["data"])
        <= y["max"]
    )


@pytest.mark.parametrize(
    ("lo", "hi", "labels"),
    [
        (1_200, 2_700, ["$1k", "$1.5k", "$2k", "$2.5k", "$3k"]),
        (0, 2.6, ["$0", "$1", "$2", "$3"]),
        (0, 1.2, ["$0", "$0.25", "$0.5", "$0.75", "$1", "$1.25"]),
        (0, 4.2e6, ["$0M", "$1M", "$2M", "$3M", "$4M", "$5M"]),
    ],
)
def test_money_ticks_read_short_and_never_repeat(lo, hi, labels):
    t = axes.money_ticks(lo, hi)
    assert t.labels == labels
    assert len(set(t.labels)) == len(t.labels)


def test_no_axis_repeats_a_tick_label_over_many_ranges():
    rng = np.random.default_rng(1)
    for _ in range(300):
        scale = 10 ** rng.uniform(-1, 7)
        lo, hi = sorted(rng.uniform(-scale, scale, 2))
        money = axes.money_ticks(lo, hi)
        assert money.values[0] <= lo and money.values[-1] >= hi
        for t in (money, axes.percent_ticks(0, abs(hi) / scale)):
            assert len(set(t.labels)) == len(t.labels), (lo, hi, t.labels)


def test_model_frame_derives_adl_cover_and_thins_long_runs(crash_model):
    frame = data.model_frame(crash_model, max_points=30)
    assert len(frame) <= 31 and frame.index[-1] == crash_model.steps
    stages = ["fund_covered", "lp_loss", "adl_covered", "socialized_loss", "unresolved_bad_debt"]
    assert frame[stages].sum(axis=1).to_numpy() == pytest.approx(frame["bad_debt"].to_numpy())


def test_axes_stay_put_between_frames_while_the_data_fit():
    axis = charts.StickyAxis()
    first = axis.fit(10.0, 90.0, axes.money_ticks)
    assert axis.fit(12.0, 95.0, axes.money_ticks) is first
    moved = axis.fit(10.0, 130.0, axes.money_ticks)
    assert moved.values[0] <= 10.0 and moved.values[-1] >= 130.0
    rng = np.random.default_rng(0)
    y = 100 + np.cumsum(rng.normal(0, 0.3, 400))
    seen = {
        axis.fit(float(y[:n].min()), float(y[:n].max()), axes.money_ticks)
        for n in range(300, 400, 5)
    }
    assert len(seen) <= 5  # 20 frames of five steps: the axis moved only when the data left it


# -- classroom text ---------------------------------------------------------------------
def test_info_shows_the_presets_netlogo_sections():
    m = presets.build("flash_crash")
    info = presets.info("flash_crash")
    _, rc = solara.render(ClassroomInfo(m, info), handle_error=False)
    headings = [w.children[0] for w in rc.find(v.ExpansionPanelHeader).widgets]
    assert headings == [title for _, title in INFO_SECTIONS] + [BADGE_HEADING]
    body = " ".join(html_blocks(rc, "abm-prose"))
    assert "Black Thursday" in body
    assert "30 % flash crash at step 500" in run_summary(m)
    assert "30 % flash crash at step 500" in texts(rc, "abm-caption")[0]


def test_info_falls_back_to_the_general_text(fresh_model):
    _, rc = solara.render(ClassroomInfo(fresh_model, None), handle_error=False)
    assert "insurance fund" in " ".join(html_blocks(rc, "abm-prose"))
    assert "120 traders" in texts(rc, "abm-caption")[0]


# -- governance -------------------------------------------------------------------------
def test_governance_panel_shows_proposals_votes_parameters_and_network(governed_model):
    _, rc = solara.render(GovernancePanel(governed_model), handle_error=False)
    shown = options(rc)
    assert {o["toolbox"]["feature"]["saveAsImage"]["name"] for o in shown} == {
        "proposal_timeline",
        "votes",
        "voter_network",
    }
    assert {w.filename for w in rc.find(FileDownloadWidget).widgets} == {
        "proposals_over_time.csv",
        "votes_for_and_against_and_the_quorum.csv",
        "voter_network.csv",
    }
    (params,) = html_blocks(rc, "abm-gov-params") or [
        w.unsafe_innerHTML
        for w in rc.find(solara.widgets.HTML).widgets
        if "abm-params" in w.unsafe_innerHTML
    ]
    changed = [e for e in governed_model.events if e["kind"] == "param_change"]
    assert changed, "the preset should have changed a parameter by now"
    first = changed[0]
    assert f"was {data.pct(first['old'], 2)}" in params
    assert "Treasury" in " ".join(texts(rc, "abm-gov-number"))


def _fonts(tree) -> list[float]:
    """Every fontSize anywhere in a chart option."""
    if isinstance(tree, dict):
        own = [tree["fontSize"]] if "fontSize" in tree else []
        return own + [f for v in tree.values() for f in _fonts(v)]
    if isinstance(tree, list):
        return [f for v in tree for f in _fonts(v)]
    return []


def test_governance_charts_have_titled_axes_short_row_names_and_readable_text(governed_model):
    gov = governed_model.governance
    records = latest(gov)
    history = governance.ProposalHistory().update(governed_model.events)
    now = governed_model.exchange.step
    timeline = governance.timeline_option(records, history, now)
    votes = governance.votes_option(gov, records)
    assert timeline["xAxis"]["name"] == "step (hours)"
    assert votes["xAxis"]["name"] == "votes (governance tokens)"
    assert votes["xAxis"]["nameLocation"] == "middle"  # below the axis, never cut off
    assert votes["xAxis"]["axisLabel"]["formatter"] in ("{value}", "{value}k", "{value}M")
    for option in (timeline, votes):
        rows = option["yAxis"]["data"]
        assert rows == [f"#{r.id} {r.state}" for r in records]
        assert max(len(r) for r in rows) <= 14  # never cut off at the axis
        assert min(_fonts(option)) >= 12
    lay = governance.network_layout(governed_model)
    network = governance.network_option(lay, *governance.node_style(governed_model, lay))
    assert min(_fonts(network)) >= 12
    _, rc = solara.render(governance.ProposalTimeline(governed_model), handle_error=False)
    html_widgets = rc.find(solara.widgets.HTML).widgets
    (words,) = [w for w in html_widgets if "abm-gov-list" in w.unsafe_innerHTML]
    for r in records:  # what each row does, in full, below the chart
        assert html_mod.escape(r.proposal.describe()) in words.unsafe_innerHTML


def test_timeline_bars_span_each_phase_of_each_proposal(governed_model):
    gov = governed_model.governance
    records = latest(gov)
    history = governance.ProposalHistory().update(governed_model.events)
    now = governed_model.exchange.step
    series = governance.timeline_option(records, history, now)["series"]
    assert [s["name"] for s in series[1::2]] == [w for _, w in governance.PHASES]
    for row, rec in enumerate(records):
        top = 0.0
        for gap, bar, (state, _) in zip(series[::2], series[1::2], governance.PHASES, strict=True):
            top += gap["data"][row]
            ph = {p.state: p for p in phases(rec, history.entered.get(rec.id, {}), now)}.get(state)
            if ph is not None:
                assert top == pytest.approx(ph.start)
                assert bar["data"][row] == pytest.approx(max(ph.end - ph.start, 0.6))
            top += bar["data"][row]
        assert series[0]["itemStyle"]["color"] == "transparent"


def test_votes_chart_draws_for_against_and_one_quorum_mark_per_proposal(governed_model):
    gov = governed_model.governance
    records = latest(gov)
    option = governance.votes_option(gov, records)
    yes, no, quorum = option["series"]
    divisor = governance.token_ticks(0.0, option["xAxis"]["max"]).divisor
    formatter = option["xAxis"]["axisLabel"]["formatter"]
    scale = {"{value}M": 1e6, "{value}k": 1e3, "{value}": 1.0}[formatter]
    assert yes["data"] == pytest.approx([r.votes_for / scale for r in records], abs=1e-4)
    assert no["data"] == pytest.approx([r.votes_against / scale for r in records], abs=1e-4)
    assert [row for _, row in quorum["data"]] == list(range(len(records)))
    assert [x * scale for x, _ in quorum["data"]] == pytest.approx(
        [governance.quorum_votes(gov, r) for r in records], rel=1e-4
    )
    assert divisor > 0
    header, *rows = governance.votes_csv(gov, records).strip().splitlines()
    assert header == "proposal,description,votes_for,votes_against,quorum"
    assert len(rows) == len(records)


def test_governance_charts_say_so_before_the_first_proposal():
    m = ExchangeModel(preset="governance_response", n_traders=150)
    gov = m.governance
    history = governance.ProposalHistory().update(m.events)
    assert governance.timeline_option([], history, 0)["graphic"][0]["style"]["text"] == (
        "no proposals yet"
    )
    assert governance.votes_option(gov, [])["graphic"][0]["style"]["text"] == "no votes yet"


def test_token_ticks_read_like_money_without_the_dollar():
    assert governance.token_ticks(0, 2.6e6).labels == ["0M", "1M", "2M", "3M"]
    assert governance.token_ticks(0, 1_400_000).labels == ["0M", "0.5M", "1M", "1.5M"]


def test_timeline_phases_of_an_executed_proposal(governed_model):
    gov = governed_model.governance
    history = governance.ProposalHistory().update(governed_model.events)
    done = [r for r in latest(gov) if str(r.state) == "executed"]
    assert done
    rec = done[0]
    got = phases(rec, history.entered[rec.id], governed_model.exchange.step)
    assert [p.state for p in got] == ["pending", "active", "queued"]
    assert got[0].start == rec.created and got[1].end == history.entered[rec.id]["succeeded"]


def test_voter_network_layout_is_computed_once_per_model(monkeypatch):
    calls = []
    spring = nx.spring_layout
    monkeypatch.setattr(
        governance.nx, "spring_layout", lambda *a, **k: calls.append(1) or spring(*a, **k)
    )
    m = ExchangeModel(preset="governance_response", n_traders=150)
    model = solara.reactive(m)

    @solara.component
    def Holder():
        VoterNetworkChart(model.value)

    _, rc = solara.render(Holder(), handle_error=False)
    for _ in range(5):
        m.step()
        force_update()
    assert len(calls) == 1
    model.value = ExchangeModel(preset="governance_response", n_traders=150)  # Reset
    assert len(calls) == 2
    (graph,) = options(rc)[0]["series"]
    assert graph["type"] == "graph" and graph["layout"] == "none"
    assert len(graph["data"]) == model.value.governance.network.social.number_of_nodes()


def test_voter_nodes_are_sized_by_power_and_coloured_by_last_vote(governed_model):
    layout = governance.network_layout(governed_model)
    power, sizes, colors = governance.node_style(governed_model, layout)
    assert power.tolist() == [governed_model.governance.power(int(h)) for h in layout.holders]
    order = np.argsort(power)
    assert np.all(np.diff(sizes[order]) >= -1e-9)
    assert sizes.min() >= governance.NODE_MIN and sizes.max() == pytest.approx(governance.NODE_MAX)
    voted = {a.holder: a.last_vote for a in layout.voters if a is not None}
    for h, c in zip(layout.holders, colors, strict=True):
        last = voted.get(int(h), float("nan"))
        expected = (
            governance.NOT_VOTED
            if np.isnan(last)
            else (governance.FOR if last else governance.AGAINST)
        )
        assert c == expected
    (graph,) = governance.network_option(layout, power, sizes, colors)["series"]
    names = [c["name"] for c in graph["categories"]]
    assert [names[n["category"]] for n in graph["data"]] == [
        {governance.FOR: "voted for", governance.AGAINST: "voted against"}.get(c, "not voted yet")
        for c in colors
    ]
    assert len(graph["links"]) == governed_model.governance.network.social.number_of_edges()


def test_governance_panel_says_when_governance_is_off(fresh_model):
    _, rc = solara.render(GovernancePanel(fresh_model), handle_error=False)
    assert any("switched off" in str(w.children) for w in rc.find(v.Alert).widgets)


# -- presets, parameters and the page ---------------------------------------------------
def _values(params: dict) -> dict:
    """What Reset passes to the model with untouched settings."""
    return {**controls.fixed_values(params), **controls.initial_values(params)}


@pytest.mark.parametrize("preset", ["calm", "flash_crash"])
def test_sliders_start_at_the_presets_values_and_reset_rebuilds_the_same_run(preset):
    m0 = presets.build(preset)
    params = presets.model_params(preset, m0)
    _check_model_params(ExchangeModel.__init__, params)  # what SolaraViz checks
    assert {"rng", "n_traders", "leverage_appetite", "penalty_rate", "penalty_fund_share"} <= set(
        params
    )
    assert {"fund_fee_share", "initial_fund", "shock_size", "shock_hour"} <= set(params)
    assert {"governance_enabled", "governance_speed"} <= set(params)
    assert params["rng"]["type"] == "InputText" and isinstance(params["rng"]["value"], str)
    m1 = ExchangeModel(**_values(params))  # what Reset does with untouched sliders
    for _ in range(25):
        m0.step()
        m1.step()
    a = m0.datacollector.get_model_vars_dataframe()
    b = m1.datacollector.get_model_vars_dataframe()
    assert a.equals(b)


@pytest.mark.parametrize("preset", presets.names())
def test_every_slider_value_sits_on_its_grid_so_the_browser_does_not_snap_it(preset):
    params = presets.model_params(preset, presets.build(preset))
    sliders = {k: p for k, p in params.items() if isinstance(p, Slider)}
    assert len(sliders) >= 8
    for key, s in sliders.items():
        assert s.min <= s.value <= s.max, key
        k = (s.value - s.min) / s.step
        assert k == pytest.approx(round(k), abs=1e-9), (key, s.value, s.min, s.step)


def test_fit_slider_refines_the_step_for_an_off_grid_value():
    assert presets.fit_slider(5_000.0, 0.0, 2e6, 25_000.0) == (0.0, 2e6, 5_000.0)
    assert presets.fit_slider(120, 50, 2000, 50) == (50, 2000, 10)
    assert presets.fit_slider(3e6, 0.0, 2e6, 25_000.0) == (0.0, 3e6, 25_000.0)


def test_preset_picker_lists_titles_for_every_preset():
    names = presets.names()
    assert "flash_crash" in names
    shown = presets.titles(names)
    assert shown["flash_crash"] == "Flash crash"
    assert len(set(shown.values())) == len(names)


def test_each_page_builds_its_own_model_and_none_lives_in_module_globals(monkeypatch):
    built = []
    build = presets.build
    monkeypatch.setattr(presets, "build", lambda *a, **k: built.append(build(*a, **k)) or built[-1])
    solara.render(app.Page(), handle_error=False)
    solara.render(app.Page(), handle_error=False)
    assert len(built) == 2 and built[0] is not built[1]
    built[0].step()
    assert (built[0].steps, built[1].steps) == (1, 0)
    for module in (app, presets, data, governance):
        assert not any(isinstance(x, ExchangeModel) for x in vars(module).values())


# -- controls ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "The seed must be a whole number such as 42, not 'abc'."),
        ("", "The seed is empty: type a whole number such as 42."),
        ("2.5", "The seed must be a whole number (no decimals), got 2.5."),
        ("-1", "The seed must be 0 or more, got -1."),
        ("99999999999", "The seed must be from 0 to 4,294,967,295, got 99,999,999,999."),
    ],
)
def test_a_bad_seed_is_named_with_what_the_box_accepts(text, message):
    assert controls.parse_seed(text) == controls.Parsed(None, message)


def test_a_good_seed_and_step_parse():
    assert controls.parse_seed(" 7 ").value == 7
    assert controls.parse_step("1,000").value == 1000


def _page():
    _, rc = solara.render(app.Page(), handle_error=False)
    return rc


def _button(rc, label):
    return rc.find(v.Btn, children=[label]).widget


def _step_shown(rc) -> str:
    return rc.find(v.Html, class_="abm-step").widget.children[0]


def test_reset_with_a_bad_seed_says_why_and_keeps_the_run():
    rc = _page()
    _button(rc, "Step (one hour)").click()
    (seed,) = [w for w in rc.find(v.TextField).widgets if w.label.startswith("Seed")]
    seed.v_model = "abc"
    assert seed.error and seed.messages == [
        "The seed must be a whole number such as 42, not 'abc'."
    ]
    _button(rc, "Reset").click()
    assert _step_shown(rc) == "Step 1"
    (error,) = rc.find(v.Html, class_="abm-error").widgets
    assert error.children[0].startswith("Not reset: The seed must be a whole number")
    seed.v_model = "7"
    _button(rc, "Reset").click()
    assert _step_shown(rc) == "Step 0"
    assert rc.find(v.Html, class_="abm-error").widgets == []


def test_step_is_one_step_and_a_changed_slider_waits_for_reset():
    rc = _page()
    for n in (1, 2):
        _button(rc, "Step (one hour)").click()
        assert _step_shown(rc) == f"Step {n}"
    (slider,) = [w for w in rc.find(v.Slider).widgets if w.label.startswith("Number of traders")]
    slider.v_model = slider.v_model + 50
    assert texts(rc, "abm-waits") == ["⟳ changes at Reset"]
    _button(rc, "Reset").click()
    assert texts(rc, "abm-waits") == []
    assert any("550 traders" in t for t in texts(rc, "abm-caption"))


def test_the_player_stops_at_the_step_it_was_sent_to(fresh_model):
    frames = []
    player = Player(
        fresh_model,
        lambda: frames.append(fresh_model.steps),
        nullcontext(),
        SPEEDS["fast"],
        until=7,
    )
    player.start().thread.join(timeout=60)
    assert fresh_model.steps == 7
    assert frames[-1] == 7


def _labels(rc) -> set[str]:
    return {
        "".join(str(c) for c in b.children if isinstance(c, str)) for b in rc.find(v.Btn).widgets
    }


def test_run_controls_speak_a_classes_words_not_mesas():
    rc = _page()
    assert {"▶ Play", "Step (one hour)", "Reset", "slow", "normal", "fast", "Go"} <= _labels(rc)
    assert rc.find(v.TextField, label="Go to step").widgets
    shown = " ".join(_labels(rc)) + " ".join(w.label or "" for w in rc.find(v.Slider).widgets)
    shown += " ".join(texts(rc, "abm-caption"))
    for jargon in ("Play Interval", "Render Interval", "Use Threads"):
        assert jargon not in shown
    assert "10 steps a second at most" in texts(rc, "abm-caption")


@pytest.mark.parametrize(
    ("hours", "words"), [(1, "one hour"), (4, "4 hours"), (24, "one day"), (0.25, "15 minutes")]
)
def test_the_step_button_names_one_steps_length(hours, words):
    m = ExchangeModel(rng=3, n_traders=60, governance_enabled=False, market={"step_hours": hours})
    assert controls.step_length(m) == words


def _players_done() -> None:
    for t in threading.enumerate():
        if t.name == "abm-player":
            t.join(timeout=120)


def test_go_to_a_step_plays_there_and_back_from_the_start():
    rc = _page()
    box = rc.find(v.TextField, label="Go to step").widget
    box.v_model = "40"
    _button(rc, "Go").click()
    _players_done()
    assert _step_shown(rc) == "Step 40"
    assert _labels(rc) >= {"▶ Play"}  # it stopped there by itself
    box.v_model = "12"  # back: the same run again from step 0
    _button(rc, "Go").click()
    _players_done()
    assert _step_shown(rc) == "Step 12"
    box.v_model = "twelve"
    _button(rc, "Go").click()
    assert box.error and box.messages[0].startswith("The step to go to must be a whole number")
    assert _step_shown(rc) == "Step 12"


def test_go_to_the_crash_stops_on_the_crash_step():
    rc = _page()
    (picker,) = [w for w in rc.find(v.Select).widgets if w.label == "Preset"]
    picker.v_model = presets.titles(presets.names())["flash_crash"]
    (at,) = controls.crash_steps(presets.build("flash_crash"))
    _button(rc, f"Go to the crash (step {at})").click()
    _players_done()
    assert _step_shown(rc) == f"Step {at}"


def test_the_play_loop_steps_under_the_render_lock_and_redraws_outside_it(fresh_model):
    """No redraw reads a half-made step: every step holds the page's render lock."""
    lock = threading.Lock()
    in_step, in_frame = [], []
    step = fresh_model.step

    def locked_step():
        in_step.append(lock.locked())
        step()

    def frame():
        in_frame.append(lock.locked())

    fresh_model.step = locked_step
    Player(fresh_model, frame, lock, SPEEDS["fast"], until=30).start().thread.join(timeout=60)
    assert fresh_model.steps == 30
    assert len(in_step) == 30 and all(in_step)
    assert in_frame and not any(in_frame)


def test_pause_stops_the_loop_before_the_next_step(fresh_model):
    """Pause sets the stop flag; the loop checks it before every step, mid-batch too."""
    step = fresh_model.step

    def step_then_pause():
        step()
        if fresh_model.steps == 3:
            player.stop.set()

    fresh_model.step = step_then_pause
    frames = []
    player = Player(
        fresh_model, lambda: frames.append(fresh_model.steps), nullcontext(), SPEEDS["fast"]
    )
    player.start().thread.join(timeout=60)
    assert fresh_model.steps == 3
    assert frames == [3]  # the page redraws once, at the step it stopped on


# -- partial liquidations and proposal counts -------------------------------------------
def test_a_partial_liquidation_is_worded_as_the_part_closed_of_a_bigger_position():
    e = liquidation(4, notional=2_000.0, position_notional=10_000.0, partial=True, shortfall=0.0)
    assert describe(e).startswith(
        "$2,000 of a long position of $10.0k was closed by a partial liquidation at $91.00; "
        "the rest stays open; penalty $10.00"
    )
    whole = describe(liquidation(4, notional=950.0, position_notional=950.0))
    assert whole.startswith("A long position of $950 was liquidated at $91.00;")


def test_explainer_names_the_whole_position_and_the_part_closed(fresh_model):
    fresh_model.events.append(
        liquidation(12, notional=2_000.0, position_notional=10_000.0, partial=True, shortfall=0.0)
    )
    _, rc = solara.render(LiquidationExplainer(fresh_model), handle_error=False)
    live = html_blocks(rc, "abm-prose")[1]
    assert "A long worth <strong>$10.0k</strong> at the oracle price $95.00" in live
    assert "closed part of it: <strong>$2,000</strong> (21.05 units)" in live
    assert "the rest stays open" in live


def test_proposal_counts_add_up_to_the_number_of_proposals(governed_model):
    gov = governed_model.governance
    words = governance.proposal_counts(gov)
    total = len(gov.governor.proposals)
    assert words.startswith(f"{total} proposals: ")
    parts = [int(p.split()[0]) for p in words.split(": ", 1)[1].split(" · ")]
    assert sum(parts) == total


# -- compare mode -----------------------------------------------------------------------
def test_compare_runs_two_penalty_splits_on_one_seed_and_shows_two_funds():
    m = presets.build("calm")
    params = presets.model_params("calm", m)
    base = {**controls.fixed_values(params), **controls.initial_values(params), "rng": 5}
    _, rc = solara.render(ComparePanel(base, "5"), handle_error=False)
    steps = rc.find(v.TextField, label="Steps to run").widget
    steps.v_model = "80"
    _button(rc, "Run both").click()
    for t in threading.enumerate():
        if t.name == "abm-compare":
            t.join(timeout=120)
    funds = texts(rc, "abm-compare-fund")
    assert len(funds) == 2 and funds[0] != funds[1]
    a, b = compare.run_pair(base, "penalty_fund_share", 0.2, 0.8, 80, str)
    assert funds == [f"fund {data.money(o.last['insurance_fund'])}" for o in (a, b)]
    # the same random numbers: the same prices until liquidations move them apart
    assert a.frame["price"].iloc[:5].equals(b.frame["price"].iloc[:5])
    (bars,) = [o for o in options(rc) if o["xAxis"].get("type") == "category"]
    assert [s["name"] for s in bars["series"]] == [name for name, _, _ in charts.WATERFALL]


# -- classroom text names the page's controls -------------------------------------------
def _page_words(rc) -> set[str]:
    """Every name a student can find on the page: buttons, settings, tabs, chart titles."""
    words = {
        "".join(str(c) for c in b.children if isinstance(c, str)) for b in rc.find(v.Btn).widgets
    }
    words |= {w.label.rsplit(":", 1)[0] for w in rc.find(v.Slider).widgets}
    words |= {w.label for w in rc.find(v.TextField).widgets}
    words |= {w.label for w in rc.find(v.Checkbox).widgets}
    words |= {w.children[0] for w in rc.find(v.Tab).widgets if w.children}
    words |= set(html_blocks(rc, "abm-chart-title"))
    words |= set(texts(rc, "abm-big-label")) | {"Preset", "Settings of the next run"}
    words |= {t.capitalize() for t in texts(rc, "abm-big-label")}
    words |= set(presets.titles(presets.names()).values())
    return {w.strip() for w in words if w}


@pytest.mark.parametrize("preset", [p for p in presets.names() if p != presets.NO_PRESET])
def test_every_classroom_instruction_names_a_control_on_the_page(preset):
    _, rc = solara.render(app.Page(), handle_error=False)
    (picker,) = [w for w in rc.find(v.Select).widgets if w.label == "Preset"]
    picker.v_model = presets.titles(presets.names())[preset]
    page = _page_words(rc) | {"Go to the crash", "❚❚ Pause"}  # shown when they apply
    info = presets.info(preset)
    bold = re.findall(r"\*\*(.+?)\*\*", info["how_to_use_it"] + info["things_to_try"])
    assert bold, preset
    missing = [b for b in bold if not any(w.lower().startswith(b.lower()) for w in page)]
    assert missing == [], (preset, missing)
    assert "abm " not in info["how_to_use_it"] + info["things_to_try"]  # recipes are in the README
    if "Go to the crash" in info["how_to_use_it"] + info["things_to_try"]:
        assert controls.crash_steps(presets.build(preset))


def test_glossary_terms_carry_their_definition_as_a_tooltip_once():
    out = md_html("Its **bankruptcy price** was below the maintenance margin; ADL, ADL, margin.")
    for term in ("bankruptcy price", "maintenance margin", "ADL", "margin"):
        tip = html_mod.escape(GLOSSARY[term], quote=True)
        assert out.count(f'<abbr class="abm-term" title="{tip}">') == 1, term
    assert out.count("abm-term") == 4
    assert {"margin", "maintenance margin", "bankruptcy price", "ADL", "socialised loss"} <= set(
        GLOSSARY
    )


# -- the cost of a frame (counts, not clocks: frame times are in benchmarks/tabs.py) -----
def test_a_frame_redraws_the_dashboard_and_controls_but_not_the_settings(monkeypatch):
    ran = []

    def spy(component):
        body = component.f
        monkeypatch.setattr(
            component, "f", lambda *a, **k: ran.append(body.__name__) or body(*a, **k)
        )

    for component in (
        app.Page,
        app.Settings,
        app.PresetPicker,
        app.Dashboard,
        controls.PlayControls,
    ):
        spy(component)
    rc = _page()
    ran.clear()
    _button(rc, "Step (one hour)").click()
    assert _step_shown(rc) == "Step 1"
    assert sorted(set(ran)) == ["Dashboard", "PlayControls"]


def test_a_chart_travels_as_json_text_with_gaps_as_null():
    frame = data.model_frame(ExchangeModel(rng=3, n_traders=120, governance_enabled=False))
    frame.loc[0, "fund_to_oi"] = np.nan
    text = charts.as_json(charts.fund_ratio_option(frame, 0.05))
    assert "NaN" not in text
    (ratio, _) = json.loads(text)["series"]
    assert ratio["data"][0] == [0.0, None]
    assert charts.as_json({"n": np.int64(3), "x": np.float32(0.5)}) == '{"n":3,"x":0.5}'


def test_an_unchanged_chart_keeps_its_text_so_nothing_is_sent(fresh_model):
    _, rc = solara.render(LeverageChart(fresh_model), handle_error=False)
    (widget,) = rc.find(charts.ChartWidget).widgets
    sent = []
    widget.observe(lambda change: sent.append(change), names="option_json")
    force_update()
    assert sent == []
    fresh_model.step()
    force_update()
    assert len(sent) <= 1


@pytest.mark.parametrize("tabs", [1, 6, 7, 10, 30])
def test_many_tabs_redraw_less_often_at_the_same_steps_a_second(tabs):
    for speed in SPEEDS.values():
        steps, seconds = runner.pace(speed, tabs)
        assert steps / seconds == pytest.approx(speed.steps_per_second)
        assert seconds >= speed.frame_seconds
        assert (seconds == speed.frame_seconds) == (tabs <= runner.FULL_RATE_TABS)
    assert runner.pace(SPEEDS["normal"], 30) == (25, 2.5)
