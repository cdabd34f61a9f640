"""Finding, reading, merging and overriding scenario files.

A scenario is a TOML file. The presets live in the repository's top-level `scenarios/`
folder (or the folder named by the `ABM_SCENARIOS` environment variable). A file may say
``extends = "calm"`` (a preset name, or a path relative to the file) and then only give
the fields it changes: tables merge key by key (inline tables such as `traders.mix`
too), arrays and values replace. The `[info]`
table is the one exception: it describes one file and is never inherited.

Relative paths inside a file (``market.replay_path``) are relative to that file; paths
given as overrides are relative to the working directory.
"""

from __future__ import annotations

import copy
import os
import sys
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ScenarioError

if TYPE_CHECKING:
    from .schema import Scenario

PRESETS_ENV = "ABM_SCENARIOS"
PATH_FIELDS = (("market", "replay_path"), ("factor", "replay_path"))
"""Fields holding file paths, resolved against the directory of the file that sets them."""


def presets_dir() -> Path:
    """Where the preset files are: `$ABM_SCENARIOS`, else `<repo>/scenarios` in a
    checkout, else `<prefix>/share/abm/scenarios` where a wheel installs them."""
    env = os.environ.get(PRESETS_ENV)
    if env:
        return Path(env).expanduser()
    checkout = Path(__file__).resolve().parents[2] / "scenarios"
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "abm" / "scenarios"


def preset_names() -> list[str]:
    """Names of the preset scenarios, sorted."""
    folder = presets_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.toml"))


def list_presets() -> dict[str, str]:
    """Each preset's one-line description, by name (a broken file says why instead)."""
    out = {}
    for name in preset_names():
        try:
            data = _read_toml(presets_dir() / f"{name}.toml")
            out[name] = str(data.get("info", {}).get("description", "")).strip()
        except ScenarioError as exc:
            out[name] = f"(cannot be read: {exc})"
    return out


def _looks_like_path(text: str) -> bool:
    return text.endswith(".toml") or "/" in text or os.sep in text


def find(scenario: str | os.PathLike, *, base: Path | None = None) -> Path:
    """The file for a preset name or a path; `base` is the folder of an extending file."""
    if isinstance(scenario, os.PathLike) or _looks_like_path(str(scenario)):
        path = Path(scenario).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        if not path.is_file():
            raise ScenarioError(f"scenario file not found: {path}")
        return path.resolve()
    name = str(scenario).strip()
    path = presets_dir() / f"{name}.toml"
    if not name or not path.is_file():
        names = ", ".join(preset_names()) or "(none found)"
        raise ScenarioError(
            f"unknown scenario {name!r}: not a preset and not a .toml file; presets: {names}"
        )
    return path.resolve()


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path.name}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a text file (TOML must be UTF-8)") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read: {exc.strerror}") from None


def _resolve_paths(data: dict[str, Any], base: Path) -> None:
    tables = [(data.get(section), key) for section, key in PATH_FIELDS]
    markets = data.get("markets")
    if isinstance(markets, list):
        tables += [(m.get("market"), "replay_path") for m in markets if isinstance(m, dict)]
    for table, key in tables:
        if isinstance(table, dict) and isinstance(table.get(key), str) and table[key]:
            p = Path(table[key]).expanduser()
            table[key] = str(p if p.is_absolute() else (base / p).resolve())


def _plain(value: Any) -> Any:
    """A parameter value as TOML gives it: tuples as arrays."""
    return [_plain(v) for v in value] if isinstance(value, list | tuple) else value


def expand_venue(layer: dict[str, Any]) -> dict[str, Any]:
    """One layer with its `exchange.venue` expanded into that venue's fields
    (`abm.exchange.venues`); fields the layer sets beside it win."""
    table = layer.get("exchange")
    if not isinstance(table, Mapping) or "venue" not in table:
        return layer
    from ..exchange.venues import expand  # numpy: only for a layer that names a venue

    return {**layer, "exchange": {k: _plain(v) for k, v in expand(dict(table)).items()}}


def merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """`top` over `base`: tables merge recursively, anything else is replaced."""
    out = copy.deepcopy(dict(base))
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def read(scenario: str | os.PathLike, *, base: Path | None = None, _chain=()) -> dict[str, Any]:
    """The merged, unvalidated contents of a scenario file and the files it extends."""
    path = find(scenario, base=base)
    if path in _chain:
        cycle = " -> ".join(p.stem for p in (*_chain, path))
        raise ScenarioError(f"extends makes a cycle: {cycle}")
    data = expand_venue(_read_toml(path))
    _resolve_paths(data, path.parent)
    parent = data.get("extends")
    if parent is not None:
        if not isinstance(parent, str) or not parent.strip():
            raise ScenarioError(
                f"{path.name}: extends must name a preset or a .toml file, got {parent!r}"
            )
        try:
            inherited = read(parent, base=path.parent, _chain=(*_chain, path))
        except ScenarioError as exc:
            raise ScenarioError(f"{path.name}: extends {parent!r}: {exc}") from None
        inherited.pop("info", None)
        data = merge(inherited, data)
    data["extends"] = parent
    data["name"] = path.stem
    data["source"] = str(path)
    return data


