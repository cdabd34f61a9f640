"""The Mesa model: conservation, determinism, the data contract and bad input."""

import math

import numpy as np
import pandas as pd
import pytest

from abm import MODEL_COLUMNS, ExchangeModel
from abm.agents import LiquidityProvider, Trader

CONTRACT = [
    "price", "oracle_price", "open_interest", "long_oi", "short_oi", "insurance_fund",
    "fund_to_oi", "fund_drawdown", "bad_debt", "bad_debt_step", "fund_covered", "lp_loss",
    "adl_volume", "socialized_loss", "liquidations", "liquidation_volume",
    "current_penalty_rate", "current_fund_fee_share", "treasury_balance", "lp_vault",
    "active_traders", "halted",
]  # fmt: skip


def run_checked(model, steps):
    for _ in range(steps):
        model.step()
        model.check()
    return model


@pytest.mark.slow
def test_default_model_conserves_money_every_step():
    m = run_checked(ExchangeModel(rng=42), 2_000)
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 2_001
    assert df["liquidations"].iloc[-1] > 0
    assert df["open_interest"].iloc[-1] > 0


@pytest.mark.slow
def test_flash_crash_with_cascades_conserves_money_every_step():
    m = run_checked(
        ExchangeModel(
            rng=3, shock_size=0.4, shock_hour=200, cascade_impact=3.0, initial_fund=50_000
        ),
        2_000,
    )
    df = m.datacollector.get_model_vars_dataframe()
    assert df["bad_debt"].iloc[-1] > 0
    assert df["fund_covered"].iloc[-1] > 0


def test_columns_are_the_contract():
    m = run_checked(ExchangeModel(rng=1, n_traders=50), 5)
    df = m.datacollector.get_model_vars_dataframe()
    for column in CONTRACT:
        assert column in df.columns
    assert list(df.columns) == list(MODEL_COLUMNS)
    assert len(df) == 6  # once at construction, once per step


def test_same_seed_same_frames_other_seed_differs():
    def frames(seed):
        m = ExchangeModel(rng=seed, n_traders=200, shock_size=0.3, shock_hour=50)
        for _ in range(150):
            m.step()
        return m.datacollector.get_model_vars_dataframe(), m.events_frame()

    a, ea = frames(11)
    b, eb = frames(11)
    c, _ = frames(12)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(ea, eb)
    assert not a["price"].equals(c["price"])


def test_string_seed_from_a_text_box():
    a = run_checked(ExchangeModel(rng="7", n_traders=50), 20)
    b = run_checked(ExchangeModel(rng=7, n_traders=50), 20)
    pd.testing.assert_frame_equal(
        a.datacollector.get_model_vars_dataframe(), b.datacollector.get_model_vars_dataframe()
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_leverage": -5}, "max_leverage must be in"),
        ({"maintenance_margin": 0.06}, "maintenance_margin must be below initial_margin"),
        ({"penalty_fund_share": 1.2}, r"penalty_fund_share must be in \[0, 1\]"),
        ({"fund_fee_share": -0.1}, r"fund_fee_share must be in \[0, 1\]"),
        ({"replay_path": "/nonexistent/prices.csv"}, "replay_path: replay file not found"),
        ({"traders": {"leverage": {"noise": -2.0}}}, r"traders.leverage.noise must be in"),
        ({"n_traders": -1}, "n_traders must be in"),
        ({"exchange": {"penalty": 0.1}}, "exchange has unknown fields"),
        ({"rng": "abc"}, "rng must be an integer seed"),
    ],
)
def test_bad_parameters_name_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ExchangeModel(**kwargs)


def test_replay_csv_without_close_column(tmp_path):
    bad = tmp_path / "prices.csv"
    bad.write_text("timestamp,price\n1,100\n2,101\n")
    with pytest.raises(ValueError, match="needs columns 'timestamp' and 'close'"):
        ExchangeModel(replay_path=str(bad))


def test_replay_follows_the_csv_and_stops_at_its_end(tmp_path):
    path = tmp_path / "prices.csv"
    closes = [100.0, 90.0, 80.0, 85.0, 70.0]
    path.write_text("timestamp,close\n" + "".join(f"{i},{c}\n" for i, c in enumerate(closes)))
    m = ExchangeModel(rng=1, n_traders=20, replay_path=str(path), cascade_impact=0.0)
    m.run_model()
    df = m.datacollector.get_model_vars_dataframe()
    assert df["price"].tolist() == pytest.approx(closes)
    assert m.steps == 4


