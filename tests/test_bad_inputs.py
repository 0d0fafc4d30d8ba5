"""A battery of bad inputs: every one is a clean user error.

For each case (a ``dmzsim sim`` option, an experiment file, a map file, a results folder,
a reference, an output path that is not a regular file), the command run in-process must
exit 2 with one message on stderr that names the offending file, key or value, show no
traceback, and leave every file and folder under the test's directory exactly as it was,
each of the same type (a FIFO stays a FIFO, a link the same link).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import stat
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from dmzsim.model.params import Params
from dmzsim.runs.cli import main
from dmzsim.runs.experiment import tomlout

from tests.fake_model import tiny_config
from tests.helpers import BENT_MAP, SMALL_MAP

ROOT = Path(__file__).resolve().parent.parent
FAKE = ["--simulate", "tests.fake_model:simulate"]
Setup = Callable[[Path], tuple[list[str], str]]  # tmp dir -> (argv, text the error names)


@dataclass(frozen=True)
class Case:
    id: str
    setup: Setup


CASES: list[Case] = []


def case(id_: str) -> Callable[[Setup], Setup]:
    def register(fn: Setup) -> Setup:
        CASES.append(Case(id_, fn))
        return fn
    return register


def fixed(id_: str, argv: list[str], needle: str) -> None:
    """A case that needs no files."""
    CASES.append(Case(id_, lambda _tmp: (argv, needle)))


def snapshot(root: Path) -> dict[str, tuple[int, bytes | str | None]]:
    """Every path under ``root``: its type and a regular file's bytes (a link's target;
    None for anything else: a FIFO, a device or a socket is never read)."""
    out: dict[str, tuple[int, bytes | str | None]] = {}
    for p in sorted(root.rglob("*")):
        mode = p.lstat().st_mode
        body = (os.readlink(p) if stat.S_ISLNK(mode) else
                p.read_bytes() if stat.S_ISREG(mode) else None)
        out[str(p.relative_to(root))] = (stat.S_IFMT(mode), body)
    return out


# --- dmzsim sim: parameters on the command line ---------------------------------------------
for key, value, needle in [
    ("dmz_widht_km", "5", "unknown parameter 'dmz_widht_km'"),
    ("sequencing", "territory_frist", "parameter 'sequencing' = 'territory_frist'"),
    ("sequencing", "3", "parameter 'sequencing' = 3"),
    ("dmz_shape", "round", "parameter 'dmz_shape' = 'round'"),
    ("dmz_shape", "true", "parameter 'dmz_shape' = True"),
    ("unilateral_zone", "''", "parameter 'unilateral_zone' = ''"),
    ("unilateral_zone", "7", "parameter 'unilateral_zone' = 7"),
    ("withdrawal_days", "true", "parameter 'withdrawal_days' = True"),
    ("withdrawal_days", "14.5", "parameter 'withdrawal_days' = 14.5"),
    ("withdrawal_days", '"14"', "parameter 'withdrawal_days' = '14'"),
    ("guarantee_credibility", "true", "parameter 'guarantee_credibility' = True"),
    ("guarantee_credibility", "false", "parameter 'guarantee_credibility' = False"),
    ("guarantee_credibility", "1.5", "parameter 'guarantee_credibility' = 1.5"),
    ("guarantee_credibility", "nan", "parameter 'guarantee_credibility'"),
    ("guarantee_credibility", "[0.5]", "parameter 'guarantee_credibility' = [0.5]"),
    ("dmz_width_km", '"20"', "parameter 'dmz_width_km' = '20'"),
    ("dmz_width_km", "500", "parameter 'dmz_width_km' = 500"),
    ("dmz_width_km", "-inf", "parameter 'dmz_width_km' = -inf"),
    ("dmz_width_km", "{a = 1}", "parameter 'dmz_width_km' = {'a': 1}"),
    ("horizon_days", "0", "parameter 'horizon_days' = 0"),
    ("horizon_days", "1e9", "parameter 'horizon_days' = 1000000000.0"),
    ("cell_km", "0.1", "parameter 'cell_km' = 0.1"),
    ("", "3", "override '=3' has no parameter name"),
]:
    fixed(f"sim-set-{key or 'empty'}={value}", ["sim", "--set", f"{key}={value}"], needle)

# Every numeric parameter refuses true and a value below its range.
for row in Params.model_fields.items():
    name, field = row
    if field.annotation not in (int, float):
        continue
    fixed(f"sim-bool-{name}", ["sim", "--set", f"{name}=true"], f"parameter '{name}' = True")
for entry in __import__("dmzsim.model.params", fromlist=["x"]).parameter_table()[::3]:
    if entry["min"] is not None and entry["min"] > -1e9:
        low = entry["min"] - 1
        fixed(f"sim-below-{entry['name']}", ["sim", "--set", f"{entry['name']}={low}"],
              f"parameter '{entry['name']}' = {low}")

fixed("sim-set-no-equals", ["sim", "--set", "novalue"], "'novalue' is not of the form")
fixed("sim-seed-negative", ["sim", "--seed", "-1"], "--seed must be >= 0, got -1")
fixed("sim-series-every-alone", ["sim", "--series-every", "5"], "--series-every needs")
fixed("sim-series-every-zero", ["sim", "--series-every", "0", "--series-out", "x.parquet"],
      "--series-every must be >= 1")
fixed("sim-missing-scenario", ["sim", "nowhere.toml"], "scenario nowhere.toml")
fixed("sim-missing-map", ["sim", "--map", "nowhere_map.toml"], "nowhere_map.toml")


fixed("sim-set-twice", ["sim", "--set", "sequencing=no_deal", "--set", "sequencing=frozen_line"],
      "--set sequencing=frozen_line: parameter 'sequencing' is already set by --set "
      "sequencing=no_deal")
fixed("run-set-twice", ["run", "sequencing", "--set", "dmz_width_km=5", "--set",
                        "dmz_width_km=20", "--dry-run"],
      "--set dmz_width_km=20: parameter 'dmz_width_km' is already set by --set dmz_width_km=5")
fixed("map-set-twice", ["map", "--set", "cell_km=4", "--set", "cell_km=5"],
      "--set cell_km=5: parameter 'cell_km' is already set by --set cell_km=4")


@case("sim-scenario-bad-toml")
def _(tmp: Path):
    (tmp / "s.toml").write_text("sequencing = \n")
    return ["sim", str(tmp / "s.toml")], f"scenario {tmp / 's.toml'}: not valid TOML"


@case("sim-scenario-binary")
def _(tmp: Path):
    (tmp / "s.toml").write_bytes(b"\xff\xfe\x00bad")
    return ["sim", str(tmp / "s.toml")], f"scenario {tmp / 's.toml'}"


@case("sim-scenario-is-a-folder")
def _(tmp: Path):
    (tmp / "s.toml").mkdir()
    return ["sim", str(tmp / "s.toml")], f"scenario {tmp / 's.toml'}"


@case("sim-scenario-bool-for-number")
def _(tmp: Path):
    (tmp / "s.toml").write_text("withdrawal_days = true\n")
    return ["sim", str(tmp / "s.toml")], "parameter 'withdrawal_days' = True"


@case("sim-scenario-text-for-number")
def _(tmp: Path):
    (tmp / "s.toml").write_text('dmz_width_km = "20"\n')
    return ["sim", str(tmp / "s.toml")], "parameter 'dmz_width_km' = '20'"


@case("sim-scenario-unknown-key")
def _(tmp: Path):
    (tmp / "s.toml").write_text("credibilty = 0.5\n")
    return ["sim", str(tmp / "s.toml")], "unknown parameter 'credibilty'"


@case("sim-scenario-table")
def _(tmp: Path):
    (tmp / "s.toml").write_text("[base]\nwithdrawal_days = 3\n")
    return ["sim", str(tmp / "s.toml")], "unknown parameter 'base'"


@case("sim-series-out-is-a-folder")
def _(tmp: Path):
    (tmp / "series").mkdir()
    return (["sim", "--series-out", str(tmp / "series"), "--set", "horizon_days=2"],
            f"--series-out {tmp / 'series'}: is a folder")


@case("sim-series-out-under-a-file")
def _(tmp: Path):
    (tmp / "afile").write_text("x")
    return (["sim", "--series-out", str(tmp / "afile" / "s.parquet")],
            f"{tmp / 'afile'} is a file")


# --- output paths that are not regular files: refused before any work, left as they are ---------
def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_socket(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))  # the socket file stays after close


def make_device(path: Path) -> None:
    """A character device like /dev/full (c 1 7), as root makes it."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 7))
    except PermissionError:
        pytest.skip("mknod is not allowed here")


