"""The app shows the fund against the base its target is set on: open interest or TVL."""

from __future__ import annotations

import ipyvuetify as v
import solara

from abm.model import ExchangeModel
from viz import charts, data
from viz.health import HealthPanel, fund_health


def texts(rc, cls: str) -> list[str]:
    return ["".join(map(str, w.children)) for w in rc.find(v.Html, class_=cls).widgets]


def model(basis: str) -> ExchangeModel:
    m = ExchangeModel(
        rng=2, n_traders=200, governance_enabled=False,
        exchange={"fund_target": 0.004, "fund_target_basis": basis},
    )  # fmt: skip
    for _ in range(40):
        m.step()
    return m


def test_a_tvl_target_is_read_against_fund_over_tvl():
    m = model("tvl")
    assert data.target_base(m) == ("fund_to_tvl", "TVL")
    h = fund_health(m)
    assert h.ratio == m.metrics["fund_to_tvl"] != m.metrics["fund_to_oi"]
    assert "of TVL" in h.reason
    option = charts.fund_ratio_option(data.model_frame(m), 0.004, None, "fund_to_tvl", "TVL")
    assert option["yAxis"]["name"] == "% of TVL"
    assert [s["name"] for s in option["series"]] == ["fund / TVL", "target"]


def test_an_open_interest_target_keeps_fund_over_open_interest():
    m = model("open_interest")
    assert data.target_base(m) == ("fund_to_oi", "open interest")
    h = fund_health(m)
    assert h.ratio == m.metrics["fund_to_oi"]
    assert "TVL" not in h.reason
    _, rc = solara.render(HealthPanel(m), handle_error=False)
    assert data.pct(m.metrics["fund_to_oi"]) in texts(rc, "abm-big-value")
