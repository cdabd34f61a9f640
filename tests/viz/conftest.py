"""Fixtures for the app's tests: small models, and a real app server plus Debian's chromium.

Browser tests drive `/usr/bin/chromium` through pytest-playwright (Playwright cannot
download its own browser here) and skip cleanly when it is missing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

import abm.scenarios  # noqa: F401  (registers the preset loader with ExchangeModel)
from abm.model import ExchangeModel

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 90.0


@pytest.fixture
def close_renders(monkeypatch):
    """Close every render context a test opens: a live one keeps redrawing on later
    tests' `force_update()` calls (Mesa's update_counter is shared outside a kernel)."""
    import solara

    opened = []
    real = solara.render

    def render(*args, **kwargs):
        box, rc = real(*args, **kwargs)
        opened.append(rc)
        return box, rc

    monkeypatch.setattr(solara, "render", render)
    yield
    for rc in opened:
        rc.close()


@pytest.fixture
def fresh_model() -> ExchangeModel:
    """A small model at step 0 (no governance, to keep it quick)."""
    return ExchangeModel(rng=3, n_traders=120, governance_enabled=False)


@pytest.fixture(scope="module")
def crash_model() -> ExchangeModel:
    """Default-sized model run through a flash crash: liquidations and bad debt."""
    m = ExchangeModel(rng=7, shock_size=0.35, shock_hour=40, governance_enabled=False)
    for _ in range(80):
        m.step()
    return m


@pytest.fixture(scope="module")
def governed_model() -> ExchangeModel:
    """The governance preset run until proposals have been voted on and executed."""
    m = ExchangeModel(preset="governance_response")
    for _ in range(330):
        m.step()
    assert m.governance.governor.proposals, "the preset should have made proposals by now"
    return m


# -- browser ----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at Debian's chromium."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); browser tests skipped")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1600, "height": 1000}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@dataclass
class AppServer:
    """A running app server: its address, its process and the log it writes."""

    url: str
    process: subprocess.Popen
    log: Path

    def log_lines(self, containing: str) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if containing in line]


@pytest.fixture(scope="module")
def app_url(app_server) -> str:
    return app_server.url


@pytest.fixture(scope="module")
def app_server(browser_type_launch_args, tmp_path_factory):
    """`solara run viz/app.py` in production mode on a free port; stopped afterwards."""
    port = _free_port()
    log = tmp_path_factory.mktemp("solara") / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SOLARA_KERNEL_CULL_TIMEOUT": "3s"}
    cmd = [sys.executable, "-m", "solara", "run", "viz/app.py"]
    cmd += ["--port", str(port), "--host", "127.0.0.1", "--production"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    try:
        while not _ready(url):
            if time.monotonic() > deadline:
                pytest.fail(f"the app server did not answer within {SERVER_START_TIMEOUT:.0f} s")
            try:  # waits on the server process itself, so a crash fails at once
                code = proc.wait(timeout=0.25)
            except subprocess.TimeoutExpired:
                continue
            pytest.fail(f"the app server exited with {code}:\n{log.read_text()[-3000:]}")
        yield AppServer(url, proc, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
