"""What the engine works out once and keeps, or works out once for several questions,
must give the very numbers a fresh computation of each gives, to the last bit: the power
of several sets of units on the same spans, the widened windows a review reuses, and
each side's daily rate of recruits."""

import numpy as np
from dmzsim.model.forces import RU, UA, Posture
from dmzsim.model.model import CeasefireModel
from dmzsim.model.params import Params

from tests.helpers import SMALL_MAP, small


def _at_war(days: int = 40) -> CeasefireModel:
    """A small war some weeks in: units moved, disbanded and formed, a main effort."""
    m = CeasefireModel(small(sequencing="no_deal"), rng=3, map_path=SMALL_MAP)
    m.run_for(days)
    return m


def test_the_power_of_several_masks_on_the_same_spans_is_each_masks_own():
    m = _at_war()
    f, lines = m.forces, m.lines
    masks = (f.line_mask(RU, m.day), f.line_mask(UA, m.day), f.mask(RU, Posture.RESERVE),
             f.line_mask(UA))
    along = lines.units_along(masks)  # one for every set of spans, in turn
    for spans in (lines.windows.spans, lines.sector_spans, lines.frontage_spans):
        together = lines.standing_on_each(masks, spans)
        for mask, got, again in zip(masks, together, along.on(spans), strict=True):
            want = lines.standing_on(mask, spans)
            assert got.shape == want.shape and got.tobytes() == want.tobytes()
            assert again.tobytes() == want.tobytes()


def test_the_power_of_a_mask_alone_is_as_before():
    """One mask through the shared path: the arithmetic of a call of its own."""
    m = _at_war()
    f, lines = m.forces, m.lines
    mask = f.line_mask(RU, m.day)
    spans = lines.windows.spans
    n = f.n
    rows = np.flatnonzero(mask & (f.sector[:n] >= 0))
    sec = f.sector[rows]
    a = np.where(np.isfinite(f.front_from[rows]), f.front_from[rows], lines.sector_spans[0][sec])
    b = np.where(np.isfinite(f.front_to[rows]), f.front_to[rows], lines.sector_spans[1][sec])
    cover = np.maximum(np.minimum(b[:, None], spans[1][None, :])
                       - np.maximum(a[:, None], spans[0][None, :]), 0.0)
    standing = (f.strength[rows] * f.readiness[rows])[:, None] * cover / np.maximum(
        b - a, 1e-9)[:, None]
    onehot = np.zeros((lines.sector_spans[0].size, rows.size))
    onehot[sec, np.arange(rows.size)] = 1.0
    assert (onehot @ standing).tobytes() == lines.standing_on(mask, spans).tobytes()


def test_widened_windows_are_kept_until_the_theatre_is_cut_again():
    m = _at_war(5)
    lines = m.lines
    used = np.array([0])
    first = lines.windows_taken(30.0, used)
    assert lines.windows_taken(30.0, used) is first  # what is kept for it is found again
    fresh = lines.windows_at(30.0).take(used)
    for name in ("centre", "owner", "weights"):
        assert getattr(first, name).tobytes() == getattr(fresh, name).tobytes()
    assert first.spans[0].tobytes() == fresh.spans[0].tobytes()
    assert lines.windows_taken(35.0, used) is not first
    lines.read()  # read again off the same cut: the windows kept with the cut
    assert lines.windows_taken(30.0, used) is first
    th = m.theatre
    th.control_flat[th.sectors.front[:40]] = RU  # ground changes hands: a new cut
    th.version += 1
    assert th.rebuild()
    lines.recut()
    assert lines.windows_taken(30.0, used) is not first


