"""Wijkprofiel pages and both maps in real headless Chromium, offline: content, the way from
the map to a profile, accessibility (axe-core from npm, loaded from disk) and screenshots."""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest

from geo.catalog import THEMES
from geo.maps import build_maps
from geo.publish import build_profiles, load_edition

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def site(atlas_dir, tmp_path_factory):
    """The sample atlas's web maps and the wijkprofiel pages of 2020, side by side."""
    out = tmp_path_factory.mktemp("site")
    gpkg = atlas_dir / "atlas.gpkg"
    maps = build_maps(gpkg, REPO / "maps", out / "maps")
    ed = load_edition(gpkg, "2020")
    pages = build_profiles(gpkg, out / "profiles", versions=["2020"], editions={"2020": ed},
                           book=None, exports=None)
    return {"gpkg": gpkg, "edition": ed, "index": maps[0], "grenzen": maps[1],
            "profiles": {p.stem: p for p in pages}}


def unit_point(page, gpkg: Path, code: str, version: str = "2020") -> tuple[float, float]:
    """Page pixel of a point inside unit ``code``."""
    units = pyogrio.read_dataframe(gpkg, layer=f"wijkindeling_{version}").to_crs("EPSG:4326")
    point = units.loc[units["code"] == code].geometry.representative_point().iloc[0]
    return tuple(page.evaluate("""([lat, lng]) => { const m = window.wijkatlas.map;
        const p = m.latLngToContainerPoint([lat, lng]);
        const r = m.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }""", [point.y, point.x]))


@pytest.fixture
def tab(open_page):
    """Open a page at the desktop size; wait for the map only when asked (profiles have
    none)."""
    return lambda url, size=SIZES["desktop"], ready=False: open_page(url, size=size,
                                                                    ready=ready)


def test_every_profile_opens_offline_with_all_themes_and_indicators(site, tab):
    res = pyogrio.read_dataframe(site["gpkg"], layer="results")
    res = res[(res["version"] == "2020") & (res["status"] != "missing")]
    expected = res.groupby("unit_code")["variable"].agg(set)
    valued = res[res["status"].isin(["observed", "partial"])]
    charted = valued.groupby("unit_code")["variable"].agg(set)
    assert len(site["edition"].units) == 15
    for unit in site["edition"].units:
        t = tab(site["profiles"][unit.file_stem].as_uri())
        page = t.page
        assert page.locator("h1").inner_text() == f"Wijkprofiel {unit.name}"
        themes = page.locator("section.theme h2").all_inner_texts()
        assert themes == [theme.capitalize() for theme in THEMES]
        shown = set(page.eval_on_selector_all("article.card", "a => a.map(e => e.dataset.code)"))
        assert shown == expected[unit.code], unit.code
        with_chart = set(page.eval_on_selector_all(
            "article.card:has(svg.chart)", "a => a.map(e => e.dataset.code)"))
        assert with_chart == charted.get(unit.code, set()), unit.code
        assert t.errors == []
        t.close()


def test_map_popup_leads_to_the_profile(site, tab):
    t = tab(site["index"].as_uri(), ready=True)
    page = t.page
    page.mouse.click(*unit_point(page, site["gpkg"], "W02"))
    link = page.locator(".leaflet-popup a", has_text="Wijkprofiel")
    link.click()
    page.wait_for_load_state()
    assert page.url.endswith("/profiles/2020/W02.html")
    assert page.locator("h1").inner_text() == "Wijkprofiel Braken Oost"
    assert t.errors == []


@pytest.mark.parametrize("which", ["profile", "index", "grenzen"])
def test_accessibility_and_screenshots(site, tab, which):
    url = (site["profiles"]["W01"] if which == "profile" else site[which]).as_uri()
    ready = which != "profile"
    for size_name, size in SIZES.items():
        t = tab(url, size=size, ready=ready)
        assert t.errors == []
        t.shot(f"{which}-{size_name}")
        assert t.axe() == [], f"{which} at {size_name}"
        if which == "index":  # with a popup open as well
            t.page.mouse.click(*unit_point(t.page, site["gpkg"], "W02"))
            t.page.wait_for_selector(".leaflet-popup")
            # Leaflet fades the popup in (and on a phone pans it clear of the panels): axe
            # must see the settled page, not text at half opacity.
            t.page.wait_for_function("""() => { const p = document.querySelector(
                '.leaflet-popup'); return p && getComputedStyle(p).opacity === '1'; }""")
            t.page.wait_for_timeout(400)
            t.shot(f"{which}-{size_name}-popup")
            assert t.axe() == [], f"{which} with popup at {size_name}"
        t.close()


