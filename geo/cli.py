"""The ``wijkatlas`` command line: a thin layer over the Python API."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from geo.errors import WijkatlasError
from geo.units import DEFAULT_TOLERANCE_HA, SQM_PER_HA

app = typer.Typer(help="wijkatlas: versioned wijkindelingen, reaggregated CBS data, web maps.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
versions_app = typer.Typer(help="The boundary register: versions of the wijkindeling.",
                           no_args_is_help=True)
app.add_typer(versions_app, name="versions")
export_app = typer.Typer(help="Exports of the atlas for other platforms (incijfers / Swing).",
                         no_args_is_help=True)
app.add_typer(export_app, name="export")
fetch_app = typer.Typer(help="Download CBS data into this atlas (PDOK geometry, StatLine "
                             "Kerncijfers).", no_args_is_help=True)
app.add_typer(fetch_app, name="fetch")

STATE = {"root": Path(os.environ.get("WIJKATLAS_ROOT", "."))}


def fail(exc: WijkatlasError, code: int = 2) -> None:
    typer.echo(f"error: {exc.message}", err=True)
    raise typer.Exit(code)


def _os_error(exc: OSError) -> WijkatlasError:
    """A file-system error (permission, a folder where a file was expected, a full disk)
    as one refusal naming the file."""
    import errno

    fixes = {
        errno.EACCES: "choose a file or folder you may read and write, or change its "
                      "permissions.",
        errno.EPERM: "choose a file or folder you may read and write.",
        errno.EISDIR: "give a file name, not a folder.",
        errno.ENOTDIR: "a part of the path is a file; give a path in a folder.",
        errno.ENOENT: "check the path; its folder must exist.",
        errno.ENOSPC: "free disk space and run the command again.",
        errno.EROFS: "write to a folder on a writable disk.",
    }
    return WijkatlasError(exc.strerror or str(exc), file=exc.filename,
                          fix=fixes.get(exc.errno, "check the path and its permissions."))


def _notice_line(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings reach the user as one plain line (``notice: ...``), not with source lines."""
    from geo.errors import PART_LIMIT, WijkatlasNotice, shorten

    prefix = "" if issubclass(category, WijkatlasNotice) else f"{category.__name__}: "
    typer.echo(f"notice: {prefix}{shorten(message, PART_LIMIT)}", err=True)


def guarded(func):
    """The one error path of every command: a refusal (:class:`WijkatlasError`, or a file
    system error) is one line on stderr and exit code 2; notices are plain lines; anything
    unforeseen is one line asking for a bug report (exit 3; ``WIJKATLAS_DEBUG=1`` shows the
    traceback)."""
    import functools
    import warnings

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _notice_line
            try:
                return func(*args, **kwargs)
            except WijkatlasError as exc:
                fail(exc)
            except OSError as exc:
                fail(_os_error(exc))
            except (typer.Exit, typer.Abort, SystemExit, KeyboardInterrupt):
                raise
            except Exception as exc:
                if os.environ.get("WIJKATLAS_DEBUG"):
                    raise
                from geo.errors import shorten

                typer.echo(f"error: unexpected {type(exc).__name__}: {shorten(exc, 300)} "
                           "(a bug in wijkatlas: please report it with the command and "
                           "WIJKATLAS_DEBUG=1 output).", err=True)
                raise typer.Exit(3) from None

    return wrapper


@app.callback()
def main(root: Annotated[Path, typer.Option(
        help="The atlas repository (folder with boundaries/ and layers/). "
             "Default: $WIJKATLAS_ROOT or the current folder.")] = None) -> None:
    if root is not None:
        STATE["root"] = root


def _root() -> Path:
    return STATE["root"]


# --- validate ---------------------------------------------------------------------------------

