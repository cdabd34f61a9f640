"""What differs between the Mesa releases this package supports (3.3.1 and 3.5.x)."""

from __future__ import annotations

from typing import Any

import mesa

try:
    from mesa.agentset import AgentSet, _HardKeyAgentSet  # noqa: F401
except ImportError:  # Mesa before 3.5
    from mesa.agent import AgentSet

    HARD_KEYS = False
else:
    HARD_KEYS = True
"""Whether the model's own agent sets hold strong references already (Mesa 3.5, #3210)."""


def step_of(model: Any) -> int:
    """Steps taken so far: `model.time` where Mesa has it (3.4 on, and the only clock left
    in 4.0, which removes `model.steps`), else `model.steps`. A step is one time unit."""
    time = getattr(model, "time", None)
    return model.steps if time is None else int(time)


def release(model: mesa.Model) -> None:
    """Let a finished model be garbage-collected.

    Mesa before 3.4.2 counts agent ids in a class-level dict keyed by model
    (`Agent._ids`), which keeps every model alive for the life of the process, so a sweep
    worker grows with every run (fixed upstream in Mesa 3.4.2, #3180). This drops the
    finished model's counter; newer Mesa has no such dict and nothing is done. Call it
    only once no more agents will be added to `model`.
    """
    ids = vars(mesa.Agent).get("_ids")
    if isinstance(ids, dict):
        ids.pop(model, None)


class _StrongAgentSet(AgentSet):
    """Mesa 3.3's AgentSet with strong keys, as Mesa 3.5 makes the model's own sets (#3210).

    The model removes its agents explicitly, so the weak reference each agent costs in each
    of the two model-owned sets (about 140 bytes per agent, 140 MB at a million traders)
    buys nothing. The methods that walk weak references run on a weak copy in the same
    order and with the same random stream; subsets made from it stay weak, as in Mesa 3.5.
    """

    def __init__(self, agents, random=None) -> None:
        super().__init__([], random=random)
        self._update(agents)

    def _update(self, agents):
        self._agents = dict.fromkeys(agents)
        return self

    def __iter__(self):
        return iter(self._agents)

    def _weak(self) -> AgentSet:
        return AgentSet(self._agents, random=self.random)

    def shuffle(self, inplace: bool = False):
        shuffled = self._weak().shuffle()
        return self._update(shuffled) if inplace else shuffled

    def do(self, method, *args, **kwargs):
        self._weak().do(method, *args, **kwargs)
        return self

    def shuffle_do(self, method, *args, **kwargs):
        self._weak().shuffle_do(method, *args, **kwargs)
        return self

    def map(self, method, *args, **kwargs):
        return self._weak().map(method, *args, **kwargs)


def hold_strongly(model: mesa.Model, agent_type: type | None = None) -> None:
    """On Mesa before 3.5, hold the model's set of all agents (no `agent_type`) or of
    `agent_type` by strong reference, before the first agent is registered in it."""
    if HARD_KEYS:
        return
    if agent_type is None:
        model._all_agents = _StrongAgentSet(model._all_agents, random=model.random)
    elif agent_type not in model._agents_by_type:
        model._agents_by_type[agent_type] = _StrongAgentSet([], random=model.random)
