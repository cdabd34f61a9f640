"""The `abm` command: list, show, run, sweep, report, and one clean line for bad input."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from abm.cli import main
from abm.scenarios import preset_names

SMALL = ["--set", "traders.count=80", "--set", "governance.n_voters=30", "--set", "lps.count=3"]
FIX = ["--fix", "traders.count=80", "--fix", "governance.n_voters=30", "--fix", "lps.count=3"]


def test_list_prints_one_line_per_preset(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines] == preset_names()
    assert any(line.startswith("flash_crash") and "30 %" in line for line in lines)


def test_show_prints_toml_that_loads_back(capsys, tmp_path):
    from abm.scenarios import load_scenario

    assert main(["show", "fund_depletion", "--set", "exchange.penalty_rate=0.02"]) == 0
    path = tmp_path / "copy.toml"
    path.write_text(capsys.readouterr().out)
    copy = load_scenario(path)
    assert copy.exchange.penalty_rate == 0.02
    assert copy.market.shocks == load_scenario("fund_depletion").market.shocks


def test_run_prints_a_summary_and_writes_the_files(capsys, tmp_path):
    out = tmp_path / "runs" / "flash"
    code = main(["run", "flash_crash", "--seed", "7", "--steps", "40", *SMALL, "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "flash_crash" in printed and "seed 7" in printed
    for metric in ("final_fund", "bad_debt", "fund_covered", "liquidations", "halted_steps"):
        assert metric in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 7 and summary["steps"] == 40
    assert len(pd.read_parquet(out / "timeseries.parquet")) == 41


def test_run_into_an_existing_folder_needs_force(capsys, tmp_path):
    out = tmp_path / "r"
    assert main(["run", "calm", "--steps", "5", *SMALL, "--out", str(out)]) == 0
    assert main(["run", "calm", "--steps", "6", *SMALL, "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["run", "calm", "--steps", "6", *SMALL, "--out", str(out), "--force"]) == 0


BAD_INPUTS = [
    (["--set", "exchange.penalty_rat=0.01"], "unknown key 'exchange.penalty_rat'"),
    (["--set", "exchange.penalty_rate=high"], "exchange.penalty_rate must be a number"),
    (["--set", "exchange.penalty_rate=0.9"], "exchange.penalty_rate must be in [0, 0.5], got 0.9"),
    (["--set", "exchange.maintenance_margin=0.2"], "must be below initial_margin"),
    (["--set", "market.replay_path=/nonexistent/prices.csv"], "replay file not found"),
    (["--set", "run.steps=0"], "run.steps must be in [1, 1e+08]"),
]


def _assert_one_clean_line(capsys, *needles):
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("abm")
    assert "Traceback" not in captured.err + captured.out
    for needle in needles:
        assert needle in err


@pytest.mark.parametrize(("extra", "message"), BAD_INPUTS)
def test_bad_values_exit_2_with_one_line_and_write_nothing(capsys, tmp_path, extra, message):
    out = tmp_path / "out"
    assert (
        main(["run", "replay" if "replay" in message else "calm", *extra, "--out", str(out)]) == 2
    )
    _assert_one_clean_line(capsys, message)
    assert not out.exists()


def test_csv_without_close_column(capsys, tmp_path):
    csv = tmp_path / "prices.csv"
    csv.write_text("timestamp,price\n2024-01-01T00:00:00Z,1\n2024-01-01T01:00:00Z,2\n")
    out = tmp_path / "out"
    code = main(["run", "replay", "--set", f"market.replay_path={csv}", "--out", str(out)])
    assert code == 2
    _assert_one_clean_line(capsys, "market.replay_path", "'close'")
    assert not out.exists()


def test_unknown_preset(capsys, tmp_path):
    out = tmp_path / "out"
    assert main(["run", "flash_crsh", "--out", str(out)]) == 2
    _assert_one_clean_line(capsys, "unknown scenario 'flash_crsh'", "flash_crash")
    assert not out.exists()


def test_malformed_scenario_file(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[exchange]\npenalty_rate = = 1\n")
    out = tmp_path / "out"
    assert main(["run", str(bad), "--out", str(out)]) == 2
    _assert_one_clean_line(capsys, "bad.toml: not valid TOML")
    assert not out.exists()


def test_bad_sweep_input_writes_nothing(capsys, tmp_path):
    out = tmp_path / "sweep"
    args = ["sweep", "calm", "--set", "exchange.penalty_rate=0.01,0.7", "--out", str(out)]
    assert main(args) == 2
    _assert_one_clean_line(capsys, "exchange.penalty_rate must be in [0, 0.5], got 0.7")
    assert not out.exists()


def test_usage_errors_are_one_line_too(capsys):
    assert main(["run"]) == 2
    _assert_one_clean_line(capsys, "scenario")
    assert main(["sweep", "calm", "--seeds", "0"]) == 2
    _assert_one_clean_line(capsys, "--seeds")


def test_console_script_exit_code_and_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "abm.cli", "run", "calm", "--set", "oracle.heartbeat=0"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 2
    assert "oracle.heartbeat must be in (0, 1e+09], got 0" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_sweep_resume_and_report(capsys, tmp_path):
    out = tmp_path / "sweeps" / "pen"
    args = [
        "sweep",
        "flash_crash",
        "--set",
        "exchange.penalty_rate=0.005,0.01,0.02",
        "--seeds",
        "3",
        "--steps",
        "30",
        *FIX,
        "--workers",
        "2",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "p_fund_depleted" in printed and "var_95" in printed and "lar_95" in printed
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 9
    agg = pd.read_csv(out / "aggregate.csv")
    assert agg["exchange.penalty_rate"].tolist() == [0.005, 0.01, 0.02]

    assert main([*args, "--resume"]) == 0
    assert "(0 run now)" in capsys.readouterr().out

    assert main(["report", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    report = out / "report"
    html = (report / "index.html").read_text()
    pngs = sorted(p.name for p in report.glob("*.png"))
    assert "final_fund__exchange_penalty_rate.png" in pngs
    assert "bad_debt__exchange_penalty_rate.png" in pngs
    assert all(name in html for name in pngs)
    # long-form table with intervals and methods, conditional statistics labelled
    assert "95 % interval" in html and "wilson" in html and "bootstrap" in html
    assert "fund depleted" in html and "all runs" in html
    assert "<summary>grid</summary>" in html and "resolved scenario" in html
    assert html.count("<tr>") > 9 * 3  # one row per statistic, not one per grid point


def test_report_for_a_single_run(capsys, tmp_path):
    out = tmp_path / "run"
    assert main(["run", "oracle_failure", "--steps", "30", *SMALL, "--out", str(out)]) == 0
    assert main(["report", str(out)]) == 0
    pngs = {p.name for p in (out / "report").glob("*.png")}
    assert {"prices.png", "fund.png", "waterfall.png", "liquidations.png"} <= pngs
    html = (out / "report" / "index.html").read_text()
    assert "final_fund" in html and "steps of 1 h" in html
    assert "<summary>resolved scenario</summary>" in html


def test_report_on_a_folder_that_is_neither(capsys, tmp_path):
    assert main(["report", str(tmp_path)]) == 2
    _assert_one_clean_line(capsys, "neither a run folder")


def test_app_starts_solara_on_the_classroom_page(monkeypatch):
    import os

    calls = []
    monkeypatch.setattr(os, "execv", lambda exe, cmd: calls.append((exe, cmd)))
    assert main(["app", "--port", "0", "--no-open"]) == 0
    ((exe, cmd),) = calls
    assert exe == sys.executable
    assert cmd[:4] == [sys.executable, "-m", "solara", "run"]
    assert cmd[4].endswith("app.py") and "viz" in cmd[4]
    assert cmd[5:] == ["--host", "localhost", "--port", "0", "--no-open"]


QUICK_FIX = [*FIX, "--fix", "market.shocks.0.start=10"]


def test_compare_prints_paired_differences(capsys, tmp_path):
    code = main(["compare", "calm", "calm", "--seeds", "2", "--steps", "5", *FIX, "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "over 2 common seeds" in printed and "max_drawdown" in printed
    assert "trader_losses" in printed and "Newcombe" in printed


def test_size_fund_prints_the_answer_frontier_and_run_count(capsys, tmp_path):
    out = tmp_path / "size"
    args = ["size-fund", "thin_fund", "--target", "P(depleted within 1 day) < 30%"]
    args += ["--values", "1000,5e6", "--seeds", "10", "--max-seeds", "10", "--steps", "20"]
    assert main([*args, *QUICK_FIX, "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "answer: exchange.initial_fund = 5,000,000" in printed
    assert "frontier" in printed and "runs now" in printed
    assert (out / "frontier.png").exists() and (out / "frontier.csv").exists()
    assert main([*args, "--target", "VaR < 3", "--quiet"]) == 2
    assert "--target must read P(depleted within" in capsys.readouterr().err


def test_sweep_by_market_prints_and_writes_the_per_market_tables_and_report_shows_them(
    capsys, tmp_path
):
    out = tmp_path / "sweeps" / "multi"
    args = ["sweep", "multi_market_crash", "--seeds", "2", "--steps", "8", *FIX, "--quiet"]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "per market" in printed and "DOGE" in printed and "Student t" in printed
    assert "runs_markets.parquet" in printed and "aggregate_markets_long.csv" in printed
    per = pd.read_parquet(out / "runs_markets.parquet")
    assert per["market"].tolist() == ["BTC", "ETH", "SOL", "DOGE"] * 2
    agg = pd.read_csv(out / "aggregate_markets.csv")
    assert agg["market"].tolist() == ["BTC", "ETH", "SOL", "DOGE"]
    long = pd.read_csv(out / "aggregate_markets_long.csv")
    assert set(long["method"]) == {"wilson", "t", "bootstrap"}

    assert main(["report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "per market" in printed and "SOL" in printed
    html = (out / "report" / "index.html").read_text()
    assert "Per market, with 95 % intervals" in html
    assert "bad debt, mean (Student t)" in html and "<td>DOGE</td>" in html

    plain = tmp_path / "sweeps" / "plain"
    assert main([*args, "--no-by-market", "--out", str(plain)]) == 0
    assert "per market" not in capsys.readouterr().out
    assert not (plain / "runs_markets.parquet").exists()
