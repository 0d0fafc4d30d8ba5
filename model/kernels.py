"""Pure numpy kernels of the model's mechanisms.

Each function is a small, stateless rule that agents and the model call. Keeping them
free of Mesa objects lets the tests check each rule on hand-made numbers, and keeps the
daily step vectorised (no Python loops over cells).

Tables from Dupuy's QJM are module constants with their source; the scalars that a
user may want to vary are parameters in ``model/params.py``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

DAYS_PER_MONTH = 365.25 / 12

# Dupuy QJM advance rates for infantry, km/day, by combat-power ratio and defender
# posture (docs/sources.md §5.3). Below a ratio of 1.0 an attack does not advance
# (Lawrence: every attack at 0.55-1.01 failed, §5.2).
QJM_RATIOS = np.array([1.00, 1.46, 2.26, 3.01, 4.26])
QJM_RATE_HASTY = np.array([4.0, 6.5, 10.0, 12.0, 18.0])
QJM_RATE_PREPARED = np.array([2.0, 3.0, 5.0, 6.0, 10.0])
QJM_RATE_FORTIFIED = np.array([1.0, 1.75, 2.5, 3.0, 6.0])
# Dupuy defender vulnerability by posture: hasty 0.7, prepared 0.6, fortified 0.5 (§5.3).
VULNERABILITY = np.array([0.7, 0.6, 0.5])
# Dupuy defender casualty factor by posture: hasty 0.8, prepared 0.85, fortified 0.9; the
# attacker's is 1.0 against all three (§5.3).
DEFENDER_CASUALTY_FACTOR = np.array([0.8, 0.85, 0.9])
# Fortification levels at which the posture is hasty, prepared, fortified.
POSTURE_FORT_LEVELS = np.array([0.0, 0.5, 1.0])


def posture_multiplier(fort: np.ndarray | float, hasty: float, prepared: float,
                       fortified: float) -> np.ndarray:
    """Defender strength multiplier for a fortification level in [0, 1].

    0 is a hasty defence, 0.5 a prepared one and 1 a fortified one (Dupuy's postures);
    in between we interpolate linearly.
    """
    return np.interp(fort, POSTURE_FORT_LEVELS, [hasty, prepared, fortified])


def defender_exposure(fort: np.ndarray | float) -> np.ndarray:
    """How much of the attacker's fire becomes the defender's losses, by its works.

    Dupuy's vulnerability (how exposed the defender is to fire) times his defender
    casualty factor (how much of that exposure ends as casualties); the attacker's factor
    is 1 in every posture, so the product is the whole of the difference between the
    sides' casualty rates at equal power.
    """
    return (np.interp(fort, POSTURE_FORT_LEVELS, VULNERABILITY)
            * np.interp(fort, POSTURE_FORT_LEVELS, DEFENDER_CASUALTY_FACTOR))


def terrain_multiplier(urban_fraction: np.ndarray | float, urban: float) -> np.ndarray:
    """Defence bonus of towns, weighted by the urban share of the defended ground."""
    return 1.0 + (urban - 1.0) * np.asarray(urban_fraction, dtype=float)


def qjm_advance_rate(ratio: np.ndarray, fort: np.ndarray) -> np.ndarray:
    """QJM advance rate (km/day, WWII era) for effective ratio and fortification."""
    ratio = np.asarray(ratio, dtype=float)
    fort = np.asarray(fort, dtype=float)
    hasty = np.interp(ratio, QJM_RATIOS, QJM_RATE_HASTY)
    prepared = np.interp(ratio, QJM_RATIOS, QJM_RATE_PREPARED)
    fortified = np.interp(ratio, QJM_RATIOS, QJM_RATE_FORTIFIED)
    lo = np.where(fort < 0.5, hasty, prepared)
    hi = np.where(fort < 0.5, prepared, fortified)
    w = np.where(fort < 0.5, fort / 0.5, (fort - 0.5) / 0.5)
    # np.minimum(np.maximum(...)) is np.clip without its Python-level overhead
    rate = lo + (hi - lo) * np.minimum(np.maximum(w, 0.0), 1.0)
    return np.where(ratio < QJM_RATIOS[0], 0.0, rate)


def advance_km(ratio: np.ndarray, fort: np.ndarray, era: float, breaks: np.ndarray,
               breakthrough_speed: float) -> np.ndarray:
    """Daily advance (km) of an attack at the given effective force ratio.

    The grinding rate is the QJM rate scaled by the era multiplier (the drone-saturated
    front moves 15-70 m/day, §4.5). Where the defence ``breaks`` today (the ratio has
    reached the breakthrough ratio, within a pulse: ``pulse_step``), the attacker moves
    at breakthrough speed.
    """
    grinding = qjm_advance_rate(ratio, fort) * era
    return np.where(breaks, np.maximum(grinding, breakthrough_speed), grinding)


def pulse_step(ratio: np.ndarray, pulse: np.ndarray, breakthrough_ratio: float,
               pulse_days: int, consolidation_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Whether each front breaks through today, and its pulse state tomorrow.

    A breakthrough runs for at most ``pulse_days`` (sources §4.5: Dobropillia, 10-15 km in
    about five days), then consolidates for ``consolidation_days`` at the grinding rate;
    a pulse also ends when the ratio falls below ``breakthrough_ratio``. ``pulse``: 0 =
    ready, k > 0 = day k of a pulse, k < 0 = consolidating for -k more days.
    """
    pulse = np.asarray(pulse)
    ready = np.asarray(ratio) >= breakthrough_ratio
    breaks = ready & (pulse >= 0)
    nxt = np.where(breaks, pulse + 1, np.where(pulse < 0, pulse + 1, 0))
    nxt = np.where(breaks & (nxt >= pulse_days), -consolidation_days, nxt)
    return breaks, nxt.astype(int)


def lanchester_losses(att_power: np.ndarray, def_power: np.ndarray, def_mult: np.ndarray,
                      exposure: np.ndarray, coeff: float,
                      intensity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One day of aimed-fire (Lanchester square-law) attrition on each axis.

    Each side loses in proportion to the other side's effective combat power. The
    defender's posture multiplier makes its fire count for more; its exposure
    (``defender_exposure``) makes it lose less to the same fire. ``intensity`` is 1 for
    an assault, less on holding sectors. Returns (attacker losses, defender losses) in personnel.
    """
    att_loss = coeff * intensity * def_power * def_mult
    def_loss = coeff * intensity * att_power * exposure
    return att_loss, def_loss


def daily_inflow(recruits_per_month: float, drain_per_month: float, theatre_share: float,
                 current: float, cap: float, boost: float = 0.0) -> float:
    """Net personnel reaching the theatre today, never beyond the theatre's capacity.

    Gross recruitment minus desertion, times the theatre's share, times (1 + boost) for
    arms support. A negative net (desertion above recruitment) drains the force.
    """
    net = net_daily_rate(recruits_per_month, drain_per_month, theatre_share, boost)
    if net > 0:
        return float(min(net, max(cap - current, 0.0)))
    return float(max(net, -current))


def net_daily_rate(recruits_per_month: float, drain_per_month: float, theatre_share: float,
                   boost: float = 0.0) -> float:
    """Net personnel a day for the theatre before its cap: (gross x (1 + boost) - drain)
    x the theatre's share (negative when desertion outruns recruitment)."""
    return (recruits_per_month * (1.0 + boost) - drain_per_month) * theatre_share / (
        DAYS_PER_MONTH)


def fill_units(strength: np.ndarray, nominal: float, inflow: float) -> tuple[np.ndarray, float]:
    """Give new personnel to units below nominal strength, neediest first in proportion.

    Returns (per-unit additions, leftover). Leftover goes to the side's depot, from
    which new units are formed; nothing is created or lost here.
    """
    deficit = np.maximum(nominal - strength, 0.0)
    need = deficit.sum()
    if need <= 0 or inflow <= 0:
        return np.zeros_like(strength), max(inflow, 0.0)
    given = min(inflow, need)
    return deficit * (given / need), inflow - given


def take_losses(strength: np.ndarray, loss: float) -> np.ndarray:
    """Spread a loss over units in proportion to strength; never below zero."""
    total = strength.sum()
    if total <= 0 or loss <= 0:
        return np.zeros_like(strength)
    return strength * min(loss / total, 1.0)


#: The lowest a unit's readiness falls (a fraction): worn out, it is still a unit.
#: Assumption: it keeps a spent unit's power above zero, and no result rests on it.
READINESS_FLOOR = 0.05


def recover_readiness(readiness: np.ndarray, in_combat: np.ndarray, recovery_days: float,
                      combat_loss: float, boost: float = 0.0) -> np.ndarray:
    """Readiness recovers out of combat (regrouping) and wears down in it."""
    up = (1.0 + boost) / recovery_days
    new = np.where(in_combat, readiness - combat_loss, readiness + up)
    return np.minimum(np.maximum(new, READINESS_FLOOR), 1.0)  # np.clip, minus its overhead


def recover_out_of_combat(readiness: np.ndarray, recovery_days: float,
                          boost: float | np.ndarray = 0.0) -> np.ndarray:
    """``recover_readiness`` with nobody in combat, in the same arithmetic (so to the
    bit): a ceasefire day need not build the combat mask nor the combat branch."""
    up = (1.0 + boost) / recovery_days
    return np.minimum(np.maximum(readiness + up, READINESS_FLOOR), 1.0)


def detection_prob(coverage: float, days: int = 1) -> float:
    """Chance that a monitor with daily coverage sees something present for ``days``."""
    return 1.0 - (1.0 - coverage) ** days


def expected_warning(coverage: float, concentration_days: int,
                     crossing_days: np.ndarray | float) -> np.ndarray:
    """Expected days between Ukraine's first sight of an offensive and its arrival on
    Ukraine's line: a build-up watched on each of ``concentration_days`` days with daily
    chance ``coverage`` (seen on day j of the massing, it gives ``concentration_days - j``
    days before the attack starts), then the crossing of the gap between the lines, which
    is seen throughout (the attack's start warns Ukraine whatever the monitors saw).

    It grows with coverage and with the crossing, and never stops growing before coverage
    reaches 1: the same count of days the simulated monitors and reserves play out."""
    return np.asarray(crossing_days, dtype=float) + _warning_of_massing(
        float(coverage), int(concentration_days))


@lru_cache(maxsize=256)
def _warning_of_massing(coverage: float, concentration_days: int) -> float:
    """``expected_warning``'s days from the build-up alone (kept: every review of a run
    asks it for the same coverage and massing)."""
    day = np.arange(1, concentration_days + 1)
    seen_on = coverage * (1.0 - coverage) ** (day - 1)  # first seen on day j of the massing
    return float(np.sum(seen_on * (concentration_days - day)))


def reserve_share(model: str, coverage: float, concentration_days: int,
                  crossing_days: np.ndarray, response_days: float) -> np.ndarray:
    """Share of Ukraine's reserves in place when an offensive reaches its line.

    ``"capped"``: the warning a build-up gives if seen at all (its chance of being seen
    times the massing's days) plus the crossing, over the reserves' response time, capped
    at 1: above a few per cent of daily coverage every reserve is in place, so more
    monitoring or a wider zone changes nothing. ``"continuous"``: each reserve's move takes
    an exponential time of mean ``response_days`` (``reserve_delays``), so the share in
    place after the expected warning (``expected_warning``) is 1 - exp(-warning/response):
    it rises with every day of warning and never reaches 1."""
    if model == "continuous":
        warning = expected_warning(coverage, concentration_days, crossing_days)
        return 1.0 - np.exp(-warning / response_days)
    warning = crossing_days + detection_prob(coverage, concentration_days) * concentration_days
    return np.minimum(1.0, warning / response_days)


def reserve_delays(power: np.ndarray, response_days: float) -> np.ndarray:
    """Days each reserve needs to reach a threatened sector when their moves take an
    exponential time of mean ``response_days``: the reserves, in the order given, take the
    quantiles of that time at the middle of their share of the power, so that the power
    in place after t days is 1 - exp(-t/response) of the whole (``reserve_share``) without
    a random draw. Whole days, as every arrival in the model is."""
    power = np.asarray(power, dtype=float)
    total = power.sum()
    if power.size == 0 or total <= 0:
        return np.zeros(power.size, dtype=int)
    middle = (np.cumsum(power) - 0.5 * power) / total
    return np.rint(-response_days * np.log1p(-middle)).astype(int)


def effective_credibility(base: float, days_since_refresh: float, half_life: float,
                          reassurance_personnel: float, per_10k: float) -> float:
    """Probability the guarantor responds, after decay and the tripwire of a force.

    Credibility halves every ``half_life`` days without a refresh (Kenwick: leverage
    wanes). Troops on the ground independently raise the chance of a response.
    """
    decayed = base * 0.5 ** (max(days_since_refresh, 0.0) / half_life)
    tripwire = min(1.0, per_10k * reassurance_personnel / 10_000.0)
    return 1.0 - (1.0 - decayed) * (1.0 - tripwire)


def campaign(attack: np.ndarray, defence: np.ndarray, reinforcement: np.ndarray,
             reinforce_after: float, fort: np.ndarray, exposure: np.ndarray, days: int,
             step_days: int, coeff: float, era: float, breakthrough_ratio: float,
             breakthrough_speed: float, pulse_share: float) -> tuple[np.ndarray, np.ndarray]:
    """A staff forecast of an offensive: depth reached (km) and the attacker's losses.

    The same rules as the fighting itself (QJM advance, breakthrough pulses, Lanchester
    losses), run forward in steps of ``step_days`` for ``days`` on whole arrays of
    candidate offensives at once: attack and (effective) defence power, the defender's
    reserves that arrive after ``reinforce_after`` days, the works at the point of attack.
    Where the ratio allows a breakthrough, ``pulse_share`` of the days run at
    breakthrough speed (the pulse cycle of ``pulse_step``, averaged over a step). The
    offensive culminates by itself as losses and reinforcements turn the ratio.
    """
    att = np.array(attack, dtype=float)
    dfn = np.array(defence, dtype=float)
    depth = np.zeros_like(att)
    lost = np.zeros_like(att)
    arrived = False
    for t in range(0, days, step_days):
        if not arrived and t >= reinforce_after:
            dfn, arrived = dfn + reinforcement, True
        ratio = np.divide(att, dfn, out=np.full_like(att, np.inf), where=dfn > 0)
        grinding = qjm_advance_rate(ratio, fort) * era
        fast = np.maximum(grinding, breakthrough_speed)
        rate = np.where(ratio >= breakthrough_ratio,
                        pulse_share * fast + (1.0 - pulse_share) * grinding, grinding)
        depth += rate * step_days
        a_loss = np.minimum(coeff * dfn * step_days, att)
        d_loss = coeff * att * exposure * step_days
        lost += a_loss
        att = att - a_loss
        dfn = np.maximum(dfn - d_loss, 0.0)
    return depth, lost


def widest_frontage(ratio: np.ndarray, required: float) -> np.ndarray:
    """Which of the candidate frontages (axis 0, narrowest first) a main effort strikes:
    the widest up to which its expected ratio stays at least ``required`` on every
    narrower one, so that a surplus over a breakthrough is spread over more front at a
    breakthrough's force density (the 3:1 rule, sources §5.2); the narrowest (index 0)
    where even that falls short, as an attack on it is then not expected to break
    through at all."""
    held = np.cumprod(np.asarray(ratio) >= required, axis=0)
    return np.maximum(held.sum(axis=0) - 1, 0)
