"""The exogenous reference price and the market's reaction to liquidation flow.

Price = base × exp(shock offsets + impact). The base is geometric Brownian motion with
jumps, compensated so that `annual_drift` is the expected return (zero drift is a
martingale), or a replayed CSV series. Shocks are scripted multiplicative paths (a flash crash,
a trend). Impact is endogenous: liquidation volume pushes the log price in its direction
by `impact × volume / depth` and fades by `impact_decay` each hour, so a coefficient of 0
turns liquidation cascades off. Every time in the parameters is in hours and every rate
per hour or per year; `step_hours` sets the step length.

The log price is kept within `PRICE_RANGE` of the starting price in either direction
(a floor at 1e-8 and a ceiling at 1e8 times the start), so that extreme but valid
settings (a huge impact on a thin market, decades of high volatility) give a small
positive price rather than an overflow, an underflow or a mark of zero.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .clock import HOURS_PER_YEAR, Clock
from .ranges import check_fields, ranged

if TYPE_CHECKING:
    import pandas as pd

    from .factor import Loading

PRICE_RANGE = 1e8
"""How far the price may move from its start, as a factor either way (see the module)."""
LOG_RANGE = math.log(PRICE_RANGE)
MAX_STEP_VARIANCE = 1.0
"""Largest log-variance of one step, annual_vol² × step_hours / HOURS_PER_YEAR."""


@dataclass(frozen=True)
class FlashCrash:
    """Price falls by `drop` over `duration` hours from hour `start`, then wins back
    `recovery` of the fall over `recovery_hours`."""

    start: float = ranged(MISSING, "[0, 1e9]")
    drop: float = ranged(0.3, "[0, 1)")
    duration: float = ranged(6.0, "(0, 1e9]")
    recovery: float = ranged(0.5, "[0, 1]")
    recovery_hours: float = ranged(24.0, "(0, 1e9]")

    def __post_init__(self) -> None:
        check_fields(self, "flash_crash.")

    def offset(self, hour: float, step_hours: float = 1.0) -> float:
        """Log offset at the end of the step that ends at `hour`."""
        bottom = math.log(1.0 - self.drop)
        settled = math.log(1.0 - self.drop * (1.0 - self.recovery))
        u = hour - self.start + step_hours
        if u <= 0:
            return 0.0
        if u <= self.duration:
            return bottom * u / self.duration
        v = u - self.duration
        if v < self.recovery_hours:
            return bottom + (settled - bottom) * v / self.recovery_hours
        return settled


@dataclass(frozen=True)
class Trend:
    """A steady move of `change` (−0.5 = halving) spread over `duration` hours."""

    start: float = ranged(MISSING, "[0, 1e9]")
    change: float = ranged(-0.5, "(-1, 100]")
    duration: float = ranged(500.0, "(0, 1e9]")

    def __post_init__(self) -> None:
        check_fields(self, "trend.")

    def offset(self, hour: float, step_hours: float = 1.0) -> float:
        u = hour - self.start + step_hours
        if u <= 0:
            return 0.0
        return math.log1p(self.change) * min(u, self.duration) / self.duration


Shock = FlashCrash | Trend


@dataclass
class MarketParams:
    """Price process settings. One step is `step_hours` hours; left unset it is 1, or the
    spacing of a replay file's timestamps (`bar_hours`). Jumps and the fading of impact
    are per hour, volatility and drift per year."""

    initial_price: float = ranged(100.0, "(0, 1e12]")
    annual_vol: float = ranged(0.5, "[0, 20]")
    """BTC's realised volatility in 2024-25, about 45-55 % a year (docs/calibration.md)."""
    annual_drift: float = ranged(0.0, "[-10, 10]")
    step_hours: float | None = ranged(None, "(0, 8760]")
    jump_intensity: float = ranged(0.002, "[0, 1]")
    jump_mean: float = ranged(-0.02, "[-1, 1]")
    jump_std: float = ranged(0.04, "[0, 1]")
    shocks: tuple[Shock, ...] = ()
    replay_path: str | None = None
    replay_column: str = "close"
    """The replay file's column this market reads (one file may hold a column per market;
    open, high and low are read only beside `close`)."""
    replay_scale: bool = False
    impact: float = ranged(1.0, "[0, 1000]")
    impact_decay: float = ranged(0.2, "[0, 1]")
    depth: float = ranged(20_000_000.0, "(0, inf]")
    history: int = ranged(512, "[2, 1e7]")

    def __post_init__(self) -> None:
        if self.step_hours is None:
            self.step_hours = bar_hours(self.replay_path) if self.replay_path else 1.0
        check_fields(self)
        step_years = self.step_hours / HOURS_PER_YEAR
        if self.annual_vol**2 * step_years > MAX_STEP_VARIANCE:
            top = math.sqrt(MAX_STEP_VARIANCE / step_years)
            raise ValueError(
                f"annual_vol must be in [0, {top:.4g}] with step_hours={self.step_hours:g} "
                f"(one step's log-variance annual_vol² × step_hours / {HOURS_PER_YEAR} at most "
                f"{MAX_STEP_VARIANCE:g}), got {self.annual_vol!r}"
            )


