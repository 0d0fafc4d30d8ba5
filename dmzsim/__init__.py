"""dmzsim: an agent-based model of a ceasefire with a demilitarized zone in Donetsk oblast.

The repository's folders ``common/``, ``model/``, ``agents/``, ``runs/`` and ``analysis/``
are installed as ``dmzsim.common``, ``dmzsim.model``, ``dmzsim.agents``, ``dmzsim.runs`` and
``dmzsim.analysis``, so installing dmzsim claims no import name but ``dmzsim``: ``dmzsim.X``
is always the folder ``X/``, and this folder holds nothing but this file.

``from dmzsim import CeasefireModel, Params, simulate`` works; they are imported on first
use, so that ``dmzsim --version`` and the command line's start do not pay for Mesa.

Importing it first keeps NumPy off its AVX-512 code paths, so results are the same on
any x86-64 machine (``common/numerics.py``).
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from dmzsim.common import numerics

numerics.pin()  # before anything imports NumPy

try:
    __version__ = version("dmzsim")
except PackageNotFoundError:  # pragma: no cover - a tree that is not installed
    __version__ = "0+unknown"

_LAZY = {
    "CeasefireModel": "dmzsim.model.model",
    "Params": "dmzsim.model.params",
    "simulate": "dmzsim.model.api",
}
__all__ = ["CeasefireModel", "Params", "__version__", "simulate"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'dmzsim' has no attribute {name!r}")
