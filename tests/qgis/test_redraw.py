"""Redraw workflow against the real command line, on a temporary copy of the register."""

from __future__ import annotations

import shutil

import pytest
from conftest import REPO
from qgis.core import QgsGeometry, QgsPointXY, QgsProject
from wijkatlas import redraw


@pytest.fixture
def root(tmp_path):
    """A throw-away atlas repository: a copy of boundaries/ and layers/."""
    for name in ("boundaries", "layers"):
        shutil.copytree(REPO / name, tmp_path / "repo" / name)
    return str(tmp_path / "repo")


def test_published_version_opens_read_only(cli, root, tmp_path):
    layer, message = redraw.open_version("2016", tmp_path / "work", cli=cli, root=root)
    assert layer.isValid() and layer.readOnly()
    assert not layer.startEditing()
    assert "conceptversie" in message
    assert layer.id() in QgsProject.instance().mapLayers()
    with pytest.raises(redraw.RedrawError, match="gepubliceerd"):
        redraw.publish_layer(layer, tmp_path / "work", cli=cli, root=root)


def test_draft_edit_validate_publish(cli, root, tmp_path):
    work = tmp_path / "work"
    layer, message = redraw.draft_version("2030", "2020", work, cli=cli, root=root)
    assert not layer.readOnly() and layer.startEditing()
    n_units = layer.featureCount()
    # move the shared border between two neighbours: grow one, cut it out of the others
    features = list(layer.getFeatures())
    a = features[0]
    grown = a.geometry().buffer(80, 4)
    for feature in features[1:]:
        if feature.geometry().intersects(grown):
            layer.changeGeometry(feature.id(), feature.geometry().difference(grown))
    layer.changeGeometry(a.id(), grown)
    report = redraw.validate_layer(layer, work, cli=cli, root=root)
    assert report["valid"], report["issues"]
    assert report["n_units"] == n_units
    # an overlap added while editing blocks publication and nothing is imported
    b = features[1]
    layer.changeGeometry(b.id(), layer.getFeature(b.id()).geometry().combine(
        QgsGeometry.fromPointXY(QgsPointXY(a.geometry().centroid().asPoint())).buffer(50, 4)))
    with pytest.raises(redraw.RedrawError, match="overlap"):
        redraw.publish_layer(layer, work, cli=cli, root=root)
    assert {v["id"]: v["status"] for v in redraw.list_versions(cli, root)}["2030"] == "draft"
    layer.startEditing()
    layer.changeGeometry(b.id(), b.geometry().difference(grown))
    assert "gepubliceerd" in redraw.publish_layer(layer, work, cli=cli, root=root)
    assert layer.readOnly()
    assert {v["id"]: v["status"] for v in redraw.list_versions(cli, root)}["2030"] == "published"


def test_a_published_version_changed_on_disk_is_flagged_in_the_panel(cli, root):
    from pathlib import Path

    from wijkatlas.panel import WijkatlasPanel

    meta = Path(root) / "boundaries" / "2016" / "version.toml"
    meta.write_text(meta.read_text().replace('name = "Centrum Drunen"', 'name = "Centrum"'))
    rows = {r["id"]: r for r in redraw.list_versions(cli=cli, root=root)}
    assert rows["2016"]["intact"] is False and rows["2020"]["intact"] is True
    assert "2016" in rows["2016"]["fix"]
    panel = WijkatlasPanel()
    panel._cli_root = lambda: (cli, root)
    panel.refresh_versions()
    texts = [panel.version_list.item(i).text() for i in range(panel.version_list.count())]
    assert any(t.startswith("2016") and "gewijzigd op schijf" in t for t in texts)
    assert "Versie 2016 is gepubliceerd maar op schijf gewijzigd" in \
        panel.redraw_log.toPlainText()
