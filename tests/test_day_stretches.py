"""Batch runs step their days in stretches between the deal's events, one Mesa event per
stretch (``CeasefireModel.days_per_event``); the visual run steps a day per event. Each
day is the same ``step`` either way, so the runs must be the same to the last bit, on
every arm, with the daily series, and when a run stops at the resumption."""

import math

import pandas as pd
import pytest
from dmzsim.model import api
from dmzsim.model.model import CeasefireModel
from dmzsim.model.params import Params

ARMS = [("territory_first", "unilateral"), ("frozen_line", "unilateral"),
        ("guarantees_first", "mirrored"), ("simultaneous", "mirrored"),
        ("no_deal", "unilateral")]


class DailySummaryModel(api._SummaryOnlyModel):
    """``simulate``'s model with Mesa's event a day: the reference."""

    days_per_event = False


class DailyModel(api._SimulatedModel):
    days_per_event = False


def _run(model_cls, params, seed, until_resumption=False, series=False):
    """``simulate`` with the model class swapped (what it runs, and nothing else)."""
    keep = (api._SimulatedModel, api._SummaryOnlyModel)
    try:
        if model_cls is not None:
            api._SimulatedModel, api._SummaryOnlyModel = DailyModel, DailySummaryModel
        return api.simulate(params, seed, series_every=1 if series else 0,
                            until_resumption=until_resumption)
    finally:
        api._SimulatedModel, api._SummaryOnlyModel = keep


def _same(a: dict, b: dict) -> list[str]:
    def eq(x, y):
        return (isinstance(x, float) and isinstance(y, float) and math.isnan(x)
                and math.isnan(y)) or x == y
    return [k for k in a if not eq(a[k], b[k])]


@pytest.mark.parametrize(("seq", "shape"), ARMS)
def test_stretches_give_the_daily_runs_to_the_bit(seq, shape):
    params = Params.build({"sequencing": seq, "dmz_shape": shape, "horizon_days": 1095})
    for seed in range(1, 5):
        stretched, daily = _run(None, params, seed), _run(DailyModel, params, seed)
        assert not _same(stretched.summary, daily.summary), (seq, shape, seed)
        until = _run(None, params, seed, until_resumption=True)
        until_daily = _run(DailyModel, params, seed, until_resumption=True)
        assert not _same(until.summary, until_daily.summary), (seq, shape, seed)


def test_stretches_keep_the_daily_series_to_the_bit():
    params = Params.build({"sequencing": "frozen_line", "horizon_days": 800})
    for seed in (1, 3):
        a = _run(None, params, seed, series=True).series
        b = _run(DailyModel, params, seed, series=True).series
        pd.testing.assert_frame_equal(a, b, check_exact=True)


@pytest.mark.parametrize(("every", "until"), [(7, False), (10, True), (3, False)])
def test_a_thinned_series_is_the_daily_series_thinned(every, until):
    """``simulate`` records only the days it keeps; they are the daily series' rows to
    the bit, and the summary is the same."""
    params = Params.build({"sequencing": "frozen_line", "horizon_days": 900})
    for seed in (1, 15):
        daily = api.simulate(params, seed, series_every=1, until_resumption=until)
        thin = api.simulate(params, seed, series_every=every, until_resumption=until)
        assert not _same(daily.summary, thin.summary)
        want = daily.series.iloc[::every].reset_index(drop=True)
        pd.testing.assert_frame_equal(thin.series, want, check_exact=True)
        assert thin.series["day"].iloc[-1] > (800 if not until else 0)


class Watched(api._SummaryOnlyModel):
    """Notes the day each stretch starts from and the last day run before each event."""

    def _run_days(self):
        self.__dict__.setdefault("stretches", []).append(self.day)
        super()._run_days()

    def _run_agreement_events(self):
        self.__dict__.setdefault("eves", []).append((self.day, round(self.time + 0.5)))
        super()._run_agreement_events()


def test_a_stretch_runs_many_days_and_mesa_keeps_time():
    """Not a day per event (else nothing is saved), and Mesa's clock and step count end
    where a day-per-event run's would."""
    p = Params.build({"horizon_days": 600})
    m = Watched(p, rng=2)
    m.run_for(600)
    assert m.day == 600 and m.time == 600 and m.steps == 600
    assert 1 < len(m.stretches) < 20, m.stretches
    daily = CeasefireModel(p, rng=2)
    daily.run_for(600)
    assert (daily.day, daily.time, daily.steps) == (m.day, m.time, m.steps)


