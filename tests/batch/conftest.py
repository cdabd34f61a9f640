import pytest

import abm.scenarios  # noqa: F401  (registers the model's scenario resolver)


@pytest.fixture
def small() -> dict:
    """Overrides that keep a run light: fewer traders, voters and LPs."""
    return {"traders.count": 80, "governance.n_voters": 30, "lps.count": 3}
