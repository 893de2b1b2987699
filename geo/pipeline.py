"""Reaggregation from layers and from files: the one path the command line, the QGIS
algorithm (which runs the command line) and the atlas build share.

What enters: source polygons with values per source unit (a long table from
:mod:`geo.kerncijfers`), target polygons, optionally address points or a density raster.
What leaves: the long result table (:func:`geo.reaggregate.reaggregate`) and the crosswalk.

:func:`reaggregate_layers` works on loaded layers (the build calls it per year and version);
:func:`reaggregate_files` reads and checks the files first (``wijkatlas reaggregate``).
Both refuse nonsense before computing: a target that no source overlaps, values for units
that are not in the source layer, a values table without a known variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.catalog import Catalog, load_catalog
from geo.crosswalk import (
    DEFAULT_EXACT_SHARE,
    DEFAULT_SLIVER_WIDTH_M,
    build_crosswalk,
    raster_points,
)
from geo.errors import WijkatlasError, listing, notice
from geo.files import read_vector
from geo.progress import ProgressBar
from geo.reaggregate import reaggregate
from geo.units import SQM_PER_HA

__all__ = ["reaggregate_files", "reaggregate_layers"]


def reaggregate_layers(
    source: gpd.GeoDataFrame,
    target: gpd.GeoDataFrame,
    values: pd.DataFrame,
    catalog: Catalog,
    *,
    source_name: str = "source",
    target_name: str = "target",
    progress: ProgressBar | None = None,
    year: int | None = None,
    **weighting: Any,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Crosswalk ``source`` to ``target`` and reaggregate ``values`` over it.

    Parameters
    ----------
    source, target
        Polygon layers (``code``, ``geometry``; ``name`` on the target) in EPSG:28992.
    values
        Long table ``code, variable, value, status`` of the source units.
    catalog
        How each variable aggregates.
    source_name, target_name
        Names of the layers in messages (file names, or ``cbs_buurten_2019`` and a version).
    progress
        A :class:`geo.progress.ProgressBar` to report on (optional).
    year
        The year of the data, for the conservation check's message.
    **weighting
        How the crosswalk weighs (``points``, ``point_weight``, ``raster``, ``exact_share``,
        ``sliver_width``, ``plain_area``), passed to :func:`geo.crosswalk.build_crosswalk`,
        which documents them.

    Returns
    -------
    ``(result, crosswalk)``: the long result per target unit and variable
    (:data:`geo.reaggregate.RESULT_COLUMNS`) and the crosswalk
    (``source_code, target_code, weight, method``; ``attrs["unallocated"]`` lists source
    units outside every target).

    Raises
    ------
    WijkatlasError
        When no source unit overlaps any target unit (layers of different places, or a wrong
        CRS), or when a count is not conserved (a bug).
    """
    from geo.series import check_conservation

    bar = progress or ProgressBar(enabled=False)
    bar.task(f"overlay {source_name} x {target_name}")
    cw = build_crosswalk(source, target, source_name=source_name, target_name=target_name,
                         progress=bar.update, **weighting)
    if cw.empty:
        raise WijkatlasError(
            f"no unit of {target_name} overlaps any unit of {source_name}: the layers cover "
            "different places.", file=target_name,
            fix="check that both layers are of the same gemeente and carry their real CRS "
                "(a GeoJSON without a crs member is read as WGS 84 longitude/latitude).",
            rule="no_overlap")
    bar.task(f"herverdelen ({values['variable'].nunique()} variabelen)")
    area = pd.Series(target.geometry.area.to_numpy() / SQM_PER_HA,
                     index=target["code"].to_numpy())
    result = reaggregate(values, cw, catalog, area)
    check_conservation(values, result, catalog, year, cw.attrs["unallocated"])
    return result, cw


