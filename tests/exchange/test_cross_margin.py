"""Cross margin by hand: an account's positions in several markets share its collateral."""

from dataclasses import replace

import pytest
from frictionless import RULES as ROUND
from frictionless import STILL

from abm.exchange import ExchangeParams, FlashCrash, MarketParams, OracleParams, Trend
from abm.exchange.cross import CrossMargin
from abm.exchange.factor import FactorParams
from abm.exchange.markets import MarketSetup

RULES = ExchangeParams(**{**ROUND, "penalty_rate": 0.01})


def venue(open_venue, eth_drop=0.0, factor=None, betas=(0.0, 0.0, 0.0)):
    """BTC, ETH and ALT at 100; ETH falls by `eth_drop` in the first step."""
    shocks = (FlashCrash(start=0, drop=eth_drop, duration=1, recovery=0.0),) if eth_drop else ()
    setups = [
        MarketSetup("BTC", RULES, MarketParams(**STILL), OracleParams(), beta=betas[0]),
        MarketSetup(
            "ETH", RULES, MarketParams(**STILL, shocks=shocks), OracleParams(), beta=betas[1]
        ),
        MarketSetup("ALT", RULES, MarketParams(**STILL), OracleParams(), beta=betas[2]),
    ]
    return open_venue(setups, capacity=2, fund_seed=0.0, factor=factor)


def three_longs(v, slot=0):
    """Longs at 10x: BTC 1,000, ETH 3,000 and ALT 500 of notional (margins 100, 300, 50)."""
    for name, margin in (("BTC", 100.0), ("ETH", 300.0), ("ALT", 50.0)):
        assert v[name].open(slot, 1, margin, 10.0)


def step(v, cross):
    v.begin_step()
    done = cross.liquidate()
    for ex in v:
        ex.engine_liquidate()
    v.finish_liquidations()
    v.check()
    return done


def test_value_and_maintenance_are_summed_over_the_markets(open_venue):
    v = venue(open_venue, eth_drop=0.10)
    three_longs(v)
    cross = CrossMargin(v, [0])
    v.begin_step()
    assert cross.values()[0] == pytest.approx(450.0 - 300.0)
    assert cross.requirements()[:, 0] == pytest.approx([50.0, 135.0, 25.0])
    assert cross.below().tolist() == [0]


def test_the_largest_risk_is_closed_first_and_only_until_margin_is_restored(open_venue):
    v = venue(open_venue, eth_drop=0.10)
    three_longs(v)
    cross = CrossMargin(v, [0])
    done = step(v, cross)
    # ETH (maintenance 135 of 210) goes first, backed by the whole 450 of collateral:
    # 450 - 300 loss - 27 penalty = 123, which covers BTC's and ALT's 75 of maintenance.
    assert [(m, round(x.closed_notional, 6), round(x.penalty, 6)) for m, x in done] == [
        ("ETH", 2700.0, 27.0)
    ]
    assert v["ETH"].book.size[0] == 0.0
    assert (v["BTC"].book.size[0], v["ALT"].book.size[0]) == (10.0, 5.0)
    assert v["BTC"].book.margin[0] == pytest.approx(82.0)  # 123 × 50 / 75
    assert v["ALT"].book.margin[0] == pytest.approx(41.0)
    assert v["ETH"].fund.inflows["penalty"] == pytest.approx(27.0)
    assert cross.below().size == 0


def test_a_loss_in_one_market_closes_positions_in_markets_that_did_not_move(open_venue):
    v = venue(open_venue, eth_drop=0.14)
    three_longs(v, slot=0)
    three_longs(v, slot=1)
    cross = CrossMargin(v, [0])
    done = step(v, cross)
    # 450 - 420 loss leaves 30; the 25.8 penalty leaves 4.2 against 75: BTC, then ALT go.
    assert [m for m, _ in done] == ["ETH", "BTC", "ALT"]
    assert [x.penalty for _, x in done] == pytest.approx([25.8, 4.2, 0.0])
    assert all(ex.book.size[0] == 0.0 for ex in v)
    # the same positions isolated: only ETH is closed
    assert (v["ETH"].book.size[1], v["BTC"].book.size[1], v["ALT"].book.size[1]) == (0, 10, 5)


