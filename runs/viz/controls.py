"""The visual run's controls, generated from the parameter schema (``model/params.py``).

Nothing here restates a default, a bound or a unit: a slider's range is the field's
``ge``/``le``, a chooser's options are its ``Literal`` choices, labels are the parameter
names a TOML file uses, and the help text is the field's description, unit and source.
This module only decides *which* parameters get a slider in the front panel
(:data:`FRONT_PANEL`); every other one is an exact, validated text field under "All
parameters".

Scenarios come from the experiment files (:mod:`.scenarios`): any arm of a published
experiment (``runs/*.toml``), or a TOML file of one's own (an experiment file, or plain
``key = value`` model parameters).
"""

from __future__ import annotations

import inspect
import math
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solara
from dmzsim.model.map_checks import run_map_problem
from dmzsim.model.params import ParamError, Params, bounds, check_value
from dmzsim.runs.viz.scenarios import InputError as InputError
from dmzsim.runs.viz.scenarios import Scenario as Scenario
from dmzsim.runs.viz.scenarios import default_scenario as default_scenario
from dmzsim.runs.viz.scenarios import load_scenarios as load_scenarios
from dmzsim.runs.viz.scenarios import published_scenarios as published_scenarios

FRONT_PANEL: dict[str, tuple[str, ...]] = {
    "The deal": ("sequencing", "dmz_shape", "dmz_width_km", "guarantee_delay_days",
                 "guarantee_credibility", "guarantee_delivery_prob"),
    "Monitoring": ("monitoring_coverage", "violation_rate_per_100km_day"),
    "Regeneration": ("ru_recruits_per_month", "ua_recruits_per_month",
                     "ru_pause_recruitment_factor", "ua_pause_mobilisation_factor",
                     "readiness_recovery_days"),
}
SEED_MAX = 2**63 - 1  # the runner's seeds are 63-bit (runs/experiment/seeds.py)

# --- which controls act on a run of the chosen deal (greyed otherwise) ----------------------
#: The zone's parameters, the guarantees', the monitors', and those of a ceasefire (what
#: recruitment does during one, what ending one costs Russia): the sequencing table
#: (``model/agreement.py``) says which arms have each. Held to the model by
#: ``tests/test_viz_render.py``, which runs each arm with every parameter said not to
#: apply moved and finds the run unchanged.
ZONE_PARAMS = ("dmz_shape", "unilateral_zone", "dmz_width_km", "withdrawal_days",
               "withdrawal_start_day")
GUARANTEE_PARAMS = ("guarantee_delay_days", "guarantee_delivery_prob",
                    "guarantee_credibility", "guarantee_half_life_days",
                    "guarantor_combat_support", "arms_support", "reassurance_force_personnel",
                    "tripwire_credibility_per_10k", "guarantor_cost_km2")
MONITORING_PARAMS = ("monitoring_coverage", "violation_rate_per_100km_day")
CEASEFIRE_PARAMS = ("ru_pause_recruitment_factor", "ua_pause_mobilisation_factor",
                    "resumption_cost_km2", "ceasefire_dividend_km2_per_year")
#: Why a group of parameters does nothing under an arm: {arm: ((names, reason), ...)}.
NOT_IN_ARM: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "no_deal": ((ZONE_PARAMS, "no_deal: no zone, the war goes on"),
                (GUARANTEE_PARAMS, "no_deal: no guarantees"),
                (MONITORING_PARAMS, "no_deal: no ceasefire to monitor"),
                (CEASEFIRE_PARAMS, "no_deal: no ceasefire")),
    "frozen_line": ((ZONE_PARAMS, "frozen_line: a ceasefire on the line, no zone"),
                    (GUARANTEE_PARAMS, "frozen_line: no guarantees")),
    "simultaneous": ((("guarantee_delay_days",),
                      "simultaneous: guarantees, if delivered, from day 0"),),
}


