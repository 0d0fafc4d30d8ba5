"""Every test runs on the NumPy paths dmzsim pins (``common/numerics.py``).

The pin only takes if dmzsim is imported before NumPy. pytest imports this file before
any test module, so dmzsim comes first here; otherwise a test file that imports NumPy at
its top, collected first, would leave the whole process on the CPU's native paths, and a
run's last bits (which a war amplifies) would depend on which file pytest read first.
"""

import dmzsim  # noqa: F401  (first: it pins NumPy's paths before NumPy is imported)
