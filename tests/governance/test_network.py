"""Social graph and one-hop delegation: delegated tokens count once, at the snapshot."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from abm.governance import GovernorParams, SetPenaltyRate, Token, VoterNetwork, build_network

from .fakes import WHALE, advance


def test_delegated_power_counts_once(make_governor, exchange):
    gov = make_governor()
    gov.network.delegate(1, 2)
    assert gov.network.power(gov.token, 2) == 139.0
    assert gov.network.power(gov.token, 1) == 0.0
    exchange.step = 10
    rec = gov.propose(WHALE, SetPenaltyRate(0.02), 10, exchange)
    advance(gov, exchange, 10, rec.snapshot)
    step = rec.snapshot + 1
    assert gov.cast_vote(rec.id, 2, True, step) == 139.0
    assert gov.cast_vote(rec.id, 1, True, step) == 0.0
    assert rec.votes_for == 139.0


@pytest.mark.parametrize(
    ("delegator", "delegate", "message"),
    [
        (2, 3, "is a delegate"),
        (1, 3, "already delegates"),
        (3, 1, "delegates and cannot receive"),
        (4, 4, "itself"),
    ],
)
def test_delegation_is_one_hop(delegator, delegate, message):
    net = VoterNetwork(nx.empty_graph(5))
    net.delegate(1, 2)
    with pytest.raises(ValueError, match=message):
        net.delegate(delegator, delegate)


@pytest.mark.parametrize("snapshot_voting", [True, False])
def test_tokens_after_snapshot_do_not_count(make_governor, exchange, snapshot_voting):
    gov = make_governor(GovernorParams(snapshot_voting=snapshot_voting))
    exchange.step = 10
    rec = gov.propose(WHALE, SetPenaltyRate(0.02), 10, exchange)
    gov.token.transfer(WHALE, 2, 50.0, step=rec.snapshot)
    advance(gov, exchange, 10, rec.snapshot)
    step = rec.snapshot + 1
    gov.token.transfer(WHALE, 0, 100.0, step=step)
    gov.network.delegate(3, 0, step=step)
    assert gov.cast_vote(rec.id, 2, True, step) == 150.0
    if snapshot_voting:
        # Holder 0 votes with its snapshot balance only; 3 delegated too late to lose its vote.
        assert gov.cast_vote(rec.id, 0, True, step) == 40.0
        assert gov.cast_vote(rec.id, 3, True, step) == 100.0
    else:
        assert gov.cast_vote(rec.id, 0, True, step) == 240.0
        assert gov.cast_vote(rec.id, 3, True, step) == 0.0


def test_power_sums_to_voter_supply():
    holders = list(range(60))
    rng = np.random.default_rng(1)
    bal = rng.pareto(1.5, 60) + 1.0
    net = build_network(
        holders,
        bal,
        kind="watts_strogatz",
        degree=4,
        rewire=0.1,
        delegation_fraction=0.5,
        rng=rng,
    )
    token = Token(bal)
    total = sum(net.power(token, h) for h in holders)
    assert total == pytest.approx(bal.sum())
    assert net.delegation.number_of_edges() == 15
    # all holders at once give the same votes as one by one
    assert net.powers(token).tolist() == pytest.approx([net.power(token, h) for h in holders])
    median = np.median(bal)
    for delegator, delegate in net.delegation.edges:
        assert bal[delegator] < median <= bal[delegate]
        assert net.delegate_of(delegate) is None


@pytest.mark.parametrize("kind", ["watts_strogatz", "barabasi_albert"])
def test_build_network_is_seeded(kind):
    holders = [10 + i for i in range(30)]
    bal = np.arange(1.0, 31.0)

    def build(seed):
        return build_network(
            holders,
            bal,
            kind=kind,
            degree=4,
            rewire=0.2,
            delegation_fraction=0.4,
            rng=np.random.default_rng(seed),
        )

    a, b, c = build(5), build(5), build(6)
    assert sorted(a.social.nodes) == holders
    assert sorted(a.social.edges) == sorted(b.social.edges)
    assert sorted(a.delegation.edges) == sorted(b.delegation.edges)
    assert sorted(a.social.edges) != sorted(c.social.edges)


def test_unknown_network_kind():
    with pytest.raises(ValueError, match="network must be one of"):
        build_network(
            [0, 1, 2],
            np.ones(3),
            kind="ring",
            degree=2,
            rewire=0.0,
            delegation_fraction=0.0,
            rng=np.random.default_rng(0),
        )


def test_powers_without_delegations_are_the_balances():
    net = VoterNetwork(nx.empty_graph(3))
    assert net.powers(Token([1.0, 2.0, 3.0])).tolist() == [1.0, 2.0, 3.0]
