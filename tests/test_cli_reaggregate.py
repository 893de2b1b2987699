"""`wijkatlas reaggregate` on files that are not the sample: any gemeente, any names."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from geo.cli import app
from tests.helpers import CBS

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["reaggregate", *map(str, args)])


def run_loon_op_zand(tmp, values_file, *extra):
    """The Loon op Zand fixture's files with their own column names, plus ``extra``."""
    return run("--source", tmp / "src.gpkg", "--source-code", "bu_id", "--values", values_file,
               "--values-code", "gwb_code", "--target", tmp / "tgt.geojson", "--target-code",
               "statcode", "--out", tmp / "out.csv", *extra)


@pytest.fixture
def loon_op_zand(tmp_path):
    """Loon op Zand 2012 buurten as a GeoPackage with its own column names, a values table
    with kwb-style names and a suppressed cell, and 2013 buurten as target."""
    src = gpd.read_file(CBS / "cbs_buurten_2012_GM0809.geojson")
    src = src.rename(columns={"statcode": "bu_id", "statnaam": "bu_label"})[
        ["bu_id", "bu_label", "geometry"]].to_crs(4326)  # geographic: must be reprojected
    src.to_file(tmp_path / "src.gpkg", layer="buurten2012")
    rng = np.random.default_rng(0)
    values = pd.DataFrame({"gwb_code": src["bu_id"],
                           "a_inw": rng.integers(100, 5000, len(src)),
                           "p_65_eo_jr": rng.integers(5, 30, len(src)).astype(object)})
    values.loc[3, "p_65_eo_jr"] = "."  # CBS: geheim
    values.to_csv(tmp_path / "values.csv", index=False)
    tgt = gpd.read_file(CBS / "cbs_buurten_2013_GM0809.geojson")
    tgt[["statcode", "statnaam", "geometry"]].to_file(tmp_path / "tgt.geojson")
    return tmp_path, values


def test_file_based_reaggregation_conserves_counts(loon_op_zand):
    tmp, values = loon_op_zand
    out = tmp / "out.csv"
    res = run("--source", tmp / "src.gpkg", "--source-layer", "buurten2012",
              "--source-code", "bu_id", "--values", tmp / "values.csv", "--values-code",
              "gwb_code", "--target", tmp / "tgt.geojson", "--target-code", "statcode",
              "--out", out, "--crosswalk-out", tmp / "cw.csv")
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out)
    assert {"code", "variable", "value", "status", "lower", "upper",
            "interpolated_share"} <= set(table.columns)
    inw = table[table["variable"] == "AANT_INW"]
    assert len(inw) == 32
    assert inw["value"].sum() == pytest.approx(values["a_inw"].sum(), rel=1e-9)
    assert (inw["lower"] <= inw["value"] + 1e-9).all()
    assert (inw["value"] <= inw["upper"] + 1e-9).all()
    shares = table[table["variable"] == "P_65_EO_JR"]
    assert "partial" in set(shares["status"]) or "suppressed" in set(shares["status"])
    cw = pd.read_csv(tmp / "cw.csv")
    assert np.allclose(cw.groupby("source_code")["weight"].sum(), 1.0)


def test_address_points_with_other_column_names(loon_op_zand):
    tmp, values = loon_op_zand
    tgt = gpd.read_file(tmp / "tgt.geojson").to_crs(28992)
    rng = np.random.default_rng(1)
    # Points only in the first five target buurten, with their own column names.
    pts = tgt.iloc[:5].sample_points(40, rng=rng).explode(index_parts=False)
    points = gpd.GeoDataFrame({"bj": rng.integers(1950, 2020, len(pts)),
                               "wonen": 1}, geometry=pts.values, crs=tgt.crs)
    points.to_file(tmp / "adr.gpkg")
    out = tmp / "out.csv"
    res = run("--source", tmp / "src.gpkg", "--source-code", "bu_id", "--values",
              tmp / "values.csv", "--values-code", "gwb_code", "--target", tmp / "tgt.geojson",
              "--target-code", "statcode", "--weights", tmp / "adr.gpkg", "--weights-built",
              "bj", "--weights-residential", "wonen", "--year", "2012", "--out", out)
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out)
    assert "address" in " ".join(table["method"].dropna())
    assert table[table["variable"] == "AANT_INW"]["value"].sum() == pytest.approx(
        values["a_inw"].sum(), rel=1e-9)


