"""Publishing and verifying reference results: ``dmzsim publish`` and ``dmzsim verify``.

A tiny experiment on the synthetic map is published once per module into a temporary
``runs/`` folder (serial executor, the real model via ``tests.helpers.simulate_small``);
tests that alter a reference work on a copy of it.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dmzsim.analysis.headline import headline_table
from dmzsim.analysis.tables import risk_table
from dmzsim.model import outputs
from dmzsim.runs import experiment
from dmzsim.runs.cli import main
from dmzsim.runs.experiment import tomlout
from dmzsim.runs.publish.compare import agreement, compare_records, exact_column
from dmzsim.runs.publish.readme import END, START, current_block, render_block
from dmzsim.runs.publish.reference import (
    ID_COLUMNS,
    Reference,
    read_headline,
    robustness_of,
)
from dmzsim.runs.publish.verify import quick_subset

from tests.fake_model import tiny_config
from tests.helpers import ROOT

SMALL = "tests.helpers:simulate_small"
TINY = """\
name = "tiny"
question = "Does a tiny experiment reproduce?"
description = "two arms x two points on the synthetic map"
root_seed = 11
horizon_days = 150
replicates = 3
baseline_arm = "frozen_line"

[base]
ru_initial_personnel = 40000.0
ua_initial_personnel = 20000.0
ru_theatre_cap_personnel = 80000.0
ua_theatre_cap_personnel = 40000.0
ru_theatre_share = 0.06
ua_theatre_share = 0.05
sector_km = 10.0
readiness_recovery_days = 30.0
concentration_days = 7
decision_noise = 0.6

[arms.frozen_line]
sequencing = "frozen_line"

[arms.territory_first]
sequencing = "territory_first"

[design]
method = "grid"

[design.parameters]
breakthrough_ratio = [1.5, 4.0]
guarantee_credibility = [0.0, 0.9]
"""


def write_project(root: Path) -> Path:
    """A runs/ folder with the tiny experiment and a README with the published block."""
    (root / "runs").mkdir(parents=True)
    (root / "runs" / "tiny.toml").write_text(TINY)
    (root / "README.md").write_text(f"# tiny project\n\n{START}\n{END}\n\nmore text\n")
    return root / "runs" / "tiny.toml"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published tiny experiment; returns its TOML path (do not modify: copy first)."""
    root = tmp_path_factory.mktemp("project")
    toml = write_project(root)
    code = main(["publish", str(toml), "--serial", "--simulate", SMALL, "--no-progress",
                 "--out", str(root / "results")])
    assert code == 0
    return toml


def copy_project(toml: Path, dest: Path) -> Path:
    shutil.copytree(toml.parent.parent, dest / "copy")
    return dest / "copy" / "runs" / "tiny.toml"


def verify(toml: Path, *extra: str) -> int:
    return main(["verify", str(toml), "--serial", "--no-progress", "--simulate", SMALL, *extra])


# --- publish -------------------------------------------------------------------------------
def test_publish_writes_a_complete_reference(project: Path) -> None:
    folder = project.parent / "reference" / "tiny"
    ref = Reference.load(folder, project)
    runs = ref.runs
    assert list(runs.columns[:5]) == ID_COLUMNS
    assert len(runs) == 2 * 4 * 3 and runs["run_id"].is_unique
    from dmzsim.model.api import SUMMARY_FIELDS

    assert set(SUMMARY_FIELDS) <= set(ref.outputs)
    assert not {"status", "wall_s", "worker"} & set(runs.columns)
    assert runs["arm"].drop_duplicates().tolist() == ["frozen_line", "territory_first"]
    assert ref.info["simulate"] == SMALL and ref.info["question"]
    assert ref.manifest["environment"]["versions"]["dmzsim"].startswith("0.1.0")
    assert ref.manifest["config_hash"] == ref.info["config_hash"]
    assert "runs" not in ref.manifest  # the per-run rows live in runs.parquet
    for name in ("experiment.toml", "headline.md", "figure.png"):
        assert (folder / name).exists()
    assert (folder / "figure.png").stat().st_size < 150_000


