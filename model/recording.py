"""Step 9: recording. A per-day DataCollector (cheap model-level aggregates) and the
summary record of a run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from dmzsim.model.forces import RU, UA
from dmzsim.model.regeneration import total_personnel
from mesa import DataCollector

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel

# Each reporter reads an attribute that ``collect`` sets once per day, so the daily cost is
# one vectorised pass over the units rather than one per column.
SERIES_COLUMNS: tuple[str, ...] = (
    "day", "phase", "guarantees_in_force", "ru_strength", "ua_strength", "ru_readiness",
    "ua_readiness", "force_ratio_main_axis", "ua_area_km2", "detections", "violations",
    "ru_losses", "ua_losses", "credibility",
)
SERIES_REPORTERS: dict[str, str] = {c: f"obs_{c}" for c in SERIES_COLUMNS}

SUMMARY_FIELDS: tuple[str, ...] = (
    "resumed", "day_resumed", "territory_lost_km2", "ua_area_km2_end",
    "ua_oblast_area_km2_end", "belt_towns_lost", "towns_lost", "towns_ceded",
    "ru_losses", "ua_losses", "ru_personnel_end", "ua_personnel_end", "warning_days",
    "detections", "violations", "violations_detected", "guarantees_delivered",
    "guarantees_in_force_day", "guarantee_triggered", "guarantor_responses",
    "attack_axis", "attack_lat", "attack_lon", "ratio_at_attack", "max_advance_km",
    "days_run",
)


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
    m.datacollector = DataCollector(model_reporters=SERIES_REPORTERS)


def collect(m: CeasefireModel) -> None:
    """Record today's row of the series: set every ``obs_*`` attribute in one pass over
    the units, then let the DataCollector read them."""
    personnel, readiness = m.forces.by_side()
    m.obs_day, m.obs_phase = m.day, m.phase
    m.obs_guarantees_in_force = m.guarantor.in_force
    m.obs_ru_strength = float(personnel[RU] + m.depot[RU])
    m.obs_ua_strength = float(personnel[UA] + m.depot[UA])
    m.obs_ru_readiness, m.obs_ua_readiness = float(readiness[RU]), float(readiness[UA])
    m.obs_force_ratio_main_axis = main_axis_ratio(m)
    m.obs_ua_area_km2 = m.ua_area
    m.obs_detections = sum(s.detections for s in m.sectors)
    m.obs_violations = sum(s.violations for s in m.sectors)
    m.obs_ru_losses, m.obs_ua_losses = float(m.losses[RU]), float(m.losses[UA])
    m.obs_credibility = m.guarantor.credibility()
    m.datacollector.collect(m)


def main_axis_ratio(m: CeasefireModel) -> float:
    """Today's force ratio on Russia's main axis (before it has chosen one: on the axis
    where the ratio is highest)."""
    ratio = m.current_ratio()
    axis = m.russia.main_axis if m.russia.main_axis >= 0 else int(np.argmax(ratio))
    return float(ratio[axis])


def summary(m: CeasefireModel) -> dict[str, Any]:
    """The run's summary record (keys: SUMMARY_FIELDS)."""
    r, th = m.record, m.theatre
    resumed = not np.isnan(r["day_resumed"])
    axis = int(r["attack_axis"]) if resumed else -1
    lat = lon = np.nan
    if axis >= 0:
        x, y = r["attack_cell"]
        lat, lon = float(th.raster.lat[x, y]), float(th.raster.lon[x, y])
    start = r.get("ua_depth_at_resumption", np.zeros(th.n_axes))
    advance = np.where(np.isfinite(start), m.ru_depth - start, 0.0)
    out = {
        "resumed": resumed,
        "day_resumed": r["day_resumed"],
        "territory_lost_km2": (r["ua_area_at_resumption"] - m.ua_area) if resumed else 0.0,
        "ua_area_km2_end": m.ua_area,
        "ua_oblast_area_km2_end": th.ua_area_km2(oblast_only=True),
        "belt_towns_lost": r["belt_towns_lost"],
        "towns_lost": r["towns_lost"],
        "towns_ceded": m.towns_ceded,
        "ru_losses": float(m.losses[RU]),
        "ua_losses": float(m.losses[UA]),
        "ru_personnel_end": total_personnel(m, RU),
        "ua_personnel_end": total_personnel(m, UA),
        "warning_days": r["warning_days"],
        "detections": sum(s.detections for s in m.sectors),
        "violations": sum(s.violations for s in m.sectors),
        "violations_detected": sum(s.violations_detected for s in m.sectors),
        "guarantees_delivered": m.guarantor.delivered,
        "guarantees_in_force_day": m.guarantor.in_force_day,
        "guarantee_triggered": m.guarantor.triggered,
        "guarantor_responses": m.guarantor.responses,
        "attack_axis": axis,
        "attack_lat": lat,
        "attack_lon": lon,
        "ratio_at_attack": r["ratio_at_attack"],
        "max_advance_km": float(max(np.max(advance), 0.0)) if resumed else 0.0,
        "days_run": m.day,
    }
    return out
