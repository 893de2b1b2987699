"""Register figures in QGIS: "< 5" and "afgeschermd" get their own symbol, legend entry and
label, never drawn as 0 or as missing."""

from __future__ import annotations

import truth
from conftest import missing
from qgis.core import NULL, QgsRenderContext, QgsRuleBasedRenderer
from wijkatlas.loader import load_atlas


def _register_case(atlas_path, status):
    found = truth.rows(atlas_path, (
        "SELECT r.version AS version, r.variable AS variable, r.year AS year, "
        "r.unit_code AS unit_code, i.small_label AS small_label FROM results r "
        "JOIN indicators i ON i.code = r.variable "
        f"WHERE r.source = 'records' AND r.level = 'wijk' AND r.status = '{status}' "
        "AND i.kind = 'count' AND i.small_label LIKE '< 5 %' "
        "ORDER BY r.variable, r.year, r.unit_code"))
    if not found:
        missing(f"the atlas has no register figure with status {status}")
    return found[0]


def _fill_of(layer, code):
    renderer = layer.renderer().clone()
    context = QgsRenderContext()
    renderer.startRender(context, layer.fields())
    try:
        for feature in layer.getFeatures():
            if feature["code"] == code:
                context.expressionContext().setFeature(feature)
                symbols = renderer.symbolsForFeature(feature, context)
                return feature, [s.color().name() for s in symbols]
    finally:
        renderer.stopRender(context)
    raise AssertionError(f"unit {code} not in the layer")


def test_small_register_count_shows_less_than_five(atlas_path):
    case = _register_case(atlas_path, "small")
    layer = load_atlas(atlas_path, case["version"], [case["variable"]],
                       years=[int(case["year"])])[0]
    renderer = layer.renderer()
    assert isinstance(renderer, QgsRuleBasedRenderer)
    labels = [item.label() for item in renderer.legendSymbolItems()]
    assert case["small_label"].startswith("< 5") and case["small_label"] in labels
    assert "afgeschermd" in labels
    feature, colours = _fill_of(layer, case["unit_code"])
    assert feature["status"] == "small" and feature["value"] == NULL
    assert feature["weergave"] == case["small_label"]
    assert colours == ["#d9d9d9"]  # its own symbol: not a class colour, not the no-data hatch
    assert "weergave" in layer.labeling().settings().fieldName
    # a unit with a published value is drawn in its class and has no "< 5"
    published = [f for f in layer.getFeatures() if f["status"] == "observed"]
    assert published and published[0]["weergave"] == NULL


def test_withheld_register_figure_is_labelled(atlas_path):
    case = _register_case(atlas_path, "withheld")
    layer = load_atlas(atlas_path, case["version"], [case["variable"]],
                       years=[int(case["year"])])[0]
    feature, colours = _fill_of(layer, case["unit_code"])
    assert feature["weergave"] == "afgeschermd" and feature["value"] == NULL
    assert colours == ["#bdbdbd"]
