"""The one parameter schema of dmzsim.

Every parameter is declared once, here, with its unit, its default, the valid range and
where the default comes from: a section of ``docs/sources.md`` (facts with their
sources) or ``assumption: <why>``. The CLI, the experiment runner, the browser app and
the docs all read this schema; nothing restates a default.

The schema is strict on purpose: an unknown key (a typo), a value out of range or a
number written as ``true`` or ``"20"`` is an error that names the key and the value,
never a silent default or conversion.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from dmzsim.common.tomlfile import read_toml, toml_value
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

Sequencing = Literal[
    "no_deal", "frozen_line", "territory_first", "guarantees_first", "simultaneous"
]
DmzShape = Literal["unilateral", "mirrored"]
WarningModel = Literal["capped", "continuous"]
AttackDay = Literal["review", "after_massing"]

SEQUENCING_ARMS: tuple[str, ...] = (
    "no_deal",
    "frozen_line",
    "territory_first",
    "guarantees_first",
    "simultaneous",
)

#: The setting that switches off each mechanism by which a peace can still break late and
#: a campaign scales with superiority: with all of them, the model reduces to its earlier
#: two-year form (a capped warning, reviews on a fixed fortnight, a dividend without bound,
#: no shocks, no recruitment noise, one 20 km corridor). Null tests run it; a study can
#: ``--set`` it to compare (docs/validation.md).
MECHANISMS_OFF: dict[str, Any] = {
    "warning_model": "capped",
    "decision_attack_day": "review",
    "max_attack_frontage_km": 20.0,
    "ceasefire_dividend_years": 0.0,
    "political_shock_per_year": 0.0,
    "guarantor_shock_per_year": 0.0,
    "zone_incident_per_year": 0.0,
    "recruitment_noise_sd": 0.0,
    "review_jitter_days": 0,
    "ua_pause_awol_factor": 1.0,
    "aims_growth": 0.0,
    "ru_zone_entry": 0.0,
}


def P(default: Any, unit: str, source: str, doc: str, **bounds: Any) -> Any:  # noqa: N802
    """Declare a parameter: default, unit, source and meaning travel together."""
    return Field(default, description=doc, json_schema_extra={"unit": unit, "source": source},
                 **bounds)


class Params(BaseModel):
    """All model parameters. Frozen; build variants with ``params.replace(**changes)``."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    # --- the deal -----------------------------------------------------------------------
    sequencing: Sequencing = P(
        "territory_first", "choice", "seed article: the US-favoured order (territory first)",
        "Order of withdrawal and guarantees (see docs/ODD.md, 'Agreement').")
    dmz_shape: DmzShape = P(
        "unilateral", "choice", "sources §2.1 (28-point plan, point 21(d))",
        "unilateral: Ukraine leaves what it holds of the oblast, Russia may not enter; "
        "mirrored: both sides pull back dmz_width_km from the line.")
    unilateral_zone: str = P(
        "unilateral", "name", "map file: the zone a unilateral withdrawal cedes (the "
        "default map's 'unilateral' is the part of the oblast Ukraine holds, sources §2.1)",
        "Which of the map's zones a unilateral withdrawal cedes.", min_length=1)
    dmz_width_km: float = P(
        10.0, "km", "sources §2.3 (Zelensky: mirrored pullback of 5, 10 or 40 km)",
        "Pullback of each side from the line in a mirrored DMZ.", ge=1.0, le=80.0)
    withdrawal_days: int = P(
        14, "days", "sources §2.3 (Minsk II: heavy weapons out within 14 days)",
        "Days the withdrawal from the zone takes.", ge=1, le=365)
    withdrawal_start_day: int = P(
        -1, "day", "assumption: -1 means the sequencing table decides",
        "Override the day withdrawal starts (for controlled comparisons).", ge=-1, le=3650)
    guarantee_delay_days: int = P(
        90, "days", "assumption: Paris Declaration needs national votes (sources §3); "
        "a 60-day ceasefire window was floated (sources §2.2)",
        "Days from the ceasefire until guarantees can be in force.", ge=0, le=3650)
    guarantee_delivery_prob: float = P(
        0.8, "probability", "assumption: guarantees were offered but not ratified (§3)",
        "Probability that the guarantees ever arrive.", ge=0.0, le=1.0)
    guarantee_credibility: float = P(
        0.5, "probability", "assumption: Article-5-like text, no US troops (sources §3)",
        "Probability the guarantor responds to an attack or a detected violation.",
        ge=0.0, le=1.0)
    guarantee_half_life_days: float = P(
        1825.0, "days", "sources §6.3 (Kenwick: leverage wanes); assumption: half the "
        "10-year term of the 28-point plan (§2.1)",
        "Half-life of credibility unless refreshed by a response.", ge=30.0, le=36500.0)
    guarantor_combat_support: float = P(
        0.5, "fraction", "assumption: air shield and ISR 'strategic enablers' (sources §3)",
        "Added defender combat power when the guarantor responds to an attack.",
        ge=0.0, le=5.0)
    arms_support: float = P(
        0.0, "fraction", "assumption: arms aid scales Ukraine's regeneration; off unless studied",
        "Extra Ukrainian regeneration while guarantees are in force (0.5 = +50%).",
        ge=0.0, le=3.0)
    reassurance_force_personnel: float = P(
        0.0, "personnel", "sources §3 (UK/France plan: fewer than 30,000, none near "
        "the front)", "Reassurance force deployed while guarantees are in force.",
        ge=0.0, le=200_000.0)
    tripwire_credibility_per_10k: float = P(
        0.1, "probability per 10,000 personnel",
        "assumption: troops on the ground are a costly signal (Walter, sources §6.3)",
        "How much a reassurance force raises the chance the guarantor responds.",
        ge=0.0, le=1.0)
    monitoring_coverage: float = P(
        0.5, "probability per day", "assumption: OSCE-style drones were jammed and "
        "blocked (sources §2.4); a US-led technical mechanism is planned",
        "Daily chance that a monitored sector detects a build-up or presence in it.",
        ge=0.0, le=1.0)
    warning_model: WarningModel = P(
        "continuous", "choice", "assumption: 'capped' is the model as first published "
        "(it saturates above ~2% daily coverage); 'continuous' spreads the reserves' "
        "moves over an exponential time of mean ua_alert_response_days, so each day of "
        "warning counts",
        "How warning puts Ukraine's reserves in place: capped (all of them once the "
        "warning reaches ua_alert_response_days) or continuous (1 - exp(-warning / "
        "ua_alert_response_days)); see docs/ODD.md, 'Monitoring'.")
    violation_rate_per_100km_day: float = P(
        0.1, "events per 100 km of front per day", "assumption: Donbas 2014-22 "
        "ceasefires saw constant low-level breaches (sources §6.2)",
        "Rate of small ceasefire violations along the front (or the zone).",
        ge=0.0, le=10.0)

    # --- forces -------------------------------------------------------------------------
    ru_initial_personnel: float = P(
        300_000.0, "personnel", "sources §4.6 (155k in the Pokrovsk sector alone; "
        "~700k theatre-wide); assumption: ~43% in Donetsk",
        "Russian personnel in the Donetsk theatre at day 0.", ge=10_000.0, le=2_000_000.0)
    ua_initial_personnel: float = P(
        150_000.0, "personnel", "assumption: about a sixth of ~880-900k (sources §4.6) "
        "holds the Donetsk wedge", "Ukrainian personnel in the Donetsk theatre at day 0.",
        ge=10_000.0, le=2_000_000.0)
    unit_personnel: float = P(
        4_000.0, "personnel",
        "assumption: brigade-sized units, the level at which moves are decided",
        "Nominal strength of one unit.", ge=500.0, le=20_000.0)
    ru_reserve_fraction: float = P(
        0.3, "fraction", "assumption: second echelon held back for main efforts",
        "Share of Russian units in reserve at day 0.", ge=0.0, le=0.9)
    ua_reserve_fraction: float = P(
        0.2, "fraction", "assumption: Ukraine is stretched thin on the line",
        "Share of Ukrainian units in reserve at day 0.", ge=0.0, le=0.9)
    ru_recruits_per_month: float = P(
        35_000.0, "personnel per month", "sources §4.1 (30-38k/month gross, 2025)",
        "Russian gross recruitment, all theatres.", ge=0.0, le=200_000.0)
    ua_recruits_per_month: float = P(
        27_000.0, "personnel per month", "sources §4.2 (25-27k/month mobilised)",
        "Ukrainian gross mobilisation, all theatres.", ge=0.0, le=200_000.0)
    ru_pause_recruitment_factor: float = P(
        1.0, "fraction", "sources §4.8 (RAND: Russia likely keeps a war economy after a "
        "ceasefire)", "Russian recruitment during a ceasefire, relative to wartime.",
        ge=0.0, le=3.0)
    ua_pause_mobilisation_factor: float = P(
        0.5, "fraction", "assumption: the plans cap Ukraine's army at 600-800k, below its "
        "~880-900k (sources §2.1-2.2), and call elections within 100 days",
        "Ukrainian mobilisation during a ceasefire, relative to wartime.", ge=0.0, le=3.0)
    ua_awol_per_month: float = P(
        10_000.0, "personnel per month", "sources §4.2 (~20k AWOL cases in Oct 2025, "
        "the peak); assumption: half that as a steady drain",
        "Ukrainian losses to desertion and AWOL, all theatres.", ge=0.0, le=100_000.0)
    ua_pause_awol_factor: float = P(
        0.5, "fraction", "sources §4.2 (AWOL peaked in wartime, Oct 2025); assumption: "
        "0.5, desertion halves in a pause as mobilisation does "
        "(ua_pause_mobilisation_factor); 1 keeps its wartime rate",
        "Ukrainian desertion during a ceasefire, relative to wartime.",
        ge=0.0, le=3.0)
    recruitment_noise_sd: float = P(
        0.15, "log s.d. per month", "sources §4.1 (30-45k/month, ±~20% about 37.5k) and "
        "§4.2 (25-27k/month); assumption: monthly sign-ups swing with bonuses and call-ups "
        "by about ±15%; 0 keeps a fixed rate",
        "Spread of each side's recruitment from month to month (a "
        "lognormal factor of mean 1, drawn every 30 days).", ge=0.0, le=2.0)
    ru_theatre_share: float = P(
        0.43, "fraction", "sources §4.6 (~300k of ~700k in Donetsk, see ru_initial)",
        "Share of Russian recruitment that reaches the Donetsk theatre.", ge=0.0, le=1.0)
    ua_theatre_share: float = P(
        0.4, "fraction", "assumption: reinforcements follow the fighting; Donetsk drew "
        "about half of Russian gains (sources §4.4) and of its glide bombs (§1.5)",
        "Share of Ukrainian mobilisation that reaches the Donetsk theatre.", ge=0.0, le=1.0)
    ru_theatre_cap_personnel: float = P(
        600_000.0, "personnel", "assumption: twice the day-0 grouping; logistics and "
        "other fronts bound it (sources §4.8: DDIS, IISS)",
        "Most Russian personnel the Donetsk theatre can hold.", ge=10_000.0,
        le=5_000_000.0)
    ua_theatre_cap_personnel: float = P(
        300_000.0, "personnel", "assumption: twice the day-0 force; the 600-800k army "
        "caps of the plans (sources §2.1-2.2) bound it",
        "Most Ukrainian personnel the Donetsk theatre can hold.", ge=10_000.0,
        le=5_000_000.0)
    initial_readiness: float = P(
        0.6, "fraction", "assumption: both sides worn after the 2025 campaign (§4.3)",
        "Readiness of every unit at day 0 (combat power = strength x readiness).",
        ge=0.05, le=1.0)
    readiness_recovery_days: float = P(
        180.0, "days", "sources §4.8 (DDIS: capable of local war ~6 months after a "
        "freeze)", "Days a unit out of combat needs to recover full readiness.",
        ge=1.0, le=3650.0)
    readiness_loss_per_combat_day: float = P(
        0.01, "fraction per day", "assumption: sustained assault wears units out within "
        "months (sources §4.5: units relieved after 3-4 days forward)",
        "Readiness lost per day in active combat.", ge=0.0, le=0.5)

    # --- combat -------------------------------------------------------------------------
    attrition_rate_per_day: float = P(
        0.0085, "fraction of opposing combat power per day",
        "calibrated (docs/examples/calibrate_war.toml): no-deal losses of 320-650 "
        "Russian and 120-215 Ukrainian a day in Donetsk, a ratio of 2-2.4 (sources §4.3)",
        "Lanchester aimed-fire coefficient on a sector in active combat.", ge=0.0, le=0.1)
    quiet_sector_intensity: float = P(
        0.15, "fraction", "assumption: holding sectors still see shelling and drones "
        "(sources §4.3)", "Attrition on axes without an assault, relative to one.",
        ge=0.0, le=1.0)
    hasty_multiplier: float = P(
        1.3, "factor", "sources §5.3 (Dupuy hasty defence 1.3)",
        "Defender strength multiplier with no fortification.", ge=1.0, le=3.0)
    prepared_multiplier: float = P(
        1.5, "factor", "sources §5.3 (Dupuy prepared defence 1.5)",
        "Defender strength multiplier on half-fortified ground.", ge=1.0, le=4.0)
    withdrawal_multiplier: float = P(
        1.15, "factor", "sources §5.3 (Dupuy withdrawal 1.15)",
        "Defender strength multiplier while its units are withdrawing.", ge=0.5, le=3.0)
    fortified_multiplier: float = P(
        1.6, "factor", "sources §5.3 (Dupuy fortified defence 1.6)",
        "Defender strength multiplier on fully fortified ground.", ge=1.0, le=5.0)
    urban_multiplier: float = P(
        1.4, "factor", "sources §5.3 (Dupuy urban terrain 1.4)",
        "Defender strength multiplier in towns.", ge=1.0, le=3.0)
    breakthrough_ratio: float = P(
        3.0, "ratio", "sources §5.2 (3:1 rule; Lawrence: >=2.71 always advanced)",
        "Local effective force ratio the attacker needs to break through.",
        ge=1.0, le=10.0)
    era_advance_multiplier: float = P(
        0.04, "factor", "sources §5.3 (QJM rates x 0.01-0.05 for the drone-saturated "
        "front); calibrated within that range (docs/examples/calibrate_war.toml) to the "
        "line's 15-70 m/day (§4.5) and 150-250 km² a month (§4.4)",
        "Scales WWII-era QJM advance rates to today's front.", ge=0.001, le=1.0)
    breakthrough_speed_km_per_day: float = P(
        2.5, "km per day", "sources §4.5 (breakthrough pulses 2-3 km/day, Dobropillia)",
        "Advance rate once the local ratio exceeds the breakthrough ratio.",
        ge=0.1, le=30.0)
    breakthrough_pulse_days: int = P(
        5, "days", "sources §4.5 (Dobropillia, Aug 2025: 10-15 km in about 5 days)",
        "Days a breakthrough runs at breakthrough speed before it must consolidate.",
        ge=1, le=365)
    consolidation_days: int = P(
        14, "days", "assumption: supplies come up and the defender re-forms a line within "
        "a staff cycle (review_interval_days)",
        "Days after a breakthrough pulse before the next can start (grinding meanwhile).",
        ge=0, le=365)
    dmz_crossing_km_per_day: float = P(
        5.0, "km per day", "assumption: an empty zone is crossed under drone fire, "
        "faster than assault but far slower than a road march (sources §4.3)",
        "Attacker advance through an empty demilitarized zone.", ge=0.1, le=100.0)
    sector_km: float = P(
        20.0, "km", "assumption: a representation choice, the length of front one sector "
        "(one group of line units, one monitoring sector) covers; results must not depend "
        "on it (docs/validation.md)",
        "Length of front per sector when the theatre is cut along the line.",
        ge=4.0, le=100.0)
    attack_frontage_km: float = P(
        20.0, "km", "assumption: the frontage of a main effort by a combined-arms army; "
        "the fortress belt (~50 km, sources §1.3) takes two to three; Russian training "
        "norms of 600 m per assault group (§4.5) add up to this at army level",
        "Width of front on which a main effort meets the defence (Russia's local force "
        "ratio and the breach of an offensive).", ge=2.0, le=100.0)
    max_attack_frontage_km: float = P(
        50.0, "km", "sources §1.3 (the fortress belt, ~50 km) and §4.6 (the Pokrovsk "
        "axis, where Russia's largest grouping fought, >155,000); assumption: one main "
        "effort can be sustained on about the width of the widest axis of 2024-25, since "
        "no source gives the width of an offensive; 20 (attack_frontage_km) is no widening",
        "Widest front a main effort widens to when Russia has more force than a "
        "breakthrough on the attack frontage needs: it widens while its expected ratio "
        "stays at least the breakthrough ratio (no widening at or below "
        "attack_frontage_km; so lowering attack_frontage_km alone below this lets a main "
        "effort widen back up to it).", ge=2.0, le=200.0)

    # --- fortification ------------------------------------------------------------------
    initial_fortification: float = P(
        0.8, "fraction", "sources §1.3 (multi-layer lines, fortress belt since 2014)",
        "Fortification of Ukrainian-held ground within the oblast at day 0.",
        ge=0.0, le=1.0)
    rear_fortification: float = P(
        0.2, "fraction", "sources §1.3 (FT: 'open terrain' behind the belt); "
        "some lines exist (Telegraph: 965 km of new works)",
        "Fortification of Ukrainian-held ground outside the oblast at day 0.",
        ge=0.0, le=1.0)
    defence_zone_km: float = P(
        4.0, "km", "assumption: a main line plus second positions; the fortress-belt "
        "works are up to 200 m per line, several lines deep (sources §1.3)",
        "Depth behind the defender's forward edge whose works count for its posture.",
        ge=0.5, le=30.0)
    obstacle_delay_factor: float = P(
        2.0, "factor", "assumption: ditches, dragon's teeth and mines left in the zone "
        "slow a crossing (sources §1.3)",
        "Crossing time of a zone is multiplied by 1 + this x its remaining works.",
        ge=0.0, le=20.0)
    dig_days_to_full: float = P(
        240.0, "days", "assumption: multi-layer lines up to 200 m wide (sources §1.3) "
        "take months per sector",
        "Days for the defender to bring its line from 0 to full fortification.",
        ge=1.0, le=3650.0)
    fortification_decay_days: float = P(
        365.0, "days", "assumption: abandoned earthworks erode over a year",
        "Days for unmanned works to lose all their value.", ge=1.0, le=36500.0)

    # --- decisions ----------------------------------------------------------------------
    decision_noise: float = P(
        0.25, "log-ratio s.d.", "assumption: bounded rationality in reading the balance "
        "(a quarter of a log unit: the ratio is misread by ~±25%)",
        "Noise on Russia's estimate of the local force ratio.",
        ge=0.0, le=3.0)
    campaign_days: int = P(
        90, "days", "assumption: Russia's 2024-25 offensives came in pulses of a few "
        "months (sources §4.4); a staff plans a season's campaign",
        "How far ahead Russia's staff forecasts an offensive's gains and losses.",
        ge=10, le=730)
    lookahead_days: int = P(
        180, "days", "sources §4.8 (DDIS: a local war about six months after a freeze); "
        "0 turns off the comparison with resuming later",
        "How far ahead Russia compares resuming now with resuming later.", ge=0, le=1825)
    decision_attack_day: AttackDay = P(
        "after_massing", "choice", "assumption: 'review' keeps the estimate as first "
        "published (it weighs an attack on a day its massing cannot yet reach); "
        "'after_massing' is what a staff would plan (a closing window, sources §7b: Powell "
        "2006, must be caught a build-up ahead)",
        "When a ceasefire review's estimate places the attack it weighs: on the review's "
        "day, or concentration_days later, when the massing it starts would be done.")
    discount_per_year: float = P(
        0.2, "fraction per year", "assumption: a strained war economy (sources §7b) and an "
        "uncertain future make a gain a year later worth a fifth less",
        "How much less Russia values resuming later than resuming now.", ge=0.0, le=1.0)
    beyond_aims_value: float = P(
        0.25, "fraction", "assumption: no source prices ground (sources §7b); the stated aim "
        "is the whole of Donetsk oblast (§2.1), ground beyond it is worth less",
        "Value of a km² beyond Russia's aims, relative to a km² of its aims (the map's "
        "oblast): ground no region of the aims scenario covers, unless the scenario "
        "gives its own value elsewhere.", ge=0.0, le=1.0)
    aims_scenario: str = P(
        "oblast", "name", "map file: its [aims.<name>] scenarios; 'oblast', the only "
        "one every map has (a default must hold on every map), is the oblast at full value "
        "and ground beyond at beyond_aims_value. On the default map the sourced choice is "
        "'claimed_oblasts' (sources §7c: the four oblasts declared annexed and written "
        "into the constitution, Sep 2022; Putin's terms, Jun 2024; Istanbul, Jun 2025; the "
        "claim H, the scenario M-H), which the flagship experiments set in their [base]",
        "Which of the map's aims scenarios values the ground Russia could take.",
        min_length=1)
    aims_growth: float = P(
        0.0, "fraction per unit of ratio", "sources §7c (aims grow with success: Goemans "
        "2000, Reiter 2009; no calibration for this war); assumption: 0, the stated claims "
        "(aims_scenario) are the aims, since no source gives a rate; 0 turns it off",
        "How fast ground below full value rises towards it as Russia's best expected "
        "ratio exceeds breakthrough_ratio: a share aims_growth x (ratio / "
        "breakthrough_ratio - 1), at most 1, of the gap to full value.", ge=0.0, le=10.0)
    belt_town_value_km2: float = P(
        300.0, "km² of aims", "assumption: the fortress belt is what the demand for the "
        "rest of Donetsk is about (sources §1.3, §2.1); each town is worth as much as a "
        "twentieth of the ground Ukraine holds there",
        "Value of taking a fortress-belt town, besides its ground.", ge=0.0, le=100_000.0)
    acceptable_losses_per_km2: float = P(
        150.0, "personnel per km² of aims", "sources §4.3, §7b (~100 casualties per km² "
        "gained in 2024, and attacks went on); assumption: half as much again is the limit",
        "Losses Russia accepts for a km² of its aims: the price of its own casualties.",
        ge=10.0, le=100_000.0)
    guarantor_cost_km2: float = P(
        3000.0, "km² of aims", "assumption: facing the guarantors' air power and sanctions "
        "(sources §3, §7b) would cost more than half the ground at stake in Donetsk",
        "What an answering guarantor costs Russia, times its credibility.",
        ge=0.0, le=100_000.0)
    resumption_cost_km2: float = P(
        1500.0, "km² of aims", "assumption: remobilising and the political cost of "
        "breaking a signed ceasefire (sources §7b); calibrated: "
        "docs/examples/calibrate_decision.toml (40 frozen-line runs a trial at 1,825 days; "
        "a pass over 20-4,000 log bracketed the band between 892 and 2,740, a second pass "
        "accepted 1,253-2,014) against the band P(resume by 730 d) 0.25-0.60 (§6.1-6.2) and "
        "the UCDP floors by 3 and 5 years (runs/targets/conflict_recurrence.toml); near "
        "where the accepted trials and a check on 120 other seeds (0.35 by 2 years) put "
        "the band's centre (docs/validation.md §2)",
        "What ending the ceasefire costs Russia at once.", ge=0.0, le=100_000.0)
    ceasefire_dividend_km2_per_year: float = P(
        1500.0, "km² of aims per year", "assumption: sanctions relief, the frozen assets "
        "and the economy's recovery accrue while the ceasefire holds and are lost by "
        "resuming (sources §7b); its ceiling (x ceasefire_dividend_years = 3,000 km²) is "
        "of the order of a year of the war's gains in 2024-25 (§4.4: 4,000-5,600 km²). "
        "Held, not fitted: with resumption_cost_km2 it is not identified by the frozen "
        "line's rate (docs/validation.md)",
        "What each year of ceasefire adds to the cost of ending it.", ge=0.0, le=100_000.0)
    ceasefire_dividend_years: float = P(
        2.0, "years", "sources §7b (the frozen assets, ~$300bn, and sanctions relief are a "
        "stock gained once; the economy recovers towards its trend); §4.8 (ground forces "
        "reconstituted within ~2 years, IISS, DDIS): assumption, the economy's recovery "
        "runs on the same ~2-year clock; 0 keeps an accrual without bound",
        "Time constant with which the dividend approaches its ceiling "
        "(ceasefire_dividend_km2_per_year x this); 0: it grows without bound. About 2 "
        "years bounds it at ~3,000 km² of aims.", ge=0.0, le=50.0)
    political_noise: float = P(
        0.5, "log s.d.", "assumption: what breaking a ceasefire would cost at home and "
        "abroad moves with events (sources §7b); the cost is misread by up to ~±50%",
        "Noise, drawn at each review, on Russia's reading of what ending the ceasefire "
        "costs.", ge=0.0, le=3.0)
    review_interval_days: int = P(
        14, "days", "assumption: a fortnightly staff-planning cycle",
        "Days between Russia's reviews of whether to resume.", ge=1, le=365)
    review_jitter_days: int = P(
        7, "days", "assumption: a staff cycle slips with events, by up to a week; 7 "
        "(half the fortnight) spreads reviews over every day; 0 keeps the fixed "
        "fortnightly lattice",
        "In a ceasefire, each interval between Russia's reviews is review_interval_days "
        "plus a whole number of days drawn uniformly from -this..+this (3-7 unlocks the "
        "lattice).", ge=0, le=180)
    political_shock_per_year: float = P(
        0.3, "events per year", "assumption: a change of leadership or of the politics at "
        "home (an election, a crisis) a few times a decade (sources §7b: the cost of "
        "breaking a deal is political); 0.3, three a decade, mid-range of ~0.2-0.5, "
        "no source gives a rate; 0 switches them off",
        "Rate of domestic political shocks that move, for good, Russia's cost of ending "
        "the ceasefire.", ge=0.0, le=12.0)
    political_shock_sd: float = P(
        0.5, "log s.d.", "assumption: a shock moves the political cost by up to ~±50%, "
        "as political_noise misreads it",
        "Size of a political shock: the log of the factor on the cost of ending the "
        "ceasefire.", ge=0.0, le=3.0)
    political_shock_force_sd: float = P(
        0.2, "log s.d.", "sources §4.8 (Estonian intelligence: plans for 2-3x pre-war troop "
        "levels, depending on how the war ends), §4.1 (the decree's 1.5 m target); "
        "assumption: a change at home moves what Russia keeps in the theatre by ~±20%; "
        "0 keeps the cap fixed",
        "Size of a political shock's effect on Russia's theatre cap: the log of its factor, "
        "opposite in sign to the shock's effect on the cost of ending the ceasefire (a "
        "change that cheapens war raises the cap).", ge=0.0, le=2.0)
    guarantor_shock_per_year: float = P(
        0.25, "events per year", "assumption: a guarantor's government and resolve change "
        "every few years (sources §3; Kenwick, §6.3: leverage wanes): 0.25, one change "
        "in a four-year electoral term; 0 switches them off",
        "Rate of changes in the guarantor's resolve.",
        ge=0.0, le=12.0)
    guarantor_shock_sd: float = P(
        0.5, "log s.d.", "assumption: a new government may halve or double its resolve",
        "Size of a change of resolve: the log of the factor on the guarantor's "
        "credibility (capped at 1).", ge=0.0, le=3.0)
    zone_incident_per_year: float = P(
        4.0, "events per year", "sources §6.2 (the Donbas line saw about two dozen failed "
        "ceasefires in 2014-2020, ~4 a year); assumption: each was a serious incident at "
        "the line; 0 switches them off",
        "Rate of incidents at the line that may escalate; each brings Russia's review "
        "forward to the day.", ge=0.0, le=52.0)
    incident_cost_relief: float = P(
        0.3, "fraction", "assumption: a clash is a pretext that lowers the political cost of "
        "ending the ceasefire (Fortna §6.1: agreements work partly by controlling "
        "accidents)", "Share of the cost of ending the ceasefire an incident waives at the "
        "review it triggers.", ge=0.0, le=1.0)
    concentration_days: int = P(
        21, "days", "assumption: moving brigades to one sector under observation takes "
        "weeks", "Days Russia needs to mass its reserve on the chosen sector.",
        ge=1, le=365)
    ru_zone_entry: float = P(
        0.0, "fraction of the gap between the lines", "sources §2.1 (point 21(d): Russian "
        "forces do not enter the zone), §6.3 (Fearon: conceded ground cannot be promised "
        "not to be used); assumption: 0, the plan's promise kept, because no source says "
        "how far Russia would break it (a lever for the robustness study, not a base "
        "rate)", "How far into a zone it promised not to enter Russia stages the "
        "forces it masses, as a share of the way across to Ukraine's line (a violation the "
        "monitors can see; the offensive starts from there). 0: it stays out.",
        ge=0.0, le=1.0)
    ua_alert_response_days: int = P(
        5, "days", "assumption: reserve brigades move within a week on warning",
        "Days a Ukrainian reserve needs to reach a threatened sector.", ge=1, le=90)
    horizon_days: int = P(
        730, "days", "assumption: two years, the window in which regrouping risk is asked about "
        "(sources §4.8: reconstitution within ~2 years)",
        "Length of a run.", ge=1, le=7300)
    cell_km: float = P(
        2.0, "km", "assumption: finer than a brigade's frontage (sources §4.5), coarse enough "
        "for fast runs",
        "Grid cell size.", ge=0.5, le=20.0)

    # ------------------------------------------------------------------------------------
    @field_validator("*", mode="before")
    @classmethod
    def _numbers_as_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """A number must be written as a number. Pydantic's lax mode would read ``true``
        as 1 and ``"20"`` as 20.0, so a typo in a scenario, an experiment or ``--set``
        would run quietly with a value nobody wrote; here it is an error."""
        if cls.model_fields[info.field_name].annotation not in (int, float):
            return value
        if isinstance(value, bool | np.bool_):
            raise PydanticCustomError("number_not_bool",
                                      "must be a number, not true/false")
        if isinstance(value, str | bytes):
            raise PydanticCustomError("number_not_text",
                                      "must be a number, not text (write it without quotes)")
        return value

    @classmethod
    def explicit(cls, params: Params | None, overrides: dict[str, Any]) -> dict[str, Any]:
        """The values a caller chose: those of ``params`` that differ from the schema's
        defaults, and every override. A map's force block fills in the rest."""
        chosen = {}
        if params is not None:
            defaults = _defaults()
            chosen = {k: v for k, v in params.model_dump().items() if v != defaults[k]}
        return {**chosen, **overrides}

    def replace(self, **changes: Any) -> Params:
        """A validated copy with some values changed (unknown keys are errors)."""
        return Params.build({**self.model_dump(), **changes})

    @classmethod
    def build(cls, values: dict[str, Any] | None = None) -> Params:
        """Validate ``values`` into Params, raising :class:`ParamError` naming bad keys."""
        try:
            return cls.model_validate(values or {})
        except ValidationError as err:
            raise ParamError.from_validation(err, values or {}) from None

    @classmethod
    def from_toml(cls, path: str | Path, section: str | None = None) -> Params:
        """Read Params from a TOML file (optionally one table of it); a file that cannot be
        read is a :class:`ParamError` naming it."""
        data = read_toml(path, what="parameters", error=ParamError)
        if section is not None:
            data = data.get(section, {})
        return cls.build(data)


