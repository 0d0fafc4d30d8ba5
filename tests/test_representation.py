"""What Russia estimates must not move with how the map is cut: the cell size and the
sectors' width (docs/validation.md §3 measures the runs; these test the pieces)."""

import numpy as np
import pytest
from dmzsim.model import aims, balance
from dmzsim.model.forces import UA, Posture
from dmzsim.model.front import Sectors
from dmzsim.model.model import CeasefireModel
from dmzsim.model.processes import decision
from dmzsim.model.processes.decision import misreading
from dmzsim.model.theatre_map import TownSpec

from tests.helpers import SMALL_MAP, small


def _sectors(stretches: list[tuple[float, float]], sector_km: float) -> Sectors:
    """Sectors of about ``sector_km`` on stretches of front ``(start, end)`` (km along it),
    cut as ``front.partition`` cuts them; only the fields ``windows`` reads are filled."""
    lo, hi = [], []
    for a, b in stretches:
        n = max(1, round((b - a) / sector_km))
        lo += list(a + np.arange(n) * (b - a) / n)
        hi += list(a + (np.arange(n) + 1) * (b - a) / n)
    none = np.zeros(0)
    return Sectors(depth=none, s=none, sector_of_cell=none.astype(int), lo=np.array(lo),
                   hi=np.array(hi), anchor=np.zeros(len(lo), int), front=none.astype(int),
                   stretches=np.array([(a, b - a) for a, b in stretches]))


FRONT = [(0.0, 203.0), (1.0e4 + 203.0, 1.0e4 + 215.0)]  # a long stretch and a short one


@pytest.mark.parametrize("sector_km", [8.0, 15.0, 20.0, 30.0, 45.0])
def test_the_points_of_attack_are_the_same_whatever_the_partition(sector_km):
    w = _sectors(FRONT, sector_km).windows(20.0)
    reference = _sectors(FRONT, 20.0).windows(20.0)
    np.testing.assert_allclose(w.centre, reference.centre)
    # each window meets its own 20 km of front, wherever the sectors' ends fall
    covered = w.weights @ _sectors(FRONT, sector_km).length_km
    np.testing.assert_allclose(covered, reference.weights @ _sectors(FRONT, 20.0).length_km)


def test_windows_lie_end_to_end_and_a_short_stretch_has_one():
    w = _sectors(FRONT, 30.0).windows(20.0)
    assert w.n == 11  # round(203 / 20) on the long stretch, one on the 12 km one
    assert np.allclose(np.diff(w.centre[:10]), 20.3)
    assert w.centre[10] == pytest.approx(1.0e4 + 209.0)
    sec = _sectors(FRONT, 30.0)
    inside = (sec.lo[w.owner] <= w.centre) & (w.centre < sec.hi[w.owner])
    assert inside.all()
    # a window's weights sum its frontage, clipped to its own stretch
    covered = w.weights @ sec.length_km
    np.testing.assert_allclose(covered[:10], 20.0)
    assert covered[10] == pytest.approx(12.0)


def test_a_misreading_belongs_to_the_window():
    draws = np.arange(64.0)
    assert misreading(draws, 3).tolist() == [0.0, 1.0, 2.0]
    assert misreading(draws, 66)[64:].tolist() == [0.0, 1.0]  # they wrap round
    assert not misreading(np.zeros(64), 10).any()


@pytest.mark.parametrize("sector_km", [10.0, 15.0, 30.0])
def test_the_model_aims_at_the_same_ground_whatever_the_partition(sector_km):
    """On the small map the windows, their corridors and what they are worth do not
    move with the sectors' width."""
    ref = CeasefireModel(small(sector_km=20.0), rng=0, map_path=SMALL_MAP)
    m = CeasefireModel(small(sector_km=sector_km), rng=0, map_path=SMALL_MAP)
    np.testing.assert_allclose(m.lines.windows.centre, ref.lines.windows.centre)
    np.testing.assert_allclose([m.lines.aims.total(j) for j in range(m.lines.windows.n)],
                               [ref.lines.aims.total(j) for j in range(ref.lines.windows.n)])


