"""Per-arm tables on hand-made summaries, and the report on small real experiment folders.

The real folders are written by the runner (``runs.sweep.run_experiment``, serial) with
the real model on the small synthetic map, and with the instant fake model for a Sobol'
design, then reported on exactly as ``dmzsim report`` would.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from dmzsim.analysis.loader import load_experiment
from dmzsim.analysis.report.build import write_report
from dmzsim.analysis.report.key_figure import key_figure
from dmzsim.analysis.tables import (
    arm_label,
    outcome_differences,
    resumption_by,
    risk_by,
    risk_differences,
    risk_table,
    survival_curves,
    with_derived,
)
from dmzsim.runs.cli import main
from PIL import Image

from tests.helpers import run_config, simulate_small


# --- tables on a hand-made summary ------------------------------------------------------------
def _summary() -> pd.DataFrame:
    """Two arms x 6 replicates; pairs: (1,1) x2, (1,0) x1, (0,1) x2, (0,0) x1."""
    a = [True, True, True, False, False, False]
    b = [True, True, False, True, True, False]
    rows = []
    for arm, res in (("territory_first", a), ("guarantees_first", b)):
        for rep, r in enumerate(res):
            rows.append({"arm": arm, "point": 0, "replicate": rep, "resumed": r,
                         "day_resumed": 100.0 + rep if r else np.nan,
                         "territory_lost_km2": 50.0 * r + rep})
    return pd.DataFrame(rows)


def test_risk_table_and_paired_differences() -> None:
    s = _summary()
    risk = risk_table(s).set_index("arm")
    assert risk.loc["territory_first", "p"] == 0.5 and risk.loc["guarantees_first", "p"] == 4 / 6
    d = risk_differences(s, baseline="territory_first").iloc[0]
    assert (d["both"], d["only_arm"], d["only_baseline"], d["neither"]) == (2, 2, 1, 1)
    assert d["diff"] == pytest.approx(1 / 6)
    assert d["lo"] < d["diff"] < d["hi"]


def test_pairs_match_on_point_and_replicate_not_row_order() -> None:
    """Shuffling rows must not change a paired difference."""
    s = _summary()
    shuffled = s.sample(frac=1.0, random_state=3)
    a = outcome_differences(s, "territory_first", 730.0)
    b = outcome_differences(shuffled, "territory_first", 730.0)
    pd.testing.assert_frame_equal(a, b)
    terr = a.set_index("outcome").loc["territory_lost_km2"]
    assert terr["diff"] == pytest.approx((4 * 50 - 3 * 50) / 6)


def test_ceasefire_days_and_survival() -> None:
    s = with_derived(_summary(), 730.0)
    tf = s[s["arm"] == "territory_first"]["ceasefire_days"].tolist()
    assert tf == [100, 101, 102, 730, 730, 730]
    km = survival_curves(s, 730.0)["territory_first"]
    assert km.rmst().estimate == pytest.approx(np.mean(tf))  # only censoring is at H
    assert km.at(729) == pytest.approx(0.5)


def test_resumption_by_day_reads_the_survival_curve() -> None:
    """10 runs resume on days 30, 100, 180, 200 and 365, 5 never (H = 730). By day 180:
    3 of 10 (day 180 itself counts); by day 365: 5 of 10. No run is censored before the
    horizon, so each is a share of the 10 runs with its Wilson interval, as P(resumption)
    by the horizon has it: 3 of 10 gives (0.1078, 0.6032), 5 of 10 (0.2366, 0.7634)."""
    days = [30.0, 100.0, 180.0, 200.0, 365.0] + [np.nan] * 5
    s = pd.DataFrame({"arm": "a", "point": 0, "replicate": range(10),
                      "resumed": [not np.isnan(d) for d in days], "day_resumed": days})
    table = resumption_by(survival_curves(s, 730.0), [180.0, 365.0]).set_index("day")
    assert table["p"].tolist() == pytest.approx([0.3, 0.5])
    assert table["resumed"].tolist() == [3, 5]
    assert table.loc[180.0, ["lo", "hi"]].tolist() == pytest.approx([0.1078, 0.6032], abs=1e-4)
    assert table.loc[365.0, ["lo", "hi"]].tolist() == pytest.approx([0.2366, 0.7634], abs=1e-4)
    assert table["runs"].tolist() == [10, 10]
    # only days before the horizon: P by the horizon itself is risk_table's
    short = resumption_by(survival_curves(s, 365.0), [180.0, 365.0])
    assert short["day"].tolist() == [180.0]


def test_a_share_after_an_early_censoring_reads_the_log_log_band() -> None:
    """Where runs were censored before day t, 1 - S(t) is no plain share: its interval is
    1 - the log-log band; up to the first censoring it is the Wilson interval, also for
    0 events (no 0.000 [0.000–0.000])."""
    from dmzsim.analysis.estimators import kaplan_meier, wilson

    km = kaplan_meier(np.array([30.0, 100.0, 150.0, 180.0, 200.0, 365.0]),
                      np.array([True, True, False, True, True, True]), horizon=730.0)
    assert km.first_censored == 150.0
    assert km.share_by(100.0) == wilson(2, 6)
    band = km.band_at(180.0)
    assert km.share_by(180.0) == pytest.approx((1 - band.estimate, 1 - band.hi, 1 - band.lo))
    none = kaplan_meier(np.full(20, 730.0), np.zeros(20, bool), horizon=730.0).share_by(365.0)
    assert none.estimate == 0.0 and none.hi == pytest.approx(0.1611, abs=1e-4)


def test_risk_by_and_labels() -> None:
    s = _summary().assign(credibility=[0.1, 0.1, 0.1, 0.9, 0.9, 0.9] * 2)
    df = risk_by(s, ["credibility"], arm="territory_first")
    assert df["p"].tolist() == [1.0, 0.0] and df["runs"].tolist() == [3, 3]
    assert arm_label("territory_first-unilateral") == "Territory first (unilateral)"
    assert arm_label("no_deal") == "No deal"


# --- a real experiment folder -------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = {
        "name": "small", "description": "two arms on the synthetic map", "root_seed": 5,
        "horizon_days": 200, "replicates": 4, "baseline_arm": "frozen_line",
        "base": {"readiness_recovery_days": 30.0, "concentration_days": 7,
                 "decision_noise": 0.6, "guarantee_delay_days": 30},
        "arms": {"frozen_line": {"sequencing": "frozen_line"},
                 "guarantees_first": {"sequencing": "guarantees_first"}},
        "design": {"method": "grid", "parameters": {
            "breakthrough_ratio": [1.5, 4.0], "guarantee_credibility": [0.0, 0.9]}},
        "outputs": {"series_every": 10},
    }
    return run_config(config, tmp_path_factory.mktemp("exp"), simulate_small)


def test_report_on_real_folder(small_folder: Path) -> None:
    md_path = write_report(small_folder)
    md = md_path.read_text()
    html = (small_folder / "report.html").read_text()
    exp = load_experiment(small_folder)
    s = exp.summary
    # the headline for the baseline carries the same numbers as the data
    p = s.loc[s["arm"] == "frozen_line", "resumed"].mean()
    line = next(x for x in md.splitlines() if x.startswith("- **Frozen line**"))
    assert f"P(offensive resumes within 200 days) = {p:.2f} (95% CI " in line
    assert re.search(r"\*\*Guarantees first\*\* vs Frozen line: P\(resumption\) "
                     r"(\d\.\d\d (higher|lower)|not clearly different)", md)
    assert "paired over 16 runs with the same seeds" in md
    for section in ("## Headline comparisons", "## Time to resumption", "## Risk by swept "
                    "parameter", "## Force ratio over time", "## Scenario discovery",
                    "## Manifest"):
        assert section in md
    assert exp.manifest["config_hash"] in md
    assert "<h2>Headline comparisons</h2>" in html and "<strong>Frozen line</strong>" in html
    # every figure referenced exists, and carries the stamp in its metadata
    figs = re.findall(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)", md)
    assert {"figures/survival.png", "figures/p_resumed_by_arm.png",
            "figures/heatmap_frozen_line.png", "figures/fan_ratio.png"} <= set(figs)
    for rel in figs:
        assert f'src="{rel}"' in html
        info = Image.open(small_folder / rel).info
        assert exp.manifest["config_hash"] in info["Description"]


def test_report_risk_by_day_before_the_horizon(small_folder: Path) -> None:
    """Horizon 200: the risk section gives P by day 180 (not 365), the share of runs
    resumed by then."""
    md = write_report(small_folder).read_text()
    risk = md.split("## Risk of resumption within 200 days")[1].split("\n## ")[0]
    assert "### Resumption by day 180\n" in risk and "by day 365" not in risk
    s = load_experiment(small_folder).summary
    base = s[s["arm"] == "frozen_line"]
    p = (base["resumed"].astype(bool) & (base["day_resumed"] <= 180)).mean()
    by_day = risk.split("### Resumption by day 180")[1]
    row = next(x for x in by_day.splitlines() if x.startswith("| Frozen line |"))
    cells = row.split(" | ")
    assert cells[1] == "16" and cells[2] == f"{round(p * 16)}"  # runs, resumed by day 180
    assert cells[3].startswith(f"{p:.3f} [")


def test_report_map_when_offensives_resumed(small_folder: Path) -> None:
    exp = load_experiment(small_folder)
    write_report(small_folder)
    has_attacks = exp.summary["attack_lat"].notna().any()
    assert has_attacks  # the design includes a low breakthrough ratio with no guarantor
    assert (small_folder / "figures" / "attack_map.png").exists()


def test_report_cli(small_folder: Path, capsys: pytest.CaptureFixture[str],
                    tmp_path: Path) -> None:
    assert main(["report", str(small_folder)]) == 0
    assert "report.md" in capsys.readouterr().out
    assert main(["report", str(tmp_path)]) == 2
    assert "not an experiment folder" in capsys.readouterr().err


def simulate_step(params: Any, seed: int, **kwargs: Any) -> Any:
    """The instant fake model, made to resume exactly when credibility is below 0.4."""
    from tests import fake_model

    result = fake_model.simulate(params, seed, **kwargs)
    resumed = params.guarantee_credibility < 0.4
    result.summary.update(resumed=resumed, day_resumed=50.0 if resumed else np.nan)
    return result


def test_report_sobol_design(tmp_path: Path) -> None:
    """A Sobol' design too small for its indices (N = 16: ST 1.17 ± 0.49): the report
    says so and shows no index; P by bin puts the one parameter that matters first (all
    runs below 0.4 resume, none above); the high-risk box is described in words."""
    config = {
        "name": "sens", "root_seed": 9, "horizon_days": 100, "replicates": 2,
        "base": {"sequencing": "territory_first"},
        "design": {"method": "sobol", "samples": 16, "parameters": {
            "guarantee_credibility": {"min": 0.0, "max": 1.0},
            "guarantee_delivery_prob": {"min": 0.2, "max": 1.0}}},
    }
    folder = run_config(config, tmp_path, simulate_step)
    md = write_report(folder).read_text()
    assert "## Sensitivity of P(resumption)" in md and "figures/sobol.png" not in md
    table = md.split("## Sensitivity of P(resumption)")[1].split("\n## ")[0]
    assert "**No indices:** total-index intervals wider than ±0.23 (guarantee_credibility) " \
           "at N = 16" in table
    assert "figures/sobol_bins.png" in table and (folder / "figures" / "sobol_bins.png").exists()
    rows = [x for x in table.splitlines() if x.startswith("| guarantee")]
    assert rows[0].startswith("| guarantee_credibility | 0.000 | 1.000 / ")
    assert rows[0].endswith(" / 0.000 |") and rows[1].startswith("| guarantee_delivery_prob")
    key = key_figure(load_experiment(folder), tmp_path / "key.png")
    assert key.exists()  # the bins, since there are no indices to draw
    assert re.search(r"Box 1: guarantee_credibility <= 0\.3\d+\. In this box P\(resumption "
                     r"within 100 days\) = 1\.00", md)
    design = json.loads((folder / "design.json").read_text())
    assert design["method"] == "sobol"


def test_report_morris_design(tmp_path: Path) -> None:
    """A Morris design: mu* ranks credibility first; the other parameter's mu* is 0."""
    config = {
        "name": "screen", "root_seed": 4, "horizon_days": 100, "replicates": 1,
        "base": {"sequencing": "territory_first"},
        "design": {"method": "morris", "samples": 6, "levels": 4, "parameters": {
            "guarantee_credibility": {"min": 0.0, "max": 1.0},
            "guarantee_delivery_prob": {"min": 0.2, "max": 1.0}}},
    }
    md = write_report(run_config(config, tmp_path, simulate_step)).read_text()
    assert "figures/morris.png" in md
    table = md.split("## Sensitivity of P(resumption)")[1]
    rows = [x for x in table.splitlines() if x.startswith("| guarantee")]
    assert rows[0].startswith("| guarantee_credibility")
    assert rows[1].startswith("| guarantee_delivery_prob | 0.000 |")


def test_report_on_folder_without_finished_runs(tmp_path: Path) -> None:
    from dmzsim.analysis.report.build import build

    empty = SimpleNamespace(
        folder=tmp_path, config={"name": "empty", "horizon_days": 10, "arms": {"base": {}}},
        manifest={}, left_out={}, config_mismatch=None, failures=pd.DataFrame(), series=None,
        arms=["base"],
        summary=pd.DataFrame(columns=["run_id", "arm", "point", "replicate", "resumed"]),
        design=SimpleNamespace(method="none", names=[], points=pd.DataFrame(index=range(1))))
    doc = build(empty)
    texts = [b[1] for b in doc.blocks if b[0] == "p"]
    assert any("No run has finished yet" in t for t in texts)


def test_a_description_is_shown_as_written_and_adds_no_markup() -> None:
    from dmzsim.analysis.report.document import Doc, render_html, render_markdown

    doc = Doc()
    doc.text("# Not a heading\n<script>x</script> [link](http://e) **bold** | cell")
    md = render_markdown(doc)
    assert md == ("\\# Not a heading \\<script\\>x\\</script\\> \\[link\\](http://e) "
                  "\\*\\*bold\\*\\* \\| cell\n")
    page = render_html(doc, "t")
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<strong>" not in page
