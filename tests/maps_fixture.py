"""A small atlas GeoPackage following ``docs/atlas-gpkg.md``, for the web map tests.

Wijken are dissolved from the real CBS buurten 2016 of Heusden: 14 wijken in version 2016 and
15 in version 2020, where Vijfhoeven is split and "Geerpark/de Grassen" is new. One wijk is
named ``<script>alert(1)</script>`` to test escaping. Values are synthetic (seeded), years
2016..2022, with suppressed, missing, partial and interpolated values.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

REPO = Path(__file__).resolve().parents[1]
BUURTEN = REPO / "layers" / "cbs" / "cbs_buurten_2016_GM0797.geojson"
YEARS = list(range(2016, 2023))
EVIL_NAME = "<script>alert(1)</script>"

# wijk code, name, buurt codes (last 4 digits) of version 2016
WIJKEN_2016 = [
    ("W01", "Drunen-Noord", ["0101", "0102"]),
    ("W02", "Centrum Drunen", ["0103", "0104"]),
    ("W03", "Venne-Oost", ["0105"]),
    ("W04", "Elshout", ["0200"]),
    ("W05", "Haarsteeg", ["0300"]),
    ("W06", "Nieuwkuijk", ["0400"]),
    ("W07", "Vijfhoeven", ["0501"]),
    ("W08", "Vlijmen-Dorp", ["0502"]),
    ("W09", "Vliedberg", ["0503"]),
    ("W10", EVIL_NAME, ["0600", "0700"]),
    ("W11", "Heesbeen", ["0800"]),
    ("W12", "Herpt", ["0900"]),
    ("W13", "Heusden", ["1000"]),
    ("W14", "Oudheusden", ["1100"]),
]
# A subset of the real catalog (geo/data/indicators.toml), with its codes and labels.
INDICATORS = pd.DataFrame([
    # code, label, theme, unit, kind, denominator, weight, count, source, decimals, description
    ("AANT_INW", "Aantal inwoners", "bevolkingssamenstelling", "personen", "count", "", "", "",
     "CBS, Kerncijfers (voorbeeldcijfers synthetisch)", 0, "Inwoners op 1 januari"),
    ("P_65_EO_JR", "Percentage inwoners 65 jaar en ouder", "bevolkingssamenstelling", "%",
     "share", "AANT_INW", "", "", "CBS (voorbeeldcijfers synthetisch)", 1, ""),
    ("WONINGEN", "Woningvoorraad", "woningvoorraad", "woningen", "count", "", "", "",
     "CBS (voorbeeldcijfers synthetisch)", 0, "Aantal woningen"),
    ("G_INK_PI", "Gemiddeld inkomen per inwoner", "werk en inkomen", "x 1.000 euro", "mean", "",
     "AANT_INW", "", "CBS (voorbeeldcijfers synthetisch)", 1, ""),
    ("G_MISDR_1K", "Misdrijven per 1.000 inwoners", "veiligheid", "per 1.000 inwoners", "share",
     "AANT_INW", "", "", "Politie (voorbeeldcijfers synthetisch)", 1, ""),
], columns=["code", "label", "theme", "unit", "kind", "denominator", "weight", "count", "source",
            "decimals", "description"])
BASE = {"AANT_INW": 3000.0, "P_65_EO_JR": 18.0, "WONINGEN": 1300.0, "G_INK_PI": 28.0,
        "G_MISDR_1K": 40.0}


def wijken() -> dict[str, gpd.GeoDataFrame]:
    """The two versions' wijken (EPSG:28992), keyed by version id."""
    buurten = gpd.read_file(BUURTEN)
    code_of = {b: code for code, _, bs in WIJKEN_2016 for b in bs}
    buurten["wijk"] = buurten["statcode"].str[-4:].map(code_of)
    w16 = buurten.dissolve("wijk").reset_index()[["wijk", "geometry"]].rename(
        columns={"wijk": "code"})
    w16["name"] = w16["code"].map({c: n for c, n, _ in WIJKEN_2016})
    w16 = w16.sort_values("code", ignore_index=True)
    w16["lineage"], w16["lineage_parents"], w16["definition"] = "new", "", "buurten"
    # 2020: Vijfhoeven split by a north-south line through its centroid
    w20 = w16.copy()
    w20["lineage"], w20["lineage_parents"] = "unchanged", w20["code"]
    row = w20.index[w20["code"] == "W07"][0]
    geom = w20.geometry.iloc[row]
    x = shapely.get_x(geom.centroid)
    minx, miny, maxx, maxy = geom.bounds
    west = shapely.intersection(geom, shapely.box(minx - 1, miny - 1, x, maxy + 1))
    east = shapely.intersection(geom, shapely.box(x, miny - 1, maxx + 1, maxy + 1))
    w20.loc[row, ["geometry", "lineage", "lineage_parents"]] = [west, "reshaped", "W07"]
    w20 = pd.concat([w20, gpd.GeoDataFrame({
        "code": ["W15"], "name": ["Geerpark/de Grassen"], "geometry": [east],
        "lineage": ["split_from"], "lineage_parents": ["W07"], "definition": ["drawn"],
    }, crs=w16.crs)], ignore_index=True)
    out = {}
    for version, gdf in (("2016", w16), ("2020", w20)):
        gdf = gpd.GeoDataFrame(gdf, geometry="geometry", crs="EPSG:28992")
        gdf["version"] = version
        gdf["area_ha"] = gdf.area / 10_000
        out[version] = gdf[["code", "name", "version", "lineage", "lineage_parents",
                            "definition", "area_ha", "geometry"]]
    return out


