"""A Mesa DataCollector that records agent-type data only every `agent_period` steps.

Collecting every trader every step costs O(traders) per step; model columns stay per step.
"""

from __future__ import annotations

import mesa


class SampledDataCollector(mesa.DataCollector):
    def __init__(self, *args, agent_period: int = 1, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.agent_period = agent_period

    def collect(self, model) -> None:
        if self.agent_period > 0 and model.steps % self.agent_period == 0:
            super().collect(model)
            return
        types, self.agenttype_reporters = self.agenttype_reporters, {}
        try:
            super().collect(model)
        finally:
            self.agenttype_reporters = types
