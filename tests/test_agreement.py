"""The sequencing table, exactly as docs/ODD.md states it."""

import pytest
from dmzsim.model.agreement import NEVER, build_timeline
from dmzsim.model.params import Params


@pytest.mark.parametrize(("arm", "delivered", "withdraw", "guarantees"), [
    ("no_deal", True, NEVER, NEVER),
    ("frozen_line", True, NEVER, NEVER),
    ("territory_first", True, 0, 90),
    ("territory_first", False, 0, NEVER),
    ("guarantees_first", True, 90, 90),
    ("guarantees_first", False, NEVER, NEVER),
    ("simultaneous", True, 0, 0),
    ("simultaneous", False, 0, NEVER),
])
def test_sequencing_table(arm, delivered, withdraw, guarantees):
    t = build_timeline(Params(sequencing=arm, guarantee_delay_days=90), delivered)
    assert t.withdrawal_start == withdraw
    assert t.guarantees_day == guarantees
    assert t.war_from_start == (arm == "no_deal")
    if withdraw != NEVER:
        assert t.withdrawal_end == withdraw + 14


def test_override_moves_withdrawal_but_keeps_its_condition():
    p = Params(sequencing="guarantees_first", withdrawal_start_day=5)
    assert build_timeline(p, True).withdrawal_start == 5
    assert build_timeline(p, False).withdrawal_start == NEVER
    assert build_timeline(Params(sequencing="frozen_line", withdrawal_start_day=5),
                          True).withdrawal_start == NEVER
