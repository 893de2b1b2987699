"""The wijkatlas Processing provider."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .alg_diff import DiffAlgorithm
from .alg_reaggregate import ReaggregateAlgorithm
from .alg_validate import ValidateAlgorithm

ICON = Path(__file__).resolve().parent.parent / "icon.png"


class WijkatlasProvider(QgsProcessingProvider):
    """Provides the algorithms ``wijkatlas:validate``, ``wijkatlas:diff`` and
    ``wijkatlas:reaggregate``."""

    def id(self) -> str:  # noqa: D102
        return "wijkatlas"

    def name(self) -> str:  # noqa: D102
        return "Wijkatlas"

    def icon(self) -> QIcon:  # noqa: D102
        return QIcon(str(ICON))

    def loadAlgorithms(self) -> None:  # noqa: N802, D102
        for algorithm in (ValidateAlgorithm(), DiffAlgorithm(), ReaggregateAlgorithm()):
            self.addAlgorithm(algorithm)
