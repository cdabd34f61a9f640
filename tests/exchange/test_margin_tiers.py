"""Initial-margin brackets, their check against maintenance tiers, and the tier-aware
liquidation price (Binance BTCUSDT brackets of 2021-03-18, docs/venues.md)."""

import numpy as np
import pytest

from abm import load_scenario
from abm.exchange import ExchangeParams, risk

# notional floor -> maintenance rate / max leverage, the first five BTCUSDT brackets
MM = ((0.0, 0.004), (50_000.0, 0.005), (250_000.0, 0.01), (1_000_000.0, 0.025), (10e6, 0.05))
IM = ((0.0, 125.0), (50_000.0, 100.0), (250_000.0, 50.0), (1_000_000.0, 20.0), (10e6, 10.0))


def binance(**kw) -> ExchangeParams:
    return ExchangeParams(
        initial_margin=0.008,
        maintenance_margin=0.004,
        mm_tiers=MM,
        im_tiers=IM,
        taker_fee=0.0004,
        **kw,
    )


def test_max_leverage_follows_the_bracket_of_the_whole_position():
    p = binance()
    got = risk.max_leverage_for(np.array([40_000.0, 100_000.0, 1_200_000.0, 12e6]), p)
    assert got.tolist() == [125.0, 100.0, 20.0, 10.0]
    assert risk.max_leverage_for(50_000.0, p) == 100.0  # a bracket starts at its floor
    # never above 1 / initial_margin, and flat without tiers
    assert risk.max_leverage_for(40_000.0, binance().updated(initial_margin=0.02)) == 50.0
    assert risk.max_leverage_for(np.array([1.0, 1e9]), ExchangeParams()).tolist() == [20.0, 20.0]


def test_maintenance_rate_must_stay_below_initial_margin_at_every_bracket():
    with pytest.raises(
        ValueError,
        match=r"^im_tiers must keep the maintenance rate below .* "
        r"from notional 1,000,000 it is 0.06 against 0.05 \(max leverage 20\)",
    ):
        binance().updated(mm_tiers=((0.0, 0.004), (1_000_000.0, 0.06)))
    # maintenance tiers alone are checked against the flat initial margin: a 4M order at
    # 20x would otherwise be liquidatable on arrival
    with pytest.raises(
        ValueError,
        match=r"^mm_tiers must keep .* from notional 4,000,000 "
        r"it is 0.05 against 0.05",
    ):
        ExchangeParams(mm_tiers=((0.0, 0.01), (4_000_000.0, 0.05)))
    ExchangeParams(mm_tiers=((0.0, 0.01), (4_000_000.0, 0.049)))


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        (((1.0, 10.0),), "im_tiers must start at notional 0 and rise"),
        (((0.0, 10.0), (0.0, 5.0)), "im_tiers must start at notional 0 and rise"),
        (((0.0, 10.0), (1e6, 20.0)), r"im_tiers max leverage must not rise with notional"),
        (((0.0, 0.5),), r"im_tiers\[0\] max leverage must be in \[1, 1000\], got 0.5"),
    ],
)
def test_bad_brackets_are_refused_with_one_message(tiers, message):
    with pytest.raises(ValueError, match=message):
        ExchangeParams(im_tiers=tiers)


def test_a_scenario_names_the_field():
    with pytest.raises(ValueError, match=r"^calm: exchange\.im_tiers max leverage must not rise"):
        load_scenario("calm", {"exchange.im_tiers": [[0.0, 10.0], [1e6, 20.0]]})
    sc = load_scenario("calm", {"exchange.im_tiers": [[0.0, 20.0], [1e6, 10.0]]})
    assert sc.exchange.to_params().im_tiers == ((0.0, 20.0), (1e6, 10.0))


