"""``dmzsim viz``: start the visual run in the browser (a Solara server on this machine).

The server listens on 127.0.0.1 unless ``--host`` says otherwise: the page can change
and run the model, so exposing it on a network is a choice the user makes explicitly.
It answers only requests whose Host and Origin are this machine
(:mod:`runs.viz.guard`), so another site's page in the browser cannot reach it.
The command starts ``solara run runs/viz/app.py`` (through :mod:`runs.viz.serve`) as a
child process, waits until the port
answers, prints the address, and stops the server on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from dmzsim.runs.cli.options import UsageError

APP = Path(__file__).resolve().parents[1] / "viz" / "app.py"
START_TIMEOUT_S = 90.0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1, this machine only; "
                        "0.0.0.0 exposes the page to the network)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--scenario", type=Path, metavar="FILE.toml",
                   help="start from this scenario: an experiment file (its first arm) "
                        "or a TOML file of model parameters")
    p.add_argument("--map", type=Path, metavar="PATH",
                   help="map file (default: the model's Donetsk map)")


def run(args: argparse.Namespace) -> int:
    """Start the server and wait for it; the exit status is the server's."""
    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port must be 1..65535, got {args.port}")
    env = server_env(args)
    command = server_command(args.host, args.port)
    if port_in_use(args.host, args.port):
        raise UsageError(f"port {args.port} on {args.host} is in use; choose another "
                         "with --port")
    proc = subprocess.Popen(command, env=env, cwd=os.getcwd())
    signal.signal(signal.SIGTERM, _terminate)
    try:
        if not wait_for_port(args.host, args.port, proc, START_TIMEOUT_S):
            code = proc.poll()
            print(f"dmzsim viz: the server did not start (exit status {code})",
                  file=sys.stderr)
            return 1
        print(f"dmzsim viz: open http://{args.host}:{args.port}/", flush=True)
        print("dmzsim viz: press Ctrl-C to stop", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        return 130
    finally:
        stop(proc)


def server_command(host: str, port: int) -> list[str]:
    """``solara run`` of the app, behind the guard that refuses other sites' pages."""
    return [sys.executable, "-m", "dmzsim.runs.viz.serve", "run", str(APP), "--host", host,
            "--port", str(port), "--production", "--no-open"]


def server_env(args: argparse.Namespace) -> dict[str, str]:
    """The child's environment: this one, with the scenario and map passed on, each
    checked first (:func:`check_inputs`), and Solara's "This website runs on Solara"
    banner off (it covers the plots)."""
    check_inputs(args.scenario, args.map)
    env = {**os.environ, "SOLARA_THEME_SHOW_BANNER": "False"}
    for flag, var in ((args.scenario, "DMZSIM_SCENARIO"), (args.map, "DMZSIM_MAP")):
        if flag is not None:
            env[var] = str(flag.resolve())
    return env


def check_inputs(scenario: Path | None, map_path: Path | None) -> None:
    """The scenario file and the map, checked as ``dmzsim sim`` and ``dmzsim run`` check
    them, before the server starts: a file that does not load, a parameter out of range,
    an experiment on another map, a zone the map lacks or that cedes nothing is an error
    naming the file, not a page that fails later."""
    from dmzsim.model.map_checks import run_map_problem
    from dmzsim.model.params import Params
    from dmzsim.model.theatre_map import load_map
    from dmzsim.runs.viz.scenarios import default_scenario, load_scenarios

    if map_path is not None:
        load_map(map_path)  # MapFileError: exit 2, naming the file and the key
    try:
        found = load_scenarios(scenario) if scenario is not None else [default_scenario()]
    except ValueError as err:
        text = str(err)
        raise UsageError(text if str(scenario) in text else f"scenario {scenario}: {text}"
                         ) from None
    uses = map_path.resolve() if map_path is not None else None
    for s in found:
        if s.map_file is not None and s.map_file != uses:
            raise UsageError(f"scenario {scenario}: its experiment runs on the map "
                             f"{s.map_file}; start the visual run with --map {s.map_file}")
        p = Params.build(s.values)
        problem = run_map_problem(map_path, p)
        if problem is not None:
            where = (f"{problem.param} = {getattr(p, problem.param)!r}: "
                     if problem.param is not None else "")
            what = f"scenario {scenario} ({s.label})" if scenario else "the model's defaults"
            raise UsageError(f"{what}: {where}{problem.message}")


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((_connect_host(host), port)) == 0


def wait_for_port(host: str, port: int, proc: subprocess.Popen, timeout_s: float) -> bool:
    """True once the server accepts connections; False if it exits or times out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if port_in_use(host, port):
            return True
        time.sleep(0.2)
    return False


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so that ``run`` stops the server on its way out


def stop(proc: subprocess.Popen) -> None:
    """Ask the server to stop; kill it if it does not within a few seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _connect_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "") else host
