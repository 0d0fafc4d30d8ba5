"""An experiment's own map: the ``map`` key, its checks, its hash, its runs and its analysis."""

from __future__ import annotations

import hashlib
import json
import shutil
import tomllib
from pathlib import Path

import pytest
from dmzsim.analysis.loader import load_experiment
from dmzsim.analysis.provenance import config_hash_of
from dmzsim.model.params import Params
from dmzsim.runs import experiment
from dmzsim.runs.cli import main
from dmzsim.runs.experiment.config import ExperimentError
from dmzsim.runs.experiment.design import build_design
from dmzsim.runs.sweep import build_task, param_types, run_experiment
from dmzsim.runs.sweep.executors import ExecutorSpec

from tests import fake_model
from tests.helpers import ROOT, SMALL_MAP

# The config hashes of the published experiments, computed before the ``map`` key existed.
# An experiment that names no map must keep its hash (and so its results folder and its
# reference). A deliberate change to one of these files or to a parameter default moves
# its hash: update it here in the same commit as the new reference (dmzsim publish).
# The config hash of each published experiment, as its reference records it: adding the
# optional map key must not have changed the hash of an experiment that names no map.
PUBLISHED_HASHES = {
    name: json.loads((ROOT / "runs" / "reference" / name / "reference.json").read_text())[
        "config_hash"]
    for name in ("dmz_design", "guarantee_delay", "regeneration", "sensitivity", "sequencing")
}

ON_MAP = """\
name = "on_map"
root_seed = 4
horizon_days = 60
replicates = 2
map = "maps/small.toml"

[arms.frozen_line]
sequencing = "frozen_line"

[arms.no_deal]
sequencing = "no_deal"
"""


def write_experiment(folder: Path, text: str = ON_MAP) -> Path:
    """``folder/on_map.toml`` naming ``maps/small.toml`` (a copy of the synthetic map)."""
    (folder / "maps").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SMALL_MAP, folder / "maps" / "small.toml")
    path = folder / "on_map.toml"
    path.write_text(text)
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ExperimentError) as info:
        experiment.load(path)
    return str(info.value)


# --- the config ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(PUBLISHED_HASHES))
def test_experiments_without_a_map_keep_their_config_hash(name: str) -> None:
    """... up to parameters added since the reference, at their defaults (a new
    parameter is spelled out in every resolved config; at its default it changes no
    run, and the reference's hash moves when it is next published)."""
    exp = experiment.load(ROOT / "runs" / f"{name}.toml")
    assert "map" not in exp.resolved and "map_sha256" not in exp.resolved
    assert exp.map_file is None
    saved = tomllib.loads((ROOT / "runs" / "reference" / name / "experiment.toml").read_text())
    added = set(exp.resolved["base"]) - set(saved["base"])
    defaults = Params.model_fields
    assert all(exp.resolved["base"][k] == defaults[k].default for k in added)
    base = {k: v for k, v in exp.resolved["base"].items() if k not in added}
    assert config_hash_of({**exp.resolved, "base": base}) == PUBLISHED_HASHES[name]


