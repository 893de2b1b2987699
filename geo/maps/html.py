"""Make folium's page valid, zoomable and landmarked HTML (WCAG 2.1 AA).

folium writes a second charset declaration (``http-equiv``), a viewport that forbids zooming
(``user-scalable=no``, WCAG 1.4.4) and its map script after ``</body>``; the map is in no
landmark. :func:`finish_page` repairs the rendered text: one ``<meta charset>`` first in
``<head>``, a zoomable viewport, every script inside ``<body>``, the map inside ``<main>``,
and ``lang="nl"``.
"""

from __future__ import annotations

import re

VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
_HTTP_EQUIV = re.compile(r'\s*<meta http-equiv="content-type"[^>]*>', re.I)
_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>', re.I | re.S)
_CHARSET = re.compile(r'<meta charset="utf-8">', re.I)
_MAP_DIV = re.compile(r'(<div class="folium-map" id="[^"]+"\s*>\s*</div>)')
_AFTER_BODY = re.compile(r"</body>(.*?)</html>\s*$", re.S)


def finish_page(text: str, *, label: str = "Kaart") -> str:
    """The rendered folium page as valid, accessible HTML (see the module docstring).

    Parameters
    ----------
    text
        folium's rendered page.
    label
        Accessible name of the map's ``<main>`` landmark (escaped by the caller).
    """
    text = _HTTP_EQUIV.sub("", text, count=1)
    text = _CHARSET.sub("", text)
    text = text.replace("<head>", '<head>\n<meta charset="utf-8">', 1)
    text = _VIEWPORT.sub(VIEWPORT, text)
    text = text.replace("<html>", '<html lang="nl">', 1)
    text = _MAP_DIV.sub(lambda m: f'<main class="wa-main" aria-label="{label}">{m.group(1)}'
                        "</main>", text, count=1)
    tail = _AFTER_BODY.search(text)
    if tail and tail.group(1).strip():
        moved = tail.group(1).strip()
        text = text[:tail.start()] + moved + "\n</body>\n</html>\n"
    return text


__all__ = ["VIEWPORT", "finish_page"]
