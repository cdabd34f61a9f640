"""`python -m benchmarks.run` runs every stage to a report, on a plan small enough to test.

Each stage is a real child process; the figures are not checked (timing belongs in the
benchmark, not the suite), only that every stage measured and every target got a value.
"""

import json

from benchmarks import run

TINY = {
    "size": {300: {"steps": 20, "naive": 10, "own_turn": 5, "idle": 10}},
    "sanity": {"traders": 300, "steps": 30},
    "warmup": 20,
    "long": (300, 60),
    "long_markets": (300, 60),
    "rss_1m": {"traders": 2_000, "steps": 10},
    "sweep": {"runs": 2, "steps": 30, "rounds": 1},
    "app": {"frames": 3},
}


def test_every_stage_measures_and_the_report_reads_it(tmp_path, monkeypatch):
    monkeypatch.setitem(run.PLANS, "quick", TINY)
    monkeypatch.setattr(run, "LONG", TINY["long"])
    results = run.main(["--quick", "--out", str(tmp_path)])
    stages = {"size": results["size"]["300"]} | {k: results[k] for k in run.STAGES}
    assert {k: v.get("error") for k, v in stages.items()} == dict.fromkeys(stages)
    assert "skipped" not in results["app"]
    names = [t["what"] for t in results["targets"]]
    assert any("4 markets" in n for n in names) and any("1M traders" in n for n in names)
    unmeasured = [t["what"] for t in results["targets"] if t["status"] == "n/a"]
    # The size targets are at 10k and 100k traders, not in this plan.
    assert all("10k traders:" in n or "100k traders:" in n for n in unmeasured), unmeasured
    report = (tmp_path / "results.md").read_text()
    assert "10k × 4 markets × 10k steps" in report and "app frame (preset" in report
    assert json.loads((tmp_path / "results.json").read_text())["mode"] == "quick"
