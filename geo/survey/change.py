"""Change between survey editions: is it statistically significant at 95 %?

What enters: the long estimates of several editions (``unit_code, variable, year, value,
se``). What leaves: per row the verdict on the change since the previous edition
(``significance``) and since the first edition (``significance_first``), in Dutch:
"significant gestegen", "significant gedaald" or "geen significante verandering"; empty for
the first edition and when one of the two figures is missing.

Notes
-----
Editions are independent samples, so the standard error of a difference is
:math:`\\sqrt{se_1^2 + se_2^2}` and the change is significant at 95 % when

.. math:: |\\hat p_2 - \\hat p_1| > 1.96 \\sqrt{se_1^2 + se_2^2}

(a two-sided z-test, :func:`scipy.stats.norm`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

__all__ = ["SIGNIFICANCE", "compare", "significance"]

SIGNIFICANCE = {
    "up": "significant gestegen",
    "down": "significant gedaald",
    "none": "geen significante verandering",
}


def compare(v1, se1, v2, se2, *, alpha: float = 0.05) -> np.ndarray:
    """Verdict per pair (Dutch text; "" when a value or standard error is missing)."""
    v1, se1, v2, se2 = (np.asarray(a, dtype=float) for a in (v1, se1, v2, se2))
    diff = v2 - v1
    se = np.sqrt(se1 ** 2 + se2 ** 2)
    ok = np.isfinite(diff) & np.isfinite(se)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(se > 0, diff / se, np.where(diff == 0, 0.0, np.inf * np.sign(diff)))
    crit = norm.ppf(1 - alpha / 2)
    out = np.where(z > crit, SIGNIFICANCE["up"],
                   np.where(z < -crit, SIGNIFICANCE["down"], SIGNIFICANCE["none"]))
    return np.where(ok, out, "").astype(object)


def significance(results: pd.DataFrame, *, by: tuple[str, ...] = ("unit_code", "variable")
                 ) -> pd.DataFrame:
    """Add ``significance`` (since the previous edition) and ``significance_first`` (since
    the first edition) to the long estimates of several editions.

    The previous edition is the one before in time (whether or not it has a figure for the
    unit); the first is the earliest edition of the series with a figure for the unit.
    """
    out = results.sort_values([*by, "year"]).copy()
    keys = [out[c] for c in by]
    prev = out.groupby(keys, sort=False)[["value", "se"]].shift(1)
    out["significance"] = compare(prev["value"], prev["se"], out["value"], out["se"])
    has = out["value"].notna() & out["se"].notna()
    first = out[has].groupby([out.loc[has, c] for c in by], sort=False)[
        ["year", "value", "se"]].first()
    first.columns = ["first_year", "first_value", "first_se"]
    out = out.join(first, on=list(by))
    later = out["year"] > out["first_year"]
    verdict = compare(out["first_value"], out["first_se"], out["value"], out["se"])
    out["significance_first"] = np.where(later, verdict, "")
    return out.drop(columns=["first_year", "first_value", "first_se"]).sort_index()
