"""Experiment configs: strict validation with key paths, designs, resolution, published files."""

from __future__ import annotations

import re
import tomllib
import typing
from pathlib import Path

import numpy as np
import pytest
from dmzsim.model.params import SEQUENCING_ARMS
from dmzsim.runs import experiment
from dmzsim.runs.experiment.config import ExperimentError
from dmzsim.runs.experiment.design import build_design
from dmzsim.runs.sweep import param_types

from tests.fake_model import tiny_config

RUNS = Path(__file__).resolve().parent.parent / "runs"
PUBLISHED = ["sequencing", "guarantee_delay", "dmz_design", "regeneration", "sensitivity"]


def error_of(config: dict, **kwargs: object) -> str:
    with pytest.raises(ExperimentError) as info:
        experiment.from_dict(config, source="runs/x.toml", **kwargs)
    return str(info.value)


# --- strict errors --------------------------------------------------------------------------
def test_bad_arm_value_names_the_key_path_and_value() -> None:
    cfg = tiny_config(arms={"tf": {"sequencing": "territory_frist"}})
    msg = error_of(cfg)
    assert msg.startswith("experiment runs/x.toml: arms.tf.sequencing = 'territory_frist': ")
    assert "territory_first" in msg  # the allowed values are listed


def test_typo_in_top_level_key_suggests_the_right_one() -> None:
    cfg = tiny_config()
    cfg["replicats"] = cfg.pop("replicates")
    msg = error_of(cfg)
    assert "replicats = 3: unknown key; did you mean 'replicates'?" in msg
    assert "runs/x.toml: replicates: required key is missing" in msg  # every problem in one report


def test_typo_in_model_parameter_suggests_the_right_one() -> None:
    msg = error_of(tiny_config(base={"dmz_widht_km": 12.0}))
    assert "base.dmz_widht_km = 12.0: unknown model parameter; did you mean 'dmz_width_km'?" \
        in msg


@pytest.mark.parametrize(("changes", "needle"), [
    ({"replicates": "200"}, "replicates = '200': Value error, must be a whole number"),
    ({"replicates": 0}, "replicates = 0: Value error"),
    ({"root_seed": 1.5}, "root_seed = 1.5: Input should be a valid integer"),
    ({"horizon_days": "730"}, "horizon_days = '730': Input should be a valid integer"),
    ({"outputs": {"series_every": True}}, "outputs.series_every = True"),
    ({"base": {"withdrawal_days": "fourteen"}}, "base.withdrawal_days = 'fourteen'"),
])
def test_wrong_types_are_errors(changes: dict, needle: str) -> None:
    assert needle in error_of(tiny_config(**changes))


@pytest.mark.parametrize(("changes", "needle"), [
    ({"base": {"dmz_width_km": 200.0}},
     "base.dmz_width_km = 200.0: Input should be less than or equal to 80"),
    ({"design": {"method": "grid", "parameters": {"dmz_width_km": [10.0, 99.0]}}},
     "design.parameters.dmz_width_km.values[1] = 99.0: Input should be less than or equal"),
    ({"design": {"method": "lhs", "samples": 8,
                 "parameters": {"monitoring_coverage": {"min": 0.1, "max": 1.5}}}},
     "design.parameters.monitoring_coverage.max = 1.5"),
    ({"root_seed": -1}, "root_seed = -1: Input should be greater than or equal to 0"),
    ({"horizon_days": 99999}, "horizon_days = 99999: Input should be less than or equal"),
])
def test_out_of_range_values_are_errors(changes: dict, needle: str) -> None:
    assert needle in error_of(tiny_config(**changes))


@pytest.mark.parametrize(("changes", "needle"), [
    ({"baseline_arm": "nope"}, "baseline_arm = 'nope': unknown arm; arms are ['tf', 'gf']"),
    ({"quick": {"arms": ["tf", "gg"]}}, "quick.arms[1] = 'gg': unknown arm"),
    ({"analysis": {"contrasts": [["tf", "gf"], ["gx", "tf"]]}},
     "analysis.contrasts[1][0] = 'gx': unknown arm; arms are ['tf', 'gf']"),
])
def test_unknown_arm_references_are_errors(changes: dict, needle: str) -> None:
    assert needle in error_of(tiny_config(**changes))


