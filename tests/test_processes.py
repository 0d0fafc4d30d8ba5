"""Each of the day's processes declares the parameters it reads, and the declaration is
true to the code: a process that starts reading a parameter, or stops, fails here until
its ``PARAMS`` says so."""

import inspect
import re

import pytest
from dmzsim.model.model import CeasefireModel
from dmzsim.model.params import Params
from dmzsim.model.processes import decision

from tests.helpers import SMALL_MAP, small

READ = re.compile(r"\bp\.([a-z_0-9]+)")


def _source(process: object) -> str:
    """A process in ``model/processes/`` is its whole module (its class and the functions
    it calls there); a command agent is its class."""
    module = inspect.getmodule(type(process))
    if module.__name__.startswith("dmzsim.model.processes."):
        return inspect.getsource(module)
    return inspect.getsource(type(process))


PROCESSES = CeasefireModel(small(), rng=0, map_path=SMALL_MAP).processes


@pytest.mark.parametrize("process", PROCESSES, ids=lambda p: type(p).__name__)
def test_a_process_declares_exactly_the_parameters_it_reads(process):
    declared = type(process).PARAMS
    assert set(READ.findall(_source(process))) == set(declared)
    assert len(declared) == len(set(declared)) and set(declared) <= set(Params.model_fields)


def test_the_staff_estimate_declares_the_parameters_it_reads():
    assert set(READ.findall(inspect.getsource(decision))) == set(decision.PARAMS)


def test_the_declaration_check_sees_a_parameter_read():
    """The control: the pattern finds what the process modules read, however reached."""
    assert READ.findall("rate = m.p.ru_recruits_per_month * self.m.p.x + p.y") == [
        "ru_recruits_per_month", "x", "y"]
