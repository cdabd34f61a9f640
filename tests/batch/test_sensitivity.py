"""Sensitivity (SALib): an inert parameter scores zero, the fund's size dominates the
lowest fund; the tornado plot and indices come out of the CLI."""

import pandas as pd
import pytest

from abm.batch.sensitivity import parse_ranges, sensitivity
from abm.cli import main

QUICK = {"traders.count": 80, "governance.n_voters": 30, "lps.count": 3}
# thin_fund's crash starts at step 120: over 8 steps its depth cannot matter
RANGES = {"exchange.initial_fund": (1000.0, 5e6), "market.shocks.0.drop": (0.1, 0.5)}


@pytest.mark.parametrize(
    ("method", "samples", "key"), [("morris", 4, "mu_star"), ("sobol", 4, "ST")]
)
def test_the_fund_size_matters_and_an_inert_parameter_does_not(method, samples, key):
    result = sensitivity(
        "thin_fund",
        RANGES,
        method=method,
        samples=samples,
        seeds=1,
        metrics=["min_fund"],
        steps=8,
        overrides=QUICK,
        progress=False,
    )
    idx = result.indices.set_index("parameter")
    assert idx.loc["market.shocks.0.drop", key] == pytest.approx(0.0, abs=1e-9)
    assert idx.loc["exchange.initial_fund", key] > 0
    expected_points = (
        samples * (len(RANGES) + 1) if method == "morris" else samples * (len(RANGES) + 2)
    )
    assert len(result.samples) == expected_points


def test_ranges_are_parsed_and_checked():
    assert parse_ranges(["a.b=1:2"]) == {"a.b": (1.0, 2.0)}
    with pytest.raises(ValueError, match="PATH=LOW:HIGH with LOW < HIGH"):
        parse_ranges(["a.b=2:1"])
    with pytest.raises(ValueError, match="at least one --param"):
        parse_ranges([])


def test_cli_writes_indices_and_a_tornado_plot(tmp_path, capsys):
    out = tmp_path / "sens"
    args = ["sensitivity", "thin_fund", "--param", "exchange.initial_fund=1000:5e6"]
    args += ["--param", "market.shocks.0.drop=0.1:0.5", "--samples", "2", "--seeds", "1"]
    args += ["--steps", "5", "--metric", "min_fund", "--out", str(out), "--quiet"]
    for path, value in QUICK.items():
        args += ["--fix", f"{path}={value}"]
    assert main(args) == 0
    assert "mu_star" in capsys.readouterr().out
    indices = pd.read_csv(out / "indices.csv")
    assert set(indices["parameter"]) == set(RANGES)
    assert (out / "tornado.png").exists() and (out / "runs.parquet").exists()
