"""A stopgap figure so ``make run`` leaves a picture behind until analysis.report exists.

``dmzsim run`` calls ``analysis.report.write_report(folder)`` when that function exists
and only falls back to this. Delete this module once analysis.report has landed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def p_resumed_by_arm(folder: Path) -> Path | None:
    """Bar chart of P(offensive resumes) per arm with 95% Wilson intervals."""
    from analysis.loader import load_experiment
    from runs.adaptive import wilson_interval

    exp = load_experiment(folder)
    df = exp.summary
    if "resumed" not in df or df.empty:
        return None
    grouped = df.groupby("arm", sort=False)["resumed"]
    k, n = grouped.sum().astype(int), grouped.size()
    p = k / n
    bounds = np.array([wilson_interval(int(k[a]), int(n[a]), 0.95) for a in p.index])
    err = np.abs(bounds.T - p.to_numpy())

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 0.45 * len(p) + 1.2))
    ax.barh(list(p.index), p.to_numpy(), xerr=err, color="#5b7fa6", capsize=3)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    horizon = exp.config.get("horizon_days")
    ax.set_xlabel(f"P(offensive resumes within {horizon} days), 95% Wilson interval")
    ax.set_title(f"{exp.config.get('name')}: {int(n.iloc[0])} runs per arm", fontsize=10)
    fig.tight_layout()
    out = folder / "figures" / "p_resumed_by_arm.png"
    out.parent.mkdir(exist_ok=True)
    stamp = {"Description": f"config_hash={exp.manifest.get('config_hash')} "
                            f"git={exp.manifest.get('git', {}).get('commit')}"}
    fig.savefig(out, dpi=120, metadata=stamp)
    plt.close(fig)
    return out
