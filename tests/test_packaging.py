"""Packaging: every package folder is installed, under the one import name ``dmzsim``, and
the wheel on its own runs and verifies the published experiments by name.

The wheel test installs the wheel's dependencies from the package index (pip's cache makes
that quick after the first time); without a network it fails rather than skips."""

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _installed_packages() -> dict[str, Path]:
    """Every package the source tree holds, by the dotted name it installs as."""
    found = {}
    for top, folder in PYPROJECT["tool"]["setuptools"]["package-dir"].items():
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            rel = init.parent.relative_to(ROOT / folder)
            found[".".join([top, *rel.parts])] = init.parent
    return found


def _data_packages() -> set[str]:
    """The folders of data the wheel carries: the maps, the conflict data and the targets
    computed from it, and each published reference."""
    refs = (ROOT / "runs" / "reference").iterdir()
    return {"dmzsim.model.maps", "dmzsim.analysis.data", "dmzsim.runs.targets",
            "dmzsim.runs.reference",
            *(f"dmzsim.runs.reference.{d.name}" for d in refs if d.is_dir())}


def test_the_packages_list_names_every_folder_with_an_init_and_every_data_folder():
    """A newly published reference must be added to pyproject.toml's packages and
    package-data, or the wheel would not carry it (and setuptools would warn)."""
    listed = PYPROJECT["tool"]["setuptools"]["packages"]
    assert sorted(listed) == sorted({*_installed_packages(), *_data_packages()})
    data = PYPROJECT["tool"]["setuptools"]["package-data"]
    assert {d for d in _data_packages() if d != "dmzsim.runs.reference"} <= set(data)


def test_only_dmzsim_is_a_top_level_name():
    assert {name.split(".")[0] for name in PYPROJECT["tool"]["setuptools"]["packages"]} == {
        "dmzsim"}


def test_an_import_path_names_its_folder():
    """``dmzsim.X`` is always the folder ``X/``: a reader following an import opens the
    right folder, and the folder ``dmzsim/`` holds nothing but the namespace's __init__."""
    package_dir = PYPROJECT["tool"]["setuptools"]["package-dir"]
    assert package_dir["dmzsim"] == "dmzsim"
    for name, folder in package_dir.items():
        if name != "dmzsim":
            assert name == f"dmzsim.{folder}", f"{name} is installed from {folder}/"
    held = {p.name for p in (ROOT / "dmzsim").iterdir() if p.name != "__pycache__"}
    assert held == {"__init__.py"}


def test_common_imports_none_of_the_other_folders():
    """Every folder may import ``dmzsim.common``; it importing one of them back would make
    an import circle."""
    others = ("dmzsim.model", "dmzsim.agents", "dmzsim.runs", "dmzsim.analysis")
    for source in sorted((ROOT / "common").rglob("*.py")):
        text = source.read_text()
        assert not [o for o in others if o in text], source.name


# --- the wheel, installed on its own ------------------------------------------------------------
FAKE_MODEL = '''
"""An instant stand-in for dmzsim.model.api.simulate (the real model is checked by verify)."""
import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Result:
    summary: dict
    series: object = None


def simulate(params, seed, *, series_every=0, map_path=None):
    u = float(np.random.default_rng(seed).random())
    resumed = u < 0.5
    return Result({"resumed": resumed, "day_resumed": 100 * u if resumed else math.nan,
                   "territory_lost_km2": 10.0 * u, "belt_towns_lost": int(resumed)})
'''

COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "results", "*.egg-info",
                                     "__pycache__", ".pytest_cache", ".ruff_cache")


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 300
         ) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.mark.slow
def test_the_wheel_alone_runs_and_verifies_published_experiments_by_name(tmp_path: Path):
    """Build the wheel, install it (dependencies from the package index) into a fresh venv,
    and use it from a folder outside the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    source = tmp_path / "source"  # a clean copy: no build/ left over from earlier builds
    shutil.copytree(ROOT, source, ignore=COPY_IGNORE)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
          str(source)], tmp_path, env)
    [wheel] = (tmp_path / "dist").glob("dmzsim-*.whl")
    with zipfile.ZipFile(wheel) as z:
        top = next(n for n in z.namelist() if n.endswith(".dist-info/top_level.txt"))
        assert z.read(top).decode().split() == ["dmzsim"]
        names = set(z.namelist())
    assert {"dmzsim/runs/sequencing.toml", "dmzsim/runs/reference/sequencing/runs.parquet",
            "dmzsim/model/maps/donetsk_2026-02.toml", "dmzsim/analysis/data/ucdp_acd.rda",
            "dmzsim/analysis/data/README.md", "dmzsim/runs/targets/conflict_recurrence.toml"
            } <= names

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], tmp_path,
         env, timeout=600)
    work = tmp_path / "elsewhere"
    work.mkdir()
    python, dmzsim = str(venv / "bin" / "python"), str(venv / "bin" / "dmzsim")
    where = _run([python, "-c", "import dmzsim; from dmzsim import CeasefireModel; "
                  "print(dmzsim.__file__, CeasefireModel.__name__)"], work, env).stdout
    assert str(venv) in where and "CeasefireModel" in where

    # by name, the real model: the packaged reference reproduces
    out = _run([dmzsim, "verify", "--quick", "--workers", "2", "--no-progress", "sequencing"],
               work, env).stdout
    assert "sequencing: OK: 50 runs reproduce the reference, " in out  # any CPU
    # by name and by path, with an instant model so that the report is drawn quickly too
    (work / "fake.py").write_text(FAKE_MODEL)
    fake_env = {**env, "PYTHONPATH": str(work)}
    out = _run([dmzsim, "run", "sequencing", "--quick", "--serial", "--no-progress",
                "--simulate", "fake:simulate"], work, fake_env).stdout
    assert "sequencing_quick: completed" in out and (work / "results" / "sequencing_quick"
                                                     / "report.md").exists()
    mine = work / "mine"
    mine.mkdir()
    shutil.copy(ROOT / "runs" / "sequencing.toml", mine / "sequencing.toml")
    out = _run([dmzsim, "run", str(mine / "sequencing.toml"), "--quick", "--serial",
                "--no-progress", "--no-report", "--simulate", "fake:simulate", "--out",
                str(work / "mine-results")], work, fake_env).stdout
    assert "sequencing_quick: completed" in out
