"""What every section of the report reads: the experiment, its finished runs, its arms,
and the per-arm tables.

Built once per report, so the sections agree on which runs count (failed ones do not), on
the horizon, the arms and the baseline arm. The tables several sections show (risk,
survival, paired differences) are computed here, once, on first use, so any section can
come first and all of them show the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
from dmzsim.analysis.arm_groups import ArmGroup, arm_factors, merge_same_arms
from dmzsim.analysis.estimators import CONFIDENCE, KaplanMeier
from dmzsim.analysis.loader import ExperimentResults
from dmzsim.analysis.provenance import Stamp
from dmzsim.analysis.results_layout import ResultsLayout
from dmzsim.analysis.tables import (
    arm_label,
    arms_in,
    outcome_differences,
    outcome_table,
    risk_differences,
    risk_table,
    survival_curves,
    survival_table,
    with_derived,
)
from dmzsim.model.params import Params

# The report's bootstrap intervals (costs and their paired differences): BCa, which
# corrects for the skew of costs that are zero in most runs. The published headline tables
# (analysis.headline) keep the percentile interval their references were made with.
BOOTSTRAP = "BCa"


def experiment_name(exp: ExperimentResults) -> str:
    """The experiment's name: from the manifest, else the config, else the folder."""
    return str(exp.manifest.get("experiment") or exp.config.get("name") or exp.folder.name)


class ShownResults(ExperimentResults):
    """An experiment as the report shows it: ``keep`` applied to its summary and series
    (arms shown once), and each series row told its run's ``day_resumed`` and
    ``breakthrough_ratio`` (the fan charts split the days at resumption and draw the ratio
    Russia needs). Read on first use, as the experiment itself is."""

    def __init__(self, exp: ExperimentResults, keep: Callable[[pd.DataFrame], pd.DataFrame]
                 ) -> None:
        super().__init__(exp.folder, exp.config, exp.manifest, exp.design, exp.left_out)
        self._source, self._keep = exp, keep

    @cached_property
    def summary(self) -> pd.DataFrame:
        return self._keep(self._source.summary)

    @cached_property
    def series(self) -> pd.DataFrame | None:
        series = self._source.series
        if series is None:
            return None
        runs = self._source.summary
        cols = [c for c in ("day_resumed", "breakthrough_ratio") if c in runs]
        series = series.merge(runs[["run_id", *cols]], on="run_id", how="left")
        if "breakthrough_ratio" not in series:
            base = self.config.get("base", {}) or {}
            series["breakthrough_ratio"] = float(base.get(
                "breakthrough_ratio", Params.model_fields["breakthrough_ratio"].default))
        return self._keep(series)


class ReportOptionError(ValueError):
    """A report option (``--baseline``, ``--contrast``) names an arm the folder lacks."""


@dataclass(frozen=True)
class Contrast:
    """One comparison a user chose: ``arm`` minus ``other``, as declared (``[analysis]
    contrasts`` of the experiment file, or ``dmzsim report --contrast``), and as shown
    (the names of arms shown once; None: the arm has no runs in this folder)."""

    arm: str
    other: str
    shown_arm: str | None
    shown_other: str | None
    source: str  # "experiment file" or "command line"

    @property
    def label(self) -> str:
        return f"{arm_label(self.arm)} − {arm_label(self.other)}"

    @property
    def runs(self) -> bool:
        """Both arms have runs here and are shown apart: there is a difference to show."""
        return (self.shown_arm is not None and self.shown_other is not None
                and self.shown_arm != self.shown_other)


