"""Figures for the report: one small function per figure, each saved as PNG and SVG.

Every figure carries a :class:`~analysis.provenance.Stamp` -- experiment name, config
hash, dmzsim version and git commit from the manifest -- printed in its bottom margin and
written into the PNG's metadata, so a figure pasted into a paper can be traced to the
exact results.

Matplotlib is used through ``Figure`` objects only (no pyplot state), so these functions
are safe to call from any thread or process and never open a window. Within
:func:`drawn_in_background`, a figure is drawn and written by another process while this
one goes on with the report: making a figure is cheap, drawing it (laying out its text,
rasterising it, writing it three times) is most of a report's time.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import inspect
import math
import pickle
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from dmzsim.analysis.conflict_data import DAYS_PER_YEAR, model_curve_from_day
from dmzsim.analysis.estimators import KaplanMeier
from dmzsim.analysis.provenance import Stamp
from dmzsim.analysis.tables import arm_label
from dmzsim.common.files import replacing
from dmzsim.common.processes import process_pool
from dmzsim.model import outputs
from dmzsim.model.theatre_map import default_map_path, load_map
from matplotlib import rc_context
from matplotlib.figure import Figure

DPI = 150
PALETTE = ["#1f4e79", "#c0504d", "#4f9a52", "#8064a2", "#e69f00", "#2aa5b8", "#7f7f7f",
           "#b5651d", "#d16ba5", "#365e2b"]
# A factorial experiment's arms are drawn by their factors, the same in every figure: the
# sequencing is the colour (Okabe-Ito colours, safe for colour-blind readers; the two
# arms without a zone in greys), the zone's shape the line style and marker.
SEQUENCING_COLORS = {"no_deal": "#3a3a3a", "frozen_line": "#9a9a9a",
                     "territory_first": "#d55e00", "guarantees_first": "#0072b2",
                     "simultaneous": "#009e73"}
SHAPE_LINES = {"": "-", "unilateral": "-", "mirrored": "--"}
SHAPE_MARKERS = {"": "D", "unilateral": "o", "mirrored": "s"}
FORMATS = ("png", "svg")  # every figure is written in each; the key figure also as PDF
KEY_FORMATS = ("png", "svg", "pdf")
# The fan chart's median after resumption is drawn on days with at least this many runs
# resumed (fewer: each run is drawn), so one run's day is not read as a median.
MIN_RUNS_FOR_MEDIAN = 3
_formats: ContextVar[tuple[str, ...]] = ContextVar("figure_formats", default=FORMATS)
# the processes drawing this block's figures (drawn_in_background), and what they were given
_drawing: ContextVar[tuple[cf.Executor, list[cf.Future]] | None] = ContextVar(
    "figure_drawing", default=None)


@contextmanager
def saved_as(formats: Sequence[str]) -> Iterator[None]:
    """Within the block, figures are written in ``formats`` (the path's own, PNG, first)."""
    token = _formats.set(tuple(formats))
    try:
        yield
    finally:
        _formats.reset(token)


@contextmanager
def drawn_in_background(workers: int) -> Iterator[None]:
    """Within the block, figures are drawn and written by ``workers`` other processes
    (none: here, as they are made); the block ends once every figure is on disk, and an
    error writing one (:class:`~common.files.OutputError`, say) is raised from it.

    Each figure function (:func:`drawable`) is called there with the data it was given,
    so the files are those this process would write (``tests/test_report_layout.py``);
    one whose data cannot be pickled is drawn here."""
    if workers < 1:
        yield
        return
    pool = process_pool(workers, preload=[__name__])
    # the processes start now, while the report reads the results, not at the first figure
    sent: list[cf.Future] = [pool.submit(_ready) for _ in range(workers)]
    token = _drawing.set((pool, sent))
    try:
        yield
        for done in sent:
            done.result()
    finally:
        _drawing.reset(token)
        pool.shutdown(wait=True, cancel_futures=True)


def drawable(fn: Callable[..., Path]) -> Callable[..., Path]:
    """A figure function (it makes, draws and writes the figure at its argument ``path``
    and returns it): within :func:`drawn_in_background`, called in one of the block's
    processes, and its ``path`` returned at once."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Path:
        drawing = _drawing.get()
        if drawing is None:
            return fn(*args, **kwargs)
        try:
            job = pickle.dumps((call, args, kwargs, _formats.get()),
                               protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            return fn(*args, **kwargs)  # data that cannot travel: drawn here
        pool, sent = drawing
        sent.append(pool.submit(_call_pickled, job))
        return signature.bind(*args, **kwargs).arguments["path"]
    return call


def _call_pickled(job: bytes) -> Path:
    """A figure function's call sent by :func:`drawable`, in the formats of the block it
    was called in."""
    fn, args, kwargs, formats = pickle.loads(job)
    with saved_as(formats):
        return fn(*args, **kwargs)


def _ready() -> None:
    """Nothing: a process of :func:`drawn_in_background` has started."""


def formats() -> tuple[str, ...]:
    """The formats a figure is written in here and now (:func:`saved_as`; PNG first), for
    figures drawn outside this module."""
    return _formats.get()


@dataclass(frozen=True)
class ArmStyle:
    """How one arm is drawn."""

    color: str
    ls: str = "-"
    marker: str = "o"
    sequencing: str = ""
    shape: str = ""


def _factors_from_name(arm: str) -> tuple[str, str] | None:
    """``territory_first-mirrored`` -> (territory_first, mirrored); None if the name does
    not read as sequencing[-shape]."""
    several = "+" in arm  # arms of several sequencings shown once: the first one's colour
    head, _, tail = arm.split("+")[0].partition("-")
    shapes = tail.split("=")  # an arm shown once for several shapes: drawn as shapeless
    if head not in SEQUENCING_COLORS or not all(s in SHAPE_LINES for s in shapes):
        return None
    return head, tail if len(shapes) == 1 and not several else ""


def arm_styles(arms: Sequence[str], factors: Mapping[str, tuple[str, str]] | None = None
               ) -> dict[str, ArmStyle]:
    """A style per arm: by its factors (sequencing, zone shape) where known, from
    ``factors`` or else from a name such as ``guarantees_first-mirrored``; when any arm's
    factors are unknown, every arm gets a colour by position instead."""
    known = {a: (factors or {}).get(a) or _factors_from_name(a) for a in arms}
    if not arms or any(v is None for v in known.values()):
        return {a: ArmStyle(PALETTE[i % len(PALETTE)]) for i, a in enumerate(arms)}
    out = {}
    for a in arms:
        seq, shape = known[a]  # type: ignore[misc]
        out[a] = ArmStyle(SEQUENCING_COLORS[seq], SHAPE_LINES.get(shape, "-"),
                          SHAPE_MARKERS.get(shape, "D"), seq, shape)
    return out


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    margin = 0.16 / height  # keep ~0.16 in at the bottom for the stamp
    fig.get_layout_engine().set(h_pad=0.08, rect=(0, margin, 1, 1 - margin))
    return fig


def _save(fig: Figure, path: Path, stamp: Stamp, title: str) -> Path:
    """Write the figure as ``path`` (PNG) and beside it in every other format of
    :func:`saved_as` (default ``FORMATS``; same name, their suffix); returns ``path``."""
    fig.text(0.995, 0.003, stamp.text, ha="right", va="bottom", fontsize=6, color="0.45")
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as fh:  # atomic, and never into a FIFO, a device or a link
        fig.savefig(fh, format=path.suffix[1:], dpi=DPI, metadata=stamp.metadata(title))
    # every other format takes the layout just made (its own would move an axes by at
    # most a fraction of a per cent of the figure, and cost 40% of its writing)
    fig.set_layout_engine("none")
    for fmt in _formats.get():
        other = path.with_suffix(f".{fmt}")
        if other != path:  # SVG text stays text, so a paper's editor can restyle it
            with rc_context({"svg.fonttype": "none"}), replacing(other) as fh:
                fig.savefig(fh, format=fmt, dpi=DPI,
                            metadata=_vector_metadata(stamp, title, fmt))
    return path


def _vector_metadata(stamp: Stamp, title: str, fmt: str) -> dict[str, str]:
    """The stamp in the keys each vector format takes (SVG: Dublin Core; PDF: info)."""
    meta = stamp.metadata(title)
    if fmt == "svg":
        return {"Title": title, "Creator": meta["Software"], "Description":
                meta["Description"]}
    if fmt == "pdf":
        return {"Title": title, "Creator": meta["Software"], "Subject": meta["Description"]}
    return meta


# --- risk -----------------------------------------------------------------------------------
@drawable
def risk_bars(risk: pd.DataFrame, horizon: float, path: Path, stamp: Stamp,
              factors: Mapping[str, tuple[str, str]] | None = None) -> Path:
    """P(resumption within H) per arm, 95% Wilson intervals (table: risk_table); the
    sequencing is the bar's colour, a mirrored zone is hatched."""
    styles = arm_styles(list(risk["arm"]), factors)
    labels = max((len(arm_label(a)) for a in risk["arm"]), default=10)
    fig = _figure(5.0 + max(2.0, 0.075 * labels), 0.42 * len(risk) + 1.3)
    ax = fig.add_subplot()
    ypos = np.arange(len(risk))
    err = np.vstack([risk["p"] - risk["lo"], risk["hi"] - risk["p"]])
    ax.barh(ypos, risk["p"], xerr=err, color=[styles[a].color for a in risk["arm"]],
            hatch=[_HATCH.get(styles[a].shape, "") for a in risk["arm"]], edgecolor="white",
            capsize=3, height=0.6)
    for yi, (p, hi, n, k) in enumerate(zip(risk["p"], risk["hi"], risk["runs"],
                                           risk["resumed"], strict=True)):
        label = f"{p:.2f} ({k} of {n} runs)"
        if hi <= 0.8:  # right of the interval
            ax.text(hi + 0.015, yi, label, va="center", fontsize=7)
        else:  # inside the bar, at its start
            ax.text(0.01, yi, label, va="center", fontsize=7, color="white")
    ax.set_yticks(ypos, [arm_label(a) for a in risk["arm"]])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"P(offensive resumes within {horizon:g} days), 95% Wilson interval")
    ax.grid(axis="x", alpha=0.3)
    if any(st.shape == "mirrored" for st in styles.values()):
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(facecolor="0.6", edgecolor="white", label="unilateral zone"),
                           Patch(facecolor="0.6", edgecolor="white", hatch="////",
                                 label="mirrored zone")],
                  fontsize=7, frameon=False, loc="lower right")
    return _save(fig, path, stamp, "P(resumption) by arm")


