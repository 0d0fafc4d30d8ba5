"""Feature scoring: how much each swept parameter tells about an outcome.

Two scores, as in EMA Workbench's ``feature_scoring`` module:

* ``"extra_trees"`` (EMA Workbench's default, ``get_ex_feature_scores``): the impurity
  importances of an ensemble of extremely randomised trees (Geurts, Ernst & Wehenkel
  2006, Machine Learning 63:3) fitted to the outcome, with EMA Workbench's settings
  (100 trees, a third of the parameters per split, leaves of at least
  sqrt(n) / sqrt(1000) runs, bootstrap samples). The scores are shares that sum to 1;
  they catch interactions and non-monotone effects. Needs scikit-learn, imported only
  here (``pip install -e ".[discovery]"``).
* ``"univariate"`` (EMA Workbench's ``get_univariate_feature_scores``): the one-way
  ANOVA F test of each parameter between the runs where the outcome happened and those
  where it did not (scikit-learn's ``f_classif``; here
  :func:`scipy.stats.f_oneway`), or, for a numeric outcome, the F test of the
  correlation (``f_regression``). The score is the p value: small means the parameter
  differs between the two groups. Only scipy is needed; it sees each parameter alone.

A categorical parameter (e.g. the arm) enters as its category codes, as in EMA
Workbench.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["METHODS", "feature_scores", "have_extra_trees"]

METHODS = ("extra_trees", "univariate")
TREES_SEED = 1  # the trees are seeded so a report is reproducible


def have_extra_trees() -> bool:
    """Whether scikit-learn, which the extra-trees score needs, is installed."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        return False
    return True


def _codes(x: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=x.index)
    for col in x.columns:
        s = x[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            out[col] = s.astype(float)
        elif s.nunique() > 1:  # a parameter with one category tells nothing
            out[col] = s.astype("category").cat.codes.astype(float)
    return out


def feature_scores(x: pd.DataFrame, y: np.ndarray, method: str = "extra_trees",
                   seed: int = TREES_SEED) -> pd.DataFrame:
    """One row per parameter, most telling first: ``name`` and ``score``.

    ``y``: a yes/no outcome (classification) or a numeric one (regression). For
    ``"extra_trees"`` a larger score tells more; for ``"univariate"`` the score is a p
    value and a smaller one tells more (its ``F`` statistic is a further column).
    """
    if method not in METHODS:
        raise ValueError(f"unknown feature-scoring method {method!r}; choose one of "
                         f"{list(METHODS)}")
    y = np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} rows of parameters but {len(y)} outcomes")
    xc = _codes(x.reset_index(drop=True))
    boolean = y.dtype == bool or set(np.unique(y[~pd.isna(y)])) <= {0, 1}
    if method == "univariate":
        return _univariate(xc, y, boolean)
    return _extra_trees(xc, y, boolean, seed)


def _univariate(x: pd.DataFrame, y: np.ndarray, boolean: bool) -> pd.DataFrame:
    rows = []
    for col in x.columns:
        v = x[col].to_numpy()
        if boolean:
            yes = y.astype(bool)
            f, p = stats.f_oneway(v[yes], v[~yes]) if yes.any() and (~yes).any() else (
                np.nan, np.nan)
        else:
            r = np.corrcoef(v, y.astype(float))[0, 1] if np.std(v) and np.std(y) else 0.0
            dof = len(v) - 2
            f = r * r / (1 - r * r) * dof if abs(r) < 1 else np.inf
            p = float(stats.f.sf(f, 1, dof))
        rows.append({"name": col, "score": float(p), "F": float(f)})
    return pd.DataFrame(rows).sort_values("score", kind="stable").reset_index(drop=True)


def _extra_trees(x: pd.DataFrame, y: np.ndarray, boolean: bool, seed: int) -> pd.DataFrame:
    try:
        from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor
    except ImportError as err:
        raise ImportError("the extra-trees feature score needs scikit-learn: pip install "
                          "scikit-learn (or use method='univariate')") from err
    model = ExtraTreesClassifier if boolean else ExtraTreesRegressor
    trees = model(n_estimators=100, max_features=max(1, round(x.shape[1] / 3)),
                  min_samples_leaf=max(1, round(math.sqrt(len(x)) / math.sqrt(1000))),
                  bootstrap=True, random_state=seed)
    trees.fit(x.to_numpy(), y.astype(int) if boolean else y.astype(float))
    return (pd.DataFrame({"name": list(x.columns), "score": trees.feature_importances_})
            .sort_values("score", ascending=False, kind="stable").reset_index(drop=True))
