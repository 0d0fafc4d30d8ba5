"""The visual run end to end, in a real headless Chromium (Debian's ``chromium``).

``dmzsim viz`` is started as a subprocess on a free port of 127.0.0.1; Playwright drives
the page: a control is changed (a bad seed is refused, a good one applied, a scenario
picked), Step and Play are pressed, and the day counter, the map and the plots must all
move. Every request the page makes must go to the local server (the visual run works
offline); any other is refused and fails the test. No browser is downloaded: Playwright
launches ``/usr/bin/chromium``.

With ``DMZSIM_SCREENSHOT=1`` the run uses the real Donetsk map, plays on to well past
the offensive and saves ``docs/img/viz.png`` (the README's screenshot).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
SMALL_MAP = ROOT / "model" / "maps" / "synthetic_small.toml"
SCREENSHOT = ROOT / "docs" / "img" / "viz.png"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
MAKING_SCREENSHOT = os.environ.get("DMZSIM_SCREENSHOT") == "1"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="install Debian's chromium: apt-get install chromium"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def viz_url(tmp_path: Path) -> Iterator[str]:
    """``dmzsim viz`` on a free port; yields the address it prints, stops it afterwards."""
    pytest.importorskip("playwright.sync_api")
    env = {**os.environ, "DMZSIM_VIZ_OUT": str(tmp_path / "viz"),
           "DMZSIM_EXPORT_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("DMZSIM_SCENARIO", None)
    if MAKING_SCREENSHOT:
        env.pop("DMZSIM_MAP", None)
    else:
        env["DMZSIM_MAP"] = str(SMALL_MAP)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "dmzsim.runs.cli", "viz", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        yield _wait_for_address(proc, port)
    finally:
        proc.terminate()  # dmzsim viz stops its solara child on SIGTERM
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group this fixture started
            proc.wait()


def _wait_for_address(proc: subprocess.Popen, port: int, timeout: float = 120.0) -> str:
    assert proc.stdout is not None
    deadline, seen = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        match = re.search(r"open (http://127\.0\.0\.1:(\d+)/)", line)
        if match:
            assert int(match.group(2)) == port
            # keep reading the server's log so a full pipe never blocks it
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return match.group(1)
    raise AssertionError("dmzsim viz did not print its address:\n" + "".join(seen))


def day(page) -> int:
    return int(page.locator(".dmz-day").inner_text().split()[1])


def snapshot(page) -> tuple[bytes, bytes]:
    return (page.locator(".dmz-map").screenshot(), page.locator(".dmz-plots").screenshot())


def wait_for_day(page, at_least: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while day(page) < at_least:
        assert time.monotonic() < deadline, f"day stuck at {day(page)}"
        time.sleep(0.1)


def is_local(url: str) -> bool:
    """A request that never leaves the machine: to 127.0.0.1 or localhost, or inline."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and \
        parts.hostname in ("127.0.0.1", "localhost")


def test_change_step_play_in_chromium(viz_url: str) -> None:
    """... and every request the page makes (scripts, styles, fonts, the websocket) goes
    to the local server: the visual run works offline. Any other request is refused."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)  # a busy machine builds the page slowly
    requested: list[str] = []
    refused: list[str] = []

    def refuse(route) -> None:
        refused.append(route.request.url)
        route.abort("blockedbyclient")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1600, "height": 1200})
            context.route(lambda url: not is_local(url), refuse)
            context.on("request", lambda request: requested.append(request.url))
            page = context.new_page()
            page.on("websocket", lambda ws: requested.append(ws.url))
            page.set_default_timeout(60_000)
            page.goto(viz_url)
            expect(page.locator(".dmz-day")).to_contain_text("Day 0 of")
            expect(page.locator(".dmz-map")).to_be_visible()
            expect(page.locator(".dmz-plots")).to_be_visible()

            # a control: the seed refuses a non-number, then takes a number
            seed = page.get_by_label("seed")
            seed.fill("twelve")
            seed.press("Enter")
            expect(page.get_by_text("seed must be a whole number")).to_be_visible()
            expect(page.locator(".dmz-day")).to_contain_text("seed 0")
            seed.fill("12")
            seed.press("Enter")
            expect(page.locator(".dmz-day")).to_contain_text("seed 12")
            if MAKING_SCREENSHOT:  # the US-favoured order, with a mirrored zone
                page.locator(".v-select").filter(has_text="scenario").first.click()
                page.get_by_role("option",
                                 name="sequencing.toml › territory_first-mirrored").click()
                expect(page.locator(".dmz-day")).to_contain_text("seed 20251127")
            else:
                page.locator(".dmz-param-sequencing").click()
                page.get_by_role("option", name="frozen_line").click()
                expect(page.get_by_text("sequencing (changed)")).to_be_visible()
            expect(page.locator(".dmz-day")).to_contain_text("Day 0 of")
            start = snapshot(page)

            page.get_by_role("button", name="Step").click()
            expect(page.locator(".dmz-day")).to_contain_text("Day 1 of")
            time.sleep(0.5)  # let the new frame reach the page
            stepped = snapshot(page)
            assert stepped[0] != start[0] and stepped[1] != start[1]

            page.get_by_role("button", name="Play").click()
            wait_for_day(page, 260 if MAKING_SCREENSHOT else 30, timeout=240)
            page.get_by_role("button", name="Pause").click()
            expect(page.get_by_role("button", name="Play")).to_be_visible()
            time.sleep(0.5)
            played = snapshot(page)
            assert day(page) >= 30
            assert played[0] != stepped[0] and played[1] != stepped[1]

            if MAKING_SCREENSHOT:
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                page.set_viewport_size({"width": 1600, "height": 1000})
                page.screenshot(path=str(SCREENSHOT))
        finally:
            browser.close()
    assert refused == [], f"the page asked for other hosts: {refused}"
    assert any(u.startswith(("ws://", "wss://")) for u in requested)  # the live connection
    assert any(u.endswith(".js") or ".js?" in u for u in requested)  # scripts, all local
    assert [u for u in requested if not is_local(u)] == []
