"""Reaggregation: apply a crosswalk to source values, each variable by its own kind.

Each kind's rule comes from the registry of kinds (:mod:`geo.kinds`):

* counts are summed by weight;
* shares are re-derived from the reaggregated numerator (share x denominator) and
  denominator, never averaged by area;
* means are re-derived as sum(mean x weight) / sum(weight) over the named weight count;
* medians cannot be aggregated exactly: they are approximated like a weighted mean and flagged
  ``approximate`` (so are variables the catalog marks approximate, e.g. incomes);
* densities are recomputed from the reaggregated count and the target area;
* ratios of two counts (per 1,000 inhabitants) are recomputed from both reaggregated counts.

Status per result: ``observed``; ``partial`` when some contributing source was suppressed or
missing (the value is the observed part); ``suppressed`` when all contributing sources were
withheld by CBS; ``missing`` when there is no data. None of them turns into 0.

Bounds: for counts, ``lower`` takes only sources that lie wholly in the target and ``upper``
adds every overlapping source in full (hard bounds; no upper bound when an overlapping
source was not observed). For shares, means and medians the bounds
are the lowest and highest value among the contributing sources (they hold when each source is
homogeneous). ``interpolated_share`` is the part of the value (of the denominator or weight for
shares and means) that came from sources split between targets.

Every step works on whole matrices (sources x variables), so 100 variables cost little more
than one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geo.catalog import Catalog
from geo.errors import WijkatlasError
from geo.units import REAGGREGATED_STATUSES

STATUSES = np.array(REAGGREGATED_STATUSES, dtype=object)
OBSERVED, PARTIAL, SUPPRESSED, MISSING = 0, 1, 2, 3
RESULT_COLUMNS = ["unit_code", "variable", "value", "lower", "upper", "status",
                  "interpolated_share", "method", "approximate"]


class CrosswalkMatrix:
    """A crosswalk prepared for many variables: rows sorted by target, group boundaries.

    Parameters
    ----------
    crosswalk
        ``source_code, target_code, weight, method``.
    source_codes
        The order of the rows of the value matrices.
    target_codes
        The order of the result rows.
    """

    def __init__(self, crosswalk: pd.DataFrame, source_codes, target_codes) -> None:
        target_codes = pd.Index(target_codes)
        t_pos = target_codes.get_indexer(crosswalk["target_code"])
        s_pos = pd.Index(source_codes).get_indexer(crosswalk["source_code"])
        keep = (t_pos >= 0) & (s_pos >= 0)
        order = np.argsort(t_pos[keep], kind="stable")
        self.target = t_pos[keep][order]
        self.source = s_pos[keep][order]
        self.weight = crosswalk["weight"].to_numpy(dtype=float)[keep][order]
        methods = crosswalk["method"].to_numpy()[keep][order]
        self.exact = methods == "exact"
        self.n_targets = len(target_codes)
        self.present, self.starts = np.unique(self.target, return_index=True)
        shape = (self.n_targets, len(source_codes))

        def matrix(data):
            return sp.csr_matrix((data, (self.target, self.source)), shape=shape)

        # targets x sources: weights, and 0/1 matrices for the bounds and the split part.
        self.weights = matrix(self.weight)
        self.exact_rows = matrix(self.exact.astype(float))
        self.all_rows = matrix(np.ones(len(self.target)))
        self.weighted_rows = matrix((self.weight > 0).astype(float))
        self.split_weights = matrix(np.where(self.exact, 0.0, self.weight))
        # Methods per target as a bit set (OR over its rows), then one label per distinct set.
        names, codes = np.unique(methods, return_inverse=True)
        bits = self.reduce(np.bitwise_or, (1 << codes.astype(np.int64))[:, None], 0)[:, 0]
        labels = {b: "+".join(n for i, n in enumerate(names) if b >> i & 1)
                  for b in np.unique(bits)}
        self.method = np.array([labels[b] for b in bits], dtype=object)

    def reduce(self, ufunc, per_row: np.ndarray, empty: float) -> np.ndarray:
        """Per target, reduce ``per_row`` (one row per crosswalk row, any columns)."""
        dtype = per_row.dtype if per_row.dtype.kind == "i" else float
        out = np.full((self.n_targets, per_row.shape[1]), empty, dtype=dtype)
        if len(self.present):
            out[self.present] = ufunc.reduceat(per_row, self.starts, axis=0)
        return out

    def apply(self, matrix: np.ndarray) -> np.ndarray:
        """Weighted sums per target of a sources x variables matrix (NaN counts as 0)."""
        return np.asarray(self.weights @ np.nan_to_num(matrix))


# How this pandas stores text: Arrow-backed ``str`` on pandas 3, object on pandas 2.
_TEXT = pd.Series(["x"]).dtype


def _positions(column: pd.Series, labels) -> np.ndarray:
    """Position of each value of ``column`` in ``labels`` (-1 where absent or empty).

    A long column holds few distinct values (codes, variables, statuses): they are looked up
    once each, which on pandas' Arrow strings is several times faster than a lookup per row.
    """
    codes, uniques = pd.factorize(column)
    where = np.append(pd.Index(labels).get_indexer(uniques), -1)
    return where[codes]  # code -1 (empty) takes the appended -1


def _text(labels, index: np.ndarray):
    """``labels[index]`` as a text column, built by Arrow where pandas keeps text in Arrow
    (making 1.4 million Python strings first took most of a 100-variable reaggregation)."""
    labels = np.asarray(labels, dtype=object)
    if getattr(_TEXT, "storage", None) != "pyarrow":
        return labels[index]
    import pyarrow as pa

    return pd.array(pa.array(labels, pa.large_string()).take(pa.array(index)), dtype=_TEXT)


def source_matrices(values: pd.DataFrame, source_codes, variables: list[str]
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Long values (``code, variable, value, status``) as a value matrix (NaN unless
    observed) and a status-code matrix (sources x variables); absent cells are missing."""
    rows = _positions(values["code"], source_codes)
    cols = _positions(values["variable"], variables)
    keep = (rows >= 0) & (cols >= 0)
    value = np.full((len(source_codes), len(variables)), np.nan)
    status = np.full(value.shape, MISSING, dtype=np.int8)
    codes = _positions(values["status"], STATUSES)[keep]
    if (codes < 0).any():
        bad = sorted(set(values["status"].to_numpy()[keep][codes < 0]))
        raise WijkatlasError(f"unknown status value(s) {bad}.", unit=str(bad[0]),
                             fix="use observed, suppressed or missing.")
    status[rows[keep], cols[keep]] = codes
    observed = status == OBSERVED
    value[rows[keep], cols[keep]] = values["value"].to_numpy(dtype=float)[keep]
    bad = observed & ~np.isfinite(value)
    if bad.any():
        r, c = (int(i[0]) for i in np.nonzero(bad))
        raise WijkatlasError(
            f"{int(bad.sum())} value(s) with status observed are not a finite number "
            f"(e.g. {variables[c]} = {value[r, c]}).", unit=str(source_codes[r]),
            fix="give observed cells a finite value; mark a cell without a value as "
                "missing or suppressed.", rule="not_finite")
    value[~observed] = np.nan
    return value, status


