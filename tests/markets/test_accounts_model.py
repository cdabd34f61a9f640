"""Accounts trading several markets in the model, in isolated or cross margin: the
constructed cases by hand, money and the waterfall every step, determinism, refusals."""

import numpy as np
import pandas as pd
import pytest
from frictionless import RULES as ROUND
from frictionless import STILL

from abm import ExchangeModel
from abm.scenarios import ScenarioError, load_scenario

STAGES = ("fund_covered", "lp_loss", "adl_covered", "socialized_loss", "unresolved_bad_debt")


def quiet(names, drop, *, per_account, margin="cross", betas=None):
    """Markets at 100 on a still factor that falls by `drop` in the first step (beta 1 unless
    given); two accounts that never act by themselves, no bots (the engine liquidates)."""
    betas = betas or [1.0] * len(names)
    model = ExchangeModel(
        n_traders=2,
        rng=1,
        governance_enabled=False,
        exchange=ROUND,
        market=STILL,
        traders={
            "arrival_rate": 0.0,
            "markets_per_account": per_account,
            "margin": margin,
            "initial_book": {"open_interest": 0.0},
        },
        liquidators={"count": 0},
        markets=[{"name": n, "beta": b} for n, b in zip(names, betas, strict=True)],
        factor={
            "annual_vol": 0.0,
            "jump_intensity": 0.0,
            "shocks": [
                {"kind": "flash_crash", "start": 0, "drop": drop, "duration": 1, "recovery": 0.0}
            ],
        },
    )
    model.wake(np.arange(2), np.inf)
    return model


def hold(model, slot, positions):
    """Give `slot` positions {market: (side, margin)} at 10x, each margin deposited."""
    for name, (side, margin) in positions.items():
        ex = model.markets[name]
        ex.fund_wallet(slot, margin)
        assert ex.open(slot, side, margin, 10.0)


def test_a_winner_keeps_a_cross_account_open_where_the_isolated_twin_is_liquidated():
    model = quiet(["A", "B"], 0.08, per_account=2)
    model.cross.mask[:] = [True, False]  # account 0 cross, account 1 its isolated twin
    for slot in (0, 1):
        hold(model, slot, {"A": (1, 100.0), "B": (-1, 100.0)})
    model.step()
    a, b = model.markets["A"], model.markets["B"]
    assert a.mark == pytest.approx(92.0)
    # The long in A lost 80 of its 100: equity 20 < 5 % of 920 = 46, so the isolated
    # long goes; the cross account has 200 of value against 46 + 46 of maintenance.
    assert a.book.size[1] == 0 and b.book.size[1] != 0
    assert a.book.size[0] == pytest.approx(10.0) and b.book.size[0] == pytest.approx(-10.0)
    assert model.cross_stats == {"liquidations": 0, "contagion": 0, "offset": 1}
    liquidated = model.events_frame().query("kind == 'liquidation'")
    assert liquidated[["market", "slot"]].values.tolist() == [["A", 1]]
    model.check()


def test_a_leaving_cross_account_pays_its_loser_from_its_winner_not_from_the_fund():
    model = quiet(["A", "B"], 0.11, per_account=2)
    model.cross.mask[:] = [True, False]
    # A's long loses 110 of its 100 of margin, B's short gains 110: the account's 200 of
    # value is above its 89 + 89 of maintenance, so it stays open until it leaves.
    hold(model, 0, {"A": (1, 100.0), "B": (-1, 100.0)})
    model.step()
    assert model.markets["A"].book.size[0] != 0
    wallets = sum(ex.book.wallet[0] for ex in model.exchanges)
    model.trader_leaves(model.traders_by_slot[0], reason="loss")
    exit_row = model.events_frame().query("kind == 'trader_exit'").iloc[-1]
    assert exit_row["withdrawn"] == pytest.approx(wallets + 200.0)  # 200 − 110 + 110
    assert model.markets.stats().bad_debt == 0.0
    model.check()