def test_liquidation_price_searches_the_brackets():
    p = binance()
    # long 10 at 40,000 with 40,000 of margin: the bracket from 250k (1 %, amount 1,300)
    # holds the notional at the answer, (400,000 - 40,000 - 1,300) / (10 - 0.1)
    assert risk.liquidation_price(10.0, 40_000.0, 40_000.0, p) == pytest.approx(358_700 / 9.9)
    # long 30 at 40,000 (1.2M, the 2.5 % bracket at entry) with 240,000: that bracket's
    # price, 943,700 / 29.25 = 32,263, is a notional below 1M, so the 1 % bracket applies
    long30 = risk.liquidation_price(30.0, 40_000.0, 240_000.0, p)
    assert long30 == pytest.approx(958_700 / 29.7)
    assert long30 != pytest.approx(943_700 / 29.25)
    # short 10 at 40,000 with 40,000: (-400,000 - 40,000 - 1,300) / (-10 - 0.1)
    assert risk.liquidation_price(-10.0, 40_000.0, 40_000.0, p) == pytest.approx(441_300 / 10.1)
    # a flat rate and untiered parameters give the same as before
    assert risk.liquidation_price(1.0, 100.0, 10.0, 0.05) == pytest.approx(90.0 / 0.95)
    assert risk.liquidation_price(
        1.0, 100.0, 10.0, ExchangeParams(maintenance_margin=0.05, initial_margin=0.1)
    ) == (pytest.approx(90.0 / 0.95))


def test_equity_meets_tiered_maintenance_at_the_liquidation_price():
    rng = np.random.default_rng(5)
    p = binance()
    size = rng.choice([-1.0, 1.0], 500) * rng.uniform(0.01, 400.0, 500)
    entry = rng.uniform(20_000.0, 60_000.0, 500)
    notional = np.abs(size) * entry
    margin = notional / rng.uniform(1.5, 9.0, 500)
    price = risk.liquidation_price(size, entry, margin, p)
    eq = risk.equity(margin, size, entry, price)
    mm = risk.maintenance_requirement(np.abs(size) * price, p)
    assert np.all(price > 0)
    np.testing.assert_allclose(eq, mm, rtol=1e-9, atol=1e-6)


def test_trader_data_reports_the_tiered_liquidation_price():
    from abm import ExchangeModel
    from abm.agents.traders import trader_columns

    tiers = ((0.0, 0.01), (5_000.0, 0.02))
    model = ExchangeModel(
        rng=3, n_traders=200, governance_enabled=False, exchange={"mm_tiers": tiers}
    )
    for _ in range(60):
        model.step()
    _, cols = trader_columns(model)
    book, params = model.exchange.book, model.exchange.params
    slots = np.flatnonzero(model.trader_state.agent_id >= 0)
    open_ = book.size[slots] != 0
    expected = risk.liquidation_price(
        book.size[slots], book.entry[slots], book.margin[slots], params
    )
    np.testing.assert_allclose(cols["liquidation_price"][open_], expected[open_])
    flat = risk.liquidation_price(book.size[slots], book.entry[slots], book.margin[slots], 0.025)
    assert np.any(np.abs(cols["liquidation_price"][open_] - flat[open_]) > 1e-6)


def test_adding_checks_the_whole_position_against_its_own_bracket(build):
    """A 50k long at 100x fits its bracket (100x from 50k); adding 200k makes a 250k
    position, whose bracket allows 50x: 250,000 / (480 + 2,000) = 100.8x is refused (the
    flat 125x would let it through), 250,000 / (480 + 5,000) = 45.6x is taken."""
    ex, _ = build(
        initial_margin=0.008,
        maintenance_margin=0.004,
        mm_tiers=MM,
        im_tiers=IM,
        half_spread=0.0,
        taker_fee=0.0004,
    )
    assert ex.mark == 100.0
    ex.fund_wallet(0, 10_000.0)
    assert not ex.open(0, 1, 400.0, 125.0)  # 50k at 125x: its bracket allows 100x
    assert ex.open(0, 1, 500.0, 100.0)
    assert ex.book.margin[0] == pytest.approx(500.0 - 0.0004 * 50_000)  # 480 after the fee
    assert not ex.open(0, 1, 2_000.0, 100.0)
    assert ex.params.max_leverage >= 250_000 / (480 + 2_000)
    assert ex.open(0, 1, 5_000.0, 40.0)
    assert ex.book.size[0] * ex.mark == pytest.approx(250_000.0)
