"""Targets from the conflict data (analysis/conflict_data.py, ``dmzsim targets``): the
reading of the episodes, the Kaplan–Meier curve, the shipped target file and the figure."""

import math
import tomllib
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dmzsim.analysis import conflict_data as cd
from dmzsim.analysis.provenance import Stamp
from dmzsim.analysis.target_spec import TargetSpec
from dmzsim.analysis.targets import evaluate

ROOT = Path(__file__).resolve().parent.parent
TARGET_FILE = ROOT / "runs" / "targets" / "conflict_recurrence.toml"
Z = 1.959963984540054


def _row(cid: int, year: int, kind: str, start: pd.Timestamp, end: pd.Timestamp | None
         ) -> dict:
    return {"conflict_id": cid, "year": year, "type_of_conflict": kind, "intensity_level": 1,
            "start_date2": start, "ep_end": int(end is not None), "ep_end_date": end}


def _tiny() -> pd.DataFrame:
    """Four interstate episodes: recurred after 547 and 915 days, censored after 800 days
    and at the data's end; one internationalized episode that comes back as intrastate."""
    end = pd.Timestamp(cd.DATA_END)
    ts = pd.Timestamp
    rows = [
        _row(1, 2000, "interstate", ts("2000-01-05"), ts("2000-06-30")),
        _row(1, 2003, "interstate", ts("2000-06-30") + timedelta(915), ts("2003-03-01")),
        _row(2, 2001, "interstate", ts("2001-01-01"), ts("2001-01-01")),
        _row(2, 2001, "interstate", ts("2001-01-01"), ts("2001-01-01")),  # a repeated row
        _row(2, 2002, "interstate", ts("2001-01-01") + timedelta(547), None),
        _row(3, 2022, "interstate", ts("2022-01-01"), end - timedelta(800)),  # censored
        _row(4, 2010, "II", ts("2010-01-01"), ts("2010-12-31")),
        _row(4, 2015, "intrastate", ts("2015-05-01"), None),
    ]
    return cd.conflict_years(pd.DataFrame(rows))


def test_episodes_drop_repeated_rows_and_count_only_the_class_as_recurrence():
    acd = _tiny()
    assert len(acd) == 7  # conflict 2's repeated row dropped
    inter = cd.episodes(acd, cd.CLASSES["interstate"])
    assert sorted(zip(inter["days"], inter["recurred"], strict=True))[:3] == [
        (547.0, True), (800.0, False), (915.0, True)]
    assert len(inter) == 4 and inter["recurred"].sum() == 2
    ii = cd.episodes(acd, cd.CLASSES["internationalized"])
    anytype = cd.episodes(acd, cd.CLASSES["internationalized_any"])
    assert len(ii) == len(anytype) == 5
    assert ii["recurred"].sum() == 2 and anytype["recurred"].sum() == 3  # conflict 4


def test_the_curve_matches_a_hand_computed_kaplan_meier():
    """At 547 days 4 at risk, 1 recurs: S = 3/4; 800 censored; at 915 days 2 at risk, 1
    recurs: S = 3/8. Greenwood var(log S) = 1/(4·3) + 1/(2·1); the log-log band."""
    reading = cd.Reading(cd.CLASSES["interstate"],
                         cd.episodes(_tiny(), cd.CLASSES["interstate"]))
    assert reading.curve.at(546) == 1.0 and reading.curve.at(547) == 0.75
    assert reading.curve.at(915) == pytest.approx(0.375)
    gw = 1 / 12 + 1 / 2
    s = 0.375
    half = Z * math.sqrt(gw) / abs(math.log(s))
    lo_s, hi_s = (math.exp(-math.exp(math.log(-math.log(s)) + k * half)) for k in (1, -1))
    p = reading.p_by(3 * 365)  # after the first censoring: 1 - the log-log band
    assert p.estimate == pytest.approx(0.625)
    assert (p.lo, p.hi) == (pytest.approx(1 - hi_s), pytest.approx(1 - lo_s))
    assert p.lo == pytest.approx(1 - 0.80799, abs=1e-4)
    assert reading.p_by(600).estimate == 0.25  # before it: 1 of 4, Wilson
    assert reading.p_between(730, 1825) == pytest.approx(0.5)


