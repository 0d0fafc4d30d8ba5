"""The same numbers on any x86-64 machine: NumPy's AVX-512 code paths kept off.

NumPy picks, at import, the fastest code path the CPU offers for each operation (its
"dispatch"). On a CPU with AVX-512 its exponentials, logarithms and some reductions come
from other routines than on a CPU without, and they can differ in the last bit. A
last-bit difference is nothing in one operation, but a war in the model amplifies it:
the same run, same seed, gave losses up to 11% apart on an Intel Xeon with AVX-512 and
on the AMD machine that published the references (docs/publishing.md). OpenBLAS chooses
its kernels by CPU in the same way (the model's few matrix products go through it).

So, on a CPU with AVX-512, dmzsim asks NumPy to use the AVX2 paths every x86-64 CPU of
the last decade has, and OpenBLAS its AVX2 (Haswell) kernels, before NumPy is imported:
``pin()`` runs when the ``dmzsim`` package is first imported, and worker processes
inherit it. With the paths pinned, the references reproduce bit for bit on both
machines. It costs about a seventh more CPU time on such a CPU (docs/publishing.md).

It only works if NumPy is not imported yet: ``import numpy`` before ``import dmzsim`` in
one process leaves that process on its native paths (worker processes still start
pinned). :func:`paths` says which paths this process runs on; the results folder
records it, and ``dmzsim verify`` names it when results differ. ``DMZSIM_NATIVE_NUMERICS=1``
turns the pin off (to measure it, or on a CPU where it must not apply).
"""

from __future__ import annotations

import os
import sys
from importlib import metadata
from pathlib import Path

#: NumPy's AVX-512 dispatch targets (their names since NumPy 2.4 groups them).
AVX512_TARGETS = "X86_V4 AVX512_ICL AVX512_SPR"
#: The OpenBLAS kernels every AVX2 CPU runs.
OPENBLAS_AVX2 = "Haswell"
OFF_SWITCH = "DMZSIM_NATIVE_NUMERICS"


def _cpu_flags() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo (empty where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def _numpy_groups_targets() -> bool:
    """Whether the installed NumPy names its AVX-512 targets as :data:`AVX512_TARGETS`
    (2.4 and later); an older one would print a warning for names it does not know."""
    try:
        major, minor = (int(x) for x in metadata.version("numpy").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (2, 4)


def portable_env() -> dict[str, str]:
    """The environment variables that keep a new process's NumPy and OpenBLAS off their
    AVX-512 paths on this CPU (none where it has none, or with the off switch), for
    starting processes from one that imported NumPy itself (the benchmarks)."""
    if os.environ.get(OFF_SWITCH) == "1":
        return {}
    flags = _cpu_flags()
    if "avx512f" not in flags or "avx2" not in flags or not _numpy_groups_targets():
        return {}
    return {"NPY_DISABLE_CPU_FEATURES": AVX512_TARGETS, "OPENBLAS_CORETYPE": OPENBLAS_AVX2}


def pin() -> None:
    """Keep NumPy and OpenBLAS off their AVX-512 paths, if this CPU has them and nothing
    decided otherwise (NumPy already imported, the variables already set, or the off
    switch)."""
    if "numpy" in sys.modules:
        return
    for name, value in portable_env().items():
        os.environ.setdefault(name, value)


def paths() -> str:
    """Which of NumPy's code paths this process runs on: "avx512" or "portable" (no
    AVX-512 path in use), for the results folder's record."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    avx512 = [t for t in __cpu_dispatch__ if "AVX512" in t or t == "X86_V4"]
    return "avx512" if any(__cpu_features__.get(t, False) for t in avx512) else "portable"