def jump_compensator(chance: float, jump_mean: float, jump_std: float) -> float:
    """Log drift per step that cancels the jumps' mean, log E[exp(jump part)], for a jump
    of N(jump_mean, jump_std²) in log price arriving with `chance` per step (Merton)."""
    if chance == 0:
        return 0.0
    return math.log1p(chance * math.expm1(jump_mean + 0.5 * jump_std**2))


STEP_TOLERANCE = 0.01
"""How far a row's spacing may stray from the median, as a share of it, when the file's
timestamps set the step length."""
BAR_COLUMNS = ("open", "high", "low")
"""Optional replay columns beside `close`."""


@dataclass(frozen=True)
class Bars:
    """A replayed series: each row's close, its open, high and low when the file has them
    (else None), and each row's time from the first in hours."""

    close: np.ndarray
    open: np.ndarray | None
    high: np.ndarray | None
    low: np.ndarray | None
    hours: np.ndarray

    def scaled(self, factor: float) -> Bars:
        """The same bars with every price multiplied by `factor`."""
        return Bars(
            *(
                None if a is None else a * factor
                for a in (self.close, self.open, self.high, self.low)
            ),
            self.hours,
        )

    def path(self, t: int) -> tuple[float, ...]:
        """Row `t`'s prices before its close: the open, then the two extremes, the one
        on the open's side of the close first (a bar closing up dipped first, one closing
        down spiked first); prices the file does not give are left out."""
        start = None if self.open is None else float(self.open[t])
        ref = float(self.close[t - 1]) if start is None else start
        lo = None if self.low is None else float(self.low[t])
        hi = None if self.high is None else float(self.high[t])
        extremes = (lo, hi) if self.close[t] >= ref else (hi, lo)
        return tuple(x for x in (start, *extremes) if x is not None)


def _positive(frame: pd.DataFrame, column: str, field: str, path: Path) -> np.ndarray:
    import pandas as pd

    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{field}: replay file {path}: column '{column}' must hold positive numbers; "
            f"row {row + 2} has {_shown(frame[column].iloc[row])}"
        )
    return values


def _shown(value) -> str:
    return repr(value) if isinstance(value, str) else f"{float(value):g}"


def _check_bars(bars: Bars, field: str, path: Path) -> None:
    """Each bar's high is its highest price and its low its lowest."""
    top = np.fmax(bars.close, bars.open) if bars.open is not None else bars.close
    bottom = np.fmin(bars.close, bars.open) if bars.open is not None else bars.close
    for name, values, bad in (
        ("high", bars.high, None if bars.high is None else bars.high < top * (1 - 1e-12)),
        ("low", bars.low, None if bars.low is None else bars.low > bottom * (1 + 1e-12)),
    ):
        if bad is not None and bad.any():
            row = int(np.flatnonzero(bad)[0])
            side = "below" if name == "high" else "above"
            raise ValueError(
                f"{field}: replay file {path}: row {row + 2} has {name} {values[row]:g} "
                f"{side} its open or close"
            )


