"""Processing algorithm: validate a wijkindeling layer with ``wijkatlas validate``."""

from __future__ import annotations

import json

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeatureSink,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputBoolean,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsWkbTypes,
)

from ..cli import CliError
from ..i18n import tr
from ..validation import errors, format_issue, issue_features, issue_fields, validate_file
from .base import WijkatlasAlgorithm


class ValidateAlgorithm(WijkatlasAlgorithm):
    """Check a wijkindeling (overlaps, gaps, duplicate codes, ...) with the engine's rules."""

    ID = "validate"
    INPUT = "INPUT"
    CODE_FIELD = "CODE_FIELD"
    NAME_FIELD = "NAME_FIELD"
    GEMEENTE = "GEMEENTE"
    ISSUES = "ISSUES"

    def initAlgorithm(self, config=None):  # noqa: N802, D102
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.INPUT, tr("param_wijkindeling"), [QgsProcessing.TypeVectorPolygon]))
        self.addParameter(QgsProcessingParameterField(
            self.CODE_FIELD, tr("param_code_field"), parentLayerParameterName=self.INPUT,
            optional=True))
        self.addParameter(QgsProcessingParameterField(
            self.NAME_FIELD, tr("param_name_field"), parentLayerParameterName=self.INPUT,
            optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.GEMEENTE, tr("param_gemeente"), [QgsProcessing.TypeVectorPolygon],
            optional=True))
        self.add_cli_parameters()
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.ISSUES, tr("param_issues"), QgsProcessing.TypeVectorPoint, optional=True))
        self.addOutput(QgsProcessingOutputBoolean("VALID", tr("out_valid")))
        self.addOutput(QgsProcessingOutputNumber("N_UNITS", tr("out_n_units")))
        self.addOutput(QgsProcessingOutputNumber("N_ERRORS", tr("out_n_errors")))
        self.addOutput(QgsProcessingOutputNumber("N_WARNINGS", tr("out_n_warnings")))
        self.addOutput(QgsProcessingOutputString("REPORT", tr("out_report")))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802, D102
        cli, root = self.cli_and_root(parameters, context)
        path, layer_name = self.parameterAsCompatibleSourceLayerPathAndLayerName(
            parameters, self.INPUT, context, ["gpkg", "shp", "geojson"], "gpkg", feedback)
        gemeente = None
        if parameters.get(self.GEMEENTE):
            gemeente = self.parameterAsCompatibleSourceLayerPath(
                parameters, self.GEMEENTE, context, ["shp", "geojson"], "gpkg", feedback)
        try:
            report = validate_file(
                path, layer=layer_name or None,
                code_column=self.parameterAsString(parameters, self.CODE_FIELD, context),
                name_column=self.parameterAsString(parameters, self.NAME_FIELD, context),
                gemeente=gemeente, cli=cli, root=root, feedback=feedback)
        except CliError as exc:
            raise QgsProcessingException(str(exc)) from exc
        for issue in report["issues"]:
            if issue.get("severity") == "error":
                feedback.reportError(format_issue(issue))
            else:
                feedback.pushWarning(format_issue(issue))
        n_errors = len(errors(report))
        feedback.pushInfo(tr("validate_summary", n_units=report.get("n_units", 0),
                             n_errors=n_errors,
                             n_warnings=len(report["issues"]) - n_errors))
        outputs = {
            "VALID": bool(report.get("valid")),
            "N_UNITS": report.get("n_units", 0),
            "N_ERRORS": n_errors,
            "N_WARNINGS": len(report["issues"]) - n_errors,
            "REPORT": json.dumps(report, ensure_ascii=False),
        }
        if parameters.get(self.ISSUES):
            sink, dest = self.parameterAsSink(
                parameters, self.ISSUES, context, issue_fields(), QgsWkbTypes.Point,
                QgsCoordinateReferenceSystem("EPSG:28992"))
            for feature in issue_features(report):
                sink.addFeature(feature, QgsFeatureSink.FastInsert)
            outputs[self.ISSUES] = dest
        return outputs
