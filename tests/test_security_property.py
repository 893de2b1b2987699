"""Property: an atlas built from random Unicode names shows each name back unchanged as text
everywhere it goes: the GeoPackage, the HTML pages' data, the Excel workbook and (with the
documented apostrophe before a formula character) the CSV exports (issue 9)."""

from __future__ import annotations

import shutil

import hostile
import pyogrio
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from geo.atlas import build_atlas
from geo.untrusted import csv_safe_text

#: Any Unicode text a user can type into QGIS's attribute table: no control characters
#: (refused at import), no lone surrogates (not encodable), no leading or trailing spaces
#: (stripped by every reader of wijkatlas), and not U+FFFE/U+FFFF (no XML file, so no Excel
#: workbook, can hold them: refused at import like control characters).
NAME = st.text(st.characters(blacklist_categories=("Cc", "Cs"),
                             blacklist_characters="\ufffe\uffff"),
               min_size=1, max_size=24).map(str.strip).filter(bool)
CODES = ["W01", "W02", "W03"]


@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(names=st.lists(NAME, min_size=3, max_size=3), version_name=NAME)
@example(names=["{{7*7}}", '=HYPERLINK("http://x";"y")', "\u202eRTL \U0001f600 \ufeff\u2028x"],
         version_name="V{{ 6*7 }} {% if 1 %}")
@example(names=["\U0001fffe\ufdd0 e\u0301", "\U0001f469\u200d\U0001f4bb \U0010fffd", "@-+"],
         version_name="'; DROP TABLE versions; --")
def test_random_unicode_names_come_back_unchanged_everywhere(tmp_path_factory, names,
                                                             version_name):
    tmp = tmp_path_factory.mktemp("prop")
    try:
        root = hostile.small_repo(tmp / "repo")
        wanted = dict(zip(CODES, names, strict=True))
        hostile.rename(root, "2020", wanted, version_name=version_name)
        out = tmp / "build"
        build_atlas(root, out, maps=True)
        gpkg = out / "atlas.gpkg"
        units = pyogrio.read_dataframe(gpkg, layer="wijkindeling_2020")
        got = dict(zip(units["code"], units["name"], strict=True))
        versions = pyogrio.read_dataframe(gpkg, layer="versions")
        trend = pyogrio.read_dataframe(gpkg, layer="trend_2020")
        page = hostile.html_data(out / "maps" / "index.html")
        html = dict(zip(page["units"]["code"], page["units"]["name"], strict=True))
        cells = hostile.xlsx_cells(out / "exports" / "trend_2020.xlsx")
        xlsx = {c.value for c in cells}
        assert not [c for c in cells if c.data_type == "f"]
        csv = hostile.read_csv_text(out / "exports" / "trend_2020.csv")
        assert version_name in set(versions["name"])
        assert page["versionName"] == version_name
        for code, name in wanted.items():
            assert got[code] == name
            assert set(trend.loc[trend["unit_code"] == code, "unit_name"]) == {name}
            assert html[code] == name
            assert name in xlsx
            assert set(csv.loc[csv["unit_code"] == code, "unit_name"]) == \
                {csv_safe_text(name)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