def _overlaps(page, selectors: list[str]) -> list[tuple[str, str]]:
    """Pairs of visible elements (first match of each selector) whose boxes overlap."""
    return page.evaluate("""sels => {
        const boxes = sels.map(s => [s, document.querySelector(s)])
          .filter(([, e]) => e && e.offsetParent !== null && getComputedStyle(e).display !== 'none')
          .map(([s, e]) => [s, e.getBoundingClientRect()]).filter(([, r]) => r.width && r.height);
        const out = [];
        for (let i = 0; i < boxes.length; i++) for (let k = i + 1; k < boxes.length; k++) {
          const [a, r] = boxes[i], [b, q] = boxes[k];
          if (r.left < q.right - 1 && q.left < r.right - 1 && r.top < q.bottom - 1 &&
              q.top < r.bottom - 1) out.push([a, b]);
        }
        return out; }""", selectors)


PANELS = [".wa-title", ".wa-controls", ".wa-legend", ".leaflet-control-attribution",
          ".leaflet-control-scale", ".leaflet-control-zoom", ".leaflet-control-layers"]


UNITS_UNDER_PANELS = """() => {
    const ps = [...document.querySelectorAll('.leaflet-overlay-pane path')]
      .map(p => p.getBoundingClientRect());
    const u = {l: Math.min(...ps.map(r => r.left)), t: Math.min(...ps.map(r => r.top)),
               r: Math.max(...ps.map(r => r.right)), b: Math.max(...ps.map(r => r.bottom))};
    return [...document.querySelectorAll('.wa-panel')].filter(e => {
      const r = e.getBoundingClientRect();
      return r.width && !(r.right <= u.l || r.left >= u.r || r.bottom <= u.t || r.top >= u.b);
    }).map(e => e.className); }"""


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_first_view_shows_every_unit_clear_of_the_panels(site, tab, size):
    t = tab(site["index"].as_uri(), size=SIZES[size], ready=True)
    assert t.page.evaluate(UNITS_UNDER_PANELS) == []
    assert t.errors == []


def test_phone_layout_nothing_covers_the_popup_or_each_other(site, tab):
    t = tab(site["index"].as_uri(), size=SIZES["phone"], ready=True)
    page = t.page
    assert _overlaps(page, PANELS) == []
    for code in ("W02", "W12", "W15"):
        page.mouse.click(*unit_point(page, site["gpkg"], code))
        page.wait_for_selector(".leaflet-popup")
        page.wait_for_timeout(300)
        hits = [p for p in _overlaps(page, [".leaflet-popup", *PANELS, ".leaflet-tooltip"])
                if ".leaflet-popup" in p]
        assert hits == [], code
        assert page.locator(".leaflet-popup b").first.is_visible()
        page.locator(".leaflet-popup-close-button").click()
        page.wait_for_selector(".leaflet-popup", state="detached")  # faded out and removed
    g = tab(site["grenzen"].as_uri(), size=SIZES["phone"], ready=True)
    assert _overlaps(g.page, PANELS) == []
    assert t.errors == [] and g.errors == []


def test_slider_years_units_classes_and_partial_shares(site, tab):
    t = tab(site["index"].as_uri(), ready=True)
    page = t.page
    report = page.evaluate("""() => {
        const api = window.wijkatlas, D = api.data, out = {moved: [], tenMinste: [], aa: [],
          doubled: []};
        const last = D.years.length - 1;
        D.indicators.forEach(I => {
          api.setYear(last); api.setIndicatorCode(I.code);
          const ys = I.cls.map((r, y) => /[^m]/.test(r) ? y : -1).filter(y => y >= 0);
          if (ys.length && !ys.includes(api.state.year)) out.moved.push(I.code);
          if (ys.length < D.years.length && ys.length &&
              !document.querySelector('#wa-years-note').textContent.includes('Gegevens voor'))
            out.moved.push(I.code + ' (note)');
          document.querySelectorAll('#wa-legend td').forEach(td => {
            const m = /^(.+) - (.+)$/.exec(td.textContent.trim());
            if (m && m[1] === m[2]) out.aa.push(I.code + ': ' + td.textContent);
          });
          const title = document.querySelector('.wa-legend-title').textContent;
          if (I.unit && title.split(I.unit).length > 2) out.doubled.push(title);
          if (I.kind === 'count') return;
          I.cls.forEach((row, y) => { for (let j = 0; j < row.length; j++) {
            if (row[j] >= 'a' && row[j] <= 'j') { api.setYear(y);
              const tip = api.tooltipOf(D.units.code[j]);
              if (tip.includes('ten minste')) out.tenMinste.push(I.code + ' ' + D.years[y]); } } });
        });
        return out; }""")
    assert report == {"moved": [], "tenMinste": [], "aa": [], "doubled": []}
    assert t.errors == []


