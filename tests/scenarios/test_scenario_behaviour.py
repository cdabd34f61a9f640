"""Each stress preset visibly does what its name says (its own seed, full size)."""

import pytest

from abm.batch import run


def test_calm_fund_grows_and_covers_all_bad_debt():
    s = run("calm", steps=1000).summary
    assert s["final_fund"] > 250_000
    assert s["fund_covered"] == pytest.approx(s["bad_debt"])
    assert s["lp_loss"] == s["adl_volume"] == s["socialized_loss"] == 0
    assert not s["fund_depleted"]


def test_flash_crash_bad_debt_is_covered_by_the_fund():
    r = run("flash_crash", steps=560)
    s, ts = r.summary, r.timeseries
    before = ts["bad_debt"].iloc[499]
    assert s["bad_debt"] - before > 50_000  # the crash makes bad debt ...
    assert s["fund_covered"] == pytest.approx(s["bad_debt"])  # ... and the fund pays all of it
    assert s["lp_loss"] == 0 and not s["fund_depleted"]
    assert s["min_fund"] < 0.8 * ts["insurance_fund"].iloc[499]


def test_liquidation_cascade_falls_further_than_the_scripted_shock():
    with_impact = run("liquidation_cascade", steps=560)
    without = run("liquidation_cascade", steps=560, overrides={"market.impact": 0.0})
    # same seed: the same underlying random walk and the same scripted 15 % drop
    low = with_impact.timeseries["price"].iloc[500:560].min()
    low0 = without.timeseries["price"].iloc[500:560].min()
    before = with_impact.timeseries["price"].iloc[499]
    assert low < 0.97 * low0  # the cascade adds a few per cent to the scripted fall
    assert low / before < 1 - 0.15 - 0.05
    assert with_impact.summary["liquidation_volume"] > 1.3 * without.summary["liquidation_volume"]


def test_prolonged_bear_liquidates_steadily_without_emptying_the_fund():
    bear = run("prolonged_bear", steps=1600).summary  # the trend ends at step 1600
    calm = run("calm", steps=1600).summary
    assert bear["min_price_ratio"] < 0.5
    assert bear["liquidations"] > calm["liquidations"]
    assert not bear["fund_depleted"] and bear["final_fund"] > 250_000


def test_oracle_failure_freezes_then_catches_up_with_a_burst_of_liquidations():
    ts = run("oracle_failure", steps=460).timeseries
    frozen = ts.iloc[400:436]
    assert frozen["oracle_price"].nunique() == 1  # the mark does not move ...
    assert frozen["price"].iloc[-1] < 0.9 * frozen["oracle_price"].iloc[-1]  # ... the price does
    per_step = ts["liquidations"].diff()
    assert per_step.iloc[401:436].sum() == 0
    assert per_step.iloc[436] >= 20  # the catch-up
    # the oracle jumps to the reference price; the catch-up's selling then pushes it lower
    assert ts["oracle_price"].iloc[436] == pytest.approx(ts["price"].iloc[435], rel=0.02)
    assert ts["price"].iloc[436] < ts["oracle_price"].iloc[436]
    assert ts["bad_debt_step"].iloc[436] > 50_000


def test_oracle_manipulation_drains_the_fund_and_the_lp_vault():
    r = run("oracle_manipulation", steps=420)
    s, ts = r.summary, r.timeseries
    assert ts["oracle_price"].iloc[400] > 1.3 * ts["price"].iloc[399]
    assert s["fund_depleted_step"] == 400
    assert s["lp_loss"] > 100_000


def test_thin_fund_runs_dry_and_the_lp_vault_pays():
    s = run("thin_fund", steps=200).summary
    assert s["fund_depleted_step"] is not None and s["fund_depleted_step"] <= 125
    assert s["lp_loss"] > 0


def test_fund_depletion_reaches_adl_and_socialized_loss():
    s = run("fund_depletion", steps=560).summary
    assert s["fund_depleted_step"] == 500
    assert s["adl_volume"] > 100_000
    assert s["socialized_loss"] > 1_000
    assert s["halted_steps"] > 0


def test_governance_response_raises_the_penalty_and_injects():
    r = run("governance_response", steps=450)
    ev = r.events
    changes = ev[ev["kind"] == "param_change"]
    raised = changes[(changes["name"] == "penalty_rate") & (changes["new"] > changes["old"])]
    assert len(raised) >= 1
    assert (ev["kind"] == "injection").any()
    assert r.summary["treasury_injected"] > 0 and r.summary["proposals_passed"] >= 3


def test_governance_attack_drains_the_treasury_unless_votes_are_snapshotted():
    attacked = run("governance_attack", steps=400).summary
    defended = run(
        "governance_attack", steps=400, overrides={"governance.governor.snapshot_voting": True}
    ).summary
    assert attacked["final_treasury"] < 0.05 * 2_000_000
    assert defended["final_treasury"] > 0.9 * 2_000_000
