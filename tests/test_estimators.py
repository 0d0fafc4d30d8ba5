"""Estimators against known answers: textbook cases, published examples, hand-worked sums."""

from __future__ import annotations

import math

import numpy as np
import pytest
from dmzsim.analysis.estimators import (
    kaplan_meier,
    mean_interval,
    newcombe_paired_difference,
    paired_bootstrap,
    paired_counts,
    quantile_band,
    tango_paired_difference,
    wilson,
)


# --- Wilson -------------------------------------------------------------------------------
@pytest.mark.parametrize(("k", "n", "lo", "hi"), [
    # Newcombe (1998a), Stat Med 17:857, Table II, method 3 (score interval)
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_matches_newcombe_table(k: int, n: int, lo: float, hi: float) -> None:
    """The four worked examples of Newcombe's comparison of single-proportion intervals."""
    est = wilson(k, n)
    assert est.estimate == pytest.approx(k / n)
    assert est.lo == pytest.approx(lo, abs=5e-5)
    assert est.hi == pytest.approx(hi, abs=5e-5)


def test_wilson_edges_and_symmetry() -> None:
    """All-or-nothing samples reach the boundary; k and n-k mirror each other."""
    assert wilson(10, 10).hi == 1.0
    assert wilson(0, 10).lo == 0.0
    a, b = wilson(3, 17), wilson(14, 17)
    assert a.lo == pytest.approx(1 - b.hi) and a.hi == pytest.approx(1 - b.lo)
    assert math.isnan(wilson(0, 0).estimate)
    with pytest.raises(ValueError):
        wilson(5, 3)


# --- paired proportions --------------------------------------------------------------------
def test_tango_matches_published_examples() -> None:
    """Tango (1998) examples as reproduced by the ratesci package's tests (3 decimals)."""
    est = tango_paired_difference(9, 3, 32)  # table (4, 9, 3, 16)
    assert est.estimate == pytest.approx(6 / 32)
    assert (round(est.lo, 3), round(est.hi, 3)) == (-0.027, 0.390)
    est = tango_paired_difference(0, 1, 44, conf=0.90)  # table (43, 0, 1, 0), 90%
    assert (round(est.lo, 3), round(est.hi, 3)) == (-0.096, 0.037)


def test_tango_at_zero_is_mcnemar() -> None:
    """At delta = 0 the score statistic is McNemar's (b - c) / sqrt(b + c)."""
    # b = 16, c = 4: McNemar z = 12 / sqrt(20) = 2.683 > 1.96, so 0 is excluded ...
    assert tango_paired_difference(16, 4, 100).lo > 0
    # ... and b = 12, c = 6: z = 6 / sqrt(18) = 1.414 < 1.96, so 0 is inside.
    est = tango_paired_difference(12, 6, 100)
    assert est.lo < 0 < est.hi


def test_tango_no_discordant_pairs_is_not_degenerate() -> None:
    """With b = c = 0 the interval is +-z^2 / (n + z^2), not a single point."""
    z2 = 1.959963984540054**2
    est = tango_paired_difference(0, 0, 50)
    assert est.estimate == 0.0
    assert est.hi == pytest.approx(z2 / (50 + z2), rel=1e-6)
    assert est.lo == pytest.approx(-est.hi)
    all_one_way = tango_paired_difference(0, 30, 30)
    assert all_one_way.lo == -1.0 and all_one_way.hi < 0


def test_newcombe_square_and_add_matches_fagerland() -> None:
    """Cavo et al. (2012) table (59, 6, 16, 80): -0.0621 (-0.1186 to -0.0046), as in
    Fagerland, Lydersen & Laake, Statistical Analysis of Contingency Tables, ch. 8."""
    est = newcombe_paired_difference(59, 6, 16, 80)
    assert est.estimate == pytest.approx(-10 / 161)
    assert est.lo == pytest.approx(-0.1186, abs=5e-5)
    assert est.hi == pytest.approx(-0.0046, abs=5e-5)
    tango = tango_paired_difference(6, 16, 161)
    assert tango.lo == pytest.approx(est.lo, abs=0.01) and tango.hi == pytest.approx(est.hi,
                                                                                    abs=0.01)


def test_paired_counts() -> None:
    x = np.array([1, 1, 0, 0, 1], bool)
    y = np.array([1, 0, 1, 0, 0], bool)
    assert paired_counts(x, y) == (1, 2, 1, 1)


def test_tango_coverage_near_nominal() -> None:
    """Simulated coverage of 95% intervals with correlated pairs stays within 93-97.5%."""
    rng = np.random.default_rng(1)
    n, reps, hits = 60, 600, 0
    p = np.array([0.45, 0.10, 0.05, 0.40])  # a, b, c, d: true delta = 0.05
    for _ in range(reps):
        _, b, c, _ = rng.multinomial(n, p)
        est = tango_paired_difference(int(b), int(c), n)
        hits += est.lo <= 0.05 <= est.hi
    assert 0.93 <= hits / reps <= 0.975


# --- bootstrap ------------------------------------------------------------------------------
def test_paired_bootstrap_is_repeatable_and_uses_pairing() -> None:
    """A constant within-pair shift is recovered exactly; the seed fixes the interval."""
    rng = np.random.default_rng(3)
    y = rng.normal(100, 30, 200)
    x = y + 5.0
    est = paired_bootstrap(x, y, seed=7)
    assert (est.estimate, est.lo, est.hi) == pytest.approx((5.0, 5.0, 5.0))
    noisy = x + rng.normal(0, 1, 200)
    a, b = paired_bootstrap(noisy, y, seed=7), paired_bootstrap(noisy, y, seed=7)
    assert a == b
    assert a.lo < 5.0 < a.hi and a.hi - a.lo < 0.5  # unpaired would be ~ 2 * 1.96 * 3


def test_bootstrap_mean_interval_normal_sample() -> None:
    """For a normal sample the percentile interval is close to the t interval."""
    x = np.random.default_rng(11).normal(10, 2, 400)
    est = mean_interval(x, seed=1)
    se = x.std(ddof=1) / math.sqrt(len(x))
    assert est.lo == pytest.approx(x.mean() - 1.96 * se, abs=0.05)
    assert est.hi == pytest.approx(x.mean() + 1.96 * se, abs=0.05)


def test_bca_matches_scipy_on_a_skewed_cost() -> None:
    """BCa is scipy.stats.bootstrap's, for one sample and over pairs, with the same
    seeded Generator; on a cost that is zero in most runs and large in a few it sits to
    the right of the percentile interval, as the skew asks."""
    from scipy.stats import bootstrap

    rng = np.random.default_rng(5)
    cost = np.where(rng.random(120) < 0.3, rng.lognormal(7, 1.2, 120), 0.0)
    est = mean_interval(cost, seed=3, method="BCa")
    ref = bootstrap((cost,), np.mean, method="BCa", n_resamples=2000,
                    rng=np.random.default_rng(3)).confidence_interval
    assert (est.estimate, est.lo, est.hi) == pytest.approx((cost.mean(), ref.low, ref.high))
    pct = mean_interval(cost, seed=3)
    assert est.lo > pct.lo and est.hi > pct.hi
    other = np.where(rng.random(120) < 0.5, cost * 0.5 + rng.normal(50, 10, 120), 0.0)
    d = paired_bootstrap(cost, other, seed=4, method="BCa")
    ref = bootstrap((cost, other), lambda a, b, axis: a.mean(axis) - b.mean(axis),
                    paired=True, vectorized=True, method="BCa", n_resamples=2000,
                    rng=np.random.default_rng(4)).confidence_interval
    assert (d.lo, d.hi) == pytest.approx((ref.low, ref.high))
    assert d.estimate == pytest.approx(cost.mean() - other.mean())


def test_bca_where_nothing_varies_is_the_value() -> None:
    """All zeros (no run resumed), one run, or a constant shift: no spread, no NaN."""
    zeros = mean_interval(np.zeros(30), method="BCa")
    assert (zeros.estimate, zeros.lo, zeros.hi) == (0.0, 0.0, 0.0)
    one = mean_interval(np.array([4.0]), method="BCa")
    assert (one.lo, one.hi) == (4.0, 4.0)
    y = np.random.default_rng(3).normal(100, 30, 50)
    shift = paired_bootstrap(y + 5.0, y, method="BCa")
    assert (shift.lo, shift.hi) == pytest.approx((5.0, 5.0))
    with pytest.raises(ValueError, match="method"):
        mean_interval(y, method="basic")


def test_quantile_band() -> None:
    band = quantile_band(np.arange(101.0))
    assert band == {"q05": 5.0, "q25": 25.0, "q50": 50.0, "q75": 75.0, "q95": 95.0}
    assert math.isnan(quantile_band(np.array([np.nan]))["q50"])


# --- Kaplan-Meier -----------------------------------------------------------------------------
# Freireich et al. (1963) 6-MP arm (Gehan 1965); + = censored. The reference numbers are
# those printed by R's survival package, survfit(conf.type = "log-log").
SIX_MP_T = np.array([6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34,
                     35.0])
SIX_MP_E = np.array([1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0], bool)


def test_kaplan_meier_six_mp() -> None:
    km = kaplan_meier(SIX_MP_T, SIX_MP_E)
    expected = {  # t: (S, Greenwood se, lower, upper)
        6: (0.857, 0.0764, 0.620, 0.952), 7: (0.807, 0.0869, 0.563, 0.923),
        10: (0.753, 0.0963, 0.503, 0.889), 13: (0.690, 0.1068, 0.432, 0.849),
        16: (0.627, 0.1141, 0.368, 0.805), 22: (0.538, 0.1282, 0.268, 0.747),
        23: (0.448, 0.1346, 0.188, 0.680),
    }
    for t, (s, se, lo, hi) in expected.items():
        i = list(km.time).index(t)
        assert km.surv[i] == pytest.approx(s, abs=5e-4)
        assert km.se[i] == pytest.approx(se, abs=5e-5)
        assert (km.lo[i], km.hi[i]) == pytest.approx((lo, hi), abs=5e-4)
    assert list(km.n_at_risk[1:]) == [21, 17, 15, 12, 11, 7, 6]
    med = km.median()
    assert (med.estimate, med.lo) == (23.0, 13.0) and math.isinf(med.hi)  # R: 23, 13, NA


def test_kaplan_meier_hand_worked() -> None:
    """Five runs, horizon 10: events at 2 and 5, censored at 3, 10, 10 (did not resume).

    S: 1 on [0,2); at 2, 5 at risk, 1 event: 0.8 on [2,5); at 5, 3 at risk (5, 10, 10),
    1 event: 0.8 * 2/3 = 0.5333 on [5,10]. RMST to 10 = 2*1 + 3*0.8 + 5*0.5333 = 7.0667.
    Greenwood var(log S) at 5: 1/(5*4) + 1/(3*2) = 0.21667.
    Var(RMST) = A1^2 / (5*4) + A2^2 / (3*2), with A1 = 3*0.8 + 5*0.5333 = 5.0667 and
    A2 = 5*0.5333 = 2.6667 the areas from each event time to 10: 1.28356 + 1.18519.
    S never reaches 0.5, so the median is "not reached".
    """
    t = np.array([2, 3, 5, 10, 10.0])
    e = np.array([1, 0, 1, 0, 0], bool)
    km = kaplan_meier(t, e, horizon=10)
    assert list(km.time) == [0, 2, 5]
    assert list(km.surv) == pytest.approx([1.0, 0.8, 0.8 * 2 / 3])
    assert km.se[2] == pytest.approx(0.8 * 2 / 3 * math.sqrt(1 / 20 + 1 / 6))
    assert km.at(1.9) == 1.0 and km.at(2) == 0.8 and km.at(9.9) == pytest.approx(0.8 * 2 / 3)
    r = km.rmst()
    assert r.estimate == pytest.approx(2 + 2.4 + 5 * 0.8 * 2 / 3)
    assert r.estimate - r.lo == pytest.approx(1.959964 * math.sqrt(1.28356 + 1.18519),
                                              rel=1e-4)
    assert r.hi == 10.0  # the upper limit is capped at the horizon
    assert km.rmst(4).estimate == pytest.approx(2 + 2 * 0.8)
    assert math.isinf(km.median().estimate)
    # all three early runs resumed: S = 0.8, 0.6, 0.4 at days 2, 3, 5, so the median is 5
    assert kaplan_meier(t, np.array([1, 1, 1, 0, 0], bool)).median().estimate == 5.0


def test_kaplan_meier_censoring_at_horizon_and_day_zero() -> None:
    """Events after H count as censored at H; events at day 0 (no deal) drop S(0)."""
    km = kaplan_meier(np.array([0, 0, 800, 50.0]), np.array([1, 1, 1, 0], bool), horizon=730)
    assert km.time[0] == 0.0 and km.surv[0] == pytest.approx(0.5)
    assert km.at(730) == pytest.approx(0.5)
    none = kaplan_meier(np.full(4, 730.0), np.zeros(4, bool), horizon=730)
    assert list(none.surv) == [1.0] and none.rmst().estimate == 730.0
    assert math.isinf(none.median().estimate)
