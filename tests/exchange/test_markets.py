"""Several markets on one venue: fund scopes, per-market caps, ADL per market, totals."""

import numpy as np
import pytest
from frictionless import RULES, STILL

from abm.exchange import ExchangeParams, FlashCrash, MarketParams, OracleParams
from abm.exchange.markets import Markets, MarketSetup, setups_from

HALVED = (FlashCrash(start=0, drop=0.5, duration=1, recovery=0.0),)


def venue(
    open_venue,
    scope,
    *,
    alt_cap=float("inf"),
    alt_fund_weight=1.0,
    waterfall=("insurance_fund",),
    alt_isolated=False,
):
    """BTC stays at 100; ALT halves in the first step. 1,000 in the fund(s)."""
    params = ExchangeParams(**RULES, waterfall=waterfall)
    setups = [
        MarketSetup("BTC", params, MarketParams(**STILL), OracleParams()),
        MarketSetup(
            "ALT",
            params,
            MarketParams(**STILL, shocks=HALVED),
            OracleParams(),
            fund_weight=alt_fund_weight,
            fund_cap=alt_cap,
            isolated=alt_isolated,
        ),
    ]
    return open_venue(setups, capacity=4, fund_seed=1_000.0, fund_scope=scope)


def crash(v):
    """A 10x long of 1,000 in ALT loses 500 on the halving: 400 of bad debt."""
    v["ALT"].open(0, 1, 100.0, 10.0)
    v["BTC"].open(0, 1, 100.0, 10.0)
    v.begin_step()
    for ex in v:
        ex.engine_liquidate()
    v.finish_liquidations()
    v.check()


def test_a_shared_fund_pays_the_long_tail_markets_bad_debt(open_venue):
    v = venue(open_venue, "shared")
    crash(v)
    alt, btc = v["ALT"], v["BTC"]
    assert alt.stats.bad_debt == pytest.approx(400.0)
    assert alt.stats.fund_covered == pytest.approx(400.0)
    assert v.fund_balance() == pytest.approx(600.0)
    assert btc.fund.balance == alt.fund.balance == pytest.approx(600.0)
    rows = {r["market"]: r for r in v.rows(1)}
    assert rows["ALT"]["fund_paid"] == pytest.approx(400.0)
    assert rows["ALT"]["fund_share"] == 1.0
    assert rows["BTC"]["fund_paid"] == 0.0
    assert not alt.halted


def test_a_per_market_cap_stops_the_shared_fund(open_venue):
    v = venue(open_venue, "shared_capped", alt_cap=150.0)
    crash(v)
    alt = v["ALT"]
    assert alt.stats.fund_covered == pytest.approx(150.0)
    assert alt.stats.lp_loss == pytest.approx(250.0)
    assert v.fund_balance() == pytest.approx(850.0)
    assert alt.halted and not v["BTC"].halted


def test_the_cap_does_nothing_unless_the_scope_asks_for_it(open_venue):
    v = venue(open_venue, "shared", alt_cap=150.0)
    crash(v)
    assert v["ALT"].stats.fund_covered == pytest.approx(400.0)


def test_isolated_funds_never_pay_another_markets_loss(open_venue):
    v = venue(open_venue, "isolated", alt_fund_weight=0.0)
    assert v["BTC"].fund.balance == 1_000.0 and v["ALT"].fund.balance == 0.0
    crash(v)
    assert v["BTC"].fund.balance == 1_000.0
    assert v["ALT"].stats.fund_covered == 0.0
    assert v["ALT"].stats.lp_loss == pytest.approx(400.0)
    assert v.fund_balance() == 1_000.0


def test_an_isolated_market_beside_shared_ones_pays_from_its_own_fund(open_venue):
    # dYdX v4: cross markets on the main fund, an isolated market on a fund of its own
    v = venue(open_venue, "shared", alt_isolated=True, alt_fund_weight=1.0)
    assert v["BTC"].fund.balance == v["ALT"].fund.balance == 500.0  # the seed by weight
    assert v["BTC"].fund.id != v["ALT"].fund.id and len(v.fund_ids()) == 2
    crash(v)
    assert v["ALT"].stats.fund_covered == pytest.approx(400.0)
    assert v["ALT"].fund.balance == pytest.approx(100.0)
    assert v["BTC"].fund.balance == 500.0
    assert v.fund_balance() == pytest.approx(600.0)
    # a treasury injection goes to the shared fund
    v.ledger.deposit(v.treasury_id, 50.0, source="treasury_seed")
    assert v.inject_from_treasury(50.0) == 50.0
    assert (v["BTC"].fund.balance, v["ALT"].fund.balance) == (550.0, pytest.approx(100.0))