class ReportContext:
    """What every section needs: the experiment, its tables, where figures go.

    ``baseline``: the arm every other is compared with (default: the experiment's
    ``baseline_arm``, else the first arm); ``contrasts``: pairs of arms to compare besides
    the experiment file's ``[analysis] contrasts``. Either names an arm of the experiment
    or an arm as the report shows it (e.g. ``frozen_line`` for the two frozen-line arms);
    an unknown name is a :class:`ReportOptionError`.
    """

    def __init__(self, exp: ExperimentResults, stamp: Stamp | None = None,
                 baseline: str | None = None,
                 contrasts: Sequence[tuple[str, str]] = ()) -> None:
        self.exp = exp
        self.stamp = stamp if stamp is not None else Stamp.from_manifest(exp.manifest,
                                                                         exp.config)
        self.name = experiment_name(exp)
        self.folder = Path(exp.folder)
        self.layout = ResultsLayout(self.folder)
        self.figures = self.layout.figures
        self.horizon = float(exp.config.get("horizon_days")
                             or exp.config.get("base", {}).get("horizon_days") or 730)
        summary = exp.summary
        if "status" in summary:
            summary = summary[summary["status"].fillna("ok") == "ok"]
        summary = with_derived(summary, self.horizon) if len(summary) else summary
        self.finished = len(summary)  # before arms shown once are merged
        arms = arms_in(summary, exp.arms or None) if len(summary) else []
        # arms identical by construction (no zone, so its shape cannot matter) and in
        # fact, seed by seed: shown once, under one name, in every table and figure
        self.rename, self.groups = (merge_same_arms(summary, exp.config, arms)
                                    if len(arms) > 1 else ({a: a for a in arms}, []))
        self.summary, self.exp = self._merged(summary, exp)
        self.arms = list(dict.fromkeys(self.rename[a] for a in arms))
        self.factors = arm_factors(self.summary, self.arms)
        for g in self.merged:  # shown once for several zone shapes: drawn as shapeless
            if not g.by_construction and g.name in self.factors and g.ignored:
                self.factors[g.name] = (self.factors[g.name][0], "")
        self.declared = list(exp.arms or arms)  # every arm the experiment names
        if baseline is not None:
            self.baseline_source = "command line"
            base = self._shown("--baseline", baseline)
        else:
            self.baseline_source = "experiment file"
            base = self.rename.get(exp.config.get("baseline_arm"),
                                   exp.config.get("baseline_arm"))
        self.baseline = base if base in self.arms else (self.arms[0] if self.arms else None)
        self.names = [n for n in exp.design.names if n in self.summary.columns]
        declared = (exp.config.get("analysis") or {}).get("contrasts") or []
        self.contrasts = [self._contrast(str(a), str(b), "experiment file", "analysis.contrasts")
                          for a, b in declared]
        self.contrasts += [self._contrast(a, b, "command line", "--contrast")
                           for a, b in contrasts]

    def _shown(self, option: str, arm: str) -> str:
        """The arm as shown (its group's name if shown once); an unknown arm is an error."""
        if arm in self.rename:
            return self.rename[arm]
        if arm in self.arms:
            return arm
        known = list(dict.fromkeys([*self.declared, *self.arms]))
        raise ReportOptionError(f"{option} {arm!r}: no such arm in {self.folder}; arms are "
                                f"{', '.join(known)}")

    def _contrast(self, arm: str, other: str, source: str, option: str) -> Contrast:
        """A contrast; an arm of the experiment file's that this folder did not run (a
        quick subset runs fewer arms; the file itself was checked when it was loaded) has
        no shown name."""
        shown: list[str | None] = []
        for name in (arm, other):
            if source == "experiment file" and name not in self.rename \
                    and name not in self.arms:
                shown.append(None)
            else:
                shown.append(self._shown(option, name))
        return Contrast(arm, other, shown[0], shown[1], source)

    def _merged(self, summary: pd.DataFrame, exp: ExperimentResults
                ) -> tuple[pd.DataFrame, ExperimentResults]:
        """The summary, and a view of the experiment whose series agree with it: each
        merged group's runs kept once (its first arm's) under the group's name, and the
        series told each run's day of resumption and breakthrough ratio."""
        if not len(summary):
            return summary, exp
        merged = [g for g in self.groups if g.identical]
        drop = {a for g in merged for a in g.arms[1:]}
        names = {g.arms[0]: g.name for g in merged}

        def keep(df: pd.DataFrame) -> pd.DataFrame:
            if not drop:
                return df
            df = df[~df["arm"].isin(drop)]
            return df.assign(arm=df["arm"].replace(names)).reset_index(drop=True)

        return keep(summary), ShownResults(exp, keep)

    @property
    def merged(self) -> list[ArmGroup]:
        """The groups of arms shown once."""
        return [g for g in self.groups if g.identical]

    @property
    def h(self) -> str:
        """The horizon as text, e.g. ``730``."""
        return f"{self.horizon:g}"

    # --- tables shared by sections (computed once, whichever section asks first) ----------
    @cached_property
    def risk(self) -> pd.DataFrame:
        """P(resumption) per arm with Wilson intervals, indexed by arm."""
        return risk_table(self.summary, self.arms, CONFIDENCE).set_index("arm")

    @cached_property
    def curves(self) -> dict[str, KaplanMeier]:
        """Kaplan-Meier curve of the ceasefire per arm."""
        return survival_curves(self.summary, self.horizon, self.arms, CONFIDENCE)

    @cached_property
    def surv(self) -> pd.DataFrame:
        """S(H), median and restricted mean per arm, indexed by arm."""
        return survival_table(self.curves).set_index("arm")

    @cached_property
    def diffs(self) -> pd.DataFrame | None:
        """Paired differences of P(resumption) against the baseline (None: one arm)."""
        if len(self.arms) < 2:
            return None
        return risk_differences(self.summary, self.baseline, self.arms, CONFIDENCE)

    @cached_property
    def costs(self) -> pd.DataFrame:
        """The per-arm outputs (costs and the like) over all runs, one row per arm and
        output: mean with its bootstrap interval and quantiles (:func:`outcome_table`)."""
        return outcome_table(self.summary, self.horizon, arms=self.arms, conf=CONFIDENCE,
                             method=BOOTSTRAP)

    @cached_property
    def costs_resumed(self) -> pd.DataFrame:
        """The same over the runs in which the offensive resumed."""
        resumed = self.summary[self.summary["resumed"].astype(bool)]
        return outcome_table(resumed, self.horizon, arms=self.arms, conf=CONFIDENCE,
                             method=BOOTSTRAP)

    def cost(self, arm: str, name: str) -> pd.Series | None:
        """One arm's row of :attr:`costs` for output ``name`` (None: not recorded)."""
        c = self.costs
        row = c[(c["arm"] == arm) & (c["outcome"] == name)]
        return row.iloc[0] if len(row) and row["n"].iloc[0] > 0 else None

    @cached_property
    def contrast_risk(self) -> pd.DataFrame:
        """Paired differences of P(resumption) for each contrast with runs (one row each,
        in the order declared), as :func:`risk_differences` gives them."""
        rows = [risk_differences(self.summary, c.shown_other, [c.shown_arm], CONFIDENCE)
                for c in self.contrasts if c.runs]
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()

    @cached_property
    def contrast_costs(self) -> pd.DataFrame:
        """Paired differences of the paired outputs for each contrast with runs."""
        rows = [outcome_differences(self.summary, c.shown_other, self.horizon,
                                    arms=[c.shown_arm], conf=CONFIDENCE, method=BOOTSTRAP)
                for c in self.contrasts if c.runs]
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()

    @cached_property
    def odiff(self) -> pd.DataFrame | None:
        """Paired differences of the outcomes against the baseline (None: one arm)."""
        if len(self.arms) < 2:
            return None
        return outcome_differences(self.summary, self.baseline, self.horizon, arms=self.arms,
                                   conf=CONFIDENCE, method=BOOTSTRAP)