def load_bars(path: str | Path, field: str = "replay_path", column: str = "close") -> Bars:
    """Read a price series with `timestamp` and `column` (`close`) columns, and optionally
    `open`, `high` and `low` beside `close`; raise a clear ValueError.

    Timestamps are seconds (numbers, as Unix time) or ISO 8601 times and must rise
    strictly: a replay in file order of unsorted or repeated rows would be a different
    market. Messages start with `field`, the setting the path came from, and name the
    file and its row (the line number, counting the header as row 1).
    """
    import pandas as pd  # only a replay needs it: checking a scenario stays light

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{field}: replay file not found: {path}")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"{field}: replay file {path} is empty; row 1 must be a header naming the columns "
            f"'timestamp' and '{column}'"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"{field}: replay file {path} is not a readable CSV: {exc}") from None
    except OSError as exc:
        raise ValueError(f"{field}: replay file {path} cannot be read: {exc.strerror}") from None
    missing = [c for c in ("timestamp", column) if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{field}: replay file {path} needs columns 'timestamp' and '{column}'; "
            f"missing {missing} in row 1, the header (found {list(frame.columns)})"
        )
    close = _positive(frame, column, field, path)
    if close.size < 2:
        raise ValueError(
            f"{field}: replay file {path} needs at least 2 rows of prices after the header "
            f"(row 1), found {close.size}"
        )
    extra = {
        c: _positive(frame, c, field, path) if c in frame.columns and column == "close" else None
        for c in BAR_COLUMNS
    }
    raw = frame["timestamp"]
    times = pd.to_numeric(raw, errors="coerce")
    if times.isna().any():
        stamps = pd.to_datetime(raw.astype(str), errors="coerce", utc=True, format="ISO8601")
        times = (stamps - stamps.min()).dt.total_seconds()
    if times.isna().any():
        row = int(np.flatnonzero(times.isna().to_numpy())[0])
        raise ValueError(
            f"{field}: replay file {path}: column 'timestamp' must hold numbers or ISO 8601 "
            f"times; row {row + 2} has '{raw.iloc[row]}'"
        )
    seconds = times.to_numpy(dtype=float)
    steps = np.diff(seconds)
    if not (steps > 0).all():
        row = int(np.flatnonzero(~(steps > 0))[0]) + 1
        how = "repeats" if steps[row - 1] == 0 else "is earlier than"
        raise ValueError(
            f"{field}: replay file {path}: timestamps must rise strictly; row {row + 2} "
            f"('{raw.iloc[row]}') {how} row {row + 1} ('{raw.iloc[row - 1]}')"
        )
    bars = Bars(close, **extra, hours=(seconds - seconds[0]) / 3600.0)
    _check_bars(bars, field, path)
    return bars


def load_price_csv(
    path: str | Path, field: str = "replay_path", column: str = "close"
) -> np.ndarray:
    """The closes (or `column`) of a replay file (see `load_bars`)."""
    return load_bars(path, field, column).close


def bar_hours(path: str | Path, field: str = "replay_path") -> float:
    """The step length a replay file's timestamps give: the median spacing of its rows.

    A row spaced more than `STEP_TOLERANCE` away from the median is an error naming it:
    replayed one row a step, a gap or a doubled row would run that stretch of the series
    at the wrong speed.
    """
    bars = load_bars(path, field)
    spacing = np.diff(bars.hours)
    median = float(np.median(spacing))
    off = np.abs(spacing - median) > STEP_TOLERANCE * median
    if off.any():
        row = int(np.flatnonzero(off)[0]) + 1
        raise ValueError(
            f"{field}: replay file {path}: row {row + 2} comes {spacing[row - 1]:g} h after "
            f"row {row + 1}, but the rows are {median:g} h apart (the median); irregular "
            f"timestamps cannot set the step length: resample the file or set "
            f"market.step_hours"
        )
    return median


