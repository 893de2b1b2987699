"""Offline web maps of the atlas: a themed, time-enabled Leaflet atlas and a boundary-change map.

``build_maps(atlas, specs_dir, out_dir)`` reads the atlas GeoPackage and the map specifications
(``maps/*.toml``) and writes self-contained HTML pages (Leaflet inlined, no CDN).
"""

from geo.maps.page import build_maps

__all__ = ["build_maps"]