def test_the_daily_rates_kept_are_the_ones_computed_afresh():
    m = CeasefireModel(small(), rng=0, map_path=SMALL_MAP)
    regen = m.regeneration
    m.run_for(45)  # a second month's luck
    for side in (RU, UA):
        for expected in (False, True):
            luck = 1.0 if expected else float(regen.luck[side])
            assert regen.daily_rate(side, expected) == regen._daily_rate(side, luck)
    shift = m.shocks.force_shift
    m.shocks.force_shift = shift + 0.25  # a political shock moves Russia's cap
    assert regen.cap(RU) == m.p.ru_theatre_cap_personnel * float(np.exp(shift + 0.25))
    # other parameters: nothing kept for the old ones is used
    m.p = Params.build({**m.p.model_dump(), "ru_recruits_per_month": 1000.0,
                        "ru_theatre_cap_personnel": 9.0e5})
    assert regen.daily_rate(RU) == regen._daily_rate(RU, float(regen.luck[RU]))
    assert regen.cap(RU) == 9.0e5 * float(np.exp(shift + 0.25))


def test_aims_built_later_in_a_ceasefire_are_the_ones_built_at_once():
    """A review that expects no breakthrough neither reads nor builds the aims
    (``decision._estimate``), so they may be built many reviews after the theatre was
    cut: in a ceasefire nothing they read changes in between."""
    from dmzsim.model.aims import Aims

    m = CeasefireModel(small(sequencing="territory_first", decision_noise=0.0), rng=2,
                       map_path=SMALL_MAP)
    m.run_for(120)
    assert m.in_ceasefire and not m.at_war
    windows, cut = m.lines.windows, m.theatre.version
    early = Aims(m.theatre, m.p, windows)
    m.run_for(200)
    assert m.in_ceasefire and m.lines.windows is windows
    late = Aims(m.theatre, m.p, windows)
    for a, b in ((early.near, late.near), (early.weight, late.weight),
                 (early.moment, late.moment)):
        assert [x.tobytes() for x in a] == [x.tobytes() for x in b]
    assert m.theatre.version == cut


def test_the_cells_units_take_are_the_ones_found_afresh():
    """A unit's cell is kept for its side, sector, depth and slot until the theatre is
    cut again or the ground changes hands (``Movement._places``)."""
    from dmzsim.model.processes.movement import SLOTS

    def afresh(m, side, posture, slots):
        own, depth = m.movement._candidates(side, 1, posture)
        return m.theatre.nearest_cells(own, depth, slots)

    m = _at_war()
    th = m.theatre
    slots = np.array([th.sectors.lo[1] + 0.1 * k for k in range(2 * SLOTS)])
    postures = (Posture.RESERVE, Posture.DEFEND, Posture.CONCENTRATE)
    for side in (RU, UA):
        for posture in postures:
            first = m.movement._places(side, 1, posture, slots)
            assert first == afresh(m, side, posture, slots)
            assert m.movement._places(side, 1, posture, slots[::-1]) == first[::-1]
    m.run_for(30)  # the front moves and the theatre is cut again
    for side in (RU, UA):
        for posture in postures:
            assert m.movement._places(side, 1, posture, slots) == afresh(m, side, posture,
                                                                          slots)


def _runs_on_one_cut() -> list[CeasefireModel]:
    """Three runs of one process that cut the theatre along the same lines (a cut is kept
    once it comes a second time, ``theatre.cut_along``)."""
    params = small(sequencing="territory_first", horizon_days=200)
    runs = []
    for seed in (1, 2, 3):
        m = CeasefireModel(params, rng=seed, map_path=SMALL_MAP)
        m.run_for(200)
        runs.append(m)
    return runs


def test_a_cut_kept_from_an_earlier_run_is_the_one_found_afresh():
    """Runs that cut the theatre along the same front share the cut (``cut_along``):
    it is the very cut a fresh one gives, it cannot be written, and each run's strips,
    which note how far Russia has taken them, are its own."""
    from dmzsim.model import theatre

    runs = _runs_on_one_cut()
    th = runs[-1].theatre
    fresh = theatre._cut(th, th.ua_ground())
    for name in ("depth", "s", "sector_of_cell", "lo", "hi", "anchor", "front", "stretches"):
        kept = getattr(th.sectors, name)
        assert kept.tobytes() == getattr(fresh.sectors, name).tobytes(), name
        assert not kept.flags.writeable, name
    assert th.sectors is runs[-2].theatre.sectors  # the same front: the same cut
    assert th.cell_position.tobytes() == fresh.cell_position.tobytes()
    assert th.s_filled.tobytes() == fresh.s_filled.tobytes()
    for mine, theirs, (cells, depth, taken) in zip(th.strips, runs[-2].theatre.strips,
                                                   fresh.strips, strict=True):
        assert mine is not theirs
        assert mine.cells.tobytes() == cells.tobytes()
        assert mine.depth.tobytes() == depth.tobytes() and mine.taken_upto == taken



