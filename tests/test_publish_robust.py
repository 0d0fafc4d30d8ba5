"""Publishing and verifying a robust-decision study like any experiment.

A tiny study (three policies x six worlds x four replicates, the fake model) is published
once per module into a temporary ``runs/`` folder beside an ordinary experiment file;
tests that alter its reference work on a copy. The fake model is instant, so the whole
publish-and-verify round trip takes seconds.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from dmzsim.analysis.robust_headline import KEY, robust_sentence, winners
from dmzsim.runs import experiment
from dmzsim.runs.cli import main
from dmzsim.runs.experiment import tomlout
from dmzsim.runs.publish.readme import END, START, current_block, render_block
from dmzsim.runs.publish.reference import Reference, read_robustness, robustness_of
from dmzsim.runs.publish.verify import quick_subset

from tests.fake_model import tiny_config

FAKE = "tests.fake_model:simulate"
STUDY = {
    "name": "robust_tiny", "question": "Which order of the deal is safest across beliefs?",
    "root_seed": 5, "horizon_days": 800, "replicates": 4,
    "levers": {"policies": {"tf": {"sequencing": "territory_first"},
                            "gf": {"sequencing": "guarantees_first"},
                            "sim": {"sequencing": "simultaneous"}}},
    "uncertainties": {"sampler": "lhs", "samples": 6, "parameters": {
        "guarantee_credibility": {"min": 0.0, "max": 0.9},
        "beyond_aims_value": [0.0, 0.25, 1.0]}},
    "robustness": {"thresholds": ["p_resumption <= 0.3"],
                   "rank_by": ["p_resumption", "territory_lost_km2"]},
    "quick": {"arms": ["tf", "gf"], "samples": 3, "replicates": 2},
}


def write_project(root: Path) -> Path:
    """runs/ with the robust study and an ordinary experiment, and a README block."""
    (root / "runs").mkdir(parents=True)
    (root / "runs" / "robust_tiny.toml").write_text(tomlout.dumps(STUDY))
    (root / "runs" / "tiny.toml").write_text(tomlout.dumps(tiny_config()))
    (root / "README.md").write_text(f"# project\n\n{START}\n{END}\n")
    return root / "runs" / "robust_tiny.toml"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The published study; returns its TOML path (do not modify: copy first)."""
    root = tmp_path_factory.mktemp("robust_project")
    toml = write_project(root)
    assert main(["publish", str(toml), "--serial", "--simulate", FAKE, "--no-progress",
                 "--out", str(root / "results")]) == 0
    return toml


def verify(toml: Path, *extra: str) -> int:
    return main(["verify", str(toml), "--serial", "--no-progress", "--simulate", FAKE, *extra])


def test_publish_writes_the_robustness_table_and_the_flip_map(project: Path) -> None:
    folder = project.parent / "reference" / "robust_tiny"
    ref = Reference.load(folder, project)
    assert len(ref.runs) == 3 * 6 * 4 and ref.arms == ["tf", "gf", "sim"]
    table = ref.robustness
    assert table is not None
    assert table[KEY].tolist() == [f"{m} | {p}" for m in ("p_resumption", "territory_lost_km2")
                                   for p in ("tf", "gf", "sim")]
    for col in ("mean", "mean_lo", "mean_hi", "worst", "regret1", "regret2", "satisficing",
                "failing_distance"):
        assert col in table, col
    exp = experiment.load(project)
    pd.testing.assert_frame_equal(table, robustness_of(exp, ref.runs))  # every digit
    page = (folder / "headline.md").read_text()
    assert "Robustness by P(resumption)" in page and "Most robust: " in page
    assert (folder / "figure.png").exists() and (folder / "figure.pdf").exists()


def test_the_readme_row_names_the_most_robust_policies(project: Path) -> None:
    readme = project.parent.parent / "README.md"
    block = current_block(readme)
    assert block == render_block(project.parent, readme.parent)
    row = next(line for line in block.splitlines() if "`robust_tiny`" in line)
    table = read_robustness(project.parent / "reference" / "robust_tiny" / "robustness.csv")
    best = winners(table, "p_resumption")
    assert best["measure"].tolist() == ["mean", "worst", "regret1", "regret2", "satisficing"]
    assert robust_sentence(table, 72, 800.0) in row
    assert "most robust policy over the worlds (within 800 days) by P(resumption): " in row
    assert "3 policies, 72 runs" in row
    assert "`tiny`" in block and "not published yet: `dmzsim publish runs/tiny.toml`" in block


@pytest.mark.parametrize("mode", [["--quick"], []], ids=["quick", "full"])
def test_verify_passes_on_an_untouched_reference(project: Path, mode: list[str],
                                                 capsys: pytest.CaptureFixture) -> None:
    assert verify(project, *mode) == 0
    out = capsys.readouterr().out
    assert "DIFFERS" not in out
    if mode:
        assert "robust_tiny: OK: 48 runs reproduce the reference, bit-identical" in out
    else:
        assert "robust_tiny: OK: 72 runs reproduce the reference, bit-identical" in out
        assert "headline and robustness tables bit-identical" in out


