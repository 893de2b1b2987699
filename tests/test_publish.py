"""Wijkprofiel model, pages (as HTML), the planner exports and the book (pdftotext)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import maps_fixture  # noqa: E402

from geo.catalog import THEMES  # noqa: E402
from geo.errors import WijkatlasError  # noqa: E402
from geo.maps.classes import format_nl  # noqa: E402
from geo.publish import build_profiles, load_edition, write_trend_exports  # noqa: E402
from geo.publish.book import MAX_PAGES_PER_WIJK, build_book  # noqa: E402
from geo.publish.exports import sheet_names  # noqa: E402
from geo.publish.model import safe_file_stem  # noqa: E402

JINJA_NAME = "{{ 7 * 7 }}{% if true %}x{% endif %}"
FORMULA_NAME = '=HYPERLINK("http://example.invalid","klik")'

# Survey and register indicators as the survey and records sources will write them.
EXTRA_INDICATORS = pd.DataFrame([
    ("P_EENZAAM", "Voelt zich eenzaam", "gezondheid", "%", "share", "AANT_INW", "", "",
     "Gezondheidsenquête (voorbeeld)", 0, ""),
    ("A_WMO", "Cliënten Wmo", "verenigingsleven en sociale netwerken", "personen", "count", "",
     "", "", "Wmo-registratie (voorbeeld)", 0, ""),
], columns=maps_fixture.INDICATORS.columns)


def _extra_results() -> pd.DataFrame:
    rows = []
    for version, n_units in (("2016", 14), ("2020", 15)):
        for i in range(1, n_units + 1):
            code = f"W{i:02d}"
            for year in (2018, 2022):  # survey editions only
                value = 20.0 + i + (year - 2018) * 0.5
                row = {"version": version, "unit_code": code, "unit_name": "", "year": year,
                       "variable": "P_EENZAAM", "value": value, "lower": value - 4,
                       "upper": value + 4, "status": "observed", "interpolated_share": 0.0,
                       "method": "respondents", "approximate": 0, "source": "survey",
                       "n": 80 + i, "significance": "geen significante verandering"
                       if year == 2022 else "", "reason": "", "level": "wijk"}
                if code == "W02" and year == 2022:
                    row.update(value=np.nan, lower=np.nan, upper=np.nan, status="too_few",
                               n=12)
                if code == "W06" and year == 2022:
                    row.update(value=45.0, lower=40.0, upper=50.0,
                               significance="significant gestegen")
                rows.append(row)
            for year in maps_fixture.YEARS:
                row = {"version": version, "unit_code": code, "unit_name": "", "year": year,
                       "variable": "A_WMO", "value": 10.0 + i, "lower": np.nan,
                       "upper": np.nan, "status": "observed", "interpolated_share": 0.0,
                       "method": "points", "approximate": 0, "source": "records", "n": np.nan,
                       "significance": "", "reason": "", "level": "wijk"}
                if code == "W01" and year == 2022:
                    row.update(value=np.nan, status="small", reason="primary")
                if code == "W02" and year == 2022:
                    row.update(value=np.nan, status="withheld", reason="secondary")
                rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def fixture_atlas(tmp_path_factory):
    """The maps fixture atlas plus survey and register rows; one wijk named like Jinja."""
    tmp = tmp_path_factory.mktemp("publish")
    gpkg = tmp / "atlas.gpkg"
    saved = maps_fixture.INDICATORS
    maps_fixture.INDICATORS = pd.concat([saved, EXTRA_INDICATORS], ignore_index=True)
    try:
        tables = maps_fixture.write_atlas(gpkg, extra_results=_extra_results())
    finally:
        maps_fixture.INDICATORS = saved
    units = tables["units"]["2020"].copy()
    units.loc[units["code"] == "W11", "name"] = JINJA_NAME
    units.loc[units["code"] == "W12", "name"] = FORMULA_NAME
    pyogrio.write_dataframe(units, gpkg, layer="wijkindeling_2020", driver="GPKG",
                            promote_to_multi=True)
    return gpkg


def figure(edition, code, variable):
    unit = next(u for u in edition.units if u.code == code)
    return next(f for f in unit.figures if f.code == variable)


def test_profile_model_honesty_marks(fixture_atlas):
    ed = load_edition(fixture_atlas, "2020")
    assert ed.edition == 2022 and len(ed.units) == 15
    # survey: n and margin, significance, "te weinig respons", change between editions
    f = figure(ed, "W05", "P_EENZAAM")
    assert f.latest.year == 2022 and f.previous.year == 2018
    assert any("n = 85" in m and "marge" in m for m in f.marks)
    assert "geen significante verandering" in f.marks
    assert figure(ed, "W06", "P_EENZAAM").deviation == "above"  # gemeente below its margin
    assert "significant gestegen" in figure(ed, "W06", "P_EENZAAM").marks
    too_few = figure(ed, "W02", "P_EENZAAM")
    assert too_few.display(too_few.latest) == "te weinig respons"
    assert too_few.change is None and too_few.deviation == ""
    # register: "< 5" and "afgeschermd" with the reason
    small = figure(ed, "W01", "A_WMO")
    assert small.display(small.latest) == "< 5" and any("< 5" in m for m in small.marks)
    withheld = figure(ed, "W02", "A_WMO")
    assert withheld.display(withheld.latest) == "afgeschermd"
    assert any("secondary" in m for m in withheld.marks)
    # partly secret: the observed part, never "ten minste", not compared
    part = figure(ed, "W05", "G_MISDR_1K")
    latest_partial = next(p for p in part.own if p.year == 2020)
    assert latest_partial.status == "partial"
    # interpolated share with bounds
    interp = figure(ed, "W07", "AANT_INW")
    assert any("23 % geïnterpoleerd" in m for m in interp.marks)


def test_gemeente_figure_by_kind(fixture_atlas):
    ed = load_edition(fixture_atlas, "2020")
    res = pyogrio.read_dataframe(fixture_atlas, layer="results")
    res = res[(res["version"] == "2020") & (res["year"] == 2022)]
    inw = res[res["variable"] == "AANT_INW"].set_index("unit_code")["value"]
    pct = res[res["variable"] == "P_65_EO_JR"].set_index("unit_code")["value"]
    gem = {f.code: f for f in ed.gemeente.figures}
    assert gem["AANT_INW"].latest.value == pytest.approx(inw.sum())
    expected = (pct * inw).sum() / inw.sum()  # a share is weighted by its denominator
    assert gem["P_65_EO_JR"].latest.value == pytest.approx(expected)
    f = figure(ed, "W01", "P_65_EO_JR")
    assert f.latest_gemeente.value == pytest.approx(expected)
    rel = (f.latest.value - expected) / expected
    assert f.deviation == ("above" if rel > 0.1 else "below" if rel < -0.1 else "around")
    # counts: no marker, the share of the gemeente instead
    f = figure(ed, "W01", "AANT_INW")
    assert f.deviation == "" and f.share_of_gemeente == pytest.approx(inw["W01"] / inw.sum())


def test_profile_pages_escape_names_and_show_every_theme(fixture_atlas, tmp_path):
    pages = build_profiles(fixture_atlas, tmp_path / "profiles", versions=["2020"])
    assert len(pages) == 16  # 15 wijken + index
    texts = {p.name: p.read_text(encoding="utf-8") for p in pages}
    evil = texts["W10.html"]
    assert "<script>alert(1)</script>" not in evil
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in evil
    jinja = texts["W11.html"]
    assert "49" not in re.findall(r"<h1>(.*?)</h1>", jinja)[0]
    assert "{{ 7 * 7 }}" in jinja
    for name, text in texts.items():
        if name == "index.html":
            continue
        assert text.count("<script") == 0  # a profile needs no script at all
        assert text.count('charset="utf-8"') == 1
        for i, theme in enumerate(THEMES, start=1):
            assert f'id="thema-{i}-h">{theme.capitalize()}</h2>' in text
    # survey and register figures appear by themselves, with their marks
    assert 'data-code="P_EENZAAM"' in texts["W05.html"]
    assert "te weinig respons" in texts["W02.html"]
    assert "&lt; 5" in texts["W01.html"]


def test_refusals_name_the_file(fixture_atlas, tmp_path):
    with pytest.raises(WijkatlasError, match="version '1999' is not in the atlas"):
        load_edition(fixture_atlas, "1999")
    with pytest.raises(WijkatlasError, match="edition 2030"):
        load_edition(fixture_atlas, "2020", 2030)
    with pytest.raises(WijkatlasError, match="does not exist"):
        load_edition(tmp_path / "none.gpkg", "2020")
    assert safe_file_stem("W01") == "W01"
    for bad in ("../x", "a/b", ".hidden", "<b>", ""):
        assert safe_file_stem(bad).startswith("unit-")


def test_sheet_names_fit_excel():
    names = sheet_names(list(THEMES) + ["x" * 40, "x" * 40, "a/b:c?"])
    assert all(len(n) <= 31 for n in names.values())
    assert len(set(n.lower() for n in names.values())) == len(names)
    assert names["verenigingsleven en sociale netwerken"] == "Verenigingsleven en sociale"
    assert not re.search(r"[\[\]:*?/\\]", "".join(names.values()))


def test_planner_exports(fixture_atlas, tmp_path):
    from openpyxl import load_workbook

    written = write_trend_exports(fixture_atlas, tmp_path, versions=["2020"])
    xlsx = tmp_path / "trend_2020.xlsx"
    assert xlsx in written
    wb = load_workbook(xlsx)
    assert wb.sheetnames[0] == "Toelichting"
    info = "\n".join(str(c.value) for row in wb["Toelichting"].iter_rows() for c in row if c.value)
    assert "verenigingsleven en sociale netwerken" in info and "geen meting" in info
    ws = wb["Bevolkingssamenstelling"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Wijkcode", "Wijk", "Indicator", "Eenheid"]
    assert "2022" in header and "Index (eerste jaar = 100)" in header
    assert ws.freeze_panes == "E2"
    assert ws.column_dimensions["C"].width > 20
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "W01"
               and r[2].value == "Percentage inwoners 65 jaar en ouder")
    cell = row[header.index("2022")]
    res = pyogrio.read_dataframe(fixture_atlas, layer="results")
    value = res[(res["version"] == "2020") & (res["unit_code"] == "W01")
                & (res["variable"] == "P_65_EO_JR") & (res["year"] == 2022)]["value"].iloc[0]
    assert cell.value == round(value, 1) and cell.number_format == "#,##0.0"
    # a year without a survey says so, a secret value says why
    gez = wb["Gezondheid"]
    gh = [c.value for c in gez[1]]
    first = [c.value for c in next(gez.iter_rows(min_row=2))]
    assert first[gh.index("2019")] == "geen meting"
    assert first[gh.index("2022")] not in (None, "")
    suppressed = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "W03"
                      and r[2].value == "Percentage inwoners 65 jaar en ouder")
    assert suppressed[header.index("2018")].value == "geheim"
    # a name that looks like a formula stays text: a quote-prefixed text cell in Excel, an
    # apostrophe in the CSV
    cell = next(r[1] for r in ws.iter_rows(min_row=2) if r[0].value == "W12")
    assert cell.value == FORMULA_NAME and cell.data_type == "s" and cell.quotePrefix
    evil = pd.read_csv(tmp_path / "trend_2020_nl.csv", sep=";", decimal=",",
                       encoding="utf-8-sig", dtype=str)
    assert (tmp_path / "trend_2020_nl.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert set(evil.loc[evil["Wijkcode"] == "W12", "Wijk"]) == {"'" + FORMULA_NAME}
    w01 = evil[(evil["Wijkcode"] == "W01")
               & (evil["Indicator"] == "Percentage inwoners 65 jaar en ouder")]
    assert w01["2022"].iloc[0] == format_nl(value, 1).replace(".", "")


@pytest.fixture(scope="module")
def book_2020(atlas_dir, tmp_path_factory):
    if not shutil.which("pdftotext"):
        import os
        if os.environ.get("CI"):
            pytest.fail("pdftotext missing: make test installs poppler-utils")
        pytest.skip("pdftotext missing")
    out = tmp_path_factory.mktemp("book")
    ed = load_edition(atlas_dir / "atlas.gpkg", "2020")
    pdfs = build_book(atlas_dir / "atlas.gpkg", out, versions=["2020"], per_wijk=False,
                      editions={"2020": ed})
    return ed, pdfs[0]


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


def test_book_has_a_chapter_per_wijk_with_the_atlas_figures(book_2020):
    ed, pdf = book_2020
    assert pdf.name == "wijkatlas_2020_2022.pdf"
    pages = _pages(pdf)
    # the running footer names the chapter of every page after the cover
    chapter_of = []
    for page in pages[1:]:
        footer = re.search(r"· ([^\n]*?)\s+pagina \d+ van (\d+)\s*$", page)
        chapter_of.append(footer.group(1).strip() if footer else "")
        if footer:
            assert int(footer.group(2)) == len(pages)
    names = [u.name for u in ed.units]
    assert len(names) == 15
    for unit in ed.units:
        chapter = [p for p, c in zip(pages[1:], chapter_of, strict=True) if c == unit.name]
        assert 1 <= len(chapter) <= MAX_PAGES_PER_WIJK, unit.name
        text = "\n".join(chapter)
        assert unit.name in text
        inw = next(f for f in unit.figures if f.code == "AANT_INW")
        line = next(ln for ln in text.splitlines() if ln.lstrip().startswith("Aantal inwoners"))
        assert inw.fmt(inw.latest.value) in line.split()
        woz = next(f for f in unit.figures if f.code == "WOZ")
        assert woz.fmt(woz.latest.value) in text
    assert "Gemeente Heusden" in chapter_of and "Bijlage: verantwoording" in chapter_of
    assert len(pages) <= 4 + 15 * MAX_PAGES_PER_WIJK + 2 * MAX_PAGES_PER_WIJK
    contents = pages[1]
    assert "Inhoud" in contents and all(n in contents for n in names)


def test_profile_compares_a_wijk_with_its_kern(atlas_dir, tmp_path):
    """Issue 13: the wijkprofiel shows the kern's figure next to the gemeente's, from the
    atlas's own kern rows (never an average of wijken)."""
    atlas = atlas_dir / "atlas.gpkg"
    ed = load_edition(atlas, "2020")
    levels = pyogrio.read_dataframe(atlas, layer="levels")
    kern = levels[(levels["version"].astype(str) == "2020") & (levels["level"] == "kern")]
    size = kern.groupby("area_code")["wijk_code"].transform("size")
    row = kern[size > 1].iloc[0]
    unit = next(u for u in ed.units if u.code == row["wijk_code"])
    fig = next(f for f in unit.figures if f.code == "AANT_INW")
    assert fig.kern_name == row["area_name"]
    res = pyogrio.read_dataframe(atlas, layer="results")
    want = res[(res["version"].astype(str) == "2020") & (res["level"] == "kern")
               & (res["unit_code"] == row["area_code"]) & (res["variable"] == "AANT_INW")
               & (res["year"] == fig.latest.year)]["value"].iloc[0]
    assert fig.latest_kern.value == pytest.approx(want)
    pages = build_profiles(atlas, tmp_path / "profiles", versions=["2020"])
    page = next(p for p in pages if row["wijk_code"] in p.name)
    assert f"Kern {row['area_name']}" in page.read_text(encoding="utf-8")
