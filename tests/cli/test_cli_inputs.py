"""Unreadable files and unordered replays: one line naming the file, exit 2, nothing written."""

import pytest

from abm.cli import main
from abm.scenarios import ScenarioError, load_scenario


@pytest.mark.parametrize("content", [b"\xff\xfe\x00\x81\x9c binary", bytes(range(256))])
def test_a_binary_scenario_file_is_named(tmp_path, capsys, content):
    path = tmp_path / "blob.toml"
    path.write_bytes(content)
    with pytest.raises(ScenarioError, match=r"blob\.toml"):
        load_scenario(path)
    out = tmp_path / "out"
    assert main(["run", str(path), "--steps", "3", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("abm: error: ") and "blob.toml" in err
    assert len(err.splitlines()) == 1
    assert not out.exists()


def test_an_unsorted_replay_is_refused_before_anything_is_written(tmp_path, capsys):
    csv = tmp_path / "prices.csv"
    csv.write_text("timestamp,close\n3,100\n1,101\n2,102\n")
    out = tmp_path / "out"
    code = main(
        ["run", "replay", "--set", f"market.replay_path={csv}", "--steps", "2", "--out", str(out)]
    )
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"abm: error: replay: market.replay_path: replay file {csv}: timestamps must rise "
        "strictly; "
        "row 3 ('1') is earlier than row 2 ('3')"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("governance.enabled=no", "governance.enabled must be true or false, got 'no'"),
        ("traders.count=1.5", "traders.count must be a whole number, got 1.5"),
    ],
)
def test_cli_booleans_and_counts_are_strict(tmp_path, capsys, setting, message):
    out = tmp_path / "out"
    assert main(["run", "calm", "--set", setting, "--steps", "2", "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
