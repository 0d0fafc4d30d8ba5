"""``python -m dmzsim.runs.cli``: the ``dmzsim`` command."""

import sys

from dmzsim.runs.cli.main import main

sys.exit(main())
