"""The web atlas in real headless Chromium, offline: drawing, time control, tooltips, legend."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pyogrio
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import maps_fixture  # noqa: E402

from geo.maps import build_maps  # noqa: E402
from geo.maps.classes import format_nl  # noqa: E402

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
SUPPRESSED_FILL = "#8c8c8c"
MISSING_FILL = "#ffffff"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture atlas and its pages built from the repository's map specs."""
    tmp = tmp_path_factory.mktemp("maps")
    gpkg = tmp / "atlas.gpkg"
    tables = maps_fixture.write_atlas(gpkg, REPO / "maps")
    pages = build_maps(gpkg, REPO / "maps", tmp / "maps")
    return {"gpkg": gpkg, "tables": tables, "index": pages[0], "grenzen": pages[1]}


def result(tables, code, variable, year, version="2020"):
    res = tables["results"]
    row = res[(res["version"] == version) & (res["unit_code"] == code)
              & (res["variable"] == variable) & (res["year"] == year)]
    assert len(row) == 1
    return row.iloc[0]


def unit_point(page, gpkg: Path, code: str, version: str = "2020") -> tuple[float, float]:
    """Page pixel of a point inside unit ``code`` (shapely's representative point)."""
    units = pyogrio.read_dataframe(gpkg, layer=f"wijkindeling_{version}").to_crs("EPSG:4326")
    point = units.loc[units["code"] == code].geometry.representative_point().iloc[0]
    return tuple(page.evaluate(
        """([lat, lng]) => { const m = window.wijkatlas.map;
             const p = m.latLngToContainerPoint([lat, lng]);
             const r = m.getContainer().getBoundingClientRect();
             return [r.left + p.x, r.top + p.y]; }""", [point.y, point.x]))


def hover(page, gpkg: Path, code: str, version: str = "2020") -> str:
    """Move the mouse onto a point inside unit ``code`` and return the tooltip's text."""
    x, y = unit_point(page, gpkg, code, version)
    page.mouse.move(5, 400)
    page.mouse.move(x, y, steps=3)
    page.wait_for_function(
        """code => { const t = document.querySelector('.leaflet-tooltip');
                     return t && t.textContent.includes('(' + code + ')'); }""",
        arg=code, timeout=5000)
    return page.locator(".leaflet-tooltip").inner_text()


