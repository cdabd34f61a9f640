"""The benchmark's plain Mesa loop runs the model's rules: it trades like the model."""

import numpy as np
import pytest

from benchmarks.market import default_market
from benchmarks.naive import NaiveExchangeModel


@pytest.mark.parametrize("acting", ["own_turn", "batched"])
def test_the_plain_loop_keeps_the_models_book_and_conserves_money(acting):
    steps = 150
    model = default_market(600, seed=3)
    naive = default_market(600, seed=3, model_cls=NaiveExchangeModel, acting=acting)
    for _ in range(steps):
        model.step()
        naive.step()
        naive.check()
    open_model = np.count_nonzero(model.exchange.book.size)
    open_naive = np.count_nonzero(naive.exchange.book.size)
    assert open_model > 100
    assert 0.7 < open_naive / open_model < 1.3
    oi = [
        m.datacollector.get_model_vars_dataframe()["open_interest"].iloc[-1] for m in (model, naive)
    ]
    assert 0.7 < oi[1] / oi[0] < 1.3