@pytest.fixture(scope="module")
def acd() -> pd.DataFrame:
    pytest.importorskip("pyreadr")
    return cd.read_acd()


def test_the_reading_reproduces_the_data_readme(acd):
    """analysis/data/README.md: 72 interstate episodes, 24 recurred, P 0.056 / 0.18 /
    0.26 / 0.32 by 2 / 5 / 10 / 20 years; with internationalized conflicts 135 episodes,
    0.068 / 0.245 / 0.33 / 0.37 (a recurrence must be of the class again); war-level
    episodes (any year at war level) 29, 0.069 / 0.21 / 0.28 / 0.38."""
    inter = cd.read("interstate", acd=acd)
    assert (inter.n, inter.recurrences) == (72, 24)
    got = [inter.p_by(y * 365.25).estimate for y in (2, 5, 10, 20)]
    assert got == pytest.approx([0.056, 0.18, 0.26, 0.32], abs=0.005)
    ii = cd.read("internationalized", acd=acd)
    assert ii.n == 135
    got = [ii.p_by(y * 365.25).estimate for y in (2, 5, 10, 20)]
    assert got == pytest.approx([0.068, 0.245, 0.33, 0.37], abs=0.005)
    war = cd.read("interstate_war", acd=acd)  # "War-level episodes only"
    assert war.n == 29
    got = [war.p_by(y * 365.25).estimate for y in (2, 5, 10, 20)]
    assert got == pytest.approx([0.069, 0.21, 0.28, 0.38], abs=0.005)
    assert inter.p_by(365).estimate == 0.0  # the episode rule: none within a year
    assert inter.episodes.loc[inter.episodes["recurred"], "days"].min() > 365


def test_the_curve_agrees_with_lifelines(acd):
    lifelines = pytest.importorskip("lifelines")
    ep = cd.read("interstate", acd=acd).episodes
    km = cd.read("interstate", acd=acd).curve
    fit = lifelines.KaplanMeierFitter().fit(ep["days"], ep["recurred"])
    for t in (600.0, 730.0, 1095.0, 1825.0, 3650.0):
        assert km.at(t) == pytest.approx(float(fit.survival_function_at_times(t).iloc[0]))
    ci = fit.confidence_interval_survival_function_
    for t, row in ci[ci.index > 0].iterrows():
        band = km.band_at(float(t))
        assert (band.lo, band.hi) == (pytest.approx(row.iloc[0], abs=1e-9),
                                      pytest.approx(row.iloc[1], abs=1e-9))


def test_the_shipped_target_file_is_what_the_data_give_and_parses_as_targets(acd):
    main = cd.read("interstate", acd=acd)
    others = [cd.read(k, acd=acd) for k in cd.CLASSES if k != "interstate"]
    text = TARGET_FILE.read_text(encoding="utf-8")
    assert text == cd.targets_toml(main, others), "regenerate: dmzsim targets --write " \
        "runs/targets/conflict_recurrence.toml"
    raw = tomllib.loads(text)
    assert set(raw) == {"targets"}  # nothing but [targets] tables: an experiment takes them
    parsed = {k: TargetSpec.model_validate(v) for k, v in raw["targets"].items()}
    assert parsed == cd.target_specs(main)
    assert [s.day for s in parsed.values()] == [365.0, 730.0, 1095.0, 1825.0]
    assert [s.low for s in parsed.values()] == [0.0, 0.022, 0.057, 0.11]
    assert all(s.high is None and "lower bound" in s.source for s in parsed.values())


