"""Class breaks and colours for choropleths, per indicator: the ``map_classes`` table.

Computed by the engine as part of the atlas build (:func:`geo.atlas.build_atlas`), so every
client (the web maps, QGIS) draws the same classes. How an indicator is classified is declared
once per atlas, in the ``[classes]`` table of ``layers/atlas.toml``: defaults (``scheme``,
``k``, ``palette``) and per indicator overrides (``[classes.<code>]``, with ``breaks`` for
``scheme = "fixed"``). Breaks are computed per indicator over every year *and every version*
of the atlas, so one indicator has one scheme, one palette and one set of breaks: a colour
means the same value range in every year and in every wijkindeling.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import mapclassify
import numpy as np
import pandas as pd
from branca.utilities import color_brewer

from geo.errors import WijkatlasError
from geo.units import VALUE_STATUSES

__all__ = [
    "MAP_CLASSES_COLUMNS", "SAFE_PALETTES", "SCHEMES", "ClassSettings", "ClassSpec",
    "class_bounds", "class_settings", "format_nl", "map_classes_table", "palette",
]

SCHEMES = ("quantiles", "natural_breaks", "equal_interval", "fixed")
#: Sequential ColorBrewer palettes that stay distinguishable for colour-blind readers.
SAFE_PALETTES = ("YlGnBu", "YlOrBr", "PuBu", "BuPu", "Blues", "Greens", "Purples", "Oranges")
DEFAULT_SCHEME = "quantiles"
DEFAULT_K = 5
DEFAULT_PALETTE = "YlGnBu"
MAX_K = 9
MAP_CLASSES_COLUMNS = ["version", "variable", "scheme", "class_index", "lower", "upper",
                       "colour", "label"]
#: Statuses whose value is drawn in a class colour (a partial value is the observed part).
CLASSIFIED_STATUSES = VALUE_STATUSES


@dataclass(frozen=True)
class ClassSpec:
    """How one variable is classified: scheme, number of classes, palette, fixed breaks."""

    scheme: str = DEFAULT_SCHEME
    k: int = DEFAULT_K
    palette: str = DEFAULT_PALETTE
    breaks: tuple[float, ...] = ()


@dataclass(frozen=True)
class ClassSettings:
    """The atlas's classification: defaults and per indicator overrides."""

    default: ClassSpec = field(default_factory=ClassSpec)
    variables: dict[str, ClassSpec] = field(default_factory=dict)

    def spec(self, variable: str) -> ClassSpec:
        return self.variables.get(variable, self.default)


def parse_class_spec(raw: dict, base: ClassSpec, path: Path | str, where: str) -> ClassSpec:
    """Check one classification table (``scheme``, ``k``, ``palette``, ``breaks``)."""
    scheme = raw.get("scheme", base.scheme)
    if scheme not in SCHEMES:
        raise WijkatlasError(f"unknown classification scheme {scheme!r}.", file=path, unit=where,
                             fix=f"use one of: {', '.join(SCHEMES)}.")
    k = raw.get("k", base.k)
    if not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise WijkatlasError(f"k = {k!r} is not a number of classes from 1 to {MAX_K}.",
                             file=path, unit=where, fix="set k to a whole number from 1 to 9.")
    colours = raw.get("palette", base.palette)
    if colours not in SAFE_PALETTES:
        raise WijkatlasError(f"palette {colours!r} is not one of the colour-blind-safe palettes.",
                             file=path, unit=where, fix=f"use one of: {', '.join(SAFE_PALETTES)}.")
    breaks = tuple(raw.get("breaks", base.breaks if scheme == base.scheme else ()))
    if scheme == "fixed":
        ok = breaks and all(isinstance(b, int | float) for b in breaks)
        if not ok or list(breaks) != sorted(set(breaks)) or len(breaks) > MAX_K:
            raise WijkatlasError("scheme 'fixed' needs increasing numeric breaks.",
                                 file=path, unit=where,
                                 fix="give breaks = [upper bound of class 1, class 2, ...], "
                                     "at most 9, increasing.")
        k = len(breaks)
    return ClassSpec(scheme=scheme, k=k, palette=colours, breaks=tuple(float(b) for b in breaks))


def class_settings(path: str | Path | None) -> ClassSettings:
    """Read the ``[classes]`` table of an atlas configuration (``layers/atlas.toml``).

    A missing file or table gives the defaults (quantiles, 5 classes, YlGnBu).
    """
    if path is None or not Path(path).is_file():
        return ClassSettings()
    from geo.files import read_toml

    raw = read_toml(path, what="atlas configuration").get("classes", {})
    if not isinstance(raw, dict):
        raise WijkatlasError("classes is not a table.", file=path,
                             fix='write [classes] with scheme = "quantiles", k = 5, ...')
    own = {k: v for k, v in raw.items() if not isinstance(v, dict)}
    default = parse_class_spec(own, ClassSpec(), path, "classes")
    variables = {str(code): parse_class_spec(sub, default, path, f"classes.{code}")
                 for code, sub in raw.items() if isinstance(sub, dict)}
    return ClassSettings(default=default, variables=variables)


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
    Breaks come from mapclassify (Quantiles, FisherJenks, EqualInterval).
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


def _classes_for(variable: str, values: np.ndarray, spec: ClassSpec,
                 decimals: int) -> pd.DataFrame:
    bounds = class_bounds(values, spec)
    colours = palette(spec.palette, len(bounds)) if bounds else []
    return pd.DataFrame({
        "variable": variable, "scheme": spec.scheme,
        "class_index": np.arange(len(bounds), dtype="int64"),
        "lower": [b[0] for b in bounds], "upper": [b[1] for b in bounds],
        "colour": colours,
        "label": [f"{format_nl(a, decimals)} - {format_nl(b, decimals)}" for a, b in bounds],
    })


def map_classes_table(results: pd.DataFrame, indicators: pd.DataFrame,
                      settings: ClassSettings | str | Path | None = None) -> pd.DataFrame:
    """Class breaks and colours per indicator, over every year and version of the results.

    Parameters
    ----------
    results
        The long result table (``version``, ``variable``, ``value``, ``status``, ...).
    indicators
        The indicator table (``code``, ``decimals``) used for the labels' decimals.
    settings
        The atlas's classification (:func:`class_settings`), or the path of the atlas
        configuration to read it from; ``None`` uses the defaults.

    Returns
    -------
    DataFrame with the columns of the ``map_classes`` table (``docs/atlas-gpkg.md``): for
    every version that has results of a variable the same rows (scheme, breaks, colours), so
    clients may look classes up by (version, variable). Variables without any observed or
    partial value get no rows.
    """
    if not isinstance(settings, ClassSettings):
        settings = class_settings(settings)
    digits = pd.to_numeric(indicators["decimals"], errors="coerce").fillna(0)
    decimals = dict(zip(indicators["code"].astype(str), digits, strict=True))
    drawn = results[results["status"].isin(CLASSIFIED_STATUSES)]
    frames = []
    for variable, group in drawn.groupby("variable", sort=True):
        cls = _classes_for(str(variable), group["value"].to_numpy(dtype=float),
                           settings.spec(str(variable)), int(decimals.get(str(variable), 0)))
        if cls.empty:
            continue
        versions = sorted(results.loc[results["variable"] == variable, "version"]
                          .astype(str).unique())
        frames += [cls.assign(version=v) for v in versions]
    if not frames:
        return pd.DataFrame(columns=MAP_CLASSES_COLUMNS)
    return pd.concat(frames, ignore_index=True)[MAP_CLASSES_COLUMNS]
