"""``python -m dmzsim.runs.cli``: the ``dmzsim`` command."""

import sys

from dmzsim.runs.cli.dispatch import main

sys.exit(main())