@pytest.mark.parametrize(("contrasts", "needle"), [
    ([["tf", "tf"]], "a contrast compares two different arms"),
    ([["tf"]], "analysis.contrasts.0 = ['tf']: List should have at least 2 items"),
    ([["tf", "gf", "tf"]], "List should have at most 2 items"),
    ([["tf", "gf"], ["tf", "gf"]], "a contrast is named twice"),
    ("tf-gf", "analysis.contrasts = 'tf-gf': Input should be a valid list"),
])
def test_contrasts_are_pairs_of_two_arms(contrasts: object, needle: str) -> None:
    assert needle in error_of(tiny_config(analysis={"contrasts": contrasts}))


def test_contrasts_are_in_the_resolved_config_and_absent_ones_keep_the_hash() -> None:
    plain = experiment.from_dict(tiny_config(), source="x")
    two = {"method": "grid", "parameters": {"guarantee_credibility": [0.2, 0.8],
                                            "dmz_width_km": [5.0, 10.0]}}
    sens = experiment.from_dict(tiny_config(design=two, analysis={"sensitivity": ["resumed"]}),
                                source="x")
    assert "contrasts" not in sens.resolved["analysis"]  # an [analysis] without contrasts
    withc = experiment.from_dict(tiny_config(analysis={"contrasts": [["gf", "tf"]]}),
                                 source="x")
    assert withc.resolved["analysis"]["contrasts"] == [["gf", "tf"]]
    assert plain.config_hash != withc.config_hash


def test_an_unknown_contrast_arm_stops_the_run_with_status_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dmzsim.runs.cli import main

    path = tmp_path / "x.toml"
    path.write_text('name = "x"\nroot_seed = 1\nreplicates = 2\n'
                    '[arms.tf]\nsequencing = "territory_first"\n'
                    '[arms.gf]\nsequencing = "guarantees_first"\n'
                    '[analysis]\ncontrasts = [["tf", "gff"]]\n')
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "analysis.contrasts[0][1] = 'gff': unknown arm; arms are ['tf', 'gf']" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("changes", "needle"), [
    ({"replicates": "auto"}, 'replicates = \'auto\': needs an [adaptive] table'),
    ({"design": {"method": "sobol", "samples": 100,
                 "parameters": {"decision_noise": {"min": 0.1, "max": 0.5}}}},
     "design.samples = 100: Sobol' N must be a power of 2"),
    ({"design": {"method": "lhs", "samples": 4, "parameters": {"decision_noise": [0.1]}}},
     "'lhs' needs min and max"),
    ({"design": {"method": "grid", "parameters": {"sequencing": ["no_deal"]}}},
     "arms.tf.sequencing = 'territory_first': 'sequencing' is also set by "
     "design.parameters.sequencing = ['no_deal']"),
    ({"design": {"method": "grid", "parameters": {"decision_noise": {"min": 1, "max": 0}}}},
     "a range needs min < max"),
    ({"arms": {"bad.name": {}}}, "arms.bad.name"),
])
def test_inconsistent_configs_are_errors(changes: dict, needle: str) -> None:
    assert needle in error_of(tiny_config(**changes))


def test_toml_syntax_error_is_an_experiment_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("name = 'x'\nreplicates = \n")
    with pytest.raises(ExperimentError, match=r"broken.toml: not valid TOML"):
        experiment.load(path)


# --- resolution and hashing ------------------------------------------------------------------
def test_resolved_config_round_trips_with_the_same_hash(tmp_path: Path) -> None:
    exp = experiment.from_dict(tiny_config())
    path = tmp_path / "experiment.toml"
    path.write_text(exp.to_toml())
    again = experiment.load(path)
    assert again.config_hash == exp.config_hash
    assert tomllib.loads(path.read_text())["base"]["dmz_width_km"] == 10.0  # spelled out


def test_hash_ignores_spelled_out_defaults_but_not_changes() -> None:
    plain = experiment.from_dict(tiny_config())
    explicit = experiment.from_dict(tiny_config(base={"dmz_width_km": 10.0}))
    changed = experiment.from_dict(tiny_config(base={"dmz_width_km": 12.0}))
    assert plain.config_hash == explicit.config_hash != changed.config_hash


def test_quick_subset_has_its_own_name_and_size() -> None:
    cfg = tiny_config(quick={"arms": ["gf"], "replicates": 1}, baseline_arm="tf")
    exp = experiment.from_dict(cfg, quick=True)
    assert exp.name == "tiny_quick"
    assert exp.arm_names == ["gf"]
    assert exp.spec.replicates == 1
    assert exp.spec.baseline_arm is None  # it referred to an arm left out


