"""NumPy's code paths are pinned to those every x86-64 CPU shares (common/numerics.py),
so that a reference published on one machine reproduces bit for bit on another."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from dmzsim.common import numerics

AVX512 = {"avx512f", "avx2"} <= numerics._cpu_flags()
PATHS = "from dmzsim.common import numerics; print(numerics.paths())"


def _paths_in_new_process(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE",
                          numerics.OFF_SWITCH)}
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env},
                         capture_output=True, text=True, check=True)
    assert out.stderr == "", out.stderr  # no warning about unknown feature names
    return out.stdout.strip()


def test_importing_dmzsim_first_keeps_numpy_portable():
    assert _paths_in_new_process(f"import dmzsim, numpy; {PATHS}") == "portable"


@pytest.mark.skipif(not AVX512, reason="this CPU has no AVX-512 paths to keep off")
def test_the_pin_is_what_keeps_avx512_off():
    assert _paths_in_new_process(f"import numpy, dmzsim; {PATHS}") == "avx512"
    assert _paths_in_new_process(f"import dmzsim; {PATHS}",
                                 **{numerics.OFF_SWITCH: "1"}) == "avx512"


@pytest.mark.skipif(not AVX512, reason="this CPU has no AVX-512 paths to keep off")
def test_a_choice_already_made_is_kept():
    code = f"import dmzsim, os; print(os.environ['OPENBLAS_CORETYPE']); {PATHS}"
    assert _paths_in_new_process(code, OPENBLAS_CORETYPE="SkylakeX").split() == [
        "SkylakeX", "portable"]


def test_results_folders_record_the_paths():
    from dmzsim.runs.sweep.manifest import environment, key_versions

    env = environment()
    assert env["numerics"] in ("portable", "avx512")
    assert key_versions(env)["numerics"] == env["numerics"]
    assert "numerics" not in key_versions({k: v for k, v in env.items() if k != "numerics"})


def test_the_suite_itself_runs_on_the_pinned_paths():
    """tests/conftest.py imports dmzsim before any test module imports NumPy, so the
    golden baseline and every bit-for-bit test see the paths the references were made on,
    whichever test file pytest reads first."""
    from dmzsim.common import numerics

    assert numerics.paths() == "portable" or not numerics.portable_env(), numerics.paths()