_HATCH = {"mirrored": "////"}

# The key figure's cost panels: (title, the whole, its part ceded by the deal, its part
# lost after resumption, decimals); and the area held at the end, if recorded.
COST_PANELS = (("ground ceded or lost (km²)", "ground_ceded_or_lost_km2", "area_ceded_km2",
                "territory_lost_km2", 0),
               ("fortress-belt towns ceded or lost", "belt_towns_ceded_or_lost",
                "belt_towns_ceded", "belt_towns_lost", 1))
HELD = "ua_oblast_area_km2_end"


@drawable
def risk_and_cost(risk: pd.DataFrame, costs: pd.DataFrame, horizon: float, path: Path,
                  stamp: Stamp, factors: Mapping[str, tuple[str, str]] | None = None
                  ) -> Path:
    """P(resumption within H) per arm beside Ukraine's whole cost, one row per arm.

    ``risk``: :func:`~analysis.tables.risk_table`; ``costs``: the long table of
    :func:`~analysis.tables.outcome_table` over all runs. Panels: P with its Wilson
    interval and the count of runs; ground and fortress-belt towns ceded by the deal
    (pale) plus lost after resumption (full colour), means over all runs with the 95%
    interval of the whole; and the area of the oblast Ukraine holds at the end. A panel
    whose outputs the runs lack is left out.
    """
    from matplotlib.patches import Patch

    arms = list(risk["arm"])
    styles = arm_styles(arms, factors)
    have = set(costs["outcome"])
    panels = [c for c in COST_PANELS if {c[1], c[2], c[3]} <= have]
    held = HELD in have
    n_panels = 1 + len(panels) + int(held)
    labels = max((len(arm_label(a)) for a in arms), default=10)
    fig = _figure(2.7 * n_panels + max(2.0, 0.075 * labels), 0.36 * len(arms) + 1.9)
    axes = fig.subplots(1, n_panels, sharey=True, squeeze=False).ravel()
    ypos = np.arange(len(arms))
    colors = [styles[a].color for a in arms]
    ax = axes[0]
    err = np.vstack([risk["p"] - risk["lo"], risk["hi"] - risk["p"]])
    ax.barh(ypos, risk["p"], xerr=err, color=colors, edgecolor="white", capsize=2.5,
            height=0.62, hatch=[_HATCH.get(styles[a].shape, "") for a in arms])
    for yi, r in enumerate(risk.itertuples()):
        label = f"{r.p:.2f} ({r.resumed} of {r.runs})"
        if r.hi <= 0.68:  # right of the interval
            ax.text(r.hi + 0.02, yi, label, va="center", fontsize=6.5)
        else:  # inside the bar, at its start
            ax.text(0.01, yi, label, va="center", fontsize=6.5, color="white")
    ax.set_xlim(0, 1)
    ax.set_title(f"P(offensive resumes within {horizon:g} days)\n95% Wilson interval",
                 fontsize=8)
    ax.set_yticks(ypos, [arm_label(a) for a in arms], fontsize=7.5)
    ax.invert_yaxis()
    table = costs.set_index(["arm", "outcome"])

    def value(arm: str, name: str, col: str = "mean") -> float:
        return float(table.loc[(arm, name), col]) if (arm, name) in table.index else np.nan

    for ax, (title, whole, ceded, lost, digits) in zip(axes[1:], panels, strict=False):
        c = np.array([value(a, ceded) for a in arms])
        lo_ = np.array([value(a, lost) for a in arms])
        w = np.array([value(a, whole) for a in arms])
        wlo = np.array([value(a, whole, "lo") for a in arms])
        whi = np.array([value(a, whole, "hi") for a in arms])
        ax.barh(ypos, c, color=colors, alpha=0.35, height=0.62, edgecolor="white")
        ax.barh(ypos, lo_, left=c, color=colors, height=0.62, edgecolor="white")
        ax.errorbar(w, ypos, xerr=np.vstack([w - wlo, whi - w]), fmt="none", ecolor="black",
                    elinewidth=0.8, capsize=2.5)
        top = float(np.nanmax(whi)) if np.isfinite(whi).any() else 1.0
        for yi, v in enumerate(w):
            ax.text(whi[yi] + 0.02 * max(top, 1e-9), yi, f"{v:,.{digits}f}", va="center",
                    fontsize=6.5)
        ax.set_xlim(0, max(top, 1e-9) * 1.3)
        ax.set_title(f"{title}\nmean over all runs, 95% CI", fontsize=8)
    if held:
        ax = axes[-1]
        h = np.array([value(a, HELD) for a in arms])
        hlo = np.array([value(a, HELD, "lo") for a in arms])
        hhi = np.array([value(a, HELD, "hi") for a in arms])
        for yi, a in enumerate(arms):
            ax.errorbar([h[yi]], [yi], xerr=[[h[yi] - hlo[yi]], [hhi[yi] - h[yi]]],
                        fmt=styles[a].marker, color=styles[a].color, mec="black", mew=0.5,
                        ms=5, capsize=2.5)
        top = float(np.nanmax(hhi)) if np.isfinite(hhi).any() else 1.0
        for yi, v in enumerate(h):
            ax.text(hhi[yi] + 0.03 * max(top, 1.0), yi, f"{v:,.0f}", va="center",
                    fontsize=6.5)
        ax.set_xlim(0, max(top, 1.0) * 1.3)
        ax.set_title("oblast Ukraine holds at the end (km²)\nmean, 95% CI", fontsize=8)
    for ax in axes:
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", alpha=0.3)
    key = []
    if panels:
        key += [Patch(facecolor="0.5", alpha=0.35, label="ceded by the deal"),
                Patch(facecolor="0.5", label="lost after the offensive resumed")]
    if any(st.shape == "mirrored" for st in styles.values()):
        key.append(Patch(facecolor="0.6", edgecolor="white", hatch="////",
                         label="mirrored zone (hatched in the P panel)"))
    if key:
        fig.legend(handles=key, loc="outside lower center", ncol=len(key), fontsize=7,
                   frameon=False)
    return _save(fig, path, stamp, "P(resumption) and Ukraine's cost by arm")


