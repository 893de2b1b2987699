"""Readers for CBS Kerncijfers: sentinels, kwb Excel, Wijk- en Buurtkaart, StatLine, refusals."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import requests
import shapely
from requests.adapters import HTTPAdapter

from geo.catalog import load_catalog
from geo.errors import WijkatlasError
from geo.kerncijfers import (
    IgnoredInputWarning,
    check_codes,
    parse_cells,
    read_kwb,
    read_statline,
    read_values,
    read_wijkenbuurtenkaart,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "statline" / "84583NED"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def cell(long: pd.DataFrame, code: str, variable: str) -> tuple[float, str]:
    row = long[(long.code == code) & (long.variable == variable)]
    assert len(row) == 1, (code, variable)
    return row.value.iloc[0], row.status.iloc[0]


@pytest.mark.parametrize(("raw", "value", "status"), [
    ("43132", 43132.0, "observed"), (" 7 ", 7.0, "observed"), ("2,4", 2.4, "observed"),
    ("0", 0.0, "observed"), ("-", 0.0, "observed"), (0, 0.0, "observed"),
    ("-99997", np.nan, "suppressed"), (-99999999, np.nan, "suppressed"),
    (".", np.nan, "suppressed"), ("x", np.nan, "suppressed"),
    ("-99995", np.nan, "missing"), ("-99999997", np.nan, "missing"), ("", np.nan, "missing"),
    (None, np.nan, "missing"), ("?", np.nan, "missing"), (-99990.5, np.nan, "missing"),
])
def test_cells_keep_suppressed_missing_and_zero_apart(raw, value, status):
    values, statuses = parse_cells(pd.Series([raw], dtype=object), file="f.csv", column="c")
    assert statuses[0] == status
    np.testing.assert_equal(values[0], value)


def test_non_numeric_cell_is_refused_with_file_row_unit_and_fix(tmp_path, catalog):
    path = tmp_path / "waarden_2019.csv"
    path.write_text("BU_CODE;AANT_INW\nBU07970101;3106\nBU07970102;veel\n", encoding="utf-8")
    with pytest.raises(WijkatlasError) as err:
        read_values(path, catalog=catalog)
    msg = str(err.value)
    assert str(path) in msg and "BU07970102" in msg and "row 3" in msg
    assert "'veel'" in msg and "Fix:" in msg


def test_read_values_maps_aliases_and_reports_unknown_columns(tmp_path, catalog):
    path = tmp_path / "eigen_tabel_2019.csv"
    path.write_text("buurtcode;naam;a_inw;p_65_eo_jr;g_hhgro;fietsen\n"
                    "bu07970101;Braken-West;3106;19;2,4;12\n"
                    "BU07970102;Braken-Oost;0;-99997;;3\n", encoding="utf-8")
    with pytest.warns(IgnoredInputWarning, match="fietsen"):
        long = read_values(path, catalog=catalog)
    assert list(long.columns) == ["code", "variable", "value", "status", "year"]
    assert set(long.variable) == {"AANT_INW", "P_65_EO_JR", "GEM_HH_GR"}
    assert (long.year == 2019).all()
    assert cell(long, "BU07970101", "GEM_HH_GR") == (2.4, "observed")
    assert cell(long, "BU07970102", "AANT_INW") == (0.0, "observed")
    value, status = cell(long, "BU07970102", "P_65_EO_JR")
    assert np.isnan(value) and status == "suppressed"
    value, status = cell(long, "BU07970102", "GEM_HH_GR")
    assert np.isnan(value) and status == "missing"
    assert long.attrs["ignored"] == ["column fietsen"]


def test_explicit_code_column_and_year(tmp_path, catalog):
    path = tmp_path / "tabel.csv"
    path.write_text("id,buurt,AANT_INW\n1,BU07970101,10\n", encoding="utf-8")
    long = read_values(path, catalog=catalog, code_column="buurt", year=2016)
    assert cell(long, "BU07970101", "AANT_INW") == (10.0, "observed")
    assert (long.year == 2016).all()


def write_kwb_excel(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "KWB2019"
    ws.append(["gwb_code_10", "gwb_code_8", "regio", "gm_naam", "recs", "a_inw", "a_man",
               "p_65_eo_jr", "g_wozbag", "a_soz_wb", "ste_mvs"])
    ws.append(["GM0797", "0797", "Heusden", "Heusden", "Gemeente", 44135, 22139, 20, 290, 700,
               3])
    ws.append(["WK079701", "79701", "Drunen", "Heusden", "Wijk", 20000, 10000, 20, 280, 300, 3])
    ws.append(["BU07970101", "7970101", "Braken-West", "Heusden", "Buurt", 3106, 1567, 19,
               276, ".", 2])
    ws.append(["BU07970103", "7970103", "Centrum Drunen", "Heusden", "Buurt", 519, 257, ".",
               None, 0, 1])
    wb.save(path)


def test_kwb_excel_keeps_buurt_rows_and_cbs_symbols(tmp_path, catalog):
    path = tmp_path / "kwb-2019.xlsx"
    write_kwb_excel(path)
    with pytest.warns(IgnoredInputWarning, match="ste_mvs") as record:
        long = read_kwb(path, catalog=catalog)
    assert "2 row(s) that are not buurten" in str(record[0].message)
    assert sorted(long.code.unique()) == ["BU07970101", "BU07970103"]
    assert (long.year == 2019).all()
    assert cell(long, "BU07970101", "AANT_INW") == (3106.0, "observed")
    assert cell(long, "BU07970103", "A_SOZ_WB") == (0.0, "observed")
    assert cell(long, "BU07970101", "A_SOZ_WB")[1] == "suppressed"
    assert cell(long, "BU07970103", "P_65_EO_JR")[1] == "suppressed"
    assert cell(long, "BU07970103", "WOZ")[1] == "missing"
    with pytest.warns(IgnoredInputWarning, match="3 row.s. that are not gemeenten"):
        gemeente = read_kwb(path, catalog=catalog, level="gemeente")
    assert cell(gemeente, "GM0797", "AANT_INW") == (44135.0, "observed")


def test_read_values_reads_an_excel_sheet_and_keeps_the_finest_level(tmp_path, catalog):
    path = tmp_path / "kwb-2019.xlsx"
    write_kwb_excel(path)
    with pytest.warns(IgnoredInputWarning, match="coarser level"):
        long = read_values(path, catalog=catalog, code_column="gwb_code_10", sheet="KWB2019")
    assert set(long.code) == {"BU07970101", "BU07970103"}


def test_wijkenbuurtenkaart_geopackage_with_sentinels(tmp_path, catalog):
    path = tmp_path / "wijkenbuurten_2019.gpkg"
    gdf = gpd.GeoDataFrame(
        {"BU_CODE": ["BU07970101", "BU07970102"], "BU_NAAM": ["Braken-West", "Braken-Oost"],
         "GM_CODE": ["GM0797", "GM0797"], "AANT_INW": [3106, 4153],
         "P_65_EO_JR": [-99997, 21], "WOZ": [276, -99995], "H2O": ["NEE", "NEE"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs="EPSG:28992")
    gdf.to_file(path, layer="buurten", driver="GPKG")
    with pytest.warns(IgnoredInputWarning, match="H2O"):
        long = read_wijkenbuurtenkaart(path, catalog=catalog, layer="buurten")
    assert (long.year == 2019).all()
    assert cell(long, "BU07970101", "P_65_EO_JR")[1] == "suppressed"
    assert cell(long, "BU07970102", "WOZ")[1] == "missing"
    assert cell(long, "BU07970102", "P_65_EO_JR") == (21.0, "observed")


@pytest.mark.parametrize(("content", "message"), [
    ("BU_CODE,AANT_INW\nBU07970101,1\nBU07970101,2\n", "appears more than once"),
    ("BU_CODE,P_65_EO_JR\nBU07970101,19\nBU07970102,850\n", "looks like a count"),
    ("BU_CODE,AANT_INW\nBU07970101,-12\n", "negative"),
    ("BU_CODE,AANT_INW,a_inw\nBU07970101,1,1\n", "both hold AANT_INW"),
    ("naam,AANT_INW\nBraken-West,1\n", "no column with unit codes"),
    ("BU_CODE,AANT_INW\n,1\n", "no unit code"),
])
def test_bad_tables_are_refused(tmp_path, catalog, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(WijkatlasError, match=message) as err:
        read_values(path, catalog=catalog)
    assert str(path) in str(err.value) and "Fix:" in str(err.value)


def test_share_declared_as_count_names_row_and_unit(tmp_path, catalog):
    path = tmp_path / "bad.csv"
    path.write_text("BU_CODE,P_65_EO_JR\nBU07970101,19\nBU07970102,850\n", encoding="utf-8")
    with pytest.raises(WijkatlasError) as err:
        read_values(path, catalog=catalog)
    assert "row 3" in str(err.value) and "BU07970102" in str(err.value)


def test_unsupported_and_missing_files_are_refused(tmp_path, catalog):
    with pytest.raises(WijkatlasError, match="not found"):
        read_values(tmp_path / "nope.csv", catalog=catalog)
    odt = tmp_path / "tabel.ods"
    odt.write_bytes(b"x")
    with pytest.raises(WijkatlasError, match="cannot be read"):
        read_values(odt, catalog=catalog)


def test_check_codes_lists_codes_not_in_the_layer(catalog):
    values = pd.DataFrame({"code": ["BU07970101", "BU07970509", "BU07970000"],
                           "variable": "AANT_INW", "value": 1.0, "status": "observed"})
    layer = gpd.read_file(ROOT / "layers" / "cbs" / "cbs_buurten_2019_GM0797.geojson")
    with pytest.raises(WijkatlasError) as err:
        check_codes(values, layer.statcode, "waarden_2019.csv")
    msg = str(err.value)
    assert "2 code(s)" in msg and "BU07970000, BU07970509" in msg
    assert "waarden_2019.csv" in msg and "Fix:" in msg
    check_codes(values.iloc[:1], layer.statcode, "waarden_2019.csv")  # known code passes


# --- StatLine through the real cbsodata client, HTTP served from the fixture -------------


@pytest.fixture
def statline_http(monkeypatch):
    """Serve tests/fixtures/statline at the HTTP adapter; record every requested URL."""
    requested: list[str] = []

    def send(self, request, **kwargs):
        requested.append(request.url)
        parts = urlsplit(request.url)
        assert parts.netloc == "opendata.cbs.nl", request.url
        name = parts.path.rstrip("/").split("/")[-1]
        path = FIXTURE / ("index.json" if name == "84583NED" else f"{name}.json")
        response = requests.Response()
        response.url = request.url
        response.request = request
        if path.exists():
            response.status_code = 200
            response._content = path.read_bytes()
        else:
            response.status_code = 404
            response._content = json.dumps({"odata.error": "not found"}).encode()
        return response

    monkeypatch.setattr(HTTPAdapter, "send", send)
    return requested


def test_read_statline_through_cbsodata(statline_http, catalog):
    with pytest.warns(IgnoredInputWarning, match="Ongehuwd_13"):
        long = read_statline("84583NED", catalog=catalog, municipality="GM0797")
    data_urls = [u for u in statline_http if "UntypedDataSet" in u]
    assert len(data_urls) == 1
    query = parse_qs(urlsplit(data_urls[0]).query)
    assert query["$filter"] == ["substringof('BU0797',WijkenEnBuurten)"]
    assert not any("TypedDataSet" in u and "Untyped" not in u for u in statline_http)
    assert (long.year == 2019).all()
    assert long.code.nunique() == 17 and long.code.str.startswith("BU0797").all()
    # The fixture holds the 2019 sample: StatLine and the Wijk- en Buurtkaart CSV agree.
    sample = read_values(ROOT / "layers" / "kerncijfers" / "kerncijfers_2019_GM0797.csv",
                         catalog=catalog)
    merged = long.merge(sample, on=["code", "variable"], suffixes=("_sl", "_csv"))
    assert len(merged) == len(long)
    assert (merged.status_sl == merged.status_csv).all()
    observed = merged[merged.status_sl == "observed"]
    np.testing.assert_allclose(observed.value_sl, observed.value_csv)
    assert (long.status == "suppressed").any()


def test_statline_unreachable_is_one_clear_error(monkeypatch, catalog):
    def fail(self, request, **kwargs):
        raise requests.ConnectionError("no route to host")

    monkeypatch.setattr(HTTPAdapter, "send", fail)
    with pytest.raises(WijkatlasError, match="StatLine could not be read") as err:
        read_statline("84583NED", catalog=catalog, municipality="GM0797")
    assert "Fix:" in str(err.value)


def test_sample_files_read_without_warnings(catalog):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        long = read_wijkenbuurtenkaart(
            ROOT / "layers" / "kerncijfers" / "kerncijfers_2011_GM0797.csv", catalog=catalog)
    assert set(long.status) == {"observed", "suppressed", "missing"}
    assert set(long.variable) == {i.code for i in catalog}