def results(units: dict[str, gpd.GeoDataFrame], seed: int = 7) -> pd.DataFrame:
    """Synthetic long results for both versions: trends plus noise, with special statuses.

    Both versions have: W03 ``P_65_EO_JR`` suppressed in 2018, W04 ``AANT_INW`` missing in
    2019, W05 ``G_MISDR_1K`` partial in 2020; version 2020 has W15 only from 2020 (missing
    before), and interpolated values with bounds for W07/W15 (the split wijk).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for version, gdf in units.items():
        for i, (code, name) in enumerate(zip(gdf["code"], gdf["name"], strict=True)):
            scale = 0.5 + (i * 37 % 11) / 10
            for variable, base in BASE.items():
                level = base * (scale if variable in ("AANT_INW", "WONINGEN") else
                                0.8 + 0.04 * i)
                trend = rng.normal(0.02, 0.03)
                for year in YEARS:
                    value = level * (1 + trend) ** (year - 2016) * rng.normal(1, 0.01)
                    rows.append([version, code, name, year, variable, value, np.nan, np.nan,
                                 "observed", 0.0, "exact", 0])
    df = pd.DataFrame(rows, columns=["version", "unit_code", "unit_name", "year", "variable",
                                     "value", "lower", "upper", "status", "interpolated_share",
                                     "method", "approximate"])

    def pick(version, code, variable, year=None):
        m = (df["version"] == version) & (df["unit_code"] == code) & (df["variable"] == variable)
        return m & (df["year"] == year) if year is not None else m

    for version in units:
        df.loc[pick(version, "W03", "P_65_EO_JR", 2018), ["value", "status"]] = [np.nan,
                                                                                "suppressed"]
        df.loc[pick(version, "W04", "AANT_INW", 2019), ["value", "status"]] = [np.nan, "missing"]
        m = pick(version, "W05", "G_MISDR_1K", 2020)
        df.loc[m, "status"] = "partial"
        df.loc[m, "lower"] = df.loc[m, "value"]
    interp = df["unit_code"].isin(["W07", "W15"]) & (df["version"] == "2020")
    df.loc[interp, "interpolated_share"] = 0.23
    df.loc[interp, "method"] = "exact+address"
    df.loc[interp, "lower"] = df.loc[interp, "value"] * 0.9
    df.loc[interp, "upper"] = df.loc[interp, "value"] * 1.1
    young = (df["unit_code"] == "W15") & (df["year"] < 2020)
    df.loc[young, ["value", "lower", "upper", "status", "interpolated_share"]] = [
        np.nan, np.nan, np.nan, "missing", 0.0]
    return df


def write_atlas(path: Path, specs_dir: Path | None = None, *, with_classes: bool = True,
                extra_results: pd.DataFrame | None = None) -> dict:
    """Write the fixture atlas to ``path``; return its tables for the tests to compare with.

    Parameters
    ----------
    path
        The GeoPackage to write.
    specs_dir
        Atlas configuration whose ``[classes]`` make ``map_classes`` (default: the
        repository's ``layers/atlas.toml``).
    with_classes
        Write the ``map_classes`` table (as the engine's build does).
    extra_results
        Rows appended to the result table (e.g. to test bad input).
    """
    from geo.maps.classes import map_classes_table

    units = wijken()
    res = results(units)
    if extra_results is not None:
        res = pd.concat([res, extra_results], ignore_index=True)
    path.unlink(missing_ok=True)
    for version, gdf in units.items():
        pyogrio.write_dataframe(gdf, path, layer=f"wijkindeling_{version}", driver="GPKG",
                                promote_to_multi=True)
    versions = pd.DataFrame({
        "id": ["2016", "2020"], "name": ["Wijkindeling 2016", "Wijkindeling 2020"],
        "valid_from": ["2016-01-01", "2020-01-01"], "status": ["published", "published"],
        "parent": ["", "2016"], "checksum": ["x", "y"],
        "n_units": [len(units["2016"]), len(units["2020"])],
        "description": ["14 wijken", "15 wijken met Geerpark/de Grassen"],
    })
    tables = {"versions": versions, "indicators": INDICATORS, "results": res}
    if with_classes:
        config = specs_dir if specs_dir and Path(specs_dir).is_file() else \
            REPO / "layers" / "atlas.toml"
        tables["map_classes"] = map_classes_table(res, INDICATORS, config)
    for name, df in tables.items():
        pyogrio.write_dataframe(df, path, layer=name, driver="GPKG")
    return {"units": units, **tables}
