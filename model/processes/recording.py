"""Step 9: recording. A per-day DataCollector (cheap model-level aggregates) and the
summary record of a run.

What the run notes as it goes (the day it resumed, where, the ground and towns lost...)
is one typed record, :class:`RunRecord`, declared here once: a misspelt field fails where
it is written, not when the run is recorded.

What is recorded is the output table (:mod:`model.outputs`); how each output is computed
is here: :data:`SERIES` for the per-day series, :data:`SUMMARY` for the summary record,
one function per output, keyed by its name. A test checks that the two tables and the
output table name the same outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from dmzsim.model import balance, outputs
from dmzsim.model.forces import RU, UA
from mesa import DataCollector

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel
    from dmzsim.model.processes.decision import Estimate


def _nan() -> float:
    return np.nan


@dataclass
class RunRecord:
    """What a run notes as it goes, for its summary record (``SUMMARY``)."""

    day_resumed: float = field(default_factory=_nan)  # NaN while the ceasefire holds
    attack_sector: int = -1  # the sector of the main attack
    attack_cell: tuple[int, int] | None = None  # its point of attack on the map
    ratio_at_attack: float = field(default_factory=_nan)  # Russia's expected ratio then
    warning_days: float = field(default_factory=_nan)  # since its build-up was first seen
    territory_taken_km2: float = 0.0
    towns_lost: int = 0
    belt_towns_lost: int = 0
    towns_ceded: int = 0
    belt_towns_ceded: int = 0
    area_ceded: float = 0.0  # km² handed over by the deal
    max_breach_km: float = 0.0  # how deep the main effort's breach got
    review: Estimate | None = None  # Russia's latest review
    # the ground and the front when the war resumed (or at day 0): losses count from here
    ua_area_at_resumption: float = field(default_factory=_nan)
    ua_oblast_area_at_resumption: float = field(default_factory=_nan)
    front_km_at_resumption: float = field(default_factory=_nan)

    def town_lost(self, fortress_belt: bool) -> None:
        """Count a town taken by the offensive (and apart, if it is in the fortress belt)."""
        self.towns_lost += 1
        if fortress_belt:
            self.belt_towns_lost += 1


@dataclass(frozen=True)
class Today:
    """What several series outputs share, computed once a day: one pass over the units."""

    personnel: np.ndarray  # by side
    readiness: np.ndarray  # by side, strength-weighted
    review: Estimate | None  # Russia's latest review


@dataclass(frozen=True)
class RunEnd:
    """What several summary outputs share, computed once per record."""

    resumed: bool
    sector: int  # of the main attack; -1 if none
    lat: float  # where the main attack struck
    lon: float
    monitors: np.ndarray  # detections, violations, violations detected (all sectors ever)
    review: Estimate | None  # Russia's last review


def _review(name: str) -> Callable[[CeasefireModel, Today], Any]:
    """A series output read off Russia's latest review (NaN before the first)."""
    def read(m: CeasefireModel, t: Today) -> Any:
        if t.review is None:
            return "" if name == "decided_by" else np.nan
        return {"expected_ratio": lambda r: float(r.ratio[0]),
                "value_resume_now": lambda r: r.value_now,
                "value_wait": lambda r: r.value_wait,
                "decided_by": lambda r: r.deciding_term()}[name](t.review)
    return read


SERIES: dict[str, Callable[[CeasefireModel, Today], Any]] = {
    "day": lambda m, t: m.day,
    "phase": lambda m, t: m.phase,
    "guarantees_in_force": lambda m, t: m.guarantor.in_force,
    "ru_strength": lambda m, t: float(t.personnel[RU] + m.regeneration.depot[RU]),
    "ua_strength": lambda m, t: float(t.personnel[UA] + m.regeneration.depot[UA]),
    "ru_readiness": lambda m, t: float(t.readiness[RU]),
    "ua_readiness": lambda m, t: float(t.readiness[UA]),
    "force_ratio_main_axis": lambda m, t: main_sector_ratio(m),
    "ua_area_km2": lambda m, t: m.ua_area,
    "detections": lambda m, t: int(m.monitoring.totals()[0]),
    "violations": lambda m, t: int(m.monitoring.totals()[1]),
    "ru_losses": lambda m, t: float(m.combat.losses[RU]),
    "ua_losses": lambda m, t: float(m.combat.losses[UA]),
    "credibility": lambda m, t: m.guarantor.credibility(),
    "expected_ratio": _review("expected_ratio"),
    "required_ratio": lambda m, t: m.p.breakthrough_ratio,
    "value_resume_now": _review("value_resume_now"),
    "value_wait": _review("value_wait"),
    "decided_by": _review("decided_by"),
}

