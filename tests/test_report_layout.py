"""The report laid out by the experiment's structure, on the quick flagship.

``runs/sequencing.toml --quick`` (10 arms, here with 12 replicates each to stay fast) is
run with the instant fake model (``tests.fake_model``), which, like the real model, cannot
see the zone's shape where there is no zone, so the two no_deal and the two frozen_line
arms give identical runs seed by seed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from dmzsim.analysis.arm_groups import merge_same_arms, same_arms
from dmzsim.analysis.figures import SEQUENCING_COLORS, arm_styles
from dmzsim.analysis.loader import load_experiment
from dmzsim.analysis.report.build import build, write_report
from dmzsim.analysis.report.context import ReportContext
from dmzsim.model import outputs

from tests.helpers import ROOT, run_serially


def _run_quick(out: Path, simulate: Any) -> Path:
    from dmzsim.runs.experiment.config import load

    exp = load(ROOT / "runs" / "sequencing.toml", quick=True, replicates=12)
    return run_serially(exp, out, simulate)


@pytest.fixture(scope="module")
def quick_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests import fake_model

    folder = _run_quick(tmp_path_factory.mktemp("quick"), fake_model.simulate)
    write_report(folder)
    return folder


def _section(md: str, heading: str) -> str:
    return md.split(heading)[1].split("\n## ")[0]


def test_arms_without_a_zone_are_the_same_by_construction() -> None:
    from dmzsim.runs.experiment.config import load

    config = load(ROOT / "runs" / "sequencing.toml").resolved
    assert same_arms(config) == [["no_deal-unilateral", "no_deal-mirrored"],
                                 ["frozen_line-unilateral", "frozen_line-mirrored"]]


def test_duplicate_arms_are_shown_once(quick_folder: Path) -> None:
    md = (quick_folder / "report.md").read_text()
    ctx = ReportContext(load_experiment(quick_folder))
    assert ctx.arms[:2] == ["no_deal", "frozen_line"] and len(ctx.arms) == 8
    assert ctx.baseline == "frozen_line"
    assert "`no_deal-unilateral` and `no_deal-mirrored` do not depend on `dmz_shape`" in md
    assert "shown once, as **Frozen line**" in md
    risk = _section(md, "## Risk of resumption within 730 days")
    rows = [x for x in risk.split("###")[0].splitlines() if x.startswith("| ")][1:]
    assert [r.split(" | ")[0] for r in rows].count("| Frozen line") == 1
    assert len(rows) == 8 and "mirrored" not in rows[0] + rows[1]
    assert "120 finished runs" in md  # every run counted, though shown once


def test_arms_that_differ_are_not_merged_and_said_so(quick_folder: Path) -> None:
    exp = load_experiment(quick_folder)
    s = exp.summary.copy()
    first = s.index[s["arm"] == "no_deal-mirrored"][0]
    s.loc[first, "ru_losses"] += 1.0
    rename, groups = merge_same_arms(s, exp.config, exp.arms)
    nd = next(g for g in groups if g.arms[0] == "no_deal-unilateral")
    assert not nd.identical and nd.differing == 1
    assert rename["no_deal-mirrored"] == "no_deal-mirrored"
    assert rename["frozen_line-mirrored"] == "frozen_line"


def test_sequencing_is_the_colour_and_the_shape_the_line() -> None:
    arms = ["no_deal", "territory_first-unilateral", "territory_first-mirrored",
            "simultaneous-mirrored"]
    st = arm_styles(arms)
    assert st["territory_first-unilateral"].color == st["territory_first-mirrored"].color \
        == SEQUENCING_COLORS["territory_first"]
    assert st["territory_first-unilateral"].ls != st["territory_first-mirrored"].ls
    assert st["simultaneous-mirrored"].ls == st["territory_first-mirrored"].ls
    # names that do not read as sequencing-shape: one colour each, by position
    other = arm_styles(["tf", "gf"])
    assert other["tf"].color != other["gf"].color


def test_cost_tables_are_wide_with_units_and_conditional(quick_folder: Path) -> None:
    md = (quick_folder / "report.md").read_text()
    costs = _section(md, "## Costs: territory, towns, losses, warning")
    every = costs.split("### Over all runs")[1].split("###")[0]
    cond = costs.split("### Over the runs in which the offensive resumed")[1].split("###")[0]
    for table in (every, cond):
        head = next(x for x in table.splitlines() if x.startswith("| arm"))
        cols = [c.strip() for c in head.strip("|").split("|")]
        assert len([x for x in table.splitlines() if x.startswith("| ")]) == 1 + 8
        for col in cols[2:]:  # every output column: the registry's label and unit
            name = next(o.name for o in outputs.per_arm() if o.title.lstrip("Δ ") == col)
            assert outputs.unit(name) in col
        assert "lo_" not in head and "q05" not in head
    assert "runs that resumed" in cond
    # conditional on resumption: the mean territory lost among the runs that resumed
    s = load_experiment(quick_folder).summary
    tf = s[(s["arm"] == "territory_first-unilateral") & s["resumed"].astype(bool)]
    row = next(x for x in cond.splitlines() if x.startswith("| Territory first (unilateral)"))
    assert f"| {len(tf)} |" in row
    assert f"{tf['territory_lost_km2'].mean():,.0f} [" in row


def test_every_table_header_names_its_unit(quick_folder: Path) -> None:
    """No raw column names (lo_180, S_H, rmst_lo) in any table of the report."""
    md = (quick_folder / "report.md").read_text()
    heads = [x for x in md.splitlines() if x.startswith("| arm")]
    assert heads
    for raw in ("S_H", "rmst_lo", "lo_180", "median_hi", "p_baseline", "q95"):
        assert all(raw not in h for h in heads)


def test_figures_are_png_and_svg_and_the_key_figure_pdf(quick_folder: Path,
                                                        tmp_path: Path) -> None:
    from dmzsim.analysis.report.key_figure import key_figure

    figs = quick_folder / "figures"
    for name in ("survival", "p_resumed_by_arm", "outcomes", "fan_ratio"):
        assert (figs / f"{name}.png").exists() and (figs / f"{name}.svg").exists()
        assert not (figs / f"{name}.pdf").exists()
    assert "config" in (figs / "survival.svg").read_text()[:3000]
    png = key_figure(load_experiment(quick_folder), tmp_path / "key.png")
    assert png.exists() and png.with_suffix(".svg").exists()
    assert png.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"


def test_a_report_without_duplicates_is_unchanged_in_its_arms(tmp_path: Path) -> None:
    from tests import fake_model

    config = fake_model.tiny_config()
    from dmzsim.runs.experiment.config import from_dict
    from dmzsim.runs.sweep import run_experiment
    from dmzsim.runs.sweep.executors import ExecutorSpec

    folder = run_experiment(from_dict(config, source="test"), tmp_path,
                            executor=ExecutorSpec("serial", 1), simulate=fake_model.simulate,
                            progress=False, argv=["test"]).folder
    doc = build(load_experiment(folder))
    texts = [b[1] for b in doc.blocks if b[0] == "p"]
    assert not any("same by construction" in t for t in texts)
    assert ReportContext(load_experiment(folder)).arms == ["tf", "gf"]


def test_fan_chart_splits_at_resumption_and_draws_the_breakthrough_ratio(
        quick_folder: Path) -> None:
    """The series the report draws know each run's day of resumption and breakthrough
    ratio; the chart draws the 3:1 line, the days after resumption as their own series,
    the share of days at the cap, and plain tick labels."""
    ctx = ReportContext(load_experiment(quick_folder))
    series = ctx.exp.series
    assert series is not None and {"day_resumed", "breakthrough_ratio"} <= set(series)
    assert set(series["arm"]) == set(ctx.arms)
    assert (series["breakthrough_ratio"] == 3.0).all()
    svg = (quick_folder / "figures" / "fan_ratio.svg").read_text()
    for text in ("breakthrough ratio 3:1", "median, before resumption",
                 "median, after resumption", "of days ≥ 20, drawn at the dotted line"):
        assert text in svg
    ticks = set(re.findall(r"text-anchor: end\" [^>]*>([^<]*)</text>", svg))
    assert {"2", "3", "5", "10", "20"} <= ticks and not any("^" in t for t in ticks)


def test_fan_chart_draws_an_arm_at_war_from_day_0(tmp_path: Path) -> None:
    """No deal resumes on day 0: it has no days before resumption, only the war after
    (the real model's quick flagship has such an arm; the fake model's does not)."""
    import numpy as np
    import pandas as pd
    from dmzsim.analysis.figures import fan_chart
    from dmzsim.analysis.provenance import Stamp

    days = np.arange(0, 60, 10)
    rows = [{"arm": arm, "run_id": f"{arm}-{r}", "day": d,
             "force_ratio_main_axis": 1.0 + r + d / 30,
             "day_resumed": resumed, "breakthrough_ratio": 3.0}
            for arm, resumed in (("no_deal-unilateral", 0.0), ("frozen_line-unilateral", 30.0))
            for r in range(3) for d in days]
    path = fan_chart(pd.DataFrame(rows), "force_ratio_main_axis", tmp_path / "fan.png",
                     Stamp("test", "0" * 12, "0", "0"), cap=20.0, log=True)
    assert path.exists() and path.with_suffix(".svg").exists()
