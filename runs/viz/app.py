"""The visual run: pick a scenario, press play, watch the ceasefire hold or break.

Start it with ``dmzsim viz`` (or ``solara run runs/viz/app.py``). The layout follows Mesa's
SolaraViz and NetLogo's interface: a sidebar with Reset / Play / Step, speed controls,
the scenario, the seed and the parameters; the map, the monitors and the plots in the
main area; below them "run N replicates" and "export".

Mesa's own ``SolaraViz`` is not used as the shell: its Reset rebuilds the model as
``type(model)(**params, scenario=Scenario(...))`` and our strict parameter schema
rejects the ``scenario`` keyword, and its parameter inputs cannot be bound to the schema
(a scenario that changes ten parameters at once, a seed that must be parsed). The page
keeps its behaviour: Reset re-creates the model from the controls, Play steps it in a
background thread, every frame re-renders the map and the plots.

Settings take effect at once while the run is at day 0, and on Reset once it has
started (a banner says so), so the picture always matches the parameters shown.

Environment: ``DMZSIM_MAP`` (map file; tests use the small synthetic map),
``DMZSIM_SCENARIO`` (scenario file to start from), ``DMZSIM_VIZ_OUT`` (where replicate
runs go; default ``results/viz``), ``DMZSIM_EXPORT_DIR`` (where "export" writes).
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solara
import solara.lab
import solara.server.settings
from dmzsim.model.model import CeasefireModel
from dmzsim.model.params import Params
from dmzsim.runs.viz.components import MapView, Monitors, PlotsView
from dmzsim.runs.viz.controls import (
    InputError,
    ParameterPanel,
    Scenario,
    SeedField,
    load_scenarios,
    published_scenarios,
    validate,
)
from dmzsim.runs.viz.replicates import DEFAULT_REPLICATES, ExportPanel, ReplicatesPanel

# No "This website runs on Solara" banner: it sits over the plots' corner. ``dmzsim viz``
# also sets SOLARA_THEME_SHOW_BANNER=False; this covers ``solara run runs/viz/app.py``.
solara.server.settings.theme.show_banner = False


def map_path() -> str | None:
    """The map file (``DMZSIM_MAP``), or None for the model's default map."""
    return os.environ.get("DMZSIM_MAP") or None


@dataclass(frozen=True)
class Settings:
    """What the controls say: every parameter value and the seed."""

    values: dict[str, Any]
    seed: int


#: Days stepped between two frames while playing, to start with. Drawing a frame costs
#: tens of times what stepping a day does, so five days a frame plays five times as fast
#: as one with the same pictures every fifth day (the plots keep every day).
DAYS_PER_FRAME = 5


def build_model(settings: Settings) -> CeasefireModel:
    return CeasefireModel(Params.build(settings.values), rng=settings.seed, map_path=map_path())


class Run:
    """One browser session's run: the model, its settings, and the play loop's state."""

    def __init__(self, start: Scenario) -> None:
        first = Settings(start.values, start.seed)
        self.settings = solara.reactive(first)
        self.applied = solara.reactive(first)
        self.model = solara.reactive(build_model(first))
        self.tick = solara.reactive(0)
        self.playing = solara.reactive(False)
        self.delay_ms = solara.reactive(0)
        self.days_per_frame = solara.reactive(DAYS_PER_FRAME)
        self.error = solara.reactive("")
        self.lock = threading.RLock()  # stepping and drawing a frame never overlap
        self.shown = -1  # the last tick whose frame reached the page

    def reset(self) -> None:
        """Re-create the model from the controls (NetLogo's setup, Mesa's Reset)."""
        self.playing.set(False)
        settings = self.settings.value
        problem = validate(settings.values, map_path())
        if problem:
            self.error.set(problem)
            return
        model = build_model(settings)
        self.model.set(model)
        self.applied.set(settings)
        self.error.set("")
        self.tick.set(self.tick.value + 1)

    def replay(self, seed: int) -> None:
        """Run the current settings again on screen with ``seed`` (a replicate's)."""
        self.settings.set(Settings(self.settings.value.values, seed))
        self.reset()

    def change(self, settings: Settings) -> None:
        """New control values; applied at once if the run has not started."""
        self.settings.set(settings)
        if self.model.value.day == 0 and not self.playing.value:
            self.reset()

    def advance(self, days: int | None = None) -> bool:
        """Step ``days`` days (``days_per_frame`` if None; fewer at the horizon) and show
        the frame; False once finished."""
        with self.lock:
            m = self.model.value
            for _ in range(self.days_per_frame.value if days is None else days):
                if not m.running:
                    break
                m.step()
            running = m.running
        self.tick.set(self.tick.value + 1)
        return running

    def play_loop(self) -> None:
        """Body of the background task: step and render until paused or finished.

        Each frame waits until the page has drawn the previous one, so playing never
        outruns the browser (every rendered day is shown) and speed is set by the
        slowest of stepping, drawing and the delay slider.
        """
        try:
            while self.playing.value:
                if not self.advance():
                    self.playing.set(False)
                    break
                self._wait_for_frame(self.tick.value)
                time.sleep(max(self.delay_ms.value, 1) / 1000)
        except Exception as err:  # shown on the page; the loop stops
            self.playing.set(False)
            self.error.set(f"error while stepping: {type(err).__name__}: {err}")

    def _wait_for_frame(self, tick: int, timeout_s: float = 5.0) -> None:
        deadline = time.monotonic() + timeout_s
        while self.shown < tick and self.playing.value and time.monotonic() < deadline:
            time.sleep(0.002)