@app.command()
@guarded
def validate(
    file: Annotated[Path, typer.Argument(help="Polygon layer: GeoPackage, GeoJSON, Shapefile.")],
    layer: Annotated[str, typer.Option(help="Layer name inside a GeoPackage.")] = None,
    code_column: Annotated[str, typer.Option(help="Column with the unit code.")] = None,
    name_column: Annotated[str, typer.Option(help="Column with the unit name.")] = None,
    gemeente: Annotated[Path, typer.Option(help="Polygon(s) the units must cover.")] = None,
    outline_tolerance_m: Annotated[float, typer.Option(
        help="With --gemeente: tolerate generalisation differences up to this many metres "
             "between the units and the outline.")] = 1.0,
    tolerance_ha: Annotated[float, typer.Option(help="Overlaps/gaps up to this are slivers.")]
    = DEFAULT_TOLERANCE_HA,
    repair: Annotated[Path, typer.Option(help="Write a repaired copy (GeoPackage) here.")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Validate a wijkindeling layer. Exit 0 valid, 1 errors found, 2 input refused."""
    import shapely

    from geo.paths import output_file
    from geo.sources import read_units
    from geo.validate import Issue, ValidationReport, repair_geometries, validate_units

    if repair is not None:
        output_file(repair, inputs={"FILE": file, "--gemeente": gemeente}, root=_root(),
                    suffix=".gpkg", option="--repair")
    try:
        units = read_units(file, code_column=code_column, name_column=name_column, layer=layer)
        reference = None
        if gemeente is not None:
            reference = shapely.union_all(_read_any(gemeente, option="--gemeente")
                                          .geometry.values)
    except WijkatlasError as exc:
        if as_json:
            report = ValidationReport(source=str(file), n_units=0, issues=[
                Issue("error", exc.rule or "unreadable", exc.problem.rstrip("."),
                      exc.fix or "")])
            typer.echo(report.to_json())
        fail(exc)
    if repair is not None:
        units, repaired = repair_geometries(units)
        _write_layer(units, repair, "units")
        typer.echo(f"repaired {len(repaired)} geometries ({', '.join(repaired) or 'none'}); "
                   f"written to {repair}", err=True)
    report = validate_units(units, source=str(file), reference=reference,
                            tolerance_ha=tolerance_ha,
                            reference_name=str(gemeente) if gemeente is not None else None,
                            reference_tolerance_m=outline_tolerance_m)
    typer.echo(report.to_json() if as_json else report.to_text())
    raise typer.Exit(0 if report.valid else 1)


def _bar(enabled: bool):
    """The progress bar of :mod:`geo.progress` (rich, stderr), silent when not enabled."""
    from geo.progress import rich_progress

    return rich_progress(enabled)


def _read_any(path: Path, layer: str | None = None, option: str | None = None):
    """Any vector layer, in EPSG:28992 (points included)."""
    from geo.crs import to_rd_new
    from geo.files import read_vector

    gdf = read_vector(path, layer=layer, option=option)
    if getattr(gdf, "crs", None) is None and "geometry" not in gdf:
        raise WijkatlasError("the layer has no geometry.", file=path,
                             fix="give a polygon layer (GeoPackage, GeoJSON or Shapefile).")
    return to_rd_new(gdf, path)


def _write_layer(gdf, path: Path, layer: str) -> None:
    from geo.atomic import write_gpkg_layers

    write_gpkg_layers(path, {layer: gdf})


# --- versions ---------------------------------------------------------------------------------

@versions_app.command("list")
@guarded
def versions_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the versions in the register."""
    from geo.register import list_versions

    metas = list_versions(_root())
    broken = [m for m in metas if not m.get("intact", True)]
    if as_json:
        typer.echo(json.dumps([{k: m.get(k) for k in ("id", "name", "valid_from", "status",
                                                       "parent", "checksum", "intact", "fix")}
                               for m in metas], ensure_ascii=False, indent=2))
    else:
        for m in metas:
            status = m["status"] if m.get("intact", True) else "CHANGED ON DISK"
            typer.echo(f"{m['id']:<10} {status:<16} {m.get('valid_from', ''):<11} "
                       f"parent={m.get('parent') or '-':<8} {m.get('name', '')}")
    for m in broken:
        typer.echo(f"error: boundaries/{m['id']}: published version {m['id']} was changed on "
                   f"disk (checksum mismatch). Fix: {m['fix']}", err=True)
    if broken:
        raise typer.Exit(1)


@versions_app.command("show")
@guarded
def versions_show(version_id: str) -> None:
    """Show one version: metadata and units with their lineage."""
    from geo.lineage import describe, diff_units
    from geo.register import load_version, version_outline

    v = load_version(_root(), version_id)
    for key in ("id", "name", "valid_from", "status", "parent", "checksum", "description"):
        typer.echo(f"{key:<11} {v.meta.get(key, '')}")
    _, outline = version_outline(_root(), v)
    typer.echo(f"{'outline':<11} {outline or 'none (coverage checked against the parent)'}")
    typer.echo("")
    lineage = {}
    if v.meta.get("parent"):
        diff = diff_units(load_version(_root(), v.meta["parent"]).units, v.units)
        lineage = {row["code"]: describe(row) for _, row in diff.iterrows()
                   if row["change"] != "removed"}
        typer.echo(f"units and their lineage from version {v.meta['parent']}:")
    for row in v.units.itertuples(index=False):
        area = row.geometry.area / SQM_PER_HA
        text = lineage.get(row.code, row.lineage)
        typer.echo(f"{row.code:<6} {row.name:<24} {area:9.1f} ha  {row.definition:<8} {text}")


@versions_app.command("validate")
@guarded
def versions_validate(version_id: str,
                      as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Validate a version of the register (geometry, coverage, lineage)."""
    from geo.register import validate_version

    report = validate_version(_root(), version_id)
    typer.echo(report.to_json() if as_json else report.to_text())
    raise typer.Exit(0 if report.valid else 1)


def _units_for(ref: str, code_column: str | None, name_column: str | None):
    from geo.register import boundaries_dir, load_version
    from geo.sources import read_units

    if (boundaries_dir(_root()) / ref).is_dir():
        return load_version(_root(), ref).units
    return read_units(ref, code_column=code_column, name_column=name_column)


@versions_app.command("diff")
@guarded
def versions_diff(
    old: Annotated[str, typer.Argument(help="Version id or polygon file.")],
    new: Annotated[str, typer.Argument(help="Version id or polygon file.")],
    changes: Annotated[Path, typer.Option(help="Write the changed areas to this GeoPackage.")]
    = None,
    code_column: Annotated[str, typer.Option(help="Code column when comparing files.")] = None,
    name_column: Annotated[str, typer.Option(help="Name column when comparing files.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Compare two versions per unit: unchanged, reshaped, split, merged, new, removed."""
    from geo.lineage import changed_areas, describe, diff_text, diff_units
    from geo.paths import output_file

    if changes is not None:
        output_file(changes, inputs={"OLD": old, "NEW": new}, root=_root(), suffix=".gpkg",
                    option="--changes")
    a = _units_for(old, code_column, name_column)
    b = _units_for(new, code_column, name_column)
    table = diff_units(a, b)
    summary = table["change"].value_counts().to_dict()
    pieces = None
    if changes is not None:
        pieces = changed_areas(a, b)
        _write_layer(pieces, changes, "changes")
    if as_json:
        units = json.loads(table.to_json(orient="records"))
        for unit, (_, row) in zip(units, table.iterrows(), strict=True):
            unit["text"] = describe(row)
        written = None if pieces is None else {
            "file": str(changes), "layer": "changes", "pieces": len(pieces),
            "area_ha": float(pieces["area_ha"].sum())}
        typer.echo(json.dumps({"old": old, "new": new, "units": units, "summary": summary,
                               "changes_written": written}, ensure_ascii=False, indent=2))
        return
    for line in diff_text(table, old, new):
        typer.echo(line)
    if pieces is not None:
        typer.echo(f"{len(pieces)} moved piece(s), {pieces['area_ha'].sum():,.1f} ha, written to "
                   f"{changes} (layer changes)")


@versions_app.command("draft")
@guarded
def versions_draft(
    new_id: str,
    parent: Annotated[str, typer.Option("--from", help="Published version to start from.")],
    name: Annotated[str, typer.Option(help="Name of the new version.")] = None,
    valid_from: Annotated[str, typer.Option(help="Date from which it applies (YYYY-MM-DD).")]
    = None,
) -> None:
    """Draft a new version from a published one."""
    from geo.register import draft_version

    v = draft_version(_root(), new_id, parent, name=name, valid_from=valid_from)
    typer.echo(f"draft {v.id} created in {v.path} ({len(v.units)} units from {parent}, "
               f"valid from {v.meta['valid_from']})")


@versions_app.command("rename")
@guarded
def versions_rename(
    version_id: str, new_id: str,
    name: Annotated[str, typer.Option(help="Also give the draft this name.")] = None,
) -> None:
    """Give a draft another id (and optionally another name)."""
    from geo.register import rename_draft

    v = rename_draft(_root(), version_id, new_id, name=name)
    typer.echo(f"draft {version_id} is now {v.id} ({v.meta['name']}) in {v.path}")


@versions_app.command("redate")
@guarded
def versions_redate(version_id: str, valid_from: Annotated[str, typer.Argument(
        help="Date from which the draft applies (YYYY-MM-DD).")]) -> None:
    """Change the date from which a draft applies."""
    from geo.register import redate_draft

    v = redate_draft(_root(), version_id, valid_from)
    typer.echo(f"draft {version_id} now valid from {v.meta['valid_from']}")


@versions_app.command("discard")
@guarded
def versions_discard(
    version_id: str,
    yes: Annotated[bool, typer.Option("--yes", help="Really delete the draft.")] = False,
) -> None:
    """Delete a draft (published versions are never deleted)."""
    from geo.register import _require_draft_of, discard_draft

    v = _require_draft_of(_root(), version_id)
    if not yes:
        raise WijkatlasError(f"discarding draft {version_id} deletes {v.path}.", unit=version_id,
                             fix=f"confirm with: wijkatlas versions discard {version_id} --yes")
    path = discard_draft(_root(), version_id)
    typer.echo(f"draft {version_id} discarded ({path} deleted)")


@versions_app.command("restore")
@guarded
def versions_restore(version_id: str) -> None:
    """Put back a published version changed on disk, from the copy frozen at publication."""
    from geo.register import restore_version

    path = restore_version(_root(), version_id)
    typer.echo(f"version {version_id} restored in {path}")


@versions_app.command("export")
@guarded
def versions_export(version_id: str, out: Path) -> None:
    """Write a version's units to a GeoPackage (layer ``units``) for editing in QGIS."""
    from geo.paths import output_file
    from geo.register import load_version

    v = load_version(_root(), version_id)
    output_file(out, root=_root(), suffix=".gpkg", option="OUT")
    _write_layer(v.units[["code", "name", "geometry"]], out, "units")
    typer.echo(f"{len(v.units)} units of {version_id} written to {out} (layer units)")


@versions_app.command("import")
@guarded
def versions_import(
    version_id: str,
    file: Annotated[Path, typer.Argument(help="Edited polygon layer.")],
    layer: Annotated[str, typer.Option()] = None,
    code_column: Annotated[str, typer.Option()] = None,
    name_column: Annotated[str, typer.Option()] = None,
    tolerance_ha: Annotated[float, typer.Option()] = DEFAULT_TOLERANCE_HA,
) -> None:
    """Replace the units of a draft with an edited polygon layer (validated first)."""
    from geo.register import import_units
    from geo.sources import read_units

    units = read_units(file, code_column=code_column, name_column=name_column, layer=layer)
    v = import_units(_root(), version_id, units, str(file), tolerance_ha)
    typer.echo(f"draft {version_id} now has {len(v.units)} units from {file}")


@versions_app.command("assign")
@guarded
def versions_assign(
    version_id: str,
    moves: Annotated[list[str], typer.Argument(help="BUURTCODE=UNITCODE pairs.")],
    year: Annotated[int, typer.Option(help="Year of the CBS buurten the units are made of.")]
    = None,
    name: Annotated[list[str], typer.Option(help="UNITCODE=NAME for a new (or renamed) unit.")]
    = None,
    remove_empty: Annotated[bool, typer.Option(
        help="Remove a unit that loses its last buurt (refused without this).")] = False,
) -> None:
    """Move CBS buurten between units of a draft."""
    from geo.atlas import CONFIG, read_config
    from geo.register import load_version, reassign_buurten
    from geo.sources import load_cbs_buurten

    pairs = {}
    for item in moves:
        if "=" not in item:
            raise WijkatlasError(f"{item!r} is not BUURTCODE=UNITCODE.", unit=item,
                                 fix="write e.g. BU07970503=W15.")
        buurt, unit = item.split("=", 1)
        pairs[buurt.strip()] = unit.strip()
    for item in name or []:
        if "=" not in item:
            raise WijkatlasError(f"--name {item!r} is not UNITCODE=NAME.", unit=item,
                                 fix="write e.g. --name W16=Herpt.")
    names = dict(n.split("=", 1) for n in (name or []))
    v = load_version(_root(), version_id)
    years = v.units["buurten_year"].dropna()
    year = year or (int(years.iloc[0]) if len(years) else None)
    files = read_config(_root()).buurt_files()
    if year not in files:
        raise WijkatlasError(f"no CBS buurt file for {year} (the atlas configuration has "
                             f"{', '.join(map(str, files)) or 'none'}).",
                             file=_root() / CONFIG,
                             fix="pass --year with a year that has a buurt file.")
    v = reassign_buurten(_root(), version_id, pairs, load_cbs_buurten(files[year]), names,
                         remove_empty=remove_empty)
    typer.echo(f"draft {version_id}: {len(pairs)} buurt(en) reassigned, {len(v.units)} units")


@versions_app.command("publish")
@guarded
def versions_publish(version_id: str) -> None:
    """Validate and publish a draft; published versions are immutable."""
    from geo.register import publish_version

    v = publish_version(_root(), version_id)
    typer.echo(f"version {version_id} published ({v.meta['checksum']})")


# --- atlas, maps, reaggregation ------------------------------------------------------------------

@app.command()
@guarded
def build(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("build"),
    maps: Annotated[bool, typer.Option(help="Also render the web maps.")] = True,
    publications: Annotated[bool, typer.Option(
        "--publications/--no-publications",
        help="Also write the wijkprofiel pages and the book.")] = True,
) -> None:
    """Build the atlas GeoPackage, CSV/Excel exports and the web maps from this repository."""
    from geo.atlas import build_atlas
    from geo.paths import output_dir

    output_dir(out, root=_root())
    path = build_atlas(_root(), out, progress=sys.stderr.isatty(), maps=maps,
                       publications=publications)
    typer.echo(f"atlas written: {path}")
    if maps:
        for page in sorted((out / "maps").glob("*.html")):
            typer.echo(f"map written: {page}")
    if publications:
        typer.echo(f"profiles written: {out / 'profiles'}; book written: {out / 'book'}")


def _publish(atlas: Path, out: Path, *, book: bool, version: str | None = None,
             edition: int | None = None) -> None:
    from geo.publish.run import publish as publish_all

    with _bar(sys.stderr.isatty()) as bar:
        task = bar.add_task("printing the book", total=None)
        pages, pdfs = publish_all(atlas, out, versions=[version] if version else None,
                                  edition=edition, book=book,
                                  progress=lambda done, total: bar.update(
                                      task, completed=done, total=total))
    typer.echo(f"profiles written: {len(pages)} pages in {out / 'profiles'}")
    if book:
        typer.echo(f"book written: {len(pdfs)} PDFs in {out / 'book'}")


@app.command()
@guarded
def publish(
    atlas: Annotated[Path, typer.Option(help="Atlas GeoPackage.")] = Path("build/atlas.gpkg"),
    out: Annotated[Path, typer.Option(help="Build folder (profiles/ and book/ go in it).")]
    = Path("build"),
    version: Annotated[str | None, typer.Option(help="Only this version.")] = None,
    edition: Annotated[int | None, typer.Option(help="Last year shown (default: latest).")]
    = None,
    book: Annotated[bool, typer.Option(help="Also print the book (PDF).")] = True,
) -> None:
    """Write the wijkprofiel pages and the book (PDF) from an atlas GeoPackage."""
    if not atlas.exists():
        raise WijkatlasError("atlas GeoPackage not found.", file=atlas,
                             fix="run `wijkatlas build` (or make atlas) first.")
    _publish(atlas, out, book=book, version=version, edition=edition)


def _render_maps(atlas: Path, out: Path) -> None:
    try:
        from geo.maps import build_maps
    except ImportError as exc:  # pragma: no cover - only while the maps package is absent
        raise WijkatlasError("the web map module is not available.", fix=str(exc)) from exc
    pages = build_maps(atlas, _root() / "maps", out)
    for page in pages:
        typer.echo(f"map written: {page}")


@app.command("maps")
@guarded
def maps_command(
    atlas: Annotated[Path, typer.Option(help="Atlas GeoPackage.")] = Path("build/atlas.gpkg"),
    out: Annotated[Path, typer.Option(help="Output folder for the HTML pages.")]
    = Path("build/maps"),
) -> None:
    """Render the offline web maps from an atlas GeoPackage."""
    from geo.files import SQLITE_MAGIC, require_file, sniff
    from geo.paths import output_dir

    output_dir(out, root=_root())
    if not atlas.exists():
        raise WijkatlasError("atlas GeoPackage not found.", file=atlas,
                             fix="run `wijkatlas build` (or make atlas) first.")
    require_file(atlas, what="atlas GeoPackage", option="--atlas")
    if not sniff(atlas, 16).startswith(SQLITE_MAGIC):
        raise WijkatlasError("not a GeoPackage (the file does not start like one).",
                             file=atlas, fix="give --atlas the atlas.gpkg that `wijkatlas "
                                             "build` wrote.")
    _render_maps(atlas, out)


@app.command()
@guarded
def reaggregate(
    source: Annotated[Path, typer.Option(help="Source polygon layer (e.g. CBS buurten).")],
    values: Annotated[Path, typer.Option(help="Values table (CSV/Excel, CBS column names).")],
    target: Annotated[Path, typer.Option(help="Target polygon layer (e.g. wijken).")],
    out: Annotated[Path, typer.Option(help="Long CSV to write.")],
    source_code: Annotated[str, typer.Option(help="Code column of the source layer.")] = None,
    values_code: Annotated[str, typer.Option(help="Code column of the values table.")] = None,
    target_code: Annotated[str, typer.Option(help="Code column of the target layer.")] = None,
    target_name: Annotated[str, typer.Option(help="Name column of the target layer.")] = None,
    source_layer: Annotated[str, typer.Option(help="Layer in a source GeoPackage.")] = None,
    target_layer: Annotated[str, typer.Option(help="Layer in a target GeoPackage.")] = None,
    weights: Annotated[Path, typer.Option(help="Address points for dasymetric weights.")]
    = None,
    weights_layer: Annotated[str, typer.Option(help="Layer in the points GeoPackage.")] = None,
    weights_built: Annotated[str, typer.Option(help="Year-built column of the points.")]
    = "bouwjaar",
    weights_residential: Annotated[str, typer.Option(
        help="Residential flag column of the points ('' to use all points).")] = "woonfunctie",
    weights_column: Annotated[str, typer.Option(help="Sum this column instead of counting.")]
    = None,
    raster: Annotated[Path, typer.Option(help="Density raster (e.g. population grid).")]
    = None,
    year: Annotated[int, typer.Option(help="Year of the data (filters points by year built).")]
    = None,
    catalog: Annotated[Path, typer.Option(help="Indicator catalog (TOML).")] = None,
    exact_share: Annotated[float, typer.Option(
        help="Share of a source (slivers set aside) that must lie in one target for it to go "
             "there whole; 1 = all of it, above 1 = never.")] = 1.0,
    sliver_width: Annotated[float, typer.Option(
        help="Overlap pieces thinner than this (mean width, metres) are generalisation "
             "slivers and dropped; 0 keeps every piece.")] = 2.0,
    plain_area: Annotated[bool, typer.Option(
        "--plain-area", help="Pure area weights: no slivers, no exact shortcut, no address or "
                             "raster weights (as tobler's area_interpolate).")] = False,
    crosswalk_out: Annotated[Path, typer.Option(help="Also write the crosswalk as CSV.")]
    = None,
) -> None:
    """Reaggregate a values table from source polygons to target polygons (any gemeente)."""
    from geo.atomic import write_csv
    from geo.paths import output_file
    from geo.pipeline import reaggregate_files

    inputs = {"--source": source, "--values": values, "--target": target,
              "--weights": weights, "--raster": raster, "--catalog": catalog}
    output_file(out, inputs=inputs, root=_root(), option="--out")
    if crosswalk_out is not None:
        output_file(crosswalk_out, inputs={**inputs, "--out": out}, root=_root(),
                    option="--crosswalk-out")
    result, cw = reaggregate_files(
        source, values, target, source_code=source_code, values_code=values_code,
        target_code=target_code, target_name=target_name, source_layer=source_layer,
        target_layer=target_layer, weights=weights, weights_layer=weights_layer,
        weights_built=weights_built, weights_residential=weights_residential,
        weights_column=weights_column, raster=raster, year=year, catalog=catalog,
        exact_share=exact_share, sliver_width=sliver_width, plain_area=plain_area,
        progress=True)
    write_csv(result, out)
    if crosswalk_out is not None:
        write_csv(cw, crosswalk_out)
    methods = cw["method"].value_counts().to_dict()
    typer.echo(f"{result['code'].nunique()} target units x {result['variable'].nunique()} "
               f"variables written to "
               f"{out}; crosswalk rows by method: {methods}")


# --- survey -----------------------------------------------------------------------------------

@app.command()
@guarded
def survey(
    respondents: Annotated[Path, typer.Option(help="Respondent file: CSV, Excel or SPSS .sav.")],
    questions: Annotated[Path, typer.Option(help="Questionnaire (TOML, a question table each).")],
    population: Annotated[Path, typer.Option(
        help="Population per unit: code, geslacht, leeftijdsklasse, aantal.")],
    out: Annotated[Path, typer.Option(help="Long CSV to write.")],
    target: Annotated[Path, typer.Option(help="Target polygon layer (e.g. wijken).")] = None,
    version: Annotated[str, typer.Option(
        help="Or: a version of the register (published or draft) as the target.")] = None,
    target_code: Annotated[str, typer.Option(help="Code column of the target layer.")] = None,
    target_name: Annotated[str, typer.Option(help="Name column of the target layer.")] = None,
    target_layer: Annotated[str, typer.Option(help="Layer in a target GeoPackage.")] = None,
    addresses: Annotated[Path, typer.Option(
        help="Address points (address_id, postcode, huisnummer, toevoeging, bouwjaar).")]
    = None,
    addresses_layer: Annotated[str, typer.Option(help="Layer in the address GeoPackage.")]
    = None,
    year: Annotated[int, typer.Option(help="Survey year (address points built by then).")]
    = None,
    min_n: Annotated[int, typer.Option(help="Fewer valid answers: no figure.")] = 30,
    indicative_n: Annotated[int, typer.Option(help="Fewer valid answers: indicative.")] = 100,
    weighting: Annotated[str, typer.Option(help="rake | poststratify | none")] = "rake",
    trim: Annotated[tuple[float, float], typer.Option(
        help="Weights within LOW..HIGH x the unit's mean weight.")] = (0.2, 5.0),
    no_trim: Annotated[bool, typer.Option("--no-trim", help="Do not trim weights.")] = False,
    encoding: Annotated[str, typer.Option(help="Encoding of CSV input (default: detect).")]
    = None,
    unplaced: Annotated[Path, typer.Option(
        help="Report of respondents not placed (default: OUT_niet_geplaatst.csv).")] = None,
    gemeente: Annotated[str, typer.Option(help="Code of the row for all units together "
                                               "('' for none).")] = "gemeente",
) -> None:
    """Survey figures per unit: place respondents, weight by age x sex, estimate n, value and
    95 % interval (any gemeente, any units)."""
    from geo.atomic import write_csv
    from geo.register import load_version
    from geo.sources import read_units
    from geo.survey import load_questionnaire, read_population, read_respondents, survey_results

    if (target is None) == (version is None):
        raise WijkatlasError("give either --target (a polygon layer) or --version.",
                             fix="e.g. --target wijken.gpkg --target-code code.")
    unplaced = unplaced or out.with_name(out.stem + "_niet_geplaatst.csv")
    for path in (out, unplaced):
        if path.resolve() in {p.resolve() for p in (respondents, questions, population)
                              if p is not None}:
            raise WijkatlasError("the output would overwrite an input.", file=path,
                                 fix="write the result to another file.")
    q = load_questionnaire(questions)
    people = read_respondents(respondents, q, encoding=encoding)
    pop = read_population(population)
    if version is not None:
        units = load_version(_root(), version).units
    else:
        units = read_units(target, code_column=target_code, name_column=target_name,
                           layer=target_layer)
    points = _read_any(addresses, addresses_layer) if addresses is not None else None
    if points is not None and year is None and q.edition is None:
        raise WijkatlasError("address points need the survey year.", file=questions,
                             fix="give --year (or `edition` in the questionnaire).")
    with _bar(len(people) > 20_000) as bar:
        bar.add_task(f"enquête: {len(people)} respondenten", total=None)
        res = survey_results(people, q, units, pop, addresses=points,
                             year=year if year is not None else q.edition, min_n=min_n,
                             indicative_n=indicative_n, weighting=weighting,
                             trim=None if no_trim else trim,
                             gemeente=(gemeente, "Gemeente") if gemeente else None)
    table = res.results.copy()
    for column in ("value", "lower", "upper", "margin", "se"):
        table[column] = table[column].round(3)
    table[["deff", "n_eff"]] = table[["deff", "n_eff"]].round(3)
    table["indicative"] = table["indicative"].astype(int)
    write_csv(table, out)
    write_csv(res.unplaced, unplaced)
    shown = table[table["level"] != "gemeente"]
    reasons = ", ".join(f"{k} {v}" for k, v in res.unplaced["reason"].value_counts().items())
    typer.echo(f"{len(people) - len(res.unplaced)} of {len(people)} respondents placed in "
               f"{shown['code'].nunique()} units; {len(shown)} figures written to {out} "
               f"({int((shown['status'] == 'too_few').sum())} te weinig respons); "
               f"{len(res.unplaced)} not placed ({reasons or 'none'}): {unplaced}")


# --- export: incijfers (Swing) ------------------------------------------------------------------

@export_app.command("incijfers")
@guarded
def export_incijfers(
    version: Annotated[str, typer.Option(help="Boundary version, e.g. 2020.")],
    out: Annotated[Path, typer.Option(help="Folder for data.csv and metadata.csv.")],
    atlas: Annotated[Path, typer.Option(help="Atlas GeoPackage.")] = Path("build/atlas.gpkg"),
) -> None:
    """Write the incijfers (Swing bulk upload) data and metadata files of one version."""
    from geo.publish.incijfers import write_incijfers

    if not atlas.is_file():
        raise WijkatlasError("atlas GeoPackage not found.", file=atlas,
                             fix="run `wijkatlas build` (or make atlas) first.")
    data, meta = write_incijfers(atlas, version, out)
    typer.echo(f"incijfers export of version {version} written: {data}, {meta}")


@export_app.command("check")
@guarded
def export_check(
    folder: Annotated[Path, typer.Argument(help="Folder with data.csv and metadata.csv.")],
) -> None:
    """Check an incijfers export against Swing's rules. Exit 0 valid, 1 problems, 2 unreadable."""
    from geo.publish.incijfers import check_export

    problems = check_export(folder)
    for line in problems:
        typer.echo(f"error: {line}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{folder}: the export follows the incijfers rules.")


# --- partner registers (records) ------------------------------------------------------------

@app.command()
@guarded
def records(
    source: Annotated[Path, typer.Option(help="Record source (TOML): location, date, "
                                              "indicators, disclosure.")],
    target: Annotated[list[Path], typer.Option(help="Units to count in: a polygon layer, or "
                                                    "the id of a version in the register "
                                                    "(published or draft); repeat for several "
                                                    "versions, which are then protected "
                                                    "together.")],
    out: Annotated[Path, typer.Option(help="Long CSV to write (plus <name>.unplaced.csv "
                                           "and <name>.report.csv next to it).")],
    records_file: Annotated[list[Path], typer.Option(
        "--records", help="Record file(s) (CSV, Excel, GeoPackage); default: the source's "
                          "file pattern.")] = None,
    target_code: Annotated[list[str], typer.Option(help="Code column of the target(s).")]
    = None,
    target_name: Annotated[str, typer.Option(help="Name column of the target(s).")] = None,
    target_layer: Annotated[str, typer.Option(help="Layer in a target GeoPackage.")] = None,
    addresses: Annotated[Path, typer.Option(help="Address points with postcode, huisnummer, "
                                                 "toevoeging, bag_id (for postcode, address "
                                                 "and BAG locations).")] = None,
    addresses_layer: Annotated[str, typer.Option(help="Layer in the address GeoPackage.")]
    = None,
    population: Annotated[Path, typer.Option(help="Long CSV with the rates' denominators per "
                                                  "unit and year (e.g. the output of "
                                                  "`wijkatlas reaggregate --year`).")] = None,
    gemeente: Annotated[str, typer.Option(help="Code of the whole area (a total row, "
                                               "protected with the units); '' for none.")]
    = "gemeente",
    apportion: Annotated[bool, typer.Option(help="Split PC4 areas spanning several units "
                                                 "by their addresses.")] = False,
) -> None:
    """Count register records (police, Wmo, jobs) per unit and year, with disclosure control."""
    from geo.atomic import write_csv
    from geo.paths import output_file
    from geo.records import load_record_source, records_results
    from geo.records.cli import read_population, summary_line, write_targets
    from geo.sources import read_units

    inputs = {"--source": source, "--addresses": addresses, "--population": population,
              **{f"--target {t}": t for t in target if t.exists()},
              **{f"--records {r}": r for r in (records_file or [])}}
    outs = [out, out.with_suffix(".unplaced.csv"), out.with_suffix(".report.csv")]
    for path in outs:
        output_file(path, inputs=inputs, root=_root(), suffix=".csv")
    src = load_record_source(source)
    for pattern_file in src.file_paths() if not records_file else []:
        for path in outs:
            output_file(path, inputs={"record file": pattern_file}, suffix=".csv")
    codes = list(target_code or [])
    if len(codes) not in (0, 1, len(target)):
        raise WijkatlasError(f"{len(codes)} --target-code for {len(target)} --target.",
                             fix="give one --target-code for all targets or one per target.")
    layers = []
    for i, path in enumerate(target):
        if not path.exists() and (_root() / "boundaries" / str(path)).is_dir():
            # a version id of the register (published or draft): its units
            from geo.register import load_version

            units = load_version(_root(), str(path)).units[["code", "name", "geometry"]]
            layers.append((Path(str(path)), units))
            continue
        layers.append((path, read_units(
            path, code_column=codes[i] if len(codes) > 1 else (codes[0] if codes else None),
            name_column=target_name, layer=target_layer)))
    targets = write_targets(layers)
    points = _read_any(addresses, addresses_layer) if addresses is not None else None
    if points is not None:
        from geo.records.source import METHODS

        need = [c for c in METHODS[src.location.method] if c not in ("x", "y")]
        lacking = [c for c in need if c not in points.columns]
        if lacking:
            raise WijkatlasError(
                f"the address points have no column(s) {', '.join(lacking)} (needed to place "
                f"records by {src.location.method}; columns: "
                f"{', '.join(map(str, points.columns))}).",
                file=addresses, fix="give BAG-like address points with postcode, huisnummer, "
                "toevoeging and bag_id columns.", rule="unknown_column")
    pop = read_population(population, list(targets)) if population is not None else None
    with _bar(True) as bar:
        bar.add_task("records placing and counting", total=None)
        result, placement = records_results(
            src, targets, files=records_file or None, addresses=points, populations=pop,
            gemeente=(gemeente, gemeente) if gemeente else None,
            apportion=apportion or None)
    result = result.rename(columns={"unit_code": "code", "unit_name": "name"})
    write_csv(result, outs[0])
    write_csv(placement.unplaced(), outs[1])
    write_csv(placement.report(), outs[2])
    typer.echo(summary_line(placement, result, outs))


# --- fetch, init (geo.fetch) ----------------------------------------------------------------

class _FetchBar:
    """A rich progress bar on stderr (terminal only) with one step per download."""

    def __init__(self, steps: int) -> None:
        self.bar = _bar(sys.stderr.isatty())
        self.steps = steps

    def __enter__(self):
        self.bar.__enter__()
        self.task = self.bar.add_task("CBS", total=self.steps)
        self.started = False
        return self

    def __call__(self, line: str) -> None:
        if self.started:
            self.bar.advance(self.task)
        self.started = True
        self.bar.update(self.task, description=line)

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)


@fetch_app.command("cbs")
@guarded
def fetch_cbs_command(
    year: Annotated[int, typer.Option(help="One reference year, e.g. 2023.")] = None,
    years: Annotated[str, typer.Option(help="Several years: 2021-2023 or 2019,2021.")] = None,
    gemeente: Annotated[str, typer.Option(
        help="CBS gemeentecode; default (and only allowed): the one in layers/atlas.toml.")]
    = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Replace a year that is already there when CBS revised it.")] = False,
) -> None:
    """Buurt geometry (PDOK) and Kerncijfers (StatLine) of the atlas's gemeente per year.

    Exit 0 when every year was written or is unchanged; 1 when a year on disk differs from
    CBS's current figures and was not replaced (the changes are listed); 2 when nothing could
    be fetched (no network, unknown year, service changed), in which case nothing changed.
    """
    from geo.fetch import fetch_cbs, parse_years

    if (year is None) == (years is None):
        raise WijkatlasError("give either --year or --years.",
                             fix="e.g. wijkatlas fetch cbs --year 2023 or --years 2021-2023.")
    wanted = [year] if year is not None else parse_years(years)
    with _FetchBar(2 * len(wanted)) as bar:
        results = fetch_cbs(_root(), wanted, gemeente=gemeente, replace=replace, progress=bar)
    for result in results:
        typer.echo(result.summary())
        for line in result.changes:
            typer.echo(f"    {line}")
    if any(r.status == "changed" for r in results):
        typer.echo("not replaced: run again with --replace to take CBS's revised figures.",
                   err=True)
        raise typer.Exit(1)


@app.command("init")
@guarded
def init_command(
    folder: Annotated[Path, typer.Argument(help="New (or empty) folder for the atlas.")]
    = Path("."),
    gemeente: Annotated[str, typer.Option(help="CBS gemeentecode, e.g. GM0809.")] = ...,
    year: Annotated[int, typer.Option(
        help="CBS year to fetch and to make the first wijkindeling from (default: latest).")]
    = None,
    indeling: Annotated[str, typer.Option(
        help="First wijkindeling: wijken (the CBS wijken) or buurten (one unit per buurt).")]
    = "wijken",
    name: Annotated[str, typer.Option(help="Name of the atlas.")] = None,
    catalog: Annotated[Path, typer.Option(
        help="Indicator catalog to copy (default: the wijkatlas catalog).")] = None,
) -> None:
    """Start a new atlas for any gemeente: configuration, catalog, CBS data, first version."""
    from geo.fetch import init_atlas

    with _FetchBar(2) as bar:
        path = init_atlas(folder, gemeente, year=year, indeling=indeling, name=name,
                          catalog=catalog, progress=bar)
    typer.echo(f"atlas for {gemeente.upper()} created in {path}; next: "
               f"wijkatlas --root {path} fetch cbs --years ...; wijkatlas --root {path} build")
