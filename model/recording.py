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
    from dmzsim.model.decision import Estimate
    from dmzsim.model.model import CeasefireModel


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
    "ru_strength": lambda m, t: float(t.personnel[RU] + m.depot[RU]),
    "ua_strength": lambda m, t: float(t.personnel[UA] + m.depot[UA]),
    "ru_readiness": lambda m, t: float(t.readiness[RU]),
    "ua_readiness": lambda m, t: float(t.readiness[UA]),
    "force_ratio_main_axis": lambda m, t: main_sector_ratio(m),
    "ua_area_km2": lambda m, t: m.ua_area,
    "detections": lambda m, t: int(m.monitor_totals[0]) + sum(s.detections for s in m.sectors),
    "violations": lambda m, t: int(m.monitor_totals[1]) + sum(s.violations for s in m.sectors),
    "ru_losses": lambda m, t: float(m.losses[RU]),
    "ua_losses": lambda m, t: float(m.losses[UA]),
    "credibility": lambda m, t: m.guarantor.credibility(),
    "expected_ratio": _review("expected_ratio"),
    "required_ratio": lambda m, t: m.p.breakthrough_ratio,
    "value_resume_now": _review("value_resume_now"),
    "value_wait": _review("value_wait"),
    "decided_by": _review("decided_by"),
}

SUMMARY: dict[str, Callable[[CeasefireModel, RunEnd], Any]] = {
    "resumed": lambda m, e: e.resumed,
    "day_resumed": lambda m, e: m.record["day_resumed"],
    "territory_lost_km2": lambda m, e: _ground_lost(m, e),
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
    "ratio_at_attack": lambda m, e: m.record["ratio_at_attack"],
    "max_advance_km": lambda m, e: float(m.record["max_breach_km"]) if e.resumed else 0.0,
    "area_ceded_km2": lambda m, e: m.area_ceded,
    "belt_towns_ceded": lambda m, e: int(m.record["belt_towns_ceded"]),
    "value_at_resumption": lambda m, e: (
        e.review.value_now if (e.review is not None and e.resumed) else np.nan),
    "decided_by": lambda m, e: e.review.deciding_term() if e.review is not None else "",
    "days_run": lambda m, e: m.day,
    "oblast_lost_km2": lambda m, e: (
        (m.record["ua_oblast_area_at_resumption"] - m.theatre.ua_area_km2(oblast_only=True))
        if e.resumed else 0.0),
    "line_advance_km": lambda m, e: _ground_lost(m, e) / m.record["front_km_at_resumption"],
}

# The columns as the model was imported; the output table is read again for every run.
SERIES_COLUMNS: tuple[str, ...] = outputs.names("day")
SUMMARY_FIELDS: tuple[str, ...] = outputs.names("run")


def _ground_lost(m: CeasefireModel, e: RunEnd) -> float:
    """Ground Ukraine lost after the war resumed (0 if it did not)."""
    return (m.record["ua_area_at_resumption"] - m.ua_area) if e.resumed else 0.0


def mark_resumption(m: CeasefireModel) -> None:
    """Record the ground and the front as they stand when the war resumes (or at day 0),
    which the losses after resumption are counted from."""
    m.record.update({"ua_area_at_resumption": m.ua_area,
                     "ua_oblast_area_at_resumption": m.theatre.ua_area_km2(oblast_only=True),
                     "front_km_at_resumption": float(m.theatre.front_km.sum())})


def init_records(m: CeasefireModel) -> DataCollector:
    """Start the run's summary record; return the per-day DataCollector."""
    mark_resumption(m)
    m.record.update({"day_resumed": np.nan,
                     "attack_sector": -1, "ratio_at_attack": np.nan, "warning_days": np.nan,
                     "territory_taken_km2": 0.0, "belt_towns_lost": 0, "towns_lost": 0,
                     "belt_towns_ceded": 0, "review": None, "max_breach_km": 0.0})
    if m.timeline.war_from_start:
        m.record["day_resumed"] = 0.0
    # Each reporter reads an attribute that ``collect`` sets once per day, so the daily
    # cost is one vectorised pass over the units rather than one per column.
    return DataCollector(model_reporters={name: f"obs_{name}" for name in outputs.names("day")})


def collect(m: CeasefireModel) -> None:
    """Record today's row of the series: set every ``obs_*`` attribute, then let the
    DataCollector read them."""
    personnel, readiness = m.forces.by_side()
    today = Today(personnel, readiness, m.record["review"])
    for name in outputs.names("day"):
        setattr(m, f"obs_{name}", SERIES[name](m, today))
    m.datacollector.collect(m)


def main_sector_ratio(m: CeasefireModel) -> float:
    """Today's force ratio on Russia's main sector (before it has chosen one: on the
    sector where the ratio is highest)."""
    ratio = m.current_ratio()
    k = m.main_sector if m.main_sector >= 0 else int(np.argmax(ratio))
    return float(ratio[k])


def run_end(m: CeasefireModel) -> RunEnd:
    """The facts several summary outputs share."""
    r, th = m.record, m.theatre
    resumed = not np.isnan(r["day_resumed"])
    sector = int(r["attack_sector"]) if resumed else -1
    lat = lon = np.nan
    if sector >= 0:
        x, y = r["attack_cell"]
        lat, lon = float(th.raster.lat[x, y]), float(th.raster.lon[x, y])
    monitors = m.monitor_totals + np.array(
        [sum(getattr(s, k) for s in m.sectors)
         for k in ("detections", "violations", "violations_detected")])
    return RunEnd(resumed, sector, lat, lon, monitors, r["review"])


def summary(m: CeasefireModel) -> dict[str, Any]:
    """The run's summary record: every ``"run"`` output, in the output table's order."""
    end = run_end(m)
    return {name: SUMMARY[name](m, end) for name in outputs.names("run")}
