"""Helpers of ``wijkatlas records`` (file handling the API leaves to its callers)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import WijkatlasError
from geo.records.locate import Placement


def write_targets(layers: list[tuple[Path, gpd.GeoDataFrame]]) -> dict[str, gpd.GeoDataFrame]:
    """Name each target by its file name, or by its folder when file names repeat
    (``boundaries/2016/units.geojson`` -> ``2016``), and refuse duplicate unit codes."""
    out: dict[str, gpd.GeoDataFrame] = {}
    stems = [p.stem for p, _ in layers]
    by_folder = len(set(stems)) < len(stems) and len({p.parent.name for p, _ in layers}) == \
        len(layers)
    for path, units in layers:
        dup = units["code"][units["code"].duplicated()]
        if len(dup):
            raise WijkatlasError("a unit code occurs twice.", file=path, unit=str(dup.iloc[0]),
                                 fix="give every unit its own code (or pick another "
                                     "--target-code).")
        if units["name"].isna().all():
            units = units.assign(name=units["code"])
        # a version folder of a register (boundaries/2016/units.geojson) is named by its id
        base = path.parent.name if by_folder or path.stem == "units" and path.parent.name \
            else path.stem
        name, k = base, 2
        while name in out:
            name, k = f"{base}_{k}", k + 1
        out[name] = units
    return out


def read_population(path: Path, versions: list[str]) -> pd.DataFrame:
    """A long table of denominators: ``code`` (or ``unit_code``), ``year``, ``variable``,
    ``value`` and optional ``status`` / ``version``; without ``version`` it applies to every
    target."""
    from geo.catalog import load_catalog

    if not path.exists():
        raise WijkatlasError("population table not found.", file=path, fix="check the path.")
    frame = pd.read_csv(path, dtype={"code": str, "unit_code": str, "version": str})
    frame = frame.rename(columns={"code": "unit_code"})
    missing = [c for c in ("unit_code", "year", "variable", "value") if c not in frame]
    if missing:
        raise WijkatlasError(f"column(s) {', '.join(missing)} missing.", file=path,
                             fix="give a long table code, year, variable, value (e.g. from "
                                 "`wijkatlas reaggregate --year ...`).", rule="unknown_column")
    catalog = load_catalog()
    frame["variable"] = frame["variable"].map(lambda v: catalog.resolve(str(v)) or str(v))
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    if "status" not in frame:
        frame["status"] = np.where(frame["value"].notna(), "observed", "missing")
    if "version" in frame:
        return frame[frame["version"].isin(versions)]
    return pd.concat([frame.assign(version=v) for v in versions], ignore_index=True)


def summary_line(placement: Placement, result: pd.DataFrame, outs: list[Path]) -> str:
    """One line: how many records, placed and unplaced (by reason), and that they add up."""
    report = placement.report()
    first = report[report["version"] == placement.versions[0]]
    total = int(round(first["records"].sum()))
    placed = first["placed"].sum()
    unplaced = first["unplaced"].sum()
    reasons = [c for c in report.columns if c not in ("version", "year", "records", "placed",
                                                      "unplaced", "balanced")]
    by = ", ".join(f"{r} {first[r].sum():,.0f}" for r in reasons if first[r].sum() > 0)
    ok = "add up" if report["balanced"].all() else "DO NOT add up"
    withheld = int(result["status"].isin(["small", "withheld"]).sum())
    return (f"{total:,} records: {placed:,.0f} placed, {unplaced:,.0f} unplaced"
            f"{f' ({by})' if by else ''}; placed + unplaced = input: they {ok}. "
            f"{len(result):,} figures written to {outs[0]} ({withheld:,} withheld by "
            f"disclosure control); unplaced records in {outs[1]}, report in {outs[2]}.")
