"""The fund's target as a share of TVL (the source article's rule) beside fund / open interest."""

from __future__ import annotations

import pytest

from abm.cli import main
from abm.exchange.params import ExchangeParams
from abm.governance import InjectFromTreasury, SetPenaltySplit, fund_signal, steward_proposal
from abm.model import ExchangeModel
from abm.scenarios import ScenarioError, load_scenario

from .fakes import Health

TVL = ExchangeParams(fund_target_basis="tvl")
OI = ExchangeParams()
# 40k of fund against 1M of open interest (4 %) and 400k of TVL (10 %); the target is 5 %.
LOW_ON_OI_HIGH_ON_TVL = Health(40_000.0, 0.04, 0.10, 0.0, depleted=False)


def propose(h, params, treasury=1_000_000.0, base=None):
    return steward_proposal(h, params, treasury, low_band=0.9, high_band=2.5, round_=0, base=base)


def test_the_band_reads_the_ratio_of_the_target_s_basis():
    h = LOW_ON_OI_HIGH_ON_TVL
    assert fund_signal(h, 0.05, 0.9, 2.5) == 1  # 4 % < 0.9 x 5 % of open interest
    assert fund_signal(h, 0.05, 0.9, 2.5, "tvl") == 0  # 10 % of TVL sits inside the band
    assert fund_signal(h, 0.05, 0.9, 1.5, "tvl") == -1  # ... and above 1.5 x 5 %
    assert propose(h, OI) == SetPenaltySplit(0.6)
    assert propose(h, TVL) is None


def test_an_injection_closes_half_the_gap_to_the_tvl_target():
    # fund 10k; open interest 1M (1 %), TVL 5M (0.2 %)
    h = Health(10_000.0, 0.01, 0.002, 0.0, depleted=False)
    p_oi = OI.updated(penalty_fund_share=1.0, penalty_rate=0.03, fund_fee_share=0.9)
    p_tvl = TVL.updated(penalty_fund_share=1.0, penalty_rate=0.03, fund_fee_share=0.9)
    # every other raising measure is at its limit, so the steward injects
    assert propose(h, p_oi) == InjectFromTreasury(0.5 * (0.05 * 1_000_000 - 10_000))  # 20k
    assert propose(h, p_tvl) == InjectFromTreasury(0.5 * (0.05 * 5_000_000 - 10_000))  # 120k
    # capped at a quarter of the treasury
    assert propose(h, p_tvl, treasury=400_000.0) == InjectFromTreasury(100_000.0)


def test_an_empty_fund_is_refilled_from_the_remembered_tvl():
    empty = Health(0.0, 0.0, 0.0, 1.0, depleted=True)
    assert propose(empty, TVL, base=3_000_000.0) == InjectFromTreasury(0.5 * 0.05 * 3_000_000)


def test_an_unknown_basis_is_refused_naming_the_field_and_the_choices(tmp_path, capsys):
    with pytest.raises(
        ValueError, match=r"fund_target_basis must be one of \['open_interest', 'tvl'\]"
    ):
        ExchangeParams(fund_target_basis="supply")
    with pytest.raises(ScenarioError, match="fund_target_basis"):
        load_scenario("calm", overrides={"exchange.fund_target_basis": "supply"})
    out = tmp_path / "out"
    code = main(
        ["run", "calm", "--steps", "2", "--set", "exchange.fund_target_basis=supply",
         "--out", str(out)]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "fund_target_basis" in err and "tvl" in err
    assert not out.exists()


def run(basis: str, steps: int = 200):
    m = ExchangeModel(
        rng=4, initial_fund=20_000.0, lps={"capital": 30_000_000.0},
        exchange={"fund_target": 0.005, "fund_target_basis": basis},
    )  # fmt: skip
    for _ in range(steps):
        m.step()
    events = m.events_frame()
    proposals = events[events["kind"] == "proposal"]  # columns only of the kinds present:
    proposals = proposals.reindex(columns=["step", "proposal_kind", "state"])  # maybe none
    created = proposals[proposals["state"] == "pending"]
    return m, m.datacollector.get_model_vars_dataframe(), created


def test_in_the_model_the_same_fund_is_short_of_a_tvl_target_and_above_an_oi_one():
    """A large LP vault makes TVL several times open interest: a fund of about 0.5 % of
    open interest is inside the band of a 0.5 % open-interest target (0.4-0.75 %), so the
    steward proposes nothing or only cuts, but only about 0.1-0.15 % of TVL, below the
    band of a 0.5 % TVL target."""
    m_tvl, df_tvl, created_tvl = run("tvl")
    m_oi, df_oi, created_oi = run("open_interest")
    first = created_tvl.iloc[0]
    assert first["proposal_kind"] == "set_penalty_split"  # the first raising measure
    assert df_tvl["fund_to_tvl"].iloc[int(first["step"]) - 1] < 0.8 * 0.005
    assert m_tvl.exchange.params.penalty_fund_share == pytest.approx(0.6)
    assert "set_penalty_split" not in set(created_oi["proposal_kind"])
    assert m_oi.exchange.params.penalty_fund_share == pytest.approx(0.5)
    for step in created_oi["step"]:  # every proposal there is a cut, made above the band
        assert df_oi["fund_to_oi"].iloc[int(step) - 1] > 1.5 * 0.005
    # traders' and LPs' confidence reads the same ratio as the steward
    assert m_tvl.fund_confidence < m_oi.fund_confidence


def test_the_run_report_plots_the_fund_against_the_target_s_basis():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from abm.report import _fund

    _, df, _ = run("tvl", steps=30)
    ts = df.reset_index(names="step")
    lines = {}
    for basis in ("tvl", None):
        ts.attrs["fund_target_basis"] = basis
        fig, ax = plt.subplots()
        _fund(ax, ts)
        twin = fig.axes[1]
        lines[basis] = {ln.get_label(): ln.get_ydata() for ln in twin.get_lines()}
        assert twin.get_ylabel() == (
            "fund / TVL (ratio)" if basis else "fund / open interest (ratio)"
        )
        plt.close(fig)
    assert list(lines["tvl"]) == ["fund / TVL", "governance target (fund / TVL)"]
    assert (lines["tvl"]["fund / TVL"] == df["fund_to_tvl"].to_numpy()).all()
    assert list(lines[None]) == ["fund / open interest", "governance target (fund / OI)"]