def not_applicable(values: dict[str, Any]) -> dict[str, str]:
    """The parameters that do not act on a run with these values, each with the reason
    (shown greyed in the panel): those the sequencing arm has no use for, and the width
    of a unilateral zone or the named zone of a mirrored one."""
    out: dict[str, str] = {}
    for names, reason in NOT_IN_ARM.get(str(values.get("sequencing")), ()):
        out.update(dict.fromkeys(names, reason))
    shape = values.get("dmz_shape")
    if shape == "unilateral":
        out.setdefault("dmz_width_km", "a unilateral zone is the map's zone "
                                       "(unilateral_zone), not a width")
    elif shape == "mirrored":
        out.setdefault("unilateral_zone", "a mirrored zone is dmz_width_km either side "
                                          "of the line")
    return out


# --- the schema, read ------------------------------------------------------------------------
@dataclass(frozen=True)
class ControlSpec:
    """How one parameter is shown: all of it read off ``Params.model_fields``."""

    name: str
    kind: str  # "choice" | "int" | "float" | "bool" | "text"
    default: Any
    unit: str
    doc: str
    source: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def help(self) -> str:
        return f"{self.doc} Unit: {self.unit}. Default {self.default}. Source: {self.source}."

    @property
    def step(self) -> float:
        """A slider step on whose grid the bounds and the default all lie."""
        return slider_step(self)


def control_spec(name: str) -> ControlSpec:
    """The control of parameter ``name``, from its type, bounds and metadata."""
    field = Params.model_fields[name]
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    lo, hi = bounds(name)
    ann = field.annotation
    if typing.get_origin(ann) is typing.Literal:
        kind, choices = "choice", tuple(str(c) for c in typing.get_args(ann))
    else:
        kinds = {bool: "bool", int: "int", str: "text"}
        kind, choices = kinds.get(ann, "float"), ()  # type: ignore[arg-type]
    return ControlSpec(name, kind, field.default, str(extra.get("unit", "")),
                       field.description or "", str(extra.get("source", "")), lo, hi, choices)


def all_specs() -> list[ControlSpec]:
    return [control_spec(n) for n in Params.model_fields]


_SECTION = re.compile(r"^\s*# --- (\w[^-]*?) -+\s*$")
_FIELD = re.compile(r"^\s{4}(\w+)\s*:")


def schema_groups() -> dict[str, list[str]]:
    """The parameters by the schema's own sections (the ``# --- name ---`` headings of
    ``Params`` in ``model/params.py``), in schema order, so the panel is grouped as the
    schema is without a second list to keep in step. A field before any heading, or a
    schema whose source cannot be read, goes under "parameters"."""
    try:
        source = inspect.getsource(Params).splitlines()
    except (OSError, TypeError):
        return {"parameters": list(Params.model_fields)}
    groups: dict[str, list[str]] = {}
    current = "parameters"
    for line in source:
        if (heading := _SECTION.match(line)) is not None:
            current = heading.group(1).strip()
        elif (field := _FIELD.match(line)) is not None and field.group(1) in Params.model_fields:
            groups.setdefault(current, []).append(field.group(1))
    missing = [n for n in Params.model_fields if not any(n in g for g in groups.values())]
    if missing:
        groups.setdefault("parameters", []).extend(missing)
    return groups


def slider_step(spec: ControlSpec) -> float:
    """The coarsest 1-2-5 step (at most 1/50 of the range) that hits bounds and default."""
    if spec.lo is None or spec.hi is None:
        return 1.0
    span = spec.hi - spec.lo
    for exp in range(math.floor(math.log10(span / 50)), -7, -1):
        for mult in (5, 2, 1):
            step = mult * 10.0**exp
            if step > span / 50 or (spec.kind == "int" and step < 1):
                continue
            if all(_on_grid(v - spec.lo, step) for v in (spec.hi, float(spec.default))):
                return float(int(step)) if spec.kind == "int" else step
    return 1.0 if spec.kind == "int" else span / 1000


def snap(spec: ControlSpec, v: float) -> int | float:
    """A slider position as a clean value on the step grid (no 0.54000000001)."""
    lo, step = float(spec.lo or 0.0), spec.step
    grid = lo + round((v - lo) / step) * step
    return round(grid) if spec.kind == "int" else round(grid, 10)


