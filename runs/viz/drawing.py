"""Drawing shared by the visual run's renderers: colours, and a figure that redraws only
what changed.

Drawing uses matplotlib's object API (``Figure`` + Agg canvas, never pyplot, so several
browser sessions can render at once). A renderer builds its figure once per model and
then only updates its artists, so a frame costs one Agg draw and one fast PNG encode.
"""

from __future__ import annotations

import struct
import threading
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
from dmzsim.model.forces import RU, UA, Posture
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

RU_HELD, UA_HELD = np.array([0.93, 0.66, 0.62]), np.array([0.66, 0.79, 0.93])
WORKS, DMZ_GOLD = np.array([0.08, 0.20, 0.40]), np.array([0.99, 0.80, 0.18])
SIDE_COLOUR = {RU: "#b2182b", UA: "#2166ac"}
# Posture -> (name, marker, RU shade, UA shade): colour says side and what a unit is doing.
POSTURE_STYLE: dict[Posture, tuple[str, str, str, str]] = {
    Posture.DEFEND: ("on the line", "o", "#b2182b", "#2166ac"),
    Posture.RESERVE: ("reserve", "o", "#f4a582", "#92c5de"),
    Posture.WITHDRAW: ("withdrawing", "v", "#d6604d", "#4393c3"),
    Posture.CONCENTRATE: ("massing", "s", "#e66101", "#35978f"),
    Posture.ATTACK: ("attacking", "^", "#67001f", "#053061"),
}
RATIO_TICKS = (0.1, 0.3, 1, 10, 30, 100, 300, 1000)  # with the threshold (3) between
# Every phase of the agreement is shaded (``model/agreement.py``); both kinds of war
# share a colour, so the key has one entry for them.
PHASE_SHADE = {"ceasefire": "#e5f5e0", "withdrawal": "#d9d9d9", "dmz": "#fff2b3",
               "resumed": "#fbd0cc", "war": "#fbd0cc"}
PHASE_LABEL = {"ceasefire": "ceasefire on the line", "withdrawal": "withdrawal",
               "dmz": "DMZ in force", "resumed": "war (resumed or no deal)"}
THRESHOLD = "#000000"  # the breakthrough ratio's reference line and tick
FALLEN = "#b2182b"
CEDED = "#8c6d00"  # towns the deal handed over: dark gold, the zone's colour
ZONE_BROKEN = np.array([0.62, 0.58, 0.50])  # the zone once the war has resumed over it
FRONT, ZONE_EDGE = "#111111", "#7a5c00"
Painter = Callable[[np.ndarray], None]


class Blitter:
    """Draw a figure's static parts once; per frame, paint only the changing artists.

    ``dynamic`` artists are marked animated, so a full draw leaves them out; a frame
    restores the cached background, draws them in z-order and encodes the canvas as PNG
    (:func:`png_rgb`).
    """

    def __init__(self, fig: Figure) -> None:
        self.fig = fig
        self.lock = threading.Lock()  # a page may render from its play thread and its UI
        FigureCanvasAgg(fig)
        self.dynamic: list[Artist] = []
        self.background: Any = None

    def add(self, artist: Artist) -> Artist:
        artist.set_animated(True)
        self.dynamic.append(artist)
        return artist

    def invalidate(self) -> None:
        self.background = None

    def png(self, under: Painter | None = None, over: Painter | None = None) -> bytes:
        """Encode a frame; ``under``/``over`` paint on the RGBA buffer before/after the
        dynamic artists are drawn."""
        canvas = self.fig.canvas
        if self.background is None:
            canvas.draw()
            self.background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self.background)
        if under is not None:
            under(np.asarray(canvas.buffer_rgba()))
        for artist in sorted(self.dynamic, key=lambda a: a.get_zorder()):
            if artist.get_visible():
                self.fig.draw_artist(artist)
        if over is not None:
            over(np.asarray(canvas.buffer_rgba()))
        return png_rgb(np.asarray(canvas.buffer_rgba())[..., :3])


def png_rgb(rgb: np.ndarray) -> bytes:
    """An (h, w, 3) uint8 image as PNG bytes: RGB, every row unfiltered, zlib level 1.

    About twice as fast as Pillow's encoder at level 1 (which tries a filter per row)
    for files of about the same size: the figures are flat colours and thin lines, which
    compress well without filtering. The page's images are opaque, so no alpha.
    """
    h, w, _ = rgb.shape
    rows = np.empty((h, 3 * w + 1), np.uint8)
    rows[:, 0] = 0  # filter type: none
    rows[:, 1:] = rgb.reshape(h, 3 * w)
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB, not interlaced
    return b"".join((b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", header),
                     _chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)), _chunk(b"IEND", b"")))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))
