"""`ExchangeModel`: traders, liquidators and LPs on one perpetual exchange.

Step order (one step is one hour by default):

1. market and oracle move; borrow fees are charged on open interest;
2. new traders arrive, then the traders whose chosen wake-up time has come act (open,
   add, reduce, close), in random order;
3. liquidator bots work through the queue of positions below maintenance, then the
   protocol's engine closes what they left (on engine venues it does all of it); a
   replayed bar with an open, high or low runs this at each of them before step 2, the
   mark at that price (`Bars.path`), and traders then trade at the close;
4. shortfalls run down the loss waterfall; liquidation flow moves the price;
5. LPs deposit or withdraw;
6. governance: the risk steward proposes, token holders vote, the governor advances
   (proposals queue, execute after their timelock, or fail);
7. metrics are measured and the data collector records one row.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import pkgutil
import typing
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import mesa
import numpy as np
import pandas as pd

from .agents.accounts import Accounts
from .agents.compat import hold_strongly, step_of
from .agents.initial_book import seed_book
from .agents.liquidators import Liquidator
from .agents.lps import LiquidityProvider, lp_columns
from .agents.params import LiquidatorParams, LPParams, TraderParams
from .agents.traders import Trader, TraderState, act, schedule_accounts, trader_columns
from .agents.voters import (
    GOVERNANCE_COLUMNS,
    Voter,
    create_governance_agents,
    governance_model_reporters,
    step_governance,
    voter_agent_reporters,
    voter_columns,
)
from .datacollection import SampledDataCollector
from .exchange import (
    Exchange,
    ExchangeParams,
    FlashCrash,
    MarketParams,
    OracleParams,
    risk,
    target_ratio,
)
from .exchange.factor import FactorParams
from .exchange.markets import FUND_SCOPES, Markets, as_shocks, setups_from
from .exchange.params import check_range
from .exchange.venues import venue_fields
from .governance import AttackParams, Governance, GovernanceParams, GovernorParams
from .governance.validation import check_flag
from .params import DEFAULTS, RANGES

FUNDING_COLUMNS = (
    "funding_rate",
    "funding_paid_longs",
    "funding_paid_shorts",
    "pool_net_funding",
    "accrued_unsettled",
    "socialized_funding",
)
"""Funding and its indexes; all zero under `funding_rule = "none"` and the default waterfall."""

MODEL_COLUMNS = (
    "price",
    "oracle_price",
    "open_interest",
    "long_oi",
    "short_oi",
    "insurance_fund",
    "fund_to_oi",
    "fund_to_tvl",
    "fund_drawdown",
    "bad_debt",
    "bad_debt_step",
    "fund_covered",
    "lp_loss",
    "adl_volume",
    "adl_covered",
    "adl_excess_profit",
    "socialized_loss",
    "unresolved_bad_debt",
    "liquidations",
    "liquidation_volume",
    "liquidation_queue",
    "fund_inflow_penalty",
    "fund_inflow_fees",
    "current_penalty_rate",
    "current_penalty_fund_share",
    "current_fund_fee_share",
    "current_max_leverage",
    "treasury_balance",
    "lp_vault",
    "vault_nav",
    "active_traders",
    "open_positions",
    "halted",
    *FUNDING_COLUMNS,
    *GOVERNANCE_COLUMNS,
)
"""The model reporters. None shares a name with a constructor keyword, because
`mesa.batch_run` builds each row as ``{**kwargs, **model_data}``: a reporter named like a
keyword would replace the swept input in its own row."""
CORE_COLUMNS = MODEL_COLUMNS[: -len(GOVERNANCE_COLUMNS)]


FLOAT_KNOBS = (
    "leverage_appetite",
    "max_leverage",
    "maintenance_margin",
    "penalty_rate",
    "penalty_fund_share",
    "fund_fee_share",
    "initial_fund",
    "treasury",
    "shock_size",
    "shock_hour",
    "cascade_impact",
    "governance_speed",
)
"""Flat keywords that are amounts or rates: a boolean there is a mistake, not 0 or 1."""


def _bounds(key: str) -> tuple[int, int]:
    return int(RANGES[key].lo), int(RANGES[key].hi)


def whole(name: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
    """`value` as an int (in [lo, hi] when given); 1.5 or True is an error, not a count."""
    span = "" if lo is None or hi is None else f" in [{lo}, {hi}]"
    v = check_range(name, value, -math.inf if lo is None else lo, math.inf if hi is None else hi)
    if isinstance(value, bool | np.bool_) or not math.isfinite(v) or v != int(v):
        raise ValueError(f"{name} must be a whole number{span}, got {value!r}")
    return int(v)


def _check_kinds(cls, values: Mapping[str, Any], name: str) -> dict[str, Any]:
    """Fields typed `bool` take only booleans and fields typed `int` only whole numbers
    (returned as ints, so 64.0 works as a count).

    A scenario file is type-checked by its schema; a dict or params object from Python
    code is not, and `bool('no')` or `int(1.5)` would silently change the setting.
    """
    hints = typing.get_type_hints(cls)
    out = dict(values)
    for key, v in values.items():
        if hints.get(key) is bool:
            check_flag(f"{name}.{key}", v)
        elif hints.get(key) is int:
            out[key] = whole(f"{name}.{key}", v)
    return out


def _params(cls, value, name: str):
    """Accept a params object, a dict of its fields, or None for the defaults."""
    if value is None:
        return cls()
    if isinstance(value, cls):
        _check_kinds(cls, {f.name: getattr(value, f.name) for f in dataclasses.fields(cls)}, name)
        return value
    if isinstance(value, dict):
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"{name} has unknown fields {unknown}; known: {sorted(known)}")
        return cls(**_check_kinds(cls, value, name))
    raise ValueError(f"{name} must be a {cls.__name__} or a dict, got {type(value).__name__}")


def _governance_params(value, enabled: bool | None, speed: float | None) -> GovernanceParams:
    """Governance settings, switched on or off and sped up (speed 2 halves every delay)."""
    if isinstance(value, dict):
        value = dict(value)
        for key, cls in (("governor", GovernorParams), ("attack", AttackParams)):
            if isinstance(value.get(key), dict):
                value[key] = _params(cls, value[key], f"governance.{key}")
    gp = _params(GovernanceParams, value, "governance")
    changes: dict[str, Any] = {}
    if enabled is not None:
        changes["enabled"] = check_flag("governance_enabled", enabled)
    if speed is not None and speed != 1:
        speed = check_range("governance_speed", speed, 0.0, 100.0, lo_open=True)
        g = gp.governor
        changes["governor"] = dataclasses.replace(
            g,
            voting_delay=max(0, round(g.voting_delay / speed)),
            voting_period=max(1, round(g.voting_period / speed)),
            timelock=max(0, round(g.timelock / speed)),
            grace_period=max(1, round(g.grace_period / speed)),
        )
    return dataclasses.replace(gp, **changes) if changes else gp


SINGLE_MARKET_COLUMNS = (
    "price",
    "oracle_price",
    "open_interest",
    "long_oi",
    "short_oi",
    "bad_debt",
    "bad_debt_step",
    "fund_covered",
    "lp_loss",
    "adl_covered",
    "adl_volume",
    "socialized_loss",
    "unresolved_bad_debt",
    "liquidations",
    "liquidation_volume",
    "lp_vault",
    "halted",
    "funding_rate",
    "funding_paid_longs",
    "funding_paid_shorts",
    "pool_net_funding",
)
"""Model columns that a single market's `market_frame` carries over as they are."""


