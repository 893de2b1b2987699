"""Survey figures in the web atlas (real Chromium, offline): the tooltip shows n and the
margin, the trend popup lists the editions and marks non-significant changes."""

from __future__ import annotations

import sys
from pathlib import Path

import pyogrio
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_atlas_browser import hover, set_indicator, set_year, unit_point  # noqa: E402

from geo.maps import build_maps  # noqa: E402
from geo.maps.classes import format_nl  # noqa: E402

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def page_data(atlas_dir, tmp_path_factory):
    gpkg = atlas_dir / "atlas.gpkg"
    pages = build_maps(gpkg, REPO / "maps", tmp_path_factory.mktemp("survey_maps"))
    res = pyogrio.read_dataframe(gpkg, layer="results")
    res = res[(res["version"] == "2020") & (res["source"] == "survey")]
    return {"gpkg": gpkg, "index": pages[0], "res": res}


def test_tooltip_shows_n_and_margin_and_change(page_data, open_page):
    res = page_data["res"]
    row = res[(res["variable"] == "P_ONVEILIG") & (res["year"] == 2019)
              & (res["level"] == "wijk") & (res["status"] == "observed")
              & (res["n"] >= 100)].iloc[0]
    p = open_page(page_data["index"].as_uri())
    set_indicator(p.page, "Voelt zich weleens onveilig in de buurt")
    set_year(p.page, 2019)
    text = hover(p.page, page_data["gpkg"], row["unit_code"])
    margin = max(row["value"] - row["lower"], row["upper"] - row["value"])
    assert f"n = {int(row['n'])}, marge ± {format_nl(margin, 1)} procentpunt" in text
    assert f"{format_nl(row['value'], 1)} %" in text
    assert row["significance"] in text
    assert p.console_errors == [] and p.js_errors == []
    p.shot("survey_tooltip")
    # a year without a survey: no figure
    set_year(p.page, 2020)
    assert "geen meting in 2020" in hover(p.page, page_data["gpkg"], row["unit_code"])


def test_too_few_is_its_own_status_and_popup_lists_editions(page_data, open_page):
    res = page_data["res"]
    few = res[(res["status"] == "too_few") & (res["level"] == "wijk")
              & (res["variable"] == "P_VRIJWIL")].iloc[0]
    p = open_page(page_data["index"].as_uri())
    set_indicator(p.page, "Doet vrijwilligerswerk")
    set_year(p.page, int(few["year"]))
    text = hover(p.page, page_data["gpkg"], few["unit_code"])
    assert "te weinig respons" in text and f"n = {int(few['n'])}" in text
    legend = p.page.inner_text("#wa-legend")
    assert "te weinig respons" in legend
    x, y = unit_point(p.page, page_data["gpkg"], few["unit_code"])
    p.page.mouse.click(x, y)
    p.page.wait_for_selector(".wa-editions")
    rows = p.page.locator(".wa-editions tr[data-year]")
    assert rows.count() == 5  # every edition of the survey
    popup = p.page.inner_text(".wa-popup")
    assert "geen significante verandering" in popup or "significant" in popup
    assert p.page.locator(".wa-chart path.wa-nonsig").count() >= 0
    p.shot("survey_popup")
    assert p.console_errors == [] and p.js_errors == []