def make_link(path: Path) -> None:
    path.with_name("target.parquet").write_bytes(b"the link's target, kept as it is")
    path.symlink_to("target.parquet")


def make_dangling_link(path: Path) -> None:
    path.symlink_to("nowhere.parquet")


OUTPUT_KINDS = {"fifo": (make_fifo, "is a FIFO (named pipe), not a regular file"),
                "socket": (make_socket, "is a socket, not a regular file"),
                "device": (make_device, "is a character device, not a regular file"),
                "link": (make_link, "is a symbolic link to target.parquet; dmzsim does "
                                    "not write through links"),
                "dangling-link": (make_dangling_link, "is a symbolic link to nowhere"),
                "folder": (Path.mkdir, "is a folder")}
for kind, (make, needle) in OUTPUT_KINDS.items():
    def _sim_out(tmp: Path, make=make, needle: str = needle):
        make(tmp / "s.parquet")
        return ["sim", "--series-out", "s.parquet"], f"--series-out s.parquet: {needle}"

    def _diff_csv(tmp: Path, make=make, needle: str = needle):
        make(tmp / "s.parquet")
        toml = published_copy(tmp)
        return (["verify", str(toml), "--quick", "--serial", "--diff-csv", "s.parquet"],
                f"--diff-csv s.parquet: {needle}")

    def _figure(tmp: Path, make=make, needle: str = needle):
        make(tmp / "s.parquet")
        return ["map", str(SMALL_MAP), "--figure", "s.parquet"], f"--figure s.parquet: {needle}"
    CASES.append(Case(f"sim-series-out-{kind}", _sim_out))
    CASES.append(Case(f"verify-diff-csv-{kind}", _diff_csv))
    CASES.append(Case(f"map-figure-{kind}", _figure))


@case("results-out-is-a-fifo")
def _(tmp: Path):
    (tmp / "exp.toml").write_text(tomlout.dumps(tiny_config()))
    os.mkfifo(tmp / "out")
    return resume_argv(tmp, *FAKE), f"{tmp / 'out'} is a FIFO (named pipe), not a folder"


@case("results-lock-file-is-a-link")
def _(tmp: Path):
    (tmp / "exp.toml").write_text(tomlout.dumps(tiny_config()))
    (tmp / "out").mkdir()
    (tmp / "victim.txt").write_text("a lock must never truncate this")
    (tmp / "out" / ".tiny.lock").symlink_to(tmp / "victim.txt")
    return resume_argv(tmp, *FAKE), f"the lock file {tmp / 'out' / '.tiny.lock'} is a symbolic"


@case("results-lock-file-is-a-fifo")
def _(tmp: Path):
    (tmp / "exp.toml").write_text(tomlout.dumps(tiny_config()))
    (tmp / "out").mkdir()
    os.mkfifo(tmp / "out" / ".tiny.lock")
    return resume_argv(tmp, *FAKE), "is a FIFO (named pipe), not a regular file; remove it"


# --- map files (dmzsim sim --map) -------------------------------------------------------------
MAP_TEXT = SMALL_MAP.read_text()
for id_, old, new, needle in [
    ("margin-negative", "margin_km = 10.0", "margin_km = -3.0", "margin_km"),
    ("margin-text", "margin_km = 10.0", 'margin_km = "10"', "margin_km"),
    ("margin-bool", "margin_km = 10.0", "margin_km = true", "margin_km"),
    ("ua-side", 'ua_side = "west"', 'ua_side = "up"', "ua_side"),
    ("unknown-key", "margin_km = 10.0", "margin_km = 10.0\nmargn = 1", "margn"),
    ("no-name", 'name = "Synthetic small"\n', "", "name"),
    ("bad-toml", "margin_km = 10.0", "margin_km = ", "not valid TOML"),
    ("town-lat-text", "lat = 48.28", 'lat = "48.28"', "lat"),
    ("town-fortress-number", "fortress_belt = true", "fortress_belt = 1", "fortress_belt"),
    ("town-radius-negative", "radius_km = 3.0", "radius_km = -3.0", "radius_km"),
    ("zone-kind", 'kind = "held_in_oblast"', 'kind = "everything"', "kind"),
    ("outline-short", "    [48.36, 37.80],\n    [48.00, 37.80],\n", "", "outline"),
    ("line-one-point", "    [47.96, 37.40],\n", "", "points"),
]:
    def _map_case(tmp: Path, old: str = old, new: str = new, needle: str = needle):
        assert old in MAP_TEXT
        path = tmp / "bad_map.toml"
        path.write_text(MAP_TEXT.replace(old, new, 1))
        return ["sim", "--map", str(path), "--set", "horizon_days=2"], needle
    CASES.append(Case(f"map-{id_}", _map_case))


@case("map-is-a-folder")
def _(tmp: Path):
    (tmp / "m.toml").mkdir()
    return ["sim", "--map", str(tmp / "m.toml")], f"map file {tmp / 'm.toml'}: is a folder"


