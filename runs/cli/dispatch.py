"""The ``dmzsim`` command: ``dmzsim sim | run | params | report | viz | publish | verify |
map | validate | calibrate | robust | targets``.

Each subcommand is a module of this package with ``add_arguments(parser)`` and
``run(args) -> int``; :data:`SUBCOMMANDS` names its module and :data:`HELP` its one line,
so a subcommand is two lines here plus a module. Only the module of the subcommand being
run is imported (with everything it needs): this dispatcher is the one place that defers
imports, so ``dmzsim --help`` stays instant and a subcommand whose dependencies are missing
is reported as unavailable while the others work.

Exit status: 0 success; 1 some runs failed; 2 bad input (parameters, config, options) or
an output that cannot be written (a path that is not a regular file, a read-only folder, a
full disk), reported on stderr in one line without a traceback (``--debug`` shows it);
128 + the signal when interrupted: 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from types import ModuleType

from dmzsim.analysis.results_layout import ResultsLayout
from dmzsim.common import signals

SUBCOMMANDS: dict[str, str] = {
    "sim": "dmzsim.runs.cli.sim",
    "run": "dmzsim.runs.cli.run",
    "params": "dmzsim.runs.cli.params",
    "report": "dmzsim.runs.cli.report",
    "viz": "dmzsim.runs.cli.viz",
    "publish": "dmzsim.runs.cli.publish",
    "verify": "dmzsim.runs.cli.verify",
    "map": "dmzsim.runs.cli.inspect_map",
    "validate": "dmzsim.runs.cli.validate",
    "calibrate": "dmzsim.runs.cli.calibrate",
    "robust": "dmzsim.runs.cli.robust",
    "targets": "dmzsim.runs.cli.targets",
}
_REPORT = ResultsLayout.names()
HELP: dict[str, str] = {
    "sim": "run the model once (defaults, or a scenario TOML, plus --set overrides)",
    "run": "run an experiment (runs/<name>.toml, or a published experiment by name) into "
           "<out>/<name>/",
    "params": "print every model parameter with its default, unit, valid range and source "
              "(--outputs: every output)",
    "report": f"write {_REPORT.report}, {_REPORT.report_html} and {_REPORT.figures}/ for an "
              "experiment folder",
    "viz": "open the visual run: a browser page to run one scenario day by day",
    "publish": "run a published experiment and write its reference results "
               "(runs/reference/<name>/)",
    "verify": "re-run published experiments and compare them with their reference results",
    "map": "inspect a map file: ground and towns by side, sectors, what each zone leaves "
           "(--figure: a picture)",
    "validate": "run an experiment's [targets] (default: the published validation) and "
                "print each target's value, range and verdict",
    "calibrate": "fit model parameters to an experiment's targets (Optuna; resumable)",
    "robust": "run an experiment's policies ([levers]) in every state of the world "
              "([uncertainties]) and report which is robust, where each fails and where "
              "the ranking flips",
    "targets": "validation targets from the shipped conflict data (UCDP/PRIO): print, "
               "--write, --check, or --against FOLDER to draw the model's survival beside",
}

# Matched by name so that the dispatcher imports no subcommand to know them.
USER_ERRORS = {"ParamError", "ExperimentError", "ResultsError", "ExecutorError", "UsageError",
               "DataError", "PublishError", "MapFileError", "SimulateError", "CalibrationError",
               "ZoneError", "FolderBusyError", "OutputError"}


def build_parser(command: str | None = None, module: ModuleType | None = None
                 ) -> argparse.ArgumentParser:
    """The parser: one subparser per subcommand, with ``command``'s arguments from
    ``module`` (the others are only listed)."""
    parser = argparse.ArgumentParser(
        prog="dmzsim", description="Ceasefire/DMZ model of Donetsk oblast: single runs, "
        "experiments, parameters.")
    parser.add_argument("--version", action="version", version=f"dmzsim {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS:
        help_text = HELP.get(name, "")
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == command and module is not None:
            module.add_arguments(p)
            p.set_defaults(handler=module.run)
    return parser


def console() -> None:
    """The ``dmzsim`` command as a process (the console script, ``python -m``): ``main``,
    then exit with its status, with no handler left that a late signal could run."""
    sys.exit(main(exiting=True))


def main(argv: list[str] | None = None, *, exiting: bool = False) -> int:
    """The ``dmzsim`` command: its exit status.

    SIGINT, SIGTERM and SIGHUP stop the command as Ctrl-C does (:mod:`dmzsim.common.signals`),
    whatever the signal disposition it inherited; ``exiting`` (the process exits next)
    ignores them once the command has ended. ``--debug`` (anywhere in the command) shows
    the traceback of a user error too.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    command = next((a for a in argv if not a.startswith("-")), None)
    with signals.handled(then_ignore=exiting):
        try:
            return _dispatch(command, argv, debug)
        except KeyboardInterrupt as err:
            print(f"dmzsim {command or ''}: interrupted".replace("  ", " "), file=sys.stderr)
            return signals.exit_status(err)


def _dispatch(command: str | None, argv: list[str], debug: bool) -> int:
    module = None
    if command in SUBCOMMANDS:
        module, why = _load(SUBCOMMANDS[command])
        if module is None:
            print(f"dmzsim {command}: unavailable ({SUBCOMMANDS[command]}: {why})",
                  file=sys.stderr)
            return 2
    args = build_parser(command, module).parse_args(argv)
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
        if debug:
            traceback.print_exc()
        print(f"dmzsim {args.command}: error: {err}", file=sys.stderr)
        return 2


def _version() -> str:
    from dmzsim import __version__

    return __version__


def _load(module_name: str) -> tuple[ModuleType | None, str]:
    """The subcommand's module, or None and why it cannot be used."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        return None, str(err)
    if not all(hasattr(module, a) for a in ("add_arguments", "run")):
        return None, "it lacks add_arguments or run"
    return module, ""
