"""Fixtures: a fake exchange and a governor over six holders (see `fakes`)."""

from __future__ import annotations

import networkx as nx
import pytest

from abm.governance import Governor, GovernorParams, Token, VoterNetwork

from .fakes import BALANCES, FakeExchange


@pytest.fixture
def exchange() -> FakeExchange:
    return FakeExchange()


@pytest.fixture
def make_governor():
    def make(params: GovernorParams | None = None, balances=BALANCES, guardian=None):
        token = Token(balances)
        network = VoterNetwork(nx.empty_graph(range(len(balances))))
        return Governor(params or GovernorParams(), token, network, guardian=guardian)

    return make