def test_quick_without_quick_table_is_an_error() -> None:
    assert "--quick needs a [quick] table" in error_of(tiny_config(), quick=True)


def test_table_design_from_csv(tmp_path: Path) -> None:
    (tmp_path / "points.csv").write_text("dmz_width_km,withdrawal_days\n5.0,7\n40.0,30\n")
    (tmp_path / "x.toml").write_text(
        'name = "t"\nroot_seed = 1\nreplicates = 1\n[design]\nmethod = "table"\n'
        'file = "points.csv"\n')
    exp = experiment.load(tmp_path / "x.toml")
    assert exp.resolved["design"]["rows"] == [
        {"dmz_width_km": 5.0, "withdrawal_days": 7}, {"dmz_width_km": 40.0, "withdrawal_days": 30}]
    design = build_design(exp.spec.design, param_types())
    assert design.point_params(1) == {"dmz_width_km": 40.0, "withdrawal_days": 30}


def test_table_rows_are_validated() -> None:
    cfg = tiny_config(design={"method": "table", "rows": [{"dmz_width_km": 5.0},
                                                         {"dmz_width_km": -1.0}]})
    assert "design.rows[1].dmz_width_km = -1.0" in error_of(cfg)


# --- designs ---------------------------------------------------------------------------------
def design_of(design: dict) -> object:
    exp = experiment.from_dict(tiny_config(design=design))
    return build_design(exp.spec.design, param_types()), exp


def test_grid_is_the_full_factorial_in_declared_order() -> None:
    design, _ = design_of({"method": "grid", "parameters": {
        "dmz_width_km": [5.0, 10.0, 40.0], "withdrawal_days": [7, 14]}})
    assert design.n_points == 6
    assert design.point_params(0) == {"dmz_width_km": 5.0, "withdrawal_days": 7}
    assert design.point_params(1) == {"dmz_width_km": 5.0, "withdrawal_days": 14}
    assert design.point_params(5) == {"dmz_width_km": 40.0, "withdrawal_days": 14}


def test_lhs_respects_bounds_rounds_integers_and_is_seeded() -> None:
    spec = {"method": "lhs", "samples": 20, "parameters": {
        "guarantee_delay_days": {"min": 0, "max": 365},
        "readiness_recovery_days": {"min": 30.0, "max": 900.0, "scale": "log"}}}
    design, exp = design_of(spec)
    again, _ = design_of(spec)
    pts = design.points
    assert design.n_points == 20
    assert pts["guarantee_delay_days"].between(0, 365).all()
    assert pts["guarantee_delay_days"].dtype == np.int64
    assert pts["readiness_recovery_days"].between(30.0, 900.0).all()
    assert exp.resolved["design"]["seed"] is not None  # recorded for reproduction
    assert pts.equals(again.points)
    # log scale: the sample lives in log10 units, as the SALib problem says
    assert design.problem["bounds"][1] == pytest.approx([np.log10(30.0), np.log10(900.0)])


def test_sobol_and_morris_sizes_match_salib() -> None:
    params = {"decision_noise": {"min": 0.05, "max": 0.6},
              "monitoring_coverage": {"min": 0.1, "max": 0.9},
              "concentration_days": {"min": 7, "max": 42}}
    sobol, _ = design_of({"method": "sobol", "samples": 16, "parameters": params})
    assert sobol.n_points == 16 * (3 + 2)
    assert sobol.sample.shape == (80, 3)
    morris, _ = design_of({"method": "morris", "samples": 5, "parameters": params})
    assert morris.n_points == 5 * (3 + 1)
    assert set(morris.points["concentration_days"]) <= set(range(7, 43))


# --- the published experiments ---------------------------------------------------------------
@pytest.mark.parametrize("name", PUBLISHED)
@pytest.mark.parametrize("quick", [False, True])
def test_published_experiments_validate(name: str, quick: bool) -> None:
    exp = experiment.load(RUNS / f"{name}.toml", quick=quick)
    assert exp.name == (f"{name}_quick" if quick else name)
    build_design(exp.spec.design, param_types())


