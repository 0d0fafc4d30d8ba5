"""TOML files and TOML values read in one place, with one way of saying what went wrong.

Every TOML file a user hands over (an experiment, a map, a scenario, a calibration, a file
of parameters) is read by :func:`read_toml`, so a file that is missing, a folder, not
UTF-8 or not valid TOML gets the same one-line message whichever command read it: what
the file is, its path, and what is wrong; for bad TOML, tomllib's reason with the line
and column. The caller names the exception class to raise, so each command keeps the
error type its own callers catch (and the command line turns into exit status 2).

Text typed for one value (``--set KEY=VALUE``, a CSV cell) is read by :func:`toml_value`
with the same rules as a value in a TOML file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

__all__ = ["TomlFileError", "read_toml", "toml_value"]


class TomlFileError(ValueError):
    """A TOML file that cannot be read; the message names the file and what is wrong."""


def read_toml(path: str | Path, *, what: str,
              error: type[Exception] = TomlFileError) -> dict[str, Any]:
    """The tables of the TOML file at ``path`` (read as UTF-8).

    Raises ``error("<what> <path>: <problem>")`` when the file cannot be read or parsed,
    e.g. ``experiment runs/x.toml: not valid TOML: Invalid value (at line 3, column 9)``.
    """
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise error(f"{what} {path}: {_problem(err)}") from None


def _problem(err: Exception) -> str:
    """What is wrong with a file, in the words every command uses."""
    if isinstance(err, FileNotFoundError):
        return "file not found"
    if isinstance(err, IsADirectoryError):
        return "is a folder, not a TOML file"
    if isinstance(err, OSError):
        return f"cannot be read: {err.strerror}"
    if isinstance(err, UnicodeDecodeError):
        return "not a text file (not UTF-8)"
    return f"not valid TOML: {err}"


def toml_value(text: str) -> Any:
    """``text`` read as the value of a TOML key (``3`` an int, ``0.5`` a float, ``true`` a
    bool, ``"a"`` or ``[1, 2]`` as written); text that is no TOML value, such as a bare
    word like ``territory_first``, is returned unchanged as a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
