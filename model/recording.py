"""Step 9: recording. A per-day DataCollector (cheap model-level aggregates) and the
summary record of a run.

What is recorded is the output table (:mod:`model.outputs`); how each output is computed
is here: :data:`SERIES` for the per-day series, :data:`SUMMARY` for the summary record,
one function per output, keyed by its name. A test checks that the two tables and the
output table name the same outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from dmzsim.model import outputs
from dmzsim.model.forces import RU, UA
from dmzsim.model.regeneration import total_personnel
from mesa import DataCollector

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel


@dataclass(frozen=True)
class Today:
    """What several series outputs share, computed once a day: one pass over the units."""

    personnel: np.ndarray  # by side
    readiness: np.ndarray  # by side, strength-weighted


@dataclass(frozen=True)
class RunEnd:
    """What several summary outputs share, computed once per record."""

    resumed: bool
    axis: int  # of the main attack; -1 if none
    lat: float  # where the main attack struck
    lon: float
    advance: np.ndarray  # km advanced on each axis since the resumption


SERIES: dict[str, Callable[[CeasefireModel, Today], Any]] = {
    "day": lambda m, t: m.day,
    "phase": lambda m, t: m.phase,
    "guarantees_in_force": lambda m, t: m.guarantor.in_force,
    "ru_strength": lambda m, t: float(t.personnel[RU] + m.depot[RU]),
    "ua_strength": lambda m, t: float(t.personnel[UA] + m.depot[UA]),
    "ru_readiness": lambda m, t: float(t.readiness[RU]),
    "ua_readiness": lambda m, t: float(t.readiness[UA]),
    "force_ratio_main_axis": lambda m, t: main_axis_ratio(m),
    "ua_area_km2": lambda m, t: m.ua_area,
    "detections": lambda m, t: sum(s.detections for s in m.sectors),
    "violations": lambda m, t: sum(s.violations for s in m.sectors),
    "ru_losses": lambda m, t: float(m.losses[RU]),
    "ua_losses": lambda m, t: float(m.losses[UA]),
    "credibility": lambda m, t: m.guarantor.credibility(),
}

SUMMARY: dict[str, Callable[[CeasefireModel, RunEnd], Any]] = {
    "resumed": lambda m, e: e.resumed,
    "day_resumed": lambda m, e: m.record["day_resumed"],
    "territory_lost_km2": lambda m, e: (
        (m.record["ua_area_at_resumption"] - m.ua_area) if e.resumed else 0.0),
    "ua_area_km2_end": lambda m, e: m.ua_area,
    "ua_oblast_area_km2_end": lambda m, e: m.theatre.ua_area_km2(oblast_only=True),
    "belt_towns_lost": lambda m, e: m.record["belt_towns_lost"],
    "towns_lost": lambda m, e: m.record["towns_lost"],
    "towns_ceded": lambda m, e: m.towns_ceded,
    "ru_losses": lambda m, e: float(m.losses[RU]),
    "ua_losses": lambda m, e: float(m.losses[UA]),
    "ru_personnel_end": lambda m, e: total_personnel(m, RU),
    "ua_personnel_end": lambda m, e: total_personnel(m, UA),
    "warning_days": lambda m, e: m.record["warning_days"],
    "detections": lambda m, e: sum(s.detections for s in m.sectors),
    "violations": lambda m, e: sum(s.violations for s in m.sectors),
    "violations_detected": lambda m, e: sum(s.violations_detected for s in m.sectors),
    "guarantees_delivered": lambda m, e: m.guarantor.delivered,
    "guarantees_in_force_day": lambda m, e: m.guarantor.in_force_day,
    "guarantee_triggered": lambda m, e: m.guarantor.triggered,
    "guarantor_responses": lambda m, e: m.guarantor.responses,
    "attack_axis": lambda m, e: e.axis,
    "attack_lat": lambda m, e: e.lat,
    "attack_lon": lambda m, e: e.lon,
    "ratio_at_attack": lambda m, e: m.record["ratio_at_attack"],
    "max_advance_km": lambda m, e: (
        float(max(np.max(e.advance), 0.0)) if e.resumed else 0.0),
    "days_run": lambda m, e: m.day,
}

# The columns as the model was imported; the output table is read again for every run.
SERIES_COLUMNS: tuple[str, ...] = outputs.names("day")
SUMMARY_FIELDS: tuple[str, ...] = outputs.names("run")


def init_records(m: CeasefireModel) -> None:
    """Start the run's summary record and the per-day DataCollector."""
    m.record = {"day_resumed": np.nan, "ua_area_at_resumption": m.ua_area,
                "attack_axis": -1, "ratio_at_attack": np.nan, "warning_days": np.nan,
                "territory_taken_km2": 0.0, "belt_towns_lost": 0, "towns_lost": 0}
    if m.timeline.war_from_start:
        m.record["day_resumed"] = 0.0
        m.record["ua_depth_at_resumption"] = m.ua_depth.copy()
    m.towns_ceded = 0
    m.assault_axes = None
    m.ratio_today = None
    # Each reporter reads an attribute that ``collect`` sets once per day, so the daily
    # cost is one vectorised pass over the units rather than one per column.
    m.datacollector = DataCollector(
        model_reporters={name: f"obs_{name}" for name in outputs.names("day")})


def collect(m: CeasefireModel) -> None:
    """Record today's row of the series: set every ``obs_*`` attribute, then let the
    DataCollector read them."""
    personnel, readiness = m.forces.by_side()
    today = Today(personnel, readiness)
    for name in outputs.names("day"):
        setattr(m, f"obs_{name}", SERIES[name](m, today))
    m.datacollector.collect(m)


def main_axis_ratio(m: CeasefireModel) -> float:
    """Today's force ratio on Russia's main axis (before it has chosen one: on the axis
    where the ratio is highest)."""
    ratio = m.current_ratio()
    axis = m.russia.main_axis if m.russia.main_axis >= 0 else int(np.argmax(ratio))
    return float(ratio[axis])


def run_end(m: CeasefireModel) -> RunEnd:
    """The facts several summary outputs share."""
    r, th = m.record, m.theatre
    resumed = not np.isnan(r["day_resumed"])
    axis = int(r["attack_axis"]) if resumed else -1
    lat = lon = np.nan
    if axis >= 0:
        x, y = r["attack_cell"]
        lat, lon = float(th.raster.lat[x, y]), float(th.raster.lon[x, y])
    start = r.get("ua_depth_at_resumption", np.zeros(th.n_axes))
    advance = np.where(np.isfinite(start), m.ru_depth - start, 0.0)
    return RunEnd(resumed, axis, lat, lon, advance)


def summary(m: CeasefireModel) -> dict[str, Any]:
    """The run's summary record: every ``"run"`` output, in the output table's order."""
    end = run_end(m)
    return {name: SUMMARY[name](m, end) for name in outputs.names("run")}
