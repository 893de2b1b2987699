"""The one CRS inside wijkatlas: EPSG:28992 (RD New)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np

from geo.errors import WijkatlasError
from geo.units import CRS, NL_BOUNDS_RD, WEB_CRS

RD_NEW = CRS
WEB = WEB_CRS


def to_rd_new(gdf: gpd.GeoDataFrame, source: str | Path = "layer") -> gpd.GeoDataFrame:
    """Return ``gdf`` in EPSG:28992, reprojecting with pyproj when it is in another CRS.

    Parameters
    ----------
    gdf
        Any GeoDataFrame.
    source
        File or layer name used in the error message.

    Raises
    ------
    WijkatlasError
        When the layer has no CRS: a layer without one cannot be placed safely.
    """
    if gdf.crs is None:
        raise WijkatlasError(
            "the layer has no coordinate reference system (CRS).",
            file=source,
            fix="save it with its CRS (e.g. EPSG:28992 RD New) or set one in QGIS "
            "(Layer > Set CRS) before importing.",
            rule="no_crs",
        )
    if gdf.crs.equals(RD_NEW):
        return _in_netherlands(gdf, gdf, source)
    if gdf.crs.is_geographic and len(gdf):
        xmin, ymin, xmax, ymax = gdf.total_bounds
        if max(abs(xmin), abs(xmax)) > 180 or max(abs(ymin), abs(ymax)) > 90:
            raise WijkatlasError(
                f"the coordinates (e.g. x={xmin:.0f}) do not fit its CRS {gdf.crs.name}: "
                "the file probably lacks its real CRS (a GeoJSON without a 'crs' member is read "
                "as WGS 84).",
                file=source, fix="save the layer with its CRS, e.g. EPSG:28992 RD New.",
                rule="no_crs")
    return _in_netherlands(gdf.to_crs(RD_NEW), gdf, source)


def _in_netherlands(rd: gpd.GeoDataFrame, original: gpd.GeoDataFrame,
                    source: str | Path) -> gpd.GeoDataFrame:
    """Refuse a layer with features outside the Netherlands once in RD New: a wrong CRS, or
    latitude and longitude swapped, would otherwise put units in the sea or in Africa."""
    if not len(rd):
        return rd
    xmin, ymin, xmax, ymax = NL_BOUNDS_RD
    bounds = rd.geometry.bounds.to_numpy()
    with np.errstate(invalid="ignore"):
        outside = ~((bounds[:, 0] >= xmin) & (bounds[:, 2] <= xmax) & (bounds[:, 1] >= ymin)
                    & (bounds[:, 3] <= ymax)) & ~np.isnan(bounds).any(axis=1)
    if not outside.any():
        return rd
    i = int(np.flatnonzero(outside)[0])
    ob = original.geometry.iloc[[i]].total_bounds
    crs = original.crs
    if crs.is_geographic and 50.5 <= ob[0] <= 53.8 and 3.0 <= ob[1] <= 7.5:
        hint = ("latitude and longitude are swapped (axis order): x must be the longitude "
                "(3-7.5 in the Netherlands) and y the latitude (50.5-53.8); swap the axes, "
                "e.g. with QGIS's 'Swap X and Y coordinates'.")
    elif crs.is_geographic:
        hint = ("check that the layer's CRS is the one its coordinates are in, and the axis "
                "order (x = longitude, y = latitude).")
    else:
        hint = (f"check that the layer's CRS ({crs.name}) is the one its coordinates are in "
                "(e.g. EPSG:28992 RD New for x 0-300,000, y 300,000-625,000).")
    raise WijkatlasError(
        f"{int(outside.sum())} of {len(rd)} feature(s) lie outside the Netherlands in CRS "
        f"{crs.name} (feature {i + 1} spans x {ob[0]:.6g} to {ob[2]:.6g}, y {ob[1]:.6g} to "
        f"{ob[3]:.6g}).", file=source, unit=f"feature {i + 1}", fix=hint, rule="outside_nl")


def require_same_crs(*layers: tuple[gpd.GeoDataFrame, str | Path]) -> None:
    """Refuse layers whose CRSs differ (rather than guessing which one is right)."""
    first, first_name = layers[0]
    for gdf, name in layers[1:]:
        if gdf.crs is None or first.crs is None or not gdf.crs.equals(first.crs):
            raise WijkatlasError(
                f"its CRS ({gdf.crs}) differs from that of {first_name} ({first.crs}).",
                file=name,
                fix="reproject both layers to one CRS, preferably EPSG:28992, "
                "or load them through wijkatlas which reprojects them.",
            )
