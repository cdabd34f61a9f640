"""`abm run` survives SIGKILL at any write boundary: a later read finds a whole run or none."""

import shutil

import pytest

from abm.batch import run
from abm.batch.run import RUN_FILES

pytestmark = pytest.mark.slow


def _files(folder) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in RUN_FILES}


@pytest.mark.parametrize("replacing", [False, True], ids=["new folder", "with --force"])
def test_a_run_killed_at_every_write_boundary_leaves_a_whole_run_or_none(
    tmp_path, small, replacing, kill
):
    def write(out, seed=1):
        return lambda: run("calm", seed=seed, steps=3, overrides=small, out=out, overwrite=True)

    write(tmp_path / "reference")()
    expected = _files(tmp_path / "reference")
    previous = tmp_path / "previous"
    write(previous, seed=2)()
    before = _files(previous) if replacing else None
    count = tmp_path / "count"
    if replacing:
        shutil.copytree(previous, count)
    labels = kill.boundaries(write(count))
    assert "renamed count/" in labels and ("set aside count" in labels) == replacing

    for k, label in enumerate(labels):
        out = tmp_path / f"k{k}"
        if replacing:
            shutil.copytree(previous, out)
        assert kill.at(k, write(out)) == kill.KILLED, label
        if out.exists():
            assert _files(out) in (expected, before), label
        else:  # a replaced run is missing only between setting it aside and the rename
            assert not replacing or label == "set aside count", label
        write(out)()  # the next run cleans up after the killed one
        assert _files(out) == expected, label
        leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(f".{out.name}.")]
        assert leftovers == [], label
