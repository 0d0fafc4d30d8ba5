"""The report laid out by the experiment's structure, on the quick flagship.

``runs/sequencing.toml --quick`` (10 arms, here with 12 replicates each to stay fast) is
run with the instant fake model (``tests.fake_model``) made to see the zone's shape where
there is a zone (:func:`simulate_shaped`: a unilateral zone cedes ground and towns), so,
as with the real model, only the two no_deal and the two frozen_line arms give identical
runs seed by seed. The plain fake model ignores the shape everywhere, which makes every
pair of shapes identical: the report finds those from the runs alone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from dmzsim.analysis.arm_groups import merge_same_arms, same_arms
from dmzsim.analysis.figures import SEQUENCING_COLORS, arm_styles
from dmzsim.analysis.loader import load_experiment
from dmzsim.analysis.report.build import build, write_report
from dmzsim.analysis.report.context import ReportContext
from dmzsim.analysis.tables import arm_label
from dmzsim.model import outputs

from tests.helpers import ROOT, run_serially

CONTRASTS = [["territory_first-unilateral", "guarantees_first-unilateral"],
             ["territory_first-mirrored", "guarantees_first-mirrored"]]


def _run_quick(out: Path, simulate: Any, contrasts: list[list[str]] | None = None) -> Path:
    """The quick flagship with 12 replicates (and ``[analysis] contrasts``, if given)."""
    import tomllib

    from dmzsim.runs.experiment.config import from_dict

    data = tomllib.loads((ROOT / "runs" / "sequencing.toml").read_text())
    data["replicates"] = 12
    data["quick"].pop("replicates", None)
    if contrasts is not None:
        data["analysis"] = {"contrasts": contrasts}
    exp = from_dict(data, source="runs/sequencing.toml", quick=True, base_dir=ROOT / "runs")
    return run_serially(exp, out, simulate)


def simulate_shaped(params: Any, seed: int, **kwargs: Any) -> Any:
    """The fake model, made to see the zone: a unilateral zone cedes 5,100 km² and four
    fortress-belt towns (under guarantees first only once the guarantees are delivered,
    as in the real model); territory first never resumes (an event count of 0); the
    guarantees come into force where a deal delivers them (on day 0 if simultaneous)."""
    from tests import fake_model

    result = fake_model.simulate(params, seed, **kwargs)
    s, seq = result.summary, params.sequencing
    deal = seq not in ("no_deal", "frozen_line")
    cedes = deal and params.dmz_shape == "unilateral" and (
        seq != "guarantees_first" or s["guarantees_delivered"])
    if seq == "territory_first":
        s.update(resumed=False, day_resumed=np.nan, territory_lost_km2=0.0,
                 belt_towns_lost=0, warning_days=np.nan, attack_lat=np.nan,
                 attack_lon=np.nan)
    s.update(area_ceded_km2=5100.0 if cedes else 0.0, belt_towns_ceded=4 if cedes else 0,
             ua_oblast_area_km2_end=5100.0 - (5100.0 if cedes else 0.0)
             - s["territory_lost_km2"] / 10,
             guarantees_in_force_day=(0.0 if seq == "simultaneous" else 30.0)
             if deal and s["guarantees_delivered"] else np.nan,
             decided_by="gain" if s["resumed"] else "ending the ceasefire",
             value_at_resumption=100.0 if s["resumed"] and seq != "no_deal" else np.nan)
    return result


@pytest.fixture(scope="module")
def quick_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = _run_quick(tmp_path_factory.mktemp("quick"), simulate_shaped, CONTRASTS)
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
    risk = _section(md, "## Risk of resumption within 1825 days")
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
    costs = _section(md, "## Costs: ground and towns ceded or lost, losses, warning")
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
    gf = s[(s["arm"] == "guarantees_first-unilateral") & s["resumed"].astype(bool)]
    row = next(x for x in cond.splitlines()
               if x.startswith("| Guarantees first (unilateral)"))
    assert len(gf) > 1 and f"| {len(gf)} |" in row
    assert f"{gf['territory_lost_km2'].mean():,.0f} [" in row
    # an arm with no run resumed: no numbers, only dashes
    row = next(x for x in cond.splitlines() if x.startswith("| Territory first (unilateral)"))
    assert row.replace("| 0 |", "").strip("| –") == "Territory first (unilateral)"


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


def test_every_format_of_a_figure_has_the_layout_of_its_png(tmp_path: Path) -> None:
    """The PNG lays the figure out; the SVG (and the PDF) take that layout rather than
    laying it out again, so the formats show the same figure."""
    from dmzsim.analysis import figures
    from dmzsim.analysis.provenance import Stamp
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    fig = figures._figure(6.0, 4.0)
    for ax in fig.subplots(2, 2).ravel():
        ax.plot([0, 1], [0, 1])
        ax.set_ylabel("a long label on the axis")
    positions = []
    savefig = fig.savefig

    def record(*args: Any, **kwargs: Any) -> None:
        savefig(*args, **kwargs)
        positions.append([ax.get_position().bounds for ax in fig.axes])
    fig.savefig = record  # type: ignore[method-assign]
    with figures.saved_as(figures.KEY_FORMATS):
        path = figures._save(fig, tmp_path / "f.png", Stamp("test", "0" * 12, "0", "0"), "t")
    assert all(path.with_suffix(f".{fmt}").stat().st_size > 0 for fmt in figures.KEY_FORMATS)
    assert len(positions) == 3 and positions[1] == positions[0] == positions[2]
    # laid out once, by the first format: what is left holds the layout, does not make it
    assert isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine)


def _copy_without_figures(folder: Path, to: Path) -> Path:
    import shutil

    shutil.copytree(folder, to, ignore=shutil.ignore_patterns("figures", "report.*"))
    return to


def test_figures_drawn_by_other_processes_are_the_ones_drawn_here(quick_folder: Path,
                                                                   tmp_path: Path) -> None:
    """The report's figures drawn by two other processes while it is built: the same
    files (PNG to the byte; SVG and PDF carry the time they were written and ids drawn
    at random, so they are only there), the same report."""
    folder = _copy_without_figures(quick_folder, tmp_path / "drawn_elsewhere")
    write_report(folder, workers=2)
    here = sorted(p.name for p in (quick_folder / "figures").iterdir())
    assert sorted(p.name for p in (folder / "figures").iterdir()) == here
    assert any(name.endswith(".png") for name in here)
    for name in here:
        if name.endswith(".png"):
            mine = (folder / "figures" / name).read_bytes()
            assert mine == (quick_folder / "figures" / name).read_bytes(), name

    def text(f: Path) -> str:
        return re.sub(r"Generated .*? from `[^`]*`", "", (f / "report.md").read_text())
    assert text(folder) == text(quick_folder)


def test_a_figure_that_cannot_be_written_by_another_process_fails_the_report(
        quick_folder: Path, tmp_path: Path) -> None:
    """An error in the process that draws a figure is raised by the report, as it would
    be if the report drew it: a FIFO where the survival curves go."""
    import os

    from dmzsim.common.files import OutputError

    folder = _copy_without_figures(quick_folder, tmp_path / "fifo")
    (folder / "figures").mkdir()
    os.mkfifo(folder / "figures" / "survival.png")
    with pytest.raises(OutputError, match=r"survival\.png"):
        write_report(folder, workers=1)
    assert (folder / "figures" / "survival.png").is_fifo()  # left as it was


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
                 "median after resumption (days with ≥ 3 runs resumed)", " resumed)",
                 "of days ≥ 20, drawn at the dotted line"):
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


# --- what a researcher reads: cost beside risk, contrasts, identical arms, why --------------
def test_the_headline_and_key_figure_carry_the_ground_and_towns_ceded(
        quick_folder: Path, tmp_path: Path) -> None:
    """Beside P(resumption): ground and fortress-belt towns ceded by the deal or lost after
    resumption, and the oblast held at the end, in the headline table, its Markdown, the
    README's sentence, the key figure and the report's summary."""
    from dmzsim.analysis.headline import headline_markdown, headline_sentence, headline_table
    from dmzsim.analysis.report.key_figure import key_figure

    exp = load_experiment(quick_folder)
    table = headline_table(exp.summary, 730.0, exp.arms).set_index("arm")
    tf = table.loc["territory_first-unilateral"]
    assert tf["p"] == 0.0 and tf["ground_ceded_or_lost_km2"] == 5100.0
    assert tf["belt_towns_ceded_or_lost"] == 4.0 and tf["ua_oblast_area_km2_end"] == 0.0
    assert {"ground_cost_lo", "belt_cost_hi", "oblast_held_lo"} <= set(table.columns)
    md = headline_markdown(table.reset_index(), 730.0)
    assert "ground ceded or lost (km²)" in md and "fortress-belt towns ceded or lost" in md
    assert "| Territory first (unilateral) | 12 | 0.000 (0.000–0.242) |" in md
    assert ("lowest Territory first (mirrored) 0.00 [0.00–0.24] (ceded or lost: 0 km², "
            "0.00 belt towns)") in headline_sentence(table.reset_index(), 730.0)
    svg = key_figure(exp, tmp_path / "key.png").with_suffix(".svg").read_text()
    for text in ("P(offensive resumes within 1825 days)", "ground ceded or lost (km²)",
                 "fortress-belt towns ceded or lost", "ceded by the deal",
                 "lost after the offensive resumed", "oblast Ukraine holds at the end"):
        assert text in svg
    summary = _section((quick_folder / "report.md").read_text(), "## Summary")
    assert ("Lowest risk: **Territory first (unilateral)**, P = 0.00 [0.00–0.24] (0 of 12 "
            "runs); cost: 5,100 km² and 4.00 fortress-belt towns ceded or lost; holds 0 km² "
            "of the oblast at the end.") in summary
    assert "figures/risk_and_cost.png" in summary


def test_a_declared_contrast_appears_with_its_paired_interval(quick_folder: Path) -> None:
    """``[analysis] contrasts`` of the experiment file: each pair, first minus second,
    paired by seed, with Tango's interval for P and bootstrap intervals for the costs."""
    md = (quick_folder / "report.md").read_text()
    part = md.split("### Contrasts")[1].split("\n## ")[0]
    assert "(experiment file)" in part
    line = next(x for x in part.splitlines() if x.startswith(
        "- **Territory first (unilateral) − Guarantees first (unilateral)**"))
    assert re.search(r"P\(resumption\) (\d\.\d\d lower \(95% CI \d\.\d\d–\d\.\d\d\)|not "
                     r"clearly different \(-?\d\.\d\d, 95% CI -?\d\.\d\d to -?\d\.\d\d\)), "
                     r"paired over 12 runs", line)
    assert "ground ceded or lost" in line
    row = next(x for x in part.splitlines()
               if x.startswith("| Territory first (mirrored) − Guarantees first (mirrored)"))
    s = load_experiment(quick_folder).summary
    p_gf = s[s["arm"] == "guarantees_first-mirrored"]["resumed"].mean()
    assert f"| 12 | 0.000 | {p_gf:.3f} | {-p_gf:.3f} [" in row
    # the summary gives the contrasts too
    assert "**Territory first (unilateral) − Guarantees first (unilateral)**" in _section(
        md, "## Summary")


