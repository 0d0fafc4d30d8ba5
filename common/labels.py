"""Town labels placed so that none overlaps another or covers a town's marker.

Used by every picture of the map: the visual run (``runs/viz/map.py``) and
``dmzsim map --figure`` (``model/map_picture.py``). Greedy and in the order given, so
the towns that matter most (the fortress belt) keep their spot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.transforms import Bbox

#: Where a label may sit relative to its town, in points, with its alignment; tried in
#: this order (right of the town first, as maps usually label).
LABEL_SPOTS: tuple[tuple[float, float, str, str], ...] = (
    (4, 2, "left", "bottom"), (4, -2, "left", "top"), (-4, 2, "right", "bottom"),
    (-4, -2, "right", "top"), (0, 5, "center", "bottom"), (0, -5, "center", "top"),
    (6, 0, "left", "center"), (-6, 0, "right", "center"), (10, 8, "left", "bottom"),
    (-10, 8, "right", "bottom"), (10, -8, "left", "top"), (-10, -8, "right", "top"),
    (0, 12, "center", "bottom"), (0, -12, "center", "top"), (16, 14, "left", "bottom"),
    (-16, 14, "right", "bottom"), (16, -14, "left", "top"), (-16, -14, "right", "top"),
    (0, 20, "center", "bottom"), (0, -20, "center", "top"), (22, 0, "left", "center"),
    (-22, 0, "right", "center"), (24, 20, "left", "bottom"), (-24, 20, "right", "bottom"),
    (24, -20, "left", "top"), (-24, -20, "right", "top"),
)
LABEL_PAD_PX = 1.0  # labels keep this far apart


Spot = tuple[float, float, str, str]
#: Font sizes (points) a label may shrink to when no spot is free at the first.
LABEL_SIZES: tuple[float, ...] = (8.0, 7.0, 6.5)


def place_labels(points: np.ndarray, sizes: Sequence[float],
                 measure: Callable[[int, float, Spot], Bbox], area: Bbox,
                 font_sizes: Sequence[float] = LABEL_SIZES,
                 ) -> tuple[list[tuple[float, Spot] | None], list[Bbox]]:
    """Choose a font size of ``font_sizes`` (largest first) and a spot of :data:`LABEL_SPOTS` for
    each label so that no two labels overlap and none covers another town's marker;
    greedy, in the given order (the most important first), trying spots near the town
    at every size before those further away (:func:`_tries`).

    ``points`` are the towns in display pixels, ``sizes`` their markers' half-widths,
    ``measure(i, font size, spot)`` the label's box there. A label with no free spot
    takes the one it overlaps least, unless that would overlap a label already placed or
    leave the area: then it is left out (None; its town is still drawn). Returns each
    label's choice and the boxes of those placed.
    """
    markers = [Bbox.from_extents(x - s, y - s, x + s, y + s)
               for (x, y), s in zip(points, sizes, strict=True)]
    placed: list[Bbox] = []
    choice: list[tuple[float, Spot] | None] = []
    for i in range(len(points)):
        others = [b for j, b in enumerate(markers) if j != i]
        best, best_cost, best_box = None, np.inf, None
        for size, spot in _tries(font_sizes):
            box = measure(i, size, spot).padded(LABEL_PAD_PX)
            if _outside(box, area) > 0 or any(_overlap(box, o) for o in placed):
                continue
            cost = sum(_overlap(box, o) for o in others)
            if cost < best_cost:
                best, best_cost, best_box = (size, spot), cost, box
            if cost == 0:
                break
        choice.append(best)
        if best_box is not None:
            placed.append(best_box)
    return choice, placed


def _tries(font_sizes: Sequence[float]) -> list[tuple[float, Spot]]:
    """(size, spot) in the order tried: the spots next to the town at every size, then
    those a little further, then the far ones (with a leader line), so a label shrinks
    before it moves away from its town."""
    def reach(spot: Spot) -> float:
        return float(np.hypot(spot[0], spot[1]))

    tiers = ((0, 8), (8, 15), (15, np.inf))
    return [(size, spot) for lo, hi in tiers for size in font_sizes
            for spot in LABEL_SPOTS if lo <= reach(spot) < hi]


def _overlap(a: Bbox, b: Bbox) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _outside(box: Bbox, area: Bbox) -> float:
    return box.width * box.height - _overlap(box, area)
