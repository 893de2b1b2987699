"""Processing algorithm: reaggregate a table of source-unit values with ``wijkatlas``."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..cli import CliError, run_cli
from ..i18n import tr
from .base import WijkatlasAlgorithm

SINGLE_LAYER_FORMATS = ["shp", "geojson"]  # --source/--target take a file, not a layer name


class ReaggregateAlgorithm(WijkatlasAlgorithm):
    """Move values of source units (e.g. CBS buurten) onto target units (e.g. wijken)."""

    ID = "reaggregate"
    SOURCE = "SOURCE"
    SOURCE_CODE = "SOURCE_CODE"
    VALUES = "VALUES"
    VALUES_CODE = "VALUES_CODE"
    TARGET = "TARGET"
    TARGET_CODE = "TARGET_CODE"
    WEIGHTS = "WEIGHTS"
    YEAR = "YEAR"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802, D102
        polygon = [QgsProcessing.TypeVectorPolygon]
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.SOURCE, tr("param_source"), polygon))
        self.addParameter(QgsProcessingParameterField(
            self.SOURCE_CODE, tr("param_source_code"), parentLayerParameterName=self.SOURCE))
        self.addParameter(QgsProcessingParameterFile(
            self.VALUES, tr("param_values"), fileFilter="CSV (*.csv);;Excel (*.xlsx)"))
        self.addParameter(QgsProcessingParameterString(
            self.VALUES_CODE, tr("param_values_code")))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.TARGET, tr("param_target"), polygon))
        self.addParameter(QgsProcessingParameterField(
            self.TARGET_CODE, tr("param_target_code"), parentLayerParameterName=self.TARGET))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.WEIGHTS, tr("param_weights"), [QgsProcessing.TypeVectorPoint], optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.YEAR, tr("param_year"), optional=True, minValue=1900, maxValue=2100))
        self.add_cli_parameters()
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT, tr("param_reaggregate_out"), "CSV (*.csv)"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802, D102
        cli, root = self.cli_and_root(parameters, context)

        def layer_file(name: str) -> str:
            return self.parameterAsCompatibleSourceLayerPath(
                parameters, name, context, SINGLE_LAYER_FORMATS, "gpkg", feedback)

        out = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        args = [
            "reaggregate",
            "--source", layer_file(self.SOURCE),
            "--source-code", self.parameterAsString(parameters, self.SOURCE_CODE, context),
            "--values", self.parameterAsFile(parameters, self.VALUES, context),
            "--values-code", self.parameterAsString(parameters, self.VALUES_CODE, context),
            "--target", layer_file(self.TARGET),
            "--target-code", self.parameterAsString(parameters, self.TARGET_CODE, context),
            "--out", out,
        ]
        if parameters.get(self.WEIGHTS):
            args += ["--weights", layer_file(self.WEIGHTS)]
        if parameters.get(self.YEAR) not in (None, ""):
            args += ["--year", str(self.parameterAsInt(parameters, self.YEAR, context))]
        try:
            result = run_cli(args, cli=cli, root=root, feedback=feedback)
        except CliError as exc:
            raise QgsProcessingException(str(exc)) from exc
        if result.stdout.strip():
            feedback.pushInfo(result.stdout.strip())
        return {self.OUTPUT: out}