def test_sequencing_is_five_options_by_two_shapes_with_200_paired_replicates() -> None:
    exp = experiment.load(RUNS / "sequencing.toml")
    combos = {(a["sequencing"], a["dmz_shape"]) for a in exp.spec.arms.values()}
    assert combos == {(s, d) for s in SEQUENCING_ARMS for d in ("unilateral", "mirrored")}
    assert exp.spec.replicates >= 200
    assert exp.spec.design.method == "none"  # one point: all arms share every seed


@pytest.mark.parametrize(("changes", "needle"), [
    ({"base": {"withdrawal_days": True}}, "base.withdrawal_days = True: must be a number"),
    ({"arms": {"tf": {"dmz_width_km": "20"}}}, "arms.tf.dmz_width_km = '20': must be a number"),
    ({"design": {"method": "grid", "parameters": {"guarantee_credibility": [0.2, True]}}},
     "design.parameters.guarantee_credibility.values[1] = True: must be a number"),
    ({"design": {"method": "table", "rows": [{"dmz_width_km": "5"}]}},
     "design.rows[0].dmz_width_km = '5': must be a number"),
])
def test_no_bool_or_text_is_read_as_a_number_anywhere(changes: dict, needle: str) -> None:
    with pytest.raises(ExperimentError, match=re.escape(needle)):
        experiment.from_dict(tiny_config(**changes))


ADAPTIVE = {"replicates": "auto", "adaptive": {"target_half_width": 0.1}}


@pytest.mark.parametrize(("changes", "needle"), [
    ({"replicates": 1_000_000_000_000}, "replicates = 1000000000000: Value error, must be a "
     "whole number from 1 to 100,000"),
    ({"design": {"method": "lhs", "samples": 10**9,
                 "parameters": {"dmz_width_km": {"min": 5.0, "max": 20.0}}}},
     "design.samples = 1000000000"),
    ({"replicates": 100_000, "design": {"method": "lhs", "samples": 1000,
                                        "parameters": {"dmz_width_km": {"min": 5.0,
                                                                        "max": 20.0}}}},
     "replicates = 100000: makes 200,000,000 runs"),
    ({**ADAPTIVE, "adaptive": {"target_half_width": 0.1, "max_replicates": 10**7}},
     "adaptive.max_replicates = 10000000"),
    ({**ADAPTIVE, "adaptive": {"target_half_width": 0.1, "batch": 10**9}}, "adaptive.batch"),
    ({"quick": {"replicates": 10**9}}, "quick.replicates = 1000000000"),
    ({**ADAPTIVE, "adaptive": {"target_half_width": 0.1, "metric": "resumd"}},
     "adaptive.metric = 'resumd': Value error, not a yes/no output of a run; choose one of "
     "['resumed', 'guarantees_delivered', 'guarantee_triggered']"),
    ({**ADAPTIVE, "adaptive": {"target_half_width": 0.1, "metric": "territory_lost_km2"}},
     "adaptive.metric = 'territory_lost_km2': Value error, not a yes/no output"),
])
def test_counts_are_bounded_and_the_adaptive_metric_is_a_yes_no_output(changes: dict,
                                                                       needle: str) -> None:
    with pytest.raises(ExperimentError, match=re.escape(needle)):
        experiment.from_dict(tiny_config(**changes))


# --- the conflict rule ------------------------------------------------------------------------
def _schema_keys(model: type, prefix: str = "") -> set[str]:
    """Every key path of an experiment file, from the schema (``*`` for a table's names)."""
    from pydantic import BaseModel

    keys: set[str] = set()
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        keys.add(path)
        ann = field.annotation
        for arg in (ann, *typing.get_args(ann), *(a for t in typing.get_args(ann)
                                                  for a in typing.get_args(t))):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                star = ".*." if typing.get_origin(ann) is dict or any(
                    typing.get_origin(t) is dict for t in typing.get_args(ann)) else "."
                keys |= _schema_keys(arg, f"{path}{star}")
    return keys


def test_every_key_of_the_schema_is_a_parameter_place_or_not_a_parameter() -> None:
    """A new key of the experiment schema must be classified: a place that gives model
    parameters values (then the conflict rule covers it) or not a parameter at all."""
    from dmzsim.model.params import Params
    from dmzsim.runs.experiment.checks import NOT_PARAMETERS, PARAMETER_PLACES
    from dmzsim.runs.experiment.schema import ExperimentSpec

    keys = _schema_keys(ExperimentSpec)
    places, others = set(PARAMETER_PLACES), set(NOT_PARAMETERS)
    assert not places & others
    assert keys == places | others, (keys - places - others, places | others - keys)
    named_like_a_parameter = {k for k in keys if k.split(".")[-1] in Params.model_fields}
    assert named_like_a_parameter <= places


