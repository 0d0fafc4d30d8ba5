"""Each mechanism's rule on hand-made numbers."""

import numpy as np
import pytest
from dmzsim.model import kernels
from dmzsim.model.params import Params


def test_posture_multiplier_hits_dupuy_values():
    m = kernels.posture_multiplier(np.array([0.0, 0.5, 1.0, 0.25]), 1.3, 1.5, 1.6)
    assert m == pytest.approx([1.3, 1.5, 1.6, 1.4])


def test_qjm_rate_table_points_and_no_advance_below_parity():
    assert kernels.qjm_advance_rate(np.array([3.01]), np.array([0.0]))[0] == 12.0
    assert kernels.qjm_advance_rate(np.array([3.01]), np.array([0.5]))[0] == 6.0
    assert kernels.qjm_advance_rate(np.array([3.01]), np.array([1.0]))[0] == 3.0
    assert kernels.qjm_advance_rate(np.array([0.9]), np.array([0.0]))[0] == 0.0


def test_advance_is_monotone_in_ratio_and_falls_with_fortification():
    ratios = np.linspace(1.0, 2.9, 20)
    rate = kernels.advance_km(ratios, np.full(20, 0.3), 0.02, ratios >= 3.0, 2.5)
    assert np.all(np.diff(rate) >= 0)
    soft = kernels.advance_km(np.array([2.0]), np.array([0.0]), 0.02, False, 2.5)
    hard = kernels.advance_km(np.array([2.0]), np.array([1.0]), 0.02, False, 2.5)
    assert hard < soft


def test_grinding_rate_is_the_qjm_rate_scaled_to_today():
    # sources §5.3: the WWII rate x the era multiplier; at the shipped multiplier an
    # assault on prepared works grinds at about a tenth of a km a day, an order of
    # magnitude below a breakthrough (the line's mean, 15-70 m/day, is a validation
    # target: most sectors do not assault on most days)
    era = Params().era_advance_multiplier
    rate = kernels.advance_km(np.array([1.46]), np.array([0.5]), era, False, 2.5)[0]
    assert rate == pytest.approx(3.0 * era)
    assert 0.015 <= rate <= 2.5 / 10


def test_breakthrough_speed_where_the_defence_breaks():
    rate = kernels.advance_km(np.array([3.5]), np.array([1.0]), 0.02, True, 2.5)[0]
    assert rate == 2.5


def test_a_breakthrough_runs_in_pulses_then_consolidates():
    ratio, pulse, broke = np.array([4.0]), np.array([0]), []
    for _ in range(2 * (5 + 14)):
        b, pulse = kernels.pulse_step(ratio, pulse, 3.0, 5, 14)
        broke.append(bool(b[0]))
    assert broke[:5] == [True] * 5 and not any(broke[5:19]) and broke[19:24] == [True] * 5
    b, pulse = kernels.pulse_step(np.array([2.0]), np.array([3]), 3.0, 5, 14)
    assert not b[0] and pulse[0] == 0  # the odds went: the pulse ends


def test_the_staff_forecast_culminates_and_pays_for_depth():
    depth, lost = kernels.campaign(np.array([60_000.0, 90_000.0]), np.array([20_000.0] * 2),
                                   np.zeros(2), 5, np.full(2, 0.8), np.full(2, 0.5), 90, 10,
                                   0.016, 0.01, 3.0, 2.5, 5 / 19)
    assert depth[1] > depth[0] > 0  # more power gets deeper
    assert np.all(depth < 90 * 2.5) and np.all(lost > 0)


def test_defender_exposure_is_dupuy_vulnerability_times_casualty_factor():
    # sources §5.3: vulnerability 0.7/0.6/0.5 and defender casualty factor 0.8/0.85/0.9
    e = kernels.defender_exposure(np.array([0.0, 0.5, 1.0, 0.25]))
    assert e == pytest.approx([0.7 * 0.8, 0.6 * 0.85, 0.5 * 0.9, 0.65 * 0.825])