def _on_grid(x: float, step: float) -> bool:
    return abs(x / step - round(x / step)) < 1e-6


# --- strict parsing of what users type ---------------------------------------------------------
_INT_TEXT = re.compile(r"^[+]?\d(?:_?\d)*$")


def parse_seed(text: str) -> int:
    """A seed as typed: a whole number 0..2^63-1 (spaces around it and 1_000 are fine)."""
    t = (text or "").strip()
    if not _INT_TEXT.match(t):
        raise InputError(f"seed must be a whole number from 0 to {SEED_MAX}, like 42; "
                         f"got {text!r}")
    value = int(t.replace("_", ""))
    if value > SEED_MAX:
        raise InputError(f"seed must be at most {SEED_MAX}; got {value}")
    return value


def parse_value(spec: ControlSpec, text: str) -> Any:
    """A parameter value from what was typed in its field, checked against the schema.

    What may be typed is the field's own (a choice by name, true/false in any case, 1_000
    or 2.5 for numbers), with a message that says what the field expects; whether the
    value is allowed is the schema's answer (:func:`~dmzsim.model.params.check_value`),
    so no bound is restated here.
    """
    t = (text or "").strip()
    try:
        if spec.kind == "choice":
            if t not in spec.choices:
                raise InputError(f"choose one of {', '.join(spec.choices)}")
            value: Any = t
        elif spec.kind == "text":
            if not t:
                raise InputError("must not be empty")
            value = t
        elif spec.kind == "bool":
            if t.lower() not in ("true", "false"):
                raise InputError("write true or false")
            value = t.lower() == "true"
        elif spec.kind == "int":
            if not _INT_TEXT.match(t.lstrip("-")):
                raise InputError("must be a whole number")
            value = int(t.replace("_", ""))
        else:
            value = float(t.replace("_", ""))
            if not math.isfinite(value):
                raise InputError("must be a finite number")
    except ValueError as err:
        msg = str(err) if isinstance(err, InputError) else "must be a number"
        raise InputError(f"{spec.name}: {msg}; got {text!r}") from None
    try:
        check_value(spec.name, value)
    except ParamError as err:
        raise InputError(_refused(spec, value, err)) from None
    return value


def _refused(spec: ControlSpec, value: Any, err: ParamError) -> str:
    """The schema's no, in the field's words: a typed value of the right kind is refused
    for its range, if the parameter has one."""
    if spec.lo is None or spec.hi is None:
        return f"{spec.name}: {err}"
    return f"{spec.name}: must be within {spec.lo:g}..{spec.hi:g} {spec.unit}; got {value}"


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e6 else f"{value:.0f}"
    return str(value)


# --- components ---------------------------------------------------------------------------------
@solara.component
def ParamSlider(spec: ControlSpec, value: Any,  # noqa: N802
                on_value: Callable[[Any], None], inactive: str = "") -> None:
    """A chooser or slider for one front-panel parameter, with its exact value shown;
    greyed and disabled, with the reason, when it does not act on the chosen deal."""
    mark = " (changed)" if value != spec.default else ""
    classes = [f"dmz-control-{spec.name}"] + (["dmz-inactive"] if inactive else [])
    with solara.Div(classes=classes, style={"opacity": "0.55"} if inactive else {}):
        if spec.kind == "choice":
            with solara.Tooltip(spec.help):
                solara.Select(label=spec.name + mark, values=list(spec.choices), value=value,
                              on_value=on_value, dense=True, disabled=bool(inactive),
                              classes=[f"dmz-param-{spec.name}"])
        else:
            with solara.Tooltip(spec.help):
                solara.Text(f"{spec.name} = {format_value(value)} {spec.unit}{mark}",
                            style={"font-size": "12px",
                                   "font-weight": "600" if mark else "400"})
            step = spec.step

            def from_slider(v: float) -> None:
                # Vuetify snaps a value off the step grid; that echo is not a user's change.
                if abs(float(v) - float(value)) > 0.75 * step:
                    on_value(snap(spec, float(v)))

            slider = solara.SliderInt if spec.kind == "int" else solara.SliderFloat
            slider(label="", value=value, min=spec.lo, max=spec.hi, step=step,
                   on_value=from_slider, thumb_label=False, disabled=bool(inactive))
        if inactive:
            solara.Text(f"does not apply: {inactive}", classes=["dmz-inactive-reason"],
                        style={"font-size": "11px", "font-style": "italic",
                               "display": "block", "margin-top": "-6px"})


