"""The map file's format (``docs/map-format.md``) as strict pydantic classes, and its errors.

:class:`MapSpec` is a whole map file, validated: types without silent coercion, no unknown
keys, and whole-map checks of the geometry (towns inside the theatre, a line of contact
that does not cross itself and splits the theatre in two). :func:`describe_errors` turns
pydantic's errors into lines that name the file, the key and the value.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from dmzsim.model.map_geometry import ExtendedLine, TheatreFrame, ring_crossing, segment_name
from matplotlib.path import Path as MplPath
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

Lat = Annotated[float, Field(ge=-90.0, le=90.0)]
Lon = Annotated[float, Field(ge=-180.0, le=180.0)]


def _check_lat_lon(pair: list[float]) -> list[float]:
    lat, lon = pair
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} must be within -90..90 (pairs are [lat, lon])")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} must be within -180..180 (pairs are [lat, lon])")
    return pair


LatLon = Annotated[list[float], Field(min_length=2, max_length=2), AfterValidator(_check_lat_lon)]
Side = Literal["west", "east", "north", "south"]


def _check_polygon(pts: list[list[float]]) -> list[list[float]]:
    """A polygon must enclose ground: at least 3 distinct points, not crossing itself."""
    if len({tuple(p) for p in pts}) < 3:
        raise ValueError("needs at least 3 distinct points")
    ring = np.array(pts[:-1] if pts[0] == pts[-1] and len(pts) > 3 else pts, dtype=float)
    lat, lon = ring[:, 0], ring[:, 1]
    crossing = ring_crossing(ring)
    if crossing is not None:
        i, j = crossing
        raise ValueError(f"crosses itself (the edge from point {i} crosses the edge "
                         f"from point {j})")
    area = 0.5 * abs(float(np.dot(lon, np.roll(lat, -1)) - np.dot(lat, np.roll(lon, -1))))
    if area < 1e-6:
        raise ValueError("encloses no area (its points lie on one line)")
    return pts


#: An outline as ``[lat, lon]`` pairs (a closing point repeating the first is optional).
Polygon = Annotated[list[LatLon], Field(min_length=3), AfterValidator(_check_polygon)]


class MapFileError(ValueError):
    """A map file that cannot be read or does not validate; names the file and the key."""


class _Strict(BaseModel):
    # strict: no silent coercion ("10" is not a number, 1 is not true)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class MapMeta(_Strict):
    """``[map]``: what the map is, where it comes from, and the theatre's extent."""

    name: str = Field(min_length=1)
    date: Annotated[dt.date, Field(strict=False)]
    description: str = ""
    sources: list[str] = Field(min_length=1)
    margin_km: float = Field(ge=0.0, le=500.0)
    rear_margin_km: float | None = Field(default=None, ge=0.0, le=1000.0)
    ua_side: Side

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        if isinstance(value, dt.date | str):
            return value
        raise ValueError('must be an ISO date such as "2026-02-24"')


class Oblast(_Strict):
    """``[oblast]``: the outline polygon as ``[lat, lon]`` pairs."""

    outline: Polygon

    def ring(self) -> list[tuple[float, float]]:
        """The outline without a repeated closing point."""
        pts = [tuple(p) for p in self.outline]
        return pts[:-1] if len(pts) > 3 and pts[0] == pts[-1] else pts


class Town(_Strict):
    """``[[towns]]``: a town; cells within ``radius_km`` of its centre are urban."""

    name: str = Field(min_length=1)
    lat: Lat
    lon: Lon
    fortress_belt: bool = False
    radius_km: float = Field(gt=0.0, le=50.0)
    #: Who holds the town on the map's date, as the map's sources say. Optional; when
    #: given, it checks ``ua_side``: a line that puts most such towns on the wrong side
    #: has its sides the wrong way round (:func:`side_warnings`).
    held_by: Literal["ukraine", "russia"] | None = None


class LineOfContact(_Strict):
    """``[line_of_contact]``: the line, ordered from one end to the other, and which of
    it is fought over (``front``): ``"in_oblast"``, the stretch whose projection falls
    inside the oblast's outline; ``"whole"``, all of it inside the theatre (so its length
    follows the theatre's margin); ``"between"``, the stretch between the projections of
    the two points ``front_ends`` declares, so that neither where the outline runs nor how
    wide the margin is decides which line is front."""

    points: list[LatLon] = Field(min_length=2)
    front: Literal["in_oblast", "whole", "between"] = "in_oblast"
    front_ends: list[LatLon] | None = Field(default=None, min_length=2, max_length=2)

    @model_validator(mode="after")
    def _ends_with_between(self) -> LineOfContact:
        if (self.front == "between") != (self.front_ends is not None):
            raise ValueError('front_ends (two [lat, lon] points) goes with front = "between", '
                             f"and only with it (front = {self.front!r})")
        return self

    @field_validator("points")
    @classmethod
    def _no_repeats(cls, pts: list[LatLon]) -> list[LatLon]:
        for i in range(1, len(pts)):
            if tuple(pts[i]) == tuple(pts[i - 1]):
                raise ValueError(f"point {i} repeats point {i - 1}")
        return pts