def test_headline_comes_from_the_analysis_tables(project: Path) -> None:
    ref = Reference.load(project.parent / "reference" / "tiny", project)
    pd.testing.assert_frame_equal(ref.headline, headline_table(ref.runs, 150.0, ref.arms))
    risk = risk_table(ref.runs, ref.arms)
    assert ref.headline["p"].tolist() == risk["p"].tolist()
    assert ref.headline["p_lo"].tolist() == risk["lo"].tolist()


def test_publish_rewrites_the_readme_block(project: Path) -> None:
    readme = project.parent.parent / "README.md"
    block = current_block(readme)
    assert block == render_block(project.parent, readme.parent)
    assert "Does a tiny experiment reproduce?" in block
    assert "`dmzsim verify runs/tiny.toml`" in block
    assert "P(resumption within 150 days) [95% Wilson interval]: lowest " in block
    assert readme.read_text().endswith("more text\n")


def test_publish_refuses_results_of_another_config(project: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    toml = copy_project(project, tmp_path)
    toml.write_text(TINY.replace("decision_noise = 0.6", "decision_noise = 0.5"))
    results = project.parent.parent / "results" / "tiny"
    assert main(["publish", str(toml), "--from", str(results)]) == 2
    err = capsys.readouterr().err
    assert "another config" in err and "base.decision_noise: 0.6 -> 0.5" in err


# --- verify: the reference holds -------------------------------------------------------------
@pytest.mark.parametrize("mode", [["--quick"], []], ids=["quick", "full"])
def test_verify_passes_on_an_untouched_reference(project: Path, mode: list[str],
                                                 capsys: pytest.CaptureFixture) -> None:
    assert verify(project, *mode) == 0
    out = capsys.readouterr().out
    assert "tiny: OK: 24 runs reproduce the reference, bit-identical" in out
    assert "DIFFERS" not in out and "VERSIONS DIFFER" not in out
    if not mode:
        assert "headline table bit-identical" in out


def test_verify_quick_uses_the_runners_executors(project: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    assert main(["verify", str(project), "--quick", "--workers", "2", "--simulate", SMALL]) == 0
    assert "tiny: OK" in capsys.readouterr().out


# --- verify: a changed default ---------------------------------------------------------------
@pytest.fixture
def more_russian_recruits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The default of ru_recruits_per_month as the code sees it, raised from 35,000."""
    from dmzsim.model.params import Params

    field = Params.model_fields["ru_recruits_per_month"]
    monkeypatch.setattr(field, "default", 50_000.0)
    Params.model_rebuild(force=True)
    assert Params.build({}).ru_recruits_per_month == 50_000.0
    yield
    monkeypatch.undo()
    Params.model_rebuild(force=True)


@pytest.mark.parametrize("mode", [["--quick"], []], ids=["quick", "full"])
def test_verify_fails_when_a_parameter_default_changes(
        project: Path, mode: list[str], more_russian_recruits: None,
        capsys: pytest.CaptureFixture) -> None:
    assert verify(project, *mode, "--max-shown", "100") == 1
    out = capsys.readouterr().out
    assert "tiny: DIFFERS from the reference: 24 of 24 runs differ" in out
    assert "base.ru_recruits_per_month: 35000.0 -> 50000.0" in out
    ref = Reference.load(project.parent / "reference" / "tiny", project)
    row = ref.runs.to_dict("records")[0]
    assert "  ru_personnel_end: 24 runs differ" in out
    assert (f"    {row['run_id']} (arm {row['arm']}, point {row['point']}, replicate "
            f"{row['replicate']}): reference {row['ru_personnel_end']!r}, now ") in out
    assert "dmzsim publish" in out and "Changed results" in out
    if not mode:
        assert "headline table:" in out


@pytest.fixture
def new_output(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An output added after the reference was published (an entry and its computation),
    one the headline table shows too."""
    from dmzsim.model import outputs
    from dmzsim.model.processes import recording

    new = outputs.Output("dmz_sectors", "sectors of the demilitarized zone", "sectors",
                         cost=True, count=True,
                         headline=outputs.Headline("dmz_sectors", "DMZ sectors", 0))
    monkeypatch.setattr(outputs, "OUTPUTS", (*outputs.OUTPUTS, new))
    monkeypatch.setitem(recording.SUMMARY, new.name, lambda m, end: len(m.monitoring.sectors))
    yield new.name


@pytest.mark.parametrize("mode", [["--quick"], []], ids=["quick", "full"])
def test_a_new_output_is_a_note_not_a_failure(project: Path, mode: list[str], new_output: str,
                                              capsys: pytest.CaptureFixture) -> None:
    assert verify(project, *mode) == 0
    out = capsys.readouterr().out
    assert "tiny: OK: 24 runs reproduce the reference, bit-identical" in out
    assert f"tiny: note: outputs not in the reference, not compared: {new_output}" in out
    if not mode:
        assert "tiny: note: headline columns not in the reference, not compared: " \
               f"{new_output}, {new_output}_lo, {new_output}_hi" in out


def test_a_new_output_does_not_hide_a_changed_value(project: Path, new_output: str,
                                                    more_russian_recruits: None,
                                                    capsys: pytest.CaptureFixture) -> None:
    assert verify(project, "--quick") == 1
    out = capsys.readouterr().out
    assert "tiny: DIFFERS from the reference: 24 of 24 runs differ" in out
    assert f"note: outputs not in the reference, not compared: {new_output}" in out


def test_diff_csv_lists_every_difference(project: Path, tmp_path: Path,
                                         more_russian_recruits: None) -> None:
    csv = tmp_path / "diff.csv"
    assert verify(project, "--quick", "--diff-csv", str(csv)) == 1
    df = pd.read_csv(csv)
    assert set(df.columns) >= {"experiment", "run_id", "arm", "point", "replicate", "output",
                               "reference", "now", "delta"}
    assert (df["output"] == "ru_personnel_end").sum() == 24


# --- verify: each output compared by its kind -------------------------------------------------
def edit_reference(project: Path, dest: Path, edit) -> Path:
    """A copy of the project whose reference runs are ``edit(runs)``."""
    toml = copy_project(project, dest)
    path = toml.parent / "reference" / "tiny" / "runs.parquet"
    edit(runs := pd.read_parquet(path))
    runs.to_parquet(path)
    return toml


def ulps(x: float, n: int = 3) -> float:
    for _ in range(n):
        x = np.nextafter(x, math.inf)
    return float(x)


REAL = [o.name for o in outputs.of_kind("run") if not o.discrete]


@pytest.mark.parametrize("mode", [["--quick"], []], ids=["quick", "full"])
def test_reals_a_few_ulps_off_are_equal_within_the_tolerance(
        project: Path, tmp_path: Path, mode: list[str], capsys: pytest.CaptureFixture) -> None:
    """What another CPU, libm or BLAS build does to the last bits is no change of results."""
    def perturb(runs: pd.DataFrame) -> None:
        for name in REAL:
            runs[name] = [ulps(x) if math.isfinite(x) else x for x in runs[name]]

    toml = edit_reference(project, tmp_path, perturb)
    csv = tmp_path / "diff.csv"
    assert verify(toml, *mode, "--diff-csv", str(csv)) == 0
    out = capsys.readouterr().out
    assert "tiny: OK: 24 runs reproduce the reference, equal within 1e-9 (" in out
    assert "values differ by at most " in out and "relative" in out
    assert "every count, day, yes/no and category identical" in out
    assert "reproduce the reference, bit-identical" not in out and "DIFFERS" not in out
    finite = pd.read_parquet(toml.parent / "reference" / "tiny" / "runs.parquet")[REAL]
    df = pd.read_csv(csv)  # every value listed, all within the tolerance
    assert len(df) == np.isfinite(finite.to_numpy()).sum() and df["within_tolerance"].all()
    assert set(df["output"]) <= set(REAL)


def _first_with(runs: pd.DataFrame, name: str) -> int:
    return int(np.flatnonzero(runs[name].notna())[0])


def _count_plus_one(runs: pd.DataFrame) -> None:
    runs.loc[0, "towns_ceded"] += 1


def _day_one_ulp_off(runs: pd.DataFrame) -> None:
    i = _first_with(runs, "guarantees_in_force_day")
    runs.loc[i, "guarantees_in_force_day"] = ulps(runs.loc[i, "guarantees_in_force_day"], 1)


def _real_now_nan(runs: pd.DataFrame) -> None:
    runs.loc[0, "ru_losses"] = math.nan


@pytest.mark.parametrize(("edit", "output", "how"), [
    (_count_plus_one, "towns_ceded", "count: compared exactly"),
    (_day_one_ulp_off, "guarantees_in_force_day", "day: compared exactly"),
    (_real_now_nan, "ru_losses", "real: beyond 1e-9 relative"),
], ids=["count", "day", "nan"])
def test_a_changed_count_day_or_nan_differs(project: Path, tmp_path: Path, edit, output: str,
                                            how: str, capsys: pytest.CaptureFixture) -> None:
    toml = edit_reference(project, tmp_path, edit)
    assert verify(toml, "--quick") == 1
    out = capsys.readouterr().out
    assert f"tiny: DIFFERS from the reference: 1 of 24 runs differ in 1 outputs ({output})" \
        in out
    assert f"  {output}: 1 runs differ ({how})" in out


def test_one_rule_compares_values_by_kind() -> None:
    assert exact_column("run_id") and exact_column("seed") and exact_column("resumed")
    assert exact_column("belt_towns_lost") and exact_column("day_resumed")
    assert exact_column("decided_by") and exact_column("attack_sector")
    assert not exact_column("ratio_at_attack") and not exact_column("value_at_resumption")
    x = 333.3260194212917
    assert agreement(x, x, exact=False) == "identical"
    assert agreement(x, 333.32601942129145, exact=False) == "within"  # measured on a Xeon
    assert agreement(x, 333.32601942129145, exact=True) == "differs"
    assert agreement(x, x * (1 + 2e-9), exact=False) == "differs"
    assert agreement(0.0, 1e-15, exact=False) == "within"  # near 0: absolute
    assert agreement(0.0, 1e-9, exact=False) == "differs"
    assert agreement(math.nan, math.nan, exact=False) == "identical"
    assert agreement(math.nan, 1.0, exact=False) == "differs"
    assert agreement(1.0, math.nan, exact=False) == "differs"
    assert agreement(math.inf, math.inf, exact=False) == "identical"
    assert agreement(math.inf, 1e308, exact=False) == "differs"
    assert agreement(1, 1.0, exact=True) == "identical"
    found = compare_records({"ratio_at_attack": x, "towns_lost": 3, "decided_by": "odds",
                             "day_resumed": 40.0},
                            {"ratio_at_attack": ulps(x), "towns_lost": 4,
                             "decided_by": "gain"})
    assert [(d.name, d.within) for d in found] == [
        ("ratio_at_attack", True), ("towns_lost", False), ("decided_by", False),
        ("day_resumed", False)]  # day_resumed is absent now


# --- verify: versions, missing references ----------------------------------------------------
def test_verify_reports_other_versions_and_strict_fails(project: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture
                                                        ) -> None:
    toml = copy_project(project, tmp_path)
    path = toml.parent / "reference" / "tiny" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["environment"]["versions"]["numpy"] = "1.26.0"
    manifest["environment"]["versions"]["dmzsim"] = "0.0.9"
    path.write_text(json.dumps(manifest))
    assert verify(toml, "--quick") == 0
    out = capsys.readouterr().out
    assert "VERSIONS DIFFER" in out
    assert "dmzsim 0.0.9 (reference) vs 0.1.0 (now)" in out
    assert "numpy 1.26.0 (reference) vs" in out and "tiny: OK" in out
    assert verify(toml, "--quick", "--strict-versions") == 1
    assert "--strict-versions" in capsys.readouterr().out


def test_a_missing_reference_is_a_clear_error(tmp_path: Path,
                                              capsys: pytest.CaptureFixture) -> None:
    toml = write_project(tmp_path)
    assert verify(toml, "--quick") == 2
    err = capsys.readouterr().err
    assert f"no reference at {toml.parent / 'reference' / 'tiny'}/" in err
    assert f"dmzsim publish {toml}" in err


def test_several_files_are_all_checked(project: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture) -> None:
    unpublished = write_project(tmp_path)
    assert main(["verify", str(unpublished), str(project), "--quick", "--serial",
                 "--simulate", SMALL]) == 2
    captured = capsys.readouterr()
    assert "no reference" in captured.err
    assert "tiny: OK" in captured.out and "verified 1 of 2 experiments" in captured.out


def test_verify_imports_only_a_simulate_function_named_on_the_command_line(
        project: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["verify", str(project), "--quick", "--serial", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"simulate function {SMALL!r}" in err and f"add --simulate {SMALL}" in err


# --- the quick subset ------------------------------------------------------------------------
def _runs(arms: int, points: int, reps: int) -> pd.DataFrame:
    rows = [{"run_id": f"a{a}.p{p}.r{r}", "arm": f"a{a}", "point": p, "replicate": r}
            for a in range(arms) for p in range(points) for r in range(reps)]
    return pd.DataFrame(rows)


def test_quick_subset_covers_every_arm_within_the_budget() -> None:
    runs = _runs(10, 1, 200)  # sequencing's shape
    sub = quick_subset(runs, [f"a{a}" for a in range(10)])
    assert len(sub) == 50 and sub.groupby("arm").size().tolist() == [5] * 10
    assert sub.groupby("arm")["replicate"].apply(tuple).nunique() == 1  # paired seeds
    assert sub[sub.arm == "a0"]["replicate"].tolist() == [0, 40, 80, 120, 160]
    grid = quick_subset(_runs(2, 25, 60), ["a0", "a1"])  # dmz_design's shape
    assert len(grid) == 50 and grid["point"].nunique() == 25
    assert len(quick_subset(_runs(1, 3584, 2), ["a0"])) == 50
    assert len(quick_subset(_runs(3, 30, 40), ["a0", "a1", "a2"])) == 48
    assert len(quick_subset(_runs(3, 2, 3), ["a0", "a1", "a2"])) == 18  # all of a small one
    assert quick_subset(runs, ["a0"]).equals(quick_subset(runs, ["a0"]))


def test_quick_subset_has_a_resumption_in_every_arm_that_has_one() -> None:
    runs = _runs(2, 25, 20)  # dmz_design's shape; a0 resumed twice, off the even picks
    runs["resumed"] = runs["run_id"].isin(["a0.p4.r3", "a0.p17.r9"])
    sub = quick_subset(runs, ["a0", "a1"])
    assert len(sub) == 50 and sub["point"].nunique() == 25  # every point still covered
    picks = sub[sub.arm == "a0"]["run_id"].tolist()
    assert "a0.p4.r3" in picks and "a0.p4.r0" not in picks and "a0.p17.r9" not in picks
    assert not sub[sub.arm == "a1"]["resumed"].any()  # no resumption to take
    assert sub.equals(quick_subset(runs, ["a0", "a1"]))


def test_the_committed_quick_subsets_resume_in_every_arm_that_can() -> None:
    for toml in sorted((ROOT / "runs").glob("*.toml")):
        folder = ROOT / "runs" / "reference" / toml.stem
        if not folder.exists():
            continue
        ref = Reference.load(folder, toml)
        sub = quick_subset(ref.runs, ref.arms)
        assert len(sub) <= 50, toml.stem
        can = ref.runs.groupby("arm")["resumed"].any()
        does = sub.groupby("arm")["resumed"].any()
        assert does.reindex(can.index, fill_value=False).equals(can), toml.stem
        resumed = sub[sub["resumed"] & sub["day_resumed"].gt(0)]  # by Russia's decision
        assert resumed["ratio_at_attack"].notna().all(), toml.stem


# --- the README of this repository -----------------------------------------------------------
def test_readme_block_matches_the_committed_references() -> None:
    """Regenerate with: dmzsim publish --readme-only."""
    block = current_block(ROOT / "README.md")
    assert block is not None, "README.md lacks the published block markers"
    assert block == render_block(ROOT / "runs", ROOT)


def test_committed_references_are_consistent() -> None:
    """Each committed reference's headline (and a robust study's robustness table) is the
    one of its own runs, in every column the reference has (a headline column added since
    it was published is new, not a difference, as ``dmzsim verify`` takes it; publishing
    again adds it)."""
    for toml in sorted((ROOT / "runs").glob("*.toml")):
        folder = ROOT / "runs" / "reference" / toml.stem
        if not folder.exists():
            continue
        ref = Reference.load(folder, toml)
        now = headline_table(ref.runs, ref.horizon, ref.arms)
        written = read_headline(folder)
        assert set(written.columns) <= set(now.columns), toml.name
        pd.testing.assert_frame_equal(written, now[written.columns])
        if ref.robustness is not None:  # a robust study's table, from its own runs too
            table = robustness_of(experiment.load(toml), ref.runs)
            pd.testing.assert_frame_equal(ref.robustness, table[ref.robustness.columns])


def test_a_question_cannot_break_the_readme_block(tmp_path: Path) -> None:
    config = {**tiny_config(), "question": f"Two lines\n{END} <b>| and more"}
    (tmp_path / "tiny.toml").write_text(tomlout.dumps(config))
    block = render_block(tmp_path, tmp_path)
    assert block.count(END) == 1 and block.endswith(END)
    assert "Two lines &lt;!-- published:end --&gt; &lt;b&gt;\\| and more" in block
    assert len(block.splitlines()) == 5  # start marker, header, rule, one row, end marker


def test_parameters_added_since_a_reference_at_their_defaults_are_a_note_not_a_change(
        tmp_path):
    """A parameter the model gained after a reference was published, left at its
    default, does not change what the reference means: verify names it, no more."""
    import tomllib

    from dmzsim.analysis.results_layout import ResultsLayout

    exp = experiment.load(ROOT / "runs" / "dmz_design.toml")
    resolved = dict(exp.resolved)
    saved = {k: v for k, v in resolved["base"].items()
             if k not in ("aims_growth", "warning_model", "dmz_width_km")}
    saved["dmz_width_km"] = resolved["base"]["dmz_width_km"] + 1.0
    (tmp_path / ResultsLayout(tmp_path).config.name).write_text(
        tomlout.dumps({**resolved, "base": saved}))
    assert tomllib.loads(ResultsLayout(tmp_path).config.read_text())["base"] == saved
    assert sorted(exp.added_since(tmp_path)) == ["aims_growth", "warning_model"]
    assert len(exp.changes_since(tmp_path)) == 3  # the two added, and the width
    changes = exp.changes_since(tmp_path, ignore=exp.added_since(tmp_path))
    assert len(changes) == 1 and changes[0].startswith("base.dmz_width_km:")
