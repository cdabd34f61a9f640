"""The scenario schema: pydantic v2 models built from the simulation's own dataclasses.

Each section of a scenario file (`exchange`, `market`, `oracle`, `traders`, ...) is a
pydantic model generated from the parameter dataclass it configures, so the two cannot
drift apart: the field names, types and defaults come from the dataclass, and after the
types are checked the dataclass itself is constructed so that its ranges and cross-field
rules (maintenance below initial margin, fee shares summing to at most one, ...) apply
too. Every model forbids unknown keys and checks types strictly (a string is never
silently read as a number). Errors are collected into one `ScenarioError` whose message
names the field path, e.g. ``exchange.maintenance_margin``, and the allowed values.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ..agents.params import MARGIN_MODES, STYLES, LiquidatorParams, LPParams, TraderParams
from ..exchange.factor import FactorParams
from ..exchange.funding import FUNDING_RULES
from ..exchange.mark import MARK_PRICES
from ..exchange.market import FlashCrash, MarketParams, Trend, load_price_csv
from ..exchange.markets import FUND_SCOPES, TIERS, setups_from
from ..exchange.oracle import OracleParams
from ..exchange.params import (
    ADL_PRICES,
    ADL_RANKINGS,
    FUND_TARGET_BASES,
    LIQUIDATION_PATHS,
    VENUES,
    WATERFALL_STAGES,
    ExchangeParams,
    check_range,
)
from ..exchange.ranges import Range, field_range
from ..governance.params import GovernanceParams
from ..params import DEFAULTS, RANGES
from .errors import ScenarioError

STRICT = ConfigDict(extra="forbid", strict=True, validate_default=True)

INFO_FIELDS = (
    "description",
    "what_is_it",
    "how_it_works",
    "how_to_use_it",
    "things_to_notice",
    "things_to_try",
)


# -- turning dataclass annotations into pydantic types ---------------------------------
def _as_tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _pyd_type(tp: Any, path: str, special: dict[str, Any]) -> Any:
    """The pydantic annotation that checks a value of dataclass annotation `tp`.

    Variable-length tuples become lists (TOML has arrays, not tuples); fixed tuples
    accept arrays; nested dataclasses become nested section models.
    """
    if path in special:
        return special[path]
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        return section_model(tp, path, special=special)
    if origin in (types.UnionType, typing.Union):
        return typing.Union[tuple(_pyd_type(a, path, special) for a in args)]  # noqa: UP007
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return list[_pyd_type(args[0], f"{path}[]", special)]
        inner = tuple(_pyd_type(a, f"{path}[]", special) for a in args)
        return Annotated[tuple[inner], BeforeValidator(_as_tuple)]
    if origin is list:
        return list[_pyd_type(args[0], f"{path}[]", special)]
    if origin is dict:
        return dict[_pyd_type(args[0], f"{path}{{}}", special), _pyd_type(args[1], path, special)]
    return tp


def _plain(value: Any) -> Any:
    """A dataclass default as TOML would give it: tuples as lists, dataclasses as tables."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _native(value: Any, tp: Any) -> Any:
    """Convert a validated pydantic value back to what the dataclass field expects."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if isinstance(value, BaseModel):
        return value.to_params() if hasattr(value, "to_params") else value
    if origin in (types.UnionType, typing.Union):
        for a in args:
            if a is type(None) and value is None:
                return None
        non_none = [a for a in args if a is not type(None)]
        return _native(value, non_none[0]) if len(non_none) == 1 else value
    if origin is tuple and isinstance(value, list | tuple):
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_native(v, args[0]) for v in value)
        return tuple(_native(v, a) for v, a in zip(value, args, strict=False))
    if origin is dict and isinstance(value, dict):
        return {k: _native(v, args[1]) for k, v in value.items()}
    if origin is list and isinstance(value, list | tuple):
        return [_native(v, args[0]) for v in value]
    return value


def _qualify(path: str, msg: str, names: typing.Iterable[str]):
    """Split a dataclass message into a separator and the text to put after a field path.

    `check_range("maintenance_margin", ...)` says ``maintenance_margin must be ...``;
    inside the `exchange` section that becomes ``exchange.maintenance_margin must be ...``
    (separator "."). A message that does not start with a field name gets ": ".
    """
    last = path.rsplit(".", 1)[-1].split("[", 1)[0]
    msg = msg.removeprefix(f"{last}.")
    for name in sorted(names, key=len, reverse=True):
        if re.match(rf"{re.escape(name)}\b", msg):
            return ".", msg
    return ": ", msg


def section_model(
    cls: type,
    path: str,
    *,
    special: dict[str, Any] | None = None,
    extra: dict[str, tuple[Any, Any]] | None = None,
) -> type[BaseModel]:
    """A strict pydantic model for dataclass `cls`, reported under the field path `path`.

    `special` maps field paths to hand-written annotations (e.g. a literal list of
    allowed values); `extra` adds fields that are not in the dataclass (they are left out
    of `to_params()`, which builds the validated dataclass).
    """
    special = special or {}
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    dc_fields = [f for f in dataclasses.fields(cls) if f.init]
    for f in dc_fields:
        tp = hints[f.name]
        ann = _pyd_type(tp, f"{path}.{f.name}", special)
        if (allowed := field_range(f)) is not None:
            ann = Annotated[ann, AfterValidator(_in_range(allowed))]
        if f.default is not dataclasses.MISSING:
            default = Field(default_factory=lambda v=f.default: _plain(v))
        elif f.default_factory is not dataclasses.MISSING:
            default = Field(default_factory=lambda make=f.default_factory: _plain(make()))
        else:
            default = ...
        fields[f.name] = (ann, default)
    fields.update(extra or {})
    names = [f.name for f in dc_fields]

    def to_params(self):
        return cls(**{n: _native(getattr(self, n), hints[n]) for n in names})

    def _check(self):
        try:
            self.to_params()
        except (ValueError, TypeError) as exc:
            sep, text = _qualify(path, str(exc), names)
            raise PydanticCustomError(
                "scenario_rule", "{text}", {"sep": sep, "text": text}
            ) from None
        return self

    model = create_model(
        f"{cls.__name__}Section",
        __config__=STRICT,
        __doc__=f"The `{path}` section: the fields of `{cls.__module__}.{cls.__name__}`.",
        __validators__={"check_dataclass": model_validator(mode="after")(_check)},
        **fields,
    )
    model.to_params = to_params
    return model


def _in_range(allowed: Range) -> Callable[[Any], Any]:
    """A field's own range, checked where pydantic knows the field's whole path."""

    def check(v):
        if v is not None and (problem := allowed.problem(v)):
            raise PydanticCustomError("scenario_rule", "{text}", {"sep": " ", "text": problem})
        return v

    return check


# -- ranges for the fields that are not in any dataclass --------------------------------
def _ranged(name: str, lo: float, hi: float, **kw: bool) -> Callable[[Any], Any]:
    def check(v):
        check_range(name, v, lo, hi, **kw)
        return v

    return AfterValidator(check)


def _keyword(kind: type, key: str) -> Any:
    """A model keyword's type with its range from `abm.params.RANGES`."""
    return Annotated[kind, AfterValidator(_in_range(RANGES[key]))]