# Each place of the schema (and --set), with a setting of horizon_days there.
PLACE_SETTINGS: dict[str, tuple[dict, dict]] = {
    "horizon_days": ({"horizon_days": 30}, {}),
    "base": ({"base": {"horizon_days": 30}}, {}),
    "arms": ({"arms": {"a": {"horizon_days": 30}}}, {}),
    "design.parameters": ({"design": {"method": "grid", "parameters": {
        "horizon_days": [30, 40]}}}, {}),
    "design.rows": ({"design": {"method": "table", "rows": [{"horizon_days": 30}]}}, {}),
    "design.file": ({"design": {"method": "table", "file": "points.csv"}}, {}),
    "design.from_calibration": ({"design": {"method": "table",
                                            "from_calibration": "cal"}}, {}),
    "quick.horizon_days": ({"quick": {"horizon_days": 30}}, {}),
    "--set": ({}, {"horizon_days": 30}),
}


def test_every_place_is_covered_by_the_conflict_rule(tmp_path: Path) -> None:
    """Any two places setting one parameter are an error naming both (two arms are
    alternatives, [quick] horizon_days replaces the file's own horizon, and --set replaces
    the file's base or top-level value)."""
    import itertools

    import pandas as pd
    from dmzsim.runs.experiment.checks import PARAMETER_PLACES

    assert set(PLACE_SETTINGS) == {*PARAMETER_PLACES, "--set"}
    (tmp_path / "points.csv").write_text("horizon_days\n40\n")
    (tmp_path / "cal").mkdir()
    pd.DataFrame({"horizon_days": [40.0], "objective": [0.0]}).to_parquet(
        tmp_path / "cal" / "accepted.parquet")
    allowed = {frozenset({"horizon_days", "quick.horizon_days"}),
               frozenset({"base", "quick.horizon_days"}), frozenset({"base", "--set"}),
               frozenset({"horizon_days", "--set"})}
    tables = {"design.parameters", "design.rows", "design.file", "design.from_calibration"}
    for one, two in itertools.combinations(PLACE_SETTINGS, 2):
        if {one, two} <= tables:  # one design at a time (a design's own check)
            continue
        config = {"name": "x", "root_seed": 1, "replicates": 1}
        overrides: dict = {}
        for place in (one, two):
            data, sets = PLACE_SETTINGS[place]
            for key, value in data.items():
                both = config.get(key)
                config[key] = {**both, **value} if isinstance(both, dict) else value
            overrides.update(sets)
        if frozenset({one, two}) in allowed:
            experiment.from_dict(config, base_dir=tmp_path, overrides=overrides)
            continue
        with pytest.raises(ExperimentError, match="'horizon_days' is also set by") as err:
            experiment.from_dict(config, base_dir=tmp_path, overrides=overrides)
        assert "set a parameter in one place only" in str(err.value), (one, two)


def test_set_replaces_the_files_own_value() -> None:
    """--set over a value of the file's base or top level is what --set is for: the runs
    take the command line's value, and the config hash holds it."""
    config = {**tiny_config(), "horizon_days": 60, "base": {"dmz_width_km": 5.0}}
    plain = experiment.from_dict(config)
    changed = experiment.from_dict(config, overrides={"horizon_days": 30,
                                                      "dmz_width_km": 20.0})
    resolved = tomllib.loads(changed.to_toml())
    assert resolved["base"]["horizon_days"] == 30
    assert resolved["base"]["dmz_width_km"] == 20.0
    assert changed.config_hash != plain.config_hash


def test_a_resolved_config_loads_whatever_its_arms_and_design_set(tmp_path: Path) -> None:
    """A resolved config spells every parameter out in base: only a base value other than
    the default, under a parameter an arm or the design sets, is a conflict there."""
    exp = experiment.from_dict(tiny_config())
    data = tomllib.loads(exp.to_toml())
    assert experiment.from_dict(data).config_hash == exp.config_hash
    data["base"]["sequencing"] = "no_deal"  # an arm sets it
    with pytest.raises(ExperimentError, match=r"'sequencing' is also set by base\.sequencing"):
        experiment.from_dict(data)