def test_a_winner_offsets_a_loser_so_the_account_is_liquidated_later(open_venue):
    rising = FactorParams(annual_vol=0.0, shocks=(Trend(start=0, change=0.5, duration=50),))
    v = venue(open_venue, factor=rising, betas=(1.0, 0.0, 1.0))
    for slot in (0, 1):  # long BTC and short ALT at 10x; both rise together
        assert v["BTC"].open(slot, 1, 100.0, 10.0)
        assert v["ALT"].open(slot, -1, 100.0, 10.0)
    cross = CrossMargin(v, [0])
    isolated_at = None
    for t in range(1, 41):
        step(v, cross)
        if isolated_at is None and v["ALT"].book.size[1] == 0.0:
            isolated_at = t
    # isolated, the short's 100 of margin is below 5 % of notional once ALT is up 4.76 %:
    # 100 - 1000 r < 50 (1 + r); the price at step t is 100 × 1.5 ** ((t + 1) / 50).
    assert isolated_at == 5
    assert v["ALT"].book.size[0] == -10.0 and v["BTC"].book.size[0] == 10.0
    assert cross.values()[0] == pytest.approx(200.0)
    assert cross.below().size == 0


def book_venue(open_venue, **rules):
    """The three markets of `venue` on dYdX's book path, with slippage so that a fill has
    a price bound; ETH falls 10 % in the first step."""
    book = ExchangeParams(**{**ROUND, "liquidation_path": "book", "slippage": 0.1, **rules})
    shocks = (FlashCrash(start=0, drop=0.10, duration=1, recovery=0.0),)
    market = MarketParams(**STILL)
    setups = [
        MarketSetup("BTC", book, market, OracleParams(), beta=0.0),
        MarketSetup("ETH", book, replace(market, shocks=shocks), OracleParams(), beta=0.0),
        MarketSetup("ALT", book, market, OracleParams(), beta=0.0),
    ]
    return open_venue(setups, capacity=2, fund_seed=0.0)


def test_on_the_book_path_a_cross_close_is_bounded_by_the_accounts_health(open_venue):
    # Account value 150 against 210 of maintenance: health 5/7. Backed by all 450 of
    # collateral, ETH alone would read healthy (150 / 135), so a bound from the position's
    # own health would fill nothing; dYdX's fillable price reads the subaccount's.
    v = book_venue(open_venue)
    three_longs(v)
    opened = [v[m].book.size[0] for m in ("BTC", "ALT")]
    cross = CrossMargin(v, [0])
    done = step(v, cross)
    assert [m for m, _ in done] == ["ETH"]
    assert v["ETH"].book.size[0] == 0.0
    assert [v[m].book.size[0] for m in ("BTC", "ALT")] == opened
    assert cross.below().size == 0


def test_a_cross_account_no_market_will_fill_waits_for_the_next_step(open_venue):
    # fill_spread_mult 0: the book path's price bound is the spread, so nothing fills
    v = book_venue(open_venue, fill_spread_mult=0.0)
    three_longs(v)
    opened = [v[m].book.size[0] for m in ("BTC", "ETH", "ALT")]
    cross = CrossMargin(v, [0])
    assert step(v, cross) == []
    assert cross.below().tolist() == [0]
    assert [v[m].book.size[0] for m in ("BTC", "ETH", "ALT")] == opened


def test_a_tight_price_bound_fills_part_of_a_cross_position_once_and_the_rest_waits(open_venue):
    # a tight price bound (fill_spread_mult 0.05): the account's health lets ETH fill only
    # part of the position, once; the account is still below maintenance, and the engine
    # leaves the rest to the next step instead of nibbling at ETH again within this one
    v = book_venue(open_venue, fill_spread_mult=0.05)
    three_longs(v)
    cross = CrossMargin(v, [0])
    done = step(v, cross)
    eth = [x for m, x in done if m == "ETH"]
    assert len(eth) == 1
    assert eth[0].partial
    assert v["ETH"].book.size[0] > 0
