"""The calibration report runs in its quick mode and gives a number for every figure."""

import math

from benchmarks import calibration


def test_quick_report_has_one_finite_row_per_figure():
    table = calibration.report(calibration.QUICK)
    assert list(table["figure"]) == [t.label for t in calibration.TARGETS]
    for column in ("model", "lo95", "hi95"):
        bad = table.loc[~table[column].map(math.isfinite), "figure"].tolist()
        assert not bad, f"{column} not finite for {bad}"
    assert (table["seeds"] == calibration.QUICK.seeds).all()
    ranged = [t.lo is not None for t in calibration.TARGETS]
    assert table.loc[ranged, "inside"].isin(["yes", "no"]).all()
    assert (table.loc[[not r for r in ranged], "inside"] == "n/a").all()


def test_cli_prints_every_figure_with_its_source(capsys):
    calibration.main(["--quick", "--seeds", "2", "--steps", "150", "--traders", "60"])
    out = capsys.readouterr().out
    for target in calibration.TARGETS:
        assert target.label in out
        assert target.source in out
    assert calibration.INTERVAL_METHOD in out
