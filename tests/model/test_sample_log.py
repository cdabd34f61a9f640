"""Agent samples stored as differences read back bit for bit, in a fraction of the bytes."""

import gc
import weakref

import numpy as np
import pandas as pd
import pytest

from abm import ExchangeModel
from abm import model as model_module
from abm.agents import LiquidityProvider, Trader
from abm.agents.compat import step_of
from abm.agents.voters import Voter
from abm.sample_log import IDS, SampleLog

NAN_PAYLOAD = np.array([0x7FF8_0000_0000_0001], dtype=np.uint64).view(np.float64)[0]
DTYPE = pd.CategoricalDtype(["a", "b", "c"])


def bits(a: np.ndarray) -> np.ndarray:
    return a.view(f"u{a.itemsize}")


def naive(samples) -> dict[str, np.ndarray]:
    """What concatenating the samples as they were added gives."""
    out = {"steps": np.concatenate([np.full(ids.size, s) for s, ids, _ in samples])}
    out[IDS] = np.concatenate([ids for _, ids, _ in samples])
    for name in samples[0][2]:
        out[name] = np.concatenate([np.asarray(cols[name]) for _, _, cols in samples])
    return out


def sample(rng, n, first_id=0):
    return (
        np.arange(first_id, first_id + n, dtype=np.int64),
        {
            "x": rng.normal(size=n),
            "count": rng.integers(0, 3, n),
            "style": pd.Categorical.from_codes(rng.integers(0, 3, n).astype(np.int8), dtype=DTYPE),
        },
    )


def test_reads_back_every_sample_bit_for_bit_through_changes_and_population_changes():
    rng = np.random.default_rng(3)
    ids, cols = sample(rng, 50)
    cols["x"][:4] = [np.nan, NAN_PAYLOAD, -0.0, np.inf]
    added = [(0, ids, cols)]
    for step in range(1, 8):
        ids, cols = added[-1][1].copy(), {k: v.copy() for k, v in added[-1][2].items()}
        moved = rng.random(ids.size) < 0.2
        cols["x"][moved] = rng.normal(size=moved.sum())
        cols["x"][5] = 0.0 if step % 2 else -0.0  # a sign of zero, nothing else, changes
        cols["count"][moved] += 1
        if step == 3:  # one agent replaced in its place
            ids[7] = 1000
        if step == 5:  # the population grows: this sample cannot be stored against step 4
            more_ids, more = sample(rng, 3, first_id=2000)
            ids = np.concatenate([ids, more_ids])
            cols = {
                "x": np.concatenate([cols["x"], more["x"]]),
                "count": np.concatenate([cols["count"], more["count"]]),
                "style": pd.Categorical(
                    np.concatenate([np.asarray(cols["style"]), np.asarray(more["style"])]),
                    dtype=DTYPE,
                ),
            }
        added.append((step, ids, cols))
    log = SampleLog()
    for step, ids, cols in added:
        log.append(step, ids, cols)
    want = naive(added)
    np.testing.assert_array_equal(log.steps(), want["steps"])
    for name in (IDS, "x", "count"):
        got = log.column(name)
        assert got.dtype == want[name].dtype
        np.testing.assert_array_equal(bits(got), bits(want[name]))
    np.testing.assert_array_equal(log.column("style"), want["style"])
    assert log.column("style").dtype == want["style"].dtype


def test_a_sample_that_barely_changes_takes_its_changed_values_and_one_bit_per_agent():
    n, changed = 80_000, 800
    rng = np.random.default_rng(1)
    ids, cols = sample(rng, n)
    log = SampleLog()
    log.append(0, ids, cols)
    whole = log.nbytes()
    assert whole == n * (8 + 8 + 8 + 1)
    later = {k: v.copy() for k, v in cols.items()}
    later["x"][:changed] += 1.0
    log.append(1, ids.copy(), later)
    # The first sample now holds x's 800 old values and its bitmap; ids, counts and
    # styles did not change and hold nothing.
    assert log.nbytes() - whole == changed * 8 + n // 8


def test_an_older_sample_keeps_no_reference_to_its_whole_arrays():
    rng = np.random.default_rng(2)
    ids, cols = sample(rng, 1000)
    gone = [weakref.ref(ids), weakref.ref(cols["x"]), weakref.ref(cols["count"])]
    log = SampleLog()
    log.append(0, ids, cols)
    log.append(1, ids.copy(), {k: v.copy() for k, v in cols.items()})
    del ids, cols
    gc.collect()
    assert [r() is None for r in gone] == [True, True, True]


@pytest.mark.parametrize("preset", ["calm", "flash_crash", "multi_market_crash"])
def test_the_models_agent_frames_equal_the_samples_as_reported(preset, monkeypatch):
    reported: dict[type, list] = {Trader: [], LiquidityProvider: [], Voter: []}
    for agent_type, name in (
        (Trader, "trader_columns"),
        (LiquidityProvider, "lp_columns"),
        (Voter, "voter_columns"),
    ):
        reporter = getattr(model_module, name)

        def keep(m, reporter=reporter, agent_type=agent_type):
            ids, cols = reporter(m)
            reported[agent_type].append(
                (step_of(m), ids.copy(), {k: np.asarray(v).copy() for k, v in cols.items()})
            )
            return ids, cols

        monkeypatch.setattr(model_module, name, keep)
    model = ExchangeModel(preset=preset, n_traders=300, rng=5, agent_sample_period=3)
    for _ in range(120):
        model.step()
    for agent_type, samples in reported.items():
        assert [s[0] for s in samples] == list(range(0, 121, 3))
        frame = model.datacollector.get_agenttype_vars_dataframe(agent_type)
        want = naive(samples)
        np.testing.assert_array_equal(frame.index.get_level_values("Step"), want["steps"])
        np.testing.assert_array_equal(frame.index.get_level_values("AgentID"), want[IDS])
        for name in frame.columns:
            got = frame[name].to_numpy()
            if got.dtype.kind == "f":
                np.testing.assert_array_equal(bits(got), bits(want[name]))
            else:
                np.testing.assert_array_equal(got, want[name])
