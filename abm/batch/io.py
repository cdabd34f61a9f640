"""Writing results safely: parquet-safe frames, folders that appear whole or not at all."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


class OutputExistsError(ValueError):
    """The output folder is already there and the caller did not ask to replace it."""


def parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose object columns hold one type each, so pyarrow can write them.

    Event tables mix kinds: a column may hold floats for one kind, strings for another
    and be empty for the rest. All-bool columns become nullable booleans, all-number
    columns floats (or nullable ints), anything else text (missing values stay missing).
    """
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype != object:
            continue
        present = s[s.notna()]
        kinds = {type(v) for v in present}
        if not kinds:
            out[col] = s.astype("float64")
        elif kinds <= {bool, np.bool_}:
            out[col] = s.astype("boolean")
        elif kinds <= {int, np.int64, np.int32}:
            out[col] = s.astype("Int64")
        elif kinds <= {int, float, np.int64, np.int32, np.float64, np.float32}:
            out[col] = s.astype("float64")
        elif kinds <= {str}:
            continue
        else:
            out[col] = s.map(_text, na_action="ignore")
    out.columns = [str(c) for c in out.columns]
    return out


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, default=str)
    return str(value)


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write `frame` (made parquet-safe) to `path` through a temporary file and a rename."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        parquet_safe(frame).to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write `frame` as CSV to `path` through a temporary file and a rename."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        frame.to_csv(tmp, index=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def jsonable(value: Any) -> Any:
    """Plain JSON values: NaN and None become null, infinities the strings "inf"/"-inf"."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "__dataclass_fields__"):
        return jsonable(vars(value))
    return value


def write_json(data: Any, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(json.dumps(jsonable(data), indent=2) + "\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def check_free(out: Path, overwrite: bool, hint: str = "use --force to replace it") -> None:
    """Raise `OutputExistsError` if `out` holds something and `overwrite` is off."""
    if out.exists() and not overwrite and (not out.is_dir() or any(out.iterdir())):
        raise OutputExistsError(f"{out} already exists; {hint}")


@contextmanager
def atomic_dir(out: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder next to `out` that becomes `out` only if the block succeeds."""
    out = Path(out)
    check_free(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.exists():
        old = out.with_name(f".{out.name}.old-{uuid.uuid4().hex}")
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)