def test_lanchester_losses_scale_with_opposing_power():
    att, dfn = kernels.lanchester_losses(np.array([1000.0]), np.array([500.0]),
                                         np.array([1.5]), np.array([0.6]), 0.01,
                                         np.array([1.0]))
    assert att[0] == pytest.approx(0.01 * 500 * 1.5)
    assert dfn[0] == pytest.approx(0.01 * 1000 * 0.6)
    att0, dfn0 = kernels.lanchester_losses(np.array([1000.0]), np.array([500.0]),
                                           np.array([1.5]), np.array([0.6]), 0.01,
                                           np.array([0.0]))
    assert att0[0] == dfn0[0] == 0.0


def test_inflow_respects_cap_and_drains_when_desertion_exceeds_recruitment():
    per_day = kernels.daily_inflow(30_000, 0, 0.5, 100.0, 1e9)
    assert per_day == pytest.approx(15_000 / kernels.DAYS_PER_MONTH)
    assert kernels.daily_inflow(30_000, 0, 0.5, 999.0, 1000.0) == pytest.approx(1.0)
    assert kernels.daily_inflow(10_000, 20_000, 1.0, 1e6, 2e6) < 0
    assert kernels.daily_inflow(10_000, 20_000, 1.0, 5.0, 2e6) == pytest.approx(-5.0)
    boosted = kernels.daily_inflow(30_000, 0, 0.5, 0.0, 1e9, boost=0.5)
    assert boosted == pytest.approx(1.5 * per_day)


def test_fill_units_conserves_personnel():
    s = np.array([1000.0, 4000.0, 2500.0])
    added, left = kernels.fill_units(s, 4000.0, 5000.0)
    assert added.sum() + left == pytest.approx(5000.0)
    assert np.all(s + added <= 4000.0 + 1e-9)
    added, left = kernels.fill_units(s, 4000.0, 100.0)
    assert left == 0.0 and added[1] == 0.0


def test_take_losses_never_below_zero():
    s = np.array([10.0, 30.0])
    taken = kernels.take_losses(s, 1000.0)
    assert np.all(s - taken >= 0)
    assert kernels.take_losses(s, 20.0).sum() == pytest.approx(20.0)


def test_readiness_recovers_out_of_combat_and_wears_in_it():
    r = kernels.recover_readiness(np.array([0.5, 0.5]), np.array([False, True]), 100.0, 0.01)
    assert r[0] == pytest.approx(0.51) and r[1] == pytest.approx(0.49)
    assert kernels.recover_readiness(np.array([1.0]), np.array([False]), 1.0, 0.0)[0] == 1.0


def test_recovery_out_of_combat_is_the_combat_rule_with_nobody_fighting_to_the_bit():
    rng = np.random.default_rng(5)
    r = rng.uniform(0.0, 1.0, 300)
    r[::7] = 1.0
    for boost in (0.0, 0.3, np.where(rng.random(300) < 0.5, 0.3, 0.0)):
        fast = kernels.recover_out_of_combat(r, 37.0, boost)
        ruled = kernels.recover_readiness(r, np.zeros(300, bool), 37.0, 0.02, boost)
        assert fast.tobytes() == ruled.tobytes()


def test_credibility_decays_by_half_life_and_tripwire_raises_it():
    assert kernels.effective_credibility(0.8, 100, 100, 0, 0.1) == pytest.approx(0.4)
    assert kernels.effective_credibility(0.0, 0, 100, 20_000, 0.1) == pytest.approx(0.2)
    assert kernels.effective_credibility(0.0, 0, 100, 0, 0.1) == 0.0


def test_detection_probability_accumulates():
    assert kernels.detection_prob(0.5, 1) == 0.5
    assert kernels.detection_prob(0.5, 3) == pytest.approx(0.875)
    assert kernels.detection_prob(0.0, 30) == 0.0
