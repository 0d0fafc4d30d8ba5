"""What an experiment file means: its schema and checks, its design points, its seeds.

* :mod:`.config`: load, validate and resolve an experiment TOML file;
* :mod:`.schema`: the shape of the file (pydantic, strict);
* :mod:`.checks`: the checks that need the model's parameter schema;
* :mod:`.design`: the design points (grid, lhs, sobol, morris, table);
* :mod:`.seeds`: every run's seed, from one root seed;
* :mod:`.tomlout`: the resolved config written back as TOML.
"""

from dmzsim.runs.experiment.config import (
    DEFAULT_ARM,
    ExperimentConfig,
    ExperimentError,
    from_dict,
    load,
)

__all__ = ["DEFAULT_ARM", "ExperimentConfig", "ExperimentError", "from_dict", "load"]
