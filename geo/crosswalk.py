"""Crosswalks: how much of each source unit goes to each target unit.

A crosswalk is a sparse table ``source_code, target_code, weight, method``; the weights of one
source sum to 1. It is computed once per (source layer, target version) and reused for every
variable. Methods, in order of preference:

``exact``
    the source lies in one target (at least ``exact_share`` of its covered area, default 99 %:
    generalisation slivers along the edges are tolerated) and goes there whole;
``address``
    the source's address points (of the same year) are counted per target piece;
``raster``
    cell values of a density raster (e.g. a population grid) are summed per target piece;
``area``
    the source's area is split by overlap area.

Pieces smaller than ``sliver_share`` (default 1 %) of both the source's covered area and the
target's area are slivers from differently generalised boundaries and are dropped before
weighting (a small target lying inside a large source is not a sliver). Parts of a source outside
every target (the outer boundary differs between years) are left out
and the weights re-normalised over the covered part, so totals are conserved; sources with no
overlap at all are listed in ``crosswalk.attrs["unallocated"]``. With the address and raster
methods every overlap piece keeps a row, with weight 0 where it holds no address, so a wijk
without addresses gets 0 (with honest bounds) rather than no value.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_same_crs
from geo.errors import WijkatlasError, shorten
from geo.overlay import overlay_areas

DEFAULT_EXACT_SHARE = 0.99
DEFAULT_SLIVER_SHARE = 0.01
COLUMNS = ["source_code", "target_code", "weight", "method"]


def _normalise(frame: pd.DataFrame, amount: str) -> pd.Series:
    return frame[amount] / frame.groupby("source_index")[amount].transform("sum")


def _count_points(points: gpd.GeoDataFrame, source: gpd.GeoDataFrame,
                  target: gpd.GeoDataFrame, weight: np.ndarray) -> pd.DataFrame:
    """Summed point weight per (source, target) piece, vectorised with two STRtree joins."""
    geoms = np.asarray(points.geometry.values, dtype=object)
    p_src, s_idx = shapely.STRtree(np.asarray(source.geometry.values)).query(
        geoms, predicate="within")
    p_tgt, t_idx = shapely.STRtree(np.asarray(target.geometry.values)).query(
        geoms, predicate="within")
    in_source = pd.DataFrame({"point": p_src, "source_index": s_idx}).drop_duplicates("point")
    in_target = pd.DataFrame({"point": p_tgt, "target_index": t_idx}).drop_duplicates("point")
    both = in_source.merge(in_target, on="point")
    both["amount"] = weight[both["point"].to_numpy()]
    return both.groupby(["source_index", "target_index"], as_index=False)["amount"].sum()


def raster_points(path: str | Path) -> gpd.GeoDataFrame:
    """Cell centres of a density raster (e.g. inhabitants per 100 m cell) with their value
    in column ``weight``; cells with no data or a value <= 0 are left out."""
    import rasterio
    from rasterio.errors import RasterioError
    from rasterio.transform import xy

    from geo.files import require_file

    path = require_file(path, what="density raster", option="--raster")
    try:
        src = rasterio.open(path)
    except (RasterioError, OSError) as exc:
        raise WijkatlasError(f"the density raster cannot be read ({shorten(exc, 160)}).",
                             file=path, fix="give a GeoTIFF with its CRS.") from exc
    with src:
        if src.crs is None:
            raise WijkatlasError("the raster has no CRS.", file=path,
                                 fix="assign its CRS (e.g. EPSG:28992) with gdal_edit.py -a_srs.")
        band = src.read(1, masked=True)
        rows, cols = np.nonzero(~np.ma.getmaskarray(band) & (band.filled(0) > 0))
        xs, ys = xy(src.transform, rows, cols)
        crs = src.crs.to_wkt()
        values = band.data[rows, cols].astype(float)
    cells = gpd.GeoDataFrame({"weight": values}, geometry=shapely.points(xs, ys), crs=crs)
    return cells.to_crs(28992)


def build_crosswalk(
    source: gpd.GeoDataFrame,
    target: gpd.GeoDataFrame,
    *,
    points: gpd.GeoDataFrame | None = None,
    point_weight: str | None = None,
    raster: gpd.GeoDataFrame | None = None,
    exact_share: float = DEFAULT_EXACT_SHARE,
    sliver_share: float = DEFAULT_SLIVER_SHARE,
    source_name: str = "source",
    target_name: str = "target",
    n_jobs: int | None = None,
    progress=None,
) -> pd.DataFrame:
    """Crosswalk from ``source`` units to ``target`` units.

    Parameters
    ----------
    source, target
        Polygon layers with a ``code`` column, in the same projected CRS (EPSG:28992).
    points
        Address points of the source's year (already filtered to what should count, e.g.
        residential addresses built by that year), used as dasymetric weights.
    point_weight
        Column of ``points`` to sum instead of counting points.
    raster
        Density cells as points with a ``weight`` column (see :func:`raster_points`), used for
        sources without address points.
    exact_share
        Share of a source's covered area that must lie in one target for ``exact``.
    sliver_share
        Pieces below this share of both the source and the target are ignored as slivers.
    source_name, target_name
        Names for error messages.
    n_jobs
        Threads for the polygon overlay (default: every core).
    progress
        Called as ``progress(done, total)`` while candidate pairs are overlaid.

    Returns
    -------
    DataFrame with ``source_code``, ``target_code``, ``weight``, ``method``; weights of one
    source sum to 1. ``attrs["unallocated"]`` lists source codes that overlap no target.
    """
    require_same_crs((source, source_name), (target, target_name))
    if not source.crs.is_projected:
        raise WijkatlasError(
            f"geographic CRS ({source.crs.name}): overlap areas would be in square degrees.",
            file=source_name, fix="reproject both layers to EPSG:28992 first "
            "(geo.crs.to_rd_new, or load them with geo.sources.read_units).")
    for frame, name in ((source, source_name), (target, target_name)):
        dup = frame["code"][frame["code"].duplicated()]
        if len(dup):
            raise WijkatlasError(f"duplicate codes: {', '.join(map(str, dup.unique()[:10]))}.",
                                 file=name, unit=str(dup.iloc[0]),
                                 fix="make every unit code unique (CBS codes are unique per year).")
    pairs = overlay_areas(np.asarray(source.geometry.values), np.asarray(target.geometry.values),
                          n_jobs=n_jobs, progress=progress)
    pairs["share"] = _normalise(pairs, "area")
    covered = set(pairs["source_index"])
    target_share = pairs["area"] / shapely.area(
        np.asarray(target.geometry.values))[pairs["target_index"].to_numpy()]
    sliver = (pairs["share"] < min(sliver_share, 0.5)) & (target_share < sliver_share)
    pairs = pairs[~sliver].copy()
    pairs["share"] = _normalise(pairs, "area")
    best = pairs.groupby("source_index")["share"].transform("max")
    exact_sources = pairs.loc[best >= exact_share, "source_index"].unique()
    is_exact = pairs["source_index"].isin(exact_sources)
    exact = pairs[is_exact & (pairs["share"] == best)].drop_duplicates("source_index").copy()
    exact["weight"], exact["method"] = 1.0, "exact"
    parts = [exact]
    rest = pairs[~is_exact].copy()
    for method, cells, column in (("address", points, point_weight), ("raster", raster, "weight")):
        if cells is None or rest.empty:
            continue
        cells = cells.to_crs(source.crs) if not cells.crs.equals(source.crs) else cells
        amount = np.ones(len(cells)) if column is None else \
            cells[column].to_numpy(dtype=float)
        counted = _count_points(cells, source, target, amount)
        # Every overlap piece keeps a row (weight 0 where it holds no address), so a target
        # without addresses still gets 0 with honest bounds rather than no value at all.
        pieces = rest[["source_index", "target_index"]].merge(
            counted, on=["source_index", "target_index"], how="left").fillna({"amount": 0.0})
        totals = pieces.groupby("source_index")["amount"].transform("sum")
        found = pieces[totals > 0].copy()
        usable = found["source_index"].unique()
        found["weight"] = _normalise(found, "amount")
        found["method"] = method
        parts.append(found)
        rest = rest[~rest["source_index"].isin(usable)]
    rest = rest.copy()
    rest["weight"], rest["method"] = rest["share"], "area"
    parts.append(rest)
    table = pd.concat(parts, ignore_index=True)
    out = pd.DataFrame({
        "source_code": source["code"].to_numpy()[table["source_index"].to_numpy(dtype=int)],
        "target_code": target["code"].to_numpy()[table["target_index"].to_numpy(dtype=int)],
        "weight": table["weight"].to_numpy(dtype=float),
        "method": table["method"].to_numpy(),
    }).sort_values(["source_code", "target_code"], ignore_index=True)
    out.attrs["unallocated"] = [c for i, c in enumerate(source["code"]) if i not in covered]
    return out
