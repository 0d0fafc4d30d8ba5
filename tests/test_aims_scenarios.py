"""Russia's aims as data: scenarios of named regions on the map (``[aims.<name>]``,
``[regions.<name>]``), picked by ``aims_scenario``, and aims that grow with the balance
(``aims_growth``). Mechanism tests on the small synthetic map, null tests against today's
valuation, the format's errors and representation invariance."""

from pathlib import Path

import numpy as np
import pytest
from dmzsim.common.kept import KeptAcrossRuns
from dmzsim.model import aims
from dmzsim.model.api import simulate
from dmzsim.model.forces import RU, Posture
from dmzsim.model.map_checks import run_map_problem
from dmzsim.model.model import CeasefireModel
from dmzsim.model.params import Params
from dmzsim.model.processes import decision
from dmzsim.model.processes.recording import summary
from dmzsim.model.theatre import cached_raster
from dmzsim.model.theatre_map import MapFileError, load_map

from tests.helpers import SMALL_MAP, same_records, small

SEEDS = range(8)
#: All the ground Ukraine holds outside the small map's rectangle, and its western half.
BEYOND = "[[47.5, 36.5], [48.9, 36.5], [48.9, 37.4], [47.5, 37.4]]"
AIMS = f"""
[regions.beyond]
outline = {BEYOND}
source = "synthetic: made up for tests"

[aims.beyond_nothing]
source = "synthetic"
confidence = "L"
values = {{ oblast = 1.0, beyond = 0.0 }}
elsewhere = 0.0

[aims.beyond_full]
source = "synthetic"
confidence = "L"
values = {{ oblast = 1.0, beyond = 1.0 }}
elsewhere = 0.0

[aims.as_today]
source = "synthetic: the scenario 'oblast' spelt out"
confidence = "L"
values = {{ oblast = 1.0 }}
"""
#: A deal that hands Russia the oblast: only ground beyond it is left to take.
AIMS_MET = {"sequencing": "simultaneous", "dmz_shape": "unilateral", "ru_theatre_share": 0.3,
            "resumption_cost_km2": 0.0, "ceasefire_dividend_km2_per_year": 0.0,
            "guarantee_credibility": 0.0}