def test_map_is_read_relative_to_the_experiment_file(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_experiment(tmp_path / "study")
    monkeypatch.chdir(tmp_path)  # not the experiment's folder
    exp = experiment.load(Path("study") / "on_map.toml")
    digest = hashlib.sha256(SMALL_MAP.read_bytes()).hexdigest()
    assert exp.map_file == (path.parent / "maps" / "small.toml").resolve()
    assert exp.resolved["map"] == "maps/small.toml"
    assert exp.resolved["map_sha256"] == digest
    assert "map = \"maps/small.toml\"" in exp.to_toml()


def test_a_changed_map_file_is_a_changed_config(tmp_path: Path) -> None:
    path = write_experiment(tmp_path)
    before = experiment.load(path)
    map_file = tmp_path / "maps" / "small.toml"
    map_file.write_text(map_file.read_text().replace("Northfort", "Northgate"))
    after = experiment.load(path)
    assert after.config_hash != before.config_hash
    assert after.resolved["map_sha256"] != before.resolved["map_sha256"]


def test_resolved_config_round_trips_with_the_same_hash(tmp_path: Path) -> None:
    exp = experiment.load(write_experiment(tmp_path))
    again = tmp_path / "resolved.toml"  # next to the experiment file: the map path holds
    again.write_text(exp.to_toml())
    assert experiment.load(again).config_hash == exp.config_hash


@pytest.mark.parametrize(("map_line", "needle"), [
    ('map = "maps/nowhere.toml"',
     "map = 'maps/nowhere.toml': map file {dir}/maps/nowhere.toml: file not found"),
    ('map = "maps/bad.toml"',
     "map = 'maps/bad.toml': map file {dir}/maps/bad.toml: towns[0].lat = 95.0: "),
    ('map = "maps/broken.toml"', "map = 'maps/broken.toml': map file {dir}/maps/broken.toml: "
     "not valid TOML"),
    ('map_sha256 = "' + "0" * 64 + '"', "map_sha256 = '" + "0" * 64 + "': needs a map key"),
])
def test_a_bad_map_is_an_error_naming_the_key(tmp_path: Path, map_line: str,
                                               needle: str) -> None:
    path = write_experiment(tmp_path, ON_MAP.replace('map = "maps/small.toml"', map_line))
    small = (tmp_path / "maps" / "small.toml").read_text()
    (tmp_path / "maps" / "bad.toml").write_text(small.replace("lat = 48.28", "lat = 95.0"))
    (tmp_path / "maps" / "broken.toml").write_text("[map\n")
    msg = error_of(path)
    assert msg.startswith(f"experiment {path}: ")
    assert needle.format(dir=tmp_path) in msg


def test_map_sha256_pins_the_map_content(tmp_path: Path) -> None:
    line = 'map = "maps/small.toml"\n'
    pinned = ON_MAP.replace(line, f'{line}map_sha256 = "{"1" * 64}"\n')
    path = write_experiment(tmp_path, pinned)
    assert f"map_sha256 = '{'1' * 64}': the map file " in error_of(path)
    digest = hashlib.sha256(SMALL_MAP.read_bytes()).hexdigest()
    path.write_text(ON_MAP.replace(line, f'{line}map_sha256 = "{digest}"\n'))
    assert experiment.load(path).resolved["map_sha256"] == digest


def test_an_unknown_map_key_suggests_map(tmp_path: Path) -> None:
    path = write_experiment(tmp_path, ON_MAP.replace("map =", "map_path ="))
    assert "map_path = 'maps/small.toml': unknown key; did you mean 'map'?" in error_of(path)


# --- runs ------------------------------------------------------------------------------------
def test_every_run_of_the_experiment_uses_its_map(tmp_path: Path) -> None:
    exp = experiment.load(write_experiment(tmp_path))
    design = build_design(exp.spec.design, param_types())
    tasks = [build_task(exp, design, arm, 0, rep) for arm in exp.arm_names for rep in (0, 1)]
    assert {t.map_path for t in tasks} == {str(exp.map_file)}
    plain = experiment.from_dict({"name": "plain", "root_seed": 4, "replicates": 1})
    assert build_task(plain, build_design(plain.spec.design, param_types()), "base", 0,
                      0).map_path is None


def test_an_experiment_on_its_own_map_runs_and_differs_from_the_default_map(
        tmp_path: Path) -> None:
    path = write_experiment(tmp_path)
    own = experiment.load(path)
    default = experiment.load(path.parent / write_default(path))
    folders = []
    for exp in (own, default):
        report = run_experiment(exp, tmp_path / "out", executor=ExecutorSpec("serial"),
                                progress=False, argv=["test"])
        assert (report.status, report.failed) == ("completed", 0)
        folders.append(report.folder)
    on_map, on_default = (load_experiment(f).summary for f in folders)
    assert on_map["ua_area_km2_end"].max() < 5_000 < on_default["ua_area_km2_end"].min()
    copy = folders[0] / "map.toml"
    assert copy.read_bytes() == SMALL_MAP.read_bytes()
    manifest = json.loads((folders[0] / "manifest.json").read_text())
    assert manifest["map"]["sha256"] == own.resolved["map_sha256"]
    assert "map" not in json.loads((folders[1] / "manifest.json").read_text())
    assert load_experiment(folders[0]).map_path == copy
    assert load_experiment(folders[1]).map_path is None


def write_default(path: Path) -> str:
    """The same experiment without its map key, under another name; returns the file name."""
    text = path.read_text().replace('map = "maps/small.toml"\n', "").replace(
        'name = "on_map"', 'name = "on_default"')
    path.with_name("on_default.toml").write_text(text)
    return "on_default.toml"


# --- analysis and verify ---------------------------------------------------------------------
def test_report_and_key_figure_use_the_experiments_map(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    from dmzsim.analysis import figures
    from dmzsim.analysis.report.build import write_report
    from dmzsim.analysis.report.key_figure import key_figure
    from PIL import Image

    exp = experiment.load(write_experiment(tmp_path))
    report = run_experiment(exp, tmp_path / "out", executor=ExecutorSpec("serial"),
                            simulate=fake_model.simulate, progress=False, argv=["test"])
    drawn: list[object] = []
    real_load = figures._load_map
    monkeypatch.setattr(figures, "_load_map", lambda p: drawn.append(p) or real_load(p))
    md = write_report(report.folder).read_text()
    assert drawn == [report.folder / "map.toml"]  # the attack map's outline
    assert "the experiment's own map, `maps/small.toml`" in md
    png = key_figure(load_experiment(report.folder), tmp_path / "key.png")
    assert "map=small.toml" in Image.open(png).text["Description"]


def test_verify_reruns_with_the_experiments_map(tmp_path: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    runs = tmp_path / "runs"
    path = write_experiment(runs)
    (tmp_path / "README.md").write_text("# project\n")
    assert main(["publish", str(path), "--serial", "--no-progress",
                 "--out", str(tmp_path / "results")]) == 0
    assert main(["verify", str(path), "--quick", "--serial", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "on_map: OK: 4 runs reproduce the reference, bit-identical" in out
