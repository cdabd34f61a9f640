"""The voters' social graph and their delegations.

Two graphs over token-holder ids: an undirected social graph (who sees whose vote) and a
directed delegation graph (delegator -> delegate). Delegation is one hop: a delegate
cannot delegate on, and a delegator cannot be a delegate, so delegated tokens are counted
exactly once. Each delegation edge keeps the step it was made (`since`), so power read at
a past step ignores delegations made later, as Compound's vote checkpoints do.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np

from .params import NETWORK_KINDS
from .token import GENESIS_STEP, Token


def social_graph(
    holders: Sequence[int], kind: str, degree: int, rewire: float, seed: int
) -> nx.Graph:
    """A small-world or scale-free graph whose nodes are the given holder ids.

    `degree` is the mean degree: the ring neighbours for Watts-Strogatz, twice the edges
    each newcomer brings for Barabási-Albert.
    """
    n = len(holders)
    if kind == "watts_strogatz":
        g = nx.watts_strogatz_graph(n, degree, rewire, seed=seed)
    elif kind == "barabasi_albert":
        g = nx.barabasi_albert_graph(n, max(1, degree // 2), seed=seed)
    else:
        raise ValueError(f"network must be one of {list(NETWORK_KINDS)}, got {kind!r}")
    return nx.relabel_nodes(g, dict(enumerate(holders)))


class VoterNetwork:
    """Who sees whose votes, and who votes on whose behalf."""

    def __init__(self, social: nx.Graph) -> None:
        self.social = social
        self.delegation = nx.DiGraph()
        self._delegate: dict[int, tuple[int, int]] = {}
        self._delegators: dict[int, list[int]] = {}

    def delegate(self, delegator: int, delegate: int, step: int = GENESIS_STEP) -> None:
        """From `step` on, `delegator`'s votes go to `delegate`.

        Chains and second delegations are refused; a delegation cannot be withdrawn.
        """
        if delegator == delegate:
            raise ValueError(f"holder {delegator} cannot delegate to itself")
        if self.delegate_of(delegator) is not None:
            raise ValueError(f"holder {delegator} already delegates")
        if self.delegators_of(delegator):
            raise ValueError(f"holder {delegator} is a delegate and cannot delegate on")
        if self.delegate_of(delegate) is not None:
            raise ValueError(f"holder {delegate} delegates and cannot receive a delegation")
        self.delegation.add_edge(delegator, delegate, since=step)
        self._delegate[delegator] = (delegate, step)
        self._delegators.setdefault(delegate, []).append(delegator)

    def delegate_of(self, holder: int) -> int | None:
        found = self._delegate.get(holder)
        return None if found is None else found[0]

    def delegators_of(self, holder: int) -> list[int]:
        """Who delegates to `holder` (read from a plain index: voting power reads it often)."""
        return list(self._delegators.get(holder, ()))

    def neighbours(self, holder: int) -> list[int]:
        if holder not in self.social:
            return []
        return list(self.social.neighbors(holder))

    def power(self, token: Token, holder: int, step: int | None = None) -> float:
        """Own plus delegated tokens, at the end of `step` (None: right now).

        A holder who had delegated by then has no power of its own: its tokens count for
        the delegate.
        """
        if step is None:
            own = 0.0 if self.delegate_of(holder) is not None else token.balance(holder)
            return own + sum(token.balance(d) for d in self.delegators_of(holder))
        delegated = self._delegated_by(holder, step)
        own = 0.0 if delegated else token.balance_at(holder, step)
        return own + sum(
            token.balance_at(d, step)
            for d in self.delegators_of(holder)
            if self._delegated_by(d, step)
        )

    def powers(self, token: Token) -> np.ndarray:
        """Every holder's current votes at once: `power(token, h)` for each holder h."""
        balances = token.balances
        power = balances.astype(np.float64, copy=True)
        if self._delegate:
            delegators = np.fromiter(self._delegate, dtype=np.int64, count=len(self._delegate))
            delegates = np.fromiter(
                (d for d, _ in self._delegate.values()), dtype=np.int64, count=delegators.size
            )
            power[delegators] = 0.0
            np.add.at(power, delegates, balances[delegators])
        return power

    def _delegated_by(self, holder: int, step: int) -> bool:
        found = self._delegate.get(holder)
        return found is not None and found[1] <= step


def build_network(
    holders: Sequence[int],
    balances: np.ndarray,
    *,
    kind: str,
    degree: int,
    rewire: float,
    delegation_fraction: float,
    rng: np.random.Generator,
) -> VoterNetwork:
    """Social graph plus delegations from small holders to well-connected larger ones.

    Holders below the median balance are "small"; `delegation_fraction` of them delegate,
    each to a larger neighbour (or, with none, any larger holder), chosen in proportion to
    social degree.
    """
    holders = list(holders)
    net = VoterNetwork(social_graph(holders, kind, degree, rewire, int(rng.integers(2**31))))
    bal = np.asarray(balances, dtype=np.float64)
    median = float(np.median(bal))
    small = [h for h, b in zip(holders, bal, strict=True) if b < median]
    large = {h for h, b in zip(holders, bal, strict=True) if b >= median}
    n_delegating = round(delegation_fraction * len(small))
    if n_delegating == 0 or not large:
        return net
    picked = sorted(int(h) for h in rng.choice(small, size=n_delegating, replace=False))
    for holder in picked:
        candidates = [h for h in net.neighbours(holder) if h in large] or sorted(large)
        degrees = np.array([net.social.degree(h) for h in candidates], dtype=np.float64) + 1.0
        net.delegate(holder, int(rng.choice(candidates, p=degrees / degrees.sum())))
    return net
