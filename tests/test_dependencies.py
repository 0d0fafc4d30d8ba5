"""Dependencies: compatible ranges in pyproject.toml, exact versions in requirements.lock,
and every install of the Makefile (so of CI) constrained by the lock."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
LOCKED_INSTALLS = ("dev", "viz")  # the extras make test installs (and make lock freezes)


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep and version, f"requirements.lock: not an exact pin: {line!r}"
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_the_package_asks_for_ranges_not_exact_versions() -> None:
    requirements = [*PROJECT["dependencies"],
                    *(r for extra in PROJECT["optional-dependencies"].values() for r in extra)]
    assert [r for r in requirements if "==" in r] == []


def test_the_lock_pins_every_dependency_of_the_tested_install() -> None:
    pins = _lock()
    wanted = [*PROJECT["dependencies"],
              *(r for x in LOCKED_INSTALLS for r in PROJECT["optional-dependencies"][x])]
    assert sorted({_name(r) for r in wanted} - set(pins)) == []
    assert "dmzsim" not in pins  # the package itself stays editable


def test_every_make_install_is_constrained_by_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    installs = [line for line in makefile.splitlines() if "pip install" in line
                and "-e " in line and ".venv-lock" not in line]
    assert installs and all("-c $(LOCK)" in line for line in installs)
    assert "LOCK := requirements.lock" in makefile and "\nlock:" in makefile
