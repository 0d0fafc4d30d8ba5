"""CeasefireModel is an ordinary Mesa model: batch_run drives it through keywords."""

import warnings

import mesa
import pandas as pd
from dmzsim.model.model import CeasefireModel

from tests.helpers import SMALL_MAP


def test_batch_run_runs_the_model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        rows = mesa.batch_run(
            CeasefireModel,
            parameters={"sequencing": ["frozen_line", "territory_first"],
                        "horizon_days": 40, "map_path": str(SMALL_MAP)},
            rng=[1, 2], max_steps=40, number_processes=1, data_collection_period=-1,
            display_progress=False)
    df = pd.DataFrame(rows)
    assert len(df) == 4
    assert {"ua_area_km2", "phase", "force_ratio_main_axis"} <= set(df.columns)
    assert set(df["sequencing"]) == {"frozen_line", "territory_first"}
    assert (df["day"] == 40).all()


def test_keywords_and_datacollector():
    m = CeasefireModel(rng=3, map_path=SMALL_MAP, sequencing="no_deal", horizon_days=5)
    m.run_for(5)
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 6 and df["day"].tolist() == [0, 1, 2, 3, 4, 5]
    assert not m.running
