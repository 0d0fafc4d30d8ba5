"""The visual run end to end, in a real headless Chromium (Debian's ``chromium``).

``dmzsim viz`` is started as a subprocess on a free port of 127.0.0.1; Playwright drives
the page: a control is changed (a bad seed is refused, a good one applied, a scenario
picked), Step and Play are pressed, and the day counter, the map and the plots must all
move. Every request the page makes must go to the local server (the visual run works
offline); any other is refused and fails the test. No browser is downloaded: Playwright
launches ``/usr/bin/chromium``.

With ``DMZSIM_SCREENSHOT=1`` the run uses the real Donetsk map, plays a typical frozen
line (:data:`SCREENSHOT_SEED`) on to well past the offensive and saves
``docs/img/viz.png`` (the README's screenshot).
"""

from __future__ import annotations

import contextlib
import io
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

import numpy as np
import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
SMALL_MAP = ROOT / "model" / "maps" / "synthetic_small.toml"
SCREENSHOT = ROOT / "docs" / "img" / "viz.png"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
MAKING_SCREENSHOT = os.environ.get("DMZSIM_SCREENSHOT") == "1"
#: The README's run: a frozen line on the Donetsk map at the model's defaults whose
#: offensive resumes on day 280 (10 of seeds 0 to 29 resume within two years, on days
#: 139 to 714, half of them by day 334).
SCREENSHOT_SEED, SCREENSHOT_DAY = 15, 345
BADGE = "This website runs on"

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
            context = browser.new_context(viewport={"width": 1600, "height": 1000})
            context.route(lambda url: not is_local(url), refuse)
            context.on("request", lambda request: requested.append(request.url))
            page = context.new_page()
            page.on("websocket", lambda ws: requested.append(ws.url))
            page.set_default_timeout(60_000)
            page.goto(viz_url)
            expect(page.locator(".dmz-day")).to_contain_text("Day 0 of")
            expect(page.locator(".dmz-map")).to_be_visible()
            expect(page.locator(".dmz-plots")).to_be_visible()
            expect(page.get_by_text(BADGE)).to_have_count(0)
            check_layout(page, "1600x1000 at day 0")

            # a control: the seed refuses a non-number, then takes a number
            seed = page.get_by_label("seed", exact=True)
            seed.fill("twelve")
            seed.press("Enter")
            expect(page.get_by_text("seed must be a whole number")).to_be_visible()
            expect(page.locator(".dmz-day")).to_contain_text("seed 0")
            good = str(SCREENSHOT_SEED if MAKING_SCREENSHOT else 12)
            seed.fill(good)
            seed.press("Enter")
            expect(page.locator(".dmz-day")).to_contain_text(f"seed {good}")
            page.locator(".dmz-param-sequencing").click()
            page.get_by_role("option", name="frozen_line").click()
            expect(page.get_by_text("sequencing (changed)")).to_be_visible()
            expect(page.locator(".dmz-day")).to_contain_text("Day 0 of")
            check_frozen_line_controls(page)
            start = snapshot(page)

            page.get_by_role("button", name="Step").click()
            expect(page.locator(".dmz-day")).to_contain_text("Day 1 of")
            time.sleep(0.5)  # let the new frame reach the page
            stepped = snapshot(page)
            assert stepped[0] != start[0] and stepped[1] != start[1]

            page.get_by_role("button", name="Play").click()
            wait_for_day(page, SCREENSHOT_DAY if MAKING_SCREENSHOT else 30, timeout=600)
            page.get_by_role("button", name="Pause").click()
            expect(page.get_by_role("button", name="Play")).to_be_visible()
            time.sleep(0.5)
            played = snapshot(page)
            assert day(page) >= 30
            assert played[0] != stepped[0] and played[1] != stepped[1]

            if MAKING_SCREENSHOT:
                expect(page.locator(".dmz-monitor").filter(
                    has_text="Offensive resumed")).to_contain_text("day 280")
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                page.mouse.move(0, 0)
                page.evaluate("document.querySelectorAll('*').forEach("
                              "e => { if (e.scrollTop) { e.scrollTop = 0; } })")
                wait_until_sharp(page)
                page.screenshot(path=str(SCREENSHOT))
        finally:
            browser.close()
    assert refused == [], f"the page asked for other hosts: {refused}"
    assert any(u.startswith(("ws://", "wss://")) for u in requested)  # the live connection
    assert any(u.endswith(".js") or ".js?" in u for u in requested)  # scripts, all local
    assert [u for u in requested if not is_local(u)] == []


