"""One reader of TOML files (``dmzsim.common.tomlfile``): every problem with a file is one
message naming the file and what is wrong, raised as the caller's own error type."""

from __future__ import annotations

from pathlib import Path

import pytest
from dmzsim.common.tomlfile import TomlFileError, read_toml, toml_value


class OwnError(ValueError):
    pass


def test_a_good_file_reads_as_its_tables(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text('x = 1\n[t]\ny = "é"\n', encoding="utf-8")
    assert read_toml(path, what="scenario") == {"x": 1, "t": {"y": "é"}}


@pytest.mark.parametrize(("make", "problem"), [
    (lambda p: None, "file not found"),
    (lambda p: p.mkdir(), "is a folder, not a TOML file"),
    (lambda p: p.write_bytes(b"\xff\xfe\x00bad"), "not a text file (not UTF-8)"),
    (lambda p: p.write_text("x = 1\ny = \n"),
     "not valid TOML: Invalid value (at line 2, column 5)"),
])
def test_every_problem_names_the_file_and_what_is_wrong(tmp_path: Path, make, problem: str
                                                        ) -> None:
    path = tmp_path / "bad.toml"
    make(path)
    with pytest.raises(TomlFileError) as err:
        read_toml(path, what="scenario")
    assert str(err.value) == f"scenario {path}: {problem}"


def test_the_caller_picks_the_error_type(tmp_path: Path) -> None:
    with pytest.raises(OwnError, match=r"^map file .*nowhere.toml: file not found$"):
        read_toml(tmp_path / "nowhere.toml", what="map file", error=OwnError)


@pytest.mark.parametrize(("text", "value"), [
    ("3", 3), ("0.5", 0.5), ("true", True), ('"a b"', "a b"), ("[1, 2]", [1, 2]),
    ("territory_first", "territory_first"), ("", ""), ("{a = 1}", {"a": 1}),
])
def test_a_value_reads_as_toml_or_stays_text(text: str, value: object) -> None:
    got = toml_value(text)
    assert got == value and type(got) is type(value)