def fills(page) -> dict[str, str]:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('path.wijk')]
        .map(p => [p.getAttribute('data-code'), p.getAttribute('fill')]))""")


def legend_rows(page) -> list[dict]:
    return page.evaluate("""() => [...document.querySelectorAll('#wa-legend tr')].map(r => ({
        colour: r.dataset.colour || null, status: r.dataset.status || null,
        count: +r.dataset.count}))""")


def set_year(page, year: int) -> None:
    years = page.evaluate("window.wijkatlas.data.years")
    page.locator("#wa-year").fill(str(years.index(year)))


def set_indicator(page, label: str) -> None:
    page.locator("#wa-indicator").select_option(label=label)


def test_loads_offline_without_errors_and_draws_every_unit(built, open_page):
    p = open_page(built["index"].as_uri())
    n_units = len(pyogrio.read_dataframe(built["gpkg"], layer="wijkindeling_2020"))
    assert p.page.locator("path.wijk").count() == n_units == 15
    assert p.console_errors == [] and p.js_errors == []
    assert p.requests == []  # offline start: no basemap tile is even asked for
    text = p.page.inner_text("body")
    credit = "Bron: CBS / PDOK, Wijk- en Buurtkaart (CC BY 4.0); voorbeeldcijfers synthetisch"
    for dutch in ("Indicator", "Jaar: 2022", "Wijkindeling 2020", credit):
        assert dutch in text
    assert p.shot("atlas").stat().st_size > 10_000


def test_time_control_changes_colours_and_legend(built, open_page):
    p = open_page(built["index"].as_uri())
    set_indicator(p.page, "Aantal inwoners")
    set_year(p.page, 2016)
    before, legend_before = fills(p.page), p.page.inner_text("#wa-legend")
    set_year(p.page, 2022)
    after, legend_after = fills(p.page), p.page.inner_text("#wa-legend")
    assert before != after
    assert legend_before != legend_after and "2022" in legend_after and "2016" in legend_before
    assert p.page.inner_text("#wa-year-label") == "2022"
    # an open tooltip follows the time control
    assert "2022" in hover(p.page, built["gpkg"], "W01")
    set_year(p.page, 2017)
    row = result(built["tables"], "W01", "AANT_INW", 2017)
    tip = p.page.locator(".leaflet-tooltip").inner_text()
    assert "2017" in tip and format_nl(row["value"], 0) in tip
    assert p.js_errors == []


def test_play_button_steps_through_the_years_and_pauses(built, open_page):
    p = open_page(built["index"].as_uri())
    set_year(p.page, 2016)
    first = fills(p.page)
    p.page.click("#wa-play")
    p.page.wait_for_function(
        "document.querySelector('#wa-year-label').textContent !== '2016'", timeout=5000)
    assert fills(p.page) != first
    p.page.click("#wa-play")  # pause
    year = p.page.inner_text("#wa-year-label")
    p.page.wait_for_timeout(1500)
    assert p.page.inner_text("#wa-year-label") == year
    assert p.js_errors == []


@pytest.mark.parametrize("label", ["Aantal inwoners", "Percentage inwoners 65 jaar en ouder",
                                   "Misdrijven per 1.000 inwoners"])
def test_legend_matches_what_is_drawn_in_every_year(built, open_page, label):
    p = open_page(built["index"].as_uri())
    set_indicator(p.page, label)
    for year in p.page.evaluate("window.wijkatlas.data.years"):
        set_year(p.page, year)
        drawn = Counter(fills(p.page).values())
        rows = legend_rows(p.page)
        legend = Counter()
        for row in rows:
            if row["colour"]:
                legend[row["colour"]] += row["count"]
            elif row["status"] == "s":
                legend[SUPPRESSED_FILL] += row["count"]
            elif row["status"] == "m":
                legend[MISSING_FILL] += row["count"]
        assert +legend == drawn, (label, year)


def test_tooltip_shows_value_unit_year_and_status(built, open_page):
    p = open_page(built["index"].as_uri())
    set_indicator(p.page, "Aantal inwoners")
    set_year(p.page, 2021)
    row = result(built["tables"], "W01", "AANT_INW", 2021)
    text = hover(p.page, built["gpkg"], "W01")
    assert f"{format_nl(row['value'], 0)} personen" in text
    assert "Drunen-Noord" in text and "2021" in text and "waargenomen" in text


def test_interpolated_value_shows_share_and_bounds(built, open_page):
    p = open_page(built["index"].as_uri())
    set_indicator(p.page, "Aantal inwoners")
    row = result(built["tables"], "W07", "AANT_INW", 2022)
    text = hover(p.page, built["gpkg"], "W07")
    assert "23% geïnterpoleerd" in text
    assert f"marge {format_nl(row['lower'], 0)} – {format_nl(row['upper'], 0)}" in text


def test_suppressed_value_shows_geheim_and_is_drawn_distinctly(built, open_page):
    p = open_page(built["index"].as_uri())
    set_indicator(p.page, "Percentage inwoners 65 jaar en ouder")
    set_year(p.page, 2018)
    assert result(built["tables"], "W03", "P_65_EO_JR", 2018)["status"] == "suppressed"
    text = hover(p.page, built["gpkg"], "W03")
    assert "geheim" in text and "gedeeltelijk" not in text
    assert fills(p.page)["W03"] == SUPPRESSED_FILL
    assert "geheim" in p.page.inner_text("#wa-legend")


def test_missing_and_partial_are_labelled(built, open_page):
    p = open_page(built["index"].as_uri())
    set_indicator(p.page, "Aantal inwoners")
    set_year(p.page, 2019)
    assert "geen gegevens" in hover(p.page, built["gpkg"], "W04")
    assert fills(p.page)["W04"] == MISSING_FILL
    set_indicator(p.page, "Misdrijven per 1.000 inwoners")
    set_year(p.page, 2020)
    assert "gedeeltelijk geheim" in hover(p.page, built["gpkg"], "W05")


def test_wijk_name_from_data_is_shown_as_text(built, open_page):
    p = open_page(built["index"].as_uri())
    text = hover(p.page, built["gpkg"], "W10")
    assert maps_fixture.EVIL_NAME in text  # shown literally, not run
    assert p.dialogs == [] and p.js_errors == []
    assert p.page.locator(".leaflet-tooltip script").count() == 0


def test_popup_shows_trend_against_municipal_average(built, open_page):
    p = open_page(built["index"].as_uri())
    hover(p.page, built["gpkg"], "W02")
    p.page.mouse.click(*unit_point(p.page, built["gpkg"], "W02"))
    popup = p.page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=5000)
    assert popup.locator("svg.wa-chart path.wa-own").count() == 1
    assert popup.locator("svg.wa-chart path.wa-avg").count() == 1
    n_years = len(p.page.evaluate("window.wijkatlas.data.years"))
    assert popup.locator("svg.wa-chart circle.wa-own").count() == n_years
    assert "Centrum Drunen" in popup.inner_text()


def test_online_basemap_failing_gives_no_javascript_error(built, open_page):
    """Online (navigator.onLine) the page selects PDOK; blocked tiles must not break the page."""
    p = open_page(built["index"].as_uri(), offline=False)
    assert any("service.pdok.nl/brt/achtergrondkaart" in u for u in p.requests)
    assert p.js_errors == []
    assert p.page.locator("path.wijk").count() == 15


def test_boundary_change_map_toggles_versions_and_highlights_the_split(built, open_page):
    p = open_page(built["grenzen"].as_uri())
    assert p.console_errors == [] and p.js_errors == []
    assert p.page.locator("path.wijk").count() == 15
    assert fills(p.page)["W15"] == "#e66101" and fills(p.page)["W07"] == "#e66101"
    assert fills(p.page)["W01"] != "#e66101"
    p.page.get_by_role("radio", name="Wijkindeling 2016").check()
    assert p.page.locator("path.wijk").count() == 14
    assert fills(p.page)["W07"] == "#e66101"
    p.shot("grenzen")


# --- the real build: `wijkatlas build` of this repository -----------------------------------


@pytest.fixture(scope="module")
def real(atlas_dir, tmp_path_factory):
    """Pages built from the engine's atlas of the repository (shared session build)."""
    from geo.maps.data import atlas_versions
    from geo.maps.specs import expand_specs, read_spec

    gpkg = atlas_dir / "atlas.gpkg"
    # the spec as drawn on index.html: "newest" resolved against the atlas's versions
    spec = expand_specs([read_spec(REPO / "maps" / "atlas.toml")], atlas_versions(gpkg))[0]
    pages = build_maps(gpkg, REPO / "maps", tmp_path_factory.mktemp("real_maps"))
    res = pyogrio.read_dataframe(gpkg, layer="results")
    res = res[(res["version"].astype(str) == spec.version) & (res["level"] == "wijk")]
    inds = pyogrio.read_dataframe(gpkg, layer="indicators").set_index("code")
    return {"gpkg": gpkg, "spec": spec, "index": pages[0], "grenzen": pages[1], "res": res,
            "inds": inds}


