"""Area levels in QGIS: the panel offers the levels of a version and loads them styled."""

from __future__ import annotations

import pytest
import truth
from qgis.core import NULL, QgsGraduatedSymbolRenderer
from qgis.PyQt.QtCore import Qt
from wijkatlas import atlas as atlas_tables
from wijkatlas.atlas import AtlasError
from wijkatlas.loader import load_atlas


@pytest.fixture
def leveled(atlas_path):
    if not truth.has_levels(atlas_path):
        pytest.skip("the fixture atlas has no area levels (the real build has)")
    return atlas_path


def _areas(path, version, level):
    return {r["area_code"] for r in truth.rows(
        path, f"SELECT area_code FROM levels WHERE version = '{version}' AND level = '{level}'")}


def test_levels_of_each_version(leveled):
    for version in truth.versions(leveled):
        ids = [r["id"] for r in atlas_tables.read_levels(leveled, version)]
        assert ids == ["wijk", "kern", "wijkteam"]  # the gemeente (one area) makes no map


def test_a_kern_layer_has_the_kernen_and_their_own_figures(leveled):
    version = truth.versions(leveled)[-1]
    [layer] = load_atlas(leveled, version, ["AANT_INW"], [2020], level="kern")
    assert layer.isValid() and layer.featureCount() == len(_areas(leveled, version, "kern"))
    expected = truth.values(leveled, version, "AANT_INW", 2020, level="kern")
    got = {f["code"]: (None if f["value"] == NULL else f["value"])
           for f in layer.getFeatures()}
    assert got.keys() == expected.keys()
    for code, value in expected.items():
        assert got[code] == pytest.approx(value)
    renderer = layer.renderer()
    assert isinstance(renderer, QgsGraduatedSymbolRenderer)
    classes = truth.rows(leveled, "SELECT * FROM level_classes WHERE level = 'kern' AND "
                                  f"version = '{version}' AND variable = 'AANT_INW' "
                                  "ORDER BY class_index")
    assert [(r.lowerValue(), r.upperValue()) for r in renderer.ranges()] == [
        (c["lower"], c["upper"]) for c in classes]
    assert "Kernen" in layer.name()


def test_an_unknown_level_is_refused(leveled):
    version = truth.versions(leveled)[-1]
    with pytest.raises(AtlasError, match="buurtschap"):
        load_atlas(leveled, version, ["AANT_INW"], [2020], level="buurtschap")


def test_panel_offers_and_loads_the_levels(leveled):
    from wijkatlas.panel import WijkatlasPanel

    panel = WijkatlasPanel()
    panel.atlas_file.setFilePath(str(leveled))
    labels = [panel.level_box.itemText(i) for i in range(panel.level_box.count())]
    assert labels == ["Wijken", "Kernen", "Wijkteams"]
    panel.level_box.setCurrentIndex(2)
    tree = panel.indicator_tree
    tree.topLevelItem(0).child(0).setCheckState(0, Qt.Checked)
    layers = panel.load_selected()
    version = panel.version_box.currentData()
    assert len(layers) == 1 and layers[0].featureCount() == len(
        _areas(leveled, version, "wijkteam"))
    panel.deleteLater()
