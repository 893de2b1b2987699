"""The one CRS inside wijkatlas: EPSG:28992 (RD New)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from geo.errors import WijkatlasError

RD_NEW = "EPSG:28992"
WEB = "EPSG:4326"


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
        return gdf
    if gdf.crs.is_geographic and len(gdf):
        xmin, ymin, xmax, ymax = gdf.total_bounds
        if max(abs(xmin), abs(xmax)) > 180 or max(abs(ymin), abs(ymax)) > 90:
            raise WijkatlasError(
                f"the coordinates (e.g. x={xmin:.0f}) do not fit its CRS {gdf.crs.name}: "
                "the file probably lacks its real CRS (a GeoJSON without a 'crs' member is read "
                "as WGS 84).",
                file=source, fix="save the layer with its CRS, e.g. EPSG:28992 RD New.",
                rule="no_crs")
    return gdf.to_crs(RD_NEW)


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
