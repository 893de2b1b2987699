"""Hostile names in real Chromium: template and formula payloads in wijk, version and page
names show as the literal text, nothing is evaluated, no dialog opens (issue 9, item 1)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hostile  # noqa: E402

pytestmark = pytest.mark.browser

TEXT_OF = """html => { const d = document.createElement('div'); d.innerHTML = html;
                        return d.textContent; }"""


@pytest.fixture
def built(hostile_atlas):
    return hostile_atlas


def test_hostile_names_show_literally_in_the_atlas_page(built, open_page):
    page = open_page((built["out"] / "maps" / "index.html").as_uri())
    p = page.page
    assert p.title() == "Wijkatlas {{7*7}}"
    title_box = p.inner_text(".wa-title")
    assert "Wijkatlas {{7*7}}" in title_box and hostile.TEMPLATE_VERSION in title_box
    assert "V42" not in title_box and "49" not in title_box
    for code, name in built["names"].items():
        tip = p.evaluate(TEXT_OF, p.evaluate("c => window.wijkatlas.tooltipOf(c)", code))
        assert name in tip, (code, tip)
    assert page.dialogs == [] and page.js_errors == []
    assert not built["marker"].exists()


def test_hostile_names_show_literally_in_the_boundary_map(built, open_page):
    page = open_page((built["out"] / "maps" / "grenzen.html").as_uri())
    p = page.page
    shown = p.evaluate("""() => { const out = [];
        Object.values(window.wijkatlas.layers).forEach(v => v.units.eachLayer(l => {
          const d = document.createElement('div');
          d.innerHTML = l.getTooltip().getContent(); out.push(d.textContent); }));
        return out; }""")
    for name in built["names"].values():
        assert any(name in text for text in shown), name
    assert any(hostile.TEMPLATE_VERSION in text for text in shown)
    controls = p.evaluate("() => [...document.querySelectorAll('.leaflet-control-layers')]"
                          ".map(e => e.textContent).join(' | ')")
    assert "Grenzen V{{ 7*6 }}b (stippellijn)" in controls
    assert page.dialogs == [] and page.js_errors == []
