"""Progress of long batch work: finished runs, elapsed time and an honest ETA.

The ETA is the whole elapsed time of this call scaled by the runs still to do over the
runs done so far, so it does not jump with the speed of the last few runs or chunks. On a
terminal a bar shows it; otherwise (a log file, nohup, Slurm, a notebook's captured
stderr) a plain line is written every `log_every` seconds, and one at the end when the
work took longer than that. The clock is injectable, so tests drive time without sleeping.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

LOG_EVERY = 30.0


def clock_text(seconds: float) -> str:
    """``h:mm:ss`` for a duration in seconds."""
    s = max(0, round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class Progress:
    """Counts finished runs of one call and reports them.

    `bar=None` shows a bar when `stream` is a terminal and plain lines otherwise.
    """

    def __init__(
        self,
        *,
        label: str = "runs",
        stream: TextIO | None = None,
        bar: bool | None = None,
        log_every: float = LOG_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self._stream = stream
        self._bar_wanted = bar
        self.log_every = log_every
        self.clock = clock
        self.total = 0
        self.before = 0
        self.done = 0
        self.lines: list[str] = []
        self._t0 = 0.0
        self._last_log = 0.0
        self._bar: Any = None
        self._task: Any = None

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def start(self, total: int, before: int = 0) -> None:
        """`total` runs in all, `before` of them already finished by an earlier call."""
        self.total, self.before, self.done = total, before, 0
        self._t0 = self._last_log = self.clock()
        use_bar = self._bar_wanted
        if use_bar is None:
            use_bar = bool(getattr(self.stream, "isatty", lambda: False)())
        if use_bar and total > before:
            self._start_bar()

    @property
    def elapsed(self) -> float:
        return self.clock() - self._t0

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.before - self.done)

    def eta(self) -> float | None:
        """Seconds still to go, from the whole elapsed time; None before the first run."""
        if self.done == 0:
            return None
        return self.elapsed * self.remaining / self.done

    def advance(self, n: int = 1) -> None:
        self.update(self.done + n)

    def update(self, done: int) -> None:
        """`done` runs of this call have finished (never counts down)."""
        self.done = max(self.done, min(done, self.total - self.before))
        self.refresh()

    def refresh(self) -> None:
        """Redraw the bar, or write a log line if `log_every` seconds have passed."""
        if self._bar is not None:
            eta = self.eta()
            self._bar.update(
                self._task,
                completed=self.before + self.done,
                eta="?" if eta is None else clock_text(eta),
            )
            return
        now = self.clock()
        if now - self._last_log >= self.log_every:
            self._last_log = now
            self._log(self.status())

    def status(self) -> str:
        finished = self.before + self.done
        share = 100.0 * finished / self.total if self.total else 100.0
        text = f"{finished}/{self.total} {self.label} ({share:.0f} %)"
        text += f", elapsed {clock_text(self.elapsed)}"
        eta = self.eta()
        if self.remaining and eta is not None:
            text += f", about {clock_text(eta)} left"
        return text

    def stop(self) -> None:
        """End the bar; without one, a closing line if the work was long or was logged."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        elif self.lines or self.elapsed >= self.log_every:
            finished = self.before + self.done
            self._log(f"{finished}/{self.total} {self.label} done in {clock_text(self.elapsed)}")

    def _log(self, text: str) -> None:
        line = f"abm: {text}"
        self.lines.append(line)
        print(line, file=self.stream, flush=True)

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self._bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            "eta {task.fields[eta]}",
            console=Console(file=self.stream),
            transient=True,
        )
        self._task = self._bar.add_task(
            self.label, total=self.total, completed=self.before, eta="?"
        )
        self._bar.start()


class NoProgress(Progress):
    """Progress that shows nothing (``progress=False``) but still keeps the time."""

    def refresh(self) -> None: ...

    def stop(self) -> None: ...


def make_progress(progress: bool | Progress | None) -> Progress:
    """`True`/`None`: a bar on a terminal, plain lines elsewhere; `False`: nothing."""
    if isinstance(progress, Progress):
        return progress
    return NoProgress() if progress is False else Progress()
