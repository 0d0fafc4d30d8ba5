"""Behaviour on the small synthetic map, one mechanism at a time, with hand-set state."""

import numpy as np
import pytest
from dmzsim.model import zones
from dmzsim.model.forces import RU, UA, Posture
from dmzsim.model.model import CeasefireModel
from dmzsim.model.theatre import RU as CTRL_RU
from dmzsim.model.theatre import UA as CTRL_UA

from tests.helpers import SMALL_MAP, small


def world(**params) -> CeasefireModel:
    return CeasefireModel(small(**params), rng=1, map_path=SMALL_MAP)


def test_units_start_on_their_own_side():
    m = world(sequencing="frozen_line")
    for u in m.units.values():
        ctrl = m.theatre.control[u.cell.coordinate]
        assert ctrl == (CTRL_RU if u.side == "RU" else CTRL_UA)


def test_unilateral_withdrawal_empties_and_cedes_the_oblast_part():
    m = world(sequencing="territory_first", dmz_shape="unilateral", withdrawal_days=10)
    ua_in_oblast = zones.unilateral_zone(m.theatre, "unilateral").copy()
    for _ in range(10):
        m.step()
    assert m.phase == "dmz"
    assert np.array_equal(m.theatre.dmz_flat, ua_in_oblast)
    assert np.all(m.theatre.control_flat[ua_in_oblast] == CTRL_RU)
    assert all(not m.theatre.dmz[u.cell.coordinate] for u in m.units.values())
    assert m.record.towns_ceded == 2  # both fortress-belt towns lie inside the oblast part


def test_mirrored_withdrawal_keeps_control_and_opens_a_gap():
    m = world(sequencing="simultaneous", dmz_shape="mirrored", dmz_width_km=6.0,
              withdrawal_days=5)
    before = m.theatre.control.copy()
    for _ in range(5):
        m.step()
    assert np.array_equal(m.theatre.control, before)
    # the theatre is cut along Ukraine's new line: Russia's edge is both widths away
    assert np.all(m.lines.ua_depth == 0.0)
    assert np.all(m.lines.ru_depth <= -2 * 6.0 + m.theatre.cell_km)
    assert np.all(m.lines.crossing_days() > 0)


def test_an_undefended_sector_is_overrun_and_its_town_falls():
    m = world(sequencing="no_deal", review_interval_days=365)
    f = m.forces
    town = next(i for i, t in enumerate(m.theatre.raster.towns) if t.name == "Northfort")
    sector = int(m.theatre.sectors.sector_of_cell[np.ravel_multi_index(
        m.theatre.raster.towns[town].cell, m.theatre.control.shape)])
    ua_here = f.mask(UA, Posture.DEFEND) & (f.view("sector") == sector)
    f.strength[: f.n][ua_here] = 0.0
    area0 = m.ua_area
    for _ in range(30):
        m.step()
    assert m.ua_area < area0
    assert not m.theatre.towns_held[town]
    assert m.record.belt_towns_lost >= 1


def test_balanced_fortified_front_barely_moves():
    """Sixty days of war on a balanced, fully fortified front: the line as a whole stays
    (its median sector moves less than a cell). The main effort may still break in on its
    own sector, in about half the seeds with either way of drawing. The control: three
    times the force moves the median sector on every seed."""
    base = {"sequencing": "no_deal", "initial_fortification": 1.0,
            "ru_recruits_per_month": 0.0, "ua_recruits_per_month": 0.0,
            "ua_awol_per_month": 0.0}
    for seed in range(5):
        depth = {}
        for ru in (20_000.0, 60_000.0):
            m = CeasefireModel(small(ru_initial_personnel=ru, **base), rng=seed,
                               map_path=SMALL_MAP)
            for _ in range(60):
                m.step()
            depth[ru] = float(np.median(m.lines.ru_depth))
        assert depth[20_000.0] <= 1.0  # under ~17 m/day
        assert depth[60_000.0] > -1.0  # the line moved by more than a cell


def test_digging_raises_works_on_the_manned_line_and_zone_works_decay():
    m = world(sequencing="simultaneous", dmz_shape="mirrored", dmz_width_km=6.0,
              withdrawal_days=1, rear_fortification=0.0, initial_fortification=0.8,
              dig_days_to_full=10.0, fortification_decay_days=10.0)
    m.step()
    zone_cells = m.theatre.dmz_cells
    line_cells = m.fortification.zone[0]
    fort_zone0 = m.theatre.fort_flat[zone_cells].max()
    for _ in range(5):
        m.step()
    assert m.theatre.fort_flat[zone_cells].max() < fort_zone0
    assert m.theatre.fort_flat[line_cells].mean() > 0.2


@pytest.mark.parametrize(("coverage", "seen"), [(0.0, False), (1.0, True)])
def test_monitoring_sees_a_buildup_only_with_coverage(coverage, seen):
    m = world(sequencing="frozen_line", monitoring_coverage=coverage)
    m.add_unit(RU, 50_000.0, 1.0, Posture.RESERVE, -1)
    m.movement.send_reserves(RU, 0, m.day + 5)
    m.step()
    assert (m.monitoring.sectors[0].detections > 0) == seen
    assert m.ukraine.alert == seen


def test_overwhelming_reserves_lead_to_massing_then_resumption():
    m = world(sequencing="frozen_line", decision_noise=0.0, concentration_days=5,
              review_interval_days=1, review_jitter_days=0, decision_attack_day="review",
              resumption_cost_km2=300.0)
    m.add_unit(RU, 400_000.0, 1.0, Posture.RESERVE, -1)
    for _ in range(10):
        m.step()
    assert m.phase == "resumed"
    assert m.record.day_resumed == pytest.approx(6.0)


def test_no_reserves_and_a_balanced_line_means_no_resumption():
    m = world(sequencing="frozen_line", decision_noise=0.0, ru_recruits_per_month=0.0,
              ru_reserve_fraction=0.0, ru_initial_personnel=20_000.0)
    for _ in range(200):
        m.step()
    assert m.phase == "ceasefire"


def test_zero_credibility_guarantor_never_answers():
    m = world(sequencing="simultaneous", guarantee_credibility=0.0,
              guarantee_delivery_prob=1.0, violation_rate_per_100km_day=5.0,
              monitoring_coverage=1.0)
    for _ in range(50):
        m.step()
    assert m.guarantor.in_force and m.guarantor.responses == 0
    assert m.guarantor.credibility() == 0.0


def test_guarantees_that_never_arrive_leave_guarantees_first_frozen():
    m = world(sequencing="guarantees_first", guarantee_delivery_prob=0.0,
              guarantee_delay_days=5)
    for _ in range(20):
        m.step()
    assert m.phase in ("ceasefire", "resumed")
    assert not m.guarantor.in_force
    assert m.theatre.dmz_cells.size == 0


def test_new_units_form_from_recruits_in_reserve():
    m = world(sequencing="frozen_line", ru_recruits_per_month=200_000.0, ru_theatre_share=1.0,
              ru_theatre_cap_personnel=1_000_000.0, review_interval_days=365)
    n0 = m.forces.n
    m.step()
    new = [u for r, u in m.units.items() if r >= n0]
    assert new and all(u.posture == Posture.RESERVE and u.side == "RU" for u in new)
