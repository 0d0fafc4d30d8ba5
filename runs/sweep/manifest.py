"""The manifest: everything needed to trust, trace and repeat an experiment's results.

It records the code (git commit, dirty flag), the environment (dmzsim, Mesa, NumPy,
Python ... versions), the config hash and root seed, every session that worked on the
folder (executor, timings, counts, how it ended), and one row per run with its seed,
status and wall time. A session with no recorded end was killed.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from dmzsim.analysis.results_layout import ResultsLayout
from dmzsim.common import numerics
from dmzsim.common.files import write_text_atomic
from dmzsim.common.tomlfile import TomlFileError, read_toml
from dmzsim.runs.experiment import seeds
from dmzsim.runs.experiment.config import ExperimentConfig
from dmzsim.runs.experiment.design import Design

PACKAGES = ["dmzsim", "mesa", "numpy", "pandas", "pyarrow", "scipy", "SALib", "pydantic",
            "dask", "distributed"]
KEY_PACKAGES = ("dmzsim", "mesa", "numpy")
REPO_ROOT = Path(__file__).resolve().parents[2]


def now() -> str:
    """Local time with offset, to the second: readable and sortable."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def environment() -> dict[str, Any]:
    """Package versions (None if absent), Python, platform, host, CPU count and NumPy's
    code paths (``common/numerics.py``: "portable" or "avx512")."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    if versions["dmzsim"] is None:
        versions["dmzsim"] = _source_version()
    return {"versions": versions, "python": sys.version.split()[0],
            "platform": platform.platform(), "host": socket.gethostname(),
            "cpu_count": os.cpu_count(), "numerics": numerics.paths()}


def key_versions(env: dict[str, Any] | None = None) -> dict[str, str | None]:
    """The versions results are most likely to depend on: dmzsim, Mesa, NumPy, Python,
    and NumPy's code paths where the record has them.

    ``env`` is an :func:`environment` record (default: this process). dmzsim run from a
    checkout that is not installed reports "0.1.0 (source)"; only the number counts.
    """
    env = environment() if env is None else env
    versions = env.get("versions") or {}
    out = {name: versions.get(name) for name in KEY_PACKAGES}
    out["python"] = env.get("python")
    if env.get("numerics"):  # NumPy's code paths, where recorded (common/numerics.py)
        out["numerics"] = env["numerics"]
    return {k: (str(v).split()[0] if v else None) for k, v in out.items()}


def _source_version() -> str | None:
    """dmzsim's version from pyproject.toml when it runs from a checkout, not installed."""
    try:
        project = read_toml(REPO_ROOT / "pyproject.toml", what="project file")["project"]
        return f"{project['version']} (source)"
    except (TomlFileError, KeyError):
        return None


def git_info(root: Path = REPO_ROOT) -> dict[str, Any]:
    """Commit and dirty flag of the source tree; tolerates a missing git or repo.

    ``--no-optional-locks``: ``git status`` would otherwise take the index lock to refresh
    it, and a run killed meanwhile would leave the checkout locked for every git command.
    """
    def git(*args: str) -> str:
        out = subprocess.run(["git", "--no-optional-locks", "-C", str(root), *args],
                             capture_output=True,
                             text=True, timeout=10, check=True)
        return out.stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain"))
    except (OSError, subprocess.SubprocessError):
        return {"available": False, "commit": None, "dirty": None}
    return {"available": True, "commit": commit, "dirty": dirty}


DEFAULT_SIMULATE = "dmzsim.model.api:simulate"


def simulate_path(simulate: Callable[..., Any] | None) -> str:
    """``module:function`` of a simulate function (None: the real model)."""
    if simulate is None:
        return DEFAULT_SIMULATE
    module = getattr(simulate, "__module__", None) or "?"
    name = getattr(simulate, "__qualname__", None) or type(simulate).__qualname__
    return f"{module}:{name}"


def model_identity(simulate: Callable[..., Any] | None) -> dict[str, str | None]:
    """Which model made a folder's runs: the simulate function and the dmzsim version.

    Part of a results folder's identity next to the config hash: a resume with another
    model would put the runs of two models into one table.
    """
    return {"simulate": simulate_path(simulate), "dmzsim": key_versions()["dmzsim"]}


def header(exp: ExperimentConfig, design: Design,
           model: dict[str, str | None] | None = None) -> dict[str, Any]:
    """The parts of the manifest fixed when the results folder is created."""
    out = {"experiment": exp.name, "description": exp.spec.description,
           "source": exp.source, "config_hash": exp.config_hash,
           "model": model or model_identity(None),
           "root_seed": exp.spec.root_seed, "seed_scheme": seeds.SCHEME,
           "arms": exp.arm_names, "design": design.to_json(),
           "replicates": exp.spec.replicates, "environment": environment(),
           "git": git_info()}
    if exp.map_file is not None:
        out["map"] = {"file": exp.spec.map, "path": str(exp.map_file),
                      "sha256": exp.spec.map_sha256}
    return out


class Manifest:
    """Load-modify-save wrapper around the manifest file (always written atomically)."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    @classmethod
    def open(cls, folder: Path, header: dict[str, Any]) -> Manifest:
        """Read the folder's manifest, or start one from ``header``."""
        path = ResultsLayout(folder).manifest
        if path.exists():
            data = json.loads(path.read_text())
            for s in data.get("sessions", []):
                if s.get("ended") is None:
                    s["status"] = "killed (no end recorded)"
            _record_config_change(data, header)
        else:
            data = {**header, "created": now(), "sessions": [], "runs": []}
        return cls(path, data)

    def start_session(self, executor: dict[str, Any], resume: bool, argv: list[str]) -> None:
        self.data["sessions"].append({
            "started": now(), "ended": None, "status": "running", "resume": resume,
            "executor": executor, "argv": argv, "environment": environment(),
            "git": git_info()})
        self.save()

    def end_session(self, status: str, counts: dict[str, Any], wall_s: float,
                    error: str | None = None) -> None:
        """Close the session: its end, status, wall time, counts and the error that
        stopped it (a file that could not be written), if any."""
        session = self.data["sessions"][-1]
        session.update({"ended": now(), "status": status, "wall_s": round(wall_s, 3),
                        **counts})
        if error is not None:
            session["error"] = error
        self.save()

    def set_runs(self, runs: list[dict[str, Any]]) -> None:
        """The per-run table: id, arm, point, replicate, seed, status, wall time."""
        self.data["runs"] = runs
        statuses = [r["status"] for r in runs]
        self.data["counts"] = {s: statuses.count(s) for s in ("ok", "failed", "pending")}
        self.data["updated"] = now()

    def save(self) -> None:
        write_text_atomic(json.dumps(self.data, indent=1, default=str) + "\n", self.path)


def _record_config_change(data: dict[str, Any], header: dict[str, Any]) -> None:
    """A resume that added replicates (the only change a resume accepts, with the [quick]
    table's count that --replicates drops) updates the config hash and the replicate
    count, and keeps the old values in ``changes``."""
    if data.get("config_hash") == header["config_hash"]:
        return
    grew = data.get("replicates") != header["replicates"]
    data.setdefault("changes", []).append({
        "time": now(), "why": "resumed with more replicates" if grew else
        "resumed with a config that differs only in the [quick] table's replicates",
        "replicates": [data.get("replicates"), header["replicates"]],
        "config_hash": [data.get("config_hash"), header["config_hash"]]})
    data["config_hash"], data["replicates"] = header["config_hash"], header["replicates"]