def _panels_by_shape(styles: Mapping[str, ArmStyle]) -> list[tuple[str, list[str]]]:
    """(title, arms) per panel: one per zone shape when the arms have two, each with the
    arms that have no zone as a reference; else one panel with every arm."""
    arms = list(styles)
    shapes = list(dict.fromkeys(st.shape for st in styles.values() if st.shape))
    if len(shapes) < 2:
        return [("", arms)]
    return [(f"{shape} zone", [a for a in arms if styles[a].shape in ("", shape)])
            for shape in shapes]


@drawable
def survival(curves: Mapping[str, KaplanMeier], path: Path, stamp: Stamp,
             factors: Mapping[str, tuple[str, str]] | None = None) -> Path:
    """Kaplan-Meier curves of the ceasefire by arm with 95% log-log bands.

    With arms crossed by zone shape, one panel per shape (the arms without a zone drawn in
    each, in grey, as references); the key sits outside the curves."""
    styles = arm_styles(list(curves), factors)
    panels = _panels_by_shape(styles)
    fig = _figure(4.2 * len(panels) + 2.4, 4.4)
    axes = fig.subplots(1, len(panels), squeeze=False, sharey=True).ravel()
    horizon = max((km.horizon for km in curves.values()), default=1.0)
    handles: dict[str, Any] = {}
    for ax, (title, arms) in zip(axes, panels, strict=True):
        for arm in arms:
            km, st = curves[arm], styles[arm]
            t = np.append(km.time, km.horizon)
            s, lo, hi = (np.append(v, v[-1]) for v in (km.surv, km.lo, km.hi))
            (line,) = ax.step(t, s, where="post", color=st.color, ls=st.ls, lw=1.6,
                              label=f"{arm_label(arm)} (n={km.n})")
            ax.fill_between(t, lo, hi, step="post", color=st.color, alpha=0.12, lw=0)
            handles.setdefault(arm, line)
        ax.set_xlim(0, horizon)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("days since the ceasefire")
        ax.grid(alpha=0.3)
        if title:
            ax.set_title(title, fontsize=9)
    axes[0].set_ylabel("P(no offensive yet)")
    fig.suptitle("Ceasefire survival (Kaplan–Meier, 95% log-log bands; censored at the "
                 "horizon)", fontsize=9)
    fig.legend(list(handles.values()), [h.get_label() for h in handles.values()],
               loc="outside right center", fontsize=7, frameon=False)
    return _save(fig, path, stamp, "Ceasefire survival by arm")