# -- shocks: a discriminated list of tables ---------------------------------------------
FlashCrashSection = section_model(
    FlashCrash,
    "market.shocks[]",
    extra={"kind": (Literal["flash_crash"], ...)},
)
TrendSection = section_model(
    Trend,
    "market.shocks[]",
    extra={"kind": (Literal["trend"], ...)},
)
Shock = Annotated[FlashCrashSection | TrendSection, Field(discriminator="kind")]

_EXCHANGE_SPECIAL = {
    "exchange.waterfall": list[Literal[WATERFALL_STAGES]],
    "exchange.adl_ranking": Literal[ADL_RANKINGS],
    "exchange.adl_price": Literal[ADL_PRICES],
    "exchange.fund_target_basis": Literal[FUND_TARGET_BASES],
    "exchange.liquidation_path": Literal[LIQUIDATION_PATHS],
    "exchange.venue": Literal[VENUES],
    "exchange.funding_rule": Literal[FUNDING_RULES],
    "exchange.mark_price": Literal[MARK_PRICES],
}
_TRADER_SPECIAL = {
    "traders.mix": dict[Literal[STYLES], float],
    "traders.leverage": dict[Literal[STYLES], float],
    "traders.margin": Literal[MARGIN_MODES],
}


def _check_replay(path: str | None) -> str | None:
    """The file and its `close` column; a file without one may hold a column per market,
    which the scenario checks against `replay_column` (`Scenario._check_replays`)."""
    if path is not None:
        try:
            load_price_csv(path, field="market.replay_path")
        except ValueError as exc:
            if "missing ['close']" not in str(exc):
                raise
    return path


ExchangeSection = section_model(
    ExchangeParams,
    "exchange",
    special=_EXCHANGE_SPECIAL,
    extra={
        "initial_fund": (_keyword(float, "initial_fund"), DEFAULTS["initial_fund"]),
        "treasury": (_keyword(float, "treasury"), DEFAULTS["treasury"]),
    },
)
_MarketFields = section_model(
    MarketParams,
    "market",
    special={
        "market.shocks": list[Shock],
        "market.replay_path": Annotated[str | None, AfterValidator(_check_replay)],
    },
)


