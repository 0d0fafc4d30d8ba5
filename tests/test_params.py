"""The parameter schema: strict, documented, round-trips."""

import pytest
from dmzsim.model.params import (
    ParamError,
    Params,
    check_value,
    parameter_table,
    parse_override,
    parse_value,
)


def test_every_parameter_has_unit_source_and_doc():
    for row in parameter_table():
        assert row["unit"], row["name"]
        assert row["source"], row["name"]
        assert row["doc"], row["name"]


def test_numeric_parameters_have_ranges():
    for row in parameter_table():
        if isinstance(row["default"], int | float) and not isinstance(row["default"], bool):
            assert row["min"] is not None and row["max"] is not None, row["name"]


def test_unknown_key_is_an_error_naming_it_and_suggesting_the_right_one():
    expected = r"guarantee_credibilty.*did you mean 'guarantee_credibility'"
    with pytest.raises(ParamError, match=expected):
        Params.build({"guarantee_credibilty": 0.3})


def test_out_of_range_names_key_and_value():
    with pytest.raises(ParamError, match=r"'dmz_width_km' = 200"):
        Params.build({"dmz_width_km": 200})


def test_wrong_type_and_unknown_choice():
    with pytest.raises(ParamError, match="withdrawal_days"):
        Params.build({"withdrawal_days": "two weeks"})
    with pytest.raises(ParamError, match="sequencing"):
        Params.build({"sequencing": "territory_frist"})


def test_params_are_frozen_and_replace_validates():
    p = Params()
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error type
        p.dmz_width_km = 5  # type: ignore[misc]
    assert p.replace(dmz_width_km=5).dmz_width_km == 5
    with pytest.raises(ParamError):
        p.replace(dmz_widht_km=5)


def test_toml_round_trip(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('sequencing = "guarantees_first"\nguarantee_delay_days = 30\n')
    p = Params.from_toml(f)
    assert p.sequencing == "guarantees_first" and p.guarantee_delay_days == 30


def test_parse_override():
    assert parse_override("dmz_width_km=40") == ("dmz_width_km", 40)
    assert parse_override("sequencing=no_deal") == ("sequencing", "no_deal")
    assert parse_override('dmz_shape="mirrored"') == ("dmz_shape", "mirrored")
    with pytest.raises(ParamError):
        parse_override("dmz_width_km")


def test_parse_value_reads_toml_and_checks_the_schema_returning_what_was_written():
    width = parse_value("dmz_width_km", "40")
    assert width == 40 and type(width) is int  # as written: a hash sees what was typed
    assert parse_value("sequencing", "no_deal") == "no_deal"
    assert parse_value("withdrawal_days", "1_0") == 10  # TOML: underscores between digits
    with pytest.raises(ParamError, match=r"parameter 'dmz_width_km' = 500: .*less than"):
        parse_value("dmz_width_km", "500")
    with pytest.raises(ParamError, match=r"did you mean 'dmz_width_km'"):
        parse_value("dmz_widht_km", "5")
    with pytest.raises(ParamError, match=r"parameter 'withdrawal_days' = True"):
        check_value("withdrawal_days", True)
    check_value("dmz_width_km", 80.0)  # a bound is inside the range


@pytest.mark.parametrize(("key", "value", "needle"), [
    ("withdrawal_days", True, "not true/false"),
    ("guarantee_credibility", True, "not true/false"),
    ("guarantee_credibility", False, "not true/false"),
    ("dmz_width_km", "20", "not text"),
    ("withdrawal_days", "14", "not text"),
])
def test_no_bool_or_text_is_read_as_a_number(key, value, needle):
    with pytest.raises(ParamError, match=f"parameter '{key}' = {value!r}: must be a number, "
                       f"{needle}"):
        Params.build({key: value})


def test_numbers_written_as_numbers_still_pass():
    p = Params.build({"dmz_width_km": 20, "withdrawal_days": 14.0})
    assert p.dmz_width_km == 20.0 and p.withdrawal_days == 14


def test_a_model_given_bad_parameters_names_them_and_the_same_good_ones_are_shared():
    """A model validates its parameters once per process for the same values
    (``model._params_on_map``): bad ones still fail with the error naming them, and good
    ones give the very Params a fresh validation gives."""
    from dmzsim.model.model import CeasefireModel

    from tests.helpers import SMALL_MAP

    with pytest.raises(ParamError, match="guarantee_credibilty"):
        CeasefireModel(None, rng=0, map_path=SMALL_MAP, guarantee_credibilty=0.3)
    given = Params.build({"horizon_days": 30})
    a = CeasefireModel(given, rng=0, map_path=SMALL_MAP)
    b = CeasefireModel(Params.build({"horizon_days": 30}), rng=1, map_path=SMALL_MAP)
    assert a.p is b.p and a.p == Params.build(a.p.model_dump())
