"""Symbology and labels of the atlas layers, from ``data/styles.json`` and ``map_classes``.

The class breaks and colours are not computed here: they come from the atlas table
``map_classes`` (computed by the engine and shared with the web map), so QGIS and the web map
show the same classes.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsFillSymbol,
    QgsGraduatedSymbolRenderer,
    QgsMarkerSymbol,
    QgsPalLayerSettings,
    QgsRendererCategory,
    QgsRendererRange,
    QgsRuleBasedRenderer,
    QgsSingleSymbolRenderer,
    QgsTextBufferSettings,
    QgsTextFormat,
    QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtGui import QColor

STYLES_FILE = Path(__file__).resolve().parent / "data" / "styles.json"


@lru_cache(maxsize=1)
def styles() -> dict:
    """Return the style definitions of ``data/styles.json``."""
    with open(STYLES_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def _fill(colour: str, outline: str, width_mm: float, style: str = "solid") -> QgsFillSymbol:
    return QgsFillSymbol.createSimple(
        {
            "color": colour,
            "style": style,
            "outline_color": outline,
            "outline_width": str(width_mm),
            "outline_width_unit": "MM",
        }
    )


def graduated_renderer(classes: list[dict], field: str = "value") -> QgsGraduatedSymbolRenderer:
    """Return a graduated renderer on ``field`` with one range per map class.

    Parameters
    ----------
    classes
        Rows of ``map_classes`` (``lower``, ``upper``, ``colour``, ``label``) in class order.
    field
        The attribute holding the indicator value.
    """
    style = styles()["class_fill"]
    ranges = []
    for row in classes:
        symbol = _fill(row["colour"], style["outline_color"], style["outline_width_mm"])
        symbol.setOpacity(style["opacity"])
        label = row["label"] or f"{row['lower']} - {row['upper']}"
        ranges.append(QgsRendererRange(float(row["lower"]), float(row["upper"]), symbol, label))
    return QgsGraduatedSymbolRenderer(field, ranges)


def register_renderer(classes: list[dict], small_label: str, withheld_label: str,
                      field: str = "value") -> QgsRuleBasedRenderer:
    """Return the classes of :func:`graduated_renderer` plus a symbol and legend entry for a
    register figure that is not published: ``small`` (shown as ``small_label``, e.g.
    ``< 5 registraties``) and ``withheld`` ("afgeschermd"), so neither looks like 0 or like
    missing data."""
    renderer = QgsRuleBasedRenderer.convertFromRenderer(graduated_renderer(classes, field))
    style, fill = styles()["register"], styles()["class_fill"]
    for status, colour, label, pattern in (
            ("small", style["small_color"], small_label, "solid"),
            ("withheld", style["withheld_color"], withheld_label, "dense5")):
        symbol = _fill(colour, fill["outline_color"], fill["outline_width_mm"], pattern)
        rule = QgsRuleBasedRenderer.Rule(symbol, 0, 0, f"\"status\" = '{status}'", label)
        renderer.rootRule().appendChild(rule)
    return renderer


def nodata_renderer() -> QgsSingleSymbolRenderer:
    """Return the hatched grey fill drawn under the indicator layers (units without value)."""
    style = styles()["nodata"]
    symbol = _fill(style["fill_color"], style["outline_color"], style["outline_width_mm"])
    hatch = _fill(style["hatch_color"], style["outline_color"], 0.0, style="b_diagonal")
    symbol.appendSymbolLayer(hatch.symbolLayer(0).clone())
    return QgsSingleSymbolRenderer(symbol)


def draft_renderer() -> QgsSingleSymbolRenderer:
    """Return the symbol of a wijkindeling opened for (or refused) editing."""
    style = styles()["draft"]
    symbol = _fill(style["fill_color"], style["outline_color"], style["outline_width_mm"])
    symbol.setOpacity(style["opacity"])
    return QgsSingleSymbolRenderer(symbol)


def issues_renderer(field: str = "severity") -> QgsCategorizedSymbolRenderer:
    """Return red (error) / orange (warning) point markers for validation issues."""
    style = styles()["issues"]
    categories = []
    for value, key in (("error", "error_color"), ("warning", "warning_color")):
        symbol = QgsMarkerSymbol.createSimple(
            {"name": "circle", "color": style[key], "size": str(style["size_mm"])}
        )
        categories.append(QgsRendererCategory(value, symbol, value))
    return QgsCategorizedSymbolRenderer(field, categories)


def name_labels(field: str | None = None, expression: str | None = None
                ) -> QgsVectorLayerSimpleLabeling:
    """Return labels on the unit name (``field``, default from ``styles.json``), or on an
    ``expression`` (e.g. the name and "< 5 registraties" below it)."""
    style = styles()["labels"]
    text = QgsTextFormat()
    text.setSize(style["size_pt"])
    text.setColor(QColor(style["color"]))
    buffer = QgsTextBufferSettings()
    buffer.setEnabled(True)
    buffer.setColor(QColor(style["buffer_color"]))
    buffer.setSize(style["buffer_mm"])
    text.setBuffer(buffer)
    settings = QgsPalLayerSettings()
    settings.fieldName = expression or field or style["field"]
    settings.isExpression = expression is not None
    settings.setFormat(text)
    settings.placement = QgsPalLayerSettings.OverPoint
    return QgsVectorLayerSimpleLabeling(settings)
