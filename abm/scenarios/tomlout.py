"""Scenario data as TOML text, written by tomli-w (the standard library only reads TOML)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tomli_w


def _plain(value: Any) -> Any:
    """What TOML can hold: tables without empty (None) fields, arrays as lists; an entry of
    a list of tables (a shock, say) shows its `kind` first."""
    if isinstance(value, Mapping):
        items = sorted(value.items(), key=lambda kv: kv[0] != "kind")
        return {str(k): _plain(v) for k, v in items if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def dumps(data: Mapping[str, Any]) -> str:
    """`data` as TOML: top-level values first, then one [table] per section."""
    return tomli_w.dumps(_plain(data), multiline_strings=True)
