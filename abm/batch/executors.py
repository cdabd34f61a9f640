"""Where a sweep's chunks run: in this process, on a warm pool of worker processes, or on
a Dask cluster. Each runner yields chunk results as they finish and reports every
finished run (across processes through a queue), so progress moves run by run."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

POLL = 0.5
"""Seconds between looks at the finished-run queue while chunks are running."""
DASK_TIMEOUT = 10.0

_on_run: Callable[[], None] | None = None


def report_run() -> None:
    """Called by a worker after each run: tells the sweep that one more is done."""
    if _on_run is not None:
        _on_run()


def _init_pool_worker(queue: Any) -> None:
    global _on_run
    _on_run = lambda: queue.put(1)  # noqa: E731  (a worker-global callback)


class Runner:
    """Runs chunks in this process, one after the other."""

    slots = 1
    """Chunks that can run at the same time (worker processes or cluster threads)."""

    def results(
        self, fn: Callable[[Any], Any], tasks: Sequence[Any], on_run: Callable[[], None]
    ) -> Iterator[Any]:
        global _on_run
        _on_run = on_run
        try:
            for task in tasks:
                yield fn(task)
        finally:
            _on_run = None

    def close(self, aborted: bool) -> None: ...


class PoolRunner(Runner):
    """A warm pool of `workers` processes (forked on Linux, so scripts need no
    ``if __name__ == "__main__"``); an aborted sweep stops them at once."""

    def __init__(self, workers: int) -> None:
        ctx = _Recording(
            multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        )
        self.started = ctx.started
        self.slots = workers
        self.queue = ctx.SimpleQueue()
        self.pool = cf.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=_init_pool_worker,
            initargs=(self.queue,),
        )

    def results(self, fn, tasks, on_run):
        pending = {self.pool.submit(fn, t) for t in tasks}
        while pending:
            done, pending = cf.wait(pending, timeout=POLL, return_when=cf.FIRST_COMPLETED)
            while not self.queue.empty():
                self.queue.get()
                on_run()
            for future in done:
                yield future.result()

    def close(self, aborted: bool) -> None:
        if not aborted:
            self.pool.shutdown(wait=True)
            return
        for proc in self.started:
            proc.terminate()
        # The pool's manager thread sees its workers die and reaps them; waiting for it
        # means no worker outlives the sweep, and none is still being reaped (a process
        # reaped by that thread while this one waits would read as alive).
        self.pool.shutdown(wait=True, cancel_futures=True)
        for proc in self.started:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join()


class _Recording:
    """A multiprocessing context that remembers the processes it starts, so that an aborted
    sweep can stop the pool's workers without reaching into the pool's private state."""

    def __init__(self, ctx: Any) -> None:
        self._ctx = ctx
        self.started: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctx, name)

    def Process(self, *args: Any, **kwargs: Any) -> Any:  # named as on the context
        proc = self._ctx.Process(*args, **kwargs)
        self.started.append(proc)
        return proc


class DaskRunner(Runner):
    """Chunks as tasks on a Dask cluster. Connecting, and checking that every worker runs
    the same `abm` version, happen here, before the sweep writes anything."""

    def __init__(self, dask: Any, version: str) -> None:
        from distributed import Client

        if isinstance(dask, Client):
            self.client, self.own = dask, False
        else:
            try:
                self.client = Client(dask, timeout=DASK_TIMEOUT, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise OSError(f"cannot reach the Dask scheduler at {dask}: {exc}") from None
            self.own = True
        try:
            self._check_versions(version)
            self.slots = max(1, sum(self.client.nthreads().values()))
        except BaseException:
            self.close(True)
            raise
        self.executor = self.client.get_executor(pure=False)

    def _check_versions(self, version: str) -> None:
        from .run import package_version

        found = self.client.run(package_version)
        if not found:
            raise OSError("the Dask cluster has no workers")
        other = {w: v for w, v in found.items() if v != version}
        if other:
            worker, v = sorted(other.items())[0]
            raise OSError(
                f"Dask worker {worker} runs abm {v}, this sweep abm {version}; "
                "install the same version on every worker"
            )

    def check_readable(self, paths: Sequence[str]) -> None:
        """Every worker can read every file in `paths` (replayed price series)."""
        if not paths:
            return
        found = self.client.run(_unreadable, list(paths))
        bad = {w: p for w, p in found.items() if p}
        if bad:
            worker, missing = sorted(bad.items())[0]
            raise OSError(f"Dask worker {worker} cannot read {', '.join(missing)}")

    def results(self, fn, tasks, on_run):
        pending = {self.executor.submit(fn, t) for t in tasks}
        while pending:
            done, pending = cf.wait(pending, timeout=POLL, return_when=cf.FIRST_COMPLETED)
            for future in done:
                yield future.result()

    def close(self, aborted: bool) -> None:
        executor = getattr(self, "executor", None)
        if executor is not None:
            executor.shutdown(wait=not aborted)
        if self.own:
            self.client.close()


def _unreadable(paths: list[str]) -> list[str]:
    return [p for p in paths if not os.access(p, os.R_OK)]
