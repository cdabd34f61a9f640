import multiprocessing
import os
from collections.abc import Callable
from types import SimpleNamespace

import pytest

import abm.scenarios  # noqa: F401  (registers the model's scenario resolver)
from abm.batch import io

KILLED = 86
"""The exit code of a writer killed at a write boundary."""


@pytest.fixture
def small() -> dict:
    """Overrides that keep a run light: fewer traders, voters and LPs."""
    return {"traders.count": 80, "governance.n_voters": 30, "lps.count": 3}


def boundaries(write: Callable[[], object]) -> list[str]:
    """The write boundaries `write` passes, in order."""
    seen: list[str] = []
    io.boundary = seen.append
    try:
        write()
    finally:
        io.boundary = None
    return seen


def killed_at(k: int, write: Callable[[], object]) -> int:
    """Run `write` in a forked child that dies like SIGKILL (no cleanup) at boundary k;
    return its exit code (`KILLED` if it got there)."""

    def child() -> None:
        calls = iter(range(10**9))

        def die(label: str) -> None:
            if next(calls) == k:
                os._exit(KILLED)

        io.boundary = die
        write()
        os._exit(0)

    proc = multiprocessing.get_context("fork").Process(target=child)
    proc.start()
    proc.join()
    return proc.exitcode


@pytest.fixture
def kill():
    """`kill.boundaries(write)` and `kill.at(k, write)` for kill tests."""
    return SimpleNamespace(boundaries=boundaries, at=killed_at, KILLED=KILLED)
