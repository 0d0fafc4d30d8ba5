"""The visual run's scenarios: where its controls start from.

Any arm of a published experiment (``runs/*.toml``), or a TOML file of one's own: an
experiment file (each arm, from its base and root seed; its map must be the one the visual
run uses) or plain ``key = value`` model parameters, read as strictly as ``dmzsim sim``
reads a scenario. Apart from the page's components (:mod:`.controls`), so that ``dmzsim
viz`` can check a scenario file before it starts the server, without loading Solara.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dmzsim.common.tomlfile import read_toml
from dmzsim.model.params import Params
from dmzsim.runs import experiment
from dmzsim.runs.experiment.published import published_files


class InputError(ValueError):
    """Text that is not a valid value; the message says what is expected."""


@dataclass(frozen=True)
class Scenario:
    """Parameter values (every field) and the seed a scenario starts from."""

    label: str
    values: dict[str, Any]
    seed: int
    map_file: Path | None = None  # the map an experiment file names (None: none named)


def default_scenario() -> Scenario:
    return Scenario("model defaults", Params().model_dump(), 0)


def load_scenarios(path: str | Path) -> list[Scenario]:
    """Every arm of an experiment file, or the one scenario of a parameters file.

    An experiment arm starts from the experiment's base and root seed. Raises
    ``ValueError`` (ExperimentError, ParamError, ...) with the file's own message.
    """
    path = Path(path)
    data = read_toml(path, what="scenario", error=InputError)
    if "name" not in data and "root_seed" not in data:
        return [Scenario(path.name, Params.build(data).model_dump(), 0)]
    exp = experiment.from_dict(data, source=str(path), base_dir=path.parent)
    base = exp.base_params()
    return [Scenario(f"{path.name} › {arm}",
                     Params.build({**base, **exp.arm_overrides(arm)}).model_dump(),
                     exp.spec.root_seed, exp.map_file) for arm in exp.arm_names]


def published_scenarios(extra: str | Path | None = None) -> tuple[list[Scenario], list[str]]:
    """Defaults, the given file's scenarios, and every arm of ``runs/*.toml``.

    Returns the scenarios and a note for each file that could not be read.
    """
    found, notes = [default_scenario()], []
    files = ([Path(extra)] if extra else []) + published_files()
    for path in files:
        try:
            found += load_scenarios(path)
        except (ValueError, OSError) as err:
            notes.append(f"{path.name}: {err}")
    unique = {s.label: s for s in reversed(found)}  # the first of equal labels wins
    return [unique[label] for label in dict.fromkeys(s.label for s in found)], notes
