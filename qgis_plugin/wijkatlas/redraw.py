"""Redraw workflow: open a version as an editable draft, validate it, publish it.

Every step goes through the ``wijkatlas versions`` command line, which owns the boundary
register: the plugin only edits a GeoPackage copy in a work folder. Published versions are
opened read-only; a redraw is always a new draft version.
"""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsProject, QgsVectorLayer

from . import styling
from .cli import run_cli
from .i18n import tr
from .layers_io import export_layer
from .validation import errors, format_issue, validate_file

VERSION_PROPERTY = "wijkatlas/draft_version"
STATUS_PROPERTY = "wijkatlas/status"


class RedrawError(Exception):
    """A redraw step was refused (published version, validation errors, ...)."""


def list_versions(cli: str | None = None, root: str | None = None) -> list[dict]:
    """Return the versions of the register (``wijkatlas versions list --json``).

    A published version changed on disk has ``intact`` False and ``fix`` (the command exits 1
    then, and still lists every version).
    """
    data = run_cli(["versions", "list", "--json"], cli=cli, root=root, ok_codes=(0, 1)).json()
    rows = data.get("versions", []) if isinstance(data, dict) else data
    return [dict(row, id=str(row["id"])) for row in rows]


def _status(version_id: str, cli: str | None, root: str | None) -> str:
    for row in list_versions(cli, root):
        if row["id"] == version_id:
            return row.get("status", "")
    raise RedrawError(tr("redraw_unknown_version", version=version_id))


def open_version(
    version_id: str,
    workdir: str | Path,
    cli: str | None = None,
    root: str | None = None,
    project: QgsProject | None = None,
) -> tuple[QgsVectorLayer, str]:
    """Export ``version_id`` to ``workdir/<id>.gpkg`` and add it to the project.

    A draft is added editable; a published version is added read-only.

    Returns
    -------
    (layer, message)
        The added layer and a message for the user (for a published version: draft a new
        version to redraw it).

    Raises
    ------
    CliError, RedrawError
        When the command line fails or the version is unknown.
    """
    version_id = str(version_id)
    status = _status(version_id, cli, root)
    out = Path(workdir) / f"wijkindeling_{version_id}.gpkg"
    out.parent.mkdir(parents=True, exist_ok=True)
    run_cli(["versions", "export", version_id, str(out)], cli=cli, root=root)
    layer = QgsVectorLayer(f"{out}|layername=units", tr("layer_draft", version=version_id),
                           "ogr")
    if not layer.isValid():
        raise RedrawError(tr("redraw_export_invalid", path=out))
    layer.setCustomProperty(VERSION_PROPERTY, version_id)
    layer.setCustomProperty(STATUS_PROPERTY, status)
    layer.setRenderer(styling.draft_renderer())
    layer.setLabeling(styling.name_labels())
    layer.setLabelsEnabled(True)
    if status == "draft":
        message = tr("redraw_opened_draft", version=version_id, path=out)
    else:
        layer.setReadOnly(True)
        layer.setName(tr("layer_published", version=version_id))
        message = tr("redraw_published_readonly", version=version_id)
    (project or QgsProject.instance()).addMapLayer(layer)
    return layer, message


def draft_version(
    new_id: str,
    parent: str,
    workdir: str | Path,
    name: str | None = None,
    cli: str | None = None,
    root: str | None = None,
    project: QgsProject | None = None,
) -> tuple[QgsVectorLayer, str]:
    """Create draft ``new_id`` from published ``parent`` and open it for editing."""
    args = ["versions", "draft", str(new_id), "--from", str(parent)]
    if name:
        args += ["--name", name]
    run_cli(args, cli=cli, root=root)
    return open_version(new_id, workdir, cli=cli, root=root, project=project)


def validate_layer(
    layer: QgsVectorLayer, workdir: str | Path, cli: str | None = None, root: str | None = None
) -> dict:
    """Validate ``layer`` as it is now (unsaved edits included) with ``wijkatlas validate``."""
    path = export_layer(layer, Path(workdir) / ".validate" / "units.gpkg")
    return validate_file(path, layer="units", code_column="code", name_column="name",
                         cli=cli, root=root)


def publish_layer(
    layer: QgsVectorLayer, workdir: str | Path, cli: str | None = None, root: str | None = None
) -> str:
    """Save, validate, import and publish the draft in ``layer``; return a message.

    Raises
    ------
    RedrawError
        When the layer is not a draft of the register, the edits cannot be saved, or the
        validation finds errors (the message lists them; nothing is imported then).
    CliError
        When the command line refuses the import or the publication.
    """
    version_id = layer.customProperty(VERSION_PROPERTY)
    if not version_id:
        raise RedrawError(tr("redraw_not_a_draft", layer=layer.name()))
    if layer.customProperty(STATUS_PROPERTY) != "draft" or layer.readOnly():
        raise RedrawError(tr("redraw_published_readonly", version=version_id))
    if layer.isEditable() and not layer.commitChanges():
        raise RedrawError(tr("redraw_save_failed", layer=layer.name(),
                             errors="; ".join(layer.commitErrors())))
    report = validate_layer(layer, workdir, cli=cli, root=root)
    found = errors(report)
    if found:
        lines = "\n".join(format_issue(i) for i in found)
        raise RedrawError(tr("redraw_invalid", version=version_id, n=len(found), issues=lines))
    source = layer.source().split("|")[0]
    run_cli(["versions", "import", version_id, source, "--layer", "units",
             "--code-column", "code", "--name-column", "name"], cli=cli, root=root)
    run_cli(["versions", "publish", version_id], cli=cli, root=root)
    layer.setReadOnly(True)
    layer.setCustomProperty(STATUS_PROPERTY, "published")
    layer.setName(tr("layer_published", version=version_id))
    return tr("redraw_published", version=version_id)
