"""A Mesa DataCollector that samples agent-type data, and reads big populations from arrays.

Collecting every trader every step costs O(traders) per step, so agent-type data is
recorded only every `agent_period` steps (model columns stay per step). Agent types with
a vectorised reporter (a function of the model returning agent ids and one array per
column) are recorded from arrays instead of one Python call per agent and column; the
records keep Mesa's layout, so `get_agenttype_vars_dataframe` works unchanged.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import mesa
import numpy as np

VectorReporter = Callable[[mesa.Model], tuple[np.ndarray, dict[str, np.ndarray]]]


class SampledDataCollector(mesa.DataCollector):
    def __init__(
        self,
        *args,
        agent_period: int = 1,
        vectorised: dict[type, VectorReporter] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.agent_period = agent_period
        self.vectorised = vectorised or {}

    def collect(self, model) -> None:
        if self.agent_period > 0 and model.steps % self.agent_period == 0:
            super().collect(model)
            return
        types, self.agenttype_reporters = self.agenttype_reporters, {}
        try:
            super().collect(model)
        finally:
            self.agenttype_reporters = types

    def _record_agenttype(self, model, agent_type) -> Iterator[tuple]:
        if agent_type not in self.vectorised:
            return super()._record_agenttype(model, agent_type)
        ids, columns = self.vectorised[agent_type](model)
        names = list(self.agenttype_reporters[agent_type])
        return zip(
            itertools.repeat(model.steps),
            ids.tolist(),
            *(columns[n].tolist() for n in names),
            strict=False,
        )
