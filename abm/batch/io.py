"""Writing results safely: parquet-safe frames, folders that appear whole or not at all.

Every file is written to a temporary name and renamed into place, so a process killed at
any moment leaves either the old file or the new one, plus perhaps a stale temporary that
the next writer cleans up. `boundary` is called at each write boundary (after the
temporary is written, after the rename, after each removal); kill tests set it to stop
the process at a chosen boundary.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


class OutputExistsError(ValueError):
    """The output folder is already there and the caller did not ask to replace it."""


boundary: Callable[[str], None] | None = None
"""Called with a short label at every write boundary (None: nothing is called)."""


def _boundary(label: str) -> None:
    if boundary is not None:
        boundary(label)


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


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """`write(tmp)` to a temporary next to `path`, then rename it to `path`."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        _boundary(f"written {tmp.name}")
        os.replace(tmp, path)
        _boundary(f"renamed {path.name}")
    finally:
        tmp.unlink(missing_ok=True)


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write `frame` (made parquet-safe) to `path` through a temporary file and a rename."""
    _atomic_write(path, lambda tmp: parquet_safe(frame).to_parquet(tmp, index=False))


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write `frame` as CSV to `path` through a temporary file and a rename."""
    _atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


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
    _atomic_write(path, lambda tmp: tmp.write_text(json.dumps(jsonable(data), indent=2) + "\n"))


def remove_tree(path: Path) -> None:
    """Remove a folder file by file (each removal a write boundary), then the folder."""
    if not path.is_dir():
        return
    for child in sorted(path.iterdir()):
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
        _boundary(f"removed {child.name}")
    path.rmdir()
    _boundary(f"removed {path.name}/")


def remove_stale(folder: Path) -> None:
    """Remove the temporaries a killed writer left in `folder` and its subfolders."""
    if folder.is_dir():
        for tmp in folder.rglob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def check_free(out: Path, overwrite: bool, hint: str = "use --force to replace it") -> None:
    """Raise `OutputExistsError` if `out` holds something and `overwrite` is off."""
    if out.exists() and not overwrite and (not out.is_dir() or any(out.iterdir())):
        raise OutputExistsError(f"{out} already exists; {hint}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_dead_temporaries(out: Path) -> None:
    """Remove the ``.NAME.tmp-PID-*`` and ``.NAME.old-PID-*`` folders that killed writers
    of `out` left behind (a new folder not yet in place, or a replaced one not yet gone)."""
    if not out.parent.is_dir():
        return
    for kind in ("tmp", "old"):
        for leftover in out.parent.glob(f".{out.name}.{kind}-*"):
            pid = leftover.name.removeprefix(f".{out.name}.{kind}-").split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                shutil.rmtree(leftover, ignore_errors=True)


@contextmanager
def atomic_dir(out: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder next to `out` that becomes `out` only if the block succeeds.

    The temporary is named after this process (``.NAME.tmp-PID-*``), and so is a replaced
    `out` on its way out (``.NAME.old-PID-*``), so the next writer of `out` can tell a
    dead writer's leftovers from a live one's and remove them. Each rename is a write
    boundary.
    """
    out = Path(out)
    check_free(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_dead_temporaries(out)
    tag = f"{os.getpid()}-{uuid.uuid4().hex}"
    tmp = out.parent / f".{out.name}.tmp-{tag}"
    tmp.mkdir()  # not mkdtemp: its 0700 would outlive the rename; this gets the umask
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.exists():
        old = out.with_name(f".{out.name}.old-{tag}")
        out.rename(old)
        _boundary(f"set aside {out.name}")
        tmp.rename(out)
        _boundary(f"renamed {out.name}/")
        remove_tree(old)
    else:
        tmp.rename(out)
        _boundary(f"renamed {out.name}/")