# --- what a new user sees, at two screen sizes -------------------------------------------------
# On the small map, a war that resumes (day 35 for seeds 0 to 2) and a short horizon.
WAR_RUN = {"ua_initial_personnel": "60000", "resumption_cost_km2": "0", "horizon_days": "80"}
SIZES = [pytest.param(1600, 1000, 1, id="1600x1000"),
         pytest.param(1280, 800, 2, id="1280x800-dpr2")]


@pytest.mark.skipif(MAKING_SCREENSHOT, reason="the screenshot run is the test above")
@pytest.mark.parametrize(("width", "height", "dpr"), SIZES)
def test_a_run_a_researcher_can_read(viz_url: str, width: int, height: int, dpr: int) -> None:
    """A war that resumes, played to its horizon: no field, monitor or key entry
    overlaps another; the map fills its column at the pixel density; the breakthrough
    line shows in every shaded phase; clicking the map inspects it; the finished banner;
    replicates in a neutral box, N shared with export, and replaying a replicate."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height},
                                          device_scale_factor=dpr)
            context.route(lambda url: not is_local(url), lambda route: route.abort())
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(viz_url)
            expect(page.locator(".dmz-day")).to_contain_text("Day 0 of")
            page.locator(".dmz-param-dmz_shape").click()
            page.get_by_role("option", name="mirrored").click()
            page.get_by_text("All parameters").click()
            for name, value in WAR_RUN.items():
                field = page.get_by_label(name, exact=False).first
                field.fill(value)
                field.press("Enter")
            expect(page.locator(".dmz-day")).to_contain_text("Day 0 of 80")
            bad = page.get_by_label("withdrawal_days", exact=False).first
            bad.fill("3.5")
            bad.press("Enter")
            expect(page.get_by_text("must be a whole number; got '3.5'")).to_be_visible()
            check_fields(page)
            bad.fill("14")
            bad.press("Enter")

            page.get_by_role("button", name="Play").click()
            expect(page.locator(".dmz-finished")).to_contain_text("Finished", timeout=180_000)
            expect(page.locator(".dmz-finished")).to_contain_text("resumed on day")
            time.sleep(0.5)
            expect(page.get_by_text(BADGE)).to_have_count(0)
            check_layout(page, f"{width}x{height} at the horizon")
            check_threshold_in_every_phase(page)
            check_inspection(page, width, height)
            check_donetsk_labels(page)
            check_replicates(page)
            page.locator(".dmz-param-sequencing").click()
            page.get_by_role("option", name="frozen_line").click()
            check_frozen_line_controls(page)
        finally:
            browser.close()


def boxes(page, selector: str) -> list[dict]:
    return [b for b in (e.bounding_box() for e in page.locator(selector).all()) if b]


def overlap(a: dict, b: dict, slack: float = 0.5) -> bool:
    return (min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"]) > slack and
            min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"]) > slack)


def assert_apart(items: list[dict], what: str) -> None:
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            assert not overlap(a, b), f"{what} overlap: {a} {b}"


def check_layout(page, when: str) -> None:
    """Monitors and key entries apart; map and plots fill their columns, drawn for the
    width they are shown at (neither blown up nor shrunk, so text keeps its size)."""
    assert_apart(boxes(page, ".dmz-monitor"), f"monitors ({when})")
    assert_apart(boxes(page, ".dmz-key-item"), f"map key entries ({when})")
    wait_until_sharp(page)
    for selector in (".dmz-map", ".dmz-plots"):
        shown = page.locator(selector).evaluate("e => e.clientWidth")
        column = page.locator(selector).evaluate("e => e.parentElement.clientWidth")
        assert shown >= 0.97 * column, (selector, shown, column, when)


def wait_until_sharp(page, timeout: float = 60.0) -> None:
    """Until the map and the plots are drawn for the width they are shown at, at the
    pixel density (within the 16 px the page rounds a width to)."""
    deadline = time.monotonic() + timeout
    for selector in (".dmz-map", ".dmz-plots"):
        while True:
            natural, shown, dpr = page.locator(selector).evaluate(
                "e => [e.naturalWidth, e.clientWidth, window.devicePixelRatio]")
            if shown * dpr * 0.97 <= natural <= (shown + 16) * dpr:
                break
            assert time.monotonic() < deadline, (selector, natural, shown, dpr)
            time.sleep(0.2)


def in_viewport(page, box: dict | None) -> bool:
    size = page.viewport_size
    return box is not None and box["x"] >= 0 and box["y"] >= 0 and \
        box["x"] + box["width"] <= size["width"] and box["y"] + box["height"] <= size["height"]


def check_frozen_line_controls(page) -> None:
    """A frozen line: no guarantee or zone control is live, each says why; monitoring is."""
    from playwright.sync_api import expect

    for name in ("guarantee_delay_days", "guarantee_credibility", "guarantee_delivery_prob",
                 "dmz_width_km", "dmz_shape"):
        control = page.locator(f".dmz-control-{name}")
        expect(control).to_have_class(re.compile(r"\bdmz-inactive\b"))
        expect(control).to_contain_text("does not apply: frozen_line")
        expect(control.locator("input").first).to_be_disabled()
    expect(page.locator(".dmz-control-monitoring_coverage input").first).to_be_enabled()


def check_fields(page) -> None:
    """Each parameter field in its own box: labels, inputs and messages never overlap the
    next field's, and an error sits under its own field."""
    fields = boxes(page, ".dmz-field")
    assert len(fields) > 50
    assert_apart(fields, "parameter fields")
    error = page.locator(".dmz-field").filter(has_text="must be a whole number").first
    box, message = error.bounding_box(), error.locator(".v-messages").bounding_box()
    assert box and message and message["y"] + message["height"] <= box["y"] + box["height"] + 1


