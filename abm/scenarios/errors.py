"""The one error every bad scenario raises (kept apart so reading files needs no schema)."""


class ScenarioError(ValueError):
    """A scenario that cannot be loaded: one readable message naming the field path."""
