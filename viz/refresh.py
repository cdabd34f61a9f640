"""How components follow Mesa's steps.

Mesa mutates the model in place and then bumps `update_counter` (a per-kernel
`solara.reactive`); components must read it to redraw. Every component that reads it
costs one render pass over the page per frame, so a parent that reads it passes the value
down as `version` and its children do not subscribe again. A component used on its own
(`version=None`) subscribes itself.
"""

from __future__ import annotations

from mesa.visualization.utils import update_counter


def frame_version(version: int | None = None) -> int:
    """`version` if the parent passed it, else Mesa's update_counter (subscribing to it)."""
    return update_counter.get() if version is None else version
