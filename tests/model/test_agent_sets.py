"""The model's own agent sets hold agents strongly, and behave as Mesa's sets do."""

import copy
import weakref

import pytest

from abm import ExchangeModel
from abm.agents import LiquidityProvider, Trader
from abm.agents.compat import HARD_KEYS, AgentSet, _StrongAgentSet
from abm.agents.voters import Voter


def test_no_agent_of_the_model_is_held_by_a_weak_reference():
    model = ExchangeModel(n_traders=50, rng=1)
    for agent_type in (Trader, LiquidityProvider, Voter):
        agents = list(model.agents_by_type[agent_type])
        assert agents
        assert [weakref.getweakrefcount(a) for a in agents] == [0] * len(agents)
    assert len(model.agents) == sum(len(s) for s in model.agents_by_type.values())


def test_a_trader_who_leaves_is_gone_from_every_set_of_the_model():
    model = ExchangeModel(n_traders=20, rng=2)
    trader = model.traders[3]
    model.trader_leaves(trader, reason="broke")
    assert trader not in model.agents
    assert trader not in model.agents_by_type[Trader]
    assert len(model.agents_by_type[Trader]) == 19


@pytest.mark.skipif(HARD_KEYS, reason="Mesa 3.5 holds its own sets strongly")
def test_a_strong_set_orders_and_calls_as_a_weak_one_with_the_same_random_stream():
    model = ExchangeModel(n_traders=40, rng=3)
    agents = list(model.agents_by_type[Trader])
    strong = _StrongAgentSet(agents, random=copy.deepcopy(model.random))
    weak = AgentSet(agents, random=copy.deepcopy(model.random))
    assert list(strong) == list(weak) == agents

    order = {"strong": [], "weak": []}
    strong.shuffle_do(lambda a: order["strong"].append(a.unique_id))
    weak.shuffle_do(lambda a: order["weak"].append(a.unique_id))
    assert order["strong"] == order["weak"] != [a.unique_id for a in agents]

    assert [a.unique_id for a in strong.shuffle()] == [a.unique_id for a in weak.shuffle()]
    assert strong.shuffle(inplace=True) is strong
    weak.shuffle(inplace=True)
    assert list(strong) == list(weak)
    assert type(strong._agents) is dict  # still strong after reordering in place

    assert strong.map(lambda a: a.unique_id) == [a.unique_id for a in strong]
    seen = []
    assert strong.do(lambda a: seen.append(a)) is strong
    assert seen == list(strong)
    subset = strong.select(lambda a: a.slot < 10)
    assert type(subset) is AgentSet and len(subset) == 10  # subsets stay weak
