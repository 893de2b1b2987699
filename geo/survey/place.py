"""Placing respondents: a point for every respondent, then the unit of any boundary version.

What enters: respondents (:func:`geo.survey.respondents.read_respondents`) with x/y in RD New,
an address id, or postcode + huisnummer (+ toevoeging); the address points of that year; the
units of a version (published or draft). What leaves: per respondent the unit code, or the
reason it could not be placed. Nothing is dropped silently: every unplaced respondent is in
the report with one of :data:`REASONS`.

Placing is point in polygon (shapely 2, vectorised through an STRtree), so re-tabulating an
edition on another wijkindeling is exact: the same respondents, other units.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.units import CRS

__all__ = ["REASONS", "locate", "place", "unplaced_report"]

#: Why a respondent is not in the figures (Dutch, as the report shows them).
REASONS = {
    "no_location": "geen locatie",
    "address_not_found": "adres niet gevonden",
    "outside": "buiten de gemeente",
    "age_outside_classes": "leeftijd buiten de klassen van de bevolkingscijfers",
}


def _strip_zeros(series: pd.Series) -> pd.Series:
    return series.astype("string").fillna("").str.strip().str.lstrip("0")


def locate(respondents: pd.DataFrame, addresses: gpd.GeoDataFrame | None = None, *,
           year: int | None = None, built: str = "bouwjaar") -> pd.DataFrame:
    """Give every respondent x/y in RD New, from its own x/y, else its address id, else its
    postcode + huisnummer (+ toevoeging) joined to the address points that existed in
    ``year``.

    Returns
    -------
    pandas.DataFrame
        ``respondent_id``, ``x``, ``y``, ``located_by`` (``xy``, ``address_id``,
        ``postcode``) and ``reason`` (key of :data:`REASONS`, empty when located).
    """
    n = len(respondents)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    how = np.full(n, "", dtype=object)
    tried_address = np.zeros(n, dtype=bool)
    if "x" in respondents:
        rx, ry = respondents["x"].to_numpy(float), respondents["y"].to_numpy(float)
        ok = np.isfinite(rx) & np.isfinite(ry)
        x[ok], y[ok], how[ok] = rx[ok], ry[ok], "xy"
    pts = None
    if addresses is not None:
        pts = addresses
        if year is not None and built in pts:
            pts = pts[pts[built].to_numpy() <= year]
        pts = pts.to_crs(CRS) if pts.crs is not None and pts.crs != CRS else pts
    if "address_id" in respondents:
        ids = _strip_zeros(respondents["address_id"])
        want = (how == "") & (ids != "").to_numpy()
        tried_address |= want
        if pts is not None and want.any() and "address_id" in pts:
            lookup = pd.Series(np.arange(len(pts)), index=_strip_zeros(pts["address_id"]))
            lookup = lookup[~lookup.index.duplicated()]
            pos = lookup.reindex(ids[want]).to_numpy()
            found = np.isfinite(pos)
            idx = np.flatnonzero(want)[found]
            geo = pts.geometry.iloc[pos[found].astype(int)]
            x[idx], y[idx], how[idx] = geo.x.to_numpy(), geo.y.to_numpy(), "address_id"
    if "postcode" in respondents:
        pc = respondents["postcode"].astype("string").fillna("")
        nr = respondents["huisnummer"].to_numpy(float)
        want = (how == "") & (pc != "").to_numpy() & np.isfinite(nr)
        tried_address |= want
        if pts is not None and want.any() and {"postcode", "huisnummer"} <= set(pts.columns):
            ptoev = pts["toevoeging"] if "toevoeging" in pts else pd.Series("", index=pts.index)
            pkey = (pts["postcode"].astype("string").str.upper().str.replace(" ", "")
                    + "|" + pts["huisnummer"].astype(float).map("{:.0f}".format)
                    + "|" + ptoev.astype("string").fillna("").str.upper().str.strip())
            lookup = pd.Series(np.arange(len(pts)), index=pkey.to_numpy())
            lookup = lookup[~lookup.index.duplicated()]
            base = (pc + "|" + pd.Series(nr).map(
                lambda v: "" if not np.isfinite(v) else f"{v:.0f}").to_numpy())
            toev = respondents["toevoeging"].astype("string").fillna("") \
                if "toevoeging" in respondents else pd.Series("", index=respondents.index)
            pos = lookup.reindex((base + "|" + toev).to_numpy()[want]).to_numpy()
            # a toevoeging the register does not know: the number without it, if that exists
            plain = lookup.reindex((base + "|").to_numpy()[want]).to_numpy()
            pos = np.where(np.isfinite(pos), pos, plain)
            found = np.isfinite(pos)
            idx = np.flatnonzero(want)[found]
            geo = pts.geometry.iloc[pos[found].astype(int)]
            x[idx], y[idx], how[idx] = geo.x.to_numpy(), geo.y.to_numpy(), "postcode"
    reason = np.where(how != "", "", np.where(tried_address, "address_not_found",
                                               "no_location"))
    return pd.DataFrame({"respondent_id": respondents["respondent_id"].to_numpy(),
                         "x": x, "y": y, "located_by": how, "reason": reason})


def place(located: pd.DataFrame, units: gpd.GeoDataFrame, *, code: str = "code"
          ) -> pd.Series:
    """The code of the unit each located respondent lies in (point in polygon; a point on a
    shared border goes to the first unit in ``units`` order); NaN when it has no point or lies
    outside every unit.

    Parameters
    ----------
    located
        Output of :func:`locate` (``x``, ``y`` in RD New).
    units
        Polygons of any version, in RD New (reprojected when in another CRS).
    """
    if units.crs is not None and units.crs != CRS:
        units = units.to_crs(CRS)
    xs, ys = located["x"].to_numpy(float), located["y"].to_numpy(float)
    ok = np.isfinite(xs) & np.isfinite(ys)
    out = np.full(len(located), None, dtype=object)
    if ok.any():
        points = gpd.points_from_xy(xs[ok], ys[ok], crs=CRS)
        tree_idx, geom_idx = units.sindex.query(points, predicate="intersects")
        order = np.lexsort((geom_idx, tree_idx))  # per point the first unit
        tree_idx, geom_idx = tree_idx[order], geom_idx[order]
        first = np.unique(tree_idx, return_index=True)[1]
        codes = units[code].astype(str).to_numpy()
        hit = np.full(ok.sum(), None, dtype=object)
        hit[tree_idx[first]] = codes[geom_idx[first]]
        out[ok] = hit
    return pd.Series(out, index=located.index, name="unit_code")


def unplaced_report(respondents: pd.DataFrame, reason: pd.Series, *, year: int | None = None
                    ) -> pd.DataFrame:
    """The respondents not in the figures, one row each: ``year, respondent_id, reason``
    (Dutch), with the location fields they had."""
    mask = reason.fillna("").astype(str) != ""
    cols = [c for c in ("x", "y", "address_id", "postcode", "huisnummer", "toevoeging")
            if c in respondents]
    out = respondents.loc[mask.to_numpy(), ["respondent_id", *cols]].copy()
    out.insert(1, "reason", reason[mask].map(REASONS).to_numpy())
    if year is not None:
        out.insert(0, "year", year)
    return out.reset_index(drop=True)
