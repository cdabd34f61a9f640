"""Replay files: timestamps that do not rise strictly are refused, naming file and row."""

import pytest

from abm.exchange.market import load_price_csv


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
