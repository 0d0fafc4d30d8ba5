"""Where the ranking flips: which policy is best across the plane of two uncertainties.

The two uncertainties that most influence *which* policy is best are found by feature
scoring (:mod:`analysis.feature_scoring`) of each world's regret of the policy that is
best on average (the loss of keeping it, world by world). Their plane is cut into bins
(equal widths of a range; one bin per named value); in each cell, every policy's
world-level values are averaged over the worlds falling there -- the other uncertainties
are left as sampled, so a cell's answer holds on average over them -- and the best
(lowest) policy is named (policies that tie, joined by ``=``), with its margin over the
runner-up. A boundary between cells
with different best policies is where the answer flips.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from dmzsim.analysis.feature_scoring import feature_scores, have_extra_trees
from dmzsim.analysis.figures import formats
from dmzsim.analysis.robustness import regret2_by_world


def influential(worlds: pd.DataFrame, m: np.ndarray, k: int = 2) -> pd.DataFrame:
    """Feature scores of the uncertainties for the regret of the on-average-best policy
    (its loss against each world's best); if that policy is best everywhere, for the
    spread between policies. Most influential first; ``k`` or fewer rows."""
    reg = regret2_by_world(m)
    y = reg[int(np.nanargmin(np.nanmean(m, axis=1)))]
    if not np.nanstd(y) > 0:
        y = np.nanmax(m, axis=0) - np.nanmin(m, axis=0)
    varied = [c for c in worlds.columns if worlds[c].nunique() > 1]
    if not varied or not np.nanstd(y) > 0:
        return pd.DataFrame({"name": varied[:k], "score": [np.nan] * len(varied[:k])})
    method = "extra_trees" if have_extra_trees() else "univariate"
    scores = feature_scores(worlds[varied], np.nan_to_num(y), method=method)
    return scores.head(k).assign(method=method)


def bins_of(values: pd.Series, n: int) -> tuple[np.ndarray, list[str], list[float]]:
    """Each world's bin, the bins' labels and their mid-points (named values: one bin
    each, mid-point their rank)."""
    if not pd.api.types.is_numeric_dtype(values) or values.nunique() <= n:
        cats = sorted(values.unique(), key=str)
        codes = values.map({c: i for i, c in enumerate(cats)}).to_numpy()
        return codes, [str(c) for c in cats], [float(i) for i in range(len(cats))]
    edges = np.linspace(values.min(), values.max(), n + 1)
    codes = np.clip(np.searchsorted(edges, values.to_numpy(), side="right") - 1, 0, n - 1)
    labels = [f"{edges[i]:.3g}-{edges[i + 1]:.3g}" for i in range(n)]
    mids = [float((edges[i] + edges[i + 1]) / 2) for i in range(n)]
    return codes, labels, mids


def flip_table(worlds: pd.DataFrame, m: np.ndarray, policies: list[str], a: str, b: str,
               n_bins: int = 4) -> pd.DataFrame:
    """One row per cell of the (a, b) plane: its bins, worlds, best policy and margin."""
    ca, la, ma = bins_of(worlds[a], n_bins)
    cb, lb, mb = bins_of(worlds[b], n_bins)
    rows = []
    for i in range(len(la)):
        for j in range(len(lb)):
            inside = (ca == i) & (cb == j)
            row = {a: la[i], b: lb[j], f"{a}_mid": ma[i], f"{b}_mid": mb[j],
                   "worlds": int(inside.sum()), "best": None, "margin": np.nan}
            if inside.any():
                row["best"], row["margin"] = best_of(np.nanmean(m[:, inside], axis=1),
                                                     policies)
            rows.append(row)
    return pd.DataFrame(rows)


def best_of(values: np.ndarray, policies: list[str], tol: float = 1e-12
            ) -> tuple[str, float]:
    """The best (lowest) policy, or the tied ones joined by `` = ``, and the margin to
    the next value (NaN if every policy ties)."""
    low = float(np.nanmin(values))
    tied = np.abs(values - low) <= tol
    rest = values[~tied]
    margin = float(np.nanmin(rest) - low) if len(rest) else np.nan
    return " = ".join(p for p, t in zip(policies, tied, strict=True) if t), margin


def boundaries(table: pd.DataFrame, a: str) -> list[float]:
    """Where along ``a`` the best policy changes (mid-way between the bins' mid-points),
    for cells that agree on the other axis; a sorted list of positions."""
    mid, other = f"{a}_mid", [c for c in table.columns if c.endswith("_mid") and c != f"{a}_mid"]
    found = set()
    for _, grp in table.dropna(subset=["best"]).groupby(other[0]):
        grp = grp.sort_values(mid)
        best, mids = grp["best"].tolist(), grp[mid].tolist()
        found |= {(mids[i] + mids[i + 1]) / 2 for i in range(len(best) - 1)
                  if best[i] != best[i + 1]}
    return sorted(found)


def as_grid(table: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """The map as a table to read: rows ``a``'s bins, columns ``b``'s, cells the best
    policy (``-``: no world fell in the cell)."""
    grid = table.pivot(index=a, columns=b, values="best").fillna("-")
    order_a = list(dict.fromkeys(table.sort_values(f"{a}_mid")[a]))
    order_b = list(dict.fromkeys(table.sort_values(f"{b}_mid")[b]))
    return grid.loc[order_a, order_b].rename_axis(index=f"{a} \\ {b}", columns=None)


def short_name(policy: str) -> str:
    """A policy's initials, part by part (``territory_first-unilateral`` → ``tf-u``), so
    that a cell can name several tied policies and stay legible; the legend says which."""
    return "-".join("".join(w[:1] for w in part.split("_")) for part in policy.split("-"))


def cell_label(best: str) -> str:
    """What a cell says: the best policy's short name, or how many tie and which."""
    if best == "-":
        return "no world"
    names = [short_name(p) for p in best.split(" = ")]
    if len(names) == 1:
        return names[0]
    rows = [", ".join(names[i:i + 3]) for i in range(0, len(names), 3)]
    return f"{len(names)} tie:\n" + "\n".join(rows)


def draw(table: pd.DataFrame, a: str, b: str, policies: list[str], path: Path) -> Path:
    """The map as a figure: one colour per policy (ties grey), each cell labelled with its
    best by short name and a legend of the names; written as ``path`` (PNG) and in the
    other formats of :func:`analysis.figures.saved_as` beside it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    grid = as_grid(table, a, b)
    code = {p: i for i, p in enumerate(policies)}
    tie = len(policies)  # tied cells in grey
    z = grid.map(lambda v: code.get(v, tie if " = " in v else np.nan)).to_numpy(float)
    fig, ax = plt.subplots(figsize=(3.6 + 1.3 * z.shape[1], 1.4 + 0.75 * z.shape[0]))
    # one colour per policy (repeated past 18; the labels still name them), none of them
    # grey: grey is a tie
    ten = [c for i, c in enumerate(plt.get_cmap("tab10").colors) if i != 7]
    twenty = [c for i, c in enumerate(plt.get_cmap("tab20").colors) if i not in (14, 15)]
    palette = ten if len(policies) <= len(ten) else twenty
    colours = [palette[i % len(palette)] for i in range(len(policies))]
    colours.append((0.85, 0.85, 0.85))
    ax.imshow(z, cmap=ListedColormap(colours), vmin=-0.5, vmax=tie + 0.5,
              origin="lower", aspect="auto")
    for (i, j), v in np.ndenumerate(grid.to_numpy()):
        ax.text(j, i, cell_label(str(v)), ha="center", va="center", fontsize=7)
    ax.set_xticks(range(z.shape[1]), list(grid.columns), fontsize=7, rotation=20)
    ax.set_yticks(range(z.shape[0]), list(grid.index), fontsize=7)
    ax.set_xlabel(b, fontsize=8)
    ax.set_ylabel(a, fontsize=8)
    ax.set_title("Best policy (lowest mean) in each cell; other uncertainties as sampled",
                 fontsize=8)
    handles = [Patch(color=colours[i], label=f"{short_name(p)}: {p}")
               for i, p in enumerate(policies)]
    handles.append(Patch(color=colours[tie], label="a tie"))
    ax.legend(handles=handles, fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    for fmt in formats():  # PNG (``path``), and beside it the other formats asked for
        fig.savefig(path.with_suffix(f".{fmt}"), dpi=120)
    plt.close(fig)
    return path