# -- overrides --------------------------------------------------------------------------
def parse_value(text: str) -> Any:
    """A command-line value: a TOML literal (0.01, 200, true, "x", [1, 2]) or a bare string."""
    text = text.strip()
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_values(text: str) -> list[Any]:
    """A comma-separated list of values for a sweep: ``0.005,0.01`` or ``bitmex,pnl``."""
    try:
        values = tomllib.loads(f"v = [{text}]")["v"]
    except tomllib.TOMLDecodeError:
        values = [parse_value(part) for part in text.split(",")]
    if not values or any(v == "" for v in values):
        raise ScenarioError(f"empty value in {text!r}")
    return values


def parse_assignment(text: str) -> tuple[str, str]:
    """Split ``section.field=value`` into the path and the raw value text."""
    path, sep, value = text.partition("=")
    path = path.strip()
    if not sep or not path or any(not part for part in path.split(".")):
        raise ScenarioError(
            f"--set needs path=value, e.g. exchange.penalty_rate=0.01; got {text!r}"
        )
    return path, value


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path (list items by index: ``market.shocks.0.drop``) in nested dicts."""
    parts = path.split(".")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        where = ".".join(parts[: i + 1])
        if isinstance(node, list):
            node = _list_item(node, part, where)
            continue
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif not isinstance(child, dict | list):
            raise ScenarioError(f"{where} is a value, not a table: cannot set {path}")
        node = child
    last = parts[-1]
    if isinstance(node, list):
        idx = _index(node, last, path)
        node[idx] = value
    else:
        node[last] = value


def _index(node: list, part: str, where: str) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise ScenarioError(f"{where}: no item {part!r} (the array has {len(node)} items)")
    return int(part)


def _list_item(node: list, part: str, where: str) -> Any:
    return node[_index(node, part, where)]


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of `data` with each dotted path in `overrides` set; paths resolved from cwd.

    An `exchange.venue` among them sets that venue's fields first, so the other
    overrides win over it."""
    out = copy.deepcopy(data)
    overrides = dict(overrides or {})
    venue = overrides.get("exchange.venue")
    if isinstance(venue, str):
        fields = expand_venue({"exchange": {"venue": venue}})["exchange"]
        overrides = {**{f"exchange.{k}": v for k, v in fields.items()}, **overrides}
    for path, value in overrides.items():
        if path.split(".")[0] in ("name", "source", "extends"):
            raise ScenarioError(f"{path} cannot be overridden")
        if path.endswith("replay_path") and isinstance(value, str) and value:
            value = str(Path(value).expanduser().resolve())
        set_path(out, path, copy.deepcopy(value))
    return out


def load_scenario(
    scenario: Any = "calm",
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
) -> Scenario:
    """Load and validate a scenario: a preset name, a path to a .toml file, a `Scenario`
    or a dict of sections. `overrides` maps dotted paths to values
    (``{"exchange.penalty_rate": 0.01}``) or is a list of ``"path=value"`` strings.

    Raises `ScenarioError` (a ValueError) with one message naming the field path.
    """
    from .schema import Scenario, validate  # pydantic: load when a scenario is read

    if overrides is not None and not isinstance(overrides, Mapping):
        overrides = {p: parse_value(v) for p, v in map(parse_assignment, overrides)}
    if isinstance(scenario, Scenario):
        if not overrides:
            return scenario
        data, where = scenario.model_dump(mode="python"), scenario.name or "scenario"
    elif isinstance(scenario, Mapping):
        data, where = expand_venue(dict(scenario)), "scenario"
    elif isinstance(scenario, str | os.PathLike):
        data = read(scenario)
        where = data["name"] if not _looks_like_path(str(scenario)) else Path(scenario).name
    else:
        raise _kind_error("scenario", scenario)
    return validate(apply_overrides(data, overrides), where=where)


def _kind_error(name: str, value: Any) -> ScenarioError:
    return ScenarioError(
        f"{name} must be a preset name, a path to a .toml file or a Scenario, "
        f"got {type(value).__name__}"
    )


def resolve(preset: Any) -> dict[str, Any]:
    """`ExchangeModel.scenario_resolver`: the model's `preset=` to its keyword arguments."""
    from .schema import Scenario

    if not isinstance(preset, Scenario | Mapping | str | os.PathLike):
        raise _kind_error("preset", preset)
    return load_scenario(preset).model_kwargs()