def _model(cell_km: float) -> CeasefireModel:
    return CeasefireModel(small(cell_km=cell_km), rng=0, map_path=SMALL_MAP)


@pytest.mark.parametrize("cell_km", [1.0, 1.5, 2.0, 3.0])
def test_the_defended_zone_is_as_deep_at_any_cell_size(cell_km):
    m = _model(cell_km)
    th = m.theatre
    _, sectors, weights = m.fortification.zone
    area = np.bincount(sectors, weights=weights, minlength=th.n_sectors) * th.cell_area
    depth = area.sum() / th.sectors.length_km.sum()
    assert depth == pytest.approx(m.p.defence_zone_km, rel=0.1)


def test_the_value_of_ground_grows_smoothly_with_depth():
    m = CeasefireModel(small(cell_km=2.0, belt_town_value_km2=0.0), rng=0,
                       map_path=SMALL_MAP)
    k = m.lines.windows.n // 2
    d = np.linspace(0.0, 20.0, 401)
    steps = np.diff([m.lines.aims.value(k, x) for x in d])
    assert (steps >= -1e-9).all()
    # each 0.05 km gains at most the corridor's width of ground, never a row of cells
    assert steps.max() <= 0.05 * m.p.attack_frontage_km * (1 + 1e-9)


def test_the_corridor_is_worth_the_same_at_any_cell_size():
    worth = {c: sum(m.lines.aims.value(j, 10.0) for j in range(m.lines.windows.n))
             for c, m in ((c, _model(c)) for c in (1.0, 2.0))}
    assert worth[2.0] == pytest.approx(worth[1.0], rel=0.06)


def test_a_town_counts_for_the_share_of_its_disc_in_the_corridor():
    axis = (0.0, 0.0, 1.0, 0.0)  # from the origin, straight along x

    def town(y_km: float) -> TownSpec:
        return TownSpec("T", 0.0, 0.0, True, 2.0, (0, 0), 10.0, y_km)

    near, inside = aims._town_in_corridor(axis, 10.0, town(0.0), 2.0)
    assert near == pytest.approx(9.0) and inside == pytest.approx(1.0)
    assert aims._town_in_corridor(axis, 10.0, town(10.0), 2.0)[1] == pytest.approx(0.5)
    assert aims._town_in_corridor(axis, 10.0, town(-10.0), 2.0)[1] == pytest.approx(0.5)
    assert aims._town_in_corridor(axis, 10.0, town(12.5), 2.0)[1] == 0.0


def _defence_on(m: CeasefireModel, window: int) -> float:
    return float(decision._Forecast(decision._Today(m), np.zeros(1)).defence[0, window])


@pytest.mark.parametrize("committed", [True, False])
def test_reserves_sent_to_meet_the_main_effort_count_in_full_on_its_frontage(committed):
    """On a sector wider than the attack frontage, a unit spread along the sector counts
    for the frontage's share of it; the reserves sent against the main effort stand on
    its frontage and count in full, whatever the sector's width. Without a main effort
    they are spread like any line unit."""
    m = CeasefireModel(small(sector_km=40.0), rng=0, map_path=SMALL_MAP)
    assert m.theatre.n_sectors == 1 and m.lines.windows.n == 2  # one sector, two frontages
    share = float(m.lines.windows.weights[0, 0])
    assert share < 0.6
    m.effort.aim(0 if committed else -1)
    base = _defence_on(m, 0)
    unit = m.add_unit(UA, 5_000.0, 1.0, Posture.DEFEND, 0)
    m.forces.committed[unit.row] = True
    with_unit = _defence_on(m, 0)
    m.forces.committed[unit.row] = False
    spread = _defence_on(m, 0)
    assert (with_unit - base) / (spread - base) == pytest.approx(1.0 / share if committed
                                                                 else 1.0)


