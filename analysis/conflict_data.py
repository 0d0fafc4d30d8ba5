"""Validation targets computed from observed conflicts, not typed in.

The sources give no clean interstate failure rate within 1, 5 or 10 years (sources §6.2),
only Fortna's "almost half" of post-war ceasefires eventually failing (§6.1). The UCDP/PRIO
Armed Conflict Dataset (shipped in ``analysis/data/`` with its README: v25.1, 1946–2024,
CC BY 4.0) gives a curve: for each episode of a conflict that ended, whether and when the
same conflict fought again. This module reads it (``pyreadr``, the ``data`` extra),
defines the reference class, estimates the Kaplan–Meier curve of recurrence with the
project's own estimator (:func:`analysis.estimators.kaplan_meier`, Greenwood variance and
log-log bands, checked against R's ``survival``: no second estimator to keep in step) and
writes the curve's P by 1, 2, 3 and 5 years as ``[targets]`` tables with the reference
class and its caveats beside them (``dmzsim targets``; docs/validation.md, "Targets from
the conflict data").

The reading, fixed here so it is the same every time:

* a conflict-year is one row; the dataset repeats it once per secondary party, and the
  repeats are dropped;
* an *ended episode* is a conflict-year with ``ep_end`` = 1, ending on ``ep_end_date``;
  it belongs to the class when the conflict's type in that year is in the class;
* it *recurred* on the first later episode start (``start_date2``) of the same conflict
  whose type is in the class (an internationalized conflict that comes back as a purely
  internal one is not a recurrence of the class: :data:`CLASSES` has the sensitivity that
  counts it); otherwise it is censored on the data's last day.

UCDP ends an episode only after a calendar year below 25 battle deaths, so a ceasefire
that fails within about a year never shows as an ended episode: P(recurred) by 1 year is 0
by construction, and recurrence from an episode's end is a lower bound for the failure of
a fresh ceasefire. The targets say so: each is a floor, not a band.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from dmzsim.analysis.estimators import CONFIDENCE, Interval, KaplanMeier, kaplan_meier
from dmzsim.analysis.target_spec import TargetSpec

DATA = Path(__file__).resolve().parent / "data"
ACD = DATA / "ucdp_acd.rda"
DATA_END = date(2024, 12, 31)  # the last day the v25.1 data covers: the censoring day
DATASET = "UCDP/PRIO ACD v25.1"
YEARS = (1, 2, 3, 5)  # the targets' years
DAYS_PER_YEAR = 365  # the targets' days are whole years of 365 days, as the model's horizons


class DataError(ValueError):
    """The conflict data cannot be read (``pyreadr`` missing, or not the expected file)."""


@dataclass(frozen=True)
class ReferenceClass:
    """Which ended episodes count, and which later episodes count as their recurrence."""

    key: str
    label: str
    types: frozenset[str]  # type_of_conflict of the episode's last year
    recurrence_types: frozenset[str] | None  # of the recurring episode (None: any type)
    about: str
    war_only: bool = False  # only episodes that reached war level (1,000 deaths) in a year


CLASSES: dict[str, ReferenceClass] = {c.key: c for c in (
    ReferenceClass("interstate", "interstate conflicts", frozenset({"interstate"}),
                   frozenset({"interstate"}),
                   "conflicts between states, as Russia's war on Ukraine since 2022 is coded"),
    ReferenceClass("internationalized", "interstate and internationalized intrastate "
                   "conflicts", frozenset({"interstate", "II"}),
                   frozenset({"interstate", "II"}),
                   "adds internal conflicts with foreign troops on a side, as the Donbas "
                   "2014–2022 is coded; a recurrence must be of the class again"),
    ReferenceClass("internationalized_any", "interstate and internationalized intrastate "
                   "conflicts, recurring as any type", frozenset({"interstate", "II"}), None,
                   "as above, but a conflict that comes back without foreign troops counts "
                   "too (a sensitivity of the reading)"),
    ReferenceClass("interstate_war", "interstate wars", frozenset({"interstate"}),
                   frozenset({"interstate"}),
                   "interstate episodes with at least 1,000 battle deaths in one of their "
                   "years, as the war since 2022; a recurrence at any intensity counts",
                   war_only=True),
)}


def read_acd(path: Path = ACD) -> pd.DataFrame:
    """The Armed Conflict Dataset, one row per conflict-year, dates as ``Timestamp``."""
    try:
        import pyreadr
    except ImportError as err:
        raise DataError("reading the conflict data needs pyreadr: pip install "
                        "'dmzsim[data]'") from err
    try:
        frames = pyreadr.read_r(str(path))
    except (OSError, pyreadr.custom_errors.PyreadrError,
            pyreadr.custom_errors.LibrdataError) as err:
        raise DataError(f"{path}: cannot be read as R data ({err})") from err
    acd = next(iter(frames.values()), None)
    wanted = {"conflict_id", "year", "type_of_conflict", "intensity_level", "start_date2",
              "ep_end", "ep_end_date"}
    if acd is None or not wanted <= set(acd.columns):
        raise DataError(f"{path}: not the UCDP/PRIO conflict-year table (needs "
                        f"{', '.join(sorted(wanted))})")
    return conflict_years(acd)


def conflict_years(acd: pd.DataFrame) -> pd.DataFrame:
    """One row per conflict-year (the dataset repeats it once per secondary party), its
    dates as ``Timestamp``, in the order of conflict and year."""
    acd = acd.drop_duplicates(["conflict_id", "year"]).copy()
    for col in ("start_date2", "ep_end_date"):
        acd[col] = pd.to_datetime(acd[col])
    return acd.sort_values(["conflict_id", "year"]).reset_index(drop=True)


def episodes(acd: pd.DataFrame, cls: ReferenceClass, end: date = DATA_END) -> pd.DataFrame:
    """One row per ended episode of the class: its conflict, end, whether it reached war
    level in any of its years (``war``), and the days to its recurrence (``recurred``) or
    to the data's end (censored)."""
    ended = acd[(acd["ep_end"] == 1) & acd["type_of_conflict"].isin(cls.types)]
    wars = acd.loc[acd["intensity_level"] == 2, ["conflict_id", "start_date2"]]
    war = pd.MultiIndex.from_frame(ended[["conflict_id", "start_date2"]]).isin(
        pd.MultiIndex.from_frame(wars))  # the episode is its conflict and start
    ep = pd.DataFrame({"conflict_id": ended["conflict_id"].astype(int).to_numpy(),
                       "year": ended["year"].astype(int).to_numpy(),
                       "type": ended["type_of_conflict"].to_numpy(), "war": war,
                       "ended": ended["ep_end_date"].to_numpy()})
    if cls.war_only:
        ep = ep[ep["war"]].reset_index(drop=True)
    again = acd if cls.recurrence_types is None else acd[
        acd["type_of_conflict"].isin(cls.recurrence_types)]
    starts = pd.DataFrame({"conflict_id": again["conflict_id"].astype(int),
                           "start": again["start_date2"]})
    pairs = ep.reset_index().merge(starts, on="conflict_id")
    first = pairs[pairs["start"] > pairs["ended"]].groupby("index")["start"].min()
    until = first.reindex(ep.index)
    ep["recurred"] = until.notna().to_numpy()
    ep["days"] = (until.fillna(pd.Timestamp(end)) - ep["ended"]).dt.days.astype(float)
    return ep.sort_values(["conflict_id", "year"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Reading:
    """One reference class read from the data: its episodes and their recurrence curve."""

    cls: ReferenceClass
    episodes: pd.DataFrame

    @cached_property
    def curve(self) -> KaplanMeier:
        """Kaplan–Meier S(t) = P(not yet recurred t days after the episode's end)."""
        return kaplan_meier(self.episodes["days"].to_numpy(),
                            self.episodes["recurred"].to_numpy(), conf=CONFIDENCE)

    @property
    def n(self) -> int:
        return len(self.episodes)

    @property
    def recurrences(self) -> int:
        return int(self.episodes["recurred"].sum())

    def p_by(self, day: float) -> Interval:
        """P(recurred by ``day``) with its 95% interval (:meth:`KaplanMeier.share_by`)."""
        return self.curve.share_by(day)

    def p_between(self, start: float, day: float) -> float:
        """P(recurred by ``day`` | not by ``start``): the hazard after ``start``."""
        s0 = self.curve.at(start)
        return 1.0 - self.curve.at(day) / s0 if s0 > 0 else math.nan


def read(cls: str | ReferenceClass = "interstate", path: Path = ACD,
         acd: pd.DataFrame | None = None) -> Reading:
    """The reading of ``cls`` (a key of :data:`CLASSES`) from the data at ``path``."""
    ref = CLASSES[cls] if isinstance(cls, str) else cls
    return Reading(ref, episodes(read_acd(path) if acd is None else acd, ref))


def readings_table(readings: Sequence[Reading], years: Sequence[int] = (*YEARS, 10, 20)
                   ) -> str:
    """The readings as a Markdown table: episodes, recurrences, P by each year [95%]."""
    head = " | ".join(f"by {y} y" for y in years)
    rows = [f"| reference class | episodes | recurred | {head} |",
            "|---|---|---|" + "---|" * len(years)]
    for r in readings:
        cells = " | ".join(_p(r.p_by(y * DAYS_PER_YEAR)) for y in years)
        rows.append(f"| {r.cls.label} | {r.n} | {r.recurrences} | {cells} |")
    return "\n".join(rows)


def _p(p: Interval) -> str:
    return f"{p.estimate:.3f} [{p.lo:.3f}–{p.hi:.3f}]"


def target_specs(reading: Reading, arm: str = "frozen_line") -> dict[str, TargetSpec]:
    """P(resumed by 1, 2, 3, 5 years) in ``arm`` at least the data's lower 95% bound.

    A floor, not a band: recurrence after an episode's end misses every failure in the
    first year or so (the episode rule), so the data bounds a fresh ceasefire's failure
    from below only. The data's estimate and interval are in the description."""
    out = {}
    for y in YEARS:
        day = y * DAYS_PER_YEAR
        p = reading.p_by(day)
        years = f"{y}_year" + ("s" if y > 1 else "")
        out[f"{arm}_at_least_{reading.cls.key}_recurrence_by_{years}"] = TargetSpec(
            arm=arm, statistic="p_by_day", output="resumed", day=float(day),
            low=round(p.lo, 3),
            source=(f"{DATASET}, {reading.cls.label}: P(same conflict recurred by "
                    f"{y} y of an episode's end) {_p(p)}, KM, {reading.n} episodes; a lower "
                    "bound for a fresh ceasefire (episode rule)"),
            description=f"{arm.replace('_', ' ')}: P(resumed by day {day}) at least the "
                        f"data's lower bound")
    return out


def _caveats(reading: Reading, others: Sequence[Reading]) -> list[str]:
    """The comment block above the targets: the class, the numbers, what they do not say."""
    years = (*YEARS, 10, 20)
    lines = [
        *textwrap.wrap(f"Reference class: ended episodes of {reading.cls.label} "
                       f"({reading.cls.about}), {reading.n} episodes, {reading.recurrences} "
                       f"recurred; censored on {DATA_END}.", 86),
        "Kaplan–Meier P(same conflict recurred) by year, 95% intervals (Wilson before the",
        "first censoring, log-log Greenwood after):",
        *(f"  by {y:>2} y: {_p(reading.p_by(y * DAYS_PER_YEAR))}" for y in years),
        "Hazard after year 2, among those at peace then: P(recurred by 5 y | not by 2 y) "
        f"{reading.p_between(730, 1825):.3f},",
        f"by 10 y | not by 2 y {reading.p_between(730, 3650):.3f}: the risk keeps arriving "
        "for a decade.",
        "Other readings (the same estimator):",
        *(line for o in others for line in textwrap.wrap(
            f"- {o.cls.label}: {o.n} episodes, {o.recurrences} recurred; by 2 / 5 / 10 y "
            + " / ".join(f"{o.p_by(y * DAYS_PER_YEAR).estimate:.3f}" for y in (2, 5, 10)),
            86, subsequent_indent="  ")),
        "",
        "Caveats, which is why each target is a floor (low only), not a band:",
        "- UCDP's episode rule: an episode ends only after a full calendar year below 25",
        "  battle deaths, so a ceasefire that fails within about a year never shows as an",
        "  ended episode. P by 1 year is 0 by construction (its target is met by any value),",
        "  and recurrence from an episode's end is a lower bound for a fresh ceasefire's",
        "  failure. The model's day 0 is the ceasefire; the data's is the last day of",
        "  fighting, counted only once a calendar year of quiet has followed it.",
        "- Interstate vs internationalized: Russia's war since 2022 is coded interstate, the",
        "  Donbas 2014-2022 internationalized intrastate; the second class fails more often.",
        "- Fortna (sources §6.1): almost half of the international wars since 1945 were",
        "  followed by renewed fighting (most of it early: §6.2, unverified); with the",
        "  failures of the first year that UCDP cannot see, that is consistent with these",
        "  curves, not a band on them.",
        "- Sources §6.2: no clean interstate 1-, 5- or 10-year rate exists in the literature;",
        "  these curves are the project's own reading of the data, not a published rate.",
        "- Recurrence is of the same UCDP conflict (same incompatibility and parties), not",
        "  any war between the same states; the episodes are few (intervals are wide).",
    ]
    return lines


def targets_toml(reading: Reading, others: Sequence[Reading] = (),
                 arm: str = "frozen_line") -> str:
    """The target file: a header with the class and caveats, then one ``[targets.X]``
    table per year with the data's numbers beside it."""
    head = [
        f"Validation targets computed from the {DATASET} (1946-2024; CC BY 4.0,",
        "Gleditsch et al. 2002 and UCDP's update; analysis/data/README.md) by",
        "`dmzsim targets --write` (analysis/conflict_data.py). Generated: do not edit;",
        "tests/test_conflict_data.py fails when this file and the data disagree.",
        "",
        "Copied into experiment files whose horizon reaches the day of each (a p_by_day day",
        "must lie within the horizon): runs/validation.toml (2 years), runs/sequencing.toml",
        "(3 and 5 years), docs/examples/ceasefire_5y.toml (docs/validation.md, \"Targets",
        "from the conflict data\").",
        "",
        *_caveats(reading, others),
    ]
    text = "\n".join(f"# {line}".rstrip() for line in head) + "\n"
    for name, spec in target_specs(reading, arm).items():
        assert spec.day is not None
        p = reading.p_by(spec.day)
        text += (f"\n# data: {_p(p)}; {reading.curve.events_by(spec.day)} of {reading.n} "
                 f"episodes recurred by day {spec.day:g}\n[targets.{name}]\n")
        for key, value in spec.model_dump(exclude_none=True, exclude_defaults=True).items():
            text += f"{key} = {_toml_value(value)}\n"
    return text


def _toml_value(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        return repr(value)
    raise TypeError(f"no TOML form for {value!r}")


def model_curve_from_day(curve: KaplanMeier, start: float) -> tuple[np.ndarray, np.ndarray]:
    """The model's S(t + start) / S(start) for t >= 0: its ceasefires that held ``start``
    days, from then on, as the data's episodes are seen only after a quiet year."""
    s0 = curve.at(start)
    keep = curve.time > start
    t = np.concatenate([[0.0], curve.time[keep] - start])
    s = np.concatenate([[1.0], curve.surv[keep] / s0]) if s0 > 0 else np.full(len(t), np.nan)
    return t, s
