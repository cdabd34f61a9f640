"""A run that starts from a crowded book."""

import numpy as np
import pytest

from abm import ExchangeModel


def crowded(**book):
    settings = dict(
        open_interest=2_000_000.0,
        long_share=0.8,
        leverage_median=8.0,
        leverage_sigma=0.0,
        entry_spread=0.01,
    )
    settings.update(book)
    return ExchangeModel(
        n_traders=200, governance_enabled=False, traders={"initial_book": settings}, rng=2
    )


def test_the_book_at_step_zero_is_the_one_asked_for():
    m = crowded()
    row = m.metrics
    assert row["open_interest"] == pytest.approx(2_000_000.0)
    assert row["long_oi"] / row["open_interest"] == pytest.approx(0.8)
    ex, book = m.exchange, m.exchange.book
    open_ = book.size != 0
    equity = book.margin[open_] + book.size[open_] * (ex.mark - book.entry[open_])
    leverage = np.abs(book.size[open_]) * ex.mark / equity
    assert np.allclose(leverage, 8.0)
    assert book.entry[open_].std() / ex.mark > 0.002  # entries are spread
    assert ex.book.liquidatable(ex.mark, ex.params).size == 0
    m.check()


def test_a_run_from_a_book_conserves_money():
    m = crowded(leverage_sigma=0.5)
    for _ in range(50):
        m.step()
        m.check()
    assert m.exchange.stats.volume > 0


def test_an_empty_book_changes_nothing():
    a = ExchangeModel(n_traders=50, rng=3)
    b = ExchangeModel(n_traders=50, rng=3, traders={"initial_book": {"open_interest": 0.0}})
    for _ in range(20):
        a.step()
        b.step()
    assert a.metrics == b.metrics


def test_the_replay_preset_does_not_push_recorded_prices_again():
    from abm import load_scenario

    assert load_scenario("replay").market.impact == 0.0