# A zone outside the theatre, water over the whole oblast, a continent-sized theatre: each
# map loads, and each would make every run fail, run out of memory or cede nothing.
FAR_ZONE = """
[zones.far]
kind = "polygon"
outline = [[50.0, 30.0], [50.2, 30.0], [50.2, 30.3]]
source = "a zone far outside the theatre"
"""
SEA = """
[water.sea]
kind = "impassable"
outline = [[47.5, 36.5], [48.9, 36.5], [48.9, 38.3], [47.5, 38.3]]
source = "water over the whole theatre"
"""
OBLAST = "[48.00, 37.00],\n    [48.36, 37.00],\n    [48.36, 37.80],\n    [48.00, 37.80],"
CONTINENT = "[30.0, 0.0],\n    [70.0, 0.0],\n    [70.0, 100.0],\n    [30.0, 100.0],"
MAPS = {"far": MAP_TEXT + FAR_ZONE, "wet": MAP_TEXT + SEA,
        "continent": MAP_TEXT.replace(OBLAST, CONTINENT),
        "no_zones": MAP_TEXT[:MAP_TEXT.index("[zones.unilateral]")]
        + MAP_TEXT[MAP_TEXT.index("[line_of_contact]"):]}
TOO_LARGE = "makes 3,588 x 2,222 = 7,972,536 cells of 2 km; at most 2,000,000"
NO_FRONT = "Ukraine holds no ground along the line of contact in the oblast"
CEDES_NOTHING = "zones.far covers no ground of the theatre that Ukraine holds"


def map_file(tmp: Path, kind: str) -> Path:
    assert OBLAST in MAP_TEXT and "[zones.unilateral]" in MAP_TEXT
    path = tmp / f"{kind}.toml"
    path.write_text(MAPS[kind])
    return path


for id_, kind, extra, needle in [
    ("zone-outside-theatre", "far", ["--set", "unilateral_zone=far"],
     "parameter 'unilateral_zone' = 'far': map file {map}: " + CEDES_NOTHING),
    ("zone-missing", "no_zones", [],
     "parameter 'unilateral_zone' = 'unilateral': map file {map} defines no zone 'unilateral'"),
    ("water-everywhere", "wet", [], "map file {map}: " + NO_FRONT),
    ("aims-missing", "far", ["--set", "aims_scenario=claimed"],
     "parameter 'aims_scenario' = 'claimed': map file {map} declares no aims scenario "
     "'claimed' (its scenarios: oblast"),
    ("continent", "continent", [],
     "parameter 'cell_km' = 2.0: map file {map}: its theatre, 7,176 x 4,443 km, " + TOO_LARGE),
]:
    def _sim_map_case(tmp: Path, kind: str = kind, extra: list = extra, needle: str = needle):
        path = map_file(tmp, kind)
        return (["sim", "--map", str(path), "--set", "horizon_days=2", *extra],
                needle.format(map=path))
    CASES.append(Case(f"sim-map-{id_}", _sim_map_case))


@case("map-command-continent")
def _(tmp: Path):
    path = map_file(tmp, "continent")
    return ["map", str(path)], f"map file {path}: its theatre, 7,176 x 4,443 km, " + TOO_LARGE


# --- experiment files (dmzsim run) -------------------------------------------------------------
def experiment_case(id_: str, changes: dict, needle: str, *extra: str) -> None:
    def setup(tmp: Path):
        path = tmp / "exp.toml"
        path.write_text(tomlout.dumps(tiny_config(**changes)))
        return (["run", str(path), "--out", str(tmp / "out"), "--serial", *FAKE, *extra],
                needle)
    CASES.append(Case(f"experiment-{id_}", setup))


SWEEP = {"method": "lhs", "samples": 4,
         "parameters": {"dmz_width_km": {"min": 5.0, "max": 20.0}}}
