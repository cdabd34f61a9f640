"""The fuzzer's short profile: random valid configurations, invariants after every step."""

import pytest

import abm.scenarios  # noqa: F401  (registers the model's scenario resolver)
from abm import ScenarioError
from benchmarks.fuzz import Config, Tally, build, fuzz, run_config

pytestmark = pytest.mark.slow


def test_random_valid_configurations_keep_every_invariant():
    tally = fuzz(2_500, profile="fuzz-ci", max_steps=300)
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


def test_a_step_that_never_ends_is_a_stall_failure_with_a_reproducer(monkeypatch):
    from abm import ExchangeModel

    def endless(self):
        while True:  # a loop that makes no progress, as a liquidation retry could
            pass

    monkeypatch.setattr(ExchangeModel, "step", endless)
    tally = Tally()
    config = Config("calm", {"traders.count": 30}, seed=4, steps=5)
    run_config(config, tally, stall_seconds=0.2)
    [(signature, failure)] = tally.failures.items()
    assert signature == "stall: a step ran over # s"
    assert (failure["step"], tally.steps, tally.failed_runs) == (1, 0, 1)
    assert failure["reproducer"].startswith("abm run calm --seed 4 --steps 5 --check")


LOW_MARGIN = {"exchange.initial_margin": 0.01, "exchange.maintenance_margin": 0.005}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({**LOW_MARGIN, "exchange.taker_fee": 0.02}, r"taker_fee × max leverage must be below 1"),
        ({"market.annual_vol": 20.0, "market.step_hours": 8760.0}, r"annual_vol must be in"),
    ],
)
def test_corners_that_cannot_work_are_refused_naming_the_field(overrides, message):
    with pytest.raises(ScenarioError, match=message):
        build(Config("calm", overrides, 0, 1))


@pytest.mark.parametrize(
    ("preset", "overrides"),
    [
        ("calm", {**LOW_MARGIN, "exchange.taker_fee": 0.0099}),
        ("calm", {"exchange.taker_fee": 0.05, "exchange.initial_margin": 0.1}),
        ("calm", {"market.annual_vol": 1.0, "market.step_hours": 8760.0}),
        ("flash_crash", {"market.depth": 10_000.0}),
        ("flash_crash", {"market.depth": 1.0, "market.impact": 1000.0}),
        (
            "liquidation_cascade",
            {
                "market.annual_vol": 20.0,
                "exchange.initial_margin": 0.001,
                "exchange.maintenance_margin": 0.0005,
            },
        ),
    ],
)
def test_corners_the_suite_once_left_out_run_with_every_invariant(preset, overrides):
    """Fee × leverage and extreme price settings the schema accepts keep every invariant
    after every step."""
    tally = Tally()
    traders = {"traders.count": 40, "traders.activity": 1.0}
    run_config(Config(preset, {**traders, **overrides}, seed=5, steps=150), tally)
    assert tally.steps > 0
    assert tally.failed_runs == 0, tally.failures


def test_account_settings_are_drawn_on_venues_of_several_markets_and_cross_gets_two():
    from hypothesis import HealthCheck, given, settings

    from abm.scenarios import load_scenario
    from benchmarks.fuzz import ACCOUNT_FIELDS, configs, multi_market_presets

    multi = multi_market_presets()
    assert {"multi_market_crash", "long_tail_squeeze", "cross_margin_crash"} <= set(multi)
    assert all(len(load_scenario(name).markets) > 1 for name in multi)
    assert "calm" not in multi
    seen = []

    @settings(
        max_examples=300,
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(configs())
    def check(config):
        if any(f in config.overrides for f in ACCOUNT_FIELDS):
            assert config.preset in multi
            seen.append(config)
        if config.overrides.get("traders.margin") == "cross":
            assert config.overrides["traders.markets_per_account"] >= 2

    check()
    assert any(c.overrides.get("traders.margin") == "cross" for c in seen)