class Zone(_Strict):
    """``[zones.<name>]``: ground an agreement can make a zone of, by name.

    ``held_in_oblast``: all the ground Ukraine holds in the oblast on the day the zone is
    declared (the 28-point plan's shape); ``polygon``: the ground Ukraine holds inside
    ``outline`` (``[lat, lon]`` pairs).
    """

    kind: Literal["held_in_oblast", "polygon"]
    outline: Polygon | None = None
    description: str = ""
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _outline_for_polygon(self) -> Zone:
        if self.kind == "polygon" and (self.outline is None or len(self.outline) < 3):
            raise ValueError("a polygon zone needs an outline of at least 3 [lat, lon] pairs")
        if self.kind != "polygon" and self.outline is not None:
            raise ValueError(f"an outline is only read for kind = 'polygon', not {self.kind!r}")
        return self


class Water(_Strict):
    """``[water.<name>]``: a reservoir, a wide river or the sea, as a polygon.

    ``impassable``: no side stands on it or takes it, and an advance goes round it;
    ``obstacle``: it can be crossed, but each km across costs ``crossing_factor`` km of
    advance (the depth of a crossing is measured in that cost). Its cells are counted in
    no side's ground.
    """

    kind: Literal["impassable", "obstacle"]
    outline: Polygon
    crossing_factor: float | None = Field(default=None, gt=1.0, le=100.0)
    description: str = ""
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _factor_for_obstacle(self) -> Water:
        if self.kind == "obstacle" and self.crossing_factor is None:
            raise ValueError("an obstacle needs crossing_factor (km of advance per km "
                             "across it, > 1)")
        if self.kind == "impassable" and self.crossing_factor is not None:
            raise ValueError("crossing_factor is only read for kind = 'obstacle'")
        return self


#: Parameters a map's ``[forces]`` block may set: the size and supply of the forces in
#: its theatre, which belong to the theatre rather than to the model.
FORCE_KEYS = (
    "ru_initial_personnel", "ua_initial_personnel", "ru_reserve_fraction",
    "ua_reserve_fraction", "ru_theatre_share", "ua_theatre_share",
    "ru_theatre_cap_personnel", "ua_theatre_cap_personnel",
)


class ForceValue(_Strict):
    """``[forces.<parameter>]``: a theatre's own value of a force parameter, sourced."""

    value: float
    source: str = Field(min_length=1)


#: The region every map has: its own ``[oblast]`` outline. A scenario names it without
#: declaring it, and no ``[regions.<name>]`` may take its name.
OBLAST_REGION = "oblast"
#: The aims scenario every map has, without declaring it: its oblast at full value,
#: ground elsewhere at the parameter ``beyond_aims_value``. No ``[aims.<name>]`` may take
#: its name, so the default (``aims_scenario``) means the same on every map.
IMPLICIT_AIMS = "oblast"
#: How sure the sources make a scenario, in the marks of the domain facts.
Confidence = Literal["H", "M-H", "M", "L-M", "L"]
#: The value of a km² of a region, as a fraction of a km² of the oblast's.
AimValue = Annotated[float, Field(ge=0.0, le=1.0)]


class Region(_Strict):
    """``[regions.<name>]``: ground an aims scenario can value, as a polygon (it may
    reach beyond the theatre; only the part inside counts)."""

    outline: Polygon
    description: str = ""
    source: str = Field(min_length=1)


class AimsScenario(_Strict):
    """``[aims.<name>]``: one reading of Russia's aims, as values of named regions.

    ``values`` gives each region it names (``oblast`` or a ``[regions.<name>]``) its
    value, a fraction of a km² of the oblast; where regions overlap the highest value
    wins. Ground no region covers is worth ``elsewhere`` (if absent, the parameter
    ``beyond_aims_value``).
    """

    description: str = ""
    source: str = Field(min_length=1)
    confidence: Confidence
    values: dict[str, AimValue] = Field(min_length=1)
    elsewhere: AimValue | None = None


