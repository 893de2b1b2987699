"""Processing algorithm: compare two wijkindeling versions with ``wijkatlas versions diff``."""

from __future__ import annotations

import json

from qgis.core import (
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputString,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterString,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

from ..cli import CliError, run_cli
from ..i18n import tr
from .base import WijkatlasAlgorithm

UNIT_FIELDS = (("code", QVariant.String), ("name", QVariant.String),
               ("change", QVariant.String), ("parents", QVariant.String),
               ("area_old_ha", QVariant.Double), ("area_new_ha", QVariant.Double),
               ("area_moved_ha", QVariant.Double))


class DiffAlgorithm(WijkatlasAlgorithm):
    """List per unit what changed between two versions (reshaped, split, merged, ...)."""

    ID = "diff"
    OLD = "OLD"
    NEW = "NEW"
    CHANGES = "CHANGES"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802, D102
        self.addParameter(QgsProcessingParameterString(self.OLD, tr("param_old")))
        self.addParameter(QgsProcessingParameterString(self.NEW, tr("param_new")))
        self.add_cli_parameters()
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT, tr("param_diff_table"), QgsProcessing.TypeVector))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.CHANGES, tr("param_changes"), "GeoPackage (*.gpkg)", optional=True,
            createByDefault=False))
        self.addOutput(QgsProcessingOutputString("SUMMARY", tr("out_summary")))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802, D102
        cli, root = self.cli_and_root(parameters, context)
        old = self.parameterAsString(parameters, self.OLD, context)
        new = self.parameterAsString(parameters, self.NEW, context)
        args = ["versions", "diff", old, new, "--json"]
        changes = self.parameterAsFileOutput(parameters, self.CHANGES, context)
        if changes:
            args += ["--changes", changes]
        try:
            report = run_cli(args, cli=cli, root=root, feedback=feedback).json()
        except CliError as exc:
            raise QgsProcessingException(str(exc)) from exc
        fields = QgsFields()
        for field_name, kind in UNIT_FIELDS:
            fields.append(QgsField(field_name, kind))
        sink, dest = self.parameterAsSink(parameters, self.OUTPUT, context, fields,
                                          QgsWkbTypes.NoGeometry)
        for unit in report.get("units", []):
            feature = QgsFeature(fields)
            values = dict(unit, parents=",".join(unit.get("parents") or []))
            feature.setAttributes([values.get(name) for name, _ in UNIT_FIELDS])
            sink.addFeature(feature, QgsFeatureSink.FastInsert)
        summary = report.get("summary", {})
        feedback.pushInfo(tr("diff_summary", old=old, new=new,
                             summary=", ".join(f"{k}: {v}" for k, v in summary.items())))
        outputs = {self.OUTPUT: dest, "SUMMARY": json.dumps(summary)}
        if changes:
            outputs[self.CHANGES] = changes
        return outputs
