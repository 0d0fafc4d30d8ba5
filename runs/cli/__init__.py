"""The ``dmzsim`` command line: the dispatcher (:mod:`.dispatch`), the options several
subcommands share (:mod:`.options`) and one module per subcommand."""

from dmzsim.runs.cli.dispatch import HELP, SUBCOMMANDS, build_parser, console, main

__all__ = ["HELP", "SUBCOMMANDS", "build_parser", "console", "main"]