@drawable
def survival_against_data(model: Mapping[str, KaplanMeier], data: KaplanMeier, path: Path,
                          stamp: Stamp, data_label: str, years: float = 10.0) -> Path:
    """The model's ceasefire survival by arm against the conflict data's: P(still at peace)
    by year, each with its 95% log-log band.

    The data's day 0 is an episode's end, seen only after a year of quiet (UCDP's episode
    rule), the model's the ceasefire; each arm is also drawn dotted from its first
    anniversary on, among its runs at peace then, which is the comparison like for like."""
    fig = _figure(7.4, 4.4)
    ax = fig.subplots()
    t = np.append(data.time, years * DAYS_PER_YEAR) / DAYS_PER_YEAR
    s, lo, hi = (np.append(v, v[-1]) for v in (data.surv, data.lo, data.hi))
    ax.step(t, s, where="post", color="black", lw=1.8, label=f"{data_label} (n={data.n})")
    ax.fill_between(t, lo, hi, step="post", color="black", alpha=0.12, lw=0)
    for arm, km in model.items():
        color = PALETTE[list(model).index(arm) % len(PALETTE)]
        tm = np.append(km.time, km.horizon) / DAYS_PER_YEAR
        sm, lom, him = (np.append(v, v[-1]) for v in (km.surv, km.lo, km.hi))
        ax.step(tm, sm, where="post", color=color, lw=1.6,
                label=f"model: {arm_label(arm)} (n={km.n})")
        ax.fill_between(tm, lom, him, step="post", color=color, alpha=0.15, lw=0)
        if km.horizon > DAYS_PER_YEAR:
            tc, sc = model_curve_from_day(km, DAYS_PER_YEAR)
            tc = np.append(tc, km.horizon - DAYS_PER_YEAR) / DAYS_PER_YEAR
            ax.step(tc, np.append(sc, sc[-1]), where="post", color=color, lw=1.2, ls=":",
                    label=f"model: {arm_label(arm)}, at peace on day {DAYS_PER_YEAR}, "
                          "from then")
    ax.set_xlim(0, years)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("years since the ceasefire (model) or the episode's end (data)")
    ax.set_ylabel("P(still at peace)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=7, frameon=False)
    fig.suptitle("Ceasefire survival, model against the conflict data (Kaplan–Meier, 95% "
                 "bands). The data miss failures\nin the first year (UCDP's episode rule): "
                 "a lower bound on failure, so an upper bound on survival", fontsize=9)
    return _save(fig, path, stamp, "Ceasefire survival against the conflict data")


@drawable
def risk_heatmap(grid: pd.DataFrame, x: str, y: str, path: Path, stamp: Stamp,
                 title: str) -> Path:
    """P(resumption) over two swept parameters; cells show P, its Wilson interval and the
    runs of the cell."""
    p = grid.pivot_table(index=y, columns=x, values="p", aggfunc="mean").sort_index(
        ascending=False)
    lo = grid.pivot_table(index=y, columns=x, values="lo").reindex_like(p)
    hi = grid.pivot_table(index=y, columns=x, values="hi").reindex_like(p)
    runs = grid.pivot_table(index=y, columns=x, values="runs", aggfunc="sum").reindex_like(p)
    fig = _figure(1.05 * p.shape[1] + 2.9, max(0.7 * p.shape[0] + 1.7, 3.4))
    ax = fig.add_subplot()
    im = ax.imshow(p.to_numpy(dtype=float), cmap="OrRd", vmin=0, vmax=1, aspect="auto")
    _label_cells(ax, p, lambda i, j, v: f"{v:.2f}\n{lo.iat[i, j]:.2f}–{hi.iat[i, j]:.2f}\n"
                 f"n={runs.iat[i, j]:.0f}", lambda v: v > 0.6)
    _grid_axes(ax, p, x, y, title)
    bar = fig.colorbar(im, ax=ax, shrink=0.9)
    bar.set_label("P(resumption)", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    return _save(fig, path, stamp, title)


def _label_cells(ax: Any, values: pd.DataFrame, text: Callable[[int, int, float], str],
                 dark: Callable[[float], bool]) -> None:
    """Write ``text(i, j, value)`` on every finite cell of a heatmap, white on dark cells."""
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values.iat[i, j]
            if np.isfinite(v):
                ax.text(j, i, text(i, j, v), ha="center", va="center", fontsize=6.5,
                        color="white" if dark(v) else "black")


def _tick(value: Any) -> str:
    """A grid's tick label: a number compactly, a named value (an aims scenario) as is."""
    return f"{value:g}" if isinstance(value, int | float | np.number) else str(value)


def _grid_axes(ax: Any, p: pd.DataFrame, x: str, y: str, title: str) -> None:
    ax.set_xticks(range(p.shape[1]), [_tick(c) for c in p.columns], fontsize=7)
    ax.set_yticks(range(p.shape[0]), [_tick(r) for r in p.index], fontsize=7)
    ax.set_xlabel(x, fontsize=8)
    ax.set_ylabel(y, fontsize=8)
    ax.set_title("\n".join(textwrap.wrap(title, 72)), fontsize=8.5)


@drawable
def difference_heatmap(grid: pd.DataFrame, x: str, y: str, path: Path, stamp: Stamp,
                       title: str, scale: float) -> Path:
    """P(arm) - P(baseline) over two swept parameters (``grid``: one row per cell with
    ``diff``, ``lo``, ``hi``, ``pairs``, as :func:`~analysis.tables.risk_difference_by`
    gives it), on a diverging scale from -``scale`` to +``scale``: every arm's map drawn
    with the same ``scale`` can be compared at a glance. Cells give the difference, its
    paired (Tango) interval and the pairs of runs."""
    from matplotlib.colors import TwoSlopeNorm

    d = grid.pivot_table(index=y, columns=x, values="diff", aggfunc="mean").sort_index(
        ascending=False)
    lo = grid.pivot_table(index=y, columns=x, values="lo").reindex_like(d)
    hi = grid.pivot_table(index=y, columns=x, values="hi").reindex_like(d)
    pairs = grid.pivot_table(index=y, columns=x, values="pairs", aggfunc="sum"
                             ).reindex_like(d)
    scale = max(float(scale), 0.05)
    fig = _figure(1.05 * d.shape[1] + 2.9, max(0.7 * d.shape[0] + 1.7, 3.4))
    ax = fig.add_subplot()
    im = ax.imshow(d.to_numpy(dtype=float), cmap="RdBu_r", aspect="auto",
                   norm=TwoSlopeNorm(0.0, -scale, scale))
    _label_cells(ax, d, lambda i, j, v: f"{v:+.2f}\n{lo.iat[i, j]:+.2f} to "
                 f"{hi.iat[i, j]:+.2f}\nn={pairs.iat[i, j]:.0f}", lambda v: abs(v) > 0.6 * scale)
    _grid_axes(ax, d, x, y, title)
    bar = fig.colorbar(im, ax=ax, shrink=0.9)
    bar.set_label("P(arm) − P(baseline)", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    return _save(fig, path, stamp, title)


@drawable
def risk_lines(by_param: pd.DataFrame, param: str, horizon: float, path: Path,
               stamp: Stamp, factors: Mapping[str, tuple[str, str]] | None = None) -> Path:
    """P(resumption) against one swept parameter, one line per arm, Wilson bands (colour:
    sequencing; line style and marker: zone shape)."""
    arms = list(dict.fromkeys(by_param["arm"]))
    styles = arm_styles(arms, factors)
    fig = _figure(7.5, 4.0)
    ax = fig.add_subplot()
    for arm in arms:
        d = by_param[by_param["arm"] == arm].sort_values(param)
        st = styles[arm]
        ax.plot(d[param], d["p"], color=st.color, ls=st.ls, marker=st.marker,
                label=arm_label(arm), ms=3)
        ax.fill_between(d[param], d["lo"], d["hi"], color=st.color, alpha=0.12, lw=0)
    ax.set_ylim(0, 1)
    ax.set_xlabel(param)
    ax.set_ylabel(f"P(resumption within {horizon:g} days)")
    ax.grid(alpha=0.3)
    fig.legend(loc="outside right upper", fontsize=7, frameon=False)
    return _save(fig, path, stamp, f"P(resumption) by {param}")


# --- outcomes -------------------------------------------------------------------------------
OUTCOME_PANELS = ("ground_ceded_or_lost_km2", "belt_towns_ceded_or_lost",
                  "ua_oblast_area_km2_end", "ceasefire_days", "territory_lost_km2",
                  "belt_towns_lost", "ua_losses", "warning_days")


@drawable
def outcome_bands(table: pd.DataFrame, path: Path, stamp: Stamp,
                  outcomes: Sequence[str] = OUTCOME_PANELS,
                  resumed: pd.DataFrame | None = None,
                  factors: Mapping[str, tuple[str, str]] | None = None,
                  risk: pd.DataFrame | None = None, horizon: float | None = None) -> Path:
    """Per outcome and arm, over all runs: 5-95% (thin) and 25-75% (thick) bands, median
    |, mean (filled marker) with its 95% CI; and the mean over the runs that resumed only
    (``resumed``: the same table on those runs) as an open marker. With ``risk``
    (:func:`~analysis.tables.risk_table`), the first panel is P(resumption within
    ``horizon``) with its Wilson interval, so the risk stands beside the costs. Marker
    shape: zone shape; colour: sequencing. The key is drawn above the panels; the arms
    are named once per row of panels."""
    from matplotlib.lines import Line2D

    outcomes = [o for o in outcomes if o in set(table["outcome"])]
    arms = list(dict.fromkeys(table["arm"]))
    styles = arm_styles(arms, factors)
    panels: list[str | None] = ([None] if risk is not None else []) + list(outcomes)
    ncol = 3 if len(panels) > 4 else 2
    nrow = int(np.ceil(len(panels) / ncol))
    fig = _figure(4.0 * ncol + 1.6, 0.26 * len(arms) * nrow + 1.0 * nrow + 0.9)
    axes = fig.subplots(nrow, ncol, squeeze=False, sharey=True).ravel()
    ypos = np.arange(len(arms))
    for ax, col in zip(axes, panels, strict=False):
        if col is None:  # P(resumption)
            assert risk is not None
            r = risk.set_index("arm").reindex(arms)
            for yi, arm in enumerate(arms):
                st = styles[arm]
                p, lo, hi = (float(r.loc[arm, k]) for k in ("p", "lo", "hi"))
                ax.errorbar([p], [yi], xerr=[[p - lo], [hi - p]], fmt=st.marker,
                            color=st.color, ms=4, mec="black", mew=0.5, capsize=2)
                ax.text(hi + 0.03, yi, f"{int(r.loc[arm, 'resumed'])} of "
                        f"{int(r.loc[arm, 'runs'])}", va="center", fontsize=6)
            ax.set_xlim(0, 1.12)
            h = f" within {horizon:g} days" if horizon is not None else ""
            ax.set_title(f"P(offensive resumes{h}), 95% Wilson", fontsize=8)
        else:
            _band_panel(ax, table, col, arms, styles, resumed)
        ax.set_yticks(ypos, [arm_label(a) for a in arms], fontsize=7)
        ax.set_ylim(len(arms) - 0.4, -0.6)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    key = [Line2D([], [], color="0.3", lw=1, label="5–95% of runs"),
           Line2D([], [], color="0.3", lw=5, alpha=0.5, label="25–75% of runs"),
           Line2D([], [], color="black", marker="|", ls="", ms=9, label="median"),
           Line2D([], [], color="0.3", marker="D", ls="-", ms=4, mec="black", mew=0.5,
                  label="mean, 95% CI (all runs)")]
    if resumed is not None:
        key.append(Line2D([], [], color="0.3", marker="D", ls="", mfc="white", ms=4.5,
                          label="mean over the runs that resumed"))
    shapes = list(dict.fromkeys(st.shape for st in styles.values() if st.shape))
    key += [Line2D([], [], color="0.3", marker=SHAPE_MARKERS[sh], ls="", ms=4,
                   label=f"marker: {sh} zone") for sh in shapes]
    fig.legend(handles=key, loc="outside upper center", ncol=min(len(key), 4), fontsize=7,
               frameon=False)
    return _save(fig, path, stamp, "Outcomes by arm")


def _band_panel(ax: Any, table: pd.DataFrame, col: str, arms: Sequence[str],
                styles: Mapping[str, ArmStyle], resumed: pd.DataFrame | None) -> None:
    """One outcome's bands, medians and means per arm (see :func:`outcome_bands`)."""
    d = table[table["outcome"] == col].set_index("arm").reindex(arms)
    r_only = (resumed[resumed["outcome"] == col].set_index("arm").reindex(arms)
              if resumed is not None else None)
    for yi, arm in enumerate(arms):
        r, st = d.loc[arm], styles[arm]
        ax.plot([r["q05"], r["q95"]], [yi, yi], color=st.color, lw=1, alpha=0.7)
        ax.plot([r["q25"], r["q75"]], [yi, yi], color=st.color, lw=5, alpha=0.5,
                solid_capstyle="butt")
        ax.plot([r["q50"]], [yi], "|", color="black", ms=9)
        ax.errorbar([r["mean"]], [yi], xerr=[[r["mean"] - r["lo"]], [r["hi"] - r["mean"]]],
                    fmt=st.marker, color=st.color, ms=4, mec="black", mew=0.5, capsize=2)
        if r_only is not None and np.isfinite(r_only.loc[arm, "mean"]):
            ax.plot([r_only.loc[arm, "mean"]], [yi + 0.3], st.marker, mfc="white",
                    mec=st.color, mew=1.2, ms=4.5)
    values = d[["q05", "lo"]].to_numpy(dtype=float)
    if np.all(values[np.isfinite(values)] >= 0):  # counts, days, km²: from zero
        ax.set_xlim(left=0)
    unit = outputs.unit(col)
    title = f"{outputs.label(col)} ({unit})" if unit else outputs.label(col)
    ax.set_title("\n".join(textwrap.wrap(title, 48)), fontsize=8)


@drawable
def fan_chart(series: pd.DataFrame, column: str, path: Path, stamp: Stamp,
              ylabel: str | None = None, arms: Sequence[str] | None = None,
              cap: float | None = None, log: bool = False) -> Path:
    """Median and 50% / 90% bands of a per-day series across runs, one panel per arm.

    Where the series knows each run's ``day_resumed``, the fan is drawn over the days of
    the ceasefire only (before the offensive resumed, every run), and the days after it
    as a second series: their median, dashed, by days since the ceasefire. Pooling both
    would blend two different wars. Where it knows ``breakthrough_ratio`` (the force ratio
    Russia needs), the force-ratio panels draw it as a red line.

    ``cap``: values above it (including +inf, e.g. a force ratio against an empty axis)
    are drawn at the cap, which is marked with a dotted line, and each panel says which
    share of its days that is. On a log axis the ticks are plain numbers (0.1, 1, 10).
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    arms = list(arms or dict.fromkeys(series["arm"]))
    series = series.assign(**{column: pd.to_numeric(series[column], errors="coerce")})
    clipped = pd.Series(False, index=series.index)
    if cap is not None:
        clipped = series[column] >= cap
        series[column] = series[column].clip(upper=cap)
    split = "day_resumed" in series
    after = (series["day"] >= pd.to_numeric(series["day_resumed"], errors="coerce")
             if split else pd.Series(False, index=series.index))
    styles = arm_styles(arms)
    ncol = min(len(arms), 2)
    nrow = int(np.ceil(len(arms) / ncol))
    fig = _figure(5.2 * ncol, 2.8 * nrow + 0.9)
    axes = fig.subplots(nrow, ncol, squeeze=False, sharex=True, sharey=True).ravel()
    for ax, arm in zip(axes, arms, strict=False):
        here = series["arm"] == arm
        d = series[here & ~after]
        c = styles[arm].color
        if len(d):  # an arm at war from day 0 (no deal) has no days before resumption
            q = d.groupby("day")[column].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
            ax.fill_between(q.index, q[0.05], q[0.95], color=c, alpha=0.15, lw=0,
                            label="90% of runs")
            ax.fill_between(q.index, q[0.25], q[0.75], color=c, alpha=0.35, lw=0,
                            label="50% of runs")
            ax.plot(q.index, q[0.5], color=c, lw=1.5,
                    label="median, before resumption" if split else "median")
        war = series[here & after]
        if len(war):  # runs resume on different days: the median is over those resumed
            by_day = war.groupby("day")[column]
            m, n = by_day.median(), by_day.size()
            m = m[n >= MIN_RUNS_FOR_MEDIAN]
            if len(m):
                ax.plot(m.index, m.to_numpy(), color="black", lw=1.0, ls="--",
                        label=f"median after resumption (days with ≥ {MIN_RUNS_FOR_MEDIAN} "
                              "runs resumed)")
            else:  # too few to take a median: each run, thin
                label = f"each run after resumption (fewer than {MIN_RUNS_FOR_MEDIAN} resumed)"
                for _, run in war.groupby("run_id"):
                    ax.plot(run["day"], run[column], color="black", lw=0.6, ls=":",
                            label=label)
                    label = "_"  # one key entry
        if "breakthrough_ratio" in series and column == "force_ratio_main_axis":
            ratios = sorted(pd.to_numeric(series.loc[here, "breakthrough_ratio"]).dropna()
                            .unique())
            label = ("breakthrough ratio " + ", ".join(f"{r:g}:1" for r in ratios)
                     + (" (swept)" if len(ratios) > 1 else ""))
            for r in ratios:  # swept: each value the runs used, one line each
                ax.axhline(r, color="#b2182b", lw=1.0, label=label)
                label = "_"  # one key entry
        n_runs = series.loc[here, "run_id"].nunique()
        title = f"{arm_label(arm)} ({n_runs} runs"
        title += f", {war['run_id'].nunique()} resumed)" if split else ")"
        if cap is not None:
            share = float(clipped[here].mean()) if here.any() else 0.0
            title += f"; {share:.0%} of days ≥ {cap:g}, drawn at the dotted line"
            ax.axhline(cap, color="0.3", lw=0.8, ls=":")
        ax.set_title(title, fontsize=7.5)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
        if log:
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(FixedLocator([0.1, 0.2, 0.5, 1, 2, 3, 5, 10, 20, 50,
                                                     100]))
            ax.yaxis.set_minor_locator(NullLocator())
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_xlim(left=0)
    for i in range(len(arms), len(axes)):
        axes[i].set_visible(False)
        if i >= ncol:  # the panel above an empty slot shows the day axis
            axes[i - ncol].xaxis.set_tick_params(labelbottom=True)
    handles, labels = axes[0].get_legend_handles_labels()
    for ax in axes[1:len(arms)]:  # a key for every line any panel draws
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="outside upper center", ncol=min(len(labels), 5),
               fontsize=7, frameon=False)
    fig.supxlabel("days since the ceasefire", fontsize=8)
    fig.supylabel(ylabel or column, fontsize=8)
    return _save(fig, path, stamp, f"Fan chart of {column}")


# --- sensitivity ------------------------------------------------------------------------------
@drawable
def sobol_bars(df: pd.DataFrame, path: Path, stamp: Stamp, output: str) -> Path:
    """First-order and total Sobol' indices with 95% bootstrap intervals."""
    d = df.sort_values("ST")
    fig = _figure(7, 0.32 * len(d) + 1.4)
    ax = fig.add_subplot()
    ypos = np.arange(len(d))
    ax.barh(ypos + 0.2, d["ST"], xerr=d["ST_conf"], height=0.38, color="#1f4e79",
            capsize=2, label="total (ST)")
    ax.barh(ypos - 0.2, d["S1"], xerr=d["S1_conf"], height=0.38, color="#e69f00",
            capsize=2, label="first order (S1)")
    ax.set_yticks(ypos, d["name"], fontsize=7)
    ax.axvline(0, color="black", lw=0.6)
    ax.set_xlabel(f"Sobol' index of {output} (95% bootstrap interval)")
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path, stamp, "Sobol indices")


@drawable
def binned_risk(df: pd.DataFrame, path: Path, stamp: Stamp, output: str,
                top: int = 6) -> Path:
    """P(``output``) in each equal-count bin of the ``top`` parameters whose bins differ
    most surely (``analysis.sensitivity.binned_risk``), with 95% intervals: the view
    of a Sobol' design whose indices cannot be estimated."""
    names = list(dict.fromkeys(df["name"]))[:top]
    cols = min(3, len(names))
    rows = math.ceil(len(names) / cols)
    fig = _figure(3.0 * cols, 2.3 * rows + 0.5)
    axes = np.atleast_1d(fig.subplots(rows, cols, sharey=True, squeeze=False)).ravel()
    for ax, name in zip(axes, names, strict=False):
        d = df[df["name"] == name]
        mid = (d["lo"] + d["hi"]) / 2
        ax.errorbar(mid, d["p"], yerr=[d["p"] - d["p_lo"], d["p_hi"] - d["p"]], fmt="o-",
                    color="#1f4e79", ms=3, capsize=2, lw=1)
        for lo, hi in zip(d["lo"], d["hi"], strict=True):
            ax.axvspan(lo, hi, color="0.5", alpha=0.06, lw=0)
        pv = float(d["p_value"].iloc[0])
        ax.set_title(f"{name}\n(same rate in every bin: p = {pv:.1g})", fontsize=7)
        ax.tick_params(labelsize=6)
        ax.grid(alpha=0.3)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    for ax in axes[::cols]:
        ax.set_ylabel(f"P({output})", fontsize=7)
    fig.suptitle("P in bins of equal numbers of runs along each parameter (95% intervals): "
                 "the indices cannot be estimated from these runs", fontsize=8)
    return _save(fig, path, stamp, f"P({output}) by parameter bin")


@drawable
def morris_plot(df: pd.DataFrame, path: Path, stamp: Stamp, output: str) -> Path:
    """Morris screening: tornado of mu* with 95% intervals, and sigma against mu*."""
    d = df.sort_values("mu_star")
    fig = _figure(10, 0.3 * len(d) + 1.6)
    ax, ax2 = fig.subplots(1, 2, width_ratios=[1.3, 1])
    ypos = np.arange(len(d))
    ax.barh(ypos, d["mu_star"], xerr=d["mu_star_conf"], color="#1f4e79", capsize=2)
    ax.set_yticks(ypos, d["name"], fontsize=7)
    ax.set_xlabel(f"μ* of {output} (mean |elementary effect| over the range)")
    ax.grid(axis="x", alpha=0.3)
    ax2.scatter(d["mu_star"], d["sigma"], color="#c0504d", s=14)
    for _, r in d.iterrows():
        ax2.annotate(r["name"], (r["mu_star"], r["sigma"]), fontsize=6, xytext=(2, 2),
                     textcoords="offset points")
    ax2.set_xlabel("μ*")
    ax2.set_ylabel("σ (interactions / non-linearity)")
    ax2.grid(alpha=0.3)
    return _save(fig, path, stamp, "Morris screening")


# --- map ------------------------------------------------------------------------------------
@drawable
def attack_map(summary: pd.DataFrame, path: Path, stamp: Stamp,
               map_path: str | Path | None = None, arms: Sequence[str] | None = None
               ) -> Path:
    """Where resumed offensives went: attack points by arm over the map outline.

    Points are the model's attack_lat/attack_lon, one per resumed run: Ukraine's forward
    edge on the run's main attack axis on the day the offensive resumed, i.e. where the
    line was struck. Marker area grows with the number of runs at the same point.
    """
    arms = list(arms or dict.fromkeys(summary["arm"]))
    styles = arm_styles(arms)  # colour: sequencing; marker: zone shape
    fig = _figure(7.5, 6.2)
    ax = fig.add_subplot()
    spec = _load_map(map_path)
    if spec is not None:
        ring = np.array([*spec.oblast.outline, spec.oblast.outline[0]])
        ax.plot(ring[:, 1], ring[:, 0], color="0.4", lw=1)
        loc = np.array(spec.line_of_contact.points)
        ax.plot(loc[:, 1], loc[:, 0], color="0.2", lw=1.2, ls="--", label="line of contact")
        for t in spec.towns:
            ax.plot(t.lon, t.lat, "s" if t.fortress_belt else ".", color="0.25",
                    ms=4 if t.fortress_belt else 3)
            ax.annotate(t.name, (t.lon, t.lat), fontsize=6, color="0.3", xytext=(3, 2),
                        textcoords="offset points")
    pts = summary[summary["resumed"].astype(bool)].dropna(subset=["attack_lat", "attack_lon"])
    n_arms = max(len(arms), 1)
    for i, arm in enumerate(arms):
        d = pts[pts["arm"] == arm]
        if d.empty:
            continue
        g = d.groupby(["attack_lat", "attack_lon"]).size().reset_index(name="n")
        dx = (i - (n_arms - 1) / 2) * 0.01  # small offset so arms at one point stay visible
        ax.scatter(g["attack_lon"] + dx, g["attack_lat"], s=10 + 10 * g["n"],
                   color=styles[arm].color, marker=styles[arm].marker, alpha=0.6,
                   edgecolor="black", lw=0.3,
                   label=f"{arm_label(arm)} ({len(d)} offensives)")
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    mid_lat = float(pts["attack_lat"].mean()) if len(pts) else 48.5
    ax.set_aspect(1 / np.cos(np.radians(mid_lat)))
    title = "Where resumed offensives struck (area ∝ runs)"
    if spec is not None:
        title += f"; map: {spec.map.name}, {spec.map.date}"
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.2)
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    return _save(fig, path, stamp, "Attack points")


def _load_map(map_path: str | Path | None) -> Any:
    """The map file's data (outline, towns, line), or None if it cannot be read."""
    try:
        return load_map(map_path or default_map_path())
    except Exception:  # the map is decoration; the points are the data
        return None
