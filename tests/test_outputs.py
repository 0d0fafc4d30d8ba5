"""The output table (model/outputs.py): every output once, and read by everything else.

Adding an output is one entry in the table plus its computation; the fixture below does
just that and the tests check that the run record, the report, the docs table and the
visual run's monitors all pick it up (that ``dmzsim verify`` takes it as a note is in
tests/test_publish.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from dmzsim.analysis.loader import load_experiment
from dmzsim.analysis.report.build import write_report
from dmzsim.analysis.tables import outcome_table
from dmzsim.model import outputs
from dmzsim.model.api import simulate
from dmzsim.model.model import CeasefireModel
from dmzsim.model.processes import recording
from dmzsim.runs.experiment.config import from_dict
from dmzsim.runs.sweep import run_experiment
from dmzsim.runs.sweep.executors import ExecutorSpec

from tests.helpers import ROOT, SMALL_MAP, simulate_small, small


def test_every_output_has_its_computation_and_every_computation_its_entry():
    assert set(outputs.names("run")) == set(recording.SUMMARY)
    assert set(outputs.names("day")) == set(recording.SERIES)
    for kind in ("run", "day", "derived"):
        assert len(set(outputs.names(kind))) == len(outputs.names(kind)), kind


def test_a_run_records_every_output_in_table_order():
    result = simulate(small(horizon_days=20), 3, series_every=1, map_path=SMALL_MAP)
    assert list(result.summary) == list(outputs.names("run"))
    assert list(result.series.columns) == list(outputs.names("day"))
    yes_no = {o.name for o in outputs.of_kind("run") if o.boolean}
    assert outputs.risk().name in yes_no  # the adaptive metric's default is one
    for name in yes_no:  # the flag the adaptive metric is checked against tells the truth
        assert isinstance(result.summary[name], bool), name


def _is_whole(v: object) -> bool:
    return isinstance(v, int) or (isinstance(v, float) and (math.isnan(v) or v.is_integer()))


#: What each sort of value looks like in a run's record, a series and a reference.
LOOKS = {"boolean": lambda v: isinstance(v, bool),
         "count": lambda v: isinstance(v, int) and not isinstance(v, bool),
         "day": lambda v: not isinstance(v, bool) and _is_whole(v),
         "category": lambda v: isinstance(v, str) or (isinstance(v, int)
                                                      and not isinstance(v, bool)),
         "real": lambda v: isinstance(v, float)}


def test_every_output_says_what_sort_of_value_it_is_and_its_values_agree():
    """verify compares discrete outputs exactly and real ones within a tolerance, so the
    sort must tell the truth: a count is an int, a day a whole number, a real a float."""
    assert set(outputs.SCALE_WORDS) == set(LOOKS)
    for o in outputs.OUTPUTS:
        assert o.scale in LOOKS, o.name
        assert o.discrete == (o.scale != "real"), o.name
    result = simulate(small(horizon_days=20), 3, series_every=1, map_path=SMALL_MAP)
    for o in outputs.of_kind("run"):
        assert LOOKS[o.scale](result.summary[o.name]), (o.name, o.scale)
    for o in outputs.of_kind("day"):
        assert all(LOOKS[o.scale](v) for v in result.series[o.name].tolist()), o.name
    runs = pd.read_parquet(ROOT / "runs" / "reference" / "sequencing" / "runs.parquet")
    for o in outputs.of_kind("run"):  # resumptions, guarantees in force, attacks
        assert all(LOOKS[o.scale](v) for v in runs[o.name].tolist()), (o.name, o.scale)


def test_the_table_names_outputs_the_report_and_the_monitors_can_find():
    assert outputs.risk().name == "resumed"
    # the headline: Ukraine's whole cost (ceded or lost), the oblast it holds, then the
    # part lost after resumption
    assert [o.name for o in outputs.headline()] == [
        "ground_ceded_or_lost_km2", "belt_towns_ceded_or_lost", "ua_oblast_area_km2_end",
        "territory_lost_km2", "belt_towns_lost"]
    for o in outputs.OUTPUTS:
        assert o.label and o.kind in ("run", "day", "derived")
        assert not o.paired or o.in_arm_tables, o.name  # paired ones are tabled per arm too
    for monitor in outputs.MONITORS:
        assert all(outputs.get(n) is not None for n in monitor.names), monitor.label


def test_every_derived_output_is_derived_from_the_record():
    """Each "derived" output is a column ``with_derived`` adds from the run record; the
    whole cost adds what the deal ceded to what the offensive took."""
    import pandas as pd
    from dmzsim.analysis.tables import with_derived

    record = pd.DataFrame({"resumed": [True, False], "day_resumed": [100.0, float("nan")],
                           "area_ceded_km2": [0.0, 5100.0], "territory_lost_km2": [800.0, 0.0],
                           "belt_towns_ceded": [0, 4], "belt_towns_lost": [2, 0]})
    df = with_derived(record, 730.0)
    assert set(outputs.names("derived")) <= set(df.columns)
    assert df["ground_ceded_or_lost_km2"].tolist() == [800.0, 5100.0]
    assert df["belt_towns_ceded_or_lost"].tolist() == [2, 4]
    assert df["ceasefire_days"].tolist() == [100.0, 730.0]
    # a record without the parts (an older results folder): the sums are left out
    old = with_derived(record.drop(columns=["area_ceded_km2"]), 730.0)
    assert "ground_ceded_or_lost_km2" not in old and "belt_towns_ceded_or_lost" in old


def test_guarantee_triggered_says_what_it_records():
    """The guarantor came in against the resumed offensive (Guarantor.respond_to_attack),
    not "responded to a violation" (that is guarantor_responses)."""
    label = outputs.get("guarantee_triggered").label
    assert "resumed offensive" in label and "violation" not in label


# --- adding an output --------------------------------------------------------------------------
NEW = outputs.Output("dmz_sectors", "sectors of the demilitarized zone", "sectors",
                     count=True, cost=True)


@pytest.fixture
def new_output(monkeypatch: pytest.MonkeyPatch) -> Iterator[outputs.Output]:
    """A new output as a contributor adds one: an entry in the table, its computation in
    recording.SUMMARY (and, to see it in the visual run, a monitor)."""
    monkeypatch.setattr(outputs, "OUTPUTS", (*outputs.OUTPUTS, NEW))
    monkeypatch.setitem(recording.SUMMARY, NEW.name, lambda m, end: len(m.monitoring.sectors))
    monkeypatch.setattr(outputs, "MONITORS",
                        (*outputs.MONITORS, outputs.Monitor("DMZ sectors", (NEW.name,))))
    yield NEW


def test_a_new_output_is_recorded_reported_documented_and_monitored(
        new_output: outputs.Output, tmp_path: Path) -> None:
    # recorded: in every run's summary record, and so in the results folder
    config = {"name": "new_output", "root_seed": 1, "replicates": 2, "horizon_days": 30,
              "arms": {"tf": {"sequencing": "territory_first"},
                       "fl": {"sequencing": "frozen_line"}}}
    report = run_experiment(from_dict(config), tmp_path, executor=ExecutorSpec("serial", 1),
                            simulate=simulate_small, progress=False)
    summary = load_experiment(report.folder).summary
    assert new_output.name in summary and summary[new_output.name].notna().all()
    # reported: a cost, so in the per-arm cost table under its label
    table = outcome_table(summary, 30.0)
    assert set(table[table["outcome"] == new_output.name]["arm"]) == {"tf", "fl"}
    assert new_output.label in write_report(report.folder).read_text()
    # documented
    assert f"| `{new_output.name}` | run | sectors |" in outputs.markdown_table()


def test_a_new_output_can_be_a_monitor_of_the_visual_run(new_output: outputs.Output) -> None:
    pytest.importorskip("solara")
    from dmzsim.runs.viz.components import monitor_values

    m = CeasefireModel(small(), rng=1, map_path=SMALL_MAP)
    m.step()
    assert dict(monitor_values(m))["DMZ sectors"] == str(len(m.monitoring.sectors))
