"""Loading real CBS buurt files of every year into one schema."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geo.atlas import read_config
from geo.errors import WijkatlasError
from geo.sources import cbs_buurt_files, load_cbs_buurten, read_units
from geo.validate import repair_geometries, validate_units
from tests.helpers import CBS, REPO, grid, write


def test_every_real_buurt_file_loads_into_one_schema():
    files = read_config(REPO).buurt_files()
    assert files == cbs_buurt_files(CBS, "GM0797")
    assert sorted(files) == [2008, 2009, 2010, 2011, 2012, 2013, 2015, 2016, 2017, 2018,
                             2019, 2020, 2021, 2022]
    for year, path in files.items():
        b = load_cbs_buurten(path)
        assert list(b.columns) == ["code", "name", "year", "geometry"]
        assert b.crs.to_epsg() == 28992
        assert (b["year"] == year).all()
        assert len(b) == (26 if year <= 2011 else 17)
        assert b["code"].str.match(r"^BU0797\d{4}$").all()
        assert validate_units(b, source=str(path)).valid


def test_codes_are_reused_with_another_meaning_between_2011_and_2012():
    b11 = load_cbs_buurten(CBS / "cbs_buurten_2011_GM0797.geojson").set_index("code")
    b12 = load_cbs_buurten(CBS / "cbs_buurten_2012_GM0797.geojson").set_index("code")
    assert b11.loc["BU07970101", "name"] == "Bedrijventerrein Meeuwaert"
    assert b12.loc["BU07970101", "name"] == "Braken-West"
    assert b12.loc["BU07970101"].geometry.area / 1e4 == pytest.approx(74, abs=1)


def test_coarse_2014_file_is_reprojected_and_its_problems_reported_then_repaired():
    path = CBS / "cbs_buurten_2014_GM0797_coarse.geojson"
    b = load_cbs_buurten(path, 2014)
    assert b.crs.to_epsg() == 28992  # was EPSG:4326
    report = validate_units(b, source=str(path))
    rules = {(i.rule, i.unit) for i in report.errors}
    assert ("zero_area", "BU07970103") in rules
    invalid = {u for r, u in rules if r == "invalid_geometry"}
    assert invalid == {"BU07970103", "BU07970200", "BU07970502"}
    repaired, changed = repair_geometries(b)
    assert sorted(changed) == sorted(invalid)
    assert shapely.is_valid(repaired.geometry.values).all()
    after = validate_units(repaired, source="repaired")
    assert not any(i.rule == "invalid_geometry" for i in after.issues)
    # The zero-area buurt cannot be repaired into land: still reported, never silently dropped.
    assert any(i.unit == "BU07970103" for i in after.errors)


@pytest.mark.parametrize("kind", ["no_crs", "rd_as_wgs84", "empty", "points", "missing"])
def test_unusable_layers_are_refused_with_file_and_fix(tmp_path, kind):
    path = tmp_path / f"{kind}.geojson"
    no_crs = grid(2, 1)
    no_crs = gpd.GeoDataFrame(no_crs.drop(columns="geometry"),
                              geometry=list(no_crs.geometry.values))
    if kind == "no_crs":
        path = write(no_crs, tmp_path / "no_crs.shp")
        text = "no coordinate reference system"
    elif kind == "rd_as_wgs84":
        write(no_crs, path)  # GeoJSON without 'crs' member: GDAL reads it as WGS 84
        text = "do not fit"
    elif kind == "empty":
        write(grid(2, 1).iloc[:0], path)
        text = "empty"
    elif kind == "points":
        write(grid(2, 1).set_geometry(grid(2, 1).centroid), path)
        text = "not a polygon layer"
    else:
        text = "not found"
    with pytest.raises(WijkatlasError) as err:
        read_units(path)
    assert text in str(err.value)
    assert str(path) in str(err.value) and "Fix:" in str(err.value)


def test_missing_code_column_lists_the_columns(tmp_path):
    g = grid(2, 1).rename(columns={"code": "wijk_id"})
    path = write(g, tmp_path / "w.gpkg")
    with pytest.raises(WijkatlasError, match="wijk_id"):
        read_units(path)
    assert read_units(path, code_column="wijk_id")["code"].tolist() == ["U000", "U001"]


def test_validate_repair_writes_a_repaired_copy_and_says_what_changed(tmp_path):
    from typer.testing import CliRunner

    from geo.cli import app

    out = tmp_path / "repaired.gpkg"
    src = CBS / "cbs_buurten_2014_GM0797_coarse.geojson"
    res = CliRunner().invoke(app, ["validate", str(src), "--repair", str(out)])
    assert "repaired 3 geometries (BU07970103, BU07970200, BU07970502)" in res.output
    repaired = read_units(out)
    assert len(repaired) == 17 and shapely.is_valid(repaired.geometry.values).all()
    assert res.exit_code == 1  # the zero-area buurt still needs a person's decision
