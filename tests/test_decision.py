"""Russia's decision to resume (model/processes/decision.py): its limits and its null tests.

(a) With no costs, no look-ahead and all ground of equal value, it decides exactly as the
    threshold rule (resume when the expected ratio reaches the breakthrough ratio).
(b) If nothing changes over time, waiting never beats resuming now: no timing effect.
(c) Raising the cost of ending the ceasefire lowers P(resume), arm by arm, with common
    random numbers.
(d) When the deal gives Russia all its aims and nothing beyond them is worth anything,
    it does not resume; give the ground beyond a value and it does (the control).
"""

import numpy as np
import pytest
from dmzsim.model.forces import RU, Posture
from dmzsim.model.model import CeasefireModel
from dmzsim.model.params import MECHANISMS_OFF, Params
from dmzsim.model.processes import decision
from dmzsim.model.processes.recording import summary

from tests.helpers import SMALL_MAP, same_records, small

SEEDS = range(10)
THRESHOLD_LIMIT = {**MECHANISMS_OFF,
                   "resumption_cost_km2": 0.0, "ceasefire_dividend_km2_per_year": 0.0,
                   "guarantor_cost_km2": 0.0, "acceptable_losses_per_km2": 1e5,
                   "beyond_aims_value": 1.0, "belt_town_value_km2": 0.0,
                   "lookahead_days": 0}


def threshold_rule(m, noise, lookahead=True, window=None):
    """The rule before costs, aims and timing, as an estimate Russia's command acts on:
    the window where the expected ratio is best (or the one given), worth resuming once
    that ratio reaches the breakthrough ratio. Russia's own state machine (mass, then
    resume or stand down) is not copied: only how it reads the odds changes."""
    ratio = decision.expected_ratio(m, noise)
    j = int(np.argmax(ratio)) if window is None else window
    one, nothing = np.ones(1), np.zeros(1)
    return decision.Estimate(np.zeros(1), np.array([j]), m.lines.windows.owner[[j]],
                             ratio[[j]], m.p.breakthrough_ratio, one, nothing, nothing,
                             nothing, one)


def _run(model):
    model.run_for(model.p.horizon_days)
    out = summary(model)
    out.pop("value_at_resumption")  # the threshold rule's values are not the staff's
    out.pop("decided_by")
    return out


def _model(params, seed, rule=None):
    m = CeasefireModel(params, rng=seed, map_path=SMALL_MAP)
    if rule is not None:
        m.russia.rule = rule
    return m


@pytest.mark.parametrize("arm", [{"sequencing": "frozen_line"},
                                 {"sequencing": "territory_first", "dmz_shape": "mirrored"},
                                 {"sequencing": "simultaneous", "dmz_shape": "unilateral",
                                  "beyond_aims_value": 1.0}])
def test_in_its_limit_the_decision_is_the_threshold_rule(arm):
    p = small(ru_theatre_share=0.15, **{**THRESHOLD_LIMIT, **arm})
    new = [_run(_model(p, s)) for s in SEEDS]
    old = [_run(_model(p, s, threshold_rule)) for s in SEEDS]
    assert sum(r["resumed"] for r in new) >= 3  # the comparison is not empty
    assert same_records(new, old)


STATIC = {"ru_recruits_per_month": 0.0, "ua_recruits_per_month": 0.0, "ua_awol_per_month": 0.0,
          "initial_readiness": 1.0, "initial_fortification": 1.0,
          "ceasefire_dividend_km2_per_year": 0.0, "resumption_cost_km2": 0.0,
          "sequencing": "frozen_line", "decision_noise": 0.0}


def test_when_nothing_changes_over_time_waiting_never_beats_resuming_now():
    # the whole defended zone fully dug: no digging left to change a later day's odds
    m = CeasefireModel(small(**STATIC, rear_fortification=1.0), rng=0, map_path=SMALL_MAP)
    m.add_unit(RU, 60_000.0, 1.0, Posture.RESERVE, -1)
    worth_something = 0
    for _ in range(8):
        est = decision.estimate(m, np.zeros(m.lines.windows.n))
        if est.value_now > 0:
            worth_something += 1
            assert est.value_wait <= est.value_now
            assert est.resume and est.deciding_term() == "gain"
        m.day += m.p.review_interval_days
    assert worth_something == 8


def test_when_the_balance_moves_its_way_russia_waits():
    """The control for the null test above: with its regeneration on, no discount and
    Ukraine not digging in (its works would slow every later offensive), a later day
    looks better, and the estimate says so."""
    p = Params.build({**STATIC, "ru_recruits_per_month": 100_000.0, "discount_per_year": 0.0,
                      "dig_days_to_full": 3650.0})
    m = CeasefireModel(p, rng=0)  # the default map: room for a deeper offensive later
    m.add_unit(RU, 100_000.0, 1.0, Posture.RESERVE, -1)
    est = decision.estimate(m, np.zeros(m.lines.windows.n))
    assert est.value_now > 0 and est.value_wait > est.value_now
    assert not est.resume and est.deciding_term() == "waiting"


@pytest.mark.parametrize("arm", [  # a mirrored zone's warning time needs a larger force
    {"sequencing": "frozen_line", "ru_theatre_share": 0.15},
    {"sequencing": "territory_first", "dmz_shape": "mirrored", "ru_theatre_share": 0.4}])
def test_a_dearer_end_of_the_ceasefire_means_fewer_resumptions(arm):
    counts = []
    for cost in (0.0, 100.0, 300.0, 1000.0, 5000.0):
        p = small(resumption_cost_km2=cost, **arm)
        counts.append(sum(_run(_model(p, s))["resumed"] for s in range(16)))
    assert counts == sorted(counts, reverse=True)
    assert counts[0] > counts[-1]


AIMS_MET = {"sequencing": "simultaneous", "dmz_shape": "unilateral", "ru_theatre_share": 0.3,
            "resumption_cost_km2": 0.0, "ceasefire_dividend_km2_per_year": 0.0,
            "guarantee_credibility": 0.0}


def test_a_deal_that_gives_all_its_aims_leaves_russia_nothing_to_resume_for():
    p = small(beyond_aims_value=0.0, **AIMS_MET)
    assert not any(_run(_model(p, s))["resumed"] for s in SEEDS)
    # the control: the same deal, with ground beyond the oblast worth something
    p = small(beyond_aims_value=1.0, **AIMS_MET)
    assert any(_run(_model(p, s))["resumed"] for s in SEEDS)


def test_the_review_is_recorded_with_the_term_that_decided_it():
    m = CeasefireModel(small(sequencing="frozen_line"), rng=0, map_path=SMALL_MAP)
    m.run_for(60)
    df = m.datacollector.get_model_vars_dataframe()
    reviewed = df[df["decided_by"] != ""]
    assert len(reviewed) > 0
    assert set(reviewed["decided_by"]) <= set(decision.TERMS)
    assert np.all(reviewed["required_ratio"] == m.p.breakthrough_ratio)
    assert np.all(np.isfinite(reviewed["expected_ratio"]))
    assert summary(m)["decided_by"] in decision.TERMS
