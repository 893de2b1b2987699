"""Class breaks and colours for choropleths: the ``map_classes`` table.

The web map and the QGIS plugin both draw from this table, so their classes match. Breaks are
computed per (version, variable) over all years of that version, so a colour means the same
value range in every year.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import mapclassify
import numpy as np
import pandas as pd
from branca.utilities import color_brewer

from geo.errors import WijkatlasError
from geo.maps.specs import ClassSpec, class_specs, read_specs, version_defaults
from geo.units import VALUE_STATUSES

MAP_CLASSES_COLUMNS = ["version", "variable", "scheme", "class_index", "lower", "upper",
                       "colour", "label"]
#: Statuses whose value is drawn in a class colour (a partial value is the observed part).
CLASSIFIED_STATUSES = VALUE_STATUSES


def format_nl(value: float, decimals: int = 0) -> str:
    """Format a number the Dutch way: ``1234.5`` -> ``'1.234,5'``.

    Parameters
    ----------
    value
        The number; NaN gives an empty string.
    decimals
        Digits after the decimal comma.
    """
    if value is None or not np.isfinite(value):
        return ""
    scale = 10.0**decimals
    # Round half away from zero, as the browser's Intl.NumberFormat does; + 0.0 drops "-0".
    value = float(np.sign(value) * np.floor(abs(value) * scale + 0.5) / scale) + 0.0
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def palette(name: str, k: int) -> list[str]:
    """``k`` colours (``#rrggbb``, light to dark) of a sequential ColorBrewer palette."""
    if k >= 3:
        return [c.lower() for c in color_brewer(name, n=k)]
    three = [c.lower() for c in color_brewer(name, n=3)]
    return [three[1]] if k == 1 else [three[0], three[2]]


def class_bounds(values: np.ndarray, spec: ClassSpec) -> list[tuple[float, float]]:
    """(lower, upper) of each class for ``values`` under ``spec``.

    A value ``v`` belongs to the first class with ``v <= upper``; the first class starts at
    the minimum. Fewer distinct values than ``spec.k`` give fewer classes; no values give none.
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return []
    lo, hi = float(values.min()), float(values.max())
    if spec.scheme == "fixed":
        uppers = list(spec.breaks) + ([hi] if hi > spec.breaks[-1] else [])
        lower = min(lo, spec.breaks[0])
    else:
        k = min(spec.k, np.unique(values).size)
        if k <= 1:
            return [(lo, hi)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if spec.scheme == "quantiles":
                bins = mapclassify.Quantiles(values, k=k).bins
            elif spec.scheme == "natural_breaks":
                bins = mapclassify.FisherJenks(values, k=k).bins
            else:
                bins = mapclassify.EqualInterval(values, k=k).bins
        uppers = sorted(set(float(b) for b in bins))
        uppers[-1] = hi
        lower = lo
    bounds = []
    for upper in uppers:
        bounds.append((lower, float(upper)))
        lower = float(upper)
    return bounds


def _classes_for(version: str, variable: str, values: np.ndarray, spec: ClassSpec,
                 decimals: int) -> pd.DataFrame:
    bounds = class_bounds(values, spec)
    colours = palette(spec.palette, len(bounds)) if bounds else []
    return pd.DataFrame({
        "version": version, "variable": variable, "scheme": spec.scheme,
        "class_index": np.arange(len(bounds), dtype="int64"),
        "lower": [b[0] for b in bounds], "upper": [b[1] for b in bounds],
        "colour": colours,
        "label": [f"{format_nl(a, decimals)} - {format_nl(b, decimals)}" for a, b in bounds],
    }, columns=MAP_CLASSES_COLUMNS)


def map_classes_table(results: pd.DataFrame, indicators: pd.DataFrame,
                      specs_dir: Path) -> pd.DataFrame:
    """Class breaks and colours per (version, variable), over all years of that version.

    Parameters
    ----------
    results
        The long result table (``version``, ``variable``, ``value``, ``status``, ...).
    indicators
        The indicator table (``code``, ``decimals``) used for the labels' decimals.
    specs_dir
        Folder with the map specifications (``maps/``); a variable's scheme, number of
        classes and palette come from the atlas spec of its version, else the defaults
        (quantiles, 5 classes, YlGnBu).

    Returns
    -------
    DataFrame with the columns of the ``map_classes`` table (``docs/atlas-gpkg.md``).
    Variables without any observed or partial value get no rows.
    """
    specs = read_specs(Path(specs_dir))
    explicit = class_specs(specs)
    defaults = version_defaults(specs)
    digits = pd.to_numeric(indicators["decimals"], errors="coerce").fillna(0)
    decimals = dict(zip(indicators["code"].astype(str), digits, strict=True))
    drawn = results[results["status"].isin(CLASSIFIED_STATUSES)]
    frames = [_classes_for(str(version), str(variable), group["value"].to_numpy(dtype=float),
                           explicit.get((str(version), str(variable)),
                                        defaults.get(str(version), ClassSpec())),
                           int(decimals.get(str(variable), 0)))
              for (version, variable), group in drawn.groupby(["version", "variable"], sort=True)]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=MAP_CLASSES_COLUMNS)
    return pd.concat(frames, ignore_index=True)


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
