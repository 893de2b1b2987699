"""Intersection areas between two polygon layers, as a sparse table.

This is the only place where polygons are intersected for a crosswalk.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely


def overlay_areas(source: np.ndarray, target: np.ndarray) -> pd.DataFrame:
    """Area of every non-empty intersection between ``source`` and ``target`` polygons.

    Parameters
    ----------
    source, target
        Arrays of shapely polygons in the same projected CRS.

    Returns
    -------
    DataFrame with ``source_index``, ``target_index`` (positions in the input arrays) and
    ``area`` (in CRS units squared), one row per pair whose intersection has positive area.
    """
    source = np.asarray(source, dtype=object)
    target = np.asarray(target, dtype=object)
    tree = shapely.STRtree(target)
    src_idx, tgt_idx = tree.query(source, predicate="intersects")
    areas = shapely.area(shapely.intersection(source[src_idx], target[tgt_idx]))
    keep = areas > 0
    return pd.DataFrame(
        {"source_index": src_idx[keep], "target_index": tgt_idx[keep], "area": areas[keep]}
    )
