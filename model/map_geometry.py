"""Geometry of a map in km: the theatre's frame and projection, and the extended line.

Projection: equirectangular about the theatre's centre latitude ``lat_c``::

    x_km = (lon - lon0) * 111.32 * cos(lat_c)
    y_km = (lat - lat0) * 110.57

where ``(lat0, lon0)`` is the theatre's south-west corner. The theatre is the
outline's bounding box grown by ``margin_km`` on every side but Ukraine's (``ua_side``),
which is grown by ``rear_margin_km``: the ground behind a line Ukraine would hold after
leaving the oblast, and the depth an offensive from there could reach.

Both the map file's validation (:mod:`model.map_schema`) and the rasteriser
(:mod:`model.theatre_map`) need this, so it lives apart from both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.path import Path as MplPath

if TYPE_CHECKING:
    from dmzsim.model.map_schema import MapSpec

KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LON_EQUATOR = 111.32

# Direction (angle from the +x axis, radians) of each side, for closing the line.
_SIDE_ANGLE = {"east": 0.0, "north": math.pi / 2, "west": math.pi, "south": -math.pi / 2}


@dataclass(frozen=True)
class TheatreFrame:
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
    def of(cls, spec: MapSpec) -> TheatreFrame:
        """The frame of a map: its outline's bounding box grown by the margin, and by the
        rear margin on Ukraine's side (the depth behind a line held after a withdrawal)."""
        ring = np.array(spec.oblast.ring(), dtype=float)
        lat_min, lat_max = float(ring[:, 0].min()), float(ring[:, 0].max())
        lon_min, lon_max = float(ring[:, 1].min()), float(ring[:, 1].max())
        lat_c = 0.5 * (lat_min + lat_max)
        kx = KM_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat_c))
        ky = KM_PER_DEG_LAT
        m = spec.map.margin_km
        rear = spec.map.rear_margin_km if spec.map.rear_margin_km is not None else m
        side = spec.map.ua_side
        south, north = (rear if side == "south" else m), (rear if side == "north" else m)
        west, east = (rear if side == "west" else m), (rear if side == "east" else m)
        lat0, lat1 = lat_min - south / ky, lat_max + north / ky
        lon0, lon1 = lon_min - west / kx, lon_max + east / kx
        return cls(lat_c, lat0, lon0, lat1, lon1, kx, ky, (lon1 - lon0) * kx, (lat1 - lat0) * ky)

    def project(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(x_km, y_km)`` of points given as latitudes and longitudes."""
        return (np.asarray(lon) - self.lon0) * self.kx, (np.asarray(lat) - self.lat0) * self.ky

    def project_pairs(self, pairs: list[tuple[float, float]]) -> np.ndarray:
        """``[lat, lon]`` pairs as an ``(n, 2)`` array of ``(x_km, y_km)``."""
        a = np.asarray(pairs, dtype=float)
        x, y = self.project(a[:, 0], a[:, 1])
        return np.column_stack([x, y])


@dataclass(frozen=True)
class ExtendedLine:
    """The line of contact in km, extended straight at both ends far beyond the theatre,
    and the polygon that closes it around the Ukrainian side."""

    pts: np.ndarray  # (n, 2) vertices of the extended line, km
    cum: np.ndarray  # (n,) arc length at each vertex, km
    polygon: MplPath
    along0: float  # arc length taken as along_km = 0

    @classmethod
    def of(
        cls, spec: MapSpec, frame: TheatreFrame, extent: tuple[float, float] | None = None
    ) -> ExtendedLine:
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
        """True at the points on the Ukrainian side of the line."""
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


def ring_crossing(ring: np.ndarray) -> tuple[int, int] | None:
    """First pair of non-adjacent edges of a closed ring of points that cross, or None."""
    n = len(ring)
    edges = [(ring[i], ring[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue  # adjacent through the closing edge
            if _segments_cross(*edges[i], *edges[j]):
                return i, j
    return None


def segment_name(i: int, n_points: int) -> str:
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