ADAPTIVE = {"replicates": "auto", "adaptive": {"target_half_width": 0.1}}
for id_, changes, needle in [
    ("name-with-dot", {"name": "a.b"}, "name = 'a.b'"),
    ("name-empty", {"name": ""}, "name = ''"),
    ("root-seed-negative", {"root_seed": -1}, "root_seed = -1"),
    ("root-seed-text", {"root_seed": "7"}, "root_seed = '7'"),
    ("replicates-zero", {"replicates": 0}, "replicates = 0"),
    ("replicates-text", {"replicates": "200"}, "replicates = '200'"),
    ("replicates-bool", {"replicates": True}, "replicates = True"),
    ("replicates-huge", {"replicates": 10**12}, "replicates = 1000000000000"),
    ("replicates-float", {"replicates": 3.0}, "replicates = 3.0"),
    ("horizon-zero", {"horizon_days": 0}, "horizon_days = 0"),
    ("unknown-top-key", {"replicate": 3}, "replicate"),
    ("base-unknown", {"base": {"credibilty": 0.5}}, "base.credibilty"),
    ("base-bool", {"base": {"withdrawal_days": True}}, "base.withdrawal_days = True"),
    ("base-text", {"base": {"dmz_width_km": "20"}}, "base.dmz_width_km = '20'"),
    ("base-range", {"base": {"dmz_width_km": 500.0}}, "base.dmz_width_km = 500.0"),
    ("base-horizon-conflict", {"base": {"horizon_days": 30}}, "base.horizon_days = 30"),
    ("arm-choice", {"arms": {"tf": {"sequencing": "territory_frist"}}},
     "arms.tf.sequencing = 'territory_frist'"),
    ("arm-bool", {"arms": {"tf": {"guarantee_delivery_prob": True}}},
     "arms.tf.guarantee_delivery_prob = True"),
    ("arm-text", {"arms": {"tf": {"dmz_width_km": "5"}}}, "arms.tf.dmz_width_km = '5'"),
    ("arm-bad-name", {"arms": {"t.f": {}}}, "t.f"),
    ("arm-not-a-table", {"arms": {"tf": 3}}, "arms.tf"),
    ("baseline-unknown", {"baseline_arm": "nope"}, "baseline_arm = 'nope'"),
    ("design-method", {"design": {"method": "random"}}, "design.method = 'random'"),
    ("design-grid-range", {"design": {"method": "grid", "parameters": {
        "dmz_width_km": {"min": 5.0, "max": 20.0}}}}, "design.parameters.dmz_width_km"),
    ("design-grid-bool", {"design": {"method": "grid", "parameters": {
        "guarantee_credibility": [0.2, True]}}},
     "design.parameters.guarantee_credibility.values[1] = True"),
    ("design-grid-text", {"design": {"method": "grid", "parameters": {
        "dmz_width_km": ["5"]}}}, "design.parameters.dmz_width_km.values[0] = '5'"),
    ("design-grid-unknown", {"design": {"method": "grid", "parameters": {
        "dmz_widht_km": [5.0]}}}, "dmz_widht_km"),
    ("design-grid-range-value", {"design": {"method": "grid", "parameters": {
        "guarantee_credibility": [2.0]}}},
     "design.parameters.guarantee_credibility.values[0] = 2.0"),
    ("design-lhs-no-samples", {"design": {**SWEEP, "samples": None}}, "design.samples"),
    ("design-lhs-samples-huge", {"design": {**SWEEP, "samples": 10**9}},
     "design.samples = 1000000000"),
    ("design-lhs-min-max", {"design": {**SWEEP, "parameters": {
        "dmz_width_km": {"min": 20.0, "max": 5.0}}}}, "min < max"),
    ("design-lhs-choice", {"design": {**SWEEP, "parameters": {
        "sequencing": {"min": 0.0, "max": 1.0}}}}, "design.parameters.sequencing"),
    ("design-sobol-n", {"design": {**SWEEP, "method": "sobol", "samples": 6}},
     "design.samples = 6: Sobol' N must be a power of 2"),
    ("design-log-min", {"design": {**SWEEP, "parameters": {
        "guarantee_credibility": {"min": 0.0, "max": 1.0, "scale": "log"}}}}, "min > 0"),
    ("design-rows-keys", {"design": {"method": "table", "rows": [
        {"dmz_width_km": 5.0}, {"guarantee_credibility": 0.2}]}}, "design.rows"),
    ("design-rows-text", {"design": {"method": "table", "rows": [{"dmz_width_km": "5"}]}},
     "design.rows[0].dmz_width_km = '5'"),
    ("design-swept-and-armed", {"arms": {"tf": {"guarantee_credibility": 0.3}}},
     "arms.tf.guarantee_credibility = 0.3"),
    ("too-many-runs", {"replicates": 100_000, "design": {**SWEEP, "samples": 1000}},
     "makes 200,000,000 runs"),
    ("auto-without-adaptive", {"replicates": "auto"}, "replicates = 'auto'"),
    ("adaptive-without-auto", {"adaptive": {"target_half_width": 0.1}}, "adaptive"),
    ("adaptive-metric-typo", {**ADAPTIVE, "adaptive": {"target_half_width": 0.1,
                                                       "metric": "resumd"}},
     "adaptive.metric = 'resumd'"),
    ("adaptive-metric-not-yes-no", {**ADAPTIVE, "adaptive": {
        "target_half_width": 0.1, "metric": "ru_losses"}}, "adaptive.metric = 'ru_losses'"),
    ("adaptive-max-huge", {**ADAPTIVE, "adaptive": {"target_half_width": 0.1,
                                                    "max_replicates": 10**8}},
     "adaptive.max_replicates = 100000000"),
    ("adaptive-initial-above-max", {**ADAPTIVE, "adaptive": {
        "target_half_width": 0.1, "initial": 60, "max_replicates": 50}}, "adaptive.initial"),
    ("adaptive-width", {**ADAPTIVE, "adaptive": {"target_half_width": 0.9}},
     "adaptive.target_half_width = 0.9"),
    ("quick-arm-unknown", {"quick": {"arms": ["nope"]}}, "quick.arms[0] = 'nope'"),
    ("quick-replicates-huge", {"quick": {"replicates": 10**9}}, "quick.replicates"),
    ("series-every-negative", {"outputs": {"series_every": -1}}, "outputs.series_every = -1"),
    ("map-missing", {"map": "nowhere_map.toml"}, "nowhere_map.toml"),
    ("map-sha-bad", {"map": str(SMALL_MAP), "map_sha256": "0" * 64}, "map_sha256"),
    ("design-file-missing", {"design": {"method": "table", "file": "nowhere.csv"}},
     "design.file = 'nowhere.csv'"),
    # the conflict rule: a parameter set in two places
    ("horizon-top-and-swept", {"design": {"method": "grid", "parameters": {
        "horizon_days": [30, 60]}}},
     "design.parameters.horizon_days = [30, 60]: 'horizon_days' is also set by "
     "horizon_days = 60; set a parameter in one place only"),
    ("base-and-arm", {"base": {"sequencing": "no_deal"}},
     "arms.tf.sequencing = 'territory_first': 'sequencing' is also set by "
     "base.sequencing = 'no_deal'"),
    ("base-and-swept", {"base": {"guarantee_credibility": 0.5}},
     "design.parameters.guarantee_credibility = [0.2, 0.8]: 'guarantee_credibility' is also "
     "set by base.guarantee_credibility = 0.5"),
    ("arm-and-table-row", {"design": {"method": "table", "rows": [
        {"sequencing": "no_deal"}]}},
     "arms.tf.sequencing = 'territory_first': 'sequencing' is also set by "
     "design.rows[0].sequencing = 'no_deal'"),
    ("quick-horizon-and-arm", {"horizon_days": None, "quick": {"horizon_days": 10},
                               "arms": {"tf": {"horizon_days": 20}}},
     "arms.tf.horizon_days = 20: 'horizon_days' is also set by quick.horizon_days = 10"),
    ("table-rows-and-file", {"design": {"method": "table", "file": "points.csv", "rows": [
        {"dmz_width_km": 5.0}]}},
     "design.file = 'points.csv': design.rows gives the table's rows too"),
    # settings nothing reads
    ("grid-samples", {"design": {"method": "grid", "samples": 4, "parameters": {
        "guarantee_credibility": [0.2, 0.8]}}},
     "design.samples = 4: not read by design method 'grid'"),
    ("lhs-second-order", {"design": {**SWEEP, "second_order": True}},
     "design.second_order = True: not read by design method 'lhs'"),
    ("sobol-levels", {"design": {**SWEEP, "method": "sobol", "levels": 6}},
     "design.levels = 6: not read by design method 'sobol'"),
    ("grid-seed", {"design": {"method": "grid", "seed": 3, "parameters": {
        "guarantee_credibility": [0.2, 0.8]}}},
     "design.seed = 3: not read by design method 'grid'"),
    ("grid-log-scale", {"design": {"method": "grid", "parameters": {
        "guarantee_credibility": {"values": [0.2, 0.8], "scale": "log"}}}},
     "design.parameters.guarantee_credibility.scale = 'log': not read"),
    ("quick-samples-grid", {"quick": {"samples": 2}},
     "quick.samples = 2: not read by design method 'grid'"),
    ("quick-max-without-auto", {"quick": {"max_replicates": 5}},
     "quick.max_replicates = 5: only read with replicates = \"auto\""),
    ("analysis-grid", {"analysis": {"sensitivity": ["resumed"]}},
     "analysis.sensitivity = ['resumed']: nothing reads it with design method 'grid'"),
    ("analysis-category", {"design": {**SWEEP, "method": "sobol", "samples": 4},
                           "analysis": {"sensitivity": ["attack_sector"]}},
     "output 'attack_sector' is a category, not a quantity"),
    # targets
    ("target-category", {"targets": {"t": {"arm": "tf", "statistic": "mean", "output":
                                           "attack_sector", "low": 0.0, "source": "s"}}},
     "targets.t.output = 'attack_sector': a category"),
    ("target-day-beyond-horizon", {"targets": {"t": {
        "arm": "tf", "statistic": "p_by_day", "output": "resumed", "day": 90.0, "low": 0.0,
        "source": "s"}}}, "targets.t.day = 90.0: beyond the horizon of 60 days"),
    ("target-day-on-mean", {"targets": {"t": {
        "arm": "tf", "statistic": "mean", "output": "ru_losses", "day": 9.0, "low": 0.0,
        "source": "s"}}}, "day = 9.0 is not read by statistic 'mean'"),
    ("target-horizon-armed", {"horizon_days": None, "arms": {
        "tf": {"sequencing": "territory_first", "horizon_days": 30},
        "gf": {"sequencing": "guarantees_first"}},
        "targets": {"t": {"arm": "tf", "statistic": "mean", "output": "ru_losses",
                          "low": 0.0, "source": "s"}}},
     "arms.tf.horizon_days = 30: an experiment with [targets] runs every run to one "
     "horizon"),
]:
    experiment_case(id_, changes, needle)


