"""A stand-in for ``model.api.simulate`` for runner tests: instant and deterministic.

Same signature and result shape as the real function; the numbers derive from the seed
and a few parameters only, so tests can predict them. Variants misbehave on purpose:
``simulate_slow`` sleeps (to kill a sweep midway), ``simulate_flaky`` raises for some
seeds, ``simulate_crashy`` kills its worker process for some seeds.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

SUMMARY_FIELDS: tuple[str, ...] = (
    "resumed", "day_resumed", "territory_lost_km2", "belt_towns_lost", "towns_lost",
    "ru_losses", "ua_losses", "warning_days", "detections", "violations",
    "guarantees_delivered", "guarantee_triggered", "attack_sector", "attack_lat", "attack_lon",
    "ua_area_km2_end",
)
SERIES_COLUMNS = ("day", "phase", "ru_strength", "ua_strength", "ru_readiness",
                  "ua_readiness", "force_ratio_main_axis", "ua_area_km2", "detections",
                  "violations")
RISK = {"no_deal": 0.9, "frozen_line": 0.5, "territory_first": 0.6,
        "guarantees_first": 0.3, "simultaneous": 0.4}


@dataclass(frozen=True)
class RunResult:
    summary: dict[str, Any]
    series: pd.DataFrame | None


def p_resume(params: Any) -> float:
    """The fake's probability of resumption: sequencing risk, damped by credibility."""
    return RISK[params.sequencing] * (1.0 - 0.5 * params.guarantee_credibility)


def simulate(params: Any, seed: int | np.random.SeedSequence, *, series_every: int = 0,
             map_path: Any = None) -> RunResult:
    """Deterministic numbers from (seed, params); the draw order never depends on params."""
    rng = np.random.default_rng(seed)
    u, day, area, axis = rng.random(), rng.uniform(1, params.horizon_days), rng.random(), \
        int(rng.integers(0, 6))
    resumed = bool(u < p_resume(params))
    summary = {
        "resumed": resumed, "day_resumed": day if resumed else np.nan,
        "territory_lost_km2": 500.0 * area if resumed else 0.0,
        "belt_towns_lost": int(resumed) * axis, "towns_lost": int(resumed) * (axis + 1),
        "ru_losses": 1000.0 * area, "ua_losses": 600.0 * area,
        "warning_days": 10.0 * area if resumed else np.nan,
        "detections": axis, "violations": int(100 * area),
        "guarantees_delivered": area < params.guarantee_delivery_prob,
        "guarantee_triggered": resumed and area < 0.5,
        "attack_sector": axis if resumed else -1,
        "attack_lat": 48.0 + area if resumed else np.nan,
        "attack_lon": 37.5 + area if resumed else np.nan,
        "ua_area_km2_end": 16000.0 - (500.0 * area if resumed else 0.0),
    }
    series = _series(params, rng, series_every) if series_every > 0 else None
    return RunResult(summary, series)


def _series(params: Any, rng: np.random.Generator, every: int) -> pd.DataFrame:
    days = np.arange(0, params.horizon_days + 1, every)
    noise = rng.random(len(days))
    return pd.DataFrame({
        "day": days, "phase": np.where(days < 30, "withdrawal", "dmz"),
        "ru_strength": 3e5 + 10 * days, "ua_strength": 1.5e5 + 5 * days,
        "ru_readiness": 0.6 + 0.0001 * days, "ua_readiness": 0.6 + 0.0002 * days,
        "force_ratio_main_axis": 2.0 + noise, "ua_area_km2": 16000.0 - days,
        "detections": (days // 7).astype(np.int64), "violations": (days // 3).astype(np.int64),
    })


def simulate_slow(params: Any, seed: int, **kwargs: Any) -> RunResult:
    """As :func:`simulate`, but each run takes 50 ms."""
    time.sleep(0.05)
    return simulate(params, seed, **kwargs)


def is_bad_seed(seed: int) -> bool:
    """About one seed in five is 'bad' for the misbehaving variants."""
    return seed % 5 == 0


def simulate_flaky(params: Any, seed: int, **kwargs: Any) -> RunResult:
    """As :func:`simulate`, but raises for bad seeds (a model bug in some corner)."""
    if is_bad_seed(seed):
        raise ZeroDivisionError(f"fake model failure for seed {seed}")
    return simulate(params, seed, **kwargs)


def simulate_crashy(params: Any, seed: int, **kwargs: Any) -> RunResult:
    """As :func:`simulate`, but the worker process dies outright for seeds % 17 == 0."""
    if seed % 17 == 0:
        os._exit(3)
    return simulate(params, seed, **kwargs)


# --- helpers shared by the runner tests ---------------------------------------------------
def tiny_config(**changes: Any) -> dict[str, Any]:
    """A small experiment (2 arms x 2 points x 3 replicates) as read from TOML."""
    config: dict[str, Any] = {
        "name": "tiny", "root_seed": 7, "replicates": 3, "horizon_days": 60,
        "arms": {"tf": {"sequencing": "territory_first"},
                 "gf": {"sequencing": "guarantees_first"}},
        "design": {"method": "grid",
                   "parameters": {"guarantee_credibility": [0.2, 0.8]}},
    }
    config.update(changes)
    return config


def comparable(summary: pd.DataFrame) -> pd.DataFrame:
    """A results table without what legitimately differs between sessions (timings)."""
    return summary.drop(columns=["wall_s", "worker"]).sort_values("run_id").reset_index(
        drop=True)