def test_a_cross_liquidation_closes_the_largest_maintenance_first_and_logs_its_market():
    model = quiet(["A", "B", "C"], 0.09, per_account=3)
    model.cross.mask[:] = [True, False]
    # Longs of 1,000, 3,000 and 500 of notional: a 9 % fall loses 405 of the 450 of
    # collateral, leaving 45 against 0.05 × 0.91 × 4,500 = 204.75 of maintenance.
    hold(model, 0, {"A": (1, 100.0), "B": (1, 300.0), "C": (1, 50.0)})
    model.step()
    # B (maintenance 136.5) goes first backed by all 450: 180 is left, spread over A and
    # C by their maintenance (45.5, 22.75): 120 and 60. A's 120 − 90 = 30 and C's 15
    # are 45 against 68.25, so A goes next: 90 is left for C, whose 90 − 45 = 45 is
    # above its 22.75, and C stays open.
    events = model.events_frame().query("kind == 'liquidation'")
    assert events["market"].tolist() == ["B", "A"]
    assert (events["margin_mode"] == "cross").all()
    assert events["notional"].tolist() == pytest.approx([2730.0, 910.0])
    assert model.markets["C"].book.size[0] == pytest.approx(5.0)
    assert model.markets["C"].book.margin[0] == pytest.approx(90.0)
    assert model.cross_stats["liquidations"] == 2
    model.check()


def test_a_bad_market_closes_a_cross_position_whose_own_margin_sufficed():
    model = quiet(["A", "B"], 0.14, per_account=2, betas=[1.0, 0.0])
    model.cross.mask[:] = [True, False]
    # Longs of 2,000 in A (falls 14 %) and 1,000 in B (still), margins 200 and 100: A
    # loses 280, leaving 20 of the account's 300 against 0.05 × (1,720 + 1,000) = 136.
    # A goes first; its 20 of rest moves to B, below B's 50 of maintenance, so B goes
    # too although its own 100 of margin was enough. The isolated twin keeps B.
    for slot in (0, 1):
        hold(model, slot, {"A": (1, 200.0), "B": (1, 100.0)})
    model.step()
    events = model.events_frame().query("kind == 'liquidation'")
    assert events[["market", "slot"]].values.tolist() == [["A", 0], ["B", 0], ["A", 1]]
    assert model.markets["B"].book.size.tolist() == [0.0, 10.0]
    assert model.cross_stats == {"liquidations": 2, "contagion": 1, "offset": 0}
    model.check()


def play(steps, seed=3, preset="multi_market_crash", **traders):
    """Step `preset` with its own traders and these account settings, checking money and
    the waterfall identity after each step."""
    overrides = {f"traders.{k}": v for k, v in {"markets_per_account": 3, **traders}.items()}
    model = ExchangeModel(
        preset=load_scenario(preset, overrides),
        n_traders=200,
        rng=seed,
        governance_enabled=False,
    )
    for _ in range(steps):
        model.step()
        model.check()
        row = model.metrics
        assert sum(row[s] for s in STAGES) == pytest.approx(row["bad_debt"], rel=1e-9, abs=1e-6)
    return model


@pytest.fixture(scope="module")
def cross_crash():
    return play(330, margin="cross")


def test_money_and_the_waterfall_add_up_every_step_of_a_cross_crash(cross_crash):
    stats = cross_crash.cross_stats
    assert stats["liquidations"] > 0 and stats["offset"] > 0
    events = cross_crash.events_frame()
    cross = events[events.get("margin_mode", pd.Series(dtype=object)) == "cross"]
    assert len(cross) == stats["liquidations"]
    assert set(cross["market"]) <= {"BTC", "ETH", "SOL", "DOGE"}


