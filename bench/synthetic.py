"""Seeded national-scale synthetic units: Voronoi 'buurten' over the RD New extent."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

# Rough extent of the Netherlands in EPSG:28992 (m).
RD_EXTENT = (13_000.0, 306_000.0, 278_000.0, 619_000.0)


def voronoi_units(n: int, seed: int, vertices: int = 6, prefix: str = "BU") -> gpd.GeoDataFrame:
    """Tile the RD extent with ``n`` Voronoi polygons of about ``vertices`` vertices each.

    Parameters
    ----------
    n
        Number of polygons.
    seed
        Seed of the point pattern: the same seed gives the same tessellation.
    vertices
        Target mean vertex count; edges are densified (shared edges identically on both
        sides, so the result still tiles without gaps or overlaps).
    prefix
        Code prefix; codes are ``prefix`` + a zero-padded running number.

    Returns
    -------
    GeoDataFrame with ``code``, ``name`` and ``geometry`` in EPSG:28992.
    """
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = RD_EXTENT
    pts = shapely.points(rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n))
    extent = shapely.box(*RD_EXTENT)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=extent))
    cells = shapely.intersection(cells, extent)
    if vertices > 7:
        mean_perimeter = float(np.mean(shapely.length(cells)))
        cells = shapely.segmentize(cells, mean_perimeter / vertices)
    codes = [f"{prefix}{i:08d}" for i in range(len(cells))]
    return gpd.GeoDataFrame({"code": codes, "name": codes}, geometry=cells, crs="EPSG:28992")