def test_real_atlas_draws_every_unit_and_shows_the_right_values(real, open_page):
    assert "<script src" not in real["index"].read_text(encoding="utf-8")
    p = open_page(real["index"].as_uri())
    versions = pyogrio.read_dataframe(real["gpkg"], layer="versions")
    n_units = int(versions.loc[versions["id"].astype(str) == real["spec"].version,
                               "n_units"].iloc[0])
    assert p.page.locator("path.wijk").count() == n_units
    assert p.console_errors == [] and p.js_errors == []
    p.shot("atlas_real")
    res, inds = real["res"], real["inds"]
    # a known value: the default indicator, last year, first observed wijk
    code = real["spec"].default_indicator
    last = res[(res["variable"] == code) & (res["year"] == res["year"].max())
               & (res["status"] == "observed")].iloc[0]
    ind = inds.loc[code]
    text = hover(p.page, real["gpkg"], last["unit_code"], real["spec"].version)
    assert f"{format_nl(last['value'], int(ind['decimals']))} {ind['unit']}" in text
    assert str(int(last["year"])) in text
    # a suppressed value
    secret = res[res["status"] == "suppressed"]
    assert len(secret), "the sample atlas has suppressed values"
    row = secret.iloc[0]
    set_indicator(p.page, inds.loc[row["variable"], "label"])
    set_year(p.page, int(row["year"]))
    text = hover(p.page, real["gpkg"], row["unit_code"], real["spec"].version)
    assert "Status: geheim" in text
    assert fills(p.page)[row["unit_code"]] == SUPPRESSED_FILL


def test_real_boundary_map_highlights_changed_wijken(real, open_page):
    p = open_page(real["grenzen"].as_uri())
    assert p.console_errors == [] and p.js_errors == []
    units = pyogrio.read_dataframe(real["gpkg"], layer="wijkindeling_2020")
    changed = set(units.loc[units["lineage"] != "unchanged", "code"])
    assert changed  # Geerpark/de Grassen
    drawn = fills(p.page)
    assert {c for c, f in drawn.items() if f == "#e66101"} == changed


def test_large_map_draws_on_canvas_with_a_matching_legend(tmp_path, open_page):
    """Above CANVAS_ABOVE units the page draws on one canvas: still every unit, one legend."""
    from bench.maps_bench import national_atlas
    from geo.maps.data import CANVAS_ABOVE

    n = CANVAS_ABOVE + 500
    specs = tmp_path / "specs"
    specs.mkdir()
    national_atlas(tmp_path / "nl.gpkg", specs, n, years=3)
    page = build_maps(tmp_path / "nl.gpkg", specs, tmp_path / "out")[0]
    p = open_page(page.as_uri())
    assert p.console_errors == [] and p.js_errors == []
    assert p.page.locator("path.wijk").count() == 0  # not SVG ...
    assert p.page.locator("canvas.leaflet-zoom-animated").count() == 1  # ... but a canvas
    assert p.page.evaluate("window.wijkatlas.layers.length") == n
    for year in (2018, 2020):
        set_year(p.page, year)
        # partial values count in their class; their own row marks the dashed outline
        assert sum(r["count"] for r in legend_rows(p.page) if r["status"] != "p") == n
    res = pyogrio.read_dataframe(tmp_path / "nl.gpkg", layer="results")
    row = res[(res["year"] == 2020) & (res["status"] == "observed")].iloc[0]
    tip = p.page.evaluate("code => window.wijkatlas.tooltipOf(code)", row["unit_code"])
    assert f"{format_nl(row['value'], 0)} inwoners" in tip and "2020" in tip