class ParamError(ValueError):
    """Bad parameters; the message names every offending key and value."""

    @classmethod
    def from_validation(cls, err: ValidationError, values: dict[str, Any]) -> ParamError:
        """One error for all of pydantic's, each naming the key and value (and, for an
        unknown key, the nearest known name: most are typos)."""
        lines = []
        for e in err.errors():
            key = ".".join(str(p) for p in e["loc"]) or "<root>"
            if e["type"] == "extra_forbidden":
                hint = _closest(key)
                lines.append(f"unknown parameter {key!r} (value {e['input']!r})"
                             + (f"; did you mean {hint!r}?" if hint else ""))
            else:
                lines.append(f"parameter {key!r} = {values.get(key, e.get('input'))!r}: "
                             f"{e['msg']}")
        return cls("; ".join(lines))


@lru_cache(maxsize=1)
def _defaults() -> dict[str, Any]:
    return Params().model_dump()


def _closest(key: str) -> str | None:
    import difflib

    match = difflib.get_close_matches(key, list(Params.model_fields), n=1)
    return match[0] if match else None


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``key=value`` from the command line (``--set``); the value as
    :func:`parse_value` reads and checks it, so a typo fails before anything runs."""
    if "=" not in text:
        raise ParamError(f"override {text!r} is not of the form key=value")
    key, raw = (s.strip() for s in text.split("=", 1))
    if not key:
        raise ParamError(f"override {text!r} has no parameter name before '='")
    return key, parse_value(key, raw)


def parse_overrides(texts: list[str], flag: str = "--set") -> dict[str, Any]:
    """Every ``key=value`` of a repeated ``--set``, read by :func:`parse_override`. A
    parameter given twice is an error, not the last one silently winning."""
    out: dict[str, Any] = {}
    given: dict[str, str] = {}
    for text in texts:
        key, value = parse_override(text)
        if key in out:
            raise ParamError(f"{flag} {text.strip()}: parameter {key!r} is already set by "
                             f"{flag} {given[key]}; set it once")
        out[key], given[key] = value, text.strip()
    return out


def parse_value(name: str, text: str) -> Any:
    """The value ``text`` gives parameter ``name``: every door that takes a parameter as
    text (``--set``, a CSV design's cells) reads it here, so ``3`` is the same value
    everywhere.

    Read by TOML's rules for a value (``3`` an int, ``0.5`` a float, ``"a"`` text, a bare
    word such as ``territory_first`` text too), then checked by :func:`check_value`.
    Returned as read, not converted: an experiment records and hashes what was written.
    """
    value = toml_value(text)
    check_value(name, value)
    return value


def check_value(name: str, value: Any) -> None:
    """Raise :class:`ParamError` unless ``value`` is valid for parameter ``name`` (its
    type, choices and bounds), worded as :meth:`Params.build` words it. Only that one
    field is validated, so checking every cell of a large table stays cheap."""
    if name not in Params.model_fields:
        Params.build({name: value})  # raises: unknown parameter, with a "did you mean"
    try:
        Params.__pydantic_validator__.validate_assignment(Params.model_construct(), name,
                                                          value)
    except ValidationError as err:
        raise ParamError.from_validation(err, {name: value}) from None


def bounds(name: str) -> tuple[Any, Any]:
    """A parameter's lower and upper bound in the schema (None where it has none)."""
    lo = hi = None
    for m in Params.model_fields[name].metadata:
        lo = getattr(m, "ge", getattr(m, "gt", lo))
        hi = getattr(m, "le", getattr(m, "lt", hi))
    return lo, hi


def parameter_table() -> list[dict[str, Any]]:
    """Rows (name, default, unit, range, source, meaning) for docs and the app."""
    rows = []
    for name, f in Params.model_fields.items():
        extra = f.json_schema_extra or {}
        lo, hi = bounds(name)
        rows.append({"name": name, "default": f.default, "unit": extra.get("unit"),
                     "min": lo, "max": hi, "source": extra.get("source"),
                     "doc": f.description})
    return rows
