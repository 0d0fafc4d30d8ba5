"""Orders at the front on the small map: objectives, lateral shifts, interrupted
withdrawals, where an offensive starts, and what the monitors watch."""

import numpy as np
import pytest
from dmzsim.model import balance
from dmzsim.model.forces import RU, UA, Posture
from dmzsim.model.model import CeasefireModel
from dmzsim.model.processes.recording import summary
from dmzsim.model.theatre import UA as CTRL_UA

from tests.helpers import SMALL_MAP, small


def world(**params) -> CeasefireModel:
    return CeasefireModel(small(**params), rng=1, map_path=SMALL_MAP)


def _clear(m: CeasefireModel, side: int, *postures: Posture, sector: int | None = None) -> None:
    f = m.forces
    mask = f.mask(side, *postures)
    if sector is not None:
        mask &= f.view("sector") == sector
    for r in np.flatnonzero(mask):
        m.units.pop(int(r)).disband()


def test_a_sector_where_ukraine_holds_no_ground_is_no_objective():
    m = world(sequencing="frozen_line", decision_noise=0.0)
    m.add_unit(RU, 200_000.0, 1.0, Posture.RESERVE, -1)
    before = m.russia.expected_ratio(np.zeros(m.lines.windows.n))
    assert np.all(before > 0)
    k = int(m.lines.windows.owner[0])
    m.lines.ua_depth[k] = np.inf  # nothing left to take on the sector of window 0
    after = m.russia.expected_ratio(np.zeros(m.lines.windows.n))
    gone = m.lines.windows.owner == k
    assert not after[gone].any() and balance.current_ratio(m)[k] == 0.0
    assert np.all(after[~gone] > 0)


def test_an_undefended_line_is_the_worst_threat_and_an_empty_sector_none():
    m = world(sequencing="no_deal", attack_frontage_km=8.0)  # within one sector
    _clear(m, UA, Posture.DEFEND, sector=0)
    assert balance.current_ratio(m)[0] == np.inf
    _clear(m, RU, Posture.DEFEND, sector=0)
    assert balance.current_ratio(m)[0] == 0.0


def _no_reserves_and_a_breach(**params) -> CeasefireModel:
    m = world(sequencing="no_deal", review_interval_days=1, **params)
    _clear(m, UA, Posture.RESERVE)
    _clear(m, UA, Posture.DEFEND, sector=0)
    return m


def test_without_reserves_ukraine_thins_its_calmest_sector_to_stop_a_breakthrough():
    m = _no_reserves_and_a_breach()
    for _ in range(2):  # a strong, calm sector 3 that can spare a unit
        m.add_unit(UA, 6_000.0, 1.0, Posture.DEFEND, 3)
    ratio = balance.current_ratio(m)
    m.day = 1
    donor = m.ukraine.shift_from_calmest(0, ratio)
    assert donor == int(np.argmin(np.where(ratio < 1.0, ratio, np.inf)))
    f = m.forces
    sent = f.mask(UA, Posture.DEFEND) & (f.view("sector") == 0)
    assert np.count_nonzero(sent) == 1
    assert f.view("arrive_day")[sent][0] == 1 + m.p.ua_alert_response_days


def test_no_sector_is_stripped_below_holding_its_own_line():
    m = _no_reserves_and_a_breach()  # every other sector has a single, barely holding unit
    m.day = 1
    assert m.ukraine.shift_from_calmest(0, balance.current_ratio(m)) == -1
    m.ukraine.step()
    f = m.forces
    assert not np.any(f.mask(UA, Posture.DEFEND) & (f.view("sector") == 0))


def test_an_attack_during_withdrawal_turns_the_withdrawing_units_around():
    m = world(sequencing="territory_first", withdrawal_days=30)
    for _ in range(3):
        m.step()
    assert m.phase == "withdrawal"
    withdrawing = np.flatnonzero(m.forces.mask(UA, Posture.WITHDRAW))
    assert withdrawing.size
    m.resume_war(0, 5.0)
    f = m.forces
    assert not f.mask(UA, Posture.WITHDRAW).any()
    assert np.all(f.posture[withdrawing] == Posture.DEFEND)
    assert np.all(f.arrive_day[withdrawing] <= m.day)
    for _ in range(30):
        m.step()
    assert m.phase == "resumed" and m.theatre.dmz_cells.size == 0  # no zone was ever set