class MarketSection(_MarketFields):
    """The `market` section, its step length resolved (a replay file's spacing when unset),
    so that a saved or shown scenario says how long its steps are."""

    @model_validator(mode="after")
    def _resolve_step(self):
        if self.step_hours is None:
            self.step_hours = self.to_params().step_hours
        return self


OracleSection = section_model(OracleParams, "oracle")
TradersSection = section_model(
    TraderParams,
    "traders",
    special=_TRADER_SPECIAL,
    extra={"count": (_keyword(int, "n_traders"), DEFAULTS["n_traders"])},
)


FactorSection = section_model(FactorParams, "factor", special={"factor.shocks": list[Shock]})
LiquidatorsSection = section_model(LiquidatorParams, "liquidators")
LPsSection = section_model(LPParams, "lps")
GovernanceSection = section_model(GovernanceParams, "governance")


class Info(BaseModel):
    """Classroom text shown by the browser app (NetLogo's Info tab)."""

    model_config = STRICT
    title: str = ""
    description: str = ""
    what_is_it: str = ""
    how_it_works: str = ""
    how_to_use_it: str = ""
    things_to_notice: str = ""
    things_to_try: str = ""


class Run(BaseModel):
    """How long to run and with which seed."""

    model_config = STRICT
    steps: Annotated[int, _ranged("steps", 1, 10**8)] = 2000
    seed: Annotated[int, _ranged("seed", 0, 2**63 - 1)] = 0
    agent_sample_period: _keyword(int, "agent_sample_period") = DEFAULTS["agent_sample_period"]


class MarketEntry(BaseModel):
    """One `[[markets]]` table: a market of a venue with several. Its `market`, `oracle`
    and `exchange` tables change the scenario's own sections for this market only; a
    `tier` (dYdX's liquidity tiers) sets its margins and its default `fund_cap`."""

    model_config = STRICT
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    tier: Literal[tuple(TIERS)] | None = None
    beta: Annotated[float, _ranged("beta", -10.0, 10.0)] = 0.0
    weight: Annotated[float, _ranged("weight", 0.0, 1e12)] = 1.0
    liquidity: Annotated[float, _ranged("liquidity", 0.0, 1e12)] = 1.0
    fund_weight: Annotated[float, _ranged("fund_weight", 0.0, 1e12)] = 1.0
    fund_cap: Annotated[float, _ranged("fund_cap", 0.0, float("inf"))] | None = None
    isolated: bool | None = None
    market: dict[str, Any] = Field(default_factory=dict)
    oracle: dict[str, Any] = Field(default_factory=dict)
    exchange: dict[str, Any] = Field(default_factory=dict)


