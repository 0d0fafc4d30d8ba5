"""Figures of scenario discovery: PRIM's coverage/density trade-off and a pairs plot.

* :func:`tradeoff_plot`: every box of the peeling trajectory, coverage on x, density on y,
  coloured by the number of restricted parameters (EMA Workbench's ``show_tradeoff``),
  with the base rate and the box the report describes marked;
* :func:`pairs_plot`: a scatter matrix of a sampled design's parameters, one point per
  run, coloured by whether the offensive resumed (EMA Workbench's pair-wise scatter), with
  the PRIM box drawn where it restricts the pair.

They share the stamp and the layout of :mod:`analysis.figures`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from dmzsim.analysis.discovery import Box
from dmzsim.analysis.figures import _figure, _save, drawable
from dmzsim.analysis.provenance import Stamp
from matplotlib import colormaps
from matplotlib.colors import BoundaryNorm
from matplotlib.patches import Rectangle

__all__ = ["pairs_columns", "pairs_plot", "tradeoff_plot"]

CASE_COLOR = "#c0504d"  # runs in which the offensive resumed
OTHER_COLOR = "#9fb6cd"


@drawable
def tradeoff_plot(table: pd.DataFrame, base_rate: float, path: Path, stamp: Stamp,
                  chosen: Box | None = None, what: str = "P(resumption)") -> Path:
    """Coverage against density along the peeling trajectory (``discovery.tradeoff``)."""
    fig = _figure(6.2, 4.8)
    ax = fig.add_subplot()
    top = int(table["res_dim"].max())
    norm = BoundaryNorm(np.arange(-0.5, top + 1.5), colormaps["viridis"].N)
    ax.plot(table["coverage"], table["density"], color="0.75", lw=0.8, zorder=1)
    sc = ax.scatter(table["coverage"], table["density"], c=table["res_dim"],
                    cmap="viridis", norm=norm, s=18, zorder=2)
    cb = fig.colorbar(sc, ax=ax, ticks=np.arange(0, top + 1), drawedges=True)
    cb.set_label("restricted parameters", fontsize=8)
    ax.axhline(base_rate, color="black", lw=0.7, ls=":")
    ax.annotate(f"base rate {base_rate:.2f}", (0.02, base_rate), fontsize=7,
                xytext=(0, 3), textcoords="offset points")
    if chosen is not None:
        ax.scatter([chosen.coverage], [chosen.density], marker="*", s=160,
                   facecolor="none", edgecolor=CASE_COLOR, lw=1.3, zorder=3,
                   label=f"box 1 ({len(chosen.limits)} restricted)")
        ax.legend(fontsize=7, frameon=False, loc="lower left")
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, min(1.05, max(1.1 * float(table["density"].max()), 0.05)))
    ax.set_xlabel("coverage (share of all cases in the box)")
    ax.set_ylabel(f"density ({what} in the box)")
    ax.grid(alpha=0.3)
    return _save(fig, path, stamp, "PRIM coverage-density trade-off")


@drawable
def pairs_plot(x: pd.DataFrame, y: np.ndarray, path: Path, stamp: Stamp,
               box: Box | None = None, cases: str = "resumed",
               others: str = "did not resume") -> Path:
    """Scatter matrix of the numeric columns of ``x`` (histograms on the diagonal)."""
    cols = list(x.columns)
    y = np.asarray(y, dtype=bool)
    k = len(cols)
    size = min(1.7 * k + 0.8, 11.0)
    fig = _figure(size, size)
    axes = np.atleast_2d(fig.subplots(k, k, squeeze=False))
    point = 6 if len(x) > 2000 else 10
    for i, row in enumerate(cols):
        for j, col in enumerate(cols):
            ax = axes[i, j]
            ax.tick_params(labelsize=5, length=2)
            if j > i:
                ax.set_axis_off()
                continue
            if i == j:
                _histogram(ax, x[col].to_numpy(dtype=float), y)
            else:
                _scatter(ax, x[col].to_numpy(dtype=float), x[row].to_numpy(dtype=float), y,
                         point)
                if box is not None:
                    _draw_box(ax, box, x, col, row)
            if i == k - 1:
                ax.set_xlabel(col, fontsize=6)
            else:
                ax.set_xticklabels([])
            if j == 0 and i > 0:
                ax.set_ylabel(row, fontsize=6)
            elif j > 0:
                ax.set_yticklabels([])
    handles = [axes[-1, 0].scatter([], [], s=12, color=c, label=lab)
               for c, lab in ((CASE_COLOR, cases), (OTHER_COLOR, others))]
    if box is not None:
        handles.append(Rectangle((0, 0), 0, 0, fill=False, ec="black", lw=0.9,
                                 label="PRIM box 1"))
    fig.legend(handles=handles, loc="upper right", fontsize=8, frameon=False)
    return _save(fig, path, stamp, "Pairs plot of the design")


def _scatter(ax: object, u: np.ndarray, v: np.ndarray, y: np.ndarray, size: float) -> None:
    ax.scatter(u[~y], v[~y], s=size, color=OTHER_COLOR, alpha=0.5, lw=0, rasterized=True)
    ax.scatter(u[y], v[y], s=size, color=CASE_COLOR, alpha=0.8, lw=0, rasterized=True)


def _histogram(ax: object, v: np.ndarray, y: np.ndarray) -> None:
    bins = np.histogram_bin_edges(v, bins=min(20, max(len(np.unique(v)), 2)))
    ax.hist([v[~y], v[y]], bins=bins, stacked=True, color=[OTHER_COLOR, CASE_COLOR])
    ax.set_yticks([])


def _draw_box(ax: object, box: Box, x: pd.DataFrame, col: str, row: str) -> None:
    """The box's limits on this pair, where it restricts either parameter."""
    if col not in box.limits and row not in box.limits:
        return
    (x0, x1), (y0, y1) = (_span(box, x, c) for c in (col, row))
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="black", lw=0.9))


def _span(box: Box, x: pd.DataFrame, col: str) -> tuple[float, float]:
    v = x[col].to_numpy(dtype=float)
    lo, hi = box.limits.get(col, (-np.inf, np.inf))
    return (lo if np.isfinite(lo) else float(v.min()),
            hi if np.isfinite(hi) else float(v.max()))


def pairs_columns(x: pd.DataFrame, first: Sequence[str] = (), most: int = 6) -> list[str]:
    """At most ``most`` numeric columns of ``x``: ``first`` (e.g. the box's) then the rest
    in order, so a design with many parameters still gets a legible matrix."""
    numeric = [c for c in x.columns if pd.api.types.is_numeric_dtype(x[c])
               and not pd.api.types.is_bool_dtype(x[c])]
    ordered = list(dict.fromkeys([c for c in first if c in numeric] + numeric))
    return ordered[:most]