def test_the_units_along_a_review_front_are_kept_only_while_they_are_the_same():
    """A review keeps where both lines' units stand (``UnitsAlongFront.kept``) while they
    are the very same units in the same places, as strong and as ready; what it finds
    standing on the windows is then what a fresh reading finds, and a change of any of
    them makes a fresh reading."""
    m = _at_war()
    f, lines = m.forces, m.lines
    masks = (f.line_mask(RU), f.line_mask(UA))
    spans = lines.windows.spans
    first = lines.units_along(masks, keep=True)
    assert lines.units_along(masks, keep=True) is first
    for got, want in zip(first.on(spans), lines.units_along(masks).on(spans), strict=True):
        assert got.tobytes() == want.tobytes()
    row = int(np.flatnonzero(masks[0])[0])
    for column, value in (("strength", 1.0), ("readiness", 0.5), ("front_from", 3.0)):
        before = getattr(f, column)[row]
        getattr(f, column)[row] = value
        again = lines.units_along(masks, keep=True)
        assert again is not first, column
        for got, want in zip(again.on(spans), lines.units_along(masks).on(spans), strict=True):
            assert got.tobytes() == want.tobytes(), column
        getattr(f, column)[row] = before
        first = lines.units_along(masks, keep=True)
    fewer = (masks[0] & (np.arange(f.n) != row), masks[1])
    assert lines.units_along(fewer, keep=True) is not first


