"""Feature scores rank the parameters that drive a planted outcome first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dmzsim.analysis.feature_scoring import feature_scores


def planted(n: int = 1500, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Resumed where a > 0.6 and b < 0.4; c and the arm are irrelevant."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.random(n), "b": rng.random(n), "c": rng.random(n),
                      "arm": rng.choice(["t", "g"], n)})
    return x, (x["a"] > 0.6).to_numpy() & (x["b"] < 0.4).to_numpy()


def test_univariate_ranks_the_drivers_first() -> None:
    x, y = planted()
    df = feature_scores(x, y, method="univariate")
    assert list(df.columns) == ["name", "score", "F"]
    assert set(df["name"][:2]) == {"a", "b"}
    assert (df["score"][:2] < 1e-10).all() and (df["score"][2:] > 1e-3).all()


def test_univariate_on_a_numeric_outcome() -> None:
    x, _ = planted()
    y = 3.0 * x["c"].to_numpy() + np.random.default_rng(1).normal(0, 0.5, len(x))
    df = feature_scores(x, y, method="univariate")
    assert df["name"].iloc[0] == "c" and df["score"].iloc[0] < 1e-10


def test_univariate_matches_scikit_learn() -> None:
    """The p values are scikit-learn's f_classif / f_regression (EMA Workbench's)."""
    fs = pytest.importorskip("sklearn.feature_selection")
    x, y = planted(n=400)
    codes = x.assign(arm=x["arm"].astype("category").cat.codes)
    ours = feature_scores(x, y, method="univariate").set_index("name")
    for col, p in zip(codes.columns, fs.f_classif(codes.to_numpy(float), y)[1], strict=True):
        assert ours.loc[col, "score"] == pytest.approx(p, rel=1e-6, abs=1e-300)
    yn = x["a"].to_numpy() + x["c"].to_numpy()
    ours = feature_scores(x, yn, method="univariate").set_index("name")
    for col, p in zip(codes.columns, fs.f_regression(codes.to_numpy(float), yn)[1],
                      strict=True):
        assert ours.loc[col, "score"] == pytest.approx(p, rel=1e-6, abs=1e-300)


def test_extra_trees_ranks_the_drivers_first_and_is_seeded() -> None:
    pytest.importorskip("sklearn")
    x, y = planted()
    df = feature_scores(x, y)
    assert set(df["name"][:2]) == {"a", "b"}
    assert df["score"].sum() == pytest.approx(1.0)
    assert df["score"][:2].min() > 2 * df["score"][2:].max()
    pd.testing.assert_frame_equal(df, feature_scores(x, y))


def test_unknown_method_and_mismatched_rows() -> None:
    x, y = planted(n=50)
    with pytest.raises(ValueError, match="unknown feature-scoring method 'forest'"):
        feature_scores(x, y, method="forest")
    with pytest.raises(ValueError, match="50 rows of parameters but 49 outcomes"):
        feature_scores(x, y[:-1], method="univariate")
