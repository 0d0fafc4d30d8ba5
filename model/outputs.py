"""Every output of the model, once: what it is called, what it means, its unit, its kind.

One table, :data:`OUTPUTS`, that everything else reads:

* the run's summary record (``model/processes/recording.py``: one value per run, kind ``"run"``, in
  this order) and the per-day series (kind ``"day"``, in this order);
* the report's per-arm tables, paired differences and headline (``analysis/tables.py``,
  ``analysis/headline.py``, ``analysis/report/``), through the flags below;
* the visual run's monitors (:data:`MONITORS`, values shown with each output's ``show``);
* the docs (``dmzsim params --outputs``, ``docs/outputs.md``).

Adding an output is one entry here plus the code that computes it (a function in
``model/processes/recording.py``'s ``SUMMARY`` or ``SERIES`` table, or, for a ``"derived"`` output,
``analysis/tables.py``'s ``with_derived``). ``dmzsim verify`` reports an output that a
reference lacks as a note, not as a changed result.

This module imports nothing from the model, so the analysis can read it without Mesa.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["run", "day", "derived"]
#: What sort of value an output is (:attr:`Output.scale`). All but ``"real"`` are
#: discrete: the same on every machine, so ``dmzsim verify`` and the golden baseline test
#: compare them exactly, and real numbers within a relative tolerance
#: (``runs/publish/compare.py``).
Scale = Literal["boolean", "category", "day", "count", "real"]
DAY_UNITS = ("day", "days")  # an output in one of these units is a whole number of days


# --- how a value is shown (monitors, docs) -----------------------------------------------------
def number(value: Any) -> str:
    """A number readably: ∞ for infinity, – for none, three significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.3g}"
    return str(value)


def two_decimals(value: Any) -> str:
    return number(value) if not math.isfinite(float(value)) else f"{float(value):.2f}"


def thousands(value: Any) -> str:
    return f"{float(value) / 1000:,.1f}k"


def area(value: Any) -> str:
    return f"{float(value):,.0f} km²"


def whole(value: Any) -> str:
    return str(int(value))


@dataclass(frozen=True)
class Headline:
    """How an output appears in the headline table (``ReferenceLayout.headline``):
    columns ``<name>``, ``<stem>_lo``, ``<stem>_hi``; its heading; decimals shown;
    ``order``: its place among the headline's outputs (lowest first; ties keep the
    table's order)."""

    stem: str
    heading: str
    digits: int
    order: int = 0