@pytest.mark.parametrize("seq", ["territory_first", "guarantees_first", "simultaneous"])
def test_a_stretch_stops_on_the_eve_of_each_of_the_deals_events(seq):
    """The deal's events run between days: the day before each is the last one run."""
    m = Watched(Params.build({"horizon_days": 400, "sequencing": seq}), rng=5)
    m.run_for(400)
    assert m.eves and all(day == event_day - 1 for day, event_day in m.eves), m.eves


def _state(model: CeasefireModel) -> dict[str, bytes | float]:
    """Every number a quiet day can touch, to the bit, and where every stream stopped."""
    f, regen, th = model.forces, model.regeneration, model.theatre
    out: dict[str, bytes | float] = {c: getattr(f, c)[: f.n].tobytes() for c in f.COLUMNS}
    out.update(depot=regen.depot.tobytes(), inflow=regen.inflow_total.tobytes(),
               outflow=regen.outflow_total.tobytes(), works=th.fort_flat.tobytes(),
               until_next=model.monitoring.until_next, day=model.day)
    out.update({k: repr(v.bit_generator.state["state"]) for k, v in vars(model.streams).items()})
    out.update(cells=repr([(r, u.unique_id, u.cell.coordinate if u.cell else None)
                           for r, u in sorted(model.units.items())]))
    return out


@pytest.mark.parametrize(("seq", "shape", "change"), [
    ("territory_first", "unilateral", {}),
    ("guarantees_first", "mirrored", {}),
    ("simultaneous", "unilateral", {"review_jitter_days": 3}),
    ("territory_first", "mirrored", {"recruitment_noise_sd": 0.0, "ru_theatre_cap_personnel":
                                     150_000.0}),
    # a month in three with more deserters than recruits: a draw of luck in the days
    # ahead that ends the stretch on its eve (drawn again on its day)
    ("territory_first", "unilateral", {"recruitment_noise_sd": 1.0}),
    # reviews two months apart: stretches longer than a month, over two draws of luck
    ("frozen_line", "unilateral", {"review_interval_days": 60}),
    # shocks of every kind most weeks: many stretches end on a shock's day
    ("guarantees_first", "unilateral", {"political_shock_per_year": 12.0,
                                        "guarantor_shock_per_year": 12.0,
                                        "zone_incident_per_year": 52.0}),
])
@pytest.mark.parametrize("every", [0, 7])
def test_quiet_days_passed_at_once_leave_every_number_as_days_one_by_one(seq, shape, change,
                                                                          every):
    """Batch runs pass a stretch of quiet days at once (``_quiet_days_ahead``); the
    visual run steps each. Every unit, the depot, the works, the watch's clock and every
    stream must come out the same, and most of a holding ceasefire's days must have been
    passed at once (else this tests nothing)."""
    params = Params.build({"sequencing": seq, "dmz_shape": shape, "horizon_days": 1095,
                           **change})
    stretched_cls = api._model_class(every, None)

    class OneByOne(stretched_cls):
        days_per_event = False

    for seed in (1, 2, 5):
        a, b = stretched_cls(params, rng=seed), OneByOne(params, rng=seed)
        a.run_for(params.horizon_days)
        b.run_for(params.horizon_days)
        assert _state(a) == _state(b), (seed, [k for k in _state(a)
                                               if _state(a)[k] != _state(b)[k]])
        assert not _same(api.summary(a), api.summary(b))
        assert b.days_passed_at_once == 0
        if math.isnan(a.record.day_resumed):
            assert a.days_passed_at_once > params.horizon_days / 3, a.days_passed_at_once
        a.grid.recycle()
        b.grid.recycle()


class Finishing(api._model_class(0, None)):
    """A batch run's model (in stretches of quiet days) that notes the days on which a
    stretch ends with a shock's day."""

    def __init__(self, *args, **kwargs):
        self.shock_days: list[int] = []
        super().__init__(*args, **kwargs)

    def _pass_quiet_days(self, days, finish=False):
        if finish and self.shocks.quiet_days_ahead(days) < days:
            self.shock_days.append(self.day + days)
        super()._pass_quiet_days(days, finish)


def test_a_shocks_day_ends_a_stretch_and_is_stepped_no_more():
    """A shock's day is quiet up to the shocks, so a stretch takes it in as its last day
    (its shocks, review and the rest as ``step`` runs them): with an incident at the line
    most weeks, most incidents of a holding ceasefire fall on such days, and few days are
    left to be stepped one by one."""
    p = Params.build({"horizon_days": 730, "zone_incident_per_year": 52.0})
    m = Finishing(p, rng=3)
    m.run_for(p.horizon_days)
    assert math.isnan(m.record.day_resumed)
    incidents = m.shocks.count["incident"]
    assert incidents > 50 and len(m.shock_days) > incidents / 2, (incidents, m.shock_days)
    assert m.days_passed_at_once > 0.8 * p.horizon_days, m.days_passed_at_once
