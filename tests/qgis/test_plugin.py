"""The plugin through classFactory with a QGIS interface, and its dock panel."""

from __future__ import annotations

import truth
from qgis.core import QgsApplication, QgsGraduatedSymbolRenderer, QgsProject
from qgis.PyQt.QtCore import Qt
from stand_in_iface import StandInIface


def test_class_factory_init_gui_and_unload():
    import wijkatlas
    from wijkatlas.panel import WijkatlasPanel

    iface = StandInIface()
    registry = QgsApplication.processingRegistry()
    had_provider = registry.providerById("wijkatlas") is not None
    plugin = wijkatlas.classFactory(iface)
    plugin.initGui()
    assert registry.providerById("wijkatlas") is not None
    algorithms = {a.id() for a in registry.providerById("wijkatlas").algorithms()}
    assert {"wijkatlas:validate", "wijkatlas:diff", "wijkatlas:reaggregate"} <= algorithms
    docks = iface.window.findChildren(WijkatlasPanel)
    assert len(docks) == 1 and not docks[0].isVisible()
    [action] = iface.toolbar
    assert [action] == [a for actions in iface.menus.values() for a in actions]
    assert not action.icon().isNull()
    iface.window.show()
    action.trigger()
    assert docks[0].isVisible()
    plugin.unload()
    assert not iface.toolbar and not iface.menus
    if not had_provider:
        assert registry.providerById("wijkatlas") is None
    iface.window.close()


def test_panel_lists_atlas_and_loads_layers(atlas_path, tmp_path):
    from wijkatlas.panel import WijkatlasPanel

    panel = WijkatlasPanel()
    panel.resize(420, 760)
    panel.atlas_file.setFilePath(str(atlas_path))  # as when the user picks the file
    versions = truth.versions(atlas_path)
    assert [panel.version_box.itemData(i) for i in range(panel.version_box.count())] == versions
    tree = panel.indicator_tree
    themes = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert themes and all(themes)
    assert panel.load_selected() == []  # nothing ticked: a message, no layers
    assert panel.atlas_message.text()
    first = tree.topLevelItem(0).child(0)
    first.setCheckState(0, Qt.Checked)
    layers = panel.load_selected()
    assert len(layers) == len(panel.checked_years()) == 1
    assert isinstance(layers[0].renderer(), QgsGraduatedSymbolRenderer)
    assert layers[0].featureCount() == truth.n_units(atlas_path, versions[0])
    assert QgsProject.instance().layerTreeRoot().children()
    shot = tmp_path / "panel.png"
    assert panel.grab().save(str(shot))
    assert shot.stat().st_size > 5000
    panel.deleteLater()