def test_contrasts_are_checked_against_the_arms() -> None:
    from dmzsim.runs.experiment.config import ExperimentError

    with pytest.raises(ExperimentError) as info:
        _run_quick(Path("unused"), simulate_shaped, [["territory_first-unilateral",
                                                      "guarantees_frist-unilateral"]])
    assert ("analysis.contrasts[0][1] = 'guarantees_frist-unilateral': unknown arm; arms "
            "are ['no_deal-unilateral',") in str(info.value)


def test_report_options_choose_the_baseline_and_add_contrasts(
        quick_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    from dmzsim.runs.cli import main

    folder = tmp_path / "copy"
    shutil.copytree(quick_folder, folder)
    assert main(["report", str(folder), "--baseline", "nope"]) == 2
    err = capsys.readouterr().err
    assert "--baseline 'nope': no such arm" in err and "frozen_line-mirrored" in err
    assert main(["report", str(folder), "--contrast", "simultaneous-mirrored", "nope"]) == 2
    assert "--contrast 'nope'" in capsys.readouterr().err
    assert main(["report", str(folder), "--baseline", "frozen_line-mirrored", "--contrast",
                 "simultaneous-unilateral", "no_deal-mirrored"]) == 0
    md = (folder / "report.md").read_text()
    assert "**Frozen line** (chosen with `dmzsim report --baseline`)" in md
    assert "- **Simultaneous (unilateral) − No deal (mirrored)**: P(resumption)" in md
    assert "(command line and experiment file)" in md


def test_identical_arms_are_found_whatever_their_parameters(tmp_path: Path) -> None:
    """The plain fake model ignores the zone's shape under every sequencing, so each
    sequencing's two arms are identical seed by seed although their dmz_shape differs
    (and with these seeds guarantees first and simultaneous come out alike too): each
    group is found from its runs, said so, and shown once, named after all its arms; a
    contrast within a group is said to be 0."""
    from tests import fake_model

    folder = _run_quick(tmp_path, fake_model.simulate,
                        [["guarantees_first-unilateral", "guarantees_first-mirrored"]])
    md = write_report(folder).read_text()
    ctx = ReportContext(load_experiment(folder))
    both = "guarantees_first-unilateral=mirrored+simultaneous-unilateral=mirrored"
    assert ctx.arms == ["no_deal", "frozen_line", "territory_first-unilateral=mirrored",
                        both]
    assert ("`territory_first-unilateral` and `territory_first-mirrored` gave identical "
            "runs seed by seed, although they differ in `dmz_shape`: shown once, as "
            "**Territory first (unilateral = mirrored)**") in md
    assert ("`guarantees_first-unilateral` and `guarantees_first-mirrored` and "
            "`simultaneous-unilateral` and `simultaneous-mirrored` gave identical runs seed "
            "by seed, although they differ in `sequencing`, `dmz_shape`: shown once, as "
            "**Guarantees first (unilateral = mirrored) = Simultaneous (unilateral = "
            "mirrored)**") in md
    risk = _section(md, "## Risk of resumption within 1825 days").split("###")[0]
    rows = [x for x in risk.splitlines() if x.startswith("| ")][1:]
    assert len(rows) == 4 and sum("Guarantees first" in r for r in rows) == 1
    assert ("**Guarantees first (unilateral) − Guarantees first (mirrored)**: the two arms "
            "gave identical runs seed by seed") in md
    # drawn as one arm without a shape, in the (first) sequencing's colour
    styles = arm_styles(ctx.arms, ctx.factors)
    tf = styles["territory_first-unilateral=mirrored"]
    assert tf.color == SEQUENCING_COLORS["territory_first"] and tf.shape == ""
    assert arm_styles(ctx.arms)[both].color == SEQUENCING_COLORS["guarantees_first"]


def test_identical_arms_with_any_names_and_parameters_are_merged() -> None:
    """Two arms that differ in their sequencing and gave the same runs: one group, named
    after both; an arm with one differing run stays apart."""
    import pandas as pd

    rows = [{"arm": arm, "point": 0, "replicate": r, "resumed": r % 2 == 0,
             "territory_lost_km2": 10.0 * r}
            for arm in ("a", "b", "c") for r in range(4)]
    s = pd.DataFrame(rows)
    s.loc[(s["arm"] == "c") & (s["replicate"] == 3), "territory_lost_km2"] = 1.0
    config = {"base": {}, "arms": {"a": {"sequencing": "territory_first"},
                                   "b": {"sequencing": "simultaneous"},
                                   "c": {"sequencing": "simultaneous"}}}
    rename, groups = merge_same_arms(s, config, ["a", "b", "c"])
    assert rename == {"a": "a+b", "b": "a+b", "c": "c"}
    assert arm_label("a+b") == "A = B"
    [g] = groups
    assert g.arms == ("a", "b") and g.identical and not g.by_construction
    assert g.ignored == ("sequencing",)


def test_the_why_table_is_labelled_by_arm_and_splits_mixed_regimes(quick_folder: Path
                                                                  ) -> None:
    md = (quick_folder / "report.md").read_text()
    why = _section(md, "## Why ceasefires failed or held")
    main_table = why.split("###")[0]
    rows = [x for x in main_table.splitlines() if x.startswith("| ")]
    assert rows[0].startswith("| arm | runs | resumed | P(resumed) [95% Wilson] |")
    labels = [r.split(" | ")[0].lstrip("| ") for r in rows[1:]]
    assert labels == ["No deal", "Frozen line", "Territory first (unilateral)",
                      "Territory first (mirrored)", "Guarantees first (unilateral)",
                      "Guarantees first (mirrored)", "Simultaneous (unilateral)",
                      "Simultaneous (mirrored)"]
    assert "nan" not in why
    # held runs counted by the term that decided, with their share
    s = load_experiment(quick_folder).summary
    fl = s[s["arm"] == "frozen_line-unilateral"]
    held = int((~fl["resumed"].astype(bool)).sum())
    row = next(r for r in rows if r.startswith("| Frozen line |"))
    assert f"| {held} (100%) |" in row
    # guarantees first mixes regimes: split by delivery, each part with its counts
    split = why.split("### Arms that mix regimes: by the delivery of the guarantees")[1]
    gf = s[s["arm"] == "guarantees_first-unilateral"]
    for value, words in ((True, "delivered"), (False, "not delivered")):
        part = gf[gf["guarantees_delivered"].astype(bool) == value]
        row = next(r for r in split.splitlines()
                   if r.startswith(f"| Guarantees first (unilateral): guarantees {words} |"))
        assert row.split(" | ")[1:3] == [str(len(part)), str(int(part["resumed"].sum()))]
    assert "| No deal: guarantees" not in split and "| Frozen line: guarantees" not in split


def test_no_event_is_shown_with_its_wilson_interval(quick_folder: Path) -> None:
    """Territory first never resumes here: every proportion of it has the Wilson interval
    of 0 in 12 runs (0.000–0.242), never a point interval."""
    md = (quick_folder / "report.md").read_text()
    assert "0.000 [0.000–0.000]" not in md and "1.000 [1.000–1.000]" not in md
    heading = "### Resumption by day 180 and day 365 and day 730 and day 1095"
    row = next(x for x in _section(md, heading).splitlines()
               if x.startswith("| Territory first (unilateral)"))
    assert row == "| Territory first (unilateral) | 12" + " | 0 | 0.000 [0.000–0.242]" * 4 + " |"
    surv = next(x for x in _section(md, "## Time to resumption").splitlines()
                if x.startswith("| Territory first (unilateral)"))
    assert "| 1.000 [0.758–1.000] |" in surv


def test_the_html_report_opens_with_the_summary_and_scrolls_wide_tables(
        quick_folder: Path) -> None:
    page = (quick_folder / "report.html").read_text()
    body = page.split("<body>")[1]
    assert body.index('<div class="summary">\n<h2>Summary</h2>') < body.index("What was run")
    assert "<strong>Question.</strong> Does the order of withdrawal" in body
    assert body.count('<div class="scroll"><table>') == body.count("<table>") > 5
    assert "td{white-space:nowrap}" in page and ".scroll{overflow-x:auto" in page


def test_the_quick_description_says_what_this_folder_holds(quick_folder: Path) -> None:
    md = (quick_folder / "report.md").read_text()
    what = _section(md, "## What was run")
    assert ("**Quick subset** (`dmzsim run --quick`) of the experiment `sequencing`, with "
            "12 replicates per cell; the experiment file describes the full experiment "
            "as:") in what
    assert "(quick subset)" not in what
