"""Harmonised series: every year of CBS buurt data on one version of the wijkindeling."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.catalog import Catalog
from geo.errors import WijkatlasError


@dataclass(frozen=True)
class YearInput:
    """What one year of source data consists of."""

    year: int
    buurten: gpd.GeoDataFrame  # code, name, year, geometry
    values: pd.DataFrame  # long: code, variable, value, status
    points: gpd.GeoDataFrame | None = None  # address points of that year


def addresses_in_year(addresses: gpd.GeoDataFrame, year: int, *,
                      built: str = "bouwjaar", residential: str | None = "woonfunctie"
                      ) -> gpd.GeoDataFrame:
    """The address points that existed in ``year`` (built that year or before), residential
    ones only when a residential flag column is named."""
    keep = addresses[built].to_numpy() <= year
    if residential:
        keep &= addresses[residential].astype(bool).to_numpy()
    return addresses[keep]


def harmonise(
    inputs: list[YearInput],
    target: gpd.GeoDataFrame,
    catalog: Catalog,
    *,
    version: str,
    progress=None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Put every year on the units of ``target`` (one boundary version).

    Returns
    -------
    results
        Long table: ``version, unit_code, unit_name, year, variable, value, lower, upper,
        status, interpolated_share, method, approximate``.
    crosswalks
        The crosswalk of every year: ``source_layer, source_year, source_code,
        target_version, target_code, weight, method``.
    """
    from geo.pipeline import reaggregate_layers

    names = dict(zip(target["code"], target["name"], strict=True))
    results, crosswalks = [], []
    for item in inputs:
        res, cw = reaggregate_layers(item.buurten, target, item.values, catalog,
                                     points=item.points, source_name=f"cbs_buurten_{item.year}",
                                     target_name=version, year=item.year)
        res.insert(0, "version", version)
        res.insert(2, "unit_name", res["unit_code"].map(names))
        res.insert(3, "year", item.year)
        results.append(res)
        cw.insert(0, "source_layer", f"cbs_buurten_{item.year}")
        cw.insert(1, "source_year", item.year)
        cw.insert(3, "target_version", version)
        crosswalks.append(cw)
        if progress is not None:
            progress()
    return pd.concat(results, ignore_index=True), pd.concat(crosswalks, ignore_index=True)


def check_conservation(values: pd.DataFrame, results: pd.DataFrame, catalog: Catalog,
                       year: int, unallocated: list[str], rtol: float = 1e-9) -> None:
    """Counts are conserved: target total equals source total when nothing was suppressed."""
    counts = [c for c in catalog.indicators if catalog[c].spec.conserved]
    src = values[values["variable"].isin(counts) & ~values["code"].isin(unallocated)]
    for variable, group in src.groupby("variable"):
        if (group["status"] != "observed").any():
            continue
        expected = group["value"].sum()
        got = results.loc[results["variable"] == variable, "value"].sum()
        if not np.isclose(got, expected, rtol=rtol, atol=1e-6):
            raise WijkatlasError(
                f"count {variable} not conserved{f' in {year}' if year else ''}: {got} on "
                f"targets vs {expected}.",
                unit=variable, fix="report this as a bug in wijkatlas with the input files.")


def trend_table(results: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """Wide trend table: per unit and variable one column per year (``y2008`` ...), the
    change from the first to the last observed year and the index (last / first x 100)."""
    wide = results.pivot(index=["unit_code", "unit_name", "variable"], columns="year",
                         values="value")
    wide = wide.reindex(sorted(wide.columns), axis=1)
    values = wide.to_numpy(dtype=float)
    has = ~np.isnan(values)
    first_pos = np.where(has.any(axis=1), has.argmax(axis=1), 0)
    last_pos = np.where(has.any(axis=1), values.shape[1] - 1 - has[:, ::-1].argmax(axis=1), 0)
    rows = np.arange(len(values))
    first = np.where(has.any(axis=1), values[rows, first_pos], np.nan)
    last = np.where(has.any(axis=1), values[rows, last_pos], np.nan)
    wide.columns = [f"y{y}" for y in wide.columns]
    wide = wide.reset_index()
    wide.insert(3, "label", wide["variable"].map(lambda c: catalog[c].label))
    wide["change"] = last - first
    with np.errstate(invalid="ignore", divide="ignore"):
        wide["index"] = np.where(first != 0, last / first * 100.0, np.nan)
    order = {c: i for i, c in enumerate(catalog.indicators)}
    wide = wide.sort_values(["variable", "unit_code"], key=lambda s: s.map(order)
                            if s.name == "variable" else s)
    return wide.reset_index(drop=True)
