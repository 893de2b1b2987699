"""Estimates per unit and question: n, weighted value and a 95 % interval.

What enters: weighted respondents (``unit_code``, ``weight`` and one analysis column per
question) and each unit's population size. What leaves: a long table ``unit_code, variable,
value, lower, upper, se, n, status, indicative`` (shares in %, means in their own unit).

The estimation is svy's Taylor linearisation (``Sample.estimation.mean`` with the unit as
stratum and its population as ``pop_size``), so the variance accounts for the weights and
includes the finite-population correction.

Notes
-----
The weighted value is the ratio estimator :math:`\\hat p_u = \\sum w_i y_i / \\sum w_i` over
the respondents of unit :math:`u` with a valid answer (:math:`n_u` of them). Its linearised
variance, with :math:`z_i = w_i (y_i - \\hat p_u) / \\sum w_i` and :math:`N_u` the unit's
population, is

.. math:: v(\\hat p_u) = \\left(1 - \\frac{n_u}{N_u}\\right) \\frac{n_u}{n_u - 1}
          \\sum_i z_i^2

and the 95 % interval is :math:`\\hat p_u \\pm 1.96 \\sqrt{v}`. With equal weights this is the
textbook :math:`1.96 \\sqrt{p(1-p)/n} \\sqrt{1 - n/N}` up to the factor
:math:`\\sqrt{n/(n-1)}`: the published example 4602.75 / 11626.85 = 39.6 % with n = 408
gives a margin of 4.66 percentage points (``tests/test_survey.py``). A unit with fewer than
``min_n`` valid answers gets no value (status ``too_few``, "te weinig respons"); one with
fewer than ``indicative_n`` is flagged ``indicative``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from geo.survey.questionnaire import Questionnaire

__all__ = ["Z95", "estimate"]

#: Normal quantile of a two-sided 95 % interval.
Z95 = 1.959963984540054


def estimate(sample: pd.DataFrame, questionnaire: Questionnaire, population: pd.Series, *,
             min_n: int = 30, indicative_n: int = 100, units: list[str] | None = None
             ) -> pd.DataFrame:
    """Weighted estimates per unit (``sample["unit_code"]``) and question.

    Parameters
    ----------
    sample
        ``unit_code``, ``weight`` and one analysis column per question code (NaN = no valid
        answer). Rows with a NaN weight are left out.
    population
        Population size per unit code (the ``N`` of the finite-population correction).
    units
        Units to report (also those without respondents); default: the units in the sample.

    Returns
    -------
    pandas.DataFrame
        ``unit_code, variable, value, lower, upper, se, n, status, indicative``.
    """
    import polars as pl
    import svy

    codes = questionnaire.codes
    units = list(units) if units is not None else sorted(sample["unit_code"].unique())
    grid = pd.MultiIndex.from_product([units, codes], names=["unit_code", "variable"])
    data = sample[np.isfinite(sample["weight"].to_numpy(float))]
    counts = data.groupby("unit_code")[codes].count()
    n_valid = counts.stack()
    n_valid.index.names = ["unit_code", "variable"]
    out = pd.DataFrame({"n": n_valid.reindex(grid, fill_value=0).to_numpy(float)}, index=grid)
    # only cells that get a figure are estimated (at least min_n valid answers, and 2)
    usable = [c for c in codes if (counts[c] >= max(min_n, 2)).any()] if len(data) else []
    tables = []
    if usable:
        unit = data["unit_code"].astype(str).to_numpy()
        size = pd.Series(unit).map(population).to_numpy(float)
        n_all = pd.Series(unit).map(pd.Series(unit).value_counts()).to_numpy(float)
        size = np.maximum(size, n_all)  # a population smaller than its sample: no fpc
        frame = pl.DataFrame({"unit_code": unit, "weight": data["weight"].to_numpy(float),
                              "N": size})
        frame = frame.with_columns([pl.Series(c, data[c].to_numpy(float)).fill_nan(None)
                                    for c in usable])
        keep = counts.index[(counts[usable] >= max(min_n, 2)).any(axis=1)]
        frame = frame.filter(pl.col("unit_code").is_in(list(keep)))
        tables = list(_by_chunks(frame, usable, svy, pl))
    if tables:
        est = pd.concat(tables)
        est = est[~est.index.duplicated()].reindex(grid)
        out["value"] = est["est"].to_numpy(float)
        out["se"] = est["se"].to_numpy(float)
    else:
        out["value"] = np.nan
        out["se"] = np.nan
    out = out.reset_index()
    kinds = {q.code: q.kind for q in questionnaire.questions}
    scale = np.where(out["variable"].map(kinds) == "share", 100.0, 1.0)
    out["value"] = out["value"] * scale
    out["se"] = out["se"] * scale
    out["n"] = out["n"].astype(int)
    too_few = out["n"] < min_n
    out["status"] = np.where(too_few, "too_few", "observed")
    out.loc[too_few, ["value", "se"]] = np.nan
    out["lower"] = out["value"] - Z95 * out["se"]
    out["upper"] = out["value"] + Z95 * out["se"]
    shares = scale == 100.0
    out.loc[shares, "lower"] = out.loc[shares, "lower"].clip(lower=0.0)
    out.loc[shares, "upper"] = out.loc[shares, "upper"].clip(upper=100.0)
    out["indicative"] = (~too_few) & (out["n"] < indicative_n)
    return out[["unit_code", "variable", "value", "lower", "upper", "se", "n", "status",
                "indicative"]]


def _by_chunks(frame, usable: list[str], svy, pl, size: int = 32):
    """svy's Taylor estimates by unit, a few units (strata) per call: each unit is its own
    stratum, so this gives the same estimates and standard errors as one call, while the
    cost of a call grows with units x rows."""
    units = frame["unit_code"].unique().sort().to_list()
    for start in range(0, len(units), size):
        part = frame.filter(pl.col("unit_code").is_in(units[start:start + size]))
        cols = [c for c in usable if part[c].drop_nulls().len() >= 2]
        if not cols:
            continue
        s = svy.Sample(part, svy.Design(wgt="weight", stratum="unit_code", pop_size="N"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = s.estimation.mean(cols, by="unit_code", drop_nulls=True)
        table = res.to_polars().to_pandas()
        if "y" not in table:
            table["y"] = cols[0]
        table = table.set_index(["unit_code", "y"])
        table.index.names = ["unit_code", "variable"]
        yield table
