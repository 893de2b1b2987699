"""Assemble the self-contained HTML pages with folium and write them atomically.

folium gives the page skeleton, the map, the optional online basemaps and the layer control;
its CDN links are switched off and Leaflet is inlined from an installed package
(:mod:`geo.maps.assets`). The choropleth itself is drawn by ``templates/atlas.js`` from one
compact JSON block (:mod:`geo.maps.data`).

Basemaps: PDOK BRT-Achtergrondkaart grijs and OpenStreetMap are offered in the layer control.
The page starts on "Geen achtergrond" and switches to PDOK only when the browser reports being
online (``navigator.onLine``), so an offline page asks for no tile at all and logs no error. On
a network where the tile servers are blocked the tiles simply stay blank: failed image loads
are not JavaScript errors, and the wijken are drawn either way (tested in
``tests/browser``).
"""

from __future__ import annotations

import html
import json
from dataclasses import replace
from pathlib import Path

import folium
from branca.element import Element, MacroElement
from jinja2 import Template

from geo.atomic import write_text
from geo.errors import WijkatlasError
from geo.maps.assets import head_html
from geo.maps.data import atlas_payload, atlas_versions, boundaries_payload
from geo.maps.html import finish_page
from geo.maps.slots import Slots
from geo.maps.specs import MapSpec, expand_specs, read_specs

PDOK_GRIJS = ("https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/grijs/EPSG:3857/"
              "{z}/{x}/{y}.png")
PDOK_ATTR = "Achtergrond: BRT-Achtergrondkaart © Kadaster / PDOK (CC BY 4.0)"
OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTR = "© OpenStreetMap-bijdragers (ODbL)"


