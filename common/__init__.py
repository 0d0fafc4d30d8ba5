"""Plumbing every other folder may use; it imports nothing from ``model/``, ``agents/``,
``runs/`` or ``analysis/``, so any of them can import it without a circle.

* :mod:`.files`: the one atomic write (a file exists whole or not at all);
* :mod:`.signals`: Ctrl-C, SIGTERM and SIGHUP stop a command cleanly;
* :mod:`.validation`: pydantic's validation errors in the project's words;
* :mod:`.tomlfile`: every TOML file and typed TOML value read in one place;
* :mod:`.numerics`: NumPy kept on code paths every x86-64 CPU shares;
* :mod:`.labels`: town names placed on a map picture without overlap.
"""
