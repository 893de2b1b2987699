"""Small trend charts as numbers for an inline SVG: the unit's line and the gemeente line.

Enters: a :class:`geo.publish.model.Figure`. Leaves: a plain dict of coordinates, axis labels
and a text alternative; the SVG markup itself is written by the Jinja template
(``templates/macros.html.j2``), which escapes every text.

The y axis spans the values drawn (not zero), padded by 8 %, so a wijk's own change is
visible; the axis labels say where it starts. A count is drawn as an index (first year with a
value = 100) for the wijk and the gemeente together, because a wijk's count and the
gemeente's total differ by an order of magnitude.
"""

from __future__ import annotations

from geo.maps.classes import format_nl
from geo.publish.model import Figure


def _series(points, index_base: float | None) -> list[float | None]:
    out = []
    for p in points:
        v = p.value if p.status in ("observed", "partial") else None
        if v is not None and index_base:
            v = v / index_base * 100.0
        out.append(v)
    return out


def _first(values: list[float | None]) -> float | None:
    return next((v for v in values if v is not None), None)


def trend_chart(fig: Figure, width: int = 280, height: int = 96) -> dict | None:
    """Coordinates of the trend chart of ``fig``, or ``None`` when there is nothing to draw.

    Returns
    -------
    dict
        ``width``, ``height``; ``own`` and ``gem``: {``d``: path data, ``dots``: [(x, y)]};
        ``ylabels`` and ``xlabels``: [(x, y, text)]; ``index`` (bool); ``title`` and ``desc``
        (the text alternative, in Dutch).
    """
    years = fig.years
    index = fig.kind == "count"
    own_raw = _series(fig.own, None)
    gem_raw = _series(fig.gemeente, None)
    own_base = _first(own_raw) if index else None
    gem_base = _first(gem_raw) if index else None
    if index and not own_base:
        index = False
    own = _series(fig.own, own_base) if index else own_raw
    gem = (_series(fig.gemeente, gem_base) if gem_base else [None] * len(years)) if index \
        else gem_raw
    values = [v for v in own + gem if v is not None]
    if not values or not any(v is not None for v in own):
        return None
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.08 or max(abs(hi) * 0.05, 1.0)
    lo, hi = lo - pad, hi + pad
    left, right, top, bottom = (46 if width >= 200 else 38), 8, 6, 18
    n = len(years)

    def x(i: int) -> float:
        return left + (0.5 if n == 1 else i / (n - 1)) * (width - left - right)

    def y(v: float) -> float:
        return top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom)

    def path(vals: list[float | None]) -> dict:
        d, pen, dots = [], False, []
        for i, v in enumerate(vals):
            if v is None:
                pen = False
                continue
            d.append(f"{'L' if pen else 'M'}{x(i):.1f} {y(v):.1f}")
            dots.append((round(x(i), 1), round(y(v), 1)))
            pen = True
        return {"d": "".join(d), "dots": dots}

    dec = 0 if index else fig.decimals
    top_v, bottom_v = hi - pad, lo + pad
    ylabels = [(left - 4, y(top_v) + 3, format_nl(top_v, dec)),
               (left - 4, y(bottom_v) + 3, format_nl(bottom_v, dec))]
    xlabels = [(left, height - 4, str(years[0])), (width - right, height - 4, str(years[-1]))]
    shown = [(yr, v) for yr, v in zip(years, own_raw, strict=True) if v is not None]
    gshown = [(yr, v) for yr, v in zip(years, gem_raw, strict=True) if v is not None]
    unit = fig.unit
    desc = f"{fig.label}: wijk van {fig.fmt(shown[0][1])} {unit} in {shown[0][0]} " \
           f"naar {fig.fmt(shown[-1][1])} {unit} in {shown[-1][0]}"
    if gshown:
        desc += f"; gemeente van {fig.fmt(gshown[0][1])} naar {fig.fmt(gshown[-1][1])}"
    if index:
        desc += " (getekend als index, eerste jaar = 100)"
    gaps = [yr for yr, p in zip(years, fig.own, strict=True) if p.status == "missing"]
    if gaps and len(gaps) < len(years):
        desc += f". Geen gegevens in {len(gaps)} van de {len(years)} jaren"
    return {
        "width": width, "height": height, "left": left, "right": right, "top": top,
        "bottom": bottom, "own": path(own), "gem": path(gem), "ylabels": ylabels,
        "xlabels": xlabels, "index": index, "title": f"Trend {fig.label}",
        "desc": desc + ".",
    }


def index_chart_note(chart: dict | None) -> str:
    """The caption line under a chart."""
    if not chart:
        return ""
    return "index, eerste jaar = 100" if chart["index"] else ""


__all__ = ["index_chart_note", "trend_chart"]
