"""A Mesa DataCollector that samples agent-type data, and keeps big populations in arrays.

Collecting every trader every step costs O(traders) per step, so agent-type data is
recorded only every `agent_period` steps (model columns stay per step). Agent types with
a vectorised reporter (a function of the model returning agent ids and one array per
column) are recorded from arrays instead of one Python call per agent and column, and
kept as arrays, each sample as its differences from the next (sample_log.py: about 14
bytes per trader and sample instead of a tuple of Python objects);
`get_agenttype_vars_dataframe` returns the same frame as Mesa's for them.
"""

from __future__ import annotations

from collections.abc import Callable

import mesa
import numpy as np
import pandas as pd

from .agents.compat import step_of
from .sample_log import IDS, SampleLog

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
        self._samples: dict[type, SampleLog] = {t: SampleLog() for t in self.vectorised}

    def collect(self, model) -> None:
        """Model columns every step; agent-type data every `agent_period` steps, the
        vectorised types from their arrays and the rest by Mesa's own collection."""
        sample = self.agent_period > 0 and step_of(model) % self.agent_period == 0
        types = self.agenttype_reporters
        self.agenttype_reporters = (
            {t: r for t, r in types.items() if t not in self.vectorised} if sample else {}
        )
        try:
            super().collect(model)
        finally:
            self.agenttype_reporters = types
        if sample:
            for agent_type, reporter in self.vectorised.items():
                ids, columns = reporter(model)
                self._samples[agent_type].append(step_of(model), ids, columns)

    def get_agenttype_vars_dataframe(self, agent_type) -> pd.DataFrame:
        if agent_type not in self.vectorised:
            return super().get_agenttype_vars_dataframe(agent_type)
        names = list(self.agenttype_reporters[agent_type])
        samples = self._samples[agent_type]
        if not samples:
            return pd.DataFrame(
                columns=names, index=pd.MultiIndex.from_arrays([[], []], names=["Step", "AgentID"])
            )
        data = {n: samples.column(n) for n in names}
        index = pd.MultiIndex.from_arrays(
            [samples.steps(), samples.column(IDS)], names=["Step", "AgentID"]
        )
        return pd.DataFrame(data, index=index)