# TOML's nan and inf: a target range of nan, or a tolerance of inf, would pass anything
for id_, line, needle in [("low-nan", "low = nan", "targets.t.low = nan"),
                          ("high-nan", "low = 0.0\nhigh = nan", "targets.t.high = nan"),
                          ("tolerance-inf", "low = 0.0\ntolerance = inf",
                           "targets.t.tolerance = inf")]:
    def _target_case(tmp: Path, line: str = line, needle: str = needle):
        path = tmp / "exp.toml"
        path.write_text(tomlout.dumps(tiny_config()) + "\n[targets.t]\narm = \"tf\"\n"
                        f"statistic = \"mean\"\noutput = \"ru_losses\"\n{line}\n"
                        "source = \"s\"\n")
        return ["run", str(path), "--out", str(tmp / "out"), "--serial", *FAKE], needle
    CASES.append(Case(f"experiment-target-{id_}", _target_case))


# the map of every arm and design point, checked before the folder exists
for id_, kind, changes, needle in [
    ("zone-missing", "no_zones", {},
     "unilateral_zone = 'unilateral' (the default): map file {map} defines no zone "
     "'unilateral'"),
    ("arm-zone-cedes-nothing", "far", {"arms": {"tf": {"unilateral_zone": "far"}}},
     "arms.tf.unilateral_zone = 'far': map file {map}: " + CEDES_NOTHING),
    ("design-zone-missing", "far", {"design": {"method": "grid", "parameters": {
        "unilateral_zone": ["unilateral", "nope"]}}},
     "design.parameters.unilateral_zone = ['unilateral', 'nope']: map file {map} defines "
     "no zone 'nope'"),
    ("water-everywhere", "wet", {}, "map = 'wet.toml': map file {map}: " + NO_FRONT),
    ("continent", "continent", {},
     "cell_km = 2.0 (the default): map file {map}: its theatre"),
]:
    def _exp_map_case(tmp: Path, kind: str = kind, changes: dict = changes,
                      needle: str = needle):
        path = map_file(tmp, kind)
        (tmp / "exp.toml").write_text(tomlout.dumps(tiny_config(
            map=path.name, **changes)))
        return (["run", str(tmp / "exp.toml"), "--out", str(tmp / "out"), "--serial", *FAKE],
                needle.format(map=path))
    CASES.append(Case(f"experiment-map-{id_}", _exp_map_case))

experiment_case("quick-without-table", {}, "--quick needs a [quick] table", "--quick")


# a CSV design: each cell is read and checked as --set reads a value, naming its line
for id_, csv_text, needle in [
    ("bad-cell", "dmz_width_km\n5.0\n500\n",
     "design.file = 'points.csv': line 3: parameter 'dmz_width_km' = 500"),
    ("text-cell", "withdrawal_days\nseven\n", "line 2: parameter 'withdrawal_days' = 'seven'"),
    ("unknown-column", "dmz_widht_km\n5.0\n", "unknown parameter 'dmz_widht_km'"),
    ("empty-cell", "dmz_width_km,withdrawal_days\n5.0,\n", "line 2: empty cell for"),
    ("ragged-row", "dmz_width_km\n5.0,7\n", "line 2: the row's cells do not match"),
    ("empty", "", "points.csv: no rows (the file is empty or has a header only)"),
    ("header-only", "dmz_width_km\n", "points.csv: no rows"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "points.csv: not a text file (not UTF-8)"),
    ("column-twice", "dmz_width_km,dmz_width_km\n5.0,7.0\n",
     "line 1: column 'dmz_width_km' is named twice"),
]:
    def _csv_case(tmp: Path, csv_text: str | bytes = csv_text, needle: str = needle):
        if isinstance(csv_text, bytes):
            (tmp / "points.csv").write_bytes(csv_text)
        else:
            (tmp / "points.csv").write_text(csv_text)
        path = tmp / "exp.toml"
        path.write_text(tomlout.dumps(tiny_config(
            design={"method": "table", "file": "points.csv"})))
        return ["run", str(path), "--out", str(tmp / "out"), "--serial", *FAKE], needle
    CASES.append(Case(f"experiment-csv-{id_}", _csv_case))


@case("experiment-missing-file")
def _(tmp: Path):
    return ["run", str(tmp / "no.toml"), "--out", str(tmp)], f"experiment {tmp / 'no.toml'}"


@case("experiment-is-a-folder")
def _(tmp: Path):
    (tmp / "e.toml").mkdir()
    return ["run", str(tmp / "e.toml"), "--out", str(tmp)], f"experiment {tmp / 'e.toml'}"


@case("experiment-bad-toml")
def _(tmp: Path):
    (tmp / "e.toml").write_text("name = 'x\n")
    return ["run", str(tmp / "e.toml"), "--out", str(tmp)], "not valid TOML"


