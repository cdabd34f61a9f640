"""A small TOML writer for scenario data (the standard library only reads TOML)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else json.dumps(k)


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list | tuple) and bool(v) and all(isinstance(x, Mapping) for x in v)


def _flat(m: Mapping) -> bool:
    return all(not isinstance(x, Mapping | list | tuple) for x in m.values())


def dumps(data: Mapping[str, Any]) -> str:
    """`data` as TOML: top-level values first, then one [table] per section."""
    lines: list[str] = []
    _emit(data, (), lines)
    return "\n".join(lines).strip() + "\n"


def _emit(table: Mapping[str, Any], path: tuple[str, ...], lines: list[str]) -> None:
    simple = {
        k: v
        for k, v in table.items()
        if v is not None and not isinstance(v, Mapping) and not _is_table_array(v)
    }
    small = {
        k: v
        for k, v in table.items()
        if path and isinstance(v, Mapping) and _flat(v) and len(v) <= 4
    }
    if path and (simple or small or not table):
        lines.extend(["", f"[{'.'.join(map(_key, path))}]"])
    for k, v in {**simple, **small}.items():
        if isinstance(v, str) and "\n" in v:
            body = v.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
            lines.append(f'{_key(k)} = """\n{body}"""')
        else:
            lines.append(f"{_key(k)} = {_value(v)}")
    for k, v in table.items():
        if isinstance(v, Mapping) and k not in small:
            _emit(v, (*path, k), lines)
        elif _is_table_array(v):
            for item in v:
                lines.extend(["", f"[[{'.'.join(map(_key, (*path, k)))}]]"])
                ordered = sorted(item.items(), key=lambda kv: kv[0] != "kind")
                lines.extend(f"{_key(ik)} = {_value(iv)}" for ik, iv in ordered)
