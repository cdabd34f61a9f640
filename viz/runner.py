"""Playing one tab's model: steps in a background thread that never overlaps a redraw.

Stepping and drawing share the render lock of the tab's render context, so a chart never
reads the model half-way through a step. The loop pauses once the tab has no connected
page and ends when its kernel closes, so a tab whose browser went away costs nothing; the
kernel (and the model with it) is freed after the short cull timeout set in `app.py`.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("abm.app")
if not log.handlers:
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("abm-app: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False


@dataclass(frozen=True)
class Speed:
    label: str
    steps_per_frame: int
    frame_seconds: float
    """Shortest time between two frames; a slow frame waits as long as it took."""

    @property
    def steps_per_second(self) -> float:
        return self.steps_per_frame / self.frame_seconds


SPEEDS = {
    "slow": Speed("slow", 1, 0.5),
    "normal": Speed("normal", 5, 0.5),
    "fast": Speed("fast", 25, 0.5),
}
DEFAULT_SPEED = "normal"
FULL_RATE_TABS = 6
"""Up to this many live tabs on a server redraw at their speed's own rate. With more,
every tab redraws less often and steps more per redraw: the steps a second stay, and the
server and the browsers draw fewer frames (a frame costs about the same for 5 steps or 25)."""
JUMP_CHUNK = 200
"""Steps between two redraws while jumping to a step: the page shows the progress."""

_live = [0]
_live_lock = threading.Lock()


def pace(speed: Speed, tabs: int) -> tuple[int, float]:
    """(steps per frame, seconds per frame) at `speed` with `tabs` live tabs."""
    k = max(1, math.ceil(tabs / FULL_RATE_TABS))
    return speed.steps_per_frame * k, speed.frame_seconds * k


def live_models() -> int:
    """Models of open tabs that are still in memory (all kernels of this server)."""
    return _live[0]


def track(model) -> None:
    """Log when a tab's model is made and when it is freed (garbage collected)."""
    with _live_lock:
        _live[0] += 1
    weakref.finalize(model, _freed).atexit = False
    log.info("model started (%d live)", live_models())


def _return_memory() -> None:
    """Hand freed heap pages back to the OS (glibc keeps them otherwise), so a server's
    memory falls again once a room of tabs has closed."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def release(model) -> None:
    """Drop Mesa's own reference to a model the page no longer shows.

    Mesa 3.3 keeps a per-model id counter in a class-level dict keyed by the model
    (`Agent._ids`), which holds every model ever made alive for the life of the process.
    """
    from mesa import Agent

    ids = getattr(Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)


def _freed() -> None:
    with _live_lock:
        _live[0] -= 1
    _return_memory()
    log.info("model freed (%d live)", live_models())


def render_lock() -> contextlib.AbstractContextManager:
    """The lock a render of the current render context holds (call while rendering)."""
    import reacton.core

    rc = reacton.core.get_render_context(required=False)
    lock = getattr(rc, "thread_lock", None)
    return lock if lock is not None else contextlib.nullcontext()


def kernel():
    """The current virtual kernel context, or None outside a server (tests)."""
    from solara.server import kernel_context

    if not kernel_context.has_current_context():
        return None
    return kernel_context.get_current_context()


def page_connected(ctx) -> bool:
    """Whether any browser page is connected to the kernel (True outside a server)."""
    if ctx is None:
        return True
    from solara.server.kernel_context import PageStatus

    return PageStatus.CONNECTED in ctx.page_status.values()


class Player:
    """Runs `model.step()` in a thread until stopped, the target step, or the tab goes.

    `frame()` is called (outside the lock) after every batch of steps; it bumps the
    page's version so the page redraws, and so does the last call when the loop ends.
    """

    def __init__(
        self,
        model,
        frame: Callable[[], None],
        lock: contextlib.AbstractContextManager,
        speed: Speed,
        *,
        until: int | None = None,
        on_end: Callable[[str], None] | None = None,
    ) -> None:
        self.model = model
        self.frame = frame
        self.lock = lock
        self.speed = speed
        self.until = until
        self.on_end = on_end
        self.stop = threading.Event()
        self.kernel_closing = False
        self.ctx = kernel()
        self.closed = self.ctx.closed_event if self.ctx is not None else threading.Event()
        self.thread = threading.Thread(target=self._run, name="abm-player", daemon=True)

    def start(self) -> Player:
        if self.ctx is not None:  # a closing kernel stops the loop at once
            ref = weakref.ref(self)
            self.ctx.on_close(lambda: (p := ref()) is not None and p.close())
        self.thread.start()
        return self

    def close(self) -> None:
        """The kernel is closing (its closed event is set only once it has closed)."""
        self.kernel_closing = True
        self.stop.set()

    def _batch(self) -> tuple[int, float]:
        """Steps before the next redraw, and the shortest time it should take."""
        if self.until is None:
            return pace(self.speed, live_models())
        return max(0, min(JUMP_CHUNK, self.until - self.model.steps)), 0.0

    def _run(self) -> None:
        ctx = self.ctx if self.ctx is not None else contextlib.nullcontext()
        reason = "paused"
        with ctx:
            while True:
                if self.closed.is_set():
                    reason = "kernel closed"
                    break
                if not page_connected(self.ctx):
                    reason = "page disconnected"
                    break
                n, seconds = self._batch()
                if n == 0:
                    reason = "reached the step"
                    break
                start = time.perf_counter()
                with self.lock:
                    for _ in range(n):
                        if self.stop.is_set() or not self.model.running:
                            break
                        self.model.step()
                if not self.model.running:
                    reason = "the run ended"
                    break
                if self.stop.is_set():
                    break
                self.frame()
                if self.until is not None:
                    continue
                cost = time.perf_counter() - start
                if self.stop.wait(max(seconds - cost, cost)):
                    break
            if self.kernel_closing or self.closed.is_set():
                reason = "kernel closed"
            else:
                self.frame()
            log.info("model stopped at step %d: %s", self.model.steps, reason)
            if self.on_end is not None and not self.stop.is_set() and reason != "kernel closed":
                self.on_end(reason)
