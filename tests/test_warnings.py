"""Mesa's deprecations fail the suite (pyproject's filterwarnings), so a removal planned
for Mesa 4.0 shows up as a failing test, not as a line in a log nobody reads."""

import warnings

import pytest


def warn_from(module: str, category: type[Warning]) -> None:
    warnings.warn_explicit("removed in 4.0", category, f"{module}.py", 1, module=module)


@pytest.mark.parametrize("module", ["mesa.model", "mesa.visualization.solara_viz", "abm.model"])
@pytest.mark.parametrize("category", [DeprecationWarning, FutureWarning])
def test_a_deprecation_raised_in_mesa_or_the_project_is_an_error(module, category):
    with pytest.raises(category, match=r"removed in 4\.0"):
        warn_from(module, category)


def test_a_deprecation_elsewhere_stays_a_warning():
    with pytest.warns(DeprecationWarning):
        warn_from("somelib.core", DeprecationWarning)