def _map(folder: Path, extra: str = AIMS) -> Path:
    path = folder / "aims.toml"
    path.write_text(SMALL_MAP.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def _run(params: Params, seed: int, map_path: Path) -> dict:
    m = CeasefireModel(params, rng=seed, map_path=map_path)
    m.run_for(params.horizon_days)
    return summary(m)


# --- mechanism: what a region is worth draws an offensive, or does not ---------------------
def test_a_region_worth_nothing_draws_no_offensive_and_one_at_full_value_does(tmp_path):
    path = _map(tmp_path)
    nothing = [_run(small(aims_scenario="beyond_nothing", **AIMS_MET), s, path) for s in SEEDS]
    assert not any(r["resumed"] for r in nothing)
    full = [_run(small(aims_scenario="beyond_full", **AIMS_MET), s, path) for s in SEEDS]
    assert any(r["resumed"] for r in full)


def test_what_a_corridor_is_worth_follows_its_region(tmp_path):
    """After the cession every corridor lies in ``beyond``: worth nothing, or all its
    ground at full value (the value of 'oblast' no longer matters: it is Russia's)."""
    path = _map(tmp_path)
    worth = {}
    for name in ("beyond_nothing", "beyond_full"):
        m = CeasefireModel(small(aims_scenario=name, **AIMS_MET), rng=0, map_path=path)
        m.run_for(30)
        assert m.phase == "dmz"
        worth[name] = [m.lines.aims.total(j) for j in range(m.lines.windows.n)]
    assert not any(worth["beyond_nothing"])
    assert min(worth["beyond_full"]) > 0


# --- null: the default reproduces today's valuation and decisions --------------------------
@pytest.mark.parametrize("cell_km", [1.0, 2.0])
def test_the_default_scenario_values_the_ground_as_before(cell_km):
    """'oblast' gives every cell exactly the value the model gave before scenarios: 1 in
    the oblast, beyond_aims_value elsewhere; every town the value of the oblast."""
    raster = cached_raster(None, cell_km)
    for beyond in (0.25, 0.6):
        before = np.where(raster.in_oblast.ravel(), 1.0, beyond)
        assert np.array_equal(aims.cell_values(raster, "oblast", beyond), before)
        assert np.array_equal(aims.cell_values(raster, "donetsk", beyond), before)
    belt = [v for t, v in zip(raster.towns, aims.town_values(raster, "oblast", 0.25),
                              strict=True) if t.fortress_belt]
    assert belt == [1.0] * 4


def test_a_scenario_spelling_out_the_default_makes_the_same_runs(tmp_path):
    path = _map(tmp_path)
    arm = {"sequencing": "frozen_line", "ru_theatre_share": 0.3}
    today = [_run(small(**arm), s, path) for s in SEEDS]
    spelt = [_run(small(aims_scenario="as_today", **arm), s, path) for s in SEEDS]
    assert sum(r["resumed"] for r in today) >= 2  # the comparison is not empty
    assert same_records(today, spelt)


def test_the_default_maps_donetsk_scenario_makes_the_same_runs_as_the_default():
    runs = {name: [simulate({"aims_scenario": name, "horizon_days": 400,
                             "sequencing": "frozen_line"}, s, until_resumption=True).summary
                   for s in (1, 3, 5)]
            for name in ("oblast", "donetsk")}
    assert same_records(runs["oblast"], runs["donetsk"])


# --- aims that grow with the balance ------------------------------------------------------
def test_growth_is_a_share_of_the_gap_to_full_value_beyond_the_breakthrough_ratio():
    share = aims.growth_share(0.5, np.array([2.0, 3.0, 4.5, 6.0, 30.0]), 3.0)
    np.testing.assert_allclose(share, [0.0, 0.0, 0.25, 0.5, 1.0])
    assert not aims.growth_share(0.0, np.array([30.0]), 3.0).any()


def test_aims_that_grow_with_the_balance_draw_an_offensive_on_ground_worth_nothing(tmp_path):
    path = _map(tmp_path)
    still = [_run(small(aims_scenario="beyond_nothing", **AIMS_MET), s, path) for s in SEEDS]
    grown = [_run(small(aims_scenario="beyond_nothing", aims_growth=2.0, **AIMS_MET), s, path)
             for s in SEEDS]
    assert not any(r["resumed"] for r in still)
    assert any(r["resumed"] for r in grown)


def test_grown_aims_value_a_corridor_between_its_value_and_full(tmp_path):
    path = _map(tmp_path)
    m = CeasefireModel(small(aims_scenario="beyond_nothing", aims_growth=1.0, **AIMS_MET),
                       rng=0, map_path=path)
    m.run_for(30)
    a, k = m.lines.aims, m.lines.windows.n // 2
    worth = [a.value(k, 5.0, g) for g in (0.0, 0.5, 1.0)]
    assert worth[0] == 0.0 and worth[2] > 0
    assert worth[1] == pytest.approx(0.5 * worth[2])
    assert a.total(k, 0.5) == pytest.approx(0.5 * a.total(k, 1.0))


def test_with_growth_off_the_estimate_is_unchanged():
    """aims_growth 0 is the model without it, estimate for estimate, whatever the ratio."""
    p = small(sequencing="frozen_line")
    est = {}
    for growth in (0.0, 1.0):
        m = CeasefireModel(p.replace(aims_growth=growth), rng=0, map_path=SMALL_MAP)
        m.add_unit(RU, 60_000.0, 1.0, Posture.RESERVE, -1)  # odds well past 3:1
        est[growth] = decision.estimate(m, np.zeros(m.lines.windows.n), lookahead=False)
    assert est[0.0].ratio[0] > p.breakthrough_ratio  # growth would act here if it were on
    assert est[1.0].gain[0] > est[0.0].gain[0] > 0
    base = CeasefireModel(p, rng=0, map_path=SMALL_MAP)
    base.add_unit(RU, 60_000.0, 1.0, Posture.RESERVE, -1)
    again = decision.estimate(base, np.zeros(base.lines.windows.n), lookahead=False)
    assert again.gain[0] == est[0.0].gain[0] and again.value_now == est[0.0].value_now


# --- the format's errors ------------------------------------------------------------------
@pytest.mark.parametrize(("extra", "message"), [
    (AIMS.replace("beyond = 1.0", "nowhere = 1.0"),
     "aims.beyond_full.values.nowhere: no such region (the map's regions: oblast, beyond)"),
    (AIMS.replace("beyond = 1.0", "beyond = 1.5"),
     "aims.beyond_full.values.beyond = 1.5: must be <= 1"),
    (AIMS.replace("beyond = 1.0", "beyond = -0.5"),
     "aims.beyond_full.values.beyond = -0.5: must be >= 0"),
    (AIMS.replace("beyond = 1.0", 'beyond = "1"'),
     "aims.beyond_full.values.beyond = '1': Input should be a valid number"),
    (AIMS.replace('confidence = "L"\nvalues = { oblast = 1.0 }',
                  'confidence = "sure"\nvalues = { oblast = 1.0 }'),
     "aims.as_today.confidence = 'sure'"),
    (AIMS.replace("elsewhere = 0.0\n\n[aims.beyond_full]", "elsewhere = 2.0\n\n[aims.beyond_full]"),
     "aims.beyond_nothing.elsewhere = 2.0: must be <= 1"),
    (AIMS.replace("[aims.as_today]", "[aims.oblast]"),
     "aims.oblast: the scenario every map has"),
    (AIMS.replace("[regions.beyond]", "[regions.oblast]"),
     "regions.oblast: the name of the map's own [oblast] outline"),
    (AIMS.removesuffix("values = { oblast = 1.0 }\n") + "values = {}\n",
     "aims.as_today.values = {...} (a table): needs at least 1 item(s)"),
    (AIMS.replace("colour", "x").replace('source = "synthetic"\n', 'colour = "red"\n', 1),
     "aims.beyond_nothing.colour = 'red': unknown key"),
])
def test_a_bad_scenario_is_refused_naming_the_file_the_key_and_the_value(tmp_path, extra,
                                                                        message):
    path = _map(tmp_path, extra)
    with pytest.raises(MapFileError) as err:
        load_map(path)
    assert f"map file {path}: " in str(err.value)
    assert message in str(err.value)


def test_an_unknown_scenario_is_refused_before_anything_runs(tmp_path):
    path = _map(tmp_path)
    p = small(aims_scenario="nope")
    problem = run_map_problem(path, p)
    assert problem is not None and problem.param == "aims_scenario"
    assert (f"map file {path} declares no aims scenario 'nope' (its scenarios: oblast, "
            "as_today, beyond_full, beyond_nothing, oblast_only)") in problem.message
    with pytest.raises(aims.AimsError, match="declares no aims scenario 'nope'"):
        CeasefireModel(p, rng=0, map_path=path)
    assert run_map_problem(SMALL_MAP, small(aims_scenario="oblast")) is None


def test_an_experiment_naming_an_unknown_scenario_fails_at_load():
    from dmzsim.runs.experiment.config import ExperimentError, from_dict

    config = {"name": "x", "root_seed": 1, "replicates": 1,
              "arms": {"a": {"aims_scenario": "beyond_full"}}}
    with pytest.raises(ExperimentError, match=r"arms\.a\.aims_scenario = 'beyond_full': "
                       r".*declares no aims scenario 'beyond_full'"):
        from_dict(config, source="test")


# --- representation: the same aims at any cell size ---------------------------------------
def test_a_region_is_worth_the_same_at_any_cell_size(tmp_path):
    """A region's edge crosses the corridors (the north half at 0.5): what they are worth
    does not move with the cell size beyond the small-map tolerance of the other
    representation tests."""
    half = AIMS + """
[regions.north]
outline = [[48.18, 36.5], [48.9, 36.5], [48.9, 38.0], [48.18, 38.0]]
source = "synthetic"

[aims.north_half]
source = "synthetic"
confidence = "L"
values = { oblast = 0.2, north = 0.5 }
elsewhere = 0.1
"""
    path = _map(tmp_path, half)
    worth = {}
    for cell in (1.0, 2.0):
        m = CeasefireModel(small(cell_km=cell, aims_scenario="north_half"), rng=0,
                           map_path=path)
        worth[cell] = sum(m.lines.aims.value(j, 10.0) for j in range(m.lines.windows.n))
    assert worth[2.0] == pytest.approx(worth[1.0], rel=0.06)


@pytest.mark.parametrize("name", ["donetsk_only", "claimed_oblasts", "maximal"])
def test_the_default_maps_scenarios_value_its_ground_alike_at_two_cell_sizes(name):
    """The aims value of the ground Ukraine holds, at 1 and 2 km cells."""
    worth = {}
    for cell in (1.0, 2.0):
        r = cached_raster(None, cell)
        held = (r.ua_held & ~r.impassable).ravel()
        worth[cell] = float(aims.cell_values(r, name, 0.25)[held].sum()) * r.cell_area_km2
    assert worth[2.0] == pytest.approx(worth[1.0], rel=0.01)


# --- reuse: the aims a sweep builds again are the ones a fresh build gives --------------------
def test_reused_aims_are_those_a_fresh_build_gives_and_any_changed_input_builds_anew(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aims, "_kept", KeptAcrossRuns(aims.CACHE_SIZE, aims.SEEN_SIZE))
    m = CeasefireModel(small(), rng=0, map_path=SMALL_MAP)
    th, w = m.theatre, m.lines.windows
    first, second, third = (aims.aims_for(th, m.p, w) for _ in range(3))
    assert first is not second and second is third  # kept once built a second time
    fresh = aims.Aims(th, m.p, w)
    for name in ("near", "weight", "moment"):
        for a, b in zip(getattr(third, name), getattr(fresh, name), strict=True):
            np.testing.assert_array_equal(a, b)
    other = small(beyond_aims_value=0.9)
    assert aims.aims_for(th, other, w) is not third
    th.dmz_flat[np.flatnonzero(th.ua_ground())[:5]] = True  # the ground held changes
    assert aims.aims_for(th, m.p, w) is not third


def test_runs_are_the_same_with_and_without_reused_aims(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    params = small(sequencing="territory_first", horizon_days=200)
    warm = [simulate(params, seed=s, map_path=SMALL_MAP).summary for s in (1, 2, 1, 2)]
    monkeypatch.setattr(aims, "_kept", KeptAcrossRuns(0, aims.SEEN_SIZE))
    cold = [simulate(params, seed=s, map_path=SMALL_MAP).summary for s in (1, 2, 1, 2)]
    assert same_records(warm, cold)