def test_front_positions_lay_the_stretches_end_to_end():
    sec = _sectors(FRONT, 20.0)
    assert sec.position(np.array([0.0, 203.0, 1.0e4 + 203.0, 1.0e4 + 215.0])).tolist() == \
        pytest.approx([0.0, 203.0, 203.0, 215.0])
    lo, hi = sec.spans
    np.testing.assert_allclose(hi - lo, sec.length_km)
    # a frontage is cut at the end of its own stretch, never reaching into the next one
    w = sec.windows(20.0)
    a, b = w.spans
    np.testing.assert_allclose(b[:10] - a[:10], 20.0)  # frontages centred 20.3 km apart
    assert a[0] == pytest.approx(0.15) and b[9] == pytest.approx(202.85)
    assert (a[10], b[10]) == pytest.approx((203.0, 215.0))


def test_a_line_stands_end_to_end_each_unit_on_its_share():
    from dmzsim.model.lines import along_front

    power = np.array([1.0, 3.0, 2.0, 2.0])
    sector, start, end = along_front(power, np.array([10.0, 30.0]))
    np.testing.assert_allclose(start, [0.0, 5.0, 20.0, 30.0])
    np.testing.assert_allclose(end, [5.0, 20.0, 30.0, 40.0])
    assert sector.tolist() == [0, 1, 1, 1]  # the sector holding each unit's middle


def _standing(sector_km: float) -> tuple[np.ndarray, ...]:
    from dmzsim.model.forces import RU

    m = CeasefireModel(small(sector_km=sector_km), rng=0, map_path=SMALL_MAP)
    ua, _ = balance.ua_line_masks(m)
    on = m.lines.windows.spans
    return (m.lines.standing_on(m.forces.line_mask(RU), on).sum(axis=0),
            m.lines.standing_on(ua, on).sum(axis=0),
            decision._Forecast(decision._Today(m), np.zeros(1)).attack[0])


@pytest.mark.parametrize("sector_km", [10.0, 15.0, 30.0])
def test_a_frontage_meets_the_same_units_whatever_the_partition(sector_km):
    """Each side's line stands end to end along the front, so the power on each of
    Russia's points of attack is the same however the front is cut into sectors. Read
    as the sectors' averages blended by the frontage's share of each, it was not: a
    frontage across two sectors met an even mix of both, and the weakest point of a
    coarse partition was never as weak as that of one cut on the frontage itself."""
    for got, want in zip(_standing(sector_km), _standing(20.0), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9)


def test_the_line_stands_wholly_on_the_front_and_a_unit_sent_on_spreads_on_its_sector():
    m = CeasefireModel(small(sector_km=15.0), rng=0, map_path=SMALL_MAP)
    mask = m.forces.line_mask(UA)
    on_sectors = m.lines.standing_on(mask, m.lines.sector_spans)
    assert on_sectors.sum() == pytest.approx(m.forces.power(mask))  # nothing lost or made
    row = int(np.flatnonzero(mask & (m.forces.view("sector") == 0))[0])
    m.units[row].order(Posture.DEFEND, 1, m.day)
    assert np.isnan(m.forces.front_from[row])
    alone = np.zeros_like(mask)
    alone[row] = True
    got = m.lines.standing_on(alone, m.lines.sector_spans)
    assert got[1, 1] == pytest.approx(m.forces.power(alone)) and got.sum() == got[1, 1]


def test_the_axis_of_an_attack_moves_smoothly_along_the_front():
    """At 3 km cells the origin and direction of an attack's axis do not jump a cell at a
    time as the point of attack slides along the front: a point of attack a cell further
    on, at a coarser cell size, would otherwise aim at other ground."""
    m = _model(3.0)
    s = np.arange(20.0, 40.0, 0.25)
    axes = np.array([aims.axis_of_advance(m.theatre, m.p.attack_frontage_km, float(x)) for x in s])
    step = np.hypot(np.diff(axes[:, 0]), np.diff(axes[:, 1]))
    cos = np.clip((axes[1:, 2:] * axes[:-1, 2:]).sum(axis=1), -1.0, 1.0)
    turn = np.degrees(np.arccos(cos))
    assert step.max() < 1.0 and turn.max() < 2.0
