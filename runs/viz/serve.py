"""``python -m dmzsim.runs.viz.serve run APP --host H --port P ...``: ``solara run`` with
the server's app wrapped in :class:`~runs.viz.guard.LoopbackGuard` (``dmzsim viz`` starts
this).

Solara builds its app when ``solara.server.starlette`` is first imported, which must
happen after ``solara run`` has set up the environment; so the wrapping is done where
uvicorn loads the app (``uvicorn.Config.load``), the last step before it serves.
"""

from __future__ import annotations

import sys

from dmzsim.runs.viz.guard import LoopbackGuard


def _option(argv: list[str], name: str, default: str) -> str:
    return argv[argv.index(name) + 1] if name in argv else default


def guard_uvicorn(host: str, port: int) -> None:
    """Make every app uvicorn loads in this process answer through the guard."""
    import uvicorn

    load = uvicorn.Config.load

    def guarded_load(config: uvicorn.Config) -> None:
        load(config)
        if not isinstance(config.loaded_app, LoopbackGuard):
            config.loaded_app = LoopbackGuard(config.loaded_app, host, port)

    uvicorn.Config.load = guarded_load  # type: ignore[method-assign]


def main() -> None:
    """Guard the server, then hand the command line to Solara."""
    import solara.__main__ as solara_cli

    guard_uvicorn(_option(sys.argv, "--host", "localhost"),
                  int(_option(sys.argv, "--port", "8765")))
    solara_cli.main()


if __name__ == "__main__":
    main()
