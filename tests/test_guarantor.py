"""The guarantor on the small map: credibility, answers to violations, and coming in
when the offensive resumes."""

import numpy as np
import pytest
from dmzsim.model import balance, kernels
from dmzsim.model.forces import RU, Posture
from dmzsim.model.model import CeasefireModel

from tests.helpers import SMALL_MAP, small


def world(**params) -> CeasefireModel:
    base = {"sequencing": "simultaneous", "guarantee_delivery_prob": 1.0}
    return CeasefireModel(small(**{**base, **params}), rng=1, map_path=SMALL_MAP)


def test_credibility_is_zero_until_the_guarantees_are_in_force():
    m = world(sequencing="territory_first", guarantee_delay_days=20,
              guarantee_credibility=0.8)
    for _ in range(19):
        m.step()
        assert not m.guarantor.in_force and m.guarantor.credibility() == 0.0
    m.step()
    assert m.guarantor.in_force and m.guarantor.credibility() == pytest.approx(0.8)


def test_credibility_decays_with_its_half_life_unless_refreshed():
    m = world(guarantee_credibility=0.8, guarantee_half_life_days=30.0,
              violation_rate_per_100km_day=0.0)
    for _ in range(30):
        m.step()
    assert m.guarantor.credibility() == pytest.approx(0.4)
    assert m.guarantor.credibility() == pytest.approx(kernels.effective_credibility(
        0.8, 30, 30.0, m.p.reassurance_force_personnel, m.p.tripwire_credibility_per_10k))


def test_a_fully_credible_guarantor_answers_every_detected_violation_and_refreshes():
    # a tripwire force large enough to make the answer certain whatever the decay
    m = world(guarantee_credibility=0.5, guarantee_half_life_days=30.0,
              reassurance_force_personnel=50_000.0, tripwire_credibility_per_10k=0.2,
              violation_rate_per_100km_day=10.0, monitoring_coverage=1.0)
    for _ in range(10):
        m.step()
    detected = sum(s.violations_detected for s in m.monitoring.sectors)
    assert detected > 0 and m.guarantor.responses == detected
    assert m.guarantor.refresh_day == m.day  # answered today: no decay
    assert m.guarantor.credibility() == pytest.approx(1.0)


def test_unseen_violations_go_unanswered():
    m = world(guarantee_credibility=1.0, violation_rate_per_100km_day=10.0,
              monitoring_coverage=0.0)
    for _ in range(10):
        m.step()
    assert sum(s.violations for s in m.monitoring.sectors) > 0 and m.guarantor.responses == 0


@pytest.mark.parametrize(("credibility", "comes_in"), [(1.0, True), (0.0, False)])
def test_the_guarantor_comes_in_against_an_attack_with_probability_credibility(
        credibility, comes_in):
    m = world(guarantee_credibility=credibility, guarantor_combat_support=0.5,
              withdrawal_days=2)
    for _ in range(5):
        m.step()
    assert m.phase == "dmz"
    before = balance.defence_multiplier(m).copy()
    m.resume_war(0, 5.0)
    assert m.guarantor.triggered is comes_in
    factor = 1.5 if comes_in else 1.0
    np.testing.assert_allclose(balance.defence_multiplier(m), before * factor)
    assert m.guarantor.combat_support() == (0.5 if comes_in else 0.0)


def test_expected_support_deters_in_russias_estimate():
    m = world(guarantee_credibility=0.0, decision_noise=0.0)
    m.add_unit(RU, 100_000.0, 1.0, Posture.RESERVE, -1)
    m.step()
    no_noise = np.zeros(m.lines.windows.n)
    alone = m.russia.expected_ratio(no_noise)
    m.p = m.p.model_copy(update={"guarantee_credibility": 1.0,
                                 "guarantor_combat_support": 1.0})
    m.guarantor.refresh_day = m.day
    np.testing.assert_allclose(m.russia.expected_ratio(no_noise), alone / 2.0)


def test_no_guarantees_are_in_force_once_the_war_has_resumed():
    m = world(sequencing="territory_first", guarantee_delay_days=30,
              guarantee_credibility=1.0)
    m.step()
    m.resume_war(0, 5.0)
    assert not m.guarantor.triggered  # not yet in force: nobody to come in
    for _ in range(40):
        m.step()
    assert not m.guarantor.in_force
