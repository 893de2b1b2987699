"""A small atlas GeoPackage that follows ``docs/atlas-gpkg.md``, written with ``osgeo.ogr``.

Used only while the engine's ``wijkatlas build`` is not available: the QGIS tests then still
load a contract-conforming atlas made from the real CBS buurt geometry of Heusden. Values are
derived from the unit areas, so they differ per unit and per year; one unit per year is
``missing`` and one ``suppressed`` (no value), as the real atlas has them.
"""

from __future__ import annotations

import json
from pathlib import Path

from osgeo import ogr, osr

REPO = Path(__file__).resolve().parents[2]
CBS = REPO / "layers" / "cbs"

VERSIONS = [
    # id, name, valid_from, status, parent, source file
    ("2016", "Wijkindeling 2016", "2016-01-01", "published", "", "cbs_buurten_2016_GM0797"),
    ("2020", "Wijkindeling 2020", "2020-01-01", "draft", "2016", "cbs_buurten_2020_GM0797"),
]
INDICATORS = [
    # code, label, theme, unit, kind, decimals
    ("bev_totaal", "Inwoners", "bevolkingssamenstelling", "aantal", "count", 0),
    ("woz_gem", "Gemiddelde WOZ-waarde", "woningvoorraad", "x 1000 euro", "mean", 0),
    ("pct_huur", "Huurwoningen", "woningvoorraad", "%", "share", 1),
]
YEARS = (2016, 2018)
COLOURS = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]


def _read_units(name: str) -> list[tuple[str, str, ogr.Geometry]]:
    ds = ogr.Open(str(CBS / f"{name}.geojson"))
    layer = ds.GetLayer(0)
    units = []
    for i, feat in enumerate(layer, start=1):
        units.append((f"W{i:02d}", feat.GetField("statnaam"), feat.GetGeometryRef().Clone()))
    return units


def _value(code: str, area_ha: float, variable: str, year: int) -> float:
    base = {"bev_totaal": 3.0, "woz_gem": 0.05, "pct_huur": 0.01}[variable]
    offset = {"bev_totaal": 50.0, "woz_gem": 180.0, "pct_huur": 5.0}[variable]
    growth = 1.0 + 0.02 * (year - 2016)
    return round((offset + base * area_ha) * growth + int(code[1:]), 1)


def _attribute_table(ds: ogr.DataSource, name: str, fields: list[tuple[str, int]], rows: list):
    layer = ds.CreateLayer(name, geom_type=ogr.wkbNone)
    for field_name, field_type in fields:
        layer.CreateField(ogr.FieldDefn(field_name, field_type))
    for row in rows:
        feat = ogr.Feature(layer.GetLayerDefn())
        for (field_name, _), value in zip(fields, row, strict=True):
            if value is not None:
                feat.SetField(field_name, value)
        layer.CreateFeature(feat)


def _classes(values: list[float]) -> list[tuple[float, float]]:
    values = sorted(values)
    n = len(COLOURS)
    cuts = [values[min(len(values) - 1, round(k * (len(values) - 1) / n))] for k in range(n + 1)]
    return [(cuts[k], cuts[k + 1]) for k in range(n)]


def write_atlas(path: Path) -> dict:
    """Write the atlas GeoPackage to ``path``; return what the tests expect from it.

    Returns
    -------
    dict
        ``{"n_units": {version: n}, "classes": {(version, variable): [colour, ...]},
        "values": {(version, variable, year): {code: value}}}``
    """
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(28992)
    driver = ogr.GetDriverByName("GPKG")
    ds = driver.CreateDataSource(str(path))
    expected: dict = {"n_units": {}, "classes": {}, "values": {}}
    results, classes = [], []
    for vid, _name, _from, _status, _parent, source in VERSIONS:
        units = _read_units(source)
        expected["n_units"][vid] = len(units)
        layer = ds.CreateLayer(f"wijkindeling_{vid}", srs, ogr.wkbMultiPolygon)
        for field_name, field_type in [
            ("code", ogr.OFTString), ("name", ogr.OFTString), ("version", ogr.OFTString),
            ("lineage", ogr.OFTString), ("lineage_parents", ogr.OFTString),
            ("definition", ogr.OFTString), ("area_ha", ogr.OFTReal),
        ]:
            layer.CreateField(ogr.FieldDefn(field_name, field_type))
        for code, unit_name, geom in units:
            feat = ogr.Feature(layer.GetLayerDefn())
            for key, value in [("code", code), ("name", unit_name), ("version", vid),
                               ("lineage", "unchanged" if vid != "2016" else "new"),
                               ("lineage_parents", code if vid != "2016" else ""),
                               ("definition", "buurten"), ("area_ha", geom.GetArea() / 1e4)]:
                feat.SetField(key, value)
            feat.SetGeometry(ogr.ForceToMultiPolygon(geom))
            layer.CreateFeature(feat)
        for variable, *_ in INDICATORS:
            all_values = []
            for year in YEARS:
                got = {}
                for i, (code, unit_name, geom) in enumerate(units):
                    status = "observed"
                    value = _value(code, geom.GetArea() / 1e4, variable, year)
                    if i == (year % len(units)):
                        status, value = "missing", None
                    elif i == (year + 5) % len(units):
                        status, value = "suppressed", None
                    if value is not None:
                        got[code] = value
                        all_values.append(value)
                    results.append((vid, code, unit_name, year, variable, value, None, None,
                                    status, 0.0, "exact", 0, "wijk", "cbs", None, ""))
                expected["values"][(vid, variable, year)] = got
            cls = _classes(all_values)
            expected["classes"][(vid, variable)] = COLOURS
            for k, ((lower, upper), colour) in enumerate(zip(cls, COLOURS, strict=True)):
                label = f"{lower:,.0f} - {upper:,.0f}".replace(",", ".")
                classes.append((vid, variable, "quantiles", k, lower, upper, colour, label))
    s, r, i = ogr.OFTString, ogr.OFTReal, ogr.OFTInteger
    _attribute_table(ds, "versions", [
        ("id", s), ("name", s), ("valid_from", s), ("status", s), ("parent", s),
        ("checksum", s), ("n_units", i), ("description", s)],
        [(v[0], v[1], v[2], v[3], v[4], "sha256:test", expected["n_units"][v[0]], "")
         for v in VERSIONS])
    _attribute_table(ds, "indicators", [
        ("code", s), ("label", s), ("theme", s), ("unit", s), ("kind", s), ("denominator", s),
        ("weight", s), ("count", s), ("source", s), ("decimals", i), ("description", s)],
        [(c, lab, t, u, k, "", "", "", "CBS", d, "") for c, lab, t, u, k, d in INDICATORS])
    _attribute_table(ds, "results", [
        ("version", s), ("unit_code", s), ("unit_name", s), ("year", i), ("variable", s),
        ("value", r), ("lower", r), ("upper", r), ("status", s), ("interpolated_share", r),
        ("method", s), ("approximate", i), ("level", s), ("source", s), ("n", r),
        ("significance", s)], results)
    _attribute_table(ds, "map_classes", [
        ("version", s), ("variable", s), ("scheme", s), ("class_index", i), ("lower", r),
        ("upper", r), ("colour", s), ("label", s)], classes)
    ds = None
    return expected


if __name__ == "__main__":
    import sys

    print(json.dumps({k: str(v) for k, v in write_atlas(Path(sys.argv[1])).items()})[:300])