class Scenario(BaseModel):
    """A complete, validated scenario: market, oracle, exchange, agents, governance and
    run settings, plus the classroom text in `info`. `name`, `extends` and `source` say
    where it came from."""

    model_config = STRICT
    name: str = ""
    extends: str | None = None
    source: str | None = None
    info: Info = Field(default_factory=Info)
    run: Run = Field(default_factory=Run)
    market: MarketSection = Field(default_factory=MarketSection)
    oracle: OracleSection = Field(default_factory=OracleSection)
    exchange: ExchangeSection = Field(default_factory=ExchangeSection)
    traders: TradersSection = Field(default_factory=TradersSection)
    liquidators: LiquidatorsSection = Field(default_factory=LiquidatorsSection)
    lps: LPsSection = Field(default_factory=LPsSection)
    governance: GovernanceSection = Field(default_factory=GovernanceSection)
    fund_scope: Literal[FUND_SCOPES] = "shared"
    factor: FactorSection = Field(default_factory=FactorSection)
    markets: list[MarketEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_markets(self):
        """Each market entry over the scenario's own sections must make a valid market,
        every replayed series must have the column it is read from, and accounts may
        trade at most the markets traders are spread over."""
        try:
            for where, params in (("market", self.market), ("factor", self.factor)):
                p = params.to_params()
                if p.replay_path:
                    load_price_csv(p.replay_path, f"{where}.replay_path", p.replay_column)
            setups_from(
                self.market_entries(),
                self.exchange.to_params(),
                self.market.to_params(),
                self.oracle.to_params(),
            )
            entries = self.market_entries()
            traded = sum(float(e.get("weight", 1.0)) > 0 for e in entries) if entries else 1
            self.traders.to_params().check_markets(traded)
        except ValueError as exc:
            raise PydanticCustomError(
                "scenario_rule", "{text}", {"sep": "", "text": str(exc)}
            ) from None
        return self

    def market_entries(self) -> list[dict[str, Any]]:
        return [m.model_dump(exclude_none=True) for m in self.markets]

    def model_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `ExchangeModel` (nested sections as dicts)."""
        kwargs: dict[str, Any] = {
            "rng": self.run.seed,
            "agent_sample_period": self.run.agent_sample_period,
            "n_traders": self.traders.count,
            "initial_fund": self.exchange.initial_fund,
            "treasury": self.exchange.treasury,
        }
        for name in SECTION_NAMES:
            params = getattr(self, name).to_params()
            kwargs[name] = {
                f.name: getattr(params, f.name) for f in dataclasses.fields(params) if f.init
            }
        if self.markets:
            kwargs["markets"] = self.market_entries()
            kwargs["fund_scope"] = self.fund_scope
            factor = self.factor.to_params()
            kwargs["factor"] = {f.name: getattr(factor, f.name) for f in dataclasses.fields(factor)}
        return kwargs

    def to_dict(self) -> dict[str, Any]:
        """Every field, with `name`, `extends` and `source` left out: what a TOML file holds."""
        return self.model_dump(mode="python", exclude={"name", "extends", "source"})


SECTION_NAMES = ("market", "oracle", "exchange", "traders", "liquidators", "lps", "governance")
"""The sections that configure the model (all but `info` and `run`)."""


# -- error messages ---------------------------------------------------------------------
def _allowed_keys(loc: tuple) -> list[str]:
    model: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        ann = field.annotation
        candidates = [ann, *typing.get_args(ann)]
        nxt = None
        for c in candidates:
            for cc in [c, *typing.get_args(c)]:
                if isinstance(cc, type) and issubclass(cc, BaseModel):
                    nxt = cc
                    break
            if nxt:
                break
        if nxt is None:
            return []
        model = nxt
    return sorted(model.model_fields) if hasattr(model, "model_fields") else []


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]" or (part in ("flash_crash", "trend") and out.endswith("]")):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


_TYPE_WORDS = {
    "float_type": "a number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "string_type": "a string",
    "list_type": "an array",
    "tuple_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}


def describe_error(err: dict) -> str:
    """One pydantic error as ``path must be ..., got ...``."""
    loc = tuple(err["loc"])
    kind = err["type"]
    path = _path(loc)
    got = err.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc)
        key = loc[-1]
        hint = difflib.get_close_matches(str(key), allowed, n=1)
        parent = _path(loc[:-1])
        where = f" in {parent}" if parent else ""
        text = f"unknown key {path!r}{where}"
        if hint:
            text += f" (did you mean {hint[0]!r}?)"
        return f"{text}; allowed keys: {', '.join(allowed)}"
    if kind == "scenario_rule":
        ctx = err.get("ctx", {})
        return f"{path}{ctx.get('sep', ': ')}{ctx.get('text', err['msg'])}"
    if kind == "value_error":
        msg = err["msg"].removeprefix("Value error, ")
        if msg.startswith(("market.replay_path", "factor.replay_path")):
            return msg
        name = str(loc[-1]) if loc else ""
        if name and msg.startswith(name):
            return f"{path}{msg[len(name) :]}"
        return f"{path}: {msg}"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        key_note = " (as a key)" if loc and loc[-1] == "[key]" else ""
        return f"{path}{key_note} must be one of {expected}, got {got!r}"
    if kind == "union_tag_invalid":
        expected = err.get("ctx", {}).get("expected_tags", "")
        return f"{path}.kind must be one of {expected}, got {err.get('ctx', {}).get('tag')!r}"
    if kind == "union_tag_not_found":
        return f"{path} needs a 'kind' key: 'flash_crash' or 'trend'"
    if kind == "missing":
        return f"{path} is required"
    if kind in _TYPE_WORDS:
        return f"{path} must be {_TYPE_WORDS[kind]}, got {got!r}"
    return f"{path}: {err['msg']}, got {got!r}"


def validate(data: dict[str, Any], *, where: str = "scenario") -> Any:
    """Validate a merged scenario dict, raising one `ScenarioError` on failure."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        lines = list(dict.fromkeys(describe_error(e) for e in errors))
        raise ScenarioError(f"{where}: " + "; ".join(lines)) from None


__all__ = [
    "SECTION_NAMES",
    "Info",
    "Run",
    "Scenario",
    "ScenarioError",
    "describe_error",
    "section_model",
    "validate",
]
