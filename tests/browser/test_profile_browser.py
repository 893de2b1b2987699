"""Wijkprofiel pages and both maps in real headless Chromium, offline: content, the way from
the map to a profile, accessibility (axe-core from npm, loaded from disk) and screenshots."""

from __future__ import annotations

import os
from pathlib import Path

import pyogrio
import pytest

from geo.catalog import THEMES
from geo.maps import build_maps
from geo.publish import build_profiles, load_edition

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
AXE = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}
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


class Tab:
    """One offline page with its console and JavaScript errors recorded."""

    def __init__(self, browser, url: str, size=(1280, 900), ready: bool = False) -> None:
        self.context = browser.new_context(offline=True,
                                           viewport={"width": size[0], "height": size[1]})
        self.context.route(lambda u: not u.startswith("file:"), lambda r: r.abort())
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        if ready:
            self.page.wait_for_function("window.wijkatlas && window.wijkatlas.ready",
                                        timeout=20_000)

    def axe(self) -> list[dict]:
        """axe-core's violations that fail WCAG 2.x A/AA or are serious or critical."""
        if not AXE.exists():
            if os.environ.get("CI"):
                pytest.fail("axe-core missing: make test installs it (npm ci in tests/browser)")
            pytest.skip("axe-core not installed (cd tests/browser && npm ci)")
        self.page.add_script_tag(path=str(AXE))
        found = self.page.evaluate("""async () => (await axe.run(document)).violations.map(v =>
            ({id: v.id, impact: v.impact, tags: v.tags, help: v.help,
              nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""")
        return [v for v in found if v["impact"] in ("serious", "critical")
                or WCAG_TAGS & set(v["tags"])]

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser):
    tabs: list[Tab] = []

    def _open(url: str, **kw) -> Tab:
        tabs.append(Tab(browser, url, **kw))
        return tabs[-1]

    yield _open
    for t in tabs:
        t.close()


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
            t.shot(f"{which}-{size_name}-popup")
            assert t.axe() == [], f"{which} with popup at {size_name}"
        t.close()
