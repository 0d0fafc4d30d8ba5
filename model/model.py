"""CeasefireModel: a ceasefire and a DMZ in Donetsk oblast, one step per day."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa
import numpy as np
from dmzsim.agents.commands import Guarantor, RussiaCommand, UkraineCommand
from dmzsim.agents.dmz_sector import DMZSector
from dmzsim.agents.force_unit import ForceUnit
from dmzsim.model import combat, kernels, monitoring, placement, recording, regeneration
from dmzsim.model.agreement import NEVER, build_timeline
from dmzsim.model.forces import RU, UA, ForceTable, Posture
from dmzsim.model.params import Params
from dmzsim.model.rng import SeedLike, Streams, mesa_seed
from dmzsim.model.theatre import Theatre, TheatreGrid, cached_raster

WAR_PHASES = ("war", "resumed")
CEASEFIRE_PHASES = ("ceasefire", "withdrawal", "dmz")


class CeasefireModel(mesa.Model):
    """The model. Parameters are constructor keywords (see ``model/params.py``).

    ``CeasefireModel(rng=7, sequencing="guarantees_first")`` works as an ordinary Mesa
    model (and with ``mesa.batch_run``); ``params=`` takes a whole ``Params`` object.
    """

    #: Record the per-day series every day (True), or on the last day only (False).
    #: Nothing in a run reads the series, so this changes no result; summary-only runs
    #: of a sweep (``model.api.simulate`` with ``series_every=0``) turn it off.
    daily_series: bool = True
    #: Take the grid from those that finished runs gave back (``TheatreGrid.take``) rather
    #: than build one: for models that are dropped after the run, as in ``simulate``.
    grid_from_spares: bool = False

    def __init__(self, params: Params | None = None, *, rng: SeedLike = 0,
                 map_path: str | Path | None = None, **overrides: Any) -> None:
        super().__init__(rng=mesa_seed(rng))
        base = params.model_dump() if params is not None else {}
        self.p = Params.build({**base, **overrides})
        self.streams = Streams(rng)
        self.day = 0
        self._build_theatre(map_path)
        self._draw_agreement()
        self._create_forces()
        self._create_sectors_and_commands()
        self._schedule_agreement()
        recording.init_records(self)
        placement.place_units(self)
        if self.daily_series:
            recording.collect(self)

    # --- construction ---------------------------------------------------------------------
    def _build_theatre(self, map_path: str | Path | None) -> None:
        raster = cached_raster(map_path, self.p.cell_km)
        if self.grid_from_spares:
            self.grid = TheatreGrid.take(raster.shape, random=self.random)
        else:
            self.grid = TheatreGrid(raster.shape, torus=False, capacity=None,
                                    random=self.random)
        self.theatre = Theatre(raster, self.grid, self.p.axis_width_km,
                               self.p.initial_fortification, self.p.rear_fortification)
        n = self.theatre.n_axes
        self.ru_depth = np.zeros(n)
        self.ua_depth = np.where(np.isfinite(self.theatre.ua_forward_depth()),
                                 self.theatre.ua_forward_depth(), np.inf)
        self.ua_depth = np.maximum(self.ua_depth, 0.0)
        self.ua_area = self.theatre.ua_area_km2()
        self.zone_depth = self.ua_depth.copy()
        self.zone = self.theatre.zone_cells(self.ua_depth, self.p.defence_zone_km)

    def _draw_agreement(self) -> None:
        g = self.streams.guarantees
        delivered = bool(g.random() < self.p.guarantee_delivery_prob)
        attack_draw = float(g.random())
        self.timeline = build_timeline(self.p, delivered)
        self.phase = "war" if self.timeline.war_from_start else "ceasefire"
        self.coverage = self.p.monitoring_coverage if self.timeline.monitoring else 0.0
        self.guarantor = Guarantor(self, delivered, attack_draw)
        self.show_monitoring(self.theatre.line_strip())  # no zone yet: they watch the line

    def _create_forces(self) -> None:
        self.forces = ForceTable()
        self.dirty_rows: set[int] = set()
        self.dirty_axes: set[int] = set()
        self.depot = np.zeros(2)
        self.units: dict[int, ForceUnit] = {}
        weights = self.theatre.front_cells / self.theatre.front_cells.sum()
        p = self.p
        for side, total, reserve in ((RU, p.ru_initial_personnel, p.ru_reserve_fraction),
                                     (UA, p.ua_initial_personnel, p.ua_reserve_fraction)):
            n_units = int(np.ceil(total / p.unit_personnel))
            sizes = np.full(n_units, p.unit_personnel)
            sizes[-1] = total - p.unit_personnel * (n_units - 1)
            n_reserve = round(reserve * n_units)
            line_axes = _spread(n_units - n_reserve, weights)
            for k in range(n_units):
                if k < n_reserve:
                    self.add_unit(side, sizes[k], p.initial_readiness, Posture.RESERVE, -1)
                else:
                    self.add_unit(side, sizes[k], p.initial_readiness, Posture.DEFEND,
                                  int(line_axes[k - n_reserve]))
        self.initial_personnel = np.array([p.ru_initial_personnel, p.ua_initial_personnel])
        self.inflow_total = np.zeros(2)
        self.losses = np.zeros(2)
        self.outflow_total = np.zeros(2)

    def add_unit(self, side: int, strength: float, readiness: float, posture: Posture,
                 axis: int, arrive_day: int = 0) -> ForceUnit:
        """Form a unit: its numbers in a ForceTable row, its place on the map as an agent."""
        row = self.forces.add(side, strength, readiness, posture, axis, arrive_day)
        unit = ForceUnit(self, row)
        self.units[row] = unit
        self.dirty_rows.add(row)
        return unit

    def _create_sectors_and_commands(self) -> None:
        self.sectors = [DMZSector(self, a, self.coverage) for a in range(self.theatre.n_axes)]
        for s in self.sectors:
            s.cell = self.grid[self.theatre.cell_near(s.axis, 0.0, 0.0)]
        self.russia = RussiaCommand(self)
        self.ukraine = UkraineCommand(self)

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
        5. Monitoring: each sector may detect a build-up on its axis and small
           violations; a first detection warns Ukraine.
        6. Decisions: Russia reviews whether and where to mass and resume; Ukraine
           commits reserves to the most threatened axis.
        7. Combat on axes in contact: attrition, advance, cells and towns change hands.
        8. The guarantor answers detected violations.
        9. Record.
        """
        self.day += 1
        regeneration.regenerate(self)
        placement.move_units(self)
        self.dig_and_decay()
        detected = monitoring.observe(self)
        self.russia.step()
        self.ukraine.step()
        if self.at_war:
            combat.fight(self)
        self.guarantor.respond_to_violations(detected)
        if self.day >= self.p.horizon_days:
            self.running = False
        if self.daily_series or not self.running:
            recording.collect(self)

    # --- phase changes (events) ---------------------------------------------------------
    def start_withdrawal(self) -> None:
        """Event: Ukraine's line units start to withdraw; they stay on the line until it
        ends. Nothing happens if the ceasefire has already broken down."""
        if self.phase != "ceasefire":
            return
        self.phase = "withdrawal"
        # The units stay on their axis (and count there) until the zone is declared, on
        # the timeline's withdrawal_end; their posture is what changes.
        mask = self.forces.mask(UA, Posture.DEFEND)
        self.forces.posture[: self.forces.n][mask] = Posture.WITHDRAW

    def complete_withdrawal(self) -> None:
        """Event: the zone is declared (unilateral: Ukraine's ground is ceded; mirrored:
        both sides stand back), the new line is manned and the monitors move onto the zone."""
        if self.phase != "withdrawal":
            return
        self.phase = "dmz"
        th, p = self.theatre, self.p
        if p.dmz_shape == "unilateral":
            ceded = th.set_dmz(th.unilateral_zone(), transfer_to_russia=True)
        else:
            ceded = th.set_dmz(th.mirrored_zone(p.dmz_width_km), transfer_to_russia=False)
            self.ru_depth[:] = -p.dmz_width_km
        self.ua_depth = np.maximum(th.ua_forward_depth(), self.ru_depth)
        self.ua_area = th.ua_area_km2()
        self.towns_ceded = len(ceded)
        self._station_line_after_withdrawal()
        self.refresh_zone()
        self.show_monitoring(th.dmz_flat)

    def show_monitoring(self, watched: np.ndarray) -> None:
        """The ``monitored`` layer: today's coverage on the watched cells (flat mask), 0
        elsewhere. Drawn only; detection itself is per sector (``model/monitoring.py``)."""
        self.theatre.monitored.reshape(-1)[:] = np.where(watched, self.coverage, 0.0)

    def _station_line_after_withdrawal(self) -> None:
        """Withdrawn units man the new line. On axes with no ground left to hold or take,
        both sides' units have nothing to face and go back to reserve."""
        f = self.forces
        axis = f.view("axis")
        stranded = f.mask(UA, Posture.WITHDRAW) | f.mask(RU, Posture.DEFEND, Posture.CONCENTRATE)
        stranded &= (axis >= 0) & ~self.has_line()[np.maximum(axis, 0)]
        for r in np.flatnonzero(stranded):
            f.posture[r], f.axis[r] = Posture.RESERVE, -1
        f.posture[: f.n][f.mask(UA, Posture.WITHDRAW)] = Posture.DEFEND
        placement.place_units(self)

    def guarantees_in_force(self) -> None:
        """Event: the guarantees take effect, unless the war has resumed first (they
        guarantee a ceasefire, not a war already under way)."""
        if self.at_war:
            return
        self.guarantor.enter_into_force()

    def resume_war(self, axis: int, estimate: float) -> None:
        """Russia relaunches the offensive, with its main effort on ``axis``."""
        self.phase = "resumed"
        rec = self.record
        rec["day_resumed"] = float(self.day)
        rec["ua_area_at_resumption"] = self.ua_area
        rec["attack_axis"] = axis
        rec["ua_depth_at_resumption"] = self.ua_depth.copy()
        rec["ratio_at_attack"] = float(estimate)
        front = self.ua_depth[axis] if np.isfinite(self.ua_depth[axis]) else self.ru_depth[axis]
        rec["attack_cell"] = self.theatre.front_cell(axis, float(front))
        first_seen = self.sectors[axis].first_buildup_day
        rec["warning_days"] = 0.0 if np.isnan(first_seen) else float(self.day - first_seen)
        f = self.forces
        mask = f.mask(RU, Posture.DEFEND, Posture.CONCENTRATE)
        f.posture[: f.n][mask] = Posture.ATTACK
        self._turn_withdrawal_around()
        self.guarantor.respond_to_attack()
        self.ukraine.warn(axis)

    def _turn_withdrawal_around(self) -> None:
        """Attacked mid-withdrawal, Ukraine's withdrawing units stop and defend where they
        are: on their axis, at once, on the old line (no zone exists yet)."""
        f = self.forces
        rows = np.flatnonzero(f.mask(UA, Posture.WITHDRAW))
        for r in rows:
            self.units[int(r)].order(Posture.DEFEND, int(f.axis[r]), self.day)

    def record_town_loss(self, town: int) -> None:
        """Count a town taken by the offensive (and apart, if it is in the fortress belt)."""
        self.record["towns_lost"] += 1
        if self.theatre.raster.towns[town].fortress_belt:
            self.record["belt_towns_lost"] += 1

    def stand_down(self, axis: int) -> None:
        """The odds were not there: the massed units stay on the axis as its garrison."""
        f = self.forces
        mask = f.mask(RU, Posture.CONCENTRATE)
        f.posture[: f.n][mask] = Posture.DEFEND
        self.sectors[axis].reset_buildup()

    def concentrate(self, side: int, axis: int, arrive_day: int,
                    posture: Posture = Posture.CONCENTRATE) -> None:
        """Send every reserve unit of ``side`` to ``axis``."""
        for r in np.flatnonzero(self.forces.mask(side, Posture.RESERVE)):
            self.units[int(r)].order(posture, axis, arrive_day)

    # --- shared quantities --------------------------------------------------------------
    @property
    def at_war(self) -> bool:
        """Fighting: at war from day 0, or the offensive has resumed."""
        return self.phase in WAR_PHASES

    @property
    def in_ceasefire(self) -> bool:
        """The guns are silent: ceasefire, withdrawal or DMZ phase."""
        return self.phase in CEASEFIRE_PHASES

    def reserve_power(self, side: int, present_on: int | None = None) -> float:
        """Combat power (strength x readiness) of a side's reserves; with ``present_on``,
        only those that have arrived by that day."""
        f = self.forces
        m = f.mask(side, Posture.RESERVE, present_on=present_on)
        return float((f.view("strength")[m] * f.view("readiness")[m]).sum())

    def refresh_zone(self) -> None:
        """Recompute which cells make up Ukraine's defended zone on each axis."""
        self.zone_depth = self.ua_depth.copy()
        self.zone = self.theatre.zone_cells(self.ua_depth, self.p.defence_zone_km)

    def axis_fortification(self) -> np.ndarray:
        """Mean fortification of Ukraine's defended zone on each axis."""
        cells, axes = self.zone
        return self.theatre.axis_means(cells, axes, self.theatre.fort_flat)

    def defence_multiplier(self, fort: np.ndarray | None = None) -> np.ndarray:
        """Ukraine's posture x terrain x guarantor multiplier on each axis.

        ``fort`` is today's ``axis_fortification()`` if the caller already has it.
        """
        p = self.p
        cells, axes = self.zone
        if fort is None:
            fort = self.theatre.axis_means(cells, axes, self.theatre.fort_flat)
        # bincount reads the boolean urban mask as 0.0/1.0 weights: no float copy needed
        urban = self.theatre.axis_means(cells, axes, self.theatre.urban_flat)
        mult = kernels.posture_multiplier(fort, p.hasty_multiplier, p.prepared_multiplier,
                                          p.fortified_multiplier)
        if self.phase == "withdrawal":
            mult = np.minimum(mult, p.withdrawal_multiplier)
        return mult * kernels.terrain_multiplier(urban, p.urban_multiplier) * (
            1.0 + self.guarantor.combat_support())

    def crossing_days(self) -> np.ndarray:
        """Days Russia's forces need to cross the gap to Ukraine's line on each axis."""
        gap = np.maximum(self.ua_depth - self.ru_depth, 0.0)
        gap = np.where(np.isfinite(gap), gap, 0.0)
        obstacles = self.zone_obstacles()
        speed = self.p.dmz_crossing_km_per_day / (1.0 + self.p.obstacle_delay_factor * obstacles)
        return gap / speed

    def zone_obstacles(self) -> np.ndarray:
        """Mean remaining works in the zone on each axis (0 where there is no zone)."""
        th = self.theatre
        if th.dmz_cells.size == 0:
            return np.zeros(th.n_axes)
        axes = th.axis_of_cell[th.dmz_cells]
        keep = axes >= 0
        return th.axis_means(th.dmz_cells[keep], axes[keep], th.fort_flat)

    def has_line(self) -> np.ndarray:
        """Axes on which Ukraine still holds ground outside the zone: something to attack."""
        return np.isfinite(self.ua_depth)

    def current_ratio(self) -> np.ndarray:
        """Russia's combat power over Ukraine's effective power, per axis, today.

        Infinite where Russia has power and Ukraine none (an undefended line); zero
        where Russia has none, or where Ukraine holds no ground left to attack.
        """
        f, n = self.forces, self.theatre.n_axes
        ru = f.power_by_axis(f.mask(RU, Posture.DEFEND, Posture.ATTACK, Posture.CONCENTRATE,
                                    present_on=self.day), n)
        ua = f.power_by_axis(f.mask(UA, Posture.DEFEND, Posture.WITHDRAW,
                                    present_on=self.day), n)
        eff = ua * self.defence_multiplier()
        ratio = np.divide(ru, eff, out=np.where(ru > 0, np.inf, 0.0), where=eff > 0)
        return np.where(self.has_line(), ratio, 0.0)

    def dig_and_decay(self) -> None:
        """Ukraine digs in on its manned line; abandoned works in the zone decay."""
        th, p = self.theatre, self.p
        cells, axes = self.zone
        manned = self.forces.power_by_axis(
            self.forces.mask(UA, Posture.DEFEND, present_on=self.day), th.n_axes) > 0
        dig = cells[manned[axes]]
        th.fort_flat[dig] = np.minimum(th.fort_flat[dig] + 1.0 / p.dig_days_to_full, 1.0)
        if th.dmz_cells.size:
            z = th.dmz_cells
            th.fort_flat[z] = np.maximum(th.fort_flat[z] - 1.0 / p.fortification_decay_days, 0.0)

    def position_for(self, row: int) -> tuple[int, int] | None:
        """The cell unit ``row``'s posture puts it on today; units ask the model, which
        holds the theatre and the front."""
        return placement.position_for(self, row)


def _spread(n: int, weights: np.ndarray) -> np.ndarray:
    """Assign ``n`` units to axes in proportion to ``weights`` (largest remainder)."""
    raw = weights * n
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts))[: n - counts.sum()]:
        counts[i] += 1
    return np.repeat(np.arange(weights.size), counts)
