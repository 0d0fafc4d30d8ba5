"""Warning that matters continuously: with ``warning_model = "continuous"`` every day of
warning, from more monitoring or from a wider zone to cross, puts more of Ukraine's
reserves in place, in Russia's estimate and in the simulated response alike; the default
``"capped"`` is today's rule to the last bit."""

from __future__ import annotations

import numpy as np
import pytest
from dmzsim.model import kernels
from dmzsim.model.api import simulate
from dmzsim.model.forces import UA, Posture
from dmzsim.model.model import CeasefireModel
from dmzsim.model.params import MECHANISMS_OFF, Params
from dmzsim.model.processes import decision

from tests.helpers import SMALL_MAP, same_records
from tests.helpers import small as _small

COVERAGES = (0.0, 0.02, 0.1, 0.5, 1.0)
WIDTHS = (1.0, 5.0, 10.0, 40.0)
C, R = 21, 5  # concentration_days, ua_alert_response_days (the defaults)


def small(**changes):
    """The small world with every mechanism of a late peace switched off but the one a test
    names: these tests measure each mechanism against the model without the others."""
    return _small(**{**MECHANISMS_OFF, **changes})


def test_expected_warning_grows_with_coverage_and_crossing_without_saturating():
    w = [float(kernels.expected_warning(c, C, 2.0)) for c in COVERAGES]
    assert w[0] == 2.0 and w[-1] == 2.0 + C - 1  # never seen; seen on the first day
    assert np.all(np.diff(w) > 0)
    assert float(kernels.expected_warning(0.5, C, 6.0)) - float(
        kernels.expected_warning(0.5, C, 2.0)) == pytest.approx(4.0)


def test_the_continuous_share_rises_with_every_day_of_warning_and_the_capped_one_stops():
    crossing = np.array([0.0, 2.0, 8.0])
    cont = np.array([kernels.reserve_share("continuous", c, C, crossing, R) for c in COVERAGES])
    capped = np.array([kernels.reserve_share("capped", c, C, crossing, R) for c in COVERAGES])
    assert np.all(np.diff(cont, axis=0) > 0) and np.all(np.diff(cont, axis=1) > 0)
    assert np.all(cont < 1.0)
    assert np.all(capped[2:] == 1.0)  # 0.1, 0.5, 1: the same (the saturation it replaces)
    # the cause switched off: no monitoring and nothing to cross give no warning
    assert kernels.reserve_share("continuous", 0.0, C, np.zeros(1), R)[0] == 0.0


def test_the_capped_share_is_the_old_formula_to_the_last_bit():
    crossing = np.linspace(0.0, 9.0, 37)
    for c in (*COVERAGES, 0.05, 0.3):
        old = np.minimum(1.0, (crossing + kernels.detection_prob(c, C) * C) / R)
        assert np.array_equal(kernels.reserve_share("capped", c, C, crossing, R), old)


def test_reserve_delays_put_one_minus_exp_of_the_power_in_place():
    power = np.full(400, 1.0)
    delays = kernels.reserve_delays(power, 5.0)
    for t in (1, 3, 5, 10, 20):
        assert power[delays <= t].sum() / power.sum() == pytest.approx(
            1.0 - np.exp(-(t + 0.5) / 5.0), abs=0.01)
    assert kernels.reserve_delays(np.zeros(0), 5.0).size == 0


def _frozen(coverage: float, **changes) -> CeasefireModel:
    p = small(sequencing="frozen_line", warning_model="continuous",
              monitoring_coverage=coverage, **changes)
    return CeasefireModel(p, rng=0, map_path=SMALL_MAP)


def _forecast(m: CeasefireModel) -> tuple[np.ndarray, np.ndarray]:
    """Russia's expected warning and expected ratio on every window today (no noise)."""
    f = decision._Forecast(decision._Today(m), np.zeros(1))
    warning = kernels.expected_warning(m.monitoring.coverage, m.p.concentration_days,
                                       f.crossing[0])
    return warning, decision.expected_ratio(m, np.zeros(m.lines.windows.n))


def test_more_monitoring_never_raises_russias_odds_and_full_coverage_is_not_a_tenth():
    ratios, warnings = [], []
    for c in COVERAGES:
        warning, ratio = _forecast(_frozen(c))
        warnings.append(warning)
        ratios.append(ratio)
    assert np.all(np.diff(warnings, axis=0) > 0)
    assert np.all(np.diff(ratios, axis=0) <= 0)
    assert np.all(ratios[2] > ratios[4])  # 0.1 and 1 differ


def test_with_the_capped_model_monitoring_above_a_tenth_changes_nothing():
    """The control: the saturation the continuous model removes."""
    ratios = [decision.expected_ratio(
        CeasefireModel(small(sequencing="frozen_line", monitoring_coverage=c), rng=0,
                       map_path=SMALL_MAP), np.zeros(1)) for c in (0.1, 0.5, 1.0)]
    assert np.array_equal(ratios[0], ratios[1]) and np.array_equal(ratios[1], ratios[2])


def _zone(width: float) -> CeasefireModel:
    """The default map (a 40-km zone needs room) once a mirrored zone is in force."""
    m = CeasefireModel(Params.build({
        "sequencing": "simultaneous", "dmz_shape": "mirrored", "dmz_width_km": width,
        "withdrawal_days": 3, "warning_model": "continuous", "guarantee_delivery_prob": 0.0}),
        rng=0)
    while m.phase != "dmz":
        m.step()
    return m


def test_a_wider_zone_gives_more_warning_and_never_better_odds():
    warnings, ratios = [], []
    for width in WIDTHS:
        m = _zone(width)
        warning, ratio = _forecast(m)
        warnings.append(float(np.mean(warning)))
        ratios.append(float(np.max(ratio)))
    assert np.all(np.diff(warnings) > 0)
    assert np.all(np.diff(ratios) <= 0) and ratios[0] > ratios[-1]


def test_warned_reserves_arrive_spread_with_the_continuous_model_and_together_without():
    arrivals = {}
    for model in ("capped", "continuous"):
        m = CeasefireModel(Params.build({"sequencing": "frozen_line",
                                         "warning_model": model}), rng=0)
        rows = np.flatnonzero(m.forces.mask(UA, Posture.RESERVE))
        assert rows.size >= 2
        m.ukraine.warn(0)
        arrivals[model] = m.forces.arrive_day[rows] - m.day
    assert np.all(arrivals["capped"] == R)
    spread = arrivals["continuous"]
    assert spread.min() < R < spread.max()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_default_is_todays_rule_on_paired_runs(monkeypatch, seed):
    """Null: the default runs are those of the formula that stood in the estimate."""
    p = small(sequencing="territory_first", dmz_shape="mirrored")
    now = simulate(p, seed, map_path=SMALL_MAP).summary

    def old(model, coverage, concentration_days, crossing_days, response_days):
        warning = crossing_days + kernels.detection_prob(
            coverage, concentration_days) * concentration_days
        return np.minimum(1.0, warning / response_days)

    monkeypatch.setattr(kernels, "reserve_share", old)
    before = simulate(p, seed, map_path=SMALL_MAP).summary
    assert same_records([now], [before])
