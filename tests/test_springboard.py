"""Ceded ground as a position (model/springboard.py): Russia's massing staged inside a zone
it promised not to enter (``ru_zone_entry``).

(a) Forces massed inside the zone are seen at the monitors' daily rate, one violation a
    day, and the guarantor answers what is seen.
(b) They shorten Russia's way to Ukraine's line: the crossing and the warning in its staff
    estimate, and the crossing of the attack itself; its forecast odds and gain rise.
(c) With ``ru_zone_entry`` at 0, or no zone to enter, nothing enters and Russia decides
    as a model without the mechanism does, seed by seed.
"""

import numpy as np
import pytest
from dmzsim.model import springboard
from dmzsim.model.forces import RU, Posture
from dmzsim.model.model import CeasefireModel
from dmzsim.model.params import MECHANISMS_OFF
from dmzsim.model.processes import decision

from tests.helpers import SMALL_MAP, same_records, small_runs
from tests.helpers import small as _small

#: A zone in force and no offensive of Russia's own choosing (it is made to mass by hand).
QUIET = {"sequencing": "territory_first", "resumption_cost_km2": 1e5,
         "violation_rate_per_100km_day": 0.0}


def small(**changes):
    """The small world with every mechanism of a late peace switched off but the one a test
    names: these tests measure each mechanism against the model without the others."""
    return _small(**{**MECHANISMS_OFF, **changes})


def _in_zone(shape="unilateral", entry=0.8, **changes):
    """A small world on the first day of its zone (the withdrawal just completed)."""
    m = CeasefireModel(small(dmz_shape=shape, ru_zone_entry=entry, **{**QUIET, **changes}),
                       rng=0, map_path=SMALL_MAP)
    m.run_for(m.p.withdrawal_days + 1)
    assert m.phase == "dmz"
    return m


def _mass(m, window=0):
    """Russia masses its reserves against ``window`` (as its review would), there tomorrow."""
    m.effort.aim(window)
    m.movement.send_reserves(RU, m.effort.sector, m.day + 1)
    m.day += 1
    m.movement.step()
    return m


def _standing_in_zone(m):
    th = m.theatre
    rows = np.flatnonzero(m.forces.mask(RU, Posture.CONCENTRATE))
    assert rows.size
    cells = [np.ravel_multi_index(m.units[int(r)].cell.coordinate, th.control.shape)
             for r in rows]
    return th.dmz_flat[cells]


@pytest.mark.parametrize("shape", ["unilateral", "mirrored"])
def test_massing_stands_inside_the_zone_only_when_russia_is_willing(shape):
    assert _standing_in_zone(_mass(_in_zone(shape, 0.8))).all()
    assert not _standing_in_zone(_mass(_in_zone(shape, 0.0))).any()


@pytest.mark.parametrize("coverage", [0.2, 0.5])
def test_forces_massed_in_a_ceded_zone_are_seen_at_the_monitoring_rate(coverage):
    """Over N days, one violation a day on the massing sector, each seen with probability
    ``coverage``: the share seen is within 4 binomial standard errors of it (fixed seed)."""
    m = _in_zone(monitoring_coverage=coverage)
    _mass(m)
    sector = m.monitoring.sectors[m.effort.sector]
    n = 3000
    for _ in range(n):
        m.day += 1
        m.monitoring.step()
    assert sector.violations == n  # no small violations: every one is the staged force
    seen = sector.violations_detected / n
    assert abs(seen - coverage) <= 4 * np.sqrt(coverage * (1 - coverage) / n)
    assert sector.detections == sector.violations_detected  # the look that sees the build-up


def test_a_massing_outside_the_zone_is_no_violation():
    m = _in_zone(entry=0.0)
    _mass(m)
    for _ in range(200):
        m.day += 1
        m.monitoring.step()
    assert m.monitoring.totals()[1:].sum() == 0  # no violations, none seen
    assert m.monitoring.totals()[0] > 0  # the build-up itself is still seen


def test_the_guarantor_answers_the_staged_forces_it_sees():
    m = _in_zone(monitoring_coverage=1.0, guarantee_credibility=1.0)
    m.guarantor.enter_into_force()
    _mass(m)
    for _ in range(10):
        m.day += 1
        m.monitoring.step()
        m.guarantor.step()
    assert m.guarantor.responses == 10 and m.guarantor.refresh_day == m.day


