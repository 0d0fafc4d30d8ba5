"""The ``dmzsim`` command: ``dmzsim sim | run | params | report | viz | publish | verify``.

Each subcommand lives in its own module exposing ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``; :data:`SUBCOMMANDS` maps names to modules, so a subcommand is
one line here plus a module. Heavy imports (Mesa, the model,
Dask) happen inside ``run``, so ``dmzsim --help`` stays instant.

Exit status: 0 success; 1 some runs failed; 2 bad input (parameters, config, options),
reported on stderr without a traceback; 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from types import ModuleType

SUBCOMMANDS: dict[str, str] = {
    "sim": "dmzsim.runs.cmd_sim",
    "run": "dmzsim.runs.cmd_run",
    "params": "dmzsim.runs.cmd_params",
    "report": "dmzsim.analysis.report",
    "viz": "dmzsim.runs.viz_cli",
    "publish": "dmzsim.runs.cmd_publish",
    "verify": "dmzsim.runs.cmd_verify",
}

# Matched by name so that building the parser needs neither the model nor pydantic.
USER_ERRORS = {"ParamError", "ExperimentError", "ResultsError", "ExecutorError", "UsageError",
               "PublishError", "MapFileError", "SimulateError"}


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with one subparser per registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="dmzsim", description="Ceasefire/DMZ model of Donetsk oblast: single runs, "
        "experiments, parameters.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in SUBCOMMANDS.items():
        module = _load(module_name)
        if module is None:
            p = sub.add_parser(name, help=f"(unavailable: {module_name} did not load)")
            p.set_defaults(handler=_unavailable(name, module_name))
            continue
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dmzsim`` console script."""
    args = build_parser().parse_args(argv)
    try:
        code = int(args.handler(args))
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except BrokenPipeError:  # piped into e.g. `head`, which stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as err:
        if type(err).__name__ not in USER_ERRORS:
            raise
        print(f"dmzsim {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"dmzsim {args.command}: interrupted", file=sys.stderr)
        return 130



def _load(module_name: str) -> ModuleType | None:
    """The subcommand's module, or None if it cannot be imported or lacks the contract."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    contract = all(hasattr(module, a) for a in ("HELP", "add_arguments", "run"))
    return module if contract else None


def _unavailable(name: str, module_name: str) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        try:
            importlib.import_module(module_name)
            why = "it lacks HELP, add_arguments or run"
        except ImportError as err:
            why = str(err)
        print(f"dmzsim {name}: unavailable ({module_name}: {why})", file=sys.stderr)
        return 2

    return handler


if __name__ == "__main__":
    sys.exit(main())
