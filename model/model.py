"""CeasefireModel: a ceasefire and a DMZ in Donetsk oblast, one step per day."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa
import numpy as np
from dmzsim.agents.commands import Guarantor, RussiaCommand, UkraineCommand
from dmzsim.agents.dmz_sector import DMZSector
from dmzsim.agents.force_unit import ForceUnit
from dmzsim.model import combat, kernels, monitoring, placement, recording, regeneration, zones
from dmzsim.model.agreement import NEVER, build_timeline
from dmzsim.model.aims import Aims, axis_of_advance, corridor
from dmzsim.model.forces import RU, UA, ForceTable, Posture
from dmzsim.model.front import Windows
from dmzsim.model.params import Params
from dmzsim.model.rng import SeedLike, Streams, mesa_seed
from dmzsim.model.theatre import Strip, Theatre, TheatreGrid, cached_raster

WAR_PHASES = ("war", "resumed")
CEASEFIRE_PHASES = ("ceasefire", "withdrawal", "dmz")
#: The theatre is cut again along the current line once fighting has moved it this far
#: (km) from where it was last cut: far enough to be rare, near enough that every sector
#: keeps a front. A representation choice; docs/validation.md shows it does not matter.
REBUILD_KM = 10.0
#: A breach runs on along its own strip of ground; the theatre is cut again along the new
#: line once it is this many times ``REBUILD_KM`` deep.
BREACH_REBUILD_FACTOR = 3.0


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
        explicit = Params.explicit(params, overrides)
        raster = cached_raster(map_path, Params.build(explicit).cell_km)
        self.p = Params.build({**zones.map_forces(raster.spec), **explicit})
        self.streams = Streams(rng)
        self.day = 0
        self.phase = "ceasefire"
        # the front: Russia's and Ukraine's forward edge on each sector (km from the line)
        self.ru_depth = np.zeros(0)
        self.ua_depth = np.zeros(0)
        self.ua_area = 0.0
        self.zone: tuple[np.ndarray, np.ndarray, np.ndarray] = (
            np.zeros(0, int), np.zeros(0, int), np.zeros(0))
        self.zone_depth = np.zeros(0)
        self._dug_in = False  # every cell of the defended zone fully dug
        self._bare_zone: np.ndarray | None = None  # the zone cells whose works are all gone
        self.rebuilt_at = np.zeros(0)
        self.front_exhausted = False  # Ukraine holds no front left in the theatre
        self.frontage = np.zeros((0, 0))  # frontage_weights of today's partition
        self.frontage_spans = self.sector_spans = (np.zeros(0), np.zeros(0))
        self.windows: Windows | None = None  # Russia's candidate points of attack
        self._aims: Aims | None = None
        self.ceasefire_day = 0  # the day the guns fell silent (the deal's day 0)
        self.political_shock = 0.0  # today's log misreading of the cost of ending it
        # the main effort of an offensive: its window, sector, strip of ground and edge
        self.main_window = -1
        self.main_sector = -1
        self.main_cell = (0, 0)  # its point of attack on the map
        self.breach: Strip | None = None
        self.breach_depth = -np.inf
        self.assault = np.zeros(0, dtype=bool)  # sectors whose line units assault today
        self.pulse = np.zeros(0, dtype=int)  # breakthrough pulse state per sector
        self.breach_pulse = 0  # ... and at the breach (kernels.pulse_step)
        # forces
        self.forces = ForceTable()
        self.units: dict[int, ForceUnit] = {}
        self.dirty_rows: set[int] = set()
        self.dirty_sectors: set[int] = set()
        self.depot = np.zeros(2)
        self.initial_personnel = np.array([self.p.ru_initial_personnel,
                                           self.p.ua_initial_personnel])
        self.inflow_total = np.zeros(2)
        self.outflow_total = np.zeros(2)
        self.losses = np.zeros(2)
        # monitoring: one DMZSector agent per sector; totals of sectors cut away survive
        self.sectors: list[DMZSector] = []
        self.monitor_totals = np.zeros(3, dtype=int)  # detections, violations, seen
        self.coverage = 0.0
        # the run's summary record
        self.towns_ceded = 0
        self.area_ceded = 0.0
        self.record: dict[str, Any] = {}

        self._build_theatre(raster)
        self._draw_agreement()
        self._create_forces()
        self._create_commands()
        self._schedule_agreement()
        self.datacollector = recording.init_records(self)
        placement.place_units(self)
        if self.daily_series:
            recording.collect(self)

    # --- construction ---------------------------------------------------------------------
    def _build_theatre(self, raster: Any) -> None:
        if self.grid_from_spares:
            self.grid = TheatreGrid.take(raster.shape, random=self.random)
        else:
            self.grid = TheatreGrid(raster.shape, torus=False, capacity=None,
                                    random=self.random)
        self.theatre = Theatre(raster, self.grid, self.p.sector_km,
                               self.p.initial_fortification, self.p.rear_fortification)
        self.ua_area = self.theatre.ua_area_km2()
        self._read_front()

    def _read_front(self) -> None:
        """Take both sides' forward edges from the theatre's (new) partition."""
        th = self.theatre
        self.ua_depth = np.maximum(th.ua_forward_depth(), 0.0)
        self.ru_depth = np.minimum(th.ru_forward_depth(), 0.0)
        self.ru_depth = np.where(np.isfinite(self.ru_depth), self.ru_depth, -th.cell_km)
        self.rebuilt_at = self.ru_depth.copy()
        self.assault = np.zeros(th.n_sectors, dtype=bool)
        self.pulse = np.zeros(th.n_sectors, dtype=int)
        self.frontage = th.sectors.frontage_weights(self.p.attack_frontage_km)
        self.frontage_spans = th.sectors.frontage_spans(self.p.attack_frontage_km)
        self.sector_spans = th.sectors.spans
        self.windows = th.sectors.windows(self.p.attack_frontage_km)
        self._aims: Aims | None = None
        self.refresh_zone()

    def _draw_agreement(self) -> None:
        g = self.streams.guarantees
        delivered = bool(g.random() < self.p.guarantee_delivery_prob)
        attack_draw = float(g.random())
        self.timeline = build_timeline(self.p, delivered)
        self.phase = "war" if self.timeline.war_from_start else "ceasefire"
        self.coverage = self.p.monitoring_coverage if self.timeline.monitoring else 0.0
        self.guarantor = Guarantor(self, delivered, attack_draw)
        self._make_sector_agents()
        self.show_monitoring(self.theatre.line_strip())  # no zone yet: they watch the line

    def _make_sector_agents(self) -> None:
        """One DMZSector per sector of today's partition; the counts of the old ones are
        kept in ``monitor_totals``."""
        for s in self.sectors:
            self.monitor_totals += (s.detections, s.violations, s.violations_detected)
            s.remove()
        th = self.theatre
        self.sectors = [DMZSector(self, k, self.coverage) for k in range(th.n_sectors)]
        for s in self.sectors:
            s.cell = self.grid[th.attack_point(s.sector)]

    def _create_forces(self) -> None:
        """Each side's units: a reserve share, the rest spread along the front by length."""
        p = self.p
        for side, total, reserve in ((RU, p.ru_initial_personnel, p.ru_reserve_fraction),
                                     (UA, p.ua_initial_personnel, p.ua_reserve_fraction)):
            n_units = int(np.ceil(total / p.unit_personnel))
            sizes = np.full(n_units, p.unit_personnel)
            sizes[-1] = total - p.unit_personnel * (n_units - 1)
            n_reserve = round(reserve * n_units)
            line, start, end = _along_front(sizes[n_reserve:], self.theatre.front_km)
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
        self.dirty_rows.add(row)
        return unit

    def _create_commands(self) -> None:
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
        5. Monitoring: each sector may detect a build-up on its front and small
           violations; a first detection warns Ukraine.
        6. Decisions: Russia reviews whether and where to mass and resume (the value of
           resuming now against keeping the ceasefire and against resuming later);
           Ukraine commits reserves to the most threatened sector, and stands them down.
        7. Combat on sectors in contact and at the main effort's breach: attrition,
           advance, cells and towns change hands; the theatre is cut again along the
           line when fighting has moved it far.
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
            self._rebuild_if_moved()
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
        self.towns_ceded = len(ceded)
        self.record["belt_towns_ceded"] = sum(th.raster.towns[t].fortress_belt for t in ceded)
        self.area_ceded = area0 - th.ua_area_km2()
        self.ua_area = th.ua_area_km2()
        self._after_rebuild()
        f = self.forces
        f.posture[: f.n][f.mask(UA, Posture.WITHDRAW)] = Posture.DEFEND
        placement.place_units(self)
        self.show_monitoring(th.dmz_flat)

    def _after_rebuild(self) -> None:
        """The theatre was cut again: each side's line is spread over the new sectors so
        that each holds its share of the front, the main effort (and the reserves sent
        against it) follows its point of attack, any other unit joins the sector it
        stands in, and the monitors take the new sectors."""
        self._read_front()
        self._make_sector_agents()
        f, th = self.forces, self.theatre
        alive = f.view("alive") & (f.view("sector") >= 0)
        line = np.zeros(f.n, dtype=bool)
        f.front_from[: f.n] = f.front_to[: f.n] = np.nan  # places on the old front
        for side in (RU, UA):
            pool = f.mask(side, Posture.DEFEND, Posture.WITHDRAW) & alive
            if not self.at_war:  # in a ceasefire, reserves sent to a threat stay there
                pool &= ~f.view("committed")
            rows = np.flatnonzero(pool)
            f.sector[rows], f.front_from[rows], f.front_to[rows] = _along_front(
                f.strength[rows] * f.readiness[rows], th.front_km)
            line[rows] = True
        effort = f.mask(RU, Posture.ATTACK, Posture.CONCENTRATE) & alive
        if not self.at_war:
            effort |= f.view("committed") & alive
        if self.at_war:
            f.committed[: f.n] = False
        if self.main_window >= 0:
            point = self.main_cell
            if self.breach is not None:
                tip = self.breach.cells[min(self.breach.taken_upto, self.breach.cells.size - 1)]
                point = th.coord(tip)
            self.set_main(self._window_at(point, self.main_sector))
            f.sector[: f.n][effort] = self.main_sector
            if self.breach is not None:
                self.open_breach(self.main_window)
        for r in np.flatnonzero(alive & ~line & ~(effort & (self.main_sector >= 0))):
            unit = self.units[int(r)]
            where = unit.cell.coordinate if unit.cell is not None else th.attack_point(0)
            f.sector[r] = self._sector_at(where, int(f.sector[r]))

    def set_main(self, window: int) -> None:
        """Russia's main effort aims at ``window`` (-1: none) and is fought on the sector
        holding its centre; its point is kept so that it survives the theatre being cut
        again."""
        self.main_window = window
        self.main_sector = int(self.windows.owner[window]) if window >= 0 else -1
        if window >= 0:
            self.main_cell = self.theatre.front_point(float(self.windows.centre[window]))

    def _window_at(self, coord: tuple[int, int], fallback: int) -> int:
        """The window nearest the front cell that ``coord`` is nearest (or the middle of
        sector ``fallback``, for ground the front cannot reach)."""
        th = self.theatre
        s = float(th.sectors.s[np.ravel_multi_index(coord, th.control.shape)])
        if not np.isfinite(s):
            k = fallback % th.n_sectors
            s = 0.5 * float(th.sectors.lo[k] + th.sectors.hi[k])
        return self.windows.nearest(s)

    def _sector_at(self, coord: tuple[int, int], fallback: int) -> int:
        th = self.theatre
        k = int(th.sectors.sector_of_cell[np.ravel_multi_index(coord, th.control.shape)])
        return k if k >= 0 else fallback % th.n_sectors

    def _rebuild_if_moved(self) -> None:
        """Cut the theatre again once the line has moved ``REBUILD_KM`` since the last cut."""
        if self.front_exhausted:
            return
        # ground taken from Ukraine's line counts, crossing the zone to it does not
        moved = float(np.max(np.maximum(self.ru_depth, 0.0) - np.maximum(self.rebuilt_at, 0.0),
                             initial=0.0))
        if self.breach is not None:  # a breach runs on in its own strip for longer
            moved = max(moved, self.breach_depth / BREACH_REBUILD_FACTOR)
        if moved < REBUILD_KM:
            return
        self._rebuild_now()

    def _rebuild_now(self) -> None:
        combat.take_pockets(self)
        if self.theatre.rebuild():
            self._after_rebuild()
        else:  # nothing left to cut along: no more rebuilding
            self.front_exhausted = True
        placement.place_units(self)

    def show_monitoring(self, watched: np.ndarray) -> None:
        """The ``monitored`` layer: today's coverage on the watched cells (flat mask), 0
        elsewhere. Drawn only; detection itself is per sector (``model/monitoring.py``)."""
        self.theatre.monitored.reshape(-1)[:] = np.where(watched, self.coverage, 0.0)

    def guarantees_in_force(self) -> None:
        """Event: the guarantees take effect, unless the war has resumed first (they
        guarantee a ceasefire, not a war already under way)."""
        if self.at_war:
            return
        self.guarantor.enter_into_force()

    def resume_war(self, window: int, estimate: float) -> None:
        """Russia relaunches the offensive, with its main effort on ``window``."""
        self.phase = "resumed"
        sector = int(self.windows.owner[window])
        rec = self.record
        rec["day_resumed"] = float(self.day)
        recording.mark_resumption(self)
        rec["attack_sector"] = sector
        rec["ratio_at_attack"] = float(estimate)
        rec["attack_cell"] = self.theatre.front_point(float(self.windows.centre[window]))
        first_seen = self.sectors[sector].first_buildup_day
        rec["warning_days"] = 0.0 if np.isnan(first_seen) else float(self.day - first_seen)
        f = self.forces
        f.posture[: f.n][f.mask(RU, Posture.CONCENTRATE)] = Posture.ATTACK
        self.open_breach(window)
        self._turn_withdrawal_around()
        self.guarantor.respond_to_attack()
        self.ukraine.warn(sector)

    def open_breach(self, window: int) -> None:
        """The main effort strikes the ``attack_frontage_km`` of front of ``window``."""
        self.set_main(window)
        axis = axis_of_advance(self, float(self.windows.centre[window]))
        cells, along, share = corridor(self, axis)
        self.breach = Strip.of(cells[share >= 0.5], along)  # the cells mostly inside it
        self.breach_depth = float(self.ru_depth[self.main_sector])
        self.breach_pulse = 0

    def _turn_withdrawal_around(self) -> None:
        """Attacked mid-withdrawal, Ukraine's withdrawing units stop and defend where they
        are: on their sector, at once, on the old line (no zone exists yet)."""
        f = self.forces
        for r in np.flatnonzero(f.mask(UA, Posture.WITHDRAW)):
            self.units[int(r)].order(Posture.DEFEND, int(f.sector[r]), self.day)

    def record_review(self, estimate: Any) -> None:
        """Keep Russia's latest review (``model/decision.py``) for the record."""
        self.record["review"] = estimate

    def record_town_loss(self, town: int) -> None:
        """Count a town taken by the offensive (and apart, if it is in the fortress belt)."""
        self.record["towns_lost"] += 1
        if self.theatre.raster.towns[town].fortress_belt:
            self.record["belt_towns_lost"] += 1

    def stand_down(self, sector: int) -> None:
        """Russia called off its build-up: the massed units go back to reserve, and so do
        Ukraine's reserves sent to meet them.

        Back to reserve, not left on the sector as a garrison: a garrison would stand
        spread along the sector, so how much of it still faced the ground it massed
        against would be the partition's doing."""
        f = self.forces
        for r in np.flatnonzero(f.mask(RU, Posture.CONCENTRATE)):
            self.units[int(r)].order(Posture.RESERVE, -1, self.day)
        self.sectors[sector].reset_buildup()
        self.ukraine.stand_down()

    def concentrate(self, side: int, sector: int, arrive_day: int,
                    posture: Posture = Posture.CONCENTRATE) -> None:
        """Send every reserve unit of ``side`` to ``sector``."""
        for r in np.flatnonzero(self.forces.mask(side, Posture.RESERVE)):
            self.units[int(r)].order(posture, sector, arrive_day)

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
        return self.forces.power(self.forces.mask(side, Posture.RESERVE, present_on=present_on))

    def line_mask(self, side: int, present_on: int | None = None) -> np.ndarray:
        """A side's units holding the line (for Ukraine, also those withdrawing and those
        sent there), arrived by ``present_on`` if given."""
        postures = (Posture.DEFEND,) if side == RU else (Posture.DEFEND, Posture.WITHDRAW)
        return self.forces.mask(side, *postures, present_on=present_on)

    def line_power(self, side: int, present_on: int | None = None) -> np.ndarray:
        """Combat power per sector of a side's units holding the line."""
        return self.forces.power_by_sector(self.line_mask(side, present_on),
                                           self.theatre.n_sectors)

    def ua_line_masks(self, present_on: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Ukraine's line in two parts: the units standing along the front, and the
        reserves sent to meet Russia's main effort (committed to its sector), which stand
        on the main effort's frontage as Russia's massed units do. Spread over a sector
        wider than the frontage, they would count only in part against the force they were
        sent to meet, and how much would be the partition's doing."""
        f = self.forces
        mask = self.line_mask(UA, present_on)
        facing = np.zeros_like(mask)
        if self.main_window >= 0:
            facing = mask & f.view("committed") & (f.view("sector") == self.main_sector)
        return mask & ~facing, facing

    def ua_line(self, present_on: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Ukraine's line power per sector, in the two parts of ``ua_line_masks``."""
        n = self.theatre.n_sectors
        spread, facing = self.ua_line_masks(present_on)
        return self.forces.power_by_sector(spread, n), self.forces.power_by_sector(facing, n)

    def standing_on(self, mask: np.ndarray, spans: tuple[np.ndarray, np.ndarray]
                    ) -> np.ndarray:
        """``P[j, k]``: the power of the masked units of sector j standing on span k of
        the front (``ForceTable.power_on``)."""
        return self.forces.power_on(mask, spans, self.sector_spans)

    def attack_power(self, present_on: int | None = None) -> float:
        """Combat power of Russia's main effort (units massing for it or attacking)."""
        return self.forces.power(self.forces.mask(RU, Posture.CONCENTRATE, Posture.ATTACK,
                                                  present_on=present_on))

    @property
    def aims(self) -> Aims:
        """The value of each sector's frontage to Russia, for today's partition (built on
        first use after the theatre is cut: only ceasefire reviews need it)."""
        if self._aims is None:
            self._aims = Aims(self)
        return self._aims

    def refresh_zone(self) -> None:
        """Recompute which cells make up Ukraine's defended zone on each sector."""
        self.zone_depth = self.ua_depth.copy()
        self.zone = self.theatre.zone_cells(self.ua_depth, self.p.defence_zone_km)
        self._dug_in = False  # the new zone's cells are not known to be fully dug

    def sector_fortification(self) -> np.ndarray:
        """Mean fortification of Ukraine's defended zone on each sector."""
        cells, sectors, weights = self.zone
        return self.theatre.sector_means(cells, sectors, self.theatre.fort_flat, weights)

    def defence_multiplier(self, fort: np.ndarray | None = None,
                           expected: bool = False) -> np.ndarray:
        """Ukraine's posture x terrain x guarantor multiplier on each sector.

        ``fort`` is today's ``sector_fortification()`` if the caller already has it;
        ``expected`` uses the guarantor help Russia expects rather than what it gives.
        """
        p, th = self.p, self.theatre
        cells, sectors, weights = self.zone
        if fort is None:
            fort = th.sector_means(cells, sectors, th.fort_flat, weights)
        urban = th.sector_means(cells, sectors, th.urban_flat, weights)
        mult = kernels.posture_multiplier(fort, p.hasty_multiplier, p.prepared_multiplier,
                                          p.fortified_multiplier)
        if self.phase == "withdrawal":
            mult = np.minimum(mult, p.withdrawal_multiplier)
        support = self.guarantor.expected_support() if expected else \
            self.guarantor.combat_support()
        return mult * kernels.terrain_multiplier(urban, p.urban_multiplier) * (1.0 + support)

    def crossing_days(self) -> np.ndarray:
        """Days Russia's forces need to cross the gap to Ukraine's line on each sector."""
        gap = np.maximum(self.ua_depth - self.ru_depth, 0.0)
        gap = np.where(np.isfinite(gap), gap, 0.0)
        return gap / self.crossing_speed()

    def crossing_speed(self) -> np.ndarray:
        """Km a day Russia's forces cross the gap on each sector, slowed by left works."""
        return self.p.dmz_crossing_km_per_day / (
            1.0 + self.p.obstacle_delay_factor * self.zone_obstacles())

    def zone_obstacles(self) -> np.ndarray:
        """Mean remaining works in the zone on each sector (0 where there is no zone)."""
        th = self.theatre
        if th.dmz_cells.size == 0:
            return np.zeros(th.n_sectors)
        sectors = th.sectors.sector_of_cell[th.dmz_cells]
        keep = sectors >= 0
        return th.sector_means(th.dmz_cells[keep], sectors[keep], th.fort_flat)

    def has_line(self) -> np.ndarray:
        """Sectors on which Ukraine still holds ground outside the zone: something to
        attack (every sector, right after the theatre is cut along the line)."""
        return np.isfinite(self.ua_depth)

    def current_ratio(self) -> np.ndarray:
        """Russia's combat power over Ukraine's effective power, per sector, today, as an
        attack on ``attack_frontage_km`` of front centred on the sector would meet it.

        Infinite where Russia has power and Ukraine none (an undefended line); zero
        where Russia has none.
        """
        ru, ua, _ = self.frontage_power()
        ratio = np.divide(ru, ua, out=np.where(ru > 0, np.inf, 0.0), where=ua > 0)
        return np.where(self.has_line(), ratio, 0.0)

    def frontage_power(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Today, on the frontage centred on each sector: Russia's power (its line, and
        its main effort on the main sector), Ukraine's effective power (its line spread
        along the sectors, and the reserves that met the main effort on its sector), and
        Ukraine's defence multiplier."""
        on = self.frontage_spans
        ru = self.standing_on(self.line_mask(RU, self.day), on).sum(axis=0)
        if self.main_sector >= 0:
            ru[self.main_sector] += self.attack_power(self.day)
        mult = self.defence_multiplier()
        spread, facing = self.ua_line_masks(self.day)
        ua = (self.standing_on(spread, on) * mult[:, None]).sum(axis=0)
        return ru, ua + self.forces.power_by_sector(facing, self.theatre.n_sectors) * mult, mult

    def dig_and_decay(self) -> None:
        """Ukraine digs in on its manned line; abandoned works in the zone decay.

        Nothing else writes the works, so once the defended zone is fully dug, or the
        zone's works are gone, the day changes nothing there and is skipped (most of a
        long ceasefire)."""
        th, p = self.theatre, self.p
        cells, sectors, _ = self.zone
        if not self._dug_in:
            manned = self.line_power(UA, self.day) > 0
            dig = cells[manned[sectors]]
            th.fort_flat[dig] = np.minimum(th.fort_flat[dig] + 1.0 / p.dig_days_to_full, 1.0)
            self._dug_in = bool(th.fort_flat[cells].min(initial=1.0) >= 1.0)
        z = th.dmz_cells
        if z.size and z is not self._bare_zone:
            th.fort_flat[z] = np.maximum(th.fort_flat[z] - 1.0 / p.fortification_decay_days, 0.0)
            if th.fort_flat[z].max() <= 0.0:
                self._bare_zone = z

    def position_for(self, row: int) -> tuple[int, int] | None:
        """The cell unit ``row``'s posture puts it on today; units ask the model, which
        holds the theatre and the front."""
        return placement.position_for(self, row)


def _along_front(power: np.ndarray, front_km: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where a side's units stand when they stand end to end along the front, in their
    order, each on a stretch in proportion to its ``power``: the sector holding the middle
    of its stretch, and the stretch itself (front positions from, to; km).

    Each sector so holds its share of the front's power to within a unit, and each unit
    has a place on the front that does not move with the cell size or the partition: a
    frontage meets the units standing on it (``ForceTable.power_on``)."""
    if power.size == 0:
        return np.zeros(0, dtype=int), np.zeros(0), np.zeros(0)
    cum = np.cumsum(power)
    if cum[-1] > 0:
        share = (cum - power / 2.0) / cum[-1]
        start, end = (cum - power) / cum[-1], cum / cum[-1]
    else:
        share = (np.arange(power.size) + 0.5) / power.size
        start, end = np.arange(power.size) / power.size, np.arange(1, power.size + 1) / power.size
    length = front_km.sum()
    ends = np.cumsum(front_km) / length
    sector = np.minimum(np.searchsorted(ends, share, side="right"), front_km.size - 1)
    return sector, start * length, end * length