@case("experiment-binary")
def _(tmp: Path):
    (tmp / "e.toml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    return ["run", str(tmp / "e.toml"), "--out", str(tmp)], f"experiment {tmp / 'e.toml'}"


@case("experiment-map-broken")
def _(tmp: Path):
    (tmp / "m.toml").write_text(MAP_TEXT.replace("margin_km = 10.0", "margin_km = -1.0"))
    (tmp / "e.toml").write_text(tomlout.dumps(tiny_config(map="m.toml")))
    return ["run", str(tmp / "e.toml"), "--out", str(tmp / "out")], "margin_km"


# --- options of dmzsim run ---------------------------------------------------------------------
def run_option_case(id_: str, extra: list[str], needle: str) -> None:
    def setup(tmp: Path):
        path = tmp / "exp.toml"
        path.write_text(tomlout.dumps(tiny_config()))
        return ["run", str(path), "--out", str(tmp / "out"), *extra], needle
    CASES.append(Case(f"run-option-{id_}", setup))


run_option_case("workers-zero", ["--workers", "0"], "workers must be >= 1, got 0")
run_option_case("set-a-swept-parameter", ["--set", "guarantee_credibility=0.5", *FAKE],
                "--set guarantee_credibility=0.5: 'guarantee_credibility' is also set by "
                "design.parameters.guarantee_credibility = [0.2, 0.8]")
run_option_case("set-an-arm-parameter", ["--set", "sequencing=no_deal", *FAKE],
                "--set sequencing=no_deal: 'sequencing' is also set by "
                "arms.tf.sequencing = 'territory_first'")
run_option_case("serial-and-workers", ["--serial", "--workers", "2"], "serial runs one run")
run_option_case("simulate-missing", ["--simulate", "tests.fake_model:nope"],
                "simulate function 'tests.fake_model:nope'")
run_option_case("simulate-no-module", ["--simulate", "no_such_module_x:f"],
                "simulate function 'no_such_module_x:f'")


# --- results folders ---------------------------------------------------------------------------
def finished_folder(tmp: Path, **changes) -> Path:
    """A finished tiny experiment in tmp/out/tiny (made before the snapshot)."""
    path = tmp / "exp.toml"
    path.write_text(tomlout.dumps(tiny_config(**changes)))
    assert main(["run", str(path), "--out", str(tmp / "out"), "--serial", "--no-progress",
                 "--no-report", *FAKE]) == 0
    return tmp / "out" / "tiny"


def resume_argv(tmp: Path, *extra: str) -> list[str]:
    return ["run", str(tmp / "exp.toml"), "--out", str(tmp / "out"), "--serial",
            "--resume", "--no-progress", *extra]


@case("results-out-is-a-file")
def _(tmp: Path):
    (tmp / "exp.toml").write_text(tomlout.dumps(tiny_config()))
    (tmp / "out").write_text("x")
    return resume_argv(tmp, *FAKE), f"{tmp / 'out'} is a file"


@case("results-folder-is-a-file")
def _(tmp: Path):
    (tmp / "exp.toml").write_text(tomlout.dumps(tiny_config()))
    (tmp / "out").mkdir()
    (tmp / "out" / "tiny").write_text("x")
    return resume_argv(tmp, *FAKE), f"{tmp / 'out' / 'tiny'} is a file"


@case("results-resume-other-config")
def _(tmp: Path):
    finished_folder(tmp)
    (tmp / "exp.toml").write_text(tomlout.dumps(tiny_config(root_seed=8)))
    return resume_argv(tmp, *FAKE), "root_seed: 7 -> 8"


@case("results-resume-other-simulate")
def _(tmp: Path):
    finished_folder(tmp)
    return (resume_argv(tmp, "--simulate", "tests.fake_model:simulate_slow"),
            "simulate: tests.fake_model:simulate -> tests.fake_model:simulate_slow")


@case("results-resume-real-model-into-fake")
def _(tmp: Path):
    finished_folder(tmp)
    return resume_argv(tmp), "simulate: tests.fake_model:simulate -> dmzsim.model.api:simulate"


@case("results-resume-corrupt-manifest")
def _(tmp: Path):
    folder = finished_folder(tmp)
    (folder / "manifest.json").write_text("{not json")
    return resume_argv(tmp, *FAKE), f"{folder / 'manifest.json'} cannot be read"


@case("results-resume-manifest-not-object")
def _(tmp: Path):
    folder = finished_folder(tmp)
    (folder / "manifest.json").write_text("[1, 2]")
    return resume_argv(tmp, *FAKE), f"{folder / 'manifest.json'} is not a manifest"


@case("results-resume-no-manifest")
def _(tmp: Path):
    folder = finished_folder(tmp)
    (folder / "manifest.json").unlink()
    return resume_argv(tmp, *FAKE), f"{folder} holds runs but no manifest.json"


@case("results-not-moved-by-a-bad-zone")
def _(tmp: Path):
    finished_folder(tmp)  # a fresh run would move it to tiny.prev
    path = map_file(tmp, "no_zones")
    (tmp / "exp.toml").write_text(tomlout.dumps(tiny_config(map=path.name)))
    return (["run", str(tmp / "exp.toml"), "--out", str(tmp / "out"), "--serial", *FAKE],
            f"map file {path} defines no zone 'unilateral'")


@case("validate-from-a-folder-without-targets")
def _(tmp: Path):
    folder = finished_folder(tmp)
    return (["validate", "--from", str(folder)],
            f"--from {folder}: its experiment 'tiny' names no [targets]")


@case("validate-from-a-folder-of-another-experiment")
def _(tmp: Path):
    folder = finished_folder(tmp)
    return (["validate", str(ROOT / "runs" / "validation.toml"), "--from", str(folder)],
            f"--from {folder}: its runs were made with another config")


@case("report-missing-folder")
def _(tmp: Path):
    return ["report", str(tmp / "nowhere")], f"{tmp / 'nowhere'} is not a folder"


@case("report-empty-folder")
def _(tmp: Path):
    (tmp / "empty").mkdir()
    return ["report", str(tmp / "empty")], f"{tmp / 'empty'} is not an experiment folder"


@case("report-on-a-file")
def _(tmp: Path):
    (tmp / "f").write_text("x")
    return ["report", str(tmp / "f")], f"{tmp / 'f'} is not a folder"


@case("report-negative-workers")
def _(tmp: Path):
    folder = finished_folder(tmp)
    return (["report", str(folder), "--workers", "-1"],
            "--workers must be >= 0 (0: this process draws the figures), got -1")


@case("report-corrupt-config")
def _(tmp: Path):
    folder = finished_folder(tmp)
    (folder / "experiment.toml").write_text("name = \n")
    return ["report", str(folder)], f"{folder / 'experiment.toml'} cannot be read"


@case("report-corrupt-manifest")
def _(tmp: Path):
    folder = finished_folder(tmp)
    (folder / "manifest.json").write_text("{")
    return ["report", str(folder)], f"{folder / 'manifest.json'} cannot be read"


@case("report-no-design")
def _(tmp: Path):
    folder = finished_folder(tmp)
    (folder / "design.json").unlink()
    return ["report", str(folder)], f"{folder / 'design.json'} cannot be read"


# --- references (dmzsim verify) ---------------------------------------------------------------
def published_copy(tmp: Path) -> Path:
    """runs/sequencing.toml and its reference, copied (so damage stays in tmp)."""
    shutil.copy(ROOT / "runs" / "sequencing.toml", tmp / "sequencing.toml")
    shutil.copytree(ROOT / "runs" / "reference" / "sequencing",
                    tmp / "reference" / "sequencing")
    return tmp / "sequencing.toml"


for id_, file, damage in [("manifest", "manifest.json", "{"),
                          ("info", "reference.json", "not json"),
                          ("info-not-object", "reference.json", "[]"),
                          ("runs", "runs.parquet", "PAR1 truncated")]:
    def _verify_case(tmp: Path, file: str = file, damage: str = damage):
        toml = published_copy(tmp)
        (tmp / "reference" / "sequencing" / file).write_text(damage)
        return ["verify", str(toml), "--quick", "--serial"], f"{tmp / 'reference' / 'sequencing'}"
    CASES.append(Case(f"verify-corrupt-{id_}", _verify_case))


@case("verify-reference-config-edited")
def _(tmp: Path):
    toml = published_copy(tmp)
    config = tmp / "reference" / "sequencing" / "experiment.toml"
    config.write_text(config.read_text().replace("replicates = ", "replicates = 1", 1))
    return (["verify", str(toml), "--quick", "--serial"],
            f"{config} is not the config the runs were made with")


@case("verify-reference-manifest-hash-edited")
def _(tmp: Path):
    toml = published_copy(tmp)
    manifest = tmp / "reference" / "sequencing" / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "config_hash": "f" * 64}))
    return (["verify", str(toml), "--quick", "--serial"], "manifest.json records ffffffffffff "
            "(one of the two was changed after the runs); restore the reference from git")


