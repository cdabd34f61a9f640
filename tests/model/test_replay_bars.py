"""Replayed bars with a high and a low: margin checks see the extreme adverse to each side."""

import numpy as np
import pytest

from abm import ExchangeModel
from abm.agents.traders import _liquidation_prices

HOURS = ("2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z", "2024-01-01T02:00:00Z")


def replay(tmp_path, extremes: bool) -> ExchangeModel:
    """Flat closes at 100; with `extremes`, bar 1 dips to 80 and spikes to 120."""
    header, rows = "timestamp,close", [f"{t},100" for t in HOURS]
    if extremes:
        header += ",high,low"
        extremes_of = [(100, 100), (120, 80), (100, 100)]
        rows = [f"{r},{hi},{lo}" for r, (hi, lo) in zip(rows, extremes_of, strict=True)]
    path = tmp_path / "bars.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return ExchangeModel(
        rng=3,
        n_traders=2,
        replay_path=str(path),
        cascade_impact=0.0,
        governance_enabled=False,
        traders={"arrival_rate": 0.0},
    )


@pytest.mark.parametrize("extremes", [True, False])
@pytest.mark.parametrize(("side", "extreme"), [(1, 80.0), (-1, 120.0)])
def test_a_position_liquidated_between_the_extreme_and_the_close(tmp_path, extremes, side, extreme):
    m = replay(tmp_path, extremes)
    ex = m.exchange
    m.wake(np.array([0, 1]), 10**9)
    assert ex.open(0, side, 1_000.0, 10.0)
    liq = float(_liquidation_prices(m, np.array([0]))[0])
    assert min(extreme, 100.0) < liq < max(extreme, 100.0)
    m.step()
    liquidations = [e for e in m.events if e["kind"] == "liquidation"]
    if extremes:
        assert [e["slot"] for e in liquidations] == [0]
        assert liquidations[0]["mark"] == pytest.approx(extreme)
    else:
        assert liquidations == []
        assert ex.book.size[0] != 0
    assert ex.mark == pytest.approx(100.0)
    assert m.metrics["price"] == pytest.approx(100.0)
    m.check()


def test_the_extreme_on_the_open_side_comes_first(tmp_path):
    """A bar that closes up dipped first; one that closes down spiked first."""
    path = tmp_path / "ohlc.csv"
    path.write_text(
        "timestamp,open,high,low,close\n"
        "0,100,100,100,100\n3600,101,110,90,105\n7200,104,108,95,96\n"
    )
    m = ExchangeModel(rng=1, n_traders=0, replay_path=str(path), governance_enabled=False)
    market = m.exchange.market
    market.step()
    assert market.path == pytest.approx((101, 90, 110))
    market.step()
    assert market.path == pytest.approx((104, 108, 95))
    assert market.history(3).tolist() == pytest.approx([100, 105, 96])