def test_isolated_funds_split_the_seed_by_weight(open_venue):
    v = venue(open_venue, "isolated", alt_fund_weight=3.0)
    assert v["BTC"].fund.balance == pytest.approx(250.0)
    assert v["ALT"].fund.balance == pytest.approx(750.0)
    crash(v)
    assert v["ALT"].fund.balance == pytest.approx(350.0)
    assert v["BTC"].fund.balance == pytest.approx(250.0)


def test_adl_runs_within_the_markets_own_opposing_positions(open_venue):
    v = venue(open_venue, "shared", waterfall=("adl",))
    alt, btc = v["ALT"], v["BTC"]
    alt.open(1, -1, 500.0, 2.0)
    btc.open(1, -1, 500.0, 2.0)
    crash(v)
    adl = [e for e in v.events if e["kind"] == "adl"]
    assert adl and {e["market"] for e in adl} == {"ALT"}
    assert {e["slot"] for e in adl} == {1}
    np.testing.assert_array_equal(btc.book.size, [10.0, -10.0, 0.0, 0.0])
    assert alt.stats.adl_covered == pytest.approx(400.0)
    assert abs(alt.book.size[1]) < 10.0


def test_totals_are_the_sums_of_the_markets(open_venue):
    v = venue(open_venue, "isolated")
    crash(v)
    total = v.stats()
    assert total.bad_debt == pytest.approx(sum(ex.stats.bad_debt for ex in v))
    assert total.liquidations == sum(ex.stats.liquidations for ex in v) == 1
    assert v.open_interest() == pytest.approx(sum(ex.open_interest() for ex in v))
    assert v.identity_gaps() == {"BTC": pytest.approx(0.0), "ALT": pytest.approx(0.0)}


def test_a_bad_venue_gets_one_clear_error():
    params = ExchangeParams()
    one = MarketSetup("BTC", params, MarketParams(), OracleParams())
    with pytest.raises(ValueError, match=r"fund_scope must be one of \['shared', 'isolated'"):
        Markets([one], fund_scope="pooled")
    with pytest.raises(ValueError, match="market names must be distinct"):
        Markets([one, one])
    with pytest.raises(ValueError, match="same step_hours"):
        Markets([one, MarketSetup("ETH", params, MarketParams(step_hours=2.0), OracleParams())])


def test_market_entries_take_the_venues_settings_and_their_tier():
    base = ExchangeParams()
    setups = setups_from(
        [
            {"name": "BTC", "tier": "major"},
            {"name": "JELLY", "tier": "long_tail", "beta": 2.5, "market": {"annual_vol": 2.0}},
        ],
        base,
        MarketParams(),
        OracleParams(),
    )
    btc, jelly = setups
    assert (btc.params.initial_margin, btc.params.maintenance_margin) == (0.02, 0.012)
    assert (jelly.params.initial_margin, jelly.params.maintenance_margin) == (0.2, 0.1)
    assert jelly.fund_cap == 0.0 and btc.fund_cap == 100_000_000.0
    assert jelly.market.annual_vol == 2.0 and jelly.beta == 2.5
    assert jelly.params.taker_fee == base.taker_fee


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"beta": 1.0}, r"markets\[0\]\.name is required"),
        ({"name": "X", "tier": "huge"}, r"markets\[0\]\.tier must be one of \['major'"),
        ({"name": "X", "beta": 11}, r"markets\[0\]\.beta must be in \[-10, 10\], got 11"),
        ({"name": "X", "colour": 1}, r"markets\[0\] has unknown fields \['colour'\]"),
        ({"name": "X", "market": {"annual_vol": -1}}, r"markets\[0\]\.market\.annual_vol must"),
        ({"name": "X", "exchange": {"nope": 1}}, r"markets\[0\]\.exchange: unknown exchange"),
    ],
)
def test_a_bad_market_entry_names_its_field(entry, message):
    with pytest.raises(ValueError, match=message):
        setups_from([entry], ExchangeParams(), MarketParams(), OracleParams())


def test_a_markets_open_interest_cap_refuses_what_does_not_fit(open_venue):
    params = ExchangeParams(**RULES, max_open_interest=1_500.0)
    v = open_venue(
        [MarketSetup("ALT", params, MarketParams(**STILL), OracleParams())],
        capacity=4,
        fund_seed=0.0,
    )
    alt = v["ALT"]
    assert alt.open(0, 1, 100.0, 10.0)  # 1,000 of notional
    assert not alt.open(1, -1, 100.0, 10.0)  # 2,000 would exceed the cap
    assert alt.open(2, -1, 50.0, 10.0)  # 1,500 fits exactly
    assert alt.open_interest() == pytest.approx(1_500.0)
    with pytest.raises(ValueError, match=r"max_open_interest must be in \[0, inf\], got -1"):
        ExchangeParams(max_open_interest=-1)
