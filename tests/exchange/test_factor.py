"""The common-factor model: correlations, betas, crashes scaled by beta, drift kept."""

import math

import numpy as np
import pytest

from abm.exchange import FlashCrash, Market, MarketParams
from abm.exchange.clock import HOURS_PER_YEAR
from abm.exchange.factor import CommonFactor, FactorParams, Loading

STEPS = 20_000
BETAS = (1.0, 2.0, 0.5)
OWN_VOLS = (0.2, 0.6, 0.3)
FACTOR_VOL = 0.6


def simulate(seed: int = 7):
    rng = np.random.default_rng(seed)
    factor = CommonFactor(FactorParams(annual_vol=FACTOR_VOL), 1.0, rng.spawn(1)[0])
    markets = [
        Market(
            MarketParams(annual_vol=vol, jump_intensity=0.0, impact=0.0),
            r,
            Loading(factor, beta),
        )
        for beta, vol, r in zip(BETAS, OWN_VOLS, rng.spawn(len(BETAS)), strict=True)
    ]
    prices = np.empty((STEPS + 1, len(markets)))
    moves = np.empty(STEPS)
    prices[0] = [m.price for m in markets]
    for t in range(1, STEPS + 1):
        prices[t] = [m.step() for m in markets]
        moves[t - 1] = factor.move(t)
    return np.diff(np.log(prices), axis=0), moves


def test_sample_correlations_and_betas_match_the_parameters():
    returns, moves = simulate()
    n = returns.shape[0]
    dt = 1.0 / HOURS_PER_YEAR
    var_f = FACTOR_VOL**2 * dt
    total = [b * b * var_f + v * v * dt for b, v in zip(BETAS, OWN_VOLS, strict=True)]
    sample = np.corrcoef(returns, rowvar=False)
    for i in range(3):
        for j in range(i + 1, 3):
            rho = BETAS[i] * BETAS[j] * var_f / math.sqrt(total[i] * total[j])
            se = (1 - rho**2) / math.sqrt(n)
            assert abs(sample[i, j] - rho) < 4 * se, (i, j, sample[i, j], rho)
    for i, (beta, vol) in enumerate(zip(BETAS, OWN_VOLS, strict=True)):
        slope = np.cov(returns[:, i], moves)[0, 1] / moves.var(ddof=1)
        se = vol * math.sqrt(dt) / (moves.std(ddof=1) * math.sqrt(n))
        assert abs(slope - beta) < 4 * se, (i, slope, beta, se)


def test_a_crash_on_the_factor_drags_each_market_by_its_beta():
    factor = CommonFactor(
        FactorParams(
            annual_vol=0.0, shocks=(FlashCrash(start=10, drop=0.14, duration=2, recovery=0.0),)
        ),
        1.0,
        np.random.default_rng(1),
    )
    markets = {
        beta: Market(
            MarketParams(annual_vol=0.0, jump_intensity=0.0, impact=0.0),
            np.random.default_rng(2),
            Loading(factor, beta),
        )
        for beta in (1.0, 3.0, 0.0)
    }
    for _ in range(12):
        prices = {beta: m.step() for beta, m in markets.items()}
    assert prices[1.0] == pytest.approx(100 * 0.86)
    assert prices[3.0] == pytest.approx(100 * 0.86**3)
    assert prices[0.0] == pytest.approx(100.0)


def test_the_factor_keeps_each_market_a_martingale():
    factor = CommonFactor(
        FactorParams(annual_vol=2.0, jump_intensity=0.05, jump_mean=-0.05, jump_std=0.08),
        1.0,
        np.random.default_rng(3),
    )
    loading = Loading(factor, 2.5)
    growth = np.exp([loading.move(t) for t in range(1, 100_001)])
    se = growth.std(ddof=1) / math.sqrt(growth.size)
    assert abs(growth.mean() - 1.0) < 4 * se


def test_the_factor_moves_once_per_step_and_in_order():
    factor = CommonFactor(FactorParams(), 1.0, np.random.default_rng(4))
    assert factor.move(1) == factor.move(1)
    with pytest.raises(ValueError, match="factor is at step 1; step 3"):
        factor.move(3)
    with pytest.raises(ValueError, match=r"beta must be in \[-10, 10\], got 11"):
        Loading(factor, 11)