def test_cross_margin_closes_fewer_positions_and_spreads_losses_on_the_same_accounts(
    cross_crash,
):
    isolated = play(330, margin="cross", cross_share=0.0)  # same draws, nobody in cross
    assert isolated.cross_stats == {"liquidations": 0, "contagion": 0, "offset": 0}
    assert cross_crash.metrics["liquidations"] < isolated.metrics["liquidations"]
    assert cross_crash.cross_stats["offset"] > 0  # winners held losers up
    assert cross_crash.cross_stats["contagion"] > 0  # sound positions closed


def test_the_cross_margin_preset_sets_three_markets_per_account_in_cross():
    traders = load_scenario("cross_margin_crash").traders
    assert (traders.markets_per_account, traders.margin, traders.cross_share) == (3, "cross", 1)
    assert load_scenario("cross_margin_crash").info.things_to_notice.strip()


def test_account_reporters_sum_over_markets(cross_crash):
    model = cross_crash
    acc = model.accounts
    slots = np.flatnonzero(model.trader_state.agent_id >= 0)
    cols = acc.columns(slots)
    wallets = sum(ex.book.wallet[slots] for ex in model.exchanges)
    positions = sum(ex.book.equity(ex.mark)[slots] for ex in model.exchanges)
    np.testing.assert_allclose(cols["equity"], wallets + positions, rtol=1e-12)
    assert (acc.trades[:, slots].sum(axis=0) == 3).all()
    open_any = sum((ex.book.size[slots] != 0) for ex in model.exchanges) > 0
    assert np.isnan(cols["liquidation_price"][~open_any]).all()
    assert np.isfinite(cols["liquidation_price"][open_any]).any()


def test_the_same_seed_gives_the_same_frames():
    one, two = play(40, seed=5, margin="cross"), play(40, seed=5, margin="cross")
    pd.testing.assert_frame_equal(
        one.datacollector.get_model_vars_dataframe(), two.datacollector.get_model_vars_dataframe()
    )
    pd.testing.assert_frame_equal(one.market_frame(), two.market_frame())
    assert one.events == two.events


@pytest.mark.parametrize(
    ("traders", "message"),
    [
        ({"markets_per_account": 0}, r"traders.markets_per_account must be .*\[1, 64\]"),
        ({"markets_per_account": 5}, r"traders.markets_per_account must be in \[1, 4\]"),
        ({"margin": "both"}, r"traders.margin must be one of \['isolated', 'cross'\]"),
        ({"margin": "cross"}, r"traders.markets_per_account in \[2, markets\]"),
        ({"markets_per_account": 2, "margin": "cross", "cross_share": 1.5}, r"cross_share"),
    ],
)
def test_bad_account_settings_are_refused_naming_field_and_range(traders, message):
    with pytest.raises(ValueError, match=message):
        ExchangeModel(preset="multi_market_crash", n_traders=10, traders=traders)


def test_a_single_market_refuses_several_markets_per_account():
    with pytest.raises(ValueError, match=r"markets_per_account must be in \[1, 1\]"):
        ExchangeModel(preset="calm", n_traders=10, traders={"markets_per_account": 2})
    with pytest.raises(ScenarioError, match=r"markets_per_account must be in \[1, 1\]"):
        load_scenario("calm", {"traders.markets_per_account": 2})
    with pytest.raises(ScenarioError, match=r"traders\.margin"):
        load_scenario("multi_market_crash", {"traders.margin": "portfolio"})


def test_the_fuzzer_draws_the_account_settings_and_they_run():
    from benchmarks.fuzz import SPACE, Config, Tally, run_config

    assert SPACE["traders.markets_per_account"].hi == 4
    assert set(SPACE["traders.margin"].choices) == {"isolated", "cross"}
    assert (SPACE["traders.cross_share"].lo, SPACE["traders.cross_share"].hi) == (0.0, 1.0)
    overrides = {
        "traders.count": 40,
        "traders.markets_per_account": 4,
        "traders.margin": "cross",
        "traders.cross_share": 0.5,
    }
    tally = Tally()
    run_config(Config("multi_market_crash", overrides, seed=7, steps=30), tally)
    assert (tally.configs, tally.failed_runs, tally.steps) == (1, 0, 30)