def test_the_targets_are_floors_evaluated_like_any_target(acd):
    """Runs resumed on day 600 in half the replicates: above every floor by 2 years."""
    specs = cd.target_specs(cd.read("interstate", acd=acd))
    n = 100
    runs = pd.DataFrame({"arm": "frozen_line", "replicate": range(n),
                         "resumed": [i % 2 == 0 for i in range(n)],
                         "day_resumed": [600.0 if i % 2 == 0 else math.nan for i in range(n)],
                         "days_run": 1825.0})
    results = {r.name.split("_by_")[1]: r for r in evaluate(specs, runs, 1825.0)}
    assert results["1_year"].value == 0.0 and results["1_year"].passed  # met by any value
    assert all(r.passed and r.value == 0.5 for k, r in results.items() if k != "1_year")
    runs["resumed"] = False
    assert [r.passed for r in evaluate(specs, runs, 1825.0)] == [True, False, False, False]


def test_the_figure_writes_a_png(tmp_path, acd):
    from dmzsim.analysis.figures import survival_against_data
    from dmzsim.analysis.tables import survival_curves

    rng = np.random.default_rng(0)
    resumed = rng.random(60) < 0.5
    runs = pd.DataFrame({"arm": "frozen_line", "replicate": range(60), "resumed": resumed,
                         "day_resumed": np.where(resumed, rng.uniform(100, 700, 60), np.nan),
                         "days_run": 730.0})
    curves = survival_curves(runs, 730.0, ["frozen_line"])
    path = survival_against_data(curves, cd.read("interstate", acd=acd).curve,
                                 tmp_path / "fig.png", Stamp("test", "0" * 12, "0", "0"),
                                 "data: interstate conflicts")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    assert path.with_suffix(".svg").is_file()


def test_the_model_curve_from_a_later_day_is_conditional():
    from dmzsim.analysis.estimators import kaplan_meier

    km = kaplan_meier(np.array([100.0, 400.0, 500.0, 730.0]),
                      np.array([True, True, True, False]), 730.0)
    t, s = cd.model_curve_from_day(km, 365)
    assert list(t) == [0.0, 35.0, 135.0] and list(s) == [1.0, pytest.approx(2 / 3),
                                                         pytest.approx(1 / 3)]


def test_the_command_checks_the_shipped_file(acd, capsys):
    from dmzsim.runs.cli import main

    assert main(["targets", "--check", str(TARGET_FILE)]) == 0
    assert main(["targets"]) == 0
    assert "| interstate conflicts | 72 | 24 | 0.000" in capsys.readouterr().out
    assert main(["targets", "--arm", "frozen_line"]) == 2  # --arm needs --against


def test_the_command_refuses_what_is_not_the_conflict_table(acd, tmp_path, capsys):
    from dmzsim.runs.cli import main

    junk = tmp_path / "junk.rda"
    junk.write_text("not R data")
    import pandas as pd
    import pyreadr

    other = tmp_path / "other.rda"
    pyreadr.write_rdata(str(other), pd.DataFrame({"war": [1, 2], "year": [1950, 1951]}),
                        df_name="wars")
    for path, why in ((junk, "cannot be read as R data"), (tmp_path / "none.rda", "cannot"),
                      (other, "not the UCDP/PRIO conflict-year table")):
        assert main(["targets", "--data", str(path)]) == 2
        assert why in capsys.readouterr().err
    assert main(["targets", "--against", str(tmp_path)]) == 2
    assert "neither a results folder nor a reference folder" in capsys.readouterr().err


def test_the_command_draws_a_reference_folder_against_the_data(acd, tmp_path, capsys):
    from dmzsim.runs.cli import main

    ref = ROOT / "runs" / "reference" / "validation"
    if not (ref / "runs.parquet").exists():
        pytest.skip("the validation reference is not published")
    before = sorted(p.name for p in ref.iterdir())
    png = tmp_path / "against.png"
    assert main(["targets", "--against", str(ref), "--figure", str(png)]) == 0
    out = capsys.readouterr().out
    assert "model frozen_line: P(resumed) " in out and "(n = 72)" in out
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in ref.iterdir()) == before  # the reference is only read
