"""What an atlas GeoPackage holds, read independently of the plugin with ``osgeo.ogr``."""

from __future__ import annotations

from pathlib import Path

from osgeo import ogr


def rows(path: Path, sql: str) -> list[dict]:
    """Return the rows of an OGR SQL query as dicts."""
    ds = ogr.Open(str(path))
    layer = ds.ExecuteSQL(sql)
    out = [dict(feature.items()) for feature in layer]
    ds.ReleaseResultSet(layer)
    return out


def n_units(path: Path, version: str) -> int:
    """Number of units in ``wijkindeling_<version>``."""
    ds = ogr.Open(str(path))  # keep a reference: the layer dies with its data source
    return ds.GetLayerByName(f"wijkindeling_{version}").GetFeatureCount()


def versions(path: Path) -> list[str]:
    """Version ids in the ``versions`` table."""
    return [str(r["id"]) for r in rows(path, "SELECT id FROM versions")]


def classes(path: Path, version: str, variable: str) -> list[dict]:
    """``map_classes`` rows of one version and variable, in class order."""
    return rows(path, f"SELECT * FROM map_classes WHERE version = '{version}' AND "
                      f"variable = '{variable}' ORDER BY class_index")


def has_levels(path: Path) -> bool:
    """Whether the atlas has area levels (a ``level`` column in ``results``)."""
    ds = ogr.Open(str(path))
    layer = ds.GetLayerByName("results")
    return layer.GetLayerDefn().GetFieldIndex("level") >= 0


def values(path: Path, version: str, variable: str, year: int,
           level: str = "wijk") -> dict[str, float | None]:
    """``{unit_code: value}`` of one version, level, variable and year (None: no value)."""
    where = f" AND level = '{level}'" if has_levels(path) else ""
    return {r["unit_code"]: r["value"] for r in rows(
        path, f"SELECT unit_code, value FROM results WHERE version = '{version}' AND "
              f"variable = '{variable}' AND year = {int(year)}{where}")}


def variables_with_classes(path: Path, version: str) -> list[str]:
    """Variables with map classes and results for ``version``."""
    with_classes = {r["variable"] for r in rows(
        path, f"SELECT DISTINCT variable FROM map_classes WHERE version = '{version}'")}
    with_results = [r["variable"] for r in rows(
        path, f"SELECT DISTINCT variable FROM results WHERE version = '{version}' "
              "ORDER BY variable")]
    return [v for v in with_results if v in with_classes]


def years(path: Path, version: str, variable: str) -> list[int]:
    """Years with results of one version and variable."""
    return sorted(int(r["year"]) for r in rows(
        path, f"SELECT DISTINCT year FROM results WHERE version = '{version}' AND "
              f"variable = '{variable}'"))
