"""Write QGIS layers to files the command line can read."""

from __future__ import annotations

import os
from pathlib import Path

from qgis.core import QgsCoordinateTransformContext, QgsVectorFileWriter, QgsVectorLayer

from .i18n import tr


class ExportError(Exception):
    """A layer could not be written to a file."""


def export_layer(layer: QgsVectorLayer, path: str | Path, layer_name: str = "units") -> Path:
    """Write ``layer`` (including unsaved edits) to a GeoPackage, atomically.

    Parameters
    ----------
    layer
        The layer to write; its CRS is kept (the command line reprojects).
    path
        Target ``.gpkg`` file; replaced if it exists.
    layer_name
        Name of the layer inside the GeoPackage.

    Raises
    ------
    ExportError
        When QGIS cannot write the file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    options.layerName = layer_name
    options.fileEncoding = "UTF-8"
    error, message, _, _ = QgsVectorFileWriter.writeAsVectorFormatV3(
        layer, str(tmp), QgsCoordinateTransformContext(), options
    )
    if error != QgsVectorFileWriter.NoError:
        raise ExportError(tr("export_failed", layer=layer.name(), path=path, error=message))
    os.replace(tmp, path)
    return path
