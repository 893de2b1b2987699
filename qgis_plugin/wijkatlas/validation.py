"""Validate a wijkindeling through ``wijkatlas validate --json`` and show the issues.

The rules and messages are the engine's: this module passes them on unchanged and only turns
the issues into a point layer (at the ``x``, ``y`` the engine reports, EPSG:28992).
"""

from __future__ import annotations

from pathlib import Path

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsPointXY,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QVariant

from .cli import CliError, run_cli
from .i18n import tr

ISSUE_FIELDS = (("severity", QVariant.String), ("rule", QVariant.String),
                ("unit", QVariant.String), ("message", QVariant.String),
                ("fix", QVariant.String), ("area_ha", QVariant.Double))


def validate_file(
    path: str | Path,
    layer: str | None = None,
    code_column: str | None = None,
    name_column: str | None = None,
    gemeente: str | None = None,
    cli: str | None = None,
    root: str | None = None,
    feedback=None,
) -> dict:
    """Run ``wijkatlas validate PATH --json`` and return its report.

    Returns
    -------
    dict
        ``{"source", "valid", "n_units", "issues": [...]}`` as the command line prints it.

    Raises
    ------
    CliError
        When the command line is missing or refuses the input (exit code 2); the message is
        the command line's own.
    """
    args = ["validate", str(path), "--json"]
    for flag, value in (("--layer", layer), ("--code-column", code_column),
                        ("--name-column", name_column), ("--gemeente", gemeente)):
        if value:
            args += [flag, str(value)]
    result = run_cli(args, cli=cli, root=root, ok_codes=(0, 1), feedback=feedback)
    report = result.json()
    if not isinstance(report, dict) or "issues" not in report:
        raise CliError(tr("cli_bad_json", command=" ".join(result.args),
                          output=result.stdout[:500]))
    return report


def errors(report: dict) -> list[dict]:
    """Return the issues of severity ``error``."""
    return [i for i in report["issues"] if i.get("severity") == "error"]


def format_issue(issue: dict) -> str:
    """Return one issue as one line: ``[severity] rule (unit): message Fix: fix``."""
    severity = tr("severity_" + issue.get("severity", "error"))
    unit = f" ({issue['unit']})" if issue.get("unit") else ""
    fix = f" {tr('fix')}: {issue['fix']}" if issue.get("fix") else ""
    return f"[{severity}] {issue.get('rule', '')}{unit}: {issue.get('message', '')}{fix}"


def issue_fields() -> QgsFields:
    """Return the attribute fields of an issue feature."""
    fields = QgsFields()
    for name, kind in ISSUE_FIELDS:
        fields.append(QgsField(name, kind))
    return fields


def issue_features(report: dict) -> list[QgsFeature]:
    """Return one point feature per issue with a location (EPSG:28992)."""
    features = []
    fields = issue_fields()
    for issue in report["issues"]:
        if issue.get("x") is None or issue.get("y") is None:
            continue
        feature = QgsFeature(fields)
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(issue["x"], issue["y"])))
        feature.setAttributes([issue.get(name) for name, _ in ISSUE_FIELDS])
        features.append(feature)
    return features


def issues_layer(report: dict, name: str | None = None) -> QgsVectorLayer:
    """Return a memory point layer with the located issues of ``report``, styled by severity."""
    from .styling import issues_renderer

    layer = QgsVectorLayer("Point?crs=EPSG:28992", name or tr("layer_issues"), "memory")
    layer.setCrs(QgsCoordinateReferenceSystem("EPSG:28992"))
    provider = layer.dataProvider()
    provider.addAttributes(issue_fields().toList())
    layer.updateFields()
    provider.addFeatures(issue_features(report))
    layer.updateExtents()
    layer.setRenderer(issues_renderer())
    return layer
