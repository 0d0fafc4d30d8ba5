"""How long the visual run takes to draw a frame (the map and the plots), per frame.

    python -m benchmarks.viz_frames            # default map, 20 frames after warm-up
    python -m benchmarks.viz_frames --small    # the small test map

A frame is drawn every animation tick, so this is the number that says whether playing
feels smooth. Measured, not asserted: on a shared machine a timing says little about
the code, so no test checks it.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from dmzsim.model.model import CeasefireModel
from dmzsim.runs.viz.map import MapRenderer
from dmzsim.runs.viz.plots import PlotsRenderer

SMALL_MAP = Path(__file__).resolve().parent.parent / "model" / "maps" / "synthetic_small.toml"


def frame_ms(small: bool, frames: int, seed: int = 3) -> dict[str, float]:
    """Fastest and mean wall time per frame (ms), each frame after one model step."""
    m = CeasefireModel(rng=seed, map_path=SMALL_MAP if small else None)
    maps, plots = MapRenderer(m), PlotsRenderer(m)
    maps.frame(m), plots.frame(m)  # the first frame builds the figures
    times = []
    for _ in range(frames):
        m.step()
        start = time.perf_counter()
        maps.frame(m)
        plots.frame(m)
        times.append((time.perf_counter() - start) * 1000)
    return {"fastest_ms": min(times), "mean_ms": sum(times) / len(times),
            "load": os.getloadavg()[0]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="the small test map")
    ap.add_argument("--frames", type=int, default=20)
    args = ap.parse_args(argv)
    r = frame_ms(args.small, args.frames)
    print(f"per frame: fastest {r['fastest_ms']:.0f} ms, mean {r['mean_ms']:.0f} ms "
          f"(load {r['load']:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
