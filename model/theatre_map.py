"""The theatre map as data (a TOML file) and its rasteriser.

A map file gives the oblast outline, the towns and the line of contact on one date
(format: ``docs/map-format.md``). :func:`load_map` reads and validates it strictly;
:func:`rasterise` turns it into a :class:`Raster`: numpy arrays indexed ``[x, y]``
(x = column eastward, y = row northward), the same ``(x, y)`` as Mesa's
``OrthogonalMooreGrid`` with dimensions ``(width, height) = raster.shape``.

Projection: equirectangular about the theatre's centre latitude ``lat_c``::

    x_km = (lon - lon0) * 111.32 * cos(lat_c)
    y_km = (lat - lat0) * 110.57

where ``(lat0, lon0)`` is the theatre's south-west corner. The theatre is the
outline's bounding box grown by ``margin_km`` on every side.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from matplotlib.path import Path as MplPath
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LON_EQUATOR = 111.32

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

# Direction (angle from the +x axis, radians) of each side, for closing the line.
_SIDE_ANGLE = {"east": 0.0, "north": math.pi / 2, "west": math.pi, "south": -math.pi / 2}


class MapFileError(ValueError):
    """A map file that cannot be read or does not validate; names the file and the key."""


# --- the file format ---------------------------------------------------------------------
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
    ua_side: Side

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        if isinstance(value, dt.date | str):
            return value
        raise ValueError('must be an ISO date such as "2026-02-24"')


class Oblast(_Strict):
    """``[oblast]``: the outline polygon as ``[lat, lon]`` pairs."""

    outline: list[LatLon] = Field(min_length=3)

    @field_validator("outline")
    @classmethod
    def _polygon(cls, pts: list[LatLon]) -> list[LatLon]:
        if len({tuple(p) for p in pts}) < 3:
            raise ValueError("needs at least 3 distinct points")
        return pts

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


class LineOfContact(_Strict):
    """``[line_of_contact]``: the line, ordered from one end to the other."""

    points: list[LatLon] = Field(min_length=2)

    @field_validator("points")
    @classmethod
    def _no_repeats(cls, pts: list[LatLon]) -> list[LatLon]:
        for i in range(1, len(pts)):
            if tuple(pts[i]) == tuple(pts[i - 1]):
                raise ValueError(f"point {i} repeats point {i - 1}")
        return pts


class MapSpec(_Strict):
    """A whole map file, validated."""

    map: MapMeta
    oblast: Oblast
    towns: list[Town] = Field(default_factory=list)
    line_of_contact: LineOfContact

    @model_validator(mode="after")
    def _geometry(self) -> MapSpec:
        names = [t.name for t in self.towns]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ValueError(f"towns[{i}].name = {name!r}: duplicate town name")
        frame = _Frame.of(self)
        for i, t in enumerate(self.towns):
            x, y = frame.project(np.array([t.lat]), np.array([t.lon]))
            if not (0.0 <= x[0] <= frame.width_km and 0.0 <= y[0] <= frame.height_km):
                raise ValueError(
                    f"towns[{i}] ({t.name}) at lat {t.lat}, lon {t.lon}: outside the theatre "
                    f"(lat {frame.lat0:.3f}..{frame.lat1:.3f}, "
                    f"lon {frame.lon0:.3f}..{frame.lon1:.3f})"
                )
        line = _ExtendedLine.of(self, frame)
        crossing = line.self_crossing()
        if crossing is not None:
            n = len(self.line_of_contact.points)
            a, b = (_segment_name(i, n) for i in crossing)
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
        return self


# --- geometry ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Frame:
    """The theatre rectangle and its projection."""

    lat_c: float
    lat0: float
    lon0: float
    lat1: float
    lon1: float
    kx: float
    ky: float
    width_km: float
    height_km: float

    @classmethod
    def of(cls, spec: MapSpec) -> _Frame:
        ring = np.array(spec.oblast.ring(), dtype=float)
        lat_min, lat_max = float(ring[:, 0].min()), float(ring[:, 0].max())
        lon_min, lon_max = float(ring[:, 1].min()), float(ring[:, 1].max())
        lat_c = 0.5 * (lat_min + lat_max)
        kx = KM_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat_c))
        ky = KM_PER_DEG_LAT
        m = spec.map.margin_km
        lat0, lat1 = lat_min - m / ky, lat_max + m / ky
        lon0, lon1 = lon_min - m / kx, lon_max + m / kx
        return cls(lat_c, lat0, lon0, lat1, lon1, kx, ky, (lon1 - lon0) * kx, (lat1 - lat0) * ky)

    def project(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (np.asarray(lon) - self.lon0) * self.kx, (np.asarray(lat) - self.lat0) * self.ky

    def project_pairs(self, pairs: list[tuple[float, float]]) -> np.ndarray:
        a = np.asarray(pairs, dtype=float)
        x, y = self.project(a[:, 0], a[:, 1])
        return np.column_stack([x, y])


@dataclass(frozen=True)
class _ExtendedLine:
    """The line of contact in km, extended straight at both ends far beyond the theatre,
    and the polygon that closes it around the Ukrainian side."""

    pts: np.ndarray  # (n, 2) vertices of the extended line, km
    cum: np.ndarray  # (n,) arc length at each vertex, km
    polygon: MplPath
    along0: float  # arc length taken as along_km = 0

    @classmethod
    def of(
        cls, spec: MapSpec, frame: _Frame, extent: tuple[float, float] | None = None
    ) -> _ExtendedLine:
        """``extent``: (width, height) in km of the rectangle that must get along >= 0
        (default: the theatre)."""
        p = frame.project_pairs([tuple(q) for q in spec.line_of_contact.points])
        centre = np.array([frame.width_km / 2, frame.height_km / 2])
        reach = math.hypot(frame.width_km, frame.height_km) + float(
            np.max(np.hypot(*(p - centre).T))
        )
        ext = 4.0 * reach  # far enough that both extended ends lie outside the theatre

        def unit(v: np.ndarray) -> np.ndarray:
            return v / np.hypot(*v)

        head = p[0] + unit(p[0] - p[1]) * ext
        tail = p[-1] + unit(p[-1] - p[-2]) * ext
        pts = np.vstack([head, p, tail])
        cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])

        # Close the line through the ua_side: out to a circle round the theatre, along
        # the arc that passes the ua_side direction, and back.
        radius = 2.0 * (ext + reach)
        a_tail = math.atan2(*(tail - centre)[::-1])
        a_head = math.atan2(*(head - centre)[::-1])
        target = _SIDE_ANGLE[spec.map.ua_side]
        ccw = (a_head - a_tail) % (2 * math.pi)  # counter-clockwise sweep tail -> head
        if (target - a_tail) % (2 * math.pi) <= ccw:
            angles = a_tail + np.linspace(0.0, ccw, 73)
        else:
            angles = a_tail - np.linspace(0.0, 2 * math.pi - ccw, 73)
        arc = centre + radius * np.column_stack([np.cos(angles), np.sin(angles)])
        polygon = MplPath(np.vstack([pts, arc, pts[:1]]), closed=True)

        # Origin of along_km: the first corner of the covered rectangle reached when
        # walking the first (extended) segment, but no later than the line's first point.
        # Points nearest that segment project linearly, so their minimum is at a corner;
        # every other point's along is >= cum[1]. Hence along_km >= 0 everywhere.
        w, h = extent if extent is not None else (frame.width_km, frame.height_km)
        d = unit(pts[1] - pts[0])
        corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], dtype=float)
        along0 = float(np.clip(np.min((corners - pts[0]) @ d), 0.0, cum[1]))
        return cls(pts, cum, polygon, along0)

    def ua_mask(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self.polygon.contains_points(np.column_stack([x, y]))

    def distance_along(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unsigned distance to the line and the arc length of the nearest point on it."""
        best = np.full(x.shape, np.inf)
        along = np.zeros(x.shape)
        for i in range(len(self.pts) - 1):
            a, b = self.pts[i], self.pts[i + 1]
            d = b - a
            seg2 = float(d @ d)
            t = np.clip(((x - a[0]) * d[0] + (y - a[1]) * d[1]) / seg2, 0.0, 1.0)
            dist2 = (x - a[0] - t * d[0]) ** 2 + (y - a[1] - t * d[1]) ** 2
            closer = dist2 < best
            best = np.where(closer, dist2, best)
            along = np.where(closer, self.cum[i] + t * math.sqrt(seg2), along)
        return np.sqrt(best), along - self.along0

    def self_crossing(self) -> tuple[int, int] | None:
        """First pair of non-adjacent segments that cross (numbered on the extended line,
        0 = the extension before the first point), or None."""
        segs = [(self.pts[i], self.pts[i + 1]) for i in range(len(self.pts) - 1)]
        for i in range(len(segs)):
            for j in range(i + 2, len(segs)):
                if _segments_cross(*segs[i], *segs[j]):
                    return i, j
        return None