@dataclass(frozen=True)
class Output:
    """One output.

    ``kind``: ``"run"`` one value per run (the summary record), ``"day"`` one per day (the
    series), ``"derived"`` computed by the analysis from the summary record.
    ``risk``: the event whose probability is estimated (P(resumption), Wilson intervals).
    ``cost``: a cost of the deal; shown per arm in the report's cost tables.
    ``count``: a whole number of things.
    ``boolean``: yes or no (a proportion's event; the adaptive metric must be one).
    ``category``: one of a set of labels or codes (a phase, a deciding term, a sector), not
    a quantity: no mean, sensitivity index or target statistic of it means anything.
    Together with the unit these say what sort of value it is (:attr:`scale`).
    ``per_arm``: shown per arm in the report's cost tables although not a cost.
    ``paired``: also compared with the baseline arm, run pair by run pair.
    ``headline``: in the headline table. ``phrase``: how the report's headline sentences
    name it when they compare an arm with the baseline ("" = not in them).
    ``show``: how a monitor shows a value.
    """

    name: str
    label: str
    unit: str = ""
    kind: Kind = "run"
    risk: bool = False
    cost: bool = False
    count: bool = False
    boolean: bool = False
    category: bool = False
    per_arm: bool = False
    paired: bool = False
    headline: Headline | None = None
    phrase: str = ""
    show: Callable[[Any], str] = number

    @property
    def scale(self) -> Scale:
        """What sort of value: ``"boolean"``, ``"category"``, ``"day"`` (a day or a number
        of days: its unit is one of :data:`DAY_UNITS`), ``"count"``, else ``"real"``."""
        if self.boolean:
            return "boolean"
        if self.category:
            return "category"
        if self.unit in DAY_UNITS:
            return "day"
        return "count" if self.count else "real"

    @property
    def discrete(self) -> bool:
        """A count, a day, yes/no or a category: identical on every machine. A real number
        may differ in its last bits between CPUs, libm and NumPy builds."""
        return self.scale != "real"

    @property
    def in_arm_tables(self) -> bool:
        """Shown per arm in the report's cost tables."""
        return self.cost or self.per_arm

    @property
    def title(self) -> str:
        """Label and unit, e.g. ``territory lost after resumption (km²)``."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


OUTPUTS: tuple[Output, ...] = (
    # Order matters within a kind (the record's and the series' column order) and for the
    # report's tables (their row order); entries of different kinds may interleave.
    # --- derived by the analysis from the record (kind "derived") ---------------------------
    Output("ceasefire_days", "days without an offensive (within the horizon)", "days",
           kind="derived", per_arm=True, paired=True,
           phrase="ceasefire days within the horizon"),
    # Ukraine's whole cost in ground and fortress-belt towns: what the deal hands over
    # (area_ceded_km2, belt_towns_ceded) plus what the offensive takes after it resumed
    # (territory_lost_km2, belt_towns_lost). A deal that cedes ground is not cheaper than
    # one that loses it to an offensive, so the headline shows the two together.
    Output("ground_ceded_or_lost_km2", "ground ceded by the deal or lost after resumption",
           "km²", kind="derived", cost=True, paired=True,
           headline=Headline("ground_cost", "ground ceded or lost (km²)", 0, order=0),
           phrase="ground ceded or lost"),
    Output("belt_towns_ceded_or_lost", "fortress-belt towns ceded by the deal or lost "
           "after resumption", "towns", kind="derived", cost=True, count=True, paired=True,
           headline=Headline("belt_cost", "fortress-belt towns ceded or lost", 2, order=1),
           phrase="fortress-belt towns ceded or lost"),
    # --- the run's summary record (kind "run"), in record order ----------------------------
    Output("resumed", "the offensive resumed within the horizon", kind="run", risk=True,
           boolean=True),
    Output("day_resumed", "day the offensive resumed (none if it did not)", "day"),
    Output("territory_lost_km2", "territory lost after resumption", "km²", cost=True,
           paired=True, headline=Headline("territory", "of which lost after resumption "
                                          "(km²)", 0, order=3),
           phrase="territory lost after resumption"),
    Output("ua_area_km2_end", "area Ukraine holds at the end (whole theatre)", "km²"),
    Output("ua_oblast_area_km2_end", "area of Donetsk oblast Ukraine holds at the end", "km²",
           per_arm=True, headline=Headline("oblast_held", "oblast held at the end (km²)",
                                           0, order=2)),
    Output("belt_towns_lost", "fortress-belt towns lost after resumption", "towns",
           cost=True, count=True, paired=True,
           headline=Headline("belt_towns", "of which belt towns lost after resumption", 2,
                             order=4)),
    Output("towns_lost", "towns lost", "towns", cost=True, count=True),
    Output("towns_ceded", "towns ceded by the deal (withdrawal)", "towns", count=True),
    Output("ru_losses", "Russian losses", "personnel", cost=True, paired=True),
    Output("ua_losses", "Ukrainian losses", "personnel", cost=True, paired=True),
    Output("ru_personnel_end", "Russian personnel at the end (units and depot)",
           "personnel"),
    Output("ua_personnel_end", "Ukrainian personnel at the end (units and depot)",
           "personnel"),
    Output("warning_days", "warning days before an attack (runs that resumed)", "days",
           per_arm=True),
    Output("detections", "build-up detections", "detections", count=True),
    Output("violations", "ceasefire violations", "violations", count=True),
    Output("violations_detected", "ceasefire violations detected", "violations", count=True),
    Output("guarantees_delivered", "the guarantees were delivered", boolean=True),
    Output("guarantees_in_force_day", "day the guarantees came into force (none: never)",
           "day"),
    Output("guarantee_triggered", "the guarantor came in against the resumed offensive "
           "(guarantees in force and it answered; it then fights beside Ukraine)",
           boolean=True),
    Output("guarantor_responses", "guarantor responses", "responses", count=True),
    Output("attack_sector", "sector of the main attack (-1: none)", category=True),
    Output("attack_lat", "latitude where the main attack struck", "°N"),
    Output("attack_lon", "longitude where the main attack struck", "°E"),
    Output("ratio_at_attack", "Russia's expected ratio on its frontage when it began"),
    Output("max_advance_km", "the main effort's advance after resumption (all breaches)",
           "km"),
    Output("area_ceded_km2", "ground ceded by the deal (a unilateral zone)", "km²",
           per_arm=True),
    Output("belt_towns_ceded", "fortress-belt towns ceded by the deal", "towns",
           count=True, per_arm=True),
    Output("value_at_resumption", "net value Russia saw in resuming, when it resumed",
           "km² of aims"),
    Output("decided_by", "the term that decided Russia's last review", category=True,
           show=str),
    Output("days_run", "days the run lasted", "days", count=True),
    Output("oblast_lost_km2", "ground of the oblast lost after resumption", "km²"),
    Output("line_advance_km", "the line's mean advance after resumption (ground lost "
           "over the front's length when the war resumed)", "km"),
    # --- the per-day series (kind "day"), in column order -----------------------------------
    Output("day", "day", "day", kind="day", count=True),
    Output("phase", "phase of the agreement", kind="day", category=True, show=str),
    Output("guarantees_in_force", "the guarantees are in force", kind="day", boolean=True),
    Output("ru_strength", "Russian personnel (units and depot)", "personnel", kind="day",
           show=thousands),
    Output("ua_strength", "Ukrainian personnel (units and depot)", "personnel",
           kind="day", show=thousands),
    Output("ru_readiness", "Russian readiness (strength-weighted)", kind="day",
           show=two_decimals),
    Output("ua_readiness", "Ukrainian readiness (strength-weighted)", kind="day",
           show=two_decimals),
    Output("force_ratio_main_axis", "force ratio RU : UA, main sector's frontage",
           kind="day", show=two_decimals),
    Output("ua_area_km2", "area Ukraine holds", "km²", kind="day", show=area),
    Output("detections", "build-up detections so far", "detections", kind="day",
           count=True, show=whole),
    Output("violations", "ceasefire violations so far", "violations", kind="day",
           count=True, show=whole),
    Output("ru_losses", "Russian losses so far", "personnel", kind="day"),
    Output("ua_losses", "Ukrainian losses so far", "personnel", kind="day"),
    Output("credibility", "the guarantor's credibility today", kind="day",
           show=two_decimals),
    Output("expected_ratio", "Russia's expected ratio at its latest review", kind="day",
           show=two_decimals),
    Output("required_ratio", "the ratio it needs to break through", kind="day",
           show=two_decimals),
    Output("value_resume_now", "value of resuming now, latest review", "km² of aims",
           kind="day"),
    Output("value_wait", "best value of resuming later, latest review", "km² of aims",
           kind="day"),
    Output("decided_by", "what decided the latest review", kind="day", category=True,
           show=str),
)


#: What can decide one of Russia's reviews (``decided_by``): the gain when it resumes, the
#: odds when no breakthrough is in sight, the cost that outweighs the gain, or waiting
#: when a later day looks better (``model/processes/decision.py``).
DECISION_TERMS: tuple[str, ...] = ("gain", "odds", "losses", "guarantor",
                                   "ending the ceasefire", "waiting")


def _guarantees(in_force: Any, delivered: Any) -> str:
    return "in force" if in_force else ("not delivered" if not delivered else "pending")


def _resumed_on(day: Any) -> str:
    return "no" if math.isnan(day) else f"day {day:.0f}"


def _value(value: Any) -> str:
    """A value of Russia's review; −∞ means no breakthrough is expected at all."""
    if isinstance(value, float) and math.isinf(value) and value < 0:
        return "none: no breakthrough expected"
    return number(value)