def _forecast(m):
    return decision._Forecast(decision._Today(m), np.zeros(1))


@pytest.mark.parametrize("shape", ["unilateral", "mirrored"])
def test_staged_forces_shorten_the_crossing_and_the_warning_and_raise_the_odds(shape):
    # no monitors: Ukraine's warning is the crossing alone, so its reserves' share shows it
    off, on = (_in_zone(shape, e, monitoring_coverage=0.0) for e in (0.0, 0.8))
    f_off, f_on = _forecast(off), _forecast(on)
    assert np.allclose(f_on.crossing, 0.2 * f_off.crossing)  # the occupied works slow no one
    assert (f_off.crossing > 0).all()
    noise = np.zeros(off.lines.windows.n)
    assert (decision.expected_ratio(on, noise) > decision.expected_ratio(off, noise)).all()
    # fewer of Ukraine's reserves arrive in time; the rest come during the campaign
    assert np.all(f_on.defence < f_off.defence) and np.all(f_on.reinforcement > 0)


def test_a_shorter_way_is_worth_more_to_russia():
    """With a force that expects to break through, the days not spent crossing are spent
    advancing: the forecast gain is larger (the odds are the same when the monitors warn
    Ukraine in time whatever the crossing). A short campaign, as on the small map a long
    one takes the whole corridor either way."""
    est = []
    for e in (0.0, 0.8):
        m = _in_zone(entry=e, beyond_aims_value=1.0, resumption_cost_km2=0.0,
                     ceasefire_dividend_km2_per_year=0.0, campaign_days=20)
        m.add_unit(RU, 60_000.0, 1.0, Posture.RESERVE, -1)
        est.append(decision.estimate(m, np.zeros(m.lines.windows.n), lookahead=False,
                                     window=0))
    off, on = est
    assert off.ratio[0] >= off.required and on.ratio[0] == pytest.approx(off.ratio[0])
    assert on.gain[0] > off.gain[0] and on.value_now > off.value_now


def test_the_offensive_starts_from_where_the_massing_stood():
    ms = []
    for e in (0.0, 0.8):
        m = _in_zone(entry=e)
        _mass(m)
        k = m.effort.sector
        edge, gap = m.lines.ru_depth[k], m.lines.ua_depth[k] - m.lines.ru_depth[k]
        m.resume_war(0, 3.0)
        ms.append((m.effort.breach_depth, edge, gap, m.theatre.cell_km))
    (off, edge, _, _), (on, edge_on, gap, cell) = ms
    assert off == edge == edge_on
    assert on == pytest.approx(edge + 0.8 * (gap - cell))



ATTACKING = {"sequencing": "territory_first", "ru_theatre_share": 0.4,
             "beyond_aims_value": 1.0, "resumption_cost_km2": 0.0,
             "ceasefire_dividend_km2_per_year": 0.0, "horizon_days": 240}
SEEDS = range(10)


@pytest.mark.parametrize("shape", ["unilateral", "mirrored"])
def test_with_no_entry_russia_decides_as_without_the_mechanism(shape, monkeypatch):
    p = small(dmz_shape=shape, **ATTACKING)
    assert p.ru_zone_entry == 0.0  # the default: the promise is kept
    now = small_runs(p, SEEDS)
    staging = small_runs(p.replace(ru_zone_entry=0.9), SEEDS)
    # the model before the mechanism: whatever the willingness, no force stands ahead
    with monkeypatch.context() as patch:
        patch.setattr(springboard, "ahead_km", lambda m: np.zeros(m.lines.ru_depth.size))
        before = small_runs(p.replace(ru_zone_entry=0.9), SEEDS)
    assert sum(r["resumed"] for r in now) >= 2  # the comparison is not empty
    assert same_records(now, before)
    assert not same_records(now, staging)  # the control: Russia staging inside the zone


def test_with_no_zone_to_enter_the_willingness_changes_nothing():
    p = small(**{**ATTACKING, "sequencing": "frozen_line"})
    assert same_records(small_runs(p, SEEDS), small_runs(p.replace(ru_zone_entry=0.9), SEEDS))