@solara.component
def ParamText(spec: ControlSpec, value: Any, on_value: Callable[[Any], None],  # noqa: N802
              inactive: str = "") -> None:
    """An exact text field for one parameter; bad input is shown and not applied. Greyed
    and disabled, with the reason, when the parameter does not act on the chosen deal."""
    text, set_text = solara.use_state(format_value(value))
    error, set_error = solara.use_state("")

    def submit(new: str | None) -> None:
        set_text(new or "")
        try:
            parsed = parse_value(spec, new or "")
        except InputError as err:
            set_error(str(err))
            return
        set_error("")
        on_value(parsed)

    unit = f" [{spec.unit}]" if spec.kind in ("int", "float") else ""
    # Not dense, in a box of its own: a label sits below the previous field's underline
    # and an error message takes its own line under its own field.
    with solara.Div(classes=["dmz-field"] + (["dmz-inactive"] if inactive else []),
                    style={"padding-top": "4px"}), solara.Tooltip(spec.help):
        solara.InputText(label=spec.name + unit, value=text, on_value=submit,
                         error=error or False, disabled=bool(inactive),
                         message=error or (f"does not apply: {inactive}" if inactive else None))


@solara.component
def SeedField(seed: int, on_seed: Callable[[int], None]) -> None:  # noqa: N802
    """The seed, typed freely and parsed strictly: non-numbers are refused with a reason."""
    text, set_text = solara.use_state(str(seed))
    error, set_error = solara.use_state("")

    def submit(new: str | None) -> None:
        set_text(new or "")
        try:
            value = parse_seed(new or "")
        except InputError as err:
            set_error(f"{err} (the run keeps seed {seed})")
            return
        set_error("")
        on_seed(value)

    solara.InputText(label="seed", value=text, on_value=submit, error=error or False,
                     message=error or "whole number; press Enter to apply",
                     classes=["dmz-seed"])


@solara.component
def ParameterPanel(values: dict[str, Any],  # noqa: N802
                   on_value: Callable[[str, Any], None]) -> None:
    """Front-panel sliders by group, then every parameter as an exact field; those that
    do not act on the chosen deal (:func:`not_applicable`) greyed, with the reason."""
    specs = solara.use_memo(lambda: {s.name: s for s in all_specs()}, [])
    inactive = not_applicable(values)
    for group, names in FRONT_PANEL.items():
        solara.Text(group, style={"font-weight": "700", "margin-top": "6px"})
        for name in names:
            ParamSlider(specs[name], values[name], lambda v, n=name: on_value(n, v),
                        inactive.get(name, "")).key(f"s-{name}")
    with solara.Details(summary=f"All parameters ({len(specs)})"):
        for group, names in schema_groups().items():
            solara.Text(group, classes=["dmz-group"],
                        style={"font-weight": "700", "margin-top": "10px",
                               "display": "block"})
            for name in names:
                ParamText(specs[name], values[name], lambda v, n=name: on_value(n, v),
                          inactive.get(name, "")).key(f"t-{name}={values[name]!r}")


def validate(values: dict[str, Any], map_path: str | Path | None = None) -> str | None:
    """None if ``values`` is a valid parameter set for a run on the map at ``map_path``
    (None: the default map), else why not: the schema's message, or what the run would
    meet on its map (a zone the map lacks or that cedes nothing, a theatre too large)."""
    try:
        p = Params.build(values)
        problem = run_map_problem(map_path, p)
    except (ParamError, ValueError) as err:
        return str(err)
    if problem is None:
        return None
    if problem.param is None:
        return problem.message
    return f"{problem.param} = {getattr(p, problem.param)!r}: {problem.message}"
