"""Reading polygon layers: CBS buurten of any year, and layers users bring.

One loader maps the per-year column differences of CBS files to one schema
(``code``, ``name``, ``year``, ``geometry``) in EPSG:28992.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from geo.crs import to_rd_new
from geo.errors import WijkatlasError, listing
from geo.files import read_vector
from geo.units import SQM_PER_HA

# Column names CBS (and its re-publishers) have used for the unit code and name over the years.
CODE_COLUMNS = ("statcode", "buurtcode", "bu_code", "wijkcode", "wk_code", "gwb_code",
                "gwb_code_10", "code")
NAME_COLUMNS = ("statnaam", "buurtnaam", "bu_naam", "wijknaam", "wk_naam", "regio", "name",
                "naam")
POLYGONAL = ("Polygon", "MultiPolygon")


def _pick(columns: list[str], wanted: str | None, candidates: tuple[str, ...], what: str,
          path: Path, option: str) -> str:
    if wanted:
        if wanted not in columns:
            raise WijkatlasError(
                f"the {what} column {wanted!r} does not exist (columns: {listing(columns)}).",
                file=path, fix=f"pass the right {option}.")
        return wanted
    lower = {c.lower(): c for c in columns}
    for cand in candidates:
        if cand in lower:
            return lower[cand]
    raise WijkatlasError(
        f"no {what} column found (looked for {', '.join(candidates)}; "
        f"columns are: {listing(columns)}).",
        file=path, fix=f"pass {option} with the column that holds the unit {what}.")


def read_units(
    path: str | Path,
    *,
    code_column: str | None = None,
    name_column: str | None = None,
    layer: str | None = None,
    require_names: bool = False,
    option: str | None = None,
    code_option: str = "--code-column",
    name_option: str = "--name-column",
) -> gpd.GeoDataFrame:
    """Read a polygon layer (GeoPackage, GeoJSON, Shapefile) as ``code, name, geometry``.

    The result is in EPSG:28992; input in another CRS is reprojected. Geometry problems
    (invalid, empty, overlapping) are *not* refused here: :func:`geo.validate.validate_units`
    reports them. What cannot be worked with at all is refused.

    Raises
    ------
    WijkatlasError
        File missing or unreadable, empty layer, no CRS, not a polygon layer, code column
        missing (or name column when ``require_names``).
    """
    path = Path(path)
    gdf = read_vector(path, layer=layer, what="polygon layer", option=option)
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf:
        raise WijkatlasError("the layer has no geometry.", file=path,
                             fix="give a polygon layer (GeoPackage, GeoJSON or Shapefile).")
    if len(gdf) == 0:
        raise WijkatlasError("the layer is empty (0 features).", file=path,
                             fix="give a layer with at least one polygon.", rule="empty_layer")
    types = set(gdf.geometry.dropna().geom_type)
    wrong = types - set(POLYGONAL)
    if wrong:
        raise WijkatlasError(
            f"not a polygon layer: it holds {', '.join(sorted(wrong))} geometries.", file=path,
            fix="give a polygon layer; points and lines cannot form a wijkindeling.",
            rule="not_polygon")
    gdf = to_rd_new(gdf, path)
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    code_col = _pick(columns, code_column, CODE_COLUMNS, "code", path, code_option)
    try:
        name_col = _pick(columns, name_column, NAME_COLUMNS, "name", path, name_option)
    except WijkatlasError:
        if require_names or name_column:
            raise
        name_col = None
    out = gpd.GeoDataFrame(
        {
            "code": gdf[code_col].astype("string").str.strip(),
            "name": gdf[name_col].astype("string").str.strip() if name_col else pd.NA,
        },
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    return out


_YEAR_IN_NAME = re.compile(r"(?<!\d)(19|20)\d{2}(?!\d)")


def load_cbs_buurten(path: str | Path, year: int | None = None) -> gpd.GeoDataFrame:
    """Load a CBS buurt file of any year as ``code, name, year, geometry`` in EPSG:28992.

    The year comes from ``year``, else from ``jrstatcode`` (year + statcode), else from the
    file name. Codes are only meaningful with the year: CBS reuses codes for other areas.
    """
    path = Path(path)
    units = read_units(path)
    if year is None:
        raw = pyogrio.read_dataframe(path, read_geometry=False)
        if "jrstatcode" in raw.columns and raw["jrstatcode"].notna().any():
            year = int(str(raw["jrstatcode"].dropna().iloc[0])[:4])
        else:
            match = _YEAR_IN_NAME.search(path.stem)
            if not match:
                raise WijkatlasError("cannot tell the year of this buurt file.", file=path,
                                     fix="pass the year explicitly (--year).")
            year = int(match.group(0))
    units.insert(2, "year", int(year))
    return units


def cbs_buurt_files(layers_dir: str | Path, gemeente: str) -> dict[int, Path]:
    """The usable CBS buurt files per year of one gemeente (e.g. ``GM0797``) in
    ``layers_dir``, named ``cbs_buurten_<year>_<gemeente>.geojson`` (coarse files left out).
    An atlas names its own files in ``layers/atlas.toml`` (:meth:`AtlasConfig.buurt_files`)."""
    files = {}
    for path in sorted(Path(layers_dir).glob(f"cbs_buurten_*_{gemeente}.geojson")):
        match = _YEAR_IN_NAME.search(path.stem)
        if match:
            files[int(match.group(0))] = path
    return files


def area_ha(geometry: gpd.GeoSeries) -> pd.Series:
    """Area in hectares of geometry in a projected CRS in metres."""
    return pd.Series(shapely.area(geometry.values) / SQM_PER_HA, index=geometry.index)