def test_the_ground_of_a_review_windows_is_kept_only_while_it_is_the_same():
    """What the ground of the windows holds (``decision._ground``) is reused from one
    forecast to the next only while the works, the coverage and the rest are the same:
    a reused one is the one worked out afresh, and a change of the works or of the
    coverage is seen."""
    from dmzsim.model.processes import decision

    m = CeasefireModel(small(sequencing="territory_first"), rng=2, map_path=SMALL_MAP)
    m.run_for(150)
    days = np.array([21.0])

    def forecast(fresh: bool) -> decision._Forecast:
        if fresh:
            m.lines.ground_kept.clear()
        return decision._Forecast(decision._Today(m), days)

    first = forecast(True)
    windows = m.lines.windows
    assert m.lines.ground_kept[id(windows)][0] is windows
    for change in (None, "works", "coverage"):
        if change == "works":
            cells = m.fortification.zone[0]
            m.theatre.fort_flat[cells[: cells.size // 2]] *= 0.5
        elif change == "coverage":
            m.monitoring.coverage = 0.9 if m.monitoring.coverage != 0.9 else 0.2
        kept, fresh = forecast(False), forecast(True)
        for name in ("attack", "defence", "reinforcement", "fort", "crossing"):
            assert getattr(kept, name).tobytes() == getattr(fresh, name).tobytes(), (change,
                                                                                     name)
        if change is not None:
            assert fresh.defence.tobytes() != first.defence.tobytes(), change


def test_cells_found_in_an_earlier_run_on_the_same_ground_are_the_ones_found_afresh():
    """Runs that cut the theatre along the same front, with the same zone, share the
    cells their units take (``theatre.places_on``) until ground changes hands: each is
    the cell found afresh, and none is shared once the ground has changed."""
    from dmzsim.model import theatre

    runs = _runs_on_one_cut()
    m = runs[-1]
    th = m.theatre
    assert th.version == th.cut_version and th.cut is runs[-2].theatre.cut
    shared = theatre.places_on(th)
    assert shared and m.movement._cells is shared
    for (side, sector, depth, in_zone, slot), cell in list(shared.items())[:50]:
        posture = Posture.CONCENTRATE if in_zone else Posture.RESERVE
        own = m.movement._ground_near(side, sector, depth, in_zone)
        assert th.nearest_cells(own, depth, np.array([slot]))[0] == cell, posture
    war = _at_war()  # ground has changed hands since the last cut, or not
    slots = np.array([war.theatre.sectors.lo[1] + 0.1])
    war.movement._places(RU, 1, Posture.RESERVE, slots)
    if war.theatre.version != war.theatre.cut_version:
        assert war.movement._cells is not theatre.places_on(war.theatre)


def _estimates_alike(a, b) -> None:
    for name in ("days", "window", "sector", "ratio", "gain", "losses", "guarantor", "ending",
                 "discount", "frontage"):
        assert getattr(a, name).tobytes() == getattr(b, name).tobytes(), name


def test_what_a_review_reads_of_the_front_is_kept_only_while_it_is_the_same():
    """A review's reading of both lines (``decision._Front.kept``) is the last review's
    only while every number it reads is the same to the bit: a change to any of them is
    seen, a change to the reserves or the depot is not needed, and the estimate made
    with a kept reading is the one made afresh whatever changed."""
    from dmzsim.model.processes import decision

    m = CeasefireModel(small(sequencing="territory_first"), rng=2, map_path=SMALL_MAP)
    m.run_for(150)
    f = m.forces
    noise = np.linspace(-0.3, 0.3, m.lines.windows.n)

    def fresh() -> decision.Estimate:
        m.lines.front_kept = None
        m.lines.ground_kept.clear()
        return decision.estimate(m, noise)

    first = decision._Front.kept(m)
    assert decision._Front.kept(m) is first  # nothing changed
    line = np.flatnonzero(f.line_mask(RU) | f.line_mask(UA))
    reserve = np.flatnonzero(f.mask(RU, Posture.RESERVE) | f.mask(UA, Posture.RESERVE))
    assert line.size >= 4 and reserve.size >= 2
    depot = m.regeneration.depot
    changes = {  # name: (change, whether the front reads it)
        "strength": (lambda: f.strength.__setitem__(line[0], f.strength[line[0]] * (1 - 1e-15)),
                     True),
        "readiness": (lambda: f.readiness.__setitem__(line[1], f.readiness[line[1]] * 0.5), True),
        "posture": (lambda: f.posture.__setitem__(line[2], int(Posture.WITHDRAW)), True),
        "place": (lambda: f.front_to.__setitem__(line[3], f.front_to[line[3]] + 1.0), True),
        "a reserve's readiness": (lambda: f.readiness.__setitem__(
            reserve[0], f.readiness[reserve[0]] * 0.5), False),
        "a reserve's arrival": (lambda: f.arrive_day.__setitem__(reserve[1], m.day + 5), False),
        "depot": (lambda: depot.__setitem__(RU, depot[RU] + 1.0), False),
        "cap": (lambda: setattr(m.shocks, "force_shift", m.shocks.force_shift + 0.1), False),
        "works": (lambda: m.theatre.fort_flat.__setitem__(m.fortification.zone[0][:5], 0.0),
                  True),
        "edge": (lambda: m.lines.ru_depth.__setitem__(0, m.lines.ru_depth[0] - 1.0), True),
        "main effort": (lambda: m.effort.aim(0), True),
    }
    last = first
    for name, (change, read) in changes.items():
        change()
        kept = decision._Front.kept(m)
        assert (kept is not last) == read, name
        assert decision._Front.kept(m) is kept, name
        _estimates_alike(decision.estimate(m, noise), fresh())
        last = decision._Front.kept(m)
    m.run_for(1)  # another day
    _estimates_alike(decision.estimate(m, noise), fresh())


def test_a_kept_reading_of_the_lines_serves_new_windows_after_a_unit_is_formed():
    """Units formed from recruits (in reserve) leave the reading of the lines as it was;
    what stands on windows first asked about afterwards, with a main effort and the
    reserves sent to meet it, is what a fresh reading finds."""
    from dmzsim.model.processes import decision

    m = CeasefireModel(small(sequencing="territory_first"), rng=2, map_path=SMALL_MAP)
    m.run_for(150)
    m.effort.aim(1)
    front = decision._Front.kept(m)
    m.add_unit(RU, m.p.unit_personnel, m.p.initial_readiness, Posture.RESERVE, -1)
    m.add_unit(UA, m.p.unit_personnel, m.p.initial_readiness, Posture.RESERVE, -1)
    assert decision._Front.kept(m) is front
    wide = m.lines.windows_taken(30.0, np.array([0, 1]))
    kept = front.standing(wide)
    m.lines.front_kept = None
    fresh = decision._Front.kept(m).standing(wide)
    for name in ("ru_front", "ua_line", "fort", "left", "gap"):
        assert getattr(kept, name).tobytes() == getattr(fresh, name).tobytes(), name


def test_a_reading_whose_works_alone_changed_keeps_its_lines_and_reads_the_works_again():
    """Works dug behind the line or decaying in the zone, and nothing else changed: the
    reading of the lines is kept (``_Front._with_works``), and what stands on each set
    of windows, on the review's windows and on wider ones, with a main effort, is what a
    fresh reading finds, its works read again."""
    from dmzsim.model.processes import decision

    m = CeasefireModel(small(sequencing="territory_first"), rng=2, map_path=SMALL_MAP)
    m.run_for(150)
    m.effort.aim(1)
    th = m.theatre
    wide = m.lines.windows_taken(30.0, np.array([0, 1]))
    front = decision._Front.kept(m)
    before = {id(w): front.standing(w) for w in (m.lines.windows, wide)}
    for cells in (m.fortification.zone[0][:7], th.dmz_cells[:7]):
        assert cells.size
        th.fort_flat[cells] = np.minimum(th.fort_flat[cells] + 0.25, 1.0)
        kept = decision._Front.kept(m)
        assert kept is not front and kept.along is front.along
        for w in (m.lines.windows, wide):
            on = kept.standing(w)
            assert on.ru_front is before[id(w)].ru_front  # the lines, as they were read
            m.lines.front_kept = None
            fresh = decision._Front.kept(m).standing(w)
            m.lines.front_kept = kept
            for name in ("ru_front", "ua_line", "fort", "left", "gap"):
                assert getattr(on, name).tobytes() == getattr(fresh, name).tobytes(), name
            works = np.concatenate([on.fort, on.left])
            assert (works != np.concatenate([before[id(w)].fort, before[id(w)].left])).any()
            before[id(w)] = on
        front = kept
    # the works change twice more, the wider windows asked about only after both: their
    # lines are still the ones first read
    for _ in range(2):
        th.fort_flat[th.dmz_cells[:7]] *= 0.5
        decision._Front.kept(m).standing(m.lines.windows)
    assert decision._Front.kept(m).standing(wide).ru_front is before[id(wide)].ru_front


def test_what_runs_read_off_a_shared_cut_is_shared_and_is_what_is_read_afresh():
    """Runs on the same cut share what is read off it (``Theatre.of_the_cut``): both
    lines' edges, the windows and frontages, the widened windows, the defended zone,
    the zone's cells and the weights of cells on spans. Each is what a fresh reading
    gives, to the bit, and cannot be written."""
    from dmzsim.common.kept import read_only

    runs = _runs_on_one_cut()
    a, b = runs[-2], runs[-1]
    assert a.theatre.cut is b.theatre.cut
    assert a.lines.windows is b.lines.windows and a.fortification.zone is b.fortification.zone
    assert a.theatre.dmz_cells is b.theatre.dmz_cells
    assert a.lines.windows_taken(30.0, np.array([0])) is b.lines.windows_taken(
        30.0, np.array([0]))
    th, p = b.theatre, b.p
    assert b.lines.ua_depth.tobytes() == np.maximum(th.ua_forward_depth(), 0.0).tobytes()
    ru = np.minimum(th.ru_forward_depth(), 0.0)
    ru = np.where(np.isfinite(ru), ru, -th.cell_km)
    assert b.lines.ru_depth.tobytes() == ru.tobytes()
    fresh = th.sectors.windows(p.attack_frontage_km)
    for name in ("centre", "owner", "weights"):
        assert getattr(b.lines.windows, name).tobytes() == getattr(fresh, name).tobytes()
    for kept, new in zip(b.fortification.zone, th.zone_cells(b.lines.ua_depth,
                                                             p.defence_zone_km), strict=True):
        assert kept.tobytes() == new.tobytes() and not kept.flags.writeable
    assert th.dmz_cells.tobytes() == np.flatnonzero(th.dmz_flat).tobytes()
    for array in (b.lines.windows.weights, b.lines.windows.spans[0], th.dmz_cells,
                  b.lines.frontage, b.lines.sector_spans[1]):
        assert not array.flags.writeable
    assert not read_only(([np.zeros(2)], np.ones(1)))[0][0].flags.writeable
    # the towns, and the terrain read off them for a set of windows
    from dmzsim.model.processes import decision

    assert a.theatre.urban_flat is th.urban_flat and not th.urban_flat.flags.writeable
    assert th.urban_flat.tobytes() == b.grid.urban.data.reshape(-1).tobytes()
    assert decision._terrain(a, a.lines.windows) is decision._terrain(b, b.lines.windows)


def test_what_is_read_off_the_ground_of_a_cut_follows_the_ground_as_it_is_now():
    """A value of the ground as cut (``of_the_cut(..., ground=True)``) is kept with the
    ground each side holds and the zone: ground written since the cut, even without a
    new cut, is read afresh; ground taken since the cut is neither found nor kept."""
    m = CeasefireModel(small(sequencing="territory_first"), rng=2, map_path=SMALL_MAP)
    th = m.theatre
    made = []

    def edges():
        made.append(1)
        return th.ua_forward_depth()

    first = th.of_the_cut("test edges", edges, ground=True)
    assert th.of_the_cut("test edges", edges, ground=True) is first and len(made) == 1
    front = th.sectors.front
    assert front.size >= 4
    th.control_flat[front[: front.size // 2]] = RU  # written in place: no version, no cut
    later = th.of_the_cut("test edges", edges, ground=True)
    assert len(made) == 2 and later.tobytes() == th.ua_forward_depth().tobytes()
    assert later.tobytes() != first.tobytes()
    th.dmz_flat[np.flatnonzero(th.ru_ground())[:10]] = True  # and the zone
    th.of_the_cut("test edges", edges, ground=True)
    assert len(made) == 3
    # ground taken since the cut (``capture`` counts it): made afresh each time, not kept
    kept = len(th.cut.kept)
    th.version += 1
    a, b = (th.of_the_cut("test edges", edges, ground=True) for _ in range(2))
    assert len(made) == 5 and a is not b and len(th.cut.kept) == kept


def test_a_store_of_values_kept_with_a_cut_drops_the_least_recently_used():
    """Values asked for once (a war's lines, read off a sweep's shared cut) push out
    only each other, not those asked for again and again (``common.kept.kept_in``)."""
    from collections import OrderedDict

    from dmzsim.common.kept import kept_in

    store: OrderedDict = OrderedDict()
    made = []

    def make(name):
        return lambda: made.append(name) or name

    for name in ("windows", "zone"):
        kept_in(store, name, make(name), size=3)
    for war_line in ("war 1", "war 2", "war 3"):
        assert kept_in(store, "windows", make("windows"), size=3) == "windows"
        kept_in(store, war_line, make(war_line), size=3)
    assert list(store) == ["war 2", "windows", "war 3"]
    assert made == ["windows", "zone", "war 1", "war 2", "war 3"]