def json_for_script(payload: dict) -> str:
    """JSON that is safe inside ``<script>``: ``<``, ``>`` and ``&`` become ``\\u`` escapes."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _PageScript(MacroElement):
    """The data block and the call that draws it, placed after the map is created."""

    _template = Template("""
        {% macro html(this, kwargs) %}
        <script type="application/json" id="{{ this.data_id }}">{{ this.data }}</script>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        {{ this.function }}({{ this._parent.get_name() }}, "{{ this.data_id }}", {
            none: {{ this.none }}, online: {{ this.online }}, pages: {{ this.pages }}
        });
        {% endmacro %}
    """)

    def __init__(self, function: str, payload: dict, none: str, online: str,
                 pages: list[dict], slots: Slots) -> None:
        super().__init__()
        self._name, self._id = "WijkatlasPage", "page"
        self.function = function
        self.data_id = "wijkatlas-data"
        # Data only ever enters the page through slots: branca compiles macro output again.
        self.data = slots.put(json_for_script(payload))
        self.none, self.online = none, online
        self.pages = slots.put(json_for_script(pages))


def _base_map(title: str, prefer_canvas: bool, script: str,
              slots: Slots) -> tuple[folium.Map, str, str]:
    """A folium map without CDN assets, with 'no basemap' and the two online basemaps.

    ``title`` and the inlined assets go in through ``slots``: branca compiles an
    ``Element``'s text as a Jinja2 template.
    """
    # The scale is added by common.js: metric only (folium's adds miles and feet).
    m = folium.Map(location=[51.7, 5.2], zoom_start=12, tiles=None, control_scale=False,
                   prefer_canvas=prefer_canvas)
    m._id = "wijkatlas"
    m.default_js, m.default_css = [], []  # no CDN: Leaflet is inlined below
    root = m.get_root()
    root.header.add_child(Element(
        f'<meta charset="utf-8"><title>{slots.put(html.escape(title))}</title>'
        '<meta name="description" content="Wijkatlas: kaarten per wijk">'), name="meta")
    root.header.add_child(Element(slots.put(head_html("common.js", script,
                                                      styles=("atlas.css",)))),
                          name="wijkatlas_assets")
    none = folium.FeatureGroup(name="Geen achtergrond (offline)", overlay=False, show=True)
    none._id = "none"
    none.add_to(m)
    pdok = folium.TileLayer(PDOK_GRIJS, attr=PDOK_ATTR, name="BRT-Achtergrondkaart grijs "
                            "(PDOK, online)", overlay=False, show=False, max_zoom=19,
                            max_native_zoom=19)
    pdok._id = "pdok"
    pdok.add_to(m)
    osm = folium.TileLayer(OSM, attr=OSM_ATTR, name="OpenStreetMap (online)", overlay=False,
                           show=False, max_zoom=19)
    osm._id = "osm"
    osm.add_to(m)
    return m, none.get_name(), pdok.get_name()


def render_page(spec: MapSpec, atlas: Path, specs_dir: Path, pages: list[dict]) -> str:
    """The HTML of one page of ``spec``, from the atlas GeoPackage."""
    if spec.kind == "atlas":
        payload = atlas_payload(atlas, spec, specs_dir)
        canvas, function, script = payload["canvas"], "wijkatlasAtlas", "atlas.js"
    else:
        payload = boundaries_payload(atlas, spec)
        canvas, function, script = False, "wijkatlasBoundaries", "boundaries.js"
    slots = Slots()
    m, none, online = _base_map(spec.title, canvas, script, slots)
    control = folium.LayerControl(position="topright", collapsed=True)
    control._id = "basemaps"
    control.add_to(m)
    own = {spec.file} | {c["file"] for c in spec.choice}
    others = [p for p in pages if p["file"] not in own]
    m.add_child(_PageScript(function, payload, none, online, others, slots))
    text = slots.fill(m.get_root().render())
    return finish_page(text, label=html.escape(f"Kaart: {spec.title}"))


def level_specs(specs: list[MapSpec], atlas: Path) -> list[MapSpec]:
    """For every wijk atlas page, the same page on each higher level of its version that the
    atlas holds (``index.html`` -> ``index_kern.html``, ``index_wijkteam.html``); the gemeente
    (one area) gets no map of its own."""
    from dataclasses import replace

    from geo.maps.data import atlas_levels, read_table

    taken = {s.file for s in specs}
    out = []
    for spec in specs:
        if spec.kind != "atlas" or spec.level != "wijk":
            continue
        for level, label in atlas_levels(atlas, spec.version):
            layer = read_table(atlas, f"level_{level}_{spec.version}", ["code"])
            if len(layer) < 2:
                continue
            file = f"{Path(spec.file).stem}_{level}.html"
            if file in taken:
                continue
            taken.add(file)
            out.append(replace(spec, file=file, title=f"{spec.title}: {label.lower()}",
                               level=level))
    return out


def build_maps(atlas: Path, specs_dir: Path, out_dir: Path) -> list[Path]:
    """Write the web atlas pages of every map specification in ``specs_dir``.

    Parameters
    ----------
    atlas
        The atlas GeoPackage (``docs/atlas-gpkg.md``); the only data read.
    specs_dir
        Folder with the map specifications (``maps/*.toml``).
    out_dir
        Where the pages go (created when absent), e.g. ``build/maps``.

    Returns
    -------
    The written pages, in spec order. Every page is rendered before any is written, and each
    is written to a temporary file first, so a failure leaves the old pages as they were.

    Raises
    ------
    WijkatlasError
        When there is no spec, a spec is invalid, or the GeoPackage lacks what a spec needs.
    """
    atlas, specs_dir, out_dir = Path(atlas), Path(specs_dir), Path(out_dir)
    specs = read_specs(specs_dir)
    if not specs:
        raise WijkatlasError("no map specification (*.toml) found.", file=specs_dir,
                             fix="add e.g. maps/atlas.toml with kind = \"atlas\".")
    n_own = len(specs)
    # "all"/"newest" resolved first (a page per version); the level pages follow the default
    # version's page (their version choice is the wijk pages').
    specs = expand_specs(specs, atlas_versions(atlas))
    levels = [replace(s, choice=()) for s in level_specs(specs[:n_own], atlas)]
    pages = [{"file": s.file, "title": s.title} for s in specs[:n_own] + levels]
    specs = specs[:n_own] + levels + specs[n_own:]
    rendered = [(out_dir / s.file, render_page(s, atlas, specs_dir, pages)) for s in specs]
    out_dir.mkdir(parents=True, exist_ok=True)
    for path, text in rendered:
        write_text(path, text)
    return [path for path, _ in rendered]
