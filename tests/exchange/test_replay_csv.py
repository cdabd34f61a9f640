"""Replay files: every bad file is one error naming the file and the row, and a file's
timestamps set the step length when none is given."""

import re

import pytest

from abm import ExchangeModel
from abm.cli import main
from abm.exchange.market import MarketParams, bar_hours, load_bars, load_price_csv
from abm.scenarios import ScenarioError, load_scenario


def write(tmp_path, rows, name="p.csv"):
    path = tmp_path / name
    path.write_text("timestamp,close\n" + "".join(f"{t},{c}\n" for t, c in rows))
    return path


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [("2024-01-01T00:00:00Z", 100), ("2024-01-01T02:00:00Z", 101),
             ("2024-01-01T01:00:00Z", 99)],
            r"timestamps must rise strictly; row 4 \('2024-01-01T01:00:00Z'\) is earlier "
            r"than row 3 \('2024-01-01T02:00:00Z'\)",
        ),
        (
            [(1, 100), (2, 101), (2, 102), (3, 103)],
            r"timestamps must rise strictly; row 4 \('2'\) repeats row 3 \('2'\)",
        ),
        (
            [("2024-01-01T00:00:00Z", 100), ("yesterday", 101)],
            r"column 'timestamp' must hold numbers or ISO 8601 times; row 3 has 'yesterday'",
        ),
        (
            [("2024-01-01T00:00:00Z", 100), ("", 101), ("2024-01-01T02:00:00Z", 101)],
            r"row 3 has 'nan'",
        ),
    ],
)  # fmt: skip
def test_bad_timestamps_name_the_file_and_row(tmp_path, rows, message):
    path = write(tmp_path, rows)
    with pytest.raises(ValueError, match=message) as err:
        load_price_csv(path, field="market.replay_path")
    assert str(err.value).startswith(f"market.replay_path: replay file {path}: ")


@pytest.mark.parametrize(
    "stamps",
    [
        ["2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z", "2024-01-01T01:30:00+00:00"],
        [0, 3600, 7200],
        [0.5, 1.0, 1.25],
    ],
)
def test_strictly_rising_timestamps_load_in_order(tmp_path, stamps):
    path = write(tmp_path, zip(stamps, [100.0, 101.0, 102.0], strict=True))
    assert load_price_csv(path).tolist() == [100.0, 101.0, 102.0]


def test_an_unreadable_replay_file_is_named(tmp_path):
    path = tmp_path / "blob.csv"
    path.write_bytes(b"\xff\xfe\x00\x81binary\x00\x00")
    with pytest.raises(ValueError, match=f"replay file {path}"):
        load_price_csv(path)


BAD_FILES = {
    "no_close": ("timestamp,price\n0,100\n3600,101\n", r"missing \['close'\] in row 1, the header"),
    "non_numeric": (
        "timestamp,close\n0,100\n3600,abc\n",
        r"column 'close' must hold positive numbers; row 3 has 'abc'",
    ),
    "negative": ("timestamp,close\n0,100\n3600,-5\n", r"row 3 has -5"),
    "zero": ("timestamp,close\n0,100\n3600,101\n7200,0\n", r"row 4 has 0"),
    "nan": ("timestamp,close\n0,100\n3600,NaN\n", r"must hold positive numbers; row 3 has nan"),
    "unsorted": ("timestamp,close\n0,100\n7200,101\n3600,102\n", r"row 4 \('3600'\) is earlier"),
    "duplicated": ("timestamp,close\n0,100\n3600,101\n3600,102\n", r"row 4 \('3600'\) repeats"),
    "one_row": (
        "timestamp,close\n0,100\n",
        r"at least 2 rows of prices after the header \(row 1\), found 1",
    ),
    "header_only": ("timestamp,close\n", r"after the header \(row 1\), found 0"),
    "empty": ("", r"is empty; row 1 must be a header"),
    "bad_high": ("timestamp,close,high\n0,100,100\n3600,101,99\n", r"row 3 has high 99 below"),
    "bad_low": ("timestamp,close,low\n0,100,100\n3600,101,102\n", r"row 3 has low 102 above"),
    "nan_low": ("timestamp,close,low\n0,100,100\n3600,101,\n", r"column 'low' .* row 3 has nan"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_each_bad_file_is_one_error_naming_file_and_row(tmp_path, case):
    text, message = BAD_FILES[case]
    path = tmp_path / f"{case}.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as err:
        load_bars(path, field="market.replay_path")
    assert str(err.value).startswith(f"market.replay_path: replay file {path}")
    assert "row " in str(err.value)


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_stops_the_run_before_anything_is_written(tmp_path, capsys, case):
    text, message = BAD_FILES[case]
    path = tmp_path / f"{case}.csv"
    path.write_text(text)
    out = tmp_path / "out"
    argv = ["run", "replay", "--set", f"market.replay_path={path}", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"abm: error: replay: market.replay_path: replay file {path}")
    assert re.search(message, err)
    assert not out.exists()


def test_high_low_and_open_load_beside_the_close(tmp_path):
    path = tmp_path / "ohlc.csv"
    path.write_text("timestamp,open,high,low,close\n0,100,101,99,100\n60,100,103,97,102\n")
    bars = load_bars(path)
    assert bars.close.tolist() == [100, 102]
    assert (bars.open.tolist(), bars.high.tolist(), bars.low.tolist()) == (
        [100, 100],
        [101, 103],
        [99, 97],
    )
    assert bars.hours.tolist() == pytest.approx([0, 1 / 60])
    assert load_bars(write(tmp_path, [(0, 100), (1, 101)])).high is None


@pytest.mark.parametrize(
    ("stamps", "hours"),
    [
        (["2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z", "2024-01-01T00:02:00Z"], 1 / 60),
        ([0, 900, 1800, 2700], 0.25),
        ([0, 3600, 7200.5, 10800], 1.0),  # half a second off is within the tolerance
    ],
)
def test_timestamps_set_the_step_length_when_none_is_given(tmp_path, stamps, hours):
    path = write(tmp_path, zip(stamps, [100.0 + k for k in range(len(stamps))], strict=True))
    assert bar_hours(path) == pytest.approx(hours)
    assert MarketParams(replay_path=str(path)).step_hours == pytest.approx(hours)
    assert MarketParams(replay_path=str(path), step_hours=2.0).step_hours == 2.0
    assert MarketParams().step_hours == 1.0
    m = ExchangeModel(rng=1, n_traders=5, replay_path=str(path), governance_enabled=False)
    assert m.exchange.clock.step_hours == pytest.approx(hours)
    run = load_scenario("replay", {"market.replay_path": str(path)})
    assert run.market.step_hours == pytest.approx(hours)
    m = ExchangeModel(**run.model_kwargs())
    assert m.exchange.clock.step_hours == pytest.approx(hours)


def test_irregular_timestamps_without_a_step_length_name_the_row(tmp_path):
    path = write(tmp_path, [(0, 100), (60, 101), (120, 102), (240, 103), (300, 104)])
    message = (
        rf"market.replay_path: replay file {re.escape(str(path))}: row 5 comes 0.0333333 h "
        r"after row 4, but the rows are 0.0166667 h apart \(the median\)"
    )
    with pytest.raises(ValueError, match=message):
        bar_hours(path, field="market.replay_path")
    with pytest.raises(ScenarioError, match=message):
        load_scenario("replay", {"market.replay_path": str(path)})
    given = load_scenario("replay", {"market.replay_path": str(path), "market.step_hours": 0.5})
    assert given.market.step_hours == 0.5
