"""Running an experiment into its results folder.

* :mod:`.tasks`: what one run is (:class:`RunTask`, :func:`build_task`) and what comes back;
* :mod:`.runner`: :func:`run_experiment`, which plans, dispatches, stores and accounts;
* :mod:`.adaptive`: replicates added per arm and point until P(event) is known well enough;
* :mod:`.executors`: serial, local processes or a Dask cluster;
* :mod:`.worker`: one run inside a worker, every failure caught;
* :mod:`.results`: the results folder, read and written by one class;
* :mod:`.manifest`: the manifest, the provenance of the results.
"""

from dmzsim.runs.sweep.runner import run_experiment
from dmzsim.runs.sweep.tasks import build_task, param_types, run_id, summary_record

__all__ = ["build_task", "param_types", "run_experiment", "run_id", "summary_record"]