def _status(cw: CrosswalkMatrix, status: np.ndarray) -> np.ndarray:
    """observed / partial / suppressed / missing codes per target and variable."""
    # Only sources that give the target something decide its status (a suppressed buurt whose
    # piece holds no address does not make the wijk partial); a target that gets weight 0
    # from every source (no address in it) is decided by all its overlapping sources.
    rows = cw.weighted_rows
    n_all = np.asarray(rows.sum(axis=1))
    if (n_all == 0).any():
        rows = rows + sp.diags((n_all[:, 0] == 0).astype(float)) @ cw.all_rows
        n_all = np.asarray(rows.sum(axis=1))
    n_obs = rows @ (status == OBSERVED).astype(float)
    n_sup = rows @ (status == SUPPRESSED).astype(float)
    out = np.full(n_obs.shape, MISSING, dtype=np.int8)
    out[(n_obs > 0) & (n_obs < n_all)] = PARTIAL
    out[(n_obs > 0) & (n_obs == n_all)] = OBSERVED
    out[(n_obs == 0) & (n_sup > 0)] = SUPPRESSED
    return out


def _sums(cw: CrosswalkMatrix, x: np.ndarray):
    """Weighted sum, exact-only sum, full-overlap sum and split part of columns ``x``."""
    x0 = np.nan_to_num(x)
    return (cw.weights @ x0, cw.exact_rows @ x0, cw.all_rows @ x0, cw.split_weights @ x0)


def _count_sums(cw: CrosswalkMatrix, x: np.ndarray, status: np.ndarray):
    """:func:`_sums` for counts; the upper bound is unknown (NaN) where any overlapping
    source was not observed, since its whole value might lie in the target."""
    total, exact, full, split = _sums(cw, x)
    unknown = (cw.all_rows @ (status != OBSERVED).astype(float)) > 0
    return total, exact, np.where(unknown, np.nan, full), split


def _range(cw: CrosswalkMatrix, x: np.ndarray):
    xr = x[cw.source]
    with np.errstate(invalid="ignore"):
        return cw.reduce(np.fmin, xr, np.nan), cw.reduce(np.fmax, xr, np.nan)


