"""A peace that can still break: bounded costs, war by choice, exogenous shocks, noisy
recruitment, reviews off the lattice and desertion in a pause.

(a) Null: each mechanism switched off (its rate 0 / its default), whatever its other
    settings, gives exactly today's runs on paired seeds.
(b) The dividend approaches a ceiling with ``ceasefire_dividend_years``; the forecast
    reads the same rule.
(c) War by choice: both noises 0, a balance moving Russia's way and guarantees due on a
    later day give a resumption before that day; no shift, or no guarantees, give none.
(d) Shocks happen at their rates on their own stream, move what they claim to and bring
    the review forward; recruitment varies month to month while the forecast keeps the
    mean; reviews slip off the lattice; desertion in a pause follows its factor.
"""

import numpy as np
import pytest
from dmzsim.model import kernels
from dmzsim.model.forces import RU, UA
from dmzsim.model.model import CeasefireModel
from dmzsim.model.params import MECHANISMS_OFF
from dmzsim.model.processes import decision
from dmzsim.model.processes.recording import summary

from tests.helpers import SMALL_MAP, same_records, small, small_runs

SEEDS = range(4)



# --- (a) null ------------------------------------------------------------------------------
@pytest.mark.parametrize("arm", [{"sequencing": "frozen_line", "ru_theatre_share": 0.15},
                                 {"sequencing": "territory_first", "dmz_shape": "mirrored",
                                  "ru_theatre_share": 0.35}])
def test_switched_off_the_mechanisms_change_no_run(arm):
    """Rates at 0 and the dividend unbounded: the sizes of the shocks, the pretext's relief
    and the other new settings change nothing, seed by seed."""
    base = small(horizon_days=240, **{**MECHANISMS_OFF, **arm})
    off = base.replace(political_shock_sd=2.0, guarantor_shock_sd=2.0,
                       political_shock_force_sd=1.0,
                       incident_cost_relief=0.9, ceasefire_dividend_years=0.0,
                       review_jitter_days=0, recruitment_noise_sd=0.0,
                       ua_pause_awol_factor=1.0, decision_attack_day="review")
    assert same_records(small_runs(base, SEEDS), small_runs(off, SEEDS))


# --- (b) a bounded dividend -----------------------------------------------------------------
def test_the_dividend_approaches_its_ceiling_and_the_forecast_reads_the_same_rule():
    p = small(sequencing="frozen_line", political_noise=0.0, resumption_cost_km2=400.0,
              ceasefire_dividend_km2_per_year=1500.0, ceasefire_dividend_years=2.0)
    m = CeasefireModel(p, rng=0, map_path=SMALL_MAP)
    days = np.array([0.0, 365.25, 3652.5, 36525.0])
    ending = decision._ending(m, days)
    assert ending[1] == pytest.approx(400.0 + 3000.0 * (1 - np.exp(-0.5)))
    assert ending[-1] == pytest.approx(400.0 + 3000.0) and np.all(np.diff(ending) > 0)
    unbounded = decision._ending(CeasefireModel(p.replace(ceasefire_dividend_years=0.0),
                                                rng=0, map_path=SMALL_MAP), days)
    assert unbounded[-1] == pytest.approx(400.0 + 150_000.0)
    m.day = 700  # the staff's estimate at a review reads the same costs at its offsets
    est = decision.estimate(m, np.zeros(m.lines.windows.n), lookahead=False)
    assert est.ending[0] == decision._ending(m, np.zeros(1))[0]


# --- (c) war by choice ----------------------------------------------------------------------
CHOICE = {**MECHANISMS_OFF, "sequencing": "guarantees_first", "guarantee_delay_days": 200,
          "guarantee_delivery_prob": 1.0, "decision_noise": 0.0, "political_noise": 0.0,
          "discount_per_year": 0.0, "ceasefire_dividend_km2_per_year": 0.0,
          "resumption_cost_km2": 300.0, "horizon_days": 300, "ua_recruits_per_month": 0.0,
          "ua_awol_per_month": 0.0, "initial_readiness": 1.0, "dig_days_to_full": 3650.0,
          "ru_theatre_cap_personnel": 1e6, "ru_theatre_share": 0.15,
          "decision_attack_day": "after_massing"}


def _resumed_on(**changes) -> float:
    m = CeasefireModel(small(**{**CHOICE, **changes}), rng=0, map_path=SMALL_MAP)
    m.run_for(m.p.horizon_days)
    return summary(m)["day_resumed"]


def test_a_closing_window_pulls_a_noiseless_attack_before_the_guarantees():
    day = _resumed_on()
    assert day < CHOICE["guarantee_delay_days"]


def test_without_a_shift_or_without_guarantees_coming_a_noiseless_russia_keeps_the_peace():
    assert np.isnan(_resumed_on(ru_recruits_per_month=0.0))  # no shift in the balance
    assert np.isnan(_resumed_on(guarantee_delay_days=1000))  # nothing closes the window


def test_read_at_the_review_day_the_window_closes_during_the_massing():
    """The control: placing the attack on the review's day (the default), Russia starts
    massing too late; the guarantees arrive first and it stands down."""
    assert np.isnan(_resumed_on(decision_attack_day="review"))


