"""Wijkatlas QGIS plugin: entry point that QGIS calls when it loads the plugin."""


def classFactory(iface):  # noqa: N802 (name required by QGIS)
    """Return the plugin instance for the QGIS interface ``iface``."""
    from .plugin import WijkatlasPlugin

    return WijkatlasPlugin(iface)
