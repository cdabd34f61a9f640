"""Rules and a market without frictions, for cases worked out by hand: no fees, spreads,
slippage, penalties or partial closes, and a price that moves only when a test moves it."""

RULES = dict(
    initial_margin=0.1,
    maintenance_margin=0.05,
    penalty_rate=0.0,
    half_spread=0.0,
    slippage=0.0,
    partial_liquidation=False,
    taker_fee=0.0,
    borrow_rate=0.0,
)
STILL = dict(annual_vol=0.0, jump_intensity=0.0, impact=0.0)
