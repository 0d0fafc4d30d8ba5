"""Errors the ``dmzsim`` command reports as bad input (exit status 2, no traceback)."""

from __future__ import annotations


class UsageError(ValueError):
    """A bad combination of command-line options."""