@solara.component
def RunView(run: Run) -> None:  # noqa: N802
    """Map, monitors and plots of the current day; re-rendered every frame."""
    model, tick = run.model.value, run.tick.value

    def mark_shown() -> None:
        run.shown = tick

    solara.use_effect(mark_shown, [model, tick])
    with solara.Column(gap="8px"):
        Monitors(model, tick, run.lock)
        with solara.Columns([6, 6], gutters_dense=True):
            MapView(model, tick, run.lock)
            PlotsView(model, tick, run.lock)


@solara.component
def RunControls(run: Run) -> None:  # noqa: N802
    """Reset / Play / Step, speed, and the day counter."""
    model, playing = run.model.value, run.playing.value
    solara.lab.use_task(run.play_loop, dependencies=[playing], raise_error=False)
    with solara.Row(justify="space-between"):
        solara.Button("Reset", on_click=run.reset, color="primary")
        solara.Button("❚❚ Pause" if playing else "▶ Play", color="primary",
                      on_click=lambda: run.playing.set(not playing),
                      disabled=not model.running)
        solara.Button("Step", on_click=lambda: run.advance(1), color="primary",
                      disabled=playing or not model.running)
    solara.SliderInt("delay between frames (ms)", value=run.delay_ms, min=0, max=1000,
                     step=10)
    solara.SliderInt("days per frame while playing", value=run.days_per_frame, min=1, max=30)
    run.tick.get()  # re-render the counter every frame
    solara.Text(f"Day {model.day} of {model.p.horizon_days} · {model.phase} · "
                f"seed {run.applied.value.seed}", classes=["dmz-day"])


@solara.component
def ScenarioControls(run: Run, scenarios: list[Scenario], notes: list[str],  # noqa: N802
                     first: str) -> None:
    """Start from a published arm or a scenario file; the seed."""
    by_label = {s.label: s for s in scenarios}
    chosen, set_chosen = solara.use_state(first)
    path, set_path = solara.use_state("")
    problem, set_problem = solara.use_state("")

    def pick(label: str) -> None:
        set_chosen(label)
        s = by_label[label]
        run.change(Settings(dict(s.values), s.seed))

    def load_file() -> None:
        try:
            found = load_scenarios(path.strip())
        except (InputError, ValueError, OSError) as err:
            set_problem(str(err))
            return
        set_problem("")
        scenarios.extend(s for s in found if s.label not in by_label)
        pick(found[0].label)

    solara.Select("scenario", values=list(by_label), value=chosen, on_value=pick)
    with solara.Row():
        solara.InputText("or a scenario file (.toml)", value=path, on_value=set_path,
                         continuous_update=True, error=problem or False,
                         message=problem or None)
        solara.Button("Load", on_click=load_file, disabled=not path.strip())
    for note in notes:
        solara.Text(f"not listed: {note}", style={"font-size": "11px", "color": "#999"},
                    classes=["dmz-note"])
    settings = run.settings.value
    SeedField(settings.seed, lambda seed: run.change(Settings(settings.values, seed))
              ).key(f"seed-{settings.seed}")


def starting_scenario(scenarios: list[Scenario], extra: str | None) -> Scenario:
    """The ``--scenario`` file's first scenario if it loaded, else the model defaults."""
    if extra:
        name = Path(extra).name
        for s in scenarios:
            if s.label == name or s.label.startswith(f"{name} › "):
                return s
    return scenarios[0]


@solara.component
def Page() -> None:  # noqa: N802
    """The whole page."""
    extra = os.environ.get("DMZSIM_SCENARIO") or None
    scenarios, notes = solara.use_memo(lambda: published_scenarios(extra), [])
    start = starting_scenario(scenarios, extra)
    run = solara.use_memo(lambda: Run(start), [])
    settings, model = run.settings.value, run.model.value
    n_text = solara.use_reactive(str(DEFAULT_REPLICATES))  # replicates and export share N

    def set_param(name: str, value: Any) -> None:
        current = run.settings.value
        run.change(Settings({**current.values, name: value}, current.seed))

    solara.Title("dmzsim · visual run")
    with solara.AppBar():
        solara.AppBarTitle(f"dmzsim · visual run · {model.theatre.raster.map_name}")
    with solara.Sidebar():
        with solara.Card("Run"):
            RunControls(run)
        with solara.Card("Scenario and seed"):
            ScenarioControls(run, scenarios, notes, start.label)
        with solara.Card("Parameters"):
            ParameterPanel(settings.values, set_param)
    if run.error.value:
        solara.Error(run.error.value)
    if settings != run.applied.value:
        solara.Warning("The controls changed after this run started; "
                       "press Reset to run with them.", classes=["dmz-pending"])
    FinishedBanner(run)
    RunView(run)
    with solara.Columns([1, 1]):
        with solara.Card("Run N replicates of these settings"):
            ReplicatesPanel(settings.values, settings.seed, map_path(),
                            os.environ.get("DMZSIM_VIZ_OUT", os.path.join("results", "viz")),
                            n_text=n_text, on_replay=run.replay)
        with solara.Card("Export these settings as an experiment"):
            ExportPanel(settings.values, settings.seed, n_text=n_text, map_path=map_path())


@solara.component
def FinishedBanner(run: Run) -> None:  # noqa: N802
    """Once the run reaches its horizon: it is over, and how it ended."""
    model = run.model.value
    run.tick.get()  # re-render every frame
    if model.running:
        return
    resumed = model.record.day_resumed
    how = ("the ceasefire held" if math.isnan(resumed)
           else f"the offensive resumed on day {resumed:.0f}")
    solara.v.Alert(children=[f"Finished: the run reached its horizon, day {model.day}; "
                             f"{how}. Reset to run again."],
                   outlined=True, color="grey darken-2", dense=True, class_="dmz-finished")


page = Page