@case("verify-no-reference")
def _(tmp: Path):
    toml = published_copy(tmp)
    shutil.rmtree(tmp / "reference")
    return ["verify", str(toml), "--quick", "--serial"], "no reference at"


@case("verify-reference-names-a-module")
def _(tmp: Path):
    toml = published_copy(tmp)
    info = tmp / "reference" / "sequencing" / "reference.json"
    data = json.loads(info.read_text())
    info.write_text(json.dumps({**data, "simulate": "os:system"}))
    return ["verify", str(toml), "--quick", "--serial"], "simulate function 'os:system'"


# --- calibration files (dmzsim calibrate) ----------------------------------------------------
CALIBRATED = {**tiny_config(), "arms": {"tf": {"sequencing": "territory_first"}},
              "targets": {"t": {"arm": "tf", "statistic": "mean", "output": "ru_losses",
                                "low": 0.0, "source": "s"}}}
for id_, changes, text, needle in [
    ("parameter-set-by-an-arm", {"arms": {"tf": {"attrition_rate_per_day": 0.01}}}, "",
     "searched parameter attrition_rate_per_day=0.002: 'attrition_rate_per_day' is also "
     "set by arms.tf.attrition_rate_per_day = 0.01"),
    ("parameter-swept", {"design": {"method": "grid", "parameters": {
        "attrition_rate_per_day": [0.01, 0.02]}}}, "",
     "'attrition_rate_per_day' is also set by design.parameters.attrition_rate_per_day"),
    ("target-twice", {}, 'targets = ["t", "t"]', "targets: 't' is named twice"),
    ("arms-leave-out-a-target-arm", {"arms": {"tf": {"sequencing": "territory_first"},
                                              "gf": {"sequencing": "guarantees_first"}}},
     'arms = ["gf"]', "leaves out 'tf', an arm the targets read"),
    ("unknown-key", {}, "trails = 3", "trails"),
]:
    def _calibration_case(tmp: Path, changes: dict = changes, text: str = text,
                          needle: str = needle):
        (tmp / "exp.toml").write_text(tomlout.dumps({**CALIBRATED, **changes}))
        path = tmp / "cal.toml"
        path.write_text(f'name = "fit"\nexperiment = "exp.toml"\ntrials = 2\nseed = 1\n{text}\n'
                        "[parameters.attrition_rate_per_day]\nmin = 0.002\nmax = 0.03\n")
        return ["calibrate", str(path), "--out", str(tmp / "out")], needle
    CASES.append(Case(f"calibration-{id_}", _calibration_case))


# --- the visual run (dmzsim viz): its inputs checked before the server starts ----------------
fixed("viz-port", ["viz", "--port", "0"], "--port must be 1..65535, got 0")


@case("viz-scenario-unknown-key")
def _(tmp: Path):
    (tmp / "s.toml").write_text("credibilty = 0.5\n")
    return ["viz", "--scenario", str(tmp / "s.toml")], "unknown parameter 'credibilty'"


@case("viz-scenario-bad-experiment")
def _(tmp: Path):
    (tmp / "e.toml").write_text(tomlout.dumps(tiny_config(replicate=3)))
    return ["viz", "--scenario", str(tmp / "e.toml")], f"experiment {tmp / 'e.toml'}"


@case("viz-scenario-zone-not-on-the-map")
def _(tmp: Path):
    (tmp / "s.toml").write_text('unilateral_zone = "north_half"\n')
    return (["viz", "--scenario", str(tmp / "s.toml")],
            "unilateral_zone = 'north_half': map file")


@case("viz-scenario-on-another-map")
def _(tmp: Path):
    (tmp / "e.toml").write_text(tomlout.dumps(tiny_config(map=str(BENT_MAP))))
    return (["viz", "--scenario", str(tmp / "e.toml"), "--map", str(SMALL_MAP)],
            "its experiment runs on the map")


@case("viz-map-continent")
def _(tmp: Path):
    return ["viz", "--map", str(map_file(tmp, "continent"))], TOO_LARGE


# ------------------------------------------------------------------------------------------------
# --- levers, uncertainties and robustness (dmzsim robust): refused before anything runs ------
ROBUST = {"name": "rob", "root_seed": 7, "replicates": 2, "horizon_days": 60,
          "levers": {"policies": {"tf": {"sequencing": "territory_first"},
                                  "gf": {"sequencing": "guarantees_first"}}},
          "uncertainties": {"sampler": "lhs", "samples": 4, "parameters": {
              "guarantee_credibility": {"min": 0.1, "max": 0.9}}}}


def robust_case(id_: str, changes: dict, needle: str) -> None:
    def setup(tmp: Path, changes: dict = changes, needle: str = needle):
        path = tmp / "exp.toml"
        config = {k: v for k, v in {**ROBUST, **changes}.items() if v is not None}
        path.write_text(tomlout.dumps(config))
        return (["robust", str(path), "--out", str(tmp / "out"), "--serial", *FAKE],
                f"experiment {path}: {needle}")
    CASES.append(Case(f"robust-{id_}", setup))


