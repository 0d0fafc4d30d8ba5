"""``python -m dmzsim.runs.cli``: the ``dmzsim`` command."""

from dmzsim.runs.cli.dispatch import console

console()