def test_popup_chart_states_change_and_index(site, tab):
    t = tab(site["index"].as_uri(), ready=True)
    page = t.page
    page.evaluate("window.wijkatlas.setIndicatorCode('AANT_INW')")
    page.mouse.click(*unit_point(page, site["gpkg"], "W02"))
    text = page.locator(".leaflet-popup").inner_text()
    res = pyogrio.read_dataframe(site["gpkg"], layer="results")
    row = res[(res["version"] == "2020") & (res["unit_code"] == "W02")
              & (res["variable"] == "AANT_INW") & (res["status"] == "observed")]
    first, last = row.sort_values("year")["value"].iloc[[0, -1]]
    assert f"(index {round(last / first * 100)})" in text
    assert "index, eerste jaar = 100" in text
    # the wijk's own line spans most of the chart's height (scaled to the wijk, not to 0)
    ys = page.evaluate("""() => [...document.querySelectorAll('.leaflet-popup circle.wa-own')]
        .map(c => +c.getAttribute('cy'))""")
    assert max(ys) - min(ys) > 50
    # The scale follows the wijk: where the average line leaves the chart, the popup says so.
    outs = []
    for code in ("W02", "W05", "W12"):
        page.mouse.click(*unit_point(page, site["gpkg"], code))
        page.wait_for_selector(".leaflet-popup")
        out = page.evaluate("""() => [...document.querySelectorAll(
            '.leaflet-popup circle.wa-avg')].some(c => +c.getAttribute('cy') < 8 ||
            +c.getAttribute('cy') > 98)""")
        note = page.locator(".leaflet-popup .wa-avg-outside")
        assert note.count() == (1 if out else 0), code
        outs.append(out)
        if out:
            assert "valt deels buiten deze schaal" in note.inner_text()
        page.locator(".leaflet-popup-close-button").click()
        page.wait_for_selector(".leaflet-popup", state="detached")
    assert any(outs)  # the sample has wijken that shrink while the average wijk grows


def test_boundary_map_basemap_tooltips_and_other_outline(site, tab):
    t = tab(site["grenzen"].as_uri(), ready=True)
    page = t.page
    api = "window.wijkatlas"
    assert page.evaluate(f"[{api}.version, {api}.outline]") == ["2020", "2016"]
    tips = page.evaluate(f"""() => Object.fromEntries(Object.entries({api}.layers).map(
        ([v, g]) => [v, g.units.getLayers().map(
            l => [l.unitCode, l.getTooltip().getContent()])]))""")
    for version, rows in tips.items():
        for code, tip in rows:
            assert not ("nieuw" in tip and "gewijzigd" in tip), (version, code, tip)
    assert any("afgesplitst van W08" in tip for code, tip in tips["2020"] if code == "W15")
    assert any("gewijzigd in de" in tip for code, tip in tips["2016"] if code == "W08")
    # switch to 2016: the 2020 outline is drawn over it
    page.get_by_text("Wijkindeling Heusden 2016", exact=False).first.click()
    assert page.evaluate(f"[{api}.version, {api}.outline]") == ["2016", "2020"]
    assert page.evaluate(f"{api}.map.hasLayer({api}.layers['2020'].outline)")
    # choosing a basemap in the other control throws nothing
    page.evaluate("""() => [...document.querySelectorAll('.leaflet-control-layers')]
        .filter(c => c.textContent.includes('OpenStreetMap'))
        .forEach(c => c.classList.add('leaflet-control-layers-expanded'))""")
    page.get_by_text("OpenStreetMap (online)").click()
    page.get_by_text("Geen achtergrond (offline)").click()
    # offline, the blocked tiles fail to load (not an error of the page); nothing may throw
    assert [e for e in t.errors if not e.startswith("Failed to load resource")] == []
