"""The committed synthetic sample data: matches the real geometry and the real facts."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geo.catalog import load_catalog
from geo.kerncijfers import read_wijkenbuurtenkaart

ROOT = Path(__file__).resolve().parent.parent
KWB = ROOT / "layers" / "kerncijfers"
CBS = ROOT / "layers" / "cbs"
ADRESSEN = ROOT / "layers" / "adressen" / "adressen_GM0797.gpkg"
YEARS = [2008, 2009, 2010, 2011, 2012, 2013, 2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def tables(catalog):
    out = {}
    for year in YEARS:
        long = read_wijkenbuurtenkaart(KWB / f"kerncijfers_{year}_GM0797.csv", catalog=catalog)
        out[year] = long
    return out


@pytest.fixture(scope="module")
def points():
    return gpd.read_file(ADRESSEN, layer="adressen")


def buurten(year: int) -> gpd.GeoDataFrame:
    return gpd.read_file(CBS / f"cbs_buurten_{year}_GM0797.geojson")


def total(long: pd.DataFrame, variable: str) -> float:
    sel = long[long.variable == variable]
    assert (sel.status == "observed").all(), variable
    return sel.value.sum()


def test_one_file_per_year_with_real_geometry_and_none_for_2014():
    assert sorted(int(p.name.split("_")[1]) for p in KWB.glob("kerncijfers_*.csv")) == YEARS
    assert "synthetic" in (KWB / "README.md").read_text().lower()


@pytest.mark.parametrize("year", YEARS)
def test_codes_and_names_match_the_geometry_of_the_year(year):
    raw = pd.read_csv(KWB / f"kerncijfers_{year}_GM0797.csv", dtype=str)
    layer = buurten(year)
    assert dict(zip(raw.BU_CODE, raw.BU_NAAM, strict=True)) == dict(
        zip(layer.statcode, layer.statnaam, strict=True))
    assert len(raw) == (26 if year <= 2011 else 17)
    assert (raw.SYNTHETISCH.str.contains("synthetisch")).all()


def test_every_catalog_code_is_in_the_sample(tables, catalog):
    for year, long in tables.items():
        assert set(long.variable) == {i.code for i in catalog}, year


def test_gemeente_totals_equal_the_real_facts(tables):
    assert total(tables[2015], "AANT_INW") == 43132
    assert total(tables[2019], "AANT_INW") == 44135
    assert total(tables[2015], "AANTAL_HH") == 17995
    assert total(tables[2015], "AANT_MAN") == 21585
    assert total(tables[2019], "AANT_MAN") == 22139
    ages = [total(tables[2019], v) for v in ("A_00_14", "A_15_24", "A_25_44", "A_45_64",
                                             "A_65_OO")]
    assert ages == [6882, 5136, 9786, 13335, 8996]
    for year, long in tables.items():
        inh = total(long, "AANT_INW")
        assert total(long, "AANT_MAN") + total(long, "AANT_VROUW") == inh, year
        assert 41000 < inh < 46000 and 2.2 < inh / total(long, "AANTAL_HH") < 2.5, year


def test_suppressed_cells_are_written_as_cbs_writes_them(tables):
    for year, long in tables.items():
        assert (long.status == "suppressed").any(), year
    old = (KWB / "kerncijfers_2011_GM0797.csv").read_text()
    new = (KWB / "kerncijfers_2019_GM0797.csv").read_text()
    assert "-99999999" in old and "-99997" not in old.replace("-99999999", "")
    assert ",-99997," in new and "-99999999" not in new


def test_addresses_layer_and_totals(points):
    info = pyogrio.read_info(ADRESSEN, layer="adressen")
    assert info["geometry_type"] == "Point" and points.crs.to_epsg() == 28992
    assert [layer for layer, _ in pyogrio.list_layers(ADRESSEN)] == ["adressen"]
    assert {"address_id", "bouwjaar", "woonfunctie", "personen"} <= set(points.columns)
    assert points.address_id.is_unique
    assert (points.bouwjaar <= 2016).sum() == 18600
    assert (points.bouwjaar <= 2024).sum() == 20070
    assert ((points.woonfunctie == 0) == (points.personen == 0)).all()
    # with postcode, huisnummer, toevoeging and bag_id for placing register records
    assert ADRESSEN.stat().st_size < 3_500_000
    assert "synthetic" in (ADRESSEN.parent / "README.md").read_text().lower()


def test_geerpark_grows_from_few_to_many(points):
    b = buurten(2016)
    vliedberg = b.loc[b.statcode == "BU07970503", "geometry"].iloc[0]
    geerpark = shapely.intersection(vliedberg, shapely.box(141700, 410700, 143300, 411900))
    inside = shapely.contains_xy(geerpark, points.geometry.x, points.geometry.y)
    n = {y: int((inside & (points.bouwjaar <= y)).sum()) for y in (2008, 2016, 2022)}
    assert n[2008] < 20 < n[2016] < n[2022] and n[2022] > 1000


@pytest.mark.parametrize("year", [2011, 2012, 2019, 2022])
def test_points_are_the_ground_truth_of_the_buurt_values(year, tables, points):
    layer = buurten(year)[["statcode", "geometry"]]
    now = points[points.bouwjaar <= year]
    joined = gpd.sjoin(now, layer, predicate="within")
    assert len(joined) == len(now), "every address lies in a buurt of the year"
    res = joined[joined.woonfunctie == 1]
    long = tables[year].set_index(["variable", "code"]).value
    dwellings = res.groupby("statcode").size()
    pd.testing.assert_series_equal(long["WONINGEN"].sort_index(),
                                   dwellings.reindex(long["WONINGEN"].index, fill_value=0)
                                   .astype(float).sort_index(), check_names=False)
    persons = res.groupby("statcode").personen.sum().reindex(long["AANT_INW"].index,
                                                            fill_value=0)
    expected = persons / persons.sum() * long["AANT_INW"].sum()
    assert np.abs(long["AANT_INW"] - expected).max() <= 1.0


def test_shares_and_means_agree_with_their_counts(tables):
    long = tables[2019].set_index(["variable", "code"]).value
    p65 = 100 * long["A_65_OO"] / long["AANT_INW"]
    assert np.abs(p65 - long["P_65_EO_JR"]).max() <= 0.5
    gem = long["AANT_INW"] / long["AANTAL_HH"]
    assert np.abs(gem - long["GEM_HH_GR"]).max() <= 0.05
