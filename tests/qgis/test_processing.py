"""The Processing algorithms, run through ``processing.run`` against the real command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import processing
import pytest
from conftest import REPO
from qgis.core import (
    QgsFeature,
    QgsFeatureRequest,
    QgsGeometry,
    QgsProcessingException,
    QgsVectorLayer,
)

UNITS_2016 = REPO / "boundaries" / "2016" / "units.geojson"
BUURTEN_2016 = REPO / "layers" / "cbs" / "cbs_buurten_2016_GM0797.geojson"


def _memory_copy(path: Path) -> QgsVectorLayer:
    source = QgsVectorLayer(str(path), "source", "ogr")
    assert source.isValid(), path
    return source.materialize(QgsFeatureRequest())


def _interior_unit(layer: QgsVectorLayer) -> QgsFeature:
    """A unit that does not touch the outer boundary of the union (removing it leaves a hole)."""
    union = QgsGeometry.unaryUnion([f.geometry() for f in layer.getFeatures()])
    outline = QgsGeometry.fromPolylineXY(union.asPolygon()[0]) if not union.isMultipart() \
        else QgsGeometry.fromPolylineXY(union.asMultiPolygon()[0][0])
    for feature in layer.getFeatures():
        if feature.geometry().distance(outline) > 1.0:
            return feature
    pytest.fail("no interior unit in the test layer")


def _broken_layer() -> tuple[QgsVectorLayer, str, str, QgsGeometry]:
    """The 2016 wijkindeling with one unit grown by 150 m (overlap) and one removed (gap)."""
    layer = _memory_copy(UNITS_2016)
    removed = _interior_unit(layer)
    grown = next(f for f in layer.getFeatures() if f.id() != removed.id()
                 and not f.geometry().touches(removed.geometry()))
    layer.startEditing()
    layer.deleteFeature(removed.id())
    layer.changeGeometry(grown.id(), grown.geometry().buffer(150, 8))
    assert layer.commitChanges()
    return layer, removed["code"], grown["code"], removed.geometry()


def test_validate_reports_overlap_and_gap(provider, cli):
    layer, removed, grown, hole = _broken_layer()
    result = processing.run("wijkatlas:validate", {
        "INPUT": layer, "CODE_FIELD": "code", "NAME_FIELD": "name", "CLI": cli,
        "ISSUES": "memory:"})
    assert result["VALID"] is False
    report = json.loads(result["REPORT"])
    rules = {i["rule"] for i in report["issues"] if i["severity"] == "error"}
    assert {"overlap", "gap"} <= rules
    assert result["N_ERRORS"] == sum(i["severity"] == "error" for i in report["issues"])
    assert result["N_UNITS"] == layer.featureCount()
    overlaps = [i for i in report["issues"] if i["rule"] == "overlap"]
    assert any(grown in (i["unit"] or "") or grown in i["message"] for i in overlaps)
    gaps = [i for i in report["issues"] if i["rule"] == "gap"]
    assert any(i["area_ha"] and i["area_ha"] == pytest.approx(hole.area() / 1e4, rel=0.05)
               for i in gaps)
    issues = result["ISSUES"]
    assert issues.featureCount() == sum(i["x"] is not None for i in report["issues"])
    gap_points = [f.geometry() for f in issues.getFeatures() if f["rule"] == "gap"]
    assert any(hole.buffer(1, 4).contains(p) for p in gap_points)


def test_validate_accepts_the_published_wijkindeling(provider, cli):
    result = processing.run("wijkatlas:validate", {
        "INPUT": str(UNITS_2016), "CODE_FIELD": "code", "NAME_FIELD": "name", "CLI": cli})
    assert result["VALID"] is True
    assert result["N_ERRORS"] == 0
    assert result["N_UNITS"] == QgsVectorLayer(str(UNITS_2016)).featureCount()


def test_missing_cli_is_a_clear_message(provider, tmp_path):
    absent = str(tmp_path / "not-installed" / "wijkatlas")
    with pytest.raises(QgsProcessingException) as info:
        processing.run("wijkatlas:validate", {"INPUT": str(UNITS_2016), "CLI": absent})
    message = str(info.value)
    assert absent in message and "WIJKATLAS_CLI" in message and "pip install" in message


def test_refused_input_shows_the_cli_message(provider, failing_cli):
    with pytest.raises(QgsProcessingException, match="no CRS. Fix: set the CRS"):
        processing.run("wijkatlas:validate", {"INPUT": str(UNITS_2016), "CLI": failing_cli})


def test_diff_lists_changes_per_unit(provider, cli, tmp_path):
    changes = tmp_path / "changes.gpkg"
    result = processing.run("wijkatlas:diff", {
        "OLD": "2016", "NEW": "2020", "ROOT": str(REPO), "CLI": cli, "OUTPUT": "memory:",
        "CHANGES": str(changes)})
    table = result["OUTPUT"]
    rows = {f["code"]: f["change"] for f in table.getFeatures()}
    new_codes = {f["code"] for f in QgsVectorLayer(
        str(REPO / "boundaries" / "2020" / "units.geojson")).getFeatures()}
    assert new_codes <= set(rows)
    summary = json.loads(result["SUMMARY"])
    assert sum(summary.values()) == table.featureCount()
    for change, n in summary.items():
        assert sum(v == change for v in rows.values()) == n
    assert any(v != "unchanged" for v in rows.values())
    assert changes.exists()


def test_reaggregate_conserves_counts(provider, cli, tmp_path):
    source = QgsVectorLayer(str(BUURTEN_2016), "buurten")
    codes = [f["statcode"] for f in source.getFeatures()]
    values = tmp_path / "values.csv"
    with open(values, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "a_inw"])
        writer.writerows([code, 500 + 37 * i] for i, code in enumerate(codes))
    out = tmp_path / "wijken.csv"
    processing.run("wijkatlas:reaggregate", {
        "SOURCE": str(BUURTEN_2016), "SOURCE_CODE": "statcode", "VALUES": str(values),
        "VALUES_CODE": "code", "TARGET": str(UNITS_2016), "TARGET_CODE": "code",
        "YEAR": 2016, "ROOT": str(REPO), "CLI": cli, "OUTPUT": str(out)})
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["code"] for r in rows} == {f["code"] for f in QgsVectorLayer(
        str(UNITS_2016)).getFeatures()}
    counts = [r for r in rows if r["variable"] == "AANT_INW"]  # catalog code of alias a_inw
    assert len(counts) == len({r["code"] for r in rows})
    total = sum(float(r["value"]) for r in counts)
    assert total == pytest.approx(sum(500 + 37 * i for i in range(len(codes))), rel=1e-9)
