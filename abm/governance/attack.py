"""A flash-loan governance attack, after Beanstalk (17 April 2022).

The attacker holds just enough tokens to propose. Its proposal sends treasury money to
its own account. At `step` it borrows `borrow_multiple × supply` tokens, votes, and
repays in the same step. With snapshot voting the vote weighs the balance at the end of
the snapshot step, which the loan never touched; with power read at vote time, no
voting delay and no timelock (so no guardian can step in) the drain executes.
"""

from __future__ import annotations

from .governor import Governor, ProposalRecord, ProposalState
from .interfaces import TREASURY_ACCOUNT, ExchangeLike
from .params import AttackParams
from .proposals import TreasuryTransfer
from .token import Token


class FlashLoanAttack:
    """Proposes the drain so that its vote is open at step `at_step`, then borrows and votes."""

    def __init__(
        self,
        params: AttackParams,
        attacker: int,
        token: Token,
        governor: Governor,
        exchange: ExchangeLike,
        at_step: int | None = None,
    ) -> None:
        self.params = params
        self.at_step = params.start if at_step is None else at_step
        self.attacker = attacker
        self.token = token
        self.governor = governor
        if params.account not in exchange.ledger:
            exchange.ledger.open(params.account)
        self.propose_step = max(0, self.at_step - governor.params.voting_delay - 1)
        self.record: ProposalRecord | None = None
        self.borrowed = 0.0
        self.weight = 0.0

    def step(self, step: int, exchange: ExchangeLike) -> None:
        """Propose at the first chance from `propose_step`, flash-vote at `at_step`.

        Call before the governor's `advance` for the same step.
        """
        if self.record is None and self.propose_step <= step < self.at_step:
            amount = self.params.drain_share * exchange.ledger.balance(TREASURY_ACCOUNT)
            if amount > 0:
                proposal = TreasuryTransfer(self.params.account, amount)
                self.record = self.governor.propose(self.attacker, proposal, step, exchange)
        if step == self.at_step:
            self._flash_vote(step, exchange)

    def _flash_vote(self, step: int, exchange: ExchangeLike) -> None:
        self.borrowed = self.params.borrow_multiple * self.token.supply
        self.token.mint(self.attacker, self.borrowed, step)
        exchange.record("attack", phase="borrow", amount=self.borrowed)
        rec = self.record
        if (
            rec is not None
            and rec.state is ProposalState.ACTIVE
            and self.attacker not in rec.receipts
        ):
            self.weight = self.governor.cast_vote(rec.id, self.attacker, True, step)
        exchange.record("attack", phase="vote", weight=self.weight)
        self.token.burn(self.attacker, self.borrowed, step)
        exchange.record("attack", phase="repay", amount=self.borrowed)

    @property
    def outcome(self) -> str:
        """'not proposed', or the state of the attacker's proposal."""
        return "not proposed" if self.record is None else str(self.record.state)

    @property
    def drained(self) -> float:
        return 0.0 if self.record is None else self.record.moved
