"""The sample atlas as `make atlas` builds it, read back through GDAL."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pyogrio
import pytest

from geo.atlas import build_atlas, load_year_inputs, read_config
from geo.catalog import load_catalog
from geo.errors import WijkatlasError
from tests.helpers import REPO, copy_repo

EXPECTED_YEARS = [2008, 2009, 2010, 2011, 2012, 2013, 2015, 2016, 2017, 2018, 2019, 2020,
                  2021, 2022]


def ogrinfo(path, layer):
    exe = shutil.which("ogrinfo")
    if exe is None:
        pytest.fail("ogrinfo (Debian gdal-bin) is not installed; `make test` installs it")
    out = subprocess.run([exe, "-so", str(path), layer], capture_output=True, text=True,
                         check=True).stdout
    count = int(re.search(r"Feature Count: (\d+)", out).group(1))
    # The layer CRS is the WKT block right before "Data axis to CRS axis mapping".
    rd_new = re.search(r'ID\["EPSG",28992\]\]\s*\nData axis', out) is not None
    return count, rd_new


def test_gdal_reads_both_versions_in_rd_new(atlas_dir):
    gpkg = atlas_dir / "atlas.gpkg"
    for layer, n in (("wijkindeling_2016", 14), ("wijkindeling_2020", 15)):
        count, rd_new = ogrinfo(gpkg, layer)
        assert count == n and rd_new
    names = pyogrio.read_dataframe(gpkg, layer="wijkindeling_2020")["name"].tolist()
    assert names.count("Geerpark/de Grassen") == 1
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert {f"cbs_buurten_{y}" for y in EXPECTED_YEARS} <= layers
    assert {"versions", "indicators", "results", "crosswalks", "trend_2016",
            "trend_2020", "changes_2016_2020", "map_classes"} <= layers
    moved = pyogrio.read_dataframe(gpkg, layer="changes_2016_2020")
    assert moved[["from_name", "to_name"]].values.tolist() == [["Vliedberg",
                                                                "Geerpark/de Grassen"]]


def test_every_year_on_both_versions_with_counts_conserved(atlas_dir):
    gpkg = atlas_dir / "atlas.gpkg"
    results = pyogrio.read_dataframe(gpkg, layer="results")
    results = results[results["level"] == "wijk"]  # the gemeente rows are a level of their own
    config = read_config(REPO)
    catalog = load_catalog(config.catalog)
    inputs = {i.year: i for i in load_year_inputs(config, catalog)}
    assert sorted(inputs) == EXPECTED_YEARS
    counts = [c for c in catalog.indicators if catalog[c].kind == "count"]
    checked = 0
    for version in ("2016", "2020"):
        for year in EXPECTED_YEARS:
            got = results[(results["version"] == version) & (results["year"] == year)
                          & (results["level"] == "wijk")]
            assert got["unit_code"].nunique() == (14 if version == "2016" else 15)
            source = inputs[year].values
            for variable in counts:
                cells = source[source["variable"] == variable]
                if cells.empty or (cells["status"] != "observed").any():
                    continue
                total = got.loc[got["variable"] == variable, "value"].sum()
                assert total == pytest.approx(cells["value"].sum(), rel=1e-9), (version, year,
                                                                                 variable)
                checked += 1
    assert checked > 300
    # Suppressed stays suppressed (or partial), never 0.
    assert {"observed", "partial", "suppressed"} <= set(results["status"])
    assert not ((results["status"] == "suppressed") & results["value"].notna()).any()
    # The redivision of 2011 -> 2012 shows as interpolation.
    inw = results[(results["variable"] == "AANT_INW") & (results["version"] == "2016")]
    assert inw[inw["year"] == 2011]["interpolated_share"].mean() > 0.3
    assert inw[inw["year"] == 2016]["interpolated_share"].max() == 0.0


def test_geerpark_grows_and_trend_table_has_change_and_index(atlas_dir):
    trend = pyogrio.read_dataframe(atlas_dir / "atlas.gpkg", layer="trend_2020")
    row = trend[(trend["unit_name"] == "Geerpark/de Grassen") &
                (trend["variable"] == "WONINGEN")].iloc[0]
    assert row["y2022"] > 5 * row["y2008"]
    assert row["change"] == pytest.approx(row["y2022"] - row["y2008"])
    assert row["index"] == pytest.approx(row["y2022"] / row["y2008"] * 100)


def test_exports_csv_and_excel(atlas_dir):
    exports = atlas_dir / "exports"
    results = pd.read_csv(exports / "results.csv")
    assert set(results["version"].astype(str)) == {"2016", "2020"}
    sheets = pd.read_excel(exports / "trend_2020.xlsx", sheet_name=None)
    assert "Bevolkingssamenstelling" in sheets
    rows = sum(len(sheet) for name, sheet in sheets.items() if name != "Toelichting")
    assert rows == len(pd.read_csv(exports / "trend_2020.csv"))
    dutch = pd.read_csv(exports / "trend_2020_nl.csv", sep=";", decimal=",",
                        encoding="utf-8-sig")
    assert len(dutch) == rows


def test_a_failing_build_keeps_the_published_atlas(tmp_path, atlas_dir):
    repo = copy_repo(tmp_path / "repo")
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(atlas_dir / "atlas.gpkg", out / "atlas.gpkg")
    before = (out / "atlas.gpkg").read_bytes()
    bad = repo / "layers" / "kerncijfers" / "kerncijfers_2016_GM0797.csv"
    lines = bad.read_text().splitlines()
    lines[3] = lines[3].replace("BU0797", "BU9999", 1)
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(WijkatlasError, match="BU9999"):
        build_atlas(repo, out)
    assert (out / "atlas.gpkg").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["atlas.gpkg"]
    assert np.isfinite(len(before))
