"""Load an atlas GeoPackage into a QGIS project as styled layers (also without the GUI).

Headless use (e.g. from the QGIS Python console or a standalone script)::

    from wijkatlas.loader import load_atlas
    layers = load_atlas("build/atlas.gpkg", "2020", variables=["bev_totaal"], years=[2022])

Per boundary version one layer-tree group holds a hatched "no data" base layer of the units
and one layer per (indicator, year): a virtual layer joining ``wijkindeling_<id>`` with the
``results`` rows of that variable and year, drawn with a graduated renderer built from
``map_classes`` and labelled with the unit names. With ``level="kern"`` (or another higher
level of the version) the same is done on ``level_<level>_<id>``, the level's rows of
``results`` and ``level_classes``.
"""

from __future__ import annotations

from pathlib import Path

from qgis.core import (
    QgsLayerTreeGroup,
    QgsProject,
    QgsVectorLayer,
    QgsVirtualLayerDefinition,
    QgsWkbTypes,
)

from . import atlas, styling
from .atlas import AtlasError
from .i18n import tr

PROPERTY = "wijkatlas/key"
RESULT_FIELDS = ("value", "lower", "upper", "status", "method", "interpolated_share",
                 "approximate", "n", "significance", "source")


def _sql_text(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _ogr_uri(path: Path, layer: str, subset: str | None = None) -> str:
    uri = f"{path}|layername={layer}"
    return f"{uri}|subset={subset}" if subset else uri


def units_layer_name(version: str, level: str = "wijk") -> str:
    """The GeoPackage layer with the units of a version (``wijk``) or of a higher level."""
    return f"wijkindeling_{version}" if level == "wijk" else f"level_{level}_{version}"


def _level_label(path: Path, version: str, level: str) -> str:
    for row in atlas.read_levels(path, version):
        if row["id"] == level:
            return row["label"]
    available = ", ".join(r["id"] for r in atlas.read_levels(path, version))
    raise AtlasError(tr("atlas_no_level", path=path, level=level, version=version,
                        available=available))


def _key(version: str, level: str, rest: str) -> str:
    return f"{version}|{rest}" if level == "wijk" else f"{version}|{level}|{rest}"


def boundary_layer(path: str | Path, version: str, level: str = "wijk") -> QgsVectorLayer:
    """Return the units of ``version`` (or of one of its higher levels, e.g. ``kern``) as a
    read-only layer with the "no data" style.

    Raises
    ------
    AtlasError
        When the layer ``wijkindeling_<version>`` (``level_<level>_<version>``) cannot be
        opened.
    """
    path = Path(path).resolve()
    source = units_layer_name(version, level)
    name = (tr("layer_boundary", version=version) if level == "wijk" else
            tr("layer_boundary_level", level=_level_label(path, version, level),
               version=version))
    layer = QgsVectorLayer(_ogr_uri(path, source), name, "ogr")
    if not layer.isValid():
        raise AtlasError(tr("atlas_layer_invalid", path=path, layer=source))
    layer.setReadOnly(True)
    layer.setRenderer(styling.nodata_renderer())
    layer.setCustomProperty(PROPERTY, _key(version, level, "boundary"))
    return layer


def indicator_layer(path: str | Path, version: str, variable: str, year: int,
                    level: str = "wijk") -> QgsVectorLayer:
    """Return one styled layer: the units of ``version`` with ``variable`` in ``year``.

    Parameters
    ----------
    path
        The atlas GeoPackage.
    version
        Boundary version id (``wijkindeling_<version>`` must exist).
    variable
        Indicator code (``indicators.code``).
    year
        Year of the results.
    level
        ``wijk`` (the units of the version) or a higher level of it (``kern``, ...).

    Raises
    ------
    AtlasError
        When the indicator, its map classes or the layers are missing.
    """
    path = Path(path).resolve()
    indicator = atlas.read_indicator(path, variable)
    classes = atlas.read_classes(path, version, variable, level)
    subset = (f'"version" = {_sql_text(version)} AND "variable" = {_sql_text(variable)} '
              f'AND "year" = {int(year)}')
    if atlas.has_level_column(path):
        subset += (f' AND "level" = {_sql_text(level)}' if level != "wijk" else
                   ' AND ("level" = \'wijk\' OR "level" IS NULL)')
    source = units_layer_name(version, level)
    small = str(indicator.get("small_label") or "")
    register = bool(small)
    definition = QgsVirtualLayerDefinition()
    definition.addSource("w", _ogr_uri(path, source), "ogr")
    definition.addSource("r", _ogr_uri(path, "results", subset), "ogr")
    columns = ", ".join(f"r.{name} AS {name}" for name in RESULT_FIELDS)
    # how an unpublished register figure reads ("< 5 registraties", "afgeschermd")
    shown = (f"CASE WHEN r.status = 'small' THEN {_sql_text(small)} "
             f"WHEN r.status = 'withheld' THEN {_sql_text(tr('withheld'))} END"
             if register else "NULL")
    definition.setQuery(
        f"SELECT w.fid AS fid, w.code AS code, w.name AS name, {columns}, "
        f"{shown} AS weergave, "
        "w.geometry AS geometry FROM w LEFT JOIN r ON r.unit_code = w.code"
    )
    definition.setUid("fid")
    definition.setGeometryField("geometry")
    definition.setGeometryWkbType(QgsWkbTypes.MultiPolygon)
    definition.setGeometrySrid(28992)
    title = atlas.indicator_title(indicator)
    name = (tr("layer_indicator", label=title, year=year, unit="")
            if level == "wijk" else
            tr("layer_indicator_level", label=title, year=year, unit="",
               level=_level_label(path, version, level)))
    layer = QgsVectorLayer(definition.toString(), name, "virtual")
    if not layer.isValid():
        raise AtlasError(tr("atlas_layer_invalid", path=path, layer=source))
    layer.setFieldAlias(layer.fields().indexOf("value"), indicator["label"])
    if register:
        layer.setRenderer(styling.register_renderer(classes, small, tr("withheld")))
        layer.setLabeling(styling.name_labels(
            expression="\"name\" || coalesce('\\n' || \"weergave\", '')"))
    else:
        layer.setRenderer(styling.graduated_renderer(classes))
        layer.setLabeling(styling.name_labels())
    layer.setLabelsEnabled(True)
    layer.setCustomProperty(PROPERTY, _key(version, level, f"{variable}|{int(year)}"))
    return layer


def version_group(project: QgsProject, version: dict) -> QgsLayerTreeGroup:
    """Return (creating it on top if needed) the layer-tree group of a boundary version."""
    status = tr("status_" + version["status"]) if version.get("status") else ""
    name = tr("group_version", name=version.get("name") or version["id"], status=status)
    root = project.layerTreeRoot()
    group = root.findGroup(name)
    return group if group is not None else root.insertGroup(0, name)


def _replace(project: QgsProject, group: QgsLayerTreeGroup, layer: QgsVectorLayer,
             position: int) -> None:
    key = layer.customProperty(PROPERTY)
    for node in group.findLayers():
        old = node.layer()
        if old is not None and old.customProperty(PROPERTY) == key:
            project.removeMapLayer(old.id())
    project.addMapLayer(layer, False)
    if position < 0:
        group.addLayer(layer)
    else:
        group.insertLayer(position, layer)


def load_atlas(
    path: str | Path,
    version: str,
    variables: list[str] | None = None,
    years: list[int] | None = None,
    project: QgsProject | None = None,
    level: str = "wijk",
) -> list[QgsVectorLayer]:
    """Add styled layers of one boundary version of an atlas GeoPackage to a project.

    Parameters
    ----------
    path
        The atlas GeoPackage (``build/atlas.gpkg``).
    version
        Boundary version id, e.g. ``"2020"``.
    variables
        Indicator codes to load; ``None`` loads every indicator with results for ``version``.
    years
        Years to load; ``None`` loads the last year with results of each indicator. Years
        without results for an indicator are skipped.
    project
        Target project; default the current project (``QgsProject.instance()``).
    level
        ``wijk`` (default) or a higher level of the version from the atlas's ``levels``
        table (``kern``, ``wijkteam``, ...; see ``atlas.read_levels``).

    Returns
    -------
    list of QgsVectorLayer
        The added indicator layers, in the order of ``variables`` then ``years``; the first
        one is visible, the others are added unchecked. The "no data" base layer is added
        at the bottom of the group but not returned.

    Raises
    ------
    AtlasError
        When the file is not an atlas, the version or an indicator is not in it, or nothing
        matches the request; the message names the file and the fix.
    """
    path = Path(path).resolve()
    project = project or QgsProject.instance()
    versions = {row["id"]: row for row in atlas.read_versions(path)}
    version = str(version)
    if version not in versions:
        raise AtlasError(tr("atlas_no_version", path=path, version=version,
                            available=", ".join(versions) or "-"))
    if variables is None:
        variables = [row["code"] for row in atlas.read_indicators(path, version)]
    wanted = []
    for variable in variables:
        available = atlas.read_years(path, version, variable)
        if not available:
            raise AtlasError(tr("atlas_no_results", path=path, version=version,
                                variable=variable))
        chosen = [available[-1]] if years is None else [y for y in years if y in available]
        wanted += [(variable, year) for year in chosen]
    if not wanted:
        raise AtlasError(tr("atlas_nothing_to_load", path=path, version=version))
    if level != "wijk":
        _level_label(path, version, level)  # refuse an unknown level before loading
    layers = [indicator_layer(path, version, variable, year, level)
              for variable, year in wanted]
    group = version_group(project, versions[version])
    _replace(project, group, boundary_layer(path, version, level), -1)
    for position, layer in enumerate(layers):
        _replace(project, group, layer, position)
        group.findLayer(layer.id()).setItemVisibilityChecked(position == 0)
    return layers