@dataclass(frozen=True)
class Monitor:
    """One monitor of the visual run: a label over one value, read from the output table.

    For each of ``names`` the value is the ``day`` output's today if there is one, else
    the run output's so far. One name: shown with its output's ``show`` and unit. Several
    names, or a special wording: ``show`` makes one phrase of them all (no unit then).
    """

    label: str
    names: tuple[str, ...]
    show: Callable[..., str] | None = None


MONITORS: tuple[Monitor, ...] = (
    Monitor("Force ratio, main sector", ("force_ratio_main_axis",)),
    Monitor("Russia's expected ratio", ("expected_ratio",)),
    Monitor("Ratio needed to break through", ("required_ratio",)),
    Monitor("Value of resuming now", ("value_resume_now",), _value),
    Monitor("Best value of resuming later", ("value_wait",), _value),
    Monitor("Decided by", ("decided_by",), lambda v: v or "–"),
    Monitor("RU personnel", ("ru_strength",)),
    Monitor("UA personnel", ("ua_strength",)),
    Monitor("RU readiness", ("ru_readiness",)),
    Monitor("UA readiness", ("ua_readiness",)),
    Monitor("UA territory", ("ua_area_km2",)),
    Monitor("Build-up detections", ("detections",)),
    Monitor("Violations", ("violations",)),
    Monitor("Violations seen", ("violations_detected",)),
    Monitor("Towns lost to the offensive", ("towns_lost",)),
    Monitor("Fortress-belt towns lost", ("belt_towns_lost",)),
    Monitor("Towns ceded by the deal", ("towns_ceded",)),
    Monitor("Fortress-belt towns ceded", ("belt_towns_ceded",)),
    Monitor("Guarantees", ("guarantees_in_force", "guarantees_delivered"), _guarantees),
    Monitor("Guarantor's credibility", ("credibility",)),
    Monitor("Offensive resumed", ("day_resumed",), _resumed_on),
)


