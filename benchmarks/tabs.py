"""The classroom app under a room of tabs: frame cost, and steps per second per tab with
the server's CPU and memory at 1, 10 and 30 playing tabs.

    python -m benchmarks.tabs            # frames, then 1, 10 and 30 tabs, 30 s each
    python -m benchmarks.tabs --quick    # frames, then 1 and 10 tabs, 15 s each

Frames: the app's page rendered with `solara.render`, the model stepped as the play loop
steps it at "normal" speed, the last step by the page's Step button (which redraws as
the play loop does), on the server's CPU alone. Tabs: `solara run viz/app.py
--production` and Debian's chromium (Playwright), every tab pressing ▶ at normal speed;
the step counter of each tab is read at the start and the end of the window, the
server's CPU time and RSS from /proc (psutil). Chromium runs on the same 2 cores, so the
tab figures include the browser's drawing cost (its CPU is reported beside the server's:
100 % is one core). Writes `benchmarks/tabs.json` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"


def frame_costs(frames: int, preset: str | None = None) -> dict:
    """Wall and CPU milliseconds of one frame of the whole page, as the play loop draws it.

    `viz.app.Page` rendered with `solara.render`; a frame is the steps of one frame at
    "normal" speed, the last of them by the page's own Step button, which steps under the
    render lock and bumps the page's frame counter: the play loop's redraw.
    """
    import ipyvuetify as v
    import solara

    import viz.app as app
    from viz import presets
    from viz.runner import DEFAULT_SPEED, SPEEDS

    built = []
    build = presets.build

    def capture(*args, **kwargs):  # the page builds its model itself; keep a handle on it
        built.append(build(*args, **kwargs))
        return built[-1]

    presets.build = capture
    try:
        name = preset or presets.default_name(presets.names())
        t = time.perf_counter()
        _, rc = solara.render(app.Page(), handle_error=False)
        first_render = time.perf_counter() - t
    finally:
        presets.build = build
    model = built[-1]
    (step,) = [b for b in rc.find(v.Btn).widgets if str(b.children[0]).startswith("Step (")]
    per_frame = SPEEDS[DEFAULT_SPEED].steps_per_frame
    wall, cpu, step_ms = [], [], []
    for _ in range(frames):
        w, c = time.perf_counter(), time.process_time()
        for _ in range(per_frame - 1):
            model.step()
        s = time.perf_counter()
        step.click()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
        step_ms.append(1e3 * (s - w) * per_frame / max(per_frame - 1, 1))
    rc.close()
    q = sorted(wall)
    return {
        "preset": name,
        "traders": model.n_traders,
        "what": "solara.render(viz.app.Page()); per frame: the steps, the last by Step",
        "first_render_s": first_render,
        "frames": frames,
        "steps_per_frame": per_frame,
        "final_step": int(model.steps),
        "frame_ms_median": 1e3 * statistics.median(wall),
        "frame_ms_p90": 1e3 * q[int(0.9 * (len(q) - 1))],
        "frame_ms_max": 1e3 * q[-1],
        "frame_cpu_ms_median": 1e3 * statistics.median(cpu),
        "steps_ms_median": statistics.median(step_ms),
    }


def _serve(port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "solara", "run", "viz/app.py", "--production"]
    cmd += ["--port", str(port), "--host", "127.0.0.1"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, env=env
    )
    for _ in range(240):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=3)
            return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the app server did not start")


def _step(page) -> int:
    return int(re.sub(r"\D", "", page.locator(".abm-step").inner_text()) or 0)


def _browser_cpu() -> float:
    """CPU seconds of the chromium processes this benchmark started (all their pages)."""
    total = 0.0
    for proc in psutil.Process().children(recursive=True):
        try:
            if "chrom" in proc.name():
                total += sum(proc.cpu_times()[:2])
        except psutil.NoSuchProcess:
            continue
    return total


def room(n_tabs: int, seconds: float, port: int = 8899) -> dict:
    """n tabs playing at once: steps per second per tab, server CPU and memory."""
    from playwright.sync_api import sync_playwright

    proc = _serve(port)
    server = psutil.Process(proc.pid)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox"], headless=True
            )
            rss_idle = server.memory_info().rss
            contexts = [
                browser.new_context(viewport={"width": 1024, "height": 768}) for _ in range(n_tabs)
            ]
            pages = [c.new_page() for c in contexts]
            for p in pages:
                p.goto(f"http://127.0.0.1:{port}/")
            for p in pages:
                p.locator(".abm-step").wait_for(timeout=180_000)
            for p in pages:
                p.get_by_role("button", name="▶ Play").click()
            time.sleep(3.0)  # every loop running
            start = [_step(p) for p in pages]
            cpu0, t0 = sum(server.cpu_times()[:2]), time.perf_counter()
            browser0 = _browser_cpu()
            time.sleep(seconds)
            cpu1, t1 = sum(server.cpu_times()[:2]), time.perf_counter()
            browser1 = _browser_cpu()
            end = [_step(p) for p in pages]
            rss_playing = server.memory_info().rss
            for c in contexts:
                c.close()
            time.sleep(20.0)  # kernels close, models are freed
            rss_after = server.memory_info().rss
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    rates = [(b - a) / (t1 - t0) for a, b in zip(start, end, strict=True)]
    return {
        "tabs": n_tabs,
        "seconds": round(t1 - t0, 1),
        "steps_per_s_per_tab_median": statistics.median(rates),
        "steps_per_s_per_tab_min": min(rates),
        "tabs_advancing": sum(r > 0 for r in rates),
        "server_cpu_percent": 100 * (cpu1 - cpu0) / (t1 - t0),
        "browser_cpu_percent": 100 * (browser1 - browser0) / (t1 - t0),
        "machine_load_1min": os.getloadavg()[0],
        "server_rss_mb_idle": rss_idle / 1e6,
        "server_rss_mb_playing": rss_playing / 1e6,
        "server_rss_mb_after_close": rss_after / 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args(argv)
    sizes, seconds = ((1, 10), 15.0) if a.quick else ((1, 10, 30), 30.0)
    out = {"frame": frame_costs(20 if a.quick else 60), "rooms": []}
    print(json.dumps(out["frame"]), flush=True)
    for n in sizes:
        out["rooms"].append(room(n, seconds))
        print(json.dumps(out["rooms"][-1]), flush=True)
    (ROOT / "benchmarks" / "tabs.json").write_text(json.dumps(out, indent=2) + "\n")
    f = out["frame"]
    print(
        f"\nframe ({f['steps_per_frame']} steps + one redraw of the page): median "
        f"{f['frame_ms_median']:.1f} ms wall, {f['frame_cpu_ms_median']:.1f} ms CPU, p90 "
        f"{f['frame_ms_p90']:.1f} ms; the steps alone {f['steps_ms_median']:.1f} ms\n"
    )
    print(
        "| tabs | steps/s per tab (median, min) | tabs advancing | server CPU | browser CPU "
        "| server RSS idle → playing → after close |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for r in out["rooms"]:
        print(
            f"| {r['tabs']} | {r['steps_per_s_per_tab_median']:.1f}, "
            f"{r['steps_per_s_per_tab_min']:.1f} "
            f"| {r['tabs_advancing']}/{r['tabs']} | {r['server_cpu_percent']:.0f} % "
            f"| {r['browser_cpu_percent']:.0f} % "
            f"| {r['server_rss_mb_idle']:.0f} → {r['server_rss_mb_playing']:.0f} → "
            f"{r['server_rss_mb_after_close']:.0f} MB |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