class MapSpec(_Strict):
    """A whole map file, validated."""

    map: MapMeta
    oblast: Oblast
    towns: list[Town] = Field(default_factory=list)
    line_of_contact: LineOfContact
    zones: dict[str, Zone] = Field(default_factory=dict)
    forces: dict[str, ForceValue] = Field(default_factory=dict)
    water: dict[str, Water] = Field(default_factory=dict)
    regions: dict[str, Region] = Field(default_factory=dict)
    aims: dict[str, AimsScenario] = Field(default_factory=dict)

    @field_validator("regions")
    @classmethod
    def _region_names(cls, regions: dict[str, Region]) -> dict[str, Region]:
        if OBLAST_REGION in regions:
            raise ValueError(f"regions.{OBLAST_REGION}: the name of the map's own [oblast] "
                             "outline; give the region another name")
        return regions

    @field_validator("aims")
    @classmethod
    def _aims_name_regions(cls, aims: dict[str, AimsScenario],
                           info: ValidationInfo) -> dict[str, AimsScenario]:
        if IMPLICIT_AIMS in aims:
            raise ValueError(f"aims.{IMPLICIT_AIMS}: the scenario every map has (its oblast "
                             "at full value, elsewhere beyond_aims_value); give the scenario "
                             "another name")
        if "regions" not in info.data:  # the regions failed: their errors say why
            return aims
        known = [OBLAST_REGION, *sorted(info.data["regions"])]
        for name, scenario in aims.items():
            for region in scenario.values:
                if region not in known:
                    raise ValueError(f"aims.{name}.values.{region}: no such region (the "
                                     f"map's regions: {', '.join(known)}); declare "
                                     f"[regions.{region}] or name one of these")
        return aims

    @field_validator("forces")
    @classmethod
    def _known_force_keys(cls, forces: dict[str, ForceValue]) -> dict[str, ForceValue]:
        for key in forces:
            if key not in FORCE_KEYS:
                raise ValueError(f"forces.{key}: not a force parameter a map may set "
                                 f"(allowed: {', '.join(FORCE_KEYS)})")
        return forces

    @model_validator(mode="after")
    def _geometry(self) -> MapSpec:
        names = [t.name for t in self.towns]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ValueError(f"towns[{i}].name = {name!r}: duplicate town name")
        frame = TheatreFrame.of(self)
        for i, t in enumerate(self.towns):
            x, y = frame.project(np.array([t.lat]), np.array([t.lon]))
            if not (0.0 <= x[0] <= frame.width_km and 0.0 <= y[0] <= frame.height_km):
                raise ValueError(
                    f"towns[{i}] ({t.name}) at lat {t.lat}, lon {t.lon}: outside the theatre "
                    f"(lat {frame.lat0:.3f}..{frame.lat1:.3f}, "
                    f"lon {frame.lon0:.3f}..{frame.lon1:.3f})"
                )
        line = ExtendedLine.of(self, frame)
        crossing = line.self_crossing()
        if crossing is not None:
            n = len(self.line_of_contact.points)
            a, b = (segment_name(i, n) for i in crossing)
            raise ValueError(
                f"line_of_contact.points: the line, extended straight at both "
                f"ends, crosses itself ({a} crosses {b})"
            )
        # Both sides must be non-empty: test a fine sample of the theatre.
        sx = np.linspace(0.0, frame.width_km, 101)
        sy = np.linspace(0.0, frame.height_km, 101)
        gx, gy = np.meshgrid(sx, sy, indexing="ij")
        ua = line.ua_mask(gx.ravel(), gy.ravel())
        if ua.all() or not ua.any():
            held = "Ukrainian" if ua.all() else "Russian"
            raise ValueError(
                "line_of_contact.points: the line (extended straight at both ends) does not "
                f"split the theatre: all of it falls on the {held} side "
                f"(ua_side = {self.map.ua_side!r})"
            )
        _check_line_runs_through_the_oblast(self, frame, line)
        _check_ua_side_is_across_the_line(self, frame)
        return self


def _check_line_runs_through_the_oblast(spec: MapSpec, frame: TheatreFrame,
                                        line: ExtendedLine) -> None:
    """The modelled front is the stretch of line inside the oblast: there must be one."""
    outline = MplPath(frame.project_pairs(spec.oblast.ring()), closed=False)
    pts = line.pts
    t = np.linspace(0.0, 1.0, 200)[:, None]
    samples = np.vstack([a + t * (b - a) for a, b in itertools.pairwise(pts)])
    inside_theatre = ((samples[:, 0] >= 0) & (samples[:, 0] <= frame.width_km)
                      & (samples[:, 1] >= 0) & (samples[:, 1] <= frame.height_km))
    if not outline.contains_points(samples[inside_theatre]).any():
        raise ValueError("line_of_contact.points: the line (extended straight at both ends) "
                         "never runs through the oblast's outline, so there is no front to "
                         "model")