# --- (d) shocks, recruitment, reviews, desertion ----------------------------------------------
def _ceasefire(**changes) -> CeasefireModel:
    params = small(sequencing="frozen_line", **{**MECHANISMS_OFF, **changes})
    return CeasefireModel(params, rng=1, map_path=SMALL_MAP)


def test_shocks_arrive_at_their_rates_and_move_what_they_claim():
    m = _ceasefire(political_shock_per_year=12.0, guarantor_shock_per_year=12.0,
                   zone_incident_per_year=12.0, horizon_days=365)
    m.run_for(365)
    n = m.shocks.count
    assert all(5 <= n[k] <= 25 for k in n)  # Poisson(12): a year gives about a dozen
    assert m.shocks.political_shift != 0.0 and m.shocks.resolve != 0.0
    quiet = _ceasefire(horizon_days=365)
    quiet.run_for(365)
    assert sum(quiet.shocks.count.values()) == 0 and quiet.shocks.political_shift == 0.0


def test_a_political_shock_scales_the_cost_of_ending_and_a_pretext_lowers_it():
    m = _ceasefire(political_noise=0.0, incident_cost_relief=0.5)
    days = np.array([0.0, 14.0, 42.0])
    before = decision._ending(m, days)
    m.shocks.political_shift = np.log(2.0)
    assert decision._ending(m, days) == pytest.approx(2.0 * before)
    m.shocks.political_shift = 0.0
    m.shocks.pretext_until = m.day + m.p.concentration_days
    assert decision._ending(m, days) == pytest.approx(before * np.array([0.5, 0.5, 1.0]))


def test_a_political_shock_moves_russias_cap_against_the_cost_and_both_read_it():
    """A change that cheapens war raises the force Russia keeps in the theatre: the
    shifts are opposite in sign, in the ratio of their sizes; regeneration fills to the
    moved cap and the forecast's growth reads the same cap."""
    m = _ceasefire(political_shock_per_year=12.0, political_shock_force_sd=0.3,
                   political_shock_sd=0.6, horizon_days=365)
    m.run_for(365)
    assert m.shocks.count["political"] > 0
    assert m.shocks.force_shift == pytest.approx(-0.5 * m.shocks.political_shift)
    m = _ceasefire()
    regen, p = m.regeneration, m.p
    assert regen.cap(UA) == p.ua_theatre_cap_personnel
    assert regen.cap(RU) == p.ru_theatre_cap_personnel
    regen.depot[RU] += p.ru_theatre_cap_personnel - regen.total_personnel(RU)  # at the cap
    assert regen.daily_inflow(RU) == 0.0
    assert decision._growth(m, RU, np.array([30.0]))[1][0] == 0.0
    m.shocks.force_shift = np.log(1.5)
    assert regen.cap(RU) == pytest.approx(1.5 * p.ru_theatre_cap_personnel)
    assert regen.daily_inflow(RU) > 0.0
    assert decision._growth(m, RU, np.array([30.0]))[1][0] > 0.0


def test_a_change_of_resolve_scales_the_guarantors_credibility():
    m = CeasefireModel(small(sequencing="simultaneous", guarantee_delivery_prob=1.0,
                             guarantee_credibility=0.4), rng=0, map_path=SMALL_MAP)
    m.guarantor.enter_into_force()
    c = m.guarantor.credibility()
    m.shocks.resolve = np.log(0.5)
    assert m.guarantor.credibility() == pytest.approx(0.5 * c)
    m.shocks.resolve = np.log(10.0)
    assert m.guarantor.credibility() == 1.0




def test_a_shock_brings_the_review_forward_and_jitter_unlocks_the_lattice():
    def reviews(**changes) -> set[int]:
        m = _ceasefire(resumption_cost_km2=1e5, horizon_days=400, **changes)
        days = set()
        for _ in range(399):
            before = m.russia.next_review
            m.step()
            if m.russia.next_review != before:
                days.add(m.day)
        return days

    jittered = reviews(review_jitter_days=5)
    shocked = reviews(zone_incident_per_year=20.0)
    assert {d % 14 for d in jittered} != {0} and {d % 14 for d in shocked} != {0}
    assert len(jittered) >= 400 // 19
    assert {d % 14 for d in reviews()} == {0}  # the control: the fortnightly lattice


def test_recruitment_varies_by_month_while_the_forecast_keeps_the_mean():
    m = _ceasefire(recruitment_noise_sd=0.3)
    rates = []
    for _ in range(120):
        m.step()
        rates.append(m.regeneration.daily_rate(UA))
    assert len(set(np.round(rates, 9))) >= 3  # a new draw every 30 days
    assert len(set(np.round(rates[:30], 9))) == 1
    plain = _ceasefire()
    plain.run_for(120)
    assert m.regeneration.daily_rate(UA, expected=True) == plain.regeneration.daily_rate(UA)


def test_desertion_in_a_pause_follows_its_factor():
    half, full = _ceasefire(ua_pause_awol_factor=0.5), _ceasefire()
    p = full.p
    gap = half.regeneration.daily_rate(UA) - full.regeneration.daily_rate(UA)
    assert gap == pytest.approx(0.5 * p.ua_awol_per_month * p.ua_theatre_share
                                / kernels.DAYS_PER_MONTH)