def test_the_quick_subset_is_every_policy_on_the_same_worlds_and_seeds(project: Path) -> None:
    """Every policy gets the same (world, replicate) pairs, spread over the worlds, bar
    one swapped for a resumed run where its picks have none."""
    ref = Reference.load(project.parent / "reference" / "robust_tiny", project)
    sub = quick_subset(ref.runs, ref.arms)
    assert len(sub) == 48 and sub.groupby("arm").size().tolist() == [16, 16, 16]
    pairs = sorted({(p, r) for p in range(6) for r in range(4)})
    even = {pairs[i * 24 // 16] for i in range(16)}
    for arm, grp in sub.groupby("arm"):
        picked = set(zip(grp["point"], grp["replicate"], strict=True))
        assert len(picked ^ even) <= 2, arm
    assert sub["point"].nunique() == 6  # every world


def _copy(project: Path, dest: Path) -> Path:
    shutil.copytree(project.parent.parent, dest / "copy")
    return dest / "copy" / "runs" / "robust_tiny.toml"


def test_a_changed_robustness_number_differs_in_full_mode(project: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture
                                                         ) -> None:
    toml = _copy(project, tmp_path)
    path = toml.parent / "reference" / "robust_tiny" / "robustness.csv"
    table = read_robustness(path)
    table.loc[0, "regret2"] += 0.01
    path.write_text(table.to_csv(index=False, lineterminator="\n"))
    assert verify(toml, "--quick") == 0  # the runs still reproduce
    assert verify(toml) == 1
    out = capsys.readouterr().out
    assert "robust_tiny: DIFFERS from the reference: 1 headline numbers differ" in out
    assert "regret2 of p_resumption | tf: reference " in out


def test_a_robust_reference_without_its_table_is_incomplete(project: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture
                                                            ) -> None:
    toml = _copy(project, tmp_path)
    (toml.parent / "reference" / "robust_tiny" / "robustness.csv").unlink()
    assert verify(toml, "--quick") == 2
    err = capsys.readouterr().err
    assert "incomplete reference" in err and "robustness.csv" in err
    assert f"dmzsim publish {toml}" in err


# --- [quick]: a subset of policies x worlds x replicates --------------------------------------
def test_quick_is_a_subset_of_policies_worlds_and_replicates(tmp_path: Path) -> None:
    full = experiment.from_dict(STUDY)
    quick = experiment.from_dict(STUDY, quick=True)
    assert full.arm_names == ["tf", "gf", "sim"] and len(full.spec.design.rows) == 6
    assert quick.name == "robust_tiny_quick" and quick.arm_names == ["tf", "gf"]
    assert len(quick.spec.design.rows) == 3 and quick.spec.replicates == 2
    again = experiment.from_dict(tomllib.loads(quick.to_toml()))  # its resolved config
    assert again.config_hash == quick.config_hash and again.arm_names == ["tf", "gf"]


def test_quick_keeps_named_policies_of_a_lever_grid() -> None:
    grid = {**STUDY, "levers": {"grid": {"sequencing": ["territory_first", "simultaneous"],
                                         "dmz_width_km": [5.0, 10.0]}},
            "quick": {"arms": ["simultaneous-10p0"]}}
    quick = experiment.from_dict(grid, quick=True)
    assert quick.arm_names == ["simultaneous-10p0"]
    assert quick.arm_overrides("simultaneous-10p0") == {"sequencing": "simultaneous",
                                                        "dmz_width_km": 10.0}
    again = experiment.from_dict(tomllib.loads(quick.to_toml()))
    assert again.config_hash == quick.config_hash


# --- the study to publish ----------------------------------------------------------------------
def test_the_robust_agreement_study_is_sized_as_documented() -> None:
    """runs/robust_agreement.toml: 8 policies x 25 worlds x 12 replicates, every
    aims scenario of the default map in five worlds, its baseline world the flagship's
    aims; its [quick] 8 x 10 x 4; --quick verify takes 6 runs a policy."""
    from dmzsim.runs.experiment.checks import design_size

    from tests.helpers import ROOT

    path = ROOT / "runs" / "robust_agreement.toml"
    exp, quick = experiment.load(path), experiment.load(path, quick=True)
    assert len(exp.arm_names) * design_size(exp.spec) * exp.spec.replicates == 2400
    assert len(quick.arm_names) * design_size(quick.spec) * quick.spec.replicates == 320
    worlds = pd.DataFrame(exp.spec.design.rows)
    assert worlds["aims_scenario"].value_counts().to_dict() == dict.fromkeys(
        ["oblast", "donetsk", "donetsk_only", "claimed_oblasts", "maximal"], 5)
    assert worlds.loc[exp.spec.robustness.baseline_world, "aims_scenario"] == "claimed_oblasts"
    assert exp.resolved["horizon_days"] == 1825
    assert len(exp.arm_names) <= 9  # one tab10 colour (not its grey) each in the flip map
