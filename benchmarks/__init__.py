"""Performance benchmarks for the exchange model (not part of the `abm` package).

Run ``python -m benchmarks.run --quick`` (under a minute) or ``python -m benchmarks.run``
(the full set, several minutes) from the repository root. See `benchmarks/README.md`.
"""
