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
    "ru_losses", "ua_losses", "credibility", "expected_ratio", "required_ratio",
    "value_resume_now", "value_wait", "decided_by",
)
SERIES_REPORTERS: dict[str, str] = {c: f"obs_{c}" for c in SERIES_COLUMNS}

SUMMARY_FIELDS: tuple[str, ...] = (
    "resumed", "day_resumed", "territory_lost_km2", "ua_area_km2_end",
    "ua_oblast_area_km2_end", "belt_towns_lost", "towns_lost", "towns_ceded",
    "ru_losses", "ua_losses", "ru_personnel_end", "ua_personnel_end", "warning_days",
    "detections", "violations", "violations_detected", "guarantees_delivered",
    "guarantees_in_force_day", "guarantee_triggered", "guarantor_responses",
    "attack_sector", "attack_lat", "attack_lon", "ratio_at_attack", "max_advance_km",
    "area_ceded_km2", "belt_towns_ceded", "value_at_resumption", "decided_by", "days_run",
)


def init_records(m: CeasefireModel) -> DataCollector:
    """Start the run's summary record; return the per-day DataCollector."""
    m.record.update({"day_resumed": np.nan, "ua_area_at_resumption": m.ua_area,
                     "attack_sector": -1, "ratio_at_attack": np.nan, "warning_days": np.nan,
                     "territory_taken_km2": 0.0, "belt_towns_lost": 0, "towns_lost": 0,
                     "belt_towns_ceded": 0, "review": None, "max_breach_km": 0.0})
    if m.timeline.war_from_start:
        m.record["day_resumed"] = 0.0
    return DataCollector(model_reporters=SERIES_REPORTERS)


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
    m.obs_detections = int(m.monitor_totals[0]) + sum(s.detections for s in m.sectors)
    m.obs_violations = int(m.monitor_totals[1]) + sum(s.violations for s in m.sectors)
    m.obs_ru_losses, m.obs_ua_losses = float(m.losses[RU]), float(m.losses[UA])
    m.obs_credibility = m.guarantor.credibility()
    review = m.record["review"]
    m.obs_expected_ratio = float(review.ratio[0]) if review is not None else np.nan
    m.obs_required_ratio = m.p.breakthrough_ratio
    m.obs_value_resume_now = review.value_now if review is not None else np.nan
    m.obs_value_wait = review.value_wait if review is not None else np.nan
    m.obs_decided_by = review.deciding_term() if review is not None else ""
    m.datacollector.collect(m)


def main_axis_ratio(m: CeasefireModel) -> float:
    """Today's force ratio on Russia's main sector (before it has chosen one: on the sector
    where the ratio is highest)."""
    ratio = m.current_ratio()
    k = m.main_sector if m.main_sector >= 0 else int(np.argmax(ratio))
    return float(ratio[k])


def summary(m: CeasefireModel) -> dict[str, Any]:
    """The run's summary record (keys: SUMMARY_FIELDS)."""
    r, th = m.record, m.theatre
    resumed = not np.isnan(r["day_resumed"])
    sector = int(r["attack_sector"]) if resumed else -1
    lat = lon = np.nan
    if sector >= 0:
        x, y = r["attack_cell"]
        lat, lon = float(th.raster.lat[x, y]), float(th.raster.lon[x, y])
    totals = m.monitor_totals + np.array(
        [sum(getattr(s, k) for s in m.sectors)
         for k in ("detections", "violations", "violations_detected")])
    review = r["review"]
    at_war_value = review.value_now if (review is not None and resumed) else np.nan
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
        "detections": int(totals[0]),
        "violations": int(totals[1]),
        "violations_detected": int(totals[2]),
        "guarantees_delivered": m.guarantor.delivered,
        "guarantees_in_force_day": m.guarantor.in_force_day,
        "guarantee_triggered": m.guarantor.triggered,
        "guarantor_responses": m.guarantor.responses,
        "attack_sector": sector,
        "attack_lat": lat,
        "attack_lon": lon,
        "ratio_at_attack": r["ratio_at_attack"],
        "max_advance_km": float(r["max_breach_km"]) if resumed else 0.0,
        "area_ceded_km2": m.area_ceded,
        "belt_towns_ceded": int(r["belt_towns_ceded"]),
        "value_at_resumption": at_war_value,
        "decided_by": review.deciding_term() if review is not None else "",
        "days_run": m.day,
    }
    return out