def check_threshold_in_every_phase(page) -> None:
    """The dashed 3:1 line on the force-ratio panel runs across every shaded phase (on
    the rendered page, as the render tests check it on the renderer in each phase)."""
    from dmzsim.runs.viz.drawing import PHASE_SHADE
    from PIL import Image

    png = page.locator(".dmz-plots").screenshot()
    px = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    h, w, _ = px.shape
    panel = px[: int(h * 0.45), : int(w * 0.5)]
    dark = panel.max(axis=2) < 70
    # only the force-ratio panel, up to its frame's right edge (the first column dark over
    # much of the height past a fifth of the width), not the next panel's shading
    frame = np.flatnonzero((panel.max(axis=2) < 100).mean(axis=0) > 0.3)
    right = frame[frame > w // 5]
    if right.size:
        panel, dark = panel[:, :right[0]], dark[:, :right[0]]
    # the threshold: the row with most dashes (dark runs longer than a letter's stroke)
    scale = w / page.locator(".dmz-plots").evaluate("e => e.clientWidth")
    dashes = [dash_count(r, scale) for r in dark]
    row = int(np.argmax(dashes))
    assert dashes[row] >= 8, "no dashed threshold line on the force-ratio panel"
    shades = {p: np.array(matplotlib_rgb(c)) for p, c in PHASE_SHADE.items()}
    seen = set()
    for phase, colour in shades.items():
        # the phase's shade just above the line, on the row nearest it that shows it (a data
        # line lying a few pixels above the threshold may cover one row of it)
        cols = np.zeros(0, dtype=int)
        for above in panel[max(row - 14, 0):row - 3][::-1]:
            cols = np.flatnonzero(np.abs(above - colour).max(axis=1) < 10)
            if cols.size >= 8:
                break
        if cols.size < 8:
            continue
        seen.add(phase)
        # on the line's row the shade shows only in the dashes' gaps (a data line lying
        # on the threshold may cover it, the shading may not)
        line = panel[row - 1:row + 2, cols]
        covered = (np.abs(line - colour).max(axis=2) > 30).any(axis=0)
        assert covered.mean() > 0.6, f"threshold hidden under the {phase} shading"
    assert {"withdrawal", "dmz", "resumed"} <= seen, seen


def dash_count(row: np.ndarray, scale: float = 1.0) -> int:
    """Dashes of the threshold line in a row of dark pixels: runs about 8 CSS pixels long
    (its dashes are 6 pt; a letter's strokes are shorter, a solid line longer)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], row.astype(int), [0]])))
    lengths = edges[1::2] - edges[::2]
    return int(np.sum((lengths >= 6 * scale) & (lengths <= 12 * scale)))


def matplotlib_rgb(colour: str) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    return tuple(255 * c for c in to_rgb(colour))


def check_inspection(page, width: int, height: int) -> None:
    """Clicking the map names what is there, in a panel inside the window, beside the
    point (marked on the map), wherever on the map the click is."""
    from playwright.sync_api import expect

    layer = page.locator(".dmz-pointer").first  # over the map, which comes first
    panel = page.locator(".dmz-inspect")
    for fx, fy in ((0.5, 0.5), (0.85, 0.2), (0.2, 0.85)):
        layer.scroll_into_view_if_needed()
        box = layer.bounding_box()
        assert box is not None
        layer.click(position={"x": box["width"] * fx, "y": box["height"] * fy})
        expect(panel).to_contain_text("Ground at")
        expect(panel).to_contain_text("holds it")
        expect(panel).to_be_in_viewport(ratio=1.0)
        assert in_viewport(page, panel.bounding_box()), (width, height, fx, fy)
        expect(page.locator(".dmz-inspect-point")).to_be_in_viewport()
    close_panel(page, panel)


def close_panel(page, panel) -> None:
    """Close the inspect panel. On a machine busy with the rest of the suite a click that
    lands while the page re-renders can be lost (the panel stays open for good, as it
    would for a user, who clicks again): so click again while it is still open, and fail
    only if four clicks over a minute do not close it."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    close = page.get_by_role("button", name="close")
    for _ in range(4):
        try:
            if close.count():
                close.first.click(timeout=10_000)
        except PlaywrightTimeout:  # it went (the panel closed) between looking and clicking
            pass
        try:
            expect(panel).to_have_count(0, timeout=15_000)
            return
        except AssertionError:
            continue
    expect(panel).to_have_count(0)


def check_donetsk_labels(page) -> None:
    """The Donetsk map at the width and pixel density this page gives the map: in the
    default view, every town in it named and no two names overlapping."""
    from dmzsim.model.model import CeasefireModel
    from dmzsim.runs.viz.components import size_bucket
    from dmzsim.runs.viz.map import MapRenderer
    from dmzsim.runs.viz.map_features import focus_view, in_view

    shown, dpr = page.locator(".dmz-map").evaluate(
        "e => [e.clientWidth, window.devicePixelRatio]")
    width, density = size_bucket(shown, dpr)
    m = CeasefireModel(rng=1)
    renderer = MapRenderer(m, width, density, focus_view(m))
    renderer.frame(m)
    towns = [t.name for t, inside in zip(m.theatre.raster.towns,
                                         in_view(renderer.town_xy, renderer.view),
                                         strict=True) if inside]
    assert sorted(renderer.labelled) == sorted(towns)
    found = renderer.label_boxes
    for i, a in enumerate(found):
        for b in found[i + 1:]:
            assert not a.overlaps(b), (width, density, a, b)


def check_replicates(page) -> None:
    """N shared with export; P in a neutral box; replaying replicate 2 loads its seed."""
    from playwright.sync_api import expect

    n = page.get_by_label("replicates N", exact=True)
    n.fill("3")
    expect(page.get_by_label("replicates N (in the file)")).to_have_value("3")
    page.get_by_role("button", name="Run 3 replicates").click()
    result = page.locator(".dmz-p-resumed")
    expect(result).to_contain_text("of 3 runs", timeout=120_000)
    colour = result.evaluate("e => getComputedStyle(e).color")
    r, g, b = (int(c) for c in re.findall(r"\d+", colour)[:3])
    assert abs(r - g) < 40 and abs(g - b) < 40, f"not neutral: {colour}"  # grey, not green
    page.get_by_role("button", name="Replay replicate 1").click()
    seed = page.locator(".dmz-replicate-k").inner_text().split("seed ")[1].split(")")[0]
    expect(page.locator(".dmz-day")).to_contain_text(f"Day 0 of 80 · withdrawal · seed {seed}")