def _check_ua_side_is_across_the_line(spec: MapSpec, frame: TheatreFrame) -> None:
    """``ua_side`` must point across the line, not along it: along it, the side is a
    guess."""
    p = frame.project_pairs([tuple(q) for q in spec.line_of_contact.points])
    d = p[-1] - p[0]
    norm = float(np.hypot(*d))
    if norm == 0:
        return
    side = {"east": (1.0, 0.0), "west": (-1.0, 0.0), "north": (0.0, 1.0),
            "south": (0.0, -1.0)}[spec.map.ua_side]
    if abs(float(np.dot(d / norm, side))) > 0.9:
        across = "east or west" if spec.map.ua_side in ("north", "south") else "north or south"
        raise ValueError(f"map.ua_side = {spec.map.ua_side!r} runs along the line of contact "
                         f"(from its first point to its last), so which side is Ukraine's "
                         f"is a guess; use {across}")


# --- warnings: a map that loads but is probably not what its author meant ---------------
#: The least depth of theatre behind Ukraine's line after it leaves the oblast (km), the
#: rear margin's documented minimum. Assumption: the model stands reserves 30 km behind
#: the line (model/processes/movement.py), and an offensive that breaks through needs as much
#: again before it reaches the theatre's edge, or the edge, not the defence, stops it.
MIN_REAR_MARGIN_KM = 60.0


def map_warnings(spec: MapSpec) -> list[str]:
    """What is suspicious about a valid map: its sides the wrong way round (most towns
    the file says one side holds fall on the other), a rear margin below the minimum."""
    out = []
    frame = TheatreFrame.of(spec)
    line = ExtendedLine.of(spec, frame)
    stated = [t for t in spec.towns if t.held_by is not None]
    if stated:
        x, y = frame.project(np.array([t.lat for t in stated]), np.array([t.lon for t in stated]))
        ua = line.ua_mask(x, y)
        wrong = [t.name for t, u in zip(stated, ua, strict=True)
                 if (t.held_by == "ukraine") != bool(u)]
        if 2 * len(wrong) > len(stated):
            out.append(f"map.ua_side = {spec.map.ua_side!r} puts {len(wrong)} of the "
                       f"{len(stated)} towns whose held_by is given on the other side of the "
                       f"line ({', '.join(wrong)}): is ua_side the wrong way round?")
    rear = spec.map.rear_margin_km if spec.map.rear_margin_km is not None else spec.map.margin_km
    if rear < MIN_REAR_MARGIN_KM:
        out.append(f"map.rear_margin_km = {rear:g}: less than the documented minimum of "
                   f"{MIN_REAR_MARGIN_KM:g} km behind the oblast on Ukraine's side, so after a "
                   "withdrawal the theatre's edge may stop an offensive before the defence "
                   "does (docs/map-format.md, 'Margins')")
    return out


# --- error messages ----------------------------------------------------------------------
def _key(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _lookup(data: Any, loc: tuple[Any, ...]) -> tuple[bool, Any]:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return False, None
    return True, data


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: Any = MapSpec
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        model = args[0] if args and isinstance(args[0], type) else ann
    return list(getattr(model, "model_fields", {}))


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return "{...} (a table)"
    text = repr(value)
    return text if len(text) <= 80 else text[:76] + " ..."


_BOUND_WORDS = {
    "less_than_equal": ("<=", "le"),
    "greater_than_equal": (">=", "ge"),
    "less_than": ("<", "lt"),
    "greater_than": (">", "gt"),
}


def describe_errors(err: ValidationError, data: dict[str, Any], path: Path) -> str:
    """One line per error, naming the file, the key, the value found and what was wanted:
    pydantic's own messages name neither the file nor the value."""
    lines = []
    for e in err.errors():
        loc = tuple(e["loc"])
        key = _key(loc) or "<file>"
        kind = e["type"]
        ctx = e.get("ctx") or {}
        found, value = _lookup(data, loc)
        shown = f"{key} = {_short(value)}" if found else key
        if kind == "missing":
            what = "missing (required)"
            shown = key
        elif kind == "extra_forbidden":
            allowed = _allowed_keys(loc)
            what = "unknown key" + (f" (allowed: {', '.join(allowed)})" if allowed else "")
        elif kind in _BOUND_WORDS:
            op, name = _BOUND_WORDS[kind]
            bound = ctx.get(name)
            what = (
                f"must be {op} {bound:g}" if isinstance(bound, float) else f"must be {op} {bound}"
            )
        elif kind == "too_short":
            what = f"needs at least {ctx.get('min_length')} item(s), has {ctx.get('actual_length')}"
        elif kind == "too_long":
            what = f"needs at most {ctx.get('max_length')} item(s), has {ctx.get('actual_length')}"
        elif kind == "value_error":
            what = str(ctx.get("error", e["msg"]))
            if not loc:  # a whole-map check: the message names its own keys
                lines.append(f"map file {path}: {what}")
                continue
        else:
            what = e["msg"]
        lines.append(f"map file {path}: {shown}: {what}")
    return "\n".join(lines)
