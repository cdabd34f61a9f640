"""The fuzzer's short profile: random valid configurations, invariants after every step."""

import pytest

import abm.scenarios  # noqa: F401  (registers the model's scenario resolver)
from benchmarks.fuzz import CI_SPACE, Config, Tally, fuzz, run_config

pytestmark = pytest.mark.slow


def test_random_valid_configurations_keep_every_invariant():
    tally = fuzz(2_500, profile="fuzz-ci", space=CI_SPACE, max_steps=300)
    assert tally.steps >= 2_500
    assert tally.configs >= 10
    assert tally.checks == 4 * (tally.steps + tally.configs)
    report = "\n".join(f"{s}\n  {f['reproducer']}" for s, f in tally.failures.items())
    assert tally.failed_runs == 0, report


def test_the_fuzzer_catches_a_broken_invariant_and_gives_a_reproducer(monkeypatch):
    from abm.exchange.book import PositionBook

    real = PositionBook.open_interest
    monkeypatch.setattr(
        PositionBook, "open_interest", lambda self, mark: tuple(x * 1.01 for x in real(self, mark))
    )
    tally = Tally()
    config = Config("calm", {"traders.count": 30, "traders.activity": 1.0}, seed=4, steps=20)
    run_config(config, tally)
    [(signature, failure)] = tally.failures.items()
    assert signature.startswith("open_interest: running long/short")
    assert failure["reproducer"] == (
        "abm run calm --seed 4 --steps 20 --check --set traders.activity=1.0 --set traders.count=30"
    )
