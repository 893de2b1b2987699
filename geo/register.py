"""The boundary register: every version of the wijkindeling, kept as reviewable files.

A version lives in ``boundaries/<id>/``:

* ``version.toml``: id, name, valid_from, status (draft/published), parent, gemeente,
  description, checksum, and per unit its code, name, definition (a union of CBS buurten of a
  named year, or a drawn polygon) and lineage to the parent version;
* ``units.geojson``: the unit polygons (EPSG:28992, coordinates rounded to mm).

A published version is immutable: its checksum (over everything that makes the version:
metadata including status, units, definitions, lineage and geometry) is verified on every
read, and every write to it is refused. A redraw is a new version drafted from a published
one. Ids, paths, the register lock and crash-safe writing live in :mod:`geo.register_store`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import tomli_w

from geo.atomic import remove_dir, replace_dir
from geo.crs import RD_NEW
from geo.errors import WijkatlasError
from geo.files import read_toml, read_vector, require_file, require_keys
from geo.lineage import diff_units, lineage_of
from geo.register_store import (
    boundaries_dir,
    check_version_id,
    serialised,
    version_dir,
    write_version_folder,
)
from geo.units import (
    DEFAULT_OUTLINE_TOLERANCE_M,
    DEFAULT_TOLERANCE_HA,
    SQM_PER_HA,
    STORAGE_GRID_M,
)
from geo.untrusted import check_text, check_texts
from geo.validate import Issue, ValidationReport, parse_iso_date, validate_units

META_FILE = "version.toml"
UNITS_FILE = "units.geojson"
LEVELS_FILE = "levels.toml"  # area levels (geo.levels), not part of the checksum
#: Hidden copies of published versions, written at publish time, for `versions restore`.
FROZEN_DIR = ".published"
UNIT_FIELDS = ("code", "name", "definition", "buurten_year", "buurten", "lineage", "parents")


@dataclass
class Version:
    """One version of the wijkindeling: metadata plus units (with geometry)."""

    meta: dict
    units: gpd.GeoDataFrame
    path: Path

    @property
    def id(self) -> str:
        return self.meta["id"]

    @property
    def published(self) -> bool:
        return self.meta["status"] == "published"


@serialised
def list_versions(root: str | Path) -> list[dict]:
    """Metadata of every version in the register, oldest ``valid_from`` first.

    Each published version is checked against its checksum: ``meta["intact"]`` is False (and
    ``meta["fix"]`` says how to repair it) when its files were changed on disk.
    """
    metas = []
    for meta_file in sorted(boundaries_dir(root).glob(f"*/{META_FILE}")):
        if meta_file.parent.name.startswith("."):  # a write in progress or left by a crash
            continue
        try:
            meta = _read_meta(meta_file)
        except WijkatlasError:
            metas.append({"id": meta_file.parent.name, "name": "(unreadable version.toml)",
                          "valid_from": "", "status": "published?", "parent": "",
                          "intact": False, "fix": _restore_fix(root, meta_file.parent.name)})
            continue
        records = meta.pop("unit", [])
        meta["intact"] = True
        if meta.get("status") == "published" or meta.get("checksum"):  # drafts too (a
            # published version whose status was set back to draft by hand is tampered)
            units_file = meta_file.parent / UNITS_FILE
            geojson = (units_file.read_bytes().decode("utf-8", errors="replace")
                       if units_file.is_file() else "")
            if meta.get("checksum") != _checksum(meta_without_flags(meta), records, geojson):
                meta["intact"] = False
                meta["fix"] = _restore_fix(root, str(meta.get("id", meta_file.parent.name)))
        metas.append(meta)
    return sorted(metas, key=lambda m: (str(m.get("valid_from", "")), str(m["id"])))


def meta_without_flags(meta: dict) -> dict:
    """Metadata as stored (without what :func:`list_versions` adds)."""
    return {k: v for k, v in meta.items() if k not in ("intact", "fix")}


def _git_committed(root: str | Path, folder: Path) -> bool:
    """Whether git has a committed copy of the version's files (HEAD), so checkout restores."""
    import subprocess

    try:
        rel = folder.resolve().relative_to(Path(root).resolve())
        done = subprocess.run(["git", "-C", str(root), "cat-file", "-e",
                               f"HEAD:{rel.as_posix()}/{META_FILE}"],
                              capture_output=True, timeout=10, check=False)
    except (OSError, ValueError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _restore_fix(root: str | Path, version_id: str) -> str:
    """How to repair a published version changed on disk, for this repository's state."""
    folder = boundaries_dir(root) / str(version_id)
    if _frozen_intact(root, version_id):
        how = f"restore it with `wijkatlas versions restore {version_id}` (the copy frozen at " \
              "publication)"
    elif _git_committed(root, folder):
        how = f"restore it from git: git checkout HEAD -- {folder}"
    else:
        how = ("it was never committed to git and has no frozen copy, so it cannot be restored: "
               "move the folder out of boundaries/, or restore it from a backup")
    return (how + "; to change a published version, draft a new one: wijkatlas versions "
            f"draft NEW --from {version_id}")


def _frozen_intact(root: str | Path, version_id: str) -> bool:
    frozen = boundaries_dir(root) / FROZEN_DIR / str(version_id)
    try:
        meta = read_toml(frozen / META_FILE, what="frozen version file")
        records = meta.pop("unit", [])
        geojson = (frozen / UNITS_FILE).read_text(encoding="utf-8")
    except (OSError, ValueError, WijkatlasError):  # unreadable: not intact
        return False
    return meta.get("status") == "published" and \
        meta.get("checksum") == _checksum(meta, records, geojson)


@serialised
def restore_version(root: str | Path, version_id: str) -> Path:
    """Put back a published version changed on disk, from the copy frozen at publication."""
    folder = version_dir(root, version_id)
    if not _frozen_intact(root, version_id):
        raise WijkatlasError(f"version {version_id} has no intact copy frozen at publication.",
                             file=folder, fix=_restore_fix(root, version_id))
    frozen = boundaries_dir(root) / FROZEN_DIR / str(version_id)
    return write_version_folder(root, version_id, {
        name: (frozen / name).read_text(encoding="utf-8") for name in (META_FILE, UNITS_FILE)})


def _read_meta(meta_file: Path) -> dict:
    """A version's ``version.toml``, refused in one line when unreadable or incomplete."""
    fix = f"restore it from version control (git checkout -- {meta_file.parent})."
    meta = read_toml(meta_file, what="version file", fix=fix)
    require_keys(meta, ("id", "status"), file=meta_file, what="version file",
                 example='id = "2024" and status = "draft"')
    return meta


def _round_mm(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.round(xy, 3))


def _units_geojson(units: gpd.GeoDataFrame) -> str:
    geoms = _round_mm(np.asarray(units.geometry.values, dtype=object))
    features = [
        '{"type":"Feature","properties":'
        + json.dumps({"code": code, "name": name}, ensure_ascii=False)
        + ',"geometry":' + shapely.to_geojson(geom) + "}"
        for code, name, geom in zip(units["code"], units["name"], geoms, strict=True)
    ]
    return ('{"type":"FeatureCollection",\n"crs":{"type":"name","properties":'
            '{"name":"urn:ogc:def:crs:EPSG::28992"}},\n"features":[\n'
            + ",\n".join(features) + "\n]}\n")


def _unit_records(units: gpd.GeoDataFrame) -> list[dict]:
    records = []
    for row in units.itertuples(index=False):
        rec = {"code": str(row.code), "name": str(row.name), "definition": row.definition}
        if row.definition == "buurten":
            rec["buurten_year"] = int(row.buurten_year)
            rec["buurten"] = list(row.buurten)
        rec["lineage"] = row.lineage
        rec["parents"] = list(row.parents)
        records.append(rec)
    return records


def _checksum(meta: dict, records: list[dict], geojson: str) -> str:
    """SHA-256 over everything that makes a version what it is: all metadata (status,
    published_at, name, dates, parent ...), every unit record (code, name, definition,
    lineage) and the polygons; only the checksum itself is left out."""
    content = {k: v for k, v in meta.items() if k != "checksum"}
    blob = json.dumps([content, records], sort_keys=True, default=str) + geojson
    return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()


def checksum_ok(meta: dict, records: list[dict], geojson: str) -> bool:
    """Whether a version's stored checksum matches its files (``meta`` without units)."""
    return meta.get("checksum") == _checksum(meta, records, geojson)


@serialised
def load_version(root: str | Path, version_id: str) -> Version:
    """Read one version; a version whose files were changed outside wijkatlas (checksum
    mismatch, e.g. a published version turned back into a draft by hand) is refused."""
    folder = version_dir(root, version_id)
    meta_file = folder / META_FILE
    if not meta_file.exists():
        known = ", ".join(m["id"] for m in list_versions(root)) or "none"
        raise WijkatlasError(f"boundary version {version_id!r} does not exist (known: {known}).",
                             file=folder, fix="use `wijkatlas versions list` to see the ids.")
    meta = _read_meta(meta_file)
    records = meta.pop("unit", [])
    units_file = folder / UNITS_FILE
    if not units_file.is_file():
        raise WijkatlasError(
            f"the polygons of version {version_id} ({UNITS_FILE}) are missing.", file=units_file,
            fix=f"restore the file from version control (git checkout -- {units_file}).")
    require_file(units_file, what="unit polygons file (units.geojson)")
    try:
        geojson = units_file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise WijkatlasError("units.geojson is not UTF-8 text.", file=units_file,
                             fix=f"restore it (git checkout -- {folder}).") from exc
    if not checksum_ok(meta, records, geojson):
        raise WijkatlasError(
            f"version {version_id} was changed on disk outside wijkatlas (checksum mismatch; "
            f"status on disk: {meta.get('status', '?')}).",
            file=folder, rule="checksum",
            fix=_restore_fix(root, str(version_id)))
    shapes = read_vector(units_file, what="unit polygons file (units.geojson)")
    if "code" not in shapes.columns:
        raise WijkatlasError("units.geojson has no code property.", file=units_file,
                             fix=_restore_fix(root, str(version_id)))
    if shapes.crs is None:
        shapes = shapes.set_crs(RD_NEW)
    geom_by_code = dict(zip(shapes["code"], shapes.geometry, strict=True))
    units = gpd.GeoDataFrame(
        {
            "code": [r["code"] for r in records],
            "name": [r["name"] for r in records],
            "definition": [r["definition"] for r in records],
            "buurten_year": [r.get("buurten_year") for r in records],
            "buurten": [r.get("buurten", []) for r in records],
            "lineage": [r.get("lineage", "new") for r in records],
            "parents": [r.get("parents", []) for r in records],
        },
        geometry=[geom_by_code.get(r["code"]) for r in records],
        crs=RD_NEW,
    )
    return Version(meta=meta, units=units, path=folder)


def _refuse_published(folder: Path) -> None:
    """Refuse to write over a version that is published on disk (checked under the lock)."""
    if (folder / META_FILE).exists():
        on_disk = _read_meta(folder / META_FILE)
        if on_disk.get("status") == "published":
            raise WijkatlasError(
                f"version {folder.name} is published and cannot be changed.", file=folder,
                fix=f"draft a new version: wijkatlas versions draft NEW --from {folder.name}")


def _write_version(root: str | Path, meta: dict, units: gpd.GeoDataFrame) -> Path:
    """Write a version folder as one transaction (new folder next to it, then swap), under
    the register lock; names with control characters and writes over a published version
    are refused first."""
    vid = check_version_id(meta["id"])
    for key in ("name", "description", "valid_from", "parent", "gemeente"):
        check_text(meta.get(key, ""), file=version_dir(root, vid), what=f"version {key}")
    check_texts(units["code"], units["code"], file=version_dir(root, vid), what="unit code")
    check_texts(units["name"], units["code"], file=version_dir(root, vid), what="unit name")
    records = _unit_records(units)
    geojson = _units_geojson(units)
    meta = dict(meta)
    meta["checksum"] = _checksum(meta, records, geojson)
    text = tomli_w.dumps({**meta, "unit": records})
    return write_version_folder(root, vid, {META_FILE: text, UNITS_FILE: geojson},
                                refuse=_refuse_published)


def _require_new_id(root: str | Path, version_id: str) -> None:
    if (version_dir(root, version_id) / META_FILE).exists():
        raise WijkatlasError(f"version {version_id} already exists.",
                             file=boundaries_dir(root) / str(version_id),
                             fix="choose another id for the new version.")


def _require_draft(version: Version) -> None:
    if version.published:
        raise WijkatlasError(
            f"version {version.id} is published; published versions are immutable.",
            file=version.path,
            fix=f"draft a new version: wijkatlas versions draft NEW --from {version.id}")


@serialised
def create_from_buurten(
    root: str | Path,
    version_id: str,
    *,
    name: str,
    valid_from: str,
    buurten: gpd.GeoDataFrame,
    assignment: dict[str, tuple[str, list[str]]],
    gemeente: str = "",
    description: str = "",
) -> Version:
    """Create a first (parentless) draft version whose units are unions of CBS buurten.

    Parameters
    ----------
    buurten
        CBS buurten of one year (``code``, ``name``, ``year``, ``geometry``).
    assignment
        ``{unit_code: (unit_name, [buurt codes])}``; every buurt must be assigned exactly once.
    """
    _require_new_id(root, version_id)
    valid_from = parse_iso_date(valid_from, file=str(boundaries_dir(root) / str(version_id)))
    year = int(buurten["year"].iloc[0])
    units = _units_from_buurten(buurten, assignment, f"buurten {year}")
    meta = {"id": str(version_id), "name": name, "valid_from": valid_from, "status": "draft",
            "parent": "", "gemeente": gemeente, "description": description}
    _write_version(root, meta, units)
    return load_version(root, version_id)


def _units_from_buurten(buurten: gpd.GeoDataFrame, assignment: dict, source: str):
    year = int(buurten["year"].iloc[0])
    known = set(buurten["code"])
    seen: dict[str, str] = {}
    for unit, (_, codes) in assignment.items():
        for code in codes:
            if code not in known:
                raise WijkatlasError(f"buurt {code} is not in the buurten of {year}.",
                                     file=source, unit=unit,
                                     fix="use codes of that year's CBS buurt file.")
            if code in seen:
                raise WijkatlasError(f"buurt {code} is assigned to both {seen[code]} and {unit}.",
                                     file=source, unit=code, fix="assign each buurt once.")
            seen[code] = unit
    left = sorted(known - set(seen))
    if left:
        raise WijkatlasError(f"buurten not assigned to any unit: {', '.join(left)}.",
                             file=source, fix="assign every buurt to a unit.")
    return _units_from_buurten_subset(buurten, assignment, year)


def _check_valid_from(root: str | Path, valid_from: str, parent_id: str | None,
                      file: Path) -> str:
    valid_from = parse_iso_date(valid_from, what="valid_from", file=str(file))
    if parent_id:
        parent_from = str(load_version(root, parent_id).meta.get("valid_from", ""))
        if parent_from and valid_from <= parent_from:
            raise WijkatlasError(
                f"valid_from {valid_from} is not after {parent_from}, the date of its parent "
                f"version {parent_id}.", file=file,
                fix=f"give a date after {parent_from} (YYYY-MM-DD).", rule="bad_date")
    return valid_from


@serialised
def draft_version(root: str | Path, version_id: str, parent_id: str, *, name: str | None = None,
                  valid_from: str | None = None, description: str = "") -> Version:
    """Start a new draft from a published version: same units, lineage ``unchanged``.

    ``valid_from`` must be an ISO date (YYYY-MM-DD) after the parent's; when omitted and the id
    is a year (``2024``), it is 1 January of that year, else it is required.
    """
    check_version_id(version_id)
    parent = load_version(root, parent_id)
    if not parent.published:
        raise WijkatlasError(f"version {parent_id} is still a draft.", file=parent.path,
                             fix=f"publish it first (wijkatlas versions publish {parent_id}), "
                             "or keep editing that draft.")
    _require_new_id(root, version_id)
    folder = boundaries_dir(root) / str(version_id)
    if valid_from is None:
        if not (len(str(version_id)) == 4 and str(version_id).isdigit()):
            raise WijkatlasError(f"draft {version_id} needs a date from which it applies.",
                                 file=folder, fix="pass --valid-from YYYY-MM-DD.",
                                 rule="bad_date")
        valid_from = f"{version_id}-01-01"
    valid_from = _check_valid_from(root, valid_from, parent_id, folder)
    units = parent.units.copy()
    units["lineage"] = "unchanged"
    units["parents"] = [[c] for c in units["code"]]
    meta = {"id": str(version_id), "name": name or f"Wijkindeling {version_id}",
            "valid_from": valid_from, "status": "draft",
            "parent": str(parent_id), "gemeente": parent.meta.get("gemeente", ""),
            "description": description}
    outline_year = _outline_year(root, parent)
    if outline_year is not None:
        meta["outline_year"] = outline_year
    _write_version(root, meta, units)
    return load_version(root, version_id)


def _require_draft_of(root: str | Path, version_id: str) -> Version:
    version = load_version(root, version_id)
    _require_draft(version)
    return version


@serialised
def redate_draft(root: str | Path, version_id: str, valid_from: str) -> Version:
    """Change the date from which a draft applies (ISO date, after its parent's)."""
    version = _require_draft_of(root, version_id)
    meta = dict(version.meta)
    meta["valid_from"] = _check_valid_from(root, valid_from, meta.get("parent") or None,
                                           version.path)
    _write_version(root, meta, version.units)
    return load_version(root, version_id)


@serialised
def rename_draft(root: str | Path, version_id: str, new_id: str,
                 name: str | None = None) -> Version:
    """Give a draft another id (its folder moves) and optionally another name."""
    new_id = check_version_id(new_id)
    version = _require_draft_of(root, version_id)
    if new_id != str(version_id):
        _require_new_id(root, new_id)
        children = [m["id"] for m in list_versions(root) if m.get("parent") == str(version_id)]
        if children:
            raise WijkatlasError(f"version {version_id} is the parent of {', '.join(children)}.",
                                 file=version.path, fix="rename or discard those first.")
    meta = dict(version.meta)
    meta["id"] = new_id
    if name:
        meta["name"] = name
    elif meta.get("name") == f"Wijkindeling {version_id}":
        meta["name"] = f"Wijkindeling {new_id}"
    _write_version(root, meta, version.units)
    if new_id != str(version_id):
        if (version.path / LEVELS_FILE).exists():  # the area levels move along
            shutil.copy2(version.path / LEVELS_FILE,
                         boundaries_dir(root) / new_id / LEVELS_FILE)
        remove_dir(version.path)
    return load_version(root, new_id)


@serialised
def discard_draft(root: str | Path, version_id: str) -> Path:
    """Delete a draft (published versions are never deleted)."""
    version = _require_draft_of(root, version_id)
    children = [m["id"] for m in list_versions(root) if m.get("parent") == str(version_id)]
    if children:
        raise WijkatlasError(f"version {version_id} is the parent of {', '.join(children)}.",
                             file=version.path, fix="discard those first.")
    remove_dir(version.path)
    return version.path


def _outline_year(root: str | Path, version: Version) -> int | None:
    """The year of the CBS buurten whose union is the version's gemeente outline."""
    if version.meta.get("outline_year"):
        return int(version.meta["outline_year"])
    years = version.units.loc[version.units["definition"] == "buurten", "buurten_year"]
    years = [int(y) for y in years.dropna()]
    if years:
        return min(years)
    if version.meta.get("parent"):
        return _outline_year(root, load_version(root, version.meta["parent"]))
    return None


def version_outline(root: str | Path, version: Version):
    """The gemeente outline a version is checked against, and how to name it.

    It is part of the version: ``outline_year`` in ``version.toml`` (drafts inherit it), or for
    versions made before that key, the year of the CBS buurten its units are unions of. The
    outline is the union of that year's CBS buurten of the version's gemeente, so a version
    built from those buurten matches it to the mm; differences up to
    ``geo.units.DEFAULT_OUTLINE_TOLERANCE_M`` are tolerated.

    Returns
    -------
    (geometry, label), or (None, None) when the version names no buurt year or gemeente.
    """
    from geo.sources import cbs_buurt_files, load_cbs_buurten

    year = _outline_year(root, version)
    gemeente = version.meta.get("gemeente", "")
    if year is None or not gemeente:
        return None, None
    files = cbs_buurt_files(Path(root) / "layers" / "cbs", gemeente=gemeente)
    if year not in files:
        return None, None
    buurten = load_cbs_buurten(files[year], year)
    outline = shapely.union_all(buurten.geometry.values)
    label = (f"the gemeente outline of version {version.id}: the CBS buurten {year} of "
             f"{gemeente} ({files[year].name})")
    return outline, label


def _save_draft(root, version: Version, units: gpd.GeoDataFrame, *,
                tolerance_ha: float = DEFAULT_TOLERANCE_HA) -> Version:
    """Derive lineage from the parent, validate, and write; refuse with the first error.

    The geometry is validated as it will be stored (snapped to the millimetre grid, pieces
    that collapse on it removed), so what an import accepts, publishing accepts too.
    """
    units = units.reset_index(drop=True)
    units = units.set_geometry(shapely.set_precision(
        np.asarray(units.geometry.values, dtype=object), STORAGE_GRID_M), crs=units.crs)
    outline = version_outline(root, version)
    if version.meta.get("parent"):
        parent = load_version(root, version.meta["parent"])
        lineage = lineage_of(diff_units(parent.units, units, tolerance_ha))
        units["lineage"] = lineage["lineage"].to_numpy()
        units["parents"] = lineage["parents"].to_numpy()
        report = check_version(units, f"{version.path}", parent.units, tolerance_ha,
                               outline=outline)
    else:
        report = check_version(units, f"{version.path}", None, tolerance_ha, outline=outline)
    report.raise_if_invalid()
    _write_version(root, version.meta, units)
    return load_version(root, version.id)


@serialised
def reassign_buurten(root: str | Path, version_id: str, moves: dict[str, str],
                     buurten: gpd.GeoDataFrame, new_names: dict[str, str] | None = None,
                     *, remove_empty: bool = False) -> Version:
    """Move CBS buurten between units of a draft.

    ``moves`` maps buurt code to the unit code it should belong to; a unit code not yet in the
    version creates a unit, named by ``new_names``. Only the units a move touches are rebuilt
    (as the union of their buurten), so drawn units elsewhere in the draft are no obstacle. A
    buurt must belong to a unit defined as buurten, and go to such a unit (or a new one); a
    unit that would lose its last buurt is refused unless ``remove_empty``.
    """
    version = load_version(root, version_id)
    _require_draft(version)
    units = version.units.copy().reset_index(drop=True)
    new_names = new_names or {}
    year = int(buurten["year"].iloc[0])
    known = set(buurten["code"].astype(str))
    holder: dict[str, str] = {}
    for row in units.itertuples(index=False):
        if row.definition == "buurten":
            for code in row.buurten:
                holder[str(code)] = row.code
    by_code = units.set_index("code")
    buurt_geom = buurten.set_index("code").geometry
    assignment = {row.code: (row.name, list(row.buurten)) for row in units.itertuples(index=False)
                  if row.definition == "buurten"}
    for unit, new_name in new_names.items():  # --name also renames an existing unit
        if unit in by_code.index:
            units.loc[units["code"] == unit, "name"] = new_name
            if unit in assignment:
                assignment[unit] = (new_name, assignment[unit][1])
    touched: set[str] = set()
    for buurt, target in moves.items():
        if buurt not in known:
            import difflib

            close = difflib.get_close_matches(buurt, sorted(known), n=3, cutoff=0.8)
            hint = f" (buurten of {year} with a similar code: {', '.join(close)})" if close else ""
            raise WijkatlasError(f"{buurt} is not a CBS buurt code of {year}{hint}.",
                                 file=version.path, unit=buurt,
                                 fix=f"use a code from layers/cbs/cbs_buurten_{year}_*.geojson "
                                     "(or --year for another year's buurten).")
        source = holder.get(buurt)
        if source is None:
            inside = units.loc[shapely.area(shapely.intersection(
                np.asarray(units.geometry.values), buurt_geom[buurt])) > 0, "code"].tolist()
            where = ", ".join(f"{c} {by_code.loc[c, 'name']}" for c in inside) or "no unit"
            raise WijkatlasError(
                f"buurt {buurt} is not part of a unit defined by buurten: it lies in {where}, "
                "drawn as a polygon, so it cannot be moved by assigning buurten.",
                file=version.path, unit=buurt,
                fix="edit the drawn boundary instead: wijkatlas versions export "
                    f"{version_id} edit.gpkg, change it in QGIS, then versions import.")
        if target in by_code.index and target not in assignment:
            raise WijkatlasError(
                f"unit {target} ({by_code.loc[target, 'name']}) is a drawn polygon, so buurten "
                "cannot be assigned to it.", file=version.path, unit=target,
                fix="edit the drawn boundary instead (versions export, QGIS, versions import).")
        if target not in assignment:
            if target not in new_names:
                raise WijkatlasError(f"unit {target} does not exist yet and has no name.",
                                     file=version.path, unit=target,
                                     fix=f"give its name with --name {target}=NAME.")
            assignment[target] = (new_names[target], [])
        assignment[source][1].remove(buurt)
        assignment[target][1].append(buurt)
        holder[buurt] = target
        touched |= {source, target}
    emptied = [u for u in touched if not assignment[u][1]]
    if emptied and not remove_empty:
        names = ", ".join(f"{u} ({assignment[u][0]})" for u in sorted(emptied))
        raise WijkatlasError(f"unit(s) {names} would lose their last buurt and disappear.",
                             file=version.path, unit=sorted(emptied)[0],
                             fix="move another buurt to it, or pass --remove-empty to remove "
                                 "the unit on purpose.")
    for unit in emptied:
        del assignment[unit]
        touched.discard(unit)
    rebuilt = _units_from_buurten_subset(buurten, {u: assignment[u] for u in sorted(touched)},
                                         year)
    keep = units[~units["code"].isin(touched | set(emptied))]
    out = gpd.GeoDataFrame(pd.concat([keep, rebuilt], ignore_index=True), crs=RD_NEW)
    order = {c: i for i, c in enumerate(units["code"])}
    out = out.iloc[np.argsort([order.get(c, len(order)) for c in out["code"]], kind="stable")]
    return _save_draft(root, version, out.reset_index(drop=True))


def _units_from_buurten_subset(buurten: gpd.GeoDataFrame, assignment: dict,
                               year: int) -> gpd.GeoDataFrame:
    """Units as unions of their buurten (only those in ``assignment``)."""
    by_code = buurten.set_index("code").geometry
    geoms = [shapely.union_all(by_code.loc[codes].values) for _, codes in assignment.values()]
    return gpd.GeoDataFrame({
        "code": list(assignment), "name": [n for n, _ in assignment.values()],
        "definition": "buurten", "buurten_year": year,
        "buurten": [sorted(c) for _, c in assignment.values()],
        "lineage": "new", "parents": [[] for _ in assignment],
    }, geometry=geoms, crs=RD_NEW)


@serialised
def import_units(root: str | Path, version_id: str, layer: gpd.GeoDataFrame,
                 source: str, tolerance_ha: float = DEFAULT_TOLERANCE_HA) -> Version:
    """Replace the units of a draft by a polygon layer edited in QGIS (code, name, geometry).

    Units whose geometry did not change keep their buurten definition; others become drawn.
    """
    version = load_version(root, version_id)
    _require_draft(version)
    report = validate_units(layer, source=source, tolerance_ha=tolerance_ha)
    report.raise_if_invalid()
    old = version.units.set_index("code")
    rows = []
    for code, name, geom in zip(layer["code"], layer["name"], layer.geometry, strict=True):
        keep = code in old.index and old.loc[code, "definition"] == "buurten" and \
            shapely.area(shapely.symmetric_difference(geom, old.loc[code, "geometry"])) \
            <= tolerance_ha * SQM_PER_HA
        rows.append({
            "code": str(code), "name": str(name),
            "definition": "buurten" if keep else "drawn",
            "buurten_year": old.loc[code, "buurten_year"] if keep else None,
            "buurten": old.loc[code, "buurten"] if keep else [],
            "lineage": "new", "parents": [],
            "geometry": old.loc[code, "geometry"] if keep else geom,
        })
    units = gpd.GeoDataFrame(rows, geometry="geometry", crs=RD_NEW)
    return _save_draft(root, version, units, tolerance_ha=tolerance_ha)


@serialised
def carve_unit(root: str | Path, version_id: str, code: str, name: str, polygon,
               tolerance_ha: float = DEFAULT_TOLERANCE_HA) -> Version:
    """Add a drawn unit to a draft, cutting its polygon out of the units it overlaps."""
    version = load_version(root, version_id)
    _require_draft(version)
    units = version.units.copy()
    if code in set(units["code"]):
        raise WijkatlasError(f"unit {code} already exists in version {version_id}.",
                             file=version.path, unit=code, fix="choose a new code.")
    geoms = np.asarray(units.geometry.values, dtype=object)
    polygon = shapely.intersection(polygon, shapely.union_all(geoms))
    hit = shapely.area(shapely.intersection(geoms, polygon)) > 0
    geoms[hit] = shapely.difference(geoms[hit], polygon)
    units = units.set_geometry(gpd.GeoSeries(geoms, crs=RD_NEW))
    units.loc[hit, "definition"] = "drawn"
    units.loc[hit, "buurten_year"] = None
    units.loc[hit, "buurten"] = units.loc[hit, "buurten"].map(lambda _: [])
    added = gpd.GeoDataFrame([{"code": code, "name": name, "definition": "drawn",
                               "buurten_year": None, "buurten": [], "lineage": "new",
                               "parents": []}], geometry=[polygon], crs=RD_NEW)
    units = gpd.GeoDataFrame(
        pd.concat([units, added], ignore_index=True), crs=RD_NEW)
    return _save_draft(root, version, units, tolerance_ha=tolerance_ha)


def check_version(units: gpd.GeoDataFrame, source: str,
                  parent_units: gpd.GeoDataFrame | None, tolerance_ha: float = DEFAULT_TOLERANCE_HA,
                  outline: tuple | None = None) -> ValidationReport:
    """Validate a version's units: the layer rules, coverage of its gemeente outline (or, for a
    version without one, of the parent's area), and lineage."""
    reference, name = outline if outline is not None and outline[0] is not None else (None, None)
    if reference is None and parent_units is not None:
        reference = shapely.union_all(parent_units.geometry.values)
        name = "the area of the parent version"
    report = validate_units(units, source=source, reference=reference, tolerance_ha=tolerance_ha,
                            reference_name=name,
                            reference_tolerance_m=DEFAULT_OUTLINE_TOLERANCE_M)
    if parent_units is not None:
        codes = set(units["code"])
        accounted = codes | {p for ps in units["parents"] for p in ps}
        for code in parent_units["code"]:
            if code not in accounted:
                report.issues.append(Issue(
                    "error", "lineage", f"unit {code} of the parent version is not accounted "
                    "for (neither kept nor named as parent of a new unit)",
                    "keep the unit or make sure its area goes to other units.", unit=code))
    return report


@serialised
def validate_version(root: str | Path, version_id: str) -> ValidationReport:
    """Validate a version of the register (as stored)."""
    version = load_version(root, version_id)
    parent = load_version(root, version.meta["parent"]).units if version.meta.get("parent") \
        else None
    report = check_version(version.units, str(version.path), parent,
                           outline=version_outline(root, version))
    if parent is not None:
        derived = lineage_of(diff_units(parent, version.units)).set_index("code")
        for row in version.units.itertuples(index=False):
            if derived.loc[row.code, "lineage"] != row.lineage:
                report.issues.append(Issue(
                    "error", "lineage", f"stored lineage {row.lineage!r} does not match the "
                    f"geometry ({derived.loc[row.code, 'lineage']!r})",
                    "re-import the draft so wijkatlas derives the lineage.", unit=row.code))
    return report


@serialised
def publish_version(root: str | Path, version_id: str) -> Version:
    """Publish a draft: validate it and freeze it (status, date, checksum)."""
    version = load_version(root, version_id)
    if version.published:
        raise WijkatlasError(
            f"version {version_id} is already published; published versions are immutable.",
            file=version.path,
            fix=f"draft a new version: wijkatlas versions draft NEW --from {version_id}")
    validate_version(root, version_id).raise_if_invalid()
    meta = dict(version.meta)
    meta["status"] = "published"
    meta["published_at"] = dt.date.today().isoformat()
    folder = _write_version(root, meta, version.units)
    frozen = boundaries_dir(root) / FROZEN_DIR / str(version_id)
    with replace_dir(frozen, lock=False) as tmp:  # under the register lock
        for name in (META_FILE, UNITS_FILE):
            shutil.copyfile(folder / name, tmp / name)
    return load_version(root, version_id)
