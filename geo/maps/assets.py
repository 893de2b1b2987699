"""Leaflet and the page's own scripts and styles, read from installed packages and inlined.

Leaflet comes from the PyPI package ``django-js-lib-leaflet`` (module ``js_lib_leaflet``), so
the pages need no CDN: everything is inside the HTML. The images Leaflet's CSS refers to
(the layer-control icon) become data URIs.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from importlib import resources
from pathlib import Path

from geo.errors import WijkatlasError

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _leaflet_dir() -> Path:
    try:
        root = resources.files("js_lib_leaflet")
    except ModuleNotFoundError as exc:
        raise WijkatlasError("the Python package django-js-lib-leaflet is not installed.",
                             unit="js_lib_leaflet",
                             fix="install wijkatlas with its dependencies (make venv).") from exc
    return Path(str(root)) / "static" / "js_lib_leaflet"


@cache
def leaflet_js() -> str:
    """Leaflet's minified JavaScript, without its source-map comment."""
    text = (_leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")
    return re.sub(r"//# sourceMappingURL=\S+\s*$", "", text)


@cache
def leaflet_css() -> str:
    """Leaflet's CSS with every ``url(images/...)`` replaced by a data URI."""
    folder = _leaflet_dir()
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        image = folder / match.group(1)
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\((images/[\w.\-]+\.png)\)", inline, css)


@cache
def template(name: str) -> str:
    """A script or stylesheet of ``geo/maps/templates/``."""
    return (TEMPLATES / name).read_text(encoding="utf-8")


def head_html(*scripts: str, styles: tuple[str, ...] = ()) -> str:
    """``<style>`` and ``<script>`` elements with Leaflet and the named templates inlined."""
    css = [leaflet_css(), *(template(s) for s in styles)]
    js = [leaflet_js(), *(template(s) for s in scripts)]
    return ("".join(f"<style>{c}</style>\n" for c in css)
            + "".join(f"<script>{j}</script>\n" for j in js))
