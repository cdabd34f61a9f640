"""A parameter's range is declared once, on its dataclass field, and both the dataclass
and the scenario schema enforce that one declaration with the same words."""

import dataclasses
import math
import typing

import pytest

from abm.exchange.ranges import Range, field_range
from abm.scenarios import ScenarioError, load_scenario
from abm.scenarios.schema import SECTION_NAMES


def test_an_interval_reads_as_written_and_names_what_is_wrong():
    assert str(Range.parse("[0, 0.5]")) == "[0, 0.5]"
    assert str(Range.parse("(0, inf)")) == "(0, inf)"
    assert str(Range.parse("[0, 1e6]")) == "[0, 1e+06]"
    half_open = Range.parse("[0, 1)")
    assert half_open.problem(0.0) is None
    assert half_open.problem(1.0) == "must be in [0, 1), got 1.0"
    assert half_open.problem("x") == "must be a number, got 'x'"
    assert Range.parse("[0, 10]", whole=True).problem(2.5) == (
        "must be a whole number in [0, 10], got 2.5"
    )
    with pytest.raises(ValueError, match=r"^lps\.count must be in \[0, 1\], got 5$"):
        Range.parse("[0, 1]").check("lps.count", 5)


def ranged_fields(cls, path):
    """(path, field, range, type) of every field of `cls` and its nested dataclasses."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            yield from ranged_fields(hints[f.name], f"{path}.{f.name}")
        elif (allowed := field_range(f)) is not None:
            yield f"{path}.{f.name}", allowed, hints[f.name]


def section_classes():
    scenario = load_scenario("calm")
    return [(n, type(getattr(scenario, n).to_params())) for n in SECTION_NAMES]


RANGED = [entry for name, cls in section_classes() for entry in ranged_fields(cls, name)]


def outside(allowed: Range, kind: type) -> float:
    if math.isfinite(allowed.hi):
        value = allowed.hi + 1.0
    else:
        value = allowed.lo if allowed.lo_open else allowed.lo - 1.0
    return int(value) if kind is int else value


def test_the_exchange_section_declares_its_ranges():
    paths = {path for path, _, _ in RANGED}
    assert {"exchange.penalty_rate", "exchange.maintenance_margin"} <= paths


@pytest.mark.parametrize(("path", "allowed", "kind"), RANGED, ids=[p for p, _, _ in RANGED])
def test_the_schema_rejects_a_value_outside_the_declared_range(path, allowed, kind):
    value = outside(allowed, kind)
    with pytest.raises(ScenarioError) as info:
        load_scenario("calm", {path: value})
    assert f"{path} must be in {allowed}, got" in str(info.value)