def _variables(values: pd.DataFrame, catalog: Catalog, variables: list[str] | None):
    present = set(pd.unique(values["variable"]))
    unknown = sorted(present - set(catalog.indicators))
    if unknown:
        raise WijkatlasError(f"variables not in the catalog: {', '.join(unknown)}.",
                             file=str(catalog.path), unit=unknown[0],
                             fix="add them to the indicator catalog or drop the columns.")
    if variables is None:
        # Read from the source, or recomputed from counts that are (densities, ratios).
        variables = [c for c in catalog.indicators
                     if (catalog[c].spec.in_source and c in present)
                     or (not catalog[c].spec.in_source and catalog[c].refs
                         and set(catalog[c].refs) <= present)]
    needed = set(variables)
    for code in variables:
        needed |= set(catalog[code].refs) - {""}
    return variables, sorted(needed)


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
    Long DataFrame with the columns ``RESULT_COLUMNS``, one row per variable and target.
    """
    variables, needed = _variables(values, catalog, variables)
    source_codes = pd.Index(pd.unique(crosswalk["source_code"]))
    targets = target_area_ha.index
    cw = CrosswalkMatrix(crosswalk, source_codes, targets)
    value, status = source_matrices(values, source_codes, needed)
    col = pd.Index(needed)
    n_t, n_v = len(targets), len(variables)
    out = {k: np.full((n_t, n_v), np.nan) for k in ("value", "lower", "upper", "interp")}
    state = np.full((n_t, n_v), MISSING, dtype=np.int8)

    def put(mask, val, lo, hi, interp, st):
        idx = np.flatnonzero(mask)
        out["value"][:, idx], out["lower"][:, idx], out["upper"][:, idx] = val, lo, hi
        out["interp"][:, idx], state[:, idx] = interp, st

    names = np.array(variables, dtype=object)
    rules = np.array([catalog[v].spec.rule for v in variables])
    scale = np.array([catalog[v].per if catalog[v].spec.scaled else 1.0 for v in variables])

    def ref_cols(mask, which: str):
        return col.get_indexer([catalog[v].ref(getattr(catalog[v].spec, which))
                                for v in names[mask]])

    counts = rules == "sum"
    if counts.any():
        cols = col.get_indexer(names[counts])
        put(counts, *_count_sums(cw, value[:, cols], status[:, cols]),
            _status(cw, status[:, cols]))
    density = rules == "per_area"
    if density.any():
        cols = ref_cols(density, "denominator")
        per_km2 = 100.0 / target_area_ha.to_numpy(dtype=float)[:, None]
        total, exact, full, split = _count_sums(cw, value[:, cols], status[:, cols])
        put(density, total * per_km2, exact * per_km2, full * per_km2, split * per_km2,
            _status(cw, status[:, cols]))
    for rule in ("weighted", "counts_ratio"):
        mask = rules == rule
        if not mask.any():
            continue
        k = scale[mask]
        d = value[:, ref_cols(mask, "denominator")]
        if rule == "weighted":
            # The source value x its count / per recovers the numerator count.
            own = col.get_indexer(names[mask])
            x, st_src = value[:, own], status[:, own]
            n = x * d / k
        else:
            num = ref_cols(mask, "numerator")
            n = value[:, num]
            with np.errstate(invalid="ignore", divide="ignore"):
                x = np.where(d > 0, n / d * k, np.nan)
            st_src = np.maximum(status[:, num], status[:, ref_cols(mask, "denominator")])
        both = ~np.isnan(x) & ~np.isnan(d) & ~np.isnan(n)
        n_total = _sums(cw, np.where(both, n, np.nan))[0]
        d_total, _, _, d_split = _sums(cw, np.where(both, d, np.nan))
        with np.errstate(invalid="ignore", divide="ignore"):
            val = np.where(d_total > 0, n_total / d_total * k, np.nan)
            interp = d_split / d_total * val
        lo, hi = _range(cw, np.where(both, x, np.nan))
        st = _status(cw, st_src)
        st[(d_total == 0) & ((st == OBSERVED) | (st == PARTIAL))] = MISSING
        put(mask, val, lo, hi, interp, st)

    unobserved = (state == SUPPRESSED) | (state == MISSING)
    val = np.where(unobserved, np.nan, out["value"])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(val != 0, out["interp"] / val, 0.0)
    approximate = np.array([int(catalog[v].spec.approximate or catalog[v].approximate)
                            for v in variables])
    # Long layout, variable-major: all targets of the first variable, then the next.
    return pd.DataFrame({
        "unit_code": _text(targets.to_numpy(), np.tile(np.arange(n_t), n_v)),
        "variable": _text(variables, np.repeat(np.arange(n_v), n_t)),
        "value": val.T.ravel(),
        "lower": np.where(unobserved, np.nan, out["lower"]).T.ravel(),
        "upper": np.where(unobserved | (state == PARTIAL), np.nan, out["upper"]).T.ravel(),
        "status": _text(STATUSES, state.T.ravel()),
        "interpolated_share": np.where(unobserved, np.nan,
                                       np.clip(np.abs(share), 0, 1)).T.ravel(),
        "method": _text(cw.method, np.tile(np.arange(n_t), n_v)),
        "approximate": np.repeat(approximate, n_t),
    }, copy=False)[RESULT_COLUMNS]  # fresh arrays: no need to copy them into one block
