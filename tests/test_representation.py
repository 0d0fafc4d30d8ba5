"""What Russia estimates must not move with how the map is cut: the cell size and the
sectors' width (docs/validation.md §3 measures the runs; these test the pieces)."""

import numpy as np
import pytest
from dmzsim.model import aims
from dmzsim.model.decision import misreading
from dmzsim.model.model import CeasefireModel
from dmzsim.model.theatre_map import TownSpec

from tests.helpers import SMALL_MAP, small


def _partition(length_km: float, sector_km: float) -> tuple[np.ndarray, np.ndarray]:
    n = max(1, round(length_km / sector_km))
    lo = np.arange(n) * length_km / n
    return lo, lo + length_km / n


@pytest.mark.parametrize("seed", range(5))
def test_the_best_misreading_is_the_same_whatever_the_partition(seed):
    draws = np.random.default_rng(seed).normal(0.0, 0.25, 64)
    best = {s: misreading(*_partition(203.0, s), 20.0, draws)[0].max()
            for s in (8.0, 15.0, 20.0, 30.0, 45.0)}
    assert len(set(best.values())) == 1, best


def test_a_misreading_belongs_to_the_ground_not_to_the_sector():
    draws = np.arange(64.0)
    lo, hi = np.array([0.0, 20.0, 40.0, 120.0]), np.array([20.0, 40.0, 60.0, 140.0])
    value, window = misreading(lo, hi, 20.0, draws)
    assert value.tolist() == [0.0, 1.0, 2.0, 6.0] and window.tolist() == [0, 1, 2, 6]
    # a wide sector reads as its best frontage; a narrow one as the frontage round it
    value, window = misreading(np.array([0.0]), np.array([60.0]), 20.0, -draws)
    assert value.tolist() == [0.0] and window.tolist() == [0]
    value, window = misreading(np.array([0.0, 4.0]), np.array([4.0, 8.0]), 20.0, draws)
    assert value.tolist() == [0.0, 0.0] and window.tolist() == [0, 0]


def test_no_noise_no_misreading():
    lo, hi = _partition(100.0, 20.0)
    assert not misreading(lo, hi, 20.0, np.zeros(64))[0].any()


def _model(cell_km: float) -> CeasefireModel:
    return CeasefireModel(small(cell_km=cell_km), rng=0, map_path=SMALL_MAP)


@pytest.mark.parametrize("cell_km", [1.0, 1.5, 2.0, 3.0])
def test_the_defended_zone_is_as_deep_at_any_cell_size(cell_km):
    m = _model(cell_km)
    th = m.theatre
    _, sectors, weights = m.zone
    area = np.bincount(sectors, weights=weights, minlength=th.n_sectors) * th.cell_area
    depth = area.sum() / th.sectors.length_km.sum()
    assert depth == pytest.approx(m.p.defence_zone_km, rel=0.1)


def test_the_value_of_ground_grows_smoothly_with_depth():
    m = CeasefireModel(small(cell_km=2.0, belt_town_value_km2=0.0), rng=0,
                       map_path=SMALL_MAP)
    k = m.theatre.n_sectors // 2
    d = np.linspace(0.0, 20.0, 401)
    steps = np.diff([m.aims.value(k, x) for x in d])
    assert (steps >= -1e-9).all()
    # each 0.05 km gains at most the corridor's width of ground, never a row of cells
    assert steps.max() <= 0.05 * m.p.attack_frontage_km * (1 + 1e-9)


def test_the_corridor_is_worth_the_same_at_any_cell_size():
    worth = {c: sum(_model(c).aims.value(k, 10.0) for k in range(_model(c).theatre.n_sectors))
             for c in (1.0, 2.0)}
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