def test_the_attack_point_is_where_the_offensive_started_not_where_it_ended():
    m = world(sequencing="frozen_line", decision_noise=0.0, concentration_days=5,
              review_interval_days=1, horizon_days=120)
    m.add_unit(RU, 400_000.0, 1.0, Posture.RESERVE, -1)
    while m.phase != "resumed":
        m.step()
    start = m.record.attack_cell
    assert m.theatre.depth.reshape(m.theatre.control.shape)[start] == 0.0  # on the front
    th = m.theatre
    assert th.sectors.sector_of_cell[np.ravel_multi_index(start, th.control.shape)] == \
        m.record.attack_sector
    m.run_for(100)
    s = summary(m)
    assert (s["attack_lat"], s["attack_lon"]) == (
        float(m.theatre.raster.lat[start]), float(m.theatre.raster.lon[start]))
    assert s["max_advance_km"] > 2 * m.theatre.cell_km  # the front moved on since


@pytest.mark.parametrize(("sequencing", "watched"), [("frozen_line", True), ("no_deal", False)])
def test_before_any_zone_the_monitors_watch_the_line_of_contact(sequencing, watched):
    m = world(sequencing=sequencing, monitoring_coverage=0.6)
    monitored = m.theatre.monitored.reshape(-1)
    strip = m.theatre.line_strip()
    assert strip.any()
    if watched:
        assert np.all(monitored[strip] == 0.6) and np.all(monitored[~strip] == 0.0)
    else:
        assert not monitored.any()


@pytest.mark.parametrize("zone", [("unilateral", 10.0), ("mirrored", 4.0),
                                  ("mirrored", 10.0)])
def test_after_a_withdrawal_every_sector_has_a_front_and_no_unit_stands_in_the_zone(zone):
    shape, width = zone
    m = world(sequencing="territory_first", dmz_shape=shape, dmz_width_km=width,
              withdrawal_days=5)
    for _ in range(6):
        m.step()
    assert m.phase == "dmz"
    assert np.all(m.lines.has_line()) and np.all(m.theatre.front_km > 0)
    for u in m.units.values():
        assert not m.theatre.dmz[u.cell.coordinate]
        assert m.theatre.control[u.cell.coordinate] == (RU if u.side == "RU" else UA)
    assert not m.forces.mask(UA, Posture.WITHDRAW).any()


def test_during_the_withdrawal_the_recorded_ratio_counts_the_withdrawing_line():
    m = world(sequencing="territory_first", withdrawal_days=30)
    for _ in range(3):
        m.step()
    assert m.phase == "withdrawal" and m.forces.mask(UA, Posture.WITHDRAW).any()
    ratio = balance.current_ratio(m)
    assert np.all(np.isfinite(ratio)) and np.all(ratio > 0)
    df = m.datacollector.get_model_vars_dataframe()
    assert np.all(np.isfinite(df["force_ratio_main_axis"]))


def test_after_a_unilateral_withdrawal_the_attack_point_is_on_ground_ukraine_holds():
    m = world(sequencing="territory_first", withdrawal_days=5)
    for _ in range(6):
        m.step()
    assert m.phase == "dmz"
    th = m.theatre
    for window in np.flatnonzero(m.lines.has_line()[m.lines.windows.owner]):
        m.phase = "dmz"
        m.resume_war(int(window), 5.0)
        x, y = m.record.attack_cell
        assert not th.dmz[x, y] and th.control[x, y] == CTRL_UA
        assert th.depth.reshape(th.control.shape)[x, y] == 0.0


def test_a_build_up_called_off_goes_back_to_reserve_everywhere_available():
    """Stood down, the massed units are reserves again (counting on every frontage), not
    a garrison spread along the sector they massed on."""
    m = world(sequencing="frozen_line")
    m.add_unit(RU, 50_000.0, 1.0, Posture.RESERVE, -1)
    reserves = m.forces.reserve_power(RU)
    m.effort.aim(0)
    m.movement.send_reserves(RU, m.effort.sector, m.day)
    assert m.forces.reserve_power(RU) == 0.0
    m.russia.stand_down()
    assert not m.forces.mask(RU, Posture.CONCENTRATE).any()
    assert m.forces.reserve_power(RU) == pytest.approx(reserves)