def test_mesa_batch_run_drives_the_model(batch_run):
    rows = batch_run(
        ExchangeModel,
        {"n_traders": 40, "penalty_rate": [0.01, 0.02]},
        [1, 2],
        max_steps=10,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    frame = pd.DataFrame(rows)
    assert len(frame) == 4
    pairs = sorted(zip(frame["penalty_rate"], frame["rng"], strict=True))
    assert pairs == [(0.01, 1), (0.01, 2), (0.02, 1), (0.02, 2)]
    assert frame.groupby("penalty_rate")["insurance_fund"].nunique().tolist() == [2, 2]
    assert {"insurance_fund", "bad_debt", "liquidations"} <= set(frame.columns)


def test_agent_data_sampled_at_the_configured_period():
    m = run_checked(ExchangeModel(rng=2, n_traders=30, agent_sample_period=5), 12)
    agents = m.datacollector.get_agenttype_vars_dataframe(Trader)
    steps = sorted(set(agents.index.get_level_values("Step")))
    assert steps == [0, 5, 10]
    assert {"equity", "leverage", "liquidated"} <= set(agents.columns)
    last = agents.xs(10, level="Step")
    sampled = [t for t in m.traders if t.unique_id in last.index]
    assert len(sampled) > 20
    assert [last.loc[t.unique_id, "style"] for t in sampled] == [t.style for t in sampled]


def test_vectorised_lp_records_match_the_agents():
    m = run_checked(ExchangeModel(rng=6, n_traders=120, agent_sample_period=1), 30)
    frame = m.datacollector.get_agenttype_vars_dataframe(LiquidityProvider).xs(30, level="Step")
    assert len(frame) == len(m.lps)
    for lp in m.lps:
        assert frame.loc[lp.unique_id, "stake"] == pytest.approx(lp.stake)


def test_a_position_is_liquidatable_exactly_beyond_its_liquidation_price():
    m = run_checked(ExchangeModel(rng=6, n_traders=200), 80)
    ex = m.exchange
    holders = [t for t in m.traders if ex.book.size[t.slot] != 0]
    assert holders
    for trader in holders:
        price = trader.liquidation_price
        side = np.sign(ex.book.size[trader.slot])
        ex.oracle.price = price * (1 + side * 1e-6)  # just on the safe side
        assert not ex.is_liquidatable(trader.slot)
        ex.oracle.price = price * (1 - side * 1e-6)  # just past it
        assert ex.is_liquidatable(trader.slot)


def test_fund_grows_from_penalties_and_fees_and_is_watched():
    m = run_checked(ExchangeModel(rng=5, n_traders=300), 400)
    fund = m.exchange.fund
    assert fund.inflows["trading_fee"] > 0
    assert fund.inflows["borrow_fee"] > 0
    assert fund.inflows["penalty"] > 0
    df = m.datacollector.get_model_vars_dataframe()
    last = df.iloc[-1]
    assert last["fund_to_oi"] == pytest.approx(last["insurance_fund"] / last["open_interest"])
    assert 0.0 <= df["fund_drawdown"].max() < 1.0
    assert math.isnan(df["fund_to_oi"].iloc[0])  # no open interest yet


def test_cascade_impact_pushes_the_price_below_the_scripted_crash():
    def run(impact):
        m = ExchangeModel(
            rng=9, n_traders=400, shock_size=0.3, shock_hour=100, cascade_impact=impact
        )
        return run_checked(m, 160).datacollector.get_model_vars_dataframe()

    calm, cascade = run(0.0), run(2.0)
    first = int(np.argmax(cascade["liquidation_volume"].to_numpy() > 0))
    assert first > 0
    # identical until the first liquidation moves the price, lower at the bottom after
    assert np.allclose(calm["price"].iloc[:first], cascade["price"].iloc[:first])
    assert cascade["price"].min() < calm["price"].min() * 0.99


def test_fund_depletion_passes_losses_down_the_waterfall():
    m = ExchangeModel(
        rng=4,
        n_traders=400,
        initial_fund=0.0,
        shock_size=0.5,
        shock_hour=50,
        cascade_impact=3.0,
        exchange={"vault_floor": 5.0},
    )
    run_checked(m, 120)
    st = m.exchange.stats
    assert st.bad_debt > 0
    assert st.adl_volume + st.socialized_loss > 0
    df = m.datacollector.get_model_vars_dataframe()
    stages = ["fund_covered", "lp_loss", "adl_covered", "socialized_loss", "unresolved_bad_debt"]
    # every unit of bad debt is accounted for by exactly one stage, at every step
    assert np.allclose(df[stages].sum(axis=1), df["bad_debt"])
    assert df["adl_covered"].iloc[-1] > 0 or df["socialized_loss"].iloc[-1] > 0
