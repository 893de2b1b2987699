"""Reaggregation: apply a crosswalk to source values, each variable by its own kind.

* counts are summed by weight;
* shares are re-derived from the reaggregated numerator (share x denominator) and
  denominator, never averaged by area;
* means are re-derived as sum(mean x weight) / sum(weight) over the named weight count;
* medians cannot be aggregated exactly: they are approximated like a weighted mean and flagged
  ``approximate``;
* densities are recomputed from the reaggregated count and the target area.

Status per result: ``observed``; ``partial`` when some contributing source was suppressed or
missing (the value is the observed part); ``suppressed`` when all contributing sources were
withheld by CBS; ``missing`` when there is no data. None of them turns into 0.

Bounds: for counts, ``lower`` takes only sources that lie wholly in the target and ``upper``
adds every overlapping source in full (hard bounds). For shares, means and medians the bounds
are the lowest and highest value among the contributing sources (they hold when each source is
homogeneous). ``interpolated_share`` is the part of the value (of the denominator or weight for
shares and means) that came from sources split between targets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.catalog import Catalog
from geo.errors import WijkatlasError

OBSERVED, SUPPRESSED, MISSING = "observed", "suppressed", "missing"
RESULT_COLUMNS = ["unit_code", "variable", "value", "lower", "upper", "status",
                  "interpolated_share", "method", "approximate"]


class _Rows:
    """The crosswalk sorted by target, with group boundaries for reduceat."""

    def __init__(self, crosswalk: pd.DataFrame, source_codes: pd.Index, target_codes: list[str]):
        cw = crosswalk[crosswalk["target_code"].isin(target_codes)]
        t_pos = pd.Index(target_codes).get_indexer(cw["target_code"])
        order = np.argsort(t_pos, kind="stable")
        self.target = t_pos[order]
        self.source = source_codes.get_indexer(cw["source_code"].to_numpy()[order])
        self.weight = cw["weight"].to_numpy(dtype=float)[order]
        self.exact = (cw["method"].to_numpy()[order] == "exact")
        self.n_targets = len(target_codes)
        self.present, self.starts = np.unique(self.target, return_index=True)
        methods = pd.DataFrame({"t": self.target, "m": cw["method"].to_numpy()[order]})
        by_target = methods.groupby("t")["m"].agg(lambda m: "+".join(sorted(set(m))))
        self.method = by_target.reindex(range(self.n_targets)).fillna("").to_numpy()

    def reduce(self, ufunc, matrix: np.ndarray, empty: float) -> np.ndarray:
        """Per target, reduce the rows of ``matrix`` (one row per crosswalk row)."""
        out = np.full((self.n_targets, matrix.shape[1]), empty)
        if len(self.present):
            out[self.present] = ufunc.reduceat(matrix, self.starts, axis=0)
        return out


def _matrices(values: pd.DataFrame, source_codes: pd.Index, variables: list[str]):
    """Wide value matrix (NaN unless observed) and status matrix (sources x variables)."""
    wide = values.pivot_table(index="code", columns="variable", values="value", aggfunc="first",
                              dropna=False)
    status = values.pivot_table(index="code", columns="variable", values="status",
                                aggfunc="first", dropna=False)
    wide = wide.reindex(index=source_codes, columns=variables)
    status = status.reindex(index=source_codes, columns=variables).astype(object)
    status = status.where(status.notna(), MISSING)
    value = wide.to_numpy(dtype=float, copy=True)
    value[status.to_numpy() != OBSERVED] = np.nan
    return value, status.to_numpy()


def _status(rows: _Rows, status: np.ndarray) -> np.ndarray:
    """observed / partial / suppressed / missing per target and variable."""
    s = status[rows.source]
    n_obs = rows.reduce(np.add, (s == OBSERVED).astype(float), 0.0)
    n_sup = rows.reduce(np.add, (s == SUPPRESSED).astype(float), 0.0)
    n_all = rows.reduce(np.add, np.ones(s.shape), 0.0)
    out = np.full(n_obs.shape, MISSING, dtype=object)
    out[(n_obs > 0) & (n_obs < n_all)] = "partial"
    out[(n_obs > 0) & (n_obs == n_all)] = OBSERVED
    out[(n_obs == 0) & (n_sup > 0)] = SUPPRESSED
    return out


def _sums(rows: _Rows, x: np.ndarray):
    """Weighted sum, exact-only sum, full-overlap sum and interpolated part of ``x``."""
    xr = x[rows.source]
    obs = ~np.isnan(xr)
    xr0 = np.where(obs, xr, 0.0)
    w = rows.weight[:, None]
    total = rows.reduce(np.add, w * xr0, 0.0)
    exact = rows.reduce(np.add, np.where(rows.exact[:, None], xr0, 0.0), 0.0)
    full = rows.reduce(np.add, xr0, 0.0)
    split = rows.reduce(np.add, np.where(rows.exact[:, None], 0.0, w * xr0), 0.0)
    return total, exact, full, split


def _range(rows: _Rows, x: np.ndarray):
    xr = x[rows.source]
    with np.errstate(invalid="ignore"):
        return rows.reduce(np.fmin, xr, np.nan), rows.reduce(np.fmax, xr, np.nan)


def reaggregate(
    values: pd.DataFrame,
    crosswalk: pd.DataFrame,
    catalog: Catalog,
    target_area_ha: pd.Series,
    variables: list[str] | None = None,
) -> pd.DataFrame:
    """Put source values on the target units of a crosswalk.

    Parameters
    ----------
    values
        Long table ``code, variable, value, status`` for the source units of one year
        (``status`` observed, suppressed or missing; value NaN unless observed).
    crosswalk
        ``source_code, target_code, weight, method`` (see :func:`geo.crosswalk.build_crosswalk`).
    catalog
        Says per variable how it aggregates.
    target_area_ha
        Area per target code (index), for densities; its index is the list of targets.
    variables
        Variables to compute; default every catalog variable present in ``values``.

    Returns
    -------
    Long DataFrame with the columns ``RESULT_COLUMNS``, one row per target and variable.
    """
    present = set(values["variable"])
    unknown = sorted(present - set(catalog.indicators))
    if unknown:
        raise WijkatlasError(f"variables not in the catalog: {', '.join(unknown)}.",
                             file=str(catalog.path), unit=unknown[0],
                             fix="add them to the indicator catalog or drop the columns.")
    if variables is None:
        variables = [c for c in catalog.indicators if c in present or
                     (catalog[c].kind == "density" and catalog[c].count in present)]
    needed = set(variables)
    for code in variables:
        ind = catalog[code]
        needed |= {ind.denominator, ind.weight, ind.count} - {""}
    needed = sorted(needed)
    source_codes = pd.Index(pd.unique(crosswalk["source_code"]))
    targets = list(target_area_ha.index)
    rows = _Rows(crosswalk, source_codes, targets)
    value, status = _matrices(values, source_codes, needed)
    col = {v: i for i, v in enumerate(needed)}
    area = target_area_ha.to_numpy(dtype=float)
    frames = []
    for code in variables:
        ind = catalog[code]
        x = value[:, [col[code]]]
        st = _status(rows, status[:, [col[code]]])
        approximate = ind.kind == "median" or ind.approximate
        if ind.kind == "count":
            total, exact, full, split = _sums(rows, x)
            val, lo, hi, interp = total, exact, full, split
        elif ind.kind == "density":
            c = value[:, [col[ind.count]]]
            st = _status(rows, status[:, [col[ind.count]]])
            total, exact, full, split = _sums(rows, c)
            per_km2 = 100.0 / area[:, None]
            val, lo, hi, interp = total * per_km2, exact * per_km2, full * per_km2, split * per_km2
        else:
            ref = ind.denominator if ind.kind == "share" else ind.weight
            d = value[:, [col[ref]]]
            scale = ind.per if ind.kind == "share" else 1.0
            both = ~np.isnan(x) & ~np.isnan(d)
            num = np.where(both, x * d / scale, np.nan)
            den = np.where(both, d, np.nan)
            n_total, _, _, _ = _sums(rows, num)
            d_total, _, _, d_split = _sums(rows, den)
            with np.errstate(invalid="ignore", divide="ignore"):
                val = np.where(d_total > 0, n_total / d_total * scale, np.nan)
                interp = d_split / d_total * val
            lo, hi = _range(rows, np.where(both, x, np.nan))
            zero_den = (d_total == 0) & (st != MISSING) & (st != SUPPRESSED)
            st = np.where(zero_den, MISSING, st)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(val != 0, interp / val, 0.0)
        unobserved = (st == SUPPRESSED) | (st == MISSING)
        val = np.where(unobserved, np.nan, val)
        lo = np.where(unobserved, np.nan, lo)
        hi = np.where(unobserved | (st == "partial"), np.nan, hi)
        frames.append(pd.DataFrame({
            "unit_code": targets, "variable": code, "value": val[:, 0], "lower": lo[:, 0],
            "upper": hi[:, 0], "status": st[:, 0],
            "interpolated_share": np.where(unobserved[:, 0], np.nan,
                                           np.clip(np.abs(share[:, 0]), 0, 1)),
            "method": rows.method, "approximate": int(approximate),
        }))
    return pd.concat(frames, ignore_index=True)[RESULT_COLUMNS]