UNCERTAIN = ROBUST["uncertainties"]
for id_, changes, needle in [
    ("unknown-lever", {"levers": {"policies": {"a": {"sequencig": "frozen_line"}}}},
     "levers.policies.a.sequencig = 'frozen_line': unknown model parameter; did you mean "
     "'sequencing'?"),
    ("bad-lever-value", {"levers": {"grid": {"dmz_width_km": [5.0, 500.0]}}},
     "levers.grid.dmz_width_km[1] = 500.0"),
    ("unknown-uncertainty", {"uncertainties": {**UNCERTAIN, "parameters": {
        "regen": {"min": 0.1, "max": 0.9}}}},
     "uncertainties.parameters.regen = {'min': 0.1, 'max': 0.9}: unknown model parameter"),
    ("lever-also-uncertainty", {"uncertainties": {**UNCERTAIN, "parameters": {
        "sequencing": ["frozen_line", "territory_first"]}}},
     "uncertainties.parameters.sequencing = '{...}': 'sequencing' is also a lever"),
    ("empty-range", {"uncertainties": {**UNCERTAIN, "parameters": {
        "guarantee_credibility": {"min": 0.5, "max": 0.5}}}},
     "uncertainties.parameters.guarantee_credibility = {'min': 0.5, 'max': 0.5}: "
     "Value error, an empty range"),
    ("range-out-of-bounds", {"uncertainties": {**UNCERTAIN, "parameters": {
        "guarantee_credibility": {"min": 0.5, "max": 3.0}}}},
     "uncertainties.parameters.guarantee_credibility.max = 3.0"),
    ("no-such-sampler", {"uncertainties": {**UNCERTAIN, "sampler": "latin"}},
     "uncertainties.sampler = 'latin'"),
    ("sampler-without-samples", {"uncertainties": {"sampler": "lhs", "parameters": {
        "guarantee_credibility": {"min": 0.1, "max": 0.9}}}},
     "uncertainties.samples = None: 'lhs' needs samples"),
    ("sobol-with-named-values", {"uncertainties": {"sampler": "sobol", "samples": 4,
                                                   "parameters": {"dmz_shape": ["mirrored"]}}},
     "uncertainties.parameters.dmz_shape = ['mirrored']: sampler 'sobol' needs ranges"),
    ("threshold-unknown-output", {"robustness": {"thresholds": ["p_resumed <= 0.1"]}},
     "robustness.thresholds[0] = 'p_resumed <= 0.1': unknown output 'p_resumed'"),
    ("threshold-not-a-comparison", {"robustness": {"thresholds": ["p_resumption ~ 0.1"]}},
     "robustness.thresholds = ['p_resumption ~ 0.1']: Value error"),
    ("rank-by-unknown-output", {"robustness": {"rank_by": ["safety"]}},
     "robustness.rank_by[0] = 'safety': unknown output"),
    ("levers-without-uncertainties", {"uncertainties": None},
     "uncertainties = None: a robust experiment needs both"),
    ("levers-and-arms", {"arms": {"x": {"sequencing": "no_deal"}}},
     "arms = ['x']: [levers] gives the policies as arms"),
    ("baseline-world-beyond", {"robustness": {"baseline_world": 4}},
     "robustness.baseline_world = 4: there are 4 worlds"),
]:
    robust_case(id_, changes, needle)


def test_the_battery_is_large_and_its_cases_distinct() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 100


# Cases with several faults at once: each is reported, one line each.
SEVERAL_FAULTS = {"experiment-design-lhs-choice"}


@pytest.mark.parametrize("bad", CASES, ids=lambda c: c.id)
def test_a_bad_input_is_a_clean_error_that_changes_nothing(
        bad: Case, tmp_path: Path, capsys: pytest.CaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # relative names resolve here, and nothing lands elsewhere
    argv, needle = bad.setup(tmp_path)
    capsys.readouterr()
    before = snapshot(tmp_path)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert needle in err, err
    assert "Traceback" not in err
    assert err.startswith(f"dmzsim {argv[0]}: error: "), err
    assert err.count("\n") == 1 or bad.id in SEVERAL_FAULTS, err  # one line
    assert snapshot(tmp_path) == before


# --- outputs that cannot be written: refused before the work ------------------------------------
@contextmanager
def made_read_only(folder: Path) -> Iterator[Path]:
    """``folder`` taking no new file for the block, root included (root ignores the mode
    bits, so it is also made immutable: chattr +i)."""
    folder.chmod(0o555)
    immutable = os.geteuid() == 0
    try:
        if immutable and subprocess.run(["chattr", "+i", str(folder)],
                                        capture_output=True).returncode != 0:
            pytest.skip("root here cannot make a folder read-only (no chattr +i)")
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
        folder.chmod(0o755)


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "ro").mkdir()
    with made_read_only(tmp_path / "ro") as folder:
        yield folder


def test_a_read_only_series_out_is_refused_before_the_run(
        read_only: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def no_run(*args, **kwargs):
        raise AssertionError("the model ran before the output was checked")
    monkeypatch.setattr("dmzsim.runs.cli.sim.simulate", no_run)
    for target in (read_only / "s.parquet", read_only / "below" / "s.parquet"):
        assert main(["sim", "--series-out", str(target)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"dmzsim sim: error: --series-out {target}: cannot be "
                              f"written: {read_only} takes no new file"), err
        assert "Traceback" not in err and err.count("\n") == 1
    assert list(read_only.iterdir()) == []


def test_a_read_only_results_folder_is_refused_before_anything_moves(
        read_only: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "exp.toml"
    path.write_text(tomlout.dumps(tiny_config()))
    argv = ["run", str(path), "--serial", "--no-progress", "--no-report", *FAKE]
    assert main([*argv, "--out", str(read_only)]) == 2  # no lock file can be made there
    err = capsys.readouterr().err
    assert f"{read_only} cannot be written" in err and "Traceback" not in err, err
    out = tmp_path / "out"
    assert main([*argv, "--out", str(out)]) == 0
    capsys.readouterr()
    before = snapshot(out)
    with made_read_only(out / "tiny" / "runs"):
        assert main([*argv, "--out", str(out), "--resume", "--replicates", "3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"dmzsim run: error: {out / 'tiny' / 'runs'}: cannot be written"), err
    assert "Traceback" not in err and err.count("\n") == 1
    assert snapshot(out) == before


def test_a_write_that_fails_is_one_error_naming_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dmzsim.common import files

    target = tmp_path / "kept.txt"
    target.write_text("as it was")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(files.OutputError) as caught:
        files.write_text_atomic("new", target)
    assert str(caught.value) == f"{target}: cannot be written (No space left on device)"
    assert caught.value.errno == errno.ENOSPC
    assert [p.name for p in tmp_path.iterdir()] == ["kept.txt"]
    assert target.read_text() == "as it was"
