"""Packaging: every package folder is installed, under the one import name ``dmzsim``."""

import tomllib
from pathlib import Path

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


def test_the_packages_list_names_every_folder_with_an_init():
    assert sorted(PYPROJECT["tool"]["setuptools"]["packages"]) == sorted(_installed_packages())


def test_only_dmzsim_is_a_top_level_name():
    assert {name.split(".")[0] for name in PYPROJECT["tool"]["setuptools"]["packages"]} == {
        "dmzsim"}