def of_kind(kind: Kind) -> list[Output]:
    """The outputs of one kind, in table order (read at call time)."""
    return [o for o in OUTPUTS if o.kind == kind]


def names(kind: Kind) -> tuple[str, ...]:
    return tuple(o.name for o in of_kind(kind))


def get(name: str, kind: Kind | None = None) -> Output | None:
    """The output called ``name`` (of ``kind``, if given; a run or derived output before a
    day output of the same name), or None."""
    found = [o for o in OUTPUTS if o.name == name and (kind is None or o.kind == kind)]
    found.sort(key=lambda o: o.kind == "day")
    return found[0] if found else None


def label(name: str) -> str:
    """An output's label (the name itself for a column that is no output)."""
    o = get(name)
    return o.label if o is not None else name


def unit(name: str) -> str:
    o = get(name)
    return o.unit if o is not None else ""


def risk() -> Output:
    """The one output whose probability the analysis estimates."""
    [event] = [o for o in OUTPUTS if o.risk]
    return event


def per_arm() -> list[Output]:
    """The outputs of the report's per-arm cost tables, in table order."""
    return [o for o in OUTPUTS if o.in_arm_tables and o.kind != "day"]


def paired() -> list[Output]:
    """The outputs compared with the baseline arm pair by pair, in table order."""
    return [o for o in OUTPUTS if o.paired and o.kind != "day"]


def headline() -> list[Output]:
    """The outputs of the headline table, by their ``Headline.order``."""
    shown = [o for o in OUTPUTS if o.headline is not None and o.kind != "day"]
    return sorted(shown, key=lambda o: o.headline.order if o.headline else 0)


#: How docs and messages name each :data:`Scale`.
SCALE_WORDS: dict[str, str] = {"boolean": "yes/no", "category": "category", "day": "day",
                               "count": "count", "real": "real"}


def markdown_table() -> str:
    """Every output as a Markdown table (``dmzsim params --outputs``, docs/outputs.md)."""
    lines = ["| name | kind | unit | values | meaning | flags |", "|---|---|---|---|---|---|"]
    for o in OUTPUTS:
        flags = [f for f, on in (("risk", o.risk), ("cost", o.cost), ("per arm", o.per_arm),
                                 ("paired", o.paired), ("headline", o.headline is not None))
                 if on]
        lines.append(f"| `{o.name}` | {o.kind} | {o.unit} | {SCALE_WORDS[o.scale]} | "
                     f"{o.label} | {', '.join(flags)} |")
    return "\n".join(lines)
