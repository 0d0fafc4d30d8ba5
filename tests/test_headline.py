"""The README's one-line headline of a reference table."""

import pandas as pd
from dmzsim.analysis.headline import headline_sentence


def _table(rows):
    cols = ["arm", "runs", "p", "p_lo", "p_hi", "median_days"]
    return pd.DataFrame(rows, columns=cols)


def test_arms_at_war_from_day_0_are_left_out_of_lowest_and_highest():
    t = _table([("no_deal", 10, 1.0, 0.7, 1.0, 0.0),
                ("frozen_line", 10, 0.9, 0.6, 0.98, 200.0),
                ("territory_first", 10, 0.2, 0.06, 0.5, float("inf"))])
    line = headline_sentence(t, 730)
    assert "lowest Territory first 0.20 [0.06–0.50]" in line
    assert "highest Frozen line 0.90 [0.60–0.98]" in line
    assert "3 arms, 1 at war from day 0 left out, 30 runs" in line


def test_with_only_arms_at_war_they_are_compared_after_all():
    t = _table([("no_deal", 5, 1.0, 0.5, 1.0, 0.0), ("other", 5, 0.8, 0.4, 0.96, 0.0)])
    assert "lowest Other 0.80" in headline_sentence(t, 365)