def test_codes_not_in_the_layer_are_listed(loon_op_zand):
    tmp, values = loon_op_zand
    values.loc[0, "gwb_code"] = "BU99990001"
    values.loc[1, "gwb_code"] = "BU99990002"
    values.to_csv(tmp / "bad.csv", index=False)
    res = run_loon_op_zand(tmp, tmp / "bad.csv")
    assert res.exit_code == 2
    assert "BU99990001" in res.output and "BU99990002" in res.output
    assert "bad.csv" in res.output
    assert not (tmp / "out.csv").exists()


def test_non_numeric_value_names_row_and_column(loon_op_zand):
    tmp, values = loon_op_zand
    values["a_inw"] = values["a_inw"].astype(object)
    values.loc[2, "a_inw"] = "veel"
    values.to_csv(tmp / "bad.csv", index=False)
    res = run_loon_op_zand(tmp, tmp / "bad.csv")
    assert res.exit_code == 2
    assert "veel" in res.output and values.loc[2, "gwb_code"] in res.output
    assert not (tmp / "out.csv").exists()


def test_target_without_crs_is_refused(loon_op_zand, tmp_path):
    tmp, _ = loon_op_zand
    tgt = gpd.read_file(tmp / "tgt.geojson").to_crs(28992)
    gpd.GeoDataFrame(tgt.drop(columns="geometry"), geometry=list(tgt.geometry.values)).to_file(
        tmp / "tgt_nocrs.shp")
    res = run("--source", tmp / "src.gpkg", "--source-code", "bu_id", "--values",
              tmp / "values.csv", "--values-code", "gwb_code", "--target",
              tmp / "tgt_nocrs.shp", "--target-code", "statcode", "--out", tmp / "out.csv")
    assert res.exit_code == 2 and "no coordinate reference system" in res.output
    assert not (tmp / "out.csv").exists()


def test_constructed_split_merge_and_reused_code(tmp_path):
    """Year 1: A | B | C. Year 2: code A reused for the merge of old A+B, C split in C1, C2."""
    y1 = gpd.GeoDataFrame({"code": ["A", "B", "C"]}, geometry=[
        shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100),
        shapely.box(200, 0, 300, 100)], crs="EPSG:28992")
    y2 = gpd.GeoDataFrame({"code": ["A", "C1", "C2"], "name": ["AB", "C-west", "C-oost"]},
                          geometry=[shapely.box(0, 0, 200, 100), shapely.box(200, 0, 230, 100),
                                    shapely.box(230, 0, 300, 100)], crs="EPSG:28992")
    for gdf in (y1, y2):  # into the Netherlands (RD New): elsewhere is refused
        gdf.geometry = gdf.translate(140_000, 410_000)
    y1.to_file(tmp_path / "y1.gpkg")
    y2.to_file(tmp_path / "y2.gpkg")
    pd.DataFrame({"code": ["A", "B", "C"], "AANT_INW": [10, 20, 100]}).to_csv(
        tmp_path / "v.csv", index=False)
    res = run("--source", tmp_path / "y1.gpkg", "--values", tmp_path / "v.csv", "--target",
              tmp_path / "y2.gpkg", "--out", tmp_path / "o.csv")
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / "o.csv").set_index("code")
    inw = out[out["variable"] == "AANT_INW"]["value"]
    assert inw["A"] == pytest.approx(30)  # merge of old A and B under the reused code A
    assert inw["C1"] == pytest.approx(30) and inw["C2"] == pytest.approx(70)


def test_plain_area_matches_tobler_and_reports_partly_covered_sources(loon_op_zand):
    """--plain-area gives tobler's area_interpolate (allocate_total=True) to 1e-6, and the
    command says which sources lie partly outside the targets."""
    from tobler.area_weighted import area_interpolate

    tmp, _ = loon_op_zand
    res = run_loon_op_zand(tmp, tmp / "values.csv", "--plain-area")
    assert res.exit_code == 0, res.output
    assert "lie partly outside every target" in res.output
    got = pd.read_csv(tmp / "out.csv", dtype={"code": str})
    got = got[got["variable"] == "AANT_INW"].set_index("code")["value"]
    src = gpd.read_file(tmp / "src.gpkg").to_crs(28992)
    vals = pd.read_csv(tmp / "values.csv", dtype={"gwb_code": str})
    src = src.merge(vals, left_on="bu_id", right_on="gwb_code")
    tgt = gpd.read_file(tmp / "tgt.geojson").to_crs(28992)
    ref = area_interpolate(src, tgt, extensive_variables=["a_inw"], allocate_total=True)
    ref.index = tgt["statcode"].to_numpy()
    np.testing.assert_allclose(got.loc[ref.index], ref["a_inw"], rtol=1e-6)
