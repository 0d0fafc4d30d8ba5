"""``dmzsim sim``: one run of one scenario, printed readably or as JSON."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from dmzsim.common.files import check_writable, write_parquet_atomic
from dmzsim.common.tomlfile import read_toml
from dmzsim.model.api import simulate
from dmzsim.model.map_checks import run_map_problem
from dmzsim.model.params import Params, parse_overrides
from dmzsim.model.theatre_map import MapFileError
from dmzsim.runs.cli.options import UsageError, warn_about_map


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", nargs="?", type=Path,
                   help="TOML file whose top-level keys are model parameters")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="KEY=VALUE", help="override one parameter (repeatable)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--series-every", type=int, default=None, metavar="K",
                   help="keep the per-day series every K days (needs --series-out)")
    p.add_argument("--series-out", type=Path, metavar="FILE.parquet",
                   help="write the series to this Parquet file (every day unless "
                        "--series-every)")
    p.add_argument("--map", type=Path, metavar="PATH", help="map file passed to the model")


def run(args: argparse.Namespace) -> int:
    every = _series_every(args)
    if args.series_out is not None:  # before the run, which may take minutes
        check_writable(args.series_out, "--series-out")
    values = {**_scenario_values(args.scenario), **parse_overrides(args.overrides)}
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    params = Params.build(values)
    _check_map(args.map, params)
    warn_about_map("sim", args.map)
    result = simulate(params, args.seed, series_every=every, map_path=args.map)
    if args.series_out is not None and result.series is not None:
        args.series_out.parent.mkdir(parents=True, exist_ok=True)
        write_parquet_atomic(result.series, args.series_out)
    changed = {k: v for k, v in params.model_dump().items() if Params().model_dump()[k] != v}
    print(_as_json(result.summary, args.seed, changed) if args.json
          else _as_text(result.summary, args.seed, changed, params.horizon_days))
    return 0


def _series_every(args: argparse.Namespace) -> int:
    if args.series_every is not None and args.series_every < 1:
        raise UsageError("--series-every must be >= 1")
    if args.series_every is not None and args.series_out is None:
        raise UsageError("--series-every needs --series-out FILE.parquet")
    if args.series_out is None:
        return 0
    if args.series_out.is_dir():
        raise UsageError(f"--series-out {args.series_out}: is a folder; give a file name, "
                         "e.g. series.parquet")
    for parent in args.series_out.parents:
        if parent.exists() and not parent.is_dir():
            raise UsageError(f"--series-out {args.series_out}: {parent} is a file")
    return args.series_every or 1


def _check_map(path: Path | None, params: Params) -> None:
    """What the run would meet on its map (a zone that is missing or cedes nothing, a
    theatre too large, no front), refused before it runs."""
    problem = run_map_problem(path, params)
    if problem is None:
        return
    if problem.param is None:
        raise MapFileError(problem.message)
    value = getattr(params, problem.param)
    raise MapFileError(f"parameter {problem.param!r} = {value!r}: {problem.message}")


def _scenario_values(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    return read_toml(path, what="scenario", error=UsageError)


def _plain(value: Any) -> Any:
    """NumPy scalars to Python; NaN to None (JSON has no NaN)."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


def _as_json(summary: dict[str, Any], seed: int, changed: dict[str, Any]) -> str:
    out = {"seed": seed, "parameters_changed": changed,
           "summary": {k: _plain(v) for k, v in summary.items()}}
    return json.dumps(out, indent=2)


def _as_text(summary: dict[str, Any], seed: int, changed: dict[str, Any],
             horizon: int) -> str:
    diff = ", ".join(f"{k} = {v!r}" for k, v in changed.items()) or "none (all defaults)"
    lines = [f"seed {seed}, {horizon} days; parameters changed: {diff}", ""]
    width = max(len(k) for k in summary)
    lines += [f"  {k:<{width}}  {_fmt(v)}" for k, v in summary.items()]
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.3g}"
    return str(value)
