"""Targets as data: ``[targets]`` in an experiment, their statistics on hand-built runs,
``dmzsim validate`` and the generated table of docs/validation.md."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dmzsim.analysis.target_spec import TargetSpec
from dmzsim.analysis.targets import evaluate, evaluate_one
from dmzsim.runs import experiment
from dmzsim.runs.cli import main
from dmzsim.runs.experiment.schema import ExperimentError
from dmzsim.runs.publish.readme import current_block
from dmzsim.runs.publish.validation_page import MARKERS, render_block

from tests.helpers import ROOT

RUNS_DIR = ROOT / "runs"


def _spec(**kw) -> TargetSpec:
    return TargetSpec.model_validate({"arm": "a", "source": "§0", **kw})


def _runs() -> pd.DataFrame:
    """Arm a: 10 runs, resumed on days 100 (x2), 300 (x2), 500 (x1); arm b resumes in
    every run at day 50. Losses 2:1, ground 730 km² over 730 days."""
    days_a = [100, 100, 300, 300, 500] + [np.nan] * 5
    rows = []
    for arm, days in (("a", days_a), ("b", [50.0] * 10)):
        for rep, d in enumerate(days):
            rows.append({"arm": arm, "replicate": rep, "resumed": not math.isnan(d),
                         "day_resumed": d, "ru_losses": 2000.0 + rep, "ua_losses": 1000.0,
                         "territory_lost_km2": 730.0, "days_run": 730})
    return pd.DataFrame(rows)


def test_statistics_on_hand_built_runs():
    runs = _runs()

    def value(**kw) -> float:
        return evaluate_one("t", _spec(low=0.0, **kw), runs, 730.0).value

    assert value(statistic="mean", output="territory_lost_km2", per_days=30.44) == \
        pytest.approx(30.44)
    assert value(statistic="ratio", output="ru_losses", denominator="ua_losses") == \
        pytest.approx(2.0045)
    assert value(statistic="p_by_day", output="resumed", day=300.0) == pytest.approx(0.4)
    # first half (<= 365): 4 of 10; second half: 1 of the 6 still at peace
    assert value(statistic="hazard_ratio", output="resumed") == pytest.approx((1 / 6) / 0.4)
    assert value(statistic="difference", output="resumed", versus="b") == pytest.approx(-0.5)
    assert value(statistic="quantile", output="ru_losses", q=0.5) == pytest.approx(2004.5)


def test_verdicts_and_intervals():
    runs = _runs()
    base = {"statistic": "p_by_day", "output": "resumed", "day": 730.0}
    inside = evaluate_one("t", _spec(low=0.4, high=0.6, **base), runs, 730.0)
    near = evaluate_one("t", _spec(high=0.45, tolerance=0.06, **base), runs, 730.0)
    out = evaluate_one("t", _spec(low=0.7, **base), runs, 730.0)
    assert (inside.verdict, near.verdict, out.verdict) == ("inside", "within tolerance",
                                                           "outside")
    assert out.distance == pytest.approx(0.2) and not out.passed
    assert inside.lo < 0.5 < inside.hi  # Wilson
    spec = _spec(statistic="mean", output="ru_losses", low=0.0)
    a, b = (evaluate({"x": spec}, runs, 730.0)[0] for _ in range(2))
    assert (a.lo, a.hi) == (b.lo, b.hi) and a.lo < a.value < a.hi  # seeded bootstrap


@pytest.mark.parametrize(("target", "says"), [
    ('statistic = "ratio"\noutput = "ru_losses"\nlow = 1.0', "needs denominator"),
    ('statistic = "mean"\noutput = "ru_losses"\nlow = 2.0\nhigh = 1.0', "is above high"),
    ('statistic = "mean"\noutput = "ru_losses"', "give low, high or both"),
    ('statistic = "mean"\noutput = "ru_lossez"\nlow = 1.0', "targets.t.output = 'ru_lossez'"),
    ('statistic = "p_by_day"\noutput = "ru_losses"\nday = 9.0\nlow = 0.1', "use output"),
    ('statistic = "median"\noutput = "resumed"\nlow = 0.0\narm = "nope"',
     "targets.t.arm = 'nope': unknown arm"),
])
def test_bad_targets_are_clear_errors(tmp_path, target, says):
    if "arm =" not in target:
        target += '\narm = "x"'
    path = tmp_path / "e.toml"
    path.write_text('name = "e"\nroot_seed = 1\nreplicates = 2\n[arms.x]\n'
                    'sequencing = "no_deal"\n[targets.t]\nsource = "§0"\n' + target + "\n")
    with pytest.raises(ExperimentError) as err:
        experiment.load(path)
    assert says in str(err.value) and str(path) in str(err.value)


def test_the_validation_experiment_loads_and_names_sourced_targets():
    exp = experiment.load(RUNS_DIR / "validation.toml")
    assert len(exp.spec.targets) >= 10
    # each cites a section of the sources or the shipped conflict data
    assert all(t.source.startswith(("§", "UCDP/PRIO")) for t in exp.spec.targets.values())
    stats = {t.statistic for t in exp.spec.targets.values()}
    assert {"mean", "ratio", "p_by_day", "hazard_ratio", "difference"} <= stats


def test_the_page_matches_the_published_reference():
    """Regenerate with: dmzsim publish --readme-only (after dmzsim publish validation)."""
    page = ROOT / "docs" / "validation.md"
    assert current_block(page, MARKERS) == render_block(RUNS_DIR)


def test_dmzsim_validate_from_a_folder(tmp_path, capsys):
    ref = RUNS_DIR / "reference" / "validation"
    if not (ref / "runs.parquet").exists():
        pytest.skip("the validation reference is not published")
    code = main(["validate", "--from", str(ref)])
    out = capsys.readouterr().out
    assert code in (0, 1) and "targets met" in out and "loss_ratio" not in out


def test_dmzsim_validate_refuses_an_experiment_without_targets(capsys):
    assert main(["validate", str(RUNS_DIR / "dmz_design.toml"), "--from", "x"]) == 2
    assert "names no [targets]" in capsys.readouterr().err


def test_dmzsim_validate_from_a_folder_that_is_not_one(tmp_path, capsys):
    assert main(["validate", "--from", str(tmp_path)]) == 2
    assert "neither a results folder nor a reference folder" in capsys.readouterr().err


def test_dmzsim_validate_runs_the_quick_subset(tmp_path: Path, capsys):
    code = main(["validate", "--quick", "--serial", "--out", str(tmp_path), "--no-progress"])
    out = capsys.readouterr().out
    assert code in (0, 1) and "frozen line: P(resumed by day 730)" in out
    assert (tmp_path / "validation_quick" / "manifest.json").exists()