def _segment_name(i: int, n_points: int) -> str:
    """Name segment ``i`` of the extended line (0 = the extension before point 0)."""
    if i == 0:
        return "the extension before point 0"
    if i == n_points:
        return f"the extension after point {n_points - 1}"
    return f"the segment from point {i - 1} to point {i}"


def _segments_cross(p1: np.ndarray, p2: np.ndarray, q1: np.ndarray, q2: np.ndarray) -> bool:
    def orient(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
        return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))

    d1, d2 = orient(q1, q2, p1), orient(q1, q2, p2)
    d3, d4 = orient(p1, p2, q1), orient(p1, p2, q2)
    return (d1 * d2 < 0) and (d3 * d4 < 0)


# --- the raster --------------------------------------------------------------------------
@dataclass(frozen=True)
class TownSpec:
    """A town on the raster; ``cell`` is the ``(x, y)`` of the cell holding its centre."""

    name: str
    lat: float
    lon: float
    fortress_belt: bool
    radius_km: float
    cell: tuple[int, int]


@dataclass(frozen=True, eq=False)
class Raster:
    """A map rasterised to square cells. Arrays are ``[x, y]`` and read-only."""

    shape: tuple[int, int]
    cell_km: float
    cell_area_km2: float
    lat: np.ndarray
    lon: np.ndarray
    x_km: np.ndarray
    y_km: np.ndarray
    in_oblast: np.ndarray
    ua_held: np.ndarray
    depth_km: np.ndarray
    along_km: np.ndarray
    town_id: np.ndarray
    urban: np.ndarray
    towns: tuple[TownSpec, ...]
    map_name: str
    map_date: dt.date
    spec: MapSpec

    def km_to_cells(self, km: float) -> int:
        """A distance in km as the nearest whole number of cells."""
        return math.floor(km / self.cell_km + 0.5)

    def area_km2(self, mask: np.ndarray) -> float:
        """Area of the cells where ``mask`` is true."""
        return float(np.count_nonzero(mask)) * self.cell_area_km2


