"""What the wijkatlas algorithms share: the command-line and root parameters."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFile,
    QgsProcessingParameterString,
)

from ..cli import CliError, find_cli
from ..i18n import tr

CLI = "CLI"
ROOT = "ROOT"


class WijkatlasAlgorithm(QgsProcessingAlgorithm):
    """Base class: adds the ``CLI`` and ``ROOT`` parameters and resolves the executable.

    A subclass sets ``ID`` (e.g. ``"validate"``); its name and help texts are the strings
    ``alg_<ID>`` and ``alg_<ID>_help`` of ``data/strings.json``.
    """

    ID = ""

    def name(self) -> str:  # noqa: D102
        return self.ID

    def displayName(self) -> str:  # noqa: N802, D102
        return tr(f"alg_{self.ID}")

    def shortHelpString(self) -> str:  # noqa: N802, D102
        return tr(f"alg_{self.ID}_help")

    def group(self) -> str:  # noqa: D102
        return tr("alg_group")

    def groupId(self) -> str:  # noqa: N802, D102
        return "wijkatlas"

    def createInstance(self):  # noqa: N802, D102
        return type(self)()

    def add_cli_parameters(self) -> None:
        """Add the advanced parameters ``CLI`` (executable) and ``ROOT`` (atlas repository)."""
        cli = QgsProcessingParameterString(CLI, tr("param_cli"), optional=True)
        root = QgsProcessingParameterFile(
            ROOT, tr("param_root"), behavior=QgsProcessingParameterFile.Folder, optional=True
        )
        for param in (cli, root):
            param.setFlags(param.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(param)

    def cli_and_root(self, parameters, context) -> tuple[str, str | None]:
        """Return the executable and root to use, or raise a clear QgsProcessingException."""
        try:
            cli = find_cli(self.parameterAsString(parameters, CLI, context) or None)
        except CliError as exc:
            raise QgsProcessingException(str(exc)) from exc
        root = self.parameterAsFile(parameters, ROOT, context) or None
        if root is None:
            from .. import settings

            root = settings.get("root") or None
        return cli, root