def _fee_inflows(inflows) -> float:
    return inflows["trading_fee"] + inflows["borrow_fee"]


def _factor_params(value) -> FactorParams:
    if isinstance(value, dict) and "shocks" in value:
        value = {**value, "shocks": as_shocks(value["shocks"], "factor.shocks")}
    return _params(FactorParams, value, "factor")


def _weights(entries: list[dict], key: str) -> np.ndarray:
    """Each market's share of traders (`weight`) or of LPs (`liquidity`), summing to one."""
    w = np.array([float(e.get(key, 1.0)) for e in entries])
    if not w.sum() > 0:
        raise ValueError(f"markets: at least one market needs a positive {key}")
    return w / w.sum()


def _homes(count: int, weights: np.ndarray) -> list[int]:
    """Which market each of `count` LPs provides to, in proportion to `weights`."""
    edges = np.cumsum(weights)
    return [
        int(min(np.searchsorted(edges, (k + 0.5) / count), weights.size - 1)) for k in range(count)
    ]


def _seed(rng):
    """Solara text boxes give strings: accept '42' as 42."""
    if isinstance(rng, str):
        try:
            return int(rng.strip())
        except ValueError:
            raise ValueError(f"rng must be an integer seed, got {rng!r}") from None
    return rng


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


class ExchangeModel(mesa.Model):
    """A perpetual-futures DEX with an insurance fund, driven by Mesa agents.

    Flat keywords are the classroom knobs; `exchange`, `market`, `oracle`, `traders`,
    `liquidators` and `lps` take full parameter objects (or dicts) for everything else.
    A keyword left at None takes its value from `scenario` (a preset name, a path or a
    loaded scenario) if one is given, else from `DEFAULTS` or the parameter objects.
    (The keyword is not `scenario`: Mesa 3.5's SolaraViz fills that name with its own
    scenario object on Reset.)
    """

    scenario_resolver: ClassVar[str | Callable[[Any], Mapping[str, Any]]] = "abm.scenarios:resolve"
    """Turns a preset name, a path or a loaded scenario into keyword arguments. The loader
    sits above this layer, so it is named here and loaded on the first `preset=` (in Mesa's
    batch-run workers too), never imported at the top."""

    def __init__(
        self,
        *,
        preset: Any = None,
        n_traders: int | None = None,
        leverage_appetite: float | None = None,
        max_leverage: float | None = None,
        maintenance_margin: float | None = None,
        penalty_rate: float | None = None,
        penalty_fund_share: float | None = None,
        fund_fee_share: float | None = None,
        initial_fund: float | None = None,
        treasury: float | None = None,
        shock_size: float | None = None,
        shock_hour: float | None = None,
        cascade_impact: float | None = None,
        replay_path: str | None = None,
        agent_sample_period: int | None = None,
        exchange: ExchangeParams | dict | None = None,
        market: MarketParams | dict | None = None,
        oracle: OracleParams | dict | None = None,
        traders: TraderParams | dict | None = None,
        liquidators: LiquidatorParams | dict | None = None,
        lps: LPParams | dict | None = None,
        governance: GovernanceParams | dict | None = None,
        governance_enabled: bool | None = None,
        governance_speed: float | None = None,
        markets: list[dict] | None = None,
        fund_scope: str | None = None,
        factor: FactorParams | dict | None = None,
        rng: int | str | None = None,
    ) -> None:
        given = {
            k: v
            for k, v in locals().items()
            if k not in ("self", "preset", "__class__") and v is not None
        }
        settings = {**DEFAULTS, **self._resolve(preset), **given}
        super().__init__(rng=_seed(settings.pop("rng", None)))
        hold_strongly(self)
        self.settings = settings
        self._build(settings)

    @classmethod
    def _resolve(cls, preset: Any) -> Mapping[str, Any]:
        if preset is None:
            return {}
        resolver = cls.scenario_resolver
        if isinstance(resolver, str):
            resolver = pkgutil.resolve_name(resolver)
        return resolver(preset)

    def _build(self, settings: Mapping[str, Any]) -> None:
        unknown = sorted(set(settings) - set(inspect.signature(ExchangeModel).parameters))
        if unknown:
            raise ValueError(f"unknown model settings {unknown}")
        get = settings.get
        n_traders, initial_fund, treasury = get("n_traders"), get("initial_fund"), get("treasury")
        shock_size, shock_hour = get("shock_size"), get("shock_hour")
        n_traders = whole("n_traders", n_traders, *_bounds("n_traders"))
        for key in FLOAT_KNOBS:
            if isinstance(get(key), bool | np.bool_):
                raise ValueError(f"{key} must be a number, got {get(key)!r}")
        for key in ("initial_fund", "treasury", "shock_size", "shock_hour"):
            RANGES[key].check(key, get(key))
        self.agent_sample_period = whole(
            "agent_sample_period", get("agent_sample_period"), *_bounds("agent_sample_period")
        )

        exchange = get("exchange")
        if isinstance(exchange, dict) and "venue" in exchange:
            exchange = {**venue_fields(exchange["venue"]), **exchange}
        xp = _params(ExchangeParams, exchange, "exchange")
        flat = {
            k: get(k)
            for k in ("penalty_rate", "penalty_fund_share", "fund_fee_share", "maintenance_margin")
        }
        if (max_leverage := get("max_leverage")) is not None:
            flat["initial_margin"] = 1.0 / check_range("max_leverage", max_leverage, 1.0, 1000.0)
        xp = xp.updated(**{k: v for k, v in flat.items() if v is not None})

        mp = _params(MarketParams, get("market"), "market")
        changes = {}
        if get("cascade_impact") is not None:
            changes["impact"] = get("cascade_impact")
        if get("replay_path") is not None:
            changes["replay_path"] = str(get("replay_path"))
            given = get("market")
            if not isinstance(given, MarketParams) and "step_hours" not in (given or {}):
                changes["step_hours"] = None
        extra = (FlashCrash(start=float(shock_hour), drop=shock_size),) if shock_size > 0 else ()
        entries = get("markets") or []
        if extra and not entries:
            changes["shocks"] = (*mp.shocks, *extra)
        self.trader_params = _params(TraderParams, get("traders"), "traders")
        if get("leverage_appetite") is not None:
            self.trader_params = dataclasses.replace(
                self.trader_params, appetite=get("leverage_appetite")
            )
        tp = self.trader_params
        mp = dataclasses.replace(mp, **changes)
        looks_back = max(tp.momentum_lookback, tp.reversion_window) / mp.step_hours
        mp = dataclasses.replace(mp, history=max(mp.history, math.ceil(looks_back) + 2))
        self.liquidator_params = _params(LiquidatorParams, get("liquidators"), "liquidators")
        self.lp_params = _params(LPParams, get("lps"), "lps")

        gp = _governance_params(
            get("governance"), get("governance_enabled"), get("governance_speed")
        )
        market_rng, self.trader_rng, governance_rng = self.rng.spawn(3)
        op = _params(OracleParams, get("oracle"), "oracle")
        scope = get("fund_scope") or "shared"
        if scope not in FUND_SCOPES:
            raise ValueError(f"fund_scope must be one of {list(FUND_SCOPES)}, got {scope!r}")
        self.markets: Markets | None = None
        self.trader_market = np.zeros(n_traders, dtype=np.int64)
        """Which market each trader slot trades in (an index into `exchanges`)."""
        if entries:
            self.markets = Markets(
                setups_from(entries, xp, mp, op, shocks=extra),
                fund_scope=scope,
                factor=_factor_params(get("factor")),
                capacity=n_traders,
                fund_seed=initial_fund,
                treasury_seed=treasury,
                rng=market_rng,
            )
            self.exchanges = self.markets.markets
            self._trader_weights = _weights(entries, "weight")
        else:
            self.exchanges = [
                Exchange(
                    xp,
                    mp,
                    op,
                    capacity=n_traders,
                    fund_seed=initial_fund,
                    treasury_seed=treasury,
                    rng=market_rng,
                )
            ]
        self.exchange = self.exchanges[0]
        """The first (or only) market: the price columns follow it; governance watches
        the whole venue (`self.markets`) when there are several."""
        tp.check_markets(int(np.count_nonzero(self._trader_weights)) if entries else 1)
        self.accounts: Accounts | None = None
        """Accounts trading several markets (`traders.markets_per_account` >= 2)."""
        if tp.markets_per_account > 1:
            self.accounts = Accounts(
                self.markets, n_traders, tp.markets_per_account, tp.margin == "cross"
            )
        self.cross = None if self.accounts is None else self.accounts.cross
        """The cross-margin engine (cross.py) when accounts trade in cross margin."""
        self.cross_stats = {"liquidations": 0, "contagion": 0, "offset": 0}
        """Cross closes; of them, positions whose own margin sufficed (contagion); and
        positions below their own maintenance that their account kept open (offset),
        each counted once while it stays open."""
        self._offset_seen = np.zeros((len(self.exchanges), n_traders), dtype=bool)
        self._market_rows: list[dict] = []
        self._queued = 0
        self.n_traders = n_traders
        self.fund_confidence = 1.0
        self.vault_yield = 0.0
        self.vault_drawdown = 0.0
        self.liquidation_queue: list[tuple[int, float, float, float]] = []
        self.engine_liquidations = 0
        clock = self.exchange.clock
        self._share_prices: deque[float] = deque(maxlen=clock.steps(self.lp_params.window) + 1)
        self.traders_by_slot: list[Trader | None] = [None] * n_traders
        self._wake = np.full(n_traders, np.inf)
        self.trader_state = TraderState(
            n_traders, 1 if self.accounts is None else len(self.exchanges)
        )
        self._free: list[int] = []

        lpp = self.lp_params
        shares = self.rng.dirichlet(np.ones(lpp.count)) if lpp.count else np.zeros(0)
        homes = _homes(lpp.count, _weights(entries, "liquidity")) if entries else [0] * lpp.count
        self.lps = [
            LiquidityProvider(
                self, f"lp:{k}", lpp.capital * s, lpp.deposited, self.exchanges[homes[k]]
            )
            for k, s in enumerate(shares)
        ]
        lqp = self.liquidator_params
        self.liquidators = [
            Liquidator(
                self,
                f"liquidator:{k}",
                lqp.capital,
                lqp.gas_cost,
                lqp.throughput,
                lqp.capital_leverage,
            )
            for k in range(lqp.count)
        ]
        self._add_traders(list(range(n_traders)))
        if self.trader_params.initial_book.open_interest > 0:
            for m, ex in enumerate(self.exchanges):
                seed_book(
                    ex,
                    self.trader_params.initial_book,
                    np.flatnonzero(self.trader_market == m),
                    self.trader_rng,
                )
            hold = min(1.0, self.exchange.clock.step_hours / self.trader_params.holding_mean)
            self.trader_state.held[:] = self.trader_rng.geometric(hold, n_traders)
        self.governance = Governance(
            gp,
            governance_rng,
            self.markets if self.markets is not None else self.exchange,
            step_hours=self.exchange.clock.step_hours,
        )
        create_governance_agents(self)

        self.metrics: dict[str, float] = {}
        self.datacollector = SampledDataCollector(
            model_reporters={
                **{c: (lambda m, c=c: m.metrics[c]) for c in CORE_COLUMNS},
                **governance_model_reporters(),
            },
            agenttype_reporters={
                Trader: {
                    "equity": lambda a: a.equity,
                    "leverage": lambda a: a.leverage,
                    "liquidation_price": lambda a: a.liquidation_price,
                    "liquidated": lambda a: a.liquidated,
                    "style": lambda a: a.style,
                },
                LiquidityProvider: {"stake": lambda a: a.stake},
                Voter: voter_agent_reporters(),
            },
            agent_period=self.agent_sample_period,
            vectorised={
                Trader: trader_columns,
                LiquidityProvider: lp_columns,
                Voter: voter_columns,
            },
        )
        self._measure()
        self.datacollector.collect(self)

    # -- population ---------------------------------------------------------------------
    @property
    def traders(self) -> list[Trader]:
        return [t for t in self.traders_by_slot if t is not None]

    def _add_traders(self, slots: list[int]) -> None:
        if not slots:
            return
        idx = np.asarray(slots)
        drawn = self.trader_params.draw(self.trader_rng, idx.size)
        self.trader_state.assign(idx, drawn)
        self._wake[idx] = step_of(self) + self.trader_rng.geometric(
            self.exchange.clock.chance(self.trader_params.activity), idx.size
        )
        if self.accounts is not None:
            tp = self.trader_params
            self.accounts.assign(idx, self._trader_weights, self.trader_rng, tp.cross_share)
            self.trader_market[idx] = self.accounts.home[idx]
        elif self.markets is not None:
            weights = self._trader_weights
            self.trader_market[idx] = self.trader_rng.choice(weights.size, idx.size, p=weights)
        for k, slot in enumerate(slots):
            self.exchange_of(slot).fund_wallet(slot, float(drawn["wealth"][k]))
            self.traders_by_slot[slot] = Trader(self, slot)

    def register_agent(self, agent: mesa.Agent) -> None:
        hold_strongly(self, type(agent))
        super().register_agent(agent)

    def exchange_of(self, slot: int) -> Exchange:
        """The market a trader slot trades in (an account's home market)."""
        return self.exchanges[self.trader_market[slot]]

    def markets_of(self, slots: np.ndarray):
        """Pairs of (market, positions in `slots` of the traders in it); an account
        trading several markets appears in each."""
        if self.accounts is not None:
            yield from self.accounts.markets_of(slots)
            return
        if self.markets is None:
            yield self.exchange, slice(None)
            return
        home = self.trader_market[slots]
        for m, ex in enumerate(self.exchanges):
            yield ex, np.flatnonzero(home == m)

    def trader_leaves(self, trader: Trader, reason: str) -> None:
        """A trader closes out, takes its wallet and its slot becomes free."""
        ex = self.exchange_of(trader.slot)
        if self.accounts is None:
            ex.close(trader.slot)
            taken = ex.empty_wallet(trader.slot)
        else:
            self.accounts.close_out(trader.slot)
            taken = sum(other.empty_wallet(trader.slot) for other in self.exchanges)
        ex.record("trader_exit", slot=trader.slot, reason=reason, withdrawn=taken)
        self.traders_by_slot[trader.slot] = None
        self._wake[trader.slot] = np.inf
        self._free.append(trader.slot)
        trader.remove()

    def _arrivals(self) -> None:
        if not self._free or self.trader_params.arrival_rate <= 0:
            return
        expected = self.exchange.clock.amount(self.trader_params.arrival_rate)
        n = min(int(self.trader_rng.poisson(expected)), len(self._free))
        self._add_traders([self._free.pop(0) for _ in range(n)])

    def wake(self, slots, steps) -> None:
        """Schedule the traders in `slots` to act at `steps`."""
        self._wake[slots] = steps

    def _due_traders(self) -> np.ndarray:
        """Slots of traders whose wake-up time has come, in random order.

        Traders choose when they next look at the market, so a step costs one vectorised
        scan plus one batch decision for those who act, not a Python call per trader.
        """
        due = np.flatnonzero(self._wake <= step_of(self))
        return self.trader_rng.permutation(due) if due.size > 1 else due

    # -- the step -----------------------------------------------------------------------
    def step(self) -> None:
        for ex in self.exchanges:
            ex.begin_step()
        self.engine_liquidations = 0
        for ex in self.exchanges:
            while not ex.at_close:
                self._cross_liquidate()
                self._liquidate(ex)
                ex.advance_bar()
        self._arrivals()
        self.act_traders(self._due_traders())
        self._queued = 0
        self._cross_liquidate()
        for ex in self.exchanges:
            self._liquidate(ex)
            self._queued += len(self.liquidation_queue)
            ex.finish_liquidations()
        for lp in self.random.sample(self.lps, len(self.lps)):
            lp.step()
        step_governance(self)
        if self.agent_sample_period and step_of(self) % self.agent_sample_period == 0:
            for ex in self.exchanges:
                ex.settle_all()
        self.exchange.ledger.verify()
        self._measure()
        self.datacollector.collect(self)
        if any(ex.market.exhausted for ex in self.exchanges):
            self.running = False

    def act_traders(self, slots: np.ndarray) -> None:
        """The traders in `slots` decide in each market they trade; an account trading
        several markets then chooses once when to look again."""
        if self.accounts is None:
            for ex, part in self.markets_of(slots):
                act(self, slots[part], ex)
            return
        alive = self.trader_state.agent_id
        for m, ex in enumerate(self.exchanges):
            here = slots[self.accounts.trades[m, slots] & (alive[slots] >= 0)]
            act(self, here, ex, schedule=False)
        schedule_accounts(self, slots)

    def _cross_liquidate(self) -> None:
        """The cross engine closes the positions of cross accounts below their total
        maintenance, largest maintenance first (cross.py), before each market's bots and
        engine, which leave cross accounts alone; it counts contagion and offset."""
        cross = self.cross
        if cross is None or not cross.mask.any():
            return
        own = [
            cross.mask
            & risk.liquidatable(ex.margins(), ex.book.size, ex.book.entry, ex.mark, ex.params)
            for ex in self.exchanges
        ]
        done = cross.liquidate()
        names = [ex.name for ex in self.exchanges]
        stats = self.cross_stats
        stats["liquidations"] += len(done)
        stats["contagion"] += sum(not own[names.index(name)][x.slot] for name, x in done)
        self.engine_liquidations += len(done)
        seen = self._offset_seen
        for m, ex in enumerate(self.exchanges):
            open_now = ex.book.size != 0
            kept = own[m] & open_now
            stats["offset"] += int(np.count_nonzero(kept & ~seen[m]))
            seen[m] |= kept
            seen[m] &= open_now

    def _liquidate(self, ex: Exchange) -> None:
        """Bots take what they will of the positions below maintenance at the mark of
        market `ex`, then its engine closes what they left."""
        queue = ex.liquidation_queue()
        self.liquidation_queue = list(
            zip(
                queue.slots.tolist(),
                queue.reward.tolist(),
                queue.closed_notional.tolist(),
                queue.fraction.tolist(),
                strict=True,
            )
        )
        for liquidator in self.random.sample(self.liquidators, len(self.liquidators)):
            liquidator.step(ex)
        self.engine_liquidations += len(ex.engine_liquidate())

    # -- measurement --------------------------------------------------------------------
    def _measure(self) -> None:
        ex, venue = self.exchange, self.markets
        mark = ex.mark
        if venue is None:
            long_oi, short_oi = ex.book.open_interest(mark)
            oi = long_oi + short_oi
            health = ex.fund.health(oi, ex.tvl())
            nav = ex.vault_nav()
            st = ex.stats
            penalty, fees = ex.fund.inflows["penalty"], _fee_inflows(ex.fund.inflows)
            lp_vault, open_positions = ex.vault.balance, int(np.count_nonzero(ex.book.size))
            halted = ex.halted
            accrued = ex.accrued()
        else:
            sides = [e.book.open_interest(e.mark) for e in self.exchanges]
            long_oi, short_oi = (float(sum(side)) for side in zip(*sides, strict=True))
            oi = long_oi + short_oi
            health = venue.health()
            nav = float(sum(e.vault_nav() for e in self.exchanges))
            st = venue.stats()
            penalty = venue.fund_inflows("penalty")
            fees = venue.fund_inflows("trading_fee") + venue.fund_inflows("borrow_fee")
            lp_vault = float(sum(e.vault.balance for e in self.exchanges))
            open_positions = sum(int(np.count_nonzero(e.book.size)) for e in self.exchanges)
            halted = any(e.halted for e in self.exchanges)
            accrued = float(sum(e.accrued() for e in self.exchanges))
            self._market_rows.extend(venue.rows(step_of(self)))
        target = ex.params.fund_target
        fund_to_oi = health.balance / oi if oi > 0 else math.nan
        ratio = target_ratio(health, ex.params.fund_target_basis)
        self.fund_confidence = (
            2.0 if oi <= 0 or target <= 0 or not math.isfinite(ratio) else min(2.0, ratio / target)
        )
        price_per_share = ex.vault.share_price(nav)
        self._share_prices.append(price_per_share)
        peak = max(self._share_prices)
        self.vault_drawdown = 1.0 - price_per_share / peak if peak > 0 else 0.0
        hours = (len(self._share_prices) - 1) * ex.market.params.step_hours
        if hours > 0 and self._share_prices[0] > 0:
            growth = price_per_share / self._share_prices[0] - 1.0
            self.vault_yield = growth * 24 * 365 / hours
        self.metrics = {
            "price": ex.price,
            "oracle_price": mark,
            "open_interest": oi,
            "long_oi": long_oi,
            "short_oi": short_oi,
            "insurance_fund": health.balance,
            "fund_to_oi": fund_to_oi,
            "fund_to_tvl": health.fund_to_tvl,
            "fund_drawdown": health.drawdown,
            "bad_debt": st.bad_debt,
            "bad_debt_step": st.bad_debt_step,
            "fund_covered": st.fund_covered,
            "lp_loss": st.lp_loss,
            "adl_volume": st.adl_volume,
            "adl_covered": st.adl_covered,
            "adl_excess_profit": st.adl_excess,
            "socialized_loss": st.socialized_loss,
            "unresolved_bad_debt": st.unresolved,
            "liquidations": st.liquidations,
            "liquidation_volume": st.liquidation_volume,
            "liquidation_queue": self._queued,
            "fund_inflow_penalty": penalty,
            "fund_inflow_fees": fees,
            "current_penalty_rate": ex.params.penalty_rate,
            "current_penalty_fund_share": ex.params.penalty_fund_share,
            "current_fund_fee_share": ex.params.fund_fee_share,
            "current_max_leverage": ex.params.max_leverage,
            "treasury_balance": ex.treasury,
            "lp_vault": lp_vault,
            "vault_nav": nav,
            "active_traders": self.n_traders - len(self._free),
            "open_positions": open_positions,
            "halted": halted,
            "funding_rate": ex.funding_rate,
            "funding_paid_longs": st.funding_paid_longs,
            "funding_paid_shorts": st.funding_paid_shorts,
            "pool_net_funding": st.pool_net_funding,
            "accrued_unsettled": accrued,
            "socialized_funding": st.socialized_funding,
        }

    # -- outputs ------------------------------------------------------------------------
    @property
    def events(self) -> list[dict]:
        return self.exchange.events

    def events_frame(self) -> pd.DataFrame:
        """Every liquidation, bad-debt cover, ADL, halt and parameter change as a table.

        A field only some kinds have (a slot, a proposal id) is empty in the other rows;
        integer fields stay integers (nullable `Int64`) instead of becoming floats.
        """
        frame = pd.DataFrame(self.events, columns=None if self.events else ["step", "kind"])
        for column in frame.columns:
            values = [e[column] for e in self.events if e.get(column) is not None]
            if values and all(_is_int(v) for v in values):
                frame[column] = frame[column].astype("Int64" if len(values) < len(frame) else int)
        return frame

    def check(self) -> None:
        """Raise if money was created or lost, or a balance is negative, NaN or infinite.

        `step` runs the ledger's cheap conservation check every step; this is the full one.
        With several markets, each market's waterfall must add up too.
        """
        if self.markets is not None:
            self.markets.check()
        else:
            self.exchange.check()

    def market_rows(self, start: int = 0) -> list[dict]:
        """The per-market rows of `market_frame` from row `start` on (one per market per
        step, markets in order; empty for a single market): a reader that keeps its
        place reads only the new rows, where the frame rebuilds every row."""
        return self._market_rows[start:]

    def market_frame(self) -> pd.DataFrame:
        """One row per step and market (market as a column): open interest, the fund the
        market draws on, what it put in and was paid, bad debt by stage, liquidations.

        The model columns are the totals of these; a single market gets one name,
        ``market``, and the figures of the model frame.
        """
        if self.markets is not None:
            return pd.DataFrame(self._market_rows)
        frame = self.datacollector.get_model_vars_dataframe()
        out = pd.DataFrame(
            {
                "step": np.arange(len(frame)),
                "market": "market",
                **{c: frame[c].to_numpy() for c in SINGLE_MARKET_COLUMNS},
                "fund_balance": frame["insurance_fund"].to_numpy(),
                "fund_paid": frame["fund_covered"].to_numpy(),
            }
        )
        return out