def default_map_path() -> Path:
    """The default map: ``model/maps/donetsk_2026-02.toml``."""
    return Path(__file__).resolve().parent / "maps" / "donetsk_2026-02.toml"


def load_map(path: str | Path) -> MapSpec:
    """Read and validate a map file. Errors name the file, the key and the value."""
    path = Path(path)
    if not path.is_file():
        raise MapFileError(f"map file not found: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise MapFileError(f"map file {path}: not valid TOML: {err}") from err
    try:
        return MapSpec.model_validate(data)
    except ValidationError as err:
        raise MapFileError(_describe(err, data, path)) from None


def rasterise(spec: MapSpec, cell_km: float) -> Raster:
    """Rasterise ``spec`` to square cells of ``cell_km``; the grid covers the theatre."""
    if not (cell_km > 0 and math.isfinite(cell_km)):
        raise ValueError(f"cell_km = {cell_km!r}: must be a positive number")
    frame = _Frame.of(spec)
    nx = max(1, math.ceil(frame.width_km / cell_km - 1e-9))
    ny = max(1, math.ceil(frame.height_km / cell_km - 1e-9))
    xs = (np.arange(nx) + 0.5) * cell_km
    ys = (np.arange(ny) + 0.5) * cell_km
    x, y = np.meshgrid(xs, ys, indexing="ij")
    xf, yf = x.ravel(), y.ravel()
    pts = np.column_stack([xf, yf])

    outline = MplPath(frame.project_pairs(spec.oblast.ring()), closed=False)
    in_oblast = outline.contains_points(pts).reshape(nx, ny)

    line = _ExtendedLine.of(spec, frame, extent=(nx * cell_km, ny * cell_km))
    ua_held = line.ua_mask(xf, yf).reshape(nx, ny)
    dist, along = line.distance_along(xf, yf)
    depth = np.where(ua_held.ravel(), dist, -dist).reshape(nx, ny)
    along = along.reshape(nx, ny)

    town_id = np.full((nx, ny), -1, dtype=np.int32)
    towns: list[TownSpec] = []
    if spec.towns:
        tlat = np.array([t.lat for t in spec.towns])
        tlon = np.array([t.lon for t in spec.towns])
        tx, ty = frame.project(tlat, tlon)
        best = np.full((nx, ny), np.inf)
        for i, t in enumerate(spec.towns):
            d2 = (x - tx[i]) ** 2 + (y - ty[i]) ** 2
            take = (d2 <= t.radius_km**2) & (d2 < best)
            best = np.where(take, d2, best)
            town_id[take] = i
        for i, t in enumerate(spec.towns):
            cell = (min(int(tx[i] // cell_km), nx - 1), min(int(ty[i] // cell_km), ny - 1))
            if town_id[cell] < 0:  # a town smaller than a cell still owns its centre cell
                town_id[cell] = i
            towns.append(TownSpec(t.name, t.lat, t.lon, t.fortress_belt, t.radius_km, cell))

    arrays = {
        "lat": frame.lat0 + y / frame.ky,
        "lon": frame.lon0 + x / frame.kx,
        "x_km": x,
        "y_km": y,
        "in_oblast": in_oblast,
        "ua_held": ua_held,
        "depth_km": depth,
        "along_km": along,
        "town_id": town_id,
        "urban": town_id >= 0,
    }
    for a in arrays.values():
        a.flags.writeable = False
    return Raster(
        shape=(nx, ny),
        cell_km=float(cell_km),
        cell_area_km2=float(cell_km) ** 2,
        towns=tuple(towns),
        map_name=spec.map.name,
        map_date=spec.map.date,
        spec=spec,
        **arrays,
    )


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


def _describe(err: ValidationError, data: dict[str, Any], path: Path) -> str:
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
