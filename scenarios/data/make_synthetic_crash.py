"""Make `synthetic_crash_1h.csv`, the sample series the `replay` preset uses by default.

It is synthetic, not market data: 720 hourly closes (30 days) of a random walk with 60 %
yearly volatility, a 35 % fall over 8 hours starting at hour 400 and a partial rebound.
Replay real data instead with ``--set market.replay_path=FILE.csv`` (columns
`timestamp` and `close`). Run ``python make_synthetic_crash.py`` to rebuild the file.
"""

from pathlib import Path

import numpy as np
import pandas as pd

HOURS = 720
rng = np.random.default_rng(2020)
sigma = 0.6 / np.sqrt(24 * 365)
log_returns = rng.normal(-0.5 * sigma**2, sigma, HOURS - 1)
log_returns[400:408] += np.log(0.65) / 8  # the crash
log_returns[408:440] += -np.log(0.65) * 0.4 / 32  # 40 % of it won back
close = 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(log_returns)]))
frame = pd.DataFrame(
    {
        "timestamp": pd.date_range("2024-01-01", periods=HOURS, freq="h", tz="UTC").strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
        "close": np.round(close, 4),
    }
)
frame.to_csv(Path(__file__).with_name("synthetic_crash_1h.csv"), index=False)
