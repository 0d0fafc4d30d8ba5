"""CeasefireModel: a ceasefire and a DMZ in Donetsk oblast, one step per day.

The model holds the world (the theatre, the forces, the agreement's timeline) and walks
the day's processes in order (``step``); each process is one object with its own state:
``model/processes/`` for regeneration, movement, fortification, monitoring, Russia's
decision rule, combat and recording, and the command agents (``agents/commands.py``) for
Russia, Ukraine and the guarantor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import mesa
import numpy as np
from dmzsim.agents.commands import Guarantor, RussiaCommand, UkraineCommand
from dmzsim.agents.force_unit import ForceUnit
from dmzsim.model import aims, springboard, zones
from dmzsim.model.agreement import NEVER, build_timeline
from dmzsim.model.forces import RU, UA, ForceTable, Posture
from dmzsim.model.lines import Lines, along_front
from dmzsim.model.main_effort import MainEffort
from dmzsim.model.params import Params
from dmzsim.model.processes.combat import Combat
from dmzsim.model.processes.fortification import Fortification
from dmzsim.model.processes.monitoring import Monitoring
from dmzsim.model.processes.movement import Movement
from dmzsim.model.processes.recording import Recording, RunRecord, mark_resumption
from dmzsim.model.processes.regeneration import Regeneration
from dmzsim.model.processes.shocks import Shocks
from dmzsim.model.rng import SeedLike, Streams, mesa_seed
from dmzsim.model.theatre import Theatre, TheatreGrid, cached_raster
from mesa.time import Priority, Schedule

#: Runs' parameters kept, validated (``_params_on_map``): a sweep's points.
PARAMS_KEPT = 64
#: by the values given: those values validated, and on each map (by its raster) the
#: map's forces under them
_params_kept: dict[str, tuple[Params, dict[int, tuple[Any, Params]]]] = {}


def _params_on_map(explicit: dict[str, Any], map_path: str | Path | None
                   ) -> tuple[Params, Any]:
    """A run's parameters: the map's forces (``zones.map_forces``) under the values given
    explicitly, and the map rasterised at their cell size. Params are frozen, so the
    same values on the same map are validated once per process (the runs of a sweep
    share a point's parameters)."""
    given = repr(sorted(explicit.items(), key=lambda item: repr(item[0])))
    kept = _params_kept.get(given)
    if kept is None:
        if len(_params_kept) >= PARAMS_KEPT:
            _params_kept.clear()
        kept = _params_kept[given] = (Params.build(explicit), {})
    first, on_maps = kept
    raster = cached_raster(map_path, first.cell_km)
    on_map = on_maps.get(id(raster))
    if on_map is None or on_map[0] is not raster:  # the raster held: none takes its id
        on_map = on_maps[id(raster)] = (
            raster, Params.build({**zones.map_forces(raster.spec), **explicit}))
    return on_map[1], raster


WAR_PHASES = ("war", "resumed")
CEASEFIRE_PHASES = ("ceasefire", "withdrawal", "dmz")


class Process(Protocol):
    """One of the day's processes: ``STEP`` is its number in ``CeasefireModel.step``'s
    list (docs/ODD.md, 'Process overview and scheduling')."""

    STEP: int

    def step(self) -> None: ...


class CeasefireModel(mesa.Model):
    """The model. Parameters are constructor keywords (see ``model/params.py``).

    ``CeasefireModel(rng=7, sequencing="guarantees_first")`` works as an ordinary Mesa
    model (and with ``mesa.batch_run``); ``params=`` takes a whole ``Params`` object.
    """

    #: Record the series on every k-th day (day 0 included) and on the last day; 1 records
    #: every day, 0 the last day only. Nothing in a run reads the series, so this changes
    #: no result; ``model.api.simulate`` records only the days it keeps (its
    #: ``series_every``, 0 for summary-only sweeps), which spares a long run most of the
    #: recording.
    series_every: int = 1
    #: Take the grid from those that finished runs gave back (``TheatreGrid.take``) rather
    #: than build one: for models that are dropped after the run, as in ``simulate``.
    grid_from_spares: bool = False
    #: Run the days from one of the deal's events to the next in one Mesa event (True),
    #: rather than one event a day (False, Mesa's own schedule of ``step``). Each day is
    #: the same ``step`` either way, so this changes no result
    #: (``tests/test_day_stretches.py``); it saves Mesa's scheduling of every day, a
    #: tenth of a long run. Batch runs (``model.api.simulate``) turn it on; the visual
    #: run, which shows a day per step, keeps the daily schedule. (Mesa's ``step()`` on
    #: such a model runs a whole stretch: drive it with ``run_for``/``run_until``.)
    days_per_event: bool = False
    #: Draw the rare events as waiting times (True) rather than every day (False, the
    #: reference mode). With waiting times the next shock of each kind, the next small
    #: violation and a review's misreading are drawn when they are due, from the same laws
    #: as the daily draws, so a day on which nothing can happen draws nothing and runs
    #: only the slow quantities (``_quiet_today``). The two modes give other runs of the
    #: same distributions: ``benchmarks/draws_equivalence.py`` (1,000 runs an arm) and
    #: ``tests/test_draws_equivalence.py``.
    waiting_times: bool = True

    def __init__(self, params: Params | None = None, *, rng: SeedLike = 0,
                 map_path: str | Path | None = None, **overrides: Any) -> None:
        super().__init__(rng=mesa_seed(rng))
        explicit = Params.explicit(params, overrides)
        self.p, raster = _params_on_map(explicit, map_path)
        aims.check_scenario(raster.spec, self.p.aims_scenario)
        self.streams = Streams(rng)
        self.day = 0
        self.days_passed_at_once = 0  # days run in stretches (``_pass_quiet_days``)
        self.phase = "ceasefire"
        self.record = RunRecord()
        self.forces = ForceTable()
        self.units: dict[int, ForceUnit] = {}
        # the processes, each with its own state (the order of ``step`` is ``processes``)
        self.regeneration = Regeneration(self)
        self.movement = Movement(self)
        self.fortification = Fortification(self)
        self.monitoring = Monitoring(self)
        self.combat = Combat(self)
        self.shocks = Shocks(self)
        self.lines = Lines(self)
        self.effort = MainEffort(self)
        self._build_theatre(raster)
        self._draw_agreement()
        self._create_forces()
        self.russia = RussiaCommand(self)
        self.ukraine = UkraineCommand(self)
        self._schedule_agreement()
        if self.days_per_event:
            self._schedule_stretches()
        self.recording = Recording(self)
        self.datacollector = self.recording.datacollector
        self.processes: tuple[Process, ...] = (
            self.regeneration, self.movement, self.fortification, self.monitoring,
            self.shocks, self.russia, self.ukraine, self.combat, self.guarantor,
            self.recording)
        #: A quiet day's processes (``_quiet_today``) after regeneration's quiet day
        #: (``Regeneration.quiet_step``), which may form a unit that movement then
        #: places; the monitors' clock runs on (``pass_quiet_day``).
        self.quiet_processes: tuple[Process, ...] = (
            self.movement, self.fortification, self.recording)
        #: A day's processes after the watch (``processes`` from the shocks on): the rest
        #: of a holding review's or a shock's day at the end of a stretch of quiet days
        #: (``_pass_quiet_days``).
        self.after_the_watch: tuple[Process, ...] = self.processes[
            self.processes.index(self.shocks):]
        mark_resumption(self)
        if self.timeline.war_from_start:
            self.record.day_resumed = 0.0
        self.movement.place_all()
        if self.series_every > 0:
            self.recording.collect()

    # --- construction ---------------------------------------------------------------------
    def _build_theatre(self, raster: Any) -> None:
        if self.grid_from_spares:
            self.grid = TheatreGrid.take(raster.shape, random=self.random)
        else:
            self.grid = TheatreGrid(raster.shape, torus=False, capacity=None,
                                    random=self.random)
        self.theatre = Theatre(raster, self.grid, self.p.sector_km,
                               self.p.initial_fortification, self.p.rear_fortification)
        self.ua_area = self.theatre.ua_area_km2()  # km² Ukraine holds, kept as ground falls
        self.lines.read()

    def _draw_agreement(self) -> None:
        g = self.streams.guarantees
        delivered = bool(g.random() < self.p.guarantee_delivery_prob)
        attack_draw = float(g.random())
        self.timeline = build_timeline(self.p, delivered)
        self.phase = "war" if self.timeline.war_from_start else "ceasefire"
        mon = self.monitoring
        mon.coverage = self.p.monitoring_coverage if self.timeline.monitoring else 0.0
        self.guarantor = Guarantor(self, delivered, attack_draw)
        mon.make_sectors()
        mon.show(self.theatre.line_strip())  # no zone yet: they watch the line

    def _create_forces(self) -> None:
        """Each side's units: a reserve share, the rest spread along the front by length."""
        p = self.p
        for side, total, reserve in ((RU, p.ru_initial_personnel, p.ru_reserve_fraction),
                                     (UA, p.ua_initial_personnel, p.ua_reserve_fraction)):
            n_units = int(np.ceil(total / p.unit_personnel))
            sizes = np.full(n_units, p.unit_personnel)
            sizes[-1] = total - p.unit_personnel * (n_units - 1)
            n_reserve = round(reserve * n_units)
            line, start, end = along_front(sizes[n_reserve:], self.theatre.front_km)
            for k in range(n_units):
                if k < n_reserve:
                    self.add_unit(side, sizes[k], p.initial_readiness, Posture.RESERVE, -1)
                else:
                    row = self.add_unit(side, sizes[k], p.initial_readiness, Posture.DEFEND,
                                        int(line[k - n_reserve])).row
                    self.forces.front_from[row] = start[k - n_reserve]
                    self.forces.front_to[row] = end[k - n_reserve]

    def add_unit(self, side: int, strength: float, readiness: float, posture: Posture,
                 sector: int, arrive_day: int = 0) -> ForceUnit:
        """Form a unit: its numbers in a ForceTable row, its place on the map as an agent."""
        row = self.forces.add(side, strength, readiness, posture, sector, arrive_day)
        unit = ForceUnit(self, row)
        self.units[row] = unit
        self.movement.ordered.add(row)
        return unit

    def _schedule_agreement(self) -> None:
        """Schedule the agreement's phase changes as Mesa events.

        An event for day d runs at time d - 0.5, after day d-1's step and before day d's,
        so the day's step already sees the new phase. Day-0 events run at once.
        """
        t = self.timeline
        self._events: dict[int, list[Any]] = {}
        for day, fn in ((t.withdrawal_start, self.start_withdrawal),
                        (t.withdrawal_end, self.complete_withdrawal),
                        (t.guarantees_day, self.guarantees_in_force)):
            if day == NEVER:
                continue
            if day <= 0:
                fn()
            else:
                if day not in self._events:
                    self.schedule_event(self._run_agreement_events, at=day - 0.5)
                self._events.setdefault(day, []).append(fn)

    def _schedule_stretches(self) -> None:
        """Replace Mesa's event a day by one event per stretch of days (``_run_days``):
        the stretch starting on day d runs at time d, as day d's step would."""
        self._default_schedule.stop()  # Mesa's generator of the daily ``step``
        self._days_in_stretch = 1
        self.schedule_recurring(self._run_days, Schedule(interval=self._stretch_length,
                                                         start=1.0), priority=Priority.HIGH)

    def _run_days(self) -> None:
        """Days, each by ``step``, until the eve of the deal's next event, the horizon, or
        a change between war and ceasefire (where ``simulate(until_resumption=True)``
        stops)."""
        last = min(self._events, default=self.p.horizon_days + 1) - 1
        first, at_war = self.day, self.at_war
        while True:
            quiet, finish = self._quiet_days_ahead(last)
            if quiet:
                self._pass_quiet_days(quiet, finish)
            else:
                type(self).step(self)  # the day itself, not Mesa's wrapper that advances time
            if self.day >= last or not self.running or self.at_war != at_war:
                break
        self._days_in_stretch = self.day - first
        self.steps += self._days_in_stretch

    def _stretch_length(self, _model: mesa.Model) -> int:
        """Days the last stretch ran: the next one starts after them."""
        return self._days_in_stretch

    def _run_agreement_events(self) -> None:
        day = round(self.time + 0.5)
        self.day = day  # the events belong to the day about to start
        for fn in self._events.pop(day, []):
            fn()
        self.day = day - 1

    # --- the day ------------------------------------------------------------------------
    def step(self) -> None:
        """One day, in this order (docs/ODD.md, 'Process overview and scheduling').

        1. Agreement phase changes: scheduled events (withdrawal starts or completes,
           guarantees enter into force) have already run before this step.
        2. Regeneration: recruits reach the theatre and fill units or form new ones;
           readiness recovers out of combat (this is regrouping).
        3. Movement and withdrawal: units take the position of their posture; units in
           transit arrive.
        4. Fortification: Ukraine digs on its manned line; works in the zone decay.
        5. Monitoring: each sector may detect a build-up on its front and small
           violations; a first detection warns Ukraine.
        6. Decisions: exogenous shocks may arrive (politics at home, the guarantor's
           resolve, an incident at the line) and bring Russia's review forward; Russia
           reviews whether and where to mass and resume (the value of resuming now
           against keeping the ceasefire and against resuming later); Ukraine commits
           reserves to the most threatened sector, and stands them down.
        7. Combat on sectors in contact and at the main effort's breach: attrition,
           advance, cells and towns change hands; the theatre is cut again along the
           line when fighting has moved it far.
        8. The guarantor answers detected violations.
        9. Record.
        """
        self.day += 1
        if self.day >= self.p.horizon_days:
            self.running = False  # this is the last day: it is recorded whatever happens
        if self._quiet_today():
            self.regeneration.quiet_step()
            for process in self.quiet_processes:
                process.step()
            self.monitoring.pass_quiet_day()
            return
        for process in self.processes:
            process.step()

    def _quiet_today(self) -> bool:
        """Whether today only the slow quantities move: a ceasefire day with no shock, no
        review, no build-up and no violation due (the waiting times say so), and no
        unit on its way. Then the processes that would do nothing are not called
        (``quiet_processes``): the same day, to the bit, as with all of them."""
        return (self.waiting_times and self.in_ceasefire and self.shocks.quiet_today()
                and self.movement.quiet_today() and self.russia.quiet_today()
                and self.monitoring.quiet_today())

    def _quiet_days_ahead(self, last: int) -> tuple[int, bool]:
        """How many days from tomorrow, up to ``last``, are plain ceasefire days: each
        process can tell, from what it holds today, that on each of them it would do what
        it does on a quiet day (``_quiet_today``), but for the small violations on the
        watch's clock and the guarantor's answer to them, and that nothing that ends such
        a stretch (a shock, a build-up, a month that takes from the units, a row of the
        series) falls among them. 0 when tomorrow is not such a day.

        While Russia holds, the first day that is not quiet, a holding review's or a
        shock's, may be the stretch's last (True with the days): up to the shocks, that
        day is a quiet one (``_pass_quiet_days`` then runs the rest of it)."""
        if not (self.waiting_times and self.in_ceasefire and self.movement.quiet_today()):
            return 0, False
        limit = last - self.day
        before = self.russia.quiet_days_ahead(max(self.shocks.quiet_days_ahead(limit), 0))
        ends = before < limit and self.russia.holding_review_ahead()
        days = before + 1 if ends else before
        # regeneration last: it works out the inflow of the days the others leave
        for process in (self.recording, self.monitoring, self.regeneration):
            if days <= 0:
                return 0, False
            days = process.quiet_days_ahead(days)
        return days, ends and days == before + 1

    def _pass_quiet_days(self, days: int, finish: bool = False) -> None:
        """``days`` quiet days at once (``_quiet_days_ahead``), each process's numbers as
        ``days`` calls of ``step`` would leave them, to the bit. On such days regeneration
        and fortification touch nothing the others read (a unit regeneration forms is
        placed on its day, as that day's movement would place it), so each runs its days
        on its own; the watch and the guarantor go day by day (the small violations on the
        watch's clock, and the guarantor's answer to those seen). With ``finish``, the
        last day is a holding review's or a shock's: after the watch, the day's processes
        from the shocks on run as ``step`` runs them (the guarantor answers that day's
        violations after them, as on any day)."""
        first = self.day
        for day in self.regeneration.pass_quiet_days(days):
            self.day = first + day  # the units formed that day take their places
            self.movement.step()
        self.day = first
        self.fortification.pass_quiet_days(days)
        for day, seen in self.monitoring.watch_days(days):
            if finish and day == days:
                break  # answered by ``Guarantor.step`` after the shocks and the review
            self.day = first + day  # the guarantor notes the day it answers
            self.guarantor.respond_to_violations(seen)
        self.day = first + days
        if finish:
            for process in self.after_the_watch:
                process.step()
        self.days_passed_at_once += days

    # --- phase changes (events) ---------------------------------------------------------
    def start_withdrawal(self) -> None:
        """Event: Ukraine's line units start to withdraw; they stay on the line until it
        ends. Nothing happens if the ceasefire has already broken down."""
        if self.phase != "ceasefire":
            return
        self.phase = "withdrawal"
        mask = self.forces.mask(UA, Posture.DEFEND)
        self.forces.posture[: self.forces.n][mask] = Posture.WITHDRAW

    def complete_withdrawal(self) -> None:
        """Event: the zone is declared (unilateral: the map's zone is ceded; mirrored:
        both sides stand back), the theatre is cut along the new line, the line is manned
        and the monitors move onto the zone."""
        if self.phase != "withdrawal":
            return
        self.phase = "dmz"
        th, p = self.theatre, self.p
        area0 = th.ua_area_km2()
        if p.dmz_shape == "unilateral":
            zone = zones.unilateral_zone(th, p.unilateral_zone)
            ceded = th.set_dmz(zone, transfer_to_russia=True)
        else:
            ceded = th.set_dmz(th.mirrored_zone(p.dmz_width_km), transfer_to_russia=False)
        self.record.towns_ceded = len(ceded)
        self.record.belt_towns_ceded = sum(th.raster.towns[t].fortress_belt for t in ceded)
        self.record.area_ceded = area0 - th.ua_area_km2()
        self.ua_area = th.ua_area_km2()
        self.lines.recut()
        f = self.forces
        f.posture[: f.n][f.mask(UA, Posture.WITHDRAW)] = Posture.DEFEND
        self.movement.place_all()
        self.monitoring.show(th.dmz_flat)

    def guarantees_in_force(self) -> None:
        """Event: the guarantees take effect, unless the war has resumed first (they
        guarantee a ceasefire, not a war already under way)."""
        if self.at_war:
            return
        self.guarantor.enter_into_force()

    def resume_war(self, window: int, estimate: float,
                   frontage_km: float | None = None) -> None:
        """Russia relaunches the offensive, with its main effort on ``window``, striking
        ``frontage_km`` of front (by default the width it massed for)."""
        sector = int(self.lines.windows.owner[window])
        ahead = float(springboard.ahead_km(self)[sector])  # massed inside the zone, if so
        self.phase = "resumed"
        rec = self.record
        rec.day_resumed = float(self.day)
        mark_resumption(self)
        rec.attack_sector = sector
        rec.ratio_at_attack = float(estimate)
        rec.attack_cell = self.theatre.front_point(float(self.lines.windows.centre[window]))
        rec.warning_days = self.monitoring.warning_days(sector)
        f = self.forces
        f.posture[: f.n][f.mask(RU, Posture.CONCENTRATE)] = Posture.ATTACK
        self.effort.open_breach(window, frontage_km, ahead)
        self._turn_withdrawal_around()
        self.guarantor.respond_to_attack()
        self.ukraine.warn(sector)

    def _turn_withdrawal_around(self) -> None:
        """Attacked mid-withdrawal, Ukraine's withdrawing units stop and defend where they
        are: on their sector, at once, on the old line (no zone exists yet)."""
        f = self.forces
        for r in np.flatnonzero(f.mask(UA, Posture.WITHDRAW)):
            self.units[int(r)].order(Posture.DEFEND, int(f.sector[r]), self.day)

    # --- shared quantities --------------------------------------------------------------
    @property
    def at_war(self) -> bool:
        """Fighting: at war from day 0, or the offensive has resumed."""
        return self.phase in WAR_PHASES

    @property
    def in_ceasefire(self) -> bool:
        """The guns are silent: ceasefire, withdrawal or DMZ phase."""
        return self.phase in CEASEFIRE_PHASES
