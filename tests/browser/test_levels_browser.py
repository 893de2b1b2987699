"""The web atlas offers the levels of its version: a page per level, linked from the others."""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest

from geo.maps import build_maps
from geo.maps.classes import format_nl

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pages(atlas_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("level_maps")
    return {p.name: p for p in build_maps(atlas_dir / "atlas.gpkg", REPO / "maps", out)}


def test_a_page_per_level_linked_from_the_wijk_page(pages, open_page):
    assert {"index.html", "grenzen.html", "index_kern.html", "index_wijkteam.html"} <= set(pages)
    p = open_page(pages["index.html"].as_uri())
    links = p.page.evaluate("[...document.querySelectorAll('.wa-title nav a')]"
                            ".map(a => a.getAttribute('href'))")
    assert {"index_kern.html", "index_wijkteam.html"} <= set(links)


@pytest.mark.parametrize(("page", "n", "noun"), [("index_kern.html", 8, "kernen"),
                                                 ("index_wijkteam.html", 3, "wijkteams")])
def test_level_page_draws_its_areas_with_their_own_figures(pages, open_page, atlas_dir, page,
                                                           n, noun):
    p = open_page(pages[page].as_uri())
    assert p.js_errors == [] and p.console_errors == []
    assert p.page.evaluate("window.wijkatlas.layers.length") == n
    assert f"{n} {noun}" in p.page.locator(".wa-title").inner_text()
    assert f"aantal {noun} per klasse" in p.page.locator("#wa-legend").inner_text()
    res = pyogrio.read_dataframe(atlas_dir / "atlas.gpkg", layer="results")
    level = page.removeprefix("index_").removesuffix(".html")
    row = res[(res["version"] == "2020") & (res["level"] == level) & (res["year"] == 2022)
              & (res["variable"] == "AANT_INW")].iloc[0]
    tip = p.page.evaluate("code => window.wijkatlas.tooltipOf(code)", row["unit_code"])
    assert row["unit_name"] in tip and f"{format_nl(row['value'], 0)} personen" in tip
