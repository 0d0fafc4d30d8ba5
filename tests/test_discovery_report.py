"""The report's scenario-discovery section on a small sampled design (the instant fake
model): the PRIM box, the coverage/density trade-off, box 1 in detail and a pairs plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from dmzsim.analysis.loader import load_experiment
from dmzsim.analysis.report import design, discovery
from dmzsim.analysis.report.context import ReportContext
from dmzsim.analysis.report.document import Doc, render_markdown
from PIL import Image

from tests.helpers import run_config


def write_sections(folder: Path, *sections: Any) -> str:
    """Only the named report sections, as Markdown (the whole report takes longer)."""
    ctx = ReportContext(load_experiment(folder))
    doc = Doc()
    for section in sections:
        section(doc, ctx)
    return render_markdown(doc)


def simulate_corner(params: Any, seed: int, **kwargs: Any) -> Any:
    """The fake model, made to resume where credibility < 0.4 and delay > 100 days."""
    from tests import fake_model

    result = fake_model.simulate(params, seed, **kwargs)
    resumed = params.guarantee_credibility < 0.4 and params.guarantee_delay_days > 100
    result.summary.update(resumed=resumed, day_resumed=50.0 if resumed else np.nan)
    return result


@pytest.fixture(scope="module")
def lhs_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    config = {
        "name": "corner", "root_seed": 3, "horizon_days": 100, "replicates": 1,
        "base": {"sequencing": "territory_first"},
        "design": {"method": "lhs", "samples": 200, "parameters": {
            "guarantee_credibility": {"min": 0.0, "max": 1.0},
            "guarantee_delay_days": {"min": 0, "max": 365},
            "guarantee_delivery_prob": {"min": 0.2, "max": 1.0}}},
    }
    folder = run_config(config, tmp_path_factory.mktemp("lhs"), simulate_corner)
    return folder, write_sections(folder, discovery.discovery, discovery.feature_scoring)


def test_lhs_design_gets_a_box_a_tradeoff_an_inspection_and_a_pairs_plot(
        lhs_report: tuple[Path, str]) -> None:
    folder, md = lhs_report
    part = md.split("## Scenario discovery: where regrouping risk is high")[1].split(
        "\n## ")[0]
    assert "Box 1: guarantee_credibility <= 0.3" in part
    assert "and guarantee_delay_days >= 10" in part
    assert "figures/prim_tradeoff.png" in part and "figures/pairs.png" in part
    rows = {r.split(" | ")[0].strip("| "): r for r in part.splitlines()
            if r.startswith("| guarantee")}
    assert set(rows) == {"guarantee_credibility", "guarantee_delay_days"}
    assert "| qp_lower | qp_upper |" in part
    for rel in ("figures/prim_tradeoff.png", "figures/pairs.png"):
        info = Image.open(folder / rel).info
        assert "config_hash=" in info["Description"]


def test_no_box_is_listed_when_none_beats_the_base_rate(tmp_path: Path) -> None:
    """Outcomes that do not depend on the parameters: no box, said in words, and the
    trade-off and pairs figures are still drawn."""
    def simulate_coin(params: Any, seed: int, **kwargs: Any) -> Any:
        from tests import fake_model

        result = fake_model.simulate(params, seed, **kwargs)
        resumed = bool(np.random.default_rng(seed).random() < 0.3)
        result.summary.update(resumed=resumed, day_resumed=50.0 if resumed else np.nan)
        return result

    config = {
        "name": "coin", "root_seed": 8, "horizon_days": 100, "replicates": 1,
        "base": {"sequencing": "territory_first"},
        "design": {"method": "lhs", "samples": 200, "parameters": {
            "guarantee_credibility": {"min": 0.0, "max": 1.0},
            "guarantee_delay_days": {"min": 0, "max": 365}}},
    }
    md = write_sections(run_config(config, tmp_path, simulate_coin), discovery.discovery)
    part = md.split("## Scenario discovery: where regrouping risk is high")[1]
    assert "Box 1" not in part and "no box is listed" in part
    assert "figures/prim_tradeoff.png" in part and "figures/pairs.png" in part


def test_feature_scores_rank_the_drivers_first(lhs_report: tuple[Path, str]) -> None:
    _, md = lhs_report
    part = md.split("## Feature scores: which parameters tell whether the offensive "
                    "resumes")[1].split("\n## ")[0]
    rows = [r for r in part.splitlines() if r.startswith("| guarantee")]
    assert [r.split(" | ")[0] for r in rows[:2]] == ["| guarantee_credibility",
                                                     "| guarantee_delay_days"]
    assert ("| name | extra trees | p (univariate) | F |" in part
            or "needs scikit-learn, which is not installed" in part)


def simulate_costly(params: Any, seed: int, **kwargs: Any) -> Any:
    """The fake model: resumes where credibility < 0.4; territory lost grows with the
    delay of the guarantees alone."""
    from tests import fake_model

    result = fake_model.simulate(params, seed, **kwargs)
    resumed = params.guarantee_credibility < 0.4
    result.summary.update(resumed=resumed, day_resumed=50.0 if resumed else np.nan,
                          territory_lost_km2=2.0 * params.guarantee_delay_days)
    return result


def test_sobol_on_a_numeric_output_named_in_the_experiment(tmp_path: Path) -> None:
    config = {
        "name": "costs", "root_seed": 9, "horizon_days": 100, "replicates": 1,
        "base": {"sequencing": "territory_first"},
        "design": {"method": "sobol", "samples": 256, "parameters": {
            "guarantee_credibility": {"min": 0.0, "max": 1.0},
            "guarantee_delay_days": {"min": 0, "max": 365}}},
        "analysis": {"sensitivity": ["resumed", "territory_lost_km2"]},
    }
    folder = run_config(config, tmp_path, simulate_costly)
    md = write_sections(folder, design.sensitivity)
    assert "## Sensitivity of P(resumption)\n" in md  # N = 256: enough for a linear cost
    head = "## Sensitivity of mean territory lost after resumption (km²)"
    part = md.split(head)[1].split("\n## ")[0]
    assert "figures/sobol_territory_lost_km2.png" in part
    rows = [r for r in part.splitlines() if r.startswith("| guarantee")]
    assert rows[0].startswith("| guarantee_delay_days |")  # ranked first by ST
    assert rows[1] == "| guarantee_credibility | 0.000 | 0.000 | 0.000 | 0.000 | 0.000 |"
    assert (folder / "figures" / "sobol_territory_lost_km2.png").exists()


def test_feature_scores_of_every_output_named(tmp_path: Path) -> None:
    """With [analysis] naming a numeric output, the extra-trees scores get a column for
    it, where the delay (which alone drives it) ranks first."""
    pytest.importorskip("sklearn")
    config = {
        "name": "costs", "root_seed": 2, "horizon_days": 100, "replicates": 1,
        "base": {"sequencing": "territory_first"},
        "design": {"method": "lhs", "samples": 120, "parameters": {
            "guarantee_credibility": {"min": 0.0, "max": 1.0},
            "guarantee_delay_days": {"min": 0, "max": 365}}},
        "analysis": {"sensitivity": ["resumed", "territory_lost_km2"]},
    }
    md = write_sections(run_config(config, tmp_path, simulate_costly), discovery.feature_scoring)
    by_output = md.split("| name | resumed | territory_lost_km2 |")[1]
    row = next(r for r in by_output.splitlines() if r.startswith("| guarantee_delay_days"))
    resumed, lost = (float(v) for v in row.strip("| ").split(" | ")[1:3])
    assert lost > 0.8 > 0.2 > resumed
