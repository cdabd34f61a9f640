"""Several perpetual markets on one venue: one `Exchange` per market on one ledger.

Each market keeps its own book, oracle, parameters, LP vault and loss waterfall; the
venue holds the ledger, the treasury and the insurance fund, whose scope is

* ``shared``: one fund backs every market (Binance's fund for its USDⓈ-M contracts);
* ``isolated``: each market has a fund of its own and never pays another market's loss
  (dYdX v4's isolated markets);
* ``shared_capped``: one fund, but each market may draw at most its `fund_cap` over the
  run (Drift's per-market `quote_max_insurance`: tier A $100M, B $1M, C $100k,
  speculative 0).

The scope works through the waterfall's `LossBearers` protocol: every market's
`fund_pays` draws on its fund account, and a shared fund is one account that each
market reaches through a view counting that market's own inflows and payouts. Prices
follow a common factor by each market's beta (`factor.py`). Totals are sums over the
markets; nothing is stored twice.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np

from .exchange import Exchange, Stats
from .factor import CommonFactor, FactorParams, Loading
from .fund import FundHealth, InsuranceFund, health_of
from .ledger import Ledger
from .market import FlashCrash, MarketParams, Shock, Trend, load_price_csv
from .oracle import OracleParams
from .params import ExchangeParams, check_range
from .venue_changes import injection_split, venue_change

FUND_SCOPES = ("shared", "isolated", "shared_capped")

TIERS = {
    "major": (0.02, 0.012, 100_000_000.0),
    "mid": (0.05, 0.03, 1_000_000.0),
    "small": (0.10, 0.05, 100_000.0),
    "long_tail": (0.20, 0.10, 0.0),
}
"""Liquidity tiers: dYdX v4's initial margin and maintenance (IM × 0.6 for large and mid
caps, × 0.5 for small caps and the long tail), and Drift's per-market fund cap of the
matching tier (A, B, C, speculative)."""

MARKET_INFLOWS = ("penalty", "trading_fee", "borrow_fee")
"""What a market itself puts into its fund (seeds and injections are the venue's)."""

IDENTITY_TOLERANCE = 1e-6
"""Relative gap allowed between bad debt and the sum of what the stages absorbed."""


@dataclass(frozen=True)
class MarketSetup:
    """One market of a venue: its rules, price process, oracle and place in the venue.

    `beta` loads the price on the common factor; `fund_weight` is this market's share of
    the initial fund when funds are isolated; `fund_cap` is the most a shared fund pays
    for this market over the run under ``shared_capped``. `isolated` gives this market a
    fund of its own (seeded with its `fund_weight` share) inside a venue whose other
    markets share one: dYdX v4's isolated markets beside its cross markets.
    """

    name: str
    params: ExchangeParams
    market: MarketParams
    oracle: OracleParams
    beta: float = 0.0
    fund_weight: float = 1.0
    fund_cap: float = math.inf
    isolated: bool = False

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name or ":" in self.name:
            raise ValueError(f"market name must be non-empty without '/' or ':', got {self.name!r}")
        check_range(f"{self.name}.fund_weight", self.fund_weight, 0.0, 1e12)
        check_range(f"{self.name}.fund_cap", self.fund_cap, 0.0, math.inf)


class Markets:
    """A venue of several markets sharing one ledger, treasury and (by scope) fund."""

    def __init__(
        self,
        setups: Sequence[MarketSetup],
        *,
        fund_scope: str = "shared",
        factor: FactorParams | None = None,
        capacity: int = 1000,
        fund_seed: float = 250_000.0,
        treasury_seed: float = 2_000_000.0,
        rng: np.random.Generator | None = None,
    ) -> None:
        if fund_scope not in FUND_SCOPES:
            raise ValueError(f"fund_scope must be one of {list(FUND_SCOPES)}, got {fund_scope!r}")
        if not setups:
            raise ValueError("markets must list at least one market")
        names = [s.name for s in setups]
        if len(set(names)) != len(names):
            raise ValueError(f"market names must be distinct, got {names}")
        hours = {s.market.step_hours for s in setups}
        if len(hours) > 1:
            raise ValueError(f"every market must have the same step_hours, got {sorted(hours)}")
        self.fund_scope = fund_scope
        self.ledger = Ledger()
        self.events: list[dict] = []
        self.treasury_id = self.ledger.open(Exchange.TREASURY)
        if treasury_seed:
            self.ledger.deposit(self.treasury_id, treasury_seed, source="treasury_seed")
        own = [fund_scope == "isolated" or s.isolated for s in setups]
        weights = np.array([s.fund_weight for s in setups])
        seeds = fund_seed * weights / weights.sum() if weights.sum() > 0 else 0 * weights
        self.shared_fund = None if all(own) else InsuranceFund(self.ledger)
        shared_seed = fund_seed if not any(own) else float(seeds[~np.array(own)].sum())
        if self.shared_fund is not None and shared_seed:
            self.shared_fund.seed(shared_seed)
        rng = rng or np.random.default_rng()
        factor_rng, *market_rngs = rng.spawn(1 + len(setups))
        self.factor = CommonFactor(factor or FactorParams(), hours.pop(), factor_rng)
        self.markets: list[Exchange] = []
        for setup, seed, alone, market_rng in zip(
            setups, seeds.tolist(), own, market_rngs, strict=True
        ):
            params = setup.params
            if fund_scope == "shared_capped" and not alone:
                cap = min(params.fund_cover_cap_total, setup.fund_cap)
                params = params.updated(fund_cover_cap_total=cap)
            ex = Exchange(
                params,
                setup.market,
                setup.oracle,
                capacity=capacity,
                fund_seed=seed if alone else 0.0,
                treasury_seed=0.0,
                rng=market_rng,
                ledger=self.ledger,
                name=setup.name,
                fund=None if alone else self.shared_fund.share(),
                treasury_id=self.treasury_id,
                loading=Loading(self.factor, setup.beta),
            )
            ex.events = self.events
            self.markets.append(ex)
        self._peak = 0.0

    def __iter__(self) -> Iterator[Exchange]:
        return iter(self.markets)

    def __len__(self) -> int:
        return len(self.markets)

    def __getitem__(self, key: int | str) -> Exchange:
        if isinstance(key, str):
            for ex in self.markets:
                if ex.name == key:
                    return ex
            raise KeyError(f"no market named {key!r}; markets: {self.names}")
        return self.markets[key]

    @property
    def names(self) -> list[str]:
        return [ex.name for ex in self.markets]

    # -- the step's parts, market by market ---------------------------------------------
    def begin_step(self) -> None:
        for ex in self.markets:
            ex.begin_step()

    def finish_liquidations(self) -> None:
        for ex in self.markets:
            ex.finish_liquidations()

    # -- totals -------------------------------------------------------------------------
    def fund_ids(self) -> list[int]:
        """The distinct fund accounts: one shared, or one per market."""
        return sorted({ex.fund.id for ex in self.markets})

    def fund_balance(self) -> float:
        return float(sum(self.ledger.balance(i) for i in self.fund_ids()))

    def has_own_fund(self, key: int | str) -> bool:
        """Whether a market keeps a fund of its own (isolated scope, or `isolated = true`
        beside a shared fund) rather than drawing on the shared one."""
        return self.shared_fund is None or self[key].fund.id != self.shared_fund.id

    def open_interest(self) -> float:
        return float(sum(ex.open_interest() for ex in self.markets))

    def tvl(self) -> float:
        """Vaults, funds and traders' margins, each counted once."""
        held = sum(ex.vault.balance + float(ex.book.margin.sum()) for ex in self.markets)
        return float(held) + self.fund_balance()

    def health(self) -> FundHealth:
        """The funds together against the venue's open interest, TVL and their peak."""
        balance, oi, tvl = self.fund_balance(), self.open_interest(), self.tvl()
        self._peak = max(self._peak, balance)
        return health_of(balance, self._peak, oi, tvl)

    def stats(self) -> Stats:
        """Every counter summed over the markets (halted steps: the most of any market)."""
        total = Stats()
        for f in fields(Stats):
            values = [getattr(ex.stats, f.name) for ex in self.markets]
            setattr(total, f.name, max(values) if f.name == "halted_steps" else sum(values))
        return total

    def fund_inflows(self, source: str) -> float:
        """What every market's penalties or fees put into its fund (seeds and injections
        into a shared fund are the venue's own)."""
        counted = sum(ex.fund.inflows[source] for ex in self.markets)
        if self.shared_fund is not None:
            counted += self.shared_fund.inflows[source]
        return float(counted)

    def rows(self, step: int) -> list[dict]:
        """One row per market: prices, open interest, the fund it draws on, bad debt by
        stage, liquidations and the market's own funding."""
        paid = [ex.fund.outflows["bad_debt"] for ex in self.markets]
        total_paid = sum(paid)
        out = []
        for ex, paid_k in zip(self.markets, paid, strict=True):
            long_oi, short_oi = ex.book.open_interest(ex.mark)
            st = ex.stats
            out.append(
                {
                    "step": step,
                    "market": ex.name,
                    "price": ex.price,
                    "oracle_price": ex.mark,
                    "open_interest": long_oi + short_oi,
                    "long_oi": long_oi,
                    "short_oi": short_oi,
                    "fund_balance": ex.fund.balance,
                    "fund_inflow": float(sum(ex.fund.inflows[k] for k in MARKET_INFLOWS)),
                    "fund_paid": paid_k,
                    "fund_share": paid_k / total_paid if total_paid > 0 else 0.0,
                    "bad_debt": st.bad_debt,
                    "bad_debt_step": st.bad_debt_step,
                    "fund_covered": st.fund_covered,
                    "lp_loss": st.lp_loss,
                    "adl_covered": st.adl_covered,
                    "adl_volume": st.adl_volume,
                    "socialized_loss": st.socialized_loss,
                    "unresolved_bad_debt": st.unresolved,
                    "liquidations": st.liquidations,
                    "liquidation_volume": st.liquidation_volume,
                    "lp_vault": ex.vault.balance,
                    "halted": ex.halted,
                    "funding_rate": ex.funding_rate,
                    "funding_paid_longs": st.funding_paid_longs,
                    "funding_paid_shorts": st.funding_paid_shorts,
                    "pool_net_funding": st.pool_net_funding,
                }
            )
        return out

    # -- the venue as governance sees it (governance.interfaces.ExchangeLike) ------------
    @property
    def params(self) -> ExchangeParams:
        """The reference (first) market's rules: the values a proposal is stated in."""
        return self.markets[0].params

    @property
    def step(self) -> int:
        return self.markets[0].step

    @property
    def treasury(self) -> float:
        return self.ledger.balance(self.treasury_id)

    def fund_health(self) -> FundHealth:
        return self.health()

    def record(self, kind: str, **data) -> None:
        """A venue-level event (no `market` field)."""
        self.events.append({"step": self.step, "kind": kind, **data})

    def set_param(self, name: str, value) -> None:
        """Apply one governed change to every market: margins scale, the rest is one
        venue-wide value (`venue_changes.venue_change`); all markets or none."""
        if name not in ExchangeParams.GOVERNABLE:
            raise ValueError(
                f"{name!r} is not governable; governable: {list(ExchangeParams.GOVERNABLE)}"
            )
        new = venue_change([(ex.name, ex.params) for ex in self.markets], name, value)
        for ex, params in zip(self.markets, new, strict=True):
            old = getattr(ex.params, name)
            if params != ex.params:
                ex.params = params
                ex.record("param_change", name=name, old=old, new=getattr(params, name))

    def inject_from_treasury(self, amount: float) -> float:
        """Treasury money into the shared fund; with isolated funds, split by each
        market's gap to its target (`venue_changes.injection_split`)."""
        amount = min(max(amount, 0.0), self.treasury)
        if amount <= 0:
            return 0.0
        if self.shared_fund is not None:
            moved = self.ledger.transfer(self.treasury_id, self.shared_fund.id, amount)
            self.shared_fund.note_inflow("injection", moved)
            self.record("injection", amount=moved)
            return moved
        oi = [ex.open_interest() for ex in self.markets]
        gaps = [
            ex.params.fund_target * (ex.tvl() if ex.params.fund_target_basis == "tvl" else o)
            - ex.fund.balance
            for ex, o in zip(self.markets, oi, strict=True)
        ]
        parts = injection_split(amount, gaps, oi)
        return float(
            sum(ex.inject_from_treasury(part) for ex, part in zip(self.markets, parts, strict=True))
        )

    def identity_gaps(self) -> dict[str, float]:
        """Per market, bad debt less what the stages absorbed (zero to rounding)."""
        return {ex.name: waterfall_gap(ex.stats) for ex in self.markets}

    def check(self) -> None:
        """Raise if value was created or lost, or a market's waterfall does not add up."""
        for ex in self.markets:
            ex.check()
            gap = waterfall_gap(ex.stats)
            if abs(gap) > IDENTITY_TOLERANCE * max(1.0, ex.stats.bad_debt):
                raise ValueError(f"market {ex.name}: waterfall misses {gap:g} of bad debt")


def waterfall_gap(st: Stats) -> float:
    stages = st.fund_covered + st.lp_loss + st.adl_covered + st.socialized_loss + st.unresolved
    return st.bad_debt - stages


ENTRY_FIELDS = (
    "name",
    "tier",
    "beta",
    "weight",
    "liquidity",
    "fund_weight",
    "fund_cap",
    "isolated",
    "market",
    "oracle",
    "exchange",
)
"""The keys of one `[[markets]]` entry. `weight` (its share of traders) and `liquidity`
(its share of LPs) are the agents' business; the rest sets the market up."""

SHOCKS = {"flash_crash": FlashCrash, "trend": Trend}


def as_shocks(shocks, where: str) -> tuple:
    """Shocks as dataclasses, from dataclasses or from tables with a `kind`."""
    out = []
    for i, shock in enumerate(shocks):
        if isinstance(shock, dict):
            shock = dict(shock)
            kind = shock.pop("kind", None)
            if kind not in SHOCKS:
                raise ValueError(f"{where}[{i}].kind must be one of {list(SHOCKS)}, got {kind!r}")
            shock = SHOCKS[kind](**shock)
        out.append(shock)
    return tuple(out)


def _replaced(obj, changes: dict, where: str):
    known = {f.name for f in fields(obj)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ValueError(f"{where} has unknown fields {unknown}")
    if "shocks" in changes:
        changes = {**changes, "shocks": as_shocks(changes["shocks"], f"{where}.shocks")}
    try:
        out = replace(obj, **changes)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}.{exc}") from None
    if changes.get("replay_path"):
        load_price_csv(out.replay_path, f"{where}.replay_path", out.replay_column)
    return out


def _frozen(value):
    """TOML arrays (tiers, a waterfall) as the tuples `ExchangeParams` holds."""
    return tuple(_frozen(v) for v in value) if isinstance(value, list) else value


def _flag(name: str, value) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return bool(value)


def _with_shocks(market: MarketParams, shocks: tuple[Shock, ...]) -> MarketParams:
    return replace(market, shocks=(*market.shocks, *shocks)) if shocks else market


def setups_from(
    entries: Sequence[dict],
    exchange: ExchangeParams,
    market: MarketParams,
    oracle: OracleParams,
    shocks: tuple[Shock, ...] = (),
) -> list[MarketSetup]:
    """Markets from `[[markets]]` entries, each starting from the venue's own `exchange`,
    `market` and `oracle` settings; a `tier` sets the margins and the default fund cap.
    `shocks` are added to every market's own (the model's extra flash crash hits every
    market, whatever shocks an entry sets). Errors name the entry and its field, e.g.
    ``markets[1].beta``."""
    setups = []
    for i, entry in enumerate(entries):
        where = f"markets[{i}]"
        unknown = sorted(set(entry) - set(ENTRY_FIELDS))
        if unknown:
            raise ValueError(f"{where} has unknown fields {unknown}; known: {list(ENTRY_FIELDS)}")
        if not entry.get("name"):
            raise ValueError(f"{where}.name is required")
        tier = entry.get("tier")
        margins: dict[str, float] = {}
        cap = math.inf
        if tier is not None:
            if tier not in TIERS:
                raise ValueError(f"{where}.tier must be one of {list(TIERS)}, got {tier!r}")
            im, mm, cap = TIERS[tier]
            margins = {"initial_margin": im, "maintenance_margin": mm}
        try:
            own = {k: _frozen(v) for k, v in entry.get("exchange", {}).items()}
            params = exchange.updated(**{**margins, **own})
        except ValueError as exc:
            raise ValueError(f"{where}.exchange: {exc}") from None
        for key in ("beta", "fund_weight", "fund_cap", "weight", "liquidity"):
            if key in entry:
                lo, hi = (-10.0, 10.0) if key == "beta" else (0.0, math.inf)
                check_range(f"{where}.{key}", entry[key], lo, hi)
        try:
            setup = MarketSetup(
                str(entry["name"]),
                params,
                _with_shocks(_replaced(market, entry.get("market", {}), f"{where}.market"), shocks),
                _replaced(oracle, entry.get("oracle", {}), f"{where}.oracle"),
                beta=float(entry.get("beta", 0.0)),
                fund_weight=float(entry.get("fund_weight", 1.0)),
                fund_cap=float(entry.get("fund_cap", cap)),
                isolated=_flag(f"{where}.isolated", entry.get("isolated", False)),
            )
        except ValueError as exc:
            if str(exc).startswith(where):
                raise
            raise ValueError(f"{where}: {exc}") from None
        setups.append(setup)
    return setups