def reaggregate_files(
    source: str | Path,
    values: str | Path,
    target: str | Path,
    *,
    source_code: str | None = None,
    values_code: str | None = None,
    target_code: str | None = None,
    target_name: str | None = None,
    source_layer: str | None = None,
    target_layer: str | None = None,
    weights: str | Path | None = None,
    weights_layer: str | None = None,
    weights_built: str = "bouwjaar",
    weights_residential: str | None = "woonfunctie",
    weights_column: str | None = None,
    raster: str | Path | None = None,
    year: int | None = None,
    catalog: str | Path | Catalog | None = None,
    exact_share: float = DEFAULT_EXACT_SHARE,
    sliver_width: float = DEFAULT_SLIVER_WIDTH_M,
    plain_area: bool = False,
    progress: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reaggregate a values table from source polygons to target polygons, from files.

    Any gemeente and any column names: the parameters are those of
    ``wijkatlas reaggregate`` (messages name its options, e.g. ``--values-code``).
    ``progress=True`` shows a progress bar on stderr for large inputs (more than 2,000
    source units).

    Returns
    -------
    ``(result, crosswalk)``: the result with columns ``code, name, [year,] variable, value,
    lower, upper, status, interpolated_share, method, approximate`` and the crosswalk.
    Source units outside every target and target units no source overlaps are reported as
    notices (:class:`geo.errors.WijkatlasNotice`).

    Raises
    ------
    WijkatlasError
        For every input that cannot be used (see :mod:`geo.files`, :mod:`geo.sources`,
        :mod:`geo.kerncijfers`), before anything is computed.
    """
    from geo.kerncijfers import check_codes, read_values
    from geo.series import addresses_in_year
    from geo.sources import read_units

    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    src = read_units(source, code_column=source_code, layer=source_layer, option="--source",
                     code_option="--source-code", name_option="--source-name")
    tgt = read_units(target, code_column=target_code, name_column=target_name,
                     layer=target_layer, option="--target", code_option="--target-code",
                     name_option="--target-name")
    table = read_values(values, catalog=cat, code_column=values_code, year=year,
                        option="--values", code_option="--values-code")
    check_codes(table, src["code"], values)
    points = None
    if weights is not None:
        points = read_vector(weights, layer=weights_layer, what="address point layer",
                             option="--weights")
        if not isinstance(points, gpd.GeoDataFrame) or points.crs is None:
            raise WijkatlasError("the address point layer has no geometry or no CRS.",
                                 file=weights, fix="give a point layer with its CRS.")
        from geo.crs import to_rd_new

        points = to_rd_new(points, weights)
        for column in (weights_built if year else None, weights_residential or None,
                       weights_column):
            if column and column not in points.columns:
                raise WijkatlasError(
                    f"column {column!r} not in the points (columns: "
                    f"{listing(points.columns)}).", file=weights,
                    fix="name the right column with the --weights-built/"
                        "--weights-residential/--weights-column option.")
        if year:
            points = addresses_in_year(points, year, built=weights_built,
                                       residential=weights_residential or None)
        elif weights_residential:
            points = points[points[weights_residential].astype(bool)]
    cells = raster_points(raster) if raster is not None else None
    with ProgressBar(enabled=progress and len(src) > 2_000) as bar:
        result, cw = reaggregate_layers(src, tgt, table, cat, points=points,
                                        point_weight=weights_column, raster=cells,
                                        exact_share=exact_share,
                                        sliver_width=sliver_width, plain_area=plain_area,
                                        source_name=str(source),
                                        target_name=str(target), progress=bar, year=year)
    missed = sorted(set(tgt["code"]) - set(cw["target_code"]))
    if missed:
        notice(f"{target}: {len(missed)} target unit(s) that no source unit overlaps "
               f"(status missing): {listing(missed)}.")
    coverage = cw.attrs["coverage"].table() if "coverage" in cw.attrs else pd.DataFrame()
    if len(coverage):
        partly = coverage.query("uncovered_share > 0.001 and covered_ha > 0")
        if len(partly):
            worst = partly.loc[partly["uncovered_share"].idxmax()]
            notice(f"{len(partly)} source units lie partly outside every target (most: "
                   f"{worst.source_code}, {worst.uncovered_share:.1%} of {worst.area_ha:.1f} "
                   "ha); their weights are re-normalised over the covered part, so their whole "
                   "value is allocated.")
    if cw.attrs["unallocated"]:
        notice(f"{source}: source units outside every target (not allocated): "
               f"{listing(cw.attrs['unallocated'])}.")
    names = dict(zip(tgt["code"], tgt["name"], strict=True))
    result.insert(1, "name", result["unit_code"].map(names))
    result = result.rename(columns={"unit_code": "code"})
    if year:
        result.insert(2, "year", year)
    return result, cw
