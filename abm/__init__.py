"""Agent-based simulation of a perpetual-futures DEX, its insurance fund and its governance."""

from .model import MODEL_COLUMNS, ExchangeModel

__all__ = ["MODEL_COLUMNS", "ExchangeModel"]
__version__ = "0.1.0"