class Market:
    """Produces one reference price per step and remembers a window of past prices.

    With a `loading`, the price also follows a common factor (see `factor.py`); a
    replayed series does not.
    """

    def __init__(
        self, params: MarketParams, rng: np.random.Generator, loading: Loading | None = None
    ) -> None:
        self.params = params
        self.rng = rng
        self.loading = loading
        self.bars = None
        if params.replay_path:
            self.bars = load_bars(params.replay_path, column=params.replay_column)
        if self.bars is not None and params.replay_scale:
            self.bars = self.bars.scaled(params.initial_price / self.bars.close[0])
        self.replay = None if self.bars is None else self.bars.close
        self.path: tuple[float, ...] = ()
        start = float(self.replay[0]) if self.replay is not None else params.initial_price
        self.t = 0
        self.log_base = math.log(start)
        self._log_lo = self.log_base - LOG_RANGE
        self._log_hi = self.log_base + LOG_RANGE
        self.impact_state = 0.0
        self.price = start
        self.clock = Clock(params.step_hours)
        self._jump_chance = self.clock.chance(params.jump_intensity)
        self._impact_keep = (1.0 - params.impact_decay) ** params.step_hours
        dt = params.step_hours / HOURS_PER_YEAR
        self._sigma = params.annual_vol * math.sqrt(dt)
        self._mu = (params.annual_drift - 0.5 * params.annual_vol**2) * dt
        self._mu -= jump_compensator(self._jump_chance, params.jump_mean, params.jump_std)
        self._hist = np.full(params.history, start)
        self._hist_n = 1
        self._cache_stamp: tuple[int, float] | None = None
        self._cache: dict[tuple[str, int], float] = {}

    @property
    def exhausted(self) -> bool:
        """True once a replayed series has no further rows."""
        return self.replay is not None and self.t >= self.replay.size - 1

    def step(self) -> float:
        """Advance one step and return the new reference price (the bar's close).

        `path` holds the reference prices a replayed bar passes through before its close
        (see `Bars.path`); it is empty for the random walk and for closes-only files.
        """
        self.t += 1
        p = self.params
        self.path = ()
        if self.replay is not None:
            row = min(self.t, self.replay.size - 1)
            self.log_base = math.log(self.replay[row])
            bar = self.bars.path(row)
        else:
            z = self.rng.standard_normal()
            jump = 0.0
            if p.jump_intensity > 0 and self.rng.random() < self._jump_chance:
                jump = p.jump_mean + p.jump_std * self.rng.standard_normal()
            moved = self.log_base + self._mu + self._sigma * z + jump
            if self.loading is not None:
                moved += self.loading.move(self.t)
            self.log_base = self._clip(moved)
        self.impact_state *= self._impact_keep
        if self.replay is not None and bar:
            moved = self.shock_offset(self.t) + self.impact_state
            self.path = tuple(math.exp(self._clip(math.log(x) + moved)) for x in bar)
        self.price = self._compose()
        self._remember(self.price)
        return self.price

    def push(self, signed_volume: float) -> None:
        """Liquidation flow (sells negative) moves the price now and fades later."""
        if signed_volume == 0.0 or self.params.impact == 0.0:
            return
        shift = self.params.impact * signed_volume / self.params.depth
        self.impact_state = min(max(self.impact_state + shift, -2 * LOG_RANGE), 2 * LOG_RANGE)
        self.price = self._compose()
        self._hist[(self._hist_n - 1) % self._hist.size] = self.price

    def shock_offset(self, t: int) -> float:
        """The scripted shocks' log offset at step `t`."""
        dt = self.params.step_hours
        own = sum(s.offset(t * dt, dt) for s in self.params.shocks)
        if self.loading is None or self.replay is not None:
            return own
        return own + self.loading.shock_offset(t)

    def _clip(self, log_price: float) -> float:
        return min(max(log_price, self._log_lo), self._log_hi)

    def _compose(self) -> float:
        return math.exp(self._clip(self.log_base + self.shock_offset(self.t) + self.impact_state))

    def _remember(self, price: float) -> None:
        self._hist[self._hist_n % self._hist.size] = price
        self._hist_n += 1

    def history(self, n: int) -> np.ndarray:
        """The last `n` reference prices, oldest first (fewer at the start of a run)."""
        n = min(n, self._hist_n, self._hist.size)
        idx = (np.arange(self._hist_n - n, self._hist_n)) % self._hist.size
        return self._hist[idx]

    def log_return(self, lookback: int) -> float:
        """Log return over `lookback` steps (computed once per step and window)."""
        return self._cached(("ret", lookback), self._log_return)

    def deviation_from_mean(self, window: int) -> float:
        """Price over its `window`-step mean, minus one (computed once per step and window)."""
        return self._cached(("dev", window), self._deviation)

    def _log_return(self, lookback: int) -> float:
        h = self.history(lookback + 1)
        return math.log(h[-1] / h[0]) if h.size > 1 else 0.0

    def _deviation(self, window: int) -> float:
        h = self.history(window)
        return float(h[-1] / h.mean() - 1.0)

    def _cached(self, key: tuple[str, int], compute) -> float:
        stamp = (self._hist_n, self.price)
        if self._cache_stamp != stamp:
            self._cache_stamp, self._cache = stamp, {}
        if key not in self._cache:
            self._cache[key] = compute(key[1])
        return self._cache[key]
