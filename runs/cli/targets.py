"""``dmzsim targets``: validation targets computed from the shipped conflict data.

Reads the UCDP/PRIO Armed Conflict Dataset shipped in ``analysis/data/`` (needs the
``data`` extra, ``pyreadr``) and prints, for each reference class, the Kaplan–Meier
P(the same conflict recurred) by 1, 2, 3, 5, 10 and 20 years after an episode ended
(:mod:`analysis.conflict_data`). ``--write FILE`` writes the targets of one class as
``[targets]`` tables with the class and its caveats beside them (the project's copy:
``runs/targets/conflict_recurrence.toml``); ``--check FILE`` exits 1 when FILE is not what
``--write`` would write. ``--against FOLDER`` draws the model's ceasefire survival in a
results or reference folder against the data's (``--figure``; default
``FOLDER/figures/survival_against_data.png`` for a results folder, and
``results/<name>_survival_against_data.png`` for a published reference, which is never
written into).

    dmzsim targets
    dmzsim targets --write runs/targets/conflict_recurrence.toml
    dmzsim targets --against runs/reference/validation --arm frozen_line
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dmzsim.analysis import conflict_data
from dmzsim.analysis.conflict_data import CLASSES, DataError
from dmzsim.analysis.provenance import Stamp
from dmzsim.analysis.results_layout import ReferenceLayout, ResultsLayout
from dmzsim.analysis.tables import survival_curves
from dmzsim.common.files import replacing
from dmzsim.common.tomlfile import read_toml
from dmzsim.runs.cli.options import UsageError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--class", dest="cls", choices=sorted(CLASSES), default="interstate",
                   help="the reference class whose targets --write writes and --against "
                        "draws (default: interstate)")
    p.add_argument("--data", type=Path, default=conflict_data.ACD,
                   help="the UCDP/PRIO conflict-year table (.rda; default: the shipped copy)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--write", type=Path, metavar="FILE",
                      help="write the class's targets as [targets] tables to FILE")
    what.add_argument("--check", type=Path, metavar="FILE",
                      help="exit 1 when FILE differs from what --write would write")
    what.add_argument("--against", type=Path, metavar="FOLDER",
                      help="draw the model's survival in a results or reference folder "
                           "against the data's")
    p.add_argument("--arm", action="append", default=None,
                   help="with --against: an arm to draw (repeatable; default frozen_line)")
    p.add_argument("--figure", type=Path, default=None,
                   help="with --against: the PNG to write (an SVG is written beside it)")


def run(args: argparse.Namespace) -> int:
    if (args.arm or args.figure) and args.against is None:
        raise UsageError("--arm and --figure go with --against FOLDER")
    try:
        acd = conflict_data.read_acd(args.data)
    except DataError as err:
        raise UsageError(str(err)) from None
    readings = {key: conflict_data.read(key, acd=acd) for key in CLASSES}
    main = readings[args.cls]
    if args.against is not None:
        return _draw(args, main)
    text = conflict_data.targets_toml(main, [r for k, r in readings.items() if k != args.cls])
    if args.write is not None:
        with replacing(args.write) as fh:
            fh.write(text.encode())
        print(f"wrote {args.write}: {len(conflict_data.YEARS)} targets, {main.cls.label}")
        return 0
    if args.check is not None:
        same = args.check.is_file() and args.check.read_text(encoding="utf-8") == text
        print(f"{args.check}: {'current' if same else 'differs from the data; regenerate'} "
              f"(dmzsim targets --write {args.check})")
        return 0 if same else 1
    print(f"{conflict_data.DATASET}: P(the same conflict recurred) after an episode "
          f"ended, Kaplan-Meier [95%]\n")
    print(conflict_data.readings_table(list(readings.values())))
    return 0


def _draw(args: argparse.Namespace, reading: conflict_data.Reading) -> int:
    """The figure of ``--against``: the folder's arms' survival against the data's."""
    from dmzsim.analysis.figures import survival_against_data
    from dmzsim.runs.cli.validate import runs_of

    folder: Path = args.against
    layout = ResultsLayout(folder)
    if not layout.config.is_file():
        raise UsageError(f"--against {folder}: neither a results folder nor a reference "
                         f"folder (no {layout.config.name})")
    config = read_toml(layout.config, what="--against: the experiment", error=UsageError)
    manifest = json.loads(layout.manifest.read_text()) if layout.manifest.is_file() else {}
    runs = runs_of(folder)
    arms = args.arm or ["frozen_line"]
    unknown = sorted(set(arms) - set(runs["arm"]))
    if unknown:
        raise UsageError(f"--against {folder}: no runs of arm {', '.join(unknown)} (arms: "
                         f"{', '.join(sorted(set(runs['arm'])))})")
    horizon = float(config["horizon_days"])
    curves = survival_curves(runs, horizon, arms)
    path = args.figure or _default_figure(folder, str(config.get("name", folder.name)))
    survival_against_data(curves, reading.curve, path, Stamp.from_manifest(manifest, config),
                          f"data: {reading.cls.label}")
    for arm, km in curves.items():
        by = ", ".join(f"{1 - km.at(y * 365):.3f} by {y} y" for y in conflict_data.YEARS
                       if y * 365 <= horizon)
        print(f"model {arm}: P(resumed) {by} (n = {km.n})")
    by = ", ".join(f"{reading.p_by(y * 365).estimate:.3f} by {y} y"
                   for y in conflict_data.YEARS)
    print(f"data, {reading.cls.label}: P(recurred) {by} (n = {reading.n})\nwrote {path}")
    return 0


def _default_figure(folder: Path, name: str) -> Path:
    """Beside a results folder's figures; never inside a published reference folder."""
    if ReferenceLayout(folder).runs.is_file():
        return Path("results") / f"{name}_survival_against_data.png"
    return ResultsLayout(folder).figures / "survival_against_data.png"
