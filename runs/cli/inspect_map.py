"""``dmzsim map FILE``: what a map gives the model, checked as a run would check it.

Prints the ground each side holds in and out of the oblast, who holds each town (and
where that differs from the file's ``held_by``), the sectors, and what each zone leaves
to each side; ``--figure`` draws it. A map that does not load is an error (exit 2) naming
the file and the key, as in ``sim`` and ``run``; a suspicious one gets warnings.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from dmzsim.common.files import check_writable
from dmzsim.model.map_inspection import inspect_map, picture, render_text
from dmzsim.model.params import parse_overrides


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("map", type=Path, nargs="?", metavar="FILE",
                   help="map file (default: the model's Donetsk map)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="KEY=VALUE",
                   help="a model parameter, e.g. cell_km=1.5, sector_km=30, dmz_width_km=40")
    p.add_argument("--figure", type=Path, metavar="FILE.png",
                   help="also draw the map, as drawn and after each zone, to this file")
    p.add_argument("--json", action="store_true", help="print the inspection as JSON")


def run(args: argparse.Namespace) -> int:
    params = parse_overrides(args.overrides)
    if args.figure is not None:  # not a FIFO, a device, a link or a read-only folder
        check_writable(args.figure, "--figure")
    found = inspect_map(args.map, **params)
    if args.json:
        print(json.dumps(asdict(found), default=str, indent=1))
    else:
        print(render_text(found))
    if args.figure is not None:
        print(f"figure: {picture(found, args.figure, **params)}")
    return 0
