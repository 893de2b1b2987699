"""A minimal stand-in for the QGIS interface (``qgis.utils.iface`` is None headless).

It implements only what the plugin calls, backed by a real ``QMainWindow`` so dock widgets
and actions behave as in QGIS.
"""

from __future__ import annotations

from qgis.PyQt.QtWidgets import QMainWindow


class StandInIface:
    """Records menu and toolbar entries; docks go into a real main window."""

    def __init__(self) -> None:
        self.window = QMainWindow()
        self.menus: dict[str, list] = {}
        self.toolbar: list = []

    def mainWindow(self):  # noqa: N802 - QGIS API name
        return self.window

    def addDockWidget(self, area, dock) -> None:  # noqa: N802
        self.window.addDockWidget(area, dock)

    def removeDockWidget(self, dock) -> None:  # noqa: N802
        self.window.removeDockWidget(dock)

    def addPluginToMenu(self, name: str, action) -> None:  # noqa: N802
        self.menus.setdefault(name, []).append(action)

    def removePluginMenu(self, name: str, action) -> None:  # noqa: N802
        self.menus[name].remove(action)
        if not self.menus[name]:
            del self.menus[name]

    def addToolBarIcon(self, action) -> None:  # noqa: N802
        self.toolbar.append(action)

    def removeToolBarIcon(self, action) -> None:  # noqa: N802
        self.toolbar.remove(action)
