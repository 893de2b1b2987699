"""The hard year-over-year pair of issue 15: half the units change, edges 25 m apart.

14,000 Voronoi buurten over the RD extent; 15 % of the seeds move by about 800 m, so about half
of the cells change shape while the rest stay identical (vertex for vertex), and a changed cell
shares long stretches of boundary with its old self. Edges are segmentized to 25 m (~400
vertices a polygon) and coordinates rounded to the millimetre, as CBS coordinates are.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from bench.synthetic import RD_EXTENT

SEGMENT_M = 25.0


def _cells(x: np.ndarray, y: np.ndarray, prefix: str) -> gpd.GeoDataFrame:
    extent = shapely.box(*RD_EXTENT)
    pts = shapely.points(x, y)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts),
                                                       extend_to=extent))
    cells = shapely.intersection(cells, extent)
    # Voronoi cells come in no particular order: give each the code of the seed it holds.
    tree = shapely.STRtree(cells)
    seed_idx, cell_idx = tree.query(pts, predicate="within")
    order = np.empty(len(cells), dtype=np.int64)
    order[seed_idx] = cell_idx
    cells = cells[order]
    cells = shapely.segmentize(cells, SEGMENT_M)
    cells = shapely.normalize(shapely.set_precision(cells, 0.001))
    codes = np.char.add(prefix, np.char.zfill(np.arange(len(cells)).astype(str), 8))
    return gpd.GeoDataFrame({"code": codes, "name": codes}, geometry=cells, crs="EPSG:28992")


def hard_pair(n: int = 14_000, seed: int = 15, moved: float = 0.15,
              shift_m: float = 800.0) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Source and target 'years' of ``n`` buurten where ``moved`` of the seeds move.

    Parameters
    ----------
    n
        Number of buurten in each year.
    seed
        Seed: the same seed gives the same pair.
    moved
        Share of the Voronoi seeds that move between the years.
    shift_m
        Distance each moved seed moves, in metres (random direction).

    Returns
    -------
    (source, target) GeoDataFrames with ``code``, ``name``, ``geometry`` (EPSG:28992); a
    buurt keeps its code when its seed moves.
    """
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = RD_EXTENT
    x, y = rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)
    move = rng.random(n) < moved
    angle = rng.uniform(0, 2 * np.pi, n)
    x2 = np.clip(np.where(move, x + shift_m * np.cos(angle), x), xmin + 1, xmax - 1)
    y2 = np.clip(np.where(move, y + shift_m * np.sin(angle), y), ymin + 1, ymax - 1)
    return _cells(x, y, "BU"), _cells(x2, y2, "BU")
