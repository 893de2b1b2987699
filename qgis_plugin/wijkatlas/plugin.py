"""The plugin class: menu entry, toolbar button, dock panel and Processing provider."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsApplication
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction

from .i18n import tr

ICON = Path(__file__).resolve().parent / "icon.png"


class WijkatlasPlugin:
    """Thin plugin class; the work is in :mod:`.panel`, :mod:`.loader` and the provider."""

    def __init__(self, iface):
        self.iface = iface
        self.action = None
        self.panel = None
        self.provider = None

    def initProcessing(self) -> None:  # noqa: N802 (QGIS hook)
        """Register the Processing provider (QGIS calls this also without the GUI)."""
        from .processing_provider.provider import WijkatlasProvider

        if self.provider is None:
            self.provider = WijkatlasProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:  # noqa: N802 (QGIS hook)
        """Add the menu entry, toolbar button and (hidden) dock panel."""
        from .panel import WijkatlasPanel

        self.initProcessing()
        self.panel = WijkatlasPanel(self.iface.mainWindow())
        self.iface.addDockWidget(Qt.RightDockWidgetArea, self.panel)
        self.panel.hide()
        self.action = QAction(QIcon(str(ICON)), tr("action_panel"), self.iface.mainWindow())
        self.action.setCheckable(True)
        self.action.toggled.connect(self.panel.setVisible)
        self.panel.visibilityChanged.connect(self.action.setChecked)
        self.iface.addPluginToMenu(tr("menu"), self.action)
        self.iface.addToolBarIcon(self.action)

    def unload(self) -> None:
        """Remove everything :meth:`initGui` and :meth:`initProcessing` added."""
        if self.action is not None:
            self.iface.removePluginMenu(tr("menu"), self.action)
            self.iface.removeToolBarIcon(self.action)
            self.action.deleteLater()
            self.action = None
        if self.panel is not None:
            self.iface.removeDockWidget(self.panel)
            self.panel.deleteLater()
            self.panel = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
