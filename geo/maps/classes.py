"""Class lookup for the web map: which class of the ``map_classes`` table a value falls in.

The classes themselves are computed by the engine as part of the atlas build
(:mod:`geo.classes`), per indicator over every year and version; they are re-exported here for
the page code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geo.classes import (  # noqa: F401  (re-exported for the page code)
    CLASSIFIED_STATUSES,
    MAP_CLASSES_COLUMNS,
    ClassSpec,
    class_bounds,
    format_nl,
    map_classes_table,
    palette,
)
from geo.errors import WijkatlasError


def assign_classes(values: np.ndarray, classes: pd.DataFrame, *, where: str,
                   source: str | Path = "map_classes") -> np.ndarray:
    """Class index of each value (-1 for NaN) under the classes of one (version, variable).

    Raises
    ------
    WijkatlasError
        When a value lies outside every class: the ``map_classes`` table is out of date.
    """
    values = np.asarray(values, dtype=float)
    classes = classes.sort_values("class_index")
    uppers = classes["upper"].to_numpy(dtype=float)
    lowest = float(classes["lower"].iloc[0]) if len(classes) else np.nan
    finite = np.isfinite(values)
    idx = np.full(values.shape, -1, dtype=int)
    if not finite.any():
        return idx
    tol = 1e-9 * max(1.0, float(np.nanmax(np.abs(values))))
    outside = finite & ((values > (uppers[-1] + tol if len(uppers) else -np.inf))
                        | (values < lowest - tol))
    if outside.any():
        bad = float(values[outside][0])
        raise WijkatlasError(
            f"value {bad} of {where} lies outside every class of the map_classes table.",
            file=source, unit=where,
            fix="rebuild the atlas (make atlas) so map_classes is computed from these results.")
    idx[finite] = np.minimum(np.searchsorted(uppers - tol, values[finite], side="left"),
                             len(uppers) - 1)
    return idx
