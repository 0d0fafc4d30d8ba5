"""One run in, one record out: the function the experiment runner and the CLI call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from dmzsim.model.model import CeasefireModel
from dmzsim.model.params import Params
from dmzsim.model.processes.recording import SUMMARY_FIELDS, series_day, summary
from dmzsim.model.rng import SeedLike

__all__ = ["SUMMARY_FIELDS", "RunResult", "simulate"]


class _SimulatedModel(CeasefireModel):
    """The model as ``simulate`` runs it: nobody sees it after the run, so its grid comes
    from (and goes back to) the grids of earlier runs in this process, and its days run
    in stretches between the deal's events (``CeasefireModel.days_per_event``)."""

    grid_from_spares = True
    days_per_event = True


class _SummaryOnlyModel(_SimulatedModel):
    """... and when only the summary is kept, the per-day series is recorded on the last
    day only, which saves a DataCollector pass a day and changes no result."""

    series_every = 0


_VARIANTS: dict[tuple[type[CeasefireModel], tuple[tuple[str, Any], ...]],
                type[CeasefireModel]] = {}


def _model_class(series_every: int, waiting_times: bool | None) -> type[CeasefireModel]:
    """The model ``simulate`` runs: it records the series on the days it keeps
    (``CeasefireModel.series_every``; none but the last without a series), and
    ``waiting_times`` (if not None) sets how it draws its rare events
    (``CeasefireModel.waiting_times``)."""
    base = _SimulatedModel if series_every > 0 else _SummaryOnlyModel
    attrs: dict[str, Any] = {}
    if series_every > 1:
        attrs["series_every"] = series_every
    if waiting_times is not None and waiting_times != base.waiting_times:
        attrs["waiting_times"] = waiting_times
    if not attrs:
        return base
    key = (base, tuple(attrs.items()))
    if key not in _VARIANTS:
        name = base.__name__ + "".join(f"_{k}_{v}" for k, v in attrs.items())
        _VARIANTS[key] = type(name, (base,), attrs)
    return _VARIANTS[key]


@dataclass(frozen=True)
class RunResult:
    """A finished run: its summary record and, if asked for, its per-day series."""

    summary: dict[str, Any]
    series: pd.DataFrame | None


def simulate(params: Params | dict[str, Any] | None = None, seed: SeedLike = 0, *,
             series_every: int = 0, map_path: str | Path | None = None,
             until_resumption: bool = False,
             waiting_times: bool | None = None) -> RunResult:
    """Run the model for ``params.horizon_days`` days.

    ``series_every`` = k > 0 keeps the per-day series every k days (day 0 included);
    0 keeps only the summary, which is what large sweeps want. ``until_resumption``
    stops on the day the war resumes (or is at war): for studies of whether and when it
    resumes only, since every other output is then as of that day. ``waiting_times``
    draws the rare events as waiting times (True) or every day (False); None keeps the
    model's default (``CeasefireModel.waiting_times``). The two give other runs of the
    same laws.
    """
    p = params if isinstance(params, Params) else Params.build(params or {})
    model_cls = _model_class(series_every, waiting_times)
    model = model_cls(p, rng=seed, map_path=map_path)
    if until_resumption:
        while model.running and not model.at_war:
            model.run_for(1)  # a day at a time: the deal's events run between days
    else:
        model.run_for(p.horizon_days)
    series = None
    if series_every > 0:
        df = model.datacollector.get_model_vars_dataframe()
        # the days kept; the last day, always recorded, is kept only if one of them
        series = df[series_day(df["day"], series_every)].reset_index(drop=True)
    result = RunResult(summary=summary(model), series=series)
    model.grid.recycle()  # the model is not seen again: the next run reuses its grid
    return result
