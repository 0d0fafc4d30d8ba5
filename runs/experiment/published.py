"""The published experiments: ``runs/*.toml``, each with its reference in ``runs/reference/``.

They are installed with the package (as package data of ``dmzsim.runs``), so a published
experiment can be named instead of given by path: ``dmzsim run sequencing`` works in any
folder, checkout or not.
"""

from __future__ import annotations

from pathlib import Path

PUBLISHED_DIR = Path(__file__).resolve().parents[1]  # runs/ (dmzsim/runs/ when installed)


def published_files() -> list[Path]:
    """Every published experiment file, by name."""
    return sorted(PUBLISHED_DIR.glob("*.toml"))


def published_names() -> list[str]:
    return [p.stem for p in published_files()]


def locate(experiment: str | Path) -> Path:
    """The experiment file meant by ``experiment``: the file itself if it exists, else the
    published experiment of that name (``sequencing``, or ``sequencing.toml``), else the
    path as given (reading it then reports that it is missing)."""
    path = Path(experiment)
    if path.is_file() or len(path.parts) != 1:
        return path
    candidate = PUBLISHED_DIR / f"{path.stem}.toml"
    return candidate if path.suffix in ("", ".toml") and candidate.is_file() else path
