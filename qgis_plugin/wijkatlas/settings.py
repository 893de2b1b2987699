"""Plugin settings (stored in the QGIS user profile under ``wijkatlas/``)."""

from __future__ import annotations

from qgis.core import QgsSettings

KEYS = {
    "cli_path": "wijkatlas/cli_path",  # the wijkatlas command line (empty: env or PATH)
    "root": "wijkatlas/root",  # the atlas repository (boundaries/, layers/); empty: CLI default
    "workdir": "wijkatlas/workdir",  # folder for draft GeoPackages of the redraw workflow
    "atlas": "wijkatlas/atlas",  # last opened atlas GeoPackage
}


def get(name: str) -> str:
    """Return the setting ``name`` (a key of :data:`KEYS`) or ``""``."""
    return str(QgsSettings().value(KEYS[name], "") or "")


def put(name: str, value: str) -> None:
    """Store the setting ``name`` (a key of :data:`KEYS`)."""
    QgsSettings().setValue(KEYS[name], value or "")
