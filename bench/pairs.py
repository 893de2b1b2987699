"""Seeded source/target pairs at national scale, built like real CBS buurt years.

Every unit is a union of small Voronoi 'blocks' (``voronoi_units``), so neighbouring units
share their edges vertex for vertex (a valid coverage, like the CBS Wijk- en Buurtkaart) and
an unchanged unit is byte-identical in both years.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from bench.synthetic import voronoi_units


def _dissolve(blocks: np.ndarray, labels: np.ndarray, prefix: str) -> gpd.GeoDataFrame:
    """Union the blocks per label (coverage union: exact, shared edges kept as they are)."""
    order = np.argsort(labels, kind="stable")
    uniq, starts = np.unique(labels[order], return_index=True)
    groups = np.split(blocks[order], starts[1:])
    geoms = np.array([shapely.coverage_union_all(g) for g in groups], dtype=object)
    codes = [f"{prefix}{int(u):08d}" for u in uniq]
    return gpd.GeoDataFrame({"code": codes, "name": codes}, geometry=geoms, crs="EPSG:28992")


def _blocks(n_units: int, seed: int, vertices: int, per_unit: int):
    """Blocks, their centroids and a unit label per block (nearest of ``n_units`` centres)."""
    blocks = np.asarray(voronoi_units(n_units * per_unit, seed, vertices).geometry.values)
    # Densified shared edges differ in the last bits depending on direction: snap them to
    # the millimetre (as CBS coordinates are) so neighbours share vertices exactly.
    blocks = shapely.set_precision(blocks, 0.001)
    xy = shapely.get_coordinates(shapely.centroid(blocks))
    rng = np.random.default_rng(seed + 1)
    centres = xy[rng.choice(len(xy), n_units, replace=False)]
    labels = cKDTree(centres).query(xy)[1]
    return blocks, xy, labels


def year_pair(
    n: int = 14_000, seed: int = 7, vertices: int = 175, changed: float = 0.10
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Two 'years' of ``n`` buurten where about ``1 - changed`` of the units are unchanged.

    The changed units are, in about equal numbers, reshaped (a block moves to the neighbour:
    both keep their codes), split (half of the blocks get a new code) or merged (two
    neighbours get one new code), as between real CBS years.

    Parameters
    ----------
    n
        Number of source units.
    seed
        Seed: the same seed gives the same pair.
    vertices
        Mean vertex count of a block; a unit of ~4 blocks has about twice as many.
    changed
        Share of source units that change.

    Returns
    -------
    (source, target) GeoDataFrames with ``code``, ``name``, ``geometry`` (EPSG:28992).
    """
    blocks, xy, labels = _blocks(n, seed, vertices, per_unit=4)
    new = labels.copy()
    rng = np.random.default_rng(seed + 2)
    units = rng.permutation(n)[: int(n * changed / 1.7)]
    kind = np.arange(len(units)) % 3
    tree = cKDTree(xy)
    _, near = tree.query(xy, k=6)
    touched = np.zeros(n, dtype=bool)
    next_code = n
    for unit, k in zip(units, kind, strict=True):
        mine = np.flatnonzero(labels == unit)
        if touched[unit] or len(mine) < 2:
            continue
        others = labels[near[mine]]
        foreign = others[others != unit]
        foreign = foreign[~touched[foreign]]
        if k == 1:  # split: the blocks on one side get a new code
            side = xy[mine, 0] > np.median(xy[mine, 0])
            if side.all() or not side.any():
                continue
            new[mine[side]] = next_code
            next_code += 1
            touched[unit] = True
        elif len(foreign):
            other = foreign[0]
            if k == 0:  # reshape: one border block goes to the neighbour
                border = mine[(labels[near[mine]] == other).any(axis=1)]
                new[border[:1]] = other
            else:  # merge: both get a new code
                new[(labels == unit) | (labels == other)] = next_code
                next_code += 1
            touched[[unit, other]] = True
    source = _dissolve(blocks, labels, "BU")
    target = _dissolve(blocks, new, "BU")
    return source, target


def nested_pair(
    n: int = 14_000, seed: int = 11, vertices: int = 175, per_target: int = 5
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Buurten and 'wijken' that are exact unions of about ``per_target`` buurten each.

    Returns
    -------
    (source, target) GeoDataFrames with ``code``, ``name``, ``geometry`` (EPSG:28992).
    """
    blocks, xy, labels = _blocks(n, seed, vertices, per_unit=4)
    source = _dissolve(blocks, labels, "BU")
    centre = pd.DataFrame(xy).groupby(labels).mean().to_numpy()
    rng = np.random.default_rng(seed + 3)
    heads = centre[rng.choice(len(centre), max(1, n // per_target), replace=False)]
    group = cKDTree(heads).query(centre)[1]
    target = _dissolve(np.asarray(source.geometry.values), group, "WK")
    return source, target