SUMMARY: dict[str, Callable[[CeasefireModel, RunEnd], Any]] = {
    "resumed": lambda m, e: e.resumed,
    "day_resumed": lambda m, e: m.record.day_resumed,
    "territory_lost_km2": lambda m, e: _ground_lost(m, e),
    "ua_area_km2_end": lambda m, e: m.ua_area,
    "ua_oblast_area_km2_end": lambda m, e: m.theatre.ua_area_km2(oblast_only=True),
    "belt_towns_lost": lambda m, e: m.record.belt_towns_lost,
    "towns_lost": lambda m, e: m.record.towns_lost,
    "towns_ceded": lambda m, e: m.record.towns_ceded,
    "ru_losses": lambda m, e: float(m.combat.losses[RU]),
    "ua_losses": lambda m, e: float(m.combat.losses[UA]),
    "ru_personnel_end": lambda m, e: m.regeneration.total_personnel(RU),
    "ua_personnel_end": lambda m, e: m.regeneration.total_personnel(UA),
    "warning_days": lambda m, e: m.record.warning_days,
    "detections": lambda m, e: int(e.monitors[0]),
    "violations": lambda m, e: int(e.monitors[1]),
    "violations_detected": lambda m, e: int(e.monitors[2]),
    "guarantees_delivered": lambda m, e: m.guarantor.delivered,
    "guarantees_in_force_day": lambda m, e: m.guarantor.in_force_day,
    "guarantee_triggered": lambda m, e: m.guarantor.triggered,
    "guarantor_responses": lambda m, e: m.guarantor.responses,
    "attack_sector": lambda m, e: e.sector,
    "attack_lat": lambda m, e: e.lat,
    "attack_lon": lambda m, e: e.lon,
    "ratio_at_attack": lambda m, e: m.record.ratio_at_attack,
    "max_advance_km": lambda m, e: float(m.record.max_breach_km) if e.resumed else 0.0,
    "area_ceded_km2": lambda m, e: m.record.area_ceded,
    "belt_towns_ceded": lambda m, e: int(m.record.belt_towns_ceded),
    "value_at_resumption": lambda m, e: (
        e.review.value_now if (e.review is not None and e.resumed) else np.nan),
    "decided_by": lambda m, e: e.review.deciding_term() if e.review is not None else "",
    "days_run": lambda m, e: m.day,
    "oblast_lost_km2": lambda m, e: (
        (m.record.ua_oblast_area_at_resumption - m.theatre.ua_area_km2(oblast_only=True))
        if e.resumed else 0.0),
    "line_advance_km": lambda m, e: _ground_lost(m, e) / m.record.front_km_at_resumption,
}

# The columns as the model was imported; the output table is read again for every run.
SERIES_COLUMNS: tuple[str, ...] = outputs.names("day")
SUMMARY_FIELDS: tuple[str, ...] = outputs.names("run")


def _ground_lost(m: CeasefireModel, e: RunEnd) -> float:
    """Ground Ukraine lost after the war resumed (0 if it did not)."""
    return (m.record.ua_area_at_resumption - m.ua_area) if e.resumed else 0.0


class Recording:
    """Step 9: today's row of the per-day series (every day, or on the last day only when
    nobody reads the series), through a Mesa DataCollector.

    State: the DataCollector's rows, and today's value of each series output, which the
    DataCollector's reporters read.
    """

    #: The parameters it reads (tests/test_processes.py holds this to the code).
    PARAMS = (
        "breakthrough_ratio", "horizon_days",
    )
    STEP = 9

    def __init__(self, m: CeasefireModel) -> None:
        self.m = m
        self.today: dict[str, Any] = {}
        # Each reporter reads a value that ``collect`` sets once per day, so the daily
        # cost is one vectorised pass over the units rather than one per column.
        self.datacollector = DataCollector(model_reporters={
            name: _reporter(self.today, name) for name in outputs.names("day")})

    def step(self) -> None:
        """Record today's row on the series' days (``CeasefireModel.series_every``) and on
        the last day."""
        m = self.m
        if series_day(m.day, m.series_every) or not m.running:
            self.collect()

    def quiet_days_ahead(self, limit: int) -> int:
        """How many of the next ``limit`` days record nothing: before the next day the
        series keeps (``series_day``) and before the last day."""
        m = self.m
        first, every = m.day + 1, m.series_every
        stop = m.p.horizon_days  # ``step`` records the last day whatever happens
        if every > 0:
            stop = min(stop, -(-first // every) * every)
        return min(limit, stop - first)

    def collect(self) -> None:
        """Record today's row of the series."""
        m = self.m
        personnel, readiness = m.forces.by_side()
        today = Today(personnel, readiness, m.record.review)
        for name in outputs.names("day"):
            self.today[name] = SERIES[name](m, today)
        self.datacollector.collect(m)


def series_day(day: Any, every: int) -> Any:
    """Whether ``day`` (a day, or a column of days) is one the series keeps when it keeps
    every ``every``-th day from day 0 (none when ``every`` is 0)."""
    return day % every == 0 if every > 0 else False


def _reporter(today: dict[str, Any], name: str) -> Callable[[Any], Any]:
    """A DataCollector reporter that reads today's value of the series output ``name``."""
    def read(_model: Any) -> Any:
        return today[name]
    return read


def mark_resumption(m: CeasefireModel) -> None:
    """Record the ground and the front as they stand when the war resumes (or at day 0),
    which the losses after resumption are counted from."""
    r = m.record
    r.ua_area_at_resumption = m.ua_area
    r.ua_oblast_area_at_resumption = m.theatre.ua_area_km2(oblast_only=True)
    r.front_km_at_resumption = float(m.theatre.front_km.sum())


def main_sector_ratio(m: CeasefireModel) -> float:
    """Today's force ratio on Russia's main sector (before it has chosen one: on the
    sector where the ratio is highest)."""
    ratio = balance.current_ratio(m)
    k = m.effort.sector if m.effort.sector >= 0 else int(np.argmax(ratio))
    return float(ratio[k])


def run_end(m: CeasefireModel) -> RunEnd:
    """The facts several summary outputs share."""
    r, th = m.record, m.theatre
    resumed = not np.isnan(r.day_resumed)
    sector = int(r.attack_sector) if resumed else -1
    lat = lon = np.nan
    if sector >= 0:
        x, y = r.attack_cell
        lat, lon = float(th.raster.lat[x, y]), float(th.raster.lon[x, y])
    return RunEnd(resumed, sector, lat, lon, m.monitoring.totals(), r.review)


def summary(m: CeasefireModel) -> dict[str, Any]:
    """The run's summary record: every ``"run"`` output, in the output table's order."""
    end = run_end(m)
    return {name: SUMMARY[name](m, end) for name in outputs.names("run")}
